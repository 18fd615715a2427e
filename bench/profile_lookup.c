/*
 * profile_lookup.c -- benchmark (not a test): the cost of one profile
 * lookup as the NGINX module makes it for its variables, in-process.
 *
 *   profile_lookup SNAPSHOT [LOOKUPS] [HIT_PERCENT] [PROFILES]
 *                  [DELTAS[:PERMILLE] | DELTA.serve ...]
 *
 * Writes a temporary serving file of PROFILES (default 1,000,000)
 * profiles made from SNAPSHOT's (a state's current generation, gen-N.snap,
 * with its serving view gen-N.serve next to it): the serving records as
 * they are (summaries and trait records, with the file's meta), each
 * written as often as needed, the copies' ids made
 * distinct by a suffix (".2", ".3", ...), user ids indexed by their
 * pseudonyms (the hex HMAC-SHA256 the capture path writes with
 * spoor_pseudonymize userId), the other ids as they are.  Then times
 * LOOKUPS (default 2,000,000) lookups of a realistic id mix:
 * HIT_PERCENT (default 80) of them a known visitor cookie (returning
 * visitors, in random order over all profiles, so the index and the
 * records are not all in cache), the rest a well-formed unknown one (new
 * visitors).  One lookup is what a request pays: spoor_profile_lookup()
 * (id hash, the id's line of the slot table, the served fields read from
 * its summary) and then the segment names walked as $spoor_segments
 * does.
 *
 * Pseudonymized: the same mix of raw user ids, looked up with a key
 * prepared once, as the module does.
 *
 * A delta generation is looked up through its chain (gen_chain.h): the
 * deltas newest first, then the base, one slot-table line each until
 * one holds the id.  DELTAS (a number, 1 .. SPOOR_CHAIN_DELTAS_MAX)
 * writes that many deltas on top of the serving file, each holding
 * PERMILLE (default 10) per mille of its profiles (a fresh draw per
 * delta; their records and summaries as in the base, flagged and linked
 * as the analyzer writes them), and times the same lookups through the
 * chain:
 * a known id is mostly in the base, so it is missed in every delta
 * first, the worst case.  Or serving views of real deltas (of the state
 * SNAPSHOT is from, newest first; their profiles override the base's
 * first copies), with the base's names.
 *
 * Prints a markdown table: ns per lookup (median of 5 rounds) next to the
 * issue's goals (0.3 us, 0.6 us pseudonymized; through a chain of
 * deltas, at most 2x the base alone), hits found, profiles.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "error.h"
#include "keyed_hash.h"
#include "mp_check.h"
#include "mp_read.h"
#include "privacy.h"
#include "profile_lookup.h"
#include "profile_view.h"
#include "snapshot.h"

#define ROUNDS  5

/* profiles of the base in each synthetic delta, per mille (default) */
#define DELTA_PERMILLE  10

typedef struct {
    char    kind;
    char   *id;
    size_t  len;
} query_t;

/* A query as a request holds it: the id's bytes at hand (in NGINX, in
 * the request's header buffer), not behind a pointer of their own. */
#define ID_MAX  62

typedef struct {
    char     kind;
    uint8_t  len;
    char     id[ID_MAX];
} lookup_t;

/* The session model: ACTIVE visitors at a time, each leaving (replaced
 * by a random known visitor) after VISIT_LOOKUPS lookups on average. */
#define ACTIVE          10000
#define VISIT_LOOKUPS   5

static const unsigned char  bench_key[] =
    "a benchmark key of at least thirty-two bytes, fixed";


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}


static uint64_t  rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}


