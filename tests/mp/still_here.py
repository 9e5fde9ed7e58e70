# Runs inside MicroPython: the real FlashLog on littlefs through a month of
# silence in virtual time. A call, then 30 days in which nothing happens but
# the app's watchdog task calling log.tick() once a minute (as App._watchdog
# does), then a call and the host's time sync. The ticks start near their
# wrap and turn 2.4 times. Prints the log as log_read (format 2) answers it,
# and the virtual ms (never wrapping) of each call and of the sync.
import json
import struct

from binascii import hexlify

from ringcue_core import codes, logfmt
from ringcue_fw import flashlog

from ramdisk import RAM, mount  # tests/mp/ramdisk.py, beside this script

MASK = 0x3FFFFFFF


dev = mount(RAM(128))
now = 0x3FF00000  # virtual ms, unwrapped; the board sees now & MASK
L = flashlog.FlashLog(1, root="/m/log", seg_bytes=2048, max_segs=8)
L.append(codes.REC_BOOT, now & MASK, b"build0000000" + b"1.0")
calls = []


def call():
    calls.append(now)
    L.append(codes.REC_CALL, now & MASK, logfmt.call_payload(2, 0x11, 4000, "uk"))
    L.append(codes.REC_HANGUP, (now + 30000) & MASK, struct.pack("<II", L.last_call_seq, 30000))
    L.flush()


now += 3600000
call()
now += 120000
call()
for _ in range(30 * 1440):  # a month, the watchdog's once-a-minute idle check
    now += 60000
    L.tick(now & MASK)
    if L.pending:
        L.flush()
now += 60000
call()
now += 90000
sync = now
L.append(codes.REC_TIME_SYNC, now & MASK, struct.pack("<Q", 1764547200000))
L.flush()
data, n, nxt = L.read(1, 1 << 20, True)
print(json.dumps({"data": hexlify(data).decode(), "calls": calls, "sync": sync,
                  "sync_unix_ms": 1764547200000, "n": n}))
