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


_Static_assert(sizeof(profile_t) <= 96,
               "profile_t outgrew its 96-byte size class (profile.h)");
_Static_assert(offsetof(profile_t, events) <= 64,
               "what a commit reads of a profile left its first line");


profile_t *
profile_new(void)
{
    profile_t  *p = calloc(1, sizeof(*p));

    if (p) {
        p->first_seen = INT64_MAX;
        p->last_seen = INT64_MIN;
        p->last_order = INT64_MIN;
        p->ctx_time = INT64_MIN;
        p->dirty = PROFILE_CHANGED;
        p->next_change = INT64_MIN;
    }
    return p;
}


const profile_context_t  profile_no_context;


/* Frees what t's value holds; t is unset then. */
static void
trait_free_value(profile_trait_t *t)
{
    if (t->set && t->value_len > PROFILE_TRAIT_INLINE) {
        free(t->v.ptr);
    }
    memset(&t->v, 0, sizeof(t->v));
    t->set = 0;
    t->value_len = 0;
}


/* Sets t's value to value[0 .. vlen) (NULL: unset; vlen at most
 * PROFILE_TRAIT_VALUE_MAX; never t's own value: it is freed first),
 * freeing what it held; SPOOR_E_NOMEM with t as it was. */
static int
trait_set_value(profile_trait_t *t, const unsigned char *value, size_t vlen)
{
    unsigned char  *v = NULL;

    if (value != NULL && vlen > PROFILE_TRAIT_INLINE) {
        v = malloc(vlen);
        if (v == NULL) {
            return SPOOR_E_NOMEM;
        }
        memcpy(v, value, vlen);
    }
    trait_free_value(t);
    if (value != NULL) {
        if (v != NULL) {
            t->v.ptr = v;
        } else if (vlen > 0) {
            memcpy(t->v.in, value, vlen);
        }
        t->set = 1;
        t->value_len = (uint32_t) vlen;
    }
    return SPOOR_OK;
}


void
profile_drop_lists(profile_t *p)
{
    size_t  i;

    for (i = 0; i < p->ntraits; i++) {
        trait_free_value(&profile_traits(p)[i]);
    }
    free(p->lists);
    p->lists = NULL;
    p->nsessions = p->ncarts = p->norders = p->ncurrencies = 0;
    p->ntraits = p->nlinks = p->nnames = p->nweights = 0;
    p->nbuckets = 0;
    p->has_drops = 0;
}


void
profile_free(profile_t *p)
{
    if (p == NULL) {
        return;
    }
    profile_drop_lists(p);
    free(p);
}


void
profile_prefetch_free(const profile_t *p)
{
    /* free() writes each block's first word (mimalloc links it into
     * its page's free list) */
    if (p->lists != NULL) {
        __builtin_prefetch(p->lists, 1);
    }
}


/* ---- small helpers ---------------------------------------------------- */

/* The bytes of an entry of each list (PROFILE_L_*). */
static const size_t  entry_size[PROFILE_NLISTS] = {
    [PROFILE_L_SESSIONS] = sizeof(profile_span_t),
    [PROFILE_L_CARTS] = sizeof(int64_t),
    [PROFILE_L_ORDERS] = sizeof(int64_t),
    [PROFILE_L_REVENUE] = sizeof(profile_money_t),
    [PROFILE_L_BUCKETS] = sizeof(profile_bucket_t),
    [PROFILE_L_TRAITS] = sizeof(profile_trait_t),
    [PROFILE_L_LINKS] = sizeof(profile_link_t),
    [PROFILE_L_NAMES] = sizeof(profile_count_t),
    [PROFILE_L_WEIGHTS] = sizeof(profile_weight_t),
};

_Static_assert(sizeof(profile_span_t) % 8 == 0
               && sizeof(profile_money_t) % 8 == 0
               && sizeof(profile_bucket_t) % 8 == 0
               && sizeof(profile_trait_t) % 8 == 0
               && sizeof(profile_link_t) % 8 == 0
               && sizeof(profile_count_t) % 4 == 0
               && sizeof(profile_weight_t) % 4 == 0
               && _Alignof(profile_count_t) <= 4
               && _Alignof(profile_weight_t) <= 4,
               "a list would start misaligned in the block (profile.h)");


/* The address of the count of list k. */
static uint8_t *
count_u8(profile_t *p, unsigned k)
{
    switch (k) {
    case PROFILE_L_SESSIONS: return &p->nsessions;
    case PROFILE_L_CARTS:    return &p->ncarts;
    case PROFILE_L_ORDERS:   return &p->norders;
    case PROFILE_L_REVENUE:  return &p->ncurrencies;
    case PROFILE_L_TRAITS:   return &p->ntraits;
    case PROFILE_L_LINKS:    return &p->nlinks;
    case PROFILE_L_NAMES:    return &p->nnames;
    default:                 return &p->nweights;
    }
}


/* Sets the count of list k to n (at most its PROFILE_*_MAX). */
static void
set_count(profile_t *p, unsigned k, size_t n)
{
    if (k == PROFILE_L_BUCKETS) {
        p->nbuckets = (uint16_t) n;
    } else {
        *count_u8(p, k) = (uint8_t) n;
    }
}


static size_t
count_of(profile_t *p, unsigned k)
{
    return k == PROFILE_L_BUCKETS ? p->nbuckets : *count_u8(p, k);
}


