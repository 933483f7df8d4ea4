"""The pure parts of a population scenario (issue 11): arrivals, delays, the file."""

from __future__ import annotations

import random
from datetime import date, datetime, time
from pathlib import Path

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import LONDON, local
from familyflow.population import scenario as sc
from familyflow.simulate import ScenarioError

POPULATION = Path(__file__).resolve().parents[2] / "docs" / "scenarios" / "population"


def small(**extra: object) -> sc.Population:
    return sc.Population.model_validate(
        {
            "name": "small",
            "start": date(2027, 12, 20),
            "end": date(2028, 1, 7),
            "closure_days": {date(2027, 12, 29): "Council closure"},
            "teams": {
                "north": {
                    "manager": {"name": "Ade Bello", "email": "ade@example.org"},
                    "workers": [{"name": "Siân Jones", "email": "sian@example.org"}],
                }
            },
            "processes": {
                "parenting": {"team": "north", "referrals_per_day": 3, "script": "x.yaml"}
            },
            **extra,
        }
    )


def test_referrals_arrive_only_on_working_days_in_office_hours() -> None:
    population = small()
    found = sc.arrivals(population, "parenting", random.Random(1))
    calendar = population.calendar()
    assert found == sorted(found) and found
    for moment in found:
        here = local(moment)
        assert calendar.is_working_day(here.date()), here
        assert time(9) <= here.time() < time(17)
    days = {local(m).date() for m in found}
    assert date(2027, 12, 27) not in days and date(2027, 12, 29) not in days  # holiday, closure


def test_arrivals_scale_with_the_referral_scale_and_season() -> None:
    base = len(sc.arrivals(small(), "parenting", random.Random(2)))
    grown = len(sc.arrivals(small(referral_scale=3.0), "parenting", random.Random(2)))
    quiet = len(sc.arrivals(small(season={"dec": 0.0, "jan": 0.0}), "parenting", random.Random(2)))
    assert grown > 2 * base and quiet == 0


def test_the_poisson_count_averages_its_mean() -> None:
    rng = random.Random(3)
    for mean in (0.5, 4.0, 80.0):
        draws = [sc.poisson(rng, mean) for _ in range(4000)]
        assert abs(sum(draws) / len(draws) - mean) < 0.06 * mean + 0.05


def test_never_is_the_share_who_never_act() -> None:
    delay = sc.Delay(working_days=(1, 3), never=0.25)
    rng = random.Random(4)
    outcomes = [sc.sample_delay(delay, rng) for _ in range(4000)]
    never = sum(1 for outcome, _ in outcomes if outcome == "never")
    assert 850 < never < 1150
    assert all(1 <= amount <= 3 for outcome, amount in outcomes if outcome == "act")


def test_a_working_day_delay_lands_on_a_working_day_at_the_scripts_time() -> None:
    calendar = WorkingCalendar(closures=[date(2027, 12, 29)])
    start = datetime(2027, 12, 24, 15, 0, tzinfo=LONDON)  # Christmas Eve, a Friday
    moment = sc.after(
        sc.Delay(working_days=(2, 2)), 2, start=start, at=time(10, 30), calendar=calendar
    )
    # 27, 28 December are bank holidays; the 29th is closed: the 30th, then the 31st.
    assert local(moment) == datetime(2027, 12, 31, 10, 30, tzinfo=LONDON)


def test_an_hours_delay_is_exact() -> None:
    start = datetime(2027, 4, 5, 9, 0, tzinfo=LONDON)
    moment = sc.after(
        sc.Delay(hours=(1, 5)), 2.5, start=start, at=time(9), calendar=small().calendar()
    )
    assert local(moment) == datetime(2027, 4, 5, 11, 30, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"working_days": [3, 1]}, "0 <= min <= max"),
        ({}, "give working_days"),
        ({"hours": [1, 2], "working_days": [1, 2]}, "give working_days"),
        ({"hours": [1, 2], "mode": 5}, "mode must lie"),
    ],
)
def test_a_bad_delay_says_what_is_wrong(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sc.Delay.model_validate(fields)


def test_the_growth_scenario_extends_the_county_year_with_more_referrals_and_a_worker_fewer() -> (
    None
):
    base = sc.load(POPULATION / "county-year.yaml")
    growth = sc.load(POPULATION / "county-year-growth.yaml")
    workers = lambda p: [w.email for t in p.teams.values() for w in t.workers]  # noqa: E731
    assert growth.referral_scale == 1.2 and base.referral_scale == 1.0
    assert len(workers(growth)) == len(workers(base)) - 1
    assert "kim.lee@county.example.org" not in workers(growth)
    assert len(base.processes) == 9
    assert all(Path(p.script).is_absolute() for p in growth.processes.values())


def test_simulate_takes_the_growth_scenario_which_only_extends_the_county_year_as_a_population(
    tmp_path: Path,
) -> None:
    # `familyflow simulate` picks the runner by this: the growth what-if names no teams
    # or processes of its own, and was run as a single case ("process: Field required").
    assert sc.is_population(POPULATION / "county-year-growth.yaml")
    assert sc.is_population(POPULATION / "county-year.yaml")
    single = POPULATION.parent / "early_help-contact-to-allocation.yaml"
    assert not sc.is_population(single)
    chained = tmp_path / "fortnight.yaml"
    chained.write_text(f"extends: {POPULATION / 'county-year-growth.yaml'}\nend: 2027-04-14\n")
    assert sc.is_population(chained)
    fortnight, growth = sc.load(chained), sc.load(POPULATION / "county-year-growth.yaml")
    assert fortnight.end == date(2027, 4, 14) and fortnight.referral_scale == 1.2
    assert fortnight.teams == growth.teams  # the worker fewer, through both levels


def test_a_scenario_that_extends_itself_is_refused_naming_extends(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("extends: loop.yaml\n")
    with pytest.raises(ScenarioError, match="extends: goes more than 8 scenarios deep"):
        sc.load(loop)


def test_a_scenario_extending_a_missing_file_is_refused_in_plain_words(tmp_path: Path) -> None:
    what_if = tmp_path / "what-if.yaml"
    what_if.write_text("extends: county-yaer.yaml\nreferral_scale: 1.2\n")
    with pytest.raises(ScenarioError) as refused:
        sc.load(what_if)
    assert str(refused.value) == (
        f"extends: there is no scenario file at {tmp_path / 'county-yaer.yaml'}"
    )
    with pytest.raises(ScenarioError, match=r"nowhere\.yaml: there is no such file$"):
        sc.load(tmp_path / "nowhere.yaml")
    with pytest.raises(ScenarioError, match=r"is a folder, not a scenario file$"):
        sc.load(tmp_path)


def test_the_county_year_expects_at_least_five_thousand_referrals() -> None:
    base = sc.load(POPULATION / "county-year.yaml")
    expected = sum(
        len(sc.arrivals(base, name, random.Random(f"{base.seed}:arrivals:{name}")))
        for name in base.processes
    )
    assert expected >= 5000


def test_a_team_that_does_not_exist_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nstart: 2027-04-01\nend: 2027-04-02\n"
        "teams: {north: {manager: {name: A, email: a@example.org}, "
        "workers: [{name: B, email: b@example.org}]}}\n"
        "processes: {parenting: {team: south, referrals_per_day: 1, script: x.yaml}}\n"
    )
    with pytest.raises(ScenarioError, match="no team 'south'"):
        sc.load(path)
