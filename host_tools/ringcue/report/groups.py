"""Ring groups: one incoming call rings several desks at once, and each desk's
board logs its own call. This module (pure: no I/O, no store) turns the
desks' calls back into the group's calls: offered once, answered by
whichever desk answered (on which ring, counted from the group's first
ring), missed only if no desk answered.

Why one module of ~480 lines: the steps below share the matcher's state
(each stretch's clock offset, the open group calls) and are only correct
together; it has no I/O, and tests/report/test_groups.py takes it by rule.

How calls are matched (docs/reports.md#ring-groups says it for managers):

1. Each desk call gets its ring-1 onset on its board's clock. The store's
   wall_ms is when the board logged the call's end: the answer for an
   answered call (onset = wall - answer_ms, to the millisecond), else the
   profile's end_ms of silence after the last pulse (onset estimated from
   the ring count and the profile's cadence, with an uncertainty that grows
   with the rings).
2. Boards' clocks drift (crystals: +-50 ppm) and are set only at each pull,
   so two boards can disagree by seconds to minutes. The offset of each desk
   against the group's busiest desk is measured from the calls themselves:
   around each call, the most common onset difference between the two
   desks' nearby calls (real shared calls agree; chance neighbours scatter),
   refined by a line through the agreeing ones (drift is linear between
   syncs). Offsets are re-measured call by call, so a re-sync (the offset
   jumps) costs a few calls at most.
3. With the offsets removed, a desk call joins a group call when its onset
   is within TOLERANCE_MS (plus both onsets' uncertainties) of the group
   call's, the desk is not in it yet, at most one desk answered, the ring
   counts agree (desks ringing together count the same rings, give or take
   the ring in progress), and the desks stopped ringing together (at the
   answer or when the caller hung up, each desk's last pulse at most one
   ring's off-time before it; stops are exact, unlike estimated onsets).
   Of several candidates the closest wins.
4. A desk call that matches no other desk's is still a group call (rung at
   one desk: the others were busy, or a direct call), and is counted in the
   data-quality block as unmatched; so are calls without a wall-clock time.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

from ringcue_core.profiles import PROFILES

from .categories import ANSWER_BY_RING

# Ring cadence per profile: (period, ring-on time) in ms, from the cadences
# each profile is derived from (ringcue_core/profiles.py, docs/ring-detection.md).
# "universal" knows none: a 6 s period with a wide uncertainty.
CADENCES = {"uk": (3000, 1000), "au": (3000, 1000), "us": (6000, 2000), "de": (5000, 1000),
            "fr": (5000, 1500), "jp": (3000, 1000)}
UNKNOWN_CADENCE = (6000, 2000)
CADENCE_SLACK = 0.10  # exchanges hold their cadence to this (the detector accepts 20 %)
TOLERANCE_MS = 1000  # measured best at +-0..100 ppm: bench/bench_groups.py, docs/reports.md
SEARCH_MS = 30 * 60_000  # clock offsets looked for: up to 30 min either way
OFFSET_BIN_MS = 2000
OFFSET_WINDOW = 10  # calls either side of a call whose offsets measure it
MIN_VOTES = 3  # agreeing neighbours needed to trust a measured offset
DRIFT_PPM = 100  # two boards at +-50 ppm drift apart at most this fast
COARSE_STEP = 8  # long stretches: a first measure on every 8th call...
COARSE_SLACK_MS = 120_000  # ...then only differences this near it


@dataclass(frozen=True)
class DeskCall:
    """One desk's log of a call, as the store holds it."""

    desk: str
    key: tuple  # (device_id, seq): names the call in the data-quality block
    wall_ms: int | None  # when the board logged the call's end; None: unsynced
    rings: int
    outcome: str  # answered / abandoned / unknown
    answer_ms: int | None = None  # from ring 1's onset to the answer
    profile: str = "universal"
    clock: object = None  # (device_id, boot): calls placed in time from the same syncs


