# The durable call log on the board's littlefs.
#
#   /log/<first seq, 8 digits>.seg   segments of records (ringcue_core.logfmt)
#   /log/committed.json              {"seq": the last committed record's seq}
#
# * Appends are batched in RAM and written by flush() (the app flushes within
#   FLUSH_MS of the first pending record, or at once when BATCH are waiting):
#   one open/append/close per batch keeps flash wear low. A record counts as
#   committed once flush() returned; flush() then writes the high-water mark
#   (committed.json, temp file + rename: a power cut leaves the old or the
#   new one).
# * littlefs only exposes data that was synced, so a power cut loses at most
#   the unflushed batch; should a segment still end in a torn record, writing
#   goes on in a new segment.
# * A record that does not check out (bit rot, an edit, a cut) is skipped:
#   reading resynchronises at the next whole record, so one bad record never
#   hides the ones after it, and the host sees its sequence number missing.
# * At boot the log continues after the last readable record or the
#   high-water mark, whichever is later, so the numbers of lost records are
#   never reused; records up to the mark that are no longer readable (a
#   truncated or deleted tail) are logged as a fault record, and the seq gap
#   shows on the host. When the log is full the oldest segment is deleted;
#   the host sees those numbers as "rotated out".
import os

from ringcue_core import logfmt
from ringcue_core.codes import REC_CALL, REC_FAULT

from . import store
from .clock import now_ms

try:
    from micropython import const
except ImportError:

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


FLUSH_MS = const(2000)
BATCH = const(8)
_CHUNK = const(512)
# (No more module-level names here than needed: each one is interned on the
# board, and the interned names sit near a 7 KB step of the heap.)


def _records(path):
    """Yield (parsed record, raw bytes) for every whole valid record of a
    segment file, and (None, None) where a span of bytes is no record (a
    torn tail, corruption): reading resumes at the next valid record. Reads
    in small chunks (little RAM)."""
    try:
        f = open(path, "rb")
    except OSError:
        return
    with f:
        magic = bytes((logfmt.MAGIC,))
        buf = b""
        eof = False
        bad = False  # inside a span of bytes that are no record
        while True:
            if not eof:
                chunk = f.read(_CHUNK)
                if chunk:
                    buf = buf + chunk if buf else chunk
                else:
                    eof = True
            off = 0
            while off < len(buf):
                r = logfmt.parse_one(buf, off)
                if r is not None:
                    bad = False
                    yield r, buf[off:r[6]]
                    off = r[6]
                    continue
                n = len(buf) - off
                if not eof and buf[off] == logfmt.MAGIC and (
                        n < logfmt.HEADER + logfmt.TRAILER
                        or logfmt.HEADER + buf[off + 2] + logfmt.TRAILER > n):
                    break  # a record not all there: the rest comes with the next chunk
                if not bad:
                    bad = True
                    yield None, None
                nxt = buf.find(magic, off + 1)  # where a record may start
                off = nxt if nxt >= 0 else len(buf)
            buf = buf[off:]
            if eof:
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
        self.committed = 0  # the last committed record's seq (the high-water mark)
        self.lost = 0  # committed records found unreadable at boot
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
        last = None  # the newest readable record
        for first in self._segs:
            bad = False
            for r, raw in _records(self._path(first)):
                if r is None:
                    self.torn += 1
                    bad = True
                    continue
                if r[0] == REC_CALL:
                    self.calls += 1
                last = raw
            # append to the newest segment, unless it ends in bytes that are
            # no record (a torn write): then start a new one
            self._cur = None if bad else first
        if self._cur is not None:
            self._cur_size = os.stat(self._path(self._cur))[6]
        if last is not None:
            self.prev = logfmt.link(last)
            self.next_seq = logfmt.parse_one(last, 0)[1] + 1
        note = ""
        mark, err = store.read_json(self.root + "/committed.json")
        hwm = mark.get("seq") if isinstance(mark, dict) else None
        if not isinstance(hwm, int) or hwm < 0:
            hwm = 0
            if err or mark is not None:
                note = "log: high-water mark unreadable"
        self.committed = max(hwm, self.next_seq - 1)
        if hwm >= self.next_seq:  # committed records that are gone
            self.lost = hwm - self.next_seq + 1
            note = "log: records %d..%d lost (unreadable at boot: corrupt, " \
                "truncated or deleted)" % (self.next_seq, hwm)
            self.next_seq = hwm + 1  # their numbers are never used again
        if note:
            self.append(REC_FAULT, now_ms(), note.encode())

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
        if rtype == REC_CALL:
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
            self.committed = logfmt.parse_one(take[-1], 0)[1]
            store.write_json(self.root + "/committed.json", {"seq": self.committed})
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
                if r is None or r[1] < from_seq:  # skip what is no record
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
                "torn": self.torn, "lost": self.lost, "committed": self.committed,
                "flushes": self.writes, "bytes": self.bytes_written}
