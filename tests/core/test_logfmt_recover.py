"""A lost record hides only itself (issue #15): the records after bytes that
are no record are read against logfmt.contexts() too, since the lost one may
be the context a compact record needs. Case table over segment files read
by the board's own reader (ringcue_fw.flashlog._records, run on CPython): a
changed byte loses its record (and its call's compact hang-up), never the
compact records up to the next full one, unless both sources of the boot
are gone (the limits at the end). The CRC stays the judge."""

import random
import struct

import pytest

from ringcue_core import codes, logfmt
from ringcue_fw import flashlog

BUILD = b"build0000000" + b"1.0"


class Log:
    """Records as a board writes them: seq and chain, a boot's ticks."""

    def __init__(self):
        self.recs = []  # full records
        self.prev = logfmt.GENESIS

    def add(self, rtype, boot, ticks, payload):
        rec = logfmt.encode(rtype, len(self.recs) + 1, boot, ticks, self.prev, payload)
        self.prev = logfmt.link(rec)
        self.recs.append(rec)
        return len(self.recs)

    def boot(self, boot, ticks=40):
        return self.add(codes.REC_BOOT, boot, ticks, BUILD)

    def calls(self, boot, ticks, n, every_ms=600_000):
        """n calls (every other one answered, with its hang-up)."""
        for i in range(n):
            t = ticks + i * every_ms
            seq = self.add(codes.REC_CALL, boot, t,
                           logfmt.call_payload(2 + i % 3, 0x11 if i % 2 else 0x12,
                                               5000 if i % 2 else None, "uk"))
            if i % 2:
                self.add(codes.REC_HANGUP, boot, t + 90_000, struct.pack("<II", seq, 90_000))


def write(tmp_path, log, firsts):
    """The log in segments starting at the seqs `firsts`, each stored as the
    board stores it (full first record, then compact where it can be)."""
    paths = []
    for i, first in enumerate(firsts):
        end = firsts[i + 1] if i + 1 < len(firsts) else len(log.recs) + 1
        data, ctx = b"", None
        for rec in log.recs[first - 1:end - 1]:
            data += logfmt.compact(rec, ctx) or rec
            ctx = logfmt.parse_one(rec, 0)
        p = tmp_path / ("%08d.seg" % first)
        p.write_bytes(data)
        paths.append(p)
    return paths


def where(data, seq):
    """The offset of record seq in a segment's bytes."""
    off, r = 0, None
    while True:
        r = logfmt.parse_one(data, off, r)
        if r[1] == seq:
            return off
        off = r[6]


def damage(path, seq, at, x=0xFF):
    """Change byte `at` of record seq as stored in the segment file."""
    data = bytearray(path.read_bytes())
    data[where(data, seq) + at] ^= x
    path.write_bytes(bytes(data))


def read(paths, seeded=True):
    """Every record the board reads (seq: full form), segment by segment, as
    FlashLog.read does (each with the one before it, for a lost start)."""
    out = {}
    for i, p in enumerate(paths):
        before = str(paths[i - 1]) if i and seeded else None
        for r, _ in flashlog._records(str(p), before):
            if r is not None:
                out[r[1]] = r[7]
    return out


def lost(log, got):
    assert all(log.recs[seq - 1] == full for seq, full in got.items())  # nothing changed read
    return sorted(set(range(1, len(log.recs) + 1)) - set(got))


def office():
    """Boot 4 (an anchor-free stretch of 40 records), in two segments."""
    log = Log()
    log.boot(4)
    log.calls(4, 1000, 26)  # records 2..40
    return log, [1, 14]


BOOT, SEQ, TICKS_HI, PAYLOAD, CRC = 8, 4, 12, 20, -1  # offsets of a full record's bytes