@dataclass
class GroupCall:
    """A call offered to a group, as the caller lived it."""

    group: str
    onset_ms: int | None  # the group's first ring, on the busiest desk's clock
    rings: int  # rings before the answer or the end, counted from the group's first
    outcome: str  # answered if any desk answered; unknown if no desk could tell
    answer_ms: int | None  # from the group's first ring to the answer
    answered_by: str | None
    calls: tuple  # the desks' own calls it is made of
    profile: str = "universal"

    @property
    def desks(self) -> tuple:
        return tuple(c.desk for c in self.calls)


@dataclass
class Matching:
    """match()'s answer for one group."""

    group: str
    calls: list = field(default_factory=list)  # GroupCalls, in time order
    unmatched: list = field(default_factory=list)  # DeskCalls no other desk shared
    unsynced: list = field(default_factory=list)  # DeskCalls without a wall-clock time
    offsets: dict = field(default_factory=dict)  # desk -> its last measured offset (ms)


def cadence(profile: str) -> tuple[int, int]:
    return CADENCES.get(profile, UNKNOWN_CADENCE)


def onset(c: DeskCall) -> tuple[int, int]:
    """(ring 1's onset on the board's clock, how far off it may be), in ms."""
    if c.outcome == "answered" and c.answer_ms is not None:
        return c.wall_ms - c.answer_ms, 0
    period, on = cadence(c.profile)
    end_ms = PROFILES.get(c.profile, PROFILES["universal"])[1]
    last_pulse = c.wall_ms - end_ms
    # the last ring may have been cut short by an answer elsewhere: up to `on` early
    slack = on + int(CADENCE_SLACK * (max(c.rings, 1) - 1) * period)
    if c.profile not in CADENCES:
        slack += max(c.rings, 1) * 2000  # cadences from 3 to 6 s a ring
    return last_pulse - on - (max(c.rings, 1) - 1) * period, slack


def stop(c: DeskCall) -> int:
    """When the desk's ringing stopped, on the board's clock: the answer, or
    its last ring pulse (exact, unlike the onset of an unanswered call)."""
    if c.outcome == "answered" and c.answer_ms is not None:
        return c.wall_ms
    return c.wall_ms - PROFILES.get(c.profile, PROFILES["universal"])[1]


def match(group: str, calls_by_desk: dict, tolerance_ms: int = TOLERANCE_MS,
          measure_offsets: bool = True) -> Matching:
    """Match one group's desk calls ({desk: [DeskCall]}) into group calls."""
    out = Matching(group)
    timed = {}
    for desk, calls in calls_by_desk.items():
        keep = []
        for c in calls:
            (keep if c.wall_ms is not None else out.unsynced).append(c)
        timed[desk] = sorted(((*onset(c), c) for c in keep), key=lambda x: x[0])
    offsets = _offsets(timed) if measure_offsets else {}
    events = []  # (corrected onset, uncertainty, call, corrected stop)
    for desk, rows in timed.items():
        offs = offsets.get(desk)
        for i, (o, u, c) in enumerate(rows):
            off = offs[i] if offs else 0
            events.append((o - off, u, c, stop(c) - off))
        if offs:
            out.offsets[desk] = offs[-1]
    events.sort(key=lambda e: (e[0], e[2].desk))
    open_: list[list] = []  # clusters: [members (onset, u, call, stop)]
    done = []
    for e in events:
        x, u = e[0], e[1]
        # clusters that can no longer take a call are finished
        still = []
        for cl in open_:
            if x - _anchor(cl)[0] > tolerance_ms + _anchor(cl)[1] + u + _MAX_SLACK:
                done.append(cl)
            else:
                still.append(cl)
        open_ = still
        best, best_score = None, None
        for cl in open_:
            score = _fit(cl, e, tolerance_ms)
            if score is not None and (best_score is None or score < best_score):
                best, best_score = cl, score
        if best is None:
            open_.append([e])
        else:
            best.append(e)
    done += open_
    for cl in done:
        if len(cl) == 1:
            out.unmatched.append(cl[0][2])
        out.calls.append(_group_call(group, cl, tolerance_ms))
    for c in out.unsynced:
        out.calls.append(_group_call(group, [(None, 0, c, None)], tolerance_ms))
    out.calls.sort(key=lambda g: (g.onset_ms is None, g.onset_ms or 0))
    return out


_MAX_SLACK = 3 * 6000  # the largest onset uncertainty a cluster's anchor can have


