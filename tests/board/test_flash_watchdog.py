"""The flasher keeps a running Pico watchdog fed in the raw REPL. Runs the
flasher's on-board snippet inside MicroPython on the recording fake
`machine` (tests/mp/fake_port), since no Pico is attached here."""

import json
import subprocess
from pathlib import Path

import pytest

from ringcue.board.devicefs import PROBE, probe_call
from ringcue.board.transport import onboard_source
from ringcue.paths import board_constants, micropython_exe
from ringcue_core.codes import MAINTENANCE_MS
from targets import TESTS_DIR

FAKE = TESTS_DIR / "mp" / "fake_port"
PICO = "Raspberry Pi Pico with RP2040"
K = board_constants("pico")
REG, ENABLE, WDT_MS = K["WDT_CTRL"], K["WDT_CTRL_ENABLE"], K["WDT_MS"]

SCRIPT = onboard_source("rc_watchdog") + f"""
import json, machine, sys
machine.MEM[{REG}] = int(sys.argv[2])
_rc_keep_wdt(sys.argv[1], int(sys.argv[3]), {REG}, {ENABLE}, {WDT_MS})
for t in machine.TIMERS:
    t.fire()
    t.fire()
print(json.dumps(machine.LOG))
"""


def run(machine_name, ctrl, window_ms=MAINTENANCE_MS):
    proc = subprocess.run([micropython_exe(), "-c", SCRIPT, machine_name, str(ctrl),
                           str(window_ms)],
                          env={"MICROPYPATH": str(FAKE), "FAKE_PORT": "rp2"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return [tuple(x) for x in json.loads(proc.stdout)]


@pytest.mark.micropython
def test_a_running_pico_watchdog_is_fed_while_the_flasher_works():
    log = run(PICO, ENABLE | 0x7FFF)  # ENABLE set (other CTRL bits too)
    assert log == [("mem32", REG), ("wdt", WDT_MS), ("timer", -1, 1, 1000),
                   ("feed",), ("feed",)]


@pytest.mark.micropython
def test_the_feeding_stops_after_its_window():
    """A flash abandoned halfway must not keep the Pico out of its firmware
    for ever: once the window is over the timer stops instead of feeding."""
    log = run(PICO, ENABLE, window_ms=0)
    assert log == [("mem32", REG), ("wdt", WDT_MS), ("timer", -1, 1, 1000),
                   ("timer_deinit", -1)]  # and the second period finds it stopped


@pytest.mark.micropython
@pytest.mark.parametrize("machine_name, ctrl, reads", [
    (PICO, 0, True),  # the firmware never started it: leave it off
    (PICO, 0x3FFFFFFF, True),  # every bit but ENABLE
    ("ESP32C3 module with ESP32C3", 0x40000000, False),  # not an RP2040: never read memory
    ("Raspberry Pi Pico2 with RP2350", 0x40000000, False),  # its watchdog lives elsewhere
])
def test_nothing_is_started_otherwise(machine_name, ctrl, reads):
    log = run(machine_name, ctrl)
    assert log == ([("mem32", REG)] if reads else [])


@pytest.mark.micropython
def test_the_probe_passes_the_facts_from_their_one_home():
    """The probe the flasher sends arms the feeder with the maintenance
    window and the Pico's register as ringcue_core and boards/pico write
    them (a recording stand-in replaces _rc_keep_wdt)."""
    script = (onboard_source(*PROBE) + "import machine\n"
              "def _rc_keep_wdt(*a):\n    machine.LOG.append(('keep',) + a[1:])\n"
              + probe_call() + "print(json.dumps(machine.LOG))\n")
    proc = subprocess.run([micropython_exe(), "-c", script],
                          env={"MICROPYPATH": str(FAKE), "FAKE_PORT": "rp2"},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    board, log = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    assert board["platform"] == "linux" and "mem_free" in board
    assert log[0] == ["keep", MAINTENANCE_MS, REG, ENABLE, WDT_MS]


GUARD = """
import json, machine, sys, time
""" + onboard_source("rc_guard") + """
_rc_guard()
t = machine.TIMERS[-1]
t.fire()  # the host talks: nothing happens
machine.LOG.append(("-",))
_rc_end = time.ticks_add(time.ticks_ms(), -1)  # 30 s without a command
t.fire()
machine.LOG.append(("-",))
_rc_alive()  # a command came: the deadline moves on
t.fire()
print(json.dumps(machine.LOG))
"""


@pytest.mark.micropython
@pytest.mark.parametrize("port, timer_id", [("rp2", -1), ("esp32", 1)])
def test_a_flash_session_whose_host_vanished_resets_the_board(port, timer_id):
    """The flasher's session resets the board into its firmware once the
    host has sent nothing for 30 s (ringcue killed halfway)."""
    proc = subprocess.run([micropython_exe(), "-c", GUARD.replace("sys.platform", repr(port))],
                          env={"MICROPYPATH": str(FAKE), "FAKE_PORT": port},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    log = [tuple(x) for x in json.loads(proc.stdout)]
    assert log == [("timer", timer_id, 1, 1000), ("-",), ("reset",), ("-",)]