@pytest.mark.parametrize("name, make, seq, at, seeded, expected", [
    # a segment's first record (full): the segment before gives its context
    ("first record of a segment, its boot byte", office, 14, BOOT, True, [14]),
    ("first record of a segment, its seq", office, 14, SEQ, True, [14]),
    ("first record of a segment, its ticks", office, 14, TICKS_HI, True, [14]),
    ("first record of a segment, its CRC", office, 14, CRC, True, [14]),
    ("first record of a segment, a call", lambda: (office()[0], [1, 15]), 15, BOOT, True,
     [15, 16]),  # 16: its hang-up, read against it
    # without the segment before (rotated out), its own header
    ("first record of the oldest kept segment", office, 14, PAYLOAD, False, [14]),
    # a compact call: its hang-up is read against it, nothing else
    ("a compact call", office, 18, 5, True, [18, 19]),
    ("a compact hang-up", office, 19, 5, True, [19]),
])
def test_a_changed_byte_loses_its_record_only(tmp_path, name, make, seq, at, seeded, expected):
    log, firsts = make()
    paths = write(tmp_path, log, firsts)
    assert len(paths[1].read_bytes()) < 20 * (len(log.recs) - firsts[1])  # mostly compact
    assert lost(log, read(paths)) == []
    damage(paths[1], seq, at if at >= 0 else len(log.recs[seq - 1]) + at)
    assert lost(log, read(paths, seeded)) == expected, name


def rebooted(boot_after, first_seg_at_boot=False):
    """Boot 4, then boot `boot_after` (its ticks from 0 again), its boot
    record mid-segment (or starting one)."""
    log = Log()
    log.boot(4)
    log.calls(4, 1000, 8)  # 2..13
    b = log.boot(boot_after, ticks=35)  # 14
    log.calls(boot_after, 2000, 8)  # 15..26
    return log, [1, b] if first_seg_at_boot else [1, 8]


@pytest.mark.parametrize("boot_after, starts, at, expected", [
    (5, False, PAYLOAD, [14]),  # its header says the boot
    (5, False, BOOT, [14]),  # the boot after the one before
    (5, False, TICKS_HI, [14]),  # and a board's ticks start at 0
    (9, False, TICKS_HI, [14]),  # boots skipped (a board that logged nothing): its header
    (5, True, BOOT, [14]),  # starting a segment: the boot after the segment before's
    (9, True, SEQ, [14]),
])
def test_a_lost_boot_record_loses_only_itself(tmp_path, boot_after, starts, at, expected):
    log, firsts = rebooted(boot_after, starts)
    paths = write(tmp_path, log, firsts)
    damage(paths[1], 14, at)
    assert lost(log, read(paths)) == expected


def test_limits_where_no_source_of_the_boot_is_left(tmp_path):
    """Documented limits (docs/call-log.md): the compact records up to the
    next full one are lost when the lost record's own boot bytes are changed
    and the boot is not the one after the record before (boots skipped), or
    no record before it is left (the oldest segment's start)."""
    log, firsts = rebooted(9)
    paths = write(tmp_path, log, firsts)
    damage(paths[1], 14, BOOT)
    assert lost(log, read(paths)) == list(range(14, 27))
    log, firsts = office()
    paths = write(tmp_path, log, firsts)
    damage(paths[1], 14, BOOT)
    assert lost(log, read(paths, seeded=False)) == list(range(14, 41))


def test_the_crc_picks_the_context_a_wrong_one_reads_plausibly():
    """After a lost boot record the old boot is tried first: against it the
    compact call's seq and ticks come out right, the record is well formed,
    only the CRC refuses it; the new boot's full form is the one accepted."""
    log = Log()
    log.boot(4)
    log.calls(4, 1000, 2)  # 2, 3 (a call, then a call with its hang-up 4)
    log.boot(5, ticks=35)  # 5, lost
    log.calls(5, 2000, 1)  # 6
    ctx = logfmt.parse_one(log.recs[3], 0)  # the hang-up before the lost boot record
    call = logfmt.compact(log.recs[5], logfmt.parse_one(log.recs[4], 0))
    cands = logfmt.contexts(ctx, None, 0, b"")
    assert [c[2] for c in cands] == [4, 5]  # the old boot first, then the next
    # without the CRC the first candidate would do: the full form it rebuilds
    # differs from the true one in the boot only
    rtype, seq, _, ticks, prev, payload = logfmt.parse_one(log.recs[5], 0)[:6]
    wrong = logfmt.encode(rtype, seq, 4, ticks, prev, payload)
    assert wrong[:7] == log.recs[5][:7] and wrong[9:-4] == log.recs[5][9:-4]
    assert logfmt.parse_one(call, 0, cands[0], 32) is None  # the CRC refuses it
    r = next(r for c in cands if (r := logfmt.parse_one(call, 0, c, 32)))
    assert r[7] == log.recs[5] and r[2] == 5


