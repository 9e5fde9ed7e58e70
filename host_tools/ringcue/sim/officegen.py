"""A synthetic office whose desks ring in groups, with the truth kept: which
desk calls are one caller's call. For the ring-group matcher's tests and
benchmark (ringcue.report.groups), and `ringcue sim fleet --groups`.

The office: a PBX rings every free desk of a group at once (each port
starts up to `stagger_ms` after the first: small PBXs stagger their ring
generator), busy desks are skipped, the first desk to react answers (each
group's first desk reacts quickest), or the caller gives up. Desks also
get direct calls of their own. Each desk's board logs its call as the
firmware would: the answering desk at the answer, the others `end_ms`
after their last ring pulse, with the rings each heard. The ring cadence is
the country's (sim/ringgen.py, not the matcher's model of it) with its
period off by up to +-`jitter` on each call, as exchanges hold it. Boards' clocks
drift (+-`ppm`) and are set at each pull, every `sync_days`; the store
places a boot's calls from the boot's first sync (place_in_time), so the
error grows with the time since the board's last restart (every
`boot_days` on average).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from ringcue_core.profiles import PROFILES

from ..report.groups import DeskCall
from .ringgen import CADENCES

VALIDATE_MS = 150  # a ring counts once its burst validated (~5 pulses at 25 Hz)


@dataclass
class Office:
    calls: dict  # desk -> [DeskCall] (as the store would place them)
    truth: list  # one frozenset of DeskCall keys per real call
    answered_by: dict  # frozenset -> (desk, group ring) of each answered group call
    rings: dict  # frozenset -> rings the group's first-ringing desk heard, every call
    groups: dict  # group -> [desks]
    device: dict = field(default_factory=dict)  # desk -> device id
    max_error_ms: float = 0.0  # the largest clock error of any placed call


def office(groups: dict, days: int = 20, group_calls_per_hour: float = 6.0,
           direct_per_hour: float = 1.0, ppm: float = 50.0, sync_days: float = 3.0,
           boot_days: float = 45.0, stagger_ms: int = 800, profile: str = "uk",
           hook: bool = True, seed: int = 1, start: dt.datetime | None = None,
           jitter: float = 0.10) -> Office:
    rnd = random.Random(seed)
    segs = CADENCES[profile]
    period0, on0 = sum(segs), sum(segs[:-1])  # a cycle; its first pulse to its last
    end_ms = PROFILES[profile][1]
    start = start or dt.datetime(2026, 9, 7, tzinfo=dt.timezone.utc)  # a Monday
    t_start = int(start.timestamp() * 1000)
    desks = [d for g in groups.values() for d in g]
    device = {d: f"office-{seed:02d}-{i:03d}" for i, d in enumerate(desks)}
    drift = {d: rnd.uniform(-ppm, ppm) * 1e-6 for d in desks}
    # each group's first desk is the quickest to pick up, the others slower
    slow = {d: 0.1 + 0.3 * i for g in groups.values() for i, d in enumerate(g)}
    # pulls: every desk's board synced together, every sync_days (+-half a day)
    syncs, t = [], t_start - 86_400_000
    while t < t_start + (days + 2) * 86_400_000:
        syncs.append(t)
        t += int(sync_days * 86_400_000 * rnd.uniform(0.75, 1.25))
    boots = {d: _boots(rnd, t_start - 86_400_000, days + 2, boot_days) for d in desks}
    busy = dict.fromkeys(desks, 0)
    seq = dict.fromkeys(desks, 0)
    logs = {d: [] for d in desks}
    truth, answered_by, group_rings = [], {}, {}
    max_err = [0.0]

    def placed(desk, t_true):
        b = max(x for x in boots[desk] if x <= t_true)  # this boot's start
        first = next((s for s in syncs if s >= b), syncs[-1])  # its first sync
        err = (t_true - first) * drift[desk] + rnd.gauss(0, 20)  # + the sync's own error
        max_err[0] = max(max_err[0], abs(err))
        return int(t_true + err)

    def log(desk, t_end, rings, outcome, answer_ms):
        seq[desk] += 1
        boot = sum(1 for x in boots[desk] if x <= t_end)
        c = DeskCall(desk, (device[desk], seq[desk]), placed(desk, t_end), rings, outcome,
                     answer_ms, profile, (device[desk], boot))
        logs[desk].append(c)
        return c.key

    arrivals = []
    for day in range(days):
        d0 = t_start + day * 86_400_000
        if (start + dt.timedelta(days=day)).weekday() >= 5:
            continue
        for gname, members in groups.items():
            arrivals += [(t, gname) for t in _poisson(rnd, d0 + 8 * 3_600_000, 10,
                                                      group_calls_per_hour)]
        for desk in desks:
            arrivals += [(t, (desk,)) for t in _poisson(rnd, d0 + 8 * 3_600_000, 10,
                                                       direct_per_hour)]
    arrivals.sort(key=lambda a: a[0])
    for t0, who in arrivals:
        members = groups[who] if isinstance(who, str) else list(who)
        free = [d for d in members if busy[d] <= t0]
        if not free:
            continue  # the caller hears busy: no desk rings, nothing is logged
        k = rnd.uniform(1 - jitter, 1 + jitter)  # this call's cadence, as the exchange plays it
        period, on = int(period0 * k), int(on0 * k)
        starts = {d: t0 + (rnd.randrange(stagger_ms) if len(free) > 1 and stagger_ms else 0)
                  for d in free}
        patience = t0 + int(period * rnd.expovariate(1 / 4.5))  # gives up after ~4.5 rings
        react = {d: starts[d] + int(period * rnd.lognormvariate(slow[d], 0.6)) for d in free}
        first = min(free, key=lambda d: react[d])
        stop = min(react[first], patience)
        answered = react[first] < patience
        keys = []
        for d in free:
            heard = _rings(stop - starts[d], period)
            if heard == 0:
                continue  # stopped before this desk's first ring validated
            if answered and d == first and hook:
                keys.append(log(d, stop, heard, "answered", stop - starts[d]))
                busy[d] = stop + int(rnd.uniform(30_000, 300_000))
            else:
                ring_on = starts[d] + (heard - 1) * period
                last_pulse = min(ring_on + on, stop)
                keys.append(log(d, last_pulse + end_ms, heard,
                                "abandoned" if hook else "unknown", None))
                busy[d] = max(busy[d], last_pulse + end_ms)
                if answered and d == first:
                    busy[d] = stop + int(rnd.uniform(30_000, 300_000))
        if keys:
            truth.append(frozenset(keys))
            ring = _rings(stop - min(starts.values()), period)
            group_rings[frozenset(keys)] = ring
            if answered and hook:
                answered_by[frozenset(keys)] = (first, ring)
    return Office(logs, truth, answered_by, group_rings, dict(groups), device, max_err[0])


def _rings(elapsed_ms: int, period: int) -> int:
    """Rings a desk counted in elapsed_ms from its first ring's onset."""
    if elapsed_ms < VALIDATE_MS:
        return 0
    n = elapsed_ms // period + 1
    return n - 1 if elapsed_ms - (n - 1) * period < VALIDATE_MS else n


