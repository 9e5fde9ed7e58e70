"""The `ringcue` command. Each sub-command is a thin layer over a module."""

from pathlib import Path

import click

from ringcue_core.profiles import profile_names

from .. import __version__
from ..errors import UsageError, UserError
from ..profile_notes import COVERS
from .errors import Group

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="ringcue")
@click.option("--verbose", "-v", is_flag=True,
              help="Show the serial conversation (lines sent > and received <) on stderr.")
def cli(verbose):
    """ringcue: pick up after the 2nd ring, never later than the 3rd.

    Tools for the ringcue desk-phone add-on: replay ring-line traces through
    the firmware, run a virtual board, flash and configure boards, pull call
    logs and report on them.

    \b
    Exit codes: 0 done, 1 failed (no board, a busy port, ...), 2 usage error.
    RINGCUE_PORT sets the default for --port. Shell completion (bash):
      eval "$(_RINGCUE_COMPLETE=bash_source ringcue)"
    """
    if verbose:
        from ..board.verbose import enable

        enable()


def _profile_help() -> str:
    return "Ring profile: " + "; ".join(f"{n} = {COVERS[n]}" for n in profile_names())


@cli.command()
@click.argument("trace", type=click.Path(path_type=Path))
@click.option("--profile", default="universal", show_default=True, help=_profile_help())
@click.option("--cue-ring", default=2, show_default=True, type=click.IntRange(1, 99),
              help="Ring whose onset lights the cue LED.")
@click.option("--alarm-after", default=3, show_default=True, type=click.IntRange(1, 99),
              help="Alarm once this ring has ended unanswered.")
@click.option("--runtime", type=click.Choice(["cpython", "micropython"]), default="cpython",
              show_default=True,
              help="Run the core here, or inside the real MicroPython interpreter.")
def replay(trace, profile, cue_ring, alarm_after, runtime):
    """Replay a ring-line TRACE through the firmware's ring core.

    Prints one JSON object per line, in time order: ring, cue_on, cue_off,
    alarm_on, alarm_off, answer, call_end and hangup events, each with the
    trace time t_ms at which the firmware acts. Both runtimes print the same
    bytes. The trace format is in docs/trace-format.md; a trace that opens
    with `0 hook 0` then `0 clear 1` is a line that signals the caller's
    clear, and its hangup events say who hung up first.

    \b
    Example:
      ringcue replay tests/traces/us_answered_ring3.trace
      ringcue replay capture.trace --profile uk --runtime micropython
    """
    from ..sim.replay import replay as run

    run(trace, profile, cue_ring, alarm_after, runtime, click.echo)


@cli.command()
@click.option("--speed", default=3.0, show_default=True, type=click.FloatRange(0.5, 50),
              help="How much faster than real time the calls ring.")
@click.option("--fast", is_flag=True, help="No live view: run the calls in virtual time at once.")
def demo(speed, fast):
    """See ringcue work, no hardware needed (under a minute).

    Starts a virtual board running the real MicroPython firmware, flashes it,
    rings three calls while showing the desk's LED and buzzer live, then pulls
    the call log and shows who answered by the 3rd ring.
    """
    from ..paths import require_simulator

    require_simulator()  # one line saying what to install, before anything starts
    from ..sim.demo import run

    raise SystemExit(run(speed=None if fast else speed))


from .groups import groups  # noqa: E402
from .logs import logs  # noqa: E402
from .mip import mip_index  # noqa: E402
from .report import report  # noqa: E402
from .sim import sim  # noqa: E402

cli.add_command(sim)
cli.add_command(logs)
cli.add_command(report)
cli.add_command(groups)
cli.add_command(mip_index)

port_option = click.option(
    "--port", "-p", default="auto", show_default=True, envvar="RINGCUE_PORT",
    help="Serial port of the board (see `ringcue ports`); auto = the only one attached. "
         "Default: $RINGCUE_PORT if set.")


@cli.command()
def ports():
    """List serial ports that may be ringcue boards, real and virtual."""
    from ..board.ports import all_ports

    found = all_ports()
    if not found:
        click.echo("no serial ports with a USB id found (plug a board in, or: ringcue sim start)")
        return
    for p in found:
        ids = f"{p['vid']:04x}:{p['pid']:04x}" if p["vid"] is not None else "virtual  "
        mark = "*" if p["likely"] else " "
        click.echo(f"{mark} {p['port']:<16} {ids}  {p['what']}  {p['serial']}")
    click.echo("* = probably a MicroPython board")


@cli.command()
@port_option
@click.option("--board", default="auto", show_default=True,
              help="Board type: pico, esp32c3 or sim (auto: from what the board reports).")
@click.option("--desk", help="Desk name to store in the board's configuration.")
@click.option("--profile", help="Ring profile to configure (see `ringcue replay --help`).")
@click.option("--make-room", is_flag=True,
              help="If the new firmware does not fit beside a full call log, delete the log's "
                   "oldest segments, as few as it needs (their calls are gone from the board: "
                   "run `ringcue logs pull` first). Without it such an update is refused and "
                   "nothing changes.")
