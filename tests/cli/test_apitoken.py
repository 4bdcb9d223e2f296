"""`vorder apitoken`: create (shown once), list (never the secret), revoke by prefix."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.api.conftest import ApiClient
from tests.factories import CreditorFactory
from vorder.common.models import AuditEntry
from vorder.ledger.models import ApiToken


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apitoken", *args, stdout=out)
    return out.getvalue()


def test_create_prints_a_working_token_once(creditor):
    created = json.loads(run("create", "--creditor", "acme", "--name", "webshop", "--json"))

    assert created["creditor"] == "acme"
    assert created["token"].startswith(created["prefix"])
    assert ApiClient(created["token"]).get("/api/v1/invoices").status_code == 200
    assert AuditEntry.objects.get(model="ledger.apitoken").actor == "cli"
    listed = run("list")
    assert created["prefix"] in listed
    assert created["token"] not in listed


def test_revoke_by_prefix_locks_the_integration_out(creditor):
    created = json.loads(run("create", "--name", "webshop", "--json"))

    out = run("revoke", created["prefix"])

    assert "Revoked" in out
    assert ApiClient(created["token"]).get("/api/v1/invoices").status_code == 401
    assert json.loads(run("list", "--json"))[0]["revoked"] is True
    assert "already revoked" in run("revoke", created["prefix"])


def test_several_creditors_need_a_creditor_code(creditor):
    CreditorFactory(code="brabo")

    with pytest.raises(CommandError, match="--creditor"):
        run("create", "--name", "webshop")


def test_an_unknown_prefix_is_an_error(creditor):
    with pytest.raises(CommandError, match="no token with prefix"):
        run("revoke", "vdr_nothere")
    assert not ApiToken.objects.exists()
