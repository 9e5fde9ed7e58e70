"""End-to-end tests through a serial port, with pytest-embedded's serial
service. By default each test gets a fresh virtual board (the real
MicroPython unix port on a pty) with the firmware flashed; give --port to
run the same tests against a real board (tests that need the simulated ring
line are skipped then):

    pytest tests/e2e --port /dev/ttyACM0
"""

import itertools
import shutil

import pytest

from ringcue.flash import flash
from ringcue.sim.vboard import VirtualBoard

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
