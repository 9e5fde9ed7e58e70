# The durable call log on the board's littlefs.
#
#   /log/<first seq, 8 digits>.seg   segments of records (ringcue_core.logfmt)
#
# * Appends are batched in RAM and written by flush() (the app flushes within
#   FLUSH_MS of the first pending record, or at once when BATCH are waiting):
#   one open/append/close per batch keeps flash wear low. A record counts as
#   committed once flush() returned.
# * littlefs only exposes data that was synced, so a power cut loses at most
#   the unflushed batch; should a segment still end in a torn record, the scan
#   at boot stops there, keeps everything before it, and new records go to a
#   new segment.
# * Sequence numbers and the hash chain continue from the last valid record,
#   across reboots. When the log is full the oldest segment is deleted; the
#   host sees the missing sequence numbers as "rotated out".
import os

from ringcue_core import logfmt

try:
    from micropython import const
except ImportError:

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


FLUSH_MS = const(2000)
BATCH = const(8)
_CHUNK = const(512)


def _records(path):
    """Yield (parsed record, raw bytes) from a segment file until its end,
    then (None, None) if it ends in a torn or corrupt tail. Reads in small
    chunks (little RAM)."""
    try:
        f = open(path, "rb")
    except OSError:
        return
    with f:
        buf = b""
        while True:
            chunk = f.read(_CHUNK)
            if chunk:
                buf = buf + chunk if buf else chunk
            off = 0
            while True:
                r = logfmt.parse_one(buf, off)
                if r is None:
                    break
                yield r, buf[off:r[6]]
                off = r[6]
            buf = buf[off:]
            if not chunk:
                if buf:
                    yield None, None
                return


class FlashLog:
    def __init__(self, boot=0, root="/log", seg_bytes=16384, max_segs=8):
        self.root = root
        self.boot = boot
        self.seg_bytes = seg_bytes
        self.max_segs = max_segs
        self.pending = []
        self.pending_since = None
        self.next_seq = 1
        self.prev = logfmt.GENESIS
        self.torn = 0  # torn/corrupt tails found at boot
        self.writes = 0  # flushes (each one open/append/close)
        self.bytes_written = 0
        self.last_call_seq = 0
        self.calls = 0  # call records in the log
        try:
            os.mkdir(root)
        except OSError:
            pass
        self._segs = self._list()
        self._cur = None  # the segment we append to
        self._cur_size = 0
        self._recover()

    def _list(self):
        out = []
        for e in os.ilistdir(self.root):
            n = e[0]
            if n.endswith(".seg") and len(n) == 12:
                try:
                    out.append(int(n[:8]))
                except ValueError:
                    pass
        out.sort()
        return out

    def _path(self, first):
        return "%s/%08d.seg" % (self.root, first)

    def _recover(self):
        for first in self._segs:
            for r, raw in _records(self._path(first)):
                if r is not None and r[0] == logfmt.REC_CALL:
                    self.calls += 1
        # the newest segment holding a valid record gives the seq and link
        for first in reversed(self._segs):
            last = None
            bad = False
            for r, raw in _records(self._path(first)):
                if r is None:
                    bad = True
                    break
                last = raw
            if bad:
                self.torn += 1
            if last is not None:
                self.prev = logfmt.link(last)
                self.next_seq = logfmt.parse_one(last, 0)[1] + 1
                if not bad:  # append here; after a torn tail, start anew
                    self._cur = first
                    self._cur_size = os.stat(self._path(first))[6]
                return

    # ---- writing ------------------------------------------------------------
    def append(self, rtype, ticks, payload):
        """Queue a record; returns its sequence number."""
        seq = self.next_seq
        rec = logfmt.encode(rtype, seq, self.boot, ticks, self.prev, payload)
        self.prev = logfmt.link(rec)
        self.next_seq = seq + 1
        if not self.pending:
            self.pending_since = ticks
        self.pending.append(rec)
        if rtype == logfmt.REC_CALL:
            self.last_call_seq = seq
        return seq

    def flush(self):
        """Write the pending records (one append per segment touched)."""
        while self.pending:
            if self._cur is None or self._cur_size >= self.seg_bytes:
                self._new_segment()
            room = self.seg_bytes - self._cur_size
            take = []  # type: list[bytes]
            n = 0
            for rec in self.pending:
                if take and n + len(rec) > room:
                    break
                take.append(rec)
                n += len(rec)
            with open(self._path(self._cur), "ab") as f:
                for rec in take:
                    f.write(rec)
            self.pending = self.pending[len(take):]
            self._cur_size += n
            self.writes += 1
            self.bytes_written += n
        self.pending_since = None

    def _new_segment(self):
        first = logfmt.parse_one(self.pending[0], 0)[1]
        self._segs.append(first)
        self._cur = first
        self._cur_size = 0
        while len(self._segs) > self.max_segs:
            old = self._segs.pop(0)
            try:
                os.remove(self._path(old))
            except OSError:
                pass

    # ---- reading (log pull) ---------------------------------------------------
    def first_seq(self):
        return self._segs[0] if self._segs else self.next_seq

    def read(self, from_seq, max_bytes):
        """Whole flushed records with seq >= from_seq, at most max_bytes
        (at least one record). Returns (bytes, count, next seq to ask for)."""
        segs = self._segs
        i = 0
        for k in range(len(segs)):
            if segs[k] <= from_seq:
                i = k
        out = []  # type: list[bytes]
        size = 0
        nxt = from_seq
        for first in segs[i:]:
            for r, raw in _records(self._path(first)):
                if r is None:
                    break
                if r[1] < from_seq:
                    continue
                if out and size + len(raw) > max_bytes:
                    return b"".join(out), len(out), nxt
                out.append(raw)
                size += len(raw)
                nxt = r[1] + 1
        return b"".join(out), len(out), nxt

    def stats(self):
        return {"first_seq": self.first_seq(), "next_seq": self.next_seq,
                "pending": len(self.pending), "segments": len(self._segs),
                "dropped": self.first_seq() - 1 if self._segs else 0,
                "torn": self.torn, "flushes": self.writes, "bytes": self.bytes_written}
