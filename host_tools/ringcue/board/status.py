"""Is the ringcue firmware running on a board, and if it is installed but
stopped, start it again.

The firmware stops at the MicroPython REPL after any stock `mpremote`
command (it soft-resets into the raw REPL and leaves the board at the
friendly REPL), after Ctrl-C in a terminal, or when a `ringcue flash` was
killed halfway. The desk then counts no rings until someone resets it. So
the commands that only read a board (info, monitor, selftest, logs pull)
open it with `open_running()`: if the firmware does not answer, a short
raw-REPL probe tells "installed but stopped" from "no ringcue on this
MicroPython board" and "nothing answers"; a stopped firmware is restarted
(one soft reset, which runs /main.py) and the caller is told, as mpremote
and esptool reset a board after their own work. A port another program
holds is never touched: it cannot be opened (PortBusy).

    with open_running(port, notice=print) as b:
        print(b.call("status"))
"""

from __future__ import annotations

import json

from .client import BoardClient, BoardStopped, BoardTimeout, NoFirmware, NotAnswering
from .transport import onboard_source

STOPPED = ("the ringcue firmware is installed but stopped at the MicroPython REPL "
           "(e.g. after mpremote, or an interrupted flash)")


def probe(port: str) -> dict:
    """The board's state, from its REPL: {"main": /main.py present,
    "build": the build main.py would run, or None}. Stops a running
    firmware (Ctrl-C) and leaves the board at the friendly REPL, as
    mpremote does; call restart() to start it again."""
    from .devicefs import DeviceFS

    with DeviceFS(port) as dev:
        dev.take_raw()
        out = dev.exec(onboard_source("rc_installed"))
        dev.leave_at_repl()  # a finished probe: leave the board as it was
    return json.loads(out.strip().splitlines()[-1])


def installed(state: dict) -> bool:
    return bool(state.get("main") and state.get("build"))


def restart(port: str, timeout: float = 15.0) -> dict:
    """Start the installed firmware (a soft reset from the REPL runs
    /main.py) and wait until it answers hello; returns the hello. Raises
    NoFirmware if there is none to start."""
    from .devicefs import DeviceFS
    from .flash import confirm

    with DeviceFS(port) as dev:
        dev.take_raw()
        state = json.loads(dev.exec(onboard_source("rc_installed")).strip().splitlines()[-1])
        if not installed(state):
            dev.leave_at_repl()
            raise NoFirmware(no_firmware_message(port, state))
        dev.soft_reset()
    return confirm(port, None, timeout)


def no_firmware_message(port: str, state: dict) -> str:
    what = ("its /main.py is not ringcue's boot loader" if state.get("build")
            else "the ringcue firmware is not installed")
    return f"{port} is a MicroPython board, but {what}: install it with `ringcue flash`"


def open_running(port: str, notice=lambda msg: None, restart_stopped: bool = True,
                 timeout: float = 1.0) -> BoardClient:
    """A BoardClient to a board whose firmware answers. If it does not,
    find out why: a stopped firmware is restarted (notice() is told) or,
    with restart_stopped=False, reported (BoardStopped); a board without
    ringcue raises NoFirmware; a silent port NotAnswering."""
    b = BoardClient.open(port)
    try:
        b.call("hello", timeout=timeout, retries=1)
        return b
    except BoardTimeout:
        booting = any("ready (boot" in n for n in b.noise)
        b.close()
    if booting:  # it printed its boot banner meanwhile: give it a moment
        b = BoardClient.open(port)
        try:
            b.call("hello", timeout=2.0, retries=2)
            return b
        except BoardTimeout:
            b.close()
    try:
        state = probe(port)
    except NotAnswering:
        raise NotAnswering(f"nothing answers on {port}: neither the ringcue firmware nor a "
                           "MicroPython REPL (is a board attached and powered? unplug and "
                           "replug it)") from None
    if not installed(state):
        raise NoFirmware(no_firmware_message(port, state))
    if not restart_stopped:
        raise BoardStopped(f"{STOPPED}; `ringcue restart --port {port}` starts it")
    notice(f"{STOPPED}: restarting it")
    hello = restart(port)
    notice(f"the firmware runs again (build {hello.get('build') or '-'}, boot #{hello['boots']})")
    return BoardClient.open(port)