/*
 * Makes room for a new entry i of list k (which holds n, n < its max,
 * checked by the caller; i <= n): the block grows by exactly one entry,
 * and entries i .. n - 1 and the lists after k move up one entry.
 * Returns the new entry, its bytes unset; NULL when out of memory (then
 * nothing changed).
 *
 * One entry at a time, not doubling, and so without a capacity to keep:
 * a profile's lists hold a few to a hundred entries, and what doubling
 * left unused was 9 % of the analyzer's peak memory at 10M events (496
 * -> 453 MB), while growing a small block by one entry costs no
 * measurable time (bench/analyzer_tried.md).
 */
static void *
list_insert(profile_t *p, unsigned k, size_t i)
{
    size_t          size = entry_size[k];
    size_t          at = profile_list_off(p, k) + i * size;
    size_t          end = profile_block_size(p);
    unsigned char  *b = realloc(p->lists, end + size);

    if (b == NULL) {
        return NULL;
    }
    memmove(b + at + size, b + at, end - at);
    p->lists = b;
    set_count(p, k, count_of(p, k) + 1);
    return b + at;
}


/* Removes entry i of list k: what follows it moves down one entry.  The
 * block keeps its length until the next list_insert gives the rest
 * back. */
static void
list_remove(profile_t *p, unsigned k, size_t i)
{
    size_t  size = entry_size[k];
    size_t  at = profile_list_off(p, k) + i * size;
    size_t  end = profile_block_size(p);

    memmove(p->lists + at, p->lists + at + size, end - at - size);
    set_count(p, k, count_of(p, k) - 1);
}


/* Keeps the first n entries of list k (n <= its count): the lists after
 * it move down.  Writes nothing when n is its count. */
static void
list_cut(profile_t *p, unsigned k, size_t n)
{
    size_t  cur = count_of(p, k), size = entry_size[k];
    size_t  from = profile_list_off(p, k) + cur * size;
    size_t  end = profile_block_size(p);

    if (n == cur) {
        return;
    }
    memmove(p->lists + from - (cur - n) * size, p->lists + from, end - from);
    set_count(p, k, n);
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
    size_t          end = profile_list_off(p, PROFILE_NLISTS);
    unsigned char  *b;
    uint32_t        c;

    if (n == 0) {
        return SPOOR_OK;
    }
    if (!p->has_drops) {
        b = realloc(p->lists, end + PROFILE_NDROPS * sizeof(uint32_t));
        if (b == NULL) {
            return SPOOR_E_NOMEM;
        }
        memset(b + end, 0, PROFILE_NDROPS * sizeof(uint32_t));
        p->lists = b;
        p->has_drops = 1;
    }
    c = profile_dropped(p, kind);
    count_add(&c, n);
    memcpy(p->lists + end + kind * sizeof(uint32_t), &c, sizeof(c));
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
        const profile_weight_t  *w = &profile_weights(p)[i];

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
    size_t             i, j;
    profile_weight_t  *w = profile_weights(p);

    /* writes only what it drops: a merge's child prunes the memory it
     * shares with its parent (merge.c), and a write copies the page */
    for (i = j = 0; i < p->nweights; i++) {
        if (w[i].day >= min_day) {
            if (i != j) {
                w[j] = w[i];
            }
            j++;
        }
    }
    list_cut(p, PROFILE_L_WEIGHTS, j);
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
    size_t           i, j;
    profile_span_t  *ss = profile_sessions(p), *s;

    for (i = 0; i < p->nsessions; i++) {
        s = &ss[i];
        if (start <= s->end + gap && end >= s->start - gap) {
            if (start < s->start) s->start = start;
            if (end > s->end) s->end = end;
            /* absorb the neighbours it now reaches (a removal moves
             * what follows, not the entries before it) */
            j = i + 1;
            while (j < p->nsessions && ss[j].start <= s->end + gap) {
                if (ss[j].end > s->end) s->end = ss[j].end;
                list_remove(p, PROFILE_L_SESSIONS, j);
            }
            while (i > 0 && ss[i - 1].end + gap >= s->start) {
                profile_span_t  *q = &ss[i - 1];

                if (s->end > q->end) q->end = s->end;
                if (s->start < q->start) q->start = s->start;
                list_remove(p, PROFILE_L_SESSIONS, i);
                i--;
                s = q;
            }
            return SPOOR_OK;
        }
    }

    /* a new session, in start order */
    for (i = 0; i < p->nsessions && ss[i].start < start; i++) {
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
        list_remove(p, PROFILE_L_SESSIONS, 0);
        i--;
    }
    s = list_insert(p, PROFILE_L_SESSIONS, i);
    if (s == NULL) {
        return SPOOR_E_NOMEM;
    }
    s->start = start;
    s->end = end;
    return SPOOR_OK;
}


