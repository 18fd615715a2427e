#!/usr/bin/python3
"""profiles.py -- user profiles from spoor logs, the way a user would
write it without `spoor ingest`: a plain Python 3 script on Debian's
python3-lz4 and python3-msgpack.

Why it exists: it is the peer of `spoor ingest` in the benchmarks
(bench/, `make bench`).  It does the same work honestly -- every frame is
decompressed and checksum-verified, every record decoded, consent
respected, ids joined, every aggregate below computed -- so the time and
memory it takes are a fair "what you would do instead" figure.  It is
not byte-for-byte the analyzer: no caps on a profile's lists (sessions,
names, weights, traits), no RFM, lifecycle, segments, abandoned carts,
links or browser families, no state carried between runs (so no
deduplication of frames), and profile ids are plain ids, not hashes.
On `spoor gen` logs its counts, revenue, sessions, traits, context and
interests agree with `spoor export` for every profile.

    /usr/bin/python3 bench/profiles.py LOG... [--out FILE]

Prints one JSON line: {"events": N, "profiles": P, "seconds": S} where N
is the records read, P the profiles left at the end and S the time spent
reading and folding (interpreter start-up and --out excluded).  --out
FILE writes one JSON line per profile, for spot checks against
`spoor profile`.

Semantics follow docs/profiles.md and docs/FORMAT.md:
  - consent_withdrawal erases the profile of its visitor id and
    tombstones all the profile's ids as of its receive time; events of
    those ids at or before that time are skipped;
  - action "anonymous", no-profiling (cs.np) and records without a
    visitor, anonymous or user id are counted, never profiled;
  - the ids of one event (uid, aid, vid; for alias also prev) are one
    person: a union-find over (kind, id) joins their profiles; junk ids
    ("null", "0", "0000-00", ...) link nothing; a join that would give a
    profile more than 256 ids or 1024 merges is refused;
  - per profile: first/last seen, events, page views (page, screen),
    counts per track name, orders ("Order Completed") with revenue per
    currency (properties.revenue or .total, in millionths), last order,
    cart adds ("Product Added"), sessions (a gap over 30 minutes starts
    one), identify traits (last by event time; $set_once, $unset), the
    newest country/region/city/user agent/language, and interests per
    properties.category and engagement (weights 1, cart add 3, order 5,
    per day, 30-day half-life, as of the latest receive time).
An event's time is its client time `t` when present, else `rt`.
"""
import gc
import json
import math
import re
import sys
import time
from array import array

import msgpack

import os.path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spoorlog import frame_contents  # noqa: E402  (the shared reader)


DAY_MS = 86400000
SESSION_GAP_MS = 30 * 60000
HALF_LIFE_MS = 30 * DAY_MS
IDS_MAX, MERGES_MAX = 256, 1024
JUNK_IDS = {"null", "undefined", "anonymous", "none", "nil", "unknown",
            "NULL", "(null)", "[object Object]"}
ZEROS = re.compile(r'[0-]*0[0-]*')


def warn(path, msg):
    print(f"profiles.py: {path}: {msg}", file=sys.stderr)


# ---------------------------------------------------------------- reading



def records(paths, stats):
    """Every record (a dict) of the logs, in file order."""
    for path in paths:
        for content in frame_contents(path, warn):
            unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                        unicode_errors='replace',
                                        max_buffer_size=len(content) + 1)
            unpacker.feed(content)
            try:
                for rec in unpacker:
                    stats['events'] += 1
                    if isinstance(rec, dict):
                        yield rec
            except (ValueError, msgpack.UnpackException) as e:
                warn(path, f"bad record, rest of frame lost: {e}")


# ---------------------------------------------------------------- profiles

