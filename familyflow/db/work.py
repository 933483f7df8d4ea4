"""SQL for the pages people work from: My work (paginated, limited in SQL, so it
stays fast with 100k cases) and what the register may still undo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from familyflow.db.tables import audit


def recent_changes(
    conn: Connection, *, case_ids: Sequence[int], since: datetime
) -> dict[int, dict[str, Any]]:
    """Each case's newest transition or undo recorded since `since` (the undo window)."""
    if not case_ids:
        return {}
    query = (
        sa.select(
            audit.c.id,
            audit.c.case_id,
            audit.c.kind,
            audit.c.trigger,
            audit.c.recorded_at,
            audit.c.detail,
        )
        .where(
            audit.c.case_id.in_(list(case_ids)),
            audit.c.kind.in_(("transition", "undo")),
            audit.c.recorded_at >= since,
        )
        .order_by(audit.c.id)
    )
    latest: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query).mappings():
        latest[row["case_id"]] = dict(row)
    return latest
