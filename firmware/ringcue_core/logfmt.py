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
import struct

from binascii import crc32  # both on every port ringcue runs on, and CPython
from hashlib import sha256

MAGIC = 0xA5
HEADER = 17
TRAILER = 4

# record types: ringcue_core.codes (REC_*); the payloads are described there
from .codes import PROFILE_IDS

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
    body = struct.pack("<BBBIHI", MAGIC, rtype, len(payload), seq, boot & 0xFFFF,
                       ticks & 0x3FFFFFFF) + prev + payload
    return body + struct.pack("<I", crc32(body) & 0xFFFFFFFF)


def call_payload(rings, flags, answer_ms, profile, alarm_ms=0):
    pid = PROFILE_IDS.index(profile) if profile in PROFILE_IDS else 255
    return struct.pack("<BBIBI", min(rings, 255), flags & 0xFF,
                       NO_ANSWER if answer_ms is None or answer_ms < 0 else answer_ms, pid,
                       max(alarm_ms, 0))


def parse_one(buf, off):
    """The record at buf[off:] as (rtype, seq, boot, ticks, prev, payload,
    end offset), or None if there is no whole valid record there (end of
    data, a torn write, or corruption)."""
    if len(buf) - off < HEADER + TRAILER or buf[off] != MAGIC:
        return None
    n = buf[off + 2]
    end = off + HEADER + n + TRAILER
    if end > len(buf):
        return None
    body = bytes(buf[off:end - TRAILER])
    (crc,) = struct.unpack("<I", bytes(buf[end - TRAILER:end]))
    if crc32(body) & 0xFFFFFFFF != crc:
        return None
    _, rtype, _, seq, boot, ticks = struct.unpack("<BBBIHI", body[:13])
    return rtype, seq, boot, ticks, body[13:17], body[17:], end