class Profile:
    __slots__ = ('first', 'last', 'events', 'page_views', 'names', 'orders',
                 'revenue', 'last_order', 'cart_adds', 'times', 'traits',
                 'ctx_time', 'ctx', 'weights', 'merges')

    def __init__(self):
        self.first = None
        self.last = None
        self.events = self.page_views = self.orders = self.cart_adds = 0
        self.names = {}              # track name -> count
        self.revenue = {}            # currency -> micros
        self.last_order = None
        self.times = array('q')      # event times, for sessions (8 bytes each)
        self.traits = {}             # name -> [time, value, once]; None: unset
        self.ctx_time = None
        self.ctx = {}
        self.weights = {}            # (category or "", day) -> weight
        self.merges = 0

    def fold(self, rec, t):
        self.events += 1
        if self.first is None or t < self.first:
            self.first = t
        if self.last is None or t > self.last:
            self.last = t
        self.times.append(t)
        kind = rec.get('k')
        props = rec.get('p')
        if not isinstance(props, dict):
            props = {}
        w = 1
        if kind == 'page' or kind == 'screen':
            self.page_views += 1
        name = rec.get('n')
        if kind == 'track' and isinstance(name, str):
            name = sys.intern(name)  # one copy of each name for all profiles
            self.names[name] = self.names.get(name, 0) + 1
            if name == 'Order Completed':
                self.orders += 1
                if self.last_order is None or t > self.last_order:
                    self.last_order = t
                amount = number(props.get('revenue'))
                if amount is None:
                    amount = number(props.get('total'))
                if amount is not None and -1e12 < amount < 1e12:
                    cur = props.get('currency')
                    if not isinstance(cur, str) or not 0 < len(cur) <= 3:
                        cur = '???'
                    micros = int(math.copysign(math.floor(abs(amount) * 1e6
                                                          + 0.5), amount))
                    self.revenue[cur] = self.revenue.get(cur, 0) + micros
                w = 5
            elif name == 'Product Added':
                self.cart_adds += 1
                w = 3
        day = t // DAY_MS
        cat = props.get('category')
        if isinstance(cat, str) and cat:
            cat = sys.intern(cat)
            self.weights[(cat, day)] = self.weights.get((cat, day), 0) + w
        self.weights[('', day)] = self.weights.get(('', day), 0) + w
        if kind == 'identify' and isinstance(rec.get('tr'), dict):
            self.fold_traits(rec['tr'], t, False)
        if self.ctx_time is None or t >= self.ctx_time:
            geo = rec.get('geo') if isinstance(rec.get('geo'), dict) else {}
            self.ctx_time = t
            self.ctx = {'country': geo.get('cc'), 'region': geo.get('rg'),
                        'city': geo.get('ci'), 'userAgent': rec.get('ua'),
                        'language': rec.get('lang')}

    def fold_traits(self, traits, t, once):
        for k, v in traits.items():
            if not isinstance(k, str) or not k:
                continue
            if not once and k == '$set_once' and isinstance(v, dict):
                self.fold_traits(v, t, True)
            elif not once and k == '$unset' and isinstance(v, list):
                for n in v:
                    if isinstance(n, str):
                        self.set_trait(n, None, t, False)
            else:
                self.set_trait(k, v, t, once)

    def set_trait(self, name, value, t, once):
        old = self.traits.get(name)
        if old is not None:
            if once:
                # set-once fills only a trait without a regular value;
                # among set-once values the earliest wins
                if (not old[2] and old[1] is not None) or \
                        (old[2] and old[1] is not None and t >= old[0]):
                    return
            elif not old[2] and t < old[0]:
                return
        self.traits[name] = [t, value, once]

    def merge(self, o):
        """Folds profile o into this one (o is dropped after)."""
        self.events += o.events
        self.page_views += o.page_views
        self.orders += o.orders
        self.cart_adds += o.cart_adds
        if o.events:
            self.first = o.first if self.first is None \
                else min(self.first, o.first)
            self.last = o.last if self.last is None else max(self.last, o.last)
        if o.last_order is not None and (self.last_order is None
                                         or o.last_order > self.last_order):
            self.last_order = o.last_order
        self.times.extend(o.times)
        for k, v in o.names.items():
            self.names[k] = self.names.get(k, 0) + v
        for k, v in o.revenue.items():
            self.revenue[k] = self.revenue.get(k, 0) + v
        for k, v in o.weights.items():
            self.weights[k] = self.weights.get(k, 0) + v
        for k, (t, v, once) in o.traits.items():
            self.set_trait(k, v, t, once)
        if o.ctx_time is not None and (self.ctx_time is None
                                       or o.ctx_time >= self.ctx_time):
            self.ctx_time, self.ctx = o.ctx_time, o.ctx
        self.merges += o.merges + 1

    def sessions(self):
        times = sorted(self.times)
        return sum(1 for a, b in zip(times, times[1:])
                   if b - a > SESSION_GAP_MS) + (1 if times else 0)

    def decayed(self, as_of):
        out = {}
        for (cat, day), w in self.weights.items():
            age = as_of - day * DAY_MS - DAY_MS // 2
            out[cat] = out.get(cat, 0.0) + w * 2.0 ** (-age / HALF_LIFE_MS)
        return out


def number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def junk(s):
    return not s or s in JUNK_IDS or ZEROS.fullmatch(s) is not None


class Identities:
    """Union-find over ids (kind, text); the profile lives on the root."""

    def __init__(self):
        self.parent = {}             # id -> parent id
        self.members = {}            # root -> list of the ids of its set
        self.profile = {}            # root -> Profile (absent: none/erased)
        self.tombs = {}              # id -> erased up to this time

    def root(self, i):
        if i not in self.parent:
            self.parent[i] = i
            self.members[i] = [i]
            return i
        r = i
        while self.parent[r] != r:
            r = self.parent[r]
        while self.parent[i] != r:   # path compression
            self.parent[i], i = r, self.parent[i]
        return r

    def union(self, a, b):
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return ra
        pa, pb = self.profile.get(ra), self.profile.get(rb)
        merges = (pa.merges if pa else 0) + (pb.merges if pb else 0) + 1
        if len(self.members[ra]) + len(self.members[rb]) > IDS_MAX \
                or merges > MERGES_MAX:
            return None              # refused: a shared device, a broken site
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb, pa, pb = rb, ra, pb, pa
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        if pb is not None:
            del self.profile[rb]
            if pa is None:
                self.profile[ra] = pb
                pb.merges += 1
            else:
                pa.merge(pb)
        else:
            # the analyzer counts joining ids without a profile too (and
            # creates the profile there)
            if pa is None:
                pa = self.profile[ra] = Profile()
            pa.merges += 1
        return ra

    def erase(self, i, t):
        r = self.root(i)
        erased = self.profile.pop(r, None) is not None
        for m in self.members[r]:
            if self.tombs.get(m, t - 1) < t:
                self.tombs[m] = t
        return erased


