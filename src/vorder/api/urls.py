"""The REST API: what integrators script. Thin: parse, call a service or selector, render.

Versioned under /api/v1/; the OpenAPI document is /api/openapi.json and the interactive docs
/api/docs. Every v1 endpoint needs ``Authorization: Bearer <token>``; the token decides the
creditor, so one creditor's integration can never see or change another's data.
"""

from django.urls import path
from ninja import NinjaAPI, Router

from vorder.api import (
    credit_notes,
    creditor,
    customers,
    invoices,
    mandates,
    payments,
    reconciliation,
    statements,
)
from vorder.api.auth import CreditorToken
from vorder.api.errors import install_error_handlers

api = NinjaAPI(
    title="vorder API",
    version="1",
    description=(
        "Receivables of one creditor: customers, invoices, credit notes, payments, open "
        "items, bank statements, the reconciliation queue and direct debit mandates. "
        "Authenticate with `Authorization: Bearer <token>` (create one with "
        "`vorder apitoken create`). Amounts are strings with two decimals; dates are ISO 8601. "
        'Errors: `{"detail": str, "errors": [{"field", "message", "index"?}]}`.'
    ),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)
install_error_handlers(api)

v1 = Router(auth=CreditorToken())
v1.add_router("", creditor.router)
v1.add_router("", customers.router)
v1.add_router("", invoices.router)
v1.add_router("", credit_notes.router)
v1.add_router("", payments.router)
v1.add_router("", statements.router)
v1.add_router("", reconciliation.router)
v1.add_router("", mandates.router)
api.add_router("/v1/", v1)

urlpatterns = [path("", api.urls)]
