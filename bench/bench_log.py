"""Log benchmark: pull throughput at 115200 baud beside `mpremote fs cp` of
the same log files in the same run, the time to pull a desk's year, and the
flash written per call.

    .venv/bin/python bench/bench_log.py
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ringcue.sim import ringgen
from ringcue.board.client import BoardClient
from ringcue.board.devicefs import DeviceFS
from ringcue.board.flash import flash
from ringcue.store.pull import pull
from ringcue.sim.vboard import VirtualBoard
from ringcue.store.sqlite import Store

console = Console(width=110)
BAUD = 115200
LINE_RATE = BAUD / 10  # bytes/s with 8N1 framing
YEAR_CALLS = 50_000


def fill_log(port, n):
    """Append n call records through the firmware's own FlashLog (firmware
    stopped), then restart it: a full log in seconds instead of hours."""
    code = f"""
import sys
sys.path.insert(0, '/fw/' + open('/fw/current').read().strip())
from ringcue_fw.flashlog import FlashLog
from ringcue_core import codes, logfmt
L = FlashLog(1)
for i in range({n}):
    L.append(codes.REC_CALL, i * 7000, logfmt.call_payload(1 + i % 5, 0x11, 2500 + i % 9000, 'uk'))
    if i % 64 == 63:
        L.flush()
L.flush()
print(L.next_seq)
"""
    with DeviceFS(port) as dev:
        dev.enter()
        dev.exec(code)
        segs = dev.eval_json("sorted(e[0] for e in os.ilistdir('/log'))")
        size = dev.eval_json("sum(os.stat('/log/' + n)[6] for n in os.listdir('/log'))")
        dev.soft_reset()
    return segs, size


def main():
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        vb = VirtualBoard(tmp / "b", name="bench").start()
        time.sleep(0.3)
        flash(vb.port, "sim", {"profile": "uk"})
        assert vb.wait_ready()
        # flash written per call, in the firmware's normal batching
        w0 = vb.flash_bytes_written
        e0 = vb.flash_erases
        n_calls = 200
        for i in range(n_calls):
            ev, _ = ringgen.call_events("uk", 1 + i % 4, answer_ring=(2 if i % 3 == 0 else None),
                                        talk_s=2, seed=i)
            vb.play(ev, tail_ms=6500)
        per_call = (vb.flash_bytes_written - w0) / n_calls
        erases = (vb.flash_erases - e0) / n_calls
        vb.stop()
        # a full log, then pull it at 115200 baud
        vb = VirtualBoard(tmp / "b", name="bench", baud=BAUD).start()
        assert vb.wait_ready()
        segs, size = fill_log(vb.port, 4400)
        assert vb.wait_ready()
        store = Store(tmp / "store.db")
        with BoardClient.open(vb.port) as b:
            b.call("hello", timeout=5)
            t0 = time.perf_counter()
            res = pull(b, store, sync_clock=False)
            t_pull = time.perf_counter() - t0
        store.close()
        rate = res.bytes / t_pull
        # mpremote fs cp of the same segment files, same board, same line
        out = tmp / "cp"
        out.mkdir()
        mp = str(Path(sys.executable).parent / "mpremote")
        t0 = time.perf_counter()
        args = [mp, "connect", vb.port, "fs", "cp"] + [f":/log/{s}" for s in segs] + [str(out) + "/"]
        p = subprocess.run(args, capture_output=True, text=True, timeout=900)
        t_cp = time.perf_counter() - t0
        assert p.returncode == 0, p.stderr
        cp_bytes = sum(f.stat().st_size for f in out.iterdir())
        vb.stop()
    cp_rate = cp_bytes / t_cp
    t = Table(title=f"Log pull at {BAUD} baud (virtual board throttled like a UART bridge)")
    for c in ("method", "bytes", "seconds", "bytes/s", "of line rate", "vs mpremote"):
        t.add_column(c, justify="right")
    t.add_row("ringcue logs pull", f"{res.bytes:,}", f"{t_pull:.1f}", f"{rate:,.0f}",
              f"{rate / LINE_RATE:.0%}", f"{rate / cp_rate:.1f}x")
    t.add_row("mpremote fs cp", f"{cp_bytes:,}", f"{t_cp:.1f}", f"{cp_rate:,.0f}",
              f"{cp_rate / LINE_RATE:.0%}", "1.0x")
    console.print(t)
    console.print(f"target: ≥ 85 % of the line rate ({LINE_RATE:,.0f} B/s) — "
                  f"{'met ✓' if rate >= 0.85 * LINE_RATE else 'NOT met ✗'}; pulled {res.new} "
                  f"records, {len(res.gaps)} gaps, {len(res.chain_breaks)} chain breaks")
    rec = res.bytes / max(1, res.new)
    t = Table(title="A desk's year and flash wear")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("bytes per call record", f"{rec:.0f}")
    t.add_row(f"pull {YEAR_CALLS:,} calls at {BAUD}", f"{YEAR_CALLS * rec / rate:.0f} s")
    t.add_row(f"board log capacity (8 × 16 KB segments)", f"{int(131072 / rec):,} calls")
    t.add_row("flash bytes programmed per call (littlefs included)", f"{per_call:,.0f}")
    t.add_row("4 KB blocks erased per call", f"{erases:.2f}")
    console.print(t)


if __name__ == "__main__":
    main()
