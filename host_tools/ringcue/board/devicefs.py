"""File operations on a board over mpremote's SerialTransport (raw REPL).

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
- entering the raw REPL robustly: a Ctrl-C that is lost while the board
  reboots is sent again, and no read waits forever for a quiet board
  (mpremote reads a pty with no timeout at all).
- `put()`: one small file as base64 chunks to `X.part`, then a rename.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import os
import time
import zlib

from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from .client import LinkError, NotAnswering, open_serial
from ..errors import UserError
from .portlock import SPAWN_OR_OPEN

CHUNK = 2048  # put(): raw bytes per base64 chunk
PIECE = 1024  # put_many(): bytes per acknowledged piece of the binary stream
WINDOW = 3  # put_many(): pieces sent before the board acknowledges the first
ACK = b"\x06"
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
READ_TIMEOUT = 5.0  # no single read from the board waits longer than this
ESCAPED = (1, 2, 3, 4, 5)  # REPL control bytes (Ctrl-A..E), sent as ESC + (b ^ 0x40)

# A Pico's (RP2040) watchdog, once the firmware started it, survives the soft
# reset into the raw REPL, where nothing feeds it: it would reset the board
# about 8 s into our work. So, if its CTRL register says ENABLE, re-arm it and
# feed it from a timer while we work. The soft reset that starts the new
# firmware stops the timer; the firmware re-arms at once on a Pico (app.py).
# Other boards can't say whether theirs runs (docs/hardware.md).
# The feeding stops after 10 minutes, like the firmware's own window at the
# REPL: a flash abandoned halfway then ends in a reset back into a firmware.
KEEP_WDT_FED = (
    "def _rc_keep_wdt(m, ms=600000):\n"
    " global _rc_wt\n"
    " import machine, time\n"
    " if 'RP2040' in m and machine.mem32[0x40058000] & 0x40000000:\n"
    "  w = machine.WDT(timeout=8000)\n"
    "  end = time.ticks_add(time.ticks_ms(), ms)\n"
    "  def feed(t):\n"
    "   if time.ticks_diff(end, time.ticks_ms()) > 0:\n"
    "    w.feed()\n"
    "   else:\n"
    "    t.deinit()\n"
    "  _rc_wt = machine.Timer(-1, period=1000, callback=feed)\n"
)

# If the host vanishes mid-session (ringcue killed, the laptop asleep, its
# end of the cable pulled while the board keeps power), the board must not
# stay in the raw REPL with its firmware stopped: once no command has come
# for HOST_GONE_MS, a timer resets it, and /main.py boots the old or the new
# firmware (both whole: the switch is one rename). Every command we send,
# and every acknowledged piece of an upload, pushes the deadline back; the
# soft reset that ends a session stops the timer (rp2 soft_timer_deinit,
# esp32 machine_timer_deinit_all). rp2 has soft timers (-1); the esp32 port
# only hardware ones: 1, as the firmware's watchdog feeder at the REPL
# (hal.wdt_keep_fed) has 0. (The virtual board's timers run in virtual time,
# which stands still at the REPL: there the guard never fires.)
HOST_GONE_MS = 30000
HOST_GUARD = (
    "def _rc_alive():\n"
    " global _rc_end\n"
    " _rc_end = time.ticks_add(time.ticks_ms(), %d)\n"
    "def _rc_guard():\n"
    " global _rc_gt\n"
    " import machine\n"
    " _rc_alive()\n"
    " def tick(t):\n"
    "  if time.ticks_diff(time.ticks_ms(), _rc_end) > 0:\n"
    "   machine.reset()\n"
    " _rc_gt = machine.Timer(-1 if sys.platform == 'rp2' else 1, period=1000, callback=tick)\n"
    % HOST_GONE_MS
)

# Probe, before anything else: what the board is, and whether it has deflate.
_PROBE = (
    KEEP_WDT_FED
    + "import os, sys, json, gc, time\n"
    + HOST_GUARD
    + "try:\n _rc_keep_wdt(os.uname().machine)\nexcept Exception:\n pass\n"
    "try:\n _rc_guard()\nexcept Exception:\n _rc_alive = lambda: None\n"
    "try:\n import deflate, io\n _rc_z = 1\nexcept ImportError:\n _rc_z = 0\n"
    "gc.collect()\n"
    "print(json.dumps({'mpy': getattr(sys.implementation, '_mpy', 0), "
    "'version': list(sys.implementation.version[:3]), 'platform': sys.platform, "
    "'machine': os.uname().machine if hasattr(os, 'uname') else sys.platform, "
    "'deflate': _rc_z, 'mem_free': gc.mem_free()}))"
)

# Defined once per session on the device (raw REPL keeps __main__ globals).
_HELPERS = r"""
import os, sys, json, binascii, hashlib
def _rc_isdir(p):
    try:
        return os.stat(p)[0] & 0x4000 != 0
    except OSError:
        return False
