"""File operations on a board over mpremote's SerialTransport (raw REPL,
through `transport.BoardTransport`).

mpremote moves files as 256-byte repr() chunks written straight to the
destination, one round trip each. We keep its transport (raw REPL, raw-paste,
errors) and add what a safe and quick install needs:

- `put_many()`: many files as one binary upload. The files are compressed
  (raw deflate, in blocks the board decompresses with `deflate.DeflateIO`),
  escaped so that no REPL control byte is on the line (Ctrl-C would stop the
  receiver), and sent in 1 KB pieces the board acknowledges, three in
  flight. The board writes each file to `X.part` and renames it into place.
- hashing on the board: a whole tree's digest (or its listing) in one round
  trip, and `seal()`, which verifies every file of a build by SHA-256 and
  only then writes its MANIFEST.json.
- a board that is not left stopped: a running Pico watchdog is kept fed,
  and a guard resets the board into its firmware when the host vanishes
  (onboard/rc_watchdog.py, onboard/rc_guard.py).
- `put()`: one small file as base64 chunks to `X.part`, then a rename.

The Python run on the board is in onboard/ (real files, type-checked).
"""

from __future__ import annotations

import binascii
import hashlib
import json
import zlib

from mpremote.transport import TransportError, TransportExecError

from ringcue_core.codes import MAINTENANCE_MS
from ringcue_core.config import CONFIG_PATH

from ..errors import UserError
from ..paths import board_constants
from .client import NotAnswering
from .transport import BoardTransport, onboard_source

CHUNK = 2048  # put(): raw bytes per base64 chunk
PIECE = 1024  # put_many(): bytes per acknowledged piece of the binary stream
WINDOW = 3  # put_many(): pieces sent before the board acknowledges the first
ACK = b"\x06"
# The board writes flash between two acknowledgements: up to 4.2 s measured
# on the emulated Pico on a loaded machine, where the 5 s of any other read
# was too close (the flash failed under load).
ACK_TIMEOUT = 20.0
ESCAPED = (1, 2, 3, 4, 5)  # REPL control bytes (Ctrl-A..E), sent as ESC + (b ^ 0x40)

# What the board is (and whether it has deflate), arming the watchdog feeder
# and the host-gone guard on the way; then the helpers every command calls.
PROBE = ("rc_watchdog", "rc_guard", "rc_probe")
HELPERS = ("rc_fs",)


def probe_call() -> str:
    """The call that runs the probe, with the facts it needs from their one
    home each: how long to feed a running watchdog (the maintenance
    window), and the RP2040's watchdog register (boards/pico/board.py)."""
    k = board_constants("pico")
    return (f"print(json.dumps(_rc_probe({MAINTENANCE_MS}, {k['WDT_CTRL']}, "
            f"{k['WDT_CTRL_ENABLE']}, {k['WDT_MS']})))\n")


def escape(data: bytes) -> bytes:
    """No REPL control byte on the line: ESC -> ESC '[', Ctrl-A..E -> ESC 'A'..'E'."""
    out = data.replace(b"\x1b", b"\x1b[")
    for b in ESCAPED:
        out = out.replace(bytes([b]), bytes([0x1B, b ^ 0x40]))
    return out


def compress_blocks(data: bytes, wbits: int) -> list[bytes]:
    """Independent raw-deflate blocks of 2**wbits input bytes each (the board
    inflates one block at a time with a window of that size)."""
    size = 1 << wbits
    out = []
    for i in range(0, len(data), size):
        c = zlib.compressobj(9, zlib.DEFLATED, -wbits, 9)
        out.append(c.compress(data[i : i + size]) + c.flush())
    return out


def stream_pieces(blocks: list[bytes]) -> list[bytes]:
    """The wire form of put_many's stream, cut where the board acknowledges:
    each block is a 4-hex-digit length and its escaped bytes, read by the
    board 1 KB at a time; the first piece of a block carries its length;
    the stream ends with a zero length (not a piece: nothing acknowledges it)."""
    pieces = []
    for z in blocks:
        e = escape(z)
        if len(e) > 0xFFFF:
            raise ValueError("block too large")
        for i in range(0, len(e), PIECE):
            pieces.append((b"%04x" % len(e) if i == 0 else b"") + e[i : i + PIECE])
    return pieces


def piece_rests(blocks: list[bytes]) -> list[int]:
    """For each piece of stream_pieces(blocks): how many bytes of its block
    are still to come after it (what must follow to end the stream early)."""
    rests = []
    for z in blocks:
        n = len(escape(z))
        rests += [n - min(i + PIECE, n) for i in range(0, n, PIECE)]
    return rests


