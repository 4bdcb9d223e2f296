"""Forms of the banking screens: they read what the collector typed; nothing here decides anything.

Amounts are read with ``parse_amount`` as people write them ('1.234,56' or '1,234.56') and become
exact ``Money``; whether a split fits the payment is the matching service's call, not the form's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from vorder.domain.money import Money, parse_amount


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several statement files in one go (Django's documented pattern for ``multiple``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".xml,.sta,.940,.txt,.cod,.coda,.zip"})
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> list[object]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class StatementUploadForm(forms.Form):
    file = MultipleFileField(
        label=_("Statement files"),
        help_text=_("CAMT.053 (XML), MT940, CODA, or a ZIP of them; several at once is fine."),
    )
    create_account = forms.BooleanField(
        label=_("Add the bank account if vorder does not know it yet"), required=False
    )


class IgnoreForm(forms.Form):
    reason = forms.CharField(label=_("Why ignore this line?"), max_length=500)


class OnAccountForm(forms.Form):
    customer = forms.CharField(label=_("Debtor number"), max_length=40)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search open invoices"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Invoice number, reference, customer, debtor number or amount"),
            }
        ),
    )


@dataclass(frozen=True)
class SplitPart:
    invoice_id: int
    amount: Money | None  # None: the amount field could not be read
    text: str


def split_parts(data: object, currency: str) -> list[SplitPart]:
    """The rows of a split as posted: parallel ``invoice`` and ``amount`` lists."""
    invoice_ids = data.getlist("invoice")  # type: ignore[attr-defined]
    amounts = data.getlist("amount")  # type: ignore[attr-defined]
    parts = []
    for raw_id, text in zip(invoice_ids, amounts, strict=False):
        if not str(raw_id).isdigit():
            continue
        parts.append(SplitPart(int(raw_id), _money(text, currency), text))
    return parts


def _money(text: str, currency: str) -> Money | None:
    try:
        value = parse_amount(text) if text.strip() else Decimal(0)
        return Money.of(value, currency)
    except (ValueError, ArithmeticError):
        return None
