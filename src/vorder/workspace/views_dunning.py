"""The dunning screens: policies, message texts, the run, approvals, the outbox, the customer panel.

Each view parses the request, calls one dunning or comms selector/service, and renders. Credit
managers change policies and texts, start runs and approve; collectors may "send a reminder now";
read-only users look. The rules themselves live in ``vorder.dunning`` and ``vorder.comms``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from vorder.common.roles import CREDIT_MANAGER, role_of
from vorder.comms.models import Message, MessageChannel, MessageLanguage, MessageTemplate
from vorder.comms.pdf import letter_pdf
from vorder.comms.rendering import render_template
from vorder.comms.selectors import message_templates_overview, messages_list
from vorder.comms.services import TemplateError, message_template_reset, message_template_save
from vorder.dunning.models import DunningDecision, Policy
from vorder.dunning.selectors import (
    approval_queue,
    customer_decisions,
    customer_ladder,
    dunning_runs,
    policies_overview,
    policy_for_customer,
    preview_customers,
    template_preview_context,
)
from vorder.dunning.services import (
    DunningError,
    PolicyProblems,
    dunning_decision_approve,
    dunning_decision_reject,
    dunning_run_execute,
    dunning_send_now,
    policies_install_defaults,
    policy_draft_problems,
    policy_problems_for,
    policy_update,
)
from vorder.ledger.models import Creditor, Customer
from vorder.workspace.access import Workspace, workspace_state, workspace_view
from vorder.workspace.forms_dunning import (
    LevelFormSet,
    PolicyForm,
    RejectForm,
    RuleFormSet,
    RunForm,
    TemplateForm,
    level_initial,
    policy_draft,
    rule_initial,
)

View = Callable[..., HttpResponse]

# A stored or previewed email is shown in a frame: no scripts, nothing fetched from elsewhere.
EMAIL_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def manager_only(view: View) -> View:
    """Changes only a credit manager makes (policies, texts, runs, approvals): others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if role_of(request.user) != CREDIT_MANAGER:
            raise PermissionDenied(_("Only a credit manager can do this."))
        return view(request, *args, **kwargs)

    return wrapper


def _as_of_query(ws: Workspace) -> str:
    return f"?as_of={ws.as_of:%Y-%m-%d}" if ws.as_of_given else ""


def _back(request: HttpRequest, name: str, *args: Any) -> HttpResponse:
    """Redirect to a page, keeping the reader's ``as_of``."""
    ws = workspace_state(request)
    return redirect(reverse(name, args=args) + _as_of_query(ws))


def _need_creditor(request: HttpRequest, ws: Workspace, title: str) -> HttpResponse:
    return render(request, "workspace/dunning/choose_creditor.html", {"ws": ws, "title": title})


