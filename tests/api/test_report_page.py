"""The reports page's caseloads (issue 10, pages at scale): someone who sees many teams
gets a line per team linking to its workers, not one table of every worker in the
county; a team's page lists its workers against their limits; a team the person cannot
see is not found."""

from __future__ import annotations

from engine.cases import Actor
from familyflow import accounts
from tests.api.conftest import OTHER_TEAM, TEAM, Api
from tests.api.test_error_pages import CHROMIUM

ZOE = "Zoë O\u2019Brien"


def _riverside_worker(api: Api) -> None:
    accounts.add_user(
        api.flow,
        email="zoe.obrien@example.org",
        name=ZOE,
        role="worker",
        team=OTHER_TEAM,
        password=None,
        by=Actor("test"),
    )


def test_an_admin_sees_a_line_per_team_and_a_teams_workers_when_they_choose_it(api: Api) -> None:
    _riverside_worker(api)
    api.referral()  # Families Together: Kim Lee and Sam Jones each hold one open case
    page = api.get("/reports", as_="admin", headers=CHROMIUM)
    assert page.status_code == 200
    assert "Open cases per team" in page.text
    assert 'href="/reports?team=Families%20Together#caseload"' in page.text
    assert 'href="/reports?team=Riverside#caseload"' in page.text
    assert ZOE not in page.text  # the workers are a click away

    team = api.get("/reports", params={"team": OTHER_TEAM}, as_="admin", headers=CHROMIUM)
    assert team.status_code == 200
    assert "Riverside: open cases per worker against 20" in team.text
    assert ZOE in team.text and "Kim" not in team.text
    assert '<a class="govuk-link" href="/reports#caseload">All teams</a>' in team.text


def test_a_team_manager_of_one_team_sees_their_workers_and_not_another_team(api: Api) -> None:
    _riverside_worker(api)
    page = api.get("/reports", as_="team_manager", headers=CHROMIUM)
    assert "Open cases per worker against 20 (full time) or 10 (part time)." in page.text
    assert "Kim" in page.text and ZOE not in page.text
    other = api.get("/reports", params={"team": OTHER_TEAM}, headers=CHROMIUM)
    assert other.status_code == 404
    # The page's other reports, read alongside, had finished and given their connections
    # back before the refusal was answered.
    assert api.flow.db.pool.checkedout() == 0  # type: ignore[attr-defined]
    nul = api.get("/reports", params={"team": "a\x00b"}, as_="admin", headers=CHROMIUM)
    assert nul.status_code == 404
    assert api.get("/reports", params={"team": TEAM}, headers=CHROMIUM).status_code == 200
