"""Who may see and who may act in the workspace, and the state every page shares.

Every page needs a signed-in user with one of the three roles; a user without a role sees a page
that says so instead of the ledger. Views that change something are marked ``acts=True`` and
refuse read-only users with 403, whatever the template shows, so a hand-made POST cannot slip by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from vorder.common.roles import COLLECTOR, CREDIT_MANAGER, READ_ONLY, can_change, role_of
from vorder.ledger.models import Creditor
from vorder.workspace.forms import AsOfForm

ROLE_LABELS = {
    CREDIT_MANAGER: _("Credit manager"),
    COLLECTOR: _("Collector"),
    READ_ONLY: _("Read-only"),
}
SESSION_CREDITOR = "workspace_creditor_id"

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation; later pages (worklist, cases) add theirs to NAVIGATION."""

    url_name: str
    label: Any
    sections: tuple[str, ...]


NAVIGATION: list[NavItem] = [
    NavItem("workspace:dashboard", _("Overview"), ("dashboard",)),
    NavItem("workspace:worklist", _("Worklist"), ("worklist",)),
    NavItem("workspace:customer_list", _("Customers"), ("customer_list", "customer_detail")),
    NavItem(
        "workspace:dunning_approvals",
        _("Approvals"),
        ("dunning_approvals",),
    ),
    NavItem("workspace:dunning_run", _("Dunning run"), ("dunning_run",)),
    NavItem("workspace:dunning_outbox", _("Outbox"), ("dunning_outbox", "dunning_message")),
    NavItem(
        "workspace:dunning_policies",
        _("Credit policy"),
        ("dunning_policies", "dunning_policy_edit"),
    ),
    NavItem(
        "workspace:dunning_templates", _("Message texts"), ("dunning_templates", "dunning_template")
    ),
    NavItem("workspace:banking_queue", _("Reconciliation"), ("banking_queue", "banking_line")),
    NavItem(
        "workspace:banking_statements",
        _("Bank"),
        ("banking_statements", "banking_upload", "banking_returns"),
    ),
    NavItem("workspace:mandate_list", _("Mandates"), ("mandate_list", "mandate_add")),
]


@dataclass
class Workspace:
    """What every page knows: the reader, the date the figures are as of, the chosen creditor."""

    role: str
    role_label: Any
    can_act: bool
    as_of: date
    as_of_given: bool
    as_of_form: AsOfForm
    creditors: list[Creditor]
    creditor: Creditor | None
    nav: list[dict[str, Any]] = field(default_factory=list)

    @property
    def several_creditors(self) -> bool:
        return len(self.creditors) > 1


def workspace_view(*, acts: bool = False) -> Callable[[View], View]:
    """Login and a role for every page; ``acts=True`` also needs POST and a role that may act."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            role = role_of(request.user)
            if role is None:
                return render(request, "workspace/no_role.html", status=403)
            if acts and not can_change(request.user):
                raise PermissionDenied(_("Your role can look but not change anything."))
            return view(request, *args, **kwargs)

        guarded = login_required(wrapper)
        return require_POST(guarded) if acts else guarded

    return decorate


def workspace_state(request: HttpRequest) -> Workspace:
    """Read the as-of date (``?as_of=YYYY-MM-DD``, default today) and the chosen creditor."""
    today = timezone.localdate()
    form = AsOfForm(request.GET or None, initial={"as_of": today})
    as_of, given = today, False
    if form.is_bound and form.is_valid() and form.cleaned_data.get("as_of"):
        as_of, given = form.cleaned_data["as_of"], True
    creditors = list(Creditor.objects.order_by("name"))
    role = role_of(request.user) or READ_ONLY
    match = getattr(request, "resolver_match", None)
    section = match.url_name if match else ""
    nav = [
        {"url": reverse(item.url_name), "label": item.label, "active": section in item.sections}
        for item in NAVIGATION
    ]
    return Workspace(
        role=role,
        role_label=ROLE_LABELS.get(role, role),
        can_act=can_change(request.user),
        as_of=as_of,
        as_of_given=given,
        as_of_form=form,
        creditors=creditors,
        creditor=chosen_creditor(request, creditors),
        nav=nav,
    )


def chosen_creditor(request: HttpRequest, creditors: list[Creditor]) -> Creditor | None:
    """The creditor the reader works for; None means all of them (only when there are several)."""
    if len(creditors) == 1:
        return creditors[0]
    chosen = request.session.get(SESSION_CREDITOR)
    return next((c for c in creditors if c.pk == chosen), None)
