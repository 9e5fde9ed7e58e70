"""`ringcue sim ...`: run and drive virtual boards."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import click

from ..errors import UsageError, UserError


@click.group()
def sim():
    """Virtual boards: the real firmware on the MicroPython unix port, or on
    an emulated Raspberry Pi Pico (--board pico).

    A virtual board looks like a USB serial port to every tool (ringcue,
    mpremote, pyserial, pytest-embedded). Its ring line, hook switch, LED,
    buzzer and flash are simulated; its clock can run faster than real time.

    \b
    Example:
      ringcue sim start --background          # prints its port
      ringcue flash --port /dev/pts/3 --board sim
      ringcue sim ring --rings 4 --cadence uk
      ringcue sim status
    \b
    The emulated Pico runs MicroPython's own RPI_PICO firmware (a UF2 you
    download) on an RP2040 emulator (rp2040js, Node.js):
      ringcue sim setup-pico                  # once: installs rp2040js
      ringcue sim start --board pico --firmware RPI_PICO.uf2 --bootrom b1.bin -d
      ringcue flash --port /dev/pts/4 --board pico
    """


@sim.command()
@click.option("--name", default="desk-1", show_default=True, help="Board name (one flash each).")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0.1, 1000),
              help="Clock speed: 1 = real time, 10 = ten times faster.")
# Below 9600 baud a status reply (about 1 KB) takes longer than ringcue's 2 s
# reply timeout: measured, `info` fails at 4800 and 2400, works at 9600.
@click.option("--baud", type=click.IntRange(9600, 4_000_000),
              help="Throttle the serial line like a UART bridge (e.g. 115200; at least 9600, "
                   "as slower lines miss ringcue's reply timeouts).")
@click.option("--heap", help="MicroPython heap size, e.g. 64k (a board's budget).")
@click.option("--flash-kb", default=1024, show_default=True, type=click.IntRange(64, 65536),
              help="Size of the simulated flash.")
@click.option("--fresh", is_flag=True, help="Start with blank flash (as from the factory).")
@click.option("--background", "-d", is_flag=True, help="Run detached; print the port and return.")
@click.option("--board", "kind", type=click.Choice(["sim", "pico"]), default="sim",
              show_default=True,
              help="sim: the MicroPython unix port; pico: MicroPython's RPI_PICO firmware "
                   "on an emulated RP2040 (needs Node.js).")
@click.option("--firmware", type=click.Path(dir_okay=False, path_type=Path),
              help="--board pico: MicroPython's RPI_PICO .uf2 [env RINGCUE_PICO_FIRMWARE]; "
                   "needed until the board's flash holds it.")
@click.option("--bootrom", type=click.Path(dir_okay=False, path_type=Path),
              help="--board pico: the RP2040 boot ROM (B1, 16 KB) [env RINGCUE_RP2040_BOOTROM].")
def start(name, speed, baud, heap, flash_kb, fresh, background, kind, firmware, bootrom):
    """Start a virtual board and keep it running (Ctrl-C stops it)."""
    if kind == "pico":
        if heap:
            raise UsageError("--heap is for --board sim (the Pico's heap is its own)")
        _check_pico(firmware, bootrom, name, fresh)
    else:
        if firmware or bootrom:
            raise UsageError("--firmware and --bootrom are for --board pico")
        from ..paths import require_simulator

        require_simulator()  # one line saying what to install, before anything starts
    from ..sim.daemon import Daemon, board_dir, find

    if background:
        log = board_dir(name)
        log.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "ringcue", "sim", "start", "--name", name,
                "--speed", str(speed), "--flash-kb", str(flash_kb)]
        if baud:
            args += ["--baud", str(baud)]
        if heap:
            args += ["--heap", heap]
        if fresh:
            args.append("--fresh")
        if kind == "pico":
            args += ["--board", "pico"]
            args += ["--firmware", str(firmware.resolve())] if firmware else []
            args += ["--bootrom", str(bootrom.resolve())] if bootrom else []
        with open(log / "daemon.log", "ab") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                info = find(name)
                click.echo(info["port"])
                return
            except UserError:
                if proc.poll() is not None:
                    raise UserError(f"the virtual board did not start; see {log / 'daemon.log'}")
                time.sleep(0.1)
        raise UserError(f"the virtual board did not start in time; see {log / 'daemon.log'}")
    d = Daemon(name, speed=speed, baud=baud, heapsize=heap, flash_kb=flash_kb,
               fresh=fresh, board=kind, firmware=firmware, bootrom=bootrom)
    try:
        d.start()
    except RuntimeError as e:  # the emulated Pico cannot run here (vpico.PicoUnavailable)
        raise UserError(str(e)) from None
    what = "emulated Pico" if kind == "pico" else "virtual board"
    click.echo(f"{what} {name!r} is on {d.vb.port} (clock x{speed:g}"
               + (f", {baud} baud" if baud else "") + ")")
    click.echo(f"  flash it:  ringcue flash --port {d.vb.port} --board {kind}")
    click.echo(f"  ring it:   ringcue sim ring --name {name} --rings 4")
    click.echo("  Ctrl-C stops it; its flash is kept for next time.")
    try:
        d.wait()
    finally:
        d.stop()


def _check_pico(firmware, bootrom, name, fresh):
    """Everything the emulated Pico needs, checked before a daemon starts:
    one `ringcue:` line naming what is missing."""
    from ..paths import require_pty

    require_pty("the emulated Pico")
    from ..sim import vpico
    from ..sim.daemon import board_dir

    try:  # the files the user named first, then what to install
        vpico.bootrom_file(bootrom)
        fw = vpico.firmware_file(firmware)
        if fw is None and (fresh or vpico.flash_blank(board_dir(name) / vpico.FLASH_FILE)):
            raise vpico.PicoUnavailable(vpico.NO_FIRMWARE)
        vpico.node_exe()
        vpico.runner()
    except vpico.PicoUnavailable as e:
        raise UserError(str(e)) from None


@sim.command("setup-pico")
def setup_pico():
    """Install the RP2040 emulator (npm package rp2040js, pinned) for
    `ringcue sim start --board pico`, into ringcue's state folder. Needs
    Node.js 18+ and npm. A source checkout's `make setup` does it too."""
    from ..paths import require_pty

    require_pty("the emulated Pico")
    from ..sim import vpico

    click.echo("installing rp2040js with npm ...")
    try:
        d = vpico.install_emulator()
    except vpico.PicoUnavailable as e:
        raise UserError(str(e)) from None
    click.echo(f"installed in {d}")