def flash(port, board, desk, profile, make_room):
    """Install (or update) the ringcue firmware on a board over USB.

    Compiles the firmware with mpy-cross, uploads only what changed, verifies
    every file by hash on the board, switches to the new build with one
    atomic rename (a pulled cable leaves the old or the new firmware whole),
    writes the configuration, restarts the board and checks that it answers.
    The previous build stays for rollback while there is room; the call log
    leaves room for a build about the size of the installed one.

    \b
    Example:
      ringcue flash                              # the only board attached
      ringcue flash --port /dev/ttyACM0 --desk "Front desk" --profile uk
      ringcue logs pull && ringcue flash --make-room   # a bigger release, full log
    """
    import time as _time

    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from ..board.flash import confirm
    from ..board.flash import flash as do_flash
    from ..board.ports import pick_port

    console = Console(stderr=True)
    port = pick_port(port)
    if board == "auto":
        board = _detect_board(port)
        console.print(f"board type: {board}")
    changes = {k: v for k, v in (("desk", desk), ("profile", profile)) if v is not None}
    t0 = _time.monotonic()
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  console=console, transient=True) as prog:
        task = prog.add_task("uploading", total=None, visible=False)

        def progress(n, total):
            prog.update(task, total=total, advance=n, visible=True)

        res = do_flash(port, board, changes, progress=progress,
                       step=lambda m: console.print(f"· {m}"), make_room=make_room)
    hello = confirm(port, res.build)
    if res.up_to_date:
        console.print(f"[green]up to date[/]: build {res.build} already installed, nothing copied")
    else:
        console.print(f"[green]installed[/] build {res.build}: {len(res.uploaded)} files uploaded "
                      f"({res.bytes_sent / 1024:.1f} KB), {len(res.copied_on_board)} reused")
    if res.config:
        console.print(f"configuration: {res.config}")
    console.print(f"board {hello['id']} ({hello['board']}) answers with firmware {hello['fw']}; "
                  f"total {_time.monotonic() - t0:.1f}s")


def _detect_board(port):
    from ..board.devicefs import DeviceFS
    from ..board.flash import BOARD_PLATFORM

    with DeviceFS(port) as dev:
        dev.enter(soft_reset=False)
        plat = dev.info()["platform"]
    for b, p in BOARD_PLATFORM.items():
        if p == plat:
            return b
    raise UserError(f"this board reports platform {plat!r}, which ringcue does not support "
                    f"(supported: {', '.join(sorted(BOARD_PLATFORM))})")


def _client(port):
    """A client to the board's running firmware; a stopped one is restarted
    first (board/status.py), and the user is told on stderr."""
    from ..board.status import open_running
    from ..board.ports import pick_port

    return open_running(pick_port(port), notice=_notice)


def _notice(msg):
    click.echo(f"ringcue: {msg}", err=True)


def _call(port, cmd, args=None):
    from ..board.client import BoardTimeout
    from ringcue_core.proto import ProtocolError

    with _client(port) as b:
        try:
            return b.call(cmd, args)
        except BoardTimeout as e:
            raise UserError(f"the board stopped answering ({e})") from None
        except ProtocolError as e:
            raise UserError(f"the board refused {cmd}: {e.msg}") from None


@cli.command()
@port_option
def restart(port):
    """Start the firmware again on a board where it is stopped.

    After any stock `mpremote` command (ls, exec, cp, mip install,
    soft-reset), a Ctrl-C in a terminal or an interrupted flash, the
    firmware waits at the MicroPython REPL and the desk counts no rings.
    This soft-resets the board (which runs /main.py) and waits until the
    firmware answers. A board whose firmware runs is restarted too.
    `info`, `monitor`, `selftest` and `logs pull` restart a stopped board by
    themselves and say so.
    """
    from ..board.status import restart as do_restart
    from ..board.ports import pick_port

    hello = do_restart(pick_port(port))
    click.echo(f"the firmware runs: board {hello['id']} ({hello['board']}), firmware "
               f"{hello['fw']} build {hello.get('build') or '-'}, boot #{hello['boots']}")


