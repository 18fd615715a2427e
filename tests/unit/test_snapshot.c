/*
 * test_snapshot.c -- unit tests of the profile snapshot file
 * (shared/snapshot.h, docs/FORMAT.md "Profile snapshots").
 *
 * Snapshots are written from a deterministic model (profile i has a blob
 * and ids computed from i; some ids are shared by two profiles), read
 * back and searched; then copies are truncated, damaged byte by byte, or
 * forged with valid checksums so that only the bounds checks stand
 * between the reader and the bytes.  The tests read the file layout with
 * their own code, so they also pin down what docs/FORMAT.md says.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include <xxhash.h>
#include <zstd.h>
#include "error.h"
#include "snap_group.h"
#include "snapshot.h"

static char  dir[64];

static void
setup(void)
{
    strcpy(dir, "/tmp/spoor-snap-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}


static void
teardown(void)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(snapshot, .init = setup, .fini = teardown);


/* ---- small utilities ---------------------------------------------------- */

static char *
path_of(const char *name)
{
    static char  p[4][256];
    static int   k;

    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}


static unsigned char *
slurp(const char *path, size_t *len)
{
    struct stat     st;
    unsigned char  *p;
    FILE           *f;

    cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
    p = malloc((size_t) st.st_size + 1);
    cr_assert_not_null(p);
    f = fopen(path, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(fread(p, 1, (size_t) st.st_size, f), (size_t) st.st_size);
    fclose(f);
    *len = (size_t) st.st_size;
    return p;
}


static void
spill(const char *path, const void *p, size_t len)
{
    int  fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, p, len), (ssize_t) len);
    cr_assert_eq(close(fd), 0);
}


/* Names in dir (not . and ..), joined by spaces, in a static buffer. */
static const char *
listing(void)
{
    static char     out[1024];
    struct dirent  *de;
    DIR            *d;

    out[0] = '\0';
    d = opendir(dir);
    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            if (out[0]) {
                strcat(out, " ");
            }
            strncat(out, de->d_name, sizeof(out) - strlen(out) - 2);
        }
    }
    closedir(d);
    return out;
}


static uint64_t
rd64(const unsigned char *p)
{
    uint64_t  v = 0;
    int       i;

    for (i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}


static uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


static void
wr64(unsigned char *p, uint64_t v)
{
    int  i;

    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char) (v >> (8 * i));
    }
}


/* ---- the model ---------------------------------------------------------- */

#define BIG_PROFILE  777          /* a 300 KiB blob, past the write buffer */

static uint64_t
hid(const char *kind, const char *fmt, size_t n)
{
    char  s[64];
    int   len;

    len = snprintf(s, sizeof(s), fmt, n);
    return spoor_id_hash(kind, s, (size_t) len);
}


/* Profile i's blob (into buf, BLOB_CAP bytes); returns its length. */
#define BLOB_CAP  (300 * 1024)

static size_t
model_blob(size_t i, unsigned char *buf)
{
    size_t  len, j;

    len = i == BIG_PROFILE ? BLOB_CAP : 1 + (i * 7919) % 200;
    for (j = 0; j < len; j++) {
        buf[j] = (unsigned char) (i * 31 + j * 17 + (j >> 8));
    }
    return len;
}


/*
 * Profile i's ids: "u" user-i; "a" anon-i for even i; "v" shared-(i/10)
 * for i % 10 < 2 (so profiles 10j and 10j+1 share it); user-i again for
 * i % 3 == 0 (a duplicate within the profile).
 */
static size_t
model_ids(size_t i, uint64_t *ids)
{
    size_t  n = 0;

    ids[n++] = hid("u", "user-%zu", i);
    if (i % 2 == 0) {
        ids[n++] = hid("a", "anon-%zu", i);
    }
    if (i % 10 < 2) {
        ids[n++] = hid("v", "shared-%zu", i / 10);
    }
    if (i % 3 == 0) {
        ids[n++] = ids[0];
    }
    return n;
}


/* msgpack {"gen": 7, "ts": 1765231558656} and the string's NUL: 19 bytes,
 * opaque to the snapshot; not a multiple of 8, so the section is padded */
static const unsigned char  model_meta[] =
    "\x82\xa3gen\x07\xa2ts\xcf\x00\x00\x01\x9b\x00\x00\x00\x00";

/* The model's n profiles, the blobs of profiles shift .. shift + n - 1
 * (so two files can differ), in groups (version 3) when groups is 1. */
static int
write_model_as(const char *name, size_t n, int with_meta, int groups,
    size_t shift)
{
    static unsigned char   buf[BLOB_CAP];
    spoor_snapw_t         *w;
    uint64_t               ids[8];
    size_t                 i, len, nids;
    int                    rc;

    w = spoor_snapw_create(dir, name);
    cr_assert_not_null(w, "create: %s", strerror(errno));
    if (groups) {
        cr_assert_eq(spoor_snapw_groups(w), SPOOR_OK);
    }
    for (i = 0; i < n; i++) {
        len = model_blob(i + shift, buf);
        nids = model_ids(i, ids);
        rc = spoor_snapw_add(w, buf, len, ids, nids);
        cr_assert_eq(rc, SPOOR_OK, "add %zu: %d", i, rc);
    }
    if (with_meta) {
        cr_assert_eq(spoor_snapw_meta(w, model_meta, sizeof(model_meta)),
                     SPOOR_OK);
    }
    return spoor_snapw_commit(w);
}


static int
write_model(const char *name, size_t n, int with_meta)
{
    return write_model_as(name, n, with_meta, 0, 0);
}


typedef struct {
    size_t  n;
    size_t  got[8];
} hits_t;

static void
collect(void *arg, size_t i)
{
    hits_t  *h = arg;

    if (h->n < 8) {
        h->got[h->n] = i;
    }
    h->n++;
}


static void
expect_find(const spoor_snap_t *s, uint64_t id, size_t a, size_t b,
    size_t nexp)
{
    hits_t  h = { 0, { 0 } };
    size_t  r;

    r = spoor_snap_find(s, id, collect, &h);
    cr_assert_eq(r, nexp, "find %016llx: %zu hits, want %zu",
                 (unsigned long long) id, r, nexp);
    cr_assert_eq(h.n, nexp);
    if (nexp > 0) {
        cr_assert_eq(h.got[0], a);
    }
    if (nexp > 1) {
        cr_assert_eq(h.got[1], b);
    }
}


/* Everything the model says about a snapshot of n profiles. */
static void
check_model(const spoor_snap_t *s, size_t n, int with_meta)
{
    static unsigned char   buf[BLOB_CAP];
    spoor_snap_cursor_t    cur = SPOOR_SNAP_CURSOR_INIT;
    const unsigned char   *p;
    size_t                 i, len, want, j;
    char                   err[256];
    int                    grouped;

    grouped = spoor_snap_version(s) == SPOOR_SNAP_VERSION_GROUPS;
    cr_assert_eq(spoor_snap_count(s), n);
    for (i = 0; i < n; i++) {
        want = model_blob(i, buf);
        p = spoor_snap_get(s, i, &len, &cur);
        cr_assert_not_null(p, "profile %zu", i);
        cr_assert_eq(len, want, "profile %zu length", i);
        cr_assert(memcmp(p, buf, len) == 0, "profile %zu bytes", i);
        if (!grouped) {
            cr_assert_eq((uintptr_t) p % 8, 0, "blob %zu not 8-aligned", i);
            cr_assert_eq(spoor_snap_profile(s, i, &len), p);
        } else {
            errno = 0;
            cr_assert_null(spoor_snap_profile(s, i, &len), "%zu", i);
            cr_assert_eq(errno, EINVAL);
        }

        expect_find(s, hid("u", "user-%zu", i), i, 0, 1);
        expect_find(s, hid("a", "anon-%zu", i), i, 0, i % 2 == 0);
        if (i % 10 == 0) {
            j = i + 1 < n ? 2 : 1;
            expect_find(s, hid("v", "shared-%zu", i / 10), i, i + 1, j);
        }
    }
    expect_find(s, hid("u", "user-%zu", n), 0, 0, 0);
    expect_find(s, hid("x", "user-%zu", 0), 0, 0, 0);
    expect_find(s, 0, 0, 0, 0);
    expect_find(s, UINT64_MAX, 0, 0, 0);
    cr_assert_null(spoor_snap_profile(s, n, &len));
    cr_assert_eq(len, 0);
    cr_assert_null(spoor_snap_get(s, n, &len, &cur));
    cr_assert_eq(len, 0);
    spoor_snap_cursor_free(&cur);

    p = spoor_snap_meta(s, &len);
    if (with_meta) {
        cr_assert_not_null(p);
        cr_assert_eq(len, sizeof(model_meta));
        cr_assert(memcmp(p, model_meta, len) == 0);
    } else {
        cr_assert_null(p);
        cr_assert_eq(len, 0);
    }
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK, "%s", err);
}


static spoor_snap_t *
open_ok(const char *name)
{
    spoor_snap_t  *s;
    char           err[256];

    s = spoor_snap_open(path_of(name), err, sizeof(err));
    cr_assert_not_null(s, "open: %s", err);
    return s;
}


/* ---- round trips -------------------------------------------------------- */

Test(snapshot, empty)
{
    spoor_snap_t  *s;

    cr_assert_eq(write_model("s", 0, 0), SPOOR_OK);
    cr_assert_str_eq(listing(), "s");
    s = open_ok("s");
    check_model(s, 0, 0);
    cr_assert_eq(spoor_snap_find(s, hid("u", "user-%zu", 0), NULL, NULL), 0);
    spoor_snap_close(s);
}


Test(snapshot, one_profile_with_meta)
{
    spoor_snap_t  *s;

    cr_assert_eq(write_model("s", 1, 1), SPOOR_OK);
    s = open_ok("s");
    check_model(s, 1, 1);
    /* profile 0 has user-0 twice: found once */
    cr_assert_eq(spoor_snap_find(s, hid("u", "user-%zu", 0), NULL, NULL), 1);
    spoor_snap_close(s);
}


Test(snapshot, ten_thousand_profiles)
{
    spoor_snap_t  *s;

    cr_assert_eq(write_model("s", 10000, 0), SPOOR_OK);
    s = open_ok("s");
    check_model(s, 10000, 0);
    spoor_snap_close(s);
}


/* (hash, profile) pairs in the order the index must hold them */
static int
pair_cmp(const void *a, const void *b)
{
    const uint64_t  *x = a, *y = b;

    if (x[0] != y[0]) {
        return x[0] < y[0] ? -1 : 1;
    }
    return (x[1] > y[1]) - (x[1] < y[1]);
}


/* Profile i's j-th id hash (of nids[i]) in pattern `pat`. */
static uint64_t
pattern_hash(int pat, size_t i, size_t j, size_t n, uint64_t *rnd)
{
    switch (pat) {
    case 0: return i * 3 + j;                           /* ascending */
    case 1: return (n - i) * 3 - j;                     /* descending */
    case 2: return 42;                                  /* one hash */
    case 3: return i < n / 2 ? i : n - i;               /* organ pipe */
    case 4: return (i % 7) * 1000 + j;                  /* sawtooth */
    case 5: return i & 1 ? UINT64_MAX - i : i;          /* both ends */
    default:
        *rnd = *rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        return *rnd >> (pat == 6 ? 0 : 54);             /* random, or
                                                           many repeats */
    }
}


Test(snapshot, index_sorted_from_any_order)
{
    enum { N = 3000 };
    static uint64_t  want[N * 3][2];
    spoor_snapw_t   *w;
    spoor_snap_t    *s;
    uint64_t         ids[3], rnd, h;
    size_t           i, j, k, n, nw, nids, prof;
    char             err[256];
    int              pat;

    for (pat = 0; pat <= 7; pat++) {
        rnd = 7;
        nw = 0;
        w = spoor_snapw_create(dir, "s");
        cr_assert_not_null(w);
        for (i = 0; i < N; i++) {
            nids = 1 + i % 3;
            for (j = 0; j < nids; j++) {
                ids[j] = pattern_hash(pat, i, j, N, &rnd);
                want[nw][0] = ids[j];
                want[nw][1] = i;
                nw++;
            }
            cr_assert_eq(spoor_snapw_add(w, (const unsigned char *) "p", 1,
                                         ids, nids), SPOOR_OK);
        }
        cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);

        qsort(want, nw, sizeof(want[0]), pair_cmp);
        for (i = 1, n = 1; i < nw; i++) {
            if (want[i][0] != want[n - 1][0] || want[i][1] != want[n - 1][1]) {
                want[n][0] = want[i][0];
                want[n][1] = want[i][1];
                n++;
            }
        }

        s = open_ok("s");
        cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK,
                     "pattern %d: %s", pat, err);
        cr_assert_eq(spoor_snap_index_count(s), n, "pattern %d", pat);
        for (k = 0; k < n; k++) {
            h = spoor_snap_index_entry(s, k, &prof);
            cr_assert(h == want[k][0] && prof == want[k][1],
                      "pattern %d, entry %zu", pat, k);
        }
        spoor_snap_close(s);
    }
}


Test(snapshot, shared_id_in_order)
{
    spoor_snapw_t  *w;
    spoor_snap_t   *s;
    uint64_t        x = spoor_id_hash("u", "x", 1), y = x + 1, ids[3];
    hits_t          h = { 0, { 0 } };

    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    ids[0] = y; ids[1] = x;
    cr_assert_eq(spoor_snapw_add(w, (const unsigned char *) "p0", 2, ids, 2),
                 SPOOR_OK);
    ids[0] = y;
    cr_assert_eq(spoor_snapw_add(w, (const unsigned char *) "p1", 2, ids, 1),
                 SPOOR_OK);
    ids[0] = x; ids[1] = x; ids[2] = x;
    cr_assert_eq(spoor_snapw_add(w, (const unsigned char *) "p2", 2, ids, 3),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);

    s = open_ok("s");
    cr_assert_eq(spoor_snap_find(s, x, collect, &h), 2);
    cr_assert_eq(h.got[0], 0);
    cr_assert_eq(h.got[1], 2);
    h.n = 0;
    cr_assert_eq(spoor_snap_find(s, y, collect, &h), 2);
    cr_assert_eq(h.got[0], 0);
    cr_assert_eq(h.got[1], 1);
    cr_assert_eq(spoor_snap_find(s, x - 1, collect, &h), 0);
    cr_assert_eq(spoor_snap_find(s, y + 1, collect, &h), 0);
    cr_assert_null(spoor_snap_meta(s, NULL));
    spoor_snap_close(s);
}


