"""The demo portfolio: a believable ledger with known payment behaviours, deterministic per seed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Sum
from django.test import override_settings
from schwifty import IBAN
from stdnum.be import vat as be_vat
from stdnum.nl import btw as nl_btw

from tests.factories import CreditorFactory
from vorder.common.roles import COLLECTOR, CREDIT_MANAGER, READ_ONLY, role_of
from vorder.domain.references import detect
from vorder.ledger.models import (
    Allocation,
    Contact,
    CreditNote,
    Creditor,
    Customer,
    Invoice,
    InvoiceInstalment,
    Payment,
)
from vorder.ledger.selectors import aging_report, dso, ledger_integrity_problems
from vorder.ledger.services.demo import (
    BEHAVIOUR_TAG,
    DISPUTE_MARKER,
    Behaviour,
    DemoDataExists,
    demo_data_load,
    demo_portfolio_plan,
)

AS_OF = date(2026, 6, 30)
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


@pytest.fixture(scope="module")
def _loaded(django_db_setup, django_db_blocker):
    """Load one mid-sized portfolio for the whole module, rolled back at its end: big enough for
    every behaviour, and loaded once because the checks below only read it."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER),
        transaction.atomic(),
    ):
        yield demo_data_load(customers=300, invoices=3600, seed=7, as_of=AS_OF)
        transaction.set_rollback(True)


@pytest.fixture
def portfolio(_loaded, db):
    return _loaded


@pytest.fixture
def empty_ledger(db):
    """A ledger without creditors or users, even while the module's portfolio is loaded (the
    deletes are rolled back with the test)."""
    for model in (
        Allocation,
        Payment,
        CreditNote,
        InvoiceInstalment,
        Invoice,
        Contact,
        Customer,
        Creditor,
    ):
        model.objects.all().delete()
    get_user_model().objects.all().delete()


def _fingerprint(plan) -> list[tuple]:
    return (
        [(c.creditor.code, c.number, c.name, c.kind, c.iban, c.vat_number) for c in plan.customers]
        + [
            (
                i.creditor.code,
                i.number,
                i.customer.number,
                i.issue_date,
                i.due_date,
                i.gross_minor,
                i.open_minor,
                i.payment_reference,
            )
            for i in plan.invoices
        ]
        + [
            (p.number, p.date, p.amount_minor, p.unallocated_minor, p.payer_name, p.reference)
            for p in plan.payments
        ]
        + [(a.invoice.number, a.amount_minor, a.date) for a in plan.allocations]
    )


def test_the_same_seed_gives_the_same_portfolio_and_another_seed_another():
    first = demo_portfolio_plan(customers=60, invoices=600, seed=3, as_of=AS_OF)
    again = demo_portfolio_plan(customers=60, invoices=600, seed=3, as_of=AS_OF)
    other = demo_portfolio_plan(customers=60, invoices=600, seed=4, as_of=AS_OF)
    assert _fingerprint(first) == _fingerprint(again)
    assert _fingerprint(first) != _fingerprint(other)


def test_the_ledger_balances_to_the_cent(portfolio):
    assert ledger_integrity_problems() == []
    # Independently of the selector: every open amount is gross minus its allocations.
    allocated = dict(
        Allocation.objects.values("invoice")
        .annotate(s=Sum("amount_minor"))
        .values_list("invoice", "s")
    )
    for number, gross, open_minor, status, pk in Invoice.objects.values_list(
        "number", "gross_minor", "open_minor", "status", "pk"
    ):
        assert open_minor == gross - allocated.get(pk, 0), number
        assert status == ("paid" if open_minor == 0 else "open"), number
    for payment in Payment.objects.annotate(s=Sum("allocations__amount_minor")):
        assert payment.unallocated_minor == payment.amount_minor - (payment.s or 0)
    late = Allocation.objects.filter(date__gt=AS_OF).count()
    assert late == 0, "nothing is paid after the as-of day"
    assert not Invoice.objects.filter(issue_date__gt=AS_OF).exists()


def test_two_creditors_nl_and_be_with_valid_numbers(portfolio):
    assert portfolio.creditors == ["noordzee", "schelde"]
    nl = Creditor.objects.get(code="noordzee")
    be = Creditor.objects.get(code="schelde")
    assert (nl.country, nl.reference_style) == ("NL", "nl")
    assert (be.country, be.reference_style) == ("BE", "ogm")
    assert nl_btw.is_valid(nl.vat_number)
    assert be_vat.is_valid(be.vat_number)
    for creditor in (nl, be):
        IBAN(creditor.iban)  # raises on a wrong check digit
    # Each invoice carries a structured reference in its creditor's style.
    styles = {
        code: {
            detect(ref)[0].value
            for ref in Invoice.objects.filter(creditor__code=code).values_list(
                "payment_reference", flat=True
            )[:200]
        }
        for code in ("noordzee", "schelde")
    }
    assert styles == {"noordzee": {"nl"}, "schelde": {"ogm"}}


