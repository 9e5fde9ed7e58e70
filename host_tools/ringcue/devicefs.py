"""File operations on a board over mpremote's SerialTransport (raw REPL).

mpremote moves files as 256-byte repr() chunks written straight to the
destination. We keep its transport (raw REPL, raw-paste, errors) and add
what a safe install needs: base64 chunks of 2 KB, a `.part` file renamed
into place, and one round trip to hash a whole tree on the device.
"""

from __future__ import annotations

import binascii
import hashlib
import json

from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from .errors import UserError

CHUNK = 2048

# Defined once per session on the device (raw REPL keeps __main__ globals).
_HELPERS = r"""
import os, sys, json, binascii, hashlib
def _rc_isdir(p):
    try:
        return os.stat(p)[0] & 0x4000 != 0
    except OSError:
        return False
def _rc_mkdirs(p):
    d = ''
    for part in p.strip('/').split('/'):
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
def _rc_tree(root):
    # one line per file, not one big dict: fits boards with little heap
    def walk(d, rel):
        for e in os.ilistdir(d):
            p = d + '/' + e[0]
            if e[1] == 0x4000:
                walk(p, rel + e[0] + '/')
            else:
                print(rel + e[0], _rc_hash(p))
    if _rc_isdir(root):
        walk(root, '')
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
def _rc_read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return None
def _rc_free():
    s = os.statvfs('/')
    return s[0] * s[3]
"""


class DeviceFS:
    def __init__(self, port: str, baud: int = 115200):
        self.port = port
        try:
            self.t = SerialTransport(port, baudrate=baud)
        except TransportError as e:
            raise UserError(f"cannot open {port}: {e}") from None
        self._ready = False

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
            try:  # a refused or failed job: put the board back to work
                self.soft_reset()
            except Exception:
                pass
        self.close()

    def enter(self, soft_reset=True):
        """Stop the running firmware and take the raw REPL."""
        try:
            self.t.enter_raw_repl(soft_reset=soft_reset)
        except TransportError as e:
            raise UserError(
                f"{self.port} did not answer as a MicroPython board ({e}). "
                "Is it a MicroPython board? Unplug and replug it, then try again."
            ) from None
        self._ready = True
        self.exec(_HELPERS)

    def exec(self, code: str) -> str:
        try:
            return self.t.exec(code).decode()
        except TransportExecError as e:
            msg = e.error_output.strip().splitlines()
            last = msg[-1] if msg else "error"
            if "ENOSPC" in last or "28" in last and "OSError" in last:
                raise FlashFull(last) from None
            raise UserError(f"the board reported: {last}") from None
        except TransportError as e:
            raise UserError(f"lost the board on {self.port}: {e}") from None

    def eval_json(self, expr: str):
        out = self.exec(f"print(json.dumps({expr}))")
        return json.loads(out.strip().splitlines()[-1])

    # ---- operations -------------------------------------------------------
    def info(self) -> dict:
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

    def soft_reset(self):
        """Leave raw REPL and soft-reset, so boot.py/main.py run."""
        try:
            self.t.exit_raw_repl()
            self._ready = False
            self.t.serial.write(b"\x04")
        except Exception as e:
            raise UserError(f"could not reset the board on {self.port}: {e}") from None


class FlashFull(UserError):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
