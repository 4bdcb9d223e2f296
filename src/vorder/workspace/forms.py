"""Forms of the workspace: they parse what the reader typed; nothing here decides anything."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vorder.ledger.models import Creditor


class AsOfForm(forms.Form):
    """The date the figures are shown as of: every page reads ``?as_of=YYYY-MM-DD``."""

    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD, for example 2025-03-31.")},
    )


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search customers"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, debtor number, city, email, VAT or CoC number"),
                "autocomplete": "off",
            }
        ),
    )


class CreditorSwitchForm(forms.Form):
    """Which creditor's ledger to look at; empty means all of them."""

    creditor = forms.ModelChoiceField(
        label=_("Creditor"),
        queryset=Creditor.objects.order_by("name"),
        required=False,
        empty_label=_("All creditors"),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class HoldForm(forms.Form):
    """Put a customer on hold (no dunning) or release them."""

    action = forms.ChoiceField(choices=[("hold", _("Put on hold")), ("release", _("Release"))])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "hold" and not data.get("reason"):
            self.add_error("reason", _("Say why the customer goes on hold."))
        return data


class StatementPeriodForm(forms.Form):
    """How far back the statement of account goes; older movements fold into an opening balance."""

    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("12", _("Last 12 months")),
            ("3", _("Last 3 months")),
            ("all", _("Everything")),
        ],
    )

    def months(self) -> int | None:
        """Months to show, or None for the whole history; 12 when nothing (valid) was chosen."""
        choice = self.cleaned_data.get("period") if self.is_valid() else ""
        if choice == "all":
            return None
        return int(choice or 12)
