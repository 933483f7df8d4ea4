"""One door: roles come from accounts, reads are audited, emails are one identity,
and contacts change only through change_contact (issue 7)."""

from __future__ import annotations

from typing import Any

from familyflow.db import records
from tests.api.conftest import OTHER_CONTACTS, OTHER_TEAM, Api, problem
from tests.support.journeys import CONTACTS


def _reads(api: Api, **where: Any) -> list[dict[str, Any]]:
    with api.flow.db.connect() as conn:
        rows = records.audit_trail(conn, kind="read", limit=1000)
    return [r for r in rows if all(r.get(k) == v for k, v in where.items())]


def _case(api: Api, case_id: int) -> dict[str, Any]:
    return dict(api.get(f"/api/cases/{case_id}", as_="admin").json())


def test_business_support_naming_their_own_email_as_team_manager_cannot_fire_manager_only_triggers(
    api: Api,
) -> None:
    me = {"name": "Business Support", "email": "bs@example.org"}
    case = api.referral(contacts={**CONTACTS, "team_manager": me})

    refused = api.fire(case["id"], "request_confirmation", as_="business_support")  # PAR-02

    body = problem(refused, 403)
    assert "role business_support" in body["detail"]
    assert "needs one of: team_manager" in body["detail"]
    after = _case(api, case["id"])
    assert (after["state"], after["version"]) == ("referred", 1)


def test_a_worker_cannot_act_as_team_manager_by_being_named_as_one(api: Api) -> None:
    kim = {"name": "Kim Lee", "email": "kim.lee@example.org"}
    case = api.referral(contacts={**CONTACTS, "team_manager": kim})

    refused = api.fire(case["id"], "request_confirmation", as_="worker")

    assert "role worker" in problem(refused, 403)["detail"]
    assert _case(api, case["id"])["state"] == "referred"
    assert api.fire(case["id"], "request_confirmation").status_code == 200  # Ade's account


def test_an_email_in_other_capitals_is_the_same_person_for_visibility(api: Api) -> None:
    """`Sam.Jones@` named on another team's case is the user `sam.jones@`."""
    sam = {"name": "Sam Jones", "email": "Sam.Jones@Example.org"}
    case = api.referral(team=OTHER_TEAM, as_="admin", contacts={**OTHER_CONTACTS, "worker": sam})

    seen = api.get(f"/api/cases/{case['id']}", as_="social_worker")
    listed = api.get("/api/cases", as_="social_worker").json()["items"]

    assert seen.status_code == 200
    assert case["id"] in [c["id"] for c in listed]
    assert problem(api.get(f"/api/cases/{case['id']}", as_="worker"), 404)


def test_reading_a_case_and_searching_are_read_records_with_the_filter_and_row_count(
    api: Api,
) -> None:
    first, second = api.referral(), api.referral()

    api.get(f"/api/cases/{first['id']}", as_="social_worker")
    api.get("/api/cases?process=parenting&open=true", as_="social_worker")

    [read] = _reads(api, case_id=first["id"], actor="sam.jones@example.org")
    assert (read["actor_role"], read["reason"]) == ("social_worker", "case read")
    [search] = [r for r in _reads(api, actor="sam.jones@example.org") if r["case_id"] is None]
    assert search["detail"]["what"] == "case search"
    assert search["detail"]["rows"] == 2
    assert sorted(search["detail"]["case_ids"]) == sorted([first["id"], second["id"]])
    assert search["detail"]["filter"]["processes"] == ["parenting"]
    assert search["detail"]["filter"]["open_only"] is True


def test_tracker_exports_are_read_records_with_the_filter_and_row_count(api: Api) -> None:
    cases = [api.referral()["id"] for _ in range(3)]

    csv = api.get("/tracker/parenting/export.csv?status=open&sort=due", as_="team_manager")
    xlsx = api.get("/tracker/parenting/export.xlsx?state=referred", as_="team_manager")

    assert (csv.status_code, xlsx.status_code) == (200, 200)
    reads = {r["detail"]["what"]: r["detail"] for r in _reads(api, actor="ade.bello@example.org")}
    exported = reads["tracker parenting export csv"]
    assert exported["rows"] == 3 and sorted(exported["case_ids"]) == cases
    assert exported["filter"] == {"status": "open", "sort": "due", "order": "asc"}
    assert reads["tracker parenting export xlsx"]["filter"]["state"] == "referred"
    assert reads["tracker parenting export xlsx"]["rows"] == 3


def test_my_work_the_register_messages_and_the_action_page_are_read_records(api: Api) -> None:
    case = api.referral()
    api.fire(case["id"], "request_confirmation")

    for path in (
        "/",
        "/register",
        "/messages",
        f"/cases/{case['id']}/act/close",
        f"/api/messages/{case['messages'][0]['id']}",
    ):
        assert api.get(path, as_="team_manager").status_code == 200, path

    what = {r["detail"]["what"] for r in _reads(api, actor="ade.bello@example.org")}
    assert {"my work", "register", "messages", "action page"} <= what
    assert f"message {case['messages'][0]['id']}" in what


def test_business_support_change_a_contact_audited_with_before_and_after(api: Api) -> None:
    case = api.referral()
    nadia = {"name": "Nadia Ali", "email": "nadia.ali@example.org", "mobile": None}

    changed = api.request(
        "PUT", f"/api/cases/{case['id']}/contacts/social_worker", json=nadia, as_="business_support"
    )

    assert changed.status_code == 200, changed.text
    after = _case(api, case["id"])
    [sw] = [c for c in after["contacts"] if c["role"] == "social_worker"]
    assert (sw["name"], sw["email"]) == ("Nadia Ali", "nadia.ali@example.org")
    [entry] = [e for e in after["history"] if e["kind"] == "contact_changed"]
    assert entry["actor"] == "bs@example.org"
    with api.flow.db.connect() as conn:
        [row] = records.audit_trail(conn, case_id=case["id"], kind="contact_changed")
    assert row["detail"]["before"] == [
        {"name": "Sam Jones", "email": "sam.jones@example.org", "mobile": None}
    ]
    assert row["detail"]["after"] == [nadia]


def test_a_worker_may_not_change_a_contact_and_the_case_is_unchanged(api: Api) -> None:
    case = api.referral()
    me = {"name": "Kim Lee", "email": "kim.lee@example.org"}

    refused = api.request(
        "PUT", f"/api/cases/{case['id']}/contacts/team_manager", json=me, as_="worker"
    )

    assert "may not change a case's contacts" in problem(refused, 403)["detail"]
    after = _case(api, case["id"])
    assert after["version"] == 1
    assert [c["email"] for c in after["contacts"] if c["role"] == "team_manager"] == [
        "ade.bello@example.org"
    ]
