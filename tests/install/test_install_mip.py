"""The mip route: `ringcue mip-index` writes a package index of the compiled
firmware; stock `mpremote mip install` from it sets up a blank virtual
board running at the ESP32-C3's heap budget, which then boots the firmware,
rings a call and logs it, and which `ringcue flash` finds up to date (the
same build, the same layout).
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringcue.board.client import BoardClient
from ringcue.board.devicefs import DeviceFS
from ringcue.board.flash import boards, build_firmware, build_id, flash
from ringcue.store.pull import pull
from ringcue.board.mipindex import package_name, write_index
from ringcue.sim.vboard import VirtualBoard
from ringcue.store.sqlite import Store
from ringcue_core import VERSION
from ringcue_core.trace import parse
from targets import FIRMWARE_DIR, REPO_DIR, TARGETS

TRACE = REPO_DIR / "tests" / "traces" / "uk_missed.trace"


def mpremote(port, *args):
    for _ in range(5):
        proc = subprocess.run([sys.executable, "-m", "mpremote", "connect", port,
                               *map(str, args)], capture_output=True, text=True, timeout=120)
        # the port can still be held for a moment by the previous opener (an
        # exclusive lock on the pty; see ringcue.board.portlock): try again, as a user would
        if "it may be in use" not in proc.stderr:
            break
        time.sleep(0.2)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_index_holds_each_boards_build_compiled(tmp_path):
    builds = write_index(tmp_path, boards())
    for board in boards():
        files = build_firmware(board)
        assert builds[board] == build_id(files)
        pkg = json.loads((tmp_path / "package" / "6" / package_name(board) / "latest.json")
                         .read_text())
        assert pkg["version"] == VERSION
        assert pkg == json.loads((tmp_path / "package" / "6" / package_name(board)
                                  / f"{VERSION}.json").read_text())
        paths = [p for p, _ in pkg["hashes"]]
        root = f"fw/{builds[board]}/"
        assert paths[-3:] == [root + "MANIFEST.json", "main.py", "fw/current"]
        assert paths[:-3] == [root + p for p in sorted(files)]
        assert not [p for p in paths if p.endswith(".py") and p not in ("main.py",
                                                                        root + "board.py")]
        by_path = dict(pkg["hashes"])
        blob = tmp_path / "file" / by_path["fw/current"][:2] / by_path["fw/current"]
        assert blob.read_text() == builds[board]
        direct = json.loads((tmp_path / f"{package_name(board)}.json").read_text())
        assert direct["urls"] == [[p, f"file/{h[:2]}/{h}"] for p, h in pkg["hashes"]]


def test_mpremote_mip_installs_a_board_that_boots_at_the_esp32c3_heap_budget(tmp_path):
    index = tmp_path / "mip"
    build = write_index(index, ["sim"])["sim"]
    heap = TARGETS["esp32c3"]["heap"]
    (tmp_path / "vb").mkdir()
    with VirtualBoard(tmp_path / "vb", name="mip", heapsize=heap).start() as vb:
        n = len(build_firmware("sim")) + 3  # + MANIFEST.json, main.py, fw/current
        out = mpremote(vb.port, "mip", "install", "--target", "/",
                       (index / f"{package_name('sim')}.json").as_posix())
        assert out.count("Installing: ") == n and "Done" in out, out
        # again, from the index: mip checks each file's hash and copies none
        out = mpremote(vb.port, "mip", "install", "--target", "/", "--index", index,
                       package_name("sim"))
        assert "Installing: " not in out and out.count("Exists: ") == n, out
        vb.soft_reset()  # mip leaves the board at the REPL
        assert vb.wait_ready(), f"the firmware did not start in {heap}"
        with BoardClient.open(vb.port) as b:
            hello = b.call("hello")
            st = b.call("status")
        assert hello["build"] == build and hello["fw"] == VERSION
        total = st["mem_free"] + st["mem_alloc"]
        assert total <= int(heap[:-1]) * 1024, total  # the budget applied
        start = vb.play(parse(TRACE.open()), tail_ms=3000)
        assert vb.output_changes("LED", since=start)[0][1] == 1, "no cue on the LED"
        assert vb.output_changes("BUZZER", since=start)[0][1] == 1, "no alarm"
        store = Store(tmp_path / "calls.db")
        try:
            with BoardClient.open(vb.port) as b:
                res = pull(b, store)
            assert res.calls == 1 and res.chain_breaks == [] and res.gaps == []
        finally:
            store.close()
        with DeviceFS(vb.port) as dev:
            dev.enter()  # stops the firmware first: its helpers need the heap it holds
            tree = dev.tree(f"/fw/{build}")
        assert sorted(p for p in tree if p.endswith(".py")) == ["board.py"]
        assert flash(vb.port, "sim").up_to_date  # ringcue sees its own build


def test_the_source_manifest_lists_every_firmware_file():
    """package.json (the `github:` route, sources; boards/<name>/package.json
    adds board.py, tests/boards/test_boards.py) covers the firmware as it is now."""
    pkg = json.loads((REPO_DIR / "package.json").read_text())
    want = [["main.py", "firmware/main.py"]] + [
        [f"lib/{p.relative_to(FIRMWARE_DIR).as_posix()}", f"firmware/{p.relative_to(FIRMWARE_DIR).as_posix()}"]
        for pkg_name in ("ringcue_core", "ringcue_fw")
        for p in sorted((FIRMWARE_DIR / pkg_name).glob("*.py"))]
    # no "version" (mip does not read it): ringcue_core.VERSION is the only one
    assert pkg == {"urls": want}


@pytest.mark.parametrize("args,msg", [(["--board", "nope"], "unknown board 'nope'")])
def test_mip_index_refuses_an_unknown_board(tmp_path, args, msg):
    from click.testing import CliRunner

    from ringcue.cli.main import cli

    r = CliRunner().invoke(cli, ["mip-index", "--out", str(tmp_path), *args])
    assert r.exit_code == 2 and msg in r.output and not list(Path(tmp_path).iterdir())
