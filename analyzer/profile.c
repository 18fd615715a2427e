/*
 * profile.c -- folding events into a profile, merging profiles, and their
 * serialized form (profile.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mp_member.h"
#include "error.h"
#include "profile.h"
#include "rules.h"
#include "useragent.h"
#include <xxhash.h>

/* Decayed sums are kept relative to this instant (2020-01-01T00:00:00Z). */
#define PROFILE_EPOCH_MS  1577836800000LL

#define DAY_MS            86400000LL


_Static_assert(sizeof(profile_t) <= 192,
               "profile_t outgrew its 192-byte size class (profile.h)");


profile_t *
profile_new(void)
{
    profile_t  *p = calloc(1, sizeof(*p));

    if (p) {
        p->first_seen = INT64_MAX;
        p->last_seen = INT64_MIN;
        p->last_order = INT64_MIN;
        p->ctx = &profile_no_context;
        p->ctx_time = INT64_MIN;
        p->dirty = PROFILE_CHANGED;
        p->next_change = INT64_MIN;
    }
    return p;
}


const profile_context_t  profile_no_context;


void
profile_free(profile_t *p)
{
    size_t  i;

    if (p == NULL) {
        return;
    }
    for (i = 0; i < p->ntraits; i++) {
        free(p->traits[i].value);
    }
    free(p->sessions);
    free(p->cart_times);
    free(p->order_times);
    free(p->names);
    free(p->weights);
    free(p->revenue);
    free(p->buckets);
    free(p->traits);
    free(p->links);
    free(p->drops);
    free(p);
}


void
profile_prefetch_free(const profile_t *p)
{
    const void  *a[] = { p->sessions, p->cart_times, p->order_times,
                         p->names, p->weights, p->revenue, p->buckets,
                         p->traits, p->links, p->drops };
    size_t       i;

    /* free() writes each block's first word (mimalloc links it into
     * its page's free list) */
    for (i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        if (a[i] != NULL) {
            __builtin_prefetch(a[i], 1);
        }
    }
}


/* ---- small helpers ---------------------------------------------------- */

/*
 * Makes room for entry n of a growable array of `size`-byte entries that
 * holds n (n < max, checked by the caller), one entry at a time: its
 * block is made n + 1 entries long.  Returns SPOOR_OK or SPOOR_E_NOMEM.
 *
 * One at a time, not doubling, and so without a capacity to keep: a
 * profile's lists hold a few to a hundred entries, and what doubling left
 * unused was 9 % of the analyzer's peak memory at 10M events (496 -> 453
 * MB), while growing a small block by one entry costs no measurable time
 * (bench/analyzer_tried.md).  After entries were pruned, dropped or
 * merged the block may hold more than n entries; the next add gives the
 * rest back.
 */
static int
room(void *arrp, size_t n, size_t size)
{
    void  **a = arrp;
    void   *na;

    na = realloc(*a, (n + 1) * size);
    if (na == NULL) {
        return SPOOR_E_NOMEM;
    }
    *a = na;
    return SPOOR_OK;
}


/* *c + n, saturating: a count never wraps. */
static void
count_add(uint32_t *c, uint64_t n)
{
    *c = n >= (uint64_t) UINT32_MAX - *c ? UINT32_MAX : (uint32_t) (*c + n);
}


int
profile_count_dropped(profile_t *p, unsigned kind, uint64_t n)
{
    if (n == 0) {
        return SPOOR_OK;
    }
    if (p->drops == NULL) {
        p->drops = calloc(PROFILE_NDROPS, sizeof(uint32_t));
        if (p->drops == NULL) {
            return SPOOR_E_NOMEM;
        }
    }
    count_add(&p->drops[kind], n);
    return SPOOR_OK;
}

static int
str_is(const spoor_str_t *s, const char *lit)
{
    size_t  n = strlen(lit);

    return s->data && s->len == n && memcmp(s->data, lit, n) == 0;
}


static int
number(int found, const spoor_mp_item_t *it, double *out)
{
    if (!found) {
        return 0;
    }
    switch (it->type) {
    case SPOOR_MP_UINT:
        *out = (double) it->u;
        return 1;
    case SPOOR_MP_INT:
        *out = (double) it->i;
        return 1;
    case SPOOR_MP_FLOAT:
        if (!isfinite(it->f)) {
            return 0;
        }
        *out = it->f;
        return 1;
    default:
        return 0;
    }
}


static int
string(int found, const spoor_mp_item_t *it, spoor_str_t *out)
{
    if (!found || it->type != SPOOR_MP_STR) {
        return 0;
    }
    out->data = it->s;
    out->len = it->len;
    return 1;
}


double
profile_decayed(const profile_t *p, const intern_t *strings,
    const char *name, int64_t now_ms, int64_t half_life_ms)
{
    uint32_t  id = intern_find(strings, name, strlen(name));

    return id ? profile_decayed_id(p, id, now_ms, half_life_ms) : 0;
}


double
profile_decayed_id(const profile_t *p, uint32_t name, int64_t now_ms,
    int64_t half_life_ms)
{
    double  s = 0;
    size_t  i;

    for (i = 0; i < p->nweights; i++) {
        const profile_weight_t  *w = &p->weights[i];

        if (w->name == name) {
            s += (double) w->w
                 * exp2(-(double) (now_ms - (int64_t) w->day * DAY_MS
                                   - DAY_MS / 2) / (double) half_life_ms);
        }
    }
    return s;
}


void
profile_prune_weights(profile_t *p, int32_t min_day)
{
    size_t  i, j;

    /* writes only what it drops: a merge's child prunes the memory it
     * shares with its parent (merge.c), and a write copies the page */
    for (i = j = 0; i < p->nweights; i++) {
        if (p->weights[i].day >= min_day) {
            if (i != j) {
                p->weights[j] = p->weights[i];
            }
            j++;
        }
    }
    if (j != p->nweights) {
        p->nweights = j;
    }
}


/* ---- behavioural --------------------------------------------------------- */

/*
 * Adds time t to the session intervals: sessions are the maximal runs of
 * times no more than gap apart, so an interval absorbs t (and then
 * possibly its neighbour) when t is within gap of it.  Kept sorted by
 * start; when more than PROFILE_SESSIONS_MAX, the oldest is dropped and
 * counted.
 */