def _rc_isfile(p):
    try:
        return os.stat(p)[0] & 0x4000 == 0
    except OSError:
        return False
def _rc_mkdirs(p):
    d = ''
    for part in p.strip('/').split('/'):
        if part:
            d += '/' + part
            if not _rc_isdir(d):
                os.mkdir(d)
def _rc_hash(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b[:n] if n < 512 else b)
    return binascii.hexlify(h.digest()).decode()
def _rc_files(root):
    out = []
    def walk(d, rel):
        for e in os.ilistdir(d):
            if e[1] == 0x4000:
                walk(d + '/' + e[0], rel + e[0] + '/')
            else:
                out.append(rel + e[0])
    if _rc_isdir(root):
        walk(root, '')
    out.sort()
    return out
def _rc_tree(root):
    # one line per file, not one big dict: fits boards with little heap
    for r in _rc_files(root):
        print(r, _rc_hash(root + '/' + r))
def _rc_digest(root, man=None):
    # sha256 over 'path sha256\n' of every file in order, but MANIFEST.json
    # and the .part files of a flash that was interrupted
    h = hashlib.sha256()
    for r in _rc_files(root):
        if r != 'MANIFEST.json' and not r.endswith('.part'):
            x = _rc_hash(root + '/' + r)
            h.update(r + ' ' + x + '\n')
            if man is not None:
                man[r] = x
    return binascii.hexlify(h.digest()).decode()
def _rc_rmtree(p):
    if not _rc_isdir(p):
        try:
            os.remove(p)
        except OSError:
            pass
        return
    for e in os.ilistdir(p):
        _rc_rmtree(p + '/' + e[0])
    os.rmdir(p)
def _rc_copy(src, dst):
    b = bytearray(1024)
    with open(src, 'rb') as fi, open(dst + '.part', 'wb') as fo:
        while True:
            n = fi.readinto(b)
            if not n:
                break
            fo.write(b[:n] if n < 1024 else b)
    os.rename(dst + '.part', dst)
def _rc_copies(pairs):
    for s, d in pairs:
        _rc_mkdirs(d.rsplit('/', 1)[0])
        _rc_copy(s, d)
def _rc_read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return None
def _rc_write(p, s):
    with open(p + '.part', 'w') as f:
        f.write(s)
    os.rename(p + '.part', p)
def _rc_free():
    s = os.statvfs('/')
    return s[0] * s[3]
def _rc_status(cfg):
    c = (_rc_read('/fw/current') or '').strip()
    r = '/fw/' + c
    return {'current': c, 'digest': _rc_digest(r) if c and _rc_isdir(r) else None,
            'sealed': bool(c) and _rc_isfile(r + '/MANIFEST.json'),
            'main': _rc_hash('/main.py') if _rc_isfile('/main.py') else None,
            'free': _rc_free(), 'config': _rc_read('/ringcue.json') if cfg else None}
def _rc_seal(root, want, boot):
    # verify every file by sha256; only then write the manifest (a build
    # without one is never booted)
    man = {}
    if _rc_digest(root, man) != want:
        return man
    if boot and not (_rc_isfile('/main.py') and _rc_hash('/main.py') == boot):
        return {'/main.py': None}
    _rc_write(root + '/MANIFEST.json', json.dumps(man))
    return None
def _rc_switch(cur, new):
    if cur and cur != new:
        _rc_write('/fw/previous', cur)
    _rc_write('/fw/current', new)  # the switch: one rename
    for e in list(os.ilistdir('/fw')):
        if e[1] == 0x4000 and e[0] not in (cur, new):
            _rc_rmtree('/fw/' + e[0])
def _rc_rd(n):
    b = bytearray(n)
    m = memoryview(b)
    i = 0
    while i < n:
        i += sys.stdin.buffer.readinto(m[i:]) or 0
    return b
def _rc_blk(end):
    # one block of the stream: 4 hex digits (escaped length, 0 = the end),
    # then the escaped data, read and acknowledged 1 KB at a time
    n = int(bytes(_rc_rd(4)), 16)
    if not n:
        end[0] = 1
        return None
    b = bytearray(n)
    m = memoryview(b)
    i = 0
    while i < n:
        j = min(n, i + 1024)
        while i < j:
            i += sys.stdin.buffer.readinto(m[i:j]) or 0
        sys.stdout.write('\x06')
        _rc_alive()
    b = bytes(b)
    if b'\x1b' in b:
        for c in b'ABCDE':
            b = b.replace(bytes((27, c)), bytes((c ^ 64,)))
        b = b.replace(b'\x1b[', b'\x1b')
    return b
