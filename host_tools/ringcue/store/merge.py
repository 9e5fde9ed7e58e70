"""`ringcue logs merge`: bring another store (a laptop's SQLite file, another
server) into this one, trusting nothing in it but what its records prove.

Every raw record is checked again as a pull checks it (its CRC, its header
against the columns it was filed under, and the hash chain from one record
to the next, except where the source's pull itself recorded a break), and
the calls, hang-ups and time syncs are decoded again from the records: an
edited `calls` table cannot pass. A source with one bad record is refused
whole, naming the record, and nothing is written (one transaction).

Each record is parsed once, and the target is asked for a batch of records
at a time. A record the target has already must be the same bytes, and is
not written again, so merging twice adds nothing the second time. New rows
go through the store's own write (Store.add_chunk), as a pull's do, so
whatever the store keeps beside them stays exact. Ring groups are copied
too, the target's winning where the two differ (groups.copy)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ringcue_core import codes, logfmt

from ..errors import UserError
from . import groups
from .base import Store
from .pull import as_record

BATCH = 5000  # records written per statement batch


class TamperedStore(UserError):
    """A record in the source store does not prove itself."""


@dataclass
class MergeResult:
    boards: int = 0
    records: int = 0  # in the source
    new: int = 0  # of those, not in the target before
    calls: int = 0  # new calls
    groups: list = field(default_factory=list)  # ring groups copied
    groups_kept: list = field(default_factory=list)  # one line per group not copied


def merge(src: Store, dst: Store, progress=None) -> MergeResult:
    """Merge `src` into `dst`. progress(records done, records in all)."""
    res = MergeResult()
    total = src.execute("SELECT count(*) FROM records").fetchone()[0]
    orphans = src.execute(
        "SELECT c.device_id, c.seq FROM calls c LEFT JOIN records r ON r.device_id = "
        "c.device_id AND r.seq = c.seq WHERE r.seq IS NULL LIMIT 1").fetchone()
    if orphans:
        raise TamperedStore(f"{src.path}: call {orphans[1]} of board {orphans[0]} has no "
                            "record to check it against (a synthetic or edited store); "
                            "nothing was merged")
    with dst.transaction():
        for dev, board, desk, fw, last_seq, last_link, first_pull, last_pull in src.devices():
            res.boards += 1
            dst.execute(
                "INSERT INTO devices(device_id, board, desk, fw, first_pull, last_pull) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
                "first_pull=CASE WHEN devices.first_pull < excluded.first_pull THEN "
                "devices.first_pull ELSE excluded.first_pull END, "
                "last_pull=CASE WHEN devices.last_pull > excluded.last_pull THEN "
                "devices.last_pull ELSE excluded.last_pull END",
                (dev, board, desk, fw, first_pull, last_pull))
            _merge_device(src, dst, dev, desk or "", last_seq, last_link, res,
                          lambda: progress(res.records, total) if progress else None)
            dst.place_in_time(dev)
        res.groups, res.groups_kept = groups.copy(src, dst)
    return res


def _merge_device(src, dst, dev, desk, last_seq, last_link, res, progress) -> None:
    """Check one board's records, copy those the target lacks (counted in `res`)."""
    issues = [tuple(r) for r in src.execute(
        "SELECT seq, kind, detail FROM issues WHERE device_id=? ORDER BY seq, kind",
        (dev,)).fetchall()]
    breaks = {seq for seq, kind, _ in issues if kind in ("chain_break", "reorder", "gap")}
    desks = dict(src.execute("SELECT seq, desk FROM calls WHERE device_id=?",
                             (dev,)).fetchall())
    check = _Checker(src, dev, breaks)
    new_calls: set[int] = set()  # calls this merge adds (their hang-ups must follow)
    batch = []
    for row in src.stream(
            "SELECT seq, type, boot, ticks, prev, link, raw FROM records WHERE device_id=? "
            "ORDER BY seq", (dev,)):
        batch.append(row)
        if len(batch) >= BATCH:
            _write(dst, dev, desk, desks, _new(dst, dev, check, batch, new_calls, res), [],
                   None)
            progress()
            batch = []
    recs = _new(dst, dev, check, batch, new_calls, res)
    check.last_pull(last_seq, last_link)
    _write(dst, dev, desk, desks, recs, issues, (last_seq, last_link))
    progress()


