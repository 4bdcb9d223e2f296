"""The banking screens: statement upload, the reconciliation queue, returns, imported statements.

Each view parses the request, calls one banking service or selector, and renders. Credit
managers and collectors import statements and decide queued lines; read-only users look (and get
403 on any POST, from ``workspace_view(acts=True)``). Matching rules live in
``vorder.banking.matching``: a refused split shows the service's own message.

Uploaded files are read into memory and handed to ``statement_file_import`` as bytes under their
bare file name: nothing the browser sends ever becomes a path on the server.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from vorder.banking.directdebit.selectors import recent_returns
from vorder.banking.matching import (
    ReconciliationError,
    invoice_search,
    reconciliation_accept,
    reconciliation_allocate_manual,
    reconciliation_ignore,
    reconciliation_queue,
    reconciliation_to_account,
)
from vorder.banking.models import StatementLine
from vorder.banking.selectors import returned_lines, statement_list
from vorder.banking.services import ImportResult, statement_file_import
from vorder.ledger.models import Customer, Invoice
from vorder.ledger.services.allocations import AllocationError
from vorder.workspace.access import Workspace, workspace_state, workspace_view
from vorder.workspace.forms_banking import (
    IgnoreForm,
    OnAccountForm,
    SearchForm,
    StatementUploadForm,
    split_parts,
)

RETURNS_DAYS = 30
"""How far back the returns page looks, counted from the as-of date."""


def _as_of_query(ws: Workspace) -> str:
    return f"?as_of={ws.as_of:%Y-%m-%d}" if ws.as_of_given else ""


def _back(request: HttpRequest, name: str, *args: Any) -> HttpResponse:
    """Redirect to a page, keeping the reader's ``as_of``."""
    return redirect(reverse(name, args=args) + _as_of_query(workspace_state(request)))


def _need_creditor(request: HttpRequest, ws: Workspace, title: str) -> HttpResponse:
    return render(request, "workspace/banking/choose_creditor.html", {"ws": ws, "title": title})


def _staff(request: HttpRequest) -> AbstractBaseUser:
    assert isinstance(request.user, AbstractBaseUser)
    return request.user


def _line(ws: Workspace, pk: int) -> StatementLine:
    """A statement line of the chosen creditor (any creditor's when all are shown)."""
    lines = StatementLine.objects.select_related("customer", "account", "creditor")
    if ws.creditor is not None:
        lines = lines.filter(creditor=ws.creditor)
    return get_object_or_404(lines, pk=pk)


def _rows(lines: list[StatementLine]) -> list[dict[str, Any]]:
    """Lines with their suggestions, each suggestion with its customer (one query for all)."""
    ids = {s.get("customer_id") for line in lines for s in (line.suggestions or [])}
    customers = Customer.objects.in_bulk([i for i in ids if i])
    return [
        {
            "line": line,
            "suggestions": [
                {**s, "index": n, "customer": customers.get(s.get("customer_id"))}
                for n, s in enumerate(line.suggestions or [])
            ],
        }
        for line in lines
    ]


# -- statements -------------------------------------------------------------------------------


