# Runs inside MicroPython: a segment that ends in a torn record (a write cut
# short on a filesystem without littlefs' guarantees, or a corrupted tail).
import json


from ringcue_core import codes, logfmt
from ringcue_fw import flashlog

from ramdisk import RAM, mount  # tests/mp/ramdisk.py, beside this script


dev = mount(RAM(64, fill=0))
L = flashlog.FlashLog(1, root="/m/log")
for i in range(10):
    L.append(codes.REC_CALL, i, logfmt.call_payload(2, 0x11, 100, "uk"))
L.flush()
whole = L.read(1, 10000)[0]
with open("/m/log/00000001.seg", "ab") as f:  # half of an 11th record, then garbage
    f.write(logfmt.encode(codes.REC_CALL, 11, 1, 11, L.prev, b"1234567")[:15])
L2 = flashlog.FlashLog(2, root="/m/log")
kept = L2.read(1, 10000)[0]
seq = L2.append(codes.REC_CALL, 12, logfmt.call_payload(3, 0x11, 100, "uk"))
L2.flush()
after = L2.read(1, 10000)
print(json.dumps({"kept_all": kept == whole, "torn": L2.torn, "next_seq": seq,
                  "segments": L2.stats()["segments"], "records_after": after[1]}))
