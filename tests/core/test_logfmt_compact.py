"""The compact call and hang-up records (ringcue_core.logfmt): each one
stands for exactly its full record, whatever the gap to the record before it,
and anything that cannot be said compact stays full."""

import random
import struct

from ringcue_core import codes, logfmt

WRAP = 1 << 30


def log(n, seed, max_gap_ms):
    """n records as a board writes them: calls (some answered, with a
    hang-up), an occasional sync, ticks wrapping, gaps up to max_gap_ms."""
    rnd = random.Random(seed)
    out, prev, seq, t = [], logfmt.GENESIS, 0, rnd.randrange(WRAP)

    def add(rtype, ticks, payload):
        nonlocal prev, seq
        seq += 1
        rec = logfmt.encode(rtype, seq, 3, ticks, prev, payload)
        prev = logfmt.link(rec)
        out.append(rec)

    while len(out) < n:
        t = (t + rnd.randrange(max_gap_ms)) % WRAP
        ans = rnd.choice([None, rnd.randrange(70000)])
        flags = (1 if ans is not None else rnd.choice([2, 3])) | rnd.choice([0, 0x10]) | \
            rnd.choice([0, 0x20])
        add(codes.REC_CALL, t, logfmt.call_payload(
            rnd.randrange(40), flags, ans, rnd.choice(codes.PROFILE_IDS + ("xx",)),
            rnd.randrange(80000) if flags & 0x20 else 0))
        if ans is not None and rnd.random() < 0.8:
            talk = rnd.choice([rnd.randrange(600000), rnd.randrange(1 << 25)])
            add(codes.REC_HANGUP, (t + talk) % WRAP, struct.pack("<II", seq, talk))
            t = (t + talk) % WRAP
        if rnd.random() < 0.05:
            add(codes.REC_TIME_SYNC, (t - 2000) % WRAP, struct.pack("<Q", 1764547200000))
    return out


def stored(recs):
    ctx, out = None, b""
    for rec in recs:
        out += logfmt.compact(rec, ctx) or rec
        ctx = logfmt.parse_one(rec, 0)
    return out


def read(data):
    off, ctx, out = 0, None, []
    while off < len(data):
        ctx = logfmt.parse_one(data, off, ctx)
        assert ctx is not None, off
        out.append(ctx[7])
        off = ctx[6]
    return out


def test_every_compact_record_reads_back_as_its_full_record():
    for seed, gap in ((1, 60_000), (2, 4 * 3_600_000), (3, 12 * 86_400_000), (4, WRAP)):
        recs = log(400, seed, gap)
        data = stored(recs)
        assert read(data) == recs
        assert len(data) < sum(map(len, recs))


def test_sizes_a_call_16_bytes_its_hang_up_12():
    call = logfmt.encode(codes.REC_CALL, 5, 1, 1000, b"abcd",
                         logfmt.call_payload(3, 0x11, 9000, "uk"))
    ctx = logfmt.parse_one(logfmt.encode(codes.REC_BOOT, 4, 1, 10, b"wxyz", b"x" * 14), 0)
    c = logfmt.compact(call, ctx)
    assert len(call) == 32 and len(c) == 16
    alarm = logfmt.encode(codes.REC_CALL, 5, 1, 1000, b"abcd",
                          logfmt.call_payload(3, 0x31, 9000, "uk", 4000))
    assert len(logfmt.compact(alarm, ctx)) == 18
    hang = logfmt.encode(codes.REC_HANGUP, 6, 1, 61000, logfmt.link(call),
                         struct.pack("<II", 5, 60000))
    h = logfmt.compact(hang, logfmt.parse_one(call, 0))
    assert len(hang) == 29 and len(h) == 12
    assert logfmt.parse_one(h, 0, logfmt.parse_one(call, 0))[7] == hang


def test_what_does_not_fit_stays_full():
    ctx = logfmt.parse_one(logfmt.encode(codes.REC_BOOT, 4, 1, 10, b"wxyz", b"x" * 14), 0)

    def call(seq=5, boot=1, rings=3, answer=9000, profile="uk"):
        return logfmt.encode(codes.REC_CALL, seq, boot, 1000, b"abcd",
                             logfmt.call_payload(rings, 0x11, answer, profile))
    assert logfmt.compact(call(), ctx) is not None
    assert logfmt.compact(call(), None) is None  # a segment's first record
    assert logfmt.compact(call(boot=2), ctx) is None  # another boot
    assert logfmt.compact(call(rings=32), ctx) is None
    assert logfmt.compact(call(answer=65535), ctx) is None
    assert logfmt.compact(call(seq=64), ctx) is None  # every 64th: an anchor
    assert logfmt.compact(call(seq=4 + 257), ctx) is None  # too far from its context
    hang = logfmt.encode(codes.REC_HANGUP, 6, 1, 61000, b"abcd",
                         struct.pack("<II", 5, 60000))
    assert logfmt.compact(hang, ctx) is None  # not right after its call


def test_a_changed_byte_of_a_compact_record_is_never_read_as_a_record():
    recs = log(60, 7, 3_600_000)
    data = bytearray(stored(recs))
    full = set(recs)
    for i in range(len(data)):
        for x in (0x01, 0x80):
            data[i] ^= x
            off, ctx = 0, None
            while off < len(data):  # read as the board does: skip what is no record
                r = logfmt.parse_one(data, off, ctx)
                if r is None:
                    off += 1
                    continue
                assert r[7] in full  # every record read is one that was written
                ctx, off = r, r[6]
            data[i] ^= x


def test_a_call_edited_with_its_crc_recomputed_breaks_the_chain_at_its_compact_hang_up():
    """The compact hang-up stores its link: rebuilt from the (edited) call,
    it would match, and the edit would pass as a record lost on the board."""
    from ringcue.store.pull import parse_chunk, verify

    boot = logfmt.encode(codes.REC_BOOT, 1, 1, 10, logfmt.GENESIS, b"build0000000" + b"1.0")
    call = logfmt.encode(codes.REC_CALL, 2, 1, 1000, logfmt.link(boot),
                         logfmt.call_payload(2, 0x11, 3000, "uk"))
    hang = logfmt.encode(codes.REC_HANGUP, 3, 1, 61000, logfmt.link(call),
                         struct.pack("<II", 2, 60000))
    stored_hang = logfmt.compact(hang, logfmt.parse_one(call, 0))  # as the board wrote it
    edited = logfmt.encode(codes.REC_CALL, 2, 1, 1000, logfmt.link(boot),
                           logfmt.call_payload(5, 0x11, 3000, "uk"))  # rings 2 -> 5
    ctx = logfmt.parse_one(boot, 0)
    honest = parse_chunk(boot + logfmt.compact(call, ctx) + stored_hang)
    assert verify(honest, 0, logfmt.GENESIS) == []
    forged = parse_chunk(boot + logfmt.compact(edited, ctx) + stored_hang)
    assert [r["seq"] for r in forged] == [1, 2, 3]
    assert [(seq, kind) for seq, kind, _ in verify(forged, 0, logfmt.GENESIS)] == \
        [(3, "chain_break")]
