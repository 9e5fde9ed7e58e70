# How tests/firmware/data/log_v1 was made, at commit a743c9c (the last firmware writing
# only v1 records): MICROPYPATH=firmware micropython make_v1_log.py, the JSON it
# prints written out as the segment files, and expected.json from that
# commit's host decoder (ringcue.logs.parse_chunk). Kept as a record: the
# current firmware writes compact records, so running it now makes another log.
# Runs inside MicroPython with the CURRENT (v1 format) firmware: writes a log
# through the real FlashLog on littlefs, and prints the segment files as hex.
import json, vfs, os
from binascii import hexlify
from ringcue_core import logfmt
from ringcue_fw import flashlog
import struct

class RAM:
    def __init__(s): s.d = bytearray(b"\xff" * (512 * 128))
    def readblocks(s, b, buf, off=0):
        a = b * 512 + off; buf[:] = s.d[a:a + len(buf)]
    def writeblocks(s, b, buf, off=None):
        a = b * 512 + (off or 0); s.d[a:a + len(buf)] = buf
    def ioctl(s, op, arg): return {4: 128, 5: 512}.get(op, 0)

dev = RAM(); vfs.VfsLfs2.mkfs(dev); vfs.mount(vfs.VfsLfs2(dev), "/m")
L = flashlog.FlashLog(7, root="/m/log", seg_bytes=1024)
t = 0x3FFF0000  # ticks wrap inside the log
L.append(logfmt.REC_BOOT, t, b"abcdef012345" + b"0.9.0")
L.append(logfmt.REC_TIME_SYNC, t + 5, struct.pack("<Q", 1764547200000))
for i in range(60):
    t = (t + 61000 + i * 997) & 0x3FFFFFFF
    ans = None if i % 4 == 3 else 1500 + 37 * i
    flags = (1 if ans is not None else 2) | (0x10 if i % 2 else 0) | (0x20 if i % 5 == 0 else 0)
    L.append(logfmt.REC_CALL, t, logfmt.call_payload(1 + i % 6, flags, ans,
             ("uk", "us", "universal")[i % 3], 2500 + i if flags & 0x20 else 0))
    if ans is not None:
        L.append(logfmt.REC_HANGUP, (t + 40000 + i) & 0x3FFFFFFF,
                 struct.pack("<II", L.last_call_seq, 40000 + i))
    if i == 30:
        L.append(logfmt.REC_CONFIG, t + 10, b'{"profile": "uk", "desk": "front"}')
        L.append(logfmt.REC_FAULT, t + 11, b"log: a fault text")
    if i % 7 == 6:
        L.flush()
L.flush()
out = {}
for n in sorted(os.listdir("/m/log")):
    with open("/m/log/" + n, "rb") as f:
        out[n] = hexlify(f.read()).decode()
print(json.dumps(out))
