"""Talk to a ringcue board (real or virtual) over its serial port.

    with BoardClient.open("/dev/ttyACM0") as b:
        print(b.call("hello"))

Requests are framed and checksummed (ringcue_core.proto); replies are
matched by id, monitor events are queued, and anything else on the line
(boot messages, REPL noise) is kept in `noise` for diagnostics.
"""

from __future__ import annotations

import time

import serial

from ringcue_core import proto

from .portlock import SPAWN_OR_OPEN


class BoardTimeout(TimeoutError):
    def __init__(self, what, partial=b""):
        super().__init__(f"no reply to {what} (is the ringcue firmware running?)")
        self.partial = partial


class BoardClient:
    def __init__(self, ser: serial.Serial):
        self.ser = ser
        self._id = 0
        self._buf = b""
        self.events: list[dict] = []
        self.noise: list[str] = []

    @classmethod
    def open(cls, port: str, baud: int = 115200, timeout: float = 0.05) -> "BoardClient":
        with SPAWN_OR_OPEN:  # see portlock
            ser = serial.serial_for_url(port, baudrate=baud, timeout=timeout, exclusive=True)
        return cls(ser)

    def close(self):
        self.ser.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _lines(self, deadline):
        """Yield complete lines until the deadline."""
        while True:
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                yield line.decode(errors="replace").rstrip("\r")
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.ser.timeout = min(left, 0.05)
            chunk = self.ser.read(max(1, self.ser.in_waiting))
            if chunk:
                self._buf += chunk

    def send(self, cmd: str, args: dict | None = None) -> int:
        self._id += 1
        self.ser.write(proto.request_line(self._id, cmd, args).encode())
        return self._id

    def wait_reply(self, rid: int, timeout: float = 2.0, what: str = "request"):
        deadline = time.monotonic() + timeout
        for line in self._lines(deadline):
            try:
                parsed = proto.parse_board_line(line)
            except proto.ProtocolError:
                self.noise.append(line)  # corrupted on the wire: the id can't be trusted
                continue
            except ValueError:
                self.noise.append(line)
                continue
            if parsed is None:
                if line:
                    self.noise.append(line)
                continue
            kind, got_id, result = parsed
            if kind == "EV":
                self.events.append(result)
                continue
            if got_id is None and isinstance(result, proto.ProtocolError):
                # the board could not read a request's id: ours was mangled on
                # the way (noise, a reboot mid-line), so say so now, not at timeout
                raise proto.ProtocolError(proto.ERR_BAD_CRC, f"request garbled: {result.msg}")
            if got_id == rid:
                if isinstance(result, proto.ProtocolError):
                    raise result
                return result
        raise BoardTimeout(what, self._buf)

    def call(self, cmd: str, args: dict | None = None, timeout: float = 2.0, retries: int = 2):
        """Send a request and return its result; resend on a lost/garbled reply."""
        last = None
        for _ in range(retries + 1):
            rid = self.send(cmd, args)
            try:
                return self.wait_reply(rid, timeout, cmd)
            except BoardTimeout as e:
                last = e
            except proto.ProtocolError as e:
                if e.code != proto.ERR_BAD_CRC:
                    raise
                last = e  # our request got garbled on the way: send it again
        raise last

    def call_binary(self, cmd: str, args: dict | None = None, timeout: float = 5.0):
        """A request whose reply line announces `bytes` of raw data after it
        (log_read). Returns (result, data); checks the data's crc32."""
        import zlib

        rid = self.send(cmd, args)
        res = self.wait_reply(rid, timeout, cmd)
        n = res["bytes"]
        deadline = time.monotonic() + timeout + n / 1000
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BoardTimeout(f"{cmd} data ({len(self._buf)} of {n} bytes)")
            self.ser.timeout = min(left, 0.05)
            self._buf += self.ser.read(max(1, min(n - len(self._buf), 65536)))
        data, self._buf = self._buf[:n], self._buf[n:]
        if zlib.crc32(data) & 0xFFFFFFFF != res["crc"]:
            raise proto.ProtocolError(proto.ERR_BAD_CRC, f"{cmd} data damaged in transit")
        return res, data

    def poll_events(self, duration: float = 0.0) -> list[dict]:
        """Collect monitor events for `duration` seconds; return and clear."""
        deadline = time.monotonic() + duration
        for line in self._lines(deadline):
            try:
                parsed = proto.parse_board_line(line)
            except (proto.ProtocolError, ValueError):
                continue
            if parsed and parsed[0] == "EV":
                self.events.append(parsed[2])
        ev, self.events = self.events, []
        return ev