def _anchor(cl):
    """The member whose onset is surest (an answered call's is exact)."""
    return min(cl, key=lambda m: (m[1], m[0]))


def _fit(cl, e, tol):
    """How well call e fits cluster cl (smaller is better), or None."""
    x, u, c, s = e
    if any(m[2].desk == c.desk for m in cl):
        return None
    if c.outcome == "answered" and any(m[2].outcome == "answered" for m in cl):
        return None
    ax, au, a, _ = _anchor(cl)
    allowed = tol + u + au
    d = abs(x - ax)
    if d > allowed:
        return None
    # desks ringing together count the same rings, give or take the ring in
    # progress when one answered (or when a board validated it): every pair
    # of the call's desks agrees to within one
    if max(abs(c.rings - m[2].rings) for m in cl) > 1:
        return None
    # ...and stop together, when one answers or the caller hangs up: a desk's
    # last pulse is at most one ring's off-time before that moment
    period, on = cadence(c.profile)
    for m in cl:
        lo, hi = sorted((s, m[3]))
        if m[2].outcome == "answered" or c.outcome == "answered":
            answer, other = (m[3], s) if m[2].outcome == "answered" else (s, m[3])
            if not answer - (period - on) - tol <= other <= answer + tol:
                return None
        elif hi - lo > period - on + tol:
            return None
    return d / allowed + 0.25 * abs(c.rings - a.rings)


def _group_call(group, cl, tol) -> GroupCall:
    calls = tuple(m[2] for m in sorted(cl, key=lambda m: (m[0] or 0, m[2].desk)))
    ans = [m for m in cl if m[2].outcome == "answered"]
    profile = calls[0].profile
    period = cadence(profile)[0]
    # desks ringing together stop together: the most rings any desk heard is
    # how many the group's first-ringing desk heard (counts are exact;
    # onsets of unanswered calls are estimates)
    rings = max(c.rings for c in calls)
    timed = [m for m in cl if m[0] is not None]
    onset_ms = min((m[0] for m in timed if m[1] == min(t[1] for t in timed)), default=None)
    if ans:
        x, u, a, at = ans[0]  # at: the answer, on the reference desk's clock
        answer_ms = None
        if a.answer_ms is not None:
            # from the group's first ring: this desk's own time, plus how much
            # earlier the first desk started (estimated), within ring `rings`
            lead = max(0, x - min(m[0] for m in timed)) if x is not None else 0
            answer_ms = min(max(a.answer_ms + lead, (rings - 1) * period), rings * period - 1)
            answer_ms = max(answer_ms, a.answer_ms)
            if x is not None:
                onset_ms = at - answer_ms
        return GroupCall(group, onset_ms, rings, "answered", answer_ms, a.desk, calls, profile)
    outcome = "unknown" if any(c.outcome == "unknown" for c in calls) else "abandoned"
    return GroupCall(group, onset_ms, rings, outcome, None, None, calls, profile)


def _offsets(timed: dict) -> dict:
    """desk -> [offset of each of its calls (ms, its clock minus the
    reference desk's)], measured from the calls' onsets (see the module's
    docstring, step 2). The reference is the desk with most calls."""
    if len(timed) < 2:
        return {}
    ref = max(timed, key=lambda d: (len(timed[d]), d))
    ref_on = [r[0] for r in timed[ref]]
    ref_clock = [r[2].clock for r in timed[ref]]
    out = {ref: [0] * len(ref_on)}
    for desk, rows in timed.items():
        if desk != ref:
            out[desk] = _track(rows, ref_on, ref_clock)
    return out


