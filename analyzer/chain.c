/*
 * chain.c -- a generation's files read as one state (chain.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chain.h"
#include "error.h"
#include "gen_chain.h"
#include "mp_read.h"
#include "stored.h"
#include "u64set.h"


void
chain_close(chain_t *c)
{
    size_t  f;

    for (f = 0; f < c->n; f++) {
        spoor_snap_close(c->file[f]);
        free(c->live[f]);
    }
    for (f = 0; c->cur != NULL && f < CHAIN_FILES_MAX; f++) {
        spoor_snap_cursor_free(&c->cur[f]);
    }
    free(c->cur);
    memset(c, 0, sizeof(*c));
}


const unsigned char *
chain_record(const chain_t *c, size_t f, size_t i, size_t *len)
{
    return spoor_snap_get(c->file[f], i, len, &c->cur[f]);
}


int
chain_open(chain_t *c, const char *dir, uint32_t gen, int verify,
    char *err, size_t errlen)
{
    return chain_open_files(c, dir, gen, ".snap", verify, err, errlen);
}


int
chain_open_files(chain_t *c, const char *dir, uint32_t gen, const char *ext,
    int verify, char *err, size_t errlen)
{
    char          path[4096], why[512];
    uint32_t      parent, base, want_base = 0;
    spoor_snap_t *s;
    int           rc;

    memset(c, 0, sizeof(*c));
    c->cur = calloc(CHAIN_FILES_MAX, sizeof(*c->cur));
    if (c->cur == NULL) {
        snprintf(err, errlen, "out of memory");
        return SPOOR_E_NOMEM;
    }
    for (;;) {
        snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 "%s", dir, gen,
                 ext);
        s = spoor_snap_open(path, why, sizeof(why));
        if (s == NULL) {
            rc = errno == ENOENT && c->n == 0 ? SPOOR_E_IO : SPOOR_E_FORMAT;
            if (errno == ENOENT && c->n > 0) {
                snprintf(err, errlen, "%s: missing, but generation %06"
                         PRIu32 " is a delta that follows it", path,
                         c->gen[c->n - 1]);
            } else {
                snprintf(err, errlen, "%s", why);
            }
            goto fail;
        }
        c->file[c->n] = s;
        c->gen[c->n] = gen;
        c->n++;
        if (verify != CHAIN_VERIFY_NONE) {
            rc = verify == CHAIN_VERIFY_STORED
                 ? spoor_snap_verify_stored(s, why, sizeof(why))
                 : spoor_snap_verify(s, why, sizeof(why));
            if (rc != SPOOR_OK) {
                snprintf(err, errlen, "%s", why);
                goto fail;
            }
        }
        rc = spoor_chain_check(s, gen, &parent, &base, why, sizeof(why));
        if (rc == SPOOR_OK && c->n > 1 && base != want_base) {
            snprintf(why, sizeof(why), "its base is %06" PRIu32 ", the "
                     "newer generation's %06" PRIu32, base, want_base);
            rc = SPOOR_E_FORMAT;
        }
        if (rc != SPOOR_OK) {
            snprintf(err, errlen, "%s: %s", path, why);
            goto fail;
        }
        want_base = base;
        if (parent == 0) {
            return SPOOR_OK;                    /* the base */
        }
        if (c->n == CHAIN_FILES_MAX) {
            snprintf(err, errlen, "%s: more than %d deltas", path,
                     SPOOR_CHAIN_DELTAS_MAX);
            rc = SPOOR_E_FORMAT;
            goto fail;
        }
        gen = parent;
    }

fail:
    chain_close(c);
    return rc;
}


/* The profile number of file f's gone record, SIZE_MAX when it has none:
 * only a delta has one, and its writer puts it last. */
static size_t
gone_record(const chain_t *c, size_t f)
{
    size_t                n = spoor_snap_count(c->file[f]), len;
    const unsigned char  *b;

    if (n == 0 || !(spoor_snap_flags(c->file[f]) & SPOOR_SNAP_DELTA)) {
        return SIZE_MAX;
    }
    b = chain_record(c, f, n - 1, &len);
    return b != NULL && stored_gone(b, len) ? n - 1 : SIZE_MAX;
}


