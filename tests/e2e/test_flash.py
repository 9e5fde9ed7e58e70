"""`ringcue flash` on virtual boards: fresh, unchanged, one file changed,
unplugged at every step, wrong board or MicroPython, full flash."""

import random
import shutil
import sys
import time

import pytest

from ringcue.board.client import BoardClient
from ringcue.board.devicefs import DeviceFS, sha256
from ringcue.errors import UserError
from ringcue.board.flash import build_firmware, build_id, check_device, confirm, flash
from ringcue.sim.vboard import VirtualBoard


@pytest.fixture(scope="module")
def v2():
    files = build_firmware("sim", variant="v2/")
    return files, build_id(files)


def fresh_board(tmp_path, name, image=None, **kw):
    d = tmp_path / name
    d.mkdir()
    if image:
        shutil.copy(image, d / "flash.img")
    return VirtualBoard(d, name=name, **kw).start()


def whole_build_answers(vb, builds):
    """The board boots a whole firmware: it answers, with one of `builds`,
    and every file of that build matches its manifest."""
    assert vb.wait_ready(10), "the firmware did not start"
    with BoardClient.open(vb.port) as b:
        hello = b.call("hello", timeout=3)
    assert hello["build"] in builds
    with DeviceFS(vb.port) as dev:
        dev.enter(soft_reset=False)
        manifest = dev.eval_json(f"json.loads(open('/fw/{hello['build']}/MANIFEST.json').read())")
        tree = {k: v for k, v in dev.tree(f"/fw/{hello['build']}").items()
                if k != "MANIFEST.json"}
    assert tree == manifest
    return hello["build"]


def test_fresh_then_unchanged_then_one_changed_file(tmp_path, real_port):
    if real_port:
        pytest.skip("virtual boards only")
    with fresh_board(tmp_path, "f") as vb:
        n = len(build_firmware("sim"))
        r1 = flash(vb.port, "sim")
        assert not r1.up_to_date and len(r1.uploaded) == n and r1.copied_on_board == []
        assert confirm(vb.port, r1.build)["build"] == r1.build
        r2 = flash(vb.port, "sim")
        assert r2.up_to_date and r2.uploaded == [] and r2.bytes_sent == 0
        files = build_firmware("sim")
        files["board.py"] += b"\n# rewired: LED moved\n"
        r3 = flash(vb.port, "sim", files=files)
        assert r3.uploaded == ["board.py"] and len(r3.copied_on_board) == n - 1
        assert whole_build_answers(vb, {r3.build}) == r3.build


def test_wrong_board_type_is_refused_with_the_right_one_named(tmp_path, firmware_image, real_port):
    if real_port:
        pytest.skip("virtual boards only")
    with fresh_board(tmp_path, "w", firmware_image[0]) as vb:
        files = build_firmware("sim")  # what a pico build would send, as far as the check goes
        with pytest.raises(UserError, match="not a pico board — use --board sim"):
            flash(vb.port, "pico", files=files)
        whole_build_answers(vb, {firmware_image[1]})  # untouched


@pytest.mark.parametrize("info,msg", [
    ({"mpy": 5, "version": [1, 18, 0], "platform": "rp2"}, "runs MicroPython 1.18.0"),
    ({"mpy": 6, "version": [1, 20, 0], "platform": "rp2"}, "needs MicroPython 1.22.0 or newer"),
    ({"mpy": 6, "version": [1, 24, 1], "platform": "esp8266"}, "not a pico board"),
])
def test_incompatible_micropython_is_refused(info, msg):
    with pytest.raises(UserError, match=msg):
        check_device(info, "pico")
    check_device({"mpy": 6 | (3 << 8), "version": [1, 24, 1], "platform": "rp2"}, "pico")


def test_full_flash_is_refused_before_anything_is_written(tmp_path, real_port):
    if real_port:
        pytest.skip("virtual boards only")
    with fresh_board(tmp_path, "small", flash_kb=48) as vb:
        with pytest.raises(UserError, match="flash is full: this firmware needs"):
            flash(vb.port, "sim")
        with DeviceFS(vb.port) as dev:
            dev.enter(soft_reset=False)
            assert dev.eval_json("'fw' in os.listdir('/')") is False


def test_a_bad_configuration_is_refused_before_the_build_is_installed(
        tmp_path, firmware_image, v2, real_port):
    """The configuration is checked before anything is written (it is
    written after the switch: before, the new build was installed, then the
    configuration refused)."""
    if real_port:
        pytest.skip("virtual boards only")
    with fresh_board(tmp_path, "cfg", firmware_image[0]) as vb:
        with pytest.raises(UserError, match="invalid configuration: .*profile"):
            flash(vb.port, "sim", {"profile": "mars"}, files=v2[0])
        assert whole_build_answers(vb, {firmware_image[1], v2[1]}) == firmware_image[1]


