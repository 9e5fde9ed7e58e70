"""`ringcue -v`: show the serial conversation on stderr.

Every serial port ringcue opens (its own protocol client and mpremote's
transport alike) is made by `serial.serial_for_url`, which instantiates
`serial.Serial`; with -v that name is bound to a subclass that echoes each
complete line sent (`>`) and received (`<`). Binary runs (log data) are
shown as a byte count, so the terminal stays readable.
"""

from __future__ import annotations

import sys

_on = False
MAX_SHOWN = 200  # characters of one line


def verbose() -> bool:
    return _on


def enable() -> None:
    global _on
    if _on:
        return
    _on = True
    import serial

    base = serial.Serial

    class TalkativeSerial(base):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **kw):
            self._shown = {">": bytearray(), "<": bytearray()}
            super().__init__(*a, **kw)

        def write(self, data):
            show(self._shown[">"], ">", bytes(data), self.port)
            return super().write(data)

        def read(self, size=1):
            data = super().read(size)
            show(self._shown["<"], "<", data, self.port)
            return data

    serial.Serial = TalkativeSerial


def show(buf: bytearray, arrow: str, data: bytes, port) -> None:
    buf += data
    while True:
        nl = buf.find(b"\n")
        if nl < 0:
            if len(buf) > 4096:  # a long binary run (log data)
                _line(arrow, port, f"[{len(buf)} bytes of data]")
                buf.clear()
            return
        line = bytes(buf[:nl]).rstrip(b"\r")
        del buf[:nl + 1]
        text = line.decode("utf-8", "backslashreplace")
        printable = sum(c.isprintable() for c in text)
        if text and printable < 0.9 * len(text):
            text = f"[{len(line)} bytes of data]"
        elif len(text) > MAX_SHOWN:
            text = text[:MAX_SHOWN] + f"… ({len(text)} characters)"
        _line(arrow, port, text.replace("\x04", "<Ctrl-D>").replace("\x03", "<Ctrl-C>"))


def _line(arrow, port, text):
    try:
        print(f"{port} {arrow} {text}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