/* Calls fn for every [kind, id] of the record's "ids". */
static void
each_id(const unsigned char *blob, size_t len,
    void (*fn)(void *arg, char kind, const char *id, size_t n), void *arg)
{
    spoor_mp_item_t  it, k, v, e;
    size_t           off = 0, vlen;
    uint32_t         i, j, n;

    if (spoor_mp_read(blob, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_MAP)
    {
        return;
    }
    n = it.len;
    for (i = 0; i < n; i++) {
        if (spoor_mp_read(blob, len, &off, &k) != SPOOR_OK) {
            return;
        }
        if (k.type == SPOOR_MP_STR && k.len == 3 && memcmp(k.s, "ids", 3) == 0)
        {
            if (spoor_mp_read(blob, len, &off, &v) != SPOOR_OK
                || v.type != SPOOR_MP_ARRAY)
            {
                return;
            }
            for (j = 0; j < v.len; j++) {
                if (spoor_mp_read(blob, len, &off, &e) != SPOOR_OK
                    || e.type != SPOOR_MP_ARRAY || e.len != 2
                    || spoor_mp_read(blob, len, &off, &k) != SPOOR_OK
                    || spoor_mp_read(blob, len, &off, &e) != SPOOR_OK
                    || k.type != SPOOR_MP_STR || k.len != 1
                    || e.type != SPOOR_MP_STR)
                {
                    return;
                }
                fn(arg, k.s[0], e.s, e.len);
            }
            return;
        }
        if (spoor_mp_check(blob + off, len - off, SPOOR_MP_DEPTH_CAP, &vlen)
            != SPOOR_OK)
        {
            return;
        }
        off += vlen;
    }
}


typedef struct {
    query_t   *q;
    size_t     n, cap;
    uint64_t  *hashes;               /* of the profile being copied */
    size_t     nh, caph;
    spoor_keyed_t *key;
    unsigned   copy;                 /* 0: the original; else the suffix */
} ids_t;


/* id, or id ".N" for copy N > 0, in buf (at least n + 12 bytes). */
static size_t
copy_id(const ids_t *ids, const char *id, size_t n, char *buf)
{
    memcpy(buf, id, n);
    if (ids->copy > 0) {
        n += (size_t) sprintf(buf + n, ".%u", ids->copy + 1);
    }
    return n;
}


static void
grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) {
        return;
    }
    *cap = *cap ? *cap * 2 : 1024;
    if (*cap < need) {
        *cap = need;
    }
    *p = realloc(*p, *cap * size);
    if (*p == NULL) {
        perror("realloc");
        exit(1);
    }
}


static void
collect(void *arg, char kind, const char *id, size_t n)
{
    ids_t  *ids = arg;

    grow((void **) &ids->q, &ids->cap, ids->n + 1, sizeof(query_t));
    ids->q[ids->n].kind = kind;
    ids->q[ids->n].id = malloc(n + 12);
    ids->q[ids->n].len = copy_id(ids, id, n, ids->q[ids->n].id);
    ids->n++;
}


/* The hash of a profile's first id as its snapshot indexes it. */
static void
first_hash(void *arg, char kind, const char *id, size_t n)
{
    uint64_t  *h = arg;
    char       k[2] = { kind, '\0' };

    if (*h == 0) {
        *h = spoor_id_hash(k, id, n);
    }
}


/* The index hashes of one profile, user ids by their pseudonyms. */
static void
pseudo_hashes(void *arg, char kind, const char *id, size_t n)
{
    ids_t          *ids = arg;
    char            hex[SPOOR_PSEUDONYM_LEN], k[2] = { kind, '\0' };
    char            buf[512];

    if (n > sizeof(buf) - 12) {
        return;
    }
    n = copy_id(ids, id, n, buf);
    id = buf;
    grow((void **) &ids->hashes, &ids->caph, ids->nh + 1, sizeof(uint64_t));
    if (kind == 'u') {
        if (spoor_pseudonym(NULL, 0, ids->key, id, n, hex) != SPOOR_OK) {
            fprintf(stderr, "keyed hash failed\n");
            exit(1);
        }
        id = hex;
        n = SPOOR_PSEUDONYM_LEN;
    }
    ids->hashes[ids->nh++] = spoor_id_hash(k, id, n);
}


/*
 * The lookups of one run: hit% known ids of `kind`, the rest unknown
 * (new visitors).  sessions 0: each known id drawn from all profiles
 * (every lookup a different profile: the worst case); 1: drawn from
 * ACTIVE visitors at a time, each making VISIT_LOOKUPS lookups on
 * average before another takes its place (a site's traffic).
 */