Test(snapshot, meta_rules)
{
    spoor_snapw_t  *w;
    uint64_t        id = 1;

    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_meta(w, model_meta, 0), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_meta(w, model_meta, 3), SPOOR_OK);
    cr_assert_eq(spoor_snapw_meta(w, model_meta, 3), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add(w, model_meta, 1, &id, 1), SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);

    {
        spoor_snap_t         *s = open_ok("s");
        const unsigned char  *m;
        size_t                len;

        m = spoor_snap_meta(s, &len);
        cr_assert_eq(len, 3);
        cr_assert(memcmp(m, model_meta, 3) == 0);
        spoor_snap_close(s);
    }
}


Test(snapshot, bad_arguments)
{
    spoor_snapw_t  *w;
    spoor_snap_t   *s;
    uint64_t        id = 7;

    cr_assert_null(spoor_snapw_create(dir, "a/b"));
    cr_assert_eq(errno, EINVAL);
    cr_assert_null(spoor_snapw_create(dir, ""));
    cr_assert_null(spoor_snapw_create(dir, ".."));
    cr_assert_null(spoor_snapw_create(path_of("missing"), "s"));
    cr_assert_eq(errno, ENOENT);

    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_add(w, model_meta, 0, &id, 1), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add(w, model_meta, 1, &id, 0), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add(w, model_meta, 1, NULL, 1), SPOOR_E_INVAL);
    /* rejected before the blob is read */
    cr_assert_eq(spoor_snapw_add(w, model_meta, SPOOR_SNAP_BLOB_MAX + 1,
                                 &id, 1), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add(w, model_meta, 2, &id, 1), SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);

    s = open_ok("s");
    cr_assert_eq(spoor_snap_count(s), 1);
    cr_assert_eq(spoor_snap_find(s, 7, NULL, NULL), 1);
    spoor_snap_close(s);
}


Test(snapshot, id_hash)
{
    unsigned char  buf[1100];
    char           id[1024];

    cr_assert_eq(spoor_id_hash("u", "abc", 3), XXH64("u\0abc", 5, 0));
    cr_assert_eq(spoor_id_hash("a", "", 0), XXH64("a", 2, 0));
    cr_assert_neq(spoor_id_hash("u", "abc", 3), spoor_id_hash("a", "abc", 3));
    cr_assert_neq(spoor_id_hash("u", "abc", 3), spoor_id_hash("ua", "bc", 2));

    /* a long id takes the streaming path: same definition */
    memset(id, 'z', sizeof(id));
    buf[0] = 'v';
    buf[1] = 0;
    memcpy(buf + 2, id, sizeof(id));
    cr_assert_eq(spoor_id_hash("v", id, sizeof(id)),
                 XXH64(buf, 2 + sizeof(id), 0));
    cr_assert_eq(spoor_id_hash("v", id, 253), XXH64(buf, 255, 0));
    cr_assert_eq(spoor_id_hash("v", id, 254), XXH64(buf, 256, 0));
}


/* ---- the bytes ---------------------------------------------------------- */

Test(snapshot, identical_input_identical_bytes)
{
    unsigned char  *a, *b, *c;
    size_t          alen, blen, clen;

    cr_assert_eq(write_model("a", 1000, 1), SPOOR_OK);
    cr_assert_eq(write_model("b", 1000, 1), SPOOR_OK);
    cr_assert_eq(write_model("c", 999, 1), SPOOR_OK);
    a = slurp(path_of("a"), &alen);
    b = slurp(path_of("b"), &blen);
    c = slurp(path_of("c"), &clen);
    cr_assert_eq(alen, blen);
    cr_assert(memcmp(a, b, alen) == 0, "same input, different bytes");
    cr_assert(clen != alen || memcmp(a, c, alen) != 0);
    free(a);
    free(b);
    free(c);
}


/* Reads the layout with this file's own code, as docs/FORMAT.md gives it. */
Test(snapshot, layout_matches_format_doc)
{
    unsigned char  *f, *rec;
    size_t          size, i, n = 40, pos;
    uint64_t        count, nidx, off, len, prev_h = 0, prev_i = 0, meta_size;

    cr_assert_eq(write_model("s", n, 1), SPOOR_OK);
    f = slurp(path_of("s"), &size);

    cr_assert(memcmp(f, "SPOORSNP", 8) == 0);
    cr_assert_eq(rd32(f + 8), 1);
    cr_assert_eq(rd32(f + 12), 0);
    cr_assert_eq(rd64(f + 16), size);
    cr_assert_eq(size % 8, 0);
    count = rd64(f + 24);
    cr_assert_eq(count, n);
    cr_assert_eq(rd64(f + 32), 136);
    cr_assert_eq(rd64(f + 48), 136 + rd64(f + 40));
    cr_assert_eq(rd64(f + 56), 8 * count);
    nidx = rd64(f + 64);
    cr_assert_eq(rd64(f + 72), rd64(f + 48) + rd64(f + 56));
    cr_assert_eq(rd64(f + 80), 16 * nidx);
    cr_assert_eq(rd64(f + 88), rd64(f + 72) + rd64(f + 80));
    meta_size = rd64(f + 96);
    cr_assert_eq(meta_size, sizeof(model_meta));
    cr_assert_eq(rd64(f + 88) + ((meta_size + 7) & ~7ull) + 24, size);
    cr_assert_eq(rd64(f + 104), XXH64(f + rd64(f + 48), rd64(f + 56), 0));
    cr_assert_eq(rd64(f + 112), XXH64(f + rd64(f + 72), rd64(f + 80), 0));
    cr_assert_eq(rd64(f + 120), XXH64(f + rd64(f + 88), meta_size, 0));
    cr_assert(memcmp(f + rd64(f + 88), model_meta, meta_size) == 0);
    cr_assert_eq(rd64(f + 128), XXH64(f, 128, 0));

    /* records back to back, each u64 len, u64 xxh64, blob, zero pad */
    pos = 136;
    for (i = 0; i < n; i++) {
        off = rd64(f + rd64(f + 48) + 8 * i);
        cr_assert_eq(off, pos);
        rec = f + off;
        len = rd64(rec);
        cr_assert_eq(rd64(rec + 8), XXH64(rec + 16, len, 0));
        for (pos = off + 16 + len; pos % 8; pos++) {
            cr_assert_eq(f[pos], 0);
        }
    }
    cr_assert_eq(pos, rd64(f + 48));

    /* index: sorted (hash, profile), no duplicates; here 1 + 1/2 + 1/5 */
    cr_assert_eq(nidx, n + n / 2 + n / 5);
    for (i = 0; i < nidx; i++) {
        uint64_t  h = rd64(f + rd64(f + 72) + 16 * i);
        uint64_t  p = rd64(f + rd64(f + 72) + 16 * i + 8);

        cr_assert(i == 0 || h > prev_h || (h == prev_h && p > prev_i));
        cr_assert(p < count);
        prev_h = h;
        prev_i = p;
    }

    cr_assert_eq(rd64(f + size - 24), size);
    cr_assert_eq(rd64(f + size - 16), XXH64(f, size - 16, 0));
    cr_assert(memcmp(f + size - 8, "SPOOREND", 8) == 0);
    free(f);
}


/* ---- damage ------------------------------------------------------------- */

/* Open must refuse it; a message is given, naming the file and, when
 * `says` is not NULL, containing it. */
static void
expect_refused_saying(const char *name, const char *what, const char *says)
{
    spoor_snap_t  *s;
    char           err[256];

    err[0] = 'X';
    s = spoor_snap_open(path_of(name), err, sizeof(err));
    cr_assert_null(s, "%s: opened", what);
    cr_assert(err[0] != '\0' && err[0] != 'X', "%s: no message", what);
    cr_assert_not_null(strstr(err, dir), "%s: no path in \"%s\"", what, err);
    if (says != NULL) {
        cr_assert_not_null(strstr(err, says),
                           "%s: \"%s\" does not say %s", what, err, says);
    }
}


static void
expect_refused(const char *name, const char *what)
{
    expect_refused_saying(name, what, NULL);
}


