# The call log's record format, shared by the board (writes) and the host
# (verifies and decodes). Pure: bytes in, bytes out.
#
#   offset size  field
#   0      1     magic 0xA5
#   1      1     type (codes.REC_*)
#   2      1     payload length
#   3      4     seq      never repeats, across reboots and rotations
#   7      2     boot     boot count (mod 65536) of the boot that wrote it
#   9      4     ticks    board ticks_ms (30-bit) when it happened
#   13     4     prev     link of the previous record (hash chain)
#   17     n     payload  (per type, below)
#   17+n   4     crc32 of bytes 0 .. 17+n
#
# link(record) = first 4 bytes of sha256(record). Each record carries its
# predecessor's link: an edited or reordered record whose CRC was recomputed
# breaks the chain at the next one. Without a secret key this cannot stop a
# forger who recomputes the links too (docs/call-log.md says what the log
# proves). All integers little-endian.
#
# On flash, and on the wire when the host asks for it, a call or hang-up may
# be stored compact: the same record (the CRC and the link are those of the
# full form above, its canonical form), with what the record before it in
# the same segment (its context) already says left out. parse_one() rebuilds
# the full form and checks its CRC, so a compact record is exactly as safe:
#
#   call     16 bytes (18 with the alarm's length), tag 0xC0..0xCF:
#     0  tag     0xC0 | outcome (bits 0-1) | cue (bit 2) | alarm (bit 3)
#     1  seq     low 8 bits (the context's seq + 1..256)
#     2  ticks   low 24 bits; the high 6 are the ones whose full record
#                passes its CRC (64 candidates; they differ in one byte of
#                it, so CRC-32 lets exactly one through)
#     5  rings (bits 0-4) | profile id (bits 5-7, 7 = unknown)
#     6  answer_ms u16 (0xFFFF = none)
#     8  alarm_ms u16, only when the tag says alarm
#     .. prev (4), crc (4) of the full record
#     boot: the context's. Every 64th seq is written full (an anchor).
#   hang-up   12 bytes, only right after its call: tag 0xD0 | clear outcome
#     (bits 0-1, the full payload's 9th byte when not 0), talk_ms u24,
#     prev (4), crc (4). seq = the call's + 1, ticks = the call's + talk_ms.
#     Its link is stored, not rebuilt from the call: a call edited with its
#     CRC recomputed then breaks the chain here, as with full records.
# A record that cannot be said so (a field too big, another boot) stays full.
# After bytes that are no record, the records that follow are read against
# contexts() too, in case the lost one was their context (the CRC decides,
# within the same 64 full forms per position).
import struct

from binascii import crc32  # both on every port ringcue runs on, and CPython
from hashlib import sha256

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


# (underscored consts take no name on the board, where names cost heap)
_MAGIC = const(0xA5)
_HEADER = const(17)
_TRAILER = const(4)

# record types: ringcue_core.codes (REC_*); the payloads are described there
from .codes import PROFILE_IDS, REC_CALL, REC_HANGUP

# The wall clocks a time sync may carry (ms since 1970): 2020-01-01 up to
# 2100-01-01. The board refuses others; the store ignores others it finds.
SYNC_MIN_MS = 1577836800000
SYNC_MAX_MS = 4102444800000

NO_ANSWER = 0xFFFFFFFF
GENESIS = b"\x00\x00\x00\x00"  # the `prev` of the very first record


def link(record):
    return sha256(record).digest()[:4]


def encode(rtype, seq, boot, ticks, prev, payload):
    if len(payload) > 255:
        payload = payload[:255]
    body = struct.pack("<BBBIHI", _MAGIC, rtype, len(payload), seq, boot & 0xFFFF,
                       ticks & 0x3FFFFFFF) + prev + payload
    return body + struct.pack("<I", crc32(body) & 0xFFFFFFFF)


def call_payload(rings, flags, answer_ms, profile, alarm_ms=0):
    pid = PROFILE_IDS.index(profile) if profile in PROFILE_IDS else 255
    return struct.pack("<BBIBI", min(rings, 255), flags & 0xFF,
                       NO_ANSWER if answer_ms is None or answer_ms < 0 else answer_ms, pid,
                       max(alarm_ms, 0))


