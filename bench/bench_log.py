"""Log benchmark, all in one run: today's 4,000-call pull at 115200 baud
beside `mpremote fs cp` of the same files; a year of one desk's calls
(36,500 answered, with hang-ups) written through the firmware's FlashLog on a
Pico-sized flash, pulled at 115200 baud, and booted with; the log's capacity
on a Pico and an ESP32-C3 (filled until it rotates), and again after one and
two firmware updates; flash wear per call with the log empty and full.

    .venv/bin/python bench/bench_log.py
"""

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
from ringcue.board.flash import build_firmware, flash
from ringcue.store.pull import pull
from ringcue.sim.vboard import VirtualBoard
from ringcue.store.sqlite import Store
from ringcue.paths import micropython_exe, mp_env

HERE = Path(__file__).resolve().parent
console = Console(width=110)
BAUD = 115200
LINE_RATE = BAUD / 10  # bytes/s with 8N1 framing
YEAR_CALLS = 36_500  # a year at 100 answered calls a day, hook sense wired
PICO_KB = 1408  # littlefs on a Pico (RPI_PICO: 2 MB flash less 640 KB of firmware)
ESP32C3_KB = 2048  # the vfs partition of MicroPython's 4 MB ESP32-C3 builds

_ON_BOARD = """
import sys, struct
sys.path.insert(0, '/fw/' + open('/fw/current').read().strip())
from ringcue_fw.flashlog import FlashLog
from ringcue_core import codes, logfmt
"""


def fill_log(port, n):
    """A v1 log as today's firmware (before compact records) left it: n full
    32-byte call records in 16 KB segments (firmware stopped)."""
    code = _ON_BOARD + """
import os
for n in os.listdir('/log'):
    os.remove('/log/' + n)
prev = logfmt.GENESIS
seg = None
size = 16384

def fill(a, b):
    global prev, seg, size
    for i in range(a, b):
        rec = logfmt.encode(codes.REC_CALL, i + 1, 1, i * 7000, prev,
                            logfmt.call_payload(1 + i % 5, 0x11, 2500 + i % 9000, 'uk'))
        prev = logfmt.link(rec)
        if size + len(rec) > 16384:
            seg = '/log/%08d.seg' % (i + 1)
            size = 0
        with open(seg, 'ab') as f:
            f.write(rec)
        size += len(rec)
"""
    with DeviceFS(port) as dev:
        dev.enter()
        dev.exec(code)
        for a in range(0, n, 250):
            dev.exec(f"fill({a}, {min(n, a + 250)})")
        dev.exec(f"open('/log/%08d.%d' % ({n}, {n}), 'w').close()")  # the mark: n calls
        segs = dev.eval_json("sorted(e[0] for e in os.ilistdir('/log') if e[0].endswith('.seg'))")
        size = dev.eval_json("sum(os.stat('/log/' + n)[6] for n in os.listdir('/log'))")
        dev.soft_reset()
    return segs, size


def fill_year(port, n, until_full=False):
    """Append n answered calls, each with its hang-up, through the firmware's
    own FlashLog sized from the board's flash (firmware stopped): a call
    every 10 minutes of ticks. until_full: go on until the oldest segment
    rotates out (the next rotation, in a log that has rotated already).
    Returns the log's figures."""
    code = _ON_BOARD + """
L = FlashLog(1)
f0 = L.first_seq()
t = 0
k = 0

def fill(m, until_full):
    global t, k
    for _ in range(m):
        if until_full and L.first_seq() != f0:
            break
        t = (t + 600000) & 0x3FFFFFFF
        L.append(codes.REC_CALL, t, logfmt.call_payload(2 + k % 3, 0x11 | (k % 2) << 4,
                 5000 + k % 9000, 'uk'))
        L.append(codes.REC_HANGUP, (t + 95000) & 0x3FFFFFFF,
                 struct.pack('<II', L.last_call_seq, 95000))
        k += 1
        if k % 16 == 0:
            L.flush()
    L.flush()
    return k
"""
    with DeviceFS(port) as dev:
        dev.enter()
        dev.exec(code)
        done = 0
        while (done < n or until_full) and not (until_full and done and
                                                 dev.eval_json("L.first_seq() != f0")):
            m = min(500, n - done) if not until_full else 500
            done = dev.eval_json(f"fill({m}, {until_full})")
        dev.exec("st = L.stats()\nst['appended'] = k\nst['calls'] = L.calls\n"
                 "st['max_segs'] = L.max_segs\nst['seg_bytes'] = L.seg_bytes\n"
                 "st['held'] = (L.next_seq - L.first_seq()) // 2\n"
                 "st['log_bytes'] = sum(os.stat('/log/' + n)[6] for n in os.listdir('/log') "
                 "if n.endswith('.seg'))")
        st = dev.eval_json("st")
        st["free_after"] = dev.eval_json("os.statvfs('/')[0] * os.statvfs('/')[3]")
        dev.soft_reset()
    return st


