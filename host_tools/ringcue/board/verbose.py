"""`ringcue -v`: show the serial conversation on stderr.

Every port ringcue opens goes through one of two places: `client.open_serial`
(its protocol) and `transport.BoardTransport` (mpremote's raw REPL). With -v
both wrap the port in a `Tap`, which echoes each complete line sent (`>`)
and received (`<`). Binary runs (log data) are shown as a byte count, so
the terminal stays readable.
"""

from __future__ import annotations

import sys

_on = False
MAX_SHOWN = 200  # characters of one line


def verbose() -> bool:
    return _on


def enable() -> None:
    global _on
    _on = True


class Tap:
    """A serial port that shows what goes through it; everything else is
    the port's own (timeout, in_waiting, close, ...)."""

    def __init__(self, ser):
        object.__setattr__(self, "_ser", ser)
        object.__setattr__(self, "_shown", {">": bytearray(), "<": bytearray()})

    def __getattr__(self, name):
        return getattr(self._ser, name)

    def __setattr__(self, name, value):
        setattr(self._ser, name, value)

    def write(self, data):
        show(self._shown[">"], ">", bytes(data), self._ser.port)
        return self._ser.write(data)

    def read(self, size=1):
        data = self._ser.read(size)
        show(self._shown["<"], "<", data, self._ser.port)
        return data


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
