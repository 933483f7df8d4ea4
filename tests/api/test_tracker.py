"""The tracker at a caseload bigger than a page (issue 10): stage counts of every
open case, GOV.UK pages of 100, filters and sorting by the database, exports of
every filtered row with formulas made inert, and bulk moves limited to the moves
the person may make, answered with a redirect (post-redirect-get)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from engine import store
from engine.cases import ANY_ROLE, Actor, CaseWork
from engine.service import parse_contacts
from familyflow import accounts
from familyflow.db import accounts as accounts_db
from familyflow.db import tracker as tracker_db
from familyflow.services import tracker as tracker_service
from familyflow.services.principal import Principal
from tests.api.conftest import PASSWORD, PEOPLE, TEAM, Api
from tests.support.journeys import CONTACTS, WORKER

CASES = 650  # seven pages of 100
NAMES = (
    "Siân Jones",
    "Zoë O\u2019Brien",
    '=HYPERLINK("http://evil.example","click")',
    "+SUM(1)",
    "Łukasz Nowak",
)
# Every third case: referred (PAR-02), awaiting confirmation (PAR-03), awaiting the
# session choice (PAR-04).
STAGES = ("referred", "awaiting_confirmation", "awaiting_session_choice")
TRIGGERS = {1: ["request_confirmation"], 2: ["request_confirmation", "confirm_attendance"]}


@pytest.fixture
def caseload(api: Api) -> list[int]:
    """650 parenting cases of the team, built in one transaction through the
    engine's unit of work; case i is about NAMES[i % 5] and in STAGES[i % 3]."""
    parenting = api.flow.services.processes["parenting"]
    actor = Actor("test", ANY_ROLE)
    now = api.flow.clock.now()
    ids = []
    with api.flow.db.begin() as conn:
        work = CaseWork(conn=conn, services=api.flow.services, now=now)
        for i in range(CASES):
            people = {
                **CONTACTS,
                "worker": WORKER,
                "parent": {"name": NAMES[i % 5], "mobile": "07700900123"},
            }
            received = now - timedelta(days=30, minutes=i)
            case = work.create(
                process=parenting,
                received_at=received,
                data={},
                contacts=parse_contacts(people),
                actor=actor,
                team=TEAM,
            )
            for trigger in TRIGGERS.get(i % 3, []):
                work.fire(case.id, trigger, {}, actor=actor, at=received)
            ids.append(case.id)
        work.flush()
    return ids


def _references(html: str) -> list[str]:
    return re.findall(r'data-reference="([A-Z]+-\d+)"', html)


def _counts(html: str) -> dict[str, int]:
    found = re.findall(r'ff-stage__count">(\d+)</span>\s*<a[^>]*>([^<]+)</a>', html)
    return {stage: int(n) for n, stage in found}


def _ref(case_id: int) -> str:
    return f"PAR-{case_id:06d}"


def test_the_stage_counts_add_up_to_every_open_case_and_page_2_of_7_shows_the_next_100(
    api: Api, caseload: list[int]
) -> None:
    first = api.get("/tracker/parenting", as_="team_manager")
    assert first.status_code == 200
    counts = _counts(first.text)
    assert sum(counts.values()) == CASES  # not 500
    assert counts["Referred"] == 217 and counts["Awaiting confirmation"] == 217
    assert counts["Awaiting session choice"] == 216
    assert "650 cases" in first.text and "showing 1 to 100" in first.text
    assert _references(first.text) == [_ref(i) for i in caseload[:100]]

    second = api.get("/tracker/parenting?page=2", as_="team_manager").text
    assert _references(second) == [_ref(i) for i in caseload[100:200]]
    assert "showing 101 to 200" in second
    assert 'aria-label="Page 7"' in second and 'aria-current="page">2<' in second
    last = api.get("/tracker/parenting?page=7", as_="team_manager").text
    assert _references(last) == [_ref(i) for i in caseload[600:]]
    assert 'rel="next"' not in last


