"""The collector's pages and actions: the worklist, and what a collector does on the customer
page (log a call, promise, arrangement, dispute, statement, contact details).

Views parse the form, call one cases / ledger / comms service and go back to the customer page
with a message (POST, redirect, GET: a reload never repeats an action). Errors of the services
(``CaseError``) are shown to the reader as they are: they name what is wrong.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vorder.cases.models import Dispute, PaymentArrangement, Task
from vorder.cases.services import (
    ArrangementLimits,
    CallAnswers,
    CaseError,
    DisputeInput,
    FollowUpInput,
    InstalmentInput,
    PromiseInput,
    arrangement_approve,
    arrangement_create,
    call_log,
    dispute_open,
    dispute_reject,
    dispute_resolve_credit_note,
    dispute_withdraw,
    promise_register,
    task_complete,
)
from vorder.common.roles import COLLECTOR
from vorder.comms.models import Message
from vorder.comms.rendering import message_render
from vorder.comms.selectors import (
    customer_has_postal_address,
    invoice_documents,
    message_context_base,
    postal_address_block,
)
from vorder.comms.services import OutboxError, OutgoingMessage, messages_enqueue
from vorder.domain.cases import split_evenly
from vorder.domain.money import Money
from vorder.dunning.selectors import policy_for_customer
from vorder.ledger.models import Customer
from vorder.ledger.services.customers import (
    ContactPreferencesError,
    customer_contact_preferences_update,
)
from vorder.workspace.access import workspace_state, workspace_view
from vorder.workspace.forms_cases import (
    ArrangementForm,
    CallForm,
    ContactPreferencesForm,
    DisputeForm,
    DisputeResolveForm,
    PromiseForm,
    StatementSendForm,
    WorklistFilterForm,
)
from vorder.workspace.selectors import collectors, segments, worklist

DEFAULT_LIMITS = ArrangementLimits(max_months=6, min_instalment_minor=5000)


def _back(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Back to the customer page, keeping the reader's date."""
    url = reverse("workspace:customer_detail", args=[customer_id])
    as_of = request.GET.get("as_of") or request.POST.get("as_of")
    return redirect(f"{url}?as_of={as_of}" if as_of else url)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


def _policy(customer: Customer) -> tuple[ArrangementLimits, int]:
    """The customer's dunning policy: arrangement limits and promise grace days."""
    policy = policy_for_customer(customer=customer)
    if policy is None:
        return DEFAULT_LIMITS, 3
    return (
        ArrangementLimits(policy.arrangement_max_months, policy.arrangement_min_instalment_minor),
        policy.promise_grace_days,
    )


def _customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.select_related("creditor"), pk=pk)


# -- the worklist ------------------------------------------------------------------------------
@workspace_view()
def worklist_page(request: HttpRequest) -> HttpResponse:
    """The collector's start page: today's tasks, then the customers most worth a call."""
    ws = workspace_state(request)
    staff = collectors()
    in_use = segments(creditor=ws.creditor)  # read once: it reads every customer
    form = WorklistFilterForm(request.GET or None, collectors=staff, segments=in_use)
    chosen = form.cleaned_data if form.is_valid() else {}
    collector: Any = None
    if ws.role == COLLECTOR and "collector" not in request.GET:
        collector = request.user  # a collector starts with their own portfolio
    elif chosen.get("collector"):
        collector = get_user_model().objects.filter(pk=chosen["collector"]).first()
    if collector is not None and not form.is_bound:
        form = WorklistFilterForm(
            initial={"collector": str(collector.pk)},
            collectors=staff,
            segments=in_use,
        )
    elif collector is not None:
        form.data = form.data.copy()
        form.data["collector"] = str(collector.pk)
    work = worklist(
        creditor=ws.creditor,
        as_of=ws.as_of,
        collector=collector,
        segment=chosen.get("segment") or "",
    )
    context = {"ws": ws, "form": form, "work": work, "collector": collector}
    htmx = getattr(request, "htmx", None)
    template = "workspace/cases/worklist.html"
    if htmx and htmx.target == "worklist":
        template += "#worklist"
    return render(request, template, context)


