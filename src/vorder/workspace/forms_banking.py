"""Forms of the banking screens: they read what the collector typed; nothing here decides anything.

Amounts are read with ``parse_amount`` as people write them ('1.234,56' or '1,234.56') and become
exact ``Money``; whether a split fits the payment is the matching service's call, not the form's.
Likewise an IBAN, a BIC or a mandate id is passed on as typed: the direct debit services check
them and name the field that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from vorder.banking.directdebit.models import Mandate, Scheme, SequenceType
from vorder.domain.money import Money, parse_amount

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


# -- direct debit mandates ------------------------------------------------------------------------
class MandateFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All mandates")), *Mandate.Status.choices],
    )


class MandateCreateForm(forms.Form):
    """A signed mandate as the collector copies it from the paper or the e-mandate.

    The field names are the service's, so each of its errors lands on the field it is about.
    """

    mandate_id = forms.CharField(label=_("Mandate id"), max_length=35)
    debtor_iban = forms.CharField(label=_("IBAN"), max_length=50)
    debtor_bic = forms.CharField(
        label=_("BIC"),
        max_length=11,
        required=False,
        help_text=_("empty: the bank's from the IBAN"),
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    sequence_type = forms.ChoiceField(
        label=_("Sequence"),
        choices=[
            (SequenceType.FIRST, _("Recurring: first collection FRST, then RCUR")),
            (SequenceType.RECURRING, _("Recurring, collected before (RCUR): taken over")),
            (SequenceType.ONE_OFF, _("One-off (OOFF)")),
        ],
        initial=SequenceType.FIRST,
    )
    scheme = forms.ChoiceField(label=_("Scheme"), choices=Scheme.choices, initial=Scheme.CORE)
    debtor_name = forms.CharField(
        label=_("Account holder"),
        max_length=70,
        required=False,
        help_text=_("empty: the customer's name"),
    )


class MandateRevokeForm(forms.Form):
    on = forms.DateField(label=_("Revoked on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class MandateAmendForm(forms.Form):
    """A new account and/or a new mandate id; what is left empty stays as it is."""

    debtor_iban = forms.CharField(label=_("New IBAN"), max_length=50, required=False)
    debtor_bic = forms.CharField(
        label=_("New BIC"), max_length=11, required=False, help_text=_("only with a new IBAN")
    )
    mandate_id = forms.CharField(label=_("New mandate id"), max_length=35, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("debtor_iban") and not data.get("mandate_id"):
            raise forms.ValidationError(_("Give a new IBAN, a new mandate id, or both."))
        if data.get("debtor_bic") and not data.get("debtor_iban"):
            self.add_error("debtor_bic", _("A new BIC goes with a new IBAN."))
        return data


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
