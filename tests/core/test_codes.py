"""The codes the board writes and the host reads (ringcue_core.codes): one
home, and numbers that never change. Call logs on flash and in stores keep
them for years, so a renumbered or reused code would misread old logs."""

import ast
from pathlib import Path

from ringcue.store.records import decode_payload
from ringcue_core import codes, logfmt
from ringcue_core.profiles import PROFILES, get_profile

ROOT = Path(__file__).resolve().parents[2]

# What boards in the field have written (append here when a code is added;
# never change a row).
SHIPPED = {
    "ACT_RING": 1, "ACT_CUE_ON": 2, "ACT_CUE_OFF": 3, "ACT_ALARM_ON": 4,
    "ACT_ALARM_OFF": 5, "ACT_ANSWER": 6, "ACT_CALL_END": 7, "ACT_HANGUP": 8,
    "OUTCOME_ANSWERED": 1, "OUTCOME_ABANDONED": 2, "OUTCOME_UNKNOWN": 3,
    "OUTCOME_MASK": 0x0F, "FLAG_CUE": 0x10, "FLAG_ALARM": 0x20,
    "REC_BOOT": 1, "REC_CALL": 2, "REC_HANGUP": 3, "REC_TIME_SYNC": 4,
    "REC_CONFIG": 5, "REC_FAULT": 6, "REC_STILL_HERE": 7,
}
SHIPPED_PROFILE_IDS = ("universal", "us", "uk", "au", "de", "fr", "jp")
GROUPS = ("ACT_", "OUTCOME_", "FLAG_", "REC_")


def code_names():
    return [n for n in vars(codes) if n.startswith(GROUPS)]


def test_shipped_codes_keep_their_numbers():
    assert {n: getattr(codes, n) for n in SHIPPED} == SHIPPED
    assert codes.PROFILE_IDS[:len(SHIPPED_PROFILE_IDS)] == SHIPPED_PROFILE_IDS
    assert codes.OUTCOME_NAMES[:4] == ("", "answered", "abandoned", "unknown")


def test_codes_are_distinct_within_their_group():
    for g in ("ACT_", "OUTCOME_", "REC_"):
        values = [getattr(codes, n) for n in code_names()
                  if n.startswith(g) and n not in ("OUTCOME_MASK", "OUTCOME_NAMES")]
        assert len(values) == len(set(values)), g
    outcomes = [getattr(codes, n) for n in code_names()
                if n.startswith("OUTCOME_") and n not in ("OUTCOME_MASK", "OUTCOME_NAMES")]
    flags = [getattr(codes, n) for n in code_names() if n.startswith("FLAG_")]
    # an outcome fits the mask, a flag lies outside it, and flags are single bits
    assert all(0 < o <= codes.OUTCOME_MASK for o in outcomes)
    assert all(f & codes.OUTCOME_MASK == 0 and f & (f - 1) == 0 for f in flags)
    assert len(flags) == len(set(flags))
    # every outcome has a name
    assert all(codes.OUTCOME_NAMES[o] for o in outcomes)


def test_every_profile_has_an_id_and_comes_back_from_a_call_record():
    assert list(PROFILES) == list(codes.PROFILE_IDS)
    for name in codes.PROFILE_IDS:
        get_profile(name)  # a full profile behind each id
        payload = logfmt.call_payload(3, codes.OUTCOME_ANSWERED | codes.FLAG_CUE, 4200, name)
        assert decode_payload(codes.REC_CALL, payload)["profile"] == name
    # a name the board does not know is stored as "none" (255), read as "?"
    payload = logfmt.call_payload(1, codes.OUTCOME_UNKNOWN, None, "zz")
    assert decode_payload(codes.REC_CALL, payload)["profile"] == "?"


def test_codes_are_defined_in_one_place():
    """No other module of the firmware, the host or the boards assigns a
    code name (importing one is fine)."""
    home = ROOT / "firmware" / "ringcue_core" / "codes.py"
    names = set(code_names()) | {"PROFILE_IDS", "OUTCOME_NAMES", "MAINTENANCE_MS"}
    elsewhere = []
    for top in ("firmware", "host_tools", "boards"):
        for py in (ROOT / top).rglob("*.py"):
            if py == home or "node_modules" in py.parts:
                continue
            for node in ast.walk(ast.parse(py.read_text(), str(py))):
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
                for t in targets:
                    if isinstance(t, ast.Name) and (t.id in names or t.id.startswith(GROUPS)):
                        elsewhere.append(f"{py.relative_to(ROOT)}:{node.lineno} {t.id}")
    assert elsewhere == []
