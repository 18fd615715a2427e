/*
 * profile_view.c -- the served fields of a profile, read in place
 * (profile_view.h).  A serving summary is fixed-size bytes, decoded with
 * every code checked against the names of the view's meta.  A full record
 * (a map of nine keys, docs/FORMAT.md) is walked key by key: the served
 * fields are taken and every other value is stepped over with
 * spoor_mp_check(), so no walk reads outside the blob; a serving view's
 * record (the traits) is checked whole before it is read.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mp_check.h"
#include "mp_read.h"
#include "profile_view.h"

/* A record nests: map -> state map -> tr array -> trait value (bin). */
#define VIEW_DEPTH  8

/* items per trait in state.tr: name, value, time, source, once */
#define TRAIT_ITEMS 5

/* items per trait in a serving view's record: name, value */
#define SERVE_ITEMS 2


static int
key_is(const spoor_mp_item_t *k, const char *name, size_t len)
{
    return k->type == SPOOR_MP_STR && k->len == len
           && memcmp(k->s, name, len) == 0;
}


/* ASCII case-insensitive: NGINX lowercases the names of variables. */
static int
key_is_ci(const spoor_mp_item_t *k, const char *name, size_t len)
{
    size_t         i;
    unsigned char  a, b;

    if (k->type != SPOOR_MP_STR || k->len != len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        a = (unsigned char) k->s[i];
        b = (unsigned char) name[i];
        if (a != b && (a | 0x20) != (b | 0x20)) {
            return 0;
        }
        if (a != b && !((a | 0x20) >= 'a' && (a | 0x20) <= 'z')) {
            return 0;
        }
    }
    return 1;
}