def wear(vb, n_calls=200):
    """Flash programmed and blocks erased per call in normal batching: a
    third of the calls answered with a hang-up."""
    w0, e0 = vb.flash_bytes_written, vb.flash_erases
    for i in range(n_calls):
        ev, _ = ringgen.call_events("uk", 1 + i % 4, answer_ring=(2 if i % 3 == 0 else None),
                                    talk_s=2, seed=i)
        vb.play(ev, tail_ms=6500)
    return (vb.flash_bytes_written - w0) / n_calls, (vb.flash_erases - e0) / n_calls


def timed_pull(vb, store_path):
    store = Store(store_path)
    with BoardClient.open(vb.port) as b:
        b.call("hello", timeout=5)
        t0 = time.perf_counter()
        res = pull(b, store, sync_clock=False)
        t = time.perf_counter() - t0
    store.close()
    return res, t


def boot_seconds(tmp, name, **kw):
    """Power-on to the firmware's first idle, wall time."""
    t0 = time.perf_counter()
    vb = VirtualBoard(tmp, name=name, **kw).start()
    assert vb.wait_ready(120)
    return vb, time.perf_counter() - t0


def pico_boot(tmp):
    """The emulated Pico (MicroPython's RPI_PICO build in rp2040js) booted
    with its log empty, then with a year in it (written into its flash image
    by bench/fill_log_image.py through the same FlashLog). Returns
    {"empty"|"full": (wall s, emulated ms to the first reply, log stats)},
    or a string saying why it could not run."""
    from ringcue.sim import vpico

    try:
        vpico.check_available()
    except vpico.PicoUnavailable as e:
        return f"emulated Pico not measured: {e}"

    def boot(vb):
        vb.power_cycle()
        t0 = time.monotonic()
        assert vb.wait_ready(1800)
        with BoardClient.open(vb.port) as b:
            b.call("hello", timeout=600)
            wall = time.monotonic() - t0
            st = b.call("status", timeout=60)
        return wall, st["ticks_ms"], st["log"]

    d = tmp / "vpico"
    d.mkdir()
    out = {}
    vb = vpico.VirtualPico(d, name="bench-year").start()
    try:
        vb.wait_ready(60)
        flash(vb.port, "pico")
        assert vb.wait_ready(120)
        out["empty"] = boot(vb)
    finally:
        vb.stop()
    fs_bytes = PICO_KB * 1024
    p = subprocess.run([micropython_exe(), "-X", "heapsize=8m", str(HERE / "fill_log_image.py"),
                        str(d / vpico.FLASH_FILE), str(vpico.FLASH_BYTES - fs_bytes),
                        str(fs_bytes), "256", str(YEAR_CALLS)],
                       env=mp_env(), capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    vb = vpico.VirtualPico(d, name="bench-year").start()
    try:
        out["full"] = boot(vb)
    finally:
        vb.stop()
    return out


def updated(vb, variant):
    """Flash a different build of the same firmware (`variant`), as an update
    does, then fill the log to its next rotation. Returns its figures."""
    flash(vb.port, "sim", files=build_firmware("sim", variant=variant))
    assert vb.wait_ready()
    return fill_year(vb.port, 0, until_full=True)


def capacity(folder, kb):
    """A fresh board of kb KiB of flash, its log filled with answered calls
    and their hang-ups (nothing else) to the first rotation, then updated
    twice. Returns (figures, [after update 1, after update 2])."""
    vb = flashed_board(folder, folder.name, flash_kb=kb)
    try:
        full = fill_year(vb.port, 0, until_full=True)
        return full, [updated(vb, v) for v in ("update-1/", "update-2/")]
    finally:
        vb.stop()


def flashed_board(folder, name, **kw):
    """A new virtual board in `folder` (made if missing) with the firmware
    flashed and running."""
    folder.mkdir(exist_ok=True)
    vb = VirtualBoard(folder, name=name, **kw).start()
    time.sleep(0.3)
    flash(vb.port, "sim", {"profile": "uk"})
    assert vb.wait_ready()
    return vb


def main():
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        vb = flashed_board(tmp / "b", "bench")
        per_call, erases = wear(vb)
        vb.stop()
        # today's pull: 4,000 calls in the v1 format, at 115200 baud
        vb = VirtualBoard(tmp / "b", name="bench", baud=BAUD).start()
        assert vb.wait_ready()
        segs, size = fill_log(vb.port, 4000)
        assert vb.wait_ready()
        res, t_pull = timed_pull(vb, tmp / "store.db")
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

        # a year on a Pico-sized flash: fill, pull at 115200, boot with it full
        pico = tmp / "pico"
        flashed_board(pico, "year", flash_kb=PICO_KB).stop()
        vb, t_boot_empty = boot_seconds(pico, "year", flash_kb=PICO_KB)
        w_empty = wear(vb, 100)
        year = fill_year(vb.port, YEAR_CALLS)
        assert vb.wait_ready()
        w_full = wear(vb, 100)  # the log near full: the most files in /log
        vb.stop()
        vb, t_boot_full = boot_seconds(pico, "year", flash_kb=PICO_KB, baud=BAUD)
        yres, t_year = timed_pull(vb, tmp / "year.db")
        vb.stop()
        pico_full, pico_upd = capacity(tmp / "pico-cap", PICO_KB)
        c3_full, c3_upd = capacity(tmp / "c3", ESP32C3_KB)
        pboot = pico_boot(tmp)
    cp_rate = cp_bytes / t_cp
    t = Table(title=f"Log pull at {BAUD} baud (virtual board throttled like a UART bridge)")
    for c in ("log", "records", "bytes", "seconds", "bytes/s", "of line rate"):
        t.add_column(c, justify="right")
    t.add_row("today's: 4,000 calls, v1 records (32 B)", f"{res.new:,}", f"{res.bytes:,}",
              f"{t_pull:.1f}", f"{rate:,.0f}", f"{rate / LINE_RATE:.0%}")
    t.add_row("mpremote fs cp of the same files", "", f"{cp_bytes:,}", f"{t_cp:.1f}",
              f"{cp_rate:,.0f}", f"{cp_rate / LINE_RATE:.0%}")
    yrate = yres.bytes / t_year
    t.add_row(f"a year: {YEAR_CALLS:,} answered calls + hang-ups, compact", f"{yres.new:,}",
              f"{yres.bytes:,}", f"{t_year:.1f}", f"{yrate:,.0f}", f"{yrate / LINE_RATE:.0%}")
    console.print(t)
    console.print(f"ringcue logs pull vs mpremote fs cp: {rate / cp_rate:.1f}x; year pull: "
                  f"{len(yres.gaps)} gaps, {len(yres.chain_breaks)} chain breaks, "
                  f"{yres.calls:,} calls")
    t = Table(title="Log capacity (answered calls, each with its hang-up), sized from the flash")
    for c in ("board", "littlefs", "segments x bytes", "calls at the first rotation",
              "calls after it (a full log)", "after 1 update", "after 2 updates",
              "bytes per call", "free flash when full (2 builds)"):
        t.add_column(c, justify="right")
    for name, kb, st, upd in (("Pico", PICO_KB, pico_full, pico_upd),
                              ("ESP32-C3", ESP32C3_KB, c3_full, c3_upd)):
        t.add_row(name, f"{kb:,} KiB", f"{st['max_segs']} x {st['seg_bytes']:,}",
                  f"{st['calls']:,}", f"{st['held']:,}",
                  *(f"{u['held']:,} ({u['max_segs']} seg)" for u in upd),
                  f"{st['log_bytes'] / max(1, st['held']):.1f}",
                  f"{st['free_after'] // 1024:,} KiB ({upd[-1]['free_after'] // 1024:,} KiB)")
    console.print(t)
    least = min(u["held"] for u in [pico_full, *pico_upd])
    console.print(f"target ≥ {YEAR_CALLS:,} calls with hook sense on a Pico, fresh and after "
                  f"updates: {'met ✓' if least >= YEAR_CALLS else 'NOT met ✗'}; after "
                  f"{YEAR_CALLS:,} calls on the Pico-sized board {year['dropped']} records "
                  "had rotated out")
    t = Table(title="Flash wear per call and boot time (unix virtual board, Pico-sized flash)")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("flash bytes programmed per call, 1 MB board, empty log", f"{per_call:,.0f}")
    t.add_row("4 KB blocks erased per call, 1 MB board, empty log", f"{erases:.2f}")
    t.add_row("per call, Pico-sized, empty log (bytes / erases)",
              f"{w_empty[0]:,.0f} / {w_empty[1]:.2f}")
    t.add_row(f"per call, Pico-sized, after {YEAR_CALLS:,} calls (bytes / erases)",
              f"{w_full[0]:,.0f} / {w_full[1]:.2f}")
    t.add_row("boot to first idle, empty log", f"{t_boot_empty:.2f} s")
    t.add_row(f"boot to first idle, {year['log_bytes']:,} B log", f"{t_boot_full:.2f} s")
    console.print(t)
    if isinstance(pboot, str):
        console.print(pboot)
        return
    t = Table(title="Emulated Pico (rp2040js): power-on to the first reply")
    for c in ("log", "wall s", "emulated ms", "records", "segments"):
        t.add_column(c, justify="right")
    for k, (wall, ms, st) in pboot.items():
        t.add_row(k, f"{wall:.1f}", f"{ms:,}", f"{st['next_seq'] - st['first_seq']:,}",
                  f"{st['segments']}")
    console.print(t)


if __name__ == "__main__":
    main()
