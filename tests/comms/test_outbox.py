"""The outbox: queued in the caller's transaction, sent once, retried, recovered, bounced."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading

import pytest
import time_machine
from django.db import connection, transaction

from tests.comms.conftest import AS_OF
from vorder.comms import services
from vorder.comms.models import DeliveryEvent, Message
from vorder.comms.selectors import message_context_base, postal_address_block
from vorder.comms.services import (
    MAX_ATTEMPTS,
    OutboxError,
    OutgoingMessage,
    message_mark_bounced,
    messages_enqueue,
    outbox_dispatch,
    retry_delay,
)

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _queued_before_now():
    """Messages are queued (wall clock) an hour before the dispatcher runs at ``NOW``, whatever
    today's date is: a delivery history read in time order must start with 'queued'."""
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=True):
        yield


def outgoing(ledger, *, key="run-2026-11-22:D10001", channel="email", template="reminder", **extra):
    context = message_context_base(
        creditor=ledger["creditor"],
        customer=ledger["customer"],
        contact=ledger["contact"],
        items=None,
        as_of=AS_OF,
    )
    recipient = {
        "email": "jan@korenbloem.example",
        "letter": postal_address_block(
            customer=ledger["customer"], contact=ledger["contact"], home_country="NL", language="nl"
        ),
        "sms": "+31612345678",
    }[channel]
    return OutgoingMessage(
        creditor=ledger["creditor"],
        customer=ledger["customer"],
        contact=ledger["contact"],
        channel=channel,
        recipient=recipient,
        language="nl",
        template_key=template,
        context=context,
        idempotency_key=key,
        **extra,
    )


@pytest.mark.django_db
def test_a_second_enqueue_with_the_same_key_creates_nothing(ledger):
    [first] = messages_enqueue(messages=[outgoing(ledger)])
    [again] = messages_enqueue(messages=[outgoing(ledger)])
    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert list(first.events.values_list("status", flat=True)) == ["queued"]


@pytest.mark.django_db
def test_enqueue_belongs_to_the_callers_transaction(ledger):
    def dunning_run_that_fails_after_writing() -> None:
        with transaction.atomic():
            messages_enqueue(messages=[outgoing(ledger)])
            raise RuntimeError("the dunning run fails after writing its decisions")

    with pytest.raises(RuntimeError):
        dunning_run_that_fails_after_writing()
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_enqueue_refuses_a_message_without_recipient(ledger):
    bad = outgoing(ledger)
    bad = OutgoingMessage(**{**bad.__dict__, "recipient": " "})
    with pytest.raises(OutboxError, match="no recipient"):
        messages_enqueue(messages=[bad])


@pytest.mark.django_db
def test_the_dispatcher_sends_an_email_once_and_keeps_the_proof(ledger, outbox_dirs):
    [message] = messages_enqueue(messages=[outgoing(ledger)])
    result = outbox_dispatch(now=NOW)
    assert (result.claimed, result.sent) == (1, 1)
    assert outbox_dispatch(now=NOW + dt.timedelta(hours=1)).claimed == 0
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.sent_at == NOW
    assert message.attempts == 1
    assert "2026-00017" in message.body_text
    assert len(message.content_sha256) == 64
    files = list((outbox_dirs / "outbox" / "email").glob("*.eml"))
    assert len(files) == 1
    eml = files[0].read_text()
    assert "X-Vorder-Idempotency-Key: run-2026-11-22:D10001" in eml
    assert message.provider_message_id in eml
    assert list(message.events.values_list("status", flat=True)) == ["queued", "sent"]


@pytest.mark.django_db
def test_a_letter_is_rendered_to_pdf_and_posted_to_the_letter_outbox(ledger, outbox_dirs):
    [message] = messages_enqueue(
        messages=[outgoing(ledger, channel="letter", template="final_notice", key="L1")]
    )
    assert outbox_dispatch(now=NOW).sent == 1
    message.refresh_from_db()
    assert message.registered  # the shipped final notice goes registered
    assert message.pdf.read().startswith(b"%PDF")
    [posted] = (outbox_dirs / "outbox" / "letters").glob("*.pdf")
    assert posted.name.startswith("D10001-")
    assert posted.name.endswith("-registered.pdf")


