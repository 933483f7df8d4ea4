"""Admin pages (issue 10): success notices after each change (post-redirect-get, flash),
confirmation pages before switching someone off or removing a closure day, and teams
and managers picked from lists, so a mistyped team is never created."""

from __future__ import annotations

import re
from typing import Any

from familyflow.db import accounts as accounts_db
from tests.api.conftest import TEAM, Api
from tests.api.test_edge import HTML, _banner, _signed_in

ADMIN = "admin@example.org"


def _user_form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "email": "sian.jones@example.org",
        "name": "Siân Jones",
        "role": "social_worker",
        "team": TEAM,
        "new_team": "",
        "manager_email": "ade.bello@example.org",
        "password": "",
        **fields,
    }


def _users(api: Api) -> dict[str, dict[str, Any]]:
    with api.flow.db.connect() as conn:
        return {u["email"]: u for u in accounts_db.list_users(conn, team=None, role=None)}


def test_adding_a_user_redirects_and_shows_the_notice_once(api: Api) -> None:
    csrf = _signed_in(api, ADMIN)
    sent = api.client.post("/admin/users", data=_user_form(csrf), follow_redirects=False)
    assert (sent.status_code, sent.headers["location"]) == (303, "/admin")
    assert _banner(api.client.get("/admin").text) == "User sian.jones@example.org added"
    assert _banner(api.client.get("/admin").text) is None
    assert _users(api)["sian.jones@example.org"]["team"] == TEAM


def test_teams_and_managers_are_chosen_from_lists(api: Api) -> None:
    _signed_in(api, ADMIN)
    page = api.client.get("/admin").text
    team = re.search(
        r'<select class="govuk-select" id="user-team" name="team">(.*?)</select>', page, re.S
    )
    assert team
    assert re.findall(r'<option value="([^"]*)"', team[1]) == ["", TEAM, "Riverside", "__new__"]
    manager = re.search(r'id="user-manager_email" name="manager_email">(.*?)</select>', page, re.S)
    assert manager
    assert re.findall(r'<option value="([^"]*)"', manager[1]) == [
        "",
        "ade.bello@example.org",
        "lee.other@example.org",
    ]


def test_a_mistyped_team_is_refused_and_nobody_is_added(api: Api) -> None:
    csrf = _signed_in(api, ADMIN)
    page = api.client.post("/admin/users", data=_user_form(csrf, team="Familes Together"))
    assert page.status_code == 422
    assert '<a href="#user-team">Choose a team from the list, or choose to add a new team</a>' in (
        page.text
    )
    assert "sian.jones@example.org" not in _users(api)


def test_a_new_team_is_made_only_on_purpose_and_never_twice(api: Api) -> None:
    csrf = _signed_in(api, ADMIN)
    blank = api.client.post("/admin/users", data=_user_form(csrf, team="__new__"))
    assert blank.status_code == 422 and "Enter the name of the new team" in blank.text
    twice = api.client.post(
        "/admin/users", data=_user_form(csrf, team="__new__", new_team="families  together")
    )
    assert twice.status_code == 422
    assert f"There is already a team called {TEAM}: choose it from the list" in twice.text
    made = api.client.post(
        "/admin/users",
        data=_user_form(csrf, team="__new__", new_team="Łódź Road"),
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert _users(api)["sian.jones@example.org"]["team"] == "Łódź Road"


def test_a_manager_not_on_the_list_is_refused(api: Api) -> None:
    csrf = _signed_in(api, ADMIN)
    page = api.client.post(
        "/admin/users", data=_user_form(csrf, manager_email="ade.belo@example.org")
    )
    assert page.status_code == 422 and "Choose the manager from the list" in page.text
    assert "sian.jones@example.org" not in _users(api)


def test_switching_someone_off_is_asked_first_then_done_with_a_notice(api: Api) -> None:
    csrf = _signed_in(api, ADMIN)
    kim = _users(api)["kim.lee@example.org"]
    admin_page = api.client.get("/admin").text
    assert f'href="/admin/users/{kim["id"]}/switch-off"' in admin_page
    assert f'action="/admin/users/{kim["id"]}/access"' not in admin_page  # no one-click form

    confirm = api.client.get(f"/admin/users/{kim['id']}/switch-off")
    assert confirm.status_code == 200
    assert "Switch off access for Kim.Lee?" in confirm.text
    assert _users(api)["kim.lee@example.org"]["active"] is True

    done = api.client.post(
        f"/admin/users/{kim['id']}/access",
        data={"active": "no", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/admin")
    assert _banner(api.client.get("/admin").text) == "Access switched off for kim.lee@example.org"
    assert _users(api)["kim.lee@example.org"]["active"] is False


def test_a_closure_day_is_removed_only_after_confirming(api: Api) -> None:
    csrf = _signed_in(api, ADMIN)
    added = api.client.post(
        "/admin/closures",
        data={"day": "2027-01-04", "description": "Staff training day", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert _banner(api.client.get("/admin").text) == "Closure day 4 January 2027 added"
    confirm = api.client.get("/admin/closures/2027-01-04/remove", headers=HTML)
    assert confirm.status_code == 200
    assert "Remove the closure day Monday 4 January 2027?" in confirm.text
    assert "Staff training day" in api.client.get("/admin").text

    removed = api.client.post(
        "/admin/closures/2027-01-04/remove", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303
    page = api.client.get("/admin").text
    assert _banner(page) == "Closure day 4 January 2027 removed"
    assert "Staff training day" not in page
    assert api.client.get("/admin/closures/2027-01-05/remove").status_code == 404