class _Checker:
    """Each record of one board proves itself (CRC, header, chain) as a pull
    checks it; parsed once, into the form the store takes."""

    def __init__(self, src, dev, breaks):
        self.src, self.board, self.breaks = src, dev, breaks
        self.prev = None  # (seq, link) of the record before

    def record(self, seq, rtype, boot, ticks, prevcol, link, raw) -> tuple:
        """parse_one's answer for the record, and its link."""
        p = logfmt.parse_one(raw, 0)
        if p is None or p[6] != len(raw):
            self.refuse(seq, "fails its CRC check (altered or damaged)")
        mine = logfmt.link(raw)
        if (p[0], p[1], p[2], p[3], p[4]) != (rtype, seq, boot, ticks, bytes(prevcol)) or \
                bytes(link) != mine:
            self.refuse(seq, "is filed under other values than its bytes hold (type, "
                        "number, boot, ticks or links edited)")
        if self.prev and self.prev[0] == seq - 1 and p[4] != self.prev[1] and \
                seq not in self.breaks:
            self.refuse(seq, f"does not follow record {seq - 1}: record {seq - 1} or {seq} "
                        "was altered, replaced or deleted")
        self.prev = (seq, mine)
        return p, mine

    def last_pull(self, last_seq, last_link):
        if self.prev and last_seq == self.prev[0] and last_link is not None and \
                last_link != self.prev[1]:
            self.refuse(last_seq, "is not the record its last pull ended on (altered after "
                        "the pull)")

    def refuse(self, seq, what):
        raise TamperedStore(f"{self.src.path}: record {seq} of board {self.board} {what}; "
                            "nothing was merged")


def _new(dst, dev, check, rows, new_calls, res) -> list[dict]:
    """The records of `rows` (source rows, in order) the target lacks, each
    checked; one lookup in the target for the whole batch. A record the
    target has must be the same bytes; it is not written again (its rows
    are there), except a hang-up whose call this merge adds."""
    if not rows:
        return []
    have = {seq: bytes(raw) for seq, raw in dst.execute(
        "SELECT seq, raw FROM records WHERE device_id=? AND seq BETWEEN ? AND ?",
        (dev, rows[0][0], rows[-1][0])).fetchall()}
    out = []
    for seq, rtype, boot, ticks, prevcol, link, raw in rows:
        raw = bytes(raw)
        p, link = check.record(seq, rtype, boot, ticks, prevcol, link, raw)
        res.records += 1
        old = have.get(seq)
        if old is None:
            res.new += 1
            if rtype == codes.REC_CALL:
                res.calls += 1
                new_calls.add(seq)
            out.append(as_record(p, link))
        elif old != raw:
            check.refuse(seq, f"differs from the target's record {seq} (one of the two "
                         "stores was altered)")
        elif rtype == codes.REC_HANGUP:
            r = as_record(p, link)
            if r["fields"]["call_seq"] in new_calls:
                out.append(r)
    return out


def _write(dst, dev, desk, desks, recs, issues, resume) -> None:
    """Store records as a pull does, each call under the desk it was pulled
    as (runs of records in order: a hang-up follows its call)."""
    runs: list[tuple[str, list]] = []
    for r in recs:
        d = desks.get(r["seq"]) if r["type"] == codes.REC_CALL else None
        d = d if d is not None else (runs[-1][0] if runs else desk)
        if not runs or runs[-1][0] != d:
            runs.append((d, []))
        runs[-1][1].append(r)
    if not runs and resume is None:
        return
    runs = runs or [(desk, [])]
    seq, link = resume if resume else (0, None)
    for i, (d, rs) in enumerate(runs):
        last = i == len(runs) - 1
        dst.add_chunk(dev, d, rs, issues if last else [], seq if last else 0,
                      link if last else None)

