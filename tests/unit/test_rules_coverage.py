"""Every rule ID in RULES.md is met somewhere, and every automated one is shown and tested."""

import pytest

from familyflow import describe
from familyflow.rules import CATALOGUE, catalogue_ids, coverage
from familyflow.settings import Settings
from workflows import MODULES, all_processes


def test_the_project_keeps_its_own_copy_of_the_rules_catalogue():
    # docs/RULES.md is the project's copy: the suite needs nothing outside the repository.
    assert CATALOGUE.is_file()
    assert catalogue_ids(), "docs/RULES.md lists no rule IDs"


def test_all_nine_procedures_are_processes():
    assert sorted(all_processes()) == sorted(MODULES)
    assert len(MODULES) == 9


def test_every_rule_id_in_the_catalogue_is_claimed_by_a_process():
    rows = coverage(all_processes())
    assert [r["id"] for r in rows if r["how"] == "missing"] == []
    assert {r["id"] for r in rows} >= {rule for rule, _ in catalogue_ids()}
    assert {r["how"] for r in rows} <= {"automated", "recorded", "manual"}


def test_every_automated_rule_has_a_test_that_names_it_and_a_scenario_that_shows_it():
    rows = [r for r in coverage(all_processes()) if r["how"] == "automated"]
    assert [r["id"] for r in rows if not r["tests"]] == []
    assert [r["id"] for r in rows if not r["scenarios"]] == []


@pytest.mark.parametrize("name", MODULES)
def test_each_process_draws_a_mermaid_diagram_of_all_its_states(name):
    found = describe.process(Settings(), name)
    assert found["mermaid"].startswith("stateDiagram-v2")
    for state in found["states"]:
        assert state in found["mermaid"]
