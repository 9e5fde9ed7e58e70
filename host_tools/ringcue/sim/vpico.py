"""VirtualPico: the real MicroPython firmware for the Raspberry Pi Pico
(RPI_PICO UF2) on an emulated RP2040 (rp2040js, in Node.js), behind a
pseudo-terminal that looks like the Pico's USB serial port.

    user side (ringcue, mpremote,      bridge thread           node rp2040/runner.mjs
    pytest-embedded) opens `port` <--> pty A master <--> pty B <--> emulated USB CDC
                                       control pipes <-------->  clock, GPIO, flash

It is a VirtualBoard with another process behind the pty: the same public
interface (advance, play, ring, hook, outputs, power_cycle, ...) and the same
control protocol (docs/virtual-board.md). The ring line, hook switch, LED and
buzzer are the GPIOs named in boards/pico/board.py.

The firmware image and the RP2040 boot ROM are files the user supplies
(`firmware=` / $RINGCUE_PICO_FIRMWARE, `bootrom=` / $RINGCUE_RP2040_BOOTROM);
rp2040js comes from npm (`make setup`, or `ringcue sim setup-pico`).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import termios
import time
from pathlib import Path

from ..paths import board_constants
from ..state import home
from .vboard import HOOK_ACTIVE, RING_ACTIVE, VirtualBoard

RUNNER_DIR = Path(__file__).resolve().parent / "rp2040"
FLASH_BYTES = 2 * 1024 * 1024  # the Pico's 2 MB flash chip
BOOTROM_BYTES = 16384
UF2_MAGIC = b"UF2\n"
FIRMWARE_ENV = "RINGCUE_PICO_FIRMWARE"
BOOTROM_ENV = "RINGCUE_RP2040_BOOTROM"
MIN_NODE = 18


class PicoUnavailable(RuntimeError):
    """The emulated Pico cannot run here (no node, no rp2040js, no firmware)."""


def board_pins() -> dict[str, int]:
    """GPIO numbers of RING, HOOK, LED and BUZZER, read from boards/pico/board.py
    (the one place they are written down)."""
    c = board_constants("pico")
    return {k: c[k] for k in ("RING", "HOOK", "LED", "BUZZER")}


def node_exe() -> str:
    node = shutil.which("node")
    if not node:
        raise PicoUnavailable(f"the emulated Pico needs Node.js {MIN_NODE} or newer; install it "
                              "(Debian/Ubuntu: apt install nodejs npm; others: nodejs.org)")
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True,
                             timeout=10).stdout
        major = int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        major = 0
    if major < MIN_NODE:
        raise PicoUnavailable(f"the emulated Pico needs Node.js {MIN_NODE} or newer; "
                              f"{node} is {out.strip() or 'unknown'}")
    return node


def user_emulator_dir() -> Path:
    """Where `ringcue sim setup-pico` installs rp2040js (an installed wheel's
    own folder may not be writable)."""
    return home() / "rp2040js"


def _installed(d: Path) -> bool:
    return (d / "node_modules" / "rp2040js" / "package.json").exists()


def runner() -> Path:
    """The emulator script, beside an installed rp2040js."""
    if _installed(RUNNER_DIR):
        return RUNNER_DIR / "runner.mjs"
    d = user_emulator_dir()
    if _installed(d):
        dst = d / "runner.mjs"  # node resolves rp2040js from the script's folder
        if not dst.exists() or not filecmp.cmp(RUNNER_DIR / "runner.mjs", dst, shallow=False):
            shutil.copyfile(RUNNER_DIR / "runner.mjs", dst)
        return dst
    raise PicoUnavailable("the RP2040 emulator (npm package rp2040js) is not installed; "
                          "run `ringcue sim setup-pico` (in a source checkout: `make setup`)")


def install_emulator() -> Path:
    """npm ci the pinned rp2040js into the user's state folder."""
    node_exe()  # what is missing first: a failed setup leaves no files behind
    npm = shutil.which("npm")
    if not npm:
        raise PicoUnavailable("npm is not installed; it comes with Node.js "
                              "(Debian/Ubuntu: apt install npm)")
    try:
        d = user_emulator_dir()
        d.mkdir(parents=True, exist_ok=True)
        for f in ("package.json", "package-lock.json", "runner.mjs"):
            shutil.copyfile(RUNNER_DIR / f, d / f)
    except OSError as e:
        raise PicoUnavailable(f"cannot install the emulator in ringcue's state folder: "
                              f"{e.strerror or e}") from None
    r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(d)],
                       capture_output=True, text=True)
    if r.returncode != 0 or not _installed(d):
        last = (r.stderr.strip().splitlines() or ["no output"])[-1]
        raise PicoUnavailable(f"npm ci in {d} failed: {last}")
    return d


