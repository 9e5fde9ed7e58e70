"""The managers' log store: one SQLite file for many desks, keyed by the
board's device id. Every record pulled from a board is kept raw (so it can be
re-verified) and decoded into tables the reports read."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ringcue_core import codes, logfmt

from ..errors import UsageError, UserError
from ringcue_core.ticks import TICKS_PERIOD, tdiff

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, board TEXT, desk TEXT, fw TEXT,
    last_seq INTEGER NOT NULL DEFAULT 0, last_link BLOB,
    first_pull REAL, last_pull REAL);
CREATE TABLE IF NOT EXISTS records (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL,
    boot INTEGER, ticks INTEGER, prev BLOB, link BLOB, raw BLOB NOT NULL,
    PRIMARY KEY (device_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS calls (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, desk TEXT, boot INTEGER, ticks INTEGER,
    rings INTEGER, outcome TEXT, answer_ms INTEGER, cue INTEGER, alarm INTEGER,
    profile TEXT, talk_ms INTEGER, wall_ms INTEGER, clock TEXT, alarm_ms INTEGER,
    PRIMARY KEY (device_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS time_syncs (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, boot INTEGER, ticks INTEGER,
    unix_ms INTEGER, PRIMARY KEY (device_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS issues (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT,
    PRIMARY KEY (device_id, seq, kind)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS calls_wall ON calls (wall_ms);
"""


def default_path() -> Path:
    import os

    from ..state import home

    return Path(os.environ.get("RINGCUE_DB") or home() / "ringcue.db")


RINGCUE_TABLES = {"devices", "records", "calls", "time_syncs", "issues"}


