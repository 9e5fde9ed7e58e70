# Run in the raw REPL by ringcue (ringcue.board.status): is a whole firmware
# installed? (what /main.py boots: /fw/current or /fw/previous with its
# MANIFEST.json, or a mip install in /lib)
import os, json


def _rc_f(p):
    try:
        return os.stat(p)[0] & 0x4000 == 0
    except OSError:
        return False


def _rc_b():
    for q in ('/fw/current', '/fw/previous'):
        try:
            with open(q) as f:
                b = f.read().strip()
        except OSError:
            continue
        if b and _rc_f('/fw/%s/MANIFEST.json' % b):
            return b
    if _rc_f('/lib/ringcue_fw/app.mpy') or _rc_f('/lib/ringcue_fw/app.py'):
        return 'mip'
    return None


print(json.dumps({'main': _rc_f('/main.py'), 'build': _rc_b()}))
