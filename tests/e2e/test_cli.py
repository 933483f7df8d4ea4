"""The `familyflow` command, run as people run it: a subprocess on a real database file
(and on PostgreSQL too when FAMILYFLOW_TEST_POSTGRES_URL is set).

Dates are in October 2024, safely in the past, because an event may not be recorded as
happening in the future; October is British Summer Time, so local instants read +01:00.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

FAMILYFLOW = Path(sys.executable).parent / "familyflow"
SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"

SW = "sam.jones@example.org"
TM = "ade.bello@example.org"
BS = "bs@example.org"
CONTACTS = [
    "--contact", f"social_worker=Sam Jones,{SW}",
    "--contact", f"team_manager=Ade Bello,{TM}",
    "--contact", f"business_support=Business Support,{BS}",
    "--contact", "parent=Jo Parent,,07700 900123",
]  # fmt: skip
WORKER = ["--set", "worker.name=Kim Lee", "--set", "worker.email=kim.lee@example.org"]
WRITTEN = ("cases", "contacts", "audit_events", "outbox", "deadlines", "job_runs")


class CLI:
    """`familyflow --db URL ...` in a scratch directory, with no FAMILYFLOW_* from the shell."""

    def __init__(self, cwd: Path, db: str | None = None) -> None:
        self.cwd = cwd
        self.db = db
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FAMILYFLOW_")}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(FAMILYFLOW), *(["--db", self.db] if self.db else []), *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=self.cwd,
                              env=self.env, timeout=120)  # fmt: skip

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))


def refusal(result: subprocess.CompletedProcess[str], exit_code: int, *phrases: str) -> str:
    """The command failed with this exit code and one line on stderr naming what and why."""
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("error: ")
    for phrase in phrases:
        assert phrase in line
    return line


def snapshot(database_url: str) -> dict[str, Any]:
    """What is written: row counts, and each case's state and version."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in WRITTEN}  # fmt: skip
            query = sa.text("SELECT id, state, version FROM cases ORDER BY id")
            cases = [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()
    return {"counts": counts, "cases": cases}


def entries(history: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [e for e in history if all(e.get(k) == v for k, v in match.items())]


def create_referral(cli: CLI) -> int:
    return int(cli.ok("case", "create", "parenting", "--received-at", "2024-10-07T10:00",
                      *CONTACTS))  # fmt: skip


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path)


ACCOUNTS = ((SW, "social_worker"), (TM, "team_manager"), (BS, "business_support"))


@pytest.fixture
def db_cli(tmp_path: Path, database_url: str) -> CLI:
    """The CLI on a database where the people who act (`--by`) have accounts: roles
    come from accounts, never from being named on a case."""
    cli = CLI(tmp_path, database_url)
    for email, role in ACCOUNTS:
        cli.ok("user", "add", email, "--role", role, "--password", "a long enough password")
    return cli


# -- reading processes -----------------------------------------------------------


def test_processes_json_lists_parenting_with_its_seed_and_states(cli: CLI) -> None:
    found = cli.json("processes")

    parenting = next(p for p in found if p["name"] == "parenting")
    assert parenting["title"] == "Parenting programme"
    assert parenting["source"] == "seed 002, Parenting"
    assert parenting["states"][0] == "referred"
    assert {"closed", "completed", "attending"} <= set(parenting["states"])


def test_process_show_gives_triggers_roles_and_timescales_with_rule_ids_and_a_diagram(
    cli: CLI,
) -> None:
    shown = cli.json("process", "show", "parenting")

    allocate = next(t for t in shown["triggers"] if t["trigger"] == "allocate_worker")
    assert allocate == {
        "trigger": "allocate_worker", "from": ["awaiting_allocation"], "to": "planning",
        "roles": ["team_manager"], "rule": "PAR-05",
        "description": "Team manager passes the referral to a parenting worker",
    }  # fmt: skip
    within = {t["key"]: (t["rule"], t["within"], t["remind_before"]) for t in shown["timescales"]}
    assert within["PAR-04-chase"] == ("PAR-04", "7 calendar days", None)
    assert within["PAR-04-close"] == ("PAR-04", "14 calendar days", None)
    assert within["PAR-05"][:2] == ("PAR-05", "5 working days")
    assert within["PAR-05"][2] is not None  # the worker is reminded before it is due
    assert shown["agendas"] == [
        {"key": "parenting_tuesday", "rules": ["PAR-13", "PAR-17"], "when": "tue 08:00"}
    ]
    assert set(shown["rules"]) == {f"PAR-{n:02d}" for n in range(1, 20)}

    diagram = cli.ok("process", "show", "parenting", "--diagram")
    assert diagram.startswith("stateDiagram-v2\n")
    assert "    [*] --> referred\n" in diagram
    assert "    awaiting_allocation --> planning: allocate_worker (PAR-05)\n" in diagram
    assert "    attending --> closed: record_session (PAR-14)\n" in diagram


# -- cases -----------------------------------------------------------------------


def test_case_create_event_and_show_record_a_referral_with_its_deadlines_and_messages(
    db_cli: CLI,
) -> None:
    cli = db_cli

    assert cli.ok("case", "create", "parenting", "--received-at", "2024-10-07T10:00",
                  *CONTACTS) == "1\n"  # fmt: skip
    moved = cli.ok("case", "event", "1", "request_confirmation", "--by", TM,
                   "--at", "2024-10-08T09:00")  # fmt: skip
    assert moved == "case 1: awaiting_confirmation (version 2)\n"
    assert cli.json("case", "event", "1", "confirm_attendance", "--by", SW,
                    "--at", "2024-10-09T11:00") == {
        "case_id": 1, "state": "awaiting_session_choice", "version": 3}  # fmt: skip

    shown = cli.json("case", "show", "1")
    assert (shown["reference"], shown["state"], shown["version"]) == (
        "PAR-000001",
        "awaiting_session_choice",
        3,
    )
    assert shown["data"] == {}
    assert shown["received_at"] == "2024-10-07T10:00:00+01:00"
    assert shown["allowed_triggers"] == ["choose_sessions", "close"]
    assert {c["role"]: (c["name"], c["email"], c["mobile"]) for c in shown["contacts"]} == {
        "social_worker": ("Sam Jones", SW, None),
        "team_manager": ("Ade Bello", TM, None),
        "business_support": ("Business Support", BS, None),
        "parent": ("Jo Parent", None, "+447700900123"),  # stored in E.164
    }
    assert [(d["timescale"], d["rule"], d["status"], d["due_at"]) for d in shown["deadlines"]] == [
        ("PAR-04-chase", "PAR-04", "open", "2024-10-16T23:59:59+01:00"),
        ("PAR-04-close", "PAR-04", "open", "2024-10-23T23:59:59+01:00"),
    ]
    history = shown["history"]
    moves = [(e["at"], e["trigger"], e.get("from"), e["to"], e.get("rule"), e["actor"])
             for e in entries(history, kind="transition")]  # fmt: skip
    assert moves == [
        ("2024-10-07T10:00:00+01:00", "create", None, "referred", None, "cli"),
        ("2024-10-08T09:00:00+01:00", "request_confirmation", "referred",
         "awaiting_confirmation", "PAR-02", TM),
        ("2024-10-09T11:00:00+01:00", "confirm_attendance", "awaiting_confirmation",
         "awaiting_session_choice", "PAR-03", SW),
    ]  # fmt: skip
    messages = [(e["at"], e["rule"], e["template"], e["to_address"], e.get("cc"))
                for e in entries(history, kind="message")]  # fmt: skip
    assert messages == [
        ("2024-10-07T10:00:00+01:00", "PAR-01", "parenting/referral_received", TM, [BS]),
        ("2024-10-08T09:00:00+01:00", "PAR-02", "parenting/confirmation_request", SW, None),
        ("2024-10-09T11:00:00+01:00", "PAR-03", "parenting/course_content", SW, None),
    ]
    [received] = entries(history, rule="PAR-01")
    assert "received on Monday 7 October 2024" in received["body"]


def test_run_due_until_fires_the_PAR_04_chase_at_its_due_time_once_then_the_closure(
    db_cli: CLI,
) -> None:
    cli = db_cli
    # Catching up happens now, in real time; with no quiet hours the chase goes at once
    # whatever the hour this test runs at.
    cli.env |= {"FAMILYFLOW_QUIET_HOURS_START": "00:00", "FAMILYFLOW_QUIET_HOURS_END": "00:00"}
    case = str(create_referral(cli))
    cli.ok("case", "event", case, "request_confirmation", "--by", TM, "--at", "2024-10-08T09:00")
    cli.ok("case", "event", case, "confirm_attendance", "--by", SW, "--at", "2024-10-09T11:00")

    assert cli.json("run-due", "--until", "2024-10-17T00:00") == {
        "until": "2024-10-17T00:00:00+01:00"
    }
    cli.ok("run-due", "--until", "2024-10-17T00:00")  # again: nothing is due twice

    shown = cli.json("case", "show", case)
    assert shown["state"] == "awaiting_session_choice"
    assert [(d["timescale"], d["status"], d["due_at"]) for d in shown["deadlines"]] == [
        ("PAR-04-chase", "fired", "2024-10-16T23:59:59+01:00"),
        ("PAR-04-close", "open", "2024-10-23T23:59:59+01:00"),
    ]
    missed = entries(shown["history"], kind="deadline_missed")
    # Caught up today, years after it fell due: recorded at its due time, marked late,
    # and stamped with the real time it was recorded.
    assert [(e["at"], e["rule"], e["late"]) for e in missed] == [
        ("2024-10-16T23:59:59+01:00", "PAR-04", True)
    ]
    assert missed[0]["recorded_at"] > "2026"
    [chase] = entries(shown["history"], template="parenting/chase_session_choice")
    assert (chase["at"], chase["rule"], chase["to_address"], chase["cc"], chase["status"]) == (
        "2024-10-16T23:59:59+01:00",
        "PAR-04",
        SW,
        [TM],
        "sent",
    )
    assert chase["subject"] == "Reminder: sessions still to be chosen (PAR-000001)"

    cli.ok("run-due", "--until", "2024-10-24T00:00")
    shown = cli.json("case", "show", case)
    assert shown["state"] == "closed"
    assert shown["data"]["closure_reason"] == "no_response"
    assert shown["closed_at"] == "2024-10-23T23:59:59+01:00"
    assert shown["deadlines"] == []
    assert len(entries(shown["history"], template="parenting/chase_session_choice")) == 1
    [closing] = entries(shown["history"], template="parenting/no_response_closure")
    [closed] = entries(shown["history"], template="parenting/closed")
    assert (closing["at"], closing["to_address"], closing["cc"]) == (
        "2024-10-23T23:59:59+01:00",
        SW,
        [TM],
    )
    assert (closed["at"], closed["rule"], closed["to_address"], closed["cc"]) == (
        "2024-10-23T23:59:59+01:00",
        "PAR-18",
        BS,
        [TM],
    )


def test_demo_loads_cases_at_every_stage_and_loading_it_again_adds_nothing(
    db_cli: CLI, database_url: str
) -> None:
    cli = db_cli

    first = cli.ok("demo")
    assert first == f"loaded 50 demo cases: {', '.join(map(str, range(1, 51)))}\n"
    written = snapshot(database_url)
    assert cli.ok("demo") == first
    assert snapshot(database_url) == written
    states = [state for _, state, _ in written["cases"]][:7]  # parenting's, then the others
    assert states == ["referred", "awaiting_confirmation", "awaiting_session_choice",
                      "planning", "planned", "attending", "awaiting_allocation"]  # fmt: skip
    attending = cli.json("case", "show", "6")
    assert attending["data"]["missed_count"] == 1
    assert attending["data"]["venue"] == "Riverside Family Centre"


# -- bad input: the exit code, one line naming what and why, nothing written ---------


def test_bad_referrals_are_refused_with_a_reason_and_nothing_is_written(
    db_cli: CLI, database_url: str, subtests: pytest.Subtests
) -> None:
    cli = db_cli
    create_referral(cli)
    before = snapshot(database_url)
    create = ("case", "create", "parenting", "--received-at", "2024-10-07T10:00")
    bad = {
        "unknown process": (
            ["case", "create", "parenting_course", "--received-at", "2024-10-07T10:00",
             *CONTACTS], 3, ["unknown process 'parenting_course'", "known processes: parenting"]),
        "invalid email": (
            [*create, *CONTACTS, "--contact", "social_worker=Sam Jones,sam.jones.example.org"],
            2, ["contacts.social_worker.email", "'sam.jones.example.org' is not a valid email"]),
        "landline, not a mobile": (
            [*create, *CONTACTS, "--contact", "parent=Jo Parent,,02079460000"],
            2, ["contacts.parent.mobile", "'02079460000' is not a UK mobile number"]),
        "not a phone number": (
            [*create, *CONTACTS, "--contact", "parent=Jo Parent,,12345"],
            2, ["contacts.parent.mobile", "'12345'"]),
        "malformed date": (
            ["case", "create", "parenting", "--received-at", "2026-13-45", *CONTACTS],
            2, ["--received-at", "'2026-13-45' is not an ISO 8601 date"]),
        "received in the future": (
            ["case", "create", "parenting", "--received-at", "2099-01-04T10:00", *CONTACTS],
            2, ["received_at", "is in the future"]),
        "no team manager for the PAR-01 email": (
            [*create, "--contact", f"social_worker=Sam Jones,{SW}"],
            2, ["contacts.team_manager", "parenting/referral_received (PAR-01)"]),
        "malformed contact": (
            [*create, "--contact", "parent"], 2, ["--contact", "'parent' is not role=Name"]),
    }  # fmt: skip
    for label, (args, exit_code, phrases) in bad.items():
        with subtests.test(label):
            refusal(cli(*args), exit_code, *phrases)
            assert snapshot(database_url) == before


def test_bad_events_are_refused_with_a_reason_and_the_case_is_unchanged(
    db_cli: CLI, database_url: str, subtests: pytest.Subtests
) -> None:
    cli = db_cli
    case = str(create_referral(cli))
    cli.ok("case", "event", case, "request_confirmation", "--by", TM, "--at", "2024-10-08T09:00")
    cli.ok("case", "event", case, "confirm_attendance", "--by", SW, "--at", "2024-10-09T11:00")
    cli.ok("case", "event", case, "choose_sessions", "--by", SW, "--at", "2024-10-10T14:00",
           "--set", "sessions=[1, 2, 3, 4, 5, 6, 7, 8]")  # fmt: skip
    before = snapshot(database_url)
    assert before["cases"] == [(1, "awaiting_allocation", 4)]
    allocate = ("case", "event", case, "allocate_worker", "--at", "2024-10-14T10:00")
    bad = {
        "unknown trigger": (
            [*allocate[:3], "allocate", "--by", TM, *WORKER],
            2, ["unknown trigger 'allocate'", "its triggers are: request_confirmation",
                "allocate_worker"]),
        "unknown case": (
            ["case", "event", "99", "allocate_worker", "--by", TM, *WORKER],
            3, ["case not found: 99"]),
        "trigger not allowed in this state": (
            ["case", "event", case, "hold_planning_meeting", "--by", TM],
            4, ["'hold_planning_meeting' is not allowed in state 'awaiting_allocation'",
                "allowed here: allocate_worker, close"]),
        "wrong role: the SW allocating a worker": (
            [*allocate, "--by", SW, *WORKER],
            5, [f"{SW} (role social_worker) may not fire 'allocate_worker'",
                "needs one of: team_manager"]),
        "missing required data: no worker": (
            [*allocate, "--by", TM], 2, ["data.worker", "Field required"]),
        "invalid email in data": (
            [*allocate, "--by", TM, "--set", "worker.name=Kim Lee",
             "--set", "worker.email=kim.lee.example.org"],
            2, ["data.worker.email", "'kim.lee.example.org' is not a valid email"]),
        "malformed date": (
            [*allocate[:4], "--at", "14/10/2024", "--by", TM, *WORKER],
            2, ["--at", "'14/10/2024' is not an ISO 8601 date"]),
        "stale version": (
            [*allocate, "--by", TM, *WORKER, "--version", "3"],
            6, ["case 1 was changed by someone else", "version 3 is stale"]),
    }  # fmt: skip
    for label, (args, exit_code, phrases) in bad.items():
        with subtests.test(label):
            refusal(cli(*args), exit_code, *phrases)
            assert snapshot(database_url) == before

    with subtests.test("the current version is accepted"):
        assert cli.json(*allocate, "--by", TM, *WORKER, "--version", "4") == {
            "case_id": 1,
            "state": "planning",
            "version": 5,
        }


# -- bad scenarios: exit code 2, naming the step and the reason -----------------------


def _scenario(tmp_path: Path, base: str, change: Any) -> Path:
    scenario = yaml.safe_load((SCENARIOS / f"{base}.yaml").read_text())
    change(scenario)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def _set_step(number: int, **fields: Any) -> Any:
    def change(scenario: dict[str, Any]) -> None:
        scenario["steps"][number - 1].update(fields)

    return change


def _no_parent_mobile(scenario: dict[str, Any]) -> None:
    scenario["contacts"]["parent"] = {"name": "Jo Parent"}


BAD_SCENARIOS = {
    "unknown trigger": (
        "parenting-no-response", _set_step(2, event="confirm_attendence"),
        ["step 2 (confirm_attendence)", "unknown trigger 'confirm_attendence'"]),
    "trigger not allowed in the current state": (
        "parenting-no-response", _set_step(2, event="choose_sessions"),
        ["step 2 (choose_sessions)",
         "'choose_sessions' is not allowed in state 'awaiting_confirmation'",
         "allowed here: confirm_attendance, close"]),
    "wrong role via by": (
        "parenting-no-response", _set_step(1, by=SW),
        ["step 1 (request_confirmation)", f"{SW} (role social_worker) may not fire",
         "needs one of: team_manager"]),
    "no parent mobile for the PAR-12 text": (
        "parenting-three-misses", _no_parent_mobile,
        ["step 8 (record_session)", "contacts.parent",
         "parenting/missed_session (PAR-12)"]),
    "steps out of time order": (
        "parenting-no-response", _set_step(2, at="2026-12-14T09:00"),
        ["step 2", "steps must be in time order"]),
}  # fmt: skip


@pytest.mark.parametrize("label", BAD_SCENARIOS)
def test_a_bad_scenario_exits_2_naming_the_step_and_the_reason(
    cli: CLI, tmp_path: Path, label: str
) -> None:
    base, change, phrases = BAD_SCENARIOS[label]
    path = _scenario(tmp_path, base, change)

    refusal(cli("simulate", str(path), "--json"), 2, *phrases)


def test_rules_lists_EH_11_2_as_automated_with_its_trigger_test_and_scenario(cli: CLI) -> None:
    [row] = [r for r in cli.json("rules") if r["id"] == "EH-11.2"]
    assert (row["how"], row["process"]) == ("automated", "early_help")
    assert "record_case_discussion" in row["what"]
    assert "docs/scenarios/early_help-case-discussion-bank-holiday.yaml" in row["scenarios"]
    assert any("EH_11_2" in test for test in row["tests"])
    line = next(x for x in cli.ok("rules").splitlines() if x.startswith("EH-11.2 "))
    assert line.split()[1:3] == ["automated", "early_help"]


# -- roles come from accounts ------------------------------------------------------


def test_by_naming_an_email_with_no_account_is_refused_with_exit_2_and_nothing_written(
    db_cli: CLI, database_url: str
) -> None:
    cli = db_cli
    case = str(create_referral(cli))
    before = snapshot(database_url)

    result = cli("case", "event", case, "request_confirmation", "--by", "someone@example.org")

    refusal(result, 2, "--by", "no active account has the email someone@example.org")
    assert snapshot(database_url) == before


def test_by_acts_with_the_accounts_role_whatever_the_capitals_and_case_show_is_a_read(
    db_cli: CLI, database_url: str
) -> None:
    cli = db_cli
    case = str(create_referral(cli))

    named_only = cli("case", "event", case, "request_confirmation", "--by", BS)
    moved = cli.json("case", "event", case, "request_confirmation", "--by", "Ade.Bello@Example.org")
    cli.ok("case", "show", case, "--by", SW)

    refusal(named_only, 5, "role business_support")
    assert moved["state"] == "awaiting_confirmation"
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        reads = conn.execute(
            sa.text("SELECT actor, reason FROM audit_events WHERE kind = 'read'")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in reads] == [(SW, "case read")]
