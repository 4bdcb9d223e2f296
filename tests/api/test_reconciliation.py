"""The reconciliation queue through the API, as the webshop's bank robot of Acme works it.

On 1 March 2024 Acme's bank books EUR 121.00 from an account nobody knows (NL69INGB0123456789,
"X", text "2024-0153"). Invoice 2024-0153 of Bakkerij De Korenbloem (D10001) is open for exactly
that, but matching is not sure enough to book it alone, so the line waits in the queue with its
suggestions. The robot reads the queue and decides: accept, split by hand, put on account or
ignore — each decision audited as `api:webshop`, and a line decided once cannot be decided again.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tests.api.conftest import ApiClient
from tests.factories import CustomerFactory, InvoiceFactory
from vorder.banking.labelled import statement_lines_write
from vorder.banking.matching import statement_lines_match
from vorder.banking.models import LineStatus, StatementLine
from vorder.banking.selectors import statement_lines_json
from vorder.common.models import AuditEntry
from vorder.ledger.models import Invoice, Payment

BOOKED = dt.date(2024, 3, 1)
STRANGER = "NL69INGB0123456789"

pytestmark = pytest.mark.django_db


def credits(creditor, *specs: dict, key: str = "stmt", booked: dt.date = BOOKED):
    return statement_lines_write(
        creditor=creditor,
        specs=[
            {"counterparty_name": "", "counterparty_iban": "", "remittance_info": "", **s}
            for s in specs
        ],  # fmt: skip
        key=key,
        booked=booked,
    )


def queue(creditor, *specs: dict, key: str = "stmt", booked: dt.date = BOOKED):
    """Lines that matching leaves for a person (a threshold of 1: nothing is sure enough)."""
    lines = credits(creditor, *specs, key=key, booked=booked)
    statement_lines_match(creditor=creditor, lines=lines, dry_run=False, threshold=Decimal(1))
    return [StatementLine.objects.get(pk=line.pk) for line in lines]


def as_json(line: StatementLine) -> dict:
    """The line as the CLI prints it (`vorder bank line --json`), through JSON like the API."""
    line.refresh_from_db()
    return json.loads(json.dumps(statement_lines_json([line])[0]))


def refreshed(obj):
    obj.refresh_from_db()
    return obj


@pytest.fixture
def invoice(customer):
    return InvoiceFactory(customer=customer, number="2024-0153", net_minor=10000, vat_minor=2100)


@pytest.fixture
def second_invoice(customer):
    return InvoiceFactory(customer=customer, number="2024-0154", net_minor=10000, vat_minor=2100)


@pytest.fixture
def line(creditor, invoice, second_invoice):
    [queued] = queue(
        creditor,
        {"amount_minor": 12100, "counterparty_name": "X", "counterparty_iban": STRANGER,
         "remittance_info": "2024-0153"},
    )  # fmt: skip
    assert queued.status == LineStatus.QUEUED
    return queued


def url(line: StatementLine, action: str = "") -> str:
    return f"/api/v1/statement-lines/{line.pk}" + (f"/{action}" if action else "")


# -- reading ----------------------------------------------------------------------------------
def test_the_queue_lists_the_waiting_lines_oldest_first_as_the_cli_shows_them(api, creditor, line):
    [older] = queue(creditor, {"amount_minor": 500, "counterparty_name": "Niemand"},
                    key="earlier", booked=BOOKED - dt.timedelta(days=3))  # fmt: skip
    [done] = credits(creditor, {"amount_minor": 700}, key="booked")
    done.status = LineStatus.MATCHED
    done.save()

    listed = api.get("/api/v1/reconciliation").json()

    assert (listed["count"], listed["next_offset"]) == (2, None)
    assert [item["id"] for item in listed["items"]] == [older.pk, line.pk]
    assert listed["items"] == [as_json(older), as_json(line)]
    best = listed["items"][1]["suggestions"][0]
    assert best["number"] == 1
    assert best["customer"] == {"number": "D10001", "name": "Bakkerij De Korenbloem"}
    assert best["allocations"] == [{"invoice": "2024-0153", "amount": "121.00"}]
    assert listed["items"][1]["amount"] == "121.00"


def test_the_queue_pages_like_every_list(api, creditor, line):
    queue(creditor, {"amount_minor": 500, "counterparty_name": "Niemand"}, key="later",
          booked=BOOKED + dt.timedelta(days=1))  # fmt: skip

    first = api.get("/api/v1/reconciliation", limit=1).json()
    second = api.get("/api/v1/reconciliation", limit=1, offset=1).json()

    assert (first["count"], first["limit"], first["offset"], first["next_offset"]) == (2, 1, 0, 1)
    assert [i["id"] for i in first["items"]] == [line.pk]
    assert second["next_offset"] is None
    assert len(second["items"]) == 1
    assert api.get("/api/v1/reconciliation", limit=0).status_code == 422


def test_one_line_is_shown_whatever_its_status(api, creditor, line):
    [debit] = credits(creditor, {"amount_minor": -250, "remittance_info": "bank costs"}, key="d")

    response = api.get(url(debit))

    assert response.status_code == 200
    assert response.json() == as_json(debit)
    assert response.json()["amount"] == "-2.50"
    assert api.get(url(line)).json()["status"] == "queued"
    missing = api.get("/api/v1/statement-lines/999999")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "there is no statement line 999999", "errors": []}


def test_another_creditors_line_is_not_found_for_reading_or_deciding(
    api, other_api, creditor, other_creditor, line
):
    other_creditor.iban = "BE68539007547034"
    other_creditor.save()
    [theirs] = queue(other_creditor, {"amount_minor": 900, "counterparty_name": "Y"}, key="be")

    assert other_api.get(url(line)).status_code == 404
    assert other_api.get("/api/v1/reconciliation").json()["items"] == [as_json(theirs)]
    assert api.get(url(theirs)).status_code == 404
    assert api.post(url(theirs, "accept"), {}).status_code == 404
    assert api.post(url(theirs, "on-account"), {"customer": "D10001"}).status_code == 404
    assert api.post(url(theirs, "ignore"), {"reason": "not ours"}).status_code == 404
    allocate = api.post(
        url(theirs, "allocate"), {"allocations": [{"invoice": "2024-0153", "amount": "9.00"}]}
    )
    assert allocate.status_code == 404
    assert refreshed(theirs).status == LineStatus.QUEUED


def test_returns_since_a_day_default_thirty_days(api, creditor, other_creditor):
    today = dt.date.today()
    recent, old = (
        credits(creditor, {"amount_minor": -12100, "status": LineStatus.RETURNED,
                           "remittance_info": "MD06 refund"}, key=key, booked=booked)[0]
        for key, booked in (("recent", today - dt.timedelta(days=5)),
                            ("old", today - dt.timedelta(days=60)))
    )  # fmt: skip
    credits(creditor, {"amount_minor": -300}, key="costs", booked=today)  # a debit, no return
    other_creditor.iban = "BE68539007547034"
    other_creditor.save()
    credits(other_creditor, {"amount_minor": -100, "status": LineStatus.RETURNED}, key="be",
            booked=today)  # fmt: skip

    default = api.get("/api/v1/returns").json()
    since = api.get("/api/v1/returns", since=(today - dt.timedelta(days=90)).isoformat()).json()

    assert default["items"] == [as_json(recent)]
    assert [i["id"] for i in since["items"]] == [recent.pk, old.pk]  # newest first
    assert since["items"][0]["status"] == "returned"
    bad = api.get("/api/v1/returns", since="01-03-2024")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "since"


def test_without_a_token_nothing_is_read_or_decided(line):
    anonymous = ApiClient(None)

    for response in (
        anonymous.get("/api/v1/reconciliation"),
        anonymous.get(url(line)),
        anonymous.get("/api/v1/returns"),
        anonymous.post(url(line, "accept"), {}),
        anonymous.post(url(line, "ignore"), {"reason": "x"}),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
    assert refreshed(line).status == LineStatus.QUEUED


# -- accept -----------------------------------------------------------------------------------
def test_accepting_books_the_first_suggestion_audited_as_the_token(api, line, invoice):
    response = api.client.post(  # no body at all, as `curl -X POST` sends it
        url(line, "accept"), b"", content_type="application/json", headers=api.headers
    )

    assert response.status_code == 200
    body = response.json()
    assert body == as_json(line)
    assert body["status"] == "matched"
    assert body["customer"]["number"] == "D10001"
    assert body["explanation"].startswith("accepted by api:webshop: invoice number 2024-0153")
    assert refreshed(invoice).status == Invoice.Status.PAID
    entry = AuditEntry.objects.filter(model="banking.statementline", object_id=str(line.pk))[0]
    assert entry.actor == "api:webshop"
    assert entry.changes["status"] == ["queued", "matched"]
    paid = AuditEntry.objects.get(model="ledger.invoice", object_id=str(invoice.pk))
    assert paid.actor == "api:webshop"


def test_a_decided_line_cannot_be_decided_again(api, line):
    assert api.post(url(line, "accept"), {"suggestion": 1}).status_code == 200

    for action, body in (
        ("accept", {"suggestion": 1}),
        ("allocate", {"allocations": [{"invoice": "2024-0154", "amount": "1.00"}]}),
        ("on-account", {"customer": "D10001"}),
        ("ignore", {"reason": "twice"}),
    ):
        response = api.post(url(line, action), body)
        assert response.status_code == 409, action
        assert response.json() == {
            "detail": f"statement line {line.pk} is matched, not queued",
            "errors": [],
        }


def test_a_debit_is_no_queue_work(api, creditor):
    [debit] = credits(creditor, {"amount_minor": -500}, key="debit")

    response = api.post(url(debit, "ignore"), {"reason": "bank costs"})

    assert response.status_code == 409
    assert response.json()["detail"] == f"statement line {debit.pk} is not a credit"


def test_a_suggestion_that_is_not_there_is_refused_naming_the_field(api, line):
    missing = api.post(url(line, "accept"), {"suggestion": 9})
    zero = api.post(url(line, "accept"), {"suggestion": 0})
    misspelt = api.post(url(line, "accept"), {"sugestion": 2})

    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "suggestion", "message": f"statement line {line.pk} has no suggestion 9"}
    ]
    assert zero.status_code == 422
    assert zero.json()["errors"][0]["field"] == "suggestion"
    assert misspelt.json()["errors"] == [{"field": "sugestion", "message": "is not a known field"}]
    assert refreshed(line).status == LineStatus.QUEUED


# -- allocate ---------------------------------------------------------------------------------
def test_a_split_by_hand_over_two_invoices(api, line, invoice, second_invoice):
    response = api.post(
        url(line, "allocate"),
        {"allocations": [{"invoice": "2024-0153", "amount": "100.00"},
                         {"invoice": "2024-0154", "amount": 21}]},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.json()["status"] == "matched"
    assert response.json()["explanation"] == (
        "allocated by api:webshop to invoice 2024-0153, 2024-0154"
    )
    assert (refreshed(invoice).open_minor, refreshed(second_invoice).open_minor) == (2100, 10000)


def test_a_part_split_leaves_the_rest_on_account(api, line, invoice):
    response = api.post(
        url(line, "allocate"), {"allocations": [{"invoice": "2024-0153", "amount": "60.50"}]}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "partially_matched"
    assert refreshed(invoice).open_minor == 6050
    assert Payment.objects.get(pk=refreshed(line).payment_id).unallocated_minor == 6050


def test_unknown_invoices_and_unreadable_amounts_are_named_each(api, line, other_creditor):
    CustomerFactory(creditor=other_creditor, number="B1")
    InvoiceFactory(customer__creditor=other_creditor, number="BE-1")

    response = api.post(
        url(line, "allocate"),
        {"allocations": [{"invoice": "2024-9999", "amount": "10.00"},
                         {"invoice": "2024-0153", "amount": "tien"},
                         {"invoice": "2024-0153", "amount": 60.5},
                         {"invoice": "2024-0154", "amount": "10.005"},
                         {"invoice": "2024-0154", "amount": "-5.00"},
                         {"invoice": "BE-1", "amount": "1.00"}]},
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "allocations[0].invoice", "message": "unknown invoice '2024-9999'"},
        {"field": "allocations[1].amount", "message": "'tien' is not an amount"},
        {
            "field": "allocations[2].amount",
            "message": "amounts must be written as text or whole numbers, not floating point",
        },
        {"field": "allocations[3].amount", "message": "'10.005' has more than 2 decimals for EUR"},
        {"field": "allocations[4].amount", "message": "must be more than 0"},
        {"field": "allocations[5].invoice", "message": "unknown invoice 'BE-1'"},
    ]
    assert refreshed(line).status == LineStatus.QUEUED


def test_a_split_the_service_refuses_is_422_on_allocations(api, creditor, line):
    InvoiceFactory(customer=CustomerFactory(creditor=creditor), number="2024-0999")

    too_much = api.post(
        url(line, "allocate"), {"allocations": [{"invoice": "2024-0153", "amount": "121.01"}]}
    )
    two_customers = api.post(
        url(line, "allocate"),
        {"allocations": [{"invoice": "2024-0153", "amount": "1.00"},
                         {"invoice": "2024-0999", "amount": "1.00"}]},
    )  # fmt: skip
    none = api.post(url(line, "allocate"), {"allocations": []})
    missing = api.post(url(line, "allocate"), {})

    assert too_much.status_code == 422
    [error] = too_much.json()["errors"]
    assert error["field"] == "allocations"
    assert "exceeds the payment" in error["message"]
    assert two_customers.json()["errors"][0]["message"] == (
        "one payment pays the invoices of one customer"
    )
    assert none.json()["errors"] == [
        {"field": "allocations", "message": "name at least one invoice"}
    ]
    assert missing.json()["errors"] == [{"field": "allocations", "message": "is required"}]
    assert refreshed(line).status == LineStatus.QUEUED


def test_more_than_an_invoice_has_open_is_422(api, creditor, line, invoice):
    invoice.open_minor = 1000
    invoice.save()

    response = api.post(
        url(line, "allocate"), {"allocations": [{"invoice": "2024-0153", "amount": "50.00"}]}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "allocations"
    assert refreshed(line).status == LineStatus.QUEUED


# -- on account, ignore -----------------------------------------------------------------------
def test_money_put_on_a_customers_account(api, line, customer):
    response = api.post(url(line, "on-account"), {"customer": "d10001"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["customer"]["number"]) == ("matched", "D10001")
    assert body["explanation"] == ("put on account of D10001 Bakkerij De Korenbloem by api:webshop")
    payment = Payment.objects.get(pk=refreshed(line).payment_id)
    assert (payment.customer_id, payment.unallocated_minor) == (customer.pk, 12100)


def test_on_account_of_an_unknown_or_foreign_customer_is_refused(api, line, other_creditor):
    CustomerFactory(creditor=other_creditor, number="B001")

    for number in ("D99999", "B001"):
        response = api.post(url(line, "on-account"), {"customer": number})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "customer", "message": f"unknown customer '{number}'"}
        ]
    assert refreshed(line).status == LineStatus.QUEUED


def test_ignoring_takes_the_line_out_of_the_queue_with_the_reason(api, line):
    blank = api.post(url(line, "ignore"), {"reason": "  "})
    missing = api.post(url(line, "ignore"), {})

    response = api.post(url(line, "ignore"), {"reason": "refund from supplier"})

    assert blank.status_code == 422
    assert blank.json()["errors"] == [{"field": "reason", "message": "say why the line is ignored"}]
    assert missing.json()["errors"] == [{"field": "reason", "message": "is required"}]
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert response.json()["explanation"] == "ignored by api:webshop: refund from supplier"
    entry = AuditEntry.objects.filter(model="banking.statementline", object_id=str(line.pk))[0]
    assert entry.actor == "api:webshop"
    assert entry.changes["reason"] == [None, "refund from supplier"]
    assert api.get("/api/v1/reconciliation").json()["count"] == 0


def test_the_openapi_document_describes_the_queue(client):
    paths = client.get("/api/openapi.json").json()["paths"]

    assert set(paths["/api/v1/reconciliation"]) == {"get"}
    assert set(paths["/api/v1/returns"]) == {"get"}
    for action in ("accept", "allocate", "on-account", "ignore"):
        assert set(paths[f"/api/v1/statement-lines/{{id}}/{action}"]) == {"post"}