def test_filters_and_sorting_are_done_over_every_case_not_the_first_page(
    api: Api, caseload: list[int]
) -> None:
    waiting = api.get(
        "/tracker/parenting?state=awaiting_confirmation&sort=received&order=desc&page=3",
        as_="team_manager",
    ).text
    assert "217 cases" in waiting and "showing 201 to 217" in waiting
    # Newest first: case n was received n minutes before the first, so in id order.
    wanted = [i for n, i in enumerate(caseload) if n % 3 == 1][200:]
    assert _references(waiting) == [_ref(i) for i in wanted]
    oldest = api.get("/tracker/parenting?sort=received", as_="team_manager").text
    assert _references(oldest)[:2] == [_ref(caseload[-1]), _ref(caseload[-2])]

    found = api.get("/tracker/parenting?q=o%E2%80%99brien", as_="team_manager").text
    assert "130 cases" in found
    assert set(re.findall(r"<td class=\"govuk-table__cell\">(Zo[^<]*)</td>", found)) == {
        "Zoë O\u2019Brien"
    }
    one = api.get(f"/tracker/parenting?q={_ref(caseload[41]).lower()}", as_="team_manager")
    assert _references(one.text) == [_ref(caseload[41])]
    by_name = api.get("/tracker/parenting?sort=person&status=all", as_="team_manager").text
    names = re.findall(
        r'data-reference="[^"]+">.*?<td class="govuk-table__cell">([^<]*)</td>', by_name, flags=re.S
    )
    assert names == sorted(names, key=str.lower) and len(names) == 100


def test_the_csv_holds_every_filtered_row_with_formulas_inert_and_names_in_utf8(
    api: Api, caseload: list[int]
) -> None:
    response = api.get("/tracker/parenting/export.csv?state=referred", as_="team_manager")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0][:6] == ["Reference", "Name", "Stage", "Worker", "Social worker", "Team"]
    assert [r[0] for r in rows[1:]] == [_ref(i) for n, i in enumerate(caseload) if n % 3 == 0]
    names = {r[1] for r in rows[1:]}
    assert names == {
        "Siân Jones",
        "Zoë O\u2019Brien",
        '\'=HYPERLINK("http://evil.example","click")',
        "'+SUM(1)",
        "Łukasz Nowak",
    }
    assert {(r[3], r[4]) for r in rows[1:]} == {("Kim Lee", "Sam Jones")}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_an_export_reads_a_batch_a_connection_and_holds_just_the_cases_its_read_recorded(
    api: Api, caseload: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracker_service, "EXPORT_BATCH", 50)  # 217 rows: five batches
    flow = api.flow
    manager = Principal(email=PEOPLE["team_manager"][0], role="team_manager", teams=(TEAM,))
    parenting = flow.services.processes["parenting"]
    wanted = tracker_db.Wanted(
        process="parenting", code="PAR", states=list(parenting.states), state="referred"
    )
    rows = tracker_service.export(
        flow, principal=manager, wanted=wanted, shown={"state": "referred"}, kind="csv"
    )
    first = next(rows)
    # A slow or abandoned download holds no connection: each batch is given back first.
    assert flow.db.pool.checkedout() == 0
    late = api.referral()["id"]  # referred while the file streams
    exported = [first["id"], *(row["id"] for row in rows)]
    assert exported == [i for n, i in enumerate(caseload) if n % 3 == 0]  # reference order
    assert late not in exported
    with flow.db.connect() as conn:
        [recorded] = [
            e["detail"]
            for e in store.history(conn, case_id=None)
            if e["kind"] == "read" and e["detail"]["what"] == "tracker parenting export csv"
        ]
    assert recorded["rows"] == len(exported) == 217
    assert recorded["case_ids"] == sorted(exported)


