"""Hostile /ringcue.json files (issue #13): 7 of 60 stopped the firmware at
boot. Here 60 of them go through the firmware's own config loader inside
MicroPython, at a small heap; tests/e2e/test_config_hostile_board.py boots
the virtual board on a few and repairs them with `ringcue config set`."""

import json
import random
import subprocess
from pathlib import Path

import pytest

from ringcue.paths import micropython_exe, mp_env
from ringcue_core import config
from targets import TESTS_DIR

HERE = TESTS_DIR

rng = random.Random(13)
VALID = {  # files a board may really hold: loaded as they are
    "full": b'{"desk": "Front", "profile": "uk", "cue_ring": 2, "alarm_after": 3, '
            b'"buzzer": false}',
    "emoji": '{"desk": "Lobby \U0001f4de"}'.encode(),
    "partial": b'{"cue_ring": 3}',
    "unnamed": b'{"desk": ""}',
    "spaces": b'  \n {"buzzer": true}\n\n',
}
HOSTILE = {
    "empty": b"", "whitespace": b" \n\t ", "null": b"null", "list": b"[]", "string": b'"x"',
    "number": b"42", "true": b"true", "open_brace": b"{", "truncated": b'{"desk": "Fro',
    "bad_utf8": b'\xff\xfe{"desk": "a"}', "bom": b'\xef\xbb\xbf{"desk": "a"}',
    "huge": b"{" + b" " * 1_000_000 + b"}", "huge_value": b'{"desk": "' + b"x" * 10_000 + b'"}',
    "just_over": b'{"desk": "a"' + b" " * 2040 + b"}",
    "deep": b"[" * 1000 + b"]" * 1000, "deep_value": b'{"desk": ' + b"[" * 50 + b"]" * 50 + b"}",
    "many_unknown": json.dumps({f"k{i}": i for i in range(100)}).encode(),
    "long_key": json.dumps({"k" * 1000: 1}).encode(),
    "nested_unknown": b'{"x": {"y": {"z": {}}}}',
    "desk_int": b'{"desk": 5}', "desk_null": b'{"desk": null}', "desk_list": b'{"desk": ["a"]}',
    "desk_obj": b'{"desk": {"x": 1}}', "desk_long": b'{"desk": "' + b"x" * 33 + b'"}',
    "desk_nul": b'{"desk": "\\u0000"}', "desk_bell": b'{"desk": "a\\u0007"}',
    "desk_lone_surrogate": b'{"desk": "\\ud83d"}',
    "desk_escaped_pair": b'{"desk": "\\ud83d\\udcde"}',
    "profile_mars": b'{"profile": "mars"}', "profile_int": b'{"profile": 1}',
    "cue_negative": b'{"cue_ring": -1}', "cue_zero": b'{"cue_ring": 0}',
    "cue_ten": b'{"cue_ring": 10}', "cue_float": b'{"cue_ring": 2.5}',
    "cue_string": b'{"cue_ring": "2"}', "cue_bool": b'{"cue_ring": true}',
    "cue_inf": b'{"cue_ring": 1e999}', "cue_bigint": b'{"cue_ring": 99999999999999999999999999}',
    "alarm_negative": b'{"alarm_after": -5}', "alarm_before_cue": b'{"alarm_after": 1, "cue_ring": 5}',
    "buzzer_string": b'{"buzzer": "yes"}', "buzzer_int": b'{"buzzer": 1}',
    "buzzer_null": b'{"buzzer": null}', "nan": b'{"cue_ring": NaN}',
    "infinity": b'{"cue_ring": Infinity}', "trailing_comma": b'{"desk": "a",}',
    "comment": b'// config\n{"desk": "a"}', "single_quotes": b"{'desk': 'a'}",
    "zeros": b"\x00" * 100, "random": bytes(rng.randrange(256) for _ in range(300)),
    "garbage_after": b'{"desk": "a"} xyz', "two_objects": b"{}{}",
    "nul_first": b'\x00{"desk": "a"}', "neg_zero": b'{"cue_ring": -0}',
    "desk_newline": b'{"desk": "a\\nb"}', "profile_empty": b'{"profile": ""}',
    "array_of_objects": b'[{"desk": "a"}]',
    "unknown_and_bad": b'{"desk": 1, "profile": 2, "cue_ring": 3.5, "x": 1, "y": 2, "z": 3}',
}
LENIENT = {"trailing_comma"}  # MicroPython's json.loads accepts {"desk": "a",}
FOLDERS = {"folder": [], "folder_with_files": ["a", "b"]}  # a folder named ringcue.json


def files(tmp_path):
    paths = {}
    for name, data in {**VALID, **HOSTILE}.items():
        d = tmp_path / name
        d.mkdir()
        (d / "ringcue.json").write_bytes(data)
        paths[name] = d / "ringcue.json"
    for name, inside in FOLDERS.items():
        p = tmp_path / name / "ringcue.json"
        p.mkdir(parents=True)
        for f in inside:
            (p / f).write_text("x")
        paths[name] = p
    paths["missing"] = tmp_path / "missing" / "ringcue.json"
    return paths


@pytest.mark.micropython
def test_no_config_file_stops_the_firmware(tmp_path):
    paths = files(tmp_path)
    hostile = len(HOSTILE) + len(FOLDERS)
    assert hostile == 60
    p = subprocess.run([micropython_exe(), "-X", "heapsize=96k",
                        str(HERE / "mp" / "config_hostile.py"), *map(str, paths.values())],
                       env=mp_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    got = {Path(r["path"]).parent.name: r for r in map(json.loads, p.stdout.splitlines())}
    crashed = {k: r["crash"] for k, r in got.items() if "crash" in r}
    print(f"{len(got)} files, {len(crashed)} would stop the firmware: {crashed}")
    assert crashed == {}
    silent = sorted(k for k, r in got.items() if k in HOSTILE and not r["errors"])
    print("hostile files taken without a reported problem:", silent)
    for name, r in got.items():
        assert r["valid"], (name, r)  # always a whole, valid configuration to run on
        if name in VALID:
            assert r["errors"] == [] and r["source"] == "file", (name, r)
        elif name == "missing":
            assert r["errors"] == [] and r["source"] == "defaults"
        elif name in LENIENT:  # MicroPython's json takes it: the values are fine
            assert r["errors"] == [] and r["config"]["desk"] == "a", (name, r)
        else:  # reported (status, info, the log), never silently half-used
            assert r["errors"] and r["source"] in ("defaults", "file+defaults"), (name, r)
            assert all(len(e) < 300 for e in r["errors"]) and len(r["errors"]) <= 5, (name, r)
    assert got["emoji"]["config"]["desk"] == "Lobby \U0001f4de"
    assert got["unknown_and_bad"]["errors"][-1] == "and 2 more"


def test_the_host_schema_agrees_on_the_edge_cases():
    assert config.validate({"desk": "a\x07"})[1]
    assert config.validate({"cue_ring": float("inf")})[1]
