"""The call log under abuse: kill -9 at random points of a long run with
pulls in between, and pulls cut off halfway."""

import random
import shutil

import pytest

from board_helpers import board_calls
from ringcue.sim import ringgen
from ringcue.board.client import BoardClient
from ringcue.store.pull import pull
from ringcue.sim.vboard import VirtualBoard
from ringcue.store.sqlite import Store

END_MS = 8000  # universal profile: silence that ends an unanswered call
FLUSH_MS = 2000  # the firmware commits a record within this
N_CALLS = 1000


@pytest.fixture
def board(tmp_path, firmware_image, real_port):
    if real_port:
        pytest.skip("needs the virtual board (kill -9, simulated line)")
    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    vb = VirtualBoard(tmp_path, name="soak").start()
    assert vb.wait_ready()
    yield vb
    vb.stop()


def is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def test_kill_9_at_random_points_loses_and_duplicates_nothing(board, tmp_path):
    vb = board
    rng = random.Random(1234)
    store = Store(tmp_path / "store.db")
    committed = []  # (rings, outcome) of calls whose record was surely flushed
    kills = pulls = 0
    i = 0
    while i < N_CALLS:
        for _ in range(rng.randint(3, 60)):
            if i >= N_CALLS:
                break
            rings = rng.randint(1, 6)
            answer = rng.choice([None, None, rng.randint(1, rings)])
            ev, end_us = ringgen.call_events("uk", rings, answer_ring=answer, talk_s=1, seed=i)
            start = vb.play(ev, tail_ms=0)
            done = start + end_us // 1000 + (600 if answer else END_MS) + FLUSH_MS
            assert vb.advance_to(done + 10)
            committed.append((answer or rings, "answered" if answer else "abandoned"))
            i += 1
        if rng.random() < 0.5:
            with BoardClient.open(vb.port) as b:
                pull(b, store, sync_clock=rng.random() < 0.5)
            pulls += 1
        # pull the plug somewhere in the middle of the next call
        rings = rng.randint(2, 5)
        ev, end_us = ringgen.call_events("uk", rings, seed=10_000 + i)
        start = vb.play(ev, run=False)
        vb.advance_to(start + rng.randint(0, end_us // 1000 + END_MS + FLUSH_MS))
        vb.power_cycle()
        assert vb.wait_ready()
        # the line rings on through the reboot: let what is left of that call pass
        assert vb.advance_to(max(vb.clock, start + end_us // 1000) + END_MS + FLUSH_MS + 500)
        kills += 1
    with BoardClient.open(vb.port) as b:
        res = pull(b, store)
    on_board = [(c["seq"], c["rings"], c["outcome"]) for c in board_calls(vb.port)]
    in_store = [(c["seq"], c["rings"], c["outcome"]) for c in store.calls()]
    store.close()
    assert in_store == on_board  # every committed record, exactly once, as written
    got = [(r, o) for _, r, o in in_store]
    if not is_subsequence(committed, got):  # show where it diverges
        j = 0
        for k, c in enumerate(committed):
            j0 = j
            while j < len(got) and got[j] != c:
                j += 1
            assert j - j0 <= 2, (k, c, committed[max(0, k - 3):k + 3], got[j0 - 2:j0 + 6])
            assert j < len(got), (k, c, committed[max(0, k - 3):k + 3], got[k - 3:k + 12])
            j += 1
    assert res.chain_breaks == [] and res.gaps == []
    assert kills >= 20 and pulls >= 10


def test_interrupted_pull_resumes_without_loss_or_duplicates(board, tmp_path):
    vb = board
    N = 300  # more than the first chunk holds (4 KB: ~250 compact calls)
    for i in range(N):
        ev, _ = ringgen.call_events("uk", 1 + i % 4, seed=i)
        vb.play(ev, tail_ms=END_MS + FLUSH_MS)
    store = Store(tmp_path / "store.db")

    class Cut(Exception):
        pass

    def cut_after_first_chunk(n, total):
        if n:
            raise Cut  # the cable comes out after the first chunk was stored

    with BoardClient.open(vb.port) as b, pytest.raises(Cut):
        pull(b, store, progress=cut_after_first_chunk)
    partial = list(store.calls())
    assert 0 < len(partial) < N
    with BoardClient.open(vb.port) as b:
        res = pull(b, store)
    calls = list(store.calls())
    assert len(calls) == N and len({c["seq"] for c in calls}) == N
    assert [c["rings"] for c in calls] == [1 + i % 4 for i in range(N)]
    assert res.gaps == [] and res.chain_breaks == []
    store.close()


def test_a_call_ringing_during_a_pull_is_detected_and_logged(tmp_path, firmware_image, real_port):
    """A slow pull (115200 baud, real-time clock) while the phone rings."""
    if real_port:
        pytest.skip("needs the virtual board")
    import time

    d = tmp_path / "b"
    d.mkdir()
    shutil.copy(firmware_image[0], d / "flash.img")
    with VirtualBoard(d, name="busy", baud=115200) as vb:
        assert vb.wait_ready()
        for i in range(120):  # about 4 KB of log to pull
            ev, _ = ringgen.call_events("uk", 1 + i % 3, seed=i)
            vb.play(ev, tail_ms=END_MS + FLUSH_MS)
        store = Store(tmp_path / "s.db")
        vb.run_free(4.0)
        ev, end_us = ringgen.call_events("uk", 3, seed=999)
        start = vb.play(ev, start=vb.clock + 200, run=False)
        with BoardClient.open(vb.port) as b:
            res1 = pull(b, store)  # runs while the call rings
        assert vb.board_clock < start + end_us // 1000, "the pull ended after the call"
        deadline = time.time() + 20
        while vb.board_clock < start + end_us // 1000 + END_MS + FLUSH_MS + 200:
            assert time.time() < deadline
            time.sleep(0.05)
        vb.pause()
        with BoardClient.open(vb.port) as b:
            pull(b, store)
        rings = [c["rings"] for c in store.calls()]
        store.close()
    assert res1.calls == 120
    assert rings[-1] == 3 and len(rings) == 121
