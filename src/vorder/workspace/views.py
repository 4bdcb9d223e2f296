"""The staff workspace: pages parse the request, call a selector or service, and render.

Each page is one template; the parts htmx swaps (search results, the figures for another date,
the DSO trend) are named partials of that template, rendered alone when htmx asks for them.
"""

from __future__ import annotations

import calendar
import contextlib
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from vorder.cases.models import Dispute, PaymentArrangement
from vorder.cases.selectors import customer_cases
from vorder.common.roles import COLLECTOR, CREDIT_MANAGER
from vorder.ledger.models import Customer
from vorder.ledger.selectors import (
    aging_report,
    customer_open_items,
    customer_statement,
    dso,
    dso_trend,
)
from vorder.ledger.services.customers import CustomerHoldError, customer_hold, customer_release
from vorder.workspace.access import SESSION_CREDITOR, workspace_state, workspace_view
from vorder.workspace.charts import BUCKET_LABELS, aging_chart, trend_chart
from vorder.workspace.forms import (
    CreditorSwitchForm,
    CustomerSearchForm,
    HoldForm,
    StatementPeriodForm,
)
from vorder.workspace.forms_cases import (
    ArrangementForm,
    CallForm,
    ContactPreferencesForm,
    DisputeForm,
    DisputeResolveForm,
    PromiseForm,
    StatementSendForm,
)
from vorder.workspace.selectors import (
    arrangement_confirmations,
    cases_overview,
    customer_exposure,
    customer_search,
    customer_timeline,
    payment_behaviour,
)
from vorder.workspace.views_mandates import customer_mandates_context

TOP_OVERDUE = 10
CUSTOMERS_PER_PAGE = 25


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], partial: str = ""
) -> HttpResponse:
    """Render the whole page, or only ``partial`` when htmx asked to swap that element."""
    htmx = getattr(request, "htmx", None)
    if partial and htmx and htmx.target == partial:
        template = f"{template}#{partial}"
    return render(request, template, context)


def _period_start(as_of: date, months: int) -> date:
    """The first day of a period of whole months ending on ``as_of`` (31 Mar → 1 Apr a year back)."""
    index = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(index, 12)
    day = min(as_of.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day) + timedelta(days=1)


class LoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    redirect_authenticated_user = True


@workspace_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    """Overview: what is open, how old it is, who owes most overdue, and DSO."""
    ws = workspace_state(request)
    report = aging_report(as_of=ws.as_of, creditor=ws.creditor)
    context = {
        "ws": ws,
        "charts": [aging_chart(row) for row in report.totals],
        "top_overdue": [row for row in report.customers if row.overdue > 0][:TOP_OVERDUE],
        "overdue_customers": sum(1 for row in report.customers if row.overdue > 0),
        "dso": dso(as_of=ws.as_of, creditor=ws.creditor),
        "bucket_labels": list(BUCKET_LABELS.values()),
        "collections": cases_overview(creditor=ws.creditor, as_of=ws.as_of),
    }
    return _page(request, "workspace/dashboard.html", context, partial="overview")


@workspace_view()
def dso_trend_panel(request: HttpRequest) -> HttpResponse:
    """The DSO of the last twelve month ends; loaded after the dashboard, as it takes longer."""
    ws = workspace_state(request)
    points = dso_trend(as_of=ws.as_of, creditor=ws.creditor)
    return render(
        request, "workspace/dashboard.html#dso-trend", {"ws": ws, "trend": trend_chart(points)}
    )