@workspace_view(acts=True)
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a task done; from the worklist (htmx: the line goes) or the customer page."""
    ws = workspace_state(request)
    task = get_object_or_404(Task, pk=pk)
    try:
        task_complete(
            task=task, user=request.user, as_of=ws.as_of, note=request.POST.get("note", "")
        )
    except CaseError as error:
        messages.error(request, str(error))
    if getattr(request, "htmx", None):
        return HttpResponse("")
    if request.POST.get("next") == "worklist":
        return redirect(
            reverse("workspace:worklist") + (f"?as_of={ws.as_of}" if ws.as_of_given else "")
        )
    return _back(request, task.customer_id)


# -- the customer page's actions -----------------------------------------------------------------
@workspace_view(acts=True)
def call_log_create(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    customer = _customer(pk)
    form = CallForm(request.POST, customer=customer)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    data = form.cleaned_data
    _limits, grace = _policy(customer)
    currency = customer.creditor.currency
    promise = dispute = follow_up = None
    if data["then"] == "promise":
        promise = PromiseInput(
            invoices=list(data["invoices"]),
            promised_date=data["promised_date"],
            amount=Money(data["amount"], currency) if data["amount"] else None,
            grace_days=grace,
        )
    elif data["then"] == "dispute":
        dispute = DisputeInput(
            invoices=list(data["invoices"]), reason=data["reason"], description=data["notes"]
        )
    if data["follow_up_on"]:
        follow_up = FollowUpInput(due_date=data["follow_up_on"], reason=data["follow_up_reason"])
    try:
        call_log(
            creditor=customer.creditor,
            customer=customer,
            user=request.user,
            at=timezone.make_aware(datetime.combine(ws.as_of, timezone.localtime().time()))
            if ws.as_of_given
            else timezone.now(),
            outcome=data["outcome"],
            as_of=ws.as_of,
            contact=data["contact"],
            answers=CallAnswers(
                satisfied=data["satisfied"],
                satisfied_note=data["satisfied_note"],
                payment_intent=data["payment_intent"],
                obstacles=data["obstacles"],
                right_contact=data["right_contact"],
                new_contact=data["new_contact"],
            ),
            notes=data["notes"],
            promise=promise,
            dispute=dispute,
            follow_up=follow_up,
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Call logged."))
    return _back(request, pk)


@workspace_view(acts=True)
def promise_create(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    customer = _customer(pk)
    form = PromiseForm(request.POST, customer=customer)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    data = form.cleaned_data
    _limits, grace = _policy(customer)
    try:
        promise_register(
            creditor=customer.creditor,
            customer=customer,
            invoices=list(data["invoices"]),
            promised_date=data["promised_date"],
            as_of=ws.as_of,
            amount=Money(data["amount"], customer.creditor.currency) if data["amount"] else None,
            taken_by=request.user,
            note=data["note"],
            grace_days=grace,
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Promise to pay registered: dunning waits for it."))
    return _back(request, pk)


@workspace_view(acts=True)
def arrangement_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Agree an arrangement: within the policy's limits it is active at once and confirmed in
    writing; beyond them it waits for a credit manager (unless one is agreeing it)."""
    ws = workspace_state(request)
    customer = _customer(pk)
    form = ArrangementForm(request.POST, customer=customer)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    data = form.cleaned_data
    currency = customer.creditor.currency
    invoices = list(data["invoices"])
    limits, grace = _policy(customer)
    down = (
        InstalmentInput(data["down_payment_due"], Money(data["down_payment"], currency))
        if data["down_payment"]
        else None
    )
    rest = sum(i.open_minor for i in invoices) - (down.amount.minor if down else 0)
    try:
        schedule = split_evenly(
            total_minor=rest, count=data["instalments"], first_due=data["first_due"]
        )
        arrangement = arrangement_create(
            creditor=customer.creditor,
            customer=customer,
            invoices=invoices,
            instalments=[
                InstalmentInput(i.due_date, Money.from_minor(i.amount_minor, currency))
                for i in schedule
            ],
            down_payment=down,
            as_of=ws.as_of,
            user=request.user,
            limits=limits,
            interest_costs=data["interest_costs"],
            grace_days=grace,
            note=data["note"],
        )
    except (CaseError, ValueError) as error:
        messages.error(request, str(error))
        return _back(request, pk)
    if arrangement.status == PaymentArrangement.Status.AWAITING_APPROVAL:
        messages.warning(
            request,
            _("Beyond the policy's limits (%(why)s): waiting for the credit manager's approval.")
            % {"why": arrangement.beyond_limits},
        )
    else:
        messages.success(request, _("Payment arrangement agreed; the confirmation is queued."))
    return _back(request, pk)


@workspace_view(acts=True)
def arrangement_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    arrangement = get_object_or_404(PaymentArrangement, pk=pk)
    try:
        arrangement_approve(arrangement=arrangement, user=request.user, as_of=ws.as_of)
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Arrangement approved; the confirmation is queued."))
    return _back(request, arrangement.customer_id)


