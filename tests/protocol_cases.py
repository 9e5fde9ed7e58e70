"""The serial protocol as a table of wire bytes (docs/protocol.md), read and
written by both roles: the board's codec (ringcue_core.proto, tests/core/
test_proto.py) and the host's session (ringcue.board.session, tests/board/
test_session.py). The bytes are literal, so a change to the wire shows here.
"""

# (what, (id, command, args), the request line): the host writes it, the
# board reads it back
REQUESTS = [
    ("bare", (1, "hello", None), b"RQ 1 hello*3bbef32b\n"),
    ("utf-8 args, no escapes", (7, "config_set", {"cue_ring": 2, "desk": "Lobby \U0001f4de"}),
     b'RQ 7 config_set {"cue_ring":2,"desk":"Lobby \xf0\x9f\x93\x9e"}*0be349de\n'),
    ("largest id", (2147483647, "log_read", {"from_seq": 1, "max_bytes": 64, "flush": False}),
     b'RQ 2147483647 log_read {"from_seq":1,"max_bytes":64,"flush":false}*fccb31cc\n'),
    ("empty args are left out", (3, "selftest", {}), b"RQ 3 selftest*2dfbff79\n"),
]

# Lines a person may type: the board reads them as these requests.
TYPED = [
    (b"RQ 1 hello", (1, "hello", {})),
    (b'RQ 12 config_set {"desk": "x"}', (12, "config_set", {"desk": "x"})),
    (b"RQ 5 status   ", (5, "status", {})),
    (b"RQ 1 hello*3BBEF32B", (1, "hello", {})),  # the CRC in capitals
]

# (what, the board's writer call, the line(s) on the wire, what the host reads)
# writer calls: ("ok", id, result) | ("err", id, code, msg) | ("event", json)
#               | ("blob", id, result, data)
# host reads:   ("reply", id, result[, blob]) | ("error", id, code, msg)
#               | ("event", dict)
_BLOB = b"\x00\x01rec\xff\n\r"  # line ends and all: a blob is not lines
REPLIES = [
    ("ok", ("ok", 1, {"fw": "0.1.0", "proto": 1}),
     b'RS 1 ok {"fw": "0.1.0", "proto": 1}*e87be159\n',
     ("reply", 1, {"fw": "0.1.0", "proto": 1})),
    ("ok, a list", ("ok", 12, [1, "a", None]), b'RS 12 ok [1, "a", null]*f1434ca8\n',
     ("reply", 12, [1, "a", None])),
    ("err", ("err", 4, "bad_args", "cue_ring: 0 is not valid"),
     b'RS 4 err bad_args "cue_ring: 0 is not valid"*006568e3\n',
     ("error", 4, "bad_args", "cue_ring: 0 is not valid")),
    ("err to an unreadable id", ("err", "-", "too_long", "line longer than 512 bytes"),
     b'RS - err too_long "line longer than 512 bytes"*54935cc2\n',
     ("error", None, "too_long", "line longer than 512 bytes")),
    ("event", ("event", '{"event": "ring", "n": 1}'), b'EV {"event": "ring", "n": 1}*128150a9\n',
     ("event", {"event": "ring", "n": 1})),
    ("blob", ("blob", 9, {"n": 1, "next": 2}, _BLOB),
     b'RS 9 ok {"n": 1, "next": 2, "bytes": 8, "crc": 3342366749}*e48a4d9a\n' + _BLOB,
     ("reply", 9, {"n": 1, "next": 2, "bytes": 8, "crc": 3342366749}, _BLOB)),
    ("empty blob", ("blob", 5, {"n": 0, "next": 1}, b""),
     b'RS 5 ok {"n": 0, "next": 1, "bytes": 0, "crc": 0}*50328d82\n',
     ("reply", 5, {"n": 0, "next": 1, "bytes": 0, "crc": 0}, b"")),
]

# Lines the board refuses: (line, the id its err reply carries, the code)
BAD_REQUESTS = [
    (b"hello", "-", "bad_frame"),
    (b"RQ", "-", "bad_frame"),
    (b"RQ 1", "-", "bad_frame"),
    (b"RQ x hello", "-", "bad_frame"),
    (b"RQ -5 hello", "-", "bad_frame"),
    (b"RQ 99999999999 hello", "-", "bad_frame"),
    (b"RQ 1 hello*3bbef32c", "-", "bad_crc"),
    (b"RQ 1 status*3bbef32b", "-", "bad_crc"),
    (b"RQ 2 config_set 7", 2, "bad_args"),
    (b"RQ 2 config_set {nope", 2, "bad_args"),
    (b'RQ 2 hello {"a": {"b": {"c": 1}}}', 2, "bad_args"),
    (b"RQ 2 status " + b"[" * 200 + b"]" * 200, 2, "bad_args"),
    (b"RQ 2 hello {" + b",".join(b'"k%d": %d' % (i, i) for i in range(9)) + b"}", 2, "bad_args"),
]

# Board output the host takes as garbage: (bytes, what it reads, the code)
GARBLED = [
    (b'RS 1 ok {"fw": "0.1.0", "proto": 2}*e87be159\n', "garbled", "bad_crc"),
    (b'RS 1 ok {"fw": "0.1.0"}\n', "garbled", "bad_crc"),
    (b"RS 1 ok*2a226421\n", "garbled", "bad_frame"),
    (b"RS x ok {}*199ec15e\n", "garbled", "bad_frame"),
    (b"RS 1 ok {nope*2d5a36da\n", "garbled", "bad_frame"),
    (b"EV [1]*4a584483\n", "garbled", "bad_frame"),
    (b"RS - ok {}*6873074e\n", "garbled", "bad_frame"),
    (b'RS 3 ok {"bytes": 99999999, "crc": 0}*5e31853d\n', "garbled", "bad_frame"),
    # the blob's crc is not its bytes' crc32
    (b'RS 9 ok {"n": 1, "next": 2, "bytes": 8, "crc": 1}*b45cccca\n' + _BLOB, "garbled", "bad_crc"),
]

# Output that is no frame at all: boot messages, the REPL
NOISE = [
    (b"ringcue 0.1.0 on sim: ready (boot 3)\r\n", "ringcue 0.1.0 on sim: ready (boot 3)"),
    (b"MicroPython v1.28.0 on 2026-01-01; linux [GCC 12] version\r\n",
     "MicroPython v1.28.0 on 2026-01-01; linux [GCC 12] version"),
    (b">>> \n", ">>> "),
    (b"RSVP\n", "RSVP"),
    (b"\xff\xfe junk\n", "\ufffd\ufffd junk"),
]

# Requests the host must not send: (id, command, args, the code)
MISUSE = [
    (1, "", None, "bad_frame"),
    (1, "two words", None, "bad_frame"),
    (1, "star*", None, "bad_frame"),
    (1, "tab\there", None, "bad_frame"),
    (-1, "hello", None, "bad_frame"),
    (2**31, "hello", None, "bad_frame"),
    (1, "config_set", ["not", "a", "dict"], "bad_args"),
    (1, "config_set", {"x": float("nan")}, "bad_args"),
    (1, "config_set", {"x": object()}, "bad_args"),
    (1, "config_set", {"desk": "x" * 500}, "too_long"),
]