def test_the_xlsx_has_every_row_real_dates_a_frozen_header_and_an_autofilter(
    api: Api, caseload: list[int]
) -> None:
    response = api.get("/tracker/parenting/export.xlsx", as_="team_manager")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    assert len(rows) == CASES + 1
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:L{CASES + 1}"
    header = [c.value for c in rows[0]]
    received, days, due = (header.index(h) for h in ("Received", "Days open", "Due"))
    first = rows[1]
    assert isinstance(first[received].value, datetime) and first[received].is_date
    assert first[days].value == 30 and first[days].data_type == "n"
    assert isinstance(rows[3][due].value, datetime)  # awaiting the session choice: PAR-04
    cells = [c for row in rows for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "'+SUM(1)" in {c.value for c in cells} and "Zoë O\u2019Brien" in {c.value for c in cells}
    assert (sheet.column_dimensions["B"].width or 0) >= 20


def _signed_in(api: Api, email: str) -> str:
    with api.flow.db.connect() as conn:
        user = accounts_db.user_by_email(conn, email)
    assert user is not None
    accounts.update_user(api.flow, user["id"], {"password": PASSWORD}, by=Actor("test"))
    token = api.get("/api/csrf", as_=None).json()["csrf_token"]
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    assert api.client.post("/login", data=form, follow_redirects=False).status_code == 303
    return str(api.get("/api/me", as_=None).json()["csrf_token"])


def _offered(html: str) -> list[str]:
    menu = html.partition('id="trigger"')[2].partition("</select>")[0]
    return [v for v in re.findall(r'value="([^"]*)"', menu) if v]


def test_bulk_moves_offer_only_the_triggers_each_role_may_fire(
    api: Api, caseload: list[int]
) -> None:
    """PAR-03: business support, the social worker or the manager confirm attendance;
    PAR-06/PAR-09 meetings and completion are the worker's or the manager's."""
    manager = _offered(api.get("/tracker/parenting", as_="team_manager").text)
    support = _offered(api.get("/tracker/parenting", as_="business_support").text)
    worker = _offered(api.get("/tracker/parenting", as_="worker").text)
    assert manager == ["complete", "confirm_attendance", "hold_planning_meeting"]
    assert support == ["confirm_attendance"]
    assert worker == ["complete", "hold_planning_meeting"]


def test_a_bulk_move_redirects_to_the_tracker_and_says_what_moved_once(
    api: Api, caseload: list[int]
) -> None:
    csrf = _signed_in(api, "bs@example.org")
    waiting, referred = caseload[1], caseload[0]  # awaiting confirmation; only referred
    back = "/tracker/parenting?state=awaiting_confirmation&page=2"
    form = {
        "csrf_token": csrf,
        "trigger": "confirm_attendance",
        "case_id": [str(waiting), str(referred)],
        "back": back,
    }
    posted = api.client.post("/tracker/parenting/move", data=form, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == back

    shown = api.client.get(back).text
    assert (
        "Confirm attendance: 1 case moved; 1 not moved: "
        f"{_ref(referred)}: This cannot be done while the case is referred"
    ) in shown
    assert "confirm_attendance&#39;" not in shown  # the reason, not the trigger's code name
    assert "Confirm attendance: 1 case moved" not in api.client.get(back).text  # once
    counts = _counts(api.client.get("/tracker/parenting").text)
    assert counts["Awaiting confirmation"] == 216 and counts["Awaiting session choice"] == 217


def test_a_move_the_role_may_not_make_is_refused_before_any_case_is_touched(
    api: Api, caseload: list[int]
) -> None:
    csrf = _signed_in(api, "bs@example.org")
    form = {"csrf_token": csrf, "trigger": "complete", "case_id": [str(caseload[2])]}
    refused = api.client.post("/tracker/parenting/move", data=form, follow_redirects=False)
    assert refused.status_code == 400
    assert "You cannot complete from here" in refused.text
    counts = _counts(api.client.get("/tracker/parenting").text)
    assert counts["Awaiting session choice"] == 216