def firmware_file(path=None) -> Path | None:
    """The MicroPython UF2 for RPI_PICO: `path`, else $RINGCUE_PICO_FIRMWARE."""
    p = path or os.environ.get(FIRMWARE_ENV)
    if not p:
        return None
    p = Path(p)
    try:
        with open(p, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise PicoUnavailable(f"cannot read the Pico firmware {p}: {e.strerror}") from None
    if head != UF2_MAGIC:
        raise PicoUnavailable(f"{p} is not a UF2 file (MicroPython's RPI_PICO .uf2)")
    return p


def bootrom_file(path=None) -> Path:
    """The RP2040 boot ROM (B1, 16 KB): `path`, else $RINGCUE_RP2040_BOOTROM."""
    p = path or os.environ.get(BOOTROM_ENV)
    if not p:
        raise PicoUnavailable("the emulated Pico needs the RP2040 boot ROM (rp2040 B1, 16 KB, "
                              f"from raspberrypi/pico-bootrom): give --bootrom or set {BOOTROM_ENV}")
    p = Path(p)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise PicoUnavailable(f"cannot read the RP2040 boot ROM {p}: {e.strerror}") from None
    if size != BOOTROM_BYTES:
        raise PicoUnavailable(f"{p} is not an RP2040 boot ROM ({size} bytes, not {BOOTROM_BYTES})")
    return p


def check_available() -> None:
    """Raise PicoUnavailable, saying what is missing, unless an emulated Pico
    can start from this environment alone: Node.js, rp2040js, the boot ROM
    and the firmware UF2 (tests and benchmarks ask this before they start one)."""
    node_exe()
    runner()
    bootrom_file()
    if firmware_file() is None:
        raise PicoUnavailable(f"set {FIRMWARE_ENV} to MicroPython's RPI_PICO UF2")


FLASH_FILE = "pico-flash.bin"  # in the board's folder (the unix board's is flash.img)
NO_FIRMWARE = ("the emulated Pico's flash is blank: give MicroPython's RPI_PICO UF2 with "
               f"--firmware or set {FIRMWARE_ENV} (micropython.org/download/RPI_PICO)")


def flash_blank(image: Path) -> bool:
    try:
        with open(image, "rb") as f:
            return f.read(256) in (b"", b"\xff" * 256)
    except FileNotFoundError:
        return True


class VirtualPico(VirtualBoard):
    """An emulated Raspberry Pi Pico; see the module docstring."""

    kind = "pico"
    # all scheduled input changes go to the emulator at once: it holds them in
    # its own memory (the unix board's window bounds MicroPython's)
    _WINDOW = 1 << 20

    def __init__(self, workdir, name="desk-1", uid=None, baud=None, speed=None,
                 firmware=None, bootrom=None):
        super().__init__(workdir, name=name, uid=uid, baud=baud, speed=speed,
                         flash_kb=FLASH_BYTES // 1024)
        self.image = self.dir / FLASH_FILE
        self.log_path = self.dir / "emulator.log"
        self._firmware_arg = firmware
        self._bootrom_arg = bootrom
        self._fw_ready = False
        self._ready_ms = 0
        self._power_cut = False
        self._spawned_at = 0.0
        self.failed = None  # why the emulator stopped by itself, if it did

    def start(self):
        self._node = node_exe()
        self._runner = runner()
        self._bootrom = bootrom_file(self._bootrom_arg)
        self._firmware = firmware_file(self._firmware_arg)
        if self.image.exists() and self.image.stat().st_size != FLASH_BYTES:
            raise PicoUnavailable(f"{self.image} is not a Pico flash image")
        if self._firmware is None and flash_blank(self.image):
            raise PicoUnavailable(NO_FIRMWARE)
        return super().start()

    # ---- the process behind the pty ------------------------------------------
    def _child_tty(self, attrs):
        # USB CDC is a byte pipe: nothing special at all (node reads it raw)
        attrs[0] &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP
                      | termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON)
        attrs[1] &= ~termios.OPOST
        attrs[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG
                      | termios.IEXTEN)
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        return attrs

    def _child_command(self, fd_cin, fd_cout, raw):
        pins = board_pins()
        idle = {"RING": 1 - RING_ACTIVE, "HOOK": 1 - HOOK_ACTIVE}  # pull-ups
        cmd = [self._node, str(self._runner), "--bootrom", str(self._bootrom),
               "--flash", str(self.image), "--uid", self.uid, "--t0", str(self.board_clock),
               "--cin", str(fd_cin), "--cout", str(fd_cout), "--log", str(self.log_path)]
        for name in ("RING", "HOOK"):
            cmd += ["--in", f"{name}={pins[name]}={self._levels.get(name, idle[name])}"]
        for name in ("LED", "BUZZER"):
            cmd += ["--out", f"{name}={pins[name]}"]
        if self._firmware is not None:
            cmd += ["--firmware", str(self._firmware)]
        self._fw_ready = False
        self._spawned_at = time.monotonic()
        return cmd, dict(os.environ)

    def _control_line(self, f):
        if f[0] == "Y":  # the firmware's banner or a REPL prompt: booted
            self._fw_ready = True
            self._ready_ms = int(f[1])
        elif f[0] == "P":  # cut_power_in_flash_write() happened: boot again
            self._power_cut = True
        elif f[0] == "X":  # the chip reset itself (watchdog, machine.reset())
            self.resets.append((int(f[1]), f[2]))
            self.boots += 1
            self._fw_ready = False

    def _child_exited(self):
        if self._stopping:
            return
        if self._power_cut:
            self._power_cut = False
            self._restart(raw=False, kind="power")
            return
        if time.monotonic() - self._spawned_at < 3:  # it cannot start: don't loop
            self.failed = self._log_tail() or "the emulator exited at start"
            self._stopping = True
            self._cond.notify_all()
            return
        self._restart(raw=False, kind="power")

    def _log_tail(self):
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    # ---- controls: the host's clock follows the board's ------------------------
    # Serial traffic lets the emulated chip run a little past the host's clock
    # (a request must be answered without anyone advancing time), so before
    # scheduling anything the host's clock catches up with the board's.
    def _catch_up(self):
        with self._lock:
            if self.board_clock > self.clock:
                self.clock = self.board_clock

    def advance(self, ms, timeout=30.0):
        self._catch_up()
        return super().advance(ms, timeout)

    def set_input(self, pin, level, at=None):
        self._catch_up()
        super().set_input(pin, level, at)

    def play(self, events, start=None, run=True, tail_ms=0, timeout=60.0):
        self._catch_up()
        return super().play(events, start, run, tail_ms, timeout)

    def run_free(self, speed=1.0):
        self._catch_up()
        super().run_free(speed)

    def wait_ready(self, timeout=60.0):
        """Wait until the firmware printed its banner (or the REPL prompted)
        and then went idle. (The emulator runs busy code slower than real
        time: a boot takes seconds of wall time.)"""
        end = time.monotonic() + timeout
        with self._cond:
            while not self._fw_ready and self.failed is None:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return self._fw_ready and self.wait_idle(self._ready_ms, max(0.0, end - time.monotonic()))

    def soft_reset(self):
        """Ctrl-C, Ctrl-D: MicroPython's soft reboot, inside the chip."""
        with self._lock:
            self.resets.append((self.clock, "soft"))
            self._fw_ready = False
        self.write_serial(b"\r\x03\x03\x04")

    def cut_power_in_flash_write(self, n=0):
        """Pull the plug half way through the board's n-th flash page
        program from now (half the page written, as NOR flash does when
        the power dies); the board then boots again, as power_cycle()."""
        with self._lock:
            self._ctl_out += b"C %d\n" % n
        self._wake()

    def write_serial(self, data: bytes):
        """Bytes into the board's USB serial port, as if a host sent them."""
        with self._lock:
            self._to_board += data
        self._wake()
