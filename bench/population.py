"""Population: a county's year through the real engine, and the what-if beside it.
(Prints figures; not a test.)

    .venv/bin/python bench/population.py [--only-base] [--json FILE]

Runs docs/scenarios/population/county-year.yaml, then county-year-growth.yaml (20% more
referrals, one worker fewer), each in one process on one simulated clock with an
in-memory database, and prints: the county year's time beside the 30 s target, case
lifecycles per second beside the 500/s target, whether the same seed gives the same
summary (a second, shortened run of each seed), and the two summaries side by side.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:
    # `python bench/population.py`: this file's folder would shadow the `engine` package.
    _bench = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _bench]
    sys.path.insert(0, os.path.dirname(_bench))

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from familyflow import population

SCENARIOS = Path(__file__).resolve().parents[1] / "docs" / "scenarios" / "population"
TARGET_SECONDS, TARGET_RATE = 30.0, 500.0


def timed(path: Path) -> tuple[dict[str, Any], float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = population.run(path)
    return summary, time.perf_counter() - wall, time.process_time() - cpu


def repeatable(path: Path) -> bool:
    """The same seed twice over a fortnight of the scenario: identical summaries?"""
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / "fortnight.yaml"
        short.write_text(
            f"extends: {path}\nname: fortnight\nend: 2027-04-14\nrun_until: 2027-05-14\n"
        )
        return population.run(short) == population.run(short)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only-base", action="store_true", help="skip the growth scenario")
    parser.add_argument("--json", type=Path, help="also write both summaries here")
    args = parser.parse_args()
    base, wall, cpu = timed(SCENARIOS / "county-year.yaml")
    rate = base["cases"] / wall
    print(f"county-year: {base['cases']:,} cases, {base['events']:,} events")
    print(f"  time      {wall:7.1f} s  (cpu {cpu:.1f} s)   target < {TARGET_SECONDS:.0f} s")
    print(f"  lifecycles {rate:6.0f} /s                  target >= {TARGET_RATE:.0f} /s")
    print(f"  same seed, same summary: {repeatable(SCENARIOS / 'county-year.yaml')}")
    results = {"county-year": base}
    if not args.only_base:
        growth, wall_g, cpu_g = timed(SCENARIOS / "county-year-growth.yaml")
        results["county-year-growth"] = growth
        print(
            f"county-year-growth: {growth['cases']:,} cases in {wall_g:.1f} s (cpu {cpu_g:.1f} s)"
        )
        print()
        print(population.side_by_side(base, growth))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
