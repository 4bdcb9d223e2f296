from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from vorder.ledger.services.tokens import api_token_create


class ApiClient:
    """A Django test client that sends one creditor's token with every request."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any):
        return self.client.get(path, params, headers=self.headers)

    def put(self, path: str, body: Any):
        return self.client.put(path, body, content_type="application/json", headers=self.headers)

    def post(self, path: str, body: Any):
        return self.client.post(path, body, content_type="application/json", headers=self.headers)


@pytest.fixture
def api(creditor) -> ApiClient:
    """The webshop integration of Acme Groothandel."""
    _, plain = api_token_create(creditor=creditor, name="webshop")
    return ApiClient(plain)


@pytest.fixture
def other_creditor(db):
    from tests.factories import CreditorFactory

    return CreditorFactory(code="brabo", name="Brabo Distributie NV", country="BE")


@pytest.fixture
def other_api(other_creditor) -> ApiClient:
    _, plain = api_token_create(creditor=other_creditor, name="erp")
    return ApiClient(plain)