static int
add_span(profile_t *p, int64_t start, int64_t end, int64_t gap)
{
    size_t  i, j;

    for (i = 0; i < p->nsessions; i++) {
        profile_span_t  *s = &p->sessions[i];

        if (start <= s->end + gap && end >= s->start - gap) {
            if (start < s->start) s->start = start;
            if (end > s->end) s->end = end;
            /* absorb the neighbours it now reaches */
            j = i + 1;
            while (j < p->nsessions && p->sessions[j].start <= s->end + gap) {
                if (p->sessions[j].end > s->end) s->end = p->sessions[j].end;
                memmove(&p->sessions[j], &p->sessions[j + 1],
                        (p->nsessions - j - 1) * sizeof(profile_span_t));
                p->nsessions--;
            }
            while (i > 0 && p->sessions[i - 1].end + gap >= s->start) {
                profile_span_t  *q = &p->sessions[i - 1];

                if (s->end > q->end) q->end = s->end;
                if (s->start < q->start) q->start = s->start;
                memmove(&p->sessions[i], &p->sessions[i + 1],
                        (p->nsessions - i - 1) * sizeof(profile_span_t));
                p->nsessions--;
                i--;
                s = q;
            }
            return SPOOR_OK;
        }
    }

    /* a new session, in start order */
    for (i = 0; i < p->nsessions && p->sessions[i].start < start; i++) {
        /* void */
    }
    if (p->nsessions == PROFILE_SESSIONS_MAX) {
        if (profile_count_dropped(p, PROFILE_DROP_SESSIONS, 1) != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
        if (i == 0) {
            return SPOOR_OK;            /* older than every kept one */
        }
        memmove(&p->sessions[0], &p->sessions[1],
                (PROFILE_SESSIONS_MAX - 1) * sizeof(profile_span_t));
        p->nsessions--;
        i--;
    } else if (room(&p->sessions, p->nsessions, sizeof(profile_span_t))
               != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    memmove(&p->sessions[i + 1], &p->sessions[i],
            (p->nsessions - i) * sizeof(profile_span_t));
    p->sessions[i].start = start;
    p->sessions[i].end = end;
    p->nsessions++;
    return SPOOR_OK;
}


/* Keeps the PROFILE_TIMES_MAX most recent distinct times, sorted. */
static int
add_time(profile_t *p, int64_t **ap, uint8_t *n, unsigned dropped, int64_t t)
{
    size_t    i;
    int64_t  *a = *ap;

    for (i = 0; i < *n && a[i] < t; i++) {
        /* void */
    }
    if (i < *n && a[i] == t) {
        return SPOOR_OK;
    }
    if (*n == PROFILE_TIMES_MAX) {
        if (profile_count_dropped(p, dropped, 1) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        if (i == 0) {
            return SPOOR_OK;
        }
        memmove(&a[0], &a[1], (PROFILE_TIMES_MAX - 1) * sizeof(int64_t));
        (*n)--;
        i--;
    } else {
        if (room(ap, *n, sizeof(int64_t))
            != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
        a = *ap;
    }
    memmove(&a[i + 1], &a[i], (*n - i) * sizeof(int64_t));
    a[i] = t;
    (*n)++;
    return SPOOR_OK;
}


/* The order of the name whose intern id is `id` against name[0 .. len):
 * by bytes, then the shorter first, as memcmp orders equal lengths. */
static int
cmp_name(const intern_t *strs, uint32_t id, const char *name, size_t len)
{
    const char  *s = intern_str(strs, id);
    size_t       k = strlen(s);
    int          c = memcmp(s, name, k < len ? k : len);

    return c != 0 ? c : (k > len) - (k < len);
}


/* Adds n to the count of name; a new name beyond the cap is counted in
 * the names dropped.  Kept sorted by name. */
static int
add_name(profile_t *p, intern_t *strs, const char *name, size_t len,
    uint64_t n)
{
    size_t    i;
    int       c;
    uint32_t  id;

    if (len > PROFILE_STR_MAX) {
        len = PROFILE_STR_MAX;
    }
    for (i = 0; i < p->nnames; i++) {
        c = cmp_name(strs, p->names[i].name, name, len);
        if (c == 0) {
            count_add(&p->names[i].count, n);
            return SPOOR_OK;
        }
        if (c > 0) {
            break;
        }
    }
    if (p->nnames == PROFILE_NAMES_MAX) {
        return profile_count_dropped(p, PROFILE_DROP_NAMES, n);
    }
    id = intern_id(strs, name, len);
    if (id == 0
        || room(&p->names, p->nnames, sizeof(profile_count_t)) != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    memmove(&p->names[i + 1], &p->names[i],
            (p->nnames - i) * sizeof(profile_count_t));
    p->names[i].name = id;
    p->names[i].count = n > UINT32_MAX ? UINT32_MAX : (uint32_t) n;
    p->nnames++;
    return SPOOR_OK;
}


/* Adds w to (name, day); when full, the oldest day is dropped (counted),
 * or the new weight when it is the oldest. */
static int
add_weight(profile_t *p, intern_t *strs, const char *name, size_t len,
    int32_t day,
    uint32_t w)
{
    size_t             i, k, old;
    int                c;
    profile_weight_t  *e;
    uint32_t           id;

    if (len > PROFILE_STR_MAX) {
        len = PROFILE_STR_MAX;
    }
    for (i = 0; i < p->nweights; i++) {
        e = &p->weights[i];
        c = cmp_name(strs, e->name, name, len);
        if (c == 0) {
            if (e->day == day) {
                e->w += w;
                return SPOOR_OK;
            }
            c = e->day > day ? 1 : -1;
        }
        if (c > 0) {
            break;
        }
    }
    id = intern_id(strs, name, len);   /* before anything is dropped */
    if (id == 0) {
        return SPOOR_E_NOMEM;
    }
    if (p->nweights == PROFILE_WEIGHTS_MAX) {
        old = 0;
        for (k = 1; k < p->nweights; k++) {
            if (p->weights[k].day < p->weights[old].day) {
                old = k;
            }
        }
        if (profile_count_dropped(p, PROFILE_DROP_WEIGHTS, 1) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        if (p->weights[old].day >= day) {
            return SPOOR_OK;
        }
        memmove(&p->weights[old], &p->weights[old + 1],
                (p->nweights - old - 1) * sizeof(profile_weight_t));
        p->nweights--;
        if (old < i) {
            i--;
        }
    } else if (room(&p->weights, p->nweights, sizeof(profile_weight_t))
               != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    memmove(&p->weights[i + 1], &p->weights[i],
            (p->nweights - i) * sizeof(profile_weight_t));
    e = &p->weights[i];
    e->name = id;
    e->day = day;
    e->w = w;
    p->nweights++;
    return SPOOR_OK;
}


/*
 * A currency code as a profile keeps it: 1 to 3 bytes, none of them NUL.
 * Codes are C strings (compared with strcmp, written with strlen), so a
 * NUL would cut one short: "\0" would be written as "", which
 * profile_unpack refuses -- and the whole profile with it.
 */
static int
code_ok(const char *code, size_t len)
{
    return len >= 1 && len <= 3 && memchr(code, '\0', len) == NULL;
}


static void
add_money(profile_t *p, const char *code, size_t len, int64_t amount)
{
    size_t  i;
    char    c[4] = { 0, 0, 0, 0 };

    if (!code_ok(code, len)) {
        code = "???";
        len = 3;
    }
    memcpy(c, code, len);

    for (i = 0; i < p->ncurrencies; i++) {
        if (strcmp(p->revenue[i].code, c) == 0) {
            p->revenue[i].micros += amount;
            p->revenue_micros += (uint64_t) amount;
            return;
        }
    }
    if (p->ncurrencies == PROFILE_CURRENCIES_MAX) {
        i = PROFILE_CURRENCIES_MAX - 1;         /* folded into the last */
        p->revenue[i].micros += amount;
        p->revenue_micros += (uint64_t) amount;
        return;
    }
    if (room(&p->revenue, p->ncurrencies, sizeof(profile_money_t)) != SPOOR_OK)
    {
        return;                         /* out of memory: not counted */
    }
    p->revenue_micros += (uint64_t) amount;
    /* sorted by code */
    for (i = 0; i < p->ncurrencies && strcmp(p->revenue[i].code, c) < 0; i++) {
        /* void */
    }
    memmove(&p->revenue[i + 1], &p->revenue[i],
            (p->ncurrencies - i) * sizeof(profile_money_t));
    memcpy(p->revenue[i].code, c, 4);
    p->revenue[i].micros = amount;
    p->ncurrencies++;
}


static int
add_bucket(profile_t *p, uint32_t agg, int32_t day, int64_t v)
{
    size_t             i;
    profile_bucket_t  *b;

    for (i = 0; i < p->nbuckets; i++) {
        b = &p->buckets[i];
        if (b->agg == agg && b->day == day) {
            b->value += v;
            return SPOOR_OK;
        }
        if (b->agg > agg || (b->agg == agg && b->day > day)) {
            break;
        }
    }
    if (p->nbuckets == PROFILE_BUCKETS_MAX) {
        return SPOOR_OK;
    }
    if (room(&p->buckets, p->nbuckets, sizeof(profile_bucket_t)) != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    memmove(&p->buckets[i + 1], &p->buckets[i],
            (p->nbuckets - i) * sizeof(profile_bucket_t));
    p->buckets[i].agg = agg;
    p->buckets[i].day = day;
    p->buckets[i].value = v;
    p->nbuckets++;
    return SPOOR_OK;
}


/* ---- core: traits --------------------------------------------------------- */

/* Whether (time, value) beats the trait's current (time, value). */
static int
fresher(const profile_trait_t *t, int64_t time, const unsigned char *v,
    size_t vlen)
{
    int  c;

    if (time != t->time) {
        return time > t->time;
    }
    /* the same instant: the larger bytes win, in any order of arrival */
    if (t->value == NULL || v == NULL) {
        return v == NULL && t->value != NULL;   /* unset wins a tie */
    }
    c = memcmp(t->value, v, t->value_len < vlen ? t->value_len : vlen);
    return c < 0 || (c == 0 && vlen > t->value_len);
}


/*
 * Sets trait name to value (NULL: unset) at time from source; `once`
 * values only fill a trait that has no value yet, and among themselves
 * the earliest wins.
 */
static int
set_trait(profile_t *p, intern_t *strs, const char *name, size_t len,
    const unsigned char *value, size_t vlen, int64_t time, unsigned source,
    unsigned once)
{
    size_t            i, k;
    int               c;
    unsigned char    *v = NULL;
    profile_trait_t  *t;
    const char       *iname;

    if (len == 0 || len > PROFILE_STR_MAX || vlen > UINT32_MAX) {
        return SPOOR_OK;
    }

    for (i = 0; i < p->ntraits; i++) {
        k = strlen(p->traits[i].name);
        c = memcmp(p->traits[i].name, name, k < len ? k : len);
        if (c == 0 && k == len) {
            break;
        }
        if (c > 0 || (c == 0 && k > len)) {
            break;
        }
    }

    t = i < p->ntraits ? &p->traits[i] : NULL;
    if (t && (strlen(t->name) != len || memcmp(t->name, name, len) != 0)) {
        t = NULL;
    }

    if (t) {
        if (once) {
            /* set-once: only where there is no regular value; among
             * set-once values, the earliest */
            if (!t->once && t->value) {
                return SPOOR_OK;
            }
            if (t->once && t->value && !(time < t->time
                                         || (time == t->time
                                             && !fresher(t, time, value,
                                                         vlen))))
            {
                return SPOOR_OK;
            }
        } else if (!t->once && !fresher(t, time, value, vlen)) {
            return SPOOR_OK;
        }

        if (value) {
            v = malloc(vlen);
            if (v == NULL) {
                return SPOOR_E_NOMEM;
            }
            memcpy(v, value, vlen);
        }
        free(t->value);
        t->value = v;
        t->value_len = value ? (uint32_t) vlen : 0;
        t->time = time;
        t->source = source;
        t->once = once;
        return SPOOR_OK;
    }

    if (p->ntraits == PROFILE_TRAITS_MAX) {
        return profile_count_dropped(p, PROFILE_DROP_TRAITS, 1);
    }
    if (vlen > UINT32_MAX) {
        return SPOOR_OK;
    }
    iname = intern_get(strs, name, len);
    if (iname == NULL
        || room(&p->traits, p->ntraits, sizeof(profile_trait_t)) != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    if (value) {
        v = malloc(vlen);
        if (v == NULL) {
            return SPOOR_E_NOMEM;
        }
        memcpy(v, value, vlen);
    }
    memmove(&p->traits[i + 1], &p->traits[i],
            (p->ntraits - i) * sizeof(profile_trait_t));
    t = &p->traits[i];
    t->name = iname;
    t->value = v;
    t->value_len = value ? (uint32_t) vlen : 0;
    t->time = time;
    t->source = source;
    t->once = once;
    p->ntraits++;
    return SPOOR_OK;
}


/*
 * Folds the traits map m[0 .. len) (one checked msgpack value) at time t:
 * each string key sets its trait to the value's bytes; "$set_once" (a map)
 * fills traits without a value, "$unset" (an array of names) unsets.
 */
static int
fold_traits(profile_t *p, intern_t *strs, const unsigned char *m,
    size_t len, int64_t t,
    unsigned once)
{
    spoor_mp_item_t  it, k, n;
    size_t           off = 0, at, voff, noff;
    uint32_t         i, j;
    int              rc;

    if (spoor_mp_read(m, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_MAP)
    {
        return SPOOR_OK;
    }
    for (i = 0; i < it.len; i++) {
        at = off;
        if (spoor_mp_read(m, len, &off, &k) != SPOOR_OK) {
            return SPOOR_OK;
        }
        if (k.type != SPOOR_MP_STR) {
            off = at;
            if (spoor_mp_skip(m, len, &off) != SPOOR_OK
                || spoor_mp_skip(m, len, &off) != SPOOR_OK)
            {
                return SPOOR_OK;
            }
            continue;
        }
        voff = off;
        if (spoor_mp_skip(m, len, &off) != SPOOR_OK) {
            return SPOOR_OK;
        }
        if (!once && SPOOR_MP_IS(&k, "$set_once")) {
            rc = fold_traits(p, strs, m + voff, off - voff, t, 1);
        } else if (!once && SPOOR_MP_IS(&k, "$unset")) {
            noff = voff;
            rc = SPOOR_OK;
            if (spoor_mp_read(m, off, &noff, &n) != SPOOR_OK
                || n.type != SPOOR_MP_ARRAY)
            {
                continue;
            }
            for (j = n.len; j > 0 && rc == SPOOR_OK; j--) {
                spoor_mp_item_t  e;

                at = noff;
                if (spoor_mp_read(m, off, &noff, &e) != SPOOR_OK) {
                    break;
                }
                if (e.type == SPOOR_MP_STR) {
                    rc = set_trait(p, strs, e.s, e.len, NULL, 0, t, 0, 0);
                } else if (e.type == SPOOR_MP_ARRAY
                           || e.type == SPOOR_MP_MAP)
                {
                    noff = at;
                    if (spoor_mp_skip(m, off, &noff) != SPOOR_OK) {
                        break;
                    }
                }
            }
        } else {
            rc = set_trait(p, strs, k.s, k.len, m + voff, off - voff, t, 0,
                           once);
        }
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    return SPOOR_OK;
}


/* Traits handed in as an object (not read from a record): packed first. */
static int
fold_object_traits(profile_t *p, intern_t *strs, const spoor_value_t *v,
    int64_t t)
{
    spoor_buf_t           b;
    const unsigned char  *m;
    size_t                len;
    int                   rc;

    spoor_buf_init(&b, malloc(SPOOR_RECORD_MAX), SPOOR_RECORD_MAX);
    if (b.data == NULL) {
        return SPOOR_E_NOMEM;
    }
    rc = spoor_value_bytes(v, &b, &m, &len);
    if (rc == SPOOR_OK && m) {
        rc = fold_traits(p, strs, m, len, t, 0);
    } else if (rc != SPOOR_OK) {
        rc = SPOOR_OK;          /* too large to be a record's: ignored */
    }
    free(b.data);
    return rc;
}


int
profile_import_trait(profile_t *p, intern_t *strs, const char *name,
    size_t len,
    const unsigned char *value, size_t value_len, int64_t time)
{
    return set_trait(p, strs, name, len, value, value_len, time, 1, 0);
}


/* ---- contextual ------------------------------------------------------------ */

static const char *
device_of(const spoor_str_t *ua)
{
    const char  *s = ua->data;
    size_t       i, n = ua->len;

    if (s == NULL) {
        return NULL;
    }
    for (i = 0; i + 4 <= n; i++) {
        if (memcmp(s + i, "iPad", 4) == 0
            || (i + 6 <= n && memcmp(s + i, "Tablet", 6) == 0))
        {
            return "tablet";
        }
    }
    for (i = 0; i + 4 <= n; i++) {
        if (memcmp(s + i, "Mobi", 4) == 0
            || (i + 7 <= n && memcmp(s + i, "Android", 7) == 0))
        {
            return "mobile";
        }
    }
    return "desktop";
}


/*
 * The interned copy of s for context field f of a profile whose current
 * value is cur: a visitor's context mostly repeats itself, so the current
 * value is reused when equal, without a lookup.
 */
static void
set_field(intern_t *strs, const char **f, const char *cur,
    const spoor_str_t *s)
{
    size_t  n;

    if (s->data == NULL) {
        return;
    }
    n = s->len > PROFILE_STR_MAX ? PROFILE_STR_MAX : s->len;
    if (cur && strnlen(cur, n + 1) == n && memcmp(cur, s->data, n) == 0) {
        *f = cur;
        return;
    }
    {
        const char  *d = intern_get(strs, s->data, s->len);

        if (d) {
            *f = d;
        }
    }
}


/*
 * The browser family and device of a User-Agent, remembered for the last
 * agents seen (a direct-mapped cache keyed by the agent's hash, each entry
 * checked against the agent's bytes): a log holds few distinct agents,
 * and finding the family scans the agent for a dozen tokens.  One cache
 * per thread: ingest's reading thread classifies agents for the counts
 * while the fold classifies them for the context (ingest.c).
 */
#define UA_CACHE  256
#define UA_KEEP   256          /* agents longer than this are not kept */

static _Thread_local struct {
    uint64_t      h;
    uint16_t      len;         /* 0: empty entry */
    char          ua[UA_KEEP];
    const char   *family, *device;
} ua_cache[UA_CACHE];

static _Thread_local size_t  ua_last;    /* the entry looked up last */


void
profile_ua_classify(const spoor_str_t *ua, const char **family,
    const char **device)
{
    uint64_t  h;
    size_t    e;

    if (ua->len == 0 || ua->len > UA_KEEP) {
        *family = spoor_browser_family(ua->data, ua->len);
        *device = device_of(ua);
        return;
    }
    /* the entry used last first, without hashing: on one thread, ingest
     * classifies an event's agent for its counts, then the fold for its
     * context (with two, each thread's cache has its own last entry) */
    e = ua_last;
    if (ua_cache[e].len == ua->len
        && memcmp(ua_cache[e].ua, ua->data, ua->len) == 0)
    {
        *family = ua_cache[e].family;
        *device = ua_cache[e].device;
        return;
    }
    h = XXH3_64bits(ua->data, ua->len);
    e = h & (UA_CACHE - 1);
    ua_last = e;
    if (ua_cache[e].len == ua->len && ua_cache[e].h == h
        && memcmp(ua_cache[e].ua, ua->data, ua->len) == 0)
    {
        *family = ua_cache[e].family;
        *device = ua_cache[e].device;
        return;
    }
    *family = spoor_browser_family(ua->data, ua->len);
    *device = device_of(ua);
    ua_cache[e].h = h;
    ua_cache[e].len = (uint16_t) ua->len;
    memcpy(ua_cache[e].ua, ua->data, ua->len);
    ua_cache[e].family = *family;
    ua_cache[e].device = *device;
}


static int
cmp_field(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return (a != NULL) - (b != NULL);
    }
    return strcmp(a, b);
}


/* A total order of contexts (a with referrer ra at time ta, b with rb
 * at tb): time, then every field, the referrer before the campaign; so
 * which of two contexts of the same instant wins does not depend on
 * arrival order. */
static int
cmp_ctx(const profile_context_t *a, const char *ra, int64_t ta,
    const profile_context_t *b, const char *rb, int64_t tb)
{
    int  c;

    if (ta != tb) {
        return ta < tb ? -1 : 1;
    }
#define F(f)  if ((c = cmp_field(a->f, b->f)) != 0) return c
    if (a != b) {                       /* one tuple: equal strings */
        F(country); F(region); F(city); F(browser); F(device);
        F(language); F(timezone);
    }
    if ((c = cmp_field(ra, rb)) != 0) {
        return c;
    }
    if (a != b) {
        F(campaign_source); F(campaign_medium); F(campaign_name);
    }
#undef F
    return 0;
}


/* The event's context replaces the profile's when it is newer. */
static void
fold_context(profile_t *p, intern_t *strs, const spoor_event_t *ev,
    int64_t t)
{
    profile_context_t         c;
    const char               *referrer;
    const profile_context_t  *tuple;
    spoor_str_t               browser, device;
    const char               *fam, *dev;

    if (t < p->ctx_time) {
        return;
    }

    memset(&c, 0, sizeof(c));
    referrer = NULL;

#define SET(f, s)  set_field(strs, &c.f, p->ctx->f, s)
    if (ev->has_geo) {
        SET(country, &ev->geo.country);
        SET(region, &ev->geo.region);
        SET(city, &ev->geo.city);
    }
    if (ev->user_agent.data) {
        profile_ua_classify(&ev->user_agent, &fam, &dev);
        browser.data = fam;
        browser.len = strlen(fam);
        SET(browser, &browser);
        device.data = dev;
        device.len = strlen(dev);
        SET(device, &device);
    }
    SET(language, &ev->language);
    SET(timezone, ev->timezone.data ? &ev->timezone : &ev->geo.timezone);
    SET(campaign_source, &ev->campaign.source);
    SET(campaign_medium, &ev->campaign.medium);
    SET(campaign_name, &ev->campaign.name);
#undef SET
    set_field(strs, &referrer, p->referrer, &ev->referrer);

    if (cmp_ctx(&c, referrer, t, p->ctx, p->referrer, p->ctx_time) <= 0) {
        return;
    }
    if (memcmp(&c, p->ctx, sizeof(c)) == 0) {
        tuple = p->ctx;                 /* the same strings */
    } else {
        tuple = intern_bytes(strs, &c, sizeof(c));
        if (tuple == NULL) {
            return;                     /* as a string that cannot be kept */
        }
    }
    p->ctx = tuple;
    p->referrer = referrer;
    p->ctx_time = t;
}


/* ---- the fold ------------------------------------------------------------------ */

#define MEMBER(v, lit, it)  spoor_value_member(v, lit, sizeof(lit) - 1, it)


int
profile_fold(profile_t *p, const spoor_event_t *ev, const profile_conf_t *conf,
    spoor_str_t *category)
{
    int64_t                t, micros = 0;
    double                 revenue = 0;
    uint32_t               w;
    int32_t                day;
    int                    has_revenue = 0, rc;
    size_t                 i;
    spoor_str_t            cur, cat;
    spoor_mp_item_t        it;
    const spoor_value_t   *props = &ev->properties;

    t = ev->has_time ? ev->time_ms : ev->received_ms;

    count_add(&p->events, 1);
    if (t < p->first_seen) p->first_seen = t;
    if (t > p->last_seen) p->last_seen = t;
    if (add_span(p, t, t, conf->session_gap_ms) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }

    w = 1;
    day = (int32_t) (t / DAY_MS - (t % DAY_MS < 0));
    if (ev->kind == SPOOR_KIND_PAGE || ev->kind == SPOOR_KIND_SCREEN) {
        count_add(&p->page_views, 1);
    }

    if (ev->kind == SPOOR_KIND_TRACK && ev->name.data) {
        rc = add_name(p, conf->strings, ev->name.data, ev->name.len, 1);
        if (rc != SPOOR_OK) {
            return rc;
        }
        if (str_is(&ev->name, "Order Completed")) {
            count_add(&p->orders, 1);
            if (t > p->last_order) p->last_order = t;
            if (add_time(p, &p->order_times, &p->norders,
                         PROFILE_DROP_ORDERS, t) != SPOOR_OK)
            {
                return SPOOR_E_NOMEM;
            }
            if ((number(MEMBER(props, "revenue", &it), &it, &revenue)
                 || number(MEMBER(props, "total", &it), &it, &revenue))
                && revenue > -1e12 && revenue < 1e12)
            {
                has_revenue = 1;
                micros = llround(revenue * 1e6);
                if (!string(MEMBER(props, "currency", &it), &it, &cur)) {
                    cur.data = "???";
                    cur.len = 3;
                }
                add_money(p, cur.data, cur.len, micros);
            }
            w = 5;
        } else if (str_is(&ev->name, "Product Added")) {
            count_add(&p->cart_adds, 1);
            if (add_time(p, &p->cart_times, &p->ncarts,
                         PROFILE_DROP_CARTS, t) != SPOOR_OK)
            {
                return SPOOR_E_NOMEM;
            }
            w = 3;
        }
    }

    if (!string(MEMBER(props, "category", &it), &it, &cat)) {
        cat.data = NULL;
        cat.len = 0;
    } else if (cat.data == NULL) {
        cat.data = "";                  /* present, empty */
    }
    if (cat.len) {
        rc = add_weight(p, conf->strings, cat.data, cat.len, day, w);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    if (category) {
        *category = cat;
    }
    rc = add_weight(p, conf->strings, "", 0, day, w);
    if (rc != SPOOR_OK) {
        return rc;
    }

    if (ev->kind == SPOOR_KIND_IDENTIFY && ev->traits.raw) {
        rc = fold_traits(p, conf->strings, ev->traits.raw,
                         ev->traits.raw_len, t, 0);
        if (rc != SPOOR_OK) {
            return rc;
        }
    } else if (ev->kind == SPOOR_KIND_IDENTIFY && ev->traits.obj) {
        rc = fold_object_traits(p, conf->strings, &ev->traits, t);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }

    fold_context(p, conf->strings, ev, t);

    /* the windowed aggregates the rules need, by day */
    for (i = 0; conf->rules && i < conf->naggs; i++) {
        const spoor_rule_agg_t  *a = spoor_rules_agg(conf->rules, i);
        int64_t                  v;

        if (a->event && !(ev->kind == SPOOR_KIND_TRACK && ev->name.data
                          && ev->name.len == a->event_len
                          && memcmp(ev->name.data, a->event, a->event_len)
                             == 0))
        {
            continue;
        }
        if (a->kind == SPOOR_AGG_COUNT) {
            v = 1;
        } else if (has_revenue) {
            v = micros;
        } else {
            continue;
        }
        rc = add_bucket(p, conf->agg_keys[i], day, v);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }

    return SPOOR_OK;
}


/* ---- links ---------------------------------------------------------------- */

static int
link_before(const profile_link_t *x, int64_t t, uint64_t a, uint64_t b)
{
    if (x->time != t) return x->time < t;
    if (x->a != a) return x->a < a;
    return x->b < b;
}


void
profile_link(profile_t *p, uint64_t a, uint64_t b, int64_t t)
{
    size_t    i;
    uint64_t  x;

    if (a == b) {
        return;
    }
    if (a > b) {
        x = a; a = b; b = x;
    }
    for (i = 0; i < p->nlinks; i++) {
        if (p->links[i].a == a && p->links[i].b == b) {
            if (t >= p->links[i].time) {
                return;                 /* the first time is kept */
            }
            memmove(&p->links[i], &p->links[i + 1],
                    (p->nlinks - i - 1) * sizeof(profile_link_t));
            p->nlinks--;
            break;
        }
    }
    for (i = 0; i < p->nlinks && link_before(&p->links[i], t, a, b); i++) {
        /* void */
    }
    if (p->nlinks == PROFILE_LINKS_MAX) {
        if (profile_count_dropped(p, PROFILE_DROP_LINKS, 1) != SPOOR_OK) {
            return;                     /* out of memory: not recorded */
        }
        if (i == PROFILE_LINKS_MAX) {
            return;                     /* later than every kept link */
        }
        p->nlinks--;                    /* the latest goes */
    } else if (room(&p->links, p->nlinks, sizeof(profile_link_t)) != SPOOR_OK)
    {
        return;                         /* out of memory: not recorded */
    }
    memmove(&p->links[i + 1], &p->links[i],
            (p->nlinks - i) * sizeof(profile_link_t));
    p->links[i].time = t;
    p->links[i].a = a;
    p->links[i].b = b;
    p->nlinks++;
}


/* ---- merging ------------------------------------------------------------------- */

int
profile_merge(profile_t *dst, const profile_t *src, const profile_conf_t *conf)
{
    size_t  i;
    int     rc;

    count_add(&dst->events, src->events);
    count_add(&dst->page_views, src->page_views);
    count_add(&dst->orders, src->orders);
    count_add(&dst->cart_adds, src->cart_adds);
    if (src->first_seen < dst->first_seen) dst->first_seen = src->first_seen;
    if (src->last_seen > dst->last_seen) dst->last_seen = src->last_seen;
    if (src->last_order > dst->last_order) dst->last_order = src->last_order;

    if (profile_count_dropped(dst, PROFILE_DROP_SESSIONS,
                              profile_dropped(src, PROFILE_DROP_SESSIONS))
        != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < src->nsessions; i++) {
        if (add_span(dst, src->sessions[i].start, src->sessions[i].end,
                     conf->session_gap_ms) != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    if (profile_count_dropped(dst, PROFILE_DROP_CARTS,
                              profile_dropped(src, PROFILE_DROP_CARTS))
        != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < src->ncarts; i++) {
        if (add_time(dst, &dst->cart_times, &dst->ncarts,
                     PROFILE_DROP_CARTS, src->cart_times[i]) != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    if (profile_count_dropped(dst, PROFILE_DROP_ORDERS,
                              profile_dropped(src, PROFILE_DROP_ORDERS))
        != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < src->norders; i++) {
        if (add_time(dst, &dst->order_times, &dst->norders,
                     PROFILE_DROP_ORDERS, src->order_times[i])
            != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    if (profile_count_dropped(dst, PROFILE_DROP_NAMES,
                              profile_dropped(src, PROFILE_DROP_NAMES))
        != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < src->nnames; i++) {
        const char  *name = intern_str(conf->strings, src->names[i].name);

        rc = add_name(dst, conf->strings, name, strlen(name),
                      src->names[i].count);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    if (profile_count_dropped(dst, PROFILE_DROP_WEIGHTS,
                              profile_dropped(src, PROFILE_DROP_WEIGHTS))
        != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < src->nweights; i++) {
        const char  *name = intern_str(conf->strings, src->weights[i].name);

        rc = add_weight(dst, conf->strings, name, strlen(name),
                        src->weights[i].day, src->weights[i].w);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    for (i = 0; i < src->ncurrencies; i++) {
        add_money(dst, src->revenue[i].code, strlen(src->revenue[i].code),
                  src->revenue[i].micros);
    }
    for (i = 0; i < src->nbuckets; i++) {
        rc = add_bucket(dst, src->buckets[i].agg, src->buckets[i].day,
                        src->buckets[i].value);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }

    if (profile_count_dropped(dst, PROFILE_DROP_TRAITS,
                              profile_dropped(src, PROFILE_DROP_TRAITS))
        != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < src->ntraits; i++) {
        const profile_trait_t  *t = &src->traits[i];

        rc = set_trait(dst, conf->strings, t->name, strlen(t->name),
                       t->value, t->value_len,
                       t->time, t->source, t->once);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }

    if (cmp_ctx(src->ctx, src->referrer, src->ctx_time, dst->ctx,
                dst->referrer, dst->ctx_time) > 0)
    {
        dst->ctx = src->ctx;            /* interned: shared as it is */
        dst->referrer = src->referrer;
        dst->ctx_time = src->ctx_time;
    }

    if (profile_count_dropped(dst, PROFILE_DROP_LINKS,
                              profile_dropped(src, PROFILE_DROP_LINKS))
        != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < src->nlinks; i++) {
        profile_link(dst, src->links[i].a, src->links[i].b,
                     src->links[i].time);
    }

    dst->merges += src->merges + 1;
    return SPOOR_OK;
}


/* ---- read side ------------------------------------------------------------------ */

uint64_t
profile_abandoned(const profile_t *p, int64_t now_ms, int64_t abandon_ms)
{
    uint64_t  n = 0;
    size_t    i, j;

    for (i = 0; i < p->ncarts; i++) {
        int64_t  c = p->cart_times[i];
        int      ordered = 0;

        if (now_ms - c < abandon_ms) {
            continue;                   /* the window is still open */
        }
        for (j = 0; j < p->norders; j++) {
            if (p->order_times[j] >= c && p->order_times[j] - c <= abandon_ms) {
                ordered = 1;
                break;
            }
        }
        n += !ordered;
    }
    return n;
}


double
profile_revenue(const profile_t *p)
{
    return (double) (int64_t) p->revenue_micros / 1e6;
}


uint32_t
profile_agg_key(unsigned kind, const char *event, size_t len,
    int64_t window_ms)
{
    XXH64_hash_t  h;
    unsigned char head[9];
    int           k;

    head[0] = (unsigned char) kind;
    for (k = 0; k < 8; k++) {
        head[1 + k] = (unsigned char) ((uint64_t) window_ms >> (8 * k));
    }
    h = XXH64(head, sizeof(head), 0);
    if (event) {
        h = XXH64(event, len, h + 1);
    }
    return (uint32_t) (h ^ (h >> 32));
}


void
profile_prune(profile_t *p, const uint32_t *keys, size_t n, int32_t min_day)
{
    size_t  i, j, k;

    for (i = j = 0; i < p->nbuckets; i++) {
        for (k = 0; k < n && keys[k] != p->buckets[i].agg; k++) {
            /* void */
        }
        if (k < n && p->buckets[i].day >= min_day) {
            if (i != j) {                   /* as profile_prune_weights */
                p->buckets[j] = p->buckets[i];
            }
            j++;
        }
    }
    if (j != p->nbuckets) {
        p->nbuckets = j;
    }
}


double
profile_window(const profile_t *p, uint32_t agg, int64_t now_ms,
    int64_t window_ms)
{
    int64_t  s = 0;
    size_t   i;
    int32_t  last = (int32_t) (now_ms / DAY_MS);
    int32_t  first = (int32_t) ((now_ms - window_ms) / DAY_MS) + 1;

    for (i = 0; i < p->nbuckets; i++) {
        const profile_bucket_t  *b = &p->buckets[i];

        if (b->agg == agg && b->day >= first && b->day <= last) {
            s += b->value;
        }
    }
    return s;
}


/* ---- serialized form ------------------------------------------------------------- */

#define PK_KEY(pk, k)  (msgpack_pack_str((pk), sizeof(k) - 1) != 0 \
                        || msgpack_pack_str_body((pk), (k), sizeof(k) - 1) != 0)

static int
pk_str(msgpack_packer *pk, const char *s)
{
    size_t  n;

    if (s == NULL) {
        return msgpack_pack_nil(pk);
    }
    n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}


int
profile_pack(const profile_t *p, const intern_t *strings, msgpack_packer *pk)
{
    size_t                     i;
    const profile_context_t   *c = p->ctx;
    int                        e = 0;

    e |= msgpack_pack_map(pk, 13);

    e |= PK_KEY(pk, "n");
    e |= msgpack_pack_array(pk, 9);
    e |= msgpack_pack_int64(pk, p->first_seen);
    e |= msgpack_pack_int64(pk, p->last_seen);
    e |= msgpack_pack_uint64(pk, p->events);
    e |= msgpack_pack_uint64(pk, p->page_views);
    e |= msgpack_pack_uint64(pk, p->orders);
    e |= msgpack_pack_uint64(pk, p->cart_adds);
    e |= msgpack_pack_int64(pk, p->last_order);
    e |= msgpack_pack_uint32(pk, p->nids);
    e |= msgpack_pack_uint32(pk, p->merges);

    e |= PK_KEY(pk, "ses");
    e |= msgpack_pack_array(pk, 1 + 2 * p->nsessions);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_SESSIONS));
    for (i = 0; i < p->nsessions; i++) {
        e |= msgpack_pack_int64(pk, p->sessions[i].start);
        e |= msgpack_pack_int64(pk, p->sessions[i].end);
    }

    e |= PK_KEY(pk, "cart");
    e |= msgpack_pack_array(pk, 1 + p->ncarts);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_CARTS));
    for (i = 0; i < p->ncarts; i++) {
        e |= msgpack_pack_int64(pk, p->cart_times[i]);
    }

    e |= PK_KEY(pk, "ord");
    e |= msgpack_pack_array(pk, 1 + p->norders);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_ORDERS));
    for (i = 0; i < p->norders; i++) {
        e |= msgpack_pack_int64(pk, p->order_times[i]);
    }

    e |= PK_KEY(pk, "ev");
    e |= msgpack_pack_array(pk, 1 + 2 * p->nnames);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_NAMES));
    for (i = 0; i < p->nnames; i++) {
        e |= pk_str(pk, intern_str(strings, p->names[i].name));
        e |= msgpack_pack_uint64(pk, p->names[i].count);
    }

    e |= PK_KEY(pk, "int");
    e |= msgpack_pack_array(pk, 1 + 3 * p->nweights);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_WEIGHTS));
    for (i = 0; i < p->nweights; i++) {
        e |= pk_str(pk, intern_str(strings, p->weights[i].name));
        e |= msgpack_pack_int32(pk, p->weights[i].day);
        e |= msgpack_pack_uint32(pk, p->weights[i].w);
    }

    e |= PK_KEY(pk, "eng");
    e |= msgpack_pack_nil(pk);

    e |= PK_KEY(pk, "rev");
    e |= msgpack_pack_array(pk, 2 * p->ncurrencies);
    for (i = 0; i < p->ncurrencies; i++) {
        e |= pk_str(pk, p->revenue[i].code);
        e |= msgpack_pack_int64(pk, p->revenue[i].micros);
    }

    e |= PK_KEY(pk, "bk");
    e |= msgpack_pack_array(pk, 3 * p->nbuckets);
    for (i = 0; i < p->nbuckets; i++) {
        e |= msgpack_pack_uint32(pk, p->buckets[i].agg);
        e |= msgpack_pack_int32(pk, p->buckets[i].day);
        e |= msgpack_pack_int64(pk, p->buckets[i].value);
    }

    e |= PK_KEY(pk, "tr");
    e |= msgpack_pack_array(pk, 1 + 5 * p->ntraits);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_TRAITS));
    for (i = 0; i < p->ntraits; i++) {
        const profile_trait_t  *t = &p->traits[i];

        e |= pk_str(pk, t->name);
        if (t->value) {
            e |= msgpack_pack_bin(pk, t->value_len);
            e |= msgpack_pack_bin_body(pk, t->value, t->value_len);
        } else {
            e |= msgpack_pack_nil(pk);
        }
        e |= msgpack_pack_int64(pk, t->time);
        e |= msgpack_pack_uint32(pk, t->source);
        e |= msgpack_pack_uint32(pk, t->once);
    }

    e |= PK_KEY(pk, "ctx");
    e |= msgpack_pack_array(pk, 12);
    e |= msgpack_pack_int64(pk, p->ctx_time);
    e |= pk_str(pk, c->country);
    e |= pk_str(pk, c->region);
    e |= pk_str(pk, c->city);
    e |= pk_str(pk, c->browser);
    e |= pk_str(pk, c->device);
    e |= pk_str(pk, c->language);
    e |= pk_str(pk, c->timezone);
    e |= pk_str(pk, p->referrer);
    e |= pk_str(pk, c->campaign_source);
    e |= pk_str(pk, c->campaign_medium);
    e |= pk_str(pk, c->campaign_name);

    e |= PK_KEY(pk, "v");
    e |= msgpack_pack_uint32(pk, 1);
    e |= PK_KEY(pk, "lk");
    e |= msgpack_pack_array(pk, 1 + 3 * p->nlinks);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_LINKS));
    for (i = 0; i < p->nlinks; i++) {
        e |= msgpack_pack_int64(pk, p->links[i].time);
        e |= msgpack_pack_uint64(pk, p->links[i].a);
        e |= msgpack_pack_uint64(pk, p->links[i].b);
    }

    return e ? SPOOR_E_NOMEM : SPOOR_OK;
}


/* ---- reading it back ---------------------------------------------------------------- */

static int
get_i64(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > INT64_MAX) {
            return 0;
        }
        *v = (int64_t) o->via.u64;
        return 1;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return 1;
    }
    return 0;
}


static int
get_u64(const msgpack_object *o, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        return 0;
    }
    *v = o->via.u64;
    return 1;
}


/* A dropped-entry count: saturating at UINT32_MAX, as when counted. */
static int
get_count(const msgpack_object *o, uint32_t *v)
{
    uint64_t  u;

    if (!get_u64(o, &u)) {
        return 0;
    }
    *v = u > UINT32_MAX ? UINT32_MAX : (uint32_t) u;
    return 1;
}

/* A count of dropped entries of list `kind`, read into p.  Like
 * get_count, a larger count reads as UINT32_MAX. */
static int
get_dropped(profile_t *p, unsigned kind, const msgpack_object *o)
{
    uint32_t  v;

    return get_count(o, &v) && profile_count_dropped(p, kind, v) == SPOOR_OK;
}


/* A string, as its intern id. */
static int
get_id(intern_t *strs, const msgpack_object *o, uint32_t *out)
{
    if (o->type != MSGPACK_OBJECT_STR) {
        return 0;
    }
    *out = intern_id(strs, o->via.str.ptr, o->via.str.size);
    return *out != 0;
}


/* A string (interned) or nil (*out NULL). */
static int
get_str(intern_t *strs, const msgpack_object *o, const char **out)
{
    *out = NULL;
    if (o->type == MSGPACK_OBJECT_NIL) {
        return 1;
    }
    if (o->type != MSGPACK_OBJECT_STR) {
        return 0;
    }
    *out = intern_get(strs, o->via.str.ptr, o->via.str.size);
    return *out != NULL;
}


/* Allocates exactly n entries for an array being read back. */
static int
exact(void *arrp, size_t n, size_t size)
{
    void  **a = arrp;

    if (n == 0) {
        return 1;
    }
    *a = malloc(n * size);
    if (*a == NULL) {
        return 0;
    }
    return 1;
}


static const msgpack_object *
arr(const msgpack_object *m, const char *key, uint32_t min, uint32_t step,
    uint32_t max_items)
{
    const msgpack_object  *a = spoor_mp_member(m, key);

    if (a == NULL || a->type != MSGPACK_OBJECT_ARRAY
        || a->via.array.size < min
        || (a->via.array.size - min) % step != 0
        || (a->via.array.size - min) / step > max_items)
    {
        return NULL;
    }
    return a;
}


int
profile_unpack(const msgpack_object *o, intern_t *strs, profile_t **out)
{
    profile_t              *p;
    const msgpack_object   *a, *x;
    uint64_t                u, u2;
    uint32_t                i, n;
    int64_t                 t, t2;
    const char             *s;
    profile_context_t       ctx;

    *out = NULL;
    p = profile_new();
    if (p == NULL) {
        return SPOOR_E_NOMEM;
    }

#define BAD  do { profile_free(p); return SPOOR_E_FORMAT; } while (0)

    a = arr(o, "n", 9, 1, 0);
    if (a == NULL) BAD;
    x = a->via.array.ptr;
    if (!get_i64(&x[0], &p->first_seen) || !get_i64(&x[1], &p->last_seen)
        || !get_count(&x[2], &p->events) || !get_count(&x[3], &p->page_views)
        || !get_count(&x[4], &p->orders) || !get_count(&x[5], &p->cart_adds)
        || !get_i64(&x[6], &p->last_order) || !get_u64(&x[7], &u)
        || !get_u64(&x[8], &u2) || u > UINT32_MAX || u2 > UINT32_MAX)
    {
        BAD;
    }
    p->nids = (uint32_t) u;
    p->merges = (uint32_t) u2;

    a = arr(o, "ses", 1, 2, PROFILE_SESSIONS_MAX);
    if (a == NULL || !get_dropped(p, PROFILE_DROP_SESSIONS, &a->via.array.ptr[0])) BAD;
    n = (a->via.array.size - 1) / 2;
    if (!exact(&p->sessions, n, sizeof(profile_span_t))) BAD;
    for (i = 0; i < n; i++) {
        if (!get_i64(&a->via.array.ptr[1 + 2 * i], &p->sessions[i].start)
            || !get_i64(&a->via.array.ptr[2 + 2 * i], &p->sessions[i].end))
        {
            BAD;
        }
    }
    p->nsessions = n;

    a = arr(o, "cart", 1, 1, PROFILE_TIMES_MAX);
    if (a == NULL || !get_dropped(p, PROFILE_DROP_CARTS, &a->via.array.ptr[0])) BAD;
    if (!exact(&p->cart_times, a->via.array.size - 1,
               sizeof(int64_t)))
    {
        BAD;
    }
    for (i = 1; i < a->via.array.size; i++) {
        if (!get_i64(&a->via.array.ptr[i], &p->cart_times[i - 1])) BAD;
    }
    p->ncarts = a->via.array.size - 1;

    a = arr(o, "ord", 1, 1, PROFILE_TIMES_MAX);
    if (a == NULL || !get_dropped(p, PROFILE_DROP_ORDERS, &a->via.array.ptr[0]))
    {
        BAD;
    }
    if (!exact(&p->order_times, a->via.array.size - 1,
               sizeof(int64_t)))
    {
        BAD;
    }
    for (i = 1; i < a->via.array.size; i++) {
        if (!get_i64(&a->via.array.ptr[i], &p->order_times[i - 1])) BAD;
    }
    p->norders = a->via.array.size - 1;

    a = arr(o, "ev", 1, 2, PROFILE_NAMES_MAX);
    if (a == NULL || !get_dropped(p, PROFILE_DROP_NAMES, &a->via.array.ptr[0])) BAD;
    n = (a->via.array.size - 1) / 2;
    if (!exact(&p->names, n, sizeof(profile_count_t))) BAD;
    for (i = 0; i < n; i++) {
        if (!get_id(strs, &a->via.array.ptr[1 + 2 * i], &p->names[i].name)) {
            BAD;
        }
        p->nnames = i + 1;
        if (!get_count(&a->via.array.ptr[2 + 2 * i], &p->names[i].count)) {
            BAD;
        }
    }

    a = arr(o, "int", 1, 3, PROFILE_WEIGHTS_MAX);
    if (a == NULL || !get_dropped(p, PROFILE_DROP_WEIGHTS, &a->via.array.ptr[0])) BAD;
    n = (a->via.array.size - 1) / 3;
    if (!exact(&p->weights, n, sizeof(profile_weight_t))) BAD;
    for (i = 0; i < n; i++) {
        const msgpack_object  *f = &a->via.array.ptr[1 + 3 * i];

        if (!get_id(strs, &f[0], &p->weights[i].name)) {
            BAD;
        }
        p->nweights = i + 1;
        if (!get_i64(&f[1], &t) || t < INT32_MIN || t > INT32_MAX
            || !get_u64(&f[2], &u) || u > UINT32_MAX)
        {
            BAD;
        }
        p->weights[i].day = (int32_t) t;
        p->weights[i].w = (uint32_t) u;
    }

    a = arr(o, "rev", 0, 2, PROFILE_CURRENCIES_MAX);
    if (a == NULL) BAD;
    n = a->via.array.size / 2;
    if (!exact(&p->revenue, n, sizeof(profile_money_t))) {
        BAD;
    }
    for (i = 0; i < n; i++) {
        x = &a->via.array.ptr[2 * i];
        if (x->type != MSGPACK_OBJECT_STR
            || !code_ok(x->via.str.ptr, x->via.str.size)
            || !get_i64(&a->via.array.ptr[2 * i + 1], &t))
        {
            BAD;
        }
        memset(p->revenue[i].code, 0, 4);
        memcpy(p->revenue[i].code, x->via.str.ptr, x->via.str.size);
        p->revenue[i].micros = t;
        p->revenue_micros += (uint64_t) t;
    }
    p->ncurrencies = n;

    a = arr(o, "bk", 0, 3, PROFILE_BUCKETS_MAX);
    if (a == NULL) BAD;
    n = a->via.array.size / 3;
    if (!exact(&p->buckets, n, sizeof(profile_bucket_t))) {
        BAD;
    }
    for (i = 0; i < n; i++) {
        if (!get_u64(&a->via.array.ptr[3 * i], &u) || u > UINT32_MAX
            || !get_i64(&a->via.array.ptr[3 * i + 1], &t)
            || t < INT32_MIN || t > INT32_MAX
            || !get_i64(&a->via.array.ptr[3 * i + 2], &t2))
        {
            BAD;
        }
        p->buckets[i].agg = (uint32_t) u;
        p->buckets[i].day = (int32_t) t;
        p->buckets[i].value = t2;
        p->nbuckets = i + 1;
    }

    a = arr(o, "tr", 1, 5, PROFILE_TRAITS_MAX);
    if (a == NULL || !get_dropped(p, PROFILE_DROP_TRAITS, &a->via.array.ptr[0])) BAD;
    n = (a->via.array.size - 1) / 5;
    if (!exact(&p->traits, n, sizeof(profile_trait_t))) BAD;
    for (i = 0; i < n; i++) {
        profile_trait_t        *tr = &p->traits[i];
        const msgpack_object   *f = &a->via.array.ptr[1 + 5 * i];

        if (!get_str(strs, &f[0], &s) || s == NULL) {
            BAD;
        }
        tr->name = s;
        tr->value = NULL;
        tr->value_len = 0;
        p->ntraits = i + 1;
        if (f[1].type == MSGPACK_OBJECT_BIN) {
            tr->value = malloc(f[1].via.bin.size ? f[1].via.bin.size : 1);
            if (tr->value == NULL) BAD;
            memcpy(tr->value, f[1].via.bin.ptr, f[1].via.bin.size);
            tr->value_len = f[1].via.bin.size;
        } else if (f[1].type != MSGPACK_OBJECT_NIL) {
            BAD;
        }
        if (!get_i64(&f[2], &tr->time) || !get_u64(&f[3], &u) || u > 1
            || !get_u64(&f[4], &u2) || u2 > 1)
        {
            BAD;
        }
        tr->source = (unsigned) u;
        tr->once = (unsigned) u2;
    }

    a = arr(o, "lk", 1, 3, PROFILE_LINKS_MAX);
    if (a == NULL || !get_dropped(p, PROFILE_DROP_LINKS, &a->via.array.ptr[0])) BAD;
    n = (a->via.array.size - 1) / 3;
    if (!exact(&p->links, n, sizeof(profile_link_t))) BAD;
    for (i = 0; i < n; i++) {
        const msgpack_object  *f = &a->via.array.ptr[1 + 3 * i];

        if (!get_i64(&f[0], &p->links[i].time)
            || !get_u64(&f[1], &p->links[i].a)
            || !get_u64(&f[2], &p->links[i].b))
        {
            BAD;
        }
    }
    p->nlinks = n;

    a = arr(o, "ctx", 12, 1, 0);
    if (a == NULL || !get_i64(&a->via.array.ptr[0], &p->ctx_time)) BAD;
    x = a->via.array.ptr;
    memset(&ctx, 0, sizeof(ctx));
    if (!get_str(strs, &x[1], &ctx.country)
        || !get_str(strs, &x[2], &ctx.region)
        || !get_str(strs, &x[3], &ctx.city)
        || !get_str(strs, &x[4], &ctx.browser)
        || !get_str(strs, &x[5], &ctx.device)
        || !get_str(strs, &x[6], &ctx.language)
        || !get_str(strs, &x[7], &ctx.timezone)
        || !get_str(strs, &x[8], &p->referrer)
        || !get_str(strs, &x[9], &ctx.campaign_source)
        || !get_str(strs, &x[10], &ctx.campaign_medium)
        || !get_str(strs, &x[11], &ctx.campaign_name)
        || (p->ctx = intern_bytes(strs, &ctx, sizeof(ctx))) == NULL)
    {
        BAD;
    }
#undef BAD

    *out = p;
    return SPOOR_OK;
}
