"""Our own legal entities. Everything else belongs to one, so they are made with care."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from vorder.common.audit import audit_record, diff
from vorder.domain.money import check_currency
from vorder.domain.references import ReferenceStyle
from vorder.ledger.models import Country, Creditor, Language
from vorder.ledger.records import normalise_bic, normalise_coc, normalise_iban, normalise_vat

_EDITABLE = {
    "name", "country", "address_line1", "address_line2", "postal_code", "city", "iban", "bic",
    "vat_number", "coc_number", "email", "phone", "website", "letterhead", "currency",
    "default_payment_term_days", "languages", "reference_style", "vat_deductible", "time_zone",
}  # fmt: skip


class CreditorError(ValueError):
    """Creditor details that cannot be accepted; ``errors`` maps each field to what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


def _clean(values: Mapping[str, Any], country: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for field, value in values.items():
        if field not in _EDITABLE:
            errors[field] = "unknown field"
            continue
        try:
            if value in ("", None) and field in {"iban", "bic", "vat_number", "coc_number"}:
                clean[field] = ""
            elif field == "iban":
                clean[field] = normalise_iban(value)
            elif field == "bic":
                clean[field] = normalise_bic(value)
            elif field == "vat_number":
                clean[field] = normalise_vat(value)
            elif field == "coc_number":
                clean[field] = normalise_coc(value, country)
            elif field == "currency":
                clean[field] = check_currency(value)
            elif field == "country" and value not in Country.values:
                raise ValueError(f"'{value}' is not one of {', '.join(Country.values)}")
            elif field == "languages" and any(lang not in Language.values for lang in value):
                raise ValueError(f"languages must be among {', '.join(Language.values)}")
            elif field == "reference_style":
                clean[field] = ReferenceStyle(value).value
            elif field == "default_payment_term_days" and not 0 <= int(value) <= 365:
                raise ValueError("a payment term is between 0 and 365 days")
            else:
                clean[field] = value
        except ValueError as exc:
            errors[field] = str(exc)
    if errors:
        raise CreditorError(errors)
    return clean


@transaction.atomic
def creditor_create(*, code: str, name: str, country: str, **details: Any) -> Creditor:
    """A new legal entity; Belgian creditors default to Belgian structured references."""
    if Creditor.objects.filter(code=code).exists():
        raise CreditorError({"code": f"a creditor with code '{code}' exists already"})
    values = _clean({"name": name, "country": country, **details}, country)
    values.setdefault("reference_style", "ogm" if country == "BE" else "rf")
    values.setdefault("languages", ["fr", "nl", "en"] if country == "BE" else ["nl", "en"])
    creditor = Creditor.objects.create(code=code, **values)
    audit_record(creditor_id=creditor.pk, obj=creditor, action="create", changes=diff(None, values))
    return creditor


@transaction.atomic
def creditor_update(*, creditor: Creditor, **changes: Any) -> Creditor:
    locked = Creditor.objects.select_for_update().get(pk=creditor.pk)
    values = _clean(changes, changes.get("country", locked.country))
    before = {field: getattr(locked, field) for field in values}
    changed = diff(before, values)
    if changed:
        for field, value in values.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(values))
        audit_record(creditor_id=locked.pk, obj=locked, action="update", changes=changed)
    return locked