@sim.command()
@click.option("--name", help="Which virtual board (needed when several run).")
def stop(name):
    """Stop a running virtual board (its flash is kept)."""
    from ..sim.daemon import control, find

    info = find(name)
    control(info, {"op": "stop"})
    click.echo(f"stopped {info['name']!r}")


@sim.command("list")
def list_():
    """List running virtual boards."""
    from ..sim.daemon import running

    boards = running()
    if not boards:
        click.echo("no virtual boards running (start one: ringcue sim start)")
    for b in boards:
        click.echo(f"{b['name']:<12} {b.get('board', 'sim'):<5} {b['port']:<14} x{b['speed']:g}")


@sim.command()
@click.option("--name", help="Which virtual board.")
@click.option("--rings", default=4, show_default=True, type=click.IntRange(1, 30))
@click.option("--cadence", default="uk", show_default=True,
              help="us, uk, de, fr, jp, au, … or a distinctive ring (dr2-dr5, au_dr).")
@click.option("--answer-ring", type=click.IntRange(1, 30),
              help="Lift the hook during this ring (default: nobody answers).")
@click.option("--hz", type=click.FloatRange(15, 70), help="Ringing frequency (default: the country's).")
@click.option("--full-wave", is_flag=True, help="Full-wave optocoupler (two pulses per cycle).")
def ring(name, rings, cadence, answer_ring, hz, full_wave):
    """Ring a call on a virtual board's line."""
    from ..sim import ringgen
    from ..sim.daemon import control, find

    try:
        ev, _ = ringgen.call_events(cadence, rings, hz=hz, full_wave=full_wave,
                                    answer_ring=answer_ring)
    except ValueError as e:
        raise UsageError(str(e)) from None
    info = find(name)
    r = control(info, {"op": "play", "events": ev})
    secs = (r["end_ms"] - r["start_ms"]) / 1000 / (info["speed"] or 1)
    click.echo(f"ringing {info['name']!r}: {rings} × {cadence}"
               + (f", answered on ring {answer_ring}" if answer_ring else ", unanswered")
               + f" (about {secs:.1f}s at x{info['speed']:g})"
               + (", after the call still on the line" if r.get("queued_ms", 0) > 100 else ""))


@sim.command()
@click.argument("trace", type=click.Path(path_type=Path))
@click.option("--name", help="Which virtual board.")
def trace(trace, name):
    """Play a ring-line TRACE file on a virtual board."""
    from ringcue_core.trace import parse

    from ..sim.daemon import control, find

    from ..sim.replay import check_trace

    check_trace(trace)  # the same checks and messages as `ringcue replay`
    with open(trace, encoding="utf-8") as f:
        ev = list(parse(f))
    info = find(name)
    r = control(info, {"op": "play", "events": ev})
    click.echo(f"playing {trace} on {info['name']!r} ({(r['end_ms'] - r['start_ms']) / 1000:.0f}s "
               "of trace time)")


