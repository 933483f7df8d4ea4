"""The register and manager oversight, in a browser (issue 10).

A miss is confirmed before it is recorded and can be undone while its text waits
(PAR-12); a worker's manager-oversight note does not meet PAR-06, a manager's does.
The server's clock stands still (tests/e2e/browser/server.py), so the undo window
is open for the whole journey."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.browser.conftest import sign_in
from tests.e2e.browser.server import LiveServer
from tests.support.journeys import outbox_rows


def test_a_worker_confirms_a_miss_then_undoes_it_and_no_text_is_sent(
    page: Page, server: LiveServer
) -> None:
    sign_in(page, "kim.lee@example.org")
    page.get_by_role("link", name="Register").click()
    row = page.locator("#register tbody tr", has_text="Fran Lowe")
    # Only sessions that have started can be marked (the demo's last four are to come).
    expect(row.get_by_text("Not started yet")).to_have_count(4)
    row.get_by_role("button", name=re.compile("^Missed")).first.click()

    expect(
        page.get_by_role("heading", name=re.compile("^Did Fran Lowe miss the session"))
    ).to_be_visible()
    page.get_by_label("Reason (optional)").fill("Poorly child")
    page.get_by_role("button", name="Record the missed session").click()
    expect(page.get_by_text("The text to the parent goes in 5 minutes")).to_be_visible()
    expect(row.get_by_text("Missed", exact=True)).to_have_count(2)

    undo = page.locator("#undo")
    expect(undo).to_contain_text("Fran Lowe: missed")
    undo.get_by_role("button", name=re.compile("^Undo")).click()
    expect(page.get_by_text("Fran Lowe: the record was undone; nothing was sent")).to_be_visible()
    expect(row.get_by_text("Missed", exact=True)).to_have_count(1)
    expect(page.locator("#undo")).to_have_count(0)

    page.get_by_role("link", name="Messages").click()
    text = page.locator('#messages tr[data-template="parenting/missed_session"]').first
    expect(text).to_contain_text("+447700900199")
    expect(text).to_contain_text("Cancelled")
    # Long after the window, the delivery job still sends nothing for it.
    server.flow.clock.advance_to(server.flow.clock.now().replace(hour=12))  # type: ignore[attr-defined]
    server.flow.outbox.deliver_due()
    cancelled = [
        m
        for m in outbox_rows(server.flow, template="parenting/missed_session")
        if m["status"] == "cancelled"
    ]
    assert [(m["to_address"], m["sent_at"]) for m in cancelled] == [("+447700900199", None)]


def test_a_workers_oversight_note_does_not_meet_PAR_06_and_the_managers_does(
    new_page: object,
) -> None:
    worker: Page = new_page()  # type: ignore[operator]
    sign_in(worker, "kim.lee@example.org")
    worker.locator("#my-work tr", has_text="Dee Moss").first.get_by_role("link").first.click()
    deadlines = worker.locator("#deadlines")
    expect(deadlines).to_contain_text("PAR-06")
    worker.get_by_label("Kind of note").select_option("manager_oversight")
    worker.get_by_label("Note", exact=True).fill("Spoke to the family about routines.")
    worker.get_by_role("button", name="Add note").click()
    expect(
        worker.get_by_text(
            "It does not meet PAR-06: a manager oversight note counts only when a team "
            "manager writes it."
        )
    ).to_be_visible()
    expect(deadlines).to_contain_text("PAR-06")
    case_url = worker.url

    manager: Page = new_page()  # type: ignore[operator]
    sign_in(manager, "ade.bello@example.org")
    manager.goto(case_url)
    manager.get_by_label("Kind of note").select_option("manager_oversight")
    manager.get_by_label("Note", exact=True).fill("Allocated to Kim: focus on bedtime routines.")
    manager.get_by_role("button", name="Add note").click()
    expect(manager.get_by_text("Case note added", exact=True)).to_be_visible()
    expect(manager.locator("#deadlines")).not_to_contain_text("PAR-06")
    expect(manager.locator("#timeline")).to_contain_text("Timescale met")
