"""The store's tables, one definition for both backends, and its versions.

The DDL is SQLite's; postgres.py turns INTEGER into BIGINT, BLOB into BYTEA,
REAL into DOUBLE PRECISION and drops WITHOUT ROWID (`to_postgres`). Every
store records its version in `meta`; opening a store runs the steps it has
not had yet, in one transaction (an old store from before versions counts
as version 1 once its calls carry alarm_ms).

To add a table or a column: append a step to MIGRATIONS (never edit an
earlier one: stores in the field already ran it), in the common dialect,
and add a test that an older store opens and gains it (tests/store/).
"""

from __future__ import annotations

import re

from . import tallies

MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, [
        """CREATE TABLE IF NOT EXISTS devices (
            device_id TEXT PRIMARY KEY, board TEXT, desk TEXT, fw TEXT,
            last_seq INTEGER NOT NULL DEFAULT 0, last_link BLOB,
            first_pull REAL, last_pull REAL)""",
        """CREATE TABLE IF NOT EXISTS records (
            device_id TEXT NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL,
            boot INTEGER, ticks INTEGER, prev BLOB, link BLOB, raw BLOB NOT NULL,
            PRIMARY KEY (device_id, seq)) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS calls (
            device_id TEXT NOT NULL, seq INTEGER NOT NULL, desk TEXT, boot INTEGER,
            ticks INTEGER, rings INTEGER, outcome TEXT, answer_ms INTEGER, cue INTEGER,
            alarm INTEGER, profile TEXT, talk_ms INTEGER, wall_ms INTEGER, clock TEXT,
            alarm_ms INTEGER, PRIMARY KEY (device_id, seq)) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS time_syncs (
            device_id TEXT NOT NULL, seq INTEGER NOT NULL, boot INTEGER, ticks INTEGER,
            unix_ms INTEGER, PRIMARY KEY (device_id, seq)) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS issues (
            device_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT,
            PRIMARY KEY (device_id, seq, kind)) WITHOUT ROWID""",
        "CREATE INDEX IF NOT EXISTS calls_wall ON calls (wall_ms)",
    ]),
    (2, [  # ring groups (store/groups.py): which desks ring together for one call
        "CREATE TABLE IF NOT EXISTS ring_groups (desk TEXT PRIMARY KEY, grp TEXT NOT NULL)",
    ]),
    (3, [  # who hung up an answered call first: caller, desk, unknown (the hang-up record)
        "ALTER TABLE calls ADD COLUMN cleared TEXT",
    ]),
    (4, [  # a report of some desks finds their calls without reading every call
        "CREATE INDEX IF NOT EXISTS calls_desk ON calls (desk)",
    ]),
    (5, [  # the report at millions of calls: tallies kept by triggers (tallies.py; the
        # backend adds the triggers and counts the calls a store has, base.migrate), and
        # by index: a desk's calls in a time range (the edges of a report's dates), its
        # latest missed calls, boots and faults (the data-quality block)
        *tallies.DDL,
        "CREATE INDEX IF NOT EXISTS calls_device_wall ON calls (device_id, wall_ms)",
        "CREATE INDEX IF NOT EXISTS calls_missed ON calls (device_id, seq) "
        "WHERE outcome = 'abandoned'",
        "CREATE INDEX IF NOT EXISTS records_boot_fault ON records (device_id) "
        "WHERE type IN (1, 6)",
    ]),
    (6, []),  # the tally triggers again (base.migrate): PostgreSQL's upsert in key order
    # (two writers of one board deadlocked), find their tables whatever the search_path,
    # and TRUNCATE calls empties the tallies
]
TALLIES = 5  # the version that has them
TRIGGERS = 6  # the version whose tally triggers are current
VERSION = MIGRATIONS[-1][0]  # what this ringcue writes
META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
TABLES = {"devices", "records", "calls", "time_syncs", "issues"}  # a ringcue store has these
CORE = {"devices", "records", "calls"}  # ...at least these (the oldest stores)


def to_postgres(ddl: str) -> str:
    """SQLite's DDL in PostgreSQL's types (64-bit integers everywhere, as in SQLite)."""
    ddl = re.sub(r"\)\s*WITHOUT ROWID", ")", ddl)
    ddl = re.sub(r"\bINTEGER\b", "BIGINT", ddl)
    ddl = re.sub(r"\bBLOB\b", "BYTEA", ddl)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", ddl)
