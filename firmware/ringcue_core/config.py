# Board configuration schema: validated the same way on the board (before
# use) and on the host (`ringcue config validate`). Pure.
from .profiles import PROFILES

DEFAULTS = {
    "desk": "",
    "profile": "universal",
    "cue_ring": 2,
    "alarm_after": 3,
    "buzzer": True,
}

# key: (type, check, help)
_SCHEMA = {
    "desk": (str, lambda v: len(v) <= 32, "a name of at most 32 characters"),
    "profile": (str, lambda v: v in PROFILES, "one of: " + ", ".join(sorted(PROFILES))),
    "cue_ring": (int, lambda v: 1 <= v <= 9, "a ring number 1-9"),
    "alarm_after": (int, lambda v: 1 <= v <= 9, "a ring number 1-9"),
    "buzzer": (bool, lambda v: True, "true or false"),
}


def describe(key):
    return _SCHEMA[key][2]


def keys():
    return sorted(_SCHEMA)


def validate(d, base=None):
    """Merge dict d over base (default DEFAULTS). Returns (config, errors):
    config holds every key, with base values where d's were bad; errors is
    a list of 'key: problem' strings (empty when all is well)."""
    cfg = dict(DEFAULTS if base is None else base)
    errors = []
    if not isinstance(d, dict):
        return cfg, ["config must be a JSON object"]
    for k in d:
        v = d[k]
        spec = _SCHEMA.get(k)
        if spec is None:
            errors.append("%s: unknown setting (known: %s)" % (k, ", ".join(keys())))
            continue
        typ, check, what = spec
        ok = isinstance(v, typ) and (typ is bool or not isinstance(v, bool))
        if ok:
            try:
                ok = check(v)
            except Exception:
                ok = False
        if not ok:
            errors.append("%s: %r is not valid, expected %s" % (k, v, what))
        else:
            cfg[k] = v
    if not errors and cfg["alarm_after"] < cfg["cue_ring"]:
        errors.append("alarm_after: %d is before cue_ring %d" % (cfg["alarm_after"], cfg["cue_ring"]))
        cfg["alarm_after"] = DEFAULTS["alarm_after"]
        cfg["cue_ring"] = DEFAULTS["cue_ring"]
    return cfg, errors