@sim.command()
@click.argument("state", type=click.Choice(["off", "on"]), required=False)
@click.option("--caller-clears", "clear_ms", type=click.IntRange(1, 10_000), metavar="MS",
              help="The caller hangs up: the exchange breaks loop current for MS ms while "
                   "the handset stays lifted (instead of STATE).")
@click.option("--name", help="Which virtual board.")
def hook(state, clear_ms, name):
    """Lift (off) or replace (on) the handset: off-hook answers a ringing call.
    Or play the caller hanging up first, as an exchange with disconnect
    supervision shows it (the board tells it from the desk hanging up if its
    config has clear_signal on; docs/ring-detection.md).

    \b
    Example:
      ringcue sim hook off                  # answer
      ringcue sim hook --caller-clears 400  # the caller hangs up
      ringcue sim hook on                   # the desk puts the handset down
    """
    from ..sim.daemon import control, find

    if (state is None) == (clear_ms is None):
        raise UsageError("give either STATE (off or on) or --caller-clears MS")
    if clear_ms is not None:
        control(find(name), {"op": "hook", "offhook": True, "clear_ms": clear_ms})
    else:
        control(find(name), {"op": "hook", "offhook": state == "off"})


@sim.command("power-cycle")
@click.option("--name", help="Which virtual board.")
def power_cycle(name):
    """Pull the plug and power on again (kill -9 wherever the firmware is)."""
    from ..sim.daemon import control, find

    control(find(name), {"op": "power_cycle"})
    click.echo("power-cycled")


@sim.command()
@click.option("--name", help="Which virtual board.")
def status(name):
    """LED, buzzer and clock of a virtual board, as the receptionist sees them."""
    from ..sim.daemon import control, find

    s = control(find(name), {"op": "status"})
    # the firmware counts its boots since it was flashed (`ringcue info`: boot #N);
    # this is how often this virtual board powered on since `sim start`
    click.echo(f"{s['name']} on {s['port']}: LED {'on' if s['led'] else 'off'}, buzzer "
               f"{'on' if s['buzzer'] else 'off'}, clock {s['clock_ms'] / 1000:.1f}s, "
               f"powered on {s['boots']}× since `sim start` (the firmware's boot count: "
               "ringcue info)")


@sim.command()
@click.option("--desks", default=12, show_default=True, type=click.IntRange(1, 1000))
@click.option("--calls", default=20_000, show_default=True, type=click.IntRange(1, 50_000_000))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650),
              help="Days of calls, ending yesterday.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same fleet.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The store to fill (a new file; not your real one).")
@click.option("--groups", is_flag=True,
              help="Desks in ring groups of 3 (one call rings the group's free desks), "
                   "boards' clocks drifting +-50 ppm; the groups are declared in the store.")
def fleet(desks, calls, days, seed, db, groups):
    """Fill a store with a synthetic fleet's call logs, to try `ringcue report`
    without boards. Calls follow office hours; desks differ in habits; some
    have no hook sense, a gap in their log or calls without a time sync.

    \b
    Example:
      ringcue sim fleet --db /tmp/fleet.db
      ringcue report --db /tmp/fleet.db --out fleet.html
      ringcue sim fleet --groups --desks 9 --calls 5000 --db /tmp/office.db
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..sim.fleetgen import generate
    from ..store.sqlite import Store

    if db.exists():
        raise UsageError(f"{db} exists; give a new file (this command writes made-up calls)")
    store = Store(db)
    if groups:
        _office(store, db, desks, calls, days, seed)
        return
    try:
        with Progress(TextColumn("calls"), BarColumn(), MofNCompleteColumn(),
                      transient=True) as prog:
            task = prog.add_task("calls", total=calls)
            generate(store, desks=desks, calls=calls, days=days, seed=seed,
                     progress=lambda n: prog.update(task, completed=n))
    except ValueError as e:  # e.g. only a weekend in --days
        store.close()
        db.unlink(missing_ok=True)
        raise UserError(str(e)) from None
    finally:
        store.close()
    click.echo(f"{db}: {calls:,} synthetic calls over {desks} desks and {days} days")


def _office(store, db, desks, calls, days, seed):
    from ..report.wording import plural
    from ..sim.officegen import fleet as office_fleet, write

    try:
        o = office_fleet(desks, calls, days, seed)
        n = write(store, o)
    except ValueError as e:  # only a weekend in --days
        store.close()
        db.unlink(missing_ok=True)
        raise UserError(str(e)) from None
    finally:
        store.close()
    click.echo(f"{db}: {plural(len(o.truth), 'synthetic call')} ({plural(n, 'desk call')}) "
               f"over {plural(desks, 'desk')} in {plural(len(o.groups), 'ring group')} and "
               f"{plural(days, 'day')}")
