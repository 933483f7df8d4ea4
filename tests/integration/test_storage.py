"""SQLite: readers never hold the write lock; writers take it up front."""

from __future__ import annotations

import sqlalchemy as sa

from engine.db import create_engine, upgrade


def test_a_reader_with_an_open_transaction_does_not_block_a_writer(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ff.db'}")
    upgrade(engine)
    with engine.connect() as reader:
        assert reader.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 0
        with engine.begin() as writer:  # would wait 30 s, then fail, if the reader held it
            writer.execute(
                sa.text("INSERT INTO closure_days (day, description) VALUES ('2027-01-04', 'x')")
            )
        # The reader's snapshot predates the write (WAL); a new read sees it.
        assert reader.execute(sa.text("SELECT count(*) FROM closure_days")).scalar() == 0
    with engine.connect() as later:
        assert later.execute(sa.text("SELECT count(*) FROM closure_days")).scalar() == 1
    engine.dispose()
