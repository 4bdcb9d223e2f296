"""Browser tests: Playwright's sync API driving Debian's chromium (never `playwright install`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def start_browser() -> Iterator[Callable[[], Any]]:
    """Start chromium only when the test has written its data.

    Playwright's sync API keeps an asyncio loop running in this thread; Django then treats ORM
    calls here as "async" and would refuse them. Tests therefore write their ledger first and
    start the browser after; the browser is gone before pytest-django empties the database.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    running: list[Any] = []

    def start() -> Any:
        manager = sync_playwright()
        playwright = manager.start()
        running.append(manager)
        return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

    yield start
    for manager in running:
        manager.__exit__(None, None, None)


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: VORDER_SCREENSHOTS (e.g. docs/screenshots) or a temporary folder."""
    import os

    target = os.environ.get("VORDER_SCREENSHOTS")
    path = Path(target) if target else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path