def _track(rows, ref_on, ref_clock) -> list:
    """The offset at each of `rows`' calls against the onsets ref_on."""
    n = len(rows)
    keys = []  # per call: (its clock, the reference's clock then)
    for o, _u, c in rows:
        near = min(bisect_left(ref_on, o), len(ref_on) - 1)
        if near and o - ref_on[near - 1] < ref_on[near] - o:
            near -= 1
        keys.append((c.clock, ref_clock[near] if ref_on else None))
    # An offset is a straight line while both boards keep the clock of one
    # boot (the store places a boot's calls from one sync), and jumps when
    # either restarts. So offsets are measured within each stretch of calls
    # that keep both clocks; within one (or without boot numbers), a window
    # across a jump is split, so each call weighs the windows before it,
    # around it and after it, and takes the offset that one of its own
    # differences agrees with best.
    offs: list = []
    a = 0
    while a < n:
        b = a + 1
        while b < n and keys[b] == keys[a]:
            b += 1
        offs += _stretch(rows[a:b], ref_on)
        a = b
    # a call with no clear offset takes its nearest neighbour's
    offs = [0 if v is None else v for v in _fill(offs)]
    # a lone call whose offset disagrees with both neighbours, who agree
    # with each other, took a chance neighbour's difference: a jump lasts
    for i in range(1, n - 1):
        a, b, c = offs[i - 1], offs[i], offs[i + 1]
        if abs(a - c) <= OFFSET_BIN_MS and min(abs(b - a), abs(b - c)) > 2 * OFFSET_BIN_MS:
            offs[i] = a
    return offs


def _diffs(ref_on, o, lo_off, hi_off) -> list:
    """(difference, onset) of onset o against the reference onsets whose
    difference from it lies in [lo_off, hi_off]."""
    lo, hi = bisect_left(ref_on, o - hi_off), bisect_right(ref_on, o - lo_off)
    return [(o - r, o) for r in ref_on[lo:hi]]


