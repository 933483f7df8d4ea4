"""Scenario files are bounded (issue 7): a size limit, and no YAML alias expansion
beyond a small bound (an alias bomb in a scenario's data once used 1.1 GB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from familyflow.simulate import MAX_ALIASES, MAX_SCENARIO_BYTES, ScenarioError, load

SCENARIOS = Path(__file__).parents[2] / "docs" / "scenarios"
HEAD = "process: parenting\nreceived_at: 2026-12-14T10:00\n"


def test_a_yaml_alias_bomb_in_a_scenario_is_refused_naming_the_limit(tmp_path: Path) -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 10):  # 9 ** 9 strings once expanded
        levels.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(HEAD + "data:\n" + "".join(f"  {line}\n" for line in levels))
    with pytest.raises(ScenarioError) as refused:
        load(bomb)
    assert str(refused.value) == (
        f"scenario: more than {MAX_ALIASES} YAML aliases (*name); write the data out"
    )
    assert refused.value.exit_code == 2


def test_a_scenario_file_over_the_size_limit_is_refused_naming_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(HEAD + "data:\n  notes: " + "x" * MAX_SCENARIO_BYTES + "\n")
    with pytest.raises(ScenarioError, match=f"a scenario file is at most {MAX_SCENARIO_BYTES:,}"):
        load(big)


def test_the_documented_scenarios_which_use_a_few_aliases_still_load() -> None:
    with_aliases = [p for p in SCENARIOS.glob("*.yaml") if " *" in p.read_text()]
    assert with_aliases
    for path in with_aliases:
        assert load(path).process
