"""Placing calls in wall-clock time: board ticks are 30-bit and wrap every
12.4 days, so a call weeks away from the pull's time sync needs the ticks
unwrapped along the log."""

from ringcue.store.pull import parse_chunk, verify
from ringcue.store.sqlite import Store
from ringcue_core import codes, logfmt
from ringcue_core.ticks import TICKS_PERIOD

DAY = 86_400_000
SYNC_UNIX = 1_790_000_000_000


def log(events, boot=3, first_seq=1):
    """Encoded records for [(ticks, kind)], kind 'call' or 'sync'."""
    out, prev, seq = b"", logfmt.GENESIS, first_seq
    for t, kind in events:
        if kind == "sync":
            payload = (SYNC_UNIX).to_bytes(8, "little")
            rtype = codes.REC_TIME_SYNC
        else:
            payload = logfmt.call_payload(2, 0x11, 3000, "uk")
            rtype = codes.REC_CALL
        rec = logfmt.encode(rtype, seq, boot, t % TICKS_PERIOD, prev, payload)
        prev = logfmt.link(rec)
        out += rec
        seq += 1
    return out


def store_with(tmp_path, data):
    s = Store(tmp_path / "s.db")
    recs = parse_chunk(data)
    s.touch_device("dev", "sim", "Desk", "0.1.0")
    s.add_chunk("dev", "Desk", recs, verify(recs, 0, None), recs[-1]["seq"], recs[-1]["link"])
    return s


def test_calls_weeks_before_and_after_the_sync_across_tick_wraps(tmp_path):
    t0 = TICKS_PERIOD - 5 * DAY  # the board's ticks wrap 5 days in
    # a call every 3 days for 30 days, the pull's sync on day 15
    events = [(t0 + d * DAY, "call") for d in range(0, 15, 3)]
    events += [(t0 + 15 * DAY, "sync")]
    events += [(t0 + d * DAY, "call") for d in range(18, 31, 3)]
    s = store_with(tmp_path, log(events))
    assert s.place_in_time("dev") == 0
    got = [c["wall_ms"] for c in s.calls()]
    want = [SYNC_UNIX + (d - 15) * DAY for d in list(range(0, 15, 3)) + list(range(18, 31, 3))]
    assert got == want
    s.close()


def test_a_gap_breaks_the_run_and_falls_back_near_the_sync(tmp_path):
    # records 1-2 (day 0, 1), then 3-9 rotated out, then a sync run on day 2
    first = log([(d * DAY, "call") for d in (0, 1)])
    later = log([(2 * DAY, "sync"), (2 * DAY + 60_000, "call")], first_seq=10)
    s = store_with(tmp_path, first + later)
    assert s.place_in_time("dev") == 0
    assert [c["wall_ms"] for c in s.calls()] == [SYNC_UNIX - 2 * DAY, SYNC_UNIX - DAY,
                                                 SYNC_UNIX + 60_000]
    s.close()


def test_a_boot_never_synced_stays_unsynced(tmp_path):
    s = store_with(tmp_path, log([(1000, "call"), (2000, "call")]))
    assert s.place_in_time("dev") == 2
    assert {c["clock"] for c in s.calls()} == {"unsynced"}
    s.close()


def test_a_record_stamped_a_little_earlier_than_the_one_before(tmp_path):
    # the sync is logged "now"; the call that follows carries its ring's
    # earlier time (10 ms before): neither it nor later calls jump 12.4 days
    events = [(5000, "sync"), (4990, "call"), (6000, "call"),
              (5000 + 8 * DAY, "call")]  # and a forward gap past the half-period
    s = store_with(tmp_path, log(events))
    assert s.place_in_time("dev") == 0
    assert [c["wall_ms"] for c in s.calls()] == [SYNC_UNIX - 10, SYNC_UNIX + 1000,
                                                 SYNC_UNIX + 8 * DAY]
    s.close()
