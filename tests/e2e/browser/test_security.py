"""The pages work in a real browser under their Content-Security-Policy (no inline
script or style allowed), and a success notice is the server's, shown once."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.browser.conftest import sign_in

PAGES = ("/", "/tracker/parenting", "/register", "/messages", "/processes", "/reports", "/admin")


def test_every_page_runs_its_scripts_and_styles_with_no_policy_violation(page: Page) -> None:
    refused: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", note)
    sign_in(page, "admin@example.org")
    for path in PAGES:
        page.goto(path)
        # The bootstrap script (a file now) and GOV.UK Frontend's module both ran...
        assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
        # ...and the stylesheet applied (GOV.UK's header is blue, not transparent).
        colour = page.evaluate(
            "getComputedStyle(document.querySelector('.govuk-header')).backgroundColor"
        )
        assert colour == "rgb(29, 112, 184)", path
    assert refused == []


def test_a_notice_in_the_address_shows_nothing_but_a_real_one_shows_once(page: Page) -> None:
    sign_in(page, "ade.bello@example.org")
    page.goto("/?notice=Your+password+has+expired")
    expect(page.get_by_text("Your password has expired")).to_have_count(0)
    page.get_by_role("link", name="Tracker").click()
    page.locator("table a[href^='/cases/']").first.click()
    page.get_by_label("Note", exact=True).fill("Spoke to the parent on the phone")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Case note added")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Case note added")).to_have_count(0)
