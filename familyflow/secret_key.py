"""The key that signs sign-in cookies, the same for every instance of one service.

Behind a load balancer each instance must accept the others' cookies, so a PostgreSQL
deployment (the production database) must set FAMILYFLOW_SECRET_KEY. An SQLite service is
one instance by nature: it makes a key once and keeps it beside the database file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from engine.errors import ConfigError
from familyflow.settings import Settings


def key_file(database_url: str) -> Path | None:
    """Where an SQLite database keeps its key; None for a database in memory."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(f"{url.database}.secret-key")


def secret_key(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    if not make_url(settings.database_url).drivername.startswith("sqlite"):
        raise ConfigError(
            field="FAMILYFLOW_SECRET_KEY",
            reason="must be set when the database is PostgreSQL, the same on every instance, "
            "so that each accepts the sign-ins of the others",
        )
    path = key_file(settings.database_url)
    if path is None:
        return secrets.token_bytes(32)
    if not path.exists():
        # Written aside, then linked into place: two processes starting together keep one
        # key (the first one's), and nobody ever reads a half-written file.
        aside = path.with_name(f"{path.name}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text().strip().encode()
