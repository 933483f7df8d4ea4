"""The scenario format: when a step happened beside when it was recorded, the nation's bank
holidays, local closure days, and steps on a linked case (issue 11, part 6).

The shipped scenario docs/scenarios/internal_referral-scotland-late-entries-linked.yaml is
replayed in-process and read to the minute: states, due instants, messages and recipients.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from familyflow.settings import Settings
from familyflow.simulate import Scenario, ScenarioError, load, run, timeline_text

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"
FAMILYFLOW = Path(sys.executable).parent / "familyflow"
NAME = "internal_referral-scotland-late-entries-linked"
WORKER = "sian.jones@example.org"
SW = "lukasz.nowak@example.org"
TM = "ade.bello@example.org"
BS = "bs@example.org"
Z = "+00:00"  # GMT all through November and December


def _settings() -> Settings:
    return Settings(mailing_lists={}, timescales={}, agenda_times={})


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return run(load(SCENARIOS / f"{NAME}.yaml"), settings=_settings())


def _scenario(**changes: Any) -> Scenario:
    return load(SCENARIOS / f"{NAME}.yaml").model_copy(update=changes)


def test_the_whole_journey_ends_with_the_referral_sent_and_the_linked_case_awaiting_sessions(
    result,
):
    assert result["final_state"] == "referred"
    assert result["cases"] == [
        {"reference": "IREF-000001", "process": "internal_referral", "state": "referred"},
        {"reference": "PAR-000002", "process": "parenting", "state": "awaiting_session_choice"},
    ]


def test_moves_on_both_cases_are_at_when_they_happened_with_late_entries_recorded_later(result):
    moves = [
        (e["at"], e["case_id"], e["trigger"], e.get("from"), e["to"], e.get("recorded_at"))
        for e in result["timeline"]
        if e["kind"] == "transition"
    ]
    assert moves == [
        (f"2026-11-23T10:00:00{Z}", 1, "create", None, "identified", None),
        # IR-02: consent given on Tuesday, entered on Thursday morning.
        (
            f"2026-11-24T10:00:00{Z}",
            1,
            "parent_consents",
            "identified",
            "awaiting_sw_agreement",
            f"2026-11-26T09:30:00{Z}",
        ),
        (f"2026-12-01T10:00:00{Z}", 1, "sw_agrees", "awaiting_sw_agreement", "agreed", None),
        (f"2026-12-07T11:00:00{Z}", 1, "refer", "agreed", "referred", None),
        (f"2026-12-07T11:00:00{Z}", 2, "create", None, "referred", None),
        # Steps with `case: linked:parenting` act on PAR-000002.
        (
            f"2026-12-09T10:00:00{Z}",
            2,
            "request_confirmation",
            "referred",
            "awaiting_confirmation",
            None,
        ),
        (
            f"2026-12-10T11:00:00{Z}",
            2,
            "confirm_attendance",
            "awaiting_confirmation",
            "awaiting_session_choice",
            f"2026-12-11T15:00:00{Z}",
        ),
    ]
    late = [e["trigger"] for e in result["timeline"] if e.get("recorded_late")]
    assert late == ["parent_consents", "confirm_attendance"]


def test_timescales_run_from_when_it_happened_on_scotlands_calendar_less_the_closure_day(result):
    deadlines = [
        (e["at"], e["case_id"], e["kind"], e["rule"], e["due_at"], e.get("recorded_at"))
        for e in result["timeline"]
        if e["kind"].startswith("deadline")
    ]
    assert deadlines == [
        # IR-05: 10 working days from 24 November, skipping St Andrew's Day (Monday
        # 30 November, a Scottish bank holiday) and the closure day (Tuesday 8 December).
        (
            f"2026-11-24T10:00:00{Z}",
            1,
            "deadline_set",
            "IR-05",
            f"2026-12-10T23:59:59{Z}",
            f"2026-11-26T09:30:00{Z}",
        ),
        (f"2026-12-07T11:00:00{Z}", 1, "deadline_met", "IR-05", f"2026-12-10T23:59:59{Z}", None),
        # PAR-04: a week from the phone call of 10 December, not from its entry on the 11th.
        (
            f"2026-12-10T11:00:00{Z}",
            2,
            "deadline_set",
            "PAR-04",
            f"2026-12-17T23:59:59{Z}",
            f"2026-12-11T15:00:00{Z}",
        ),
        (
            f"2026-12-10T11:00:00{Z}",
            2,
            "deadline_set",
            "PAR-04",
            f"2026-12-24T23:59:59{Z}",
            f"2026-12-11T15:00:00{Z}",
        ),
        (
            f"2026-12-17T23:59:59{Z}",
            2,
            "deadline_missed",
            "PAR-04",
            f"2026-12-17T23:59:59{Z}",
            None,
        ),
    ]


def test_every_message_goes_to_the_right_people_when_it_was_recorded(result):
    messages = [
        (e["at"], e.get("case_id"), e["template"], e["to_address"], e.get("cc"), e["sent_at"])
        for e in result["timeline"]
        if e["kind"] == "message"
    ]
    assert messages == [
        # IR-04: queued when the consent was entered, not two days before.
        (
            f"2026-11-24T10:00:00{Z}",
            1,
            "internal_referral/sw_discussion",
            SW,
            [WORKER],
            f"2026-11-26T09:30:00{Z}",
        ),
        # IR-05's reminder, 3 working days before Thursday 10 December (8 December skipped).
        (
            f"2026-12-04T09:00:00{Z}",
            1,
            "internal_referral/referral_reminder",
            WORKER,
            None,
            f"2026-12-04T09:00:00{Z}",
        ),
        (
            f"2026-12-07T11:00:00{Z}",
            1,
            "internal_referral/referral_to_families_together",
            TM,
            [BS],
            f"2026-12-07T11:00:00{Z}",
        ),
        (
            f"2026-12-07T11:00:00{Z}",
            2,
            "parenting/referral_received",
            TM,
            [BS],
            f"2026-12-07T11:00:00{Z}",
        ),
        (
            f"2026-12-07T11:00:00{Z}",
            1,
            "internal_referral/planning_invitation",
            WORKER,
            [SW],
            f"2026-12-07T11:00:00{Z}",
        ),
        # PAR-13/PAR-17: Tuesday 8 December is the closure day: the agenda goes on Wednesday.
        (
            f"2026-12-09T08:00:00{Z}",
            None,
            "parenting/tuesday_agenda",
            TM,
            None,
            f"2026-12-09T08:00:00{Z}",
        ),
        (
            f"2026-12-09T10:00:00{Z}",
            2,
            "parenting/confirmation_request",
            SW,
            None,
            f"2026-12-09T10:00:00{Z}",
        ),
        (
            f"2026-12-10T11:00:00{Z}",
            2,
            "parenting/course_content",
            SW,
            None,
            f"2026-12-11T15:00:00{Z}",
        ),
        # PAR-04's chase at midnight waits for the morning.
        (
            f"2026-12-17T23:59:59{Z}",
            2,
            "parenting/chase_session_choice",
            SW,
            [TM],
            f"2026-12-18T08:00:00{Z}",
        ),
    ]
    reminder = next(e for e in result["timeline"] if e.get("template", "").endswith("reminder"))
    assert reminder["subject"] == (
        "Referral to PoP (parenting programme) due by Thursday 10 December 2026 (IREF-000001)"
    )
    agenda = next(e for e in result["timeline"] if e.get("template") == "parenting/tuesday_agenda")
    assert "PAR-000002 (referred): Mairi Campbell" in agenda["body"]


def test_the_agenda_on_the_closure_day_says_where_it_went_and_why(result):
    jobs = [(e["at"], e["reason"]) for e in result["timeline"] if e["kind"] == "job"]
    assert (
        f"2026-12-09T08:00:00{Z}",
        "parenting_tuesday: moved from Tuesday 8 December 2026, a local closure day, "
        "to Wednesday 9 December 2026; 1 agenda(s) queued",
    ) in jobs
    [closure] = [e for e in result["timeline"] if e["kind"] == "change"]
    assert (closure["at"], closure["reason"]) == (
        f"2026-11-23T10:00:00{Z}",
        "closure day 2026-12-08 added",
    )


def test_the_text_output_shows_when_an_entry_was_recorded_only_where_that_differs(result):
    lines = timeline_text(result).splitlines()
    [consent] = [line for line in lines if "parent_consents" in line]
    assert consent == (
        f"  2026-11-24T10:00:00{Z}  [IR-02] parent_consents: identified -> awaiting_sw_agreement"
        f"  (recorded 2026-11-26T09:30:00{Z}, late)"
    )
    [agrees] = [line for line in lines if "sw_agrees" in line]
    assert "recorded" not in agrees
    assert lines[-3:] == [
        "IREF-000001 (internal_referral): referred",
        "PAR-000002 (parenting): awaiting_session_choice",
        "final state: referred",
    ]


def test_the_same_journey_in_england_with_no_closure_day_is_due_two_working_days_sooner():
    result = run(_scenario(nation="england", closure_days=[]), settings=_settings())

    due = [e["due_at"] for e in result["timeline"] if e.get("rule") == "IR-05" and "due_at" in e]
    # 10 working days from Tuesday 24 November with St Andrew's Day and 8 December working.
    assert due == [f"2026-12-08T23:59:59{Z}", f"2026-12-08T23:59:59{Z}"]
    [agenda] = [e for e in result["timeline"] if e.get("template") == "parenting/tuesday_agenda"]
    assert agenda["sent_at"] == f"2026-12-08T08:00:00{Z}"


# -- refusals: each names the step and the field -------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


HEAD = """\
process: parenting
received_at: 2026-12-14T10:00
contacts:
  social_worker: {name: Zoë O\u2019Brien, email: zoe.obrien@example.org}
  team_manager: {name: Ade Bello, email: ade.bello@example.org}
  parent: {name: Siân Jones, mobile: "07700900123"}