Test(snapshot, truncation_rejected)
{
    unsigned char  *f;
    size_t          size, k, cut;

    cr_assert_eq(write_model("s", 300, 1), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    for (k = 0; k <= 64 + 3; k++) {
        cut = k < 64 ? size * k / 64
              : k == 64 ? size - 1 : k == 65 ? size - 8 : size - 24;
        spill(path_of("t"), f, cut);
        expect_refused("t", "truncated");
    }
    /* a file one byte longer is refused too */
    f = realloc(f, size + 8);
    cr_assert_not_null(f);
    memset(f + size, 0, 8);
    spill(path_of("t"), f, size + 1);
    expect_refused("t", "extended");
    free(f);
}


/* Uses every accessor on a damaged file that opened: must not crash. */
static void
poke_all(const spoor_snap_t *s, size_t n)
{
    spoor_snap_cursor_t  cur = SPOOR_SNAP_CURSOR_INIT;
    size_t               i, len;

    for (i = 0; i < spoor_snap_count(s) + 1; i++) {
        (void) spoor_snap_profile(s, i, &len);
        (void) spoor_snap_get(s, i, &len, &cur);
    }
    spoor_snap_cursor_free(&cur);
    for (i = 0; i < n + 1; i++) {
        (void) spoor_snap_find(s, hid("u", "user-%zu", i), NULL, NULL);
        (void) spoor_snap_find(s, hid("v", "shared-%zu", i / 10), NULL, NULL);
    }
    (void) spoor_snap_meta(s, &len);
}


/* Flips bits at offset off of a copy; returns 1 if open refused it, 2 if
 * verify did (and fails the test if neither). */
static int
damage_at(const unsigned char *f, size_t size, size_t off, unsigned char x,
    size_t n)
{
    unsigned char  *g;
    spoor_snap_t   *s;
    char            err[256];
    int             rc;

    g = malloc(size);
    cr_assert_not_null(g);
    memcpy(g, f, size);
    g[off] ^= x;
    spill(path_of("d"), g, size);
    free(g);

    s = spoor_snap_open(path_of("d"), err, sizeof(err));
    if (s == NULL) {
        return 1;
    }
    poke_all(s, n);
    rc = spoor_snap_verify(s, err, sizeof(err));
    cr_assert_neq(rc, SPOOR_OK, "byte %zu ^ 0x%02x not detected", off, x);
    spoor_snap_close(s);
    return 2;
}


/*
 * Every byte, two ways.  Open reads the header, table, index, meta and the
 * trailer's size and magic: damage there is refused by open.  Open does
 * not read the profile records, the meta padding or the file checksum:
 * damage there is left to verify (open succeeds: it did not read them).
 */
static void
every_byte_damaged(int groups)
{
    unsigned char  *f;
    size_t          size, off, k, meta_end;
    int             want;
    unsigned char   x[2] = { 0x01, 0x80 };

    cr_assert_eq(write_model_as("s", 40, 1, groups, 0), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    cr_assert_eq(rd32(f + 8), groups ? 3 : 1);
    meta_end = rd64(f + 88) + rd64(f + 96);
    for (off = 0; off < size; off++) {
        want = (off >= 136 && off < rd64(f + 48))
               || (off >= meta_end && off < size - 24)
               || (off >= size - 16 && off < size - 8) ? 2 : 1;
        for (k = 0; k < 2; k++) {
            cr_assert_eq(damage_at(f, size, off, x[k], 40), want,
                         "byte %zu ^ 0x%02x: refused by %s", off, x[k],
                         want == 1 ? "verify, not open" : "open");
        }
    }
    free(f);
}


Test(snapshot, every_byte_damaged_rejected)
{
    every_byte_damaged(0);
}


Test(snapshot, big_file_damaged_rejected)
{
    unsigned char  *f;
    size_t          size, k;
    uint64_t        r = 12345;

    cr_assert_eq(write_model("s", 10000, 1), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    for (k = 0; k < 300; k++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        damage_at(f, size, (size_t) (r >> 20) % size, 0x10, 0);
    }
    /* and the last bytes, where the trailer lives */
    for (k = 1; k <= 24; k++) {
        damage_at(f, size, size - k, 0xff, 0);
    }
    free(f);
}


/* Recomputes the section checksums (where the header's ranges fit the
 * file) and the header checksum, as a buggy or hostile writer would.
 * A version 2 file has a fourth section (slots) and its header checksum
 * at 176. */
static void
reseal(unsigned char *f, size_t size)
{
    static const int  sec[4][3] = { { 48, 56, 104 }, { 72, 80, 112 },
                                    { 88, 96, 120 }, { 128, 136, 168 } };
    uint64_t          o, l;
    int               k, v2 = rd32(f + 8) == 2 && size >= 184;

    for (k = 0; k < 3 + v2; k++) {
        o = rd64(f + sec[k][0]);
        l = rd64(f + sec[k][1]);
        if (o <= size && l <= size - o) {
            wr64(f + sec[k][2], XXH64(f + o, l, 0));
        }
    }
    if (v2) {
        wr64(f + 176, XXH64(f, 176, 0));
    } else {
        wr64(f + 128, XXH64(f, 128, 0));
    }
    wr64(f + size - 16, XXH64(f, size - 16, 0));
}


typedef struct {
    const char  *what;
    size_t       at;        /* header offset of a u64 field */
    uint64_t     value;
    const char  *says;      /* in the message */
} forge_t;


Test(snapshot, forged_header_fields_rejected)
{
    unsigned char  *f, *g;
    size_t          size, k;
    uint64_t        tab, idx;
    forge_t         cases[] = {
        { "huge count", 24, 1ull << 60, "profiles do not fit" },
        { "count + 1", 24, 41, "profiles do not fit" },
        { "count 0", 24, 0, "profiles do not fit" },
        { "huge profiles size", 40, UINT64_MAX - 7, "profiles section" },
        { "profiles size wraps to the header", 40, UINT64_MAX - 7 - 128,
          "profiles section" },
        { "profiles size + 8", 40, 0, "table section" },
        { "table past the end", 48, 0, "table section" },
        { "table size wraps", 56, UINT64_MAX - 7, "table section" },
        { "index count overflows", 64, UINT64_MAX / 16 + 1, "index of" },
        { "index size wraps", 80, UINT64_MAX - 15, "index section" },
        { "index offset 0", 72, 0, "index section" },
        { "meta offset 0", 88, 0, "meta section" },
        { "huge meta", 96, UINT64_MAX, "meta of" },
        { "meta + 8", 96, 0, "meta of" },
        { "file size + 8", 16, 0, "truncated: file is" },
        { "file size 0", 16, 0, "corrupt: file is" },
    };

    cr_assert_eq(write_model("s", 40, 1), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    cases[5].value = rd64(f + 40) + 8;
    cases[6].value = size + 8;
    cases[13].value = rd64(f + 96) + 8;
    cases[14].value = size + 8;

    g = malloc(size);
    cr_assert_not_null(g);
    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        memcpy(g, f, size);
        wr64(g + cases[k].at, cases[k].value);
        reseal(g, size);
        spill(path_of("g"), g, size);
        expect_refused_saying("g", cases[k].what, cases[k].says);
    }

    /* version 4 and an unknown flag, with a valid header checksum */
    memcpy(g, f, size);
    g[8] = 4;
    reseal(g, size);
    spill(path_of("g"), g, size);
    {
        char  err[256];

        cr_assert_null(spoor_snap_open(path_of("g"), err, sizeof(err)));
        cr_assert_not_null(strstr(err, "version 4"), "%s", err);
    }
    /* a version 1 file called version 3: its table names no groups */
    memcpy(g, f, size);
    g[8] = 3;
    reseal(g, size);
    spill(path_of("g"), g, size);
    expect_refused_saying("g", "version 1 layout as version 3", "group");
    /* a version 1 file called version 2 (header hash where v2 has it) */
    memcpy(g, f, size);
    g[8] = 2;
    wr64(g + 176, XXH64(g, 176, 0));
    wr64(g + size - 16, XXH64(g, size - 16, 0));
    spill(path_of("g"), g, size);
    expect_refused("g", "version 1 layout as version 2");
    /* a flag this reader does not know (bit 0, a delta, and bit 1, a
     * keyed copy, it knows) */
    memcpy(g, f, size);
    g[12] = 4;
    reseal(g, size);
    spill(path_of("g"), g, size);
    expect_refused_saying("g", "flags", "flags 0x4");
    memcpy(g, f, size);
    g[12] = 1;
    reseal(g, size);
    spill(path_of("g"), g, size);
    {
        spoor_snap_t  *s = spoor_snap_open(path_of("g"), NULL, 0);

        cr_assert_not_null(s, "a delta's flag is known");
        cr_assert_eq(spoor_snap_flags(s), SPOOR_SNAP_DELTA);
        spoor_snap_close(s);
    }

    tab = rd64(f + 48);
    idx = rd64(f + 72);

    /* table entries that are no record boundary */
    memcpy(g, f, size);
    wr64(g + tab + 8, size + 1000);
    reseal(g, size);
    spill(path_of("g"), g, size);
    expect_refused("g", "table entry past the end");

    memcpy(g, f, size);
    wr64(g + tab + 8, rd64(g + tab) + 8);
    reseal(g, size);
    spill(path_of("g"), g, size);
    expect_refused("g", "records overlap");

    memcpy(g, f, size);
    wr64(g + tab, 0);
    reseal(g, size);
    spill(path_of("g"), g, size);
    expect_refused("g", "first record inside the header");

    /* index naming a missing profile, index out of order */
    memcpy(g, f, size);
    wr64(g + idx + 8, 40);
    reseal(g, size);
    spill(path_of("g"), g, size);
    expect_refused("g", "index names profile 40 of 40");

    memcpy(g, f, size);
    memcpy(g + idx, f + idx + 16, 16);
    memcpy(g + idx + 16, f + idx, 16);
    reseal(g, size);
    spill(path_of("g"), g, size);
    expect_refused("g", "index out of order");

    free(g);
    free(f);
}


/* Damage inside a profile record (a u64 set, or a byte XORed), with every
 * checksum but the blob's recomputed: open accepts (blobs are checked
 * lazily), the profile is refused, the others are fine, verify fails. */
static void
forged_record(const unsigned char *f, size_t size, size_t prof,
    size_t field_off, uint64_t value, int set_byte, int rehash)
{
    unsigned char  *g;
    spoor_snap_t   *s;
    size_t          len, i;
    uint64_t        rec;
    char            err[256];

    g = malloc(size);
    cr_assert_not_null(g);
    memcpy(g, f, size);
    rec = rd64(g + rd64(g + 48) + 8 * prof);
    if (set_byte) {
        g[rec + field_off] ^= (unsigned char) value;
    } else {
        wr64(g + rec + field_off, value);
    }
    if (rehash) {           /* the blob checksum agrees with the length */
        wr64(g + rec + 8, XXH64(g + rec + 16, rd64(g + rec), 0));
    }
    reseal(g, size);
    spill(path_of("r"), g, size);
    free(g);

    s = open_ok("r");
    for (i = 0; i < spoor_snap_count(s); i++) {
        errno = 0;
        if (i == prof) {
            cr_assert_null(spoor_snap_profile(s, i, &len), "profile %zu", i);
            cr_assert_eq(len, 0);
            cr_assert_eq(errno, EBADMSG);
        } else {
            cr_assert_not_null(spoor_snap_profile(s, i, &len), "%zu", i);
        }
    }
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
    cr_assert_not_null(strstr(err, "profile"), "%s", err);
    spoor_snap_close(s);
}


Test(snapshot, forged_records_refused_lazily)
{
    unsigned char  *f;
    size_t          size, len3;
    unsigned char   buf[BLOB_CAP];

    cr_assert_eq(write_model("s", 40, 0), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    len3 = model_blob(3, buf);

    forged_record(f, size, 3, 0, 1ull << 40, 0, 0);  /* huge length */
    forged_record(f, size, 3, 0, UINT64_MAX, 0, 0);  /* wrapping length */
    forged_record(f, size, 3, 0, 0, 0, 0);           /* length 0 */
    forged_record(f, size, 3, 0, len3 + 8, 0, 0);    /* into the next one */
    forged_record(f, size, 39, 0, model_blob(39, buf) + 8, 0, 0); /* last */
    forged_record(f, size, 3, 16, 0x01, 1, 0);       /* blob byte */
    forged_record(f, size, 3, 8, 0x01, 1, 0);        /* blob checksum */
    /* shorter than its record, with a matching checksum: still refused,
     * a record holds exactly its blob and < 8 bytes of padding */
    cr_assert_gt(len3, 8);
    forged_record(f, size, 3, 0, len3 - 8, 0, 1);
    free(f);
}


Test(snapshot, forged_padding_and_orphan_found_by_verify)
{
    unsigned char  *f;
    spoor_snap_t   *s;
    size_t          size, len, i;
    uint64_t        rec, idx, n;
    unsigned char   buf[BLOB_CAP];
    char            err[256];

    cr_assert_eq(write_model("s", 40, 1), SPOOR_OK);
    f = slurp(path_of("s"), &size);

    /* a non-zero padding byte after the first blob that has padding */
    for (i = 0; model_blob(i, buf) % 8 == 0; i++) { /* void */ }
    len = model_blob(i, buf);
    rec = rd64(f + rd64(f + 48) + 8 * i);
    f[rec + 16 + len] = 0x5a;
    reseal(f, size);
    spill(path_of("p"), f, size);
    s = open_ok("p");
    cr_assert_not_null(spoor_snap_profile(s, i, &len));
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
    cr_assert_not_null(strstr(err, "padding"), "%s", err);
    spoor_snap_close(s);
    f[rec + 16 + len] = 0;

    /* profile 5's entries moved to profile 4 (order kept): 5 is orphaned */
    idx = rd64(f + 72);
    n = rd64(f + 64);
    for (i = 0; i < n; i++) {
        if (rd64(f + idx + 16 * i + 8) == 5) {
            wr64(f + idx + 16 * i + 8, 4);
        }
    }
    reseal(f, size);
    spill(path_of("o"), f, size);
    s = open_ok("o");
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
    cr_assert_not_null(strstr(err, "profile 5 has no index entry"), "%s", err);
    spoor_snap_close(s);

    /* non-zero meta padding */
    free(f);
    f = slurp(path_of("s"), &size);
    f[rd64(f + 88) + rd64(f + 96)] = 1;
    cr_assert_neq(rd64(f + 96) % 8, 0);
    reseal(f, size);
    spill(path_of("m"), f, size);
    s = open_ok("m");
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
    spoor_snap_close(s);
    free(f);
}


/* ---- files assembled by hand, from docs/FORMAT.md ----------------------- */

typedef struct {
    const unsigned char  *prof;     /* the profiles section */
    size_t                plen;
    const uint64_t       *table;    /* record offsets */
    size_t                count;
    const uint64_t       *index;    /* (hash, profile) pairs */
    size_t                nidx;
    const unsigned char  *meta;
    size_t                mlen;
} parts_t;


/* A snapshot of these parts, every field and checksum as documented. */
static unsigned char *
assemble(const parts_t *p, size_t *size)
{
    unsigned char  *f;
    size_t          toff, ioff, moff, i;

    toff = 136 + p->plen;
    ioff = toff + 8 * p->count;
    moff = ioff + 16 * p->nidx;
    *size = moff + ((p->mlen + 7) & ~(size_t) 7) + 24;
    f = calloc(1, *size);
    cr_assert_not_null(f);

    memcpy(f, "SPOORSNP", 8);
    f[8] = 1;
    wr64(f + 16, *size);
    wr64(f + 24, p->count);
    wr64(f + 32, 136);
    wr64(f + 40, p->plen);
    wr64(f + 48, toff);
    wr64(f + 56, 8 * p->count);
    wr64(f + 64, p->nidx);
    wr64(f + 72, ioff);
    wr64(f + 80, 16 * p->nidx);
    wr64(f + 88, moff);
    wr64(f + 96, p->mlen);

    if (p->plen) {
        memcpy(f + 136, p->prof, p->plen);
    }
    for (i = 0; i < p->count; i++) {
        wr64(f + toff + 8 * i, p->table[i]);
    }
    for (i = 0; i < 2 * p->nidx; i++) {
        wr64(f + ioff + 8 * i, p->index[i]);
    }
    if (p->mlen) {
        memcpy(f + moff, p->meta, p->mlen);
    }
    wr64(f + 104, XXH64(f + toff, 8 * p->count, 0));
    wr64(f + 112, XXH64(f + ioff, 16 * p->nidx, 0));
    wr64(f + 120, XXH64(f + moff, p->mlen, 0));
    wr64(f + 128, XXH64(f, 128, 0));
    wr64(f + *size - 24, *size);
    wr64(f + *size - 16, XXH64(f, *size - 16, 0));
    memcpy(f + *size - 8, "SPOOREND", 8);
    return f;
}


/* The parts of a written file (pointers into f; table and index copied). */
static void
disassemble(const unsigned char *f, parts_t *p)
{
    uint64_t  *t, *x;
    size_t     i;

    p->count = rd64(f + 24);
    p->prof = f + 136;
    p->plen = rd64(f + 40);
    p->nidx = rd64(f + 64);
    p->meta = f + rd64(f + 88);
    p->mlen = rd64(f + 96);
    t = malloc(8 * p->count + 8);
    x = malloc(16 * p->nidx + 16);
    cr_assert(t != NULL && x != NULL);
    for (i = 0; i < p->count; i++) {
        t[i] = rd64(f + rd64(f + 48) + 8 * i);
    }
    for (i = 0; i < 2 * p->nidx; i++) {
        x[i] = rd64(f + rd64(f + 72) + 8 * i);
    }
    p->table = t;
    p->index = x;
}


static void
spill_parts(const char *name, const parts_t *p)
{
    unsigned char  *g;
    size_t          size;

    g = assemble(p, &size);
    spill(path_of(name), g, size);
    free(g);
}


Test(snapshot, assembled_from_format_doc_equals_written)
{
    unsigned char  *f, *g;
    size_t          size, gsize;
    parts_t         p;
    spoor_snap_t   *s;

    cr_assert_eq(write_model("s", 40, 1), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    disassemble(f, &p);
    g = assemble(&p, &gsize);
    cr_assert_eq(gsize, size);
    cr_assert(memcmp(f, g, size) == 0, "writer and FORMAT.md disagree");
    free((void *) p.table);
    free((void *) p.index);
    free(g);
    free(f);

    /* and the smallest file: no profile, no meta */
    memset(&p, 0, sizeof(p));
    spill_parts("e", &p);
    s = open_ok("e");
    cr_assert_eq(spoor_snap_count(s), 0);
    cr_assert_null(spoor_snap_meta(s, NULL));
    cr_assert_eq(spoor_snap_verify(s, NULL, 0), SPOOR_OK);
    spoor_snap_close(s);
}


Test(snapshot, crafted_layouts_refused_at_open)
{
    unsigned char  *f, *prof;
    uint64_t       *t, *x;
    size_t          size, i;
    parts_t         p, q;

    cr_assert_eq(write_model("s", 40, 0), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    disassemble(f, &p);

    /* profile bytes but no profile */
    q = p;
    q.count = 0;
    q.nidx = 0;
    spill_parts("c", &q);
    expect_refused_saying("c", "count 0, profiles", "profiles do not fit");

    /* fewer index entries than profiles */
    q = p;
    q.nidx = p.count - 1;
    spill_parts("c", &q);
    expect_refused_saying("c", "short index", "index of");

    /* the last record closer than 24 bytes to the section end */
    t = malloc(8 * p.count);
    cr_assert_not_null(t);
    memcpy(t, p.table, 8 * p.count);
    t[p.count - 1] = 136 + p.plen - 16;
    q = p;
    q.table = t;
    spill_parts("c", &q);
    expect_refused_saying("c", "last record too short", "table entry 39");

    /* 8 stray bytes before the first record */
    prof = calloc(1, p.plen + 8);
    cr_assert_not_null(prof);
    memcpy(prof + 8, p.prof, p.plen);
    for (i = 0; i < p.count; i++) {
        t[i] = p.table[i] + 8;
    }
    q = p;
    q.prof = prof;
    q.plen = p.plen + 8;
    q.table = t;
    spill_parts("c", &q);
    expect_refused_saying("c", "gap before record 0", "table entry 0");

    /* a meta blob over 64 MiB */
    q = p;
    q.meta = calloc(1, SPOOR_SNAP_META_MAX + 1);
    cr_assert_not_null(q.meta);
    q.mlen = SPOOR_SNAP_META_MAX + 1;
    spill_parts("c", &q);
    expect_refused_saying("c", "huge meta", "meta of");
    free((void *) q.meta);

    /* and an index entry for a profile that does not exist */
    x = malloc(16 * p.nidx);
    cr_assert_not_null(x);
    memcpy(x, p.index, 16 * p.nidx);
    x[2 * p.nidx - 1] = p.count;
    q = p;
    q.index = x;
    spill_parts("c", &q);
    expect_refused_saying("c", "index names no profile", "names profile 40");

    free(x);
    free(t);
    free(prof);
    free((void *) p.table);
    free((void *) p.index);
    free(f);
}


Test(snapshot, open_errors)
{
    char  err[256];
    char  junk[300];

    cr_assert_null(spoor_snap_open(path_of("none"), err, sizeof(err)));
    cr_assert_eq(errno, ENOENT);
    cr_assert_not_null(strstr(err, "none"));

    spill(path_of("empty"), "", 0);
    expect_refused("empty", "empty file");

    memset(junk, 'j', sizeof(junk));
    spill(path_of("junk"), junk, sizeof(junk));
    expect_refused("junk", "junk");
    cr_assert_null(spoor_snap_open(path_of("junk"), err, sizeof(err)));
    cr_assert_not_null(strstr(err, "magic"), "%s", err);

    cr_assert_null(spoor_snap_open(dir, err, sizeof(err)));
    /* err may be NULL, or too short: still no overflow */
    cr_assert_null(spoor_snap_open(path_of("junk"), NULL, 0));
    cr_assert_null(spoor_snap_open(path_of("junk"), err, 4));
    cr_assert_eq(strlen(err), 3);
}


/* ---- atomic replacement and crashes ------------------------------------- */

Test(snapshot, commit_replaces_existing)
{
    spoor_snap_t   *old, *cur;
    const unsigned char *p;
    size_t          len;

    cr_assert_eq(write_model("s", 1, 0), SPOOR_OK);
    old = open_ok("s");
    cr_assert_eq(write_model("s", 20, 1), SPOOR_OK);
    cr_assert_str_eq(listing(), "s");

    cur = open_ok("s");
    check_model(cur, 20, 1);
    /* a reader of the old file keeps an intact mapping of it */
    check_model(old, 1, 0);
    p = spoor_snap_profile(old, 0, &len);
    cr_assert_not_null(p);
    spoor_snap_close(old);
    spoor_snap_close(cur);
}


Test(snapshot, abort_leaves_nothing)
{
    spoor_snapw_t  *w;
    uint64_t        id = 3;

    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    cr_assert_neq(strcmp(listing(), ""), 0);   /* the temporary exists */
    cr_assert_eq(spoor_snapw_add(w, model_meta, 5, &id, 1), SPOOR_OK);
    cr_assert_eq(spoor_snapw_meta(w, model_meta, 5), SPOOR_OK);
    spoor_snapw_abort(w);
    cr_assert_str_eq(listing(), "");
    spoor_snapw_abort(NULL);
}


Test(snapshot, killed_writer_leaves_target_alone)
{
    spoor_snap_t  *s;
    pid_t          pid;
    int            status;
    char           tmp[64];
    const char    *ls;

    cr_assert_eq(write_model("s", 3, 1), SPOOR_OK);

    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        static unsigned char  buf[BLOB_CAP];
        spoor_snapw_t        *w[2];
        uint64_t              ids[8];
        size_t                i, k;

        w[0] = spoor_snapw_create(dir, "s");
        w[1] = spoor_snapw_create(dir, "fresh");
        if (w[0] == NULL || w[1] == NULL) {
            _exit(2);
        }
        for (i = 0; i < 900; i++) {
            for (k = 0; k < 2; k++) {
                if (spoor_snapw_add(w[k], buf, model_blob(i, buf), ids,
                                    model_ids(i, ids)) != SPOOR_OK)
                {
                    _exit(3);
                }
            }
        }
        _exit(0);           /* killed: no commit, no cleanup */
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    ls = listing();
    snprintf(tmp, sizeof(tmp), ".fresh.tmp.%ld", (long) pid);
    cr_assert_not_null(strstr(ls, tmp), "%s", ls);   /* only the temp */
    cr_assert(access(path_of("fresh"), F_OK) != 0);

    s = open_ok("s");
    check_model(s, 3, 1);                  /* the old file, intact */
    spoor_snap_close(s);
}


Test(snapshot, failed_rename_keeps_target_and_removes_temp)
{
    char  sub[256];

    /* dir/s is a non-empty directory: rename() must fail */
    cr_assert_eq(mkdir(path_of("s"), 0700), 0);
    snprintf(sub, sizeof(sub), "%s/keep", path_of("s"));
    spill(sub, "k", 1);

    cr_assert_eq(write_model("s", 5, 1), SPOOR_E_IO);
    cr_assert_str_eq(listing(), "s");
    cr_assert_eq(access(sub, F_OK), 0);
}


/* In a child limited to 64 KiB files: the write error is reported, sticks,
 * and commit removes the temporary file. */
Test(snapshot, write_error_is_sticky)
{
    pid_t  pid;
    int    status;

    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        static unsigned char  buf[BLOB_CAP];
        struct rlimit         rl = { 64 * 1024, 64 * 1024 };
        spoor_snapw_t        *w;
        uint64_t              ids[8];
        size_t                i;
        int                   rc = SPOOR_OK;

        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
            _exit(2);
        }
        w = spoor_snapw_create(dir, "s");
        if (w == NULL) {
            _exit(3);
        }
        for (i = 0; i < 5000 && rc == SPOOR_OK; i++) {
            rc = spoor_snapw_add(w, buf, model_blob(i, buf), ids,
                                 model_ids(i, ids));
        }
        if (rc != SPOOR_E_IO || errno != EFBIG) {
            _exit(4);
        }
        if (spoor_snapw_add(w, buf, 1, ids, 1) != SPOOR_E_IO
            || spoor_snapw_meta(w, buf, 1) != SPOOR_E_IO)
        {
            _exit(5);
        }
        if (spoor_snapw_commit(w) != SPOOR_E_IO) {
            _exit(6);
        }
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "child died");
    cr_assert_eq(WEXITSTATUS(status), 0);
    cr_assert_str_eq(listing(), "");
}


/* ---- spoor_write_file_atomic -------------------------------------------- */

Test(snapshot, write_file_atomic)
{
    unsigned char  *p;
    size_t          len;
    char            big[100000];

    cr_assert_eq(spoor_write_file_atomic(dir, "state", "hello", 5), SPOOR_OK);
    p = slurp(path_of("state"), &len);
    cr_assert_eq(len, 5);
    cr_assert(memcmp(p, "hello", 5) == 0);
    free(p);

    memset(big, 'b', sizeof(big));
    cr_assert_eq(spoor_write_file_atomic(dir, "state", big, sizeof(big)),
                 SPOOR_OK);
    p = slurp(path_of("state"), &len);
    cr_assert_eq(len, sizeof(big));
    cr_assert(memcmp(p, big, len) == 0);
    free(p);

    cr_assert_eq(spoor_write_file_atomic(dir, "state", "", 0), SPOOR_OK);
    p = slurp(path_of("state"), &len);
    cr_assert_eq(len, 0);
    free(p);
    cr_assert_str_eq(listing(), "state");

    cr_assert_eq(spoor_write_file_atomic(dir, "a/b", "x", 1), SPOOR_E_INVAL);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(spoor_write_file_atomic(path_of("missing"), "x", "x", 1),
                 SPOOR_E_IO);
    cr_assert_eq(errno, ENOENT);

    /* a failed rename: errno kept, temp removed, target untouched */
    cr_assert_eq(mkdir(path_of("d"), 0700), 0);
    spill(path_of("d/keep"), "k", 1);
    cr_assert_eq(spoor_write_file_atomic(dir, "d", "x", 1), SPOOR_E_IO);
    cr_assert(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST,
              "errno %d", errno);
    cr_assert_eq(access(path_of("d/keep"), F_OK), 0);
    cr_assert(strcmp(listing(), "state d") == 0
              || strcmp(listing(), "d state") == 0, "%s", listing());
}


/* ---- the slot table (container version 2) ------------------------------- */

/* Profile i's summary of sum bytes (16 or 48). */
static void
model_sum(size_t i, size_t sum, unsigned char *out)
{
    size_t  j;

    for (j = 0; j < sum; j++) {
        out[j] = (unsigned char) (i * 13 + j * 7 + sum);
    }
}


/* write_model() with a slot table of sum-byte summaries; with
 * profiles or ids not 0, the writer is told to expect them first
 * (spoor_snapw_reserve), and again mid-way with a hint of 1. */
static int
write_model_hinted(const char *name, size_t n, int with_meta, size_t sum,
    size_t profiles, size_t ids)
{
    static unsigned char   buf[BLOB_CAP];
    unsigned char          sb[48];
    spoor_snapw_t         *w;
    uint64_t               hs[8];
    size_t                 i, len, nids;
    int                    rc;

    w = spoor_snapw_create(dir, name);
    cr_assert_not_null(w, "create: %s", strerror(errno));
    cr_assert_eq(spoor_snapw_slots(w, sum), SPOOR_OK);
    if (profiles || ids) {
        cr_assert_eq(spoor_snapw_reserve(w, profiles, ids), SPOOR_OK);
    }
    for (i = 0; i < n; i++) {
        len = model_blob(i, buf);
        nids = model_ids(i, hs);
        model_sum(i, sum, sb);
        rc = spoor_snapw_add_sum(w, buf, len, hs, nids, sb);
        cr_assert_eq(rc, SPOOR_OK, "add %zu: %d", i, rc);
        if ((profiles || ids) && i == n / 2) {
            cr_assert_eq(spoor_snapw_reserve(w, 1, 1), SPOOR_OK);
        }
    }
    if (with_meta) {
        cr_assert_eq(spoor_snapw_meta(w, model_meta, sizeof(model_meta)),
                     SPOOR_OK);
    }
    return spoor_snapw_commit(w);
}


static int
write_model_slots(const char *name, size_t n, int with_meta, size_t sum)
{
    return write_model_hinted(name, n, with_meta, sum, 0, 0);
}


/* spoor_snap_slot(h) gives profile `want` (SIZE_MAX: not found), with the
 * model's summary, and agrees with spoor_snap_first. */
static void
expect_slot(const spoor_snap_t *s, uint64_t h, size_t want)
{
    const unsigned char  *p;
    unsigned char         sb[48];
    size_t                prof = 12345, sum = spoor_snap_summary_size(s);

    p = spoor_snap_slot(s, h, &prof);
    cr_assert_eq(prof, want, "slot %016llx: profile %zu, want %zu",
                 (unsigned long long) h, prof, want);
    cr_assert_eq(spoor_snap_first(s, h), want);
    if (want == SIZE_MAX) {
        cr_assert_null(p);
        return;
    }
    cr_assert_not_null(p);
    model_sum(want, sum, sb);
    cr_assert(memcmp(p, sb, sum) == 0, "summary of %zu", want);
    cr_assert_eq(spoor_snap_slot(s, h, NULL), p);
}


static void
check_slots_model(const spoor_snap_t *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        expect_slot(s, hid("u", "user-%zu", i), i);
        expect_slot(s, hid("a", "anon-%zu", i), i % 2 == 0 ? i : SIZE_MAX);
        if (i % 10 == 0) {
            expect_slot(s, hid("v", "shared-%zu", i / 10), i);  /* lowest */
        }
    }
    expect_slot(s, hid("u", "user-%zu", n), SIZE_MAX);
    expect_slot(s, hid("x", "user-%zu", 0), SIZE_MAX);
    expect_slot(s, 0, SIZE_MAX);
    expect_slot(s, UINT64_MAX, SIZE_MAX);
}


/* The whole-file checksum in steps passes. */
static void
expect_hash_steps_ok(const spoor_snap_t *s)
{
    spoor_snap_hashing_t  *hs;
    char                   err[256];
    int                    done = 0, rc;

    hs = spoor_snap_hash_start(s);
    cr_assert_not_null(hs);
    do {
        rc = spoor_snap_hash_step(hs, 1000, &done, err, sizeof(err));
        cr_assert_eq(rc, SPOOR_OK, "%s", err);
    } while (!done);
    spoor_snap_hash_free(hs);
}


static void
slots_round_trip(size_t sum)
{
    spoor_snap_t  *s;
    size_t         n;

    for (n = 0; n <= 1000; n = n ? n * 10 : 1) {
        cr_assert_eq(write_model_slots("s", n, n % 2 == 0, sum), SPOOR_OK);
        s = open_ok("s");
        cr_assert_eq(spoor_snap_summary_size(s), sum);
        check_model(s, n, n % 2 == 0);      /* find, first, verify */
        check_slots_model(s, n);
        expect_hash_steps_ok(s);
        cr_assert_eq(spoor_snap_index_dir(s), SPOOR_OK);
        check_model(s, n, n % 2 == 0);
        check_slots_model(s, n);
        spoor_snap_close(s);
    }
}


Test(snapshot, slots_round_trip_16)
{
    slots_round_trip(16);
}


Test(snapshot, slots_round_trip_48)
{
    slots_round_trip(48);
}


/* A writer told how many profiles and ids to expect writes the same
 * bytes as one that was not, whether the hint is exact, short or long. */
Test(snapshot, reserve_is_only_a_hint)
{
    static const size_t  hint[][2] = { { 1, 1 }, { 300, 800 },
                                       { 5000, 20000 } };
    unsigned char       *a, *b;
    size_t               alen, blen, k;

    cr_assert_eq(write_model_slots("plain", 300, 1, 48), SPOOR_OK);
    a = slurp(path_of("plain"), &alen);
    for (k = 0; k < sizeof(hint) / sizeof(hint[0]); k++) {
        cr_assert_eq(write_model_hinted("hinted", 300, 1, 48, hint[k][0],
                                        hint[k][1]), SPOOR_OK);
        b = slurp(path_of("hinted"), &blen);
        cr_assert_eq(blen, alen, "hint %zu", k);
        cr_assert(memcmp(a, b, alen) == 0, "hint %zu: other bytes", k);
        free(b);
    }
    free(a);
}


Test(snapshot, slots_version_1_unchanged)
{
    spoor_snap_t   *s;
    unsigned char  *f;
    size_t          size, prof = 7;

    cr_assert_eq(write_model("s", 40, 1), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    cr_assert_eq(rd32(f + 8), 1);
    cr_assert_eq(rd64(f + 32), 136);
    s = open_ok("s");
    cr_assert_eq(spoor_snap_summary_size(s), 0);
    cr_assert_null(spoor_snap_slot(s, hid("u", "user-%zu", 3), &prof));
    cr_assert_eq(prof, SIZE_MAX);
    cr_assert_null(spoor_snap_slot(s, hid("u", "user-%zu", 3), NULL));
    spoor_snap_close(s);
    free(f);
}


Test(snapshot, slots_writer_misuse)
{
    spoor_snapw_t  *w;
    spoor_snap_t   *s;
    unsigned char   sb[48] = { 1 };
    uint64_t        id = 7;
    size_t          prof;

    /* sizes, twice */
    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_slots(w, 0), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_slots(w, 32), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_slots(w, 64), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_slots(w, 17), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_slots(w, 48), SPOOR_OK);
    cr_assert_eq(spoor_snapw_slots(w, 48), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_slots(w, 16), SPOOR_E_INVAL);
    /* add without a summary, a NULL summary; then a good one */
    cr_assert_eq(spoor_snapw_add(w, model_meta, 2, &id, 1), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 2, &id, 1, NULL),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 0, &id, 1, sb),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 2, &id, 0, sb),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 2, &id, 1, sb),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_slots(w, 48), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    s = open_ok("s");
    cr_assert_eq(spoor_snap_count(s), 1);
    cr_assert_eq(spoor_snap_summary_size(s), 48);
    cr_assert(memcmp(spoor_snap_slot(s, 7, &prof), sb, 48) == 0);
    cr_assert_eq(prof, 0);
    spoor_snap_close(s);

    /* slots after an add; a summary on a writer without slots */
    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 2, &id, 1, sb),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add(w, model_meta, 2, &id, 1), SPOOR_OK);
    cr_assert_eq(spoor_snapw_slots(w, 16), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 2, &id, 1, sb),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    s = open_ok("s");
    cr_assert_eq(spoor_snap_count(s), 1);
    cr_assert_eq(spoor_snap_summary_size(s), 0);
    spoor_snap_close(s);

    /* meta before slots is fine: slots only have to precede the adds */
    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_meta(w, model_meta, 3), SPOOR_OK);
    cr_assert_eq(spoor_snapw_slots(w, 16), SPOOR_OK);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 2, &id, 1, sb),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    s = open_ok("s");
    cr_assert_eq(spoor_snap_verify(s, NULL, 0), SPOOR_OK);
    spoor_snap_close(s);
}