static lookup_t *
make_lookups(const ids_t *ids, char kind, size_t lookups, unsigned hit,
    int sessions)
{
    lookup_t  *q = malloc(lookups * sizeof(lookup_t));
    query_t   *known, *active, *k;
    size_t     i, nknown = 0, a;
    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    known = malloc(ids->n * sizeof(query_t));
    active = malloc(ACTIVE * sizeof(query_t));
    if (q == NULL || known == NULL || active == NULL) {
        perror("profile_lookup");
        exit(1);
    }
    for (i = 0; i < ids->n; i++) {
        if (ids->q[i].kind == kind && ids->q[i].len <= ID_MAX) {
            known[nknown++] = ids->q[i];
        }
    }
    if (nknown == 0) {
        fprintf(stderr, "profile_lookup: no ids of kind %c\n", kind);
        exit(1);
    }
    for (a = 0; a < ACTIVE; a++) {
        active[a] = known[rnd() % nknown];
    }
    for (i = 0; i < lookups; i++) {
        q[i].kind = kind;
        if (rnd() % 100 < hit) {
            if (sessions) {
                a = rnd() % ACTIVE;
                k = &active[a];
                if (rnd() % VISIT_LOOKUPS == 0) {
                    active[a] = known[rnd() % nknown];
                }
            } else {
                k = &known[rnd() % nknown];
            }
            memcpy(q[i].id, k->id, k->len);
            q[i].len = (uint8_t) k->len;
        } else {
            for (a = 0; a < 22; a++) {
                q[i].id[a] = b64[rnd() % 64];
            }
            q[i].len = 22;
        }
    }
    free(known);
    free(active);
    return q;
}


/*
 * Ends one lookup before the next begins.  Lookups in a tight loop are
 * independent, so the CPU would start the next one's memory reads while
 * the last one's are still under way and the loop would time throughput;
 * in NGINX a lookup sits among a request's thousands of instructions and
 * pays its cache misses in full.  LFENCE lets no later instruction start
 * before every earlier one (its loads included) has completed.
 */
static inline void
serialize(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__ ("lfence" ::: "memory");
#else
    __asm__ __volatile__ ("" ::: "memory");
#endif
}


static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}


/* ns per lookup, median of ROUNDS; *found: lookups that found one. */
static double
run(const spoor_profile_chain_t *c, const spoor_profile_serve_t *sv,
    const lookup_t *q, size_t lookups, spoor_keyed_t *key, size_t *found)
{
    spoor_profile_view_t   v;
    spoor_profile_iter_t   it;
    const char            *name;
    size_t                 i, nlen, sink = 0;
    double                 t0, ns[ROUNDS];
    int                    r;

    for (r = 0; r < ROUNDS; r++) {
        *found = 0;
        t0 = now_ns();
        for (i = 0; i < lookups; i++) {
            if (spoor_profile_lookup(c, sv, q[i].kind, q[i].id, q[i].len,
                                     key, &v))
            {
                (*found)++;
                memset(&it, 0, sizeof(it));
                while (spoor_profile_view_segment(&v, &it, &name, &nlen)) {
                    sink += nlen;
                }
                sink += v.life_len;
            }
            serialize();
        }
        ns[r] = (now_ns() - t0) / (double) lookups;
    }
    if (sink == 1) {
        putchar(' ');
    }
    qsort(ns, ROUNDS, sizeof(double), cmp_double);
    return ns[ROUNDS / 2];
}


/* A well-mixed 64-bit value of x (splitmix64's finalizer). */
static uint64_t
mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}


/* The serving meta of a delta: meta (a map of at most 13 keys) with
 * "parent" and "base" appended, as the analyzer writes them.  In buf, at
 * least mlen + 32 bytes; returns the length. */
static size_t
delta_meta(const unsigned char *meta, size_t mlen, uint32_t parent,
    uint32_t base, unsigned char *buf)
{
    size_t  n;

    if (mlen == 0 || (meta[0] & 0xf0) != 0x80 || (meta[0] & 0x0f) > 13
        || parent > 127 || base > 127)
    {
        fprintf(stderr, "profile_lookup: the serving meta is no small map\n");
        exit(1);
    }
    memcpy(buf, meta, mlen);
    buf[0] += 2;
    n = mlen;
    buf[n++] = 0xa6;
    memcpy(buf + n, "parent", 6);
    n += 6;
    buf[n++] = (unsigned char) parent;             /* positive fixint */
    buf[n++] = 0xa4;
    memcpy(buf + n, "base", 4);
    n += 4;
    buf[n++] = (unsigned char) base;
    return n;
}