/* Keeps the PROFILE_TIMES_MAX most recent distinct times, sorted. */
static int
add_time(profile_t *p, unsigned list, unsigned dropped, int64_t t)
{
    size_t    i, n = count_of(p, list);
    int64_t  *a = profile_list(p, list);

    for (i = 0; i < n && a[i] < t; i++) {
        /* void */
    }
    if (i < n && a[i] == t) {
        return SPOOR_OK;
    }
    if (n == PROFILE_TIMES_MAX) {
        if (profile_count_dropped(p, dropped, 1) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        if (i == 0) {
            return SPOOR_OK;
        }
        list_remove(p, list, 0);
        i--;
    }
    a = list_insert(p, list, i);
    if (a == NULL) {
        return SPOOR_E_NOMEM;
    }
    *a = t;
    return SPOOR_OK;
}


/* The length a count's or weight's name is kept at: at most
 * PROFILE_STR_MAX bytes, and up to a NUL, as a record writes it (a name
 * is a C string there), so that the same name is one entry whether it
 * was folded or read back. */
static size_t
name_len(const char *name, size_t len)
{
    return strnlen(name, len > PROFILE_STR_MAX ? PROFILE_STR_MAX : len);
}


/* The order of the string s against name[0 .. len): by bytes, then the
 * shorter first, as memcmp orders equal lengths. */
static int
cmp_str(const char *s, const char *name, size_t len)
{
    size_t  k = strlen(s);
    int     c = memcmp(s, name, k < len ? k : len);

    return c != 0 ? c : (k > len) - (k < len);
}


/* cmp_str of the name whose intern id is `id`. */
static int
cmp_name(const intern_t *strs, uint32_t id, const char *name, size_t len)
{
    return cmp_str(intern_str(strs, id), name, len);
}


/* Adds n to the count of name; a new name beyond the cap is counted in
 * the names dropped.  Kept sorted by name. */
static int
add_name(profile_t *p, intern_t *strs, const char *name, size_t len,
    uint64_t n)
{
    size_t            i;
    int               c;
    uint32_t          id;
    profile_count_t  *e = profile_names(p);

    len = name_len(name, len);
    for (i = 0; i < p->nnames; i++) {
        c = cmp_name(strs, e[i].name, name, len);
        if (c == 0) {
            count_add(&e[i].count, n);
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
    if (id == 0 || (e = list_insert(p, PROFILE_L_NAMES, i)) == NULL) {
        return SPOOR_E_NOMEM;
    }
    e->name = id;
    e->count = n > UINT32_MAX ? UINT32_MAX : (uint32_t) n;
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
    int                c, oldest;
    profile_weight_t  *e, *ws = profile_weights(p);
    uint32_t           id = 0;

    len = name_len(name, len);
    for (i = 0; i < p->nweights; i++) {
        e = &ws[i];
        c = cmp_name(strs, e->name, name, len);
        if (c == 0) {
            if (e->day == day) {
                count_add(&e->w, w);    /* a sum: stops, never wraps */
                return SPOOR_OK;
            }
            c = e->day > day ? 1 : -1;
        }
        if (c > 0) {
            break;
        }
    }
    old = 0;
    oldest = 0;
    if (p->nweights == PROFILE_WEIGHTS_MAX) {
        for (k = 1; k < p->nweights; k++) {
            if (ws[k].day < ws[old].day) {
                old = k;
            }
        }
        oldest = ws[old].day >= day;    /* the new one is the oldest */
    }
    if (!oldest) {
        id = intern_id(strs, name, len);   /* before anything is dropped */
        if (id == 0) {
            return SPOOR_E_NOMEM;
        }
    }
    if (p->nweights == PROFILE_WEIGHTS_MAX) {
        /* (the count may move the block: ws is not read after it) */
        if (profile_count_dropped(p, PROFILE_DROP_WEIGHTS, 1) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        if (oldest) {
            return SPOOR_OK;
        }
        list_remove(p, PROFILE_L_WEIGHTS, old);
        if (old < i) {
            i--;
        }
    }
    e = list_insert(p, PROFILE_L_WEIGHTS, i);
    if (e == NULL) {
        return SPOOR_E_NOMEM;
    }
    e->name = id;
    e->day = day;
    e->w = w;
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


/* s + v modulo 2^64, read as two's complement.  Money and windowed sums
 * go up and down (refunds), so they cannot saturate and stay the same
 * whatever order their terms come in; they wrap instead, defined, past
 * 2^63 - 1 micros (9.2 trillion in one currency), where a signed
 * overflow would be undefined. */
static inline int64_t
sum_wrap(int64_t s, int64_t v)
{
    return (int64_t) ((uint64_t) s + (uint64_t) v);
}


static void
add_money(profile_t *p, const char *code, size_t len, int64_t amount)
{
    size_t            i;
    char              c[4] = { 0, 0, 0, 0 };
    profile_money_t  *m = profile_currencies(p);
    int64_t           carry;

    if (!code_ok(code, len)) {
        code = "???";
        len = 3;
    }
    memcpy(c, code, len);

    for (i = 0; i < p->ncurrencies; i++) {
        if (strcmp(m[i].code, c) == 0) {
            m[i].micros = sum_wrap(m[i].micros, amount);
            return;
        }
    }
    if (p->ncurrencies == PROFILE_CURRENCIES_MAX) {
        /* full: the codes that sort first are kept, the last of them
         * also holding the amounts of every code after it, so which is
         * kept depends on the codes, not on their order */
        i = PROFILE_CURRENCIES_MAX - 1;
        if (strcmp(c, m[i].code) > 0) {
            m[i].micros = sum_wrap(m[i].micros, amount);
            return;
        }
        /* c comes before the last: the last leaves, and what it held
         * goes to the one that is last now */
        carry = m[i].micros;
        for ( ; i > 0 && strcmp(m[i - 1].code, c) > 0; i--) {
            m[i] = m[i - 1];
        }
        memcpy(m[i].code, c, 4);
        m[i].micros = amount;
        i = PROFILE_CURRENCIES_MAX - 1;
        m[i].micros = sum_wrap(m[i].micros, carry);
        return;
    }
    /* sorted by code */
    for (i = 0; i < p->ncurrencies && strcmp(m[i].code, c) < 0; i++) {
        /* void */
    }
    m = list_insert(p, PROFILE_L_REVENUE, i);
    if (m == NULL) {
        return;                         /* out of memory: not counted */
    }
    memcpy(m->code, c, 4);
    m->micros = amount;
}


static int
add_bucket(profile_t *p, uint32_t agg, int32_t day, int64_t v)
{
    size_t             i;
    profile_bucket_t  *b, *bs = profile_buckets(p);

    for (i = 0; i < p->nbuckets; i++) {
        b = &bs[i];
        if (b->agg == agg && b->day == day) {
            b->value = sum_wrap(b->value, v);
            return SPOOR_OK;
        }
        if (b->agg > agg || (b->agg == agg && b->day > day)) {
            break;
        }
    }
    if (p->nbuckets == PROFILE_BUCKETS_MAX) {
        return SPOOR_OK;
    }
    b = list_insert(p, PROFILE_L_BUCKETS, i);
    if (b == NULL) {
        return SPOOR_E_NOMEM;
    }
    b->agg = agg;
    b->day = day;
    b->value = v;
    return SPOOR_OK;
}


/* ---- core: traits --------------------------------------------------------- */

/* Whether (time, value) beats the trait's current (time, value). */
static int
fresher(const profile_trait_t *t, int64_t time, const unsigned char *v,
    size_t vlen)
{
    const unsigned char  *tv = profile_trait_value(t);
    int                   c;

    if (time != t->time) {
        return time > t->time;
    }
    /* the same instant: the larger bytes win, in any order of arrival */
    if (tv == NULL || v == NULL) {
        return v == NULL && tv != NULL;         /* unset wins a tie */
    }
    c = memcmp(tv, v, t->value_len < vlen ? t->value_len : vlen);
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
    size_t            i;
    int               c;
    profile_trait_t  *t, nt;
    uint32_t          id;

    /* the name up to a NUL, as a record holds it (name_len; a longer
     * name than a profile keeps is left out, not cut) */
    len = strnlen(name, len);
    if (len == 0 || len > PROFILE_STR_MAX || vlen > PROFILE_TRAIT_VALUE_MAX) {
        return SPOOR_OK;
    }

    t = profile_traits(p);
    for (i = 0, c = 1; i < p->ntraits; i++) {
        c = cmp_name(strs, t[i].name, name, len);
        if (c >= 0) {
            break;
        }
    }
    t = c == 0 ? &t[i] : NULL;              /* the trait, when it is there */

    if (t) {
        if (once) {
            /* set-once: only where there is no regular value; among
             * set-once values, the earliest */
            if (!t->once && t->set) {
                return SPOOR_OK;
            }
            if (t->once && t->set && !(time < t->time
                                         || (time == t->time
                                             && !fresher(t, time, value,
                                                         vlen))))
            {
                return SPOOR_OK;
            }
        } else if (!t->once && !fresher(t, time, value, vlen)) {
            return SPOOR_OK;
        }

        if (trait_set_value(t, value, vlen) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        t->time = time;
        t->source = source;
        t->once = once;
        return SPOOR_OK;
    }

    if (p->ntraits == PROFILE_TRAITS_MAX) {
        return profile_count_dropped(p, PROFILE_DROP_TRAITS, 1);
    }
    id = intern_id(strs, name, len);
    if (id == 0) {
        return SPOOR_E_NOMEM;
    }
    memset(&nt, 0, sizeof(nt));
    if (trait_set_value(&nt, value, vlen) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }
    t = list_insert(p, PROFILE_L_TRAITS, i);
    if (t == NULL) {
        trait_free_value(&nt);
        return SPOOR_E_NOMEM;
    }
    *t = nt;
    t->name = id;
    t->time = time;
    t->source = source;
    t->once = once;
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
    return set_trait(p, strs, name, len, value, value_len, profile_time(time),
                     1, 0);
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


/* Whether the kept string cur (NULL: none) is s as it would be kept (up
 * to a NUL, as a record holds it: name_len). */
static int
same_text(const char *cur, const spoor_str_t *s)
{
    size_t  n = name_len(s->data, s->len);

    return cur && strnlen(cur, n + 1) == n && memcmp(cur, s->data, n) == 0;
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
    const char  *d;

    if (s->data == NULL) {
        return;
    }
    if (same_text(cur, s)) {
        *f = cur;
        return;
    }
    d = intern_get(strs, s->data, name_len(s->data, s->len));
    if (d) {
        *f = d;
    }
}


/* The same for a field kept as an intern id: *id is the current value's
 * (cur its string, NULL for id 0) on entry, and s's id, or 0, after. */
static void
set_field_id(intern_t *strs, uint32_t *id, const char *cur,
    const spoor_str_t *s)
{
    if (s->data == NULL) {
        *id = 0;
    } else if (!same_text(cur, s)) {
        *id = intern_id(strs, s->data, name_len(s->data, s->len));
                                                    /* 0: cannot be kept */
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
    const profile_context_t  *cur = profile_ctx(p, strs);
    const char               *referrer, *cur_ref = profile_referrer(p, strs);
    uint32_t                  tuple, ref;
    spoor_str_t               browser, device;
    const char               *fam, *dev;

    if (t < p->ctx_time) {
        return;
    }

    memset(&c, 0, sizeof(c));
    referrer = NULL;

#define SET(f, s)  set_field(strs, &c.f, cur->f, s)
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
    ref = p->referrer;
    set_field_id(strs, &ref, cur_ref, &ev->referrer);
    referrer = ref ? intern_str(strs, ref) : NULL;

    if (cmp_ctx(&c, referrer, t, cur, cur_ref, p->ctx_time) <= 0) {
        return;
    }
    if (memcmp(&c, cur, sizeof(c)) == 0) {
        tuple = p->ctx;                 /* the same strings */
    } else if (memcmp(&c, &profile_no_context, sizeof(c)) == 0) {
        tuple = 0;
    } else {
        tuple = intern_tuple_id(strs, &c, sizeof(c));
        if (tuple == 0) {
            return;                     /* as a string that cannot be kept */
        }
    }
    p->ctx = tuple;
    p->referrer = ref;
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

    t = profile_event_time(ev);

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
            if (add_time(p, PROFILE_L_ORDERS, PROFILE_DROP_ORDERS, t)
                != SPOOR_OK)
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
            if (add_time(p, PROFILE_L_CARTS, PROFILE_DROP_CARTS, t)
                != SPOOR_OK)
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
    size_t           i;
    uint64_t         x;
    profile_link_t  *l = profile_links(p);

    if (a == b) {
        return;
    }
    if (a > b) {
        x = a; a = b; b = x;
    }
    for (i = 0; i < p->nlinks; i++) {
        if (l[i].a == a && l[i].b == b) {
            if (t >= l[i].time) {
                return;                 /* the first time is kept */
            }
            list_remove(p, PROFILE_L_LINKS, i);
            break;
        }
    }
    for (i = 0; i < p->nlinks && link_before(&l[i], t, a, b); i++) {
        /* void */
    }
    if (p->nlinks == PROFILE_LINKS_MAX) {
        if (profile_count_dropped(p, PROFILE_DROP_LINKS, 1) != SPOOR_OK) {
            return;                     /* out of memory: not recorded */
        }
        if (i == PROFILE_LINKS_MAX) {
            return;                     /* later than every kept link */
        }
        list_remove(p, PROFILE_L_LINKS, PROFILE_LINKS_MAX - 1);
    }                                   /* (the latest goes) */
    l = list_insert(p, PROFILE_L_LINKS, i);
    if (l == NULL) {
        return;                         /* out of memory: not recorded */
    }
    l->time = t;
    l->a = a;
    l->b = b;
}


/* ---- merging ------------------------------------------------------------------- */

int
profile_merge(profile_t *dst, const profile_t *src, const profile_conf_t *conf)
{
    size_t                   i;
    unsigned                 k;
    int                      rc;
    const char              *name;
    const profile_span_t    *ss = profile_sessions(src);
    const int64_t           *carts = profile_cart_times(src);
    const int64_t           *ords = profile_order_times(src);
    const profile_count_t   *names = profile_names(src);
    const profile_weight_t  *ws = profile_weights(src);
    const profile_money_t   *ms = profile_currencies(src);
    const profile_bucket_t  *bs = profile_buckets(src);
    const profile_trait_t   *ts = profile_traits(src);
    const profile_link_t    *ls = profile_links(src);

    count_add(&dst->events, src->events);
    count_add(&dst->page_views, src->page_views);
    count_add(&dst->orders, src->orders);
    count_add(&dst->cart_adds, src->cart_adds);
    if (src->first_seen < dst->first_seen) dst->first_seen = src->first_seen;
    if (src->last_seen > dst->last_seen) dst->last_seen = src->last_seen;
    if (src->last_order > dst->last_order) dst->last_order = src->last_order;

    for (k = 0; k < PROFILE_NDROPS; k++) {
        if (profile_count_dropped(dst, k, profile_dropped(src, k))
            != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    for (i = 0; i < src->nsessions; i++) {
        if (add_span(dst, ss[i].start, ss[i].end, conf->session_gap_ms)
            != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    for (i = 0; i < src->ncarts; i++) {
        if (add_time(dst, PROFILE_L_CARTS, PROFILE_DROP_CARTS, carts[i])
            != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    for (i = 0; i < src->norders; i++) {
        if (add_time(dst, PROFILE_L_ORDERS, PROFILE_DROP_ORDERS, ords[i])
            != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    for (i = 0; i < src->nnames; i++) {
        name = intern_str(conf->strings, names[i].name);
        rc = add_name(dst, conf->strings, name, strlen(name), names[i].count);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    for (i = 0; i < src->nweights; i++) {
        name = intern_str(conf->strings, ws[i].name);
        rc = add_weight(dst, conf->strings, name, strlen(name), ws[i].day,
                        ws[i].w);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    for (i = 0; i < src->ncurrencies; i++) {
        add_money(dst, ms[i].code, strlen(ms[i].code), ms[i].micros);
    }
    for (i = 0; i < src->nbuckets; i++) {
        rc = add_bucket(dst, bs[i].agg, bs[i].day, bs[i].value);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    for (i = 0; i < src->ntraits; i++) {
        name = intern_str(conf->strings, ts[i].name);
        rc = set_trait(dst, conf->strings, name, strlen(name),
                       profile_trait_value(&ts[i]), ts[i].value_len,
                       ts[i].time,
                       ts[i].source, ts[i].once);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }

    if (cmp_ctx(profile_ctx(src, conf->strings),
                profile_referrer(src, conf->strings), src->ctx_time,
                profile_ctx(dst, conf->strings),
                profile_referrer(dst, conf->strings), dst->ctx_time) > 0)
    {
        dst->ctx = src->ctx;            /* interned: shared as it is */
        dst->referrer = src->referrer;
        dst->ctx_time = src->ctx_time;
    }

    for (i = 0; i < src->nlinks; i++) {
        profile_link(dst, ls[i].a, ls[i].b, ls[i].time);
    }

    dst->merges += src->merges + 1;
    return SPOOR_OK;
}


/* ---- read side ------------------------------------------------------------------ */

uint64_t
profile_abandoned(const profile_t *p, int64_t now_ms, int64_t abandon_ms)
{
    uint64_t        n = 0;
    size_t          i, j;
    const int64_t  *carts = profile_cart_times(p);
    const int64_t  *ords = profile_order_times(p);

    for (i = 0; i < p->ncarts; i++) {
        int64_t  c = carts[i];
        int      ordered = 0;

        if (now_ms - c < abandon_ms) {
            continue;                   /* the window is still open */
        }
        for (j = 0; j < p->norders; j++) {
            if (ords[j] >= c && ords[j] - c <= abandon_ms) {
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
    const profile_money_t  *m = profile_currencies(p);
    int64_t                 s = 0;
    size_t                  i;

    for (i = 0; i < p->ncurrencies; i++) {
        s = sum_wrap(s, m[i].micros);
    }
    return (double) s / 1e6;
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
    size_t             i, j, k;
    profile_bucket_t  *b = profile_buckets(p);

    for (i = j = 0; i < p->nbuckets; i++) {
        for (k = 0; k < n && keys[k] != b[i].agg; k++) {
            /* void */
        }
        if (k < n && b[i].day >= min_day) {
            if (i != j) {                   /* as profile_prune_weights */
                b[j] = b[i];
            }
            j++;
        }
    }
    list_cut(p, PROFILE_L_BUCKETS, j);
}


double
profile_window(const profile_t *p, uint32_t agg, int64_t now_ms,
    int64_t window_ms)
{
    int64_t                  s = 0;
    size_t                   i;
    int32_t                  last = (int32_t) (now_ms / DAY_MS);
    int32_t                  first = (int32_t) ((now_ms - window_ms) / DAY_MS)
                                     + 1;
    const profile_bucket_t  *bs = profile_buckets(p);

    for (i = 0; i < p->nbuckets; i++) {
        const profile_bucket_t  *b = &bs[i];

        if (b->agg == agg && b->day >= first && b->day <= last) {
            s = sum_wrap(s, b->value);
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
    const profile_context_t   *c = profile_ctx(p, strings);
    const profile_span_t      *ss = profile_sessions(p);
    const int64_t             *carts = profile_cart_times(p);
    const int64_t             *ords = profile_order_times(p);
    const profile_count_t     *names = profile_names(p);
    const profile_weight_t    *ws = profile_weights(p);
    const profile_money_t     *ms = profile_currencies(p);
    const profile_bucket_t    *bs = profile_buckets(p);
    const profile_trait_t     *ts = profile_traits(p);
    const profile_link_t      *ls = profile_links(p);
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
        e |= msgpack_pack_int64(pk, ss[i].start);
        e |= msgpack_pack_int64(pk, ss[i].end);
    }

    e |= PK_KEY(pk, "cart");
    e |= msgpack_pack_array(pk, 1 + p->ncarts);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_CARTS));
    for (i = 0; i < p->ncarts; i++) {
        e |= msgpack_pack_int64(pk, carts[i]);
    }

    e |= PK_KEY(pk, "ord");
    e |= msgpack_pack_array(pk, 1 + p->norders);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_ORDERS));
    for (i = 0; i < p->norders; i++) {
        e |= msgpack_pack_int64(pk, ords[i]);
    }

    e |= PK_KEY(pk, "ev");
    e |= msgpack_pack_array(pk, 1 + 2 * p->nnames);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_NAMES));
    for (i = 0; i < p->nnames; i++) {
        e |= pk_str(pk, intern_str(strings, names[i].name));
        e |= msgpack_pack_uint64(pk, names[i].count);
    }

    e |= PK_KEY(pk, "int");
    e |= msgpack_pack_array(pk, 1 + 3 * p->nweights);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_WEIGHTS));
    for (i = 0; i < p->nweights; i++) {
        e |= pk_str(pk, intern_str(strings, ws[i].name));
        e |= msgpack_pack_int32(pk, ws[i].day);
        e |= msgpack_pack_uint32(pk, ws[i].w);
    }

    e |= PK_KEY(pk, "eng");
    e |= msgpack_pack_nil(pk);

    e |= PK_KEY(pk, "rev");
    e |= msgpack_pack_array(pk, 2 * p->ncurrencies);
    for (i = 0; i < p->ncurrencies; i++) {
        e |= pk_str(pk, ms[i].code);
        e |= msgpack_pack_int64(pk, ms[i].micros);
    }

    e |= PK_KEY(pk, "bk");
    e |= msgpack_pack_array(pk, 3 * p->nbuckets);
    for (i = 0; i < p->nbuckets; i++) {
        e |= msgpack_pack_uint32(pk, bs[i].agg);
        e |= msgpack_pack_int32(pk, bs[i].day);
        e |= msgpack_pack_int64(pk, bs[i].value);
    }

    e |= PK_KEY(pk, "tr");
    e |= msgpack_pack_array(pk, 1 + 5 * p->ntraits);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_TRAITS));
    for (i = 0; i < p->ntraits; i++) {
        const profile_trait_t  *t = &ts[i];

        e |= pk_str(pk, intern_str(strings, t->name));
        if (t->set) {
            e |= msgpack_pack_bin(pk, t->value_len);
            e |= msgpack_pack_bin_body(pk, profile_trait_value(t),
                                       t->value_len);
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
    e |= pk_str(pk, profile_referrer(p, strings));
    e |= pk_str(pk, c->campaign_source);
    e |= pk_str(pk, c->campaign_medium);
    e |= pk_str(pk, c->campaign_name);

    e |= PK_KEY(pk, "v");
    e |= msgpack_pack_uint32(pk, 1);
    e |= PK_KEY(pk, "lk");
    e |= msgpack_pack_array(pk, 1 + 3 * p->nlinks);
    e |= msgpack_pack_uint64(pk, profile_dropped(p, PROFILE_DROP_LINKS));
    for (i = 0; i < p->nlinks; i++) {
        e |= msgpack_pack_int64(pk, ls[i].time);
        e |= msgpack_pack_uint64(pk, ls[i].a);
        e |= msgpack_pack_uint64(pk, ls[i].b);
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


/* A count's or weight's name, as its intern id: kept as a fold keeps it
 * (name_len). */
/* The times of a record beyond +-2^53 ms (a crafted record, or one
 * written before a fold bounded its events' times) taken at the bound, as
 * a fold takes an event's (profile_time): what is computed of the profile
 * then never overflows.  The "none" of first and last seen, last order,
 * the context's time and the next change stay. */
static void
bound_times(profile_t *p)
{
    profile_span_t   *ss = profile_sessions(p);
    int64_t          *cs = profile_cart_times(p), *os = profile_order_times(p);
    profile_trait_t  *ts = profile_traits(p);
    profile_link_t   *ls = profile_links(p);
    int64_t          *keep[5] = {
        &p->first_seen, &p->last_seen, &p->last_order, &p->ctx_time,
        &p->next_change
    };
    size_t            i;

    for (i = 0; i < 5; i++) {
        if (*keep[i] != INT64_MIN && *keep[i] != INT64_MAX) {
            *keep[i] = profile_time(*keep[i]);
        }
    }
    for (i = 0; i < p->nsessions; i++) {
        ss[i].start = profile_time(ss[i].start);
        ss[i].end = profile_time(ss[i].end);
    }
    for (i = 0; i < p->ncarts; i++) {
        cs[i] = profile_time(cs[i]);
    }
    for (i = 0; i < p->norders; i++) {
        os[i] = profile_time(os[i]);
    }
    for (i = 0; i < p->ntraits; i++) {
        ts[i].time = profile_time(ts[i].time);
    }
    for (i = 0; i < p->nlinks; i++) {
        ls[i].time = profile_time(ls[i].time);
    }
}


static int
get_id(intern_t *strs, const msgpack_object *o, uint32_t *out)
{
    if (o->type != MSGPACK_OBJECT_STR) {
        return 0;
    }
    *out = intern_id(strs, o->via.str.ptr,
                     name_len(o->via.str.ptr, o->via.str.size));
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
    *out = intern_get(strs, o->via.str.ptr,
                      name_len(o->via.str.ptr, o->via.str.size));
    return *out != NULL;
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
    const msgpack_object   *ses, *cart, *ord, *ev, *in, *rev, *bk, *tr, *lk;
    uint64_t                u, u2;
    uint32_t                i, n;
    int64_t                 t, t2;
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

    /* every list's length first: they lie in one block, each where the
     * ones before it end */
    ses = arr(o, "ses", 1, 2, PROFILE_SESSIONS_MAX);
    cart = arr(o, "cart", 1, 1, PROFILE_TIMES_MAX);
    ord = arr(o, "ord", 1, 1, PROFILE_TIMES_MAX);
    ev = arr(o, "ev", 1, 2, PROFILE_NAMES_MAX);
    in = arr(o, "int", 1, 3, PROFILE_WEIGHTS_MAX);
    rev = arr(o, "rev", 0, 2, PROFILE_CURRENCIES_MAX);
    bk = arr(o, "bk", 0, 3, PROFILE_BUCKETS_MAX);
    tr = arr(o, "tr", 1, 5, PROFILE_TRAITS_MAX);
    lk = arr(o, "lk", 1, 3, PROFILE_LINKS_MAX);
    if (ses == NULL || cart == NULL || ord == NULL || ev == NULL
        || in == NULL || rev == NULL || bk == NULL || tr == NULL
        || lk == NULL)
    {
        BAD;
    }
    p->nsessions = (uint8_t) ((ses->via.array.size - 1) / 2);
    p->ncarts = (uint8_t) (cart->via.array.size - 1);
    p->norders = (uint8_t) (ord->via.array.size - 1);
    p->nnames = (uint8_t) ((ev->via.array.size - 1) / 2);
    p->nweights = (uint8_t) ((in->via.array.size - 1) / 3);
    p->ncurrencies = (uint8_t) (rev->via.array.size / 2);
    p->nbuckets = (uint16_t) (bk->via.array.size / 3);
    p->ntraits = (uint8_t) ((tr->via.array.size - 1) / 5);
    p->nlinks = (uint8_t) ((lk->via.array.size - 1) / 3);
    n = (uint32_t) profile_list_off(p, PROFILE_NLISTS);
    if (n > 0 && (p->lists = calloc(1, n)) == NULL) {
        p->nsessions = p->ncarts = p->norders = p->nnames = 0;
        p->nweights = p->ncurrencies = p->ntraits = p->nlinks = 0;
        p->nbuckets = 0;
        BAD;
    }                               /* (zeroed: no trait value yet) */

    a = ses;
    if (!get_dropped(p, PROFILE_DROP_SESSIONS, &a->via.array.ptr[0])) BAD;
    for (i = 0; i < p->nsessions; i++) {
        profile_span_t  *e = &profile_sessions(p)[i];

        if (!get_i64(&a->via.array.ptr[1 + 2 * i], &e->start)
            || !get_i64(&a->via.array.ptr[2 + 2 * i], &e->end))
        {
            BAD;
        }
    }

    a = cart;
    if (!get_dropped(p, PROFILE_DROP_CARTS, &a->via.array.ptr[0])) BAD;
    for (i = 0; i < p->ncarts; i++) {
        if (!get_i64(&a->via.array.ptr[1 + i], &profile_cart_times(p)[i])) {
            BAD;
        }
    }

    a = ord;
    if (!get_dropped(p, PROFILE_DROP_ORDERS, &a->via.array.ptr[0])) BAD;
    for (i = 0; i < p->norders; i++) {
        if (!get_i64(&a->via.array.ptr[1 + i], &profile_order_times(p)[i])) {
            BAD;
        }
    }

    a = ev;
    if (!get_dropped(p, PROFILE_DROP_NAMES, &a->via.array.ptr[0])) BAD;
    for (i = 0; i < p->nnames; i++) {
        profile_count_t  *e = &profile_names(p)[i];

        if (!get_id(strs, &a->via.array.ptr[1 + 2 * i], &e->name)
            || !get_count(&a->via.array.ptr[2 + 2 * i], &e->count))
        {
            BAD;
        }
    }

    a = in;
    if (!get_dropped(p, PROFILE_DROP_WEIGHTS, &a->via.array.ptr[0])) BAD;
    for (i = 0; i < p->nweights; i++) {
        const msgpack_object  *f = &a->via.array.ptr[1 + 3 * i];
        profile_weight_t      *e = &profile_weights(p)[i];

        if (!get_id(strs, &f[0], &e->name)
            || !get_i64(&f[1], &t) || t < INT32_MIN || t > INT32_MAX
            || !get_u64(&f[2], &u) || u > UINT32_MAX)
        {
            BAD;
        }
        e->day = (int32_t) t;
        e->w = (uint32_t) u;
    }

    a = rev;
    for (i = 0; i < p->ncurrencies; i++) {
        profile_money_t  *e = &profile_currencies(p)[i];

        x = &a->via.array.ptr[2 * i];
        if (x->type != MSGPACK_OBJECT_STR
            || !code_ok(x->via.str.ptr, x->via.str.size)
            || !get_i64(&a->via.array.ptr[2 * i + 1], &t))
        {
            BAD;
        }
        memset(e->code, 0, 4);
        memcpy(e->code, x->via.str.ptr, x->via.str.size);
        e->micros = t;
        /* sorted and distinct, as add_money keeps them (its fourth code
         * holds the amounts of those after it) */
        if (i > 0 && strcmp(e[-1].code, e->code) >= 0) {
            BAD;
        }
    }

    a = bk;
    for (i = 0; i < p->nbuckets; i++) {
        profile_bucket_t  *e = &profile_buckets(p)[i];

        if (!get_u64(&a->via.array.ptr[3 * i], &u) || u > UINT32_MAX
            || !get_i64(&a->via.array.ptr[3 * i + 1], &t)
            || t < INT32_MIN || t > INT32_MAX
            || !get_i64(&a->via.array.ptr[3 * i + 2], &t2))
        {
            BAD;
        }
        e->agg = (uint32_t) u;
        e->day = (int32_t) t;
        e->value = t2;
    }

    a = tr;
    if (!get_dropped(p, PROFILE_DROP_TRAITS, &a->via.array.ptr[0])) BAD;
    for (i = 0; i < p->ntraits; i++) {
        profile_trait_t        *e = &profile_traits(p)[i];
        const msgpack_object   *f = &a->via.array.ptr[1 + 5 * i];

        if (!get_id(strs, &f[0], &e->name)) {
            BAD;
        }
        if (f[1].type == MSGPACK_OBJECT_BIN) {
            if (f[1].via.bin.size > PROFILE_TRAIT_VALUE_MAX
                || trait_set_value(e, (const unsigned char *)
                                      (f[1].via.bin.size
                                       ? f[1].via.bin.ptr : ""),
                                   f[1].via.bin.size) != SPOOR_OK)
            {
                BAD;
            }
        } else if (f[1].type != MSGPACK_OBJECT_NIL) {
            BAD;
        }
        if (!get_i64(&f[2], &e->time) || !get_u64(&f[3], &u) || u > 1
            || !get_u64(&f[4], &u2) || u2 > 1)
        {
            BAD;
        }
        e->source = (unsigned) u;
        e->once = (unsigned) u2;
    }

    a = lk;
    if (!get_dropped(p, PROFILE_DROP_LINKS, &a->via.array.ptr[0])) BAD;
    for (i = 0; i < p->nlinks; i++) {
        const msgpack_object  *f = &a->via.array.ptr[1 + 3 * i];
        profile_link_t        *e = &profile_links(p)[i];

        if (!get_i64(&f[0], &e->time) || !get_u64(&f[1], &e->a)
            || !get_u64(&f[2], &e->b))
        {
            BAD;
        }
    }

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
        || (x[8].type != MSGPACK_OBJECT_NIL
            && !get_id(strs, &x[8], &p->referrer))
        || !get_str(strs, &x[9], &ctx.campaign_source)
        || !get_str(strs, &x[10], &ctx.campaign_medium)
        || !get_str(strs, &x[11], &ctx.campaign_name))
    {
        BAD;
    }
    /* (no context is id 0, as a fold leaves it) */
    if (memcmp(&ctx, &profile_no_context, sizeof(ctx)) != 0
        && (p->ctx = intern_tuple_id(strs, &ctx, sizeof(ctx))) == 0)
    {
        BAD;
    }
    bound_times(p);
#undef BAD

    *out = p;
    return SPOOR_OK;
}