/*
 * The slot table as docs/FORMAT.md describes it, built by this file's own
 * code from a file's index and the model's summaries: smallest power of
 * two of lines with distinct <= 0.75 slots, home line h & (lines - 1),
 * linear probing over lines, first free slot of a line, in index order,
 * the first profile of each hash.  Returns the table (lines * 64 bytes).
 */
static unsigned char *
doc_slots(const unsigned char *f, size_t sum, uint64_t *lines_out,
    uint64_t *probe_out)
{
    unsigned char  *t, *q;
    uint64_t        nidx = rd64(f + 64), ioff = rd64(f + 72), h, prev = 0;
    uint64_t        distinct = 0, lines = 1, line, probe = 0, n, i;
    size_t          ssize = 16 + sum, per = 64 / ssize, k;
    int             placed;

    for (i = 0; i < nidx; i++) {
        h = rd64(f + ioff + 16 * i);
        distinct += i == 0 || h != prev;
        prev = h;
    }
    while (4 * distinct > 3 * lines * per) {
        lines *= 2;
    }
    t = calloc(lines, 64);
    cr_assert_not_null(t);
    for (k = 0; k < lines * per; k++) {
        memset(t + k * ssize + 8, 0xff, 4);
    }
    for (i = 0; i < nidx; i++) {
        h = rd64(f + ioff + 16 * i);
        if (i > 0 && h == rd64(f + ioff + 16 * (i - 1))) {
            continue;
        }
        line = h & (lines - 1);
        placed = 0;
        for (n = 1; n <= lines && !placed; n++) {
            for (k = 0; k < per && !placed; k++) {
                q = t + line * 64 + k * ssize;
                if (rd32(q + 8) == 0xFFFFFFFFu) {
                    wr64(q, h);
                    memcpy(q + 8, f + ioff + 16 * i + 8, 4);
                    memset(q + 12, 0, 4);
                    model_sum(rd64(f + ioff + 16 * i + 8), sum, q + 16);
                    placed = 1;
                    probe = n > probe ? n : probe;
                }
            }
            line = (line + 1) & (lines - 1);
        }
        cr_assert(placed);
    }
    *lines_out = lines;
    *probe_out = probe ? probe : 1;
    return t;
}


