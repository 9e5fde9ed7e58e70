"""The real boards ringcue targets, as the no-hardware checks see them.

One row per boards/<name>: the MicroPython port, the mpy-cross -march value,
the pinned official stubs for the type check, and the heap budget the
firmware's tests run under on the unix port (docs/hardware.md explains the
figures).
"""

from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent  # the source checkout under test
BOARDS_DIR = REPO_DIR / "boards"
FIRMWARE_DIR = REPO_DIR / "firmware"
TESTS_DIR = REPO_DIR / "tests"  # traces/, mp/ and the shared helpers beside this file

# Both stub packages depend on micropython-stdlib-stubs ~= 1.29.0; pin it too,
# so a new post-release of either can't change the result under us.
STDLIB_STUBS = "micropython-stdlib-stubs==1.29.0.post2"

TARGETS = {
    "pico": {
        "port": "rp2",
        "march": "armv6m",  # RP2040: Cortex-M0+
        "stubs": ("micropython-rp2-rpi-pico-stubs==1.29.0.post1", STDLIB_STUBS),
        # 264 KB SRAM; the rp2 port gives the rest after static data to the
        # GC: gc.mem_free() reads ~210 KB at boot on a plain Pico. We test
        # at 192 KB, below that.
        "heap": "192k",
        "wdt_max_ms": 8388,
        # a soft reboot leaves the WDT running; its CTRL.ENABLE bit says so.
        # pico-sdk's value: the tests' oracle for boards/pico/board.py's
        # WDT_CTRL, which the firmware and the flasher read
        "wdt_ctrl": 0x40058000,
        "timer_ids": (-1,),  # rp2's machine.Timer: the soft timer only
        "hard_irq": True,
        "other_port_module": "esp32",  # must NOT type-check under these stubs
    },
    "esp32c3": {
        "port": "esp32",
        "march": "rv32imc",  # ESP32-C3: RISC-V
        "stubs": ("micropython-esp32-stubs==1.29.0.post1", STDLIB_STUBS),
        # The esp32 port starts with a 64 KB GC area and adds areas from the
        # IDF heap on demand; 128 KB (grown once) is the point it is tuned to
        # while leaving the IDF room for Wi-Fi. We test at 128 KB.
        "heap": "128k",
        "wdt_max_ms": None,  # IDF task watchdog: no small hardware cap
        "wdt_ctrl": None,  # no register Python can read says it runs
        # esp32 Timer(id): group = id >> 1, index = id & 1; the C3 has one
        # timer per group, so 0 and 2
        "timer_ids": (0, 2),
        "hard_irq": False,  # esp32 Pin.irq has no `hard`: soft (scheduled) IRQs
        "other_port_module": "rp2",
    },
}

# Every firmware file that goes on a board (flash.build_firmware's set).
FIRMWARE_FILES = sorted(
    [FIRMWARE_DIR / "main.py"]
    + list((FIRMWARE_DIR / "ringcue_core").glob("*.py"))
    + list((FIRMWARE_DIR / "ringcue_fw").glob("*.py"))
)


def board_file(name):
    return BOARDS_DIR / name / "board.py"
