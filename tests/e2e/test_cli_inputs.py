"""Holes issue 7 closes at the engine, seen through `familyflow`: exit 2 naming the
field, and nothing written. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import ACCOUNTS, CLI, CONTACTS, SW, TM, create_referral, refusal, snapshot


@pytest.fixture
def db_cli(tmp_path: Path, database_url: str) -> CLI:
    """The people who act (`--by`) have accounts: roles come from accounts."""
    cli = CLI(tmp_path, database_url)
    for email, role in ACCOUNTS:
        cli.ok("user", "add", email, "--role", role, "--password", "a long enough password")
    return cli


def test_a_referral_received_in_year_one_or_before_1900_exits_2_naming_received_at(
    db_cli: CLI, database_url: str
) -> None:
    create_referral(db_cli)
    before = snapshot(database_url)
    for when in ("0001-01-01T00:00", "1899-12-31T12:00"):
        result = db_cli("case", "create", "parenting", "--received-at", when, *CONTACTS)
        refusal(result, 2, "received_at", "is before 1900")
        assert snapshot(database_url) == before


def test_set_cannot_make_the_social_worker_team_manager_through_an_event(
    db_cli: CLI, database_url: str
) -> None:
    case = str(create_referral(db_cli))
    db_cli.ok("case", "event", case, "request_confirmation", "--by", TM, "--at", "2024-10-08T09:00")
    before = snapshot(database_url)
    hijack = ["--set", "team_manager.name=Sam Jones", "--set", f"team_manager.email={SW}"]
    result = db_cli("case", "event", case, "confirm_attendance", "--by", SW,
                    "--at", "2024-10-09T11:00", *hijack)  # fmt: skip
    refusal(result, 2, "data.team_manager", "confirm_attendance does not take team_manager")
    assert snapshot(database_url) == before


def test_an_event_dated_before_its_referral_exits_2_naming_at(
    db_cli: CLI, database_url: str
) -> None:
    case = str(create_referral(db_cli))
    before = snapshot(database_url)
    result = db_cli("case", "event", case, "request_confirmation", "--by", TM,
                    "--at", "1900-01-01T00:00")  # fmt: skip
    refusal(result, 2, "at:", "before the referral was received")
    assert snapshot(database_url) == before
