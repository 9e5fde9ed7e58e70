"""Garbage on the serial line while calls ring, and several boards at once."""

import random
import shutil
import time

import serial

from ringcue.sim import ringgen
from ringcue.board import session as S
from ringcue.board.client import BoardClient
from ringcue.sim.vboard import VirtualBoard
from ringcue_core import proto

from board_helpers import board_calls

N_LINES = 10_000


def fuzz_line(rng: random.Random, i: int) -> bytes:
    kind = rng.randrange(9)
    if kind == 0:
        return S.encode_request(i, rng.choice(["hello", "status", "config_get"])).rstrip()
    if kind == 1:  # a valid request with its checksum damaged
        line = bytearray(S.encode_request(i, "status").rstrip())
        line[-1] = ord("0") if line[-1] != ord("0") else ord("1")
        return bytes(line)
    if kind == 2:  # random printable text
        return bytes(rng.randrange(32, 127) for _ in range(rng.randrange(1, 120)))
    if kind == 3:  # random bytes: anything but line ends and Ctrl-C (REPL break-in)
        return bytes(b for b in (rng.randrange(256) for _ in range(rng.randrange(1, 200)))
                     if b not in (3, 10, 13)) or b"x"
    if kind == 4:  # over-long
        return b"RQ 1 status " + b"y" * rng.randrange(520, 1200)
    if kind == 5:  # request-shaped nonsense
        return rng.choice([b"RQ", b"RQ -5 hello", b"RQ 99999999999 hello", b"RQ 1",
                           b"RQ 1 config_set {\"cue_ring\": \"x\"}", b"RQ 1 config_set 7",
                           b"RQ 1 selftest {\"ms\": -1}", b"RQ 1 log_read {\"max_bytes\": 1e9}",
                           b"RQ 1 log_read {\"from_seq\": 1, \"max_bytes\": 64}",
                           b"RQ 1 __init__", b"RQ 1 do_hello", b"RQ 1 monitor {\"on\": 2}"])
    if kind == 6:  # unknown commands with arguments
        return b"RQ %d frobnicate {\"a\": [1, 2, {\"b\": null}]}" % i
    if kind == 7:  # a truncated frame
        return S.encode_request(i, "config_get")[: rng.randrange(1, 20)]
    return bytes(rng.choice(b"{}[]\":,*0123456789abcdef ") for _ in range(rng.randrange(1, 60)))


def test_protocol_fuzz_while_calls_ring(tmp_path, firmware_image, real_port):
    if real_port:
        import pytest

        pytest.skip("needs the virtual board's simulated ring line")
    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    rng = random.Random(2026)
    with VirtualBoard(tmp_path, name="fuzz") as vb:
        assert vb.wait_ready()
        # three calls on the line during the fuzz: 2 rings, 5 rings, 3 rings
        t = 1_000_000
        calls = [(2, None), (5, None), (4, 3)]
        for rings, answer in calls:
            ev, end = ringgen.call_events("uk", rings, start_us=t, answer_ring=answer,
                                          talk_s=5)
            vb.play(ev, start=vb.clock, run=False)
            t = end + 12_000_000
        s = serial.Serial(vb.port, timeout=0.005)
        session = S.Session()
        replies = 0
        sent = 0
        per_batch = 200
        for batch in range(N_LINES // per_batch):
            lines = [fuzz_line(rng, batch * per_batch + k) for k in range(per_batch)]
            s.write(b"\n".join(lines) + b"\n")
            # a line of nothing but control bytes is noise the board ignores;
            # every other line gets exactly one reply
            sent += sum(1 for ln in lines if any(b >= 32 or b == 9 for b in ln))
            batch_deadline = time.monotonic() + 30
            vb.advance(t // 1000 // (N_LINES // per_batch) + 1)  # the calls progress
            while replies < sent:
                assert time.monotonic() < batch_deadline, f"{sent - replies} lines unanswered"
                chunk = s.read(65536)
                assert chunk or vb.proc.poll() is None, "the board process died"
                session.receive_data(chunk)
                while (ev := session.next_event()) is not S.NEED_DATA:
                    # every reply sealed (no Garbled), nothing but replies
                    assert isinstance(ev, (S.Reply, S.ErrorReply)), f"unexpected output: {ev!r}"
                    replies += 1
        assert replies == sent > N_LINES * 0.95  # every line was answered, exactly once
        vb.advance_to(vb.clock + 30_000)
        s.close()
        with BoardClient.open(vb.port) as b:
            st = b.call("status")
        assert st["faults"] == []
        assert [(r["rings"], r["outcome"]) for r in board_calls(vb.port)] == \
            [(2, "abandoned"), (5, "abandoned"), (3, "answered")]
        assert vb.resets == []  # never crashed or rebooted


def test_two_boards_at_once(tmp_path, firmware_image, real_port):
    if real_port:
        import pytest

        pytest.skip("needs virtual boards")
    boards = []
    for name in ("front", "back"):
        d = tmp_path / name
        d.mkdir()
        shutil.copy(firmware_image[0], d / "flash.img")
        boards.append(VirtualBoard(d, name=name).start())
    try:
        for vb in boards:
            assert vb.wait_ready()
        ev, _ = ringgen.call_events("us", 3)
        boards[0].play(ev, tail_ms=9000)
        ids = []
        for vb, calls in zip(boards, (1, 0)):
            with BoardClient.open(vb.port) as b:
                st = b.call("status")
            ids.append(st["id"])
            assert st["calls"] == calls
        assert ids[0] != ids[1]
    finally:
        for vb in boards:
            vb.stop()


def test_baud_throttle_behaves_like_a_uart(tmp_path, firmware_image, real_port):
    """--baud 9600: about 960 bytes/s each way, like a UART bridge."""
    if real_port:
        import pytest

        pytest.skip("virtual boards only")
    import time

    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    with VirtualBoard(tmp_path, name="slow", baud=9600) as vb:
        assert vb.wait_ready()
        with BoardClient.open(vb.port) as b:
            b.call("hello", timeout=5)
            n = 0
            t0 = time.perf_counter()
            for _ in range(3):
                st = b.call("status", timeout=5)
                n += len("".join(proto.reply_ok(1, st))) + len(S.encode_request(1, "status"))
            dt = time.perf_counter() - t0
    rate = n / dt
    # 9600 baud = 960 bytes/s at most, plus what the 64-byte FIFO of each
    # direction held when the clock started (the line was idle before)
    assert 600 < rate and n <= 960 * dt + 2 * 64, (rate, n, dt)