@workspace_view(acts=True)
def dispute_create(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    customer = _customer(pk)
    form = DisputeForm(request.POST, customer=customer)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    data = form.cleaned_data
    try:
        dispute_open(
            creditor=customer.creditor,
            customer=customer,
            invoices=list(data["invoices"]),
            reason=data["reason"],
            as_of=ws.as_of,
            description=data["description"],
            owner=request.user,
            decision_due=data["decision_due"],
            opened_by=request.user,
        )
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Dispute opened: its invoices leave dunning until decided."))
    return _back(request, pk)


@workspace_view(acts=True)
def dispute_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    dispute = get_object_or_404(Dispute.objects.select_related("creditor"), pk=pk)
    form = DisputeResolveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, dispute.customer_id)
    data = form.cleaned_data
    try:
        if data["outcome"] in ("credit_full", "credit_partial"):
            amount = (
                Money(data["amount"], dispute.creditor.currency)
                if data["outcome"] == "credit_partial"
                else None
            )
            dispute_resolve_credit_note(
                dispute=dispute, as_of=ws.as_of, user=request.user, amount=amount, note=data["note"]
            )
        elif data["outcome"] == "reject":
            dispute_reject(dispute=dispute, as_of=ws.as_of, user=request.user, note=data["note"])
        else:
            dispute_withdraw(dispute=dispute, as_of=ws.as_of, user=request.user, note=data["note"])
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Dispute decided."))
    return _back(request, dispute.customer_id)


@workspace_view(acts=True)
def statement_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Prepare the call: queue the statement of account, with copies of the chosen invoices."""
    ws = workspace_state(request)
    customer = _customer(pk)
    form = StatementSendForm(request.POST, customer=customer)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    channel = form.cleaned_data["channel"]
    numbers = [i.number for i in form.cleaned_data["invoices"]]
    contact = customer.contacts.filter(is_active=True).order_by("id").first()
    language = (contact.language if contact and contact.language else "") or customer.language
    if channel == "email":
        recipient = (contact.email if contact and contact.email else "") or customer.email
    elif customer_has_postal_address(customer):
        recipient = postal_address_block(
            customer=customer, contact=contact, home_country=customer.creditor.country,
            language=language,
        )  # fmt: skip
    else:
        recipient = ""
    if not recipient:
        messages.error(request, _("No address for this channel: add one first."))
        return _back(request, pk)
    context = message_context_base(
        creditor=customer.creditor,
        customer=customer,
        contact=contact,
        items=numbers or None,
        as_of=ws.as_of,
        language=language,
    )
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    try:
        with transaction.atomic():
            messages_enqueue(
                messages=[
                    OutgoingMessage(
                        creditor=customer.creditor,
                        customer=customer,
                        channel=channel,
                        recipient=recipient,
                        language=language,
                        template_key="statement",
                        context=context,
                        idempotency_key=f"statement:{customer.pk}:{ws.as_of}:{stamp}",
                        contact=contact,
                        attachments=invoice_documents(creditor=customer.creditor, numbers=numbers),
                    )
                ]
            )
    except OutboxError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Statement queued for sending to %(to)s.") % {"to": recipient})
    return _back(request, pk)


@workspace_view(acts=True)
def contact_preferences(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(pk)
    form = ContactPreferencesForm(request.POST, customer=customer)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(request, pk)
    data = form.cleaned_data
    person = data["contact"]
    try:
        customer_contact_preferences_update(
            customer=customer,
            preferred_channel=data["preferred_channel"],
            email=data["email"],
            phone=data["phone"],
            contact=person,
            contact_email=data["contact_email"] if person else None,
            contact_phone=data["contact_phone"] if person else None,
            contact_active=data["contact_active"] if person else None,
        )
    except ContactPreferencesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Contact details saved."))
    return _back(request, pk)


@workspace_view()
def message_copy(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """The copy of a message to this customer: what was sent, or (still queued) a preview."""
    ws = workspace_state(request)
    message = get_object_or_404(
        Message.objects.select_related("creditor", "customer"), pk=message_id, customer_id=pk
    )
    subject, html, text = message.subject, message.body_html, message.body_text
    preview = not (html or text)
    if preview:
        context = dict(message.context)
        if message.channel == "letter":
            context["recipient_block"] = message.recipient
        try:
            rendered = message_render(
                creditor=message.creditor,
                key=message.template_key,
                channel=message.channel,
                language=message.language,
                context=context,
            )
            subject, html, text = rendered.subject, rendered.html, rendered.text
        except Exception as error:  # a missing template must not hide the message row
            text = f"{error}"
    return render(
        request,
        "workspace/cases/message.html",
        {
            "ws": ws,
            "message": message,
            "customer": message.customer,
            "subject": subject,
            "html": html,
            "text": text,
            "preview": preview,
        },
    )
