"""Every page type passes axe-core (issue 10), as business support, a team manager and a
worker sign in and use them (and an admin, for the admin pages; and nobody, for sign-in
and the error pages). axe-core 4 is vendored in tests/e2e/browser/vendor/axe-core/ (MPL-2.0,
with its licence) and runs in the page under the real Content-Security-Policy: Playwright's
init script is how it gets in, as the CSP refuses every inline script.

The pages are found from the app, not listed here: the navigation each person is shown,
each process's tracker, a case of each process (made here when the demo has none), an
action form a case page links to, the forms and confirmation pages the pages link to,
each process page; so pages other work adds or reshapes are covered as they change."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from engine import store
from engine.cases import Actor
from familyflow.demo import TEAM
from tests.e2e.browser.conftest import PASSWORDS
from tests.e2e.browser.server import LiveServer

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PEOPLE = {
    "business support": "bs@example.org",
    "a team manager": "ade.bello@example.org",
    "a worker": "kim.lee@example.org",
}
ADMIN = "admin@example.org"


def _violations(page: Page) -> list[str]:
    found: list[dict[str, Any]] = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:5])}"
        for v in found
    ]


def _visit(page: Page, path: str, problems: dict[str, list[str]]) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    if page.locator("[data-diagram-frame]").count():  # a process page: its diagram drawn
        expect(page.locator("#process-diagram svg")).to_be_visible()
    if found := _violations(page):
        problems[path] = found


def _signed_in(browser: Browser, server: LiveServer, email: str) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": 1200, "height": 900})
    context.add_init_script(path=str(AXE))  # runs before the page's own scripts, CSP or not
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[email])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    return page


def _case_of_each_process(server: LiveServer) -> dict[str, int]:
    """A case of every process in the demo team: the demo's, or one made here."""
    flow = server.flow
    with flow.db.connect() as conn:
        rows = conn.execute(
            sa.select(store.cases.c.process, sa.func.min(store.cases.c.id))
            .where(store.cases.c.team == TEAM)
            .group_by(store.cases.c.process)
        ).all()
    found = {process: case_id for process, case_id in rows}
    for name, process in flow.services.processes.items():
        if name not in found:
            contacts = {
                role: {
                    "name": "Zoë O\u2019Brien",
                    "email": f"{role.replace('_', '.')}@example.org",
                    "mobile": "07700900123",
                }
                for role in sorted(process.contact_roles)
            }
            found[name] = flow.create_case(
                process=name,
                received_at=flow.clock.now(),
                data={},
                contacts=contacts,
                team=TEAM,
                actor=Actor(ADMIN, "admin"),
            )
    flow.tick()
    return found


