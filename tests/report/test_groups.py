"""Ring groups: desks' calls matched into the group's calls (report.groups),
by hand-built cases and against a synthetic office's ground truth with
drifting clocks (sim.officegen)."""

import pytest

from ringcue.report import groups as G
from ringcue.sim.officegen import office, score

T = 1_789_000_000_000  # a wall-clock time in 2026
UK_END = 4000  # the uk profile's end_ms: a call is logged this long after its last pulse


def answered(desk, seq, onset, rings, answer_ms, shift=0):
    return G.DeskCall(desk, (desk, seq), onset + answer_ms + shift, rings, "answered",
                      answer_ms, "uk")


def rang(desk, seq, onset, rings, last_pulse, shift=0, outcome="abandoned"):
    """A desk that rang `rings` times and stopped at last_pulse (ms after onset)."""
    return G.DeskCall(desk, (desk, seq), onset + last_pulse + UK_END + shift, rings, outcome,
                      None, "uk")


def test_a_call_that_rang_three_desks_counts_once():
    # ring 2 is on from 3.0 to 4.0 s; A answers at 4.1 s, B and C stop ringing
    m = G.match("Front", {"A": [answered("A", 1, T, 2, 4100)],
                          "B": [rang("B", 1, T + 120, 2, 4000)],
                          "C": [rang("C", 1, T + 300, 2, 3700)]})
    assert len(m.calls) == 1 and not m.unmatched
    g = m.calls[0]
    assert (g.outcome, g.answered_by, g.rings, sorted(g.desks)) == ("answered", "A", 2,
                                                                     ["A", "B", "C"])
    assert g.answer_ms == 4100 and g.onset_ms == T


def test_missed_only_if_no_desk_answered():
    m = G.match("Front", {"A": [rang("A", 1, T, 5, 13_000)],
                          "B": [rang("B", 1, T + 200, 5, 12_900)]})
    assert [(g.outcome, g.rings, g.answered_by) for g in m.calls] == [("abandoned", 5, None)]
    # a desk without hook sense might have answered: unknown, not missed
    m = G.match("Front", {"A": [rang("A", 1, T, 3, 7_000)],
                          "B": [rang("B", 1, T + 200, 3, 6_900, outcome="unknown")]})
    assert [g.outcome for g in m.calls] == ["unknown"]


def test_rings_count_from_the_groups_first_ring():
    # the PBX starts B 0.9 s after A; B answers 2.4 s into its own ringing,
    # in the gap after its ring 1; A had heard 2 rings by then
    m = G.match("Front", {"A": [rang("A", 1, T, 2, 3300)],
                          "B": [answered("B", 1, T + 900, 1, 2400)]})
    (g,) = m.calls
    assert (g.answered_by, g.rings) == ("B", 2)
    # from A's first ring (3.3 s), which A's log places to within a ring's
    # on-time: its last ring was cut short by the answer
    assert 3300 <= g.answer_ms <= 3300 + 1000


def _day_of_calls(shift_b_ms, drift_ppm=0, n=60):
    """n shared calls (A answers on ring 2, B rings along), 7 minutes apart,
    B's clock off by shift_b_ms and drifting."""
    a, b = [], []
    for i in range(n):
        onset = T + i * 420_000 + (i * 7919) % 60_000
        err = shift_b_ms + int(drift_ppm * 1e-6 * (onset - T))
        a.append(answered("A", i, onset, 2, 3500 + (i * 37) % 400))
        b.append(rang("B", i, onset + (i * 13) % 500, 2, 3400, shift=err))
    return {"A": a, "B": b}


@pytest.mark.parametrize("shift", [0, 45_000, -9 * 60_000])
def test_clock_offsets_are_measured_from_the_calls(shift):
    calls = _day_of_calls(shift, drift_ppm=50)
    m = G.match("Front", calls)
    assert len(m.calls) == 60 and not m.unmatched
    assert all(sorted(g.desks) == ["A", "B"] and g.answered_by == "A" for g in m.calls)
    measured = m.offsets["B"] - m.offsets["A"]  # (the reference desk's is 0)
    assert abs(measured - (shift + 50e-6 * 59 * 420_000)) < 2500
    if shift:  # and without measuring them, nothing would match
        m = G.match("Front", calls, measure_offsets=False)
        assert len(m.unmatched) == 120


