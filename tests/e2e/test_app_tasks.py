"""The firmware's tasks do their work on their own, with the watchdog's
turns (every task is woken once a second) in between: the log writer
commits what waits within FLUSH_MS, with no request asking it to, and a
turn that finds nothing new writes nothing."""

from ringcue.board.client import BoardClient

FLUSH_MS = 2000  # ringcue_fw.flashlog.FLUSH_MS: a record is committed within this


def log_state(vboard):
    with BoardClient.open(vboard.port) as b:
        return b.call("status")["log"]  # status does not flush the log


def test_the_boot_record_is_committed_with_nothing_else_happening(vboard):
    """A boot writes one record (more after a recovery); nothing else comes,
    yet it is on flash FLUSH_MS later, in one write."""
    assert vboard.advance(FLUSH_MS + 1500)
    log = log_state(vboard)
    assert log["pending"] == 0 and log["committed"] == log["next_seq"] - 1 >= 1
    flushes = log["flushes"]
    assert vboard.advance(10_000)  # ten watchdog turns: nothing new, no write
    assert log_state(vboard)["flushes"] == flushes
