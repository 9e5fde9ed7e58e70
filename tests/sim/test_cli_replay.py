"""`ringcue replay` as a technician uses it: files in, JSON lines or one
clear error line out, identical on both runtimes."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringcue.cli.main import cli
from targets import TESTS_DIR, REPO_DIR

TRACES = TESTS_DIR / "traces"
EXAMPLES = sorted(TRACES.glob("*.trace"))


def run(*args):
    r = CliRunner().invoke(cli, list(map(str, args)))
    return r.exit_code, r.output


@pytest.mark.parametrize("trace", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_bundled_traces_give_expected_events(trace, runtime):
    code, out = run("replay", trace, "--runtime", runtime)
    assert code == 0
    assert out == trace.with_suffix(".jsonl").read_text()


def test_console_script_runs():
    """The installed entry point works outside click's test runner."""
    exe = Path(sys.executable).parent / "ringcue"
    p = subprocess.run([str(exe), "replay", str(TRACES / "uk_missed.trace"), "--runtime",
                        "micropython"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout == (TRACES / "uk_missed.jsonl").read_text()


def test_options_change_the_policy():
    code, out = run("replay", TRACES / "uk_missed.trace", "--cue-ring", "1", "--alarm-after",
                    "4", "--profile", "uk")
    assert code == 0
    lines = out.splitlines()
    assert '"event": "cue_on"' in lines[1]  # right after ring 1
    ring4 = next(i for i, x in enumerate(lines) if '"n": 4' in x)
    alarm = next(i for i, x in enumerate(lines) if "alarm_on" in x)
    assert alarm > ring4


BAD = [
    ("0 ring 1\n10 ring 0\n5 ring 1\n", "line 3: time 5 is before the previous event's 10"),
    ("0 ring 1\n10 rung 0\n", "line 2: unknown event 'rung'"),
    ("0 ring 2\n", "line 1: 'ring' needs a value of 0 or 1"),
    ("abc ring 1\n", "line 1: time 'abc' is not an integer"),
    ("0 ring 1\n10 hook 1\n", "line 2: hook event in a trace without hook sense"),
    ("0 end\n5 ring 1\n", "line 2: event after 'end'"),
    ("# only a comment\n0\n", "line 2: missing event word"),
    ("-5 ring 1\n", "line 1: time -5 is negative"),
]


@pytest.mark.parametrize("text,msg", BAD, ids=[m for _, m in BAD])
@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_bad_traces_give_one_clear_line(tmp_path, text, msg, runtime):
    p = tmp_path / "bad.trace"
    p.write_text(text)
    code, out = run("replay", p, "--runtime", runtime)
    assert code == 2
    assert out.startswith(f"ringcue: {p}: {msg}")
    assert len(out.strip().splitlines()) == 1
    assert "Traceback" not in out


def test_missing_file_and_bad_profile(tmp_path):
    code, out = run("replay", tmp_path / "nope.trace")
    assert (code, out.strip()) == (2, f"ringcue: {tmp_path / 'nope.trace'}: no such trace file")
    code, out = run("replay", TRACES / "uk_missed.trace", "--profile", "mars")
    assert code == 2 and "unknown profile 'mars' (choose from: universal" in out


def test_binary_file_is_refused(tmp_path):
    p = tmp_path / "x.trace"
    p.write_bytes(b"\xff\xfe\x00garbage")
    code, out = run("replay", p)
    assert code == 2 and "not a text trace" in out


def test_help_teaches():
    code, out = run("replay", "--help")
    assert code == 0
    for word in ("Example:", "--profile", "universal", "uk =", "--runtime"):
        assert word in out


def test_help_examples_name_traces_that_exist():
    code, out = run("replay", "--help")
    root = REPO_DIR
    named = [w for w in out.split() if w.endswith(".trace") and "/" in w]
    assert named and all((root / w).is_file() for w in named), named