def _poisson(rnd, t0, hours, per_hour):
    out, t = [], t0
    end = t0 + hours * 3_600_000
    if per_hour <= 0:
        return out
    while True:
        t += int(rnd.expovariate(per_hour / 3_600_000))
        if t >= end:
            return out
        out.append(t)


def _boots(rnd, t0, days, boot_days):
    out, t = [t0], t0
    while t < t0 + days * 86_400_000:
        t += int(rnd.expovariate(1 / (boot_days * 86_400_000)))
        out.append(t)
    return out


def score(o: Office, results: dict) -> dict:
    """How the matcher did against the truth: group calls made exactly of
    their desks' calls, wrong ones, and group calls rebuilt right but with
    the wrong ring count (the group's, from its first-ringing desk)."""
    got = set()
    ans, rings = {}, {}
    for m in results.values():
        for g in m.calls:
            k = frozenset(c.key for c in g.calls)
            got.add(k)
            rings[k] = g.rings
            if g.answered_by:
                ans[k] = (g.answered_by, g.rings)
    truth = set(o.truth)
    right = truth & got
    ring_wrong = sum(1 for k, v in o.rings.items() if k in rings and rings[k] != v)
    desk_wrong = sum(1 for k, v in o.answered_by.items() if k in ans and ans[k][0] != v[0])
    return {"calls": len(truth), "right": len(right), "wrong": len(truth - right),
            "made_up": len(got - truth), "ring_wrong": ring_wrong,
            "desk_wrong": desk_wrong,
            "shared": sum(1 for k in truth if len(k) > 1)}