class _RcSink:
    # the files of the stream, one after the other: X.part, then renamed
    def __init__(s, spec):
        s.q = spec[::-1]
        s.f = None
        s.n = 0
        s.adv()
    def adv(s):
        while not s.n:
            if s.f:
                s.f.close()
                s.f = None
                os.rename(s.p + '.part', s.p)
            if not s.q:
                return
            s.p, s.n = s.q.pop()
            _rc_mkdirs(s.p.rsplit('/', 1)[0])
            s.f = open(s.p + '.part', 'wb')
    def write(s, m):
        o = 0
        while o < len(m):
            if not s.f:
                raise ValueError('more data than files')
            w = min(len(m) - o, s.n)
            s.f.write(m[o:o + w])
            o += w
            s.n -= w
            s.adv()
def _rc_recv(spec, wbits):
    import deflate, io
    end = [0]
    s = _RcSink(spec)
    b = bytearray(512)
    m = memoryview(b)
    try:
        while s.f:
            z = _rc_blk(end)
            if z is None:
                raise ValueError('the stream ended early')
            d = deflate.DeflateIO(io.BytesIO(z), deflate.RAW, wbits)
            z = None
            while True:
                k = d.readinto(m)
                if not k:
                    break
                s.write(m[:k])
    finally:
        if s.f:
            s.f.close()
        while not end[0]:  # keep the line in step, even after an error
            _rc_blk(end)