def build(paths):
    g = Identities()
    stats = {'events': 0}
    as_of = None
    for rec in records(paths, stats):
        rt = rec.get('rt')
        if not isinstance(rt, int):
            continue
        if as_of is None or rt > as_of:
            as_of = rt
        t = rec.get('t')
        if not isinstance(t, int) or isinstance(t, bool):
            t = rt
        kind = rec.get('k')
        vid, aid, uid = rec.get('vid'), rec.get('aid'), rec.get('uid')
        if kind == 'consent_withdrawal':
            if isinstance(vid, str) and not junk(vid):
                g.erase(('v', vid), rt)
            continue
        cs = rec.get('cs')
        if isinstance(cs, dict) and (cs.get('a') == 'anonymous'
                                     or cs.get('np') is True):
            continue
        if vid is None and aid is None and uid is None:
            continue                 # cookieless or no id
        ids = [(k, v) for k, v in (('u', uid), ('a', aid), ('v', vid))
               if isinstance(v, str)]
        if g.tombs and any(t <= g.tombs.get(i, t - 1) for i in ids):
            continue                 # erased
        ids = [i for i in ids if not junk(i[1])]
        prev = rec.get('prev')
        if kind == 'alias' and isinstance(prev, str) and not junk(prev):
            # a known user id, else a known anonymous id, else a user id
            ids.append(('u', prev) if ('u', prev) in g.parent
                       or ('a', prev) not in g.parent else ('a', prev))
        if not ids:
            continue                 # only junk ids
        for a, b in zip(ids, ids[1:]):
            g.union(a, b)
        r = g.root(ids[0])
        p = g.profile.get(r)
        if p is None:
            p = g.profile[r] = Profile()
        p.fold(rec, t)
    # read-side figures, computed for every profile as the analyzer does
    # when it writes a snapshot
    result = []
    for r, p in g.profile.items():
        result.append((g.members[r], p, p.sessions(), p.decayed(as_of or 0)))
    return stats, result, as_of


def iso(ms):
    if ms is None:
        return None
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ms // 1000)) \
        + '.%03dZ' % (ms % 1000)


def profile_json(ids, p, sessions, decayed, as_of):
    kinds = {'u': 'userId', 'a': 'anonymousId', 'v': 'visitorId'}
    out_ids = {}
    for k, v in sorted(ids):
        out_ids.setdefault(kinds[k], []).append(v)
    users = out_ids.get('userId')
    return {
        'id': users[0] if users else sorted(ids)[0][1],
        'ids': out_ids,
        'traits': {k: {'value': v, 'time': iso(t)}
                   for k, (t, v, once) in sorted(p.traits.items())
                   if v is not None},
        'behaviour': {
            'firstSeen': iso(p.first), 'lastSeen': iso(p.last),
            'events': p.events, 'sessions': sessions,
            'pageViews': p.page_views,
            'eventCounts': dict(sorted(p.names.items())),
            'orders': p.orders,
            'revenue': {c: m / 1e6 for c, m in sorted(p.revenue.items())},
            'lastOrder': iso(p.last_order), 'cartAdds': p.cart_adds,
            'interests': {c: round(w, 2)
                          for c, w in sorted(decayed.items()) if c},
            'engagement': round(decayed.get('', 0.0), 2)},
        'context': dict(p.ctx, time=iso(p.ctx_time)),
        'merges': p.merges, 'asOf': iso(as_of)}


def main(argv):
    paths, out = [], None
    it = iter(argv)
    for a in it:
        if a == '--out':
            out = next(it, None)
            if out is None:
                print("profiles.py: --out needs a file name", file=sys.stderr)
                return 2
        elif a in ('-h', '--help'):
            print(__doc__)
            return 0
        else:
            paths.append(a)
    if not paths:
        print("usage: profiles.py LOG... [--out FILE]", file=sys.stderr)
        return 2
    # The data holds no reference cycles, so Python's cycle collector would
    # only rescan the growing profile tables again and again (a third of
    # the run time at 1M events): off, as one does for batch jobs.
    # Reference counting still frees everything.
    gc.disable()
    t0 = time.perf_counter()
    stats, result, as_of = build(paths)
    seconds = time.perf_counter() - t0
    if out:
        with open(out, 'w') as f:
            for ids, p, sessions, decayed in result:
                f.write(json.dumps(profile_json(ids, p, sessions, decayed,
                                                as_of),
                                   ensure_ascii=False, default=repr) + '\n')
    print(json.dumps({'events': stats['events'], 'profiles': len(result),
                      'seconds': round(seconds, 3)}))
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as e:             # exit 3 on I/O errors, as spoor does
        print(f"profiles.py: {e}", file=sys.stderr)
        sys.exit(3)
