"""The scenarios in docs/scenarios, run through the real `familyflow simulate --json`.

Each scenario runs once per test session (a CLI start-up costs about a second); the tests read
its timeline as a manager would: the right instants to the second with their UTC offsets, the
right recipients, templates and rule IDs, and the words people will actually read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

FAMILYFLOW = Path(sys.executable).parent / "familyflow"
SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"

SW = "sam.jones@example.org"
TM = "ade.bello@example.org"
BS = "bs@example.org"
WORKER = "kim.lee@example.org"
PARENT_MOBILE = "+447700900123"
AGENDA = "parenting/tuesday_agenda"

Run = Callable[[str], "Simulation"]


class Simulation:
    def __init__(self, completed: subprocess.CompletedProcess[str]) -> None:
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.result: dict[str, Any] = json.loads(completed.stdout)
        self.timeline: list[dict[str, Any]] = self.result["timeline"]
        self.final_state: str = self.result["final_state"]

    def find(self, **match: Any) -> list[dict[str, Any]]:
        return [e for e in self.timeline if all(e.get(k) == v for k, v in match.items())]

    def one(self, **match: Any) -> dict[str, Any]:
        found = self.find(**match)
        assert len(found) == 1, f"expected one entry like {match}, found {found}"
        return found[0]

    def messages(self, template: str) -> list[dict[str, Any]]:
        return self.find(kind="message", template=template)


def clean_env() -> dict[str, str]:
    """The shell's FAMILYFLOW_* settings (timescales, agenda times) must not leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FAMILYFLOW_")}


@pytest.fixture(scope="session")
def simulate(tmp_path_factory: pytest.TempPathFactory) -> Run:
    cwd = tmp_path_factory.mktemp("simulate")
    cache: dict[str, Simulation] = {}

    def run(name: str) -> Simulation:
        if name not in cache:
            completed = subprocess.run(
                [str(FAMILYFLOW), "simulate", str(SCENARIOS / f"{name}.yaml"), "--json"],
                capture_output=True,
                text=True,
                cwd=cwd,
                env=clean_env(),
                timeout=120,
            )
            assert completed.returncode == 0, completed.stderr
            cache[name] = Simulation(completed)
        return cache[name]

    return run


def assert_has(entry: dict[str, Any], expected: dict[str, Any]) -> None:
    """`entry` has these fields with these values (one readable diff when not)."""
    assert {key: entry.get(key) for key in expected} == expected


