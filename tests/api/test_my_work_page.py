"""My work's "Waiting for you" for a team manager: every waiting referral can be
reached, 20 at a time, oldest first, and each list's pages keep the other's place."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.cases import ANY_ROLE, Actor, CaseWork
from engine.service import parse_contacts
from tests.api.conftest import TEAM, Api
from tests.support.journeys import CONTACTS

WAITING = 45  # three pages of 20
CONFIRMED = 30  # PAR-04's two clocks each: 60 due items, three pages of 25


@pytest.fixture
def referrals(api: Api) -> list[int]:
    """45 parenting referrals of the team waiting for the manager (PAR-02), the oldest
    first, and 30 confirmed (PAR-04 due); built in one transaction through the
    engine's unit of work. The waiting ones' ids, oldest first."""
    parenting = api.flow.services.processes["parenting"]
    now = api.flow.clock.now()
    ids = []
    with api.flow.db.begin() as conn:
        work = CaseWork(conn=conn, services=api.flow.services, now=now)
        for i in range(WAITING + CONFIRMED):
            people = {
                **CONTACTS,
                "parent": {"name": f"Zoë O\u2019Brien {i}", "mobile": "07700900123"},
            }
            case = work.create(
                process=parenting,
                received_at=now - timedelta(days=10, minutes=WAITING - i),
                data={},
                contacts=parse_contacts(people),
                actor=Actor("test", ANY_ROLE),
                team=TEAM,
            )
            if i < WAITING:
                ids.append(case.id)
                continue
            for trigger in ("request_confirmation", "confirm_attendance"):
                work.fire(case.id, trigger, {}, actor=Actor("test", ANY_ROLE), at=now)
        work.flush()
    return ids


def _waiting(html: str) -> list[int]:
    section = html.split('id="waiting"', 1)[1].split("</ul>", 1)[0]
    return [int(n) for n in re.findall(r'data-case="(\d+)"', section)]


def _waiting_pages(html: str) -> str:
    """The waiting list's own page links (My work's due items have theirs)."""
    found = re.search(r'<nav[^>]*aria-label="Pages of cases waiting for you".*?</nav>', html, re.S)
    return found.group(0) if found else ""


def test_a_manager_pages_through_every_referral_waiting_for_them(
    api: Api, referrals: list[int]
) -> None:
    first = api.get("/", as_="team_manager").text
    assert _waiting(first) == referrals[:20]
    assert "45 cases can move on only when a team manager acts" in first
    assert "The oldest referrals first: 1 to 20 shown, page 1 of 3." in first
    assert 'href="/?waiting=2#waiting-heading" rel="next"' in _waiting_pages(first)
    assert 'rel="prev"' not in _waiting_pages(first)

    second = api.get("/?waiting=2", as_="team_manager").text
    assert _waiting(second) == referrals[20:40]
    assert "21 to 40 shown, page 2 of 3" in second
    assert 'href="/?waiting=1#waiting-heading" rel="prev"' in _waiting_pages(second)
    # the due items' pages keep the waiting list's place, and the other way round
    assert 'href="/?page=2&amp;waiting=2"' in second
    assert (
        'href="/?waiting=3&amp;page=2#waiting-heading"'
        in api.get("/?page=2&waiting=2", as_="team_manager").text
    )

    last = api.get("/?waiting=99", as_="team_manager").text  # past the end: the last page
    assert _waiting(last) == referrals[40:]
    assert "41 to 45 shown, page 3 of 3" in last
    assert 'rel="next"' not in _waiting_pages(last)


def test_a_waiting_page_that_is_not_a_number_is_refused_by_name(api: Api) -> None:
    response = api.get("/?waiting=two", as_="team_manager")
    assert response.status_code == 422
    assert "waiting" in response.text
