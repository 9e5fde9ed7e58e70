"""`ringcue flash`: install the firmware on a board, safely and quickly.

Board layout:
    /main.py               boot loader (firmware/main.py), never changes
    /fw/current            name of the build to run
    /fw/previous           the build before it (fallback)
    /fw/<build>/           board.py, ringcue_core/*.mpy, ringcue_fw/*.mpy,
                           MANIFEST.json (sha256 of every file, written last)
    /ringcue.json          configuration (kept across flashes)

A build's name is the hash of its files, so an unchanged firmware is
recognised at once. Files already on the board are copied on the board, new
ones are uploaded to `.part` files and renamed; every file is verified by
hash; only then is /fw/current switched, with one rename.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ringcue_core import config as cfgschema

from .devicefs import DeviceFS, FlashFull, sha256
from .errors import UserError
from .mpy import compile_tree
from .paths import BOARDS_DIR, FIRMWARE_DIR

# board name -> sys.platform it must report
BOARD_PLATFORM = {"sim": "linux", "pico": "rp2", "esp32c3": "esp32"}
MIN_VERSION = (1, 22, 0)
MPY_MAJOR = 6


def boards() -> list[str]:
    return sorted(p.name for p in BOARDS_DIR.iterdir() if (p / "board.py").exists())


def build_firmware(board: str, variant: str = "") -> dict[str, bytes]:
    """{path on board (relative to the build dir): bytes}, compiled .mpy.
    `variant` prefixes the source names recorded in the .mpy files, which
    makes a different but equivalent build (the tests use it)."""
    src = BOARDS_DIR / board / "board.py"
    if not src.exists():
        raise UserError(f"unknown board {board!r} (choose from: {', '.join(boards())})")
    files = {"board.py": src.read_bytes()}
    with tempfile.TemporaryDirectory() as tmp:
        for out in compile_tree(FIRMWARE_DIR, Path(tmp), ("ringcue_core", "ringcue_fw"),
                                source_prefix=variant):
            files[out.relative_to(tmp).as_posix()] = out.read_bytes()
    return files


def build_id(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p] + b"\0")
    return h.hexdigest()[:12]


@dataclass
class FlashResult:
    build: str
    uploaded: list[str] = field(default_factory=list)
    copied_on_board: list[str] = field(default_factory=list)
    bytes_sent: int = 0
    up_to_date: bool = False
    config: dict | None = None
    seconds: float = 0.0
    device: dict = field(default_factory=dict)


def check_device(info: dict, board: str) -> None:
    mpy_major = info["mpy"] & 0xFF
    ver = tuple(info["version"])
    vtxt = ".".join(map(str, ver))
    if ver < MIN_VERSION or mpy_major != MPY_MAJOR:
        raise UserError(
            f"this board runs MicroPython {vtxt} (.mpy v{mpy_major}); ringcue needs "
            f"MicroPython {'.'.join(map(str, MIN_VERSION))} or newer (.mpy v{MPY_MAJOR}). "
            "Install a current MicroPython release on it, then flash again.")
    want = BOARD_PLATFORM.get(board)
    if want and info["platform"] != want:
        guess = [b for b, p in BOARD_PLATFORM.items() if p == info["platform"]]
        hint = f" — use --board {guess[0]}" if guess else ""
        raise UserError(f"this is a {info['platform']} board, not a {board} board{hint}")


def merged_config(current_text: str | None, changes: dict) -> dict:
    try:
        current = json.loads(current_text) if current_text else {}
    except ValueError:
        current = {}
    base, _ = cfgschema.validate(current if isinstance(current, dict) else {})
    cfg, errors = cfgschema.validate(changes, base)
    if errors:
        raise UserError("invalid configuration: " + "; ".join(errors))
    return cfg


def flash(port: str, board: str, config_changes: dict | None = None, progress=None,
          step=lambda msg: None, files: dict[str, bytes] | None = None) -> FlashResult:
    t0 = time.monotonic()
    step("compiling firmware with mpy-cross")
    files = files or build_firmware(board)
    bid = build_id(files)
    want = {p: sha256(d) for p, d in files.items()}
    boot = (FIRMWARE_DIR / "main.py").read_bytes()
    res = FlashResult(build=bid)
    with DeviceFS(port) as dev:
        step(f"connecting to {port}")
        dev.enter()
        res.device = info = dev.info()
        check_device(info, board)
        cur = (dev.read_text("/fw/current") or "").strip()
        cur_tree = dev.tree(f"/fw/{cur}") if cur else {}
        main_ok = dev.eval_json("_rc_hash('/main.py') if not _rc_isdir('/main.py') and "
                                "'main.py' in os.listdir('/') else None") == sha256(boot)
        if cur == bid and {k: v for k, v in cur_tree.items() if k != "MANIFEST.json"} == want \
                and main_ok:
            res.up_to_date = True
        else:
            new = f"/fw/{bid}"
            have_new = dev.tree(new)  # a flash that was interrupted: keep its whole files
            todo = [p for p in sorted(files) if have_new.get(p) != want[p]]
            upload = [p for p in todo if cur_tree.get(p) != want[p]]
            need = sum(len(files[p]) for p in upload) + len(boot) + 4 * 4096
            free = dev.free_bytes()
            if need > free:
                raise FlashFull(f"the board's flash is full: this firmware needs {need // 1024} KB "
                                f"free, the board has {free // 1024} KB. Delete old files "
                                f"(e.g. `mpremote connect {port} fs rm -r :/fw`) and flash again.")
            total = sum(len(files[p]) for p in upload)
            if progress:
                progress(0, total)
            step(f"installing build {bid}: {len(upload)} files to upload, "
                 f"{len(todo) - len(upload)} already on the board")
            made = set()
            for p in todo:
                d = f"{new}/{p}".rsplit("/", 1)[0]
                if d not in made:
                    dev.mkdirs(d)
                    made.add(d)
                if p in upload:
                    dev.put(f"{new}/{p}", files[p],
                            (lambda n: progress(n, total)) if progress else None)
                    res.uploaded.append(p)
                    res.bytes_sent += len(files[p])
                else:
                    dev.copy(f"/fw/{cur}/{p}", f"{new}/{p}")
                    res.copied_on_board.append(p)
            step("verifying every file by sha256 on the board")
            got = {k: v for k, v in dev.tree(new).items() if k != "MANIFEST.json"}
            if got != want:
                bad = sorted(p for p in want if got.get(p) != want[p])
                raise UserError(f"verification failed for {', '.join(bad)}; flash again")
            dev.put(f"{new}/MANIFEST.json", json.dumps(want, sort_keys=True).encode())
            if not main_ok:
                dev.put("/main.py", boot)
            if cur and cur != bid:
                dev.put("/fw/previous", cur.encode())
            dev.put("/fw/current", bid.encode())  # the switch
            step("removing old builds")
            keep = {bid, cur}
            for name in dev.eval_json("[e[0] for e in os.ilistdir('/fw') if e[1] == 0x4000]"):
                if name not in keep:
                    dev.rmtree(f"/fw/{name}")
        if config_changes:
            cfg = merged_config(dev.read_text("/ringcue.json"), config_changes)
            dev.put("/ringcue.json", json.dumps(cfg).encode())
            res.config = cfg
        step("restarting the board")
        dev.soft_reset()
    res.seconds = time.monotonic() - t0
    return res


def confirm(port: str, build: str, timeout: float = 10.0) -> dict:
    """Wait for the new firmware to answer hello with the expected build."""
    from .client import BoardClient, BoardTimeout

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with BoardClient.open(port) as b:
                hello = b.call("hello", timeout=1.0, retries=0)
            if hello.get("build") != build:
                raise UserError(f"the board runs build {hello.get('build')!r}, not {build!r}")
            return hello
        except (BoardTimeout, OSError) as e:
            last = e
            time.sleep(0.2)
    raise UserError(f"the board did not come back after flashing ({last})")