"""


def test_a_step_that_happened_after_it_was_recorded_is_refused_naming_occurred_at(tmp_path):
    path = _write(
        tmp_path,
        HEAD + "steps:\n  - {at: 2026-12-15T09:00, occurred_at: 2026-12-15T11:00,"
        " event: request_confirmation, by: ade.bello@example.org}\n",
    )
    with pytest.raises(ScenarioError) as refused:
        run(load(path), settings=_settings())
    assert str(refused.value) == (
        "step 1 (request_confirmation): occurred_at: 15 Dec 2026 11:00 is in the future "
        "(it is now 15 Dec 2026 09:00); record what has happened"
    )


def test_a_step_that_happened_before_the_referral_was_received_is_refused(tmp_path):
    path = _write(
        tmp_path,
        HEAD + "steps:\n  - {at: 2026-12-15T09:00, occurred_at: 2026-12-13T09:00,"
        " note: phoned the SW, kind: general}\n",
    )
    with pytest.raises(ScenarioError) as refused:
        run(load(path), settings=_settings())
    assert str(refused.value).startswith("step 1: occurred_at: 13 Dec 2026 09:00 is before")
    assert "before the referral was received" in str(refused.value)


def test_a_step_on_a_linked_case_that_does_not_exist_yet_is_refused(tmp_path):
    path = _write(
        tmp_path,
        HEAD + "steps:\n  - {at: 2026-12-15T09:00, case: 'linked:home_visits',"
        " event: record_visit}\n",
    )
    with pytest.raises(ScenarioError) as refused:
        run(load(path), settings=_settings())
    assert str(refused.value) == (
        "step 1 (record_visit): case: no home_visits case is linked to this one yet"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("nation: england_and_wales\n", "nation: 'england_and_wales' is not one of england, "),
        ("closure_days: [next tuesday]\n", "closure_days.0: Input should be a valid date"),
        (
            "steps:\n  - {until: 2026-12-20T00:00, occurred_at: 2026-12-19T00:00}\n",
            "step 1: occurred_at and case go with an event or a note, not until",
        ),
        (
            "steps:\n  - {at: 2026-12-15T09:00, case: parenting, event: close}\n",
            "step 1.case: case is 'main' or 'linked:<process>', e.g. 'linked:parenting'",
        ),
    ],
)
def test_a_badly_written_scenario_names_the_field(tmp_path, extra, message):
    with pytest.raises(ScenarioError) as refused:
        load(_write(tmp_path, HEAD + extra))
    assert str(refused.value).startswith(message)


def test_familyflow_simulate_prints_both_times_and_every_case_of_the_journey(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAMILYFLOW_")}
    completed = subprocess.run(
        [str(FAMILYFLOW), "simulate", str(SCENARIOS / f"{NAME}.yaml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert (
        f"  2026-12-10T11:00:00{Z}  [PAR-03] confirm_attendance: awaiting_confirmation -> "
        f"awaiting_session_choice  (recorded 2026-12-11T15:00:00{Z}, late)"
    ) in lines
    assert lines[-3:] == [
        "IREF-000001 (internal_referral): referred",
        "PAR-000002 (parenting): awaiting_session_choice",
        "final state: referred",
    ]