/* Reads a version 2 file with this file's own code, as FORMAT.md says. */
static void
slots_layout(size_t sum)
{
    unsigned char  *f, *t;
    size_t          size, i;
    uint64_t        iend, soff, lines, probe, moff;

    cr_assert_eq(write_model_slots("s", 40, 1, sum), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    cr_assert(memcmp(f, "SPOORSNP", 8) == 0);
    cr_assert_eq(rd32(f + 8), 2);
    cr_assert_eq(rd32(f + 12), 0);
    cr_assert_eq(rd64(f + 16), size);
    cr_assert_eq(rd64(f + 32), 184);
    cr_assert_eq(rd64(rd64(f + 48) + f), 184);     /* record 0 */
    cr_assert_eq(rd64(f + 48), 184 + rd64(f + 40));
    cr_assert_eq(rd64(f + 72), rd64(f + 48) + rd64(f + 56));
    iend = rd64(f + 72) + rd64(f + 80);
    soff = rd64(f + 128);
    cr_assert_eq(soff, (iend + 63) & ~63ull);
    for (i = iend; i < soff; i++) {
        cr_assert_eq(f[i], 0);
    }
    t = doc_slots(f, sum, &lines, &probe);
    cr_assert_eq(rd64(f + 136), 64 * lines);
    cr_assert_eq(rd64(f + 144), lines);
    cr_assert_eq(rd64(f + 152), sum);
    cr_assert_eq(rd64(f + 160), probe);
    cr_assert(memcmp(f + soff, t, 64 * lines) == 0, "slots differ");
    cr_assert_eq(rd64(f + 168), XXH64(f + soff, 64 * lines, 0));
    cr_assert_eq(rd64(f + 176), XXH64(f, 176, 0));
    moff = rd64(f + 88);
    cr_assert_eq(moff, soff + 64 * lines);
    cr_assert_eq(rd64(f + 120), XXH64(f + moff, rd64(f + 96), 0));
    cr_assert_eq(moff + ((rd64(f + 96) + 7) & ~7ull) + 24, size);
    cr_assert_eq(rd64(f + size - 16), XXH64(f, size - 16, 0));
    cr_assert(memcmp(f + size - 8, "SPOOREND", 8) == 0);
    free(t);
    free(f);
}


Test(snapshot, slots_layout_matches_format_doc)
{
    unsigned char  *a, *b;
    size_t          alen, blen;

    slots_layout(16);
    slots_layout(48);

    /* deterministic */
    cr_assert_eq(write_model_slots("a", 300, 1, 16), SPOOR_OK);
    cr_assert_eq(write_model_slots("b", 300, 1, 16), SPOOR_OK);
    a = slurp(path_of("a"), &alen);
    b = slurp(path_of("b"), &blen);
    cr_assert_eq(alen, blen);
    cr_assert(memcmp(a, b, alen) == 0, "same input, different bytes");
    free(a);
    free(b);
}


/*
 * Six hashes with the same home line, the last one (low bits all ones),
 * so probing wraps to line 0: with 48-byte summaries (1 slot a line) 8
 * lines, hashes in lines 7, 0, 1, 2, 3, 4 (probe 6); with 16 (2 a
 * line) 4 lines, in lines 3, 0, 1 (probe 3).  Hash X is on profiles 1
 * and 2: the slot gives 1.
 */
static void
slots_collide(size_t sum)
{
    static const uint64_t  mask = 7;
    spoor_snapw_t         *w;
    spoor_snap_t          *s;
    unsigned char          sb[48], *f;
    uint64_t               h[6], ids[2], x = 0x5555000000000000ull | mask;
    uint64_t               lines = sum == 48 ? 8 : 4, probe, doc_lines;
    size_t                 i, size;
    char                   err[256];

    for (i = 0; i < 6; i++) {
        h[i] = (0x1234567800000000ull * (i + 1)) | mask;
    }
    h[5] = UINT64_MAX;          /* a hash of all ones is a hash too */
    h[4] = x;
    w = spoor_snapw_create(dir, "c");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_slots(w, sum), SPOOR_OK);
    for (i = 0; i < 4; i++) {   /* profile i: h[i] (and x for 1, 2) */
        ids[0] = h[i];
        ids[1] = x;
        model_sum(i, sum, sb);
        cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 1, ids,
                                         i == 1 || i == 2 ? 2 : 1, sb),
                     SPOOR_OK);
    }
    ids[0] = h[5];
    model_sum(4, sum, sb);
    cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 1, ids, 1, sb),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);

    f = slurp(path_of("c"), &size);
    cr_assert_eq(rd64(f + 144), lines);
    free(doc_slots(f, sum, &doc_lines, &probe));
    cr_assert_eq(rd64(f + 160), probe);
    cr_assert_eq(probe, sum == 48 ? 6 : 3);
    free(f);

    s = open_ok("c");
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK, "%s", err);
    for (i = 0; i < 4; i++) {
        expect_slot(s, h[i], i);
    }
    expect_slot(s, x, 1);
    expect_slot(s, UINT64_MAX, 4);
    /* absent: same home line (probes to probe_max), other lines, 0 */
    expect_slot(s, 0x0abc000000000000ull | mask, SIZE_MAX);
    expect_slot(s, 0xfffffffffffffff0ull | mask, SIZE_MAX);
    for (i = 0; i < 8; i++) {
        expect_slot(s, 0x9999000000000000ull | i, SIZE_MAX);
    }
    expect_slot(s, 0, SIZE_MAX);
    spoor_snap_close(s);
}


Test(snapshot, slots_collisions_wrap_and_lowest_profile)
{
    slots_collide(16);
    slots_collide(48);
}


/*
 * The writer builds the slot table in pieces (1/16 of the lines each),
 * carrying what overflows a piece into the next and the last piece's
 * overflow around to the first; verify builds it whole and compares every
 * byte and probe_max.  Random tables whose ids crowd a few home lines
 * (the last one among them, so probing wraps), at sizes of 16 to 256
 * lines, every one of which must verify.
 */
Test(snapshot, slots_built_in_pieces_as_whole)
{
    spoor_snapw_t  *w;
    spoor_snap_t   *s;
    unsigned char   sb[48];
    uint64_t        rnd = 99, ids[1], lines, hot[3], seen[200];
    size_t          round, i, j, d, sum;
    char            err[256];

    for (round = 0; round < 400; round++) {
        sum = round & 1 ? 48 : 16;
        lines = (uint64_t) 16 << (round % 5);
        /* d distinct ids: this many lines at 3/4 full at most */
        d = (size_t) (lines * (SPOOR_SNAP_LINE / (16 + sum)) * 3 / 4);
        d = d > 200 ? 200 : d;
        for (i = 0; i < 3; i++) {
            rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
            hot[i] = (rnd >> 33) & (lines - 1);
        }
        hot[0] = lines - 1;
        w = spoor_snapw_create(dir, "p");
        cr_assert_not_null(w);
        cr_assert_eq(spoor_snapw_slots(w, sum), SPOOR_OK);
        for (i = 0; i < d; i++) {
            do {
                rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
                ids[0] = (rnd & ~(lines - 1))
                         | ((rnd >> 60) < 11 ? hot[(rnd >> 40) % 3]
                                             : (rnd >> 20) & (lines - 1));
                for (j = 0; j < i && seen[j] != ids[0]; j++) {
                }
            } while (j < i);
            seen[i] = ids[0];
            model_sum(i, sum, sb);
            cr_assert_eq(spoor_snapw_add_sum(w, model_meta, 1, ids, 1, sb),
                         SPOOR_OK);
        }
        cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
        s = open_ok("p");
        cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK,
                     "round %zu (%" PRIu64 " lines, %zu ids): %s", round,
                     lines, d, err);
        for (i = 0; i < d; i++) {
            expect_slot(s, seen[i], i);
        }
        spoor_snap_close(s);
    }
}


/* Every lookup the model makes, on a damaged file that opened. */
static void
poke_slots(const spoor_snap_t *s, size_t n)
{
    size_t  i, prof;

    for (i = 0; i < n + 1; i++) {
        if (spoor_snap_slot(s, hid("u", "user-%zu", i), &prof) != NULL) {
            cr_assert_lt(prof, spoor_snap_count(s));
        }
        (void) spoor_snap_slot(s, hid("v", "shared-%zu", i / 10), &prof);
        (void) spoor_snap_slot(s, i, &prof);
        (void) spoor_snap_slot(s, UINT64_MAX - i, &prof);
    }
}


/*
 * Every byte of a version 2 file.  Open reads the header, table, index,
 * meta and trailer: refused there.  It does not read the records, the
 * padding before the slots, the slots, the meta padding or the file
 * checksum: verify refuses those.  Then every byte of the slot section
 * again with every checksum recomputed: verify still refuses it (the
 * table must be the one the index gives), except a summary byte of a
 * profile with a single slot, which nothing but the checksums can tell.
 */
