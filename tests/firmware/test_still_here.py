"""A month of silence (issue #15): with no record for days, the board writes
a still-here record every 3 days, so the host unwraps its 30-bit ticks (12.4
days a turn) across any silence and places the calls before it where they
were. The real FlashLog on littlefs in MicroPython, in virtual time, pulled
into a real store; and the same log without those records, misplaced."""

import json
import subprocess
from pathlib import Path

import pytest

from ringcue.paths import micropython_exe, mp_env
from ringcue.store.pull import parse_chunk, verify
from ringcue.store.base import _unwrapped_walls
from ringcue.store.sqlite import Store
from ringcue_core import codes, logfmt

HERE = Path(__file__).resolve().parent
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def month():
    p = subprocess.run([micropython_exe(), str(HERE.parent / "mp" / "still_here.py")],
                       env=mp_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    r["records"] = parse_chunk(bytes.fromhex(r["data"]))
    return r


@pytest.mark.micropython
def test_still_here_records_every_three_idle_days(month):
    recs = month["records"]
    assert verify(recs, 0, logfmt.GENESIS) == []
    here = [r for r in recs if r["type"] == codes.REC_STILL_HERE]
    assert len(here) == 9  # days 3, 6 .. 27 of the 30 after the last hang-up
    prev = None
    for r in recs:  # no two records more than 3 days and a minute apart
        if prev is not None:
            assert (r["ticks"] - prev) % (1 << 30) <= 3 * DAY_MS + 60_000
        prev = r["ticks"]


@pytest.mark.micropython
def test_calls_before_a_month_of_silence_are_placed_where_they_were(month, tmp_path):
    store = Store(tmp_path / "s.db")
    store.touch_device("d", "sim", "lab", "t")
    recs = month["records"]
    store.add_chunk("d", "lab", recs, [], recs[-1]["seq"], recs[-1]["link"])
    assert store.place_in_time("d") == 0
    walls = [w for (w,) in store.db.execute("SELECT wall_ms FROM calls ORDER BY seq")]
    store.close()
    sync_wall = month["sync_unix_ms"]
    # exactly: the wall clock of the one sync, less the virtual time since each call
    assert walls == [sync_wall - (month["sync"] - t) for t in month["calls"]]
    assert (month["sync"] - month["calls"][0]) > 30 * DAY_MS
    # without the still-here records the first calls land whole turns late
    kept = [r for r in recs if r["type"] != codes.REC_STILL_HERE]
    seqs = {r["seq"]: i + 1 for i, r in enumerate(kept)}  # renumbered: no gap
    place = _unwrapped_walls([(seqs[r["seq"]], r["ticks"]) for r in kept],
                             {seqs[r["seq"]]: (r["ticks"], r["fields"]["unix_ms"])
                              for r in kept if r["type"] == codes.REC_TIME_SYNC})
    first = next(seqs[r["seq"]] for r in kept if r["type"] == codes.REC_CALL)
    late = place(first) - walls[0]
    assert late > 0 and late % (1 << 30) == 0
