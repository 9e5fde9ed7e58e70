# The durable call log on the board's littlefs.
#
#   /log/<first seq, 8 digits>.seg   segments of records (ringcue_core.logfmt),
#                                    calls and hang-ups compact where they can be
#   /log/<seq, 8 digits>.<calls>     empty: its name is the high-water mark, the
#                                    last committed record's seq (older logs:
#                                    committed.json, still read), and the calls
#                                    committed up to it (boot reads one segment)
#
# * Sized from the flash: as many segments of 4 blocks as fit in the flash
#   free at boot, plus the log's own and any firmware build but the current
#   one, up to the current one's size (`ringcue flash` deletes those before
#   uploading when it needs the room), less a reserve: the current build's size (the next one goes there
#   while this one stays) and _SPARE. So the log keeps its size across
#   updates; should it shrink anyway (a bigger build), each new segment
#   deletes at most one segment more than it adds: never many unpulled
#   calls at once.
# * Appends are batched in RAM and written by flush() (the app flushes within
#   FLUSH_MS of the first pending record, or at once when BATCH are waiting):
#   one open/append/close per batch keeps flash wear low. A record counts as
#   committed once flush() returned; flush() then moves the high-water mark
#   (one rename: a power cut leaves the old name or the new one; renaming an
#   empty file costs littlefs one metadata commit, a rewritten file three).
# * littlefs only exposes data that was synced, so a power cut loses at most
#   the unflushed batch; should a segment still end in a torn record, writing
#   goes on in a new segment.
# * A record that does not check out (bit rot, an edit, a cut) is skipped:
#   reading resynchronises at the next whole record, and the host sees the
#   missing numbers. A compact record is read against the one before it; the
#   ones after a bad record against logfmt.contexts() too (the bad one may
#   be the one they need), so only it is lost, and its call's compact
#   hang-up (docs/call-log.md says when more is).
# * At boot the log continues after the last readable record or the
#   high-water mark, whichever is later, so the numbers of lost records are
#   never reused; records up to the mark that are no longer readable (a
#   truncated or deleted tail) are logged as a fault record, and the seq gap
#   shows on the host. When the log is full the oldest segment is deleted;
#   the host sees those numbers as "rotated out".
import os

from ringcue_core import logfmt
from ringcue_core.codes import REC_CALL, REC_FAULT, REC_STILL_HERE
from ringcue_core.ticks import tdiff

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
_MAXREC = const(276)  # the longest record: 17 + 255 + 4 bytes
# Log size from the flash (FlashLog(max_segs=None)): segments of _SEG_BLOCKS
# filesystem blocks; see _room for the reserve.
_SEG_BLOCKS = const(4)
_BUILD = const(40)  # blocks of a build when none is installed in /fw (mip)
# Blocks beyond a build's size: config, littlefs' copy-on-write. Measured
# (Pico-sized RAM littlefs, full log, two builds, the 2 KB config rewritten
# after every flush): the free count dips 3 blocks below its level after a
# flush; with 0 here it reached 0 free (nothing failed, no margin left), 6
# leaves 7. The flasher takes 2 of them (flash.room_needed).
_SPARE = const(6)
_STILL_MS = const(259200000)  # 3 days: a still-here record after this much silence
# (No more module-level names here than needed: each one is interned on the
# board, and the interned names sit near a 7 KB step of the heap.)