/* Opens dir/name, a serving view with the names *sv. */
static spoor_snap_t *
open_serve(const char *path, spoor_profile_serve_t *sv)
{
    spoor_snap_t         *s;
    const unsigned char  *meta;
    size_t                mlen;
    uint64_t              version;
    char                  err[512];

    s = spoor_snap_open(path, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "profile_lookup: %s: %s\n", path, err);
        exit(1);
    }
    meta = spoor_snap_meta(s, &mlen);
    if (spoor_profile_serve_meta(meta, mlen, spoor_snap_summary_size(s), sv,
                                 &version) != SPOOR_OK)
    {
        fprintf(stderr, "profile_lookup: %s is no serving view of version "
                "%d (%llu)\n", path, SPOOR_SERVE_VERSION,
                (unsigned long long) version);
        exit(1);
    }
    return s;
}


int
main(int argc, char **argv)
{
    spoor_snap_t          *s, *src, *srv, *file[SPOOR_CHAIN_DELTAS_MAX + 1];
    spoor_snapw_t         *w, *dw[SPOOR_CHAIN_DELTAS_MAX + 1];
    spoor_snap_cursor_t    scur = SPOOR_SNAP_CURSOR_INIT;
    spoor_keyed_t         *key;
    ids_t                  ids;
    const unsigned char   *blob, *sum, *meta;
    unsigned char         *dmeta;
    size_t                 i, j, n, len, lookups, found, pfound, want, total,
                           pi, mlen, dlen, ndeltas, nfiles, dcount, dsize;
    uint64_t               h, version;
    int                    sessions, synth;
    spoor_profile_serve_t  sv, dsv;
    spoor_profile_chain_t  base, chain;
    struct stat            st;
    lookup_t              *q;
    static const char     *mix[2] = { "uniform", "sessions" };
    unsigned               hit, permille;
    char                  *end;
    double                 plain, pseudo, cplain, cpseudo;
    char                   err[512], dir[] = "/tmp/spoor-lookup-XXXXXX",
                           path[4096], name[64], files[32];

    if (argc < 2) {
        fprintf(stderr, "usage: profile_lookup SNAPSHOT [LOOKUPS] "
                "[HIT_PERCENT] [PROFILES] [DELTAS[:PERMILLE] | "
                "DELTA.serve ...]\n");
        return 2;
    }
    lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
    hit = argc > 3 ? (unsigned) strtoul(argv[3], NULL, 10) : 80;
    want = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000000;
    if (lookups == 0 || hit > 100 || want == 0) {
        fprintf(stderr, "profile_lookup: bad LOOKUPS, HIT_PERCENT or "
                "PROFILES\n");
        return 2;
    }

    /* the deltas: a number to write, or files (newest first) */
    ndeltas = 0;
    synth = 0;
    permille = DELTA_PERMILLE;
    if (argc > 5 && strspn(argv[5], "0123456789:") == strlen(argv[5])) {
        ndeltas = strtoul(argv[5], &end, 10);
        if (*end == ':') {
            permille = (unsigned) strtoul(end + 1, NULL, 10);
        }
        synth = 1;
        if (permille == 0 || permille > 1000) {
            fprintf(stderr, "profile_lookup: PERMILLE is 1 .. 1000\n");
            return 2;
        }
        if (argc > 6) {
            fprintf(stderr, "profile_lookup: DELTAS or files, not both\n");
            return 2;
        }
    } else if (argc > 5) {
        ndeltas = (size_t) argc - 5;
    }
    if (ndeltas > SPOOR_CHAIN_DELTAS_MAX) {
        fprintf(stderr, "profile_lookup: at most %d deltas\n",
                SPOOR_CHAIN_DELTAS_MAX);
        return 2;
    }

    src = spoor_snap_open(argv[1], err, sizeof(err));
    len = strlen(argv[1]);
    if (len < 5 || strcmp(argv[1] + len - 5, ".snap") != 0
        || len + 2 > sizeof(path))
    {
        fprintf(stderr, "profile_lookup: %s is no gen-N.snap\n", argv[1]);
        return 2;
    }
    snprintf(path, sizeof(path), "%.*s.serve", (int) (len - 5), argv[1]);
    srv = spoor_snap_open(path, err, sizeof(err));
    if (src == NULL || srv == NULL) {
        fprintf(stderr, "profile_lookup: %s\n", err);
        return 1;
    }
    if (spoor_snap_count(srv) != spoor_snap_count(src)) {
        fprintf(stderr, "profile_lookup: %s does not match its snapshot\n",
                path);
        return 1;
    }
    memset(&ids, 0, sizeof(ids));
    n = spoor_snap_count(src);
    if (n == 0) {
        fprintf(stderr, "profile_lookup: %s has no profiles\n", argv[1]);
        return 1;
    }

    key = spoor_keyed_new(bench_key, sizeof(bench_key) - 1);
    if (key == NULL || mkdtemp(dir) == NULL) {
        fprintf(stderr, "profile_lookup: cannot prepare\n");
        return 1;
    }
    ids.key = key;

    meta = spoor_snap_meta(srv, &mlen);
    if (spoor_profile_serve_meta(meta, mlen, spoor_snap_summary_size(srv),
                                 &sv, &version) != SPOOR_OK)
    {
        fprintf(stderr, "profile_lookup: %s is no serving view of version "
                "%d (%llu)\n", path, SPOOR_SERVE_VERSION,
                (unsigned long long) version);
        return 1;
    }

    /* the base, generation 1, and the synthetic deltas 2 .. DELTAS + 1 */
    w = spoor_snapw_create(dir, "gen-000001.serve");
    if (w == NULL
        || spoor_snapw_slots(w, spoor_snap_summary_size(srv)) != SPOOR_OK
        || spoor_snapw_meta(w, meta, mlen) != SPOOR_OK)
    {
        perror("profile_lookup: snapshot");
        return 1;
    }
    dmeta = malloc(mlen + 32);
    if (dmeta == NULL) {
        perror("profile_lookup");
        return 1;
    }
    for (j = 1; synth && j <= ndeltas; j++) {
        snprintf(name, sizeof(name), "gen-%06zu.serve", j + 1);
        dlen = delta_meta(meta, mlen, (uint32_t) j, 1, dmeta);
        dw[j] = spoor_snapw_create(dir, name);
        if (dw[j] == NULL
            || spoor_snapw_slots(dw[j], spoor_snap_summary_size(srv))
               != SPOOR_OK
            || spoor_snapw_flags(dw[j], SPOOR_SNAP_DELTA) != SPOOR_OK
            || spoor_snapw_meta(dw[j], dmeta, dlen) != SPOOR_OK)
        {
            perror("profile_lookup: delta");
            return 1;
        }
    }
    free(dmeta);

    for (total = 0; total < want; total++) {
        i = total % n;
        ids.copy = (unsigned) (total / n);
        blob = spoor_snap_get(src, i, &len, &scur);
        if (blob == NULL) {
            fprintf(stderr, "profile_lookup: profile %zu damaged\n", i);
            return 1;
        }
        each_id(blob, len, collect, &ids);
        ids.nh = 0;
        each_id(blob, len, pseudo_hashes, &ids);
        h = 0;
        each_id(blob, len, first_hash, &h);
        sum = spoor_snap_slot(srv, h, &pi);
        blob = spoor_snap_profile(srv, i, &len);
        if (blob == NULL || ids.nh == 0 || sum == NULL || pi != i
            || spoor_snapw_add_sum(w, blob, len, ids.hashes, ids.nh, sum)
               != SPOOR_OK)
        {
            fprintf(stderr, "profile_lookup: cannot copy profile %zu\n", i);
            return 1;
        }
        for (j = 1; synth && j <= ndeltas; j++) {
            if (mix64((uint64_t) total << 5 | j) % 1000 < permille
                && spoor_snapw_add_sum(dw[j], blob, len, ids.hashes, ids.nh,
                                       sum) != SPOOR_OK)
            {
                fprintf(stderr, "profile_lookup: cannot copy profile %zu "
                        "to delta %zu\n", i, j);
                return 1;
            }
        }
    }
    if (spoor_snapw_commit(w) != SPOOR_OK) {
        perror("profile_lookup: commit");
        return 1;
    }
    for (j = 1; synth && j <= ndeltas; j++) {
        if (spoor_snapw_commit(dw[j]) != SPOOR_OK) {
            perror("profile_lookup: commit a delta");
            return 1;
        }
    }
    spoor_snap_cursor_free(&scur);
    spoor_snap_close(src);
    spoor_snap_close(srv);

    /* the chains: the base alone; the deltas newest first, then it */
    snprintf(path, sizeof(path), "%s/gen-000001.serve", dir);
    s = open_serve(path, &sv);
    n = spoor_snap_count(s);
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    memset(&base, 0, sizeof(base));
    memset(&chain, 0, sizeof(chain));
    base.file[0] = s;
    base.n = 1;

    nfiles = 0;
    dcount = 0;
    dsize = 0;
    for (j = 0; j < ndeltas; j++) {
        if (synth) {
            snprintf(path, sizeof(path), "%s/gen-%06zu.serve", dir,
                     ndeltas + 1 - j);
        } else {
            snprintf(path, sizeof(path), "%s", argv[5 + j]);
        }
        file[j] = open_serve(path, &dsv);
        if (!spoor_profile_serve_same(&sv, &dsv)) {
            fprintf(stderr, "profile_lookup: %s has other names than the "
                    "base\n", path);
            return 1;
        }
        chain.file[nfiles++] = file[j];
        dcount += spoor_snap_count(file[j]);
        if (stat(path, &st) == 0) {
            dsize += (size_t) st.st_size;
        }
    }
    chain.file[nfiles++] = s;
    chain.n = nfiles;
    snprintf(path, sizeof(path), "%s/gen-000001.serve", dir);
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }

    printf("| lookup | ids | files | ns per lookup | goal | found |\n");
    printf("| --- | --- | --- | ---: | ---: | ---: |\n");
    snprintf(files, sizeof(files), "base + %zu deltas", ndeltas);
    for (sessions = 1; sessions >= 0; sessions--) {
        q = make_lookups(&ids, 'v', lookups, hit, sessions);
        plain = run(&base, &sv, q, lookups, NULL, &found);
        printf("| visitor cookie | %s | base | %.0f | 300 | %.1f %% |\n",
               mix[sessions], plain,
               100.0 * (double) found / (double) lookups);
        if (ndeltas > 0) {
            cplain = run(&chain, &sv, q, lookups, NULL, &found);
            printf("| visitor cookie | %s | %s | %.0f | %.0f (2x) | "
                   "%.1f %% |\n", mix[sessions], files, cplain, 2 * plain,
                   100.0 * (double) found / (double) lookups);
        }
        free(q);

        q = make_lookups(&ids, 'u', lookups, hit, sessions);
        pseudo = run(&base, &sv, q, lookups, key, &pfound);
        printf("| user id, pseudonymized | %s | base | %.0f | 600 | "
               "%.1f %% |\n", mix[sessions], pseudo,
               100.0 * (double) pfound / (double) lookups);
        if (ndeltas > 0) {
            cpseudo = run(&chain, &sv, q, lookups, key, &pfound);
            printf("| user id, pseudonymized | %s | %s | %.0f | %.0f (2x) | "
                   "%.1f %% |\n", mix[sessions], files, cpseudo, 2 * pseudo,
                   100.0 * (double) pfound / (double) lookups);
        }
        free(q);
    }
    printf("\n%zu profiles, %zu lookups per round, median of %d rounds, "
           "%u %% known ids (the rest new visitors).  Sessions: %d visitors "
           "at a time, %d lookups each on average; uniform: every lookup a "
           "random profile of all.  Serving file: %.1f MB, %zu-byte "
           "summaries.\n", n, lookups, ROUNDS, hit, ACTIVE, VISIT_LOOKUPS,
           (double) st.st_size / 1e6,
           spoor_snap_summary_size(s));
    if (ndeltas > 0) {
        if (synth) {
            printf("Deltas written here, each with %.1f %% of the "
                   "profiles: ", permille / 10.0);
        } else {
            printf("Deltas given: ");
        }
        printf("%zu records, %.1f MB in all; a known id in the base is "
               "missed in every delta first.\n", dcount,
               (double) dsize / 1e6);
    }

    for (j = 0; j < ndeltas; j++) {
        spoor_snap_close(file[j]);
        if (synth) {
            snprintf(path, sizeof(path), "%s/gen-%06zu.serve", dir, j + 2);
            unlink(path);
        }
    }
    snprintf(path, sizeof(path), "%s/gen-000001.serve", dir);
    unlink(path);
    rmdir(dir);
    spoor_snap_close(s);
    spoor_keyed_free(key);
    return 0;
}
