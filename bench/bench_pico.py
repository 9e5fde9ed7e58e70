"""The emulated Pico (MicroPython's own RPI_PICO firmware on rp2040js) beside
the unix-port virtual board, in the same run: boot time, free heap after
boot, heap through a call soak, full and no-change flash, log pull rate.

    .venv/bin/python bench/bench_pico.py [--calls 1000]

Needs Node.js, rp2040js (make setup) and $RINGCUE_PICO_FIRMWARE /
$RINGCUE_RP2040_BOOTROM (../shared/firmware); without them it says so and
measures the unix board only. Wall times on the emulator depend on this
machine's speed (busy code runs at a fraction of real time); heap figures
are the rp2 port's own.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "firmware")]

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ringcue.sim import ringgen  # noqa: E402
from ringcue.board.client import BoardClient  # noqa: E402
from ringcue.board.flash import flash  # noqa: E402
from ringcue.store.pull import pull  # noqa: E402
from ringcue.sim.vboard import VirtualBoard  # noqa: E402
from ringcue.store.sqlite import Store  # noqa: E402

console = Console(width=110)
END_MS = 8500  # an unanswered call ends 8 s after its last ring, then some


def make_board(kind, d):
    if kind == "pico":
        from ringcue.sim.vpico import VirtualPico

        return VirtualPico(d, name="bench-pico")
    return VirtualBoard(d, name="bench-sim")


def status(port):
    with BoardClient.open(port) as b:
        return b.call("status", timeout=30)


def measure(kind, tmp, calls):
    r = {}
    vb = make_board(kind, tmp / kind).start()
    try:
        vb.wait_ready(60)
        t0 = time.monotonic()
        flash(vb.port, kind)
        r["flash full s"] = time.monotonic() - t0
        assert vb.wait_ready(60)
        t0 = time.monotonic()
        res = flash(vb.port, kind)
        r["flash no-change s"] = time.monotonic() - t0
        assert res.up_to_date or not res.uploaded
        # boot: from power-on to the firmware answering
        vb.power_cycle()
        t0 = time.monotonic()
        assert vb.wait_ready(120)
        with BoardClient.open(vb.port) as b:
            b.call("hello", timeout=30)
            r["boot s (wall)"] = time.monotonic() - t0
            st = b.call("status", timeout=30)
        r["mem_free after boot"] = st["mem_free"]
        r["mem_alloc after boot"] = st["mem_alloc"]
        samples = []
        t0 = time.monotonic()
        for i in range(calls):
            ev, _ = ringgen.call_events("uk", 1 + i % 3, answer_ring=(1 if i % 3 == 0 else None),
                                        talk_s=1, seed=i)
            assert vb.play(ev, tail_ms=END_MS, timeout=300), "board stopped"
            if (i + 1) % max(1, calls // 5) == 0:
                st = status(vb.port)
                samples.append((i + 1, st["calls"], st["mem_alloc"], st["mem_free"]))
        r["soak s"] = time.monotonic() - t0
        r["samples"] = samples
        with BoardClient.open(vb.port) as b:
            store = Store(tmp / f"{kind}.db")
            try:
                res = pull(b, store)
            finally:
                store.close()
        r["pull calls"] = res.calls
        r["pull bytes"] = res.bytes
        r["pull s"] = res.seconds
    finally:
        vb.stop()
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1000)
    args = ap.parse_args()
    kinds = ["sim"]
    try:
        from ringcue.sim import vpico

        vpico.check_available()
        kinds.append("pico")
    except vpico.PicoUnavailable as e:
        console.print(f"[yellow]emulated Pico skipped: {e}[/yellow]")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        res = {k: measure(k, tmp, args.calls) for k in kinds}
    t = Table(title=f"Emulated Pico (real rp2 port) beside the unix virtual board, "
                    f"{args.calls}-call soak")
    t.add_column("")
    for k in kinds:
        t.add_column({"sim": "unix board", "pico": "emulated Pico"}[k], justify="right")
    rows = [
        ("boot to first reply (s, wall)", lambda r: f"{r['boot s (wall)']:.2f}"),
        ("gc.mem_free() after boot (B)", lambda r: f"{r['mem_free after boot']:,}"),
        ("gc.mem_alloc() after boot (B)", lambda r: f"{r['mem_alloc after boot']:,}"),
        ("full flash (s)", lambda r: f"{r['flash full s']:.1f}"),
        ("no-change re-flash (s)", lambda r: f"{r['flash no-change s']:.1f}"),
        ("soak wall time (s)", lambda r: f"{r['soak s']:.0f}"),
        ("log pull (calls)", lambda r: f"{r['pull calls']:,}"),
        ("log pull rate (KB/s)", lambda r: f"{r['pull bytes'] / max(r['pull s'], 1e-9) / 1024:.1f}"),
        ("log pull rate (calls/s)", lambda r: f"{r['pull calls'] / max(r['pull s'], 1e-9):.0f}"),
    ]
    for name, f in rows:
        t.add_row(name, *(f(res[k]) for k in kinds))
    console.print(t)
    for k in kinds:
        s = Table(title=f"Heap through the soak: {k} (status: gc.collect() then mem_alloc)")
        for c in ("calls rung", "calls logged", "mem_alloc (B)", "mem_free (B)"):
            s.add_column(c, justify="right")
        for n, c, a, f in res[k]["samples"]:
            s.add_row(str(n), str(c), f"{a:,}", f"{f:,}")
        console.print(s)
        a = [x[2] for x in res[k]["samples"]]
        growth = a[-1] - a[0] if a else 0
        console.print(f"{k}: growth from first to last sample {growth} B "
                      f"({'flat ✓' if growth <= 64 else 'GROWS ✗'})")


if __name__ == "__main__":
    main()