class Store:
    """The store at `path`. create=False: it must exist already (report,
    export); readonly=True: opened read-only. A file that is not a ringcue
    store (another program's database, a damaged file) is refused before
    anything is written to it."""

    def __init__(self, path: str | Path | None = None, create: bool = True,
                 readonly: bool = False):
        self.path = str(path or default_path())
        p = Path(self.path)
        if p.is_dir():
            raise UsageError(f"{p}: is a folder, not a ringcue store")
        if not create and not p.exists():
            raise UsageError(f"{p}: no such store")
        if not p.exists() and not p.parent.is_dir():
            raise UsageError(f"{p.parent}: no such folder")
        try:
            self.db = sqlite3.connect(self.path)
            if readonly:
                # not mode=ro: a read-only connection to a WAL store leaves its
                # -wal and -shm files behind; query_only refuses every write
                self.db.execute("PRAGMA query_only=ON")
            tables = {n for (n,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and not {"devices", "records", "calls"} <= tables:
                self.db.close()
                raise UsageError(f"{self.path}: not a ringcue store (another program's database: "
                                f"{', '.join(sorted(tables)[:5])}); give another --db")
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
            cols = {r[1] for r in self.db.execute("PRAGMA table_info(calls)")}
            if "alarm_ms" not in cols:  # a store made before calls carried the alarm's length
                self.db.execute("PRAGMA query_only=OFF")
                self.db.execute("ALTER TABLE calls ADD COLUMN alarm_ms INTEGER")
                self.db.execute(f"PRAGMA query_only={'ON' if readonly else 'OFF'}")
            if readonly:
                self._forget_insane_syncs(readonly)
        except sqlite3.DatabaseError as e:  # another file, a damaged store, no such folder
            if not readonly and ("readonly" in str(e) or "unable to open" in str(e)):
                raise UserError(f"{self.path}: cannot write the store here ({e})") from None
            if "malformed" in str(e):
                raise UserError(f"{self.path}: the store is damaged ({e}); keep a copy, and "
                                "pull into a new store with --db") from None
            raise UsageError(f"{self.path}: cannot use this as a ringcue store ({e})") from None

    def check(self):
        """Refuse a damaged store before writing to it (SQLite's quick_check)."""
        try:
            bad = [" ".join(m.split()) for (m,) in self.db.execute("PRAGMA quick_check(3)")
                   if m != "ok"]
        except sqlite3.DatabaseError as e:
            bad = [str(e)]
        if bad:
            raise UserError(f"{self.path}: the store is damaged ({bad[0]}); nothing was "
                            "written. Keep a copy, and pull into a new store with --db")

    def close(self):
        self.db.close()

    def _forget_insane_syncs(self, readonly):
        """A store filled before boards refused them may hold time syncs out of
        range (1970, the year 9000) and calls placed by them: those calls
        become unsynced (the report counts them so), and the syncs go. Read
        only, a temporary view named `calls` serves them so instead. (Run by
        place_in_time, after a pull's check that the store is whole.)"""
        lo, hi = logfmt.SYNC_MIN_MS, logfmt.SYNC_MAX_MS
        wlo, whi = lo - _PLACE_MARGIN_MS, hi + _PLACE_MARGIN_MS
        if not readonly:
            with self.db:
                self.db.execute("DELETE FROM time_syncs WHERE unix_ms < ? OR unix_ms >= ?",
                                (lo, hi))
                self.db.execute("UPDATE calls SET wall_ms=NULL, clock='unsynced' WHERE "
                                "wall_ms < ? OR wall_ms >= ?", (wlo, whi))
            return
        if self.db.execute("SELECT 1 FROM calls WHERE wall_ms < ? OR wall_ms >= ? LIMIT 1",
                           (wlo, whi)).fetchone():
            ok = f"wall_ms >= {wlo} AND wall_ms < {whi}"
            cols = [r[1] for r in self.db.execute("PRAGMA main.table_info(calls)")]
            sel = ", ".join(f"CASE WHEN {ok} THEN wall_ms END AS wall_ms" if c == "wall_ms" else
                            f"CASE WHEN {ok} THEN clock ELSE 'unsynced' END AS clock"
                            if c == "clock" else c for c in cols)
            self.db.execute("PRAGMA query_only=OFF")  # a temporary view: the file is untouched
            self.db.execute(f"CREATE TEMP VIEW calls AS SELECT {sel} FROM main.calls")
            self.db.execute("PRAGMA query_only=ON")

    def device(self, device_id: str) -> tuple[int, bytes | None]:
        row = self.db.execute("SELECT last_seq, last_link FROM devices WHERE device_id=?",
                              (device_id,)).fetchone()
        return (row[0], row[1]) if row else (0, None)

    def touch_device(self, device_id, board, desk, fw):
        now = time.time()
        self.db.execute(
            "INSERT INTO devices(device_id, board, desk, fw, first_pull, last_pull) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET board=excluded.board, "
            "desk=excluded.desk, fw=excluded.fw, last_pull=excluded.last_pull",
            (device_id, board, desk, fw, now, now))
        self.db.commit()

    def add_chunk(self, device_id, desk, records, issues, last_seq, last_link):
        """One transaction per chunk: records, decoded rows, issues and the
        resume point land together or not at all (an interrupted pull
        resumes exactly where the last chunk ended)."""
        with self.db:
            for r in records:
                self.db.execute(
                    "INSERT OR IGNORE INTO records VALUES (?,?,?,?,?,?,?,?)",
                    (device_id, r["seq"], r["type"], r["boot"], r["ticks"], r["prev"],
                     r["link"], r["raw"]))
                if r["type"] == codes.REC_CALL:
                    f = r["fields"]
                    self.db.execute(
                        "INSERT OR IGNORE INTO calls(device_id, seq, desk, boot, ticks, rings, "
                        "outcome, answer_ms, cue, alarm, profile, alarm_ms) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (device_id, r["seq"], desk, r["boot"], r["ticks"], f["rings"],
                         f["outcome"], f["answer_ms"], int(f["cue"]), int(f["alarm"]),
                         f["profile"], f.get("alarm_ms")))
                elif r["type"] == codes.REC_HANGUP:
                    f = r["fields"]
                    self.db.execute("UPDATE calls SET talk_ms=? WHERE device_id=? AND seq=?",
                                    (f["talk_ms"], device_id, f["call_seq"]))
                elif r["type"] == codes.REC_TIME_SYNC and _sane_sync(r["fields"]["unix_ms"]):
                    # (an older firmware took any value: others stay unsynced)
                    self.db.execute("INSERT OR IGNORE INTO time_syncs VALUES (?,?,?,?,?)",
                                    (device_id, r["seq"], r["boot"], r["ticks"],
                                     r["fields"]["unix_ms"]))
            for seq, kind, detail in issues:
                self.db.execute("INSERT OR IGNORE INTO issues VALUES (?,?,?,?)",
                                (device_id, seq, kind, detail))
            self.db.execute("UPDATE devices SET last_seq=?, last_link=? WHERE device_id=?",
                            (last_seq, last_link, device_id))

    def place_in_time(self, device_id) -> int:
        """Give wall-clock times to calls from the time syncs of the same
        boot (before or after the call: ticks run on through a boot). Returns
        how many calls remain without a time (no sync in their boot).

        Board ticks wrap every 12.4 days (30 bits), so a plain tick difference
        is only right within 6.2 days of the sync. Instead each boot's ticks
        are unwrapped along its records in sequence order (consecutive
        records are less than 12.4 days apart), which places a call weeks
        from its sync correctly. A sequence gap (records rotated out before a
        pull) breaks the run; a run without a sync of its own falls back to
        the tick difference from the boot's first sync.
        """
        db = self.db
        self._forget_insane_syncs(False)
        boots = [b for (b,) in db.execute(
            "SELECT DISTINCT boot FROM calls WHERE device_id=? AND wall_ms IS NULL",
            (device_id,))]
        left = 0
        with db:
            for boot in boots:
                syncs = {seq: (ticks, unix_ms) for seq, ticks, unix_ms in db.execute(
                    "SELECT seq, ticks, unix_ms FROM time_syncs WHERE device_id=? AND boot=?",
                    (device_id, boot))}
                place = _unwrapped_walls(db.execute(
                    "SELECT seq, ticks FROM records WHERE device_id=? AND boot=? ORDER BY seq",
                    (device_id, boot)), syncs)
                for (seq,) in db.execute("SELECT seq FROM calls WHERE device_id=? AND boot=? "
                                         "AND wall_ms IS NULL", (device_id, boot)).fetchall():
                    wall = place(seq)
                    if wall is None:
                        left += 1
                        db.execute("UPDATE calls SET clock='unsynced' WHERE device_id=? AND "
                                   "seq=?", (device_id, seq))
                    else:
                        db.execute("UPDATE calls SET wall_ms=?, clock='synced' WHERE "
                                   "device_id=? AND seq=?", (wall, device_id, seq))
        return left

    def calls(self, device_id=None):
        q = ("SELECT device_id, seq, desk, wall_ms, clock, rings, outcome, answer_ms, cue, alarm, "
             "talk_ms, alarm_ms, profile, boot, ticks FROM calls")
        args = ()
        if device_id:
            q += " WHERE device_id=?"
            args = (device_id,)
        cur = self.db.execute(q + " ORDER BY device_id, seq", args)
        cols = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(cols, row))