@cli.command()
@port_option
@click.option("--json", "as_json", is_flag=True, help="Print the raw JSON.")
def info(port, as_json):
    """What a board is and how it is doing: firmware, id, config, live state."""
    import json as _json

    st = _call(port, "status")
    if as_json:
        click.echo(_json.dumps(st, indent=2, sort_keys=True))
        return
    click.echo(f"board     {st['board']}  id {st['id']}")
    click.echo(f"firmware  {st['fw']} (build {st['build'] or '-'}), protocol {st['proto']}")
    click.echo(f"desk      {st['config']['desk'] or '(not set)'}, profile "
               f"{st['config']['profile']}, cue on ring {st['config']['cue_ring']}, alarm "
               f"after ring {st['config']['alarm_after']}")
    click.echo(f"running   {st['uptime_ms'] // 1000}s, boot #{st['boots']}, {st['calls']} "
               f"call{'' if st['calls'] == 1 else 's'} logged, {st['mem_free']} bytes free")
    click.echo(f"line      {st['state']}, {st['rings']} ring{'' if st['rings'] == 1 else 's'}, hook "
               f"{('off-hook' if st['hook'] else 'on-hook') if st['hook_sense'] else 'not wired'}")
    for f in st["faults"]:
        click.echo(f"fault     {f}")


@cli.command()
@port_option
def monitor(port):
    """Stream a board's ring events live (Ctrl-C to stop).

    One JSON object per line on stdout. If the board restarts (power cut,
    watchdog) or the cable is pulled, a line on stderr says so, and
    monitoring goes on when the board is back.
    """
    import json as _json

    from ..board.ports import pick_port
    from ..board.watch import monitor as watch

    port = pick_port(port)
    try:
        watch(port, lambda e: click.echo(_json.dumps(e)), _notice)
    except KeyboardInterrupt:
        pass


@cli.group()
def config():
    """Read, change or check a board's configuration (schema-checked).

    \b
    Settings: desk (name), profile, cue_ring, alarm_after, buzzer (true/false).
    Example:
      ringcue config get
      ringcue config set desk="Front desk" profile=uk alarm_after=3
      ringcue config validate my-config.json
    """


def _parse_settings(pairs):
    import json as _json

    from ringcue_core import config as schema

    out = {}
    for p in pairs:
        if "=" not in p:
            raise UsageError(f"{p!r}: write settings as key=value (known: {', '.join(schema.keys())})")
        k, v = p.split("=", 1)
        try:
            out[k] = _json.loads(v)
        except ValueError:
            out[k] = v  # a bare word is a string (desk=Lobby)
    return out


@config.command("get")
@port_option
def config_get(port):
    """Show the board's configuration and where it came from."""
    r = _call(port, "config_get")
    for k in sorted(r["config"]):
        click.echo(f"{k:<12} {r['config'][k]!r}")
    click.echo(f"(from {r['source']})")
    for e in r["errors"]:
        click.echo(f"problem: {e}", err=True)


@config.command("set")
@click.argument("settings", nargs=-1, required=True)
@port_option
def config_set(settings, port):
    """Change SETTINGS (key=value ...); a bad value changes nothing."""
    from ringcue_core import config as schema

    changes = _parse_settings(settings)
    _, errors = schema.validate(changes, change=True)
    if errors:
        raise UsageError("; ".join(errors))
    r = _call(port, "config_set", changes)
    click.echo("saved: " + ", ".join(f"{k}={v!r}" for k, v in sorted(r["config"].items())))


@config.command()
@click.argument("file", type=click.Path(path_type=Path))
def validate(file):
    """Check a configuration FILE (JSON) without a board."""
    # the board's own loader (it runs on CPython too): what it refuses at
    # boot (too large, nested deep, not UTF-8, a bad setting) fails here
    from ringcue_fw.store import load_config

    if not Path(file).exists():
        raise UsageError(f"{file}: no such file")
    cfg, source, errors = load_config(str(file))
    if errors:  # the check failed, like a linter's: exit 1 (file errors name the file)
        raise UserError(("" if source == "defaults" else f"{file}: ") + "; ".join(errors))
    click.echo(f"{file}: valid ({', '.join(f'{k}={v!r}' for k, v in sorted(cfg.items()))})")


@cli.command()
@port_option
@click.option("--seconds", default=10, show_default=True, type=click.IntRange(1, 60))
def selftest(port, seconds):
    """Blink the LED, beep, and show the inputs live to check the wiring.

    Ring the phone or lift the handset while it runs: the ring input should
    pulse and the hook input follow the handset.
    """
    from ..board.ports import pick_port
    from ..board.watch import selftest as run

    last = []

    def show(st):
        new = 0 if not last else st["pulses"] - last[0]
        last[:] = [st["pulses"]]
        hook = (("OFF-HOOK" if st["hook"] else "on-hook") if st["hook_sense"] else "not wired")
        click.echo(f"  ring input {'ACTIVE' if st['ring_level'] else 'idle  '}  "
                   f"+{max(new, 0):<4} pulses   hook {hook}   line {st['state']}")

    port = pick_port(port)
    try:
        if not run(port, seconds, show, _notice, started=lambda: click.echo(
                "LED and buzzer should flash now. Inputs (Ctrl-C to stop):")):
            raise UserError(f"the board on {port} did not come back before the selftest ended")
    except KeyboardInterrupt:
        pass


def main():
    from .errors import run

    run(cli)


if __name__ == "__main__":
    main()