@workspace_view()
def statements(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Bank statements"))
    context = {"ws": ws, "statements": statement_list(creditor=ws.creditor)[:200]}
    return render(request, "workspace/banking/statements.html", context)


@workspace_view()
def upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST (acting roles only): preview (dry run) or import."""
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Upload bank statements"))
    if request.method == "POST":
        if not ws.can_act:
            raise PermissionDenied(_("Your role can look but not change anything."))
        return _upload_post(request, ws)
    context = {"ws": ws, "form": StatementUploadForm()}
    return render(request, "workspace/banking/upload.html", context)


def _upload_post(request: HttpRequest, ws: Workspace) -> HttpResponse:
    assert ws.creditor is not None
    form = StatementUploadForm(request.POST, request.FILES)
    dry_run = "preview" in request.POST
    result: ImportResult | None = None
    if form.is_valid():
        result = ImportResult()
        for upload_file in form.cleaned_data["file"]:
            result.add(
                statement_file_import(
                    creditor=ws.creditor,
                    name=PurePath(upload_file.name or "upload").name,
                    content=upload_file.read(),
                    dry_run=dry_run,
                    create_accounts=form.cleaned_data["create_account"],
                )
            )
    context = {
        "ws": ws,
        "form": form if result is None else StatementUploadForm(),
        "result": result,
        "contract": result.as_json() if result else None,
        "contract_json": json.dumps(result.as_json(), indent=2, ensure_ascii=False)
        if result
        else "",
        "dry_run": dry_run,
    }
    status = 422 if result is not None and result.errors and not result.statements else 200
    return render(request, "workspace/banking/upload.html", context, status=status)


# -- the reconciliation queue -------------------------------------------------------------------


@workspace_view()
def queue(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Reconciliation"))
    lines = list(reconciliation_queue(creditor=ws.creditor)[:200])
    since = ws.as_of - timedelta(days=RETURNS_DAYS)
    context = {
        "ws": ws,
        "rows": _rows(lines),
        "total": reconciliation_queue(creditor=ws.creditor).count(),
        "returns": returned_lines(creditor=ws.creditor, since=since).count(),
    }
    return render(request, "workspace/banking/queue.html", context)


def _line_context(request: HttpRequest, ws: Workspace, line: StatementLine) -> dict[str, Any]:
    return {
        "ws": ws,
        "line": line,
        "row": _rows([line])[0],
        "search_form": SearchForm(request.GET or None),
        "ignore_form": IgnoreForm(),
        "on_account_form": OnAccountForm(),
        "results": [],
    }


@workspace_view()
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One queued line: its suggestions, manual search and split, on account, ignore."""
    ws = workspace_state(request)
    line = _line(ws, pk)
    context = _line_context(request, ws, line)
    query = request.GET.get("q", "").strip()
    if query:
        context["results"] = list(invoice_search(creditor=line.creditor, text=query, limit=25))
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "search-results":
        return render(request, "workspace/banking/_search_results.html", context)
    return render(request, "workspace/banking/line.html", context)


def _decided(request: HttpRequest, line: StatementLine, done: str) -> HttpResponse:
    """After an action: htmx removes the row; a plain form goes back to the queue."""
    htmx = getattr(request, "htmx", None)
    if htmx:
        response = HttpResponse("")
        page = reverse("workspace:banking_line", args=[line.pk])
        if (htmx.current_url_abs_path or "").startswith(page):
            # Decided on the line's own page: back to the queue rather than an empty page.
            messages.success(request, done)
            response["HX-Redirect"] = reverse("workspace:banking_queue") + _as_of_query(
                workspace_state(request)
            )
        return response
    messages.success(request, done)
    return _back(request, "workspace:banking_queue")


def _refused(
    request: HttpRequest, ws: Workspace, line: StatementLine, error: Exception
) -> HttpResponse:
    """Refused by the service: show its message (in the row for htmx, else on the line page)."""
    if getattr(request, "htmx", None):
        context = {"ws": ws, "row": _rows([line])[0], "error": str(error)}
        # 200, not 422: htmx swaps only successful answers, and the row must show the reason.
        return render(request, "workspace/banking/_queue_row.html", context)
    messages.error(request, str(error))
    return _back(request, "workspace:banking_line", line.pk)


@workspace_view(acts=True)
def line_accept(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One click: book the suggestion the collector chose."""
    ws = workspace_state(request)
    line = _line(ws, pk)
    try:
        reconciliation_accept(line=line, suggestion_index=index, user=_staff(request))
    except (ReconciliationError, AllocationError) as error:
        return _refused(request, ws, line, error)
    return _decided(request, line, _("Booked as suggested."))


@workspace_view(acts=True)
def line_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Manual match: the invoices the collector chose, each with its amount."""
    ws = workspace_state(request)
    line = _line(ws, pk)
    parts = split_parts(request.POST, line.currency)
    unreadable = [p.text for p in parts if p.amount is None]
    if unreadable:
        error = ReconciliationError(
            _("Cannot read the amount %(amount)s.") % {"amount": unreadable[0]}
        )
        return _refused(request, ws, line, error)
    invoices = Invoice.objects.filter(creditor=line.creditor).in_bulk([p.invoice_id for p in parts])
    allocations = [
        (invoices[p.invoice_id], p.amount)
        for p in parts
        if p.invoice_id in invoices and p.amount is not None and p.amount.minor > 0
    ]
    try:
        reconciliation_allocate_manual(line=line, allocations=allocations, user=_staff(request))
    except (ReconciliationError, AllocationError) as error:
        return _refused(request, ws, line, error)
    return _decided(request, line, _("Allocated by hand."))


@workspace_view(acts=True)
def line_remaining(request: HttpRequest, pk: int) -> HttpResponse:
    """Live while splitting (htmx): what is left of the payment after the amounts typed so far."""
    ws = workspace_state(request)
    line = _line(ws, pk)
    parts = split_parts(request.POST, line.currency)
    readable = all(p.amount is not None for p in parts)
    split_minor = sum(p.amount.minor for p in parts if p.amount is not None)
    context = {
        "line": line,
        "readable": readable,
        "split_minor": split_minor,
        "remaining_minor": line.amount_minor - split_minor,
    }
    return render(request, "workspace/banking/_remaining.html", context)


@workspace_view()
def split_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One row of the split table for an invoice picked from the search results (htmx)."""
    ws = workspace_state(request)
    line = _line(ws, pk)
    invoice_id = request.GET.get("invoice", "")
    if not invoice_id.isdigit():
        raise Http404
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer"), creditor=line.creditor, pk=int(invoice_id)
    )
    amount = min(invoice.open_minor, line.amount_minor)
    return render(
        request,
        "workspace/banking/_split_row.html",
        {"line": line, "inv": invoice, "amount": amount},
    )


@workspace_view(acts=True)
def line_on_account(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    line = _line(ws, pk)
    form = OnAccountForm(request.POST)
    if not form.is_valid():
        return _refused(request, ws, line, ReconciliationError(_("Give the debtor number.")))
    number = form.cleaned_data["customer"].strip()
    customer = Customer.objects.filter(creditor=line.creditor, number__iexact=number).first()
    if customer is None:
        error = ReconciliationError(
            _("No customer with debtor number %(number)s.") % {"number": number}
        )
        return _refused(request, ws, line, error)
    try:
        reconciliation_to_account(line=line, customer=customer, user=_staff(request))
    except (ReconciliationError, AllocationError) as error:
        return _refused(request, ws, line, error)
    return _decided(
        request, line, _("Put on the account of %(customer)s.") % {"customer": customer.name}
    )


@workspace_view(acts=True)
def line_ignore(request: HttpRequest, pk: int) -> HttpResponse:
    ws = workspace_state(request)
    line = _line(ws, pk)
    form = IgnoreForm(request.POST)
    if not form.is_valid():
        return _refused(request, ws, line, ReconciliationError(_("Say why the line is ignored.")))
    try:
        reconciliation_ignore(line=line, user=_staff(request), reason=form.cleaned_data["reason"])
    except ReconciliationError as error:
        return _refused(request, ws, line, error)
    return _decided(request, line, _("Ignored."))


# -- returns ------------------------------------------------------------------------------------


@workspace_view()
def returns(request: HttpRequest) -> HttpResponse:
    ws = workspace_state(request)
    if ws.creditor is None:
        return _need_creditor(request, ws, _("Returns"))
    since = ws.as_of - timedelta(days=RETURNS_DAYS)
    context = {
        "ws": ws,
        "since": since,
        "lines": list(returned_lines(creditor=ws.creditor, since=since)[:200]),
        "collections": recent_returns(creditor=ws.creditor, since=since),
    }
    return render(request, "workspace/banking/returns.html", context)
