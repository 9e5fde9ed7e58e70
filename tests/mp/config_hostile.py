# Runs inside MicroPython: the firmware's config loader (store.load_config,
# what App.load_config runs at boot) over every file named on the command
# line. Prints one JSON line per file: the config, its source and errors, or
# the exception that would have stopped the firmware.
import gc
import json
import sys

from ringcue_core import config as cfgschema
from ringcue_fw import store


def load(path):
    if hasattr(store, "load_config"):
        return store.load_config(path)
    raw, err = store.read_json(path)  # the loader before issue #13 (app.py)
    errors = [err] if err else []
    cfg, bad = cfgschema.validate(raw if raw is not None else {})
    return cfg, "file", errors + bad


for path in sys.argv[1:]:
    gc.collect()
    try:
        cfg, source, errors = load(path)
        out = {"path": path, "config": cfg, "source": source, "errors": errors,
               "valid": cfgschema.validate(cfg)[1] == []}
    except BaseException as e:  # what would stop the firmware at boot
        out = {"path": path, "crash": repr(e)[:200]}
    print(json.dumps(out))
