"""Holes issue 7 closes at the engine, seen through the API: undeclared trigger data,
implausible times and stored dates that could not be shown. SQLite and PostgreSQL."""

from __future__ import annotations

from tests.api.conftest import Api, problem
from tests.support.journeys import CONTACTS


def test_a_worker_cannot_make_themselves_team_manager_through_trigger_data(api: Api) -> None:
    case_id = api.referral()["id"]
    api.fire(case_id, "request_confirmation")
    before = api.get(f"/api/cases/{case_id}").json()
    hijack = {
        "team_manager": {"name": "Sam Jones", "email": CONTACTS["social_worker"]["email"]},
        "parent": {"name": "Jo Parent", "mobile": "07700900999"},
    }
    body = problem(api.fire(case_id, "confirm_attendance", hijack, as_="social_worker"), 422)
    assert body["errors"][0]["field"] == "data.team_manager"
    assert "confirm_attendance does not take team_manager" in body["detail"]
    after = api.get(f"/api/cases/{case_id}").json()
    assert (after["state"], after["version"], after["contacts"]) == (
        before["state"],
        before["version"],
        before["contacts"],
    )


def test_an_event_dated_before_the_referral_is_422_naming_at(api: Api) -> None:
    case_id = api.referral(received="2026-12-14T08:00")["id"]
    body = problem(api.fire(case_id, "request_confirmation", at="1900-01-01T00:00"), 422)
    assert body["errors"][0]["field"] == "at"
    assert "before the referral was received" in body["detail"]
    assert api.get(f"/api/cases/{case_id}").json()["state"] == "referred"


def test_a_case_stored_with_a_year_one_received_at_reads_without_a_server_error(
    api: Api,
) -> None:
    case_id = api.referral()["id"]
    with api.flow.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE cases SET received_at = '0001-01-01 00:00:00' WHERE id = 1"
            if api.flow.db.dialect.name == "sqlite"
            else "UPDATE cases SET received_at = '0001-01-01 00:00:00+00' WHERE id = 1"
        )
    response = api.get(f"/api/cases/{case_id}")
    assert response.status_code == 200, response.text
    assert response.json()["received_at"].startswith("0001-01-01")
    assert api.get("/api/cases").status_code == 200