@pytest.mark.django_db
def test_an_sms_is_recorded(ledger, outbox_dirs):
    messages_enqueue(messages=[outgoing(ledger, channel="sms", key="S1")])
    assert outbox_dispatch(now=NOW).sent == 1
    [record] = (outbox_dirs / "outbox" / "sms").glob("*.json")
    assert "+31612345678" in record.read_text()


class FlakyConnection:
    """A mail server that answers 451 (try again later) a number of times, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list = []

    def __call__(self, **kwargs):
        return self

    def send_messages(self, messages):
        if self.failures:
            self.failures -= 1
            raise smtplib.SMTPDataError(451, b"4.3.0 mailbox busy, try again later")
        self.sent.extend(messages)
        return len(messages)


@pytest.mark.django_db
def test_a_transient_smtp_error_is_retried_with_backoff(ledger, outbox_dirs, monkeypatch):
    server = FlakyConnection(failures=2)
    monkeypatch.setattr("vorder.comms.providers.get_connection", server)
    [message] = messages_enqueue(messages=[outgoing(ledger)])

    assert outbox_dispatch(now=NOW).retried == 1
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.attempts == 1
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=2)
    assert "451" in message.last_error

    assert outbox_dispatch(now=NOW + dt.timedelta(minutes=1)).claimed == 0  # not due yet
    assert outbox_dispatch(now=NOW + dt.timedelta(minutes=2)).retried == 1
    message.refresh_from_db()
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=2 + 4)

    assert outbox_dispatch(now=NOW + dt.timedelta(minutes=6)).sent == 1
    assert len(server.sent) == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempts == 3
    assert list(message.events.values_list("status", flat=True)) == [
        "queued",
        "retry",
        "retry",
        "sent",
    ]


@pytest.mark.django_db
def test_after_the_last_attempt_the_message_fails(ledger, outbox_dirs, monkeypatch):
    monkeypatch.setattr("vorder.comms.providers.get_connection", FlakyConnection(failures=99))
    [message] = messages_enqueue(messages=[outgoing(ledger)])
    when = NOW
    for _ in range(MAX_ATTEMPTS):
        outbox_dispatch(now=when)
        when += dt.timedelta(hours=7)
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == MAX_ATTEMPTS
    assert retry_delay(1) == dt.timedelta(minutes=2)
    assert retry_delay(20) == dt.timedelta(hours=6)


@pytest.mark.django_db
def test_a_permanent_smtp_error_fails_at_once(ledger, outbox_dirs, monkeypatch):
    class Refusing(FlakyConnection):
        def send_messages(self, messages):
            raise smtplib.SMTPDataError(554, b"5.7.1 message rejected as spam")

    monkeypatch.setattr("vorder.comms.providers.get_connection", Refusing(0))
    [message] = messages_enqueue(messages=[outgoing(ledger)])
    assert outbox_dispatch(now=NOW).failed == 1
    message.refresh_from_db()
    assert message.status == "failed"
    assert "554" in message.last_error


class Crash(BaseException):
    """The process dies (kill -9, power cut): nothing after this line runs."""


@pytest.mark.django_db
def test_a_crash_after_sending_is_recovered_without_a_second_copy(ledger, outbox_dirs, monkeypatch):
    [message] = messages_enqueue(messages=[outgoing(ledger)])

    def die(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(services, "_record_sent", die)
        with pytest.raises(Crash):
            outbox_dispatch(now=NOW)
    message.refresh_from_db()
    assert message.status == "sending"

    assert outbox_dispatch(now=NOW + dt.timedelta(minutes=5)).claimed == 0  # not stuck yet
    result = outbox_dispatch(now=NOW + dt.timedelta(minutes=20))
    assert (result.recovered_sent, result.sent) == (1, 0)
    message.refresh_from_db()
    assert message.status == "sent"
    assert len(list((outbox_dirs / "outbox" / "email").glob("*.eml"))) == 1


@pytest.mark.django_db
def test_a_crash_before_sending_is_recovered_by_sending_it(ledger, outbox_dirs, monkeypatch):
    [message] = messages_enqueue(messages=[outgoing(ledger)])

    def die(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr("vorder.comms.providers.EmailProvider.send", die)
        with pytest.raises(Crash):
            outbox_dispatch(now=NOW)
    result = outbox_dispatch(now=NOW + dt.timedelta(minutes=20))
    assert (result.recovered_requeued, result.sent) == (1, 1)
    message.refresh_from_db()
    assert message.status == "sent"
    assert list(message.events.values_list("status", flat=True)) == [
        "queued",
        "requeued",
        "sent",
    ]


@pytest.mark.django_db
def test_two_claims_never_share_a_message(ledger):
    messages_enqueue(messages=[outgoing(ledger, key=f"K{i}") for i in range(10)])
    token_a, first = services._claim(now=NOW, limit=6)
    token_b, second = services._claim(now=NOW, limit=6)
    assert len(first) == 6
    assert len(second) == 4
    assert not set(first) & set(second)


@pytest.fixture
def flushable_audit_trail(transactional_db):
    """PostgreSQL refuses TRUNCATE of the append-only audit trail, and the teardown of a
    transactional test flushes every table: let this one session skip the triggers (the
    connection is closed right after the flush, so no other test sees it)."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_send_each_message_exactly_once(
    flushable_audit_trail, ledger, outbox_dirs
):
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory test database of SQLite cannot be shared by threads")
    messages_enqueue(messages=[outgoing(ledger, key=f"C{i}", channel="sms") for i in range(40)])
    results, errors = [], []

    def worker():
        try:
            results.append(outbox_dispatch(now=NOW, limit=15))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    while (more := outbox_dispatch(now=NOW)).claimed:
        results.append(more)
    assert sum(r.sent for r in results) == 40
    assert Message.objects.filter(status="sent").count() == 40
    assert DeliveryEvent.objects.filter(status="sent").count() == 40
    assert len(list((outbox_dirs / "outbox" / "sms").glob("*.json"))) == 40


