"""Uploading a bank statement through the REST API, and listing the imported statements."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.banking.statements import Entry, Tx, camt053
from tests.factories import CreditorFactory
from vorder.banking.models import StatementLine
from vorder.ledger.services.tokens import api_token_create

KEYS = ["statements", "lines", "credits", "auto_matched", "queued", "allocations", "errors"]


def _client(creditor) -> tuple[Client, dict[str, str]]:
    _, token = api_token_create(creditor=creditor, name="bank-sync")
    return Client(), {"Authorization": f"Bearer {token}"}


def _upload(client, headers, content: bytes, name: str = "day.xml", **params: str):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        f"/api/v1/statements{'?' + query if query else ''}",
        {"file": SimpleUploadedFile(name, content)},
        headers=headers,
    )


def _statement(**kwargs) -> bytes:
    entry = Entry("42.00", ref="R-1", txs=[Tx("42.00", name="Bakkerij", remittance="fact 7")])
    return camt053([entry], opening="10.00", **kwargs)


def test_upload_answers_with_the_import_contract_and_books_once(creditor):
    client, headers = _client(creditor)

    first = _upload(client, headers, _statement())
    again = _upload(client, headers, _statement())

    assert first.status_code == 200
    assert list(first.json()) == KEYS
    assert (first.json()["statements"], first.json()["lines"], first.json()["credits"]) == (1, 1, 1)
    assert again.status_code == 200
    assert again.json()["lines"] == 0
    assert StatementLine.objects.count() == 1


def test_a_refused_upload_is_422_with_the_reason(creditor):
    client, headers = _client(creditor)

    response = _upload(client, headers, _statement(closing="99.00"))

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["file"] == "day.xml"
    assert "do not add up" in error["message"]


def test_dry_run_upload_writes_nothing(creditor):
    client, headers = _client(creditor)
    response = _upload(client, headers, _statement(), dry_run="true")
    assert response.status_code == 200
    assert response.json()["lines"] == 1
    assert not StatementLine.objects.exists()


def test_the_list_shows_only_the_creditors_own_statements(creditor):
    client, headers = _client(creditor)
    _upload(client, headers, _statement())
    other = CreditorFactory(code="brabo", iban="BE68539007547034")
    other_client, other_headers = _client(other)
    _upload(other_client, other_headers, _statement(iban="BE68539007547034"))

    listed = client.get("/api/v1/statements", headers=headers).json()

    assert listed["count"] == 1
    [item] = listed["items"]
    assert item["account"] == "NL91ABNA0417164300"
    assert (item["opening_balance"], item["closing_balance"], item["lines"]) == (
        "10.00",
        "52.00",
        1,
    )
    assert item["format"] == "camt053"


def test_upload_needs_a_token(db):
    assert Client().post("/api/v1/statements").status_code == 401