int
chain_live(chain_t *c)
{
    u64set_t   newer;
    size_t     f, k, i, n, nix, gone;
    int        rc = SPOOR_OK;

    memset(&newer, 0, sizeof(newer));
    for (f = 0; f < c->n && rc == SPOOR_OK; f++) {
        if (c->live[f] != NULL) {
            continue;
        }
        n = spoor_snap_count(c->file[f]);
        c->live[f] = malloc(n / 8 + 1);
        if (c->live[f] == NULL) {
            rc = SPOOR_E_NOMEM;
            break;
        }
        memset(c->live[f], 0xff, n / 8 + 1);
        gone = gone_record(c, f);
        if (gone != SIZE_MAX) {
            c->live[f][gone / 8] &= (uint8_t) ~(1u << (gone % 8));
        }
        nix = spoor_snap_index_count(c->file[f]);
        for (k = 0; f > 0 && k < nix; k++) {
            uint64_t  h = spoor_snap_index_entry(c->file[f], k, &i);

            /* shadowed: a newer file holds one of its hashes */
            if (u64set_has(&newer, h)) {
                c->live[f][i / 8] &= (uint8_t) ~(1u << (i % 8));
            }
        }
        for (k = 0; f + 1 < c->n && k < nix && rc == SPOOR_OK; k++) {
            if (u64set_add(&newer, spoor_snap_index_entry(c->file[f], k,
                                                          NULL)) < 0)
            {
                rc = SPOOR_E_NOMEM;
            }
        }
    }
    u64set_free(&newer);
    return rc;
}


int
chain_is_live(const chain_t *c, size_t f, size_t i)
{
    return c->live[f] != NULL && (c->live[f][i / 8] & (1u << (i % 8)));
}


/* Whether a newer file than f holds one of the ids of profile i of f
 * (so the profile there is the one that counts, not this one). */
static int
superseded(const chain_t *c, size_t f, size_t i)
{
    const unsigned char  *b;
    size_t                len, k, g;
    stored_profile_t      v;
    char                  kind[2] = { 0, 0 };
    int                   yes = 0;

    if (f == 0) {
        return 0;
    }
    if (c->live[f] != NULL) {
        return !chain_is_live(c, f, i);
    }
    b = chain_record(c, f, i, &len);
    if (b == NULL || stored_profile_read(&v, b, len, NULL, 0) != SPOOR_OK) {
        if (b != NULL) {
            stored_profile_free(&v);
        }
        return 0;                       /* damaged: its reader says so */
    }
    for (k = 0; k < v.nids && !yes; k++) {
        kind[0] = v.ids[k].kind;
        uint64_t  h = spoor_id_hash(kind, v.ids[k].text.ptr,
                                    v.ids[k].text.len);

        for (g = 0; g < f && !yes; g++) {
            yes = spoor_snap_first(c->file[g], h) != SIZE_MAX;
        }
    }
    stored_profile_free(&v);
    return yes;
}


typedef struct {
    const chain_t  *c;
    size_t          f, calls;
    void          (*fn)(void *arg, size_t f, size_t i);
    void           *arg;
    int             gone;
} find_t;


static void
find_one(void *arg, size_t i)
{
    find_t               *x = arg;
    const unsigned char  *b;
    size_t                len;

    b = chain_record(x->c, x->f, i, &len);
    if (b != NULL && stored_gone(b, len)) {
        x->gone = 1;
        return;
    }
    if (superseded(x->c, x->f, i)) {
        return;
    }
    if (x->fn) {
        x->fn(x->arg, x->f, i);
    }
    x->calls++;
}


size_t
chain_find(const chain_t *c, uint64_t h,
    void (*fn)(void *arg, size_t f, size_t i), void *arg)
{
    find_t  x;

    memset(&x, 0, sizeof(x));
    x.c = c;
    x.fn = fn;
    x.arg = arg;
    for (x.f = 0; x.f < c->n; x.f++) {
        if (spoor_snap_find(c->file[x.f], h, find_one, &x) > 0) {
            return x.calls;             /* the newest file holding h */
        }
    }
    return 0;
}


/* A delta's profile: profile i of file f, and its profile id. */
typedef struct {
    uint64_t  pid;               /* 0: none that reads */
    uint32_t  f;
    uint32_t  i;
} chain_ref_t;