"""


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
        end = time.monotonic() + 1.0
        while True:
            try:
                with SPAWN_OR_OPEN:
                    self.t = SerialTransport(port, baudrate=baud, timeout=READ_TIMEOUT)
                break
            except TransportError:
                # a port that exists may be locked for a moment (another
                # program probing it, a process starting): ask again briefly
                if os.path.exists(port) and time.monotonic() < end:
                    time.sleep(0.02)
                    continue
                # mpremote says only "failed to access": open it ourselves
                # to learn why (busy, missing, ...), in the link's words
                open_serial(port, baud).close()
                raise LinkError(f"cannot open {port}: mpremote could not access it") from None
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
    def _read_until(self, ending: bytes, timeout: float) -> bytes:
        ser = self.t.serial
        data = b""
        end = time.monotonic() + timeout
        try:
            while not data.endswith(ending):
                left = end - time.monotonic()
                if left <= 0:
                    break
                ser.timeout = min(left, 0.05)
                data += ser.read(1)  # byte by byte: what follows is not ours
        finally:
            ser.timeout = READ_TIMEOUT
        return data

    def _interrupt(self, timeout: float = 10.0) -> int:
        """Ctrl-C whatever runs, Ctrl-A into the raw REPL, until its banner
        shows. A Ctrl-C sent while the board reboots can be lost (it reached
        the old program, or none), and then the new firmware would ignore our
        Ctrl-A: so ask again, less and less often. Returns the tries taken."""
        ser = self.t.serial
        end = time.monotonic() + timeout
        wait = 0.25
        tries = 0
        while True:
            tries += 1
            ser.write(b"\r\x03")
            ser.timeout = 0
            drained = 0  # what the firmware printed before; bounded, in case
            while drained < 65536 and time.monotonic() < end:  # it never stops
                n = len(ser.read(4096))
                if not n:
                    break
                drained += n
            ser.timeout = READ_TIMEOUT
            ser.write(b"\r\x01")
            left = end - time.monotonic()
            if self._read_until(RAW_BANNER, max(0.0, min(wait, left))).endswith(RAW_BANNER):
                return tries
            if time.monotonic() >= end:
                raise TransportError("could not enter raw repl")
            wait = min(wait * 2, 2.0)

    def _sync(self):
        """After a retried Ctrl-A, more banners may still be on their way:
        run a marker and read up to it, so the next command starts clean."""
        ser = self.t.serial
        self._read_until(b">", 2.0)  # the banner's prompt
        ser.write(b"print('rc' + 'sync')\x04")  # plain raw REPL: no paste
        if not self._read_until(b"rcsync", 10.0).endswith(b"rcsync"):
            raise TransportError("could not enter raw repl")
        if not self._read_until(b"\x04\x04", 10.0).endswith(b"\x04\x04"):
            raise TransportError("could not enter raw repl")

    def enter(self, soft_reset=True):
        """Stop the running firmware and take the raw REPL (soft-reset there:
        a clean interpreter, without the firmware, has the most free RAM)."""
        self.take_raw(soft_reset)
        self.board = json.loads(self.exec(_PROBE).strip().splitlines()[-1])
        if self.board.get("deflate"):  # half the bytes on the line
            c = zlib.compressobj(9, zlib.DEFLATED, -10)
            z = binascii.b2a_base64(c.compress(_HELPERS.encode()) + c.flush(), newline=False)
            self.exec("import binascii\nexec(deflate.DeflateIO(io.BytesIO(binascii.a2b_base64("
                      f"{z.decode()!r})), deflate.RAW, 10).read())")
        else:
            self.exec(_HELPERS)

    def take_raw(self, soft_reset=False):
        """Ctrl-C whatever runs and enter the raw REPL (optionally
        soft-resetting there). From the first Ctrl-C on, the firmware may
        be stopped: leaving on an error or Ctrl-C (__exit__) restarts it."""
        self._ready = True
        try:
            tries = self._interrupt()
            if soft_reset:
                self.t.serial.write(b"\x04")  # every banner before this is read below
                for want in (b"soft reboot\r\n", RAW_BANNER):
                    if not self._read_until(want, 10.0).endswith(want):
                        raise TransportError("could not enter raw repl")
            elif tries > 1:
                self._sync()
        except (TransportError, OSError) as e:
            self._ready = False  # nothing answers: nothing to restart
            raise NotAnswering(
                f"{self.port} did not answer as a MicroPython board ({e}). "
                "Is it a MicroPython board? Unplug and replug it, then try again."
            ) from None
        self.t.in_raw_repl = True

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
        if self.board:  # the probe armed the host-gone guard: we are here
            code = "_rc_alive()\n" + code
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
        return self.eval_json(f"_rc_status({bool(with_config)})")

    def seal(self, root: str, digest: str, boot_sha: str | None = None):
        """Verify every file under root by sha256 on the board against
        `digest` (tree_digest() of what it should hold), and /main.py against
        boot_sha; only if all match, write root/MANIFEST.json. Returns None,
        or {path: sha256 found} when something does not match."""
        return self.eval_json(f"_rc_seal({root!r}, {digest!r}, {boot_sha!r})")

    def switch(self, cur: str, new: str):
        """/fw/previous = cur, /fw/current = new (one rename), old builds removed."""
        self.exec(f"_rc_switch({cur!r}, {new!r})")

    def read_text(self, path: str):
        return self.eval_json(f"_rc_read({path!r})")

    def free_bytes(self) -> int:
        return self.eval_json("_rc_free()")

    def mkdirs(self, path: str):
        self.exec(f"_rc_mkdirs({path!r})")

    def rmtree(self, path: str):
        self.exec(f"_rc_rmtree({path!r})")

    def copy(self, src: str, dst: str):
        self.exec(f"_rc_copy({src!r}, {dst!r})")

    def copies(self, pairs: list[tuple[str, str]]):
        if pairs:
            self.exec(f"_rc_copies({[list(p) for p in pairs]!r})")

    def rename(self, src: str, dst: str):
        self.exec(f"os.rename({src!r}, {dst!r})")

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
        ser = self.t.serial
        rests = piece_rests(blocks)
        sent, ended = -1, False  # the last piece on the line; the end marker sent
        self._step()
        try:
            self.t.exec_raw_no_follow(f"_rc_alive()\n_rc_recv({spec!r}, {wbits})")
            acked = done = 0
            for i, piece in enumerate(pieces):
                while i - acked >= WINDOW:
                    c = ser.read(1)
                    if c != ACK:  # the receiver stopped (error) or the board is gone
                        raise TransportError(f"upload interrupted (board sent {c!r})")
                    acked += 1
                    if progress:
                        n = len(blob) * acked // len(pieces)
                        progress(n - done)
                        done = n
                self._step()
                ser.write(piece)
                sent = i
            ser.write(b"0000")
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
                self.t.serial.write(b"\0" * rest + b"0000")
            self._read_until(b"\x04>", 5.0)
        except Exception:  # noqa: BLE001 - the board is gone: nothing to stop
            pass

    def put_back(self):
        """Start the firmware again after a job stopped halfway. The board
        may be anywhere in the raw REPL: running a command, or reading one
        we had half sent (raw paste), where Ctrl-B Ctrl-D would only end the
        command. So take the raw REPL again first, then soft-reset from the
        friendly REPL, which runs /main.py."""
        self._interrupt(timeout=3.0)
        self.soft_reset()

    def soft_reset(self):
        """Leave raw REPL and soft-reset, so boot.py/main.py run."""
        try:
            self.t.exit_raw_repl()
            self.t.serial.write(b"\x04")
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
