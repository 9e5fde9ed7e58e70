"""The durable log: power cuts at every flash write (inside MicroPython, on
real littlefs), and the host's checks for gaps, tampering and reordering."""

import json
import subprocess
from pathlib import Path

import pytest

from ringcue.store.pull import parse_chunk, verify
from ringcue.paths import micropython_exe, mp_env
from ringcue_core import codes, logfmt
from targets import TESTS_DIR

HERE = TESTS_DIR


@pytest.mark.micropython
def test_power_cut_at_every_block_write_loses_no_committed_record():
    p = subprocess.run([micropython_exe(), "-X", "heapsize=96m",
                        str(HERE / "mp" / "flashlog_powercut.py"), "120"],
                       env=mp_env(), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["bad"] == []
    assert r["cuts"] > 50 and r["checked"] == r["cuts"]  # every write was a cut point
    assert r["rotated_first_seq"] > 1  # the run filled the log and rotated it
    # compact records (calls 16 bytes, hang-ups 8) were what was cut
    assert r["stored"] < 16 * r["written"]


def make_log(n, start=1):
    recs, prev = [], logfmt.GENESIS if start == 1 else b"\x01\x02\x03\x04"
    for seq in range(start, start + n):
        raw = logfmt.encode(codes.REC_CALL, seq, 1, seq * 1000, prev,
                            logfmt.call_payload(seq % 5 + 1, 0x11, 1000, "uk"))
        prev = logfmt.link(raw)
        recs.append(raw)
    return recs


def kinds(raws, last_seq=0, last_link=logfmt.GENESIS):
    return [k for _, k, _ in verify(parse_chunk(b"".join(raws)), last_seq, last_link)]


def test_an_intact_log_verifies():
    assert kinds(make_log(20)) == []


def test_deleted_record_is_a_chain_break_and_a_gap():
    raws = make_log(10)
    del raws[4]
    assert kinds(raws) == ["gap", "chain_break"] or kinds(raws) == ["gap"]
    assert "gap" in kinds(raws)


def test_deleted_last_record_is_caught_by_the_next_pull():
    raws = make_log(10)
    first = parse_chunk(b"".join(raws[:8]))  # pulled 1..8
    later = raws[9:]  # record 9 deleted on the board before the next pull
    issues = verify(parse_chunk(b"".join(later)), first[-1]["seq"], first[-1]["link"])
    assert [k for _, k, _ in issues] == ["gap"]


def test_edited_record_with_recomputed_crc_breaks_the_chain():
    raws = make_log(10)
    r = logfmt.parse_one(raws[5], 0)
    forged = logfmt.encode(r[0], r[1], r[2], r[3], r[4],
                           logfmt.call_payload(2, 0x11, 500, "uk"))  # "answered on ring 2"
    raws[5] = forged
    assert kinds(raws) == ["chain_break"]  # record 7 no longer follows record 6


def test_edited_record_without_new_crc_is_refused_outright():
    raws = make_log(5)
    raws[2] = raws[2][:18] + bytes([raws[2][18] ^ 0xFF]) + raws[2][19:]
    with pytest.raises(ValueError, match="corrupt record"):
        parse_chunk(b"".join(raws))


def test_reordered_records_are_detected():
    raws = make_log(6)
    raws[2], raws[3] = raws[3], raws[2]
    assert set(kinds(raws)) >= {"chain_break"} or "reorder" in kinds(raws)
    assert kinds(raws)


def test_rotated_out_records_show_as_a_gap_not_a_break():
    raws = make_log(10)[4:]  # the board dropped 1..4 before the first pull
    assert kinds(raws) == ["gap"]


@pytest.mark.micropython
def test_torn_tail_is_skipped_and_never_hides_earlier_records():
    p = subprocess.run([micropython_exe(), str(HERE / "mp" / "flashlog_torn.py")],
                       env=mp_env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["kept_all"] is True and r["torn"] == 1
    assert r["next_seq"] == 11  # the torn record was never committed: its number is reused
    assert r["segments"] == 2  # writing goes on in a fresh segment
    assert r["records_after"] == 11
