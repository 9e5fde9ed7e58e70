"""The scenario corpus under CPython and inside the real MicroPython."""

import pytest

from corpus import SCENARIOS
from replay_util import calls, replay_cpython, replay_micropython_batch


def check(sc, lines):
    if sc.exact is not None:
        assert lines == sc.exact
    else:
        assert calls(lines) == sc.calls


@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda s: s.name)
def test_cpython(sc):
    check(sc, replay_cpython(sc.text, sc.profile, sc.cue, sc.alarm))


def test_corpus_is_not_trivial():
    """The corpus must exercise every outcome and both cue and alarm."""
    everything = [line for sc in SCENARIOS for line in (sc.exact or [])]
    for needle in ('"answered"', '"abandoned"', '"unknown"', '"alarm_on"', '"cue_on"',
                   '"hangup"', '"alarm": true', '"alarm": false', '"cleared": "caller"',
                   '"cleared": "desk"', '"cleared": "unknown"'):
        assert any(needle in line for line in everything), needle
    assert sum(1 for sc in SCENARIOS if sc.exact == []) >= 10  # false-ring cases


@pytest.mark.micropython
@pytest.mark.parametrize("part", range(4))
def test_micropython_matches(part, tmp_path):
    """Same corpus inside the unix port: identical bytes, and correct."""
    chosen = SCENARIOS[part::4]
    got = replay_micropython_batch(
        [(sc.name, sc.text, sc.profile, sc.cue, sc.alarm) for sc in chosen], tmp_path)
    for sc in chosen:
        assert got[sc.name] == replay_cpython(sc.text, sc.profile, sc.cue, sc.alarm), sc.name
        check(sc, got[sc.name])
