"""A board's call log as the firmware writes it (records encoded by
ringcue_core.logfmt, hash-chained), served to `ringcue.store.pull.pull`
through the three requests a pull makes (hello, time_sync, log_read).

For store tests that need many calls and many boards fast (concurrent
pulls, kill -9 halfway): the pull, its checks and the store are the real
ones; only the serial link is left out (the e2e tests pull from boards).
"""

from __future__ import annotations

import random
import struct

from ringcue_core import codes, logfmt

BASE_MS = 1_790_000_000_000  # 2026-09-21


class BootLog:
    """The records of one boot, numbered from 1 and hash-chained as the
    firmware writes them, starting with the boot record; `ticks` is the
    board's clock for the next record."""

    def __init__(self, ticks: int = 1000):
        self.raws: list[bytes] = []
        self.prev = logfmt.GENESIS
        self.ticks = ticks
        self.rec(codes.REC_BOOT, b"build-000001" + b"0.1.1")

    def rec(self, rtype: int, payload: bytes):
        raw = logfmt.encode(rtype, len(self.raws) + 1, 1, self.ticks, self.prev, payload)
        self.prev = logfmt.link(raw)
        self.raws.append(raw)


def board_log(device: int, calls: int, seed: int = 0) -> list[bytes]:
    """Raw records of one boot: a boot record, a time sync, then `calls`
    calls (most answered, each followed by its hang-up)."""
    rnd = random.Random(seed * 1000 + device)
    log = BootLog(ticks=1000)
    rec = log.rec
    rec(codes.REC_TIME_SYNC, struct.pack("<Q", BASE_MS + device * 60_000))
    for _ in range(calls):
        log.ticks += rnd.randint(20_000, 900_000)
        rings = rnd.choice((1, 2, 2, 3, 3, 4, 5, 7))
        answered = rnd.random() < 0.85
        flags = (1 if answered else 2) | (0x10 if rings >= 2 else 0) | \
            (0x20 if rings >= 4 else 0)
        ans = (rings - 1) * 3000 + rnd.randint(100, 1400) if answered else None
        rec(codes.REC_CALL, logfmt.call_payload(rings, flags, ans, "uk",
                                                 rnd.randint(0, 9000) if rings >= 4 else 0))
        if answered:
            call = len(log.raws)
            log.ticks += rnd.randint(5_000, 300_000)
            rec(codes.REC_HANGUP, struct.pack("<II", call, rnd.randint(5_000, 300_000)))
    return log.raws


class FakeBoard:
    """Answers a pull as a board's command task does, `per_read` records at
    a time (a real board answers up to its 4 KB chunk)."""

    def __init__(self, device: int, raws: list[bytes], desk: str = "", per_read: int = 50):
        self.id = f"fake{device:04d}"
        self.desk = desk or f"Desk {device}"
        self.raws = raws
        self.per_read = per_read

    def call(self, cmd, args=None):
        if cmd == "hello":
            return {"id": self.id, "board": "fake", "fw": "0.1.1",
                    "config": {"desk": self.desk}}
        if cmd == "time_sync":
            return {}
        raise ValueError(cmd)

    def call_binary(self, cmd, args):
        assert cmd == "log_read"
        frm = max(1, args["from_seq"])
        part = self.raws[frm - 1:frm - 1 + self.per_read]
        end = len(self.raws) + 1
        return ({"end_seq": end, "next": frm + len(part), "first_seq": 1,
                 "committed": len(self.raws)}, b"".join(part))
