# Serial command handlers: one do_<name>(args) per command, each returning a
# JSON-able result or raising CommandError. Every request line gets exactly
# one reply; nothing here may crash the board.
import gc

from ringcue_core import VERSION, codes
from ringcue_core import config as cfgschema
from ringcue_core import detector as D
from ringcue_core import proto

from . import store
from binascii import crc32
from .clock import now_ms


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


def _collected_alloc():
    gc.collect()
    return gc.mem_alloc()


class Commands:
    def __init__(self, app):
        self.app = app
        self.binary = None  # raw bytes to send right after the reply line
        # The fixed table of commands. A request's name is only ever compared
        # against it (a dict lookup compares bytes): getattr() on it would
        # intern every unknown name as a qstr, which is never freed (a heap
        # that grows with each new name), and raise outside any try for a
        # name of 253+ characters.
        self._table = {n: getattr(self, "do_" + n) for n in COMMANDS}

    def handle(self, line):
        """One request line -> one reply line."""
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
            return proto.reply_ok(rid, fn(args))
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
        a = self.app
        return {
            "fw": VERSION,
            "build": a.build,
            "proto": proto.PROTO_VERSION,
            "board": a.hal.name,
            "id": "".join("%02x" % b for b in a.hal.unique_id()),
            "config": a.cfg,
            "config_source": a.config_source,
            "config_errors": a.config_errors,
            "boots": a.boots,
            "uptime_ms": a.uptime_ms,
        }

    def do_status(self, args):
        a = self.app
        d = a.det
        r = self.do_hello(args)
        r.update({
            "state": D.STATE_NAMES[d.state],
            "rings": d.rings if d.state in (D.ST_RINGING, D.ST_GAP) else 0,
            "cue": a.outputs.cue,
            "alarm": a.outputs.alarm,
            "hook_sense": a.hal.has_hook,
            "hook": a.hook,
            "ring_level": a.hal.ring_level(),
            "pulses": d.pulses,
            "rejected": d.rejected,
            "overflows": a.cap.overflows,
            "calls": a.calls,
            "log": a.log.stats(),
            "ticks_ms": now_ms(),
            "mem_free": gc.mem_free(),
            "mem_alloc": _collected_alloc(),
            "faults": ["%s: %s" % f for f in a.faults],
        })
        return r

    def do_time_sync(self, args):
        """The host's wall clock (ms since 1970) against our ticks; the log
        uses it to put wall time on records."""
        from ringcue_core import logfmt

        unix_ms = _arg(args, "unix_ms", int)
        if not logfmt.SYNC_MIN_MS <= unix_ms < logfmt.SYNC_MAX_MS:
            raise CommandError(proto.ERR_BAD_ARGS, "unix_ms must be the wall clock in ms since "
                               "1970, from 2020-01-01 (%d) to 2100-01-01 (%d)"
                               % (logfmt.SYNC_MIN_MS, logfmt.SYNC_MAX_MS))
        a = self.app
        a.time_sync = (unix_ms, now_ms())
        import struct

        a.log_record(codes.REC_TIME_SYNC, struct.pack("<Q", unix_ms), a.time_sync[1])
        return {"ticks_ms": a.time_sync[1], "boots": a.boots}

    def do_config_get(self, args):
        a = self.app
        return {"config": a.cfg, "source": a.config_source, "errors": a.config_errors}

    def do_config_set(self, args):
        """Merge, validate, save atomically, apply. Bad settings change nothing."""
        a = self.app
        cfg, errors = cfgschema.validate(args, a.cfg, change=True)
        if errors:
            raise CommandError(proto.ERR_BAD_ARGS, "; ".join(errors))
        store.write_json("/ringcue.json", cfg)
        import json

        a.log_record(codes.REC_CONFIG, json.dumps(cfg).encode())
        a.cfg = cfg
        a.config_source = "file"
        a.config_errors = []
        a.outputs.buzzer_on = cfg["buzzer"]
        if a.det.state == D.ST_IDLE:  # never swap detectors mid-call
            a.new_detector()
        else:
            a.pending_config = True
        return {"config": cfg}

    def do_selftest(self, args):
        """Run the LED/buzzer pattern for `ms`; report the inputs now."""
        ms = _arg(args, "ms", int, 2000, 0, 60000)
        a = self.app
        a.outputs.selftest(ms)
        return {"ring_level": a.hal.ring_level(), "hook": a.hal.hook_level(),
                "hook_sense": a.hal.has_hook, "pulses": a.det.pulses, "ms": ms}

    def do_monitor(self, args):
        """Stream every firmware event as an EV line while on."""
        self.app.monitor = _arg(args, "on", bool, True)
        return {"monitor": self.app.monitor}

    def do_log_read(self, args):
        """Raw log records from `from_seq`: the reply line says how many bytes
        follow it (binary, crc32 in `crc`), so a pull runs near line rate.
        `flush` (default true) commits pending records first."""
        frm = _arg(args, "from_seq", int, 1, 0, 0x7FFFFFFF)
        max_bytes = _arg(args, "max_bytes", int, 2048, 64, 8192)
        log = self.app.log
        if _arg(args, "flush", bool, True):
            self.app.flush_log()
        data, n, nxt = log.read(frm, max_bytes)
        self.binary = data
        return {"n": n, "bytes": len(data), "crc": crc32(data) & 0xFFFFFFFF,
                "next": nxt, "first_seq": log.first_seq(), "end_seq": log.next_seq,
                "committed": log.committed}


COMMANDS = sorted(n[3:] for n in dir(Commands) if n.startswith("do_"))
