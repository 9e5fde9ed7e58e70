# Runs inside MicroPython: a log written by the v1 firmware (sys.argv[1]: its
# folder, tests/firmware/data/log_v1) copied onto littlefs, opened by today's
# FlashLog as a booting board would, read as the host reads it (full and
# format 2), then written to (compact records after v1 ones) and read again.
# Prints one JSON line.
import json
import os
import struct
import sys

from binascii import hexlify

from ringcue_core import codes, logfmt
from ringcue_fw import flashlog

from ramdisk import RAM, mount  # tests/mp/ramdisk.py, beside this script


dev = mount(RAM(128))
os.mkdir("/m/log")
src = sys.argv[1]
for n in os.listdir(src):
    if n.endswith(".seg") or n == "committed.json":
        with open(src + "/" + n, "rb") as f, open("/m/log/" + n, "wb") as g:
            g.write(f.read())


def read_all(log, compact):
    out = []
    frm = 1
    while True:
        data, n, nxt = log.read(frm, 512, compact)
        if not n:
            return out
        out.append(hexlify(data).decode())
        frm = nxt


L = flashlog.FlashLog(8, root="/m/log", seg_bytes=1024, max_segs=8)
res = {"next_seq": L.next_seq, "committed": L.committed, "calls": L.calls, "torn": L.torn,
       "lost": L.lost, "full": read_all(L, False), "compact": read_all(L, True)}
L.append(codes.REC_BOOT, 5, b"newbuild1234" + b"1.0")
L.append(codes.REC_CALL, 1000, logfmt.call_payload(2, 0x11, 5000, "uk"))
L.append(codes.REC_HANGUP, 56000, struct.pack("<II", L.last_call_seq, 55000))
L.flush()
res["after"] = read_all(L, True)
res["files"] = sorted(os.listdir("/m/log"))
res["stored"] = L.bytes
print(json.dumps(res))
