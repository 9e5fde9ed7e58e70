"""time_sync takes only a sane wall clock (issue #13): before, any integer
went into the log, and a negative or >= 2**63 value made the board's log
unpullable (OverflowError on every pull)."""

import pytest

from board_helpers import board_calls  # noqa: F401  (the e2e helpers' path)
from ringcue.board.client import BoardClient
from ringcue.store.pull import pull
from ringcue.store.sqlite import Store
from ringcue_core import logfmt, proto


@pytest.mark.parametrize("value", [-1, 0, 1_000_000_000_000, logfmt.SYNC_MAX_MS, 2**63,
                                   2**64 + 5, 10**30, True, "1790000000000", 1.79e12])
def test_insane_wall_clocks_are_refused(vboard, value):
    with BoardClient.open(vboard.port) as b:
        with pytest.raises(proto.ProtocolError) as e:
            b.call("time_sync", {"unix_ms": value})
        assert e.value.code == proto.ERR_BAD_ARGS
        if isinstance(value, int) and not isinstance(value, bool):
            assert "2020-01-01" in e.value.msg and "2100-01-01" in e.value.msg
        st = b.call("status")
    assert st["log"]["next_seq"] == 2  # nothing logged: only the boot record
    assert st["faults"] == []


def test_a_sane_wall_clock_is_logged_and_places_the_calls(vboard, tmp_path):
    with BoardClient.open(vboard.port) as b:
        r = b.call("time_sync", {"unix_ms": logfmt.SYNC_MIN_MS})
        assert "ticks_ms" in r
        store = Store(tmp_path / "s.db")
        res = pull(b, store)  # syncs again with this computer's clock
    assert res.gaps == [] and res.chain_breaks == []
    syncs = [u for (u,) in store.db.execute("SELECT unix_ms FROM time_syncs ORDER BY seq")]
    store.close()
    assert len(syncs) == 2 and syncs[0] == logfmt.SYNC_MIN_MS
