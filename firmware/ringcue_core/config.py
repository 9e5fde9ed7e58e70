# Board configuration schema: validated the same way on the board (before
# use) and on the host (`ringcue config validate`). Pure.
from .profiles import PROFILES

CONFIG_PATH = "/ringcue.json"  # where a board keeps its configuration

DEFAULTS = {
    "desk": "",
    "profile": "universal",
    "cue_ring": 2,
    "alarm_after": 3,
    "buzzer": True,
    # the line breaks loop current when the caller hangs up (the profile's
    # clear_ms): hang-ups say who cleared first, instead of "unknown"
    "clear_signal": False,
}

def _name_ok(v):
    """At most 32 characters of valid UTF-8 text, no control characters. A
    lone surrogate is refused: MicroPython's json.loads turns an escaped
    surrogate pair ("\\ud83d\\udcde", an emoji sent as ASCII) into bytes that
    are no UTF-8, and the board's replies would carry them."""
    if len(v) > 32:
        return False
    try:
        b = v.encode()
    except UnicodeError:  # CPython: a lone surrogate
        return False
    i = b.find(b"\xed")
    while i >= 0:  # MicroPython: a surrogate encoded as 0xED 0xA0..0xBF
        if i + 1 < len(b) and b[i + 1] >= 0xA0:
            return False
        i = b.find(b"\xed", i + 1)
    for c in b:
        if c < 32 or c == 127:
            return False
    return True


# key: (type, check, help)
_SCHEMA = {
    "desk": (str, _name_ok, "a name of at most 32 characters (no control characters)"),
    "profile": (str, lambda v: v in PROFILES, "one of: " + ", ".join(sorted(PROFILES))),
    "cue_ring": (int, lambda v: 1 <= v <= 9, "a ring number 1-9"),
    "alarm_after": (int, lambda v: 1 <= v <= 9, "a ring number 1-9"),
    "buzzer": (bool, lambda v: True, "true or false"),
    "clear_signal": (bool, lambda v: True, "true or false"),
}


def keys():
    return sorted(_SCHEMA)


def validate(d, base=None, change=False):
    """Merge dict d over base (default DEFAULTS). Returns (config, errors):
    config holds every key, with base values where d's were bad; errors is
    a list of 'key: problem' strings (empty when all is well). change: d is
    a person's change (config set, flash --desk), which may not empty the
    desk name ("" is what a board has before it gets one)."""
    cfg = dict(DEFAULTS if base is None else base)
    errors = []  # type: list[str]
    if not isinstance(d, dict):
        return cfg, ["config must be a JSON object"]
    more = 0  # problems past the first 4 (a hostile file: those say enough)
    for k in d:
        v = d[k]
        spec = _SCHEMA.get(k)
        if spec is None:
            if len(errors) < 4:
                errors.append("%s: unknown setting (known: %s)" % (k[:32], ", ".join(keys())))
            else:
                more += 1
            continue
        typ, check, what = spec
        if change and k == "desk" and v == "":
            errors.append("desk: the name cannot be empty (reports would show this board "
                          "under its id, apart from its calls so far); give a name")
            continue
        ok = isinstance(v, typ) and (typ is bool or not isinstance(v, bool))
        if ok:
            try:
                ok = check(v)
            except Exception:
                ok = False
        if not ok:
            if len(errors) < 4:
                errors.append("%s: %s is not valid, expected %s" % (k, repr(v)[:40], what))
            else:
                more += 1
        else:
            cfg[k] = v
    if more:
        errors.append("and %d more" % more)
    if not errors and cfg["alarm_after"] < cfg["cue_ring"]:
        errors.append("alarm_after: %d is before cue_ring %d" % (cfg["alarm_after"], cfg["cue_ring"]))
        cfg["alarm_after"] = DEFAULTS["alarm_after"]
        cfg["cue_ring"] = DEFAULTS["cue_ring"]
    return cfg, errors
