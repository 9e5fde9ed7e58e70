"""`ringcue ports`: serial ports that may be ringcue boards, real and virtual.

Real ports come from pyserial's list_ports on every desktop: COM<n> on
Windows, /dev/cu.* on macOS (pyserial lists the call-out devices; /dev/tty.*
ones wait for a carrier a board never raises, so a --port /dev/tty.* is
switched to its cu.* twin), /dev/ttyACM*/ttyUSB* on Linux. Virtual boards
(`ringcue sim`) are added where they can run.
"""

from __future__ import annotations

import os
import re
import sys

from serial.tools import list_ports

# USB vendor ids of boards and bridges that run MicroPython
KNOWN_VIDS = {
    0x2E8A: "Raspberry Pi (Pico)",
    0x303A: "Espressif (ESP32-C3 native USB)",
    0xF055: "MicroPython",
    0x10C4: "Silicon Labs CP210x bridge",
    0x1A86: "WCH CH340 bridge",
    0x0403: "FTDI bridge",
}
# the exact products, where a vendor makes several
KNOWN_PRODUCTS = {
    (0x2E8A, 0x0005): "Raspberry Pi Pico (MicroPython)",
    (0x2E8A, 0x0009): "Raspberry Pi Pico 2 (MicroPython)",
    (0x303A, 0x1001): "Espressif ESP32-C3/S3 (USB serial/JTAG)",
    (0xF055, 0x9800): "MicroPython board",
}


def describe(vid: int, pid: int | None, description: str | None,
             manufacturer: str | None = None, product: str | None = None) -> tuple[str, bool]:
    """(what to call a USB serial port, whether it is probably a board)."""
    what = KNOWN_PRODUCTS.get((vid, pid)) or KNOWN_VIDS.get(vid)
    says_mp = any("micropython" in (s or "").lower() for s in (manufacturer, product, description))
    if what is None:
        what = product or description or "unknown USB serial"
        if what == "n/a":
            what = "unknown USB serial"
    return what, vid in KNOWN_VIDS or says_mp


def _natural(name: str):
    """COM3 before COM10, ttyACM2 before ttyACM10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def real_ports() -> list[dict]:
    out = []
    for p in sorted(list_ports.comports(), key=lambda p: _natural(p.device)):
        if p.vid is None:
            continue  # no USB ids: Bluetooth or built-in ports, not a board
        if sys.platform == "darwin" and p.device.startswith("/dev/tty."):
            continue  # its /dev/cu.* twin is listed (the one to open)
        what, likely = describe(p.vid, p.pid, p.description, p.manufacturer, p.product)
        out.append({"port": p.device, "kind": "usb", "vid": p.vid, "pid": p.pid,
                    "serial": p.serial_number or "", "what": what, "likely": likely})
    return out


def virtual_ports() -> list[dict]:
    if sys.platform == "win32":
        return []  # virtual boards need the unix port: none can run here
    from ..sim.daemon import running

    return [{"port": b["port"], "kind": "virtual", "vid": None, "pid": None,
             "serial": b["name"], "what": f"ringcue virtual board {b['name']!r}",
             "likely": True} for b in running()]


def all_ports() -> list[dict]:
    return real_ports() + virtual_ports()


# mpremote's shorthands: a0 = /dev/ttyACM0, u0 = /dev/ttyUSB0, c3 = COM3
_SHORT = {"a": "/dev/ttyACM", "u": "/dev/ttyUSB", "c": "COM"}


def resolve_port(port: str) -> str:
    """A --port as the user typed it -> the device to open: mpremote's
    shorthands (a0, u0, c3) and `id:<serial number>`, COM ports in any case,
    and macOS's /dev/tty.* switched to /dev/cu.*."""
    from ..errors import UserError

    m = re.fullmatch(r"([auc])(\d+)", port)
    if m:
        return _SHORT[m.group(1)] + m.group(2)
    if port.startswith("id:"):
        want = port[3:]
        for p in real_ports():
            if p["serial"] == want:
                return p["port"]
        raise UserError(f"no board with USB serial number {want!r} is attached "
                        "(see `ringcue ports`)")
    if re.fullmatch(r"(?i)com\d+", port):
        return port.upper()
    if port.startswith("/dev/tty.") and sys.platform == "darwin":
        cu = "/dev/cu." + port[len("/dev/tty."):]
        if os.path.exists(cu):
            return cu
    return port


def pick_port(port: str | None) -> str:
    """--port, or the only likely board attached; else a clear error."""
    from ..errors import UsageError, UserError

    if port and port != "auto":
        return resolve_port(port)
    cands = [p for p in all_ports() if p["likely"]]
    if len(cands) == 1:
        return cands[0]["port"]
    if not cands:
        raise UserError("no board found: plug one in (or start a virtual board: "
                        "ringcue sim start), or give --port")
    listing = "\n".join(f"  {p['port']:<16} {p['what']} {p['serial']}" for p in cands)
    raise UsageError(f"several boards are attached; choose one with --port:\n{listing}")
