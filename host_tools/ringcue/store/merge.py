"""`ringcue logs merge`: bring another store (a laptop's SQLite file, another
server) into this one, trusting nothing in it but what its records prove.

Every raw record is checked again as a pull checks it (its CRC, its header
against the columns it was filed under, and the hash chain from one record
to the next, except where the source's pull itself recorded a break), and
the calls, hang-ups and time syncs are decoded again from the records: an
edited `calls` table cannot pass. A source with one bad record is refused
whole, naming the record, and nothing is written (one transaction).
Merging twice adds nothing the second time (ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

from dataclasses import dataclass

from ringcue_core import codes, logfmt

from ..errors import UserError
from .base import Store
from .pull import parse_chunk

BATCH = 5000  # records written per statement batch


class TamperedStore(UserError):
    """A record in the source store does not prove itself."""


@dataclass
class MergeResult:
    boards: int = 0
    records: int = 0  # in the source
    new: int = 0  # of those, not in the target before
    calls: int = 0  # new calls


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
    done = 0
    with dst.transaction():
        for dev, board, desk, fw, last_seq, last_link, first_pull, last_pull in src.devices():
            res.boards += 1
            before = dst.execute("SELECT count(*) FROM records WHERE device_id=?",
                                 (dev,)).fetchone()[0]
            calls_before = dst.execute("SELECT count(*) FROM calls WHERE device_id=?",
                                       (dev,)).fetchone()[0]
            dst.execute(
                "INSERT INTO devices(device_id, board, desk, fw, first_pull, last_pull) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
                "first_pull=CASE WHEN devices.first_pull < excluded.first_pull THEN "
                "devices.first_pull ELSE excluded.first_pull END, "
                "last_pull=CASE WHEN devices.last_pull > excluded.last_pull THEN "
                "devices.last_pull ELSE excluded.last_pull END",
                (dev, board, desk, fw, first_pull, last_pull))
            n = _merge_device(src, dst, dev, desk or "", last_seq, last_link,
                              lambda k: progress(done + k, total) if progress else None)
            done += n
            res.records += n
            res.new += dst.execute("SELECT count(*) FROM records WHERE device_id=?",
                                   (dev,)).fetchone()[0] - before
            res.calls += dst.execute("SELECT count(*) FROM calls WHERE device_id=?",
                                     (dev,)).fetchone()[0] - calls_before
            dst.place_in_time(dev)
    return res


def _merge_device(src, dst, dev, desk, last_seq, last_link, progress) -> int:
    """Check and copy one board's records; returns how many the source has."""
    issues = [tuple(r) for r in src.execute(
        "SELECT seq, kind, detail FROM issues WHERE device_id=? ORDER BY seq, kind",
        (dev,)).fetchall()]
    breaks = {seq for seq, kind, _ in issues if kind in ("chain_break", "reorder", "gap")}
    desks = dict(src.execute("SELECT seq, desk FROM calls WHERE device_id=?",
                             (dev,)).fetchall())
    prev = None  # (seq, link) of the record before
    batch, n = [], 0
    where = f"board {dev}"
    for seq, rtype, boot, ticks, prevcol, link, raw in src.stream(
            "SELECT seq, type, boot, ticks, prev, link, raw FROM records WHERE device_id=? "
            "ORDER BY seq", (dev,)):
        raw = bytes(raw)
        p = logfmt.parse_one(raw, 0)
        if p is None or p[6] != len(raw):
            _refuse(src, f"record {seq} of {where} fails its CRC check (altered or damaged)")
        if (p[0], p[1], p[2], p[3], p[4]) != (rtype, seq, boot, ticks, bytes(prevcol)) or \
                bytes(link) != logfmt.link(raw):
            _refuse(src, f"record {seq} of {where} is filed under other values than its "
                    "bytes hold (type, number, boot, ticks or links edited)")
        if prev and prev[0] == seq - 1 and p[4] != prev[1] and seq not in breaks:
            _refuse(src, f"record {seq} of {where} does not follow record {seq - 1}: record "
                    f"{seq - 1} or {seq} was altered, replaced or deleted")
        prev = (seq, bytes(link))
        old = dst.execute("SELECT raw FROM records WHERE device_id=? AND seq=?",
                          (dev, seq)).fetchone()
        if old is not None and bytes(old[0]) != raw:
            _refuse(src, f"record {seq} of {where} differs from the target's record {seq} "
                    "(one of the two stores was altered)")
        batch.append(raw)
        if len(batch) >= BATCH:
            n += _write(dst, dev, desk, desks, batch, [], None)
            progress(n)
            batch = []
    if prev and last_seq == prev[0] and last_link is not None and last_link != prev[1]:
        _refuse(src, f"record {prev[0]} of {where} is not the record its last pull ended on "
                "(altered after the pull)")
    n += _write(dst, dev, desk, desks, batch, issues, (last_seq, last_link))
    progress(n)
    return n


def _write(dst, dev, desk, desks, raws, issues, resume) -> int:
    """Store records as a pull does, each call under the desk it was pulled
    as (runs of records in order: a hang-up follows its call)."""
    recs = parse_chunk(b"".join(raws))
    runs: list[tuple[str, list]] = []
    for r in recs:
        d = desks.get(r["seq"]) if r["type"] == codes.REC_CALL else None
        d = d if d is not None else (runs[-1][0] if runs else desk)
        if not runs or runs[-1][0] != d:
            runs.append((d, []))
        runs[-1][1].append(r)
    runs = runs or [(desk, [])]
    seq, link = resume if resume else (0, None)
    for i, (d, rs) in enumerate(runs):
        last = i == len(runs) - 1
        dst.add_chunk(dev, d, rs, issues if last else [], seq if last else 0,
                      link if last else None)
    return len(recs)


def _refuse(src, what):
    raise TamperedStore(f"{src.path}: {what}; nothing was merged")
