"""The journeys people take through the web pages, in a real browser against a real
server (SQLite file, demo users and cases, a clock standing at Monday 1 March 2027
10:00). They also take the README's screenshots (docs/screenshots/)."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from engine.cases import Actor
from familyflow.demo import TEAM
from tests.e2e.browser.conftest import screenshot, sign_in
from tests.e2e.browser.server import LiveServer
from tests.support.journeys import CONTACTS, WORKER

TM = Actor("ade.bello@example.org", "team_manager")


def a_referral(server: LiveServer, *, days_ago: int, steps: list[tuple[str, int, dict]]) -> int:
    """A parenting referral in the demo team, moved through `steps` (trigger, days ago,
    data) as the team manager: backdated, as if it happened then."""
    flow = server.flow
    now = flow.clock.now()
    case_id = flow.create_case(
        process="parenting",
        received_at=now - timedelta(days=days_ago),
        data={},
        contacts=CONTACTS,
        team=TEAM,
        actor=TM,
    )
    for trigger, ago, data in steps:
        flow.fire(case_id, trigger, data, actor=TM, at=now - timedelta(days=ago))
    flow.tick()
    return case_id


def test_business_support_records_a_referral_moves_it_two_stages_and_sees_its_deadline(
    new_page: Callable[[], Page],
) -> None:
    """Business support records the referral; the team manager asks the social worker
    to confirm (PAR-02: only a team manager may); business support records the
    confirmation (PAR-03), and the PAR-04 timescale shows on the tracker."""
    bs = new_page()
    sign_in(bs, "bs@example.org")
    bs.get_by_role("link", name="Tracker").click()
    bs.get_by_role("link", name="Record a referral").click()
    bs.get_by_label("Child or family name").fill("Vale family")
    bs.get_by_label("Reason for the referral").fill("Parenting support after a move")
    bs.get_by_label("Parent: name").fill("Robin Vale")
    bs.get_by_label("Parent: mobile number").fill("07700 900 321")
    bs.get_by_label("Social worker: name").fill("Sam Jones")
    bs.get_by_label("Social worker: email address").fill("sam.jones@example.org")
    bs.get_by_label("Team manager: name").fill("Ade Bello")
    bs.get_by_label("Team manager: email address").fill("ade.bello@example.org")
    bs.get_by_label("Business support: name").fill("Business Support")
    bs.get_by_label("Business support: email address").fill("bs@example.org")
    bs.get_by_role("button", name="Record the referral").click()
    expect(bs.get_by_text("Referral recorded")).to_be_visible()
    expect(bs.locator("#case-state")).to_have_text("Referred")
    reference = bs.get_by_role("heading", level=1).inner_text().split()[0]
    case_url = bs.url

    manager = new_page()
    sign_in(manager, "ade.bello@example.org")
    manager.goto(case_url)
    manager.get_by_role("link", name="Request confirmation").click()
    manager.get_by_label("Venue (optional)").fill("Riverside Family Centre")
    manager.get_by_role("button", name="Request confirmation").click()
    expect(manager.locator("#case-state")).to_have_text("Awaiting confirmation")

    bs.reload()
    expect(bs.locator("#case-state")).to_have_text("Awaiting confirmation")
    bs.get_by_role("button", name="Confirm attendance").click()
    expect(bs.locator("#case-state")).to_have_text("Awaiting session choice")
    expect(bs.locator("#deadlines")).to_contain_text("PAR-04")

    bs.get_by_role("link", name="Tracker").click()
    row = bs.locator(f'tr[data-reference="{reference}"]')
    expect(row).to_contain_text("Awaiting session choice")
    expect(row).to_contain_text("PAR-04 due Mon 8 Mar 2027, 23:59")
    expect(row).to_contain_text("On track")


def test_a_team_manager_sees_an_overdue_planning_meeting_on_my_work(
    page: Page, server: LiveServer
) -> None:
    """PAR-05: allocated 21 days ago, no planning meeting, so the 5 working days ran out."""
    case_id = a_referral(
        server,
        days_ago=28,
        steps=[
            ("request_confirmation", 27, {}),
            ("confirm_attendance", 26, {}),
            ("choose_sessions", 25, {"sessions": [1, 2, 3]}),
            ("allocate_worker", 21, {"worker": WORKER}),
        ],
    )

    sign_in(page, "ade.bello@example.org")
    item = page.locator(f'#my-work tr[data-case="{case_id}"][data-rule="PAR-05"]')
    expect(item).to_contain_text("Overdue")
    expect(item).to_contain_text("Planning meeting within 5 working days of allocation")
    expect(item.get_by_role("link", name=re.compile("Hold planning meeting"))).to_have_attribute(
        "href", f"/cases/{case_id}/act/hold_planning_meeting"
    )
    screenshot(page, "my-work.png")


def test_a_worker_records_a_missed_session_and_the_text_appears_on_messages(
    page: Page,
) -> None:
    """PAR-12: the demo's Fran Lowe misses her third session; she is texted."""
    sign_in(page, "kim.lee@example.org")
    page.get_by_role("link", name="Register").click()
    row = page.locator("#register tbody tr", has_text="Fran Lowe")
    row.get_by_role("button", name=re.compile("^Missed")).first.click()
    page.get_by_role("button", name="Record the missed session").click()
    expect(page.get_by_text("The text to the parent goes in 5 minutes")).to_be_visible()
    expect(row.get_by_text("Missed", exact=True)).to_have_count(2)

    page.get_by_role("link", name="Messages").click()
    text = page.locator('#messages tr[data-template="parenting/missed_session"]').first
    expect(text).to_contain_text("+447700900199")
    expect(text).to_contain_text("Queued")
    text.get_by_text("Preview").click()
    expect(text).to_contain_text("Hello Fran Lowe, we missed you at the parenting session")

    text.get_by_role("link").first.click()
    expect(page.locator("#timeline")).to_contain_text("Missed-session text queued")
    screenshot(page, "case.png", height=1500)