def _records(path, before=None):
    """Yield (parsed record, bytes as stored) for every whole valid record of
    a segment file, and (None, None) where a span of bytes is no record (a
    torn tail, corruption): reading resumes at the next valid record. A
    compact record is read against the last valid one before it; after a
    span that is no record, against logfmt.contexts() too (the lost record
    may be the one it needs), the last record of the segment `before`
    (a path) read for them when this one's start is lost. Reads in small
    chunks (little RAM)."""
    try:
        f = open(path, "rb")
    except OSError:
        return
    with f:
        buf = b""
        eof = False
        ctx = None
        cx = None  # inside a span of bytes that are no record: the contexts to try
        while True:
            if not eof:
                chunk = f.read(_CHUNK)
                if chunk:
                    buf = buf + chunk if buf else chunk
                else:
                    eof = True
            off = 0
            while off < len(buf):
                if cx is None:
                    r = logfmt.parse_one(buf, off, ctx)
                else:
                    for c in cx:
                        r = logfmt.parse_one(buf, off, c, 64 // len(cx))
                        if r is not None:
                            break
                if r is not None:
                    cx = None
                    yield r, buf[off:r[6]]
                    off = r[6]
                    ctx = r
                    continue
                if not eof and len(buf) - off < _MAXREC:
                    break  # perhaps a record not all there: the rest comes with the next chunk
                if cx is None:
                    seed = None
                    if ctx is None and before:
                        for x, _ in _records(before):
                            seed = x or seed
                    cx = logfmt.contexts(ctx, seed, int(path[-12:-4]) - 1, buf[off:off + 13]) \
                        or [None]
                    yield None, None
                    if ctx is None and cx[0]:
                        continue  # no compact record was tried here yet: try this byte too
                off += 1  # a record may start at any byte
            buf = buf[off:]
            if eof:
                return


def _blocks(p, bs):
    """littlefs blocks the folder p takes as statvfs counts them: 4 for a
    folder (measured; it uses 2), whole blocks for a file."""
    n = 4
    for e in os.ilistdir(p):
        if e[1] == 0x4000:
            n += _blocks(p + "/" + e[0], bs)
        else:  # (littlefs' ilistdir gives the size 4th; the stubs know 3 items)
            n += (e[3] + bs - 1) // bs  # type: ignore[misc]
    return n


def _room(fw, bs):
    """Blocks the log may take besides the free ones: the builds in fw but
    the current one, up to the current one's size (only the flasher frees
    them: after a downgrade a bigger previous build would size the log past
    the flash), less the reserve: the current build's size (room for the
    next one) and _SPARE."""
    n = 0
    cur = 0
    try:
        with open(fw + "/current") as f:  # (closed: littlefs lists open files)
            name = f.read().strip()
        for e in os.ilistdir(fw):
            if e[1] == 0x4000:
                b = _blocks(fw + "/" + e[0], bs)
                if e[0] == name:
                    cur = b
                else:
                    n += b
    except OSError:  # no build in fw (mip, tests)
        pass
    return min(n, cur) - (cur or _BUILD) - _SPARE


class FlashLog:
    def __init__(self, boot=0, root="/log", seg_bytes=None, max_segs=None):
        """max_segs None: sized from the flash (see _room)."""
        self.root = root
        self.boot = boot
        self.pending = []
        self.next_seq = 1
        self.prev = logfmt.GENESIS
        self.torn = 0  # torn/corrupt tails found at boot
        self.flushes = 0  # each one open/append/close
        self.bytes = 0  # written
        self.last_call_seq = 0
        # call records committed (all ever logged, not only those still kept)
        self.calls = -1  # (until _recover: what the mark says, if there is one)
        self.committed = 0  # the last committed record's seq (the high-water mark)
        self.lost = 0  # committed records found unreadable at boot
        try:
            os.mkdir(root)
        except OSError:
            pass
        self._mark = None  # the high-water mark's file: <seq>.<calls>, empty
        self._segs = []
        st = os.statvfs(root)
        bs = st[0]
        # blocks free, then the log's own (littlefs counts a folder twice:
        # a nearly full flash can report more used than it has)
        room = st[3] if st[3] < st[2] else 0
        for e in os.ilistdir(root):
            n = e[0]
            try:  # <first seq, 8 digits>.seg, <seq, 8 digits>.<calls>
                if n[8:] == ".seg":
                    self._segs.append(int(n[:8]))
                    # (+16: littlefs' block pointers, 16 bytes in 4 blocks)
                    room += (e[3] + 16 + bs - 1) // bs  # type: ignore[misc]
                elif n[8] == "." and int(n[:8]) >= self.committed:
                    self.committed, self.calls = int(n[:8]), int(n[9:])
                    self._mark = root + "/" + n
            except (ValueError, IndexError):
                pass
        self._segs.sort()
        if not max_segs:
            seg_bytes = _SEG_BLOCKS * bs - 16
            # a segment takes _SEG_BLOCKS and 1/16 block of /log's metadata
            # (measured: 6 blocks more with 105 segments)
            room = (room + _room(root[:root.rfind("/")] + "/fw", bs)) * 16 + len(self._segs)
            max_segs = max(2, room // (16 * _SEG_BLOCKS + 1))
        self.seg_bytes = seg_bytes
        self.max_segs = max_segs
        self._cur = None  # the segment we append to
        self._cur_size = 0
        self._last = None  # the newest record in it, parsed (compact records follow it)
        self._recover()

    def _path(self, first):
        return "%s/%08d.seg" % (self.root, first)

    def _recover(self):
        """Read the newest segment (and older ones only while none has a
        record yet): boot time does not grow with the log. The calls before
        the mark are counted in its name; a log without one (older
        firmware) is read whole, once."""
        hwm = self.committed
        marked = self.calls  # the calls committed up to the mark
        last = None  # the newest readable record
        calls = 0  # calls after the mark (or all of them, without one)
        for i in range(len(self._segs) - 1, -1, -1):
            if last is not None and marked >= 0:
                break
            first = self._segs[i]
            bad = False
            end = None
            for r, raw in _records(self._path(first), i and self._path(self._segs[i - 1])):
                if r is None:
                    self.torn += 1
                    bad = True
                    continue
                if r[0] == REC_CALL and (marked < 0 or r[1] > hwm):
                    calls += 1
                end = r
            if i == len(self._segs) - 1:
                # append to the newest segment, unless it ends in bytes that
                # are no record (a torn write): then start a new one
                self._cur = None if bad else first
                self._last = end
            if last is None:
                last = end
        self.calls = calls + max(marked, 0)
        if self._cur is not None:
            self._cur_size = os.stat(self._path(self._cur))[6]
        if last is not None:
            self.prev = logfmt.link(last[7])
            self.next_seq = last[1] + 1
        # a log from before the mark was a file name: its committed.json
        v = store.read_json(self.root + "/committed.json")[0]
        if isinstance(v, dict) and isinstance(v.get("seq"), int):
            hwm = max(hwm, v["seq"])
        self.committed = max(hwm, self.next_seq - 1)
        if hwm >= self.next_seq:  # committed records that are gone
            self.lost = hwm - self.next_seq + 1
            note = b"log: records %d..%d lost (unreadable at boot: corrupt, truncated or " \
                b"deleted)" % (self.next_seq, hwm)
            self.next_seq = hwm + 1  # their numbers are never used again
            self.append(REC_FAULT, now_ms(), note)

    # ---- writing ------------------------------------------------------------
    def append(self, rtype, ticks, payload):
        """Queue a record; returns its sequence number."""
        seq = self.next_seq
        rec = logfmt.encode(rtype, seq, self.boot, ticks, self.prev, payload)
        self.prev = logfmt.link(rec)
        self.next_seq = seq + 1
        self.pending.append(rec)
        if rtype == REC_CALL:
            self.last_call_seq = seq
        return seq

    def tick(self, now):
        """Called while idle (once a minute): after _STILL_MS without a
        record, log a still-here record (the host unwraps ticks from record
        to record, and ticks wrap every 12.4 days)."""
        if not self.pending and (self._last is None or tdiff(now, self._last[3]) >= _STILL_MS):
            self.append(REC_STILL_HERE, now, b"")

    def flush(self):
        """Write the pending records (one append per segment touched), each
        compact where it can be, then move the high-water mark."""
        while self.pending:
            if self._cur is None or self._cur_size >= self.seg_bytes:
                self._new_segment()
            room = self.seg_bytes - self._cur_size
            out = []  # type: list[bytes]
            n = 0
            calls = self.calls
            ctx = self._last
            for rec in self.pending:
                c = logfmt.compact(rec, ctx) or rec
                if n + len(c) > room and (out or self._cur_size):
                    break
                out.append(c)
                n += len(c)
                ctx = logfmt.parse_one(rec, 0)
                calls += rec[1] == REC_CALL  # (a full record's type byte)
            if not out:  # it does not fit: it starts the next segment
                self._cur_size = self.seg_bytes
                continue
            with open(self._path(self._cur), "ab") as f:
                f.write(b"".join(out))
            self.pending = self.pending[len(out):]
            self._last = ctx
            self._cur_size += n
            self.flushes += 1
            self.bytes += n
            self.committed = self.next_seq - 1 - len(self.pending)  # the last one written
            # the mark is a file's name: moving it is one rename, no data
            self.calls = calls
            mark = self._path(self.committed)[:-3] + str(calls)
            try:
                os.rename(self._mark or mark, mark)
            except OSError:  # none yet (or deleted)
                open(mark, "w").close()
                try:
                    os.remove(self.root + "/committed.json")
                except OSError:
                    pass
            self._mark = mark

    def _new_segment(self):
        first = logfmt.parse_one(self.pending[0], 0)[1]
        self._segs.append(first)
        self._cur = first
        self._cur_size = 0
        self._last = None  # a segment starts with a full record
        # the oldest goes; one more while the log is over its size: it
        # shrinks by one segment per new one at most
        for _ in range(2):
            if len(self._segs) <= self.max_segs:
                break
            old = self._segs.pop(0)
            try:
                os.remove(self._path(old))
            except OSError:
                pass

    # ---- reading (log pull) ---------------------------------------------------
    def first_seq(self):
        return self._segs[0] if self._segs else self.next_seq

    def read(self, from_seq, max_bytes, compact=False):
        """Whole flushed records with seq >= from_seq, at most max_bytes
        (at least one record). Returns (bytes, count, next seq to ask for).
        Records are full, or with compact as stored where the record they
        were written after is the one just before them in the answer."""
        segs = self._segs
        i = 0
        for k in range(len(segs)):
            if segs[k] <= from_seq:
                i = k
        out = []  # type: list[bytes]
        size = 0
        nxt = from_seq
        for k in range(i, len(segs)):
            last = None  # the record before, when it is the one just sent
            for r, raw in _records(self._path(segs[k]), k and self._path(segs[k - 1])):
                if r is None:  # skip what is no record (what follows comes full)
                    last = None
                    continue
                if r[1] < from_seq:
                    last = None
                    continue
                if not (compact and last):
                    raw = r[7]
                if out and size + len(raw) > max_bytes:
                    return b"".join(out), len(out), nxt
                out.append(raw)
                size += len(raw)
                nxt = r[1] + 1
                last = r
        return b"".join(out), len(out), nxt

    def stats(self):
        return {"first_seq": self.first_seq(), "next_seq": self.next_seq,
                "pending": len(self.pending), "segments": len(self._segs),
                "dropped": self.first_seq() - 1 if self._segs else 0,
                "torn": self.torn, "lost": self.lost, "committed": self.committed,
                "flushes": self.flushes, "bytes": self.bytes}
