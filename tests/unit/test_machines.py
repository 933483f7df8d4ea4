"""One transitions Machine per process; cases attach as plain objects."""

from datetime import UTC, datetime

import pytest

from engine.errors import GuardFailed, TriggerNotAllowed, UnknownTrigger
from engine.machines import ProcessMachine
from workflows.parenting import PROCESS
from workflows.spec import CaseView


def view(state: str, **data) -> CaseView:
    return CaseView(
        case_id=1,
        process="parenting",
        state=state,
        data=data,
        contacts={},
        received_at=datetime(2026, 12, 14, tzinfo=UTC),
    )


def test_the_machine_has_no_auto_transitions_and_knows_every_trigger():
    machine = ProcessMachine(PROCESS)
    assert not any(name.startswith("to_") for name in machine.machine.events)
    assert set(machine.machine.events) == set(PROCESS.triggers)


def test_firing_returns_a_moved_copy_and_the_next_case_starts_from_its_own_state():
    machine = ProcessMachine(PROCESS)
    moved = machine.fire(view("referred"), "request_confirmation", {})
    assert moved.state == "awaiting_confirmation"
    assert moved.applied is not None and moved.applied.rule == "PAR-02"
    assert all(model is not moved for model in machine.machine.models)

    other = machine.fire(view("awaiting_confirmation"), "confirm_attendance", {})
    assert (other.state, moved.state) == ("awaiting_session_choice", "awaiting_confirmation")


def test_an_unknown_trigger_and_a_wrong_state_are_told_apart():
    machine = ProcessMachine(PROCESS)
    with pytest.raises(UnknownTrigger, match="its triggers are: request_confirmation"):
        machine.fire(view("referred"), "fly", {})
    with pytest.raises(TriggerNotAllowed, match="allowed here: request_confirmation, close"):
        machine.fire(view("referred"), "register", {})


def test_PAR_14_the_third_miss_takes_the_closing_transition():
    machine = ProcessMachine(PROCESS)
    session = "2027-01-19T10:00:00+00:00"
    case = view("attending", session_times=[session], missed_sessions=["a", "b"])
    moved = machine.fire(case, "record_session", {"session": session, "attended": False})
    assert moved.state == "closed"


def test_a_guard_refusal_carries_its_reason():
    machine = ProcessMachine(PROCESS)
    with pytest.raises(GuardFailed, match="not one of this case's registered sessions"):
        machine.fire(
            view("attending", session_times=[]),
            "record_session",
            {"session": "2027-01-05T10:00:00+00:00", "attended": True},
        )
