# Ring detector: optocoupler edges + hook changes + time -> actions.
#
# Theory of operation
#   pulse   a rising edge of the opto output (ring current starts flowing).
#           A half-wave opto gives one per ring cycle, a full-wave one two:
#           15-70 Hz ringing is 15-140 pulses/s.
#   burst   >= VALID_PULSES pulses whose spacings are in band (MIN..MAX
#           period) and agree: the longest at most 3/8 of the shortest + 2 ms
#           longer (takes +-15 % period jitter, refuses 60/40 ms dial
#           pulses), none of them narrower than MIN_WIDTH_MS. A spacing that
#           disagrees keeps the latest ones that still agree with it, so one
#           odd period does not restart validation. Reversals (1 pulse), hook
#           flashes (1 step), dial pulses (10 pps, out of band, or
#           alternating 60/40 ms, irregular), neon MWI (1 Hz) and spikes
#           (narrow) never make one. Ghost IRQs that don't change the level
#           are ignored.
#   ring    one cadence cycle: bursts less than profile.join_ms apart, so the
#           UK double ring and distinctive rings count once. Counted (and the
#           cue decided) the moment its first burst validates. Within a ring,
#           a short burst (>= EXTEND_PULSES regular pulses, e.g. a 200 ms burst
#           of a distinctive ring at 16 Hz) keeps the ring going.
#   call    rings until profile.end_ms of silence, or until off-hook.
#   clear   who ended an answered call. Hook sense is loop current: when the
#           caller hangs up, an exchange with disconnect supervision breaks
#           it for a moment (profile.clear_ms = (min, max) ms) while the
#           handset is still lifted; when the desk hangs up it stays gone.
#           Only on a line that gives the signal (clear_signal): elsewhere
#           the two look the same and the answer is CLEAR_UNKNOWN.
#
# A deadline that falls while a burst is still being validated waits for that
# burst to validate or die, so validation time never splits a ring.
#
# Inputs:  edge(t_ms, level), hook(t_ms, offhook), tick(now_ms).
# Outputs: next_action() -> (ACT_*, t_ms, a, b, c) or None, like h11's
#          next_event(). next_deadline() says when tick() must run next.
# edge() never allocates: state is small ints, actions go to an int array.
from array import array

from . import codes as C  # the action, outcome and flag codes (shared with the host)
from .cue import CuePolicy
from .ticks import tadd, tdiff

try:
    from micropython import const
except ImportError:

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


MIN_PERIOD_MS = const(5)  # closer pulses are contact chatter: ignored
MAX_PERIOD_MS = const(75)  # 13.3 pulses/s; slower is not ringing
VALID_PULSES = const(5)  # 4 regular periods make a burst (DAHDI: >4 alternations)
_RUN = const(4)  # spacings kept while a burst validates: VALID_PULSES - 1
EXTEND_PULSES = const(3)  # enough to keep a ring in progress going
MIN_WIDTH_MS = const(2)  # ring current flows >= 3 ms per pulse; spikes are shorter

# states
ST_IDLE = const(0)  # no call
ST_RINGING = const(1)  # a ring is in progress
ST_GAP = const(2)  # call active, between rings
ST_TALK = const(3)  # answered, off-hook (hook sense only)
ST_OFFHOOK = const(4)  # off-hook with no call: outgoing call, pulses ignored
_CLEARING = const(5)  # answered, loop current gone: back within clear_ms?
STATE_NAMES = ("idle", "ringing", "gap", "talk", "offhook", "clearing")

_SLOT = const(5)
_LATE_MS = const(1000)  # how far an edge may arrive behind the detector's clock


