from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_openapi_document_describes_v1_with_bearer_authentication():
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert "/api/v1/invoices/{number}" in document["paths"]
    assert "/api/v1/customers/{number}/open-items" in document["paths"]
    assert set(document["paths"]["/api/v1/invoices/{number}"]) == {"get", "put"}
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    gross = document["components"]["schemas"]["InvoiceOut"]["properties"]["gross"]
    assert gross["type"] == "string"


@pytest.mark.django_db
def test_the_interactive_docs_answer():
    response = Client().get("/api/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


@pytest.mark.django_db
def test_the_docs_work_offline():
    """Installations without internet access still get the interactive docs."""
    response = Client().get("/api/docs")

    assert b"cdn.jsdelivr.net" not in response.content


@pytest.mark.django_db
def test_each_list_documents_its_own_statuses():
    document = Client().get("/api/openapi.json").json()

    def statuses(path):
        [status] = [
            p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "status"
        ]
        return status["schema"]["anyOf"][0]["enum"]

    assert statuses("/api/v1/invoices") == ["open", "paid", "cancelled"]
    assert statuses("/api/v1/credit-notes") == ["open", "settled", "cancelled"]
