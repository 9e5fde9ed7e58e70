"""End-to-end tests through a serial port, with pytest-embedded's serial
service. By default each test gets a fresh virtual board (the real
MicroPython unix port on a pty) with the firmware flashed; give --port to
run the same tests against a real board (tests that need the simulated ring
line are skipped then):

    pytest tests/e2e --port /dev/ttyACM0
"""

import itertools
import re
import shutil

import pytest

from ringcue.flash import flash
from ringcue.sim.vboard import VirtualBoard
from ringcue_core import proto

_names = itertools.count(1)


@pytest.fixture(scope="session")
def firmware_image(tmp_path_factory):
    """A flash image with the firmware installed, made once per worker by
    flashing a blank virtual board the way a technician would."""
    d = tmp_path_factory.mktemp("golden")
    with VirtualBoard(d, name="golden") as vb:
        res = flash(vb.port, "sim")
    return d / "flash.img", res.build


@pytest.fixture
def real_port(request):
    return request.config.getoption("port", None)


@pytest.fixture
def vboard(real_port, tmp_path, firmware_image):
    """A flashed virtual board (skips when testing a real board)."""
    if real_port:
        pytest.skip("needs the virtual board's simulated ring line")
    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    vb = VirtualBoard(tmp_path, name=f"desk-{next(_names)}").start()
    assert vb.wait_ready(), "the firmware did not start on the virtual board"
    yield vb
    vb.stop()


@pytest.fixture
def embedded_services():
    return "serial"


@pytest.fixture
def port(request, real_port):
    """The DUT's port for pytest-embedded: --port, else a virtual board."""
    if real_port:
        return real_port
    return request.getfixturevalue("vboard").port


_RS = re.compile(rb"RS (\d+|-) (ok|err) (.*)\*([0-9a-f]{8})\r?\n")
_rid = itertools.count(1000)


def rq(dut, cmd, args=None, raw=None, timeout=5):
    """Send one request through the DUT; return (rid, 'ok'|'err', payload)."""
    rid = next(_rid)
    line = raw if raw is not None else proto.request_line(rid, cmd, args).rstrip("\n")
    dut.write(line)
    pat = (rb"RS %d (ok|err) (.*)\*([0-9a-f]{8})\r?\n" % rid) if raw is None else _RS
    m = dut.expect(pat, timeout=timeout)
    body = m.group(0).rstrip(b"\r\n").decode()[:-9]
    assert proto.crc_hex(body) == m.group(0).rstrip(b"\r\n").decode()[-8:], "reply CRC"
    parsed = proto.parse_board_line(m.group(0).decode())
    payload = parsed[2]
    if isinstance(payload, proto.ProtocolError):
        return parsed[1], "err", payload
    return parsed[1], "ok", payload


def reboot(dut):
    """Ctrl-C into the REPL, then Ctrl-D: a soft reboot, as on any board."""
    import pexpect

    for attempt in range(3):
        dut.write(b"\r\x03")
        try:
            dut.expect(b">>> ", timeout=2)
            break
        except pexpect.TIMEOUT:
            if attempt == 2:
                raise
    dut.write(b"\x04")
    return dut.expect(rb"ringcue (\S+) on (\S+): ready \(boot (\d+)\)", timeout=10)


def wait_ready(dut, tries=10):
    """After a reset: ask until the firmware answers (requests sent while a
    board reboots are lost, on real boards too)."""
    import pexpect

    for i in range(tries):
        try:
            return rq(dut, "hello", timeout=1)
        except pexpect.TIMEOUT:
            if i == tries - 1:
                raise