def email(
    at: str,
    to: str,
    rule: str,
    *,
    cc: list[str] | None = None,
    sent_at: str | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    expected = {
        "kind": "message",
        "at": at,
        "channel": "email",
        "to_address": to,
        "rule": rule,
        "cc": cc,
        "status": "sent",
        "sent_at": sent_at or at,
    }
    if subject is not None:
        expected["subject"] = subject
    return expected


def text(at: str, *, sent_at: str | None = None) -> dict[str, Any]:
    return {
        "kind": "message",
        "at": at,
        "channel": "sms",
        "to_address": PARENT_MOBILE,
        "rule": "PAR-12",
        "template": "parenting/missed_session",
        "status": "sent",
        "sent_at": sent_at or at,
    }


SCENARIO_NAMES = sorted(path.stem for path in SCENARIOS.glob("parenting-*.yaml"))
EVERY_SCENARIO = sorted(path.stem for path in SCENARIOS.glob("*.yaml"))


# -- every scenario -----------------------------------------------------------


def test_the_parenting_scenarios_are_documented() -> None:
    assert SCENARIO_NAMES == [
        "parenting-christmas-planning",
        "parenting-completed",
        "parenting-no-response",
        "parenting-quiet-hours",
        "parenting-three-misses",
        "parenting-tuesday-agenda",
    ]


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_scenario_prints_only_json_on_stdout_with_logs_on_stderr_and_a_timeline_in_time_order(
    simulate: Run, name: str
) -> None:
    run = simulate(name)

    assert json.loads(run.stdout) == run.result  # the whole of stdout is one JSON document
    log_lines = run.stderr.splitlines()
    assert log_lines, "the run logs its work on stderr"
    assert all("event" in json.loads(line) for line in log_lines)

    instants = [datetime.fromisoformat(e["at"]) for e in run.timeline]
    assert all(moment.utcoffset() is not None for moment in instants)
    assert instants == sorted(instants)
    assert {e["kind"] for e in run.timeline} <= {
        "transition",
        "deadline_set",
        "deadline_met",
        "deadline_missed",
        "message",
        "note",
        "job",
    }
    for message in run.find(kind="message"):
        assert message["rule"].startswith("PAR-")
        assert message["status"] == "sent"
        assert datetime.fromisoformat(message["sent_at"]) >= datetime.fromisoformat(message["at"])
        assert message["body"].strip()


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_scenario_file_opens_with_a_comment_saying_what_it_shows_and_which_rules(
    name: str,
) -> None:
    header = (SCENARIOS / f"{name}.yaml").read_text().split("\nprocess:")[0]
    assert header.startswith("# Parenting: ")
    assert "Shows PAR-" in header
    assert f"familyflow simulate docs/scenarios/{name}.yaml" in header


@pytest.mark.parametrize("name", EVERY_SCENARIO)
def test_every_scenario_opens_with_a_comment_citing_the_rules_it_shows(name: str) -> None:
    header = (SCENARIOS / f"{name}.yaml").read_text().split("\nprocess:")[0]
    assert header.startswith("# ")
    assert re.search(r"\b[A-Z0-9]+-\d", header), "the header cites no rule ID"


# -- parenting-no-response: PAR-01 to PAR-04, PAR-18, PAR-17 --------------------


def test_PAR_01_to_PAR_03_referral_emails_the_tm_then_the_sw_asks_and_gets_course_content(
    simulate: Run,
) -> None:
    run = simulate("parenting-no-response")

    [received] = run.messages("parenting/referral_received")
    assert_has(received, email("2026-12-14T10:00:00+00:00", TM, "PAR-01", cc=[BS]))
    assert "received on Monday 14 December 2026" in received["body"]
    [asked] = run.messages("parenting/confirmation_request")
    assert_has(asked, email("2026-12-15T09:00:00+00:00", SW, "PAR-02"))
    assert "Please confirm that the parent will attend" in asked["body"]
    [content] = run.messages("parenting/course_content")
    assert_has(content, email("2026-12-16T11:00:00+00:00", SW, "PAR-03"))


def test_PAR_04_no_response_chases_after_7_days_and_closes_after_14(simulate: Run) -> None:
    run = simulate("parenting-no-response")

    set_ = [(e["at"], e["due_at"]) for e in run.find(kind="deadline_set", rule="PAR-04")]
    assert set_ == [
        ("2026-12-16T11:00:00+00:00", "2026-12-23T23:59:59+00:00"),
        ("2026-12-16T11:00:00+00:00", "2026-12-30T23:59:59+00:00"),
    ]
    missed = [e["at"] for e in run.find(kind="deadline_missed", rule="PAR-04")]
    assert missed == ["2026-12-23T23:59:59+00:00", "2026-12-30T23:59:59+00:00"]

    [chase] = run.messages("parenting/chase_session_choice")
    assert_has(
        chase,
        email(
            "2026-12-23T23:59:59+00:00",
            SW,
            "PAR-04",
            cc=[TM],
            sent_at="2026-12-24T08:00:00+00:00",  # automatic chases never go at night
            subject="Reminder: sessions still to be chosen (PAR-000001)",
        ),
    )
    assert "have not yet heard which sessions the parent needs" in chase["body"]
    assert "Sent under rule PAR-04." in chase["body"]

    [closing] = run.messages("parenting/no_response_closure")
    assert_has(
        closing,
        email(
            "2026-12-30T23:59:59+00:00",
            SW,
            "PAR-04",
            cc=[TM],
            sent_at="2026-12-31T08:00:00+00:00",
            subject="Referral closed: no response (PAR-000001)",
        ),
    )
    assert "the referral has now been closed" in closing["body"]

    close = run.one(kind="transition", trigger="close")
    expected = {
        "at": "2026-12-30T23:59:59+00:00",
        "from": "awaiting_session_choice",
        "to": "closed",
        "rule": "PAR-18",
        "actor": "system",
    }
    assert_has(close, expected)
    assert run.final_state == "closed"


def test_PAR_18_no_response_closure_emails_business_support_with_reason_no_response(
    simulate: Run,
) -> None:
    run = simulate("parenting-no-response")

    [closed] = run.messages("parenting/closed")
    assert_has(
        closed,
        email(
            "2026-12-30T23:59:59+00:00",
            BS,
            "PAR-18",
            cc=[TM],
            sent_at="2026-12-31T08:00:00+00:00",
            subject="Closed: PAR-000001 (no_response)",
        ),
    )
    assert "Reason: no_response" in closed["body"]
    # After the closure the SW hears nothing more about this referral.
    closed_at = datetime.fromisoformat("2026-12-30T23:59:59+00:00")
    to_sw = [datetime.fromisoformat(e["at"]) for e in run.find(kind="message", to_address=SW)]
    assert max(to_sw) == closed_at


def test_PAR_17_the_closed_referral_is_on_the_next_tuesday_agenda(simulate: Run) -> None:
    run = simulate("parenting-no-response")

    agenda = run.one(kind="message", template=AGENDA, at="2027-01-05T08:00:00+00:00")
    assert_has(
        agenda,
        email(
            "2027-01-05T08:00:00+00:00",
            TM,
            "PAR-13, PAR-17",
            subject="Parenting Tuesday meeting agenda, Tuesday 5 January 2027",
        ),
    )
    assert (
        "Closed since last week: move to the withdrawn/closed register:\n"
        "- PAR-000001 (closed): Jo Parent\n"
    ) in agenda["body"]


# -- parenting-three-misses: PAR-10 to PAR-15, PAR-17 ---------------------------


def test_PAR_10_PAR_11_registering_emails_the_sw_the_venue_and_eight_weekly_sessions(
    simulate: Run,
) -> None:
    run = simulate("parenting-three-misses")

    registered = run.one(kind="transition", trigger="register")
    assert_has(
        registered,
        {
            "at": "2026-12-31T10:00:00+00:00",
            "from": "planned",
            "to": "attending",
            "rule": "PAR-11",
            "actor": BS,
        },
    )
    [schedule] = run.messages("parenting/session_schedule")
    assert_has(
        schedule,
        email("2026-12-31T10:00:00+00:00", SW, "PAR-10", subject="Session schedule for PAR-000001"),
    )
    assert "Venue: Riverside Family Centre" in schedule["body"]
    sessions = [line for line in schedule["body"].splitlines() if line.startswith("- ")]
    assert sessions[0] == "- Tuesday 5 January 2027 at 10:00"
    assert sessions[-1] == "- Tuesday 23 February 2027 at 10:00"
    assert len(sessions) == 8


def test_PAR_12_each_missed_session_texts_the_parent_the_next_session_date_time_and_venue(
    simulate: Run,
) -> None:
    run = simulate("parenting-three-misses")

    first, second = run.messages("parenting/missed_session")
    # Each text waits out the undo window (FAMILYFLOW_SMS_UNDO_MINUTES, 5) first.
    assert_has(first, text("2027-01-05T13:00:00+00:00", sent_at="2027-01-05T13:05:00+00:00"))
    assert first["body"].startswith(
        "Hello Jo Parent, we missed you at the parenting session on "
        "Tuesday 5 January 2027 at 10:00."
    )
    assert (
        "The next session is on Tuesday 12 January 2027 at 10:00 at Riverside Family Centre."
        in first["body"]
    )
    assert_has(second, text("2027-01-12T12:30:00+00:00", sent_at="2027-01-12T12:35:00+00:00"))
    assert "session on Tuesday 12 January 2027 at 10:00." in second["body"]
    assert (
        "The next session is on Tuesday 19 January 2027 at 10:00 at Riverside Family Centre."
        in second["body"]
    )
    # ... and a case note says so, at the same moment.
    notes = [e["at"] for e in run.find(kind="note", rule="PAR-12")]
    assert notes == ["2027-01-05T13:00:00+00:00", "2027-01-12T12:30:00+00:00"]


def test_PAR_13_the_second_miss_emails_the_sw_copying_the_tm(simulate: Run) -> None:
    run = simulate("parenting-three-misses")

    [second] = run.messages("parenting/second_miss")
    assert_has(
        second,
        email(
            "2027-01-12T12:30:00+00:00",
            SW,
            "PAR-13",
            cc=[TM],
            sent_at="2027-01-12T12:35:00+00:00",  # after the undo window
            subject="Two sessions missed: PAR-000001",
        ),
    )
    assert (
        "missed two sessions, most recently on Tuesday 12 January 2027 at 10:00" in (second["body"])
    )
    assert "a third missed session will close the place (PAR-14)" in second["body"]


def test_PAR_14_the_third_miss_closes_the_place_notifies_the_sw_and_sends_no_text(
    simulate: Run,
) -> None:
    run = simulate("parenting-three-misses")

    closed = run.one(kind="transition", to="closed")
    expected = {
        "at": "2027-01-19T11:45:00+00:00",
        "trigger": "record_session",
        "from": "attending",
        "rule": "PAR-14",
        "actor": WORKER,
    }
    assert_has(closed, expected)
    [withdrawn] = run.messages("parenting/withdrawn_missed_sessions")
    assert_has(
        withdrawn,
        email(
            "2027-01-19T11:45:00+00:00",
            SW,
            "PAR-14",
            cc=[TM],
            sent_at="2027-01-19T11:50:00+00:00",  # after the undo window
            subject="Place closed after three missed sessions: PAR-000001",
        ),
    )
    assert "missed a third session on Tuesday 19 January 2027 at 10:00" in withdrawn["body"]
    assert "(withdrawn: missed sessions)" in withdrawn["body"]
    assert "PAR-16" not in withdrawn["body"]  # a place on the next group is for 2 misses or fewer
    note = run.one(kind="note", rule="PAR-14")
    assert note["at"] == "2027-01-19T11:45:00+00:00"
    assert note["reason"] == "Third session missed: place closed and social worker notified."
    assert len(run.messages("parenting/missed_session")) == 2  # no text for the third miss
    assert len(run.messages("parenting/second_miss")) == 1
    assert run.final_state == "closed"


def test_PAR_15_weekly_session_notes_meet_the_case_note_timescale(simulate: Run) -> None:
    run = simulate("parenting-three-misses")

    due = [e["due_at"] for e in run.find(kind="deadline_set", rule="PAR-15")]
    assert due == ["2027-01-07T23:59:59+00:00", "2027-01-14T23:59:59+00:00"]
    met = [(e["at"], e["reason"]) for e in run.find(kind="deadline_met", rule="PAR-15")]
    assert met == [
        ("2027-01-05T13:10:00+00:00", "met on time"),
        ("2027-01-12T12:40:00+00:00", "met on time"),
    ]
    assert run.messages("parenting/session_note_missing") == []


def test_PAR_13_PAR_17_tuesday_agendas_list_two_misses_then_the_closed_place(
    simulate: Run,
) -> None:
    run = simulate("parenting-three-misses")

    listed = run.one(kind="message", template=AGENDA, at="2027-01-19T08:00:00+00:00")
    assert (
        "Parents who have missed two sessions:\n- PAR-000001 (attending): Jo Parent\n"
        in listed["body"]
    )
    closed = run.one(kind="message", template=AGENDA, at="2027-01-26T08:00:00+00:00")
    assert closed["to_address"] == TM
    assert (
        "Closed since last week: move to the withdrawn/closed register:\n"
        "- PAR-000001 (closed): Jo Parent\n"
    ) in closed["body"]


# -- parenting-christmas-planning: PAR-05, PAR-06 -------------------------------


def test_PAR_05_planning_meeting_is_due_5_working_days_after_allocation_skipping_christmas(
    simulate: Run,
) -> None:
    run = simulate("parenting-christmas-planning")

    allocated = run.one(kind="transition", trigger="allocate_worker")
    assert allocated["at"] == "2026-12-21T10:00:00+00:00"
    [told] = run.messages("parenting/worker_allocated")
    assert_has(
        told,
        email(
            "2026-12-21T10:00:00+00:00",
            WORKER,
            "PAR-05",
            subject="Allocated: parenting referral PAR-000001",
        ),
    )
    assert "within 5 working days (PAR-05)" in told["body"]
    deadline = run.one(kind="deadline_set", rule="PAR-05")
    assert (deadline["at"], deadline["due_at"]) == (
        "2026-12-21T10:00:00+00:00",
        "2026-12-30T23:59:59+00:00",
    )
    # Nothing goes out on Christmas Day or the Boxing Day substitute bank holiday.
    assert not [
        e for e in run.find(kind="message") if e["sent_at"][:10] in ("2026-12-25", "2026-12-28")
    ]


def test_PAR_05_the_worker_is_reminded_at_09_00_one_working_day_before_it_is_due(
    simulate: Run,
) -> None:
    run = simulate("parenting-christmas-planning")

    [reminder] = run.messages("parenting/planning_reminder")
    assert_has(
        reminder,
        email(
            "2026-12-29T09:00:00+00:00",
            WORKER,
            "PAR-05",
            subject="Planning meeting due by Wednesday 30 December 2026 (PAR-000001)",
        ),
    )
    assert "is due by Wednesday 30 December 2026 at 23:59" in reminder["body"]


def test_PAR_05_a_missed_planning_meeting_escalates_to_the_tm_and_is_recorded_as_met_late(
    simulate: Run,
) -> None:
    run = simulate("parenting-christmas-planning")

    missed = run.one(kind="deadline_missed", rule="PAR-05")
    assert missed["at"] == "2026-12-30T23:59:59+00:00"
    [overdue] = run.messages("parenting/planning_overdue")
    assert_has(
        overdue,
        email(
            "2026-12-30T23:59:59+00:00",
            TM,
            "PAR-05",
            sent_at="2026-12-31T08:00:00+00:00",
            subject="Overdue: planning meeting for PAR-000001",
        ),
    )
    assert (
        "was due by Wednesday 30 December 2026 at 23:59 and has not been recorded"
        in (overdue["body"])
    )
    assert "Allocated worker: Kim Lee" in overdue["body"]
    met = run.one(kind="deadline_met", rule="PAR-05")
    assert (met["at"], met["reason"]) == ("2026-12-31T12:00:00+00:00", "met late")
    assert run.final_state == "planned"


def test_PAR_06_a_missing_oversight_note_reminds_the_tm_after_1_working_day(
    simulate: Run,
) -> None:
    run = simulate("parenting-christmas-planning")

    deadline = run.one(kind="deadline_set", rule="PAR-06")
    assert deadline["due_at"] == "2026-12-22T23:59:59+00:00"
    [reminder] = run.messages("parenting/oversight_note_missing")
    assert_has(
        reminder,
        email(
            "2026-12-22T23:59:59+00:00",
            TM,
            "PAR-06",
            sent_at="2026-12-23T08:00:00+00:00",
            subject="Oversight note needed: PAR-000001",
        ),
    )
    assert "manager oversight case note (allocation and direction)" in reminder["body"]
    met = run.one(kind="deadline_met", rule="PAR-06")
    assert (met["at"], met["reason"]) == ("2026-12-23T09:30:00+00:00", "met late")


# -- parenting-quiet-hours: PAR-12 and texts in quiet hours ---------------------


def test_PAR_12_a_miss_recorded_at_21_30_queues_the_text_then_and_sends_it_at_08_00(
    simulate: Run,
) -> None:
    run = simulate("parenting-quiet-hours")

    first, second = run.messages("parenting/missed_session")
    assert_has(first, text("2027-06-01T21:30:00+01:00", sent_at="2027-06-02T08:00:00+01:00"))
    assert "session on Tuesday 1 June 2027 at 18:00." in first["body"]
    assert (
        "The next session is on Tuesday 8 June 2027 at 18:00 at Riverside Family Centre."
        in first["body"]
    )
    assert_has(second, text("2027-06-08T21:40:00+01:00", sent_at="2027-06-09T08:00:00+01:00"))
    assert "The next session is on Tuesday 15 June 2027 at 18:00" in second["body"]


def test_PAR_13_quiet_hours_hold_texts_but_not_the_email_to_the_sw(simulate: Run) -> None:
    run = simulate("parenting-quiet-hours")

    [second] = run.messages("parenting/second_miss")
    # The email waits out the undo window only; quiet hours are for texts.
    assert_has(
        second,
        email(
            "2027-06-08T21:40:00+01:00", SW, "PAR-13", cc=[TM], sent_at="2027-06-08T21:45:00+01:00"
        ),
    )
    assert "most recently on Tuesday 8 June 2027 at 18:00" in second["body"]
    assert run.final_state == "attending"


# -- parenting-tuesday-agenda: PAR-13, PAR-17 -----------------------------------


def test_PAR_13_PAR_17_a_new_referral_is_on_the_first_tuesday_agenda(simulate: Run) -> None:
    run = simulate("parenting-tuesday-agenda")

    first = run.one(kind="message", template=AGENDA, at="2026-12-15T08:00:00+00:00")
    assert first["to_address"] == TM
    assert "New referrals:\n- PAR-000001 (referred): Jo Parent\n" in first["body"]


def test_PAR_13_a_parent_with_two_misses_is_on_the_tuesday_08_00_agenda_emailed_to_the_tm(
    simulate: Run,
) -> None:
    run = simulate("parenting-tuesday-agenda")

    [second] = run.messages("parenting/second_miss")
    assert (second["at"], second["to_address"]) == ("2027-01-19T12:30:00+00:00", SW)
    agenda = run.one(kind="message", template=AGENDA, at="2027-01-26T08:00:00+00:00")
    assert_has(
        agenda,
        email(
            "2027-01-26T08:00:00+00:00",
            TM,
            "PAR-13, PAR-17",
            subject="Parenting Tuesday meeting agenda, Tuesday 26 January 2027",
        ),
    )
    assert (
        "Parents who have missed two sessions:\n- PAR-000001 (attending): Jo Parent\n"
        in agenda["body"]
    )
    assert (
        "Agenda for the Tuesday meeting (Tuesday 19 January 2027 to Tuesday 26 January 2027)"
        in (agenda["body"])
    )
    job = run.one(kind="job", at="2027-01-26T08:00:00+00:00")
    assert job["rule"] == "PAR-13, PAR-17"


def test_PAR_13_one_miss_is_not_enough_for_the_tuesday_agenda(simulate: Run) -> None:
    run = simulate("parenting-tuesday-agenda")

    # 19 January 08:00: one miss so far and nothing new or closed: the job runs, no email.
    assert run.one(kind="job", at="2027-01-19T08:00:00+00:00")
    assert run.find(kind="message", template=AGENDA, at="2027-01-19T08:00:00+00:00") == []
    agendas = [e["at"] for e in run.messages(AGENDA)]
    assert agendas == ["2026-12-15T08:00:00+00:00", "2027-01-26T08:00:00+00:00"]


# -- parenting-completed: PAR-19, PAR-15 met -----------------------------------


def test_PAR_19_completing_the_course_asks_business_support_for_the_certificate(
    simulate: Run,
) -> None:
    run = simulate("parenting-completed")

    assert run.final_state == "completed"
    [done] = run.messages("parenting/completed")
    assert_has(
        done,
        email(
            "2027-01-13T10:00:00+00:00",
            BS,
            "PAR-19",
            cc=[TM],
            subject="Course completed: PAR-000001",
        ),
    )
    assert "prepare the certificate and the closure form" in done["body"]
    assert run.messages("parenting/session_note_missing") == []  # PAR-15 met each week
    assert [e["reason"] for e in run.find(kind="deadline_met", rule="PAR-15")] == [
        "met on time",
        "met on time",
    ]


# -- time: calendar months, deadlines at an instant, agendas on non-working days ---------


def _due(run: Simulation, rule: str) -> list[str]:
    return [e["due_at"] for e in run.find(kind="deadline_set", rule=rule)]


def test_VIS_04_counts_three_calendar_months_from_31_january_and_from_15_february(
    simulate: Run,
) -> None:
    run = simulate("home_visits-unannounced-calendar-months")

    assert _due(run, "VIS-04") == ["2027-04-30T23:59:59+01:00", "2027-05-15T23:59:59+01:00"]
    [reminder] = run.messages("home_visits/unannounced_reminder")
    assert (reminder["at"], reminder["to_address"]) == (
        "2027-05-01T09:00:00+01:00",
        "sam.jones@example.org",
    )
    [overdue] = run.messages("home_visits/unannounced_overdue")
    assert (overdue["at"], overdue["sent_at"], overdue["to_address"]) == (
        "2027-05-15T23:59:59+01:00",
        "2027-05-16T08:00:00+01:00",
        "priya.shah@example.org",
    )


def test_EH_11_1_monthly_oversight_from_29_january_is_due_on_28_february(simulate: Run) -> None:
    run = simulate("early_help-monthly-oversight-february")

    assert _due(run, "EH-11.1")[-2:] == ["2027-02-28T23:59:59+00:00", "2027-04-01T23:59:59+01:00"]
    [reminder] = run.messages("early_help/monthly_oversight_reminder")
    assert (reminder["at"], reminder["to_address"]) == (
        "2027-02-24T09:00:00+00:00",
        "mo.khan@example.org",
    )
    [overdue] = run.messages("early_help/monthly_oversight_overdue")
    assert (overdue["at"], overdue["sent_at"], overdue["cc"]) == (
        "2027-02-28T23:59:59+00:00",
        "2027-03-01T08:00:00+00:00",
        ["tia.lead@example.org"],
    )
    met = run.one(kind="deadline_met", rule="EH-11.1")
    assert (met["at"], met["reason"]) == ("2027-03-01T10:00:00+00:00", "met late")


def test_EH_11_4_markers_fall_on_the_same_day_of_the_month_3_6_9_and_12_months_on(
    simulate: Run,
) -> None:
    run = simulate("early_help-open-a-year")

    assert _due(run, "EH-11.4") == [
        "2027-04-04T23:59:59+01:00",
        "2027-07-04T23:59:59+01:00",
        "2027-10-04T23:59:59+01:00",
        "2028-01-04T23:59:59+00:00",
    ]
    prompts = run.messages("early_help/oversight_prompt")
    assert [(p["sent_at"], p["subject"].split(", ")[-1]) for p in prompts] == [
        ("2027-04-05T08:00:00+01:00", "open 3 calendar months"),
        ("2027-07-05T08:00:00+01:00", "open 6 calendar months"),
        ("2027-10-05T08:00:00+01:00", "open 9 calendar months"),
        ("2028-01-05T08:00:00+00:00", "open 12 calendar months"),
    ]


def test_FT_09_a_report_sent_at_09_30_for_a_10_00_meeting_is_on_time(simulate: Run) -> None:
    run = simulate("family_time-christmas-referral")

    assert _due(run, "FT-09") == ["2027-01-27T10:00:00+00:00"]
    [reminder] = run.messages("family_time/report_reminder")
    assert reminder["at"] == "2027-01-26T09:00:00+00:00"  # the working day before
    met = run.one(kind="deadline_met", rule="FT-09")
    assert (met["at"], met["reason"]) == ("2027-01-27T09:30:00+00:00", "met on time")
    assert run.messages("family_time/report_overdue") == []


def test_FTH_01_the_tuesday_panel_of_28_december_2027_moves_to_wednesday(simulate: Run) -> None:
    run = simulate("family_therapy-panel-christmas-2027")

    [agenda] = run.find(kind="message", rule="FTH-01", to_address="panel@example.org")
    assert (agenda["at"], agenda["sent_at"]) == (
        "2027-12-29T09:00:00+00:00",
        "2027-12-29T09:00:00+00:00",
    )
    job = run.one(kind="job", rule="FTH-01")
    assert job["reason"] == (
        "family_therapy_panel: moved from Tuesday 28 December 2027, a bank holiday "
        "(Boxing Day (observed)), to Wednesday 29 December 2027; 1 agenda(s) queued"
    )


def test_EH_2_1_the_screening_list_is_skipped_on_good_friday_and_easter_monday(
    simulate: Run,
) -> None:
    run = simulate("early_help-screening-over-easter")

    jobs = [(e["at"], e["reason"]) for e in run.find(kind="job", rule="EH-2.1")]
    assert jobs == [
        (
            "2027-03-26T09:00:00+00:00",
            "early_help_screening: skipped, Friday 26 March 2027 is a bank holiday "
            "(Good Friday); the next run lists what it would have",
        ),
        (
            "2027-03-29T09:00:00+01:00",
            "early_help_screening: skipped, Monday 29 March 2027 is a bank holiday "
            "(Easter Monday); the next run lists what it would have",
        ),
        ("2027-03-30T09:00:00+01:00", "early_help_screening: 1 agenda(s) queued"),
    ]
    [listed] = run.messages("early_help/screening_list")
    assert (listed["at"], listed["to_address"]) == (
        "2027-03-30T09:00:00+01:00",
        "screening@example.org",
    )


def test_SA_03_SA_05_an_under_5_assessment_over_christmas_keeps_both_statutory_clocks(
    simulate: Run,
) -> None:
    run = simulate("joint_under5_assessment-christmas-statutory-clocks")

    assert _due(run, "SA-05") == ["2028-01-06T23:59:59+00:00"]
    assert _due(run, "SA-03") == ["2028-02-17T23:59:59+00:00", "2028-02-10T23:59:59+00:00"]
    [network] = run.messages("joint_under5_assessment/network_meeting_due")
    assert (network["sent_at"], network["to_address"], network["cc"]) == (
        "2028-01-07T08:00:00+00:00",
        "sam.jones@example.org",
        ["ade.bello@example.org"],
    )
    met = [(e["at"], e["rule"], e["reason"]) for e in run.find(kind="deadline_met")]
    assert ("2028-01-10T10:00:00+00:00", "SA-05", "met late") in met
    assert ("2028-01-12T11:00:00+00:00", "SA-03", "met on time") in met


def test_EH_11_2_a_friday_case_discussion_is_due_by_tuesday_after_the_bank_holiday(
    simulate: Run,
) -> None:
    run = simulate("early_help-case-discussion-bank-holiday")

    assert _due(run, "EH-11.2") == ["2027-05-04T23:59:59+01:00"]
    [reminder] = run.find(kind="message", rule="EH-11.2")
    assert (reminder["at"], reminder["to_address"]) == (
        "2027-05-04T09:00:00+01:00",
        "mo.khan@example.org",
    )
    met = run.one(kind="deadline_met", rule="EH-11.2")
    assert (met["at"], met["reason"]) == ("2027-05-04T11:30:00+01:00", "met on time")
