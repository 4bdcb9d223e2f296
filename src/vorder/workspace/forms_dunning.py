"""Forms of the dunning screens: they read what the credit manager typed into plain values.

Nothing here judges a policy: the forms turn the editor's fields into a ``PolicyDraft``, and
``dunning.services.policy_draft_problems`` says what is wrong with it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from vorder.domain.money import parse_amount
from vorder.dunning.models import AfterLast, LegalStep, LevelChannel, Policy, Trigger
from vorder.dunning.services import LevelDraft, PolicyDraft, RuleDraft
from vorder.ledger.models import Customer


class AmountField(forms.CharField):
    """An amount as people write it ('40', '40,00', '1.250,00'), returned in cents."""

    def to_python(self, value: Any) -> int:  # type: ignore[override]
        text = (super().to_python(value) or "").strip()
        if not text:
            return 0
        try:
            amount = parse_amount(text)
        except (InvalidOperation, ValueError) as error:
            raise ValidationError(_("Enter an amount, for example 40,00.")) from error
        if amount < 0:
            raise ValidationError(_("The amount cannot be negative."))
        return int((amount * 100).to_integral_value())


def amount_text(minor: int) -> str:
    """Cents back to what the field shows: 4000 → '40.00'."""
    return f"{Decimal(minor) / 100:.2f}"


class PolicyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("How you call this policy, e.g. 'Consumers NL'."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    min_overdue = AmountField(
        label=_("Minimum overdue amount"),
        required=False,
        help_text=_("No reminder at all while a customer owes less than this overdue."),
    )
    min_days_between_messages = forms.IntegerField(
        label=_("Minimum days between two messages"),
        min_value=0,
        max_value=365,
        help_text=_("A customer never gets two messages closer together than this."),
    )
    after_last = forms.ChoiceField(
        label=_("After the last level"),
        choices=AfterLast.choices,
        help_text=_("What happens when the last level has not helped."),
    )
    after_last_days = forms.IntegerField(
        label=_("Days after the last level"),
        min_value=1,
        max_value=365,
        help_text=_("How long to wait after the last level before that."),
    )
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("A policy not in use is skipped by the rules and the run."),
    )

    @classmethod
    def initial_for(cls, policy: Policy) -> dict[str, Any]:
        return {
            "name": policy.name,
            "description": policy.description,
            "min_overdue": amount_text(policy.min_overdue_minor),
            "min_days_between_messages": policy.min_days_between_messages,
            "after_last": policy.after_last,
            "after_last_days": policy.after_last_days,
            "is_active": policy.is_active,
        }


class LevelForm(forms.Form):
    position = forms.IntegerField(
        label=_("Step"), min_value=1, max_value=99, help_text=_("Change the number to reorder.")
    )
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. 'First reminder'."))
    key = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Short code without spaces, used in reports: 'reminder'."),
    )
    trigger = forms.ChoiceField(label=_("Counts from"), choices=Trigger.choices)
    days = forms.IntegerField(
        label=_("Days"),
        min_value=-60,
        max_value=365,
        help_text=_("Negative with 'after the due date': a friendly notice before it is due."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=LevelChannel.choices)
    template_key = forms.ChoiceField(
        label=_("Message"), help_text=_("Which text is sent; edit the texts under Messages.")
    )
    add_interest = forms.BooleanField(label=_("Add statutory interest"), required=False)
    add_costs = forms.BooleanField(label=_("Add collection costs"), required=False)
    min_overdue = AmountField(
        label=_("Minimum overdue"), required=False, help_text=_("Skip this level below this.")
    )
    needs_approval = forms.BooleanField(
        label=_("Needs approval"),
        required=False,
        help_text=_("Waits in the approval queue for a credit manager."),
    )
    legal_step = forms.ChoiceField(
        label=_("Legal step"),
        choices=LegalStep.choices,
        required=False,
        help_text=_("The law counts from this step, so it is recorded per invoice."),
    )

    def __init__(self, *args: Any, template_keys: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keys = list(template_keys or [])
        current = self.initial.get("template_key")
        if current and current not in keys:
            keys.append(current)
        field = self.fields["template_key"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, k) for k in keys]

    def draft(self) -> LevelDraft:
        data = self.cleaned_data
        return LevelDraft(
            key=data["key"],
            name=data["name"],
            trigger=data["trigger"],
            days=data["days"],
            channel=data["channel"],
            template_key=data["template_key"],
            add_interest=data["add_interest"],
            add_costs=data["add_costs"],
            min_overdue_minor=data["min_overdue"],
            needs_approval=data["needs_approval"],
            legal_step=data["legal_step"] or "",
        )


class RuleForm(forms.Form):
    priority = forms.IntegerField(
        label=_("Priority"), min_value=0, max_value=9999, help_text=_("Lower goes first.")
    )
    kind = forms.ChoiceField(
        label=_("Customer kind"),
        required=False,
        choices=[("", _("any"))] + list(Customer.Kind.choices),
    )
    country = forms.CharField(label=_("Country"), max_length=2, required=False)
    segment = forms.CharField(label=_("Segment"), max_length=60, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=60, required=False)
    risk_class = forms.CharField(label=_("Risk class"), max_length=10, required=False)

    def draft(self) -> RuleDraft:
        data = self.cleaned_data
        return RuleDraft(
            priority=data["priority"],
            kind=data["kind"] or "",
            country=(data["country"] or "").upper(),
            segment=data["segment"] or "",
            tag=data["tag"] or "",
            risk_class=data["risk_class"] or "",
        )


LevelFormSet = forms.formset_factory(LevelForm, extra=0, can_delete=True)
RuleFormSet = forms.formset_factory(RuleForm, extra=0, can_delete=True)


def level_initial(policy: Policy) -> list[dict[str, Any]]:
    return [
        {
            "position": lvl.order,
            "name": lvl.name,
            "key": lvl.key,
            "trigger": lvl.trigger,
            "days": lvl.days,
            "channel": lvl.channel,
            "template_key": lvl.template_key,
            "add_interest": lvl.add_interest,
            "add_costs": lvl.add_costs,
            "min_overdue": amount_text(lvl.min_overdue_minor),
            "needs_approval": lvl.needs_approval,
            "legal_step": lvl.legal_step,
        }
        for lvl in policy.levels.order_by("order")
    ]


def rule_initial(policy: Policy) -> list[dict[str, Any]]:
    return [
        {
            "priority": r.priority,
            "kind": r.kind,
            "country": r.country,
            "segment": r.segment,
            "tag": r.tag,
            "risk_class": r.risk_class,
        }
        for r in policy.rules.order_by("priority", "id")
    ]


def policy_draft(
    policy_form: PolicyForm, levels: forms.BaseFormSet[Any], rules: forms.BaseFormSet[Any]
) -> PolicyDraft | None:
    """The draft the three valid forms describe (levels in step order), or None if any is not."""
    if not (policy_form.is_valid() and levels.is_valid() and rules.is_valid()):
        return None
    kept = [
        (f.cleaned_data["position"], i, f)
        for i, f in enumerate(levels.forms)
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
    data = policy_form.cleaned_data
    return PolicyDraft(
        name=data["name"],
        description=data["description"],
        after_last=data["after_last"],
        after_last_days=data["after_last_days"],
        min_overdue_minor=data["min_overdue"],
        min_days_between_messages=data["min_days_between_messages"],
        is_active=data["is_active"],
        levels=tuple(f.draft() for _pos, _i, f in sorted(kept, key=lambda t: (t[0], t[1]))),
        rules=tuple(
            f.draft() for f in rules.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ),
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        required=False,
        help_text=_("Email subject and letter heading."),
    )
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text=_(
            "Plain text. Blank lines separate paragraphs; {{ customer.name }} and the like are "
            "filled in; a line [[table]] places the overview of the items."
        ),
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why not?"),
        max_length=500,
        help_text=_("Kept with the decision, so the next person knows."),
    )


class RunForm(forms.Form):
    run_date = forms.DateField(
        label=_("Run date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
