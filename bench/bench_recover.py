"""A lost log record hides only itself (issue #15): records lost per changed
byte, and what reading a year's log costs, for this tree and (--against) an
older one, in the same run.

    .venv/bin/python bench/bench_recover.py [--against main~3]

* Records lost per changed byte: tests/mp/flashlog_tamper.py (every byte of
  every unpulled record changed two ways, on the real FlashLog and littlefs
  in MicroPython, the board rebooted or still running), each trial pulled by
  this tree's host into a store; lost = the log's records the store lacks.
* A year's log (36,500 answered calls with hang-ups, 73,000 records, stored
  compact in 16 KB segments as on a Pico): read by the board's FlashLog.read
  in 4 KB answers as a pull asks (MicroPython unix port, wall s, best of 3),
  and those answers decoded by the host's parse_chunk (CPU s, best of 3);
  intact, and with one byte changed (the boot's high byte) in the first
  record of every 8th segment.
"""

import argparse
import collections
import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ringcue.paths import micropython_exe
from ringcue_core import codes, logfmt

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "firmware")]
YEAR_CALLS = 36_500
SEG = 4 * 4096 - 16  # a Pico's segment (flashlog: 4 blocks less littlefs' pointers)


def tree(ref, tmp):
    """The firmware folder of git ref `ref` (None: this tree)."""
    if ref is None:
        return ROOT / "firmware"
    out = Path(tmp) / "old"
    out.mkdir()
    arch = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "firmware"],
                          capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=arch, check=True)
    return out / "firmware"


def lost_per_byte(fw):
    from test_log_tamper import RecordedBoard  # the recorded board of the tamper test
    from ringcue.store.pull import parse_chunk, pull
    from ringcue.store.sqlite import Store

    p = subprocess.run([micropython_exe(), "-X", "heapsize=32m",
                        str(ROOT / "tests" / "mp" / "flashlog_tamper.py"), "flip"],
                       env=dict(os.environ, MICROPYPATH=str(fw)), capture_output=True,
                       text=True, timeout=900, check=True)
    lines = p.stdout.splitlines()
    head = json.loads(lines[0])
    original = {int(s): bytes.fromhex(h) for s, h in head["full"].items()}
    pulled, n = head["pulled"], head["n"]
    first = parse_chunk(b"".join(original[s] for s in range(1, pulled + 1)))
    hist = collections.Counter()
    for line in lines[1:]:
        t = json.loads(line)
        if t["kind"] != "flip":
            continue
        st = Store(":memory:")
        st.touch_device("tamper", "sim", "lab", "t")
        st.add_chunk("tamper", "lab", first, [], pulled, first[-1]["link"])
        pull(RecordedBoard(t["answers"]), st, sync_clock=False)
        kept = {s for (s,) in st.db.execute("SELECT seq FROM records")}
        st.close()
        hist[sum(1 for s in range(pulled + 1, n + 1) if s not in kept)] += 1
    return hist


def year_log(folder):
    """A year of one desk as segment files (this tree's writer: the format
    both trees read)."""
    prev, seq, seg, ctx, data = logfmt.GENESIS, 0, None, None, b""
    t = 5000

    def add(rtype, ticks, payload):
        nonlocal prev, seq, seg, ctx, data
        seq += 1
        rec = logfmt.encode(rtype, seq, 1, ticks & 0x3FFFFFFF, prev, payload)
        prev = logfmt.link(rec)
        c = logfmt.compact(rec, ctx) or rec
        if seg is None or len(data) + len(c) > SEG:
            if seg is not None:
                (folder / ("%08d.seg" % seg)).write_bytes(data)
            seg, data, c = seq, b"", rec
        data += c
        ctx = logfmt.parse_one(rec, 0)

    for i in range(YEAR_CALLS):
        t += 200_000 + i % 7 * 60_000
        add(codes.REC_CALL, t, logfmt.call_payload(2 + i % 3, 0x11, 4000 + i % 5000, "uk"))
        add(codes.REC_HANGUP, t + 95_000, struct.pack("<II", seq, 95_000))
        t += 95_000
    (folder / ("%08d.seg" % seg)).write_bytes(data)
    return seq


