"""The `ringcue` command as a technician runs it against virtual boards."""

import subprocess
import sys
from pathlib import Path

RINGCUE = str(Path(sys.executable).parent / "ringcue")


def rc(env, *args):
    """Run `ringcue args` in `env`: (exit code, stdout + stderr)."""
    p = subprocess.run([RINGCUE, *args], capture_output=True, text=True, timeout=60, env=env)
    return p.returncode, p.stdout + p.stderr