@workspace_view()
def customer_list(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    form = CustomerSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    portfolio = ws.role == COLLECTOR and request.GET.get("all") != "1"
    found = customer_search(
        query=query, creditor=ws.creditor, collector=request.user if portfolio else None
    )
    paginator = Paginator(found, CUSTOMERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"ws": ws, "form": form, "query": query, "page": page, "portfolio": portfolio}
    return _page(request, "workspace/customer_list.html", context, partial="customer-results")


@workspace_view()
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Customer 360: contacts, exposure against the credit limit, payment behaviour, open items,
    statement, cases (promises, arrangements, disputes, tasks), one timeline of everything, and
    the collector's actions in place."""
    ws = workspace_state(request)
    customer = get_object_or_404(
        Customer.objects.select_related("creditor", "account_manager"), pk=pk
    )
    items = customer_open_items(customer=customer, as_of=ws.as_of)
    period = StatementPeriodForm(request.GET or None, initial={"period": "12"})
    months = period.months() if period.is_bound else 12
    since = None if months is None else _period_start(ws.as_of, months)
    statement = customer_statement(customer=customer, as_of=ws.as_of, since=since)
    overdue_items = [item for item in items if item.days_overdue > 0]
    cases = customer_cases(customer=customer, as_of=ws.as_of)
    confirmations = arrangement_confirmations(customer=customer)
    for view in cases.arrangements:
        view.arrangement.confirmation = confirmations.get(view.arrangement.pk)
    for dispute in cases.disputes:  # one decision form per open dispute, with its own ids
        dispute.resolve_form = DisputeResolveForm(auto_id=f"resolve{dispute.pk}_%s")
    contacts = list(customer.contacts.all())
    overdue_ids = [i.invoice_id for i in overdue_items if i.kind in ("invoice", "instalment")]
    context = {
        "ws": ws,
        "customer": customer,
        "items": items,
        "overdue_items": overdue_items,
        "overdue_minor": sum(
            item.open_minor for item in overdue_items if item.currency == statement.currency
        ),
        "statement": statement,
        "period_form": period,
        "contacts": contacts,
        "hold_form": HoldForm(initial={"action": "release" if customer.on_hold else "hold"}),
        "exposure": customer_exposure(
            items=items, customer=customer, currency=customer.creditor.currency
        ),
        "behaviour": payment_behaviour(customer=customer, as_of=ws.as_of),
        "cases": cases,
        "timeline": customer_timeline(customer=customer, as_of=ws.as_of, cases=cases),
        "is_credit_manager": ws.role == CREDIT_MANAGER,
        "open_disputes": [d for d in cases.disputes if d.status == Dispute.Status.OPEN],
        "awaiting_approval": [
            v.arrangement
            for v in cases.arrangements
            if v.arrangement.status == PaymentArrangement.Status.AWAITING_APPROVAL
        ],
        "call_form": CallForm(
            customer=customer, initial={"invoices": overdue_ids}, auto_id="call_%s"
        ),
        "promise_form": PromiseForm(
            customer=customer, initial={"invoices": overdue_ids}, auto_id="promise_%s"
        ),
        "arrangement_form": ArrangementForm(
            customer=customer,
            initial={"invoices": overdue_ids, "instalments": 3, "first_due": ws.as_of},
            auto_id="arrangement_%s",
        ),
        "dispute_form": DisputeForm(customer=customer, auto_id="dispute_%s"),
        "statement_form": StatementSendForm(customer=customer, auto_id="statement_%s"),
        "contact_form": ContactPreferencesForm(
            customer=customer,
            initial={
                "preferred_channel": customer.preferred_channel,
                "email": customer.email,
                "phone": customer.phone,
                "contact_active": True,
            },
            auto_id="contact_%s",
        ),
        **customer_mandates_context(customer=customer, ws=ws),
    }
    return _page(request, "workspace/customer_detail.html", context, partial="customer-ledger")


@workspace_view(acts=True)
def customer_hold_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a customer on hold (no dunning) or release them; credit managers and collectors only."""
    customer = get_object_or_404(Customer, pk=pk)
    form = HoldForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            if form.cleaned_data["action"] == "hold":
                customer_hold(customer=customer, reason=form.cleaned_data["reason"])
                messages.success(
                    request,
                    _("%(name)s is on hold: no dunning until released.") % {"name": customer.name},
                )
            else:
                customer_release(customer=customer)
                messages.success(
                    request, _("%(name)s is released from hold.") % {"name": customer.name}
                )
        except CustomerHoldError as error:
            messages.error(request, str(error))
    return redirect(reverse("workspace:customer_detail", args=[customer.pk]))


@workspace_view()
def creditor_switch(request: HttpRequest) -> HttpResponse:
    """Choose whose ledger to look at. Only a view setting, so read-only users may switch too."""
    if request.method != "POST":
        return redirect("workspace:dashboard")
    form = CreditorSwitchForm(request.POST)
    if form.is_valid():
        creditor = form.cleaned_data["creditor"]
        if creditor is None:
            request.session.pop(SESSION_CREDITOR, None)
        else:
            request.session[SESSION_CREDITOR] = creditor.pk
    target = request.POST.get("next") or reverse("workspace:dashboard")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("workspace:dashboard")
    return HttpResponseRedirect(target)


def language(request: HttpRequest) -> HttpResponse:
    """Switch the language; a signed-in user keeps it for every later session and device."""
    from django.views.i18n import set_language

    if request.method == "POST" and request.user.is_authenticated:
        from vorder.common.services import StaffUserError, staff_language_set

        # an unknown language is ignored here as set_language ignores it
        with contextlib.suppress(StaffUserError):
            staff_language_set(user=request.user, language=request.POST.get("language", ""))  # type: ignore[arg-type]
    return set_language(request)
