"""SEPA direct debit mandates in the workspace: the creditor's list, and register, revoke, amend.

What ``vorder directdebit mandates add|list|revoke`` does on the command line, a collector or
credit manager does here. Each view parses the form, calls one service of
``vorder.banking.directdebit`` and goes back where the reader came from with a message (POST,
redirect, GET). A mandate the service refuses comes back on its own page with the service's
message on the field it is about, and nothing written. Read-only users see the mandates and get
403 on any POST (``workspace_view(acts=True)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from vorder.banking.directdebit.models import Mandate
from vorder.banking.directdebit.selectors import mandates_for
from vorder.banking.directdebit.services import (
    DirectDebitError,
    MandateError,
    mandate_amend,
    mandate_create,
    mandate_revoke,
)
from vorder.ledger.models import Customer
from vorder.workspace.access import Workspace, workspace_state, workspace_view
from vorder.workspace.forms_banking import (
    MandateAmendForm,
    MandateCreateForm,
    MandateFilterForm,
    MandateRevokeForm,
)
from vorder.workspace.views_banking import _as_of_query, _back, _need_creditor

MANDATES_PER_PAGE = 50


@dataclass
class MandateRow:
    """A mandate with its revoke and amend forms (only for an active one, and a reader who acts)."""

    mandate: Mandate
    revoke_form: MandateRevokeForm | None = None
    amend_form: MandateAmendForm | None = None


def mandate_rows(mandates: Iterable[Mandate], ws: Workspace) -> list[MandateRow]:
    """Each form with its own ids, so many of them can share one page."""
    rows = []
    for mandate in mandates:
        row = MandateRow(mandate)
        if ws.can_act and mandate.status == Mandate.Status.ACTIVE:
            row.revoke_form = MandateRevokeForm(
                auto_id=f"revoke{mandate.pk}_%s", initial={"on": ws.as_of}
            )
            row.amend_form = MandateAmendForm(auto_id=f"amend{mandate.pk}_%s")
        rows.append(row)
    return rows


def customer_mandates_context(*, customer: Customer, ws: Workspace) -> dict[str, Any]:
    """The customer page's section: the customer's mandates and the form to register one."""
    mandates = mandates_for(creditor=customer.creditor).filter(customer=customer)
    return {
        "mandates": mandate_rows(mandates, ws),
        "mandate_form": MandateCreateForm(auto_id="mandate_%s", initial={"signed_on": ws.as_of}),
    }


def _mandate(ws: Workspace, pk: int) -> Mandate:
    """A mandate of the chosen creditor (any creditor's when all are shown)."""
    mandates: QuerySet[Mandate] = Mandate.objects.select_related("customer", "creditor")
    if ws.creditor is not None:
        mandates = mandates.filter(creditor=ws.creditor)
    return get_object_or_404(mandates, pk=pk)


def _next(request: HttpRequest, ws: Workspace) -> str:
    """Where the action was started (the list or the customer page), else the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return reverse("workspace:mandate_list") + _as_of_query(ws)


def _refused(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The form again, with what is wrong on its fields; nothing was written."""
    ws = context["ws"]
    context["next"] = request.POST.get("next", "")
    context["back"] = (
        _next(request, ws)
        if context["next"]
        else reverse("workspace:customer_detail", args=[context["customer"].pk]) + _as_of_query(ws)
    )
    return render(request, "workspace/banking/mandate_form.html", context, status=422)


def _errors_on_fields(form: forms.Form, error: MandateError) -> None:
    for name, message in error.errors.items():
        form.add_error(name if name in form.fields else None, message)


# -- the list -------------------------------------------------------------------------------------


@workspace_view()
def mandate_list(request: HttpRequest) -> HttpResponse:
    """The creditor's mandates, by customer; filtered by status."""
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Direct debit mandates"))
    form = MandateFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    paginator = Paginator(mandates_for(creditor=ws.creditor, status=status), MANDATES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "ws": ws,
        "form": form,
        "status": status,
        "page": page,
        "rows": mandate_rows(page.object_list, ws),
    }
    return render(request, "workspace/banking/mandates.html", context)


# -- register, revoke, amend ----------------------------------------------------------------------


@workspace_view(acts=True)
def mandate_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Register the mandate the customer signed (from the customer page)."""
    ws = workspace_state(request)
    customer = get_object_or_404(Customer.objects.select_related("creditor"), pk=pk)
    form = MandateCreateForm(request.POST)
    context = {
        "ws": ws,
        "customer": customer,
        "form": form,
        "title": _("Register a direct debit mandate"),
        "action": reverse("workspace:mandate_add", args=[customer.pk]),
        "submit": _("Register mandate"),
    }
    if not form.is_valid():
        return _refused(request, context)
    data = form.cleaned_data
    try:
        mandate = mandate_create(
            creditor=customer.creditor,
            customer=customer,
            mandate_id=data["mandate_id"],
            signed_on=data["signed_on"],
            debtor_iban=data["debtor_iban"],
            debtor_bic=data["debtor_bic"],
            debtor_name=data["debtor_name"],
            scheme=data["scheme"],
            sequence_type=data["sequence_type"],
            as_of=ws.as_of,
        )
    except MandateError as error:
        _errors_on_fields(form, error)
        return _refused(request, context)
    messages.success(
        request,
        _("Mandate %(mandate)s registered for %(customer)s.")
        % {"mandate": mandate.mandate_id, "customer": customer.name},
    )
    return _back(request, "workspace:customer_detail", customer.pk)


@workspace_view(acts=True)
def mandate_revoke_post(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer or their bank withdrew the mandate: record the day and why."""
    ws = workspace_state(request)
    mandate = _mandate(ws, pk)
    form = MandateRevokeForm(request.POST)
    context = {
        "ws": ws,
        "customer": mandate.customer,
        "mandate": mandate,
        "form": form,
        "title": _("Revoke mandate %(mandate)s") % {"mandate": mandate.mandate_id},
        "action": reverse("workspace:mandate_revoke", args=[mandate.pk]),
        "submit": _("Revoke"),
    }
    if not form.is_valid():
        return _refused(request, context)
    try:
        mandate_revoke(
            mandate=mandate, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"]
        )
    except MandateError as error:
        _errors_on_fields(form, error)
        return _refused(request, context)
    messages.success(
        request,
        _("Mandate %(mandate)s revoked: nothing is collected under it any more.")
        % {"mandate": mandate.mandate_id},
    )
    return redirect(_next(request, ws))


@workspace_view(acts=True)
def mandate_amend_post(request: HttpRequest, pk: int) -> HttpResponse:
    """A new account or a new mandate id under the same mandate (SEPA amendment)."""
    ws = workspace_state(request)
    mandate = _mandate(ws, pk)
    form = MandateAmendForm(request.POST)
    context = {
        "ws": ws,
        "customer": mandate.customer,
        "mandate": mandate,
        "form": form,
        "title": _("Amend mandate %(mandate)s") % {"mandate": mandate.mandate_id},
        "action": reverse("workspace:mandate_amend", args=[mandate.pk]),
        "submit": _("Amend"),
    }
    if not form.is_valid():
        return _refused(request, context)
    data = form.cleaned_data
    try:
        mandate = mandate_amend(
            mandate=mandate,
            debtor_iban=data["debtor_iban"] or None,
            debtor_bic=data["debtor_bic"] or None,
            mandate_id=data["mandate_id"] or None,
            as_of=ws.as_of,
        )
    except MandateError as error:
        _errors_on_fields(form, error)
        return _refused(request, context)
    except DirectDebitError as error:  # no longer active
        messages.error(request, str(error))
        return redirect(_next(request, ws))
    messages.success(
        request,
        _("Mandate %(mandate)s amended: the next collection tells the debtor's bank.")
        % {"mandate": mandate.mandate_id},
    )
    return redirect(_next(request, ws))
