"""The log tampered with on a virtual board's flash image (issue #13): a
flipped byte in a committed record and a segment cut inside its last record,
the board restarted, a call rung: the next pull reports both, stores neither,
and the board never reuses their numbers. (tests/firmware/test_log_tamper.py covers
every byte, cut and deletion; this runs the whole way through the firmware.)"""

import shutil
import subprocess

import pytest

from ringcue_core import logfmt

from ringcue.sim import ringgen
from ringcue.board.client import BoardClient
from ringcue.store.pull import parse_chunk, pull
from ringcue.paths import micropython_exe, mp_env
from targets import REPO_DIR
from ringcue.sim.vboard import VirtualBoard
from ringcue.store.sqlite import Store

END_MS = 8000 + 2000 + 200  # an unanswered call ends, and its record is flushed


def ring(vb, n, seed=0):
    for i in range(n):
        ev, _ = ringgen.call_events("uk", 1 + i % 3, seed=seed + i)
        vb.play(ev, tail_ms=END_MS)


def edit(image, *args):
    p = subprocess.run([micropython_exe(), str(REPO_DIR / "tests" / "mp" / "image_edit.py"),
                        str(image), *args], env=mp_env(), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return int(p.stdout.split()[-1])


@pytest.mark.micropython
def test_changed_and_cut_records_are_reported_by_the_next_pull(tmp_path, firmware_image,
                                                               real_port):
    if real_port:
        pytest.skip("needs the virtual board's flash image")
    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    store = Store(tmp_path / "store.db")
    with VirtualBoard(tmp_path, name="tamper") as vb:
        assert vb.wait_ready()
        ring(vb, 20)
        with BoardClient.open(vb.port) as b:
            first = pull(b, store)
        assert first.gaps == [] and first.chain_breaks == []
        ring(vb, 20, seed=100)
        with BoardClient.open(vb.port) as b:  # a look at the unpulled records
            r, data = b.call_binary("log_read", {"from_seq": first.up_to + 1,
                                                 "max_bytes": 8192, "format": 2})
            segments = b.call("status")["log"]["segments"]
    unpulled = parse_chunk(data)
    assert segments == 1 and unpulled[-1]["seq"] == r["committed"]
    flipped = unpulled[5]
    ctx, off = None, 0
    for _ in range(6):  # the 6th record as stored (compact, after the 5th)
        ctx = logfmt.parse_one(data, off, ctx)
        stored, off = data[off:ctx[6]], ctx[6]
    assert ctx[1] == flipped["seq"] and len(stored) < len(flipped["raw"])
    img = bytearray((tmp_path / "flash.img").read_bytes())
    at = img.find(stored)
    hits = 0
    while at >= 0:  # every copy littlefs may still hold
        img[at + len(stored) // 2] ^= 0x10
        hits += 1
        at = img.find(stored, at + 1)
    assert hits
    (tmp_path / "flash.img").write_bytes(bytes(img))
    size = edit(tmp_path / "flash.img", "size", "/log/00000001.seg")
    assert edit(tmp_path / "flash.img", "truncate", "/log/00000001.seg", str(size - 10)) \
        == size - 10  # the last committed record, cut short
    with VirtualBoard(tmp_path, name="tamper") as vb:
        assert vb.wait_ready()
        ring(vb, 1, seed=500)
        with BoardClient.open(vb.port) as b:
            second = pull(b, store)
    print("gaps:", second.gaps, "chain breaks:", second.chain_breaks)
    missing = set()
    for _, detail in second.gaps:  # "records a..b missing (why)"
        a, b = detail.split()[1].split("..")
        missing |= set(range(int(a), int(b) + 1))
    last = unpulled[-1]["seq"]
    assert missing == {flipped["seq"], last}
    seqs = {c["seq"] for c in store.calls()}
    assert flipped["seq"] not in seqs and last not in seqs
    assert max(seqs) > last  # the new call: a new number
    assert len(seqs) == 40 - 2 + 1
    store.close()
