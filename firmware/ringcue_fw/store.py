# Small durable files on the board's littlefs: written to a temp name, then
# renamed over the old one (atomic on littlefs), so a power cut leaves the
# old or the new file whole.
import json
import os

from ringcue_core import proto


try:
    from micropython import const
except ImportError:

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


# bytes: our files are ~100; a bigger one is not ours (a const with a leading
# underscore takes no name on the board: interned names cost heap)
_MAX_JSON = const(2048)


def read_json(path):
    """(value, error string or None). Missing file -> (None, None). Whatever
    the file holds (too big, a folder, bytes that are no UTF-8, JSON nested
    deep), the answer is an error string, never an exception: the board must
    boot and count rings with any file on its flash."""
    try:
        st = os.stat(path)
    except OSError:
        return None, None
    if st[0] & 0x4000:  # S_IFDIR
        return None, "%s is a folder, not a file" % path
    if st[6] > _MAX_JSON:
        return None, "%s is too large (%d bytes, at most %d)" % (path, st[6], _MAX_JSON)
    try:
        with open(path, "rb") as f:
            text = f.read(_MAX_JSON + 1).decode()
        proto.check_shape(text)  # json.loads of [[[[... would take heap
        v = json.loads(text)
        return (v, None) if v is not None else (None, "%s holds nothing (null)" % path)
    except proto.ProtocolError as e:
        return None, path + ": " + e.msg
    except OSError as e:
        return None, "%s cannot be read (%s)" % (path, e)
    except UnicodeError:
        return None, "%s is not UTF-8 text" % path
    except (ValueError, MemoryError) as e:
        return None, "%s is not valid JSON (%s)" % (path, e)


def load_config(path):
    """(config, source, errors): the configuration file at path, checked,
    over the defaults. source: "file", "defaults" (no file, or one that could
    not be read), "file+defaults" (some settings were bad)."""
    from ringcue_core import config as cfgschema

    raw, err = read_json(path)
    if raw is None and not err:
        return cfgschema.validate({})[0], "defaults", []
    cfg, errors = cfgschema.validate(raw if raw is not None else {})
    if err:
        return cfg, "defaults", [err]
    return cfg, "file+defaults" if errors else "file", errors


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(value))
    try:
        os.rename(tmp, path)
    except OSError:  # a folder in the way (a hostile or broken flash): it goes
        for e in os.ilistdir(path):
            os.remove(path + "/" + e[0])
        os.rmdir(path)
        os.rename(tmp, path)


def bump_boot_count(path="/state.json"):
    st, _ = read_json(path)
    if not isinstance(st, dict):
        st = {}
    n = st.get("boots", 0)
    st["boots"] = (n if isinstance(n, int) else 0) + 1
    try:
        write_json(path, st)
    except OSError:
        pass  # a full or read-only flash must not stop the board
    return st["boots"]
