"""Serial soak: 100,000 fuzzed request lines (unique unknown commands,
over-long names, deep JSON, random bytes...) into a virtual board at the
Pico's and the ESP32-C3's heap budgets while calls ring. Prints the heap
after a collection along the way (`status` every 5,000 lines), resets, and
whether the calls rung during the fuzz were logged as rung. The suite runs
the same soak with 6,000 lines (tests/e2e/test_serial_soak.py).

    .venv/bin/python bench/bench_soak.py [--lines 100000] [--board pico]
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "firmware"), str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ringcue.board.flash import flash  # noqa: E402
from ringcue.sim.vboard import VirtualBoard  # noqa: E402
from serial_soak import expected_calls, soak  # noqa: E402
from targets import TARGETS  # noqa: E402

console = Console(width=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--board", choices=sorted(TARGETS), action="append")
    a = ap.parse_args()
    t = Table(title=f"Serial soak: {a.lines:,} fuzzed lines while 5 calls ring")
    for c in ("board", "heap", "lines answered", "seconds", "mem_alloc first/min/max/end",
              "drift", "resets", "calls logged right"):
        t.add_column(c, justify="right")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        g = Path(tmp) / "golden"
        with VirtualBoard(g, name="golden") as vb:
            flash(vb.port, "sim")
        for name in a.board or sorted(TARGETS):
            d = Path(tmp) / name
            d.mkdir()
            shutil.copy(g / "flash.img", d / "flash.img")
            heap = TARGETS[name]["heap"]
            with VirtualBoard(d, name=f"soak-{name}", heapsize=heap) as vb:
                assert vb.wait_ready()
                r = soak(vb, a.lines, sample_every=5000,
                         progress=lambda i, n: i % max(1, n // 10) or console.print(
                             f"{name}: {i * 100 // n} %"))
            m = [x for _, x in r["mem"]]
            right = r["calls"] == expected_calls()
            ok &= right and not r["resets"] and r["replies"] == r["lines"]
            t.add_row(name, heap, f"{r['replies']:,}/{r['lines']:,}", f"{r['seconds']:.0f}",
                      f"{m[0]:,}/{min(m):,}/{max(m):,}/{r['mem_end']:,}",
                      f"{max(m) - min(m):,} B", str(len(r["resets"])),
                      "yes" if right else f"no: {r['calls']}")
    console.print(t)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