_STEP_BACK_MS = 60_000
# calls are placed around their boot's sync: before 2020 or after 2100 by this
# much at most, in any sane log
_PLACE_MARGIN_MS = 366 * 86_400_000


def _sane_sync(unix_ms) -> bool:
    return logfmt.SYNC_MIN_MS <= unix_ms < logfmt.SYNC_MAX_MS


def _unwrapped_walls(records, syncs: dict):
    """For one boot: seq -> wall-clock ms (or None), from its records' (seq,
    ticks) in sequence order and its time syncs {seq: (ticks, unix_ms)}."""
    runs = []  # [{seq: unwrapped ms}], one per run of consecutive seqs
    prev_seq = prev_ticks = None
    u = 0
    for seq, ticks in records:
        if prev_seq is None or seq != prev_seq + 1:
            runs.append({})
            u = 0
        else:
            # Forward, except that a record may carry a slightly earlier time
            # than the one before it (a call stamped with its edge's time,
            # logged after a sync stamped "now"): a small step back is real,
            # a large one is a wrap (a gap of 6.2 to 12.4 days).
            d = tdiff(ticks, prev_ticks)
            u += d + TICKS_PERIOD if d < -_STEP_BACK_MS else d
        runs[-1][seq] = (u, ticks)
        prev_seq, prev_ticks = seq, ticks
    fallback = syncs[min(syncs)] if syncs else None  # the boot's first sync
    offsets = []
    for run in runs:
        mine = sorted(s for s in syncs if s in run)
        offsets.append(syncs[mine[0]][1] - run[mine[0]][0] if mine else None)

    def place(seq):
        for run, off in zip(runs, offsets):
            if seq in run:
                if off is not None:
                    return off + run[seq][0]
                if fallback is not None:  # right within 6.2 days of that sync
                    return fallback[1] + tdiff(run[seq][1], fallback[0])
                return None
        return None
    return place
