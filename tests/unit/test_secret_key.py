"""Several instances share sign-ins: the cookie key is the service's, not the process's."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from engine.errors import ConfigError
from familyflow.secret_key import secret_key
from familyflow.settings import Settings


def test_a_postgresql_service_refuses_to_start_without_a_secret_key() -> None:
    settings = Settings(database_url="postgresql+psycopg://familyflow@db.example/familyflow")
    with pytest.raises(ConfigError, match="FAMILYFLOW_SECRET_KEY: must be set"):
        secret_key(settings)


def test_a_set_secret_key_is_used_as_given() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://familyflow@db.example/familyflow",
        secret_key=SecretStr("shared by every instance"),
    )
    assert secret_key(settings) == b"shared by every instance"


def test_an_sqlite_service_makes_its_key_once_and_keeps_it_beside_the_database(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'familyflow.db'}")
    first = secret_key(settings)
    kept = tmp_path / "familyflow.db.secret-key"
    assert kept.is_file()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert secret_key(settings) == first
    assert len(first) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["familyflow.db.secret-key"]
