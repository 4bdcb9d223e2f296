"""Every v1 endpoint needs a live token; the token alone decides whose data is seen."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import ApiClient
from vorder.ledger.models import ApiToken
from vorder.ledger.services.tokens import api_token_create, api_token_revoke

ENDPOINTS = [
    "/api/v1/customers",
    "/api/v1/customers/D10001",
    "/api/v1/customers/D10001/open-items",
    "/api/v1/invoices",
    "/api/v1/invoices/2025-0001",
    "/api/v1/credit-notes",
    "/api/v1/payments",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_request_without_a_token_is_refused(path):
    response = Client().get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.django_db
def test_a_write_without_a_token_is_refused_and_writes_nothing(creditor):
    response = Client().put(
        "/api/v1/customers/D1", {"name": "Sneaky"}, content_type="application/json"
    )

    assert response.status_code == 401
    assert not creditor.customers.exists()


@pytest.mark.parametrize(
    "header", ["Token vdr_abc", "Bearer", "Bearer vdr_not-a-real-token", "Bearer secret"]
)
def test_a_malformed_or_unknown_token_is_refused(creditor, header):
    response = Client().get("/api/v1/invoices", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json()["errors"] == []


def test_a_revoked_token_is_refused(creditor):
    token, plain = api_token_create(creditor=creditor, name="old webshop")
    assert ApiClient(plain).get("/api/v1/invoices").status_code == 200

    api_token_revoke(token=token)

    response = ApiClient(plain).get("/api/v1/invoices")
    assert response.status_code == 401
    assert response.json()["detail"] == "the token is not valid or has been revoked"


def test_only_the_hash_of_a_token_is_stored_and_its_use_is_noted(creditor):
    token, plain = api_token_create(creditor=creditor, name="webshop")

    stored = ApiToken.objects.get(pk=token.pk)
    assert plain not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64
    assert plain.startswith("vdr_" + stored.prefix)
    assert stored.last_used_at is None

    ApiClient(plain).get("/api/v1/invoices")

    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_the_token_says_which_creditor_it_acts_for(api, creditor):
    body = api.get("/api/v1/creditor").json()

    assert (body["code"], body["currency"], body["token"]["name"]) == ("acme", "EUR", "webshop")
    assert body["token"]["prefix"].startswith("vdr_")
