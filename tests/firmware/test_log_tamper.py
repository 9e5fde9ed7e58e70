"""Tampering with the board's log (issue #13): every single-byte change, every
cut of a segment inside a committed record, every deleted record and every
deleted segment of the records not pulled yet is reported by the next pull,
with the board rebooted in between or still running; no changed record
reaches the store, and the board never reuses a lost record's number. A
changed byte loses only its record, and the compact hang-up right after it
when it is a call (the hang-up is read against its call): never the compact
records after it that needed it as their context (issue #15).

tests/mp/flashlog_tamper.py makes the changes on the real FlashLog and
littlefs inside MicroPython and records the board's log_read answers; here the
host's real `pull()` runs over them into a real store."""

import collections
import json
import subprocess
from pathlib import Path

import pytest

from ringcue.store.pull import parse_chunk, pull
from ringcue.paths import micropython_exe, mp_env
from ringcue.store.sqlite import Store
from ringcue_core import codes, logfmt
from targets import TESTS_DIR

HERE = TESTS_DIR


class RecordedBoard:
    """A board client that answers log_read from a trial's recorded answers."""

    def __init__(self, answers):
        self.answers = {int(k): v for k, v in answers.items()}

    def call(self, cmd, args=None):
        assert cmd == "hello", cmd
        return {"id": "tamper", "board": "sim", "fw": "t", "config": {"desk": "lab"}}

    def call_binary(self, cmd, args):
        assert cmd == "log_read"
        data, reply = self.answers[args["from_seq"]]  # the pull asks what a board is asked
        return reply, bytes.fromhex(data)


@pytest.fixture(scope="module")
def trials():
    p = subprocess.run([micropython_exe(), "-X", "heapsize=32m",
                        str(HERE / "mp" / "flashlog_tamper.py")],
                       env=mp_env(), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    return json.loads(lines[0]), [json.loads(x) for x in lines[1:]]


@pytest.mark.micropython
def test_every_change_cut_and_deletion_of_unpulled_records_is_reported(trials):
    head, runs = trials
    original = {int(seq): bytes.fromhex(h) for seq, h in head["full"].items()}
    pulled = head["pulled"]
    n = head["n"]
    first = parse_chunk(b"".join(original[s] for s in range(1, pulled + 1)))

    def store_after_first_pull():  # records 1..pulled
        st = Store(":memory:")
        st.touch_device("tamper", "sim", "lab", "t")
        st.add_chunk("tamper", "lab", first, [], pulled, first[-1]["link"])
        return st

    stored_at = {seq: (a, b) for seq, _, a, b in head["records"]}

    def lost_with(seq):
        """What a changed byte of record seq may lose: it, and its compact
        hang-up (12 bytes as stored, right after it)."""
        nxt = original.get(seq + 1)
        hang = nxt is not None and nxt[1] == codes.REC_HANGUP and \
            stored_at[seq + 1][1] - stored_at[seq + 1][0] == 12
        return [seq, seq + 1] if hang else [seq]

    counts = collections.Counter()
    lost_per_flip = collections.Counter()
    bad = collections.defaultdict(list)  # what went wrong -> trials
    for t in runs:
        key = (t["kind"], "reboot" if t["boot"] else "running")
        assert "crash" not in t, t
        store = store_after_first_pull()
        res = pull(RecordedBoard(t["answers"]), store, sync_clock=False)
        kept = {seq: bytes(r) for seq, r in store.db.execute(
            "SELECT seq, raw FROM records WHERE device_id='tamper'")}
        store.close()
        trial = (t["kind"], t["at"], key[1])
        # nothing changed gets in; the records pulled before are untouched
        if any(r != original[seq] for seq, r in kept.items() if seq <= n):
            bad["changed record stored"].append(trial)
        # the call logged after the change never takes a committed number
        new = [s for s, r in kept.items() if s > n
               and logfmt.parse_one(r, 0)[0] == codes.REC_CALL]
        if len(new) != 1:
            bad["later call lost or numbered over a committed record"].append(trial)
        reported = bool(res.gaps or res.chain_breaks)
        counts[key + ("reported" if reported else "silent",)] += 1
        lost = [s for s in range(pulled + 1, n + 1) if s not in kept]
        if t["kind"] == "flip":
            lost_per_flip[len(lost)] += 1
            if lost != lost_with(t["at"][0]):
                bad["a changed byte lost other records"].append(trial + (lost,))
        if t["kind"] == "delete":  # mid-segment, the record after it may go too
            seq = t["at"][0]
            if seq not in lost or not set(lost) <= {seq, *lost_with(seq + 1)}:
                bad["a deleted record lost more than the one after it"].append(trial + (lost,))
        if t["kind"] == "none":
            if reported or len(kept) != n + 1:
                bad["untouched log reported"].append(trial)
        elif not reported:
            bad["silent"].append(trial)
    print("tamper trials (kind, board, outcome): count")
    for key in sorted(counts):
        print("  ", key, counts[key])
    print("records lost per changed byte: trials", dict(sorted(lost_per_flip.items())))
    for what, which in bad.items():
        print(f"  {what}: {len(which)} trials, e.g. {which[:3]}")
    assert not bad
    assert {k for k, _, _ in counts} == {"none", "flip", "truncate", "delete", "delete_segment"}
    # every byte of every unpulled record as stored (compact ones too), two
    # ways, with and without a reboot
    stored = sum(b - a for seq, _, a, b in head["records"] if seq > pulled)
    assert stored < (n - pulled) * 20  # most are compact (full calls take 32)
    assert counts[("flip", "reboot", "reported")] == stored * 2
    assert counts[("flip", "running", "reported")] == stored * 2