@pytest.mark.parametrize("part", range(4))
def test_unplugged_at_every_step_the_board_boots_a_whole_firmware(
        part, tmp_path, firmware_image, v2, real_port, monkeypatch):
    """Pull the cable (kill -9) before each of the flasher's board operations
    in turn (every command, and every piece of the upload stream): the board
    then boots the old build or the new one, whole."""
    if real_port:
        pytest.skip("virtual boards only")
    old = firmware_image[1]
    files, new = v2
    k = part
    seen_end = False
    cut_in = {}  # the flasher's operation each cut interrupted -> cuts
    while not seen_end:
        assert k < 400, "the flash never completed"
        vb = fresh_board(tmp_path, f"k{k}", firmware_image[0])
        calls = {"n": 0}

        def unplug_at_step_k(self, _k=k, _vb=vb):
            if calls["n"] == _k:
                _vb.power_cycle()
                where = sys._getframe(1).f_code.co_name
                cut_in[where] = cut_in.get(where, 0) + 1
                raise UserError("cable pulled")
            calls["n"] += 1

        monkeypatch.setattr(DeviceFS, "_step", unplug_at_step_k)
        try:
            flash(vb.port, "sim", files=files)
            seen_end = True  # k was past the last operation: the flash completed
        except UserError:
            pass
        monkeypatch.undo()
        try:
            got = whole_build_answers(vb, {old, new})
            if seen_end:
                assert got == new
        finally:
            vb.stop()
        k += 4
    # every command was a cut point, and so was every piece of the upload
    # (17 KB compressed: over 15 pieces of 1 KB, a quarter of them per part)
    assert cut_in.get("exec", 0) >= 1 and cut_in.get("put_many", 0) >= 4, cut_in


def test_upload_stream_carries_every_byte_value(tmp_path, real_port):
    """put_many: REPL control bytes, incompressible data over several
    deflate blocks, a file across a block boundary, an empty file, new
    folders: every file arrives whole (hashed on the board), no .part left."""
    if real_port:
        pytest.skip("virtual boards only")
    rng = random.Random(5)
    files = [
        ("/t/ctl.bin", bytes(range(256)) * 40 + b"\x1b[\x1bA\x03\x03\x04\x01\x02\x05" * 50),
        ("/t/noise.bin", rng.randbytes(20_000)),  # spans 3 blocks of 8 KB
        ("/t/empty", b""),
        ("/t/deep/er/text.py", b"print('hello')\n" * 300),
    ]
    with fresh_board(tmp_path, "u") as vb:
        with DeviceFS(vb.port) as dev:
            dev.enter()
            progressed = []
            wire = dev.put_many(files, progressed.append)
            assert sum(progressed) == sum(len(d) for _, d in files)
            assert wire < sum(len(d) for _, d in files)  # compressed, escapes and all
            tree = dev.tree("/t")
    assert tree == {p[3:]: sha256(d) for p, d in files}


def test_a_corrupted_upload_is_caught_and_the_old_build_kept(
        tmp_path, firmware_image, v2, real_port, monkeypatch):
    """One byte changed on the way: verification on the board names the file,
    nothing is switched, the board boots its old build."""
    if real_port:
        pytest.skip("virtual boards only")
    import ringcue.board.devicefs as devicefs

    real = devicefs.compress_blocks

    def damaged(data, wbits):
        data = bytearray(data)
        data[-1] ^= 0x20  # the last file of the stream
        return real(bytes(data), wbits)

    monkeypatch.setattr(devicefs, "compress_blocks", damaged)
    files, new = v2
    with fresh_board(tmp_path, "c", firmware_image[0]) as vb:
        with pytest.raises(UserError, match=r"verification failed for ringcue_fw/store\.mpy;"):
            flash(vb.port, "sim", files=files)
        assert whole_build_answers(vb, {firmware_image[1]}) == firmware_image[1]


def test_flashing_again_at_once_while_the_board_restarts(tmp_path, firmware_image, real_port):
    """A flash right after another one (no wait for the board to come back)
    starts while the board reboots: a Ctrl-C lost in the reboot is sent
    again, and every flash completes."""
    if real_port:
        pytest.skip("virtual boards only")
    with fresh_board(tmp_path, "a", firmware_image[0]) as vb:
        for i in range(4):
            t0 = time.monotonic()
            r = flash(vb.port, "sim")
            assert (r.up_to_date or i == 0) and time.monotonic() - t0 < 10
        assert confirm(vb.port, r.build)["build"] == r.build


def test_ctrl_c_during_the_upload_puts_the_old_firmware_back_to_work(
        tmp_path, firmware_image, v2, real_port, monkeypatch):
    """The technician presses Ctrl-C halfway through the upload (the board is
    not unplugged): the flasher stops the board's receiver, the board
    restarts its old build, and it answers again at once."""
    if real_port:
        pytest.skip("virtual boards only")
    files, new = v2
    pieces = {"n": 0}

    def ctrl_c_on_the_4th_piece(self):
        if sys._getframe(1).f_code.co_name == "put_many":
            pieces["n"] += 1
            if pieces["n"] == 4:
                raise KeyboardInterrupt

    monkeypatch.setattr(DeviceFS, "_step", ctrl_c_on_the_4th_piece)
    with fresh_board(tmp_path, "i", firmware_image[0]) as vb:
        with pytest.raises(KeyboardInterrupt):
            flash(vb.port, "sim", files=files)
        monkeypatch.undo()
        assert pieces["n"] == 4  # it was stopped inside the upload
        assert whole_build_answers(vb, {firmware_image[1]}) == firmware_image[1]
