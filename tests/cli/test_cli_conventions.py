"""The conventions of the ecosystem (issue 12, item 5): RINGCUE_PORT, -v
shows the serial conversation, exit codes like mpremote, quiet in a pipe
that closes early (`| head`), shell completion, progress on long work."""

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from ringcue.sim.vboard import VirtualBoard
from targets import TESTS_DIR, REPO_DIR

RINGCUE = str(Path(sys.executable).parent / "ringcue")
TRACES = TESTS_DIR / "traces"


def _env(tmp_path, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("RINGCUE_PORT", "RINGCUE_DB")}
    env["RINGCUE_HOME"] = str(tmp_path / "home")
    env.update(kw)
    return env


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    db = tmp_path_factory.mktemp("fleet") / "fleet.db"
    subprocess.run([RINGCUE, "sim", "fleet", "--db", str(db), "--calls", "20000", "--desks",
                    "5"], check=True, capture_output=True, timeout=120)
    return db


@pytest.mark.parametrize("args", [
    ("replay", str(TRACES / "uk_missed.trace")),
    ("report", "--format", "csv"),
    ("report", "--format", "json"),
    ("report",),
    ("logs", "export"),
], ids=lambda a: " ".join(a[:3]).replace("/", "_"))
def test_a_reader_that_leaves_early_gets_no_noise(args, fleet, tmp_path):
    """`ringcue ... | head -1`: no 'Broken pipe', no 'Exception ignored'."""
    if args[0] in ("report", "logs"):
        args = args + ("--db", str(fleet))
    r, w = os.pipe()
    p = subprocess.Popen([RINGCUE, *args], stdout=w, stderr=subprocess.PIPE,
                         env=_env(tmp_path, COLUMNS="100"))
    os.close(w)
    with os.fdopen(r, "rb") as reader:
        assert reader.readline()  # like head -1: one line, then gone
    err = p.communicate(timeout=60)[1].decode()
    assert err == "", err
    assert p.returncode in (0, 1)


def test_verbose_shows_the_serial_conversation(tmp_path):
    with VirtualBoard(tmp_path / "b", name="verbose") as vb:  # blank flash: MicroPython only
        p = subprocess.run([RINGCUE, "-v", "info"], capture_output=True, text=True, timeout=60,
                           env=_env(tmp_path, RINGCUE_PORT=vb.port))  # the default --port
    sent = [x for x in p.stderr.splitlines() if x.startswith(f"{vb.port} > ")]
    got = [x for x in p.stderr.splitlines() if x.startswith(f"{vb.port} < ")]
    assert sent and sent[0].startswith(f"{vb.port} > RQ 1 "), p.stderr
    assert got, p.stderr  # what the board said back (its REPL, here)
    assert p.returncode == 1 and p.stderr.splitlines()[-1].startswith("ringcue: ")
    quiet = subprocess.run([RINGCUE, "info", "--port", "/dev/ringcue-none"],
                           capture_output=True, text=True, env=_env(tmp_path))
    assert " > " not in quiet.stderr  # without -v: only the one line


@pytest.mark.parametrize("args,code", [
    (("report", "--bogus"), 2),
    (("replay",), 2),
    (("sim", "start", "--speed", "fast"), 2),
    (("info", "--port", "/dev/ringcue-none"), 1),
])
def test_click_usage_errors_are_one_line_too(args, code, tmp_path):
    p = subprocess.run([RINGCUE, *args], capture_output=True, text=True, env=_env(tmp_path))
    assert p.returncode == code
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("ringcue: "), p.stderr
    if code == 2:
        assert "--help`" in p.stderr  # where to read more


def test_shell_completion_script(tmp_path):
    p = subprocess.run([RINGCUE], capture_output=True, text=True,
                       env=_env(tmp_path, _RINGCUE_COMPLETE="bash_source"))
    assert p.returncode == 0 and "complete " in p.stdout and "_RINGCUE_COMPLETE" in p.stdout
    readme = (REPO_DIR / "README.md").read_text()
    assert "_RINGCUE_COMPLETE=bash_source ringcue" in readme


def test_long_reports_show_progress_on_a_terminal(fleet, tmp_path):
    """report --with-calls writes every call: a progress bar on stderr when
    it is a terminal, nothing when it is not."""
    out = tmp_path / "r.xlsx"
    args = [RINGCUE, "report", "--db", str(fleet), "--out", str(out), "--with-calls"]
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave,
                         env=_env(tmp_path, TERM="xterm", COLUMNS="100"))
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the command closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert p.wait(timeout=120) == 0
    text = seen.decode(errors="replace")
    assert "calls sheet" in text and "/20,000" in text.replace("20000", "20,000"), text[-500:]
    p = subprocess.run(args, capture_output=True, text=True, env=_env(tmp_path))
    assert p.returncode == 0 and "calls sheet" not in p.stderr
