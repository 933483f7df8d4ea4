"""Every step of every procedure can be taken by someone with an account (issue 10):
a procedure's own roles (Edge of Care's manager, the lead practitioner) are held by
account roles, because being named on a case grants none."""

from __future__ import annotations

import pytest

from familyflow.accounts import ROLES
from workflows import all_processes

PROCESSES = all_processes()


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_every_trigger_can_be_fired_by_some_account_role(name: str) -> None:
    process = PROCESSES[name]
    stranded = sorted(
        {
            t.trigger
            for t in process.transitions
            if "system" not in t.roles
            and not any(process.roles_held_by(role) & set(t.roles) for role in ROLES)
        }
    )
    assert stranded == []


def test_a_team_manager_acts_as_edge_of_cares_manager_and_a_worker_does_not() -> None:
    edge_of_care = PROCESSES["edge_of_care"]
    assert "manager" in edge_of_care.roles_held_by("team_manager")
    assert "manager" not in edge_of_care.roles_held_by("worker")
    assert "officer" in edge_of_care.roles_held_by("worker")


def test_a_social_worker_is_the_statutory_assessments_lead_practitioner() -> None:
    assert "lead_practitioner" in PROCESSES["statutory_assessment"].roles_held_by("social_worker")
    assert PROCESSES["statutory_assessment"].roles_held_by(None) == frozenset()
