"""Cases through the API: create, search, read (audited), fire, note; and the
401, 403, 404, 409 and 422 answers, each application/problem+json."""

from __future__ import annotations

from familyflow.db import records
from tests.api.conftest import OTHER_CONTACTS, OTHER_TEAM, TEAM, Api, problem
from tests.support.journeys import WORKER


def test_a_request_without_a_valid_bearer_token_is_refused_with_401(api: Api) -> None:
    assert problem(api.get("/api/cases", as_=None), 401)["detail"].startswith("not signed in")
    assert api.get("/api/cases", as_=None).headers["www-authenticate"].startswith("Bearer")
    problem(api.get("/api/cases", as_=None, headers={"Authorization": "Bearer nope"}), 401)
    problem(api.get("/api/cases", as_=None, headers={"Authorization": "Basic eDp5"}), 401)


def test_business_support_record_a_referral_which_belongs_to_their_team(api: Api) -> None:
    response = api.post(
        "/api/cases",
        as_="business_support",
        json={
            "process": "parenting",
            "received_at": "2026-12-14T08:00",
            "contacts": {
                "social_worker": {"name": "Sam Jones", "email": "sam.jones@example.org"},
                "team_manager": {"name": "Ade Bello", "email": "ade.bello@example.org"},
                "business_support": {"name": "BS", "email": "bs@example.org"},
                "parent": {"name": "Jo Parent", "mobile": "07700900123"},
            },
        },
    )
    assert response.status_code == 201
    case = response.json()
    assert response.headers["location"] == f"/api/cases/{case['id']}"
    assert case["reference"] == f"PAR-{case['id']:06d}"
    assert (case["state"], case["team"], case["version"]) == ("referred", TEAM, 1)
    assert case["received_at"].startswith("2026-12-14T08:00:00")
    assert case["allowed_triggers"] == ["request_confirmation", "close"]
    created = case["history"][0]
    assert (created["trigger"], created["actor"]) == ("create", "bs@example.org")
    # PAR-01 to the TM, and BS's copy as a message of its own
    assert [(m["template"], m["to_address"]) for m in case["messages"]] == [
        ("parenting/referral_received", "ade.bello@example.org"),
        ("parenting/referral_received", "bs@example.org"),
    ]


def test_a_referral_for_an_unknown_process_is_404(api: Api) -> None:
    response = api.post(
        "/api/cases",
        as_="business_support",
        json={"process": "juggling", "received_at": "2026-12-14T08:00"},
    )
    assert "unknown process 'juggling'" in problem(response, 404)["detail"]


def test_a_referral_with_a_bad_email_is_422_naming_the_field(api: Api) -> None:
    response = api.post(
        "/api/cases",
        as_="business_support",
        json={
            "process": "parenting",
            "received_at": "2026-12-14T08:00",
            "contacts": {"social_worker": {"name": "Sam", "email": "not-an-email"}},
        },
    )
    body = problem(response, 422)
    assert body["errors"][0]["field"] == "contacts.social_worker.email"


