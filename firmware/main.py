# ringcue boot loader (/main.py). It never changes between releases: it runs
# the firmware build named in /fw/current. `ringcue flash` writes a complete
# new /fw/<build>/ first and then swaps /fw/current with a single rename, so
# a cable pulled at any moment leaves the old or the new firmware whole.
import os
import sys


def _build():
    for ptr in ("/fw/current", "/fw/previous"):
        try:
            with open(ptr) as f:
                b = f.read().strip()
            os.stat("/fw/%s/MANIFEST.json" % b)  # written last: the build is whole
            return b
        except OSError:
            pass
    return None


_b = _build()
if _b is not None:
    sys.path.insert(0, "/fw/" + _b)
try:
    import board  # from the build, or from /lib after `mpremote mip install`
    from ringcue_fw.app import main
except ImportError:
    print("ringcue: no firmware installed on this board; run `ringcue flash`")
else:
    main(board, _b or "mip")
