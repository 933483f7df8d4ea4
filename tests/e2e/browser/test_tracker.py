"""The tracker in a real browser (issue 10): at 1280 px wide, long names included,
every column fits and no cell is cut off (the Status tag used to read "On trac");
moving cases in bulk answers with a redirect, so reloading the page moves nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from engine.cases import Actor
from familyflow.demo import TEAM
from tests.e2e.browser.conftest import PASSWORDS, screenshot
from tests.e2e.browser.server import LiveServer
from tests.support.journeys import CONTACTS

TM = Actor("ade.bello@example.org", "team_manager")
LONG = {
    **CONTACTS,
    "parent": {"name": "Zoë Alexandra O\u2019Brien-Featherstonehaugh", "mobile": "07700900123"},
    "social_worker": {"name": "Siân Llewellyn-Montgomery", "email": "sam.jones@example.org"},
    "worker": {"name": "Łukasz Wiśniewski-Kowalczyk", "email": "kim.lee@example.org"},
}

# Every cell of the tracker's table whose content is wider than the cell, and whether
# the table runs past the window: what a person would see cut off or scrolled away.
OVERFLOWS = """() => {
  const cut = [];
  for (const cell of document.querySelectorAll('#cases th, #cases td')) {
    const box = cell.getBoundingClientRect();
    for (const inner of cell.querySelectorAll('*')) {
      const r = inner.getBoundingClientRect();
      // GOV.UK's checkbox input is transparent over its drawn box: not content.
      if (getComputedStyle(inner).opacity === '0' || r.width <= 1) continue;
      if ((r.right > box.right + 1 || r.left < box.left - 1)) {
        cut.push(cell.innerText.trim() + ' > ' + inner.tagName);
      }
    }
    if (cell.scrollWidth > cell.clientWidth + 1) cut.push(cell.innerText.trim());
  }
  const table = document.querySelector('#cases').getBoundingClientRect();
  return {cut, tableRight: table.right, width: document.documentElement.clientWidth,
          scrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth};
}"""


def _case(server: LiveServer, *, contacts: dict, steps: list[str]) -> int:
    flow = server.flow
    now = flow.clock.now()
    case_id = flow.create_case(
        process="parenting",
        received_at=now - timedelta(days=3),
        data={},
        contacts=contacts,
        team=TEAM,
        actor=TM,
    )
    for trigger in steps:
        flow.fire(case_id, trigger, {}, actor=TM, at=now - timedelta(days=2))
    flow.tick()
    return case_id


def _signed_in(browser: Browser, server: LiveServer, email: str, *, width: int) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[email])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    return page


def test_at_1280_pixels_every_tracker_column_fits_and_no_cell_is_cut_off(
    browser: Browser, server: LiveServer
) -> None:
    for steps in ([], ["request_confirmation"], ["request_confirmation", "confirm_attendance"]):
        _case(server, contacts=LONG, steps=steps)
    page = _signed_in(browser, server, "ade.bello@example.org", width=1280)
    page.goto("/tracker/parenting?sort=due")
    header = page.locator("#cases thead th").all_inner_texts()
    assert header == [
        "Reference",
        "Name",
        "Stage",
        "Worker",
        "Social worker",
        "Received",
        "Next deadline",
        "Status",
    ]
    expect(
        page.locator("#cases tbody").get_by_text("Łukasz Wiśniewski-Kowalczyk").first
    ).to_be_visible()
    expect(page.locator("#cases tbody .govuk-tag").first).to_be_visible()
    found = page.evaluate(OVERFLOWS)
    assert found["cut"] == [], found["cut"]
    assert found["tableRight"] <= found["width"] and not found["scrolls"]
    statuses = {t.strip() for t in page.locator("#cases tbody .govuk-tag").all_inner_texts()}
    assert statuses <= {"On track", "Due soon", "Overdue"} and statuses
    screenshot(page, "tracker-1280.png")
    page.context.close()


def test_a_bulk_move_redirects_so_reloading_the_page_moves_nothing_again(
    new_page: Callable[[], Page], server: LiveServer, browser: Browser
) -> None:
    """PAR-03: business support confirm attendance for two cases at once; the result
    is the notice on the tracker's GET, which a reload does not repeat."""
    first = _case(server, contacts=CONTACTS, steps=["request_confirmation"])
    second = _case(server, contacts=CONTACTS, steps=["request_confirmation"])
    page = _signed_in(browser, server, "bs@example.org", width=1280)
    page.goto("/tracker/parenting?state=awaiting_confirmation")
    offered = page.locator("#trigger option").all_inner_texts()
    assert offered == ["Choose", "Confirm attendance (PAR-03)"]  # business support's only move
    page.get_by_label(f"Select PAR-{first:06d}").check()
    page.get_by_label(f"Select PAR-{second:06d}").check()
    page.get_by_label("What to do").select_option("confirm_attendance")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    page.get_by_role("button", name="Move selected cases").click()

    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Confirm attendance: 2 cases moved")
    assert "/tracker/parenting?state=awaiting_confirmation&" in page.url  # the same filter
    assert [r.split()[0] for r in requests if "/tracker/" in r] == ["POST", "GET"]

    requests.clear()
    page.reload()
    expect(page.locator(".govuk-notification-banner")).to_have_count(0)
    assert [r.split()[0] for r in requests if "/tracker/" in r] == ["GET"]
    for case_id in (first, second):
        page.goto(f"/cases/{case_id}")
        expect(
            page.locator("#timeline li").filter(has_text="Moved: Confirm attendance")
        ).to_have_count(1)
    page.context.close()
