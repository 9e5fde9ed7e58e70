"""A week of silence inside a trace (issue #13): `ringcue replay` crashed with
`time went backwards` (the detector's 30-bit ticks wrap every 12.4 days).
Both runtimes now tick through the silence and print trace times."""

import json

import pytest
from click.testing import CliRunner

from ringcue.sim import ringgen
from ringcue.cli.main import cli

DAY_US = 86_400 * 1_000_000


def write_trace(path, calls):
    """calls: [(start_us, rings, answer_ring)]; a hook-sense trace."""
    lines = ["0 hook 0"]
    end = 0
    for start, rings, answer in calls:
        ev, end = ringgen.call_events("uk", rings, start_us=start, answer_ring=answer, talk_s=5)
        lines += ["%d %s %d" % (t, ("ring", "hook")[k], v) for t, k, v in ev]
    lines.append("%d end" % (end + 30_000_000))
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("days", [7, 13, 40])
@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_a_long_silence_between_calls(tmp_path, days, runtime):
    trace = tmp_path / "gap.trace"
    second = 1_000_000 + days * DAY_US
    write_trace(trace, [(1_000_000, 3, None), (second, 2, 2)])
    r = CliRunner().invoke(cli, ["replay", str(trace), "--runtime", runtime])
    assert r.exit_code == 0, r.output
    events = [json.loads(x) for x in r.output.splitlines()]
    ends = [e for e in events if e["event"] == "call_end"]
    assert [(e["rings"], e["outcome"]) for e in ends] == [(3, "abandoned"), (2, "answered")]
    assert ends[0]["t_ms"] < 60_000  # the first call ended 8 s after its last ring
    rings2 = [e["t_ms"] for e in events if e["event"] == "ring"][3:]
    assert second // 1000 < rings2[0] < second // 1000 + 2_000  # printed in trace time
    assert all(a["t_ms"] <= b["t_ms"] for a, b in zip(events, events[1:]))


def test_both_runtimes_agree_across_the_silence(tmp_path):
    trace = tmp_path / "gap.trace"
    write_trace(trace, [(1_000_000, 4, 3), (1_000_000 + 9 * DAY_US, 5, None),
                        (1_000_000 + 21 * DAY_US, 1, None)])
    outs = [CliRunner().invoke(cli, ["replay", str(trace), "--runtime", rt]).output
            for rt in ("cpython", "micropython")]
    assert outs[0] == outs[1] and outs[0].count("call_end") == 3
