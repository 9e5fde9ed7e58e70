"""Flash benchmark at 115200 baud on the virtual board: a full `ringcue flash`
and a no-change re-flash, beside `mpremote fs cp -r` of the same compiled
files in the same run.

    .venv/bin/python bench/bench_flash.py
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ringcue.board.flash import build_firmware, confirm, flash
from ringcue.sim.vboard import VirtualBoard

BAUD = 115200


def _flash_and_confirm(port):
    t0 = time.perf_counter()
    r = flash(port, "sim")
    confirm(port, r.build)
    return time.perf_counter() - t0, r


def main():
    console = Console(width=100)
    mp = str(Path(sys.executable).parent / "mpremote")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        os.environ["RINGCUE_HOME"] = str(tmp / "home")  # an empty build cache
        with VirtualBoard(tmp / "a", name="a", baud=BAUD) as vb:
            time.sleep(0.3)
            t_cold, r = _flash_and_confirm(vb.port)  # compiles with mpy-cross
            assert not r.up_to_date
            t_same, r2 = _flash_and_confirm(vb.port)
            assert r2.up_to_date and r2.bytes_sent == 0
        with VirtualBoard(tmp / "a2", name="a2", baud=BAUD) as vb:
            time.sleep(0.3)
            t_full, r3 = _flash_and_confirm(vb.port)  # the build is cached now
            assert not r3.up_to_date
        files = build_firmware("sim")
        src = tmp / "files"
        for p, data in files.items():
            (src / p).parent.mkdir(parents=True, exist_ok=True)
            (src / p).write_bytes(data)
        with VirtualBoard(tmp / "b", name="b", baud=BAUD) as vb:
            time.sleep(0.3)
            t0 = time.perf_counter()
            p = subprocess.run([mp, "connect", vb.port, "fs", "cp", "-r"]
                               + [str(src / x) for x in sorted({k.split("/")[0] for k in files})]
                               + [":"], capture_output=True, text=True, timeout=600)
            t_cp = time.perf_counter() - t0
            assert p.returncode == 0, p.stderr
            t0 = time.perf_counter()
            p = subprocess.run([mp, "connect", vb.port, "fs", "cp", "-r"]
                               + [str(src / x) for x in sorted({k.split("/")[0] for k in files})]
                               + [":"], capture_output=True, text=True, timeout=600)
            t_cp2 = time.perf_counter() - t0
    total = sum(len(x) for x in files.values())
    t = Table(title=f"Flashing {len(files)} files ({total / 1024:.1f} KB) at {BAUD} baud")
    for c in ("", "ringcue flash", "mpremote fs cp -r", "ratio", "target"):
        t.add_column(c, justify="right")
    for name, tf in (("full, compiling", t_cold), ("full, build cached", t_full)):
        t.add_row(name, f"{tf:.2f} s", f"{t_cp:.2f} s", f"{tf / t_cp:.2f}x",
                  f"≤ 0.5x {'✓' if tf <= 0.5 * t_cp else '✗'}")
    t.add_row("no change", f"{t_same:.2f} s", f"{t_cp2:.2f} s", f"{t_same / t_cp2:.2f}x",
              f"≤ 1 s {'✓' if t_same <= 1 else '✗'}")
    console.print(t)
    console.print(f"[dim]{r.bytes_sent:,} bytes on the line for the full flash (compressed). "
                  "ringcue's times include verifying every file by sha256 on the board, the "
                  "atomic switch, the restart and the check that the new firmware answers "
                  "(and, on the first row, compiling with mpy-cross); mpremote's only the "
                  "copy.[/dim]")


if __name__ == "__main__":
    main()
