"""`ringcue sim start`: a virtual board that runs until stopped, with a small
control socket so other commands can ring it, lift its hook, power-cycle it
or read its LED. One folder per board under `ringcue.state.sims_dir()`:

    flash.img    the board's littlefs flash (kept between runs)
    pico-flash.bin  an emulated Pico's whole 2 MB flash (--board pico)
    info.json    name, board kind, port, pid, speed (present while it runs)
    control.sock JSON-lines control socket
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

from ringcue_core.trace import EV_END, EV_HOOK, EV_RING

from ..errors import UsageError, UserError
from ..state import sims_dir


# silence after a call's last edge before the next may start: longer than any
# profile's end_ms (firmware/ringcue_core/profiles.py), so calls stay apart
_CALL_OVER_MS = 10_000


def board_dir(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise UsageError(f"invalid board name {name!r}")
    return sims_dir() / name


def running() -> list[dict]:
    """Virtual boards whose daemon is alive."""
    out = []
    for info_path in sorted(sims_dir().glob("*/info.json")):
        try:
            info = json.loads(info_path.read_text())
            os.kill(info["pid"], 0)
        except (OSError, ValueError, KeyError):
            continue
        out.append(info)
    return out


def find(name: str | None) -> dict:
    boards = running()
    if name:
        for b in boards:
            if b["name"] == name:
                return b
        raise UserError(f"no virtual board named {name!r} is running "
                        f"(start one: ringcue sim start --name {name})")
    if not boards:
        raise UserError("no virtual board is running (start one: ringcue sim start)")
    if len(boards) > 1:
        names = ", ".join(b["name"] for b in boards)
        raise UserError(f"several virtual boards are running ({names}): choose one with --name")
    return boards[0]


def _recv_line(sock) -> bytes:
    """Read one JSON line (the control protocol's only frame)."""
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def control(info: dict, req: dict, timeout: float = 10.0) -> dict:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(info["socket"])
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = _recv_line(s)
    except OSError as e:
        raise UserError(f"virtual board {info['name']!r} did not answer: {e}") from None
    finally:
        s.close()
    resp = json.loads(buf or b"{}")
    if "error" in resp:
        raise UserError(resp["error"])
    return resp


class Daemon:
    def __init__(self, name, speed=1.0, baud=None, heapsize=None, flash_kb=1024, fresh=False,
                 board="sim", firmware=None, bootrom=None):
        self.dir = board_dir(name)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        # imported here: `ringcue ports` lists boards without them
        if board == "pico":
            from .vpico import VirtualPico

            self.vb = VirtualPico(self.dir, name=name, baud=baud, firmware=firmware,
                                  bootrom=bootrom)
        else:
            from .vboard import VirtualBoard

            self.vb = VirtualBoard(self.dir, name=name, baud=baud, heapsize=heapsize,
                                   flash_kb=flash_kb)
        if fresh:
            self.vb.image.unlink(missing_ok=True)
        self.speed = speed
        self.sock_path = str(self.dir / "control.sock")
        self._stop = threading.Event()
        self._line_free_ms = 0  # virtual time the last call played is over

    def start(self):
        if any(b["name"] == self.name for b in running()):
            raise UserError(f"virtual board {self.name!r} is already running")
        self.vb.start()
        self.vb.run_free(self.speed)
        try:
            os.unlink(self.sock_path)
        except FileNotFoundError:
            pass
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.sock_path)
        self.srv.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()
        self.info = {"name": self.name, "board": self.vb.kind, "port": self.vb.port,
                     "pid": os.getpid(),
                     "speed": self.speed, "socket": self.sock_path, "dir": str(self.dir),
                     "baud": self.vb.baud, "started": time.time()}
        (self.dir / "info.json").write_text(json.dumps(self.info))
        return self

    def stop(self):
        self._stop.set()
        try:
            (self.dir / "info.json").unlink()
        except FileNotFoundError:
            pass
        try:
            self.srv.close()
            os.unlink(self.sock_path)
        except OSError:
            pass
        self.vb.stop()

    def wait(self):
        signal.signal(signal.SIGTERM, lambda *a: self._stop.set())
        try:
            while not self._stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            with conn:
                try:
                    resp = self.handle(json.loads(_recv_line(conn)))
                except Exception as e:  # a bad request must not kill the board
                    resp = {"error": str(e)}
                conn.sendall(json.dumps(resp).encode() + b"\n")

    def handle(self, req: dict) -> dict:
        vb = self.vb
        op = req.get("op")
        if op == "status":
            t = vb.board_clock
            return {"name": self.name, "board": vb.kind, "port": vb.port, "clock_ms": t,
                    "led": vb.level_at("LED", t), "buzzer": vb.level_at("BUZZER", t),
                    "boots": vb.boots, "resets": vb.resets[-5:], "speed": vb.speed}
        if op == "play":
            evs = [(int(t), int(k), int(v)) for t, k, v in req["events"]]
            for _, k, _ in evs:
                if k not in (EV_RING, EV_HOOK, EV_END):  # a trace's `end`: when it stops
                    raise ValueError("events must be ring, hook or end")
            # One line rings one call at a time: a call asked for while the
            # last one still rings waits until that one is over (interleaved,
            # their edges froze the board's clock)
            start = max(vb.clock + 50, self._line_free_ms)
            start = vb.play(evs, run=False, start=start)
            last = max((t for t, _, _ in evs), default=0) // 1000
            self._line_free_ms = start + last + _CALL_OVER_MS
            return {"start_ms": start, "end_ms": start + last, "queued_ms": start - vb.clock}
        if op == "hook":
            clear_ms = int(req.get("clear_ms") or 0)
            if clear_ms:  # the caller clears: loop current breaks, then comes back
                vb.hook(False, at=vb.clock + 10)
            vb.hook(bool(req["offhook"]), at=vb.clock + 10 + clear_ms)
            return {"ok": True}
        if op == "power_cycle":
            vb.power_cycle()
            return {"ok": True}
        if op == "reset":
            vb.soft_reset()
            return {"ok": True}
        if op == "stop":
            self._stop.set()
            return {"ok": True}
        raise ValueError(f"unknown op {op!r}")