def test_ring_counts_keep_close_calls_apart():
    # A and B share a call answered on ring 1; 1.5 s later C alone rings 5 times
    m = G.match("Front", {"A": [answered("A", 1, T, 1, 1200)],
                          "B": [rang("B", 1, T + 100, 1, 1100)],
                          "C": [rang("C", 1, T + 1500, 5, 13_000)]})
    assert sorted(sorted(g.desks) for g in m.calls) == [["A", "B"], ["C"]]
    assert [c.desk for c in m.unmatched] == ["C"]


def test_desks_that_stopped_ringing_apart_rang_for_different_calls():
    # A's caller gave up during ring 1; 1.9 s later another call rings B and
    # C, answered at C on ring 2. Onsets and ring counts would fit, but A
    # stopped 5 s before the answer that stopped B: desks of one call stop
    # together (within a ring's off-time, 2 s in the UK)
    m = G.match("Front", {"A": [rang("A", 1, T, 1, 1000)],
                          "B": [rang("B", 1, T + 1900, 2, 4000)],
                          "C": [answered("C", 1, T + 2000, 2, 4300)]})
    assert sorted(sorted(g.desks) for g in m.calls) == [["A"], ["B", "C"]]


def test_unsynced_calls_are_group_calls_but_cannot_match():
    lost = G.DeskCall("B", ("B", 9), None, 2, "answered", 3000, "uk")
    m = G.match("Front", {"A": [answered("A", 1, T, 2, 3500)], "B": [lost]})
    assert m.unsynced == [lost] and len(m.calls) == 2
    assert [c.desk for c in m.unmatched] == ["A"]


def test_evenness():
    assert G.evenness([10, 10, 10]) == pytest.approx(100.0)
    assert G.evenness([30, 0, 0]) == 0.0
    assert 0 < G.evenness([20, 10, 0]) < G.evenness([20, 10, 5]) < 100
    assert G.evenness([5]) is None and G.evenness([0, 0]) is None


GROUPS = {"Reception": ["R1", "R2", "R3"], "Sales": ["S1", "S2"],
          "Support": ["T1", "T2", "T3", "T4"]}


