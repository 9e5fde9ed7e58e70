# Runs inside MicroPython: the real FlashLog on the real littlefs (a RAM
# block device). A log of N call records, the first PULLED of them already
# pulled by the host, with a reboot (a boot record, ticks from 0 again) at
# call REBOOT. Each trial changes the committed, unpulled records in
# one way (every single byte changed, the segment cut at every byte, each
# record cut out, each segment deleted), then the board either reboots
# (a new FlashLog over the changed flash) or keeps running (the same one),
# logs one more call, and answers the host's next pull. Prints one JSON line
# per trial with the log_read answers the pull gets ({from_seq: [hex, reply]});
# tests/firmware/test_log_tamper.py runs the host's real pull over them.
import json
import os
import struct
import sys

import vfs
from binascii import crc32, hexlify

from ringcue_core import codes, logfmt
from ringcue_fw import flashlog

BS = 512
NB = 96
N = 36  # calls, every other one with a hang-up: 55 records, mostly compact
REBOOT = 22  # before this call: a boot record, mid-segment
PULLED = 4
SEG = 256  # 3 segments
CHUNK = 4096  # the host's max_bytes


class RAM:
    def __init__(s, data=None):
        s.d = bytearray(data) if data else bytearray(b"\xff" * (BS * NB))

    def readblocks(s, b, buf, off=0):
        a = b * BS + off
        buf[:] = s.d[a:a + len(buf)]

    def writeblocks(s, b, buf, off=None):
        if off is None:
            for i in range(len(buf) // BS):
                s.ioctl(6, b + i)
            off = 0
        a = b * BS + off
        s.d[a:a + len(buf)] = buf

    def ioctl(s, op, arg):
        if op == 6:
            s.d[arg * BS:(arg + 1) * BS] = b"\xff" * BS
            return 0
        return {4: NB, 5: BS}.get(op, 0)


def call(i):
    return logfmt.call_payload(1 + i % 6, 0x11, 1000 + i, "uk")


dev = RAM()
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/p")
L = flashlog.FlashLog(1, root="/p/log", seg_bytes=SEG, max_segs=8)
t0 = 0
for i in range(N):
    if i == REBOOT:
        L.flush()
        L = flashlog.FlashLog(2, root="/p/log", seg_bytes=SEG, max_segs=8)
        t0 = 300 - i * 1000
        L.append(codes.REC_BOOT, 300, b"build0000000" + b"1.0")
    L.append(codes.REC_CALL, t0 + i * 1000, call(i))
    if i % 2:
        L.append(codes.REC_HANGUP, t0 + i * 1000 + 400, struct.pack("<II", L.last_call_seq, 400))
    if i % 5 == 4 or i == N - 1:
        L.flush()
segs = ["/log/" + n for n in sorted(os.listdir("/p/log")) if n.endswith(".seg")]
files = {}
spans = []  # (segment path, start, end, seq) of every record as stored
full = {}  # seq: the record's full form (what the host stores)
for p in segs:
    with open("/p" + p, "rb") as f:
        files[p] = f.read()
    off = 0
    r = None
    while off < len(files[p]):
        r = logfmt.parse_one(files[p], off, r)
        spans.append((p, off, r[6], r[1]))
        full[r[1]] = hexlify(r[7]).decode()
        off = r[6]
vfs.umount("/p")
pristine = bytes(dev.d)
print(json.dumps({"n": L.next_seq - 1, "pulled": PULLED, "segments": len(segs),
                  "records": [[s, p, a, b] for p, a, b, s in spans], "full": full,
                  "raw": {p: hexlify(d).decode() for p, d in files.items()}}))


def pull_answers(log):
    """What log_read answers (commands.do_log_read) from the host's resume point."""
    out = {}
    frm = PULLED + 1
    while True:
        log.flush()
        data, n, nxt = log.read(frm, CHUNK, True)  # as the host asks: format 2
        out[frm] = [hexlify(data).decode(),
                    {"n": n, "bytes": len(data), "crc": crc32(data) & 0xFFFFFFFF, "next": nxt,
                     "first_seq": log.first_seq(), "end_seq": log.next_seq,
                     "committed": log.committed}]
        if not n or nxt >= log.next_seq:
            return out
        frm = nxt


def tamper(path, new):
    """Replace a segment's bytes (None: delete it), through the filesystem."""
    if new is None:
        os.remove("/t" + path)
    else:
        with open("/t" + path, "wb") as f:
            f.write(new)


def trial(kind, at, path, new, boot):
    d = RAM(pristine)
    vfs.mount(vfs.VfsLfs2(d), "/t")
    try:
        log = None if boot else flashlog.FlashLog(3, root="/t/log", seg_bytes=SEG, max_segs=8)
        tamper(path, new)
        if boot:
            log = flashlog.FlashLog(3, root="/t/log", seg_bytes=SEG, max_segs=8)
        log.append(codes.REC_CALL, 99000, call(99))  # the board goes on logging
        res = {"kind": kind, "at": at, "boot": boot, "lost": log.lost,
               "answers": pull_answers(log)}
    except Exception as e:
        res = {"kind": kind, "at": at, "boot": boot, "crash": repr(e)}
    vfs.umount("/t")
    print(json.dumps(res))


which = sys.argv[1] if len(sys.argv) > 1 else "all"
for boot in (True, False):
    trial("none", [], segs[0], files[segs[0]], boot)  # control: no change
    for p, a, b, seq in spans:
        if seq <= PULLED:
            continue
        data = files[p]
        if which in ("all", "flip"):
            for i in range(a, b):  # every byte of the record, two ways
                for x in (0x01, 0xFF):
                    m = bytearray(data)
                    m[i] ^= x
                    trial("flip", [seq, i - a, x], p, bytes(m), boot)
        if which in ("all", "cut"):
            for i in range(a, b):  # the segment cut at every byte of the record
                trial("truncate", [seq, i - a], p, data[:i], boot)
            trial("delete", [seq], p, data[:a] + data[b:], boot)  # the record cut out
    if which in ("all", "cut"):
        for p in segs:
            trial("delete_segment", [p], p, None, boot)
