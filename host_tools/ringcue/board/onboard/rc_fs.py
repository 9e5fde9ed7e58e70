# Run in the raw REPL by ringcue's flasher (ringcue.board.devicefs), once
# per session after rc_probe.py: the helpers its commands call (the raw REPL
# keeps __main__'s globals). Small steps on purpose: the board may have
# little heap, and every command is one round trip.
import os, sys, json, binascii, hashlib
from rc_guard import _rc_alive  # not sent: the same globals on the board


def _rc_isdir(p):
    try:
        return os.stat(p)[0] & 0x4000 != 0
    except OSError:
        return False


def _rc_isfile(p):
    try:
        return os.stat(p)[0] & 0x4000 == 0
    except OSError:
        return False


def _rc_mkdirs(p):
    d = ''
    for part in p.strip('/').split('/'):
        if part:
            d += '/' + part
            if not _rc_isdir(d):
                os.mkdir(d)


def _rc_hash(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b[:n] if n < 512 else b)
    return binascii.hexlify(h.digest()).decode()


def _rc_files(root):
    out = []
    def walk(d, rel):
        for e in os.ilistdir(d):
            if e[1] == 0x4000:
                walk(d + '/' + e[0], rel + e[0] + '/')
            else:
                out.append(rel + e[0])
    if _rc_isdir(root):
        walk(root, '')
    out.sort()
    return out


def _rc_tree(root):
    # one line per file, not one big dict: fits boards with little heap
    for r in _rc_files(root):
        print(r, _rc_hash(root + '/' + r))


def _rc_digest(root, man=None):
    # sha256 over 'path sha256\n' of every file in order, but MANIFEST.json
    # and the .part files of a flash that was interrupted
    h = hashlib.sha256()
    for r in _rc_files(root):
        if r != 'MANIFEST.json' and not r.endswith('.part'):
            x = _rc_hash(root + '/' + r)
            h.update(r + ' ' + x + '\n')
            if man is not None:
                man[r] = x
    return binascii.hexlify(h.digest()).decode()


def _rc_rmtree(p):
    if not _rc_isdir(p):
        try:
            os.remove(p)
        except OSError:
            pass
        return
    # the manifest first: a build cut midway through deleting is never
    # taken for a whole one
    names = [e[0] for e in os.ilistdir(p)]
    names.sort(key=lambda n: n != 'MANIFEST.json')
    for n in names:
        _rc_rmtree(p + '/' + n)
    os.rmdir(p)


def _rc_copy(src, dst):
    b = bytearray(1024)
    with open(src, 'rb') as fi, open(dst + '.part', 'wb') as fo:
        while True:
            n = fi.readinto(b)
            if not n:
                break
            fo.write(b[:n] if n < 1024 else b)
    os.rename(dst + '.part', dst)


def _rc_copies(pairs):
    for s, d in pairs:
        _rc_mkdirs(d.rsplit('/', 1)[0])
        _rc_copy(s, d)


def _rc_read(p):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return None


def _rc_write(p, s):
    with open(p + '.part', 'w') as f:
        f.write(s)
    os.rename(p + '.part', p)


def _rc_free():
    # a nearly full littlefs can count more blocks used than it has (its
    # free count then wraps): none are free, as FlashLog takes it
    s = os.statvfs('/')
    return s[0] * s[3] if s[3] < s[2] else 0


def _rc_blocks(p, bs):
    # blocks deleting a folder frees at least: 2 a folder, whole blocks a
    # file (a sim build: 32 counted, statvfs shows 36 freed; FlashLog's
    # _blocks counts 38). Too few only refuses an update that would have
    # fitted; too many would delete the previous build, then refuse.
    n = 2
    for e in list(os.ilistdir(p)):
        if e[1] == 0x4000:
            n += _rc_blocks(p + '/' + e[0], bs)
        else:
            n += (os.stat(p + '/' + e[0])[6] + bs - 1) // bs
    return n


def _rc_builds(bs):
    # {build: bytes} for every build in /fw: what deleting it frees
    out = {}
    for e in list(os.ilistdir('/fw')) if _rc_isdir('/fw') else ():
        if e[1] == 0x4000:
            out[e[0]] = bs * _rc_blocks('/fw/' + e[0], bs)
    return out


def _rc_segs():
    # the call log's segments, oldest first: [name, bytes]
    if not _rc_isdir('/log'):
        return []
    return sorted([e[0], os.stat('/log/' + e[0])[6]] for e in os.ilistdir('/log')
                  if e[0].endswith('.seg'))