_READ = """
import sys, time
from ringcue_fw.flashlog import FlashLog
L = FlashLog(1, root=sys.argv[1], seg_bytes=%d, max_segs=200)
best = 1e9
for _ in range(3):
    out = open(sys.argv[2], 'wb')
    t0 = time.ticks_ms()
    frm = 1
    n = 0
    while frm < L.next_seq:
        data, k, frm = L.read(frm, 4096, True)
        out.write(len(data).to_bytes(4, 'little'))
        out.write(data)
        n += k
    best = min(best, time.ticks_diff(time.ticks_ms(), t0) / 1000)
    out.close()
print(n, best)
""" % SEG

_DECODE = """
import sys, time
from ringcue.store.pull import parse_chunk
import ringcue_core.logfmt as L
assert L.__file__.startswith(sys.argv[2]), L.__file__
raw = open(sys.argv[1], 'rb').read()
chunks, off = [], 0
while off < len(raw):
    k = int.from_bytes(raw[off:off + 4], 'little')
    chunks.append(raw[off + 4:off + 4 + k])
    off += 4 + k
best = 1e9
for _ in range(3):
    t0 = time.process_time()
    n = sum(len(parse_chunk(c)) for c in chunks)
    best = min(best, time.process_time() - t0)
print(n, best)
"""


def year_read(fw, folder, tmp):
    """(records, board s, host CPU s) for the year through firmware `fw`."""
    answers = Path(tmp) / "answers.bin"
    script = Path(tmp) / "read_year.py"
    script.write_text(_READ)
    b = subprocess.run([micropython_exe(), "-X", "heapsize=8m", str(script), str(folder),
                        str(answers)], env=dict(os.environ, MICROPYPATH=str(fw)),
                       capture_output=True, text=True, timeout=1800, check=True)
    n, board_s = b.stdout.split()
    h = subprocess.run([sys.executable, "-c", _DECODE, str(answers), str(fw)],
                       env=dict(os.environ, PYTHONPATH=str(fw)), capture_output=True,
                       text=True, timeout=1800, check=True)
    m, host_s = h.stdout.split()
    assert int(m) == int(n), (m, n)
    return int(n), float(board_s), float(host_s), answers.stat().st_size


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", metavar="REF", help="also measure the firmware of this git ref")
    a = ap.parse_args()
    con = Console(width=120)
    with tempfile.TemporaryDirectory() as tmp:
        trees = [("this tree", tree(None, tmp))]
        if a.against:
            trees.insert(0, (a.against, tree(a.against, tmp)))
        year = Path(tmp) / "year"
        year.mkdir()
        n = year_log(year)
        t = Table(title="Records lost per changed byte (tests/mp/flashlog_tamper.py flips, "
                        "both boot modes)", title_justify="left")
        for c in ("firmware", "changed bytes", "lost: mean", "max", "trials by records lost"):
            t.add_column(c, justify="right")
        for name, fw in trees:
            h = lost_per_byte(fw)
            k = sum(h.values())
            t.add_row(name, f"{k:,}", f"{sum(x * c for x, c in h.items()) / k:.2f}",
                      str(max(h)), ", ".join(f"{x}: {c}" for x, c in sorted(h.items())))
        con.print(t)
        t = Table(title=f"Reading a year ({n:,} records, {len(list(year.iterdir()))} segments)",
                  title_justify="left")
        for c in ("log", "firmware", "records read", "bytes sent", "board read s (unix port)",
                  "host decode CPU s"):
            t.add_column(c, justify="right")
        bad = Path(tmp) / "bad"
        bad.mkdir()
        for i, p in enumerate(sorted(year.iterdir())):
            data = bytearray(p.read_bytes())
            if i % 8 == 7:
                data[8] ^= 0xFF  # the first record's boot, high byte
            (bad / p.name).write_bytes(bytes(data))
        for log, folder in (("intact", year), ("8 bad segment starts", bad)):
            runs = {}
            for name, fw in trees * 2:  # in turn, twice: the best of each (a shared machine)
                r = year_read(fw, folder, tmp)
                runs[name] = min(runs.get(name, r), r, key=lambda x: x[1] + x[2])
            for name, (got, board_s, host_s, size) in runs.items():
                t.add_row(log, name, f"{got:,}", f"{size:,}", f"{board_s:.2f}", f"{host_s:.2f}")
        con.print(t)


if __name__ == "__main__":
    main()