static void
slots_every_byte(size_t sum)
{
    unsigned char  *f, *g;
    spoor_snap_t   *s;
    size_t          size, off, n = 40, soff, send, meta_end, ssize = 16 + sum;
    uint64_t        prof;
    int             want, rc;
    char            err[256];

    cr_assert_eq(write_model_slots("s", n, 1, sum), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    soff = rd64(f + 128);
    send = soff + rd64(f + 136);
    meta_end = rd64(f + 88) + rd64(f + 96);
    for (off = 0; off < size; off++) {
        want = (off >= 184 && off < rd64(f + 48))
               || (off >= rd64(f + 72) + rd64(f + 80) && off < send)
               || (off >= meta_end && off < size - 24)
               || (off >= size - 16 && off < size - 8) ? 2 : 1;
        cr_assert_eq(damage_at(f, size, off, 0x01, n), want,
                     "byte %zu: refused by %s", off,
                     want == 1 ? "verify, not open" : "open");
        if (want == 2) {
            s = open_ok("d");
            poke_slots(s, n);
            spoor_snap_close(s);
        }
    }

    g = malloc(size);
    cr_assert_not_null(g);
    for (off = soff; off < send; off++) {
        memcpy(g, f, size);
        g[off] ^= 0x01;
        reseal(g, size);
        spill(path_of("r"), g, size);
        s = open_ok("r");
        poke_slots(s, n);
        rc = spoor_snap_verify(s, err, sizeof(err));
        prof = rd32(f + soff + (off - soff) / ssize * ssize + 8);
        if ((off - soff) % ssize >= 16 && prof != 0xFFFFFFFFu
            && prof % 2 == 1)   /* odd profiles: one slot (user-i) */
        {
            cr_assert_eq(rc, SPOOR_OK, "summary byte %zu: %s", off, err);
        } else {
            cr_assert_eq(rc, SPOOR_E_FORMAT, "slot byte %zu not detected",
                         off);
            cr_assert_not_null(strstr(err, "slot"), "%s", err);
        }
        spoor_snap_close(s);
    }
    free(g);
    free(f);
}


Test(snapshot, slots_every_byte_damaged_rejected)
{
    slots_every_byte(16);
    slots_every_byte(48);
}


Test(snapshot, slots_forged_header_fields_rejected)
{
    unsigned char  *f, *g;
    spoor_snap_t   *s;
    size_t          size, k, cut;
    uint64_t        lines, probe;
    char            err[256];
    forge_t         cases[] = {
        { "probe_max 0", 160, 0, "probe_max" },
        { "probe_max past the lines", 160, 0, "probe_max" },
        { "huge probe_max", 160, UINT64_MAX, "probe_max" },
        { "summary size 0", 152, 0, "summary size" },
        { "summary size 32", 152, 32, "summary size" },
        { "summary size 64", 152, 64, "summary size" },
        { "lines not a power of two", 144, 0, "slot table of" },
        { "lines 0", 144, 0, "slot table of" },
        { "lines doubled", 144, 0, "slot table of" },
        { "huge lines", 144, UINT64_MAX / 32 + 1, "slot table of" },
        { "slots size + 64", 136, 0, "slots section" },
        { "slots size wraps", 136, UINT64_MAX - 63, "slots section" },
        { "slots off + 64", 128, 0, "slots section" },
        { "slots off at the index end", 128, 0, "slots section" },
        { "meta offset 0", 88, 0, "meta section" },
        { "count + 1", 24, 0, "profiles do not fit" },
    };

    cr_assert_eq(write_model_slots("s", 40, 1, 16), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    lines = rd64(f + 144);
    probe = rd64(f + 160);
    cr_assert_gt(lines, 2);
    cr_assert_neq(rd64(f + 72) + rd64(f + 80), rd64(f + 128),
                  "the model's index should need padding");
    cases[1].value = lines + 1;
    cases[6].value = lines - 1;
    cases[8].value = lines * 2;
    cases[10].value = rd64(f + 136) + 64;
    cases[12].value = rd64(f + 128) + 64;
    cases[13].value = rd64(f + 72) + rd64(f + 80);
    cases[15].value = 41;

    g = malloc(size);
    cr_assert_not_null(g);
    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        memcpy(g, f, size);
        wr64(g + cases[k].at, cases[k].value);
        reseal(g, size);
        spill(path_of("g"), g, size);
        expect_refused_saying("g", cases[k].what, cases[k].says);
    }

    /* a probe_max in range but not the writer's: verify refuses it (one
     * too small: a hash is not found; larger: not the longest probe) */
    for (k = 0; k < 2; k++) {
        memcpy(g, f, size);
        if (k == 0 && probe == 1) {
            continue;
        }
        wr64(g + 160, k == 0 ? probe - 1 : lines);
        if (k == 1 && lines == probe) {
            continue;
        }
        reseal(g, size);
        spill(path_of("g"), g, size);
        s = open_ok("g");
        poke_slots(s, 40);
        cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
        cr_assert_not_null(strstr(err, "slot"), "%s", err);
        spoor_snap_close(s);
    }

    /* a slot naming profile 40 of 40: not found, refused by verify */
    memcpy(g, f, size);
    for (k = 0; k < 4 * lines && rd32(g + rd64(g + 128) + 32 * k + 8)
                                 == 0xFFFFFFFFu; k++) { /* void */ }
    cr_assert_lt(k, 4 * lines);
    wr64(g + rd64(g + 128) + 32 * k + 8, 40);
    reseal(g, size);
    spill(path_of("g"), g, size);
    s = open_ok("g");
    cr_assert_null(spoor_snap_slot(s, rd64(g + rd64(g + 128) + 32 * k),
                                   NULL));
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
    spoor_snap_close(s);

    /* truncated anywhere, also inside the longer header */
    for (k = 0; k <= 64 + 3; k++) {
        cut = k < 64 ? size * k / 64
              : k == 64 ? 184 + 24 - 1 : k == 65 ? size - 8 : size - 64;
        spill(path_of("t"), f, cut);
        expect_refused("t", "truncated");
    }
    free(g);
    free(f);
}


/* ---- record groups (version 3) ------------------------------------------ */

/* The profile numbers where the table starts a new group, into starts
 * (cap entries); returns how many groups. */
static size_t
group_starts(const unsigned char *f, size_t *starts, size_t cap)
{
    uint64_t  toff = rd64(f + 48), count = rd64(f + 24), i;
    size_t    n = 0;

    for (i = 0; i < count; i++) {
        if (i == 0 || rd64(f + toff + 8 * i) != rd64(f + toff + 8 * (i - 1)))
        {
            cr_assert_lt(n, cap);
            starts[n++] = (size_t) i;
        }
    }
    return n;
}


Test(snapshot, grouped_round_trips)
{
    static const size_t  sizes[] = { 1, 2, 31, 32, 33, 64, 65, 1000 };
    unsigned char       *f;
    spoor_snap_t        *s;
    size_t               k, size, plain, starts[64], ng, g, end;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        cr_assert_eq(write_model_as("g", sizes[k], k % 2, 1, 0), SPOOR_OK);
        s = open_ok("g");
        cr_assert_eq(spoor_snap_version(s), SPOOR_SNAP_VERSION_GROUPS);
        check_model(s, sizes[k], k % 2);
        spoor_snap_close(s);

        /* groups of 32, but one ends once it holds 64 KiB: profile 777
         * (300 KiB) ends its group */
        f = slurp(path_of("g"), &size);
        cr_assert_eq(rd32(f + 8), 3);
        ng = group_starts(f, starts, 64);
        for (g = 0; g < ng; g++) {
            end = g + 1 < ng ? starts[g + 1] : sizes[k];
            cr_assert_leq(end - starts[g], 32, "group %zu", g);
            cr_assert(end - starts[g] == 32 || g + 1 == ng
                      || (starts[g] <= BIG_PROFILE && BIG_PROFILE < end),
                      "group %zu of %zu profiles", g, end - starts[g]);
        }
        if (sizes[k] == 1000) {
            cr_assert_eq(ng, 32);       /* 24 x 32, 768 .. 777 (777 ends
                                           it), 6 x 32 and 30 */
            cr_assert_eq(starts[25], BIG_PROFILE + 1);
        }
        free(f);
    }

    /* smaller than the same profiles one by one */
    cr_assert_eq(write_model("p", 1000, 0), SPOOR_OK);
    cr_assert_eq(write_model_as("g", 1000, 0, 1, 0), SPOOR_OK);
    free(slurp(path_of("p"), &plain));
    free(slurp(path_of("g"), &size));
    cr_assert_lt(size, plain / 2, "%zu against %zu bytes", size, plain);
}


Test(snapshot, grouped_identical_input_identical_bytes)
{
    unsigned char  *a, *b;
    size_t          la, lb;

    cr_assert_eq(write_model_as("a", 500, 1, 1, 0), SPOOR_OK);
    cr_assert_eq(write_model_as("b", 500, 1, 1, 0), SPOOR_OK);
    a = slurp(path_of("a"), &la);
    b = slurp(path_of("b"), &lb);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(a, b, la) == 0);
    free(a);
    free(b);
}


/* Reads profile i of s through cur and compares it with model profile
 * i + shift. */
static void
expect_model_blob(const spoor_snap_t *s, spoor_snap_cursor_t *cur, size_t i,
    size_t shift)
{
    static unsigned char   buf[BLOB_CAP];
    const unsigned char   *p;
    size_t                 len, want;

    want = model_blob(i + shift, buf);
    p = spoor_snap_get(s, i, &len, cur);
    cr_assert_not_null(p, "profile %zu: %s", i, strerror(errno));
    cr_assert_eq(len, want, "profile %zu (+%zu) length", i, shift);
    cr_assert(memcmp(p, buf, len) == 0, "profile %zu (+%zu) bytes", i,
              shift);
}


/* One cursor over files in any order: it never answers from a group of
 * another file, nor of a closed file whose successor has the same
 * layout (and, likely, the same address). */
Test(snapshot, grouped_cursor_any_order_any_file)
{
    spoor_snap_cursor_t  cur = SPOOR_SNAP_CURSOR_INIT;
    spoor_snap_t        *a, *b, *c;
    uint64_t             r = 99;
    size_t               k, i;

    cr_assert_eq(write_model_as("a", 700, 0, 1, 0), SPOOR_OK);
    cr_assert_eq(write_model_as("b", 700, 0, 1, 1), SPOOR_OK);
    a = open_ok("a");
    b = open_ok("b");
    for (k = 0; k < 3000; k++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        i = (size_t) (r >> 33) % 700;
        if (r & 1) {
            expect_model_blob(a, &cur, i, 0);
        } else {
            expect_model_blob(b, &cur, i, 1);
        }
        if (k % 7 == 0) {               /* then the same group again */
            expect_model_blob(a, &cur, i, 0);
            expect_model_blob(a, &cur, i ^ 1, 0);
        }
    }
    spoor_snap_close(b);

    /* file a replaced by one of other blobs: a group of the same offset */
    expect_model_blob(a, &cur, 5, 0);
    spoor_snap_close(a);
    cr_assert_eq(write_model_as("a", 700, 0, 1, 2), SPOOR_OK);
    c = open_ok("a");
    expect_model_blob(c, &cur, 5, 2);
    spoor_snap_close(c);
    spoor_snap_cursor_free(&cur);
    spoor_snap_cursor_free(&cur);       /* twice: a no-op */
    spoor_snap_cursor_free(NULL);
}


Test(snapshot, grouped_writer_arguments)
{
    spoor_snapw_t  *w;
    uint64_t        id = 1;

    w = spoor_snapw_create(dir, "w");
    cr_assert_eq(spoor_snapw_groups(w), SPOOR_OK);
    cr_assert_eq(spoor_snapw_groups(w), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_slots(w, 16), SPOOR_E_INVAL);
    spoor_snapw_abort(w);

    w = spoor_snapw_create(dir, "w");
    cr_assert_eq(spoor_snapw_slots(w, 16), SPOOR_OK);
    cr_assert_eq(spoor_snapw_groups(w), SPOOR_E_INVAL);
    spoor_snapw_abort(w);

    w = spoor_snapw_create(dir, "w");
    cr_assert_eq(spoor_snapw_add(w, (const unsigned char *) "x", 1, &id, 1),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_groups(w), SPOOR_E_INVAL);
    spoor_snapw_abort(w);

    /* an empty grouped snapshot is version 3 with no group */
    w = spoor_snapw_create(dir, "w");
    cr_assert_eq(spoor_snapw_groups(w), SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    {
        spoor_snap_t  *s = open_ok("w");
        char           err[256];

        cr_assert_eq(spoor_snap_version(s), SPOOR_SNAP_VERSION_GROUPS);
        cr_assert_eq(spoor_snap_count(s), 0);
        cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK, "%s",
                     err);
        spoor_snap_close(s);
    }
}


/* what every_byte_damaged_rejected says, of a version 3 file: the
 * profiles section (its groups) is read lazily, so left to verify */
Test(snapshot, grouped_every_byte_damaged_rejected)
{
    every_byte_damaged(1);
}


/*
 * A group changed, every checksum the file's own but the group's frame
 * hash recomputed as a hostile writer would: open accepts, the group's
 * profiles are refused (EBADMSG), the others read, verify fails.
 * `at` is an offset from the group's start; `x` is XORed into that byte,
 * or, with set, `value` written there as a u64.
 */
static void
forged_group(const unsigned char *f, size_t size, size_t first, size_t n,
    size_t at, uint64_t value, int set, int rehash)
{
    spoor_snap_cursor_t  cur = SPOOR_SNAP_CURSOR_INIT;
    unsigned char       *g;
    spoor_snap_t        *s;
    size_t               len, i;
    uint64_t             go;
    char                 err[256];

    g = malloc(size);
    cr_assert_not_null(g);
    memcpy(g, f, size);
    go = rd64(g + rd64(g + 48) + 8 * first);
    if (set) {
        wr64(g + go + at, value);
    } else {
        g[go + at] ^= (unsigned char) value;
    }
    if (rehash && rd64(g + go) <= size - go - 32) {
        wr64(g + go + 8, XXH64(g + go + 32, rd64(g + go), 0));
    }
    reseal(g, size);
    spill(path_of("r"), g, size);
    free(g);

    s = open_ok("r");
    for (i = 0; i < spoor_snap_count(s); i++) {
        errno = 0;
        if (i >= first && i < first + n) {
            cr_assert_null(spoor_snap_get(s, i, &len, &cur), "profile %zu "
                           "(group +%zu)", i, at);
            cr_assert_eq(len, 0);
            cr_assert_eq(errno, EBADMSG);
        } else {
            expect_model_blob(s, &cur, i, 0);
        }
    }
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
    cr_assert_not_null(strstr(err, "group"), "%s", err);
    spoor_snap_close(s);
    spoor_snap_cursor_free(&cur);
}


