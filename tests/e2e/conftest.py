"""End-to-end tests through a serial port, with pytest-embedded's serial
service. By default each test gets a fresh virtual board (the real
MicroPython unix port on a pty) with the firmware flashed; give --port to
run the same tests against a real board (tests that need the simulated ring
line are skipped then):

    pytest tests/e2e --port /dev/ttyACM0

Tests that take the `vboard` fixture (or `dut` / `port`) run on both kinds of
virtual board: [sim], the unix port, and [pico], MicroPython's own RPI_PICO
firmware on an emulated RP2040 (ringcue.sim.vpico). The emulator runs busy
code at about a third of real time, so on [pico] only the subset in
PICO_TESTS runs in `make test` (RINGCUE_PICO_ALL=1 runs every one); what
cannot work in the emulator is in PICO_CANNOT, with the reason.
"""

import fcntl
import itertools
import os
import shutil

import pytest

from ringcue.board.flash import flash
from ringcue.sim.vboard import VirtualBoard

_names = itertools.count(1)

# On the emulated Pico in `make test`: one of each kind of check (protocol,
# config, calls with LED/buzzer timing, reboot and power cut, mpremote, the
# watchdog on the real rp2 port).
PICO_TESTS = {
    "test_boot_banner_after_soft_reboot",
    "test_hello_identifies_the_board",
    "test_status_reports_live_state",
    "test_config_is_validated_saved_and_survives_reboot",
    "test_time_sync_and_selftest_answer",
    "test_missed_call_cue_then_alarm_on_led_and_buzzer",
    "test_answered_call_clears_the_cue_and_is_logged",
    "test_reboot_and_power_cut_keep_config_and_log",
    "test_power_cut_mid_call_then_rings_count_again",
    "test_mpremote_still_reaches_the_repl_and_files",
    "test_repl_session_keeps_the_watchdog_fed_for_a_window_then_it_resets",
    "test_without_the_firmware_the_watchdog_bites_at_the_repl",
    "test_one_ctrl_c_is_a_byte_two_reach_the_repl",
    "test_stock_mpremote_still_gets_the_raw_repl",
}
_SLOW = ("waits 0.5-2 s of wall time for a reply; the emulated rp2 port runs busy code "
         "at 0.1-0.4x real time, so it answers later than a Pico would")
_UNIX = "tests the unix-port VirtualBoard itself (its process, pty and platform)"
PICO_CANNOT: dict[str, str] = {
    "test_stock_mpremote_stops_the_firmware_and_ringcue_brings_it_back": _SLOW,
    "test_restart_command_and_a_board_without_ringcue": _SLOW,
    "test_logs_pull_restarts_a_stopped_firmware": _SLOW,
    "test_selftest_says_when_the_board_restarts_and_goes_on": _SLOW,
    "test_monitor_says_when_the_board_restarts_and_keeps_streaming": _SLOW,
    "test_started_board_used_as_context_manager_runs_once_and_stops_whole": _UNIX,
    "test_port_reopens_while_the_board_restarts": _UNIX,
    "test_fuzzed_lines_leave_the_heap_flat": "sets the unix port's heap size per board "
                                            "budget; the Pico's heap is fixed by its build",
}


def pytest_collection_modifyitems(config, items):
    run_all = os.environ.get("RINGCUE_PICO_ALL") == "1"
    for item in items:
        cs = getattr(item, "callspec", None)
        if not cs or cs.params.get("board_kind") != "pico":
            continue
        name = item.originalname
        if name in PICO_CANNOT:
            item.add_marker(pytest.mark.skip(reason=f"emulated Pico: {PICO_CANNOT[name]}"))
        elif name not in PICO_TESTS and not run_all:
            item.add_marker(pytest.mark.skip(
                reason="emulated Pico: not in the make-test subset (CI time); "
                       "RINGCUE_PICO_ALL=1 runs it"))


@pytest.fixture(params=["sim", "pico"])
def board_kind(request):
    """Which kind of virtual board the test's `vboard` is."""
    return request.param


def _pico_or_skip():
    from ringcue.sim import vpico

    try:
        vpico.check_available()
    except vpico.PicoUnavailable as e:
        if os.environ.get("RINGCUE_REQUIRE_PICO"):  # .ci/run: the Pico tests must run
            pytest.fail(f"emulated Pico unavailable: {e}")
        pytest.skip(f"emulated Pico unavailable: {e}")
    return vpico


@pytest.fixture(scope="session")
def pico_image(tmp_path_factory, worker_id):
    """An emulated Pico's flash with MicroPython and the firmware installed,
    made once for the whole run (shared by the xdist workers) by flashing a
    blank emulated Pico the way a technician would."""
    vpico = _pico_or_skip()
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # shared by the workers
    d = root / "pico-golden"
    d.mkdir(exist_ok=True)
    with open(d / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = d / "build.txt"
        if not done.exists():
            with vpico.VirtualPico(d, name="golden") as vb:
                res = flash(vb.port, "pico")
            done.write_text(res.build)
    return d / vpico.FLASH_FILE, done.read_text()


@pytest.fixture(scope="session")
def firmware_image(tmp_path_factory):
    """A flash image with the firmware installed, made once per worker by
    flashing a blank virtual board the way a technician would."""
    d = tmp_path_factory.mktemp("golden")
    with VirtualBoard(d, name="golden") as vb:
        res = flash(vb.port, "sim")
    return d / "flash.img", res.build


@pytest.fixture
def real_port(request):
    return request.config.getoption("port", None)


@pytest.fixture
def vboard(request, real_port, tmp_path, board_kind):
    """A flashed virtual board of each kind (skips when testing a real board)."""
    if real_port:
        pytest.skip("needs the virtual board's simulated ring line")
    if board_kind == "pico":
        image, _ = request.getfixturevalue("pico_image")
        shutil.copy(image, tmp_path / image.name)
        vpico = _pico_or_skip()
        vb = vpico.VirtualPico(tmp_path, name=f"pico-{next(_names)}").start()
        assert vb.wait_ready(60), "the firmware did not start on the emulated Pico"
    else:
        image, _ = request.getfixturevalue("firmware_image")
        shutil.copy(image, tmp_path / "flash.img")
        vb = VirtualBoard(tmp_path, name=f"desk-{next(_names)}").start()
        assert vb.wait_ready(), "the firmware did not start on the virtual board"
    yield vb
    vb.stop()


@pytest.fixture
def embedded_services():
    return "serial"


@pytest.fixture
def port(request, real_port, board_kind):
    """The DUT's port for pytest-embedded: --port, else a virtual board."""
    if real_port:
        if board_kind != "sim":
            pytest.skip("a real board is tested once")
        return real_port
    return request.getfixturevalue("vboard").port
