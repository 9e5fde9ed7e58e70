"""Hostile /ringcue.json on the virtual board (issue #13): the firmware boots
on its defaults, counts rings, says what is wrong (status, info, the log), and
`config set` repairs it. (tests/firmware/test_config_hostile.py runs 60 files through
the same loader inside MicroPython at a 96 KB heap.) At the Pico's budget: at
the ESP32-C3's 128 KB the board boots and counts here too, but a status
reply after the call can fail with `out of memory` (a fragmented heap with
~27 KB free; see the report of issue #13).)"""

import subprocess

import pytest

from board_helpers import board_calls
from ringcue.sim import ringgen
from ringcue.board.client import BoardClient
from ringcue.paths import micropython_exe, mp_env
from ringcue.sim.vboard import VirtualBoard
from targets import REPO_DIR


def edit(image, *args):
    p = subprocess.run([micropython_exe(), str(REPO_DIR / "tests" / "mp" / "image_edit.py"),
                        str(image), *args], env=mp_env(), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr


@pytest.mark.micropython
@pytest.mark.parametrize("kind", ["folder", "huge_bad_utf8", "deep"])
def test_a_hostile_config_file_never_stops_the_board(kind, tmp_path, firmware_image, real_port):
    if real_port:
        pytest.skip("needs the virtual board's flash image")
    import shutil

    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    img = tmp_path / "flash.img"
    if kind == "folder":
        edit(img, "mkdir", "/ringcue.json", "a", "b")
    else:
        bad = tmp_path / "bad.json"
        bad.write_bytes(b"\xff" * 200_000 if kind == "huge_bad_utf8" else b"[" * 1500)
        edit(img, "write", "/ringcue.json", str(bad))
    with VirtualBoard(tmp_path, name=f"hostile-{kind}", heapsize="192k") as vb:
        assert vb.wait_ready(), "the firmware did not start"
        ev, _ = ringgen.call_events("uk", 3)
        vb.play(ev, tail_ms=10_000)
        with BoardClient.open(vb.port) as b:
            st = b.call("status")
            assert st["config_source"] == "defaults" and st["config_errors"], st
            assert any(f.startswith("config: /ringcue.json") for f in st["faults"])
            b.call("config_set", {"desk": "Front"})  # the repair
        assert [(c["rings"], c["outcome"]) for c in board_calls(vb.port)] == [(3, "abandoned")]
        vb.power_cycle()
        assert vb.wait_ready()
        with BoardClient.open(vb.port) as b:
            h = b.call("hello")
    assert (h["config_source"], h["config_errors"], h["config"]["desk"]) == ("file", [], "Front")