def test_customers_are_nl_and_be_business_and_consumer_with_valid_numbers(portfolio):
    mix = Counter(Customer.objects.values_list("kind", "country"))
    assert set(mix) == {("b2b", "NL"), ("b2b", "BE"), ("b2c", "NL"), ("b2c", "BE")}
    assert set(Customer.objects.values_list("language", flat=True)) == {"nl", "en", "fr", "de"}
    assert len(set(Customer.objects.values_list("preferred_channel", flat=True))) >= 3
    for customer in Customer.objects.all():
        IBAN(customer.iban)
        if customer.kind == Customer.Kind.B2B:
            assert (nl_btw if customer.country == "NL" else be_vat).is_valid(customer.vat_number)
            assert customer.segment
            assert customer.coc_number
        else:
            assert customer.vat_number == ""
    roles = set(Contact.objects.values_list("role", flat=True))
    assert {"accounts_payable", "finance", "owner"} <= roles
    assert not Contact.objects.filter(customer__kind="b2c").exists()


def test_every_payment_behaviour_is_present_and_tagged(portfolio):
    tags = Counter(
        tag
        for tags in Customer.objects.values_list("tags", flat=True)
        for tag in tags
        if tag.startswith(BEHAVIOUR_TAG)
    )
    assert set(tags) == {f"{BEHAVIOUR_TAG}{b}" for b in Behaviour}
    assert tags[f"{BEHAVIOUR_TAG}{Behaviour.ON_TIME}"] == max(tags.values())


def _customers(behaviour: Behaviour) -> list[int]:
    tag = f"{BEHAVIOUR_TAG}{behaviour}"  # JSON 'contains' is not available on SQLite
    return [pk for pk, tags in Customer.objects.values_list("pk", "tags") if tag in tags]


def _overdue(customers) -> int:
    return (
        Invoice.objects.filter(customer__in=customers, status="open", due_date__lt=AS_OF).aggregate(
            s=Sum("open_minor")
        )["s"]
        or 0
    )


def test_behaviours_show_in_the_ledger(portfolio):
    on_time = _customers(Behaviour.ON_TIME)
    # Always on time: their payments arrive by the due date and nothing of theirs is overdue.
    late_allocations = Allocation.objects.filter(
        invoice__customer__in=on_time, payment__isnull=False, invoice__has_instalments=False
    ).values_list("date", "invoice__due_date")
    assert late_allocations
    assert all(paid <= due + timedelta(days=2) for paid, due in late_allocations)
    assert _overdue(on_time) == 0

    # Defaulters stopped paying: their oldest open items are more than 90 days past due.
    defaulters = _customers(Behaviour.DEFAULTER)
    assert Invoice.objects.filter(
        customer__in=defaulters, status="open", due_date__lt=AS_OF - timedelta(days=90)
    ).exists()
    assert Allocation.objects.filter(
        invoice__customer__in=defaulters, payment__isnull=False
    ).exists()

    # Recently late for the first time: one overdue invoice of less than about two months.
    for customer in _customers(Behaviour.RECENTLY_LATE):
        overdue = Invoice.objects.filter(customer_id=customer, status="open", due_date__lt=AS_OF)
        assert overdue.exists(), customer
        assert all(AS_OF - inv.due_date <= timedelta(days=60) for inv in overdue)

    # Disputed invoices stay open and are marked.
    disputed = Invoice.objects.filter(description__startswith=DISPUTE_MARKER)
    assert disputed.exists()
    assert set(disputed.values_list("status", flat=True)) == {"open"}
    assert not Allocation.objects.filter(invoice__in=disputed, payment__isnull=False).exists()
    disputes = f"{BEHAVIOUR_TAG}{Behaviour.DISPUTES}"
    assert all(disputes in tags for tags in disputed.values_list("customer__tags", flat=True))

    # Partial payers leave invoices partly paid.
    assert Invoice.objects.filter(
        customer__in=_customers(Behaviour.PARTIAL), status="open", open_minor__lt=F_gross()
    ).exists()

    # Habitual late payers pay weeks after the due date on average.
    habitual = Allocation.objects.filter(
        invoice__customer__in=_customers(Behaviour.HABITUAL_LATE),
        payment__isnull=False,
        invoice__has_instalments=False,
    ).values_list("date", "invoice__due_date")
    average = sum((paid - due).days for paid, due in habitual) / len(habitual)
    assert average > 20


def F_gross():  # noqa: N802 - reads like the column it names
    from django.db.models import F

    return F("gross_minor")