static int
skip(const unsigned char *p, size_t len, size_t *off)
{
    size_t  n;

    if (*off > len || spoor_mp_check(p + *off, len - *off, VIEW_DEPTH, &n)
                      != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    *off += n;
    return SPOOR_OK;
}


/* state: find "tr", an array of 1 + 5 n items, and note where its
 * traits start; *off ends past the whole state map.  A state that is no
 * map is not read (1: the caller steps over it). */
static int
view_state(const unsigned char *p, size_t len, size_t *off,
    spoor_profile_view_t *v)
{
    spoor_mp_item_t  it, k;
    uint32_t         i, n;
    size_t           o;

    if (spoor_mp_read(p, len, off, &it) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    if (it.type != SPOOR_MP_MAP) {
        return 1;
    }
    n = it.len;
    for (i = 0; i < n; i++) {
        if (spoor_mp_read(p, len, off, &k) != SPOOR_OK) {
            return SPOOR_E_FORMAT;
        }
        if (key_is(&k, "tr", 2)) {
            o = *off;
            if (spoor_mp_read(p, len, &o, &it) == SPOOR_OK
                && it.type == SPOOR_MP_ARRAY && it.len >= 1
                && (it.len - 1) % TRAIT_ITEMS == 0)
            {
                /* the leading count of dropped traits */
                if (skip(p, len, &o) == SPOOR_OK) {
                    v->tr = o;
                    v->ntr = (it.len - 1) / TRAIT_ITEMS;
                }
            }
        } else if (k.type == SPOOR_MP_ARRAY || k.type == SPOOR_MP_MAP) {
            return SPOOR_E_FORMAT;           /* keys are strings */
        }
        if (skip(p, len, off) != SPOOR_OK) {
            return SPOOR_E_FORMAT;
        }
    }
    return SPOOR_OK;
}


/* RFM scores from their digits r*100 + f*10 + m, each 1 .. 5. */
static void
rfm_digits(uint64_t n, int64_t *rfm)
{
    int64_t  r = (int64_t) (n / 100), f = (int64_t) (n / 10 % 10),
             m = (int64_t) (n % 10);

    if (n < 1000 && r >= 1 && r <= 5 && f >= 1 && f <= 5 && m >= 1 && m <= 5)
    {
        rfm[0] = r;
        rfm[1] = f;
        rfm[2] = m;
    }
}


int
spoor_profile_view(const unsigned char *blob, size_t len,
    spoor_profile_view_t *v)
{
    spoor_mp_item_t  it, k, e;
    uint32_t         i, n, j;
    size_t           off = 0, o;
    int64_t          rfm[3];
    int              rc;

    memset(v, 0, sizeof(*v));

    if (spoor_mp_read(blob, len, &off, &it) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    v->blob = blob;
    v->len = len;

    if (it.type != SPOOR_MP_MAP) {
        goto bad;
    }
    n = it.len;

    for (i = 0; i < n; i++) {
        if (spoor_mp_read(blob, len, &off, &k) != SPOOR_OK
            || k.type == SPOOR_MP_ARRAY || k.type == SPOOR_MP_MAP)
        {
            goto bad;
        }
        o = off;

        if (key_is(&k, "state", 5)) {
            rc = view_state(blob, len, &o, v);
            if (rc < 0) {
                goto bad;
            }
            if (rc == SPOOR_OK) {
                off = o;                   /* walked and checked whole */
                continue;
            }

        } else if (key_is(&k, "seg", 3)) {
            if (spoor_mp_read(blob, len, &o, &it) == SPOOR_OK
                && it.type == SPOOR_MP_ARRAY)
            {
                v->seg = o;
                v->nseg = it.len;
            }

        } else if (key_is(&k, "life", 4)) {
            if (spoor_mp_read(blob, len, &o, &it) == SPOOR_OK
                && it.type == SPOOR_MP_STR)
            {
                v->life = it.s;
                v->life_len = it.len;
            }

        } else if (key_is(&k, "rfm", 3)) {
            if (spoor_mp_read(blob, len, &o, &it) == SPOOR_OK
                && it.type == SPOOR_MP_ARRAY && it.len == 3)
            {
                for (j = 0; j < 3; j++) {
                    if (spoor_mp_read(blob, len, &o, &e) != SPOOR_OK
                        || e.type != SPOOR_MP_UINT || e.u > 5)
                    {
                        break;
                    }
                    rfm[j] = (int64_t) e.u;
                }
                if (j == 3) {
                    memcpy(v->rfm, rfm, sizeof(rfm));
                }
            }
        }

        /* every value, read or not, is stepped over whole and checked */
        if (skip(blob, len, &off) != SPOOR_OK) {
            goto bad;
        }
    }
    return SPOOR_OK;

bad:
    memset(v, 0, sizeof(*v));
    return SPOOR_E_FORMAT;
}


void
spoor_profile_view_summary(const spoor_profile_serve_t *sv,
    const unsigned char *sum, const spoor_snap_t *s, size_t profile,
    spoor_profile_view_t *v)
{
    unsigned  life;

    memset(v, 0, sizeof(*v));
    v->serve = sv;
    v->bits = sum + 8;
    v->nseg = sv->nseg;
    v->snap = s;
    v->profile = profile;

    rfm_digits((uint64_t) sum[0] | (uint64_t) sum[1] << 8, v->rfm);

    life = sum[2];
    if (life >= 1 && life <= sv->nlife) {
        v->life = sv->life[life - 1];
        v->life_len = sv->life_len[life - 1];
    }

    v->ntr = (sum[3] & SPOOR_SERVE_TRAITS) ? 1 : 0;
}


int
spoor_profile_view_segment(const spoor_profile_view_t *v,
    spoor_profile_iter_t *iter, const char **name, size_t *nlen)
{
    spoor_mp_item_t  it;
    uint32_t         k;

    if (v->bits != NULL) {
        /* a summary: the names of the bits that are set */
        for (k = iter->k; k < v->nseg; k++) {
            if (v->bits[k >> 3] & (1u << (k & 7))) {
                iter->k = k + 1;
                *name = v->serve->seg[k];
                *nlen = v->serve->seg_len[k];
                return 1;
            }
        }
        iter->k = v->nseg;
        return 0;
    }

    if (iter->k == 0) {
        iter->off = v->seg;
    }
    while (iter->k < v->nseg) {
        iter->k++;
        if (spoor_mp_read(v->blob, v->len, &iter->off, &it) != SPOOR_OK) {
            iter->k = v->nseg;
            return 0;
        }
        if (it.type == SPOOR_MP_STR && it.len > 0) {
            *name = it.s;
            *nlen = it.len;
            return 1;
        }
        if (it.type == SPOOR_MP_ARRAY || it.type == SPOOR_MP_MAP) {
            iter->k = v->nseg;                /* not a name list */
            return 0;
        }
    }
    return 0;
}


/* The trait named name among ntr traits of `items` msgpack items each,
 * from blob[off]: 1 with its value, else 0. */
static int
trait_find(const unsigned char *blob, size_t len, size_t off, uint32_t ntr,
    uint32_t items, const char *name, size_t nlen,
    const unsigned char **value, size_t *vlen)
{
    spoor_mp_item_t  k, val;
    uint32_t         i, j;
    size_t           n;

    for (i = 0; i < ntr; i++) {
        if (spoor_mp_read(blob, len, &off, &k) != SPOOR_OK
            || spoor_mp_read(blob, len, &off, &val) != SPOOR_OK)
        {
            return 0;
        }
        if (key_is_ci(&k, name, nlen)) {
            if (val.type != SPOOR_MP_BIN || val.len == 0
                || spoor_mp_check((const unsigned char *) val.s, val.len,
                                  VIEW_DEPTH, &n) != SPOOR_OK
                || n != val.len)
            {
                return 0;                     /* unset (nil) or damaged */
            }
            *value = (const unsigned char *) val.s;
            *vlen = val.len;
            return 1;
        }
        if (val.type == SPOOR_MP_ARRAY || val.type == SPOOR_MP_MAP) {
            return 0;
        }
        /* time, source, once (state.tr) */
        for (j = 2; j < items; j++) {
            if (skip(blob, len, &off) != SPOOR_OK) {
                return 0;
            }
        }
    }
    return 0;
}


int
spoor_profile_view_trait(const spoor_profile_view_t *v, const char *name,
    size_t nlen, const unsigned char **value, size_t *vlen)
{
    spoor_mp_item_t       it;
    const unsigned char  *blob;
    size_t                len, off, n;

    if (v->ntr == 0) {
        return 0;
    }
    if (v->blob != NULL) {
        return trait_find(v->blob, v->len, v->tr, v->ntr, TRAIT_ITEMS, name,
                          nlen, value, vlen);
    }

    /* a summary: the record is [name, value, ...], checked whole */
    blob = spoor_snap_profile(v->snap, v->profile, &len);
    off = 0;
    if (blob == NULL
        || spoor_mp_check(blob, len, VIEW_DEPTH, &n) != SPOOR_OK || n != len
        || spoor_mp_read(blob, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_ARRAY || it.len % SERVE_ITEMS != 0)
    {
        return 0;
    }
    return trait_find(blob, len, off, it.len / SERVE_ITEMS, SERVE_ITEMS,
                      name, nlen, value, vlen);
}


/* Copies s[0 .. len) to out, control bytes as spaces, cut at a UTF-8
 * boundary to fit cap. */
static size_t
put_text(const char *s, size_t len, char *out, size_t cap)
{
    size_t         i;
    unsigned char  c;

    if (len > cap) {
        len = cap;
        /* do not end inside a UTF-8 sequence */
        while (len > 0 && ((unsigned char) s[len] & 0xc0) == 0x80) {
            len--;
        }
    }
    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];
        out[i] = (char) (c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return len;
}


size_t
spoor_profile_view_text(const unsigned char *value, size_t vlen, char *out,
    size_t cap)
{
    spoor_mp_item_t  it;
    size_t           off = 0;
    char             num[32];
    int              n;

    if (spoor_mp_read(value, vlen, &off, &it) != SPOOR_OK) {
        return 0;
    }
    switch (it.type) {
    case SPOOR_MP_STR:
        return put_text(it.s, it.len, out, cap);
    case SPOOR_MP_UINT:
        n = snprintf(num, sizeof(num), "%llu", (unsigned long long) it.u);
        break;
    case SPOOR_MP_INT:
        n = snprintf(num, sizeof(num), "%lld", (long long) it.i);
        break;
    case SPOOR_MP_FLOAT:
        n = snprintf(num, sizeof(num), "%.15g", it.f);
        if (strtod(num, NULL) != it.f) {
            n = snprintf(num, sizeof(num), "%.17g", it.f);
        }
        break;
    case SPOOR_MP_BOOL:
        n = snprintf(num, sizeof(num), "%s", it.b ? "true" : "false");
        break;
    default:
        return 0;
    }
    if (n <= 0 || (size_t) n > cap) {
        return 0;
    }
    memcpy(out, num, (size_t) n);
    return (size_t) n;
}


/* A meta "segs" or "life" value: an array of at most max names, each a
 * str of 1 .. 255 bytes, into name[], len[]; returns how many or -1. */
static long
serve_names(const unsigned char *meta, size_t mlen, size_t *off,
    uint32_t max, const char **name, uint8_t *len)
{
    spoor_mp_item_t  it, e;
    uint32_t         i;

    if (spoor_mp_read(meta, mlen, off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_ARRAY || it.len > max)
    {
        return -1;
    }
    for (i = 0; i < it.len; i++) {
        if (spoor_mp_read(meta, mlen, off, &e) != SPOOR_OK
            || e.type != SPOOR_MP_STR || e.len == 0 || e.len > 255)
        {
            return -1;
        }
        name[i] = e.s;
        len[i] = (uint8_t) e.len;
    }
    return (long) it.len;
}


int
spoor_profile_serve_meta(const unsigned char *meta, size_t len, size_t sum,
    spoor_profile_serve_t *sv, uint64_t *version)
{
    spoor_mp_item_t  it, k, val;
    size_t           off = 0;
    uint32_t         i, n;
    long             c;
    int              segs = 0, life = 0;

    *version = 0;
    memset(sv, 0, sizeof(*sv));
    if (meta == NULL || spoor_mp_read(meta, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_MAP)
    {
        return SPOOR_E_FORMAT;
    }
    n = it.len;
    for (i = 0; i < n; i++) {
        if (spoor_mp_read(meta, len, &off, &k) != SPOOR_OK
            || k.type == SPOOR_MP_ARRAY || k.type == SPOOR_MP_MAP)
        {
            goto bad;
        }
        if (key_is(&k, "serve", 5)) {
            if (spoor_mp_read(meta, len, &off, &val) != SPOOR_OK
                || val.type != SPOOR_MP_UINT)
            {
                goto bad;
            }
            *version = val.u;
            continue;
        }
        if (key_is(&k, "segs", 4)) {
            c = serve_names(meta, len, &off, SPOOR_SERVE_SEGS_MAX, sv->seg,
                            sv->seg_len);
            if (c < 0) {
                goto bad;
            }
            sv->nseg = (uint32_t) c;
            segs = 1;
            continue;
        }
        if (key_is(&k, "key", 3)) {
            /* a keyed file's key id (serve_key.h) */
            if (spoor_mp_read(meta, len, &off, &val) != SPOOR_OK
                || val.type != SPOOR_MP_STR
                || val.len != SPOOR_SERVE_KEY_ID_LEN)
            {
                goto bad;
            }
            sv->key_id = val.s;
            continue;
        }
        if (key_is(&k, "life", 4)) {
            c = serve_names(meta, len, &off, SPOOR_SERVE_LIFE_MAX, sv->life,
                            sv->life_len);
            if (c < 0) {
                goto bad;
            }
            sv->nlife = (uint32_t) c;
            life = 1;
            continue;
        }
        if (skip(meta, len, &off) != SPOOR_OK) {
            goto bad;
        }
    }

    /* a version this reader knows, with its names, and the summary size
     * that holds that many segment bits */
    if (*version != SPOOR_SERVE_VERSION || !segs || !life
        || sum != (sv->nseg <= 64 ? SPOOR_SERVE_SUM_SMALL
                                  : SPOOR_SERVE_SUM_LARGE))
    {
        goto bad;
    }
    sv->sum = sum;
    return SPOOR_OK;

bad:
    memset(sv, 0, sizeof(*sv));
    return SPOOR_E_FORMAT;
}


int
spoor_profile_serve_same(const spoor_profile_serve_t *a,
    const spoor_profile_serve_t *b)
{
    uint32_t  i;

    if (a->sum != b->sum || a->nseg != b->nseg || a->nlife != b->nlife
        || (a->key_id == NULL) != (b->key_id == NULL)
        || (a->key_id != NULL
            && memcmp(a->key_id, b->key_id, SPOOR_SERVE_KEY_ID_LEN) != 0))
    {
        return 0;
    }
    for (i = 0; i < a->nseg; i++) {
        if (a->seg_len[i] != b->seg_len[i]
            || memcmp(a->seg[i], b->seg[i], a->seg_len[i]) != 0)
        {
            return 0;
        }
    }
    for (i = 0; i < a->nlife; i++) {
        if (a->life_len[i] != b->life_len[i]
            || memcmp(a->life[i], b->life[i], a->life_len[i]) != 0)
        {
            return 0;
        }
    }
    return 1;
}