def write(store, o: Office, pulled: float | None = None) -> int:
    """Put the office's calls into a store as a pull would leave them (rows
    only, like fleetgen), and declare its groups there. Returns the number
    of desk calls written."""
    from ..store.groups import add

    rows = []
    for desk, calls in o.calls.items():
        for c in calls:
            alarm = c.rings >= 4 or (c.outcome != "answered" and c.rings >= 3)
            rows.append((c.key[0], c.key[1], desk, c.clock[1] if c.clock else 1, 0, c.rings,
                         c.outcome, c.answer_ms, int(c.rings >= 2), int(alarm), c.profile,
                         None, c.wall_ms, "synced" if c.wall_ms is not None else "unsynced",
                         None))
    store.bulk_insert("calls", ("device_id", "seq", "desk", "boot", "ticks", "rings", "outcome",
                                "answer_ms", "cue", "alarm", "profile", "talk_ms", "wall_ms",
                                "clock", "alarm_ms"), rows)
    last = max((c.wall_ms or 0 for cs in o.calls.values() for c in cs), default=0)
    when = pulled or last / 1000 + 3600
    store.bulk_insert("devices", ("device_id", "board", "desk", "fw", "last_seq", "first_pull",
                                  "last_pull"),
                      [(o.device[d], "pico", d, "0.1.1", len(o.calls[d]), when, when)
                       for d in o.calls])
    for g, desks in o.groups.items():
        add(store, g, desks)
    return len(rows)


GROUP_NAMES = ("Reception", "Sales", "Support", "Accounts", "Clinic", "Bookings", "Orders",
               "Service")


def fleet(desks: int, calls: int, days: int, seed: int = 1,
          end: dt.date | None = None) -> Office:
    """An office of `desks` desks in ring groups of 3 (the last may have 2
    or 4; a single desk rings alone), about `calls` real calls over the
    `days` days up to `end` (default yesterday): `ringcue sim fleet --groups`."""
    from .fleetgen import desk_names

    names = desk_names(desks)
    groups, i, n = {}, 0, 0
    while i < len(names):
        size = len(names) - i if len(names) - i <= 4 else 3
        g = GROUP_NAMES[n % len(GROUP_NAMES)] + ("" if n < len(GROUP_NAMES)
                                                  else f" {n // len(GROUP_NAMES) + 1}")
        groups[g] = names[i:i + size]
        i += size
        n += 1
    end = end or dt.date.today() - dt.timedelta(days=1)
    first = end - dt.timedelta(days=days - 1)
    workdays = sum(1 for k in range(days) if (first + dt.timedelta(days=k)).weekday() < 5)
    if not workdays:
        raise ValueError(f"no office hours in the {days} days up to {end} (only a weekend)")
    direct = 0.5
    per_hour = max(0.1, (calls / (workdays * 10) - direct * desks) / len(groups))
    start = dt.datetime.combine(first, dt.time(), dt.timezone.utc)
    return office(groups, days=days, group_calls_per_hour=per_hour, direct_per_hour=direct,
                  seed=seed, start=start)
