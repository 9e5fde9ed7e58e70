"""Every `ringcue` command against every failure a user meets, as a table.

Each row runs the installed command in a subprocess and checks what the
user sees: exactly one `ringcue: ...` line on stderr (and it is the last
line), the exit code (2: the command line is wrong; 1: the command could not
be done, like mpremote), no traceback, and no file created or changed by the
failed command (the row's whole folder, its working directory and
RINGCUE_HOME included, is compared before and after).

The failures: no board attached, a port that does not exist, wrong paths,
a silent port (a pty nobody answers), a busy port (another process holds
its exclusive lock), a MicroPython board without ringcue (a virtual board
with blank flash), a board stopped at the REPL, the cable pulled in the
middle of a command (the virtual board stopped), and a --out/--db that
cannot be written.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ringcue.cli.main import cli
from ringcue.board.flash import flash
from ringcue.sim.vboard import VirtualBoard
from targets import TESTS_DIR

RINGCUE = str(Path(sys.executable).parent / "ringcue")
TRACE = TESTS_DIR / "traces" / "uk_missed.trace"
HAS_RESTART = "restart" in cli.commands
ROW_TIMEOUT = 30  # s; a silent port costs about 6 s (three tries of 2 s)
PASSWORD = "s3cret-pw"  # in every PostgreSQL URL below: no row may print it
PG_DOWN = f"postgresql://ringcue:{PASSWORD}@127.0.0.1:1/calls"  # nothing listens on port 1
V0_STORE = Path(__file__).parent.parent / "store" / "data" / "store-v0.db"



@dataclass
class Row:
    id: str
    args: tuple  # with {port} {trace} {store} {missing} {ro} {old}
    scenario: str = "plain"
    code: int = 1
    msg: str = ""  # a regex the ringcue: line must match
    xfail: str = ""

    def param(self):
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=self.id, marks=marks)


BOARD_COMMANDS = [  # (name, args after --port): every command that talks to a board
    ("flash", ("flash",)),
    ("info", ("info",)),
    ("config-get", ("config", "get")),
    ("config-set", ("config", "set", "desk=Lobby")),
    ("selftest", ("selftest", "--seconds", "1")),
    ("monitor", ("monitor",)),
    ("logs-pull", ("logs", "pull")),
] + ([("restart", ("restart",))] if HAS_RESTART else [])

NO_FIRMWARE = r"(ringcue firmware|not (installed|flashed)).*ringcue flash"
ROWS = []
for name, args in BOARD_COMMANDS:
    ROWS += [
        Row(f"{name}-no-board", args, "plain", 1, r"no board found.*(plug one in|--port)"),
        Row(f"{name}-no-such-port", args + ("--port", "{missing}"), "plain", 1,
            r"no such port|cannot open .*(no such|does not exist)"),
        Row(f"{name}-silent-port", args + ("--port", "{port}"), "silent", 1,
            r"no reply|not answer|nothing answers|timed out|silent",
            ),
        Row(f"{name}-busy-port", args + ("--port", "{port}"), "busy", 1,
            r"busy.*another program",
            ),
    ]
    if name != "flash":  # flashing a blank board is what it is for
        ROWS.append(Row(f"{name}-no-firmware", args + ("--port", "{port}"), "blank", 1,
                        NO_FIRMWARE,
                        ))
    if name not in ("flash", "restart"):  # these bring the firmware back: their job
        # not a failure: the command says so, restarts the firmware and goes on
        ROWS.append(Row(f"{name}-stopped-at-repl", args + ("--port", "{port}"), "repl", 0,
                        r"stopped at the MicroPython (?-i:REPL).*restart"))
ROWS += [
    Row("logs-pull-all-no-boards", ("logs", "pull", "--all"), "plain", 1, r"no boards attached"),
    Row("logs-pull-db-missing-folder", ("logs", "pull", "--db", "{missing}/x.db",
                                        "--port", "{missing}"), "plain", 2, r"no such folder"),
    Row("logs-pull-db-unwritable", ("logs", "pull", "--db", "{ro}/x.db", "--port", "{port}"),
        "flashed", 1, r"cannot write"),
    Row("logs-pull-db-foreign", ("logs", "pull", "--db", "{foreign}", "--port", "{port}"),
        "flashed", 2, r"not a ringcue store"),
    Row("logs-pull-db-damaged", ("logs", "pull", "--db", "{damaged}", "--port", "{port}"),
        "flashed", 1, r"damaged"),
    # the cable pulled in the middle of a command
    Row("flash-cable-pulled", ("flash", "--board", "sim", "--port", "{port}"), "pulled-flash", 1,
        r"lost the board|unplugged|did not come back"),
    # these wait for the board to come back: the loss is said, then Ctrl-C ends them
    Row("selftest-cable-pulled", ("selftest", "--seconds", "30", "--port", "{port}"),
        "pulled-selftest", 0),
    Row("monitor-cable-pulled", ("monitor", "--port", "{port}"), "pulled-monitor", 0),
    # paths and files
    Row("replay-missing-trace", ("replay", "{missing}/x.trace"), "plain", 2, r"no such trace"),
    Row("replay-a-folder", ("replay", "{missing_parent}"), "plain", 2, r"is a directory"),
    Row("replay-not-a-trace", ("replay", "{store}"), "plain", 2, r"not a text trace"),
    Row("replay-bad-profile", ("replay", "{trace}", "--profile", "mars"), "plain", 2,
        r"unknown profile"),
    Row("replay-bad-option", ("replay", "{trace}", "--cue-ring", "0"), "plain", 2,
        r"--cue-ring.*ringcue replay --help"),
    Row("config-validate-missing", ("config", "validate", "{missing}/c.json"), "plain", 2,
        r"no such file"),
    Row("config-validate-bad", ("config", "validate", "{trace}"), "plain", 1,
        r"too large|not valid JSON"),  # a trace is over the board's 2 KB for a config
    Row("config-set-bad-value", ("config", "set", "cue_ring=zero", "--port", "{missing}"),
        "plain", 2, r"cue_ring"),
    Row("flash-unknown-board", ("flash", "--board", "vax", "--port", "{missing}"), "plain", 2,
        r"unknown board"),
    Row("flash-make-room-no-board", ("flash", "--make-room"), "plain", 1,
        r"no board found.*(plug one in|--port)"),
    Row("report-no-store-yet", ("report",), "plain", 1, r"no call logs yet.*ringcue logs pull"),
    Row("report-db-missing", ("report", "--db", "{missing}/s.db"), "plain", 2, r"no such store"),
    Row("report-db-folder", ("report", "--db", "{missing_parent}"), "plain", 2,
        r"not a ringcue store"),
    Row("report-db-foreign", ("report", "--db", "{foreign}"), "plain", 2,
        r"not a ringcue store"),
    Row("report-db-damaged", ("report", "--db", "{damaged}"), "plain", 1, r"damaged"),
    Row("report-db-empty-store", ("report", "--db", "{empty}"), "plain", 1,
        r"no call logs yet.*ringcue logs pull"),
    Row("report-out-missing-folder", ("report", "--db", "{store}", "--out", "{missing}/r.html"),
        "plain", 2, r"no such folder"),
    Row("report-out-unwritable", ("report", "--db", "{store}", "--out", "{ro}/r.html"), "plain",
        1, r"cannot write"),
    Row("report-xlsx-unwritable", ("report", "--db", "{store}", "--out", "{ro}/r.xlsx",
                                   "--with-calls"), "plain", 1, r"cannot write"),
    Row("report-out-a-folder", ("report", "--db", "{store}", "--out", "{missing_parent}",
                                "--format", "csv"), "plain", 2, r"is a (folder|directory)"),
    Row("report-bad-extension", ("report", "--db", "{store}", "--out", "{old}.pdf"), "plain", 2,
        r"cannot tell the format"),
    Row("report-unknown-desk", ("report", "--db", "{store}", "--desk", "Nowhere"), "plain", 2,
        r"no desk called 'Nowhere'"),
    Row("report-empty-selection", ("report", "--db", "{store}", "--from", "2030-01-01"),
        "plain", 1, r"no calls in the store for that selection"),
    Row("report-bad-date", ("report", "--db", "{store}", "--from", "yesterday"), "plain", 2,
        r"not a date"),
    Row("report-bad-zone", ("report", "--db", "{store}", "--tz", "Mars/Olympus"), "plain", 2,
        r"not a time zone"),
    Row("logs-export-no-store-yet", ("logs", "export"), "plain", 1, r"no call logs yet"),
    Row("logs-export-db-missing", ("logs", "export", "--db", "{missing}/s.db"), "plain", 2,
        r"no such store"),
    Row("logs-export-out-missing-folder", ("logs", "export", "--db", "{store}", "--out",
                                           "{missing}/x.csv"), "plain", 2, r"no such folder"),
    Row("logs-export-out-unwritable", ("logs", "export", "--db", "{store}", "--out",
                                       "{ro}/x.csv"), "plain", 1, r"cannot write"),
    Row("logs-export-db-damaged", ("logs", "export", "--db", "{damaged}"), "plain", 1,
        r"damaged"),
    # ring groups
    Row("groups-list-no-store-yet", ("groups", "list"), "plain", 1, r"no call logs yet"),
    Row("groups-list-db-missing", ("groups", "list", "--db", "{missing}/s.db"), "plain", 2,
        r"no such store"),
    Row("groups-add-db-foreign", ("groups", "add", "Front", "Lobby", "--db", "{foreign}"),
        "plain", 2, r"not a ringcue store"),
    Row("groups-add-db-damaged", ("groups", "add", "Front", "Lobby", "--db", "{damaged}"),
        "plain", 1, r"damaged"),
    Row("groups-add-unknown-desk", ("groups", "add", "Front", "Nowhere", "--db", "{store}"),
        "plain", 2, r"no desk called 'Nowhere'.*pulled"),
    Row("groups-add-bad-name", ("groups", "add", " ", "Nowhere", "--db", "{store}"), "plain",
        2, r"not a group name"),
    Row("groups-remove-unknown-group", ("groups", "remove", "Nowhere", "--db", "{store}"),
        "plain", 2, r"no group called 'Nowhere'"),
    # virtual boards
    *[Row(f"sim-{c}-none-running", (("sim",) + tuple(c.split())), "plain", 1,
          r"no virtual board is running")
      for c in ("ring", "hook off", "power-cycle", "status", "stop")],
    Row("sim-trace-none-running", ("sim", "trace", "{trace}"), "plain", 1,
        r"no virtual board is running"),
    Row("sim-trace-missing", ("sim", "trace", "{missing}/x.trace"), "plain", 2,
        r"no such trace"),
    Row("sim-trace-not-a-trace", ("sim", "trace", "{store}"), "plain", 2, r"not a text trace"),
    Row("sim-ring-bad-cadence", ("sim", "ring", "--cadence", "mars"), "plain", 2, r"mars"),
    Row("sim-hook-neither", ("sim", "hook"), "plain", 2, r"either STATE"),
    Row("sim-hook-both", ("sim", "hook", "off", "--caller-clears", "400"), "plain", 2,
        r"either STATE"),
    Row("sim-hook-clear-too-long", ("sim", "hook", "--caller-clears", "99999"), "plain", 2,
        r"caller-clears"),
    Row("sim-hook-clear-none-running", ("sim", "hook", "--caller-clears", "400"), "plain", 1,
        r"no virtual board"),
    Row("sim-start-bad-name", ("sim", "start", "--name", "../x"), "plain", 2,
        r"invalid board name"),
    Row("sim-start-too-slow", ("sim", "start", "--baud", "2400"), "plain", 2,
        r"--baud.*9600"),
    Row("sim-start-pico-bootrom-missing", ("sim", "start", "--board", "pico", "--bootrom",
                                           "{missing}/b1.bin"), "plain", 1,
        r"cannot read the RP2040 boot ROM"),
    Row("sim-setup-pico-home-unwritable", ("sim", "setup-pico"), "home-unwritable", 1,
        # (without Node.js, that is what it says first)
        r"cannot install the emulator.*(permission|read-only|not permitted)|Node\.js"),
    Row("sim-fleet-exists", ("sim", "fleet", "--db", "{store}"), "plain", 2, r"exists"),
    Row("sim-fleet-missing-folder", ("sim", "fleet", "--db", "{missing}/f.db"), "plain", 2,
        r"no such folder"),
    Row("sim-fleet-unwritable", ("sim", "fleet", "--db", "{ro}/f.db"), "plain", 1,
        r"cannot write"),
    Row("sim-setup-pico-without-node", ("sim", "setup-pico"), "no-node", 1, r"Node\.js"),
    Row("demo-home-unwritable", ("demo", "--fast"), "home-unwritable", 1,
        r"cannot|permission|read-only|not permitted"),
    Row("unknown-command", ("frobnicate",), "plain", 2, r"No such command"),
    Row("mip-index-unknown-board", ("mip-index", "--out", "{missing}", "--board", "vax"),
        "plain", 2, r"vax"),
    Row("mip-index-out-a-file", ("mip-index", "--out", "{old}"), "plain", 2,
        r"(is a file|not a (folder|directory))"),
    Row("mip-index-out-unwritable", ("mip-index", "--out", "{ro}/mip"), "plain", 1,
        r"cannot|permission|not permitted"),
    # logs merge: the source must be a store with logs, proven by its records
    Row("logs-merge-missing-src", ("logs", "merge", "{missing}/x.db", "--db", "{store}"),
        "plain", 2, r"no such store"),
    Row("logs-merge-src-foreign", ("logs", "merge", "{foreign}", "--db", "{store}"), "plain",
        2, r"not a ringcue store"),
    Row("logs-merge-src-damaged", ("logs", "merge", "{damaged}", "--db", "{store}"), "plain",
        1, r"damaged"),
    Row("logs-merge-src-empty", ("logs", "merge", "{empty}", "--db", "{store}"), "plain", 1,
        r"no call logs yet"),
    Row("logs-merge-into-itself", ("logs", "merge", "{store}", "--db", "{store}"), "plain", 2,
        r"is the store to merge into"),
    Row("logs-merge-tampered", ("logs", "merge", "{tampered}", "--db", "{store}"), "plain", 1,
        r"record 5 of board e66141040b1b3c2a fails its CRC check.*nothing was merged"),
    Row("logs-merge-db-missing-folder", ("logs", "merge", "{store}", "--db", "{missing}/x.db"),
        "plain", 2, r"no such folder"),
    Row("logs-merge-no-src", ("logs", "merge"), "plain", 2, r"Missing argument"),
    # a PostgreSQL store (--db URL): no server there, a wrong password, a
    # database of another program, a malformed URL; the password is never shown
    Row("report-db-unreachable", ("report", "--db", PG_DOWN), "plain", 1,
        r"postgresql://ringcue@127\.0\.0\.1:1/calls: cannot connect.*refused"),
    Row("logs-export-db-unreachable", ("logs", "export", "--db", PG_DOWN), "plain", 1,
        r"cannot connect"),
    Row("logs-merge-db-unreachable", ("logs", "merge", "{store}", "--db", PG_DOWN), "plain", 1,
        r"cannot connect"),
    Row("logs-merge-src-unreachable", ("logs", "merge", PG_DOWN, "--db", "{store}"), "plain", 1,
        r"cannot connect"),
    Row("logs-pull-db-unreachable", ("logs", "pull", "--db", PG_DOWN, "--port", "{port}"),
        "flashed", 1, r"cannot connect"),
    Row("report-db-bad-url", ("report", "--db", "postgresql://ringcue:s3cret-pw@[::1/x"),
        "plain", 2, r"not a PostgreSQL URL|cannot connect"),
    Row("report-db-wrong-password", ("report", "--db", "{pg_badpw}"), "pg", 1,
        r"password authentication failed"),
    Row("logs-merge-db-wrong-password", ("logs", "merge", "{store}", "--db", "{pg_badpw}"),
        "pg", 1, r"password authentication failed"),
    Row("report-db-not-ringcue", ("report", "--db", "{pg_foreign}"), "pg", 2,
        r"not a ringcue store.*invoices"),
    Row("logs-merge-db-not-ringcue", ("logs", "merge", "{store}", "--db", "{pg_foreign}"),
        "pg", 2, r"not a ringcue store.*invoices"),
    Row("report-db-empty-database", ("report", "--db", "{pg_empty}"), "pg", 2,
        r"no ringcue store in this database"),
]


HOLD_PTY = """
import fcntl, os, sys, time
master, slave = os.openpty()
name = os.ttyname(slave)
if sys.argv[1] == "busy":
    f = open(name, "rb", buffering=0)
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
print(name, flush=True)
time.sleep(300)
"""


def _unwritable_folder(tmp: Path) -> Path:
    """A folder nobody can create files in (root ignores modes: /sys then)."""
    d = tmp / "read-only"
    d.mkdir()
    d.chmod(0o555)
    try:
        (d / "probe").touch()
    except OSError:
        return d
    (d / "probe").unlink()
    return Path("/sys")


def _snapshot(*roots):
    out = {}
    for root in roots:
        for p in sorted(Path(root).rglob("*")):
            # not compared: running virtual boards, and the compiled-firmware cache
            if p.is_file() and not {"sims", "builds"} & set(p.relative_to(root).parts):
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="session")
def golden(tmp_path_factory):
    """A flash image with the firmware installed (made once per worker)."""
    d = tmp_path_factory.mktemp("golden")
    with VirtualBoard(d, name="golden") as vb:
        flash(vb.port, "sim")
    return d / "flash.img"


def _board(tmp: Path, image: Path | None, name: str) -> VirtualBoard:
    d = tmp / f"board-{name}"
    d.mkdir(parents=True, exist_ok=True)
    if image:
        shutil.copy(image, d / "flash.img")
    return VirtualBoard(d, name=name).start()


@pytest.fixture(scope="session")
def blank_board(tmp_path_factory):
    vb = _board(tmp_path_factory.mktemp("blank"), None, "blank")
    yield vb
    vb.stop()


@pytest.fixture(scope="session")
def flashed_board(tmp_path_factory, golden):
    vb = _board(tmp_path_factory.mktemp("flashed"), golden, "flashed")
    assert vb.wait_ready()
    yield vb
    vb.stop()


def _stop_at_repl(port: str) -> None:
    """Ctrl-C the firmware, as a stock `mpremote` command leaves it."""
    import serial

    with serial.Serial(port, 115200, timeout=0.2) as s:
        s.write(b"\r\x03\x03")
        seen = b""
        end = time.monotonic() + 10
        while b">>> " not in seen and time.monotonic() < end:
            seen += s.read(256)
            if not seen.endswith(b">>> "):
                s.write(b"\r")
        assert b">>> " in seen, seen[-200:]


def _workspace(tmp_path: Path):
    """A row's own folder: a store with a call, an empty store, another
    program's database, a damaged store, yesterday's report, RINGCUE_HOME
    and a working directory. Returns (ctx, env, roots to compare)."""
    work = tmp_path / "work"
    home = tmp_path / "home"
    for d in (work, home, tmp_path / "cwd"):
        d.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("RINGCUE_PORT", "RINGCUE_DB")}
    env["RINGCUE_HOME"] = str(home)
    env["COLUMNS"] = "200"
    store = work / "store.db"
    from ringcue.store.sqlite import Store

    s = Store(store)
    s.db.execute("INSERT INTO devices(device_id, board, desk, fw) VALUES ('b1', 'sim', "
                 "'Front', '0.1.0')")
    s.db.execute("INSERT INTO calls(device_id, seq, desk, boot, ticks, rings, outcome, "
                 "answer_ms, cue, alarm, profile, wall_ms, clock) VALUES ('b1', 1, 'Front', "
                 "1, 1, 2, 'answered', 3000, 1, 0, 'uk', 1774000000000, 'synced')")
    s.db.commit()
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    empty = work / "empty.db"
    Store(empty).close()
    foreign = work / "foreign.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    tampered = work / "tampered.db"  # a laptop's store with record 5 of a board edited
    shutil.copy(V0_STORE, tampered)
    db = sqlite3.connect(tampered)
    where = "WHERE device_id = 'e66141040b1b3c2a' AND seq = 5"
    raw = bytearray(db.execute(f"SELECT raw FROM records {where}").fetchone()[0])
    raw[17] ^= 0x06  # the call's rings: its CRC no longer matches
    db.execute(f"UPDATE records SET raw = ? {where}", (bytes(raw),))
    db.commit()
    db.close()
    damaged = work / "damaged.db"
    raw = bytearray(store.read_bytes())
    raw[4096:] = b"\xa5" * (len(raw) - 4096)
    damaged.write_bytes(bytes(raw))
    old = work / "old.csv"
    old.write_text("a report from yesterday\n")
    ctx = {"trace": str(TRACE), "store": str(store), "missing": str(tmp_path / "no-such"),
           "missing_parent": str(work), "foreign": str(foreign), "damaged": str(damaged),
           "empty": str(empty), "old": str(old), "tampered": str(tampered), "ro": str(_unwritable_folder(tmp_path)),
           "port": "/dev/ringcue-no-such-port"}
    return ctx, env, [work, home, tmp_path / "cwd"]


def _hold_pty(kind: str):
    """A pty held open by another process, which answers nothing (for
    "busy" it also holds the exclusive lock, as pyserial's exclusive=True
    does). Returns (process, port)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_PTY, kind], stdout=subprocess.PIPE)
    port = holder.stdout.readline().decode().strip()
    assert port.startswith("/dev/"), port
    return holder, port


