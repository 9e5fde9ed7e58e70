"""`ringcue ports`: serial ports that may be ringcue boards, real and virtual."""

from __future__ import annotations

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


def real_ports() -> list[dict]:
    out = []
    for p in list_ports.comports():
        if p.vid is None:
            continue  # no USB ids: Bluetooth or built-in ports, not a board
        out.append({"port": p.device, "kind": "usb", "vid": p.vid, "pid": p.pid,
                    "serial": p.serial_number or "", "what": KNOWN_VIDS.get(
                        p.vid, p.description or "unknown USB serial"),
                    "likely": p.vid in KNOWN_VIDS})
    return out


def virtual_ports() -> list[dict]:
    from .sim.daemon import running

    return [{"port": b["port"], "kind": "virtual", "vid": None, "pid": None,
             "serial": b["name"], "what": f"ringcue virtual board {b['name']!r}",
             "likely": True} for b in running()]


def all_ports() -> list[dict]:
    return real_ports() + virtual_ports()


def pick_port(port: str | None) -> str:
    """--port, or the only likely board attached; else a clear error."""
    from .errors import UserError

    if port and port != "auto":
        return port
    cands = [p for p in all_ports() if p["likely"]]
    if len(cands) == 1:
        return cands[0]["port"]
    if not cands:
        raise UserError("no board found: plug one in (or start a virtual board: "
                        "ringcue sim start), or give --port")
    listing = "\n".join(f"  {p['port']:<16} {p['what']} {p['serial']}" for p in cands)
    raise UserError(f"several boards are attached; choose one with --port:\n{listing}")
