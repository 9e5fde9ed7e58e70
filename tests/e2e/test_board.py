"""The board as a technician's tools see it: boot, hello, config, errors.
Runs against the virtual board, or a real one with --port."""

import json

import pytest

from board_helpers import reboot, rq, wait_ready
from ringcue_core import proto


def test_boot_banner_after_soft_reboot(dut):
    m = reboot(dut)
    boots = int(m.group(3))
    m2 = reboot(dut)
    assert int(m2.group(3)) == boots + 1  # the boot counter survives reboots
    assert m2.group(1) == m.group(1)


def test_hello_identifies_the_board(dut):
    _, st, r = rq(dut, "hello")
    assert st == "ok"
    assert r["proto"] == proto.PROTO_VERSION
    assert len(r["id"]) >= 8 and int(r["id"], 16) >= 0
    assert r["fw"] and r["build"]
    assert set(r["config"]) == {"desk", "profile", "cue_ring", "alarm_after", "buzzer",
                                "clear_signal"}


def test_status_reports_live_state(dut):
    _, st, r = rq(dut, "status")
    assert st == "ok"
    assert r["state"] == "idle" and r["rings"] == 0
    assert r["cue"] is False and r["alarm"] is False
    assert r["overflows"] == 0


@pytest.mark.parametrize("raw,code", [
    ("RQ 7 hello*00000000", "bad_crc"),
    ("hello there", "bad_frame"),
    ("RQ x hello", "bad_frame"),
    ("RQ 8 config_set {not json", "bad_args"),
    ("RQ 9 config_set [1, 2]", "bad_args"),
    ("RQ 10 reboot_into_orbit", "unknown_cmd"),
    ("RQ 11 " + "x" * 600, "too_long"),
])
def test_malformed_requests_get_clear_errors(dut, raw, code):
    _, st, err = rq(dut, None, raw=raw)
    assert st == "err" and err.code == code
    assert err.msg  # a human-readable reason
    _, st, _ = rq(dut, "hello")  # and the board carries on
    assert st == "ok"


def test_config_is_validated_saved_and_survives_reboot(dut):
    _, st, err = rq(dut, "config_set", {"cue_ring": 0, "profile": "mars"})
    assert st == "err" and err.code == "bad_args"
    assert "cue_ring" in err.msg and "profile" in err.msg
    _, st, r = rq(dut, "config_get")
    assert r["config"]["cue_ring"] == 2  # nothing changed
    _, st, r = rq(dut, "config_set", {"desk": "Front desk", "profile": "uk"})
    assert st == "ok" and r["config"]["profile"] == "uk"
    reboot(dut)
    _, st, r = rq(dut, "config_get")
    assert r["config"]["desk"] == "Front desk" and r["config"]["profile"] == "uk"
    assert r["source"] == "file" and r["errors"] == []


def test_time_sync_and_selftest_answer(dut):
    _, st, r = rq(dut, "time_sync", {"unix_ms": 1_764_200_000_000})
    assert st == "ok" and isinstance(r["ticks_ms"], int)
    _, st, err = rq(dut, "time_sync", {"unix_ms": "yesterday"})
    assert st == "err" and err.code == "bad_args"
    _, st, r = rq(dut, "selftest", {"ms": 500})
    assert st == "ok" and r["ms"] == 500 and r["ring_level"] in (0, 1)


def test_bad_config_file_falls_back_to_defaults(dut, port):
    """A corrupt /ringcue.json never crash-loops the board: defaults, reported."""
    from ringcue.board.devicefs import DeviceFS

    with dut.serial.disable_redirect_thread():  # mpremote's transport needs the port
        dut.serial.proc.close()
        with DeviceFS(port) as dev:
            dev.enter()
            dev.put("/ringcue.json", b'{"desk": "Lobby", "cue_ring": "two"')
            dev.soft_reset()
        dut.serial.proc.open()
    _, st, r = wait_ready(dut)
    assert st == "ok"
    assert r["config"]["cue_ring"] == 2
    assert r["config_source"] == "defaults"
    assert r["config_errors"] and "not valid JSON" in r["config_errors"][0]
    json.dumps(r)