def _rc_rm(paths):
    for p in paths:
        os.remove(p)
    return _rc_free()


def _rc_status(cfg):
    # cfg: the configuration's path (ringcue_core.config.CONFIG_PATH), or None
    c = (_rc_read('/fw/current') or '').strip()
    r = '/fw/' + c
    return {'current': c, 'digest': _rc_digest(r) if c and _rc_isdir(r) else None,
            'sealed': bool(c) and _rc_isfile(r + '/MANIFEST.json'),
            'main': _rc_hash('/main.py') if _rc_isfile('/main.py') else None,
            'free': _rc_free(), 'block': os.statvfs('/')[0],
            'builds': _rc_builds(os.statvfs('/')[0]),
            'config': _rc_read(cfg) if cfg else None}


def _rc_seal(root, want, boot):
    # verify every file by sha256; only then write the manifest (a build
    # without one is never booted)
    man = {}  # type: dict
    if _rc_digest(root, man) != want:
        return man
    if boot and not (_rc_isfile('/main.py') and _rc_hash('/main.py') == boot):
        return {'/main.py': None}
    _rc_write(root + '/MANIFEST.json', json.dumps(man))
    return None


def _rc_drop(keep):
    # delete every build but those in keep: the call log counts their room
    # as its own (FlashLog's _room). /fw/previous first, if it names one: a
    # cut midway never leaves it naming half a build
    if (_rc_read('/fw/previous') or '').strip() not in keep:
        _rc_rmtree('/fw/previous')
    for e in list(os.ilistdir('/fw')) if _rc_isdir('/fw') else ():
        if e[1] == 0x4000 and e[0] not in keep:
            _rc_rmtree('/fw/' + e[0])
    return _rc_free()


def _rc_switch(cur, new):
    if cur and cur != new:
        _rc_write('/fw/previous', cur)
    _rc_write('/fw/current', new)  # the switch: one rename
    _rc_drop((cur, new))


def _rc_rd(n):
    b = bytearray(n)
    m = memoryview(b)
    i = 0
    while i < n:
        i += sys.stdin.buffer.readinto(m[i:]) or 0
    return b


def _rc_blk(end):
    # one block of the stream: 4 hex digits (escaped length, 0 = the end),
    # then the escaped data, read and acknowledged 1 KB at a time
    n = int(bytes(_rc_rd(4)), 16)
    if not n:
        end[0] = 1
        return None
    b = bytearray(n)
    m = memoryview(b)
    i = 0
    while i < n:
        j = min(n, i + 1024)
        while i < j:
            i += sys.stdin.buffer.readinto(m[i:j]) or 0
        sys.stdout.write('\x06')
        _rc_alive()
    z = bytes(b)
    if b'\x1b' in z:
        for c in b'ABCDE':
            z = z.replace(bytes((27, c)), bytes((c ^ 64,)))
        z = z.replace(b'\x1b[', b'\x1b')
    return z


class _RcSink:
    # the files of the stream, one after the other: X.part, then renamed
    def __init__(s, spec):
        s.q = spec[::-1]
        s.f = None
        s.p = ''
        s.n = 0
        s.adv()
    def adv(s):
        while not s.n:
            if s.f:
                s.f.close()
                s.f = None
                os.rename(s.p + '.part', s.p)
            if not s.q:
                return
            s.p, s.n = s.q.pop()
            _rc_mkdirs(s.p.rsplit('/', 1)[0])
            s.f = open(s.p + '.part', 'wb')
    def write(s, m):
        o = 0
        while o < len(m):
            if not s.f:
                raise ValueError('more data than files')
            w = min(len(m) - o, s.n)
            s.f.write(m[o:o + w])
            o += w
            s.n -= w
            s.adv()


def _rc_recv(spec, wbits):
    import deflate, io
    end = [0]
    s = _RcSink(spec)
    b = bytearray(512)
    m = memoryview(b)
    try:
        while s.f:
            z = _rc_blk(end)
            if z is None:
                raise ValueError('the stream ended early')
            d = deflate.DeflateIO(io.BytesIO(z), deflate.RAW, wbits)
            z = None
            while True:
                k = d.readinto(m)
                if not k:
                    break
                s.write(m[:k])
    finally:
        if s.f:
            s.f.close()
        while not end[0]:  # keep the line in step, even after an error
            _rc_blk(end)