def _links(page: Page, pattern: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return list(dict.fromkeys(h.split("#")[0] for h in hrefs if re.fullmatch(pattern, h)))


def _pages_for(page: Page, server: LiveServer, cases: dict[str, int]) -> Iterable[str]:
    """Every page type this person is shown, discovered from the pages themselves."""
    page.goto("/")
    nav: list[str] = page.eval_on_selector_all(
        "nav a.govuk-service-navigation__link", "links => links.map(a => a.getAttribute('href'))"
    )
    yield from nav
    yield from (f"/tracker/{name}" for name in server.flow.services.processes)
    for case_id in cases.values():
        yield f"/cases/{case_id}"
        page.goto(f"/cases/{case_id}")
        # A sample of the forms a case page links to: its first action, a note form.
        yield from _links(page, rf"/cases/{case_id}/act/[^/?#]+")[:1]
        yield from _links(page, rf"/cases/{case_id}/notes?[^#]*")[:1]
    page.goto("/tracker")
    yield from _links(page, r"/cases/new/[^/?#]+")[:1]
    yield "/processes/" + next(iter(server.flow.services.processes))
    yield "/nowhere"  # 404
    yield "/cases/not-a-number"  # 422
    yield "/cases/999999"  # a case that does not exist


@pytest.mark.parametrize("who", list(PEOPLE))
def test_every_page_type_has_no_axe_violations(
    who: str, browser: Browser, server: LiveServer
) -> None:
    cases = _case_of_each_process(server)
    page = _signed_in(browser, server, PEOPLE[who])
    problems: dict[str, list[str]] = {}
    for path in dict.fromkeys(_pages_for(page, server, cases)):
        _visit(page, path, problems)
    assert problems == {}, f"axe violations for {who}: {problems}"


def test_every_process_page_and_the_admin_pages_have_no_axe_violations(
    browser: Browser, server: LiveServer
) -> None:
    page = _signed_in(browser, server, ADMIN)
    page.goto("/admin")
    page.get_by_label("Closure day").fill("2027-04-06")
    page.get_by_label("What it is for").fill("Staff training day")
    page.get_by_role("button", name="Add closure day").click()
    expect(page.get_by_text("Closure day 6 April 2027 added")).to_be_visible()
    page.goto("/reports")  # an admin sees every team: a line each, linking to its workers
    team_pages = _links(page, r"/reports\?team=[^#]+#caseload")[:1]
    assert team_pages, "the admin's reports page links to no team's caseloads"
    page.goto("/admin")
    problems: dict[str, list[str]] = {}
    paths = [
        "/admin",
        *team_pages,
        # the confirmation pages the admin page links to
        *_links(page, r"/admin/users/\d+/switch-off")[:1],
        *_links(page, r"/admin/closures/[0-9-]+/remove")[:1],
        "/admin?template=" + "parenting/planning_reminder.txt",
        *(f"/processes/{name}" for name in server.flow.services.processes),
    ]
    for path in paths:
        _visit(page, path, problems)
    assert problems == {}, f"axe violations: {problems}"


def test_sign_in_and_the_error_pages_have_no_axe_violations(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(base_url=server.url)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    _visit(page, "/login", problems)
    page.get_by_role("button", name="Sign in").click()  # blank: the form again, with errors
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    if found := _violations(page):
        problems["blank sign-in"] = found
    _visit(page, "/nowhere", problems)
    assert problems == {}, f"axe violations: {problems}"


def test_a_blank_sign_in_and_an_unknown_address_are_styled_pages_not_json(
    browser: Browser, server: LiveServer
) -> None:
    page = browser.new_context(base_url=server.url).new_page()
    page.goto("/login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter your email address and password"
    )
    answer = page.goto("/nowhere")
    assert answer is not None and answer.status == 404
    assert answer.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    api = page.goto("/api/nowhere")
    assert api is not None and api.status == 404
    assert api.headers["content-type"].startswith("application/problem+json")


def test_a_process_page_draws_its_diagram_as_svg_under_the_csp(
    new_page: Callable[[], Page],
) -> None:
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email address").fill("ade.bello@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORDS["ade.bello@example.org"])
    page.get_by_role("button", name="Sign in").click()
    page.goto("/processes/parenting")
    diagram = page.locator("#process-diagram svg")
    expect(diagram).to_be_visible()
    expect(diagram.locator("text", has_text="Awaiting session choice").first).to_be_attached()
    # One stage's own diagram, drawn when it is opened.
    page.get_by_text("Each stage on its own, with its moves in and out").click()
    page.locator("#stage-diagrams summary", has_text="Planning").first.click()
    expect(page.locator("#stage-diagrams details[open] svg").first).to_be_visible()
    # The list of stages stays, for screen readers and without JavaScript.
    expect(page.locator("#diagram [role=listitem]").first).to_be_visible()
    assert page.locator("#process-diagram svg").evaluate("svg => svg.getBBox().width") > 100


def test_a_manager_pages_through_the_cases_waiting_for_them_with_no_axe_violations(
    browser: Browser, server: LiveServer
) -> None:
    flow = server.flow
    for name in ("Siân Jones", "Zoë O\u2019Brien", "Łukasz Nowak") * 9:  # 27 more waiting
        flow.create_case(
            process="parenting",
            received_at=flow.clock.now(),
            data={},
            contacts={
                "social_worker": {"name": "Sam Jones", "email": "sam.jones@example.org"},
                "team_manager": {"name": "Ade Bello", "email": "ade.bello@example.org"},
                "business_support": {"name": "BS", "email": "bs@example.org"},
                "parent": {"name": name, "mobile": "07700900123"},
            },
            team=TEAM,
            actor=Actor("bs@example.org", "business_support"),
        )
    page = _signed_in(browser, server, PEOPLE["a team manager"])
    waiting = page.locator("#waiting li")
    expect(waiting).to_have_count(20)
    first = waiting.first.get_attribute("data-case")
    pages = page.get_by_role("navigation", name="Pages of cases waiting for you")
    pages.get_by_role("link", name=re.compile("Newer")).click()
    expect(page.get_by_text(re.compile(r"21 to \d+ shown, page 2 of \d+"))).to_be_visible()
    assert first not in [li.get_attribute("data-case") for li in waiting.all()]
    assert _violations(page) == []
    pages.get_by_role("link", name=re.compile("Older")).click()
    expect(waiting.first).to_have_attribute("data-case", first or "")
