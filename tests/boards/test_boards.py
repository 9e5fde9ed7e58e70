"""The real boards (boards/pico, boards/esp32c3) checked without hardware:
their definitions, their HAL on a recording `machine` inside MicroPython,
and mpy-cross for each target's architecture."""

import json
import subprocess

import pytest

from ringcue.board.flash import BOARD_PLATFORM, build_firmware
from ringcue.board.mpy import mpy_cross_exe
from ringcue.paths import board_constants, micropython_exe
from targets import BOARDS_DIR, FIRMWARE_DIR, FIRMWARE_FILES, TARGETS, board_file

HERE = BOARDS_DIR.parent / "tests"
# GPIOs a board can use at all: the Pico's RP2040 has GP0-GP29, the ESP32-C3
# GPIO0-GPIO21.
CHIP_GPIOS = {"pico": range(0, 30), "esp32c3": range(0, 22)}
MPY_MAJOR = 6  # .mpy format of MicroPython 1.29 (mpy-cross emits v6.3)
SMALL_INT_BITS = 31  # rp2 and esp32: 32-bit words, object representation A


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_board_definition_is_consistent(name):
    c = board_constants(name)
    assert c["NAME"] == name
    pins = [c["RING"], c["HOOK"], c["LED"], c["BUZZER"]]
    assert len(set(pins)) == 4, "two functions on one GPIO"
    assert all(p in CHIP_GPIOS[name] for p in pins + list(c["AVOID"]))
    assert not set(pins) & set(c["AVOID"]), "a pin the board says to avoid is used"
    wdt_max = TARGETS[name]["wdt_max_ms"]
    assert 1000 <= c["WDT_MS"] <= (wdt_max or 60000)
    # the app feeds the watchdog once a second: leave it several seconds of slack
    assert c["WDT_MS"] >= 5000
    assert BOARD_PLATFORM[name] == TARGETS[name]["port"]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_avoided_gpio_says_why(name):
    """Each line of the AVOID tuple carries a reason as a comment."""
    src = board_file(name).read_text().splitlines()
    start = next(i for i, line in enumerate(src) if line.startswith("AVOID = ("))
    end = next(i for i in range(start, len(src)) if src[i].startswith(")"))
    entries = [line for line in src[start + 1:end] if line.strip()]
    assert entries
    for line in entries:
        code, _, why = line.partition("#")
        assert code.strip().rstrip(",") and len(why.strip()) > 10, line


def test_pico_avoids_the_gpios_the_pico_itself_uses():
    assert {23, 24, 25, 29} <= set(board_constants("pico")["AVOID"])


def test_esp32c3_avoids_strapping_usb_and_flash_pins():
    avoid = set(board_constants("esp32c3")["AVOID"])
    assert {2, 8, 9} <= avoid  # strapping
    assert {18, 19} <= avoid  # USB D-/D+ (the REPL)
    assert set(range(12, 18)) <= avoid  # SPI flash


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_package_json_installs_the_board_file(name):
    pkg = json.loads((BOARDS_DIR / name / "package.json").read_text())
    assert pkg == {"urls": [["lib/board.py", "board.py"]]}  # no version: ringcue_core has it