def test_a_body_missing_what_is_required_is_422_listing_each_field(api: Api) -> None:
    body = problem(api.post("/api/cases", as_="business_support", json={"data": []}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"process", "received_at", "data"} <= fields
    assert all(e["reason"] for e in body["errors"])


def test_a_referral_in_the_future_or_out_of_range_is_422(api: Api) -> None:
    future = api.post(
        "/api/cases",
        as_="business_support",
        json={"process": "parenting", "received_at": "2027-01-01T00:00"},
    )
    assert problem(future, 422)["errors"][0]["field"] == "received_at"
    ancient = api.post(
        "/api/cases",
        as_="business_support",
        json={"process": "parenting", "received_at": "0001-01-01T00:00"},
    )
    assert problem(ancient, 422)["errors"][0]["field"] == "received_at"


def test_a_worker_may_not_record_a_referral(api: Api) -> None:
    response = api.post(
        "/api/cases", as_="worker", json={"process": "parenting", "received_at": "2026-12-14T08:00"}
    )
    assert "may not create cases" in problem(response, 403)["detail"]


def test_nobody_but_an_admin_records_a_referral_for_another_team(api: Api) -> None:
    response = api.post(
        "/api/cases",
        as_="business_support",
        json={"process": "parenting", "received_at": "2026-12-14T08:00", "team": OTHER_TEAM},
    )
    problem(response, 403)
    assert api.referral(team=OTHER_TEAM, as_="admin")["team"] == OTHER_TEAM


def test_people_see_their_own_teams_cases_and_admins_see_every_case(api: Api) -> None:
    ours = api.referral()["id"]
    theirs = api.referral(team=OTHER_TEAM, as_="admin")["id"]
    listed = {c["id"] for c in api.get("/api/cases", as_="business_support").json()["items"]}
    assert listed == {ours}
    other = {c["id"] for c in api.get("/api/cases", as_="other_manager").json()["items"]}
    assert other == {theirs}
    assert api.get("/api/cases", as_="admin").json()["total"] == 2
    problem(api.get(f"/api/cases/{theirs}", as_="team_manager"), 404)
    problem(api.fire(theirs, "close", {"reason": "x"}, as_="team_manager"), 404)


def test_a_manager_sees_the_teams_of_the_people_who_report_to_them(api: Api) -> None:
    theirs = api.referral(team=OTHER_TEAM, as_="admin")["id"]
    response = api.patch("/api/people/3", as_="admin", json={"team": OTHER_TEAM})  # Sam
    assert response.json()["email"] == "sam.jones@example.org"
    assert api.get(f"/api/cases/{theirs}", as_="team_manager").status_code == 200


def test_someone_named_on_a_case_of_another_team_sees_it(api: Api) -> None:
    theirs = api.referral(team=OTHER_TEAM, as_="admin")["id"]
    problem(api.get(f"/api/cases/{theirs}", as_="social_worker"), 404)
    theirs = api.post(
        "/api/cases",
        as_="admin",
        json={
            "process": "parenting",
            "received_at": "2026-12-14T08:00",
            "team": OTHER_TEAM,
            "contacts": {
                **OTHER_CONTACTS,
                "social_worker": {"name": "Sam", "email": "sam.jones@example.org"},
            },
        },
    ).json()["id"]
    assert api.get(f"/api/cases/{theirs}", as_="social_worker").status_code == 200


def test_cases_are_found_by_process_state_team_worker_deadlines_and_reference(api: Api) -> None:
    first = api.referral()["id"]
    second = api.referral()["id"]
    assert api.fire(second, "request_confirmation").status_code == 200
    assert api.fire(second, "confirm_attendance").status_code == 200
    assert api.fire(second, "choose_sessions", {"sessions": [1, 2]}).status_code == 200
    assert api.fire(second, "allocate_worker", {"worker": WORKER}).status_code == 200

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/cases?{query}")
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert ids("") == [second, first]
    assert ids("process=parenting&state=planning") == [second]
    assert ids(f"team={TEAM}&state=referred") == [first]
    assert ids("team=Nobody") == []
    assert ids("worker=KIM.LEE@example.org") == [second]
    assert ids("due_within_days=10") == [second]  # PAR-05 planning, 5 working days
    assert ids("overdue=true") == []
    assert ids(f"q=PAR-{second:06d}") == [second]
    assert ids(f"q={first}") == [first]
    assert ids("q=EOC") == [] and ids("q=%3F%3F") == []
    assert ids("open=true&limit=1") == [second]
    page = api.get("/api/cases?limit=1&offset=1").json()
    assert (page["total"], [c["id"] for c in page["items"]]) == (2, [first])
    api.advance("2026-12-23T00:00")
    assert ids("overdue=true") == [second]
    assert ids("overdue=false") == [first]
    problem(api.get("/api/cases?due_within_days=-1"), 422)
    problem(api.get("/api/cases?limit=0"), 422)


def test_reading_a_case_shows_everything_and_is_audited_out_of_the_timeline(api: Api) -> None:
    case_id = api.referral()["id"]
    api.fire(case_id, "request_confirmation")
    case = api.get(f"/api/cases/{case_id}", as_="social_worker").json()
    assert set(case) >= {
        "state",
        "data",
        "contacts",
        "links",
        "deadlines",
        "history",
        "messages",
        "signs_of_safety",
        "allowed_triggers",
        "version",
    }
    assert {c["role"] for c in case["contacts"]} == {
        "social_worker",
        "team_manager",
        "business_support",
        "parent",
    }
    assert all(e["kind"] != "read" for e in case["history"])
    with api.flow.db.connect() as conn:
        reads = records.audit_trail(conn, case_id=case_id, kind="read")
    # two reads: the one after creating (the response is the case) and this one
    assert [(r["actor"], r["actor_role"]) for r in reads] == [
        ("sam.jones@example.org", "social_worker"),
        ("bs@example.org", "business_support"),
    ]


def test_a_trigger_moves_the_case_and_the_audit_names_the_user_and_role(api: Api) -> None:
    case_id = api.referral()["id"]
    response = api.fire(case_id, "request_confirmation", {"venue": "Riverside"}, version=1)
    assert response.status_code == 200
    assert response.json() == {
        "id": case_id,
        "reference": f"PAR-{case_id:06d}",
        "state": "awaiting_confirmation",
        "version": 2,
        "allowed_triggers": ["confirm_attendance", "close"],
    }
    history = api.get(f"/api/cases/{case_id}").json()["history"]
    moved = next(e for e in history if e.get("trigger") == "request_confirmation")
    assert (moved["actor"], moved["rule"]) == ("ade.bello@example.org", "PAR-02")


def test_a_trigger_not_allowed_in_the_state_is_409_listing_the_allowed_ones(api: Api) -> None:
    case_id = api.referral()["id"]
    body = problem(api.fire(case_id, "complete"), 409)
    assert body["allowed"] == ["request_confirmation", "close"]
    assert "not allowed in state 'referred'" in body["detail"]


def test_a_closed_case_allows_nothing(api: Api) -> None:
    case_id = api.referral()["id"]
    assert api.fire(case_id, "close", {"reason": "moved away"}).status_code == 200
    assert problem(api.fire(case_id, "close", {"reason": "again"}), 409)["allowed"] == []


def test_a_stale_version_is_409_and_changes_nothing(api: Api) -> None:
    case_id = api.referral()["id"]
    api.fire(case_id, "request_confirmation", version=1)
    body = problem(api.fire(case_id, "close", {"reason": "x"}, version=1), 409)
    assert "version 1 is stale" in body["detail"]
    assert api.get(f"/api/cases/{case_id}").json()["state"] == "awaiting_confirmation"


def test_a_role_the_process_does_not_allow_is_403_naming_the_roles_that_may(api: Api) -> None:
    case_id = api.referral()["id"]
    body = problem(api.fire(case_id, "request_confirmation", as_="business_support"), 403)
    assert body["allowed_roles"] == ["team_manager"]
    assert api.get(f"/api/cases/{case_id}").json()["state"] == "referred"
    admin = problem(api.fire(case_id, "request_confirmation", as_="admin"), 403)
    assert "role admin" in admin["detail"]


def test_trigger_data_that_does_not_fit_is_422_naming_the_field(api: Api) -> None:
    case_id = api.referral()["id"]
    api.fire(case_id, "request_confirmation")
    api.fire(case_id, "confirm_attendance")
    body = problem(api.fire(case_id, "choose_sessions", {"sessions": []}), 422)
    assert body["errors"][0]["field"] == "data.sessions"
    assert problem(api.fire(case_id, "fly_away"), 422)["detail"].startswith("unknown trigger")
    bad = api.post(f"/api/cases/{case_id}/events", json={"trigger": "x", "data": {"a": "\x00"}})
    problem(bad, 422)


def test_an_unknown_case_is_404(api: Api) -> None:
    problem(api.get("/api/cases/999"), 404)
    problem(api.fire(999, "close"), 404)
    problem(api.post("/api/cases/999/notes", json={"text": "hello"}), 404)
    problem(api.get("/api/cases/0"), 422)


def test_a_case_note_is_recorded_with_its_author_and_can_meet_a_timescale(api: Api) -> None:
    case_id = api.referral()["id"]
    for trigger, data in [
        ("request_confirmation", {}),
        ("confirm_attendance", {}),
        ("choose_sessions", {"sessions": [1]}),
        ("allocate_worker", {"worker": WORKER}),
    ]:
        assert api.fire(case_id, trigger, data).status_code == 200
    before = {d["timescale"] for d in api.get(f"/api/cases/{case_id}").json()["deadlines"]}
    assert "PAR-06" in before
    response = api.post(
        f"/api/cases/{case_id}/notes",
        json={"text": "Allocation and direction", "kind": "manager_oversight"},
    )
    assert response.status_code == 204
    case = api.get(f"/api/cases/{case_id}").json()
    assert "PAR-06" not in {d["timescale"] for d in case["deadlines"]}
    note = next(e for e in case["history"] if e["kind"] == "note")
    assert (note["reason"], note["actor"]) == ("Allocation and direction", "ade.bello@example.org")
    problem(api.post(f"/api/cases/{case_id}/notes", json={"text": ""}), 422)


def test_managers_read_a_cases_audit_trail_with_reads_and_workers_may_not(api: Api) -> None:
    case_id = api.referral()["id"]
    api.get(f"/api/cases/{case_id}", as_="worker")
    trail = api.get(f"/api/cases/{case_id}/audit").json()
    assert trail[0]["kind"] == "read" and trail[0]["actor"] == "kim.lee@example.org"
    problem(api.get(f"/api/cases/{case_id}/audit", as_="worker"), 403)
    problem(api.get("/api/cases/999/audit"), 404)