@pytest.fixture(scope="session")
def silent_results(tmp_path_factory):
    """The silent-port rows all at once: each waits out the same timeouts
    (about 12 s), so they run side by side instead of one after another."""
    base = tmp_path_factory.mktemp("silent")
    runs = {}
    for row in ROWS:
        if row.scenario != "silent":
            continue
        ctx, env, roots = _workspace(base / row.id)
        holder, ctx["port"] = _hold_pty("silent")
        before = _snapshot(*roots)
        p = subprocess.Popen([RINGCUE] + [a.format(**ctx) for a in row.args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=roots[2], stdin=subprocess.DEVNULL)
        runs[row.id] = (p, holder, roots, before)
    results = {}
    for rid, (p, holder, roots, before) in runs.items():
        try:
            out, err = p.communicate(timeout=ROW_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += "\n(timed out)"
        holder.kill()
        holder.wait()
        results[rid] = (p.returncode, out, err, before, _snapshot(*roots))
    return results


@pytest.fixture
def scenario_env(request, tmp_path):
    """The row's folder, environment and port."""
    row: Row = request.param
    ctx, env, roots = _workspace(tmp_path)
    held = []  # processes to end
    dropped = []  # PostgreSQL databases to drop
    board = None
    if row.scenario == "busy":
        holder, ctx["port"] = _hold_pty("busy")
        held.append(holder)
    elif row.scenario == "blank":
        ctx["port"] = request.getfixturevalue("blank_board").port
    elif row.scenario == "flashed":
        ctx["port"] = request.getfixturevalue("flashed_board").port
    elif row.scenario == "repl":
        board = _board(tmp_path, request.getfixturevalue("golden"), "repl")
        assert board.wait_ready()
        _stop_at_repl(board.port)
        ctx["port"] = board.port
    elif row.scenario == "pulled-flash":
        board = _board(tmp_path, None, "pulled")
        ctx["port"] = board.port
    elif row.scenario in ("pulled-selftest", "pulled-monitor"):
        board = _board(tmp_path, request.getfixturevalue("golden"), "pulled")
        assert board.wait_ready()
        ctx["port"] = board.port
    elif row.scenario == "no-node":  # a PATH with Python but no node or npm
        env["PATH"] = str(Path(sys.executable).parent)
    elif row.scenario == "home-unwritable":
        env["RINGCUE_HOME"] = str(Path(ctx["ro"]) / "ringcue-home")
    elif row.scenario == "pg":  # a PostgreSQL server (skips, saying so, without one)
        import psycopg
        import pgserver

        admin = pgserver.admin_url()
        ctx["pg_badpw"] = pgserver.with_database(admin, "postgres", password=PASSWORD)
        for key in ("pg_foreign", "pg_empty"):
            name = pgserver.create_database(admin)
            dropped.append((admin, name))
            ctx[key] = pgserver.with_database(admin, name)
        with psycopg.connect(ctx["pg_foreign"], autocommit=True) as c:
            c.execute("CREATE TABLE invoices (id integer PRIMARY KEY)")
    try:
        yield row, ctx, env, roots, board
    finally:
        for admin, name in dropped:
            import pgserver

            pgserver.drop_database(admin, name)
        for h in held:
            h.kill()
            h.wait()
        if board:
            board.stop()


def _run(row, ctx, env, cwd, board):
    args = [RINGCUE] + [a.format(**ctx) for a in row.args]
    if row.scenario == "repl" and row.args[0] == "monitor":  # runs until Ctrl-C
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=cwd, stdin=subprocess.DEVNULL)
        err = ""
        while True:
            line = p.stderr.readline()
            err += line
            if not line or line.startswith("ringcue: monitoring"):
                break
        p.send_signal(signal.SIGINT)
        out, rest = p.communicate(timeout=ROW_TIMEOUT)
        return p.returncode, out, err + rest
    if not row.scenario.startswith("pulled"):
        p = subprocess.run(args, capture_output=True, text=True, timeout=ROW_TIMEOUT, env=env,
                           cwd=cwd, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    # start the command, pull the cable once it is talking to the board
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    stream, cue = {"pulled-flash": (p.stderr, "installing build"),
                   "pulled-selftest": (p.stdout, "LED and buzzer"),
                   "pulled-monitor": (p.stderr, "monitoring")}[row.scenario]
    seen = {p.stdout: "", p.stderr: ""}
    while True:  # flash: once uploading; selftest, monitor: once they watch the board
        line = stream.readline()
        seen[stream] += line
        if not line or cue in line:
            break
    board.stop()
    if row.scenario != "pulled-flash":  # they wait for the board: once they say so, Ctrl-C
        while True:
            line = p.stderr.readline()
            seen[p.stderr] += line
            if not line or "waiting" in line:
                break
        p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=ROW_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, seen[p.stdout] + out, seen[p.stderr] + err


WAITS = ("pulled-selftest", "pulled-monitor")


@pytest.mark.parametrize("scenario_env", [r.param() for r in ROWS], indirect=True)
def test_every_failure_is_one_line_and_changes_nothing(scenario_env, request):
    row, ctx, env, roots, board = scenario_env
    if row.scenario == "silent":  # already run, side by side with the others
        code, out, err, before, after = request.getfixturevalue("silent_results")[row.id]
    else:
        before = _snapshot(*roots)
        code, out, err = _run(row, ctx, env, roots[2], board)
        after = _snapshot(*roots)
    text = out + err
    assert "Traceback" not in text and "internal error" not in text, text
    assert PASSWORD not in text, text  # a store URL's password is never echoed
    assert "Error:" not in err and "Usage:" not in err, err  # click's three-line form
    said = [line for line in err.splitlines() if line.startswith("ringcue:")]
    if row.scenario == "repl":  # the notice, the restart, then the command does its job
        assert code == 0 and re.search(row.msg, said[0]), (code, err)
        assert [x for x in said[1:] if not x.startswith("ringcue: monitoring")] == \
            [said[1]] and "runs again" in said[1], err
        return
    if row.scenario in WAITS:  # they say the loss and that they wait, in one line
        lost = [i for i, line in enumerate(said) if re.search(r"lost the board.*waiting", line)]
        assert lost, err
        # Ctrl-C is how one stops them: nothing more to say, exit 0
        assert said[lost[0] + 1:] == [] and code == 0, (code, err)
        return
    assert len(said) == 1, err
    assert err.rstrip().splitlines()[-1] == said[0], err  # nothing after it
    assert re.search(row.msg, said[0], re.I), said[0]
    assert code == row.code, (code, said[0])
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"a failed command created or changed {changed}"


def test_the_table_covers_every_command():
    """A new command must get rows here: every leaf command appears in one."""
    import click

    def leaves(group, prefix=()):
        for name, cmd in group.commands.items():
            if isinstance(cmd, click.Group):
                yield from leaves(cmd, prefix + (name,))
            else:
                yield prefix + (name,)

    covered = {tuple(a for a in r.args if not a.startswith(("-", "{")) and "=" not in a)
               for r in ROWS}
    exempt = {("ports",), ("sim", "list")}  # nothing to fail: they list what is there
    for leaf in leaves(cli):
        if leaf in exempt:
            continue
        assert any(c[:len(leaf)] == leaf for c in covered), f"no failure rows for {leaf}"


def test_a_port_held_elsewhere_is_busy_with_flock(tmp_path):
    """The busy scenario is real: pyserial's own exclusive open fails on it."""
    import serial

    master, slave = os.openpty()
    name = os.ttyname(slave)
    f = open(name, "rb", buffering=0)
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with pytest.raises(serial.SerialException, match="exclusively lock"):
            serial.Serial(name, exclusive=True)
    finally:
        f.close()
        os.close(master)
        os.close(slave)
