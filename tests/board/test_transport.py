"""The raw-REPL transport (mpremote's SerialTransport, subclassed) on a bare
pty with a scripted "board" at the other end: timeouts carry what came, a
lost Ctrl-C is sent again, the keep-alive goes before every command, and
the on-board helpers are sent without what is only there for the checker."""

import os
import threading
import time

import pytest

from ringcue.board import transport as T


@pytest.fixture
def link():
    master, slave = os.openpty()
    t = T.BoardTransport(os.ttyname(slave))
    yield t, master
    t.close()
    os.close(master)
    os.close(slave)


def test_expect_times_out_with_what_came_instead(link):
    t, board = link
    os.write(board, b"MicroPython v1.28 >>> ")
    t0 = time.monotonic()
    with pytest.raises(T.TransportTimeout) as e:
        t.expect(T.RAW_BANNER, 0.3)
    assert e.value.partial == b"MicroPython v1.28 >>> "
    assert time.monotonic() - t0 < 2  # not the port's own 5 s read timeout


def fake_board(fd, answer_on_try, got):
    """Answer the raw REPL's banner to the n-th Ctrl-A only (an earlier
    Ctrl-C was lost while the board rebooted)."""
    tries = 0
    buf = b""
    while tries < answer_on_try:
        buf += os.read(fd, 100)
        while b"\x01" in buf:
            buf = buf[buf.index(b"\x01") + 1:]
            tries += 1
            if tries == answer_on_try:
                os.write(fd, T.RAW_BANNER + b">")
    got.append(tries)


def test_a_lost_ctrl_c_is_sent_again(link):
    t, board = link
    got = []
    th = threading.Thread(target=fake_board, args=(board, 2, got), daemon=True)
    th.start()
    assert t.interrupt(timeout=5) == 2
    th.join(5)
    assert got == [2]


def test_interrupt_gives_up_with_a_typed_timeout(link):
    t, board = link
    with pytest.raises(T.TransportTimeout):
        t.interrupt(timeout=0.6)
    assert os.read(board, 1000).count(b"\r\x03") >= 2  # it did ask again


def test_the_keepalive_goes_before_every_command(link, monkeypatch):
    t, _ = link
    sent = []
    monkeypatch.setattr(T.SerialTransport, "exec_raw_no_follow", lambda self, c: sent.append(c))
    t.exec_raw_no_follow("print(1)")
    t.keepalive = "_rc_alive()\n"
    t.exec_raw_no_follow("print(2)")
    t.exec_raw_no_follow(b"print(3)")
    assert sent == ["print(1)", "_rc_alive()\nprint(2)", "_rc_alive()\nprint(3)"]


def test_onboard_source_leaves_out_comments_and_checker_imports():
    src = T.onboard_source("rc_watchdog", "rc_guard", "rc_probe")
    assert "def _rc_keep_wdt(" in src and "def _rc_guard(" in src and "def _rc_probe(" in src
    assert "# not sent" not in src and "from rc_guard import" not in src
    assert not any(line.lstrip().startswith("#") or not line.strip()
                   for line in src.splitlines())
    compile(src, "probe", "exec")  # still Python
