"""`ringcue logs pull`: copy new log records from a board into the store,
verifying CRCs and the hash chain; resumable, and never stops the board's
ring detection (the firmware serves log reads from its command task)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ringcue_core import codes, logfmt

from ..board.client import BoardClient
from .records import decode_payload
from .base import Store

CHUNK = 4096


@dataclass
class PullResult:
    device_id: str
    desk: str
    new: int = 0
    calls: int = 0
    gaps: list = field(default_factory=list)  # (first missing seq, last missing seq)
    chain_breaks: list = field(default_factory=list)
    unsynced: int = 0
    bytes: int = 0
    seconds: float = 0.0
    up_to: int = 0


def verify(records, last_seq, last_link, first_seq=None):
    """Check a run of parsed records against what the store already has.
    Returns issues (seq, kind, detail). A sequence gap below the board's
    oldest record (`first_seq`) is what rotation leaves; any other gap means
    records were lost on the board (corrupt, cut off or deleted)."""
    issues = []
    expect = last_seq + 1
    link = last_link
    for r in records:
        if r["seq"] < expect:
            issues.append((r["seq"], "reorder", f"record {r['seq']} after {expect - 1}"))
            link = None
        elif r["seq"] > expect:
            issues.append((r["seq"], "gap", gap_detail(expect, r["seq"] - 1, first_seq)))
            link = None
        if link is not None and r["prev"] != link:
            issues.append((r["seq"], "chain_break",
                           f"record {r['seq']} does not follow record {r['seq'] - 1}: "
                           "a record was edited, deleted or replaced"))
        link = r["link"]
        expect = max(expect, r["seq"] + 1)
    return issues


def gap_detail(a, b, first_seq=None):
    """'records a..b missing (why)' (report.py reads the range back)."""
    if first_seq is not None and b < first_seq:
        why = "rotated out before a pull, or deleted"
    else:
        why = "lost on the board: unreadable, cut off or deleted"
    return f"records {a}..{b} missing ({why})"


def parse_chunk(data: bytes):
    """The records of one log_read answer. A compact record (format 2) is read
    against the one before it in the same answer (the board sends the first,
    and any other without its predecessor, full); `raw` is always the full
    form, which the CRC and the chain are computed over."""
    out = []
    off = 0
    p = None
    while off < len(data):
        p = logfmt.parse_one(data, off, p)
        if p is None:
            raise ValueError(f"corrupt record at byte {off} of a verified chunk")
        out.append(as_record(p))
        off = p[6]
    return out


def as_record(p, link=None):
    """A record as the store takes it (Store.add_chunk), from what
    logfmt.parse_one returned for it (`link`: its link, if known already)."""
    rtype, seq, boot, ticks, prev, payload, _, raw = p
    return {"type": rtype, "seq": seq, "boot": boot, "ticks": ticks, "prev": prev,
            "raw": raw, "link": link or logfmt.link(raw),
            "fields": decode_payload(rtype, payload)}


def pull(board: BoardClient, store: Store, progress=None, sync_clock=True) -> PullResult:
    t0 = time.monotonic()
    hello = board.call("hello")
    dev_id = hello["id"]
    desk = hello["config"].get("desk") or ""
    store.touch_device(dev_id, hello["board"], desk, hello["fw"])
    now_ms = int(time.time() * 1000)
    # the board logs it: wall time for this boot's records. A computer whose
    # clock is not set (the board would refuse it) leaves the calls unsynced.
    if sync_clock and logfmt.SYNC_MIN_MS <= now_ms < logfmt.SYNC_MAX_MS:
        board.call("time_sync", {"unix_ms": now_ms})
    last_seq, last_link = store.device(dev_id)
    if last_seq == 0:
        last_link = logfmt.GENESIS  # the first record links to nothing
    res = PullResult(dev_id, desk)
    frm = last_seq + 1
    total = None
    while True:
        r, data = board.call_binary("log_read", {"from_seq": frm, "max_bytes": CHUNK,
                                                      "format": 2})
        if total is None:
            total = max(0, r["end_seq"] - frm)
            if r["end_seq"] <= last_seq:
                res.chain_breaks.append((last_seq, "the board's log restarted (erased?); "
                                         "its old records are kept in the store"))
                break
            if progress:
                progress(0, total)
        recs = parse_chunk(data)
        issues = verify(recs, last_seq, last_link, r.get("first_seq"))
        committed = r.get("committed", 0)  # older firmware: not said
        if not recs and committed > last_seq:
            # committed records the board can no longer read at its log's end
            issues.append((last_seq + 1, "gap", gap_detail(last_seq + 1, committed)))
            last_seq, last_link = committed, None
        for seq, kind, detail in issues:
            (res.gaps if kind == "gap" else res.chain_breaks).append((seq, detail))
        if recs:
            last_seq, last_link = recs[-1]["seq"], recs[-1]["link"]
        store.add_chunk(dev_id, desk, recs, issues, last_seq, last_link)
        res.new += len(recs)
        res.calls += sum(1 for x in recs if x["type"] == codes.REC_CALL)
        res.bytes += len(data)
        if progress:
            progress(len(recs), total)
        if not recs or r["next"] >= r["end_seq"]:
            break
        frm = r["next"]
    res.unsynced = store.place_in_time(dev_id)
    res.up_to = last_seq
    res.seconds = time.monotonic() - t0
    return res
