"""Forms of the collector's actions on the customer page: they parse, they decide nothing.

Invoices are offered as the customer's open invoices (checkboxes); the services check again
that they belong to the customer and are open.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vorder.cases.models import CallLog, Dispute, PaymentArrangement
from vorder.domain.money import parse_amount
from vorder.ledger.models import Channel, Contact, Customer, Invoice

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.CharField):
    """An amount as people type it ('1.234,56' or '1234.56'), as an exact Decimal."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            amount = parse_amount(text)
        except (ValueError, ArithmeticError) as exc:
            raise forms.ValidationError(_("Enter an amount such as 1.234,56.")) from exc
        if amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        return amount


class InvoicesForm(forms.Form):
    """Base: a choice of the customer's open invoices."""

    invoices = forms.ModelMultipleChoiceField(
        label=_("Invoices"),
        queryset=Invoice.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=True,
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = Invoice.objects.filter(
            customer=customer, status=Invoice.Status.OPEN
        ).order_by("due_date", "number")


class PromiseForm(InvoicesForm):
    promised_date = forms.DateField(label=_("Will pay on"), widget=DATE)
    amount = AmountField(
        label=_("Amount"), required=False, help_text=_("empty: everything open on the invoices")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class CallForm(forms.Form):
    """The call and the questions that matter; optionally a promise, a dispute, a follow-up."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallLog.Outcome.choices)
    contact = forms.ModelChoiceField(
        label=_("Spoke with"), queryset=Contact.objects.none(), required=False
    )
    satisfied = forms.ChoiceField(
        label=_("Satisfied with the goods or service?"),
        choices=CallLog.Answer.choices,
        initial=CallLog.Answer.UNKNOWN,
    )
    satisfied_note = forms.CharField(label=_("If not, why?"), required=False, max_length=500)
    payment_intent = forms.CharField(
        label=_("When and how will you pay?"), required=False, max_length=500
    )
    obstacles = forms.CharField(
        label=_("Anything else in the way?"), required=False, max_length=500
    )
    right_contact = forms.ChoiceField(
        label=_("Is this the right contact?"),
        choices=CallLog.Answer.choices,
        initial=CallLog.Answer.UNKNOWN,
    )
    new_contact = forms.ModelChoiceField(
        label=_("The right contact"), queryset=Contact.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    then = forms.ChoiceField(
        label=_("What came of it"),
        choices=[
            ("", _("Nothing more")),
            ("promise", _("A promise to pay")),
            ("dispute", _("A dispute")),
        ],
        required=False,
    )
    invoices = forms.ModelMultipleChoiceField(
        label=_("Invoices"),
        queryset=Invoice.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    promised_date = forms.DateField(label=_("Will pay on"), widget=DATE, required=False)
    amount = AmountField(label=_("Amount"), required=False)
    reason = forms.ChoiceField(
        label=_("Dispute reason"), choices=[("", "–"), *Dispute.Reason.choices], required=False
    )
    follow_up_on = forms.DateField(label=_("Follow up on"), widget=DATE, required=False)
    follow_up_reason = forms.CharField(label=_("Follow-up"), required=False, max_length=300)

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = Contact.objects.filter(customer=customer, is_active=True)
        self.fields["contact"].queryset = contacts
        self.fields["new_contact"].queryset = contacts
        self.fields["invoices"].queryset = Invoice.objects.filter(
            customer=customer, status=Invoice.Status.OPEN
        ).order_by("due_date", "number")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        then = data.get("then")
        if then and data.get("outcome") != CallLog.Outcome.REACHED:
            self.add_error("then", _("A promise or a dispute needs the debtor reached."))
        if then in ("promise", "dispute") and not data.get("invoices"):
            self.add_error("invoices", _("Choose the invoices it is about."))
        if then == "promise" and not data.get("promised_date"):
            self.add_error("promised_date", _("Say when the debtor will pay."))
        if then == "dispute" and not data.get("reason"):
            self.add_error("reason", _("Choose the reason of the dispute."))
        if bool(data.get("follow_up_on")) != bool(data.get("follow_up_reason")):
            self.add_error("follow_up_reason", _("A follow-up needs a date and what to do."))
        return data


class ArrangementForm(InvoicesForm):
    instalments = forms.IntegerField(label=_("Number of instalments"), min_value=1, max_value=60)
    first_due = forms.DateField(label=_("First instalment on"), widget=DATE)
    down_payment = AmountField(label=_("Down payment"), required=False)
    down_payment_due = forms.DateField(label=_("Down payment on"), widget=DATE, required=False)
    interest_costs = forms.ChoiceField(
        label=_("Interest and costs"),
        choices=PaymentArrangement.InterestCosts.choices,
        initial=PaymentArrangement.InterestCosts.FROZEN,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("down_payment") and not data.get("down_payment_due"):
            self.add_error("down_payment_due", _("Say when the down payment is due."))
        return data


class DisputeForm(InvoicesForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=Dispute.Reason.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    decision_due = forms.DateField(label=_("Decide by"), widget=DATE, required=False)


class DisputeResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("credit_full", _("Credit note for everything open")),
            ("credit_partial", _("Credit note for part")),
            ("reject", _("Reject: dunning resumes")),
            ("withdraw", _("Withdrawn by the debtor")),
        ],
    )
    amount = AmountField(label=_("Credit amount"), required=False)
    note = forms.CharField(label=_("Explanation"), required=False, max_length=1000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "credit_partial" and not data.get("amount"):
            self.add_error("amount", _("Enter the amount to credit."))
        if data.get("outcome") == "reject" and not data.get("note"):
            self.add_error("note", _("Explain why: the debtor is told."))
        return data


class ContactPreferencesForm(forms.Form):
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), choices=Channel.choices)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    contact_email = forms.EmailField(label=_("Contact's email"), required=False)
    contact_phone = forms.CharField(label=_("Contact's phone"), required=False, max_length=40)
    contact_active = forms.BooleanField(label=_("Contact still active"), required=False)

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(customer=customer)


class StatementSendForm(forms.Form):
    """Send the statement now, with copies of the chosen invoices."""

    invoices = forms.ModelMultipleChoiceField(
        label=_("Invoice copies"),
        queryset=Invoice.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("Send by"), choices=[("email", _("Email")), ("letter", _("Letter"))]
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = Invoice.objects.filter(
            customer=customer, status=Invoice.Status.OPEN
        ).order_by("due_date", "number")


class WorklistFilterForm(forms.Form):
    collector = forms.ChoiceField(label=_("Collector"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)

    def __init__(
        self, *args: Any, collectors: list[Any], segments: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collector"].choices = [
            ("", _("Everyone")),
            *[(str(u.pk), u.get_full_name() or u.get_username()) for u in collectors],
        ]
        self.fields["segment"].choices = [("", _("All segments")), *[(s, s) for s in segments]]