static int
cmp_ref(const void *a, const void *b)
{
    const chain_ref_t  *x = a, *y = b;

    if (x->pid != y->pid) {
        return x->pid < y->pid ? -1 : 1;
    }
    if (x->f != y->f) {
        return x->f < y->f ? -1 : 1;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}


/* The profile id of a record blob (its "id", 16 hex digits, read in
 * place); 0 when it has none that reads. */
static uint64_t
blob_pid(const unsigned char *b, size_t len)
{
    size_t           off;
    spoor_mp_item_t  it;
    char             hex[17];

    if (!spoor_mp_map_find(b, len, "id", 2, &off)
        || spoor_mp_read(b, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_STR || it.len != 16)
    {
        return 0;
    }
    memcpy(hex, it.s, 16);
    hex[16] = '\0';
    return strtoull(hex, NULL, 16);
}


/* The live profiles of the deltas (every file but the base) with their
 * profile ids, by (id, file, record). */
static int
delta_order(chain_t *c, chain_ref_t **refs, size_t *n)
{
    size_t                f, i, cnt, total = 0, k = 0, len;
    const unsigned char  *b;
    chain_ref_t          *r;

    *refs = NULL;
    *n = 0;
    if (chain_live(c) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }
    for (f = 0; f + 1 < c->n; f++) {
        total += spoor_snap_count(c->file[f]);
    }
    r = malloc((total ? total : 1) * sizeof(*r));
    if (r == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (f = 0; f + 1 < c->n; f++) {
        cnt = spoor_snap_count(c->file[f]);
        for (i = 0; i < cnt; i++) {
            if (!chain_is_live(c, f, i)) {
                continue;
            }
            b = chain_record(c, f, i, &len);
            r[k].pid = b ? blob_pid(b, len) : 0;
            r[k].f = (uint32_t) f;
            r[k].i = (uint32_t) i;
            k++;
        }
    }
    qsort(r, k, sizeof(*r), cmp_ref);
    *refs = r;
    *n = k;
    return SPOOR_OK;
}


int
chain_each(chain_t *c,
    int (*fn)(void *arg, size_t f, size_t i, const unsigned char *b,
              size_t len),
    void *arg)
{
    chain_ref_t          *r;
    const unsigned char  *b, *d;
    size_t                nr, k = 0, base = c->n - 1, i, cnt, len, dlen;
    uint64_t              pid;
    int                   rc;

    rc = delta_order(c, &r, &nr);
    if (rc != SPOOR_OK) {
        return rc;
    }
    cnt = spoor_snap_count(c->file[base]);
    for (i = 0; i < cnt && rc == SPOOR_OK; i++) {
        if (!chain_is_live(c, base, i)) {
            continue;
        }
        b = chain_record(c, base, i, &len);
        pid = c->n > 1 && b != NULL ? blob_pid(b, len) : 0;
        /* the deltas' profiles before it: (pid, f, i) order, and a
         * delta's file comes before the base's (the deltas use their own
         * cursors: b stays valid) */
        for (; k < nr && r[k].pid <= pid && rc == SPOOR_OK; k++) {
            d = chain_record(c, r[k].f, r[k].i, &dlen);
            rc = fn(arg, r[k].f, r[k].i, d, d ? dlen : 0);
        }
        if (rc == SPOOR_OK) {
            rc = fn(arg, base, i, b, b ? len : 0);
        }
    }
    for (; k < nr && rc == SPOOR_OK; k++) {
        d = chain_record(c, r[k].f, r[k].i, &dlen);
        rc = fn(arg, r[k].f, r[k].i, d, d ? dlen : 0);
    }
    free(r);
    return rc;
}


int
chain_gone(const chain_t *c, uint64_t **out, size_t *n)
{
    size_t     f, k, nix, i, cap = 0, gone;
    uint64_t  *a, h;

    *out = NULL;
    *n = 0;
    for (f = 0; f + 1 < c->n; f++) {
        gone = gone_record(c, f);
        if (gone == SIZE_MAX) {
            continue;
        }
        nix = spoor_snap_index_count(c->file[f]);
        for (k = 0; k < nix; k++) {
            h = spoor_snap_index_entry(c->file[f], k, &i);
            if (i != gone) {
                continue;
            }
            if (*n == cap) {
                cap = cap ? 2 * cap : 256;
                a = realloc(*out, cap * sizeof(uint64_t));
                if (a == NULL) {
                    free(*out);
                    *out = NULL;
                    *n = 0;
                    return SPOOR_E_NOMEM;
                }
                *out = a;
            }
            (*out)[(*n)++] = h;
        }
    }
    return SPOOR_OK;
}