@pytest.mark.django_db
def test_a_bounced_email_falls_back_to_a_letter_with_the_same_content(ledger, outbox_dirs):
    [email] = messages_enqueue(messages=[outgoing(ledger)])
    outbox_dispatch(now=NOW)
    email.refresh_from_db()
    letter = message_mark_bounced(message=email, reason="550 5.1.1 user unknown", now=NOW)
    email.refresh_from_db()
    assert email.status == "bounced"
    assert letter is not None
    assert letter.channel == "letter"
    assert letter.status == "queued"
    assert letter.context == email.context
    assert letter.fallback_of_id == email.pk
    assert letter.recipient.splitlines() == [
        "Bakkerij De Korenbloem",
        "T.a.v. Jan de Vries",
        "Dorpsstraat 12",
        "3512 AB Utrecht",
    ]
    again = message_mark_bounced(message=email, reason="550 again", now=NOW)
    assert again.pk == letter.pk
    assert Message.objects.filter(channel="letter").count() == 1
    assert outbox_dispatch(now=NOW).sent == 1


@pytest.mark.django_db
def test_no_letter_fallback_without_a_postal_address(ledger, outbox_dirs):
    customer = ledger["customer"]
    customer.address_line1 = ""
    customer.save()
    [email] = messages_enqueue(messages=[outgoing(ledger)])
    assert message_mark_bounced(message=email, reason="550", now=NOW) is None


@pytest.mark.django_db
def test_a_fourteen_day_letter_without_the_announced_costs_is_refused(ledger):
    message = outgoing(ledger, template="nl_fourteen_day_letter", key="F1")
    with pytest.raises(OutboxError, match="must state announced_costs"):
        messages_enqueue(messages=[message])
    message.context["announced_costs"] = "222.68"
    [queued] = messages_enqueue(messages=[message])
    assert queued.status == "queued"
