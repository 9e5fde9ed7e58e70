# Serial command handlers: one do_<name>(args) per command. Each checks its
# arguments, asks the App (its API: app.py) and returns the reply's result,
# or (result, blob) for a reply followed by raw bytes; or it raises
# CommandError. Every request line gets exactly one reply; nothing here may
# crash the board.
import gc

from ringcue_core import logfmt
from ringcue_core import proto


class CommandError(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _arg(args, name, typ, default=None, lo=None, hi=None):
    v = args.get(name, default)
    if v is None or not isinstance(v, typ) or isinstance(v, bool) and typ is not bool:
        raise CommandError(proto.ERR_BAD_ARGS, "%s must be %s" % (name, typ.__name__))
    if lo is not None and not (lo <= v <= hi):
        raise CommandError(proto.ERR_BAD_ARGS, "%s must be %d..%d" % (name, lo, hi))
    return v


class Commands:
    def __init__(self, app):
        self.app = app
        # The fixed table of commands. A request's name is only ever compared
        # against it (a dict lookup compares bytes): getattr() on it would
        # intern every unknown name as a qstr, which is never freed (a heap
        # that grows with each new name), and raise outside any try for a
        # name of 253+ characters.
        self._table = {n: getattr(self, "do_" + n) for n in COMMANDS}

    def handle(self, line):
        """One request line -> an err reply line, or an ok reply's parts
        (and a blob, for a command that returned (result, blob)) to write
        in order (proto.reply_ok)."""
        # Measured (issue #14): a collection before each request keeps a small
        # heap whole. Without it the 6,000-line soak at the 128 KB budget fails
        # (status out of memory by line 602 or 5,612); at 192 KB it passes.
        # It costs 11 ms of a 29 ms `hello` on an (emulated) RP2040, and a
        # gc.mem_free() check to skip it costs 8.7 ms: so always.
        gc.collect()
        if line is proto.LineParser.TOO_LONG:
            return proto.reply_err("-", proto.ERR_TOO_LONG,
                                   "line longer than %d bytes" % proto.MAX_LINE)
        try:
            rid, cmd, args = proto.parse_request(line)
        except proto.ProtocolError as e:
            return proto.reply_err(getattr(e, "rid", "-"), e.code, e.msg)
        except Exception:
            return proto.reply_err("-", proto.ERR_BAD_FRAME, "unreadable request")
        fn = self._table.get(cmd)
        if fn is None:
            return proto.reply_err(rid, proto.ERR_UNKNOWN_CMD, "unknown command %r (try: %s)"
                                   % (cmd[:proto.MAX_NAME], ", ".join(COMMANDS)))
        try:
            r = fn(args)
            if type(r) is tuple:
                return proto.reply_blob(rid, r[0], r[1])
            return proto.reply_ok(rid, r)
        except CommandError as e:
            return proto.reply_err(rid, e.code, e.msg)
        except MemoryError:
            gc.collect()
            return proto.reply_err(rid, proto.ERR_INTERNAL, "out of memory")
        except Exception as e:
            self.app.fault("command", "%s: %r" % (cmd, e))
            return proto.reply_err(rid, proto.ERR_INTERNAL, "%s failed: %r" % (cmd, e))

    # ---- commands -------------------------------------------------------
    def do_hello(self, args):
        return self.app.info()

    def do_status(self, args):
        return self.app.status()

    def do_time_sync(self, args):
        """The host's wall clock (ms since 1970) against our ticks; the log
        uses it to put wall time on records."""
        unix_ms = _arg(args, "unix_ms", int)
        if not logfmt.SYNC_MIN_MS <= unix_ms < logfmt.SYNC_MAX_MS:
            raise CommandError(proto.ERR_BAD_ARGS, "unix_ms must be the wall clock in ms since "
                               "1970, from 2020-01-01 (%d) to 2100-01-01 (%d)"
                               % (logfmt.SYNC_MIN_MS, logfmt.SYNC_MAX_MS))
        return self.app.time_sync(unix_ms)

    def do_config_get(self, args):
        return self.app.config()

    def do_config_set(self, args):
        """Merge, validate, save atomically, apply. Bad settings change nothing."""
        cfg, errors = self.app.set_config(args)
        if errors:
            raise CommandError(proto.ERR_BAD_ARGS, "; ".join(errors))
        return {"config": cfg}

    def do_selftest(self, args):
        """Run the LED/buzzer pattern for `ms`; report the inputs now."""
        return self.app.selftest(_arg(args, "ms", int, 2000, 0, 60000))

    def do_monitor(self, args):
        """Stream every firmware event as an EV line while on."""
        on = _arg(args, "on", bool, True)
        self.app.set_monitor(on)
        return {"monitor": on}

    def do_log_read(self, args):
        """Raw log records from `from_seq`, as the reply's blob (binary, so a
        pull runs near line rate; proto.reply_blob). `flush` (default true)
        commits pending records first; `format` 2: calls and hang-ups compact
        as stored (docs/call-log.md)."""
        return self.app.read_log(_arg(args, "from_seq", int, 1, 0, 0x7FFFFFFF),
                                 _arg(args, "max_bytes", int, 2048, 64, 8192),
                                 _arg(args, "flush", bool, True), args.get("format") == 2)


COMMANDS = sorted(n[3:] for n in dir(Commands) if n.startswith("do_"))