Test(snapshot, grouped_forged_groups_refused)
{
    unsigned char  *f, *h;
    size_t          size, starts[8], hs;
    uint64_t        go, csize, head;

    cr_assert_eq(write_model_as("s", 100, 0, 1, 0), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    cr_assert_eq(group_starts(f, starts, 8), 4);
    cr_assert_eq(starts[1], 32);
    go = rd64(f + rd64(f + 48) + 8 * 32);
    csize = rd64(f + go);
    head = rd64(f + go + 24);          /* u32 n, u32 rsize */

    forged_group(f, size, 32, 32, 32 + csize / 2, 0x04, 0, 0); /* frame */
    forged_group(f, size, 32, 32, 8, 0x01, 0, 0);          /* its hash */
    forged_group(f, size, 32, 32, 16, 0, 1, 0);            /* first 0 */
    forged_group(f, size, 32, 32, 16, 33, 1, 0);           /* first 33 */
    forged_group(f, size, 32, 32, 24, head - 1, 1, 0);     /* n 31 */
    forged_group(f, size, 32, 32, 24, head + 1, 1, 0);     /* n 33 */
    forged_group(f, size, 32, 32, 24, head & 0xffffffffu, 1, 0); /* rsize 0 */
    forged_group(f, size, 32, 32, 24, head + (1ull << 32), 1, 0); /* +1 */
    forged_group(f, size, 32, 32, 24, head | 0xffffffff00000000ull, 1, 0);
    forged_group(f, size, 32, 32, 0, csize - 8, 1, 1);     /* shorter */
    forged_group(f, size, 32, 32, 0, csize + 8, 1, 1);     /* longer */
    forged_group(f, size, 32, 32, 0, UINT64_MAX, 1, 0);    /* wraps */
    forged_group(f, size, 32, 32, 0, 0, 1, 0);             /* empty */
    forged_group(f, size, 96, 4, 16, 95, 1, 0);            /* the last */
    free(f);

    /* the padding after a frame: only verify reads it */
    cr_assert_eq(write_model_as("s", 100, 0, 1, 0), SPOOR_OK);
    h = slurp(path_of("s"), &hs);
    if (csize % 8 != 0) {
        spoor_snap_cursor_t  cur = SPOOR_SNAP_CURSOR_INIT;
        spoor_snap_t        *s;
        char                 err[256];
        size_t               i;

        h[go + 32 + csize] = 1;
        reseal(h, hs);
        spill(path_of("r"), h, hs);
        s = open_ok("r");
        for (i = 0; i < 100; i++) {
            expect_model_blob(s, &cur, i, 0);
        }
        cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
        cr_assert_not_null(strstr(err, "padding"), "%s", err);
        spoor_snap_close(s);
        spoor_snap_cursor_free(&cur);
    }
    free(h);
}


/* A table that names groups out of order or too many profiles to one
 * group is refused at open. */
Test(snapshot, grouped_forged_tables_refused_at_open)
{
    unsigned char  *f, *g;
    size_t          size;
    uint64_t        toff;
    char            err[256];

    cr_assert_eq(write_model_as("s", 100, 0, 1, 0), SPOOR_OK);
    f = slurp(path_of("s"), &size);
    toff = rd64(f + 48);
    g = malloc(size);
    cr_assert_not_null(g);

    struct { size_t i; uint64_t v; } forge[] = {
        { 32, rd64(f + toff + 8 * 31) },       /* 33 profiles to group 0 */
        { 33, rd64(f + toff) },                /* back to group 0 */
        { 0, rd64(f + toff) + 8 },             /* not at the section start */
        { 99, rd64(f + toff + 8 * 99) + 4 },   /* unaligned */
        { 99, rd64(f + 48) },                  /* past the section */
        { 99, rd64(f + toff + 8 * 98) + 8 },   /* too close to the one before */
    };
    for (size_t k = 0; k < sizeof(forge) / sizeof(forge[0]); k++) {
        memcpy(g, f, size);
        wr64(g + toff + 8 * forge[k].i, forge[k].v);
        reseal(g, size);
        spill(path_of("r"), g, size);
        cr_assert_null(spoor_snap_open(path_of("r"), err, sizeof(err)),
                       "forge %zu", k);
        cr_assert_not_null(strstr(err, "group"), "%s", err);
    }
    free(g);
    free(f);
}


/*
 * A group as a hostile writer could make it, hashed and sized right:
 * `n` records of lengths len[], the raw lengths field of record k set to
 * len[k] + skew[k], compressed with or without the content size.
 * Returns its bytes (SNAP_GROUP_HEAD + frame + padding) and size.
 */
static unsigned char *
craft_group(uint32_t n, const uint32_t *len, const int32_t *skew,
    int content_size, uint32_t say_n, uint64_t first, size_t *size)
{
    unsigned char  *raw, *g;
    size_t          rsize = 4 * (size_t) n, at, k, j, cap, csize;
    ZSTD_CCtx      *cc;

    for (k = 0; k < n; k++) {
        rsize += len[k];
    }
    raw = malloc(rsize ? rsize : 1);
    cr_assert_not_null(raw);
    at = 4 * (size_t) n;
    for (k = 0; k < n; k++) {
        uint32_t  l = (uint32_t) ((int64_t) len[k] + (skew ? skew[k] : 0));

        memcpy(raw + 4 * k, &l, 4);     /* little-endian hosts only */
        for (j = 0; j < len[k]; j++) {
            raw[at++] = (unsigned char) (k + j);
        }
    }
    cap = ZSTD_compressBound(rsize);
    g = calloc(1, SNAP_GROUP_HEAD + cap + 8);
    cr_assert_not_null(g);
    cc = ZSTD_createCCtx();
    cr_assert_not_null(cc);
    cr_assert(!ZSTD_isError(ZSTD_CCtx_setParameter(cc,
                  ZSTD_c_contentSizeFlag, content_size)));
    csize = ZSTD_compress2(cc, g + SNAP_GROUP_HEAD, cap, raw, rsize);
    cr_assert(!ZSTD_isError(csize));
    ZSTD_freeCCtx(cc);
    wr64(g, csize);
    wr64(g + 8, XXH64(g + SNAP_GROUP_HEAD, csize, 0));
    wr64(g + 16, first);
    memcpy(g + 24, &say_n, 4);
    {
        uint32_t  r = (uint32_t) rsize;

        memcpy(g + 28, &r, 4);
    }
    free(raw);
    *size = SNAP_GROUP_HEAD + ((csize + 7) & ~(size_t) 7);
    return g;
}


static int
load_crafted(uint32_t n, const uint32_t *len, const int32_t *skew,
    int content_size, uint32_t say_n, char *err, size_t errlen)
{
    spoor_snap_cursor_t  cur = SPOOR_SNAP_CURSOR_INIT;
    unsigned char       *g;
    size_t               size;
    int                  rc;

    g = craft_group(n, len, skew, content_size, say_n, 7, &size);
    err[0] = '\0';
    rc = snap_group_load(g, size, &cur, err, errlen);
    if (rc == 0) {
        size_t                k, l;
        const unsigned char  *p;

        cr_assert_eq(cur.n, say_n);
        cr_assert_eq(cur.first, 7);
        for (k = 0; k < n; k++) {
            p = snap_group_record(&cur, (uint32_t) k, &l);
            cr_assert_eq(l, len[k]);
            cr_assert(l == 0 || (p[0] == (unsigned char) k
                                 && p[l - 1] == (unsigned char) (k + l - 1)));
        }
    }
    /* one byte short of its size: refused before it is read */
    cr_assert_eq(snap_group_load(g, size - 1, &cur, NULL, 0), -1);
    free(g);
    spoor_snap_cursor_free(&cur);
    return rc;
}


Test(snapshot, group_bytes_checked_whole)
{
    uint32_t  len[4] = { 10, 200, 1, 3000 };
    int32_t   skew[4] = { 0, 0, 0, 0 };
    char      err[256];

    cr_assert_eq(load_crafted(4, len, NULL, 1, 4, err, sizeof(err)), 0,
                 "%s", err);
    /* lengths that do not fill the group exactly */
    skew[1] = 1;
    cr_assert_eq(load_crafted(4, len, skew, 1, 4, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "length"), "%s", err);
    skew[1] = -1;
    cr_assert_eq(load_crafted(4, len, skew, 1, 4, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "fill"), "%s", err);
    /* a record of length 0, the bytes filled exactly (record 1 takes
     * record 2's one byte) */
    skew[1] = 1;
    skew[2] = -1;
    cr_assert_eq(load_crafted(4, len, skew, 1, 4, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "length 0"), "%s", err);
    /* the last record of length 0 */
    skew[1] = 0;
    skew[2] = 0;
    skew[3] = -3000;
    cr_assert_eq(load_crafted(4, len, skew, 1, 4, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "length"), "%s", err);
    /* a frame that does not say its size */
    cr_assert_eq(load_crafted(4, len, NULL, 0, 4, err, sizeof(err)), -1);
    cr_assert_not_null(strstr(err, "does not say"), "%s", err);
    /* a record count the lengths do not agree with */
    cr_assert_eq(load_crafted(4, len, NULL, 1, 3, err, sizeof(err)), -1);
    cr_assert_eq(load_crafted(4, len, NULL, 1, 0, err, sizeof(err)), -1);
    cr_assert_eq(load_crafted(4, len, NULL, 1, 33, err, sizeof(err)), -1);
}


/* The writer's groups, sealed by hand: what add takes, seal gives. */
Test(snapshot, group_writer_seals_what_it_took)
{
    snap_group_w_t        g;
    spoor_snap_cursor_t   cur = SPOOR_SNAP_CURSOR_INIT;
    static unsigned char  big[SNAP_GROUP_BYTES + 10];
    const unsigned char  *bytes, *p;
    size_t                len, l, k;

    memset(&g, 0, sizeof(g));
    cr_assert_eq(snap_group_w_full(&g), 0);
    for (k = 0; k < SNAP_GROUP_RECORDS; k++) {
        cr_assert_eq(snap_group_w_full(&g), 0);
        cr_assert_eq(snap_group_w_add(&g, (const unsigned char *) "abcdef",
                                      1 + k % 6), SPOOR_OK);
    }
    cr_assert_eq(snap_group_w_full(&g), 1);
    cr_assert_eq(snap_group_w_seal(&g, 64, &bytes, &len), SPOOR_OK);
    cr_assert_eq(len % 8, 0);
    cr_assert_eq(snap_group_w_count(&g), 0);
    cr_assert_eq(snap_group_load(bytes, len, &cur, NULL, 0), 0);
    cr_assert_eq(cur.n, SNAP_GROUP_RECORDS);
    cr_assert_eq(cur.first, 64);
    for (k = 0; k < SNAP_GROUP_RECORDS; k++) {
        p = snap_group_record(&cur, (uint32_t) k, &l);
        cr_assert_eq(l, 1 + k % 6);
        cr_assert(memcmp(p, "abcdef", l) == 0);
    }

    /* a group ends once its records reach SNAP_GROUP_BYTES */
    cr_assert_eq(snap_group_w_add(&g, big, SNAP_GROUP_BYTES - 1), SPOOR_OK);
    cr_assert_eq(snap_group_w_full(&g), 0);
    cr_assert_eq(snap_group_w_add(&g, big, 1), SPOOR_OK);
    cr_assert_eq(snap_group_w_full(&g), 1);
    cr_assert_eq(snap_group_w_seal(&g, 0, &bytes, &len), SPOOR_OK);
    cr_assert_eq(snap_group_load(bytes, len, &cur, NULL, 0), 0);
    cr_assert_eq(cur.n, 2);
    snap_group_w_free(&g);
    snap_group_w_free(&g);              /* twice: a no-op */
    spoor_snap_cursor_free(&cur);
}


/* Seals the model's records 3 .. 7 as one group in g (its head's
 * `first` said to be `first`) into *bytes, *len; their ids back to back
 * into ids, nids[k] of record 3 + k's. */
static void
model_group(snap_group_w_t *g, size_t first, const unsigned char **bytes,
    size_t *len, uint64_t *ids, uint32_t *nids)
{
    static unsigned char  buf[BLOB_CAP];
    size_t                i, at = 0;

    memset(g, 0, sizeof(*g));
    for (i = 3; i < 8; i++) {
        cr_assert_eq(snap_group_w_add(g, buf, model_blob(i, buf)), SPOOR_OK);
        nids[i - 3] = (uint32_t) model_ids(i, ids + at);
        at += nids[i - 3];
    }
    cr_assert_eq(snap_group_w_seal(g, first, bytes, len), SPOOR_OK);
}


/* Groups sealed elsewhere (commit_pack.c seals them on its threads)
 * between records added one by one: the profiles keep their order and
 * ids, the head's `first` is the writer's. */
Test(snapshot, sealed_groups_added_between_records)
{
    static unsigned char  buf[BLOB_CAP];
    snap_group_w_t        g;
    spoor_snapw_t        *w;
    spoor_snap_t         *s;
    const unsigned char  *bytes;
    unsigned char        *f;
    uint64_t              ids[8 * 5];
    uint32_t              nids[5];
    size_t                i, len, k, size, starts[8];
    char                  err[256];

    w = spoor_snapw_create(dir, "s");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_groups(w), SPOOR_OK);
    for (i = 0; i < 3; i++) {
        len = model_blob(i, buf);
        k = model_ids(i, ids);
        cr_assert_eq(spoor_snapw_add(w, buf, len, ids, k), SPOOR_OK);
    }
    model_group(&g, 999, &bytes, &len, ids, nids);

    /* refused, nothing added: a length that is not the group's, a
     * profile without ids */
    cr_assert_eq(spoor_snapw_add_group(w, bytes, len - 8, ids, nids),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add_group(w, bytes, len + 8, ids, nids),
                 SPOOR_E_INVAL);
    nids[2] = 0;
    cr_assert_eq(spoor_snapw_add_group(w, bytes, len, ids, nids),
                 SPOOR_E_INVAL);
    nids[2] = (uint32_t) model_ids(5, ids + nids[0] + nids[1]);

    cr_assert_eq(spoor_snapw_add_group(w, bytes, len, ids, nids), SPOOR_OK);
    for (i = 8; i < 10; i++) {
        len = model_blob(i, buf);
        k = model_ids(i, ids);
        cr_assert_eq(spoor_snapw_add(w, buf, len, ids, k), SPOOR_OK);
    }
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    snap_group_w_free(&g);

    s = open_ok("s");
    check_model(s, 10, 0);              /* blobs, ids, verify */
    spoor_snap_close(s);
    f = slurp(path_of("s"), &size);
    cr_assert_eq(group_starts(f, starts, 8), 3);
    cr_assert_eq(starts[1], 3);
    cr_assert_eq(starts[2], 8);
    free(f);

    /* a writer without groups takes none */
    w = spoor_snapw_create(dir, "p");
    memset(&g, 0, sizeof(g));
    cr_assert_eq(snap_group_w_add(&g, buf, 1), SPOOR_OK);
    cr_assert_eq(snap_group_w_seal(&g, 0, &bytes, &len), SPOOR_OK);
    nids[0] = 1;
    cr_assert_eq(spoor_snapw_add_group(w, bytes, len, ids, nids),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    snap_group_w_free(&g);
    s = open_ok("p");
    cr_assert_eq(spoor_snap_count(s), 0);
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK, "%s", err);
    spoor_snap_close(s);
}


/* Records 0 .. 2 one by one, 3 .. 7 as a group sealed by hand, 8 and 9
 * one by one, into `name`: their ids with them, or after them all. */
static void
write_groups_ids(const char *name, int later)
{
    static unsigned char  buf[BLOB_CAP];
    snap_group_w_t        g;
    spoor_snapw_t        *w;
    const unsigned char  *bytes;
    uint64_t              ids[8 * 5], one[8];
    uint32_t              nids[5];
    size_t                i, len, k;

    w = spoor_snapw_create(dir, name);
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_groups(w), SPOOR_OK);
    if (later) {
        cr_assert_eq(spoor_snapw_ids_later(w), SPOOR_OK);
    }
    model_group(&g, 0, &bytes, &len, ids, nids);
    for (i = 0; i < 10; i++) {
        if (i >= 3 && i < 8) {
            if (i == 3) {
                cr_assert_eq(spoor_snapw_add_group(w, bytes, len,
                                                   later ? NULL : ids,
                                                   later ? NULL : nids),
                             SPOOR_OK);
                if (later) {
                    cr_assert_eq(spoor_snapw_add_group(w, bytes, len, ids,
                                                       nids), SPOOR_E_INVAL,
                                 "ids with a group, when they come later");
                }
            }
            continue;
        }
        k = model_blob(i, buf);
        cr_assert_eq(spoor_snapw_add(w, buf, k, later ? NULL : one,
                                     later ? 0 : model_ids(i, one)),
                     SPOOR_OK);
    }
    for (i = 0; later && i < 10; i++) {
        k = model_ids(i, one);
        cr_assert_eq(spoor_snapw_ids(w, one, k), SPOOR_OK);
    }
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    snap_group_w_free(&g);
}


Test(snapshot, ids_given_after_groups_write_the_same_bytes)
{
    unsigned char  *a, *b;
    size_t          al, bl;
    spoor_snap_t   *s;

    write_groups_ids("now", 0);
    write_groups_ids("later", 1);
    a = slurp(path_of("now"), &al);
    b = slurp(path_of("later"), &bl);
    cr_assert(al == bl && memcmp(a, b, al) == 0, "the files differ");
    s = open_ok("later");
    check_model(s, 10, 0);              /* blobs, ids, verify */
    spoor_snap_close(s);
    free(a);
    free(b);
}


/* Writes the damaged copy g (size bytes, resealed first when asked) and
 * expects verify_stored to refuse it, saying `says` (NULL: whatever). */