def test_a_changed_compact_call_reads_with_no_candidate():
    """Every byte of a compact call changed both ways, read with every
    candidate: only the true record, never another (the CRC judges)."""
    log, _ = office()
    ctx = logfmt.parse_one(log.recs[14], 0)
    c = logfmt.compact(log.recs[15], ctx)
    hdr = log.recs[13][:13]
    for cands in (logfmt.contexts(ctx, None, 0, hdr), logfmt.contexts(None, ctx, 14, hdr)):
        for i in range(len(c)):
            for x in range(1, 256):
                m = bytearray(c)
                m[i] ^= x
                for k in cands:
                    assert logfmt.parse_one(bytes(m), 0, k, 64 // len(cands)) is None


def test_no_position_is_checked_against_more_than_64_full_forms(tmp_path, monkeypatch):
    """The odds that random bytes pass as a record stay those of a compact
    call, 64 full forms against a CRC-32 (2^-26): the retry shares them out.
    3,000 bytes of junk (many compact tags) inside a boot record; the board's
    reader counted at each position it tries."""
    log, firsts = rebooted(9)
    paths = write(tmp_path, log, firsts)
    rnd = random.Random(5)
    junk = bytes(rnd.choice((0xC0, 0xC5, 0xCA, 0xD0, rnd.randrange(256))) for _ in range(3000))
    data = paths[1].read_bytes()
    at = where(data, 14) + 20  # inside the boot record
    paths[1].write_bytes(data[:at] + junk + data[at:])
    per = [0]  # CRCs checked at each position tried, in turn
    at = [None]
    crc, parse = logfmt.crc32, logfmt.parse_one

    def counted_crc(b):
        per[-1] += 1
        return crc(b)

    def counted_parse(buf, off, *a):
        if at[0] != (id(buf), off):  # the next position
            at[0] = id(buf), off
            per.append(0)
        return parse(buf, off, *a)

    monkeypatch.setattr(logfmt, "crc32", counted_crc)
    monkeypatch.setattr(logfmt, "parse_one", counted_parse)
    assert lost(log, read(paths)) == [14]  # the records after the junk are all read
    assert max(per) == 63  # (3 contexts: the old boot, its header's, the next)


DAY = 86_400_000


@pytest.mark.parametrize("at, expected", [
    (17, [5]),  # (its CRC) its header's ticks: the call 3 days after it
    (TICKS_HI, list(range(5, 12))),  # a limit: 6 days after the call before, out of reach
])
def test_a_lost_still_here_record_in_a_silence(tmp_path, at, expected):
    """Calls 3 days apart, a still-here record between (a silence): the
    candidates' tick windows (64 tries shared out: 4.1 to 6.1 days) reach
    the next call from the lost record's own ticks, not always from the
    call before it."""
    log = Log()
    log.boot(4)
    log.calls(4, 1000, 2)  # 2, 3 and its hang-up 4
    log.add(codes.REC_STILL_HERE, 4, 3 * DAY, b"")  # 5
    log.calls(4, 6 * DAY, 4, every_ms=60_000)  # 6..11, all compact
    paths = write(tmp_path, log, [1, 3])
    damage(paths[1], 5, at)
    assert lost(log, read(paths)) == expected


@pytest.mark.parametrize("seq, expected", [
    (14, [14]),  # a segment's first record: nothing compact was tried at the next one yet
    (5, [5]),  # a compact call: the next reads against the record before it
    (4, [4]),  # a compact hang-up
])
def test_a_record_cut_out_loses_itself(tmp_path, seq, expected):
    log, firsts = office()
    paths = write(tmp_path, log, firsts)
    p = paths[seq >= firsts[1]]
    data = p.read_bytes()
    a = where(data, seq)
    b = logfmt.parse_one(data, a, logfmt.parse_one(log.recs[seq - 2], 0))[6]
    p.write_bytes(data[:a] + data[b:])
    assert lost(log, read(paths)) == expected


def test_a_boot_record_cut_out_mid_segment_loses_the_record_after_it_too(tmp_path):
    """A limit: the byte after it was already read against the record before
    (64 full forms), so the retry starts a byte later."""
    log, firsts = rebooted(5)
    paths = write(tmp_path, log, firsts)
    data = paths[1].read_bytes()
    a = where(data, 14)
    paths[1].write_bytes(data[:a] + data[a + len(log.recs[13]):])
    assert lost(log, read(paths)) == [14, 15]