def parse_one(buf, off, base=None, tries=64):
    """The record at buf[off:] as (rtype, seq, boot, ticks, prev, payload,
    end offset, full record bytes), or None if there is no whole valid
    record there (end of data, a torn write, or corruption). base (its
    context): what parse_one returned for the record before it, which a
    compact record is read against (None: only a full record can be read),
    or one of contexts(). tries: how many high tick bits a compact call
    tries, from base's ticks - 2.3 h (64: all of them)."""
    n = len(buf) - off
    t = buf[off] if n >= 8 else 0
    if t == _MAGIC and n >= _HEADER + _TRAILER:
        n = _HEADER + buf[off + 2] + _TRAILER
    elif base is None:
        return None
    elif t & 0xF0 == 0xC0:  # a compact call
        n = 18 if t & 8 else 16
    elif t & 0xFC == 0xD0 and base[0] == REC_CALL:  # its call's compact hang-up
        n = 12
    else:
        return None
    end = off + n
    if end > len(buf):
        return None
    b = bytes(buf[off:end])
    if t == _MAGIC:
        _, rtype, _, seq, boot, ticks = struct.unpack("<BBBIHI", b[:13])
        prev = b[13:17]
        payload = b[17:-4]
    elif t < 0xD0:
        ans = b[6] | b[7] << 8
        payload = struct.pack("<BBIBI", b[5] & 31, t & 3 | (t & 12) << 2,
                              NO_ANSWER if ans == 0xFFFF else ans,
                              255 if b[5] >> 5 == 7 else b[5] >> 5,
                              b[8] | b[9] << 8 if t & 8 else 0)
        rtype = REC_CALL
        seq = base[1] + 1 + ((b[1] - base[1] - 1) & 0xFF)
        boot = base[2]
        prev = b[-8:-4]
        n = (base[3] - 0x800000) & 0x3FFFFFFF  # the context's ticks - 2.3 h
        ticks = (n + ((b[2] | b[3] << 8 | b[4] << 16) - n & 0xFFFFFF)) & 0x3FFFFFFF
    else:
        n = b[1] | b[2] << 8 | b[3] << 16  # talk_ms
        payload = struct.pack("<II", base[1], n) + (bytes((t & 3,)) if t & 3 else b"")
        rtype = REC_HANGUP
        seq = base[1] + 1
        boot = base[2]
        prev = b[4:8]
        ticks = (base[3] + n) & 0x3FFFFFFF
    (crc,) = struct.unpack("<I", b[-4:])
    for _ in range(tries if t & 0xF0 == 0xC0 else 1):  # a compact call: which high ticks
        rec = struct.pack("<BBBIHI", _MAGIC, rtype, len(payload), seq, boot, ticks) + \
            prev + payload
        if crc32(rec) & 0xFFFFFFFF == crc:
            return rtype, seq, boot, ticks, prev, payload, end, rec + b[-4:]
        ticks = (ticks + 0x1000000) & 0x3FFFFFFF
    return None


def contexts(ctx, seed, seq, hdr):
    """What to read the records after bytes that are no record against (the
    lost one may be the context they need): ctx, the last record read before
    (None at a segment's start), then contexts of type 0 (no compact hang-up
    is read against one) at ctx's seq (else seq: the segment's first - 1)
    with the boot and ticks of ctx (else seed: the last record of the
    segment before), of the lost record's header hdr (its first 13 bytes, if
    it was full; perhaps damaged), and the next boot from ticks 0 (a boot
    record lost: a board's ticks start at 0). Each is tried with 64 // len()
    high tick bits from its ticks: no position is checked against more than
    64 full forms, so random bytes pass as a record as rarely as before."""
    b = ctx or seed
    if ctx:
        seq = ctx[1]
    c = [(0, seq, b[2], b[3]), (0, seq, b[2] + 1 & 0xFFFF, 0)] if b else []
    if len(hdr) > 12 and hdr[0] == _MAGIC:
        c.insert(1, (0, seq, hdr[7] | hdr[8] << 8, hdr[9] | hdr[10] << 8 | hdr[11] << 16 |
                     (hdr[12] & 63) << 24))
    out = [ctx] if ctx else []
    for x in c:  # one per boot and first high tick bits tried
        if all(x[2] != y[2] or ((x[3] - 0x800000) ^ (y[3] - 0x800000)) & 0x3F000000
               for y in out):
            out.append(x)
    return out


def compact(record, base):
    """The compact form of the full record `record` after the record base
    (parse_one's answer for it), or None when it has none (then the record
    is written full)."""
    p = record[17:-4]
    if record[1] == REC_CALL and len(p) == 11 and record[3] & 63:  # (seq % 64: an anchor)
        c = bytes((0xC0 | p[1] & 3 | p[1] >> 2 & 12, record[3])) + record[9:12] + \
            bytes((p[0] & 31 | min(p[6], 7) << 5,)) + p[2:4] + (p[7:9] if p[1] & 0x20 else b"") + \
            record[13:17]
    elif record[1] == REC_HANGUP and len(p) in (8, 9):
        c = bytes((0xD0 | (p[8] & 3 if len(p) == 9 else 0),)) + p[4:7] + record[13:17]
    else:
        return None
    c += record[-4:]
    # whatever did not fit (a field too big, another boot, a context that
    # is not its call) comes back different: then it stays full
    x = base and parse_one(c, 0, base)
    return c if x and x[7] == record else None
