"""The standard message context from the ledger, the background task and the commands."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.comms.conftest import AS_OF
from tests.comms.test_outbox import outgoing
from tests.factories import InvoiceFactory, PaymentFactory
from vorder.comms.models import Message
from vorder.comms.rendering import message_render
from vorder.comms.selectors import context_totals, message_context_base
from vorder.comms.services import messages_enqueue


@pytest.mark.django_db
def test_context_lists_the_overdue_items_with_totals_and_statement(ledger):
    customer = ledger["customer"]
    InvoiceFactory(
        customer=customer, number="2026-00099", issue_date=AS_OF, due_date=AS_OF.replace(day=30)
    )
    PaymentFactory(customer=customer, number="PAY-9", date=AS_OF, amount_minor=5000)
    context = message_context_base(
        creditor=ledger["creditor"],
        customer=customer,
        contact=ledger["contact"],
        items=None,
        as_of=AS_OF,
    )
    json.dumps(context)  # storable as it is
    assert [i["number"] for i in context["items"]] == [
        "2026-00017",
        "2026-00029",
    ]  # not the one not yet due
    assert context["items"][0] == {
        "number": "2026-00017",
        "issue_date": "2026-09-01",
        "due_date": "2026-10-01",
        "days_overdue": 52,
        "gross": "1234.50",
        "open": "1234.50",
        "currency": "EUR",
        "payment_reference": "RF18539007547034",
        "description": "",
    }
    assert context["totals"]["overdue"] == "1484.50"
    assert context["totals"]["open"] == "1555.50"  # + 121.00 not yet due - 50.00 paid on account
    assert context["statement"]["closing"] == "1555.50"
    assert [line["number"] for line in context["statement"]["lines"]] == [
        "2026-00017",
        "2026-00029",
        "2026-00099",
        "PAY-9",
    ]
    assert context["customer"]["address_lines"] == ["Dorpsstraat 12", "3512 AB Utrecht"]
    assert context["contact"]["name"] == "Jan de Vries"
    assert context["payment_reference"] == "RF18539007547034"

    context["cost_lines"] = [{"description": "Incassokosten", "amount": "222.68"}]
    context["interest_lines"] = [
        {
            "number": "2026-00017",
            "from": "2026-10-02",
            "to": "2026-11-22",
            "days": 52,
            "rate": "4.00",
            "interest": "7.04",
        }
    ]
    assert context_totals(context)["totals"]["total_due"] == "1714.22"


@pytest.mark.django_db
def test_context_for_chosen_items_only_and_a_foreign_customer(ledger):
    customer = ledger["customer"]
    customer.country = "BE"
    customer.save()
    context = message_context_base(
        creditor=ledger["creditor"],
        customer=customer,
        contact=None,
        items=["2026-00029"],
        as_of=AS_OF,
        language="fr",
    )
    assert [i["number"] for i in context["items"]] == ["2026-00029"]
    assert context["customer"]["address_lines"][-1] == "BELGIQUE"
    assert context["contact"] is None
    rendered = message_render(
        creditor=ledger["creditor"],
        key="reminder",
        channel="letter",
        language="fr",
        context=context,
        strict=True,
    )
    assert "2026-00029" in rendered.text
    assert "2026-00017" not in rendered.text


@pytest.mark.django_db
def test_the_background_task_dispatches(ledger, outbox_dirs):
    from vorder.comms.tasks import dispatch_outbox

    messages_enqueue(messages=[outgoing(ledger)], kick_dispatcher=False)
    assert dispatch_outbox.call()["sent"] == 1


@pytest.mark.django_db
def test_enqueue_kicks_the_dispatcher_on_commit(ledger, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        messages_enqueue(messages=[outgoing(ledger)])
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_outbox_commands(ledger, outbox_dirs):
    messages_enqueue(messages=[outgoing(ledger)], kick_dispatcher=False)
    out = StringIO()
    call_command("outbox", "dispatch", "--json", stdout=out)
    assert json.loads(out.getvalue())["sent"] == 1
    out = StringIO()
    call_command("outbox", "list", "--status", "sent", "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    assert row["customer"] == "D10001"
    assert row["status"] == "sent"
    out = StringIO()
    call_command("outbox", "list", stdout=out)
    assert "D10001" in out.getvalue()


@pytest.mark.django_db
def test_templates_commands(ledger, tmp_path):
    out = StringIO()
    call_command("templates", "install", stdout=out)
    assert "0 created" in out.getvalue()
    out = StringIO()
    call_command(
        "templates",
        "show",
        "nl_fourteen_day_letter",
        "--channel",
        "letter",
        "--language",
        "nl",
        stdout=out,
    )
    assert "{{ announced_costs|money }}" in out.getvalue()
    out = StringIO()
    call_command(
        "templates",
        "preview",
        "reminder",
        "--language",
        "en",
        "--customer",
        "D10001",
        "--as-of",
        "2026-11-22",
        stdout=out,
    )
    assert "2026-00017" in out.getvalue()
    assert "Payment reminder" in out.getvalue()
    pdf = tmp_path / "preview.pdf"
    call_command(
        "templates",
        "preview",
        "nl_fourteen_day_letter",
        "--channel",
        "letter",
        "--customer",
        "D10001",
        "--as-of",
        "2026-11-22",
        "--out",
        str(pdf),
        stdout=StringIO(),
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="no customer"):
        call_command("templates", "preview", "reminder", "--customer", "NOPE", stdout=StringIO())
    assert Message.objects.count() == 0  # a preview sends nothing
    out = StringIO()
    call_command("templates", "list", stdout=out)
    assert "reminder_friendly" in out.getvalue()


def test_remote_urls_are_refused_when_rendering_a_letter(settings, tmp_path):
    from vorder.comms.pdf import LocalOnlyFetcher, RemoteFetchRefused, letter_pdf

    settings.MEDIA_ROOT = tmp_path
    fetcher = LocalOnlyFetcher([tmp_path])
    for url in ("https://example.com/logo.png", "http://10.0.0.1/x", "file:///etc/passwd"):
        with pytest.raises(RemoteFetchRefused):
            fetcher.fetch(url)
    # A letter that points at a remote image still renders, without fetching it.
    assert letter_pdf('<img src="https://example.com/track.png"><p>Hallo</p>').startswith(b"%PDF")


def test_email_settings_from_the_environment(tmp_path):
    from vorder.comms.email_config import EML_BACKEND, SMTP_BACKEND, email_settings_from_env

    assert email_settings_from_env({}, tmp_path)["EMAIL_BACKEND"] == EML_BACKEND
    smtp = email_settings_from_env(
        {
            "VORDER_EMAIL_URL": "smtp://mailer%40acme:s%3Acret@mail.acme.example:587?tls=1",
            "VORDER_EMAIL_FROM": "noreply@acme.example",
        },
        tmp_path,
    )
    assert smtp["EMAIL_BACKEND"] == SMTP_BACKEND
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"]) == ("mail.acme.example", 587)
    assert (smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == ("mailer@acme", "s:cret")
    assert smtp["EMAIL_USE_TLS"] is True
    assert smtp["EMAIL_USE_SSL"] is False
    assert smtp["DEFAULT_FROM_EMAIL"] == "noreply@acme.example"
    ssl = email_settings_from_env({"VORDER_EMAIL_URL": "smtps://mail.acme.example"}, tmp_path)
    assert (ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"], ssl["EMAIL_USE_TLS"]) == (465, True, False)
    django_names = email_settings_from_env({"EMAIL_HOST": "relay", "EMAIL_PORT": "25"}, tmp_path)
    assert (django_names["EMAIL_HOST"], django_names["EMAIL_PORT"]) == ("relay", 25)
    with pytest.raises(ValueError, match="unknown scheme"):
        email_settings_from_env({"VORDER_EMAIL_URL": "http://x"}, tmp_path)
