#!/usr/bin/python3
"""combined_log.py -- rewrites a spoor log as a combined-format access
log (what NGINX's default `combined` log_format writes and GoAccess reads
with --log-format=COMBINED), one line per record.

Why it exists: the benchmarks (bench/, `make bench`) compare spoor with
GoAccess, the usual tool for reports from access logs.  GoAccess cannot
read spoor logs, so this gives it the same events in its own format: a
pixel request per event, as a site would log it without spoor.  Plain
Python 3 on Debian's python3-lz4 and python3-msgpack.

    /usr/bin/python3 bench/combined_log.py LOG OUT

Each record becomes

    IP - - [dd/Mon/yyyy:HH:MM:SS +0000] "GET /t.gif?e=KIND&n=NAME&u=URL HTTP/1.1" 200 43 "REFERRER" "USER AGENT"

with the record's (masked) ip as text (0.0.0.0 when absent), its receive
time (rt) in UTC, kind, name and page url percent-encoded in the query,
and referrer and user agent escaped the way NGINX escapes log variables
(", \\ and bytes outside printable ASCII as \\xHH; "-" when absent).
Lines are kept under GoAccess's line limit (see REQUEST_MAX).  Damaged
frames are reported on stderr and skipped (docs/FORMAT.md).  Prints one
JSON line: {"records": N, "lines": L, "truncated": C, "seconds": S}:
records read, lines written, lines cut to fit.
"""
import functools
import json
import re
import socket
import sys
import time
from urllib.parse import quote

import msgpack

import os.path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spoorlog import frame_contents  # noqa: E402  (the shared reader)

MONTHS = (b'Jan', b'Feb', b'Mar', b'Apr', b'May', b'Jun', b'Jul', b'Aug',
          b'Sep', b'Oct', b'Nov', b'Dec')
# what NGINX escapes in a log line: ", \, control bytes and non-ASCII
UNSAFE = re.compile(rb'[^\x20-\x7e]|["\\]')
# GoAccess 1.7 reads a line in pieces of 4096 bytes: a line of 4096 bytes
# or more (before the newline) counts as a failed request.  So the
# request, referrer and user agent are cut to keep every line shorter
# (spoor gen data never comes near it; the summary counts cut lines).
REQUEST_MAX, HEADER_MAX = 2000, 900
LINE = b'%s - - [%s] "GET %s HTTP/1.1" 200 43 "%s" "%s"\n'


def warn(path, msg):
    print(f"combined_log.py: {path}: {msg}", file=sys.stderr)


# ---------------------------------------------------------------- reading


# ---------------------------------------------------------------- writing

# Referrers, user agents, names, urls and addresses repeat from line to
# line: each is encoded once and remembered (a bounded cache).
cache = functools.lru_cache(maxsize=1 << 16)


@cache
def _escape(v):
    b = v.encode('utf-8', 'surrogateescape')
    return UNSAFE.sub(lambda m: b'\\x%02X' % m.group()[0], b)


def escape(v):
    """A header value as NGINX logs it; "-" when absent or empty."""
    return _escape(v) if isinstance(v, str) and v else b'-'


def cut(b, n):
    """b cut to at most n bytes, not inside a \\xHH or %HH escape."""
    if len(b) <= n:
        return b
    b = b[:n]
    i = max(b.rfind(b'\\', n - 3), b.rfind(b'%', n - 2))
    return b[:i] if i >= 0 else b


@cache
def _quote(v):
    return quote(v, safe='', errors='surrogateescape').encode()


def param(v):
    """A query parameter value, percent-encoded (every byte but
    letters, digits and _.-~)."""
    return _quote(v) if isinstance(v, str) else b''


@cache
def _ntop(v):
    return socket.inet_ntop(socket.AF_INET if len(v) == 4 else socket.AF_INET6,
                            v).encode()


def ip_text(v):
    """The address as text (it is stored masked); 0.0.0.0 when absent."""
    return _ntop(v) if isinstance(v, bytes) and len(v) in (4, 16) \
        else b'0.0.0.0'


def main(argv):
    if argv[:1] in (['-h'], ['--help']):
        print(__doc__)
        return 0
    if len(argv) != 2:
        print("usage: combined_log.py LOG OUT", file=sys.stderr)
        return 2
    src, dst = argv
    t0 = time.perf_counter()
    n_records = n_lines = n_cut = 0
    last_sec, stamp = None, b''
    with open(dst, 'wb') as out:
        for content in frame_contents(src, warn):
            unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                        unicode_errors='surrogateescape',
                                        max_buffer_size=len(content) + 1)
            unpacker.feed(content)
            lines = []
            try:
                for rec in unpacker:
                    n_records += 1
                    rt = rec.get('rt') if isinstance(rec, dict) else None
                    if not isinstance(rt, int):
                        continue
                    sec = rt // 1000
                    if sec != last_sec:      # formatted once per second of log
                        tm = time.gmtime(sec)
                        stamp = b'%02d/%s/%04d:%02d:%02d:%02d +0000' % (
                            tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year,
                            tm.tm_hour, tm.tm_min, tm.tm_sec)
                        last_sec = sec
                    request = b'/t.gif?e=%s&n=%s&u=%s' % (
                        param(rec.get('k')), param(rec.get('n')),
                        param(rec.get('url')))
                    ref, ua = escape(rec.get('ref')), escape(rec.get('ua'))
                    if len(request) > REQUEST_MAX or len(ref) > HEADER_MAX \
                            or len(ua) > HEADER_MAX:
                        request = cut(request, REQUEST_MAX)
                        ref, ua = cut(ref, HEADER_MAX), cut(ua, HEADER_MAX)
                        n_cut += 1
                    lines.append(LINE % (ip_text(rec.get('ip')), stamp,
                                         request, ref, ua))
            except (ValueError, msgpack.UnpackException) as e:
                warn(src, f"bad record, rest of frame lost: {e}")
            out.writelines(lines)
            n_lines += len(lines)
    print(json.dumps({'records': n_records, 'lines': n_lines,
                      'truncated': n_cut,
                      'seconds': round(time.perf_counter() - t0, 3)}))
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as e:             # exit 3 on I/O errors, as spoor does
        print(f"combined_log.py: {e}", file=sys.stderr)
        sys.exit(3)
