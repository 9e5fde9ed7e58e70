"""A serial-line soak of a virtual board (shared by tests/e2e/test_serial_soak.py
and bench/bench_soak.py): fuzzed request lines, among them thousands of
unique unknown command names, over-long names, deep JSON and unique argument
keys, while calls ring. Every line must be answered, the heap after a
collection must stay flat, the board must never reset, and the calls rung
during the fuzz must be logged as rung."""

from __future__ import annotations

import random
import time

import serial

from ringcue.sim import ringgen
from ringcue.board import session as S
from ringcue.board.client import BoardClient
from ringcue_core import proto

# (rings, answered on ring) of the calls rung during the fuzz
CALLS = [(2, None), (5, None), (4, 3), (3, None), (6, 2)]


def _name(rng: random.Random, i: int) -> str:
    """A command name never sent before (so it can't be a cached qstr)."""
    n = rng.choice([1, 8, 16, 40, 120, 252, 253, 254, 300, 470])
    stem = "%x" % i + "q" * n
    return stem[:n] if n > len(stem) else stem


def fuzz_line(rng: random.Random, i: int) -> bytes:
    kind = rng.randrange(14)
    if kind <= 3:  # a unique unknown command (the heap leak of issue #13)
        return b"RQ %d %s" % (i, _name(rng, i).encode())
    if kind == 4:  # ... with arguments, sealed or not
        body = "RQ %d %s {\"%s\": %d}" % (i, _name(rng, i)[:60], "k%d" % i, i)
        return (proto.seal(body).rstrip() if i & 1 else body).encode()
    if kind == 5:  # deep JSON, up to the line limit
        d = rng.randrange(1, 240)
        return b"RQ %d status %s" % (i, b"[" * d + b"]" * d)
    if kind == 6:  # unique unknown settings and unique string values
        return b"RQ %d config_set {\"x%d\": \"%s\"}" % (i, i, b"v%d" % i * rng.randrange(1, 20))
    if kind == 7:  # a known command with hostile arguments
        return rng.choice([b"RQ %d selftest {\"ms\": 1e999}" % i,
                           b"RQ %d log_read {\"from_seq\": %s}" % (i, b"9" * 400),
                           b"RQ %d time_sync {\"unix_ms\": \"x\"}" % i,
                           b"RQ %d monitor {\"on\": []}" % i,
                           b"RQ %d config_get {\"%s\": 1}" % (i, b"z" * rng.randrange(1, 400)),
                           b"RQ %d hello {\"a\": {\"b\": {\"c\": [1, {\"d\": null}]}}}" % i])
    if kind == 8:  # random bytes (no line ends, no Ctrl-C: that is the REPL's)
        return bytes(b for b in (rng.randrange(256) for _ in range(rng.randrange(1, 200)))
                     if b not in (3, 10, 13)) or b"x"
    if kind == 9:  # over-long
        return b"RQ %d " % i + b"n" * rng.randrange(520, 1500)
    if kind == 10:  # non-ASCII, valid UTF-8 or not; new code points where the CRC's '*' goes
        text = "".join(chr(rng.choice([rng.randrange(0x80, 0xD800),
                                       rng.randrange(0xE000, 0x110000)])) for _ in range(12))
        return rng.choice([b"RQ %d h\xc3\xa9llo%d" % (i, i), b"RQ %d \xf0\x9f\x93\x9e%d" % (i, i),
                           b"RQ %d \xff\xfe%d" % (i, i), b"RQ %d x" % i + text.encode(),
                           b"RQ %d hello " % i + text.encode()])
    if kind == 11:  # random printable text
        return bytes(rng.randrange(32, 127) for _ in range(rng.randrange(1, 200)))
    if kind == 12:
        return S.encode_request(i, rng.choice(["hello", "status", "config_get"])).rstrip()
    return rng.choice([b"RQ", b"RQ -5 hello", b"RQ 99999999999 hello", b"RQ 1", b"RQ x y",
                       b"RQ %d __init__" % i, b"RQ %d do_hello" % i, b"RQ %d _table" % i])


def soak(vb, n_lines: int, seed: int = 13, sample_every: int = 1000, per_batch: int = 100,
         progress=None) -> dict:
    """Fuzz vb's serial line with n_lines lines while CALLS ring; return the
    figures: lines, replies, heap samples (bytes after gc.collect, from
    `status`), resets, faults and the calls found in the log."""
    from board_helpers import board_calls

    rng = random.Random(seed)
    t_us = 1_000_000
    for rings, answer in CALLS:
        ev, end = ringgen.call_events("uk", rings, start_us=t_us, answer_ring=answer, talk_s=5)
        vb.play(ev, start=vb.clock, run=False)
        t_us = end + 12_000_000
    span_ms = t_us // 1000
    batches = max(1, n_lines // per_batch)
    s = serial.Serial(vb.port, timeout=0.005)
    session = S.Session()
    replies = sent = 0
    mem = []  # (lines sent so far, mem_alloc)
    t0 = time.monotonic()
    try:
        for batch in range(batches):
            lines = [fuzz_line(rng, batch * per_batch + k) for k in range(per_batch)]
            if (batch * per_batch) % sample_every == 0:
                lines.append(S.encode_request(900_000_000 + batch, "status").rstrip())
            s.write(b"\n".join(lines) + b"\n")
            # a line of nothing but control bytes is noise the board ignores
            sent += sum(1 for ln in lines if any(b >= 32 or b == 9 for b in ln))
            vb.advance(span_ms // batches + 1)  # the calls ring on
            deadline = time.monotonic() + 30
            while replies < sent:
                assert time.monotonic() < deadline, f"{sent - replies} lines unanswered"
                chunk = s.read(65536)
                assert chunk or vb.proc.poll() is None, "the board process died"
                session.receive_data(chunk)
                while (ev := session.next_event()) is not S.NEED_DATA:
                    # every line answered with a reply (log_read's with its blob)
                    assert isinstance(ev, (S.Reply, S.ErrorReply)), \
                        f"unexpected output: {ev!r} {session.partial[:1000]!r}"
                    replies += 1
                    if ev.rid is not None and ev.rid >= 900_000_000:
                        assert isinstance(ev, S.Reply), f"status failed at line {sent}: {ev}"
                        mem.append((sent, ev.result["mem_alloc"]))
            if progress:
                progress(batch + 1, batches)
    finally:
        s.close()
    seconds = time.monotonic() - t0
    vb.advance_to(max(vb.clock, span_ms) + 30_000)
    with BoardClient.open(vb.port) as b:
        st = b.call("status")
    return {"lines": sent, "replies": replies, "seconds": seconds, "mem": mem,
            "mem_end": st["mem_alloc"], "heap": st["mem_alloc"] + st["mem_free"],
            "faults": st["faults"], "resets": list(vb.resets),
            "calls": [(c["rings"], c["outcome"]) for c in board_calls(vb.port)]}


def expected_calls():
    return [(answer or rings, "answered" if answer else "abandoned") for rings, answer in CALLS]
