"""Browser tests: a real server (tests/e2e/browser/server.py) driven by Debian's
Chromium through Playwright's sync API, from these fixtures (no pytest-playwright)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.e2e.browser.server import LiveServer, start

CHROMIUM = os.environ.get("FAMILYFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshots are refreshed with FAMILYFLOW_SCREENSHOTS=docs/screenshots; an
# ordinary test run writes them to a scratch folder so it leaves the checkout as it was.
SCREENSHOTS = Path(
    os.environ.get("FAMILYFLOW_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / "familyflow-screenshots"
)
PASSWORDS = {
    "bs@example.org": "demo-business-support",
    "kim.lee@example.org": "demo-worker",
    "sam.jones@example.org": "demo-social-worker",
    "ade.bello@example.org": "demo-team-manager",
    "admin@example.org": "demo-admin",
}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does, as root)")
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start(tmp_path)
    yield live
    live.stop()


@pytest.fixture
def new_page(browser: Browser, server: LiveServer) -> Iterator[object]:
    """Factory: a page in a fresh browser context (its own cookies: one person)."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(
            base_url=server.url, viewport={"width": 1200, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: object) -> Page:
    return new_page()  # type: ignore[operator, no-any-return]


def sign_in(page: Page, email: str) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[email])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()


def screenshot(page: Page, name: str, *, height: int | None = None) -> None:
    """SCREENSHOTS/<name>: the whole page, or its first `height` pixels."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if height is not None:
        page.set_viewport_size({"width": 1200, "height": height})
    page.screenshot(path=str(SCREENSHOTS / name), full_page=height is None)