class DeviceFS:
    def __init__(self, port: str, baud: int = 115200):
        self.port = port
        self.t = BoardTransport(port, baud)
        self._ready = False
        self.board: dict = {}

    def close(self):
        try:
            if self._ready:
                self.t.exit_raw_repl()
        except Exception:
            pass
        self.t.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None and self._ready:
            try:  # a refused or failed job, or Ctrl-C: put the board back to work
                self.put_back()
            except BaseException:  # noqa: BLE001 - a second Ctrl-C, a gone board
                pass
        self.close()

    # ---- the raw REPL ---------------------------------------------------
    def enter(self, soft_reset=True):
        """Stop the running firmware and take the raw REPL (soft-reset there:
        a clean interpreter, without the firmware, has the most free RAM)."""
        self.take_raw(soft_reset)
        self.board = json.loads(self.exec(onboard_source(*PROBE) + probe_call())
                                .strip().splitlines()[-1])
        self.t.keepalive = "_rc_alive()\n"  # the probe armed the host-gone guard
        helpers = onboard_source(*HELPERS)
        if self.board.get("deflate"):  # half the bytes on the line
            c = zlib.compressobj(9, zlib.DEFLATED, -10)
            z = binascii.b2a_base64(c.compress(helpers.encode()) + c.flush(), newline=False)
            self.exec("import binascii\nexec(deflate.DeflateIO(io.BytesIO(binascii.a2b_base64("
                      f"{z.decode()!r})), deflate.RAW, 10).read())")
        else:
            self.exec(helpers)

    def take_raw(self, soft_reset=False):
        """Ctrl-C whatever runs and enter the raw REPL (optionally
        soft-resetting there). From the first Ctrl-C on, the firmware may
        be stopped: leaving on an error or Ctrl-C (__exit__) restarts it."""
        self._ready = True
        try:
            self.t.enter_raw_repl(soft_reset)
        except (TransportError, OSError) as e:
            self._ready = False  # nothing answers: nothing to restart
            raise NotAnswering(
                f"{self.port} did not answer as a MicroPython board ({e}). "
                "Is it a MicroPython board? Unplug and replug it, then try again."
            ) from None

    def leave_at_repl(self):
        """Leave the board at the friendly REPL, the firmware stopped (as
        mpremote does): a finished probe (status.probe)."""
        self.t.exit_raw_repl()
        self._ready = False

    def _step(self):
        """Called before every operation on the board (the tests pull the
        cable here)."""

    def _error(self, err: str):
        msg = err.strip().splitlines()
        last = msg[-1] if msg else "error"
        if "ENOSPC" in last or "28" in last and "OSError" in last:
            return FlashFull(last)
        return UserError(f"the board reported: {last}")

    def exec(self, code: str) -> str:
        self._step()
        try:
            return self.t.exec(code).decode()
        except TransportExecError as e:
            raise self._error(e.error_output) from None
        except (TransportError, OSError) as e:
            raise UserError(f"lost the board on {self.port}: {e}") from None

    def eval_json(self, expr: str):
        out = self.exec(f"print(json.dumps({expr}))")
        return json.loads(out.strip().splitlines()[-1])

    # ---- operations -------------------------------------------------------
    def info(self) -> dict:
        if self.board:
            return self.board
        return self.eval_json(
            "{'mpy': getattr(sys.implementation, '_mpy', 0), "
            "'version': list(sys.implementation.version[:3]), 'platform': sys.platform, "
            "'machine': os.uname().machine if hasattr(os, 'uname') else sys.platform}"
        )

    def tree(self, root: str) -> dict:
        """{relative path: sha256} of every file under root ({} if absent)."""
        out = {}
        for line in self.exec(f"_rc_tree({root!r})").splitlines():
            if line.strip():
                path, digest = line.rsplit(" ", 1)
                out[path] = digest
        return out

    def status(self, with_config: bool = False) -> dict:
        """The installed build, the digest of its files, /main.py's hash, free
        flash (and /ringcue.json's text): one round trip."""
        return self.eval_json(f"_rc_status({CONFIG_PATH if with_config else None!r})")

    def seal(self, root: str, digest: str, boot_sha: str | None = None):
        """Verify every file under root by sha256 on the board against
        `digest` (tree_digest() of what it should hold), and /main.py against
        boot_sha; only if all match, write root/MANIFEST.json. Returns None,
        or {path: sha256 found} when something does not match."""
        return self.eval_json(f"_rc_seal({root!r}, {digest!r}, {boot_sha!r})")

    def drop_builds(self, keep: tuple[str, ...]) -> int:
        """Delete every build in /fw but those in keep; returns the bytes
        then free."""
        return self.eval_json(f"_rc_drop({list(keep)!r})")

    def log_segments(self) -> list[tuple[str, int]]:
        """The call log's segment files in /log, oldest first: (name, bytes)."""
        return [tuple(x) for x in self.eval_json("_rc_segs()")]

    def remove(self, paths: list[str]) -> int:
        """Delete these files; returns the bytes then free."""
        return self.eval_json(f"_rc_rm({paths!r})")

    def switch(self, cur: str, new: str):
        """/fw/previous = cur, /fw/current = new (one rename), old builds removed."""
        self.exec(f"_rc_switch({cur!r}, {new!r})")

    def mkdirs(self, path: str):
        self.exec(f"_rc_mkdirs({path!r})")

    def copies(self, pairs: list[tuple[str, str]]):
        if pairs:
            self.exec(f"_rc_copies({[list(p) for p in pairs]!r})")

    def put(self, path: str, data: bytes, progress=None):
        """Write data to path.part in base64 chunks, then rename over path:
        the file is either the old one or the whole new one."""
        part = path + ".part"
        self.exec(f"_rc_f = open({part!r}, 'wb')")
        try:
            for i in range(0, len(data), CHUNK):
                b64 = binascii.b2a_base64(data[i : i + CHUNK], newline=False).decode()
                self.exec(f"_rc_f.write(binascii.a2b_base64({b64!r}))")
                if progress:
                    progress(min(CHUNK, len(data) - i))
        finally:
            self.exec("_rc_f.close()")
        self.exec(f"os.rename({part!r}, {path!r})")

    def put_many(self, files: list[tuple[str, bytes]], progress=None) -> int:
        """Write every (path, data) as put() does (path.part, renamed when
        whole), in one compressed binary stream. Parent folders are made.
        progress(n) gets raw bytes as the board acknowledges them. Returns
        the bytes sent on the line."""
        if not files:
            return 0
        if not self.board.get("deflate"):
            for path, data in files:
                self.mkdirs(path.rsplit("/", 1)[0] or "/")
                self.put(path, data, progress)
            return sum(len(d) for _, d in files)
        # an 8 KB window where the RAM allows (smaller blocks compress less)
        wbits = 13 if self.board.get("mem_free", 0) >= 48 * 1024 else 11
        blob = b"".join(d for _, d in files)
        blocks = compress_blocks(blob, wbits)
        pieces = stream_pieces(blocks)
        spec = [[p, len(d)] for p, d in files]
        wire = sum(len(p) for p in pieces) + 4
        rests = piece_rests(blocks)
        sent, ended = -1, False  # the last piece on the line; the end marker sent
        self._step()
        try:
            self.t.exec_raw_no_follow(f"_rc_recv({spec!r}, {wbits})")
            acked = done = 0
            for i, piece in enumerate(pieces):
                while i - acked >= WINDOW:
                    c = self.t.read_raw(1, ACK_TIMEOUT)
                    if c != ACK:  # the receiver stopped (error) or the board is gone
                        raise TransportError(f"upload interrupted (board sent {c!r})")
                    acked += 1
                    if progress:
                        n = len(blob) * acked // len(pieces)
                        progress(n - done)
                        done = n
                self._step()
                self.t.write_raw(piece)
                sent = i
            self.t.write_raw(b"0000")
            ended = True
            out, err = self.t.follow(timeout=10)
        except UserError:  # ours (the tests' cable pull): the board is gone
            raise
        except BaseException as e:  # Ctrl-C here, a lost ACK, a cable pulled
            self._abort_upload(0 if ended else rests[sent] if sent >= 0 else 0, ended)
            if isinstance(e, (TransportError, OSError)):
                raise UserError(f"lost the board on {self.port}: {e}") from None
            raise
        if err:
            raise self._error(err.decode(errors="replace"))
        if progress and done < len(blob):
            progress(len(blob) - done)
        return wire

    def _abort_upload(self, rest: int, ended: bool):
        """End the board's receiver when we stop halfway, so the soft reset
        that follows reaches the REPL instead of being read as upload data:
        fill the current block with zeros (they fail to inflate), send the
        end marker, and wait for the raw REPL's prompt. The half-sent files
        stay .part files in a build that is never switched to. (Ctrl-C would
        be simpler, but the unix port does not interrupt a blocking read.)"""
        try:
            if not ended:
                self.t.write_raw(b"\0" * rest + b"0000")
            self.t.expect(b"\x04>", 5.0)
        except Exception:  # noqa: BLE001 - the board is gone: nothing to stop
            pass

    def put_back(self):
        """Start the firmware again after a job stopped halfway. The board
        may be anywhere in the raw REPL: running a command, or reading one
        we had half sent (raw paste), where Ctrl-B Ctrl-D would only end the
        command. So take the raw REPL again first, then soft-reset from the
        friendly REPL, which runs /main.py."""
        self.t.interrupt(timeout=3.0)
        self.soft_reset()

    def soft_reset(self):
        """Leave raw REPL and soft-reset, so boot.py/main.py run."""
        try:
            self.t.restart_firmware()
            self._ready = False  # only now: Ctrl-C before this still puts it back
        except Exception as e:
            raise UserError(f"could not reset the board on {self.port}: {e}") from None


def tree_digest(files: dict[str, str]) -> str:
    """What _rc_digest computes on the board, from {path: sha256}."""
    h = hashlib.sha256()
    for p in sorted(files):
        if p != "MANIFEST.json" and not p.endswith(".part"):
            h.update(f"{p} {files[p]}\n".encode())
    return h.hexdigest()


class FlashFull(UserError):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