def _staff(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in user (the decorators have made sure there is one)."""
    assert isinstance(request.user, AbstractBaseUser)
    return request.user


def _is_manager(request: HttpRequest) -> bool:
    return role_of(request.user) == CREDIT_MANAGER


# -- policies ---------------------------------------------------------------------------------


@workspace_view()
def policy_list(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Credit policies"))
    policies = policies_overview(creditor=ws.creditor)
    rows = [{"policy": p, "problems": policy_problems_for(p)} for p in policies]
    context = {"ws": ws, "rows": rows, "is_manager": _is_manager(request)}
    return render(request, "workspace/dunning/policy_list.html", context)


@workspace_view(acts=True)
@manager_only
def policies_install(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        raise Http404
    installed = policies_install_defaults(creditor=ws.creditor)
    messages.success(
        request,
        _("The shipped policies for %(country)s are in place (%(count)d).")
        % {"country": ws.creditor.country, "count": len(installed)},
    )
    return _back(request, "workspace:dunning_policies")


def _template_keys(creditor: Creditor) -> list[str]:
    return sorted({row["key"] for row in message_templates_overview(creditor=creditor)})


def _policy_forms(
    request: HttpRequest, policy: Policy, *, bound: bool
) -> tuple[PolicyForm, Any, Any]:
    # the shipped and own texts, plus what the policy already names (a phone task's 'call')
    keys = sorted(
        set(_template_keys(policy.creditor))
        | set(policy.levels.values_list("template_key", flat=True))
    )
    if not bound:
        return (
            PolicyForm(initial=PolicyForm.initial_for(policy)),
            LevelFormSet(
                prefix="levels",
                initial=level_initial(policy),
                form_kwargs={"template_keys": keys},
            ),
            RuleFormSet(prefix="rules", initial=rule_initial(policy)),
        )
    data = request.POST.copy()
    # "Add a level" / "Add a rule": one more empty row, nothing saved.
    for prefix in ("levels", "rules"):
        if f"add_{prefix}" in data:
            total = int(data.get(f"{prefix}-TOTAL_FORMS") or 0)
            data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
            if prefix == "levels":
                data[f"levels-{total}-position"] = str(total + 1)
                data[f"levels-{total}-trigger"] = "after_previous"
                data[f"levels-{total}-days"] = "14"
            else:
                data[f"rules-{total}-priority"] = str(100 + 10 * total)
    return (
        PolicyForm(data),
        LevelFormSet(data, prefix="levels", form_kwargs={"template_keys": keys}),
        RuleFormSet(data, prefix="rules"),
    )


def _editor_context(
    ws: Workspace, policy: Policy, forms: tuple[PolicyForm, Any, Any], problems: list[str] | None
) -> dict[str, Any]:
    policy_form, levels, rules = forms
    return {
        "ws": ws,
        "policy": policy,
        "form": policy_form,
        "levels": levels,
        "rules": rules,
        "problems": problems,
    }


def _draft_problems(policy: Policy, forms: tuple[PolicyForm, Any, Any]) -> list[str] | None:
    """The policy's problems as drafted; None while a field cannot be read (errors show there)."""
    draft = policy_draft(*forms)
    if draft is None:
        return None
    return policy_draft_problems(creditor=policy.creditor, draft=draft)


@workspace_view()
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The policy editor. GET shows it; POST (credit managers) saves, or adds a row."""
    ws = workspace_state(request)
    policy = get_object_or_404(Policy.objects.select_related("creditor"), pk=pk)
    if request.method != "POST":
        forms = _policy_forms(request, policy, bound=False)
        context = _editor_context(ws, policy, forms, policy_problems_for(policy))
        context["can_edit"] = _is_manager(request)
        return render(request, "workspace/dunning/policy_edit.html", context)
    if not _is_manager(request):
        raise PermissionDenied(_("Only a credit manager can do this."))
    forms = _policy_forms(request, policy, bound=True)
    adding = "add_levels" in request.POST or "add_rules" in request.POST
    problems = _draft_problems(policy, forms)
    if not adding and problems == []:
        draft = policy_draft(*forms)
        assert draft is not None
        try:
            policy_update(policy=policy, draft=draft)
        except PolicyProblems as error:
            problems = error.problems
        else:
            messages.success(request, _("Policy %(name)s saved.") % {"name": draft.name})
            return _back(request, "workspace:dunning_policies")
    context = _editor_context(ws, policy, forms, problems)
    context["can_edit"] = True
    context["not_saved"] = not adding
    status = 200 if adding else 422
    if getattr(request, "htmx", None):
        return render(
            request, "workspace/dunning/policy_edit.html#policy-editor", context, status=status
        )
    return render(request, "workspace/dunning/policy_edit.html", context, status=status)


@workspace_view()
def policy_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Live check while editing (htmx): the problems of the policy as it stands in the form."""
    ws = workspace_state(request)
    policy = get_object_or_404(Policy.objects.select_related("creditor"), pk=pk)
    if request.method != "POST":
        return _back(request, "workspace:dunning_policy_edit", pk)
    forms = _policy_forms(request, policy, bound=True)
    context = _editor_context(ws, policy, forms, _draft_problems(policy, forms))
    return render(request, "workspace/dunning/policy_edit.html#policy-problems", context)


# -- message templates ------------------------------------------------------------------------


@workspace_view()
def template_list(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Message texts"))
    rows = message_templates_overview(creditor=ws.creditor)
    language = request.GET.get("language", "")
    channel = request.GET.get("channel", "")
    if language:
        rows = [r for r in rows if r["language"] == language]
    if channel:
        rows = [r for r in rows if r["channel"] == channel]
    context = {
        "ws": ws,
        "rows": rows,
        "languages": MessageLanguage.choices,
        "channels": MessageChannel.choices,
        "language": language,
        "channel": channel,
    }
    return render(request, "workspace/dunning/template_list.html", context)


def _template_row(creditor: Creditor, key: str, channel: str, language: str) -> dict[str, Any]:
    rows = [
        r
        for r in message_templates_overview(creditor=creditor)
        if (r["key"], r["channel"], r["language"]) == (key, channel, language)
    ]
    if not rows:
        raise Http404
    return rows[0]


@workspace_view()
def template_edit(request: HttpRequest, key: str, channel: str, language: str) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Message texts"))
    row = _template_row(ws.creditor, key, channel, language)
    current: MessageTemplate = row["own"] or row["shipped"]
    if request.method == "POST":
        if not _is_manager(request):
            raise PermissionDenied(_("Only a credit manager can do this."))
        if "reset" in request.POST:
            message_template_reset(
                creditor=ws.creditor, key=key, channel=channel, language=language
            )
            messages.success(request, _("The shipped text applies again."))
            return _back(request, "workspace:dunning_template", key, channel, language)
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                message_template_save(
                    creditor=ws.creditor, key=key, channel=channel, language=language,
                    subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                )  # fmt: skip
            except TemplateError as error:
                form.add_error("body", str(error))
            else:
                messages.success(request, _("Your text is saved and used from now on."))
                return _back(request, "workspace:dunning_template", key, channel, language)
    else:
        form = TemplateForm(initial={"subject": current.subject, "body": current.body})
    customers = preview_customers(creditor=ws.creditor)
    context = {
        "ws": ws,
        "row": row,
        "template": current,
        "form": form,
        "customers": customers,
        "can_edit": _is_manager(request),
        "channel_label": MessageChannel(channel).label,
        "language_label": MessageLanguage(language).label,
    }
    return render(request, "workspace/dunning/template_edit.html", context)


def _draft_template(
    creditor: Creditor, key: str, channel: str, language: str, data: Any
) -> MessageTemplate:
    """The template as it stands in the editor (not saved), for the preview."""
    row = _template_row(creditor, key, channel, language)
    base: MessageTemplate = row["own"] or row["shipped"]
    return MessageTemplate(
        creditor=creditor,
        key=key,
        channel=channel,
        language=language,
        subject=data.get("subject", base.subject),
        body=data.get("body", base.body),
        table=base.table,
        registered=base.registered,
    )


def _preview_customer(creditor: Creditor, data: Any) -> Customer | None:
    raw = data.get("customer") or ""
    if not raw.isdigit():
        found = preview_customers(creditor=creditor, limit=1)
        return found[0] if found else None
    return (
        Customer.objects.filter(creditor=creditor, pk=int(raw)).select_related("creditor").first()
    )


@workspace_view()
def template_preview(request: HttpRequest, key: str, channel: str, language: str) -> HttpResponse:
    """Live preview (htmx): the text as the editor holds it, with a real customer's data."""
    ws = workspace_state(request)
    if ws.creditor is None:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    template = _draft_template(ws.creditor, key, channel, language, data)
    customer = _preview_customer(ws.creditor, data)
    context: dict[str, Any] = {"ws": ws, "template": template, "customer": customer}
    if customer is not None:
        ctx = template_preview_context(customer=customer, as_of=ws.as_of, language=language)
        try:
            context["rendered"] = render_template(template=template, context=ctx)
        except Exception as error:  # a half-typed {% if %}: say so instead of failing the page
            context["error"] = str(error)
        query = {"customer": str(customer.pk), "subject": template.subject, "body": template.body}
        if ws.as_of_given:
            query["as_of"] = ws.as_of.isoformat()
        fmt = "pdf" if channel == MessageChannel.LETTER else "html"
        context["document_url"] = (
            reverse("workspace:dunning_template_document", args=[key, channel, language, fmt])
            + "?"
            + urlencode(query)
        )
    return render(request, "workspace/dunning/template_edit.html#template-preview", context)


@xframe_options_sameorigin
@workspace_view()
def template_preview_document(
    request: HttpRequest, key: str, channel: str, language: str, fmt: str
) -> HttpResponse:
    """The text as the editor holds it, for the preview's frame: a letter as PDF, an email as
    its HTML (sandboxed: no scripts, nothing fetched)."""
    ws = workspace_state(request)
    if ws.creditor is None:
        raise Http404
    template = _draft_template(ws.creditor, key, channel, language, request.GET)
    customer = _preview_customer(ws.creditor, request.GET)
    if customer is None:
        raise Http404
    ctx = template_preview_context(customer=customer, as_of=ws.as_of, language=language)
    try:
        rendered = render_template(template=template, context=ctx)
    except Exception as error:
        return HttpResponse(str(error), status=422, content_type="text/plain; charset=utf-8")
    if fmt == "html":
        response = HttpResponse(rendered.html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = EMAIL_CSP
        return response
    response = HttpResponse(letter_pdf(rendered.html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{key}-{language}.pdf"'
    return response


# -- the run ----------------------------------------------------------------------------------


@workspace_view()
def run_page(request: HttpRequest) -> HttpResponse:
    """Preview a run for a date (dry run) and start it; the runs so far below."""
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Dunning run"))
    form = RunForm(request.GET if "run_date" in request.GET else None)
    preview = None
    if form.is_bound and form.is_valid():
        preview = dunning_run_execute(
            creditor=ws.creditor, as_of=form.cleaned_data["run_date"], dry_run=True
        )
    elif not form.is_bound:
        form = RunForm(initial={"run_date": ws.as_of})
    context = {
        "ws": ws,
        "form": form,
        "preview": preview,
        "totals": preview.totals() if preview else None,
        "per_level": [
            (*key.split("/", 1), n)
            for key, n in (preview.totals()["by_level_and_channel"] if preview else {}).items()
        ],
        "runs": dunning_runs(creditor=ws.creditor),
        "is_manager": _is_manager(request),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "run-preview":
        return render(request, "workspace/dunning/run.html#run-preview", context)
    return render(request, "workspace/dunning/run.html", context)


@workspace_view(acts=True)
@manager_only
def run_start(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        raise Http404
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the run date as YYYY-MM-DD."))
        return _back(request, "workspace:dunning_run")
    result = dunning_run_execute(
        creditor=ws.creditor,
        as_of=form.cleaned_data["run_date"],
        started_by=request.user.get_username(),
    )
    totals = result.totals()
    messages.success(
        request,
        _("Run done: %(actions)d action(s), %(pending)d waiting for approval, %(skipped)d skipped.")
        % {
            "actions": totals["actions"],
            "pending": totals["pending_approval"],
            "skipped": totals["skipped"],
        },
    )
    return _back(request, "workspace:dunning_run")


# -- approvals --------------------------------------------------------------------------------


@workspace_view()
def approvals(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    context = {
        "ws": ws,
        "decisions": list(approval_queue(creditor=ws.creditor)),
        "is_manager": _is_manager(request),
        "reject_form": RejectForm(),
        "lang": (get_language() or "en")[:2],
    }
    return render(request, "workspace/dunning/approvals.html", context)


def _waiting(pk: int) -> DunningDecision:
    return get_object_or_404(DunningDecision.objects.select_related("customer", "creditor"), pk=pk)


@workspace_view(acts=True)
@manager_only
def decision_approve(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    decision = _waiting(pk)
    try:
        dunning_decision_approve(decision=decision, user=_staff(request), as_of=ws.as_of)
    except DunningError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Approved: %(level)s for %(customer)s is on its way.")
            % {"level": decision.level_name or decision.action, "customer": decision.customer.name},
        )
    return _back(request, "workspace:dunning_approvals")


@workspace_view(acts=True)
@manager_only
def decision_reject(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _waiting(pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you reject this step."))
        return _back(request, "workspace:dunning_approvals")
    try:
        dunning_decision_reject(
            decision=decision, user=_staff(request), note=form.cleaned_data["note"]
        )
    except DunningError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Rejected: %(level)s for %(customer)s will not be sent.")
            % {"level": decision.level_name or decision.action, "customer": decision.customer.name},
        )
    return _back(request, "workspace:dunning_approvals")


# -- the outbox -------------------------------------------------------------------------------


@workspace_view()
def outbox(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    if status not in Message.Status.values:
        status = ""
    if channel not in MessageChannel.values:
        channel = ""
    context = {
        "ws": ws,
        "messages_sent": messages_list(creditor=ws.creditor, status=status, channel=channel),
        "statuses": Message.Status.choices,
        "channels": MessageChannel.choices,
        "status": status,
        "channel": channel,
    }
    return render(request, "workspace/dunning/outbox.html", context)


@workspace_view()
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Exactly what was sent: the stored subject, text, HTML and PDF, and what happened to it."""
    ws = workspace_state(request)
    message = get_object_or_404(
        Message.objects.select_related("customer", "creditor", "contact"), pk=pk
    )
    context = {"ws": ws, "message": message, "events": list(message.events.all())}
    return render(request, "workspace/dunning/message_detail.html", context)


@xframe_options_sameorigin
@workspace_view()
def message_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message, pk=pk)
    if not message.pdf:
        raise Http404
    return FileResponse(  # type: ignore[return-value]  # streamed, but a response all the same
        message.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment="download" in request.GET,
        filename=f"{message.template_key}-{message.pk}.pdf",
    )


@xframe_options_sameorigin
@workspace_view()
def message_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored HTML of an email, for the copy's frame (sandboxed in the page)."""
    message = get_object_or_404(Message, pk=pk)
    response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    )
    return response


# -- the customer panel -----------------------------------------------------------------------


def _panel_context(request: HttpRequest, ws: Workspace, customer: Customer) -> dict[str, Any]:
    return {
        "ws": ws,
        "customer": customer,
        "policy": policy_for_customer(customer=customer),
        "ladder": customer_ladder(customer=customer),
        "decisions": customer_decisions(customer=customer, limit=20),
        "customer_messages": messages_list(creditor=None, customer=customer, limit=20),
        "lang": (get_language() or "en")[:2],
    }


@workspace_view()
def customer_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The dunning panel of the customer page, loaded with hx-get (also a page of its own)."""
    ws = workspace_state(request)
    customer = get_object_or_404(Customer.objects.select_related("creditor"), pk=pk)
    context = _panel_context(request, ws, customer)
    if getattr(request, "htmx", None):
        return render(request, "workspace/dunning/_customer_panel.html", context)
    return render(request, "workspace/dunning/customer_panel_page.html", context)


@workspace_view(acts=True)
def customer_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Send a reminder now": the same rules as the run; the panel shows what happened."""
    ws = workspace_state(request)
    customer = get_object_or_404(Customer.objects.select_related("creditor"), pk=pk)
    result = dunning_send_now(
        customer=customer, as_of=ws.as_of, started_by=request.user.get_username()
    )
    context = _panel_context(request, ws, customer)
    context["send_result"] = result
    if getattr(request, "htmx", None):
        return render(request, "workspace/dunning/_customer_panel.html", context)
    return render(request, "workspace/dunning/customer_panel_page.html", context)