class RingDetector:
    def __init__(self, profile, cue_ring=2, alarm_after=3, hook_wired=False, queue=16,
                 clear_signal=False):
        self.profile = profile
        self._join = profile.join_ms
        self._end = profile.end_ms
        self._first = profile.first_ms
        self.policy = CuePolicy(cue_ring, alarm_after)
        self.hook_wired = hook_wired
        # (min, max) ms of a loop break that is the caller's clear; max 0:
        # the line gives no such signal
        self._clear = profile.clear_ms if clear_signal and hook_wired else (0, 0)
        self.state = ST_IDLE
        self.rings = 0
        self._t0 = 0  # onset of ring 1; after the answer, when loop current went
        self._last = 0  # last pulse of a counted burst
        self._answer_t = 0
        self._now = 0
        self._started = False
        self._level = 0
        # the burst being built: pulse count (0 = none), first/last pulse,
        # first spacing, and whether it already counts as part of a ring
        self._cn = 0
        self._cfirst = 0
        self._clast = 0
        self._sp = array("i", [0] * _RUN)  # its spacings, oldest first
        self._counted = False
        self._rise = 0  # last rising edge taken into the burst being built
        # action queue: a ring of _SLOT ints per action
        self._q = array("i", [0] * (_SLOT * queue))
        self._qcap = queue
        self._qhead = 0
        self._qlen = 0
        # statistics for diagnostics
        self.pulses = 0
        self.rejected = 0  # bursts that started but never validated

    # ---- inputs ---------------------------------------------------------
    def edge(self, t, level):
        """Opto output changed to `level` (1 = ring current flowing) at t."""
        self._advance(t)
        if level == self._level:
            return  # not a change (a repeated IRQ)
        self._level = level
        if self.state >= ST_TALK:
            return  # off-hook: the line cannot ring
        if not level:
            # A narrow pulse is a spike, not ring current: a burst still
            # being validated cannot contain it, so start over.
            if (self._cn and not self._counted and self._clast == self._rise
                    and tdiff(t, self._rise) < MIN_WIDTH_MS):
                self._cn = 0
                self.rejected += 1
            return
        self.pulses += 1
        n = self._cn
        d = 0
        if n:
            d = tdiff(t, self._clast)
            if d < MIN_PERIOD_MS:
                return
            if d > MAX_PERIOD_MS:
                if not self._counted:
                    self.rejected += 1
                n = 0
        self._rise = t
        if n == 0:
            self._cn = 1
            self._cfirst = self._clast = t
            self._counted = False
            return
        if not self._counted:
            n = self._regular(n, t, d)
        self._cn = n + 1
        self._clast = t
        if self._counted:
            self._last = t
        elif self._cn >= VALID_PULSES:
            self._validated(t)
        elif self._cn >= EXTEND_PULSES and self.state == ST_RINGING:
            self._last = t  # a short burst inside the ring in progress

    def hook(self, t, offhook):
        """Hook switch changed (debounced by the caller). 1 = off-hook."""
        self._advance(t)
        st = self.state
        if offhook:
            if st == ST_RINGING or st == ST_GAP:
                self._push(C.ACT_ANSWER, t, self.rings, 0, 0)
                self._end_call(t, C.OUTCOME_ANSWERED, tdiff(t, self._t0))
                self.state = ST_TALK
                self._answer_t = t
            elif st == ST_IDLE:
                self.state = ST_OFFHOOK
            elif st == _CLEARING:
                # loop current is back. A break as long as the exchange's
                # clear signal: the caller hung up, the handset is still up.
                # Shorter: a glitch; the conversation goes on.
                if tdiff(t, self._t0) >= self._clear[0]:
                    self._push(C.ACT_HANGUP, self._t0, tdiff(self._t0, self._answer_t),
                               C.CLEAR_CALLER, 0)
                    self.state = ST_OFFHOOK
                else:
                    self.state = ST_TALK
        else:
            self._t0 = t
            if st == ST_TALK and self._clear[1]:
                self.state = _CLEARING  # wait: does it come back?
            elif st == ST_TALK:
                self._push(C.ACT_HANGUP, t, tdiff(t, self._answer_t), C.CLEAR_UNKNOWN, 0)
                self.state = ST_IDLE
            elif st == ST_OFFHOOK:
                self.state = ST_IDLE
        self._cn = 0

    def tick(self, now):
        """Let time pass: fires ring-end (alarm) and call-end deadlines."""
        self._advance(now)

    # ---- outputs --------------------------------------------------------
    def next_action(self):
        """The oldest pending action as (code, t_ms, a, b, c), or None."""
        if not self._qlen:
            return None
        i = self._qhead * _SLOT
        q = self._q
        act = (q[i], q[i + 1], q[i + 2], q[i + 3], q[i + 4])
        self._qhead = (self._qhead + 1) % self._qcap
        self._qlen -= 1
        return act

    def next_deadline(self):
        """Tick time at which tick() has work to do, or None."""
        st = self.state
        if st == ST_RINGING:
            d = tadd(self._last, self._join)
        elif st == ST_GAP:
            d = tadd(self._last, self._end)
        elif st == _CLEARING:
            return tadd(self._t0, self._clear[1])
        else:
            return None
        if self._cn and not self._counted and tdiff(self._cfirst, d) < 0:
            # a burst began before the deadline and may still validate
            dc = tadd(self._clast, MAX_PERIOD_MS + 1)
            if tdiff(dc, d) > 0:
                d = dc
        if tdiff(d, self._now) < 0:
            d = self._now  # overdue (a burst that deferred it just died): now
        return d

    # ---- internals ------------------------------------------------------
    def _advance(self, now):
        back = tdiff(now, self._now) if self._started else 0
        if back < 0:
            if back > -_LATE_MS:
                # an edge stamped by the IRQ just before the caller's last
                # tick, fed after it: taken at its own time; the clock stays
                return
            if self.state == ST_RINGING or self.state == ST_GAP:
                # a call's deadlines are ticked at least every 100 ms: a bug
                raise ValueError("time went backwards")
            # No call: ticks wrap (2**30 ms), so after 6.2 to 12.4 days with
            # no event `now` only looks earlier. Forward it is; nothing of
            # the last burst can still count.
            self._cn = 0
        elif self._cn and self.state != ST_RINGING and self.state != ST_GAP and \
                tdiff(now, self._clast) > MAX_PERIOD_MS:
            # a burst that died with no call (a deadline does this in a call):
            # dropped now, before its last pulse is a wrap away
            if not self._counted:
                self.rejected += 1
            self._cn = 0
        self._started = True
        self._now = now
        while True:
            d = self.next_deadline()
            if d is None or tdiff(now, d) < 0:
                return
            self._fire(now)

    def _fire(self, now):
        if self.state == _CLEARING:  # no loop current for clear_ms[1]
            self._push(C.ACT_HANGUP, self._t0, tdiff(self._t0, self._answer_t), C.CLEAR_DESK, 0)
            self.state = ST_IDLE
            return
        if self._cn and not self._counted and tdiff(now, self._clast) > MAX_PERIOD_MS:
            self._cn = 0  # the pending burst died unvalidated
            self.rejected += 1
        if self.state == ST_RINGING:
            self.state = ST_GAP
            if self.policy.ring_ended(self.rings):
                self._push(C.ACT_ALARM_ON, now, 0, 0, 0)
        else:  # ST_GAP: silence long enough, the call is over
            out = C.OUTCOME_ABANDONED if self.hook_wired else C.OUTCOME_UNKNOWN
            self._end_call(now, out, -1)
            self.state = ST_IDLE

    def _regular(self, n, t, d):
        """Take spacing d (ending at t) into the burst being validated, which
        has n pulses; returns its pulse count before t. If d disagrees with
        the latest spacings, the burst restarts at the oldest pulse of the
        latest run of them that agrees with d: one odd period costs no more
        validation time than it must."""
        sp = self._sp
        c = n - 1 if n <= _RUN else _RUN  # spacings kept in sp
        lo = hi = d
        span = d
        k = c
        while k:  # back from the newest, while they agree with d
            s = sp[k - 1]
            a = s if s < lo else lo
            b = s if s > hi else hi
            if b - a > (a * 3 >> 3) + 2:
                break
            lo = a
            hi = b
            span += s
            k -= 1
        if k:  # sp[:k] disagree: the burst restarts after them
            c -= k
            for j in range(c):
                sp[j] = sp[k + j]
            n = c + 1
            self._cfirst = tadd(t, -span)
        if c == _RUN:  # a long burst still short of first_ms: slide
            for j in range(_RUN - 1):
                sp[j] = sp[j + 1]
            c -= 1
        sp[c] = d
        return n

    def _validated(self, t):
        st = self.state
        if st == ST_IDLE:
            if self._first and tdiff(t, self._cfirst) < self._first:
                return  # too short so far to start a call (pre-ring signal?)
            self.policy.new_call()
            self.rings = 0
            self._t0 = self._cfirst
            self._ring_starts(t)
        elif st == ST_GAP:
            self._ring_starts(t)
        # ST_RINGING: another burst of the same cadence cycle
        self._counted = True
        self._last = t

    def _ring_starts(self, t):
        self.rings += 1
        self.state = ST_RINGING
        self._push(C.ACT_RING, t, self.rings, 0, 0)
        if self.policy.ring_started(self.rings):
            self._push(C.ACT_CUE_ON, t, 0, 0, 0)

    def _end_call(self, t, outcome, answer_ms):
        p = self.policy
        flags = outcome
        if p.cue_seen:
            flags |= C.FLAG_CUE
        if p.alarm_seen:
            flags |= C.FLAG_ALARM
        bits = p.clear()
        if bits & 1:
            self._push(C.ACT_CUE_OFF, t, 0, 0, 0)
        if bits & 2:
            self._push(C.ACT_ALARM_OFF, t, 0, 0, 0)
        self._push(C.ACT_CALL_END, t, self.rings, flags, answer_ms)

    def _push(self, code, t, a, b, c):
        if self._qlen == self._qcap:
            raise RuntimeError("action queue full: drain next_action()")
        i = ((self._qhead + self._qlen) % self._qcap) * _SLOT
        q = self._q
        q[i] = code
        q[i + 1] = t
        q[i + 2] = a
        q[i + 3] = b
        q[i + 4] = c
        self._qlen += 1