def run_board_make(name, port):
    env = {"MICROPYPATH": ":".join([str(HERE / "mp" / "fake_port"), str(BOARDS_DIR / name),
                                    str(FIRMWARE_DIR)]),
           "FAKE_PORT": port}
    proc = subprocess.run([micropython_exe(), str(HERE / "mp" / "board_make.py")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


@pytest.mark.micropython
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_hal_drives_the_board_pins(name):
    """board.make() inside MicroPython, on a `machine` that records calls and
    behaves like the board's port where it matters (Pin.irq's `hard`, the
    rp2 WDT cap)."""
    t = TARGETS[name]
    r = run_board_make(name, t["port"])
    p = r["pins"]
    c = board_constants(name)
    assert r["name"] == name and r["has_hook"] is True
    IN, OUT, PULL_UP = 1, 3, 2  # the fake's constants
    setup = [tuple(x) for x in r["setup"]]
    # inputs: pulled up (the optos pull low); outputs start off
    assert ("pin", p["ring"], IN, PULL_UP, None) in setup
    assert ("pin", p["hook"], IN, PULL_UP, None) in setup
    assert ("pin", p["led"], OUT, -1, 0) in setup  # LED active high: 0 = off
    assert ("pwm", p["buzzer"], 2700, 0) in setup  # buzzer PWM, silent
    # IRQs on both edges; hard where the port has hard IRQs
    both = 1 | 2
    assert [tuple(x) for x in r["irqs"]] == [("irq", p["ring"], both, t["hard_irq"]),
                                             ("irq", p["hook"], both, t["hard_irq"])]
    # polarity: line pulled low = ring current / off-hook = 1 for the app
    assert r["ring_levels"] == [1, 0]
    assert r["hook_levels"] == [1, 0] and r["hook_level_offhook"] == 1
    assert [tuple(x) for x in r["outputs"]] == [
        ("set", p["led"], 1), ("set", p["led"], 0),
        ("duty", p["buzzer"], 32768), ("duty", p["buzzer"], 0)]
    # watchdog: started, fed; then, off to the REPL, fed from a Timer of the
    # port for the maintenance window only
    assert r["kept_unstarted"] is False and r["kept"] is True
    assert c["TIMER"] in t["timer_ids"]
    PERIODIC = 1
    timer = ("timer", c["TIMER"], PERIODIC, 1000)
    assert [tuple(x) for x in r["wdt"]] == [
        ("wdt", c["WDT_MS"]), ("feed",),
        timer, ("feed",), ("feed",),  # two periods inside the window: fed twice
        ("timer_deinit", c["TIMER"]), timer,  # a new window replaces the old
        ("timer_deinit", c["TIMER"]),  # the window is over: stops, no feed
    ]


@pytest.mark.micropython
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_hal_tells_whether_a_soft_reboot_left_the_watchdog_running(name):
    """rp2: a soft reboot does not stop the watchdog, so the HAL reads the
    RP2040's WATCHDOG CTRL register (ENABLE, bit 30) and nothing else. esp32:
    the board can't tell, so it says no without touching memory."""
    t = TARGETS[name]
    r = run_board_make(name, t["port"])
    if t["wdt_ctrl"] is None:
        assert "WDT_CTRL" not in board_constants(name)
        assert r["wdt_running"] == [False] and r["wdt_probe"] == []
        return
    assert board_constants(name)["WDT_CTRL"] == t["wdt_ctrl"]
    # register 0, then reset value with ENABLE clear, then ENABLE set
    assert r["wdt_running"] == [False, False, True]
    assert [tuple(x) for x in r["wdt_probe"]] == [("mem32", t["wdt_ctrl"])] * 3


@pytest.mark.micropython
def test_hal_falls_back_to_soft_irqs_where_hard_is_refused():
    """The Pico's HAL on a port that refuses `hard` (as esp32 does) still
    registers both IRQs, soft."""
    r = run_board_make("pico", "esp32")
    assert [x[3] for x in r["irqs"]] == [False, False]
    assert r["ring_levels"] == [1, 0]


# ---- mpy-cross, per target architecture -----------------------------------
def mpy_cross(src, out, *args):
    proc = subprocess.run([mpy_cross_exe(), *args, "-o", str(out), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"mpy-cross {' '.join(args)} {src}:\n{proc.stderr}"
    return out.read_bytes()


def test_mpy_cross_knows_each_target_arch():
    help_text = subprocess.run([mpy_cross_exe(), "--help"], capture_output=True,
                               text=True).stdout
    for t in TARGETS.values():
        assert t["march"] in help_text


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_firmware_file_compiles_for_the_target(name, tmp_path):
    """Every file that goes on the board, plus its board.py, compiles with
    -march for the target; the .mpy header is what the port loads."""
    t = TARGETS[name]
    for src in FIRMWARE_FILES + [board_file(name)]:
        out = tmp_path / (src.parent.name + "_" + src.stem + ".mpy")
        data = mpy_cross(src, out, f"-march={t['march']}")
        assert data[0:1] == b"M" and data[1] == MPY_MAJOR, src
        assert data[2] == 0, src  # bytecode only: no native code, no arch bits
        assert data[3] == SMALL_INT_BITS, src


def test_bytecode_is_the_same_for_both_archs(tmp_path):
    """ringcue ships bytecode only, so one build serves both boards: -march
    changes nothing in it (it only matters for @native/@viper code)."""
    archs = sorted({t["march"] for t in TARGETS.values()})
    for src in FIRMWARE_FILES:
        outs = {mpy_cross(src, tmp_path / f"{a}.mpy", f"-march={a}") for a in archs}
        assert len(outs) == 1, src


@pytest.mark.parametrize("name", sorted(TARGETS))
@pytest.mark.parametrize("module", ["ticks", "capture", "cue", "detector"])
def test_hot_path_compiles_to_native_code_for_the_target(name, module, tmp_path):
    """The edge path (the candidates for @micropython.native) also goes
    through the target's native emitter; the header then names the arch."""
    t = TARGETS[name]
    data = mpy_cross(FIRMWARE_DIR / "ringcue_core" / f"{module}.py", tmp_path / "n.mpy",
                     f"-march={t['march']}", "-X", "emit=native")
    native_arch = {"armv6m": 4, "rv32imc": 11}[t["march"]]  # MP_NATIVE_ARCH_*
    assert data[2] >> 2 == native_arch  # the header names the target's arch


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_flash_builds_the_board(name):
    files = build_firmware(name)
    assert files["board.py"] == board_file(name).read_bytes()
    assert "ringcue_fw/hal.mpy" in files and "ringcue_core/detector.mpy" in files


# ---- the core's MicroPython tests inside each board's heap budget ---------
def run_mp(script, heapsize):
    from ringcue.paths import mp_env

    proc = subprocess.run([micropython_exe(), "-X", f"heapsize={heapsize}",
                           str(HERE / "mp" / script)], env=mp_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.micropython
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_core_heap_checks_pass_in_the_boards_heap(name):
    """tests/mp/heap_check.py (the no-allocation proofs of the interrupt and
    edge paths, and the core's heap use) with the board's heap budget."""
    heap = json.loads(run_mp("heap_check.py", TARGETS[name]["heap"]))
    assert heap["capture_push_no_alloc"] and heap["detector_edge_no_alloc"]
    assert heap["drain_no_alloc"] and heap["bytes_per_edge"] == 0
    assert heap["core_heap_bytes"] <= 4096


@pytest.mark.micropython
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_corpus_runs_in_the_boards_heap(name, tmp_path):
    """Scenario corpus (a sample), compiled by mpy-cross, inside MicroPython
    with the board's heap budget: same events as CPython."""
    from corpus import SCENARIOS
    from replay_util import replay_cpython, replay_micropython_batch

    chosen = SCENARIOS[::13]
    got = replay_micropython_batch(
        [(sc.name, sc.text, sc.profile, sc.cue, sc.alarm) for sc in chosen], tmp_path,
        heapsize=TARGETS[name]["heap"], mpy=True)
    for sc in chosen:
        assert got[sc.name] == replay_cpython(sc.text, sc.profile, sc.cue, sc.alarm)


# ---- hardware docs ----------------------------------------------------------
def test_wiring_diagram_is_valid_svg_naming_the_pico_pins():
    import xml.etree.ElementTree as ET

    root = ET.parse(BOARDS_DIR.parent / "docs" / "img" / "wiring.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    c = board_constants("pico")
    for gp in (c["RING"], c["HOOK"], c["LED"], c["BUZZER"]):
        assert f"GP{gp} " in text, f"GP{gp} missing from the diagram"
    for part in ("ISOLATION BARRIER", "H11AA1", "400 V", "C1", "R1", "ZD1", "D3", "Q1"):
        assert part in text, part
    e = board_constants("esp32c3")
    for gpio in (e["RING"], e["HOOK"], e["LED"], e["BUZZER"]):
        assert f"GPIO{gpio}" in text


def test_hardware_doc_matches_the_boards():
    doc = (BOARDS_DIR.parent / "docs" / "hardware.md").read_text()
    assert "](img/wiring.svg)" in doc
    p, e = board_constants("pico"), board_constants("esp32c3")
    assert f"| RING input (opto U1) | GP{p['RING']}, " in doc
    assert f"| HOOK input (opto U2) | GP{p['HOOK']}, " in doc
    assert f"| cue LED | GP{p['LED']}, " in doc and f"| GPIO{e['LED']} |" in doc
    for t in TARGETS.values():
        for spec in t["stubs"]:
            assert f"`{spec}`" in doc or spec in doc, spec
        assert f"`-X heapsize={t['heap']}`" in doc or f"{t['heap'][:-1]} KB" in doc