def _match_office(o, **kw):
    return {g: G.match(g, {d: o.calls[d] for d in ds}, **kw) for g, ds in GROUPS.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ground_truth_office_with_drifting_clocks(seed):
    """20 working days of three groups; boards drift up to +-50 ppm, are
    pulled every 3 days and restart every 45 days on average (their calls
    placed from the restart's first sync: errors up to 78 s). Every group
    call is rebuilt exactly, its answering desk and ring too, but for at
    most 2 calls in 2,500 next to a board's restart (none in these seeds; bench/
    bench_groups.py has the table)."""
    o = office(GROUPS, days=20, ppm=50, sync_days=3, seed=seed, direct_per_hour=0)
    assert o.max_error_ms > 30_000  # far beyond any fixed tolerance
    s = score(o, _match_office(o))
    assert s["shared"] > 2000
    assert s["wrong"] <= 2 and s["made_up"] <= 4
    assert s["ring_wrong"] == 0 and s["desk_wrong"] == 0
    assert score(o, _match_office(o, measure_offsets=False))["wrong"] > 1500


def test_ground_truth_with_direct_calls():
    """Desks also take direct calls (1 an hour each): two callers at two desks
    of a group within the tolerance look like one call to any log; the
    drift adds nothing to that floor."""
    drifting = office(GROUPS, days=20, ppm=50, sync_days=3, seed=2)
    still = office(GROUPS, days=20, ppm=0, sync_days=3, seed=2)
    s, s0 = score(drifting, _match_office(drifting)), score(still, _match_office(still))
    assert s["calls"] > 3500 and s["wrong"] <= s0["wrong"] + 2
    assert s["wrong"] / s["calls"] < 0.005


def test_report_recounts_group_calls_from_the_truth(tmp_path):
    """The report's group figures, read from a store, recounted call by
    call from its group calls, and against the office's own record of each
    call (offered once, answered by whom on which ring of the group, missed
    when no desk answered): they differ by no more than the calls the
    matcher rebuilt wrong (each can move two counts)."""
    import datetime as dt
    from collections import Counter
    from zoneinfo import ZoneInfo

    from ringcue.report import figures, grouped
    from ringcue.report.categories import classify
    from ringcue.sim.officegen import write
    from ringcue.store.sqlite import Store

    o = office(GROUPS, days=10, ppm=50, sync_days=3, seed=3, direct_per_hour=0)
    wrong = score(o, _match_office(o))["wrong"]
    assert wrong <= 2
    s = Store(tmp_path / "o.db")
    write(s, o)
    zone = ZoneInfo("Europe/London")
    got = grouped.for_report(s, zone)
    s.close()
    assert set(got) == set(GROUPS)
    group_of = {d: g for g, ds in GROUPS.items() for d in ds}
    by_key = {c.key: c for cs in o.calls.values() for c in cs}
    truth = {g: Counter() for g in GROUPS}
    truth_answers = {g: Counter() for g in GROUPS}
    for k in o.truth:
        g = group_of[by_key[next(iter(k))].desk]
        if k in o.answered_by:
            desk, ring = o.answered_by[k]
            truth[g][classify("answered", ring)] += 1
            truth_answers[g][desk] += 1
        else:
            truth[g][classify("abandoned", o.rings[k])] += 1  # the generator's count
    off = 0
    for g, gf in got.items():
        counts = {k: v for k, v in gf.figures.counts.items() if v}
        answers = {d: ld.answered for d, ld in gf.loads.items() if ld.answered}
        # call by call, the obvious way
        assert counts == dict(Counter(classify(c.outcome, c.rings) for c in gf.calls))
        assert answers == dict(Counter(c.answered_by for c in gf.calls if c.answered_by))
        assert gf.figures.rings == {b: sum(1 for c in gf.calls if c.answered_by and
                                           min(c.rings, 6) == b) for b in figures.RING_BINS}
        assert gf.unmatched == sum(1 for c in gf.calls if len(c.calls) == 1)
        off += sum(abs(counts.get(k, 0) - truth[g][k]) for k in set(counts) | set(truth[g]))
        off += sum(abs(answers.get(d, 0) - truth_answers[g][d]) for d in GROUPS[g])
    assert off <= 4 * wrong
    # and a day's range keeps only that day's group calls
    day = dt.date(2026, 9, 8)
    lo, hi = figures.day_bounds(day, day, zone)
    s = Store(tmp_path / "o.db", create=False, readonly=True)
    one = grouped.for_report(s, zone, start=day, end=day)
    s.close()
    assert all(lo <= g.onset_ms < hi for gf in one.values() for g in gf.calls)
    assert 0 < sum(gf.figures.offered() for gf in one.values()) < \
        sum(gf.figures.offered() for gf in got.values())


def test_cli_groups_and_the_reports(tmp_path):
    """`ringcue groups` edits the store's groups; every report format shows them."""
    import csv
    import io
    import json

    from click.testing import CliRunner
    from openpyxl import load_workbook

    from ringcue.cli.main import cli
    from ringcue.sim.officegen import write
    from ringcue.store.sqlite import Store

    o = office({"Front": ["F1", "F2"], "Back": ["B1", "B2"]}, days=5, seed=4)
    db = str(tmp_path / "o.db")
    s = Store(db)
    write(s, o)
    s.close()

    def run(*args):
        res = CliRunner().invoke(cli, [*args, "--db", db], catch_exceptions=False)
        return res.exit_code, res.output

    assert run("groups", "list") == (0, "Back: B1, B2\nFront: F1, F2\n")
    code, out = run("groups", "add", "Front", "B1")
    assert code == 2 and "already in group 'Back'" in out
    assert run("groups", "remove", "Back")[0] == 0
    assert run("groups", "add", "Front", "B1", "B2") == (0, "Front: added B1, B2\n")
    assert run("groups", "list") == (0, "Front: B1, B2, F1, F2\n")
    code, out = run("report", "--tz", "UTC")
    assert code == 0 and "Ring groups" in out and "Who answers" in out
    code, out = run("report", "--format", "csv", "--group-calls", "--tz", "UTC")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {r["group"] for r in rows} == {"Front"}
    # Back's and Front's calls were separate calls: now in one group, two
    # calls close together at F and B desks may merge, but never more
    assert len(rows) >= len(o.truth) - 10
    assert sum(int(r["desks_rung"]) for r in rows) == sum(map(len, o.calls.values()))
    code, out = run("report", "--format", "json", "--group-calls")
    assert code == 0 and len(json.loads(out)) == len(rows)
    code, out = run("report", "--out", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text()
    assert code == 0 and "<h2>Ring groups</h2>" in html and "Who answers" in html
    code, out = run("report", "--out", str(tmp_path / "r.xlsx"))
    ws = load_workbook(tmp_path / "r.xlsx")["Ring groups"]
    assert ws.cell(2, 1).value == "Front" and ws.cell(2, 2).value == len(rows)
    code, out = run("report", "--format", "html", "--group-calls")
    assert code == 2 and "--group-calls is for --format csv or json" in out


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_groups_on_both_stores(kind, tmp_path, request):
    """Groups are kept with the logs on either store, and give the same
    group figures (the same desk calls, matched the same way)."""
    from zoneinfo import ZoneInfo

    from ringcue.report import grouped
    from ringcue.sim.officegen import write
    from ringcue.store import groups as stored, open_store

    location = str(tmp_path / "o.db") if kind == "sqlite" else request.getfixturevalue("pg_url")
    o = office({"Front": ["F1", "F2"], "Back": ["B1", "B2", "B3"]}, days=5, seed=5)
    s = open_store(location)
    write(s, o)
    assert stored.load(s) == {"Back": ["B1", "B2", "B3"], "Front": ["F1", "F2"]}
    with pytest.raises(stored.GroupError, match="already in group 'Back'"):
        stored.add(s, "Front", ["B1"])
    assert stored.remove(s, "Back", ["B3"]) == ["B3"]
    got = grouped.for_report(s, ZoneInfo("UTC"))
    s.close()
    # what the matcher makes of the same calls, without any store
    want = {g: G.match(g, {d: o.calls[d] for d in ds})
            for g, ds in {"Front": ["F1", "F2"], "Back": ["B1", "B2"]}.items()}
    assert {g: sorted(tuple(sorted(c.key for c in gc.calls)) for gc in gf.calls)
            for g, gf in got.items()} == \
        {g: sorted(tuple(sorted(c.key for c in gc.calls)) for gc in m.calls)
         for g, m in want.items()}


def test_the_fleet_with_each_group_call_counted_once(tmp_path):
    """Beside the headline (every desk's calls), the report gives the figure
    a caller would: desks in no group as they are, each group call once."""
    from zoneinfo import ZoneInfo

    from ringcue.report import figures, grouped
    from ringcue.report.group_views import once_line
    from ringcue.sim.officegen import write
    from ringcue.store import open_store

    o = office({"Front": ["F1", "F2", "F3"], "Solo": ["S1"]}, days=5, seed=6)
    s = open_store(str(tmp_path / "o.db"))
    write(s, o)
    r = figures.build(s, tz="UTC")
    r.groups = grouped.for_report(s, ZoneInfo("UTC"))
    once = grouped.counted_once(r)
    assert once.offered() == sum(g.figures.offered() for g in r.groups.values())
    assert r.fleet.offered() == sum(map(len, o.calls.values())) > once.offered()
    assert once.counts["missed"] < r.fleet.counts["missed"]  # the rung-along desks
    assert f"{once.offered():,} calls" in once_line(r)
    # a single desk's report cannot say it for the fleet
    r = figures.build(s, desks=["F1"], tz="UTC")
    r.groups = grouped.for_report(s, ZoneInfo("UTC"), desks=["F1"])
    assert grouped.counted_once(r) is None and once_line(r) is None
    s.close()


# ---- one hand-built case per matching rule (each fails without its rule) ----

def test_two_answers_are_two_calls():
    # two callers, answered at two desks 1 s apart: onsets, rings and stops
    # all fit, but one call is answered at one desk only
    m = G.match("Front", {"A": [answered("A", 1, T, 2, 3500)],
                          "B": [answered("B", 1, T + 1000, 2, 3600)]})
    assert sorted((g.answered_by, g.desks) for g in m.calls) == [("A", ("A",)),
                                                                  ("B", ("B",))]
    assert len(m.unmatched) == 2


def test_a_desk_still_ringing_after_the_answer_rang_for_another_call():
    # A answered on ring 2 at 3.5 s; B's ring 3 went on until 7.0 s: B's
    # ringing did not stop at A's answer (within the tolerance), so another
    # caller rang B, though its onset and ring count would fit
    m = G.match("Front", {"A": [answered("A", 1, T, 2, 3500)],
                          "B": [rang("B", 1, T, 3, 7000)]})
    assert sorted(g.desks for g in m.calls) == [("A",), ("B",)]


def test_ring_counts_two_apart_are_two_calls():
    # A rang once (caller gave up); B rang 3 times, its onset 4 s earlier by
    # its estimate (within the onsets' uncertainty), and both stopped within
    # a ring's off-time: only the ring counts tell them apart
    m = G.match("Front", {"A": [rang("A", 1, T, 1, 1000)],
                          "B": [rang("B", 1, T - 4000, 3, 7000)]})
    assert sorted(g.desks for g in m.calls) == [("A",), ("B",)]


def test_ring_counts_of_one_call_spread_by_one_at_most():
    # A heard 1 ring, B 2, C 3 (they stopped together): B is within one of
    # both, but A and C are two apart, so they rang for two calls
    m = G.match("Front", {"A": [rang("A", 1, T, 1, 1000)],
                          "B": [rang("B", 1, T - 2000, 2, 4000)],
                          "C": [rang("C", 1, T - 4000, 3, 7000)]})
    assert len(m.calls) == 2
    assert all(max(c.rings for c in g.calls) - min(c.rings for c in g.calls) <= 1
               for g in m.calls)


def test_answered_by_ring_3_per_desk_and_in_the_export():
    import datetime as dt

    from ringcue.report import grouped

    calls = {"A": [answered("A", 1, T, 2, 3500), answered("A", 2, T + 600_000, 4, 9500)],
             "B": [answered("B", 1, T + 1_200_000, 3, 6500),
                   rang("B", 2, T + 1_800_000, 6, 16_000)]}
    m = G.match("Front", calls)
    ld = G.loads(m)
    assert [(d, ld[d].rung, ld[d].answered, ld[d].answered_by_3) for d in "AB"] == \
        [("A", 2, 2, 1), ("B", 2, 1, 1)]
    gf = grouped.build(calls, {"Front": ["A", "B"]})
    # what no format shows is not counted for a group
    f = gf["Front"].figures
    assert (f.answer_hist, f.answer_max_ms, f.missed_recent, f.daily) == ({}, None, [], {})
    assert not any(map(any, f.heat_calls))
    rows = [dict(zip(grouped.GROUP_COLUMNS, r)) for r in grouped.group_rows(gf, dt.timezone.utc)]
    assert [(r["answered_by"], r["rings"], r["answered_by_ring_3"]) for r in rows] == \
        [("A", 2, "yes"), ("A", 4, "no"), ("B", 3, "yes"), (None, 6, "no")]


def test_group_onsets_are_on_one_clock():
    # B (the reference: it has as many calls, and sorts last) runs 9 min
    # behind A, who answers every call: the group's first ring is placed on
    # B's clock for answered calls too, as for missed ones
    shift = -9 * 60_000
    m = G.match("Front", _day_of_calls(shift))
    truth = [T + i * 420_000 + (i * 7919) % 60_000 + shift for i in range(60)]
    assert all(abs(g.onset_ms - t) < 3000 for g, t in zip(m.calls, truth))


def test_a_renamed_board_is_counted_once_under_each_name(tmp_path):
    """A board whose desk name changed: each of its calls is filed under the
    name it was logged with, once (it was counted under every name)."""
    import datetime as dt

    from ringcue.report import grouped
    from ringcue.sim.officegen import write
    from ringcue.store.groups import add
    from ringcue.store.sqlite import Store

    o = office({"Front": ["F1", "F2"]}, days=3, seed=5)
    s = Store(tmp_path / "o.db")
    write(s, o)
    with s.transaction():
        s.execute("UPDATE calls SET desk='F1 new' WHERE device_id=? AND seq<=10",
                  (o.device["F1"],))
    add(s, "Front", ["F1 new"])
    (gf,) = grouped.for_report(s, dt.timezone.utc).values()
    s.close()
    rung = [c for g in gf.calls for c in g.calls]
    assert len(rung) == len(set(rung)) == sum(map(len, o.calls.values()))
    assert sum(c.desk == "F1 new" for c in rung) == 10
    assert gf.loads["F1 new"].rung == 10


def test_matching_reports_progress():
    import datetime as dt

    from ringcue.report import grouped

    o = office(GROUPS, days=2, seed=6)
    seen = []
    grouped.build(o.calls, GROUPS, progress=lambda *a: seen.append(a))
    total = sum(map(len, o.calls.values()))
    assert seen[0] == (total, 0) and seen[-1] == (total, total) and len(seen) == 4
    assert [d for _t, d in seen] == sorted(d for _t, d in seen)


def test_group_names_are_trimmed_once_everywhere(tmp_path):
    """' Front ' is Front, for add, remove and the clash check alike; a
    refused change is the library's UsageError (the CLI's one line, code 2)."""
    from click.testing import CliRunner

    from ringcue.cli.main import cli
    from ringcue.errors import UsageError
    from ringcue.sim.officegen import write
    from ringcue.store import groups as stored
    from ringcue.store.sqlite import Store

    o = office({"Front": ["F1", "F2"], "Back": ["B1"]}, days=1, seed=7)
    db = str(tmp_path / "o.db")
    s = Store(db)
    write(s, o)
    with pytest.raises(UsageError, match="no group called 'Nope'"):
        stored.check_remove(s, " Nope ")
    s.close()

    def run(*args):
        res = CliRunner().invoke(cli, [*args, "--db", db], catch_exceptions=False)
        return res.exit_code, res.output

    assert run("groups", "remove", " Back ") == (0, "Back: removed B1\n")
    assert run("groups", "add", " Back ", "B1") == (0, "Back: added B1\n")
    code, out = run("groups", "add", "Front ", "B1")
    assert code == 2 and "already in group 'Back'" in out and "Traceback" not in out


def test_every_profile_has_its_cadence():
    """The matcher's cadence of each ring profile (period, first pulse to
    last) is the country's, as the ring generator plays it."""
    from ringcue.sim.ringgen import CADENCES as PLAYED
    from ringcue_core.profiles import PROFILES

    assert set(G.CADENCES) == set(PROFILES) - {"universal"}
    for p, segs in PLAYED.items():
        if p in G.CADENCES:
            assert G.cadence(p) == (sum(segs), sum(segs[:-1])), p
