# Small durable files on the board's littlefs: written to a temp name, then
# renamed over the old one (atomic on littlefs), so a power cut leaves the
# old or the new file whole.
import json
import os


def read_json(path):
    """(value, error string or None). Missing file -> (None, None)."""
    try:
        with open(path) as f:
            return json.loads(f.read()), None
    except OSError:
        return None, None
    except ValueError as e:
        return None, "%s is not valid JSON (%s)" % (path, e)


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps(value))
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