def test_a_worker_is_refused_a_manager_only_action_and_shown_why(
    page: Page, server: LiveServer
) -> None:
    """PAR-05: only a team manager allocates a worker; the engine's refusal is shown in
    the error summary and the case does not move."""
    case_id = a_referral(
        server,
        days_ago=3,
        steps=[
            ("request_confirmation", 3, {}),
            ("confirm_attendance", 2, {}),
            ("choose_sessions", 1, {"sessions": [1, 2]}),
        ],
    )

    sign_in(page, "kim.lee@example.org")
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-state")).to_have_text("Awaiting allocation")
    expect(page.get_by_role("button", name="Allocate worker")).to_have_count(0)
    page.get_by_text("Actions at this stage that need someone else").click()
    page.get_by_role("link", name="Allocate worker").click()
    page.get_by_label("Name").fill("Kim Lee")
    page.get_by_label("Email address").fill("kim.lee@example.org")
    page.get_by_role("button", name="Allocate worker").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Only a team manager can do this")  # issue 10: plain words
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-state")).to_have_text("Awaiting allocation")


def test_the_tracker_csv_and_xlsx_exports_match_the_rows_shown(page: Page, tmp_path: Path) -> None:
    sign_in(page, "bs@example.org")
    page.goto("/tracker/parenting")
    page.get_by_label("Sort by").select_option("due")
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_label("Sort by")).to_have_value("due")
    screenshot(page, "tracker.png")
    shown = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()[1:4]]
        for row in page.locator("#cases tbody tr").all()
    ]
    assert len(shown) == 7  # the demo's open parenting cases

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "tracker.csv"
    csv_download.value.save_as(path)
    with path.open(newline="", encoding="utf-8") as handle:
        exported = list(csv.reader(handle))
    assert exported[0][:3] == ["Reference", "Name", "Stage"]
    assert [line[:3] for line in exported[1:]] == shown

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Export XLSX").click()
    book_path = tmp_path / "tracker.xlsx"
    xlsx_download.value.save_as(book_path)
    sheet = load_workbook(book_path).active
    assert sheet is not None
    cells = [[str(v or "") for v in row[:3]] for row in sheet.iter_rows(values_only=True)]
    assert cells == [exported[0][:3], *shown]


def test_business_support_moves_several_cases_at_once_each_move_recorded(page: Page) -> None:
    """The demo's Alex Green awaits confirmation (PAR-03 may be recorded); Jo Parent is
    only referred, so the engine refuses that one and says why."""
    sign_in(page, "bs@example.org")
    page.goto("/tracker/parenting")
    page.get_by_label("Select PAR-000001").check()
    page.get_by_label("Select PAR-000002").check()
    page.get_by_label("What to do").select_option("confirm_attendance")
    page.get_by_role("button", name="Move selected cases").click()

    # After the redirect (issue 10): the notice says what moved and what was refused.
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Confirm attendance: 1 case moved; 1 not moved: "
        "PAR-000001: This cannot be done while the case is referred"
    )
    expect(page.locator('tr[data-reference="PAR-000002"]')).to_contain_text(
        "Awaiting session choice"
    )
    page.goto("/cases/2")
    expect(
        page.locator("#timeline li").filter(has_text="Moved: Confirm attendance")
    ).to_contain_text("by bs@example.org")