static void
stored_refused(unsigned char *g, size_t size, int resealed, const char *says)
{
    spoor_snap_t  *s;
    char           err[256];

    if (resealed) {
        reseal(g, size);
    }
    spill(path_of("r"), g, size);
    s = open_ok("r");
    cr_assert_eq(spoor_snap_verify_stored(s, err, sizeof(err)),
                 SPOOR_E_FORMAT);
    if (says != NULL) {
        cr_assert_not_null(strstr(err, says), "%s", err);
    }
    spoor_snap_close(s);
}


/* verify_stored: every byte the writer's (file, frame checksums, heads,
 * padding) but the frames' contents, left to the reader. */
Test(snapshot, verify_stored_leaves_frames_to_the_reader)
{
    spoor_snap_cursor_t  cur = SPOOR_SNAP_CURSOR_INIT;
    unsigned char       *f, *g;
    spoor_snap_t        *s;
    size_t               size, len;
    uint64_t             go, csize;
    char                 err[256];

    cr_assert_eq(write_model_as("s", 100, 1, 1, 0), SPOOR_OK);
    s = open_ok("s");
    cr_assert_eq(spoor_snap_verify_stored(s, err, sizeof(err)), SPOOR_OK,
                 "%s", err);
    spoor_snap_close(s);
    f = slurp(path_of("s"), &size);
    g = malloc(size);
    cr_assert_not_null(g);
    go = rd64(f + rd64(f + 48) + 8 * 32);
    csize = rd64(f + go);

    /* a size the frame does not give, every checksum recomputed (a
     * writer's bug): only the full verify and the reader see it */
    memcpy(g, f, size);
    wr64(g + go + 24, rd64(g + go + 24) + (1ull << 32));    /* rsize + 1 */
    reseal(g, size);
    spill(path_of("r"), g, size);
    s = open_ok("r");
    cr_assert_eq(spoor_snap_verify_stored(s, err, sizeof(err)), SPOOR_OK,
                 "%s", err);
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_E_FORMAT);
    cr_assert_null(spoor_snap_get(s, 40, &len, &cur));
    cr_assert_not_null(spoor_snap_get(s, 64, &len, &cur));
    spoor_snap_close(s);

    /* a frame byte without its checksum, a head, padding: refused */
    memcpy(g, f, size);
    g[go + 32 + csize / 2] ^= 0x10;
    stored_refused(g, size, 1, "group");

    memcpy(g, f, size);
    wr64(g + go + 16, 31);              /* first */
    stored_refused(g, size, 1, NULL);

    if (csize % 8 != 0) {
        memcpy(g, f, size);
        g[go + 32 + csize] = 1;
        stored_refused(g, size, 1, "padding");
    }

    /* the file's own checksum: any byte */
    memcpy(g, f, size);
    g[go + 32 + csize / 2] ^= 0x10;
    wr64(g + go + 8, XXH64(g + go + 32, csize, 0));
    stored_refused(g, size, 0, "file checksum");

    /* versions 1: the same as verify */
    cr_assert_eq(write_model("p", 40, 1), SPOOR_OK);
    s = open_ok("p");
    cr_assert_eq(spoor_snap_verify_stored(s, err, sizeof(err)), SPOOR_OK,
                 "%s", err);
    spoor_snap_close(s);
    spoor_snap_cursor_free(&cur);
    free(g);
    free(f);
}


/* ---- one index for two writers (spoor_snapw_share_index) ----------------- */

typedef struct {
    spoor_snapw_t  *w;
    int             rc;
} commit_job_t;

static void *
commit_main(void *arg)
{
    commit_job_t  *j = arg;

    j->rc = spoor_snapw_commit(j->w);
    return NULL;
}


/*
 * The model's n profiles into a grouped snapshot `gname` and a serving
 * view `sname` with 16-byte summaries, the view taking the snapshot's
 * index, both given the same profiles (the view `extra` more); then
 * committed as `order` says: 0 the snapshot first, 1 the view first, 2
 * both at once on two threads, 3 the snapshot aborted, then the view.
 * Returns the view's commit code.
 */
static int
write_shared_as(const char *gname, const char *sname, size_t n, size_t extra,
    int order, int later)
{
    static unsigned char   buf[BLOB_CAP];
    unsigned char          sb[48];
    spoor_snapw_t         *g, *v;
    uint64_t               hs[8];
    size_t                 i, len, nids;
    commit_job_t           jg, jv;
    pthread_t              th;

    g = spoor_snapw_create(dir, gname);
    v = spoor_snapw_create(dir, sname);
    cr_assert(g != NULL && v != NULL, "create: %s", strerror(errno));
    cr_assert_eq(spoor_snapw_groups(g), SPOOR_OK);
    cr_assert_eq(spoor_snapw_slots(v, 16), SPOOR_OK);
    cr_assert_eq(spoor_snapw_share_index(v, g), SPOOR_OK);
    cr_assert_eq(spoor_snapw_share_index(v, g), SPOOR_E_INVAL, "twice");
    cr_assert_eq(spoor_snapw_reserve(v, n, 0), SPOOR_OK);
    if (later) {
        cr_assert_eq(spoor_snapw_ids_later(g), SPOOR_OK);
    }
    for (i = 0; i < n + extra; i++) {
        len = model_blob(i, buf);
        nids = model_ids(i, hs);
        model_sum(i, 16, sb);
        if (i < n) {
            cr_assert_eq(spoor_snapw_add(g, buf, len, later ? NULL : hs,
                                         later ? 0 : nids), SPOOR_OK);
        }
        cr_assert_eq(spoor_snapw_add_sum(v, buf, len, later ? NULL : hs,
                                         later ? 0 : nids, sb), SPOOR_OK);
    }
    for (i = 0; later && i < n; i++) {     /* the ids, after */
        nids = model_ids(i, hs);
        cr_assert_eq(spoor_snapw_ids(v, hs, nids), SPOOR_E_INVAL, "shared");
        cr_assert_eq(spoor_snapw_ids(g, hs, nids), SPOOR_OK);
    }
    jg.w = g;
    jv.w = v;
    switch (order) {
    case 0:
        cr_assert_eq(spoor_snapw_commit(g), SPOOR_OK);
        return spoor_snapw_commit(v);
    case 1:
        jv.rc = spoor_snapw_commit(v);
        cr_assert_eq(spoor_snapw_commit(g), SPOOR_OK);
        return jv.rc;
    case 2:
        cr_assert_eq(pthread_create(&th, NULL, commit_main, &jv), 0);
        commit_main(&jg);
        pthread_join(th, NULL);
        cr_assert_eq(jg.rc, SPOOR_OK);
        return jv.rc;
    default:
        spoor_snapw_abort(g);
        return spoor_snapw_commit(v);
    }
}


static int
write_shared(const char *gname, const char *sname, size_t n, size_t extra,
    int order)
{
    return write_shared_as(gname, sname, n, extra, order, 0);
}


Test(snapshot, a_shared_index_writes_the_bytes_of_its_own)
{
    static const size_t  sizes[] = { 1, 33, 1000 };
    unsigned char       *own_g, *own_v, *g, *v;
    size_t               own_gl, own_vl, gl, vl, k;
    int                  order, later;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        cr_assert_eq(write_model_as("own.snap", sizes[k], 0, 1, 0),
                     SPOOR_OK);
        cr_assert_eq(write_model_slots("own.serve", sizes[k], 0, 16),
                     SPOOR_OK);
        own_g = slurp(path_of("own.snap"), &own_gl);
        own_v = slurp(path_of("own.serve"), &own_vl);
        /* (and with the ids given after the profiles: the same bytes) */
        for (order = 0, later = 0; order < 4; order += later, later ^= 1) {
            cr_assert_eq(write_shared_as("s.snap", "s.serve", sizes[k], 0,
                                         order, later), SPOOR_OK,
                         "%zu profiles, order %d, ids later %d", sizes[k],
                         order, later);
            v = slurp(path_of("s.serve"), &vl);
            cr_assert(vl == own_vl && memcmp(v, own_v, vl) == 0,
                      "%zu profiles, order %d, ids later %d: the view "
                      "differs from one with its own index", sizes[k],
                      order, later);
            free(v);
            if (order != 3) {
                g = slurp(path_of("s.snap"), &gl);
                cr_assert(gl == own_gl && memcmp(g, own_g, gl) == 0,
                          "%zu profiles, order %d, ids later %d: the "
                          "snapshot differs", sizes[k], order, later);
                free(g);
                cr_assert_eq(unlink(path_of("s.snap")), 0);
            }
        }
        free(own_g);
        free(own_v);
    }
}


Test(snapshot, a_shared_index_refuses_other_profiles)
{
    spoor_snapw_t  *a, *b;
    uint64_t        h = 42;

    /* the view was given one profile more than the snapshot */
    cr_assert_eq(write_shared("x.snap", "x.serve", 10, 1, 0), SPOOR_E_INVAL);
    cr_assert_eq(access(path_of("x.serve"), F_OK), -1, "written anyway");

    /* sharing is set up before anything is added, between two writers */
    a = spoor_snapw_create(dir, "a.snap");
    b = spoor_snapw_create(dir, "b.snap");
    cr_assert(a != NULL && b != NULL);
    cr_assert_eq(spoor_snapw_share_index(a, a), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add(a, (const unsigned char *) "x", 1, &h, 1),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_share_index(b, a), SPOOR_E_INVAL, "from used");
    cr_assert_eq(spoor_snapw_share_index(a, b), SPOOR_E_INVAL, "w used");
    spoor_snapw_abort(a);
    spoor_snapw_abort(b);
}


Test(snapshot, ids_given_later_are_all_needed_and_only_then)
{
    spoor_snapw_t   *g, *v;
    unsigned char    sb[16] = { 0 };
    uint64_t         h[2] = { 42, 43 };
    const unsigned char *x = (const unsigned char *) "x";

    /* not set up: no ids later, and adds need theirs */
    g = spoor_snapw_create(dir, "l.snap");
    cr_assert(g != NULL);
    cr_assert_eq(spoor_snapw_add(g, x, 1, NULL, 0), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add(g, x, 1, h, 1), SPOOR_OK);
    cr_assert_eq(spoor_snapw_ids(g, h, 1), SPOOR_E_INVAL, "not set up");
    cr_assert_eq(spoor_snapw_ids_later(g), SPOOR_E_INVAL, "after an add");
    spoor_snapw_abort(g);

    /* set up: adds take none; every profile needs its ids, once */
    g = spoor_snapw_create(dir, "l.snap");
    v = spoor_snapw_create(dir, "l.serve");
    cr_assert(g != NULL && v != NULL);
    cr_assert_eq(spoor_snapw_slots(v, 16), SPOOR_OK);
    cr_assert_eq(spoor_snapw_ids_later(v), SPOOR_OK);
    cr_assert_eq(spoor_snapw_share_index(v, g), SPOOR_E_INVAL,
                 "sharing would lose what v was set to");
    spoor_snapw_abort(v);
    v = spoor_snapw_create(dir, "l.serve");
    cr_assert(v != NULL);
    cr_assert_eq(spoor_snapw_slots(v, 16), SPOOR_OK);
    cr_assert_eq(spoor_snapw_share_index(v, g), SPOOR_OK);
    cr_assert_eq(spoor_snapw_ids_later(g), SPOOR_OK);
    cr_assert_eq(spoor_snapw_ids(g, h, 1), SPOOR_E_INVAL, "no profile yet");
    cr_assert_eq(spoor_snapw_add(g, x, 1, h, 1), SPOOR_E_INVAL, "ids now");
    cr_assert_eq(spoor_snapw_add(g, x, 1, NULL, 0), SPOOR_OK);
    cr_assert_eq(spoor_snapw_add(g, x, 1, NULL, 0), SPOOR_OK);
    cr_assert_eq(spoor_snapw_add_sum(v, x, 1, h, 1, sb), SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_add_sum(v, x, 1, NULL, 0, sb), SPOOR_OK);
    cr_assert_eq(spoor_snapw_add_sum(v, x, 1, NULL, 0, sb), SPOOR_OK);
    cr_assert_eq(spoor_snapw_ids(g, h, 0), SPOOR_E_INVAL, "none");
    cr_assert_eq(spoor_snapw_ids(g, h, 2), SPOOR_OK);
    /* the second profile has none: neither file is written */
    cr_assert_eq(spoor_snapw_commit(v), SPOOR_E_INVAL);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(spoor_snapw_commit(g), SPOOR_E_INVAL);
    cr_assert_eq(access(path_of("l.snap"), F_OK), -1, "written anyway");
    cr_assert_eq(access(path_of("l.serve"), F_OK), -1, "written anyway");

    /* one more than there are profiles is refused */
    g = spoor_snapw_create(dir, "l.snap");
    cr_assert(g != NULL);
    cr_assert_eq(spoor_snapw_ids_later(g), SPOOR_OK);
    cr_assert_eq(spoor_snapw_add(g, x, 1, NULL, 0), SPOOR_OK);
    cr_assert_eq(spoor_snapw_ids(g, h, 1), SPOOR_OK);
    cr_assert_eq(spoor_snapw_ids(g, h + 1, 1), SPOOR_E_INVAL, "one more");
    cr_assert_eq(spoor_snapw_commit(g), SPOOR_OK);
    {
        spoor_snap_t  *s = open_ok("l.snap");

        cr_assert_eq(spoor_snap_first(s, h[0]), 0);
        cr_assert_eq(spoor_snap_first(s, h[1]), SIZE_MAX, "the refused");
        spoor_snap_close(s);
    }
}


Test(snapshot, a_shared_index_takes_no_add_after_a_commit)
{
    spoor_snapw_t   *g, *v;
    unsigned char    sb[16] = { 0 };
    uint64_t         h = 42, h2 = 43;
    spoor_snap_t    *s;

    g = spoor_snapw_create(dir, "late.snap");
    v = spoor_snapw_create(dir, "late.serve");
    cr_assert(g != NULL && v != NULL);
    cr_assert_eq(spoor_snapw_slots(v, 16), SPOOR_OK);
    cr_assert_eq(spoor_snapw_share_index(v, g), SPOOR_OK);
    cr_assert_eq(spoor_snapw_add(g, (const unsigned char *) "x", 1, &h, 1),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_add_sum(v, (const unsigned char *) "x", 1, &h,
                                     1, sb), SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(v), SPOOR_OK);
    /* the index was sorted for the view: an add now would go unsorted */
    cr_assert_eq(spoor_snapw_add(g, (const unsigned char *) "y", 1, &h2, 1),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_snapw_reserve(g, 1, 1), SPOOR_OK, "a hint");
    cr_assert_eq(spoor_snapw_commit(g), SPOOR_OK);
    s = open_ok("late.snap");
    cr_assert_eq(spoor_snap_count(s), 1);
    cr_assert_eq(spoor_snap_first(s, h2), SIZE_MAX, "the refused add");
    spoor_snap_close(s);
}
