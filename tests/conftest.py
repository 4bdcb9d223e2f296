from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared (legal reference, corpus); tests that need it skip cleanly in a clone elsewhere."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


@pytest.fixture
def creditor(db):
    from tests.factories import CreditorFactory

    return CreditorFactory(code="acme", name="Acme Groothandel B.V.")


@pytest.fixture
def customer(creditor):
    from tests.factories import CustomerFactory

    return CustomerFactory(creditor=creditor, number="D10001", name="Bakkerij De Korenbloem")


@pytest.fixture
def nl(db):
    """A Dutch creditor with the shipped templates and dunning policies: a run can act."""
    from tests.factories import CreditorFactory
    from vorder.comms.services import templates_install
    from vorder.dunning.services import policies_install_defaults

    creditor = CreditorFactory(code="nlco", name="Groothandel Noord B.V.", country="NL",
                               address_line1="Havenweg 1", postal_code="1000 AA", city="Amsterdam")  # fmt: skip
    templates_install()
    policies_install_defaults(creditor=creditor)
    return creditor


@pytest.fixture(autouse=True, scope="session")
def _audit_trail_flushable() -> Iterator[None]:
    """Let pytest-django empty the database after a browser test, audit trail included.

    The audit trail is append-only through database triggers, so the flush that ends every
    transactional test (the live server needs one) would be refused. Only around that flush are
    the triggers lifted, and they are back before the next test starts.
    """
    from django.core.management.commands import flush
    from django.db import connections

    original = flush.Command.handle

    def handle(self: Any, **options: Any) -> Any:
        connection = connections[options.get("database") or "default"]
        if connection.vendor == "postgresql":
            lift = ["ALTER TABLE common_auditentry DISABLE TRIGGER USER"]
            restore = ["ALTER TABLE common_auditentry ENABLE TRIGGER USER"]
        else:
            lift = [
                "DROP TRIGGER IF EXISTS audit_no_update",
                "DROP TRIGGER IF EXISTS audit_no_delete",
            ]
            restore = _sqlite_audit_triggers()
        with connection.cursor() as cursor:
            for sql in lift:
                cursor.execute(sql)
        try:
            return original(self, **options)
        finally:
            with connection.cursor() as cursor:
                for sql in restore:
                    cursor.execute(sql)
            # the flush also empties the role groups a migration created; tests expect them
            from django.contrib.auth.models import Group

            from vorder.common.roles import ROLES

            for role in ROLES:
                Group.objects.using(connection.alias).get_or_create(name=role)

    flush.Command.handle = handle  # type: ignore[method-assign]
    try:
        yield
    finally:
        flush.Command.handle = original  # type: ignore[method-assign]


def _sqlite_audit_triggers() -> list[str]:
    """The migration's own trigger definitions, so the test cannot drift from them."""
    import importlib

    migration = importlib.import_module("vorder.common.migrations.0002_audit_append_only")
    return list(migration.SQLITE)


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Every test starts in the default language: a page test that switched to Dutch must not
    leak into the next test on the same worker."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