def _stretch(rows, ref_on) -> list:
    """Offsets (or None) of calls that keep one clock pair. A long stretch
    is first measured on every COARSE_STEP-th call (_tracked), then each
    call is compared only with the reference calls within COARSE_SLACK_MS
    of the offsets measured either side of it: the differences counted, not
    the calls, are what costs (bench/bench_groups.py --speed)."""
    n = len(rows)
    if n <= 4 * COARSE_STEP * OFFSET_WINDOW:
        return _offsets_of(rows, [_diffs(ref_on, r[0], -SEARCH_MS, SEARCH_MS) for r in rows])
    idx = list(range(0, n, COARSE_STEP))
    coarse = _fill(_tracked([rows[i] for i in idx], ref_on))
    cands = []
    for i, r in enumerate(rows):
        k = min(i // COARSE_STEP, len(idx) - 1)
        around = [c for c in (coarse[k], coarse[min(k + 1, len(idx) - 1)]) if c is not None]
        if not around:  # nothing tracked: search it all
            cands.append(_diffs(ref_on, r[0], -SEARCH_MS, SEARCH_MS))
        else:
            cands.append(_diffs(ref_on, r[0], min(around) - COARSE_SLACK_MS,
                                max(around) + COARSE_SLACK_MS))
    return _offsets_of(rows, cands)


def _tracked(rows, ref_on) -> list:
    """Offsets (or None) of `rows`, a block at a time: each block compared
    only with the reference calls within COARSE_SLACK_MS of the offset the
    block before ended on, and with all within SEARCH_MS only at the start
    or where that finds no offset for some call (a jump, or too few shared
    calls to tell)."""
    block, w = 4 * OFFSET_WINDOW, OFFSET_WINDOW
    out: list = []
    last = None
    for a in range(0, len(rows), block):
        lo = max(0, a - w)
        part = rows[lo:a + block + w]
        got = None
        if last is not None:
            got = _offsets_of(part, [_diffs(ref_on, r[0], last - COARSE_SLACK_MS,
                                            last + COARSE_SLACK_MS) for r in part])
            got = got[a - lo:a - lo + block]
            if None in got:
                got = None
        if got is None:
            got = _offsets_of(part, [_diffs(ref_on, r[0], -SEARCH_MS, SEARCH_MS)
                                     for r in part])[a - lo:a - lo + block]
        out += got
        last = next((v for v in reversed(got) if v is not None), last)
    return out


def _fill(offs: list) -> list:
    """Each None takes its nearest earlier (else later) neighbour's value."""
    for order in (range(len(offs)), reversed(range(len(offs)))):
        last = None
        for i in order:
            if offs[i] is None:
                offs[i] = last
            else:
                last = offs[i]
    return offs


def _offsets_of(rows, cands) -> list:
    w = OFFSET_WINDOW
    sweeps = [_sweep(cands, w, 0), _sweep(cands, w // 2, w // 2), _sweep(cands, 0, w)]
    offs: list = []
    for i in range(len(rows)):
        known = [s[i] for s in sweeps if s[i] is not None]
        if not known:
            offs.append(None)
            continue
        centres = [k[0] for k in known]
        if max(centres) - min(centres) <= 2 * OFFSET_BIN_MS:
            pick = sweeps[1][i] or known[0]  # no jump here
        else:
            pick = min(known, key=lambda k: min((abs(dlt - k[0]) for dlt, _o in cands[i]),
                                                default=0))
        offs.append(_refine(cands, *pick, rows[i][0]))
    return offs


def _sweep(cands, before, after) -> list:
    """For each call, the most common offset (bin centre, and the window's
    calls lo..hi) of the calls `before` ahead of it to `after` behind it,
    or None where too few agree."""
    n = len(cands)
    votes: Counter = Counter()  # bin -> differences in it and its two neighbours

    def put(i, sign):
        for dlt, _o in cands[i]:
            b = dlt // OFFSET_BIN_MS
            for k in (b - 1, b, b + 1):
                votes[k] += sign
                if not votes[k]:
                    del votes[k]

    for i in range(min(after, n - 1) + 1):
        put(i, 1)
    out = []
    for i in range(n):
        if i and i + after < n:
            put(i + after, 1)
        if i - before - 1 >= 0:
            put(i - before - 1, -1)
        best = max(votes.items(), key=itemgetter(1), default=None)
        if best is None or best[1] < MIN_VOTES:
            out.append(None)
        else:
            out.append((best[0] * OFFSET_BIN_MS + OFFSET_BIN_MS // 2, max(0, i - before),
                        min(n, i + after + 1)))
    return out


def _refine(cands, centre, lo, hi, at):
    """The offset at time `at` from the differences of calls lo..hi-1 that
    agree with `centre`: their median, or a line through them when they
    span hours (drift is linear between syncs); None if too few agree."""
    span = 0
    pts = []
    for i in range(lo, hi):
        for dlt, o in cands[i]:
            if abs(dlt - centre) <= 1.5 * OFFSET_BIN_MS + DRIFT_PPM * 1e-6 * abs(o - at):
                pts.append((o - at, dlt))
                span = max(span, abs(o - at))
    if len(pts) < MIN_VOTES:
        return None
    if span < 3_600_000 or len(pts) < 4:
        return int(sorted(d for _t, d in pts)[len(pts) // 2])
    mt = sum(t for t, _ in pts) / len(pts)
    md = sum(d for _, d in pts) / len(pts)
    stt = sum((t - mt) ** 2 for t, _ in pts)
    slope = sum((t - mt) * (d - md) for t, d in pts) / stt if stt else 0.0
    slope = max(-DRIFT_PPM * 1e-6, min(DRIFT_PPM * 1e-6, slope))
    return int(md - slope * mt)


# ---- figures --------------------------------------------------------------

@dataclass
class DeskLoad:
    """One desk's part in its group's calls."""

    rung: int = 0  # group calls that rang this desk
    answered: int = 0
    answered_by_3: int = 0  # of those, by the group's ring 3


def loads(m: Matching) -> dict:
    """desk -> DeskLoad over the group's calls."""
    out: dict[str, DeskLoad] = {}
    for g in m.calls:
        for c in g.calls:
            out.setdefault(c.desk, DeskLoad()).rung += 1
        if g.answered_by is not None:
            d = out.setdefault(g.answered_by, DeskLoad())
            d.answered += 1
            d.answered_by_3 += g.rings <= ANSWER_BY_RING
    return out


def evenness(answered: list) -> float | None:
    """How evenly a group's desks share the answering, 0..100 %: the
    normalised Shannon entropy of their shares (100 % = every desk answered
    as many calls; 0 % = one desk answered them all). None: fewer than two
    desks, or nobody answered."""
    total = sum(answered)
    if total == 0 or len(answered) < 2:
        return None
    h = -sum(a / total * math.log(a / total) for a in answered if a)
    return 100.0 * h / math.log(len(answered))
