from __future__ import annotations

from pathlib import Path

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