def test_instalments_credit_notes_and_bank_like_payments(portfolio):
    scheduled = Invoice.objects.filter(has_instalments=True)
    assert scheduled.exists()
    for invoice in scheduled.annotate(parts=Count("instalments"))[:50]:
        parts = list(invoice.instalments.order_by("sequence"))
        assert len(parts) >= 3
        assert sum(p.amount_minor for p in parts) == invoice.gross_minor
        assert parts[-1].due_date == invoice.due_date
    assert InvoiceInstalment.objects.filter(open_minor=0).exists()

    assert Allocation.objects.filter(credit_note__isnull=False).exists()
    assert CreditNote.objects.filter(status="settled").exists()

    payments = Payment.objects.filter(customer__isnull=False)
    assert payments.count() > 1000
    assert not payments.filter(payer_name="").exists()
    assert not payments.filter(payer_iban="").exists()
    references = list(payments.values_list("reference", flat=True))
    structured = sum(1 for r in references if r and detect(r))
    assert 0.6 < structured / len(references) < 0.9, "mostly structured, some free text"
    several = Payment.objects.annotate(n=Count("allocations")).filter(n__gt=1)
    assert several.exists(), "payment runs pay several invoices at once"
    assert Payment.objects.filter(customer__isnull=True, unallocated_minor__gt=0).exists()


def test_amounts_vat_and_the_shape_of_the_receivables(portfolio):
    b2c = Invoice.objects.filter(customer__kind="b2c").aggregate(
        s=Sum("gross_minor"), n=Count("id")
    )
    b2b = Invoice.objects.filter(customer__kind="b2b").aggregate(
        s=Sum("gross_minor"), n=Count("id")
    )
    assert b2b["s"] / b2b["n"] > 4 * b2c["s"] / b2c["n"], "businesses buy more per invoice"
    rates = Counter(
        round(vat * 100 / net) for net, vat in Invoice.objects.values_list("net_minor", "vat_minor")
    )
    assert {21, 9, 6} <= set(rates)
    assert rates.most_common(1)[0][0] == 21

    report = aging_report(as_of=AS_OF)
    for row in report.totals:
        assert row.not_due > row.total / 2, "most receivables are not yet due"
        assert row.d90_plus > 0, "a tail of old debt"
    for code in ("noordzee", "schelde"):
        figure = dso(as_of=AS_OF, creditor=Creditor.objects.get(code=code))
        assert Decimal(35) <= figure.standard <= Decimal(70), (code, figure.standard)


def test_demo_users_with_their_roles(portfolio):
    assert portfolio.users_created == ["demo", "collector", "viewer"]
    users = {u.username: u for u in get_user_model().objects.all()}
    assert users["demo"].is_superuser
    assert users["demo"].check_password("demo")
    assert role_of(users["demo"]) == CREDIT_MANAGER
    assert role_of(users["collector"]) == COLLECTOR
    assert users["collector"].check_password("collector")
    assert role_of(users["viewer"]) == READ_ONLY
    assert not users["viewer"].is_superuser


def test_if_empty_leaves_an_existing_ledger_alone(portfolio):
    counts = (Invoice.objects.count(), Payment.objects.count(), get_user_model().objects.count())
    again = demo_data_load(customers=50, invoices=100, seed=1, as_of=AS_OF, if_empty=True)
    assert again.skipped
    assert (
        Invoice.objects.count(),
        Payment.objects.count(),
        get_user_model().objects.count(),
    ) == counts
    with pytest.raises(DemoDataExists):
        demo_data_load(customers=50, invoices=100, seed=1, as_of=AS_OF)


def test_if_empty_also_skips_when_the_creditor_is_someone_elses(empty_ledger):
    CreditorFactory(code="acme")
    assert demo_data_load(customers=50, invoices=100, seed=1, as_of=AS_OF, if_empty=True).skipped
    assert not get_user_model().objects.exists(), "no demo users in a real installation"


def test_command_prints_the_login_and_a_json_summary(empty_ledger):
    out = StringIO()
    call_command("demo_data", "--as-of=2026-01-31", customers=40, invoices=300, seed=2, stdout=out)
    assert "log in as demo / demo" in out.getvalue()
    assert Invoice.objects.count() == 300
    assert Customer.objects.count() == 40

    out = StringIO()
    call_command("demo_data", if_empty=True, json=True, stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["skipped"] is True
    assert {
        "username": "demo",
        "password": "demo",
        "role": "credit manager, superuser (admin)",
    } in (summary["logins"])
    with pytest.raises(CommandError, match="exist already"):
        call_command("demo_data", customers=40, invoices=300, stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("demo_data", "--as-of=31-01-2026", stdout=StringIO())


def test_too_small_a_portfolio_is_refused(db):
    with pytest.raises(ValueError, match="at least one invoice per customer"):
        demo_portfolio_plan(customers=10, invoices=5, seed=1, as_of=AS_OF)
