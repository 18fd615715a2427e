#!/usr/bin/env python3
"""Probes for bench/freshness.sh: how long a beacon takes to reach
$spoor_segments.

Each probe is a new visitor (a random visitor cookie): it sends one page
view to /t.gif, notes when the answer arrived, then asks /seg with the
same cookie every POLL seconds until the body says found=1 (its profile
is in the generation NGINX serves) or DEADLINE passes.  One probe starts
every GAP seconds, COUNT in all, each on its own thread.  Prints one line
of JSON: the latencies' count, misses, p50, p90, p99 and max in seconds.

    probe.py BASE_URL COUNT GAP POLL DEADLINE
"""
import base64
import json
import os
import sys
import threading
import time
import urllib.request


def get(url, cookie):
    req = urllib.request.Request(url, headers={"Cookie": "_spid=" + cookie})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def probe(base, poll, deadline, out, lock):
    vid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    get(base + "/t.gif?e=page&u=https%3A%2F%2Fshop.example%2Fprobe", vid)
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline:
        if get(base + "/seg", vid).startswith(b"found=1"):
            with lock:
                out.append(time.monotonic() - t0)
            return
        time.sleep(poll)
    with lock:
        out.append(None)


def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    base, count, gap, poll, deadline = sys.argv[1], int(sys.argv[2]), \
        float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    out, lock, th = [], threading.Lock(), []
    for _ in range(min(count, 10000)):
        t = threading.Thread(target=probe, args=(base, poll, deadline, out, lock))
        t.start()
        th.append(t)
        time.sleep(gap)
    for t in th:
        t.join(deadline + 30)
    ok = sorted(x for x in out if x is not None)
    res = {"count": len(ok), "misses": len(out) - len(ok)}
    if ok:
        res.update(p50=round(pct(ok, 50), 3), p90=round(pct(ok, 90), 3),
                   p99=round(pct(ok, 99), 3), max=round(ok[-1], 3))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
