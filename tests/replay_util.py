"""Run traces through the core in CPython, or in batches inside MicroPython."""

import json
import subprocess
from pathlib import Path

from ringcue_core.profiles import get_profile
from ringcue_core.replay import replay_lines
from ringcue.paths import micropython_exe, mp_env

HERE = Path(__file__).resolve().parent


def replay_cpython(text, profile="universal", cue=2, alarm=3, t0=0):
    out = []
    replay_lines(text.splitlines(), get_profile(profile), cue, alarm, out.append, t0=t0)
    return out


def replay_micropython_batch(jobs, tmp_path, heapsize=None, mpy=False):
    """jobs: list of (name, text, profile, cue, alarm). One interpreter runs
    them all (tests/mp/replay_batch.py); returns {name: [lines]}."""
    manifest = tmp_path / "manifest.txt"
    with open(manifest, "w") as m:
        for i, (name, text, profile, cue, alarm) in enumerate(jobs):
            p = tmp_path / f"{i}.trace"
            p.write_text(text)
            m.write(f"{p} {profile} {cue} {alarm}\n")
    cmd = [micropython_exe()]
    if heapsize:
        cmd += ["-X", f"heapsize={heapsize}"]
    cmd += [str(HERE / "mp" / "replay_batch.py"), str(manifest)]
    env = mp_env()
    if mpy:  # run the core as mpy-cross output, as boards do
        from ringcue.board.mpy import compile_tree
        from ringcue.paths import FIRMWARE_DIR

        compile_tree(FIRMWARE_DIR, tmp_path / "mpy")
        env["MICROPYPATH"] = str(tmp_path / "mpy")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr + proc.stdout[-2000:]
    results, cur = {}, None
    names = [j[0] for j in jobs]
    for line in proc.stdout.splitlines():
        if line.startswith("@@ "):
            cur = names[int(line[3:])]
            results[cur] = []
        else:
            results[cur].append(line)
    return results


def calls(lines):
    """(rings, outcome) per call_end."""
    return [(e["rings"], e["outcome"]) for e in map(json.loads, lines)
            if e["event"] == "call_end"]
