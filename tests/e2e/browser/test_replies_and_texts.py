"""Parents' replies and over-long texts, in a real browser against a real server
(issue 8): business support puts a reply that matched no case on its case, the
social worker sees it on My work and the case page (PAR-12); a text too long to
send even in its short form is shortened and sent from the Messages page."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from engine.cases import Actor
from familyflow.demo import TEAM
from notifications.channels.notify_inbox import NotifyInbox
from tests.e2e.browser.conftest import sign_in
from tests.e2e.browser.server import LiveServer
from tests.support.fake_notify import FakeNotify
from tests.support.journeys import CONTACTS, WORKER

TM = Actor("ade.bello@example.org", "team_manager")


def a_case(server: LiveServer, *, venue: str | None = None) -> int:
    flow = server.flow
    now = flow.clock.now()
    case_id = flow.create_case(
        process="parenting",
        received_at=now - timedelta(days=30),
        data={},
        contacts=CONTACTS,
        team=TEAM,
        actor=TM,
    )
    if venue is not None:
        sessions = [(now - timedelta(days=1)).isoformat(), (now + timedelta(days=6)).isoformat()]
        for trigger, ago, data in (
            ("request_confirmation", 29, {}),
            ("confirm_attendance", 28, {}),
            ("choose_sessions", 27, {"sessions": [1, 2]}),
            ("allocate_worker", 25, {"worker": WORKER}),
            ("hold_planning_meeting", 24, {}),
            ("register", 23, {"venue": venue, "sessions": sessions}),
            ("record_session", 0, {"session": sessions[0], "attended": False}),
        ):
            flow.fire(case_id, trigger, data, actor=TM, at=now - timedelta(days=ago))
    flow.tick()
    return case_id


def test_business_support_puts_an_unmatched_reply_on_its_case_and_the_worker_sees_it(
    page: Page, server: LiveServer
) -> None:
    case_id = a_case(server)
    with FakeNotify() as notify:
        server.flow.inbox = NotifyInbox(api_key=notify.api_key, base_url=notify.base_url)
        notify.receive_text(
            "447700900888",
            "This is Jo's sister: Jo is poorly this week.",
            created_at=server.flow.clock.now(),
        )
        assert server.flow.read_replies().waiting == 1

    sign_in(page, "bs@example.org")
    page.get_by_role("link", name="Replies").click()
    row = page.locator("#replies tbody tr", has_text="Jo is poorly this week")
    expect(row).to_contain_text("+447700900888")
    expect(row).to_contain_text("on no open case")
    row.get_by_label("Case reference").fill(f"PAR-{case_id:06d}")
    row.get_by_role("button", name=re.compile("Add as case note")).click()
    expect(page.get_by_text(f"added to case {case_id} as a case note")).to_be_visible()
    expect(page.get_by_text("No replies to assign.")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, "sam.jones@example.org")
    reply = page.locator(f'#my-replies tr[data-case="{case_id}"]')
    expect(reply).to_contain_text("This is Jo's sister: Jo is poorly this week.")
    reply.get_by_role("link").click()
    expect(page.locator("#timeline")).to_contain_text(
        "Reply by text from +447700900888: This is Jo's sister"
    )


def test_business_support_shortens_a_text_too_long_to_send_and_it_is_queued(
    page: Page, server: LiveServer
) -> None:
    venue = "Canolfan Gymunedol Tŷ Newydd, " + "Heol yr Eglwys, " * 12 + "Llandeilo"
    case_id = a_case(server, venue=venue)

    sign_in(page, "bs@example.org")
    page.goto("/messages?status=needs_review")
    row = page.locator(f'#messages tr[data-case="{case_id}"]')
    expect(row).to_contain_text("Needs review")
    expect(row).to_contain_text("at most 3 are allowed: shorten it to send it")
    row.get_by_label(re.compile("Shorten the text")).fill(
        "Jo Parent, we missed you at parenting today. Next session in a week, Tŷ Newydd. "
        "Please reply if you can't come."
    )
    row.get_by_role("button", name=re.compile("^Send")).click()
    expect(page.get_by_text("shortened and queued")).to_be_visible()
    queued = page.locator(f'#messages tr[data-case="{case_id}"]')
    expect(queued).to_contain_text("Queued")
    expect(queued).to_contain_text("Next session in a week, Tŷ Newydd.")
