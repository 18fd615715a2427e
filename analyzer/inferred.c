/*
 * inferred.c -- the inferred module of a profile (inferred.h): RFM cut
 * points and scores, the lifecycle stage, the rules' field vocabulary
 * and aggregates, and the inferred fields of a profile record.
 *
 * The field vocabulary (env_field) answers spoor_rules_eval() by name;
 * docs/rules.md lists the names.  An unknown name, or a field the profile
 * lacks, is left ABSENT, which makes every comparison on it false.
 */
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "mp_check.h"
#include "inferred.h"

/* What env_field and env_agg answer about: one profile, as of c->as_of. */
typedef struct {
    const inferred_conf_t  *c;
    const profile_t        *p;
    const int64_t          *rfm;
    const char             *life;
} env_ctx_t;


static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}


/*
 * Puts into v[k] the value a sort of v[lo .. hi) would put there, every
 * value of v[lo .. k) at most it and every one of v[k + 1 .. hi) at
 * least it.  Quickselect with a median-of-three pivot; a range that does
 * not shrink fast enough (values chosen to defeat the pivot) is sorted
 * instead, so the worst case is O(n log n), not O(n^2).
 */
static void
select_kth(double *v, size_t lo, size_t hi, size_t k)
{
    size_t  i, j, mid, budget = 64;
    double  p, t;

    while (hi - lo > 16) {
        if (budget-- == 0) {
            qsort(v + lo, hi - lo, sizeof(double), cmp_double);
            return;
        }
        mid = lo + (hi - lo) / 2;
        /* median of three, as the pivot value */
        if (v[mid] < v[lo]) { t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (v[hi - 1] < v[lo]) { t = v[hi - 1]; v[hi - 1] = v[lo]; v[lo] = t; }
        if (v[hi - 1] < v[mid]) { t = v[hi - 1]; v[hi - 1] = v[mid]; v[mid] = t; }
        p = v[mid];
        /* Hoare partition: v[lo .. j] <= p <= v[j + 1 .. hi) */
        i = lo;
        j = hi - 1;
        for (;;) {
            while (v[i] < p) {
                i++;
            }
            while (v[j] > p) {
                j--;
            }
            if (i >= j) {
                break;
            }
            t = v[i]; v[i] = v[j]; v[j] = t;
            i++;
            j--;
        }
        if (k <= j) {
            hi = j + 1;
        } else {
            lo = j + 1;
        }
    }
    qsort(v + lo, hi - lo, sizeof(double), cmp_double);
}


/* A key of a double whose order as an unsigned integer is the doubles'
 * (-0 before +0): the sign bit flipped, and every bit of a negative. */
static inline uint64_t
order_key(double d)
{
    uint64_t  u;

    memcpy(&u, &d, sizeof(u));
    return (u >> 63) ? ~u : u | 0x8000000000000000ULL;
}

#define CUT_BITS  16            /* the buckets of the first pass */


/*
 * Four order statistics in two passes over v, without moving it (a
 * million values: a few ms, where selecting in place took tens): the
 * first counts the values by the top CUT_BITS bits of their key; the
 * rank of each cut then names its bucket; the second copies the values
 * of those buckets (at most four) out, and each cut is selected among
 * its bucket's values alone.  Values that share their top bits (small
 * integers do not: the exponent is in them) only make a bucket larger.
 */
int
inferred_cuts(const double *v, size_t n, double out[4])
{
    uint32_t  *hist, bucket[4];
    size_t     at[4], pos[4], kb[4], first[4], size[4], fill[4], lo[4];
    size_t     nb = 0, k, i, c, b;
    double    *w;

    if (n == 0) {
        memset(out, 0, 4 * sizeof(double));
        return SPOOR_OK;
    }
    hist = calloc((size_t) 1 << CUT_BITS, sizeof(uint32_t));
    if (hist == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < n; i++) {
        hist[order_key(v[i]) >> (64 - CUT_BITS)]++;
    }
    /* each cut's bucket (ascending: the ranks are) and rank in it */
    for (k = 0, c = 0, b = 0; k < 4; k++) {
        at[k] = (n * (k + 1)) / 5 < n ? (n * (k + 1)) / 5 : n - 1;
        while (c + hist[b] <= at[k]) {
            c += hist[b++];
        }
        if (nb == 0 || bucket[nb - 1] != b) {
            bucket[nb] = (uint32_t) b;
            first[nb] = nb ? first[nb - 1] + size[nb - 1] : 0;
            size[nb] = hist[b];
            fill[nb] = 0;
            lo[nb] = first[nb];
            nb++;
        }
        kb[k] = nb - 1;
        pos[k] = first[nb - 1] + (at[k] - c);   /* its place in w */
    }
    free(hist);
    w = malloc((first[nb - 1] + size[nb - 1]) * sizeof(double));
    if (w == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < n; i++) {
        uint32_t  t = (uint32_t) (order_key(v[i]) >> (64 - CUT_BITS));

        for (b = 0; b < nb; b++) {
            if (t == bucket[b]) {
                w[first[b] + fill[b]++] = v[i];
                break;
            }
        }
    }
    /* in a bucket, the doubles' order is the keys' (no -0 and +0 in one
     * bucket): each cut selected above the one before in its bucket */
    for (k = 0; k < 4; k++) {
        b = kb[k];
        if (pos[k] >= lo[b]) {
            select_kth(w, lo[b], first[b] + size[b], pos[k]);
            lo[b] = pos[k] + 1;
        }
        out[k] = w[pos[k]];
    }
    free(w);
    return SPOOR_OK;
}


int
inferred_score(double v, const double c[4])
{
    int  s = 1, k;

    for (k = 0; k < 4; k++) {
        s += v > c[k];
    }
    return s;
}


static void
env_field(void *arg, const char *name, size_t len, spoor_rule_value_t *out)
{
    env_ctx_t                *e = arg;
    const profile_t          *p = e->p;
    const profile_context_t  *ctx = profile_ctx(p, e->c->strings);
    size_t                    i;

#define IS(lit)  (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
#define NUM(v)   do { out->type = SPOOR_RV_NUMBER; out->num = (double) (v); \
                      return; } while (0)
#define TIME(v)  do { out->type = SPOOR_RV_TIME; out->time_ms = (v); \
                      return; } while (0)
#define STR(s)   do { if ((s) == NULL) return; out->type = SPOOR_RV_STRING; \
                      out->str = (s); out->len = strlen(s); return; } while (0)

    memset(out, 0, sizeof(*out));
    out->type = SPOOR_RV_ABSENT;

    if (IS("first_seen")) TIME(p->first_seen);
    if (IS("last_seen")) TIME(p->last_seen);
    if (IS("last_order")) { if (p->orders) TIME(p->last_order); return; }
    if (IS("sessions")) {
        NUM((uint64_t) profile_dropped(p, PROFILE_DROP_SESSIONS)
            + p->nsessions);
    }
    if (IS("page_views")) NUM(p->page_views);
    if (IS("orders")) NUM(p->orders);
    if (IS("cart_adds")) NUM(p->cart_adds);
    if (IS("abandoned_carts")) NUM(profile_abandoned(p, e->c->as_of,
                                                     e->c->abandon_ms));
    if (IS("engagement")) {
        NUM(profile_decayed(p, e->c->strings, "", e->c->as_of,
                            e->c->half_life_ms));
    }
    if (IS("revenue")) NUM(profile_revenue(p));
    if (IS("lifecycle")) STR(e->life);
    if (IS("rfm.r")) NUM(e->rfm[0]);
    if (IS("rfm.f")) NUM(e->rfm[1]);
    if (IS("rfm.m")) NUM(e->rfm[2]);
    if (IS("country")) STR(ctx->country);
    if (IS("region")) STR(ctx->region);
    if (IS("city")) STR(ctx->city);
    if (IS("browser")) STR(ctx->browser);
    if (IS("device")) STR(ctx->device);
    if (IS("language")) STR(ctx->language);

    if (len > 7 && memcmp(name, "events.", 7) == 0) {
        uint32_t  id = len - 7 <= PROFILE_STR_MAX
                       ? intern_find(e->c->strings, name + 7, len - 7) : 0;

        for (i = 0; id != 0 && i < p->nnames; i++) {
            if (profile_names(p)[i].name == id) {
                NUM(profile_names(p)[i].count);
            }
        }
        NUM(0);
    }
    if (len > 9 && memcmp(name, "interest.", 9) == 0) {
        char  cat[PROFILE_STR_MAX + 1];

        if (len - 9 > PROFILE_STR_MAX) {
            NUM(0);
        }
        memcpy(cat, name + 9, len - 9);
        cat[len - 9] = '\0';
        NUM(profile_decayed(p, e->c->strings, cat, e->c->as_of,
                            e->c->half_life_ms));
    }
    if (len > 7 && memcmp(name, "traits.", 7) == 0) {
        for (i = 0; i < p->ntraits; i++) {
            const profile_trait_t  *t = &profile_traits(p)[i];
            const char             *tn = intern_str(e->c->strings, t->name);
            msgpack_unpacked        u;

            if (strlen(tn) != len - 7
                || memcmp(tn, name + 7, len - 7) != 0 || !t->set)
            {
                continue;
            }
            msgpack_unpacked_init(&u);
            if (spoor_mp_unpack(&u, profile_trait_value(t), t->value_len,
                                SPOOR_VALUE_DEPTH_MAX) == SPOOR_OK)
            {
                const msgpack_object  *o = &u.data;

                switch (o->type) {
                case MSGPACK_OBJECT_BOOLEAN:
                    out->type = SPOOR_RV_BOOL;
                    out->num = o->via.boolean;
                    break;
                case MSGPACK_OBJECT_POSITIVE_INTEGER:
                    out->type = SPOOR_RV_NUMBER;
                    out->num = (double) o->via.u64;
                    break;
                case MSGPACK_OBJECT_NEGATIVE_INTEGER:
                    out->type = SPOOR_RV_NUMBER;
                    out->num = (double) o->via.i64;
                    break;
                case MSGPACK_OBJECT_FLOAT32:
                case MSGPACK_OBJECT_FLOAT64:
                    out->type = SPOOR_RV_NUMBER;
                    out->num = o->via.f64;
                    break;
                case MSGPACK_OBJECT_STR: {
                    /* the string's bytes in the trait's own value (which
                     * outlives the evaluation: p does not change during
                     * it), after its header */
                    const unsigned char  *v = profile_trait_value(t);
                    size_t                h = (v[0] & 0xe0) == 0xa0 ? 1
                                              : v[0] == 0xd9 ? 2
                                              : v[0] == 0xda ? 3 : 5;

                    out->type = SPOOR_RV_STRING;
                    out->str = (const char *) v + h;
                    out->len = o->via.str.size;
                    break;
                }
                default:
                    break;
                }
            }
            msgpack_unpacked_destroy(&u);
            return;
        }
    }
#undef IS
#undef NUM
#undef TIME
#undef STR
}


static double
env_agg(void *arg, size_t i)
{
    env_ctx_t               *e = arg;
    const spoor_rule_agg_t  *a = spoor_rules_agg(e->c->rules, i);

    double                   v;

    v = profile_window(e->p, e->c->agg_keys[i], e->c->as_of,
                       a->window_ms);
    return a->kind == SPOOR_AGG_SUM_REVENUE ? v / 1e6 : v;
}


double
inferred_rfm_value(const profile_t *p, int64_t as_of, int which)
{
    return which == 0 ? -(double) (as_of - p->last_order)
         : which == 1 ? (double) p->orders : profile_revenue(p);
}


int
inferred_rfm_cuts(inferred_conf_t *c, const double *cols, size_t nr,
    size_t stride)
{
    int  i;

    for (i = 0; i < 3; i++) {
        if (inferred_cuts(cols + (size_t) i * stride, nr, c->cuts[i])
            != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    return SPOOR_OK;
}


void
inferred_rfm(const inferred_conf_t *c, const profile_t *p, int64_t rfm[3])
{
    int  i;

    for (i = 0; i < 3; i++) {
        rfm[i] = p->orders ? inferred_score(inferred_rfm_value(p, c->as_of, i),
                                            c->cuts[i])
                           : 0;
    }
}


const char *
inferred_lifecycle(const inferred_conf_t *c, const profile_t *p)
{
    int64_t  now = c->as_of;

    if (now - p->first_seen <= c->lifecycle_ms[0]) {
        return "new";
    }
    if (now - p->last_seen <= c->lifecycle_ms[1]) {
        return "active";
    }
    if (now - p->last_seen <= c->lifecycle_ms[2]) {
        return "lapsing";
    }
    return "churned";
}


void
inferred_record(const inferred_conf_t *c, const profile_t *p,
    stored_profile_t *rec, stored_decayed_t *dec, stored_str_t *segs)
{
    size_t            s;
    env_ctx_t         env;
    spoor_rule_env_t  renv;

    inferred_rfm(c, p, rec->rfm);
    rec->life.ptr = inferred_lifecycle(c, p);
    rec->life.len = strlen(rec->life.ptr);
    rec->as_of = c->as_of;
    rec->abandoned = (int64_t) profile_abandoned(p, c->as_of, c->abandon_ms);

    /* name -> decayed weight, names sorted ("" is engagement) */
    rec->decayed = dec;
    rec->ndecayed = 0;
    rec->strings = c->strings;
    for (s = 0; s < p->nweights; s++) {
        uint32_t  id = profile_weights(p)[s].name;

        if (s > 0 && id == profile_weights(p)[s - 1].name) {
            continue;                   /* sorted: one name's days in a row */
        }
        dec[rec->ndecayed].name.ptr = intern_str(c->strings, id);
        dec[rec->ndecayed].name.len = strlen(dec[rec->ndecayed].name.ptr);
        dec[rec->ndecayed++].value = profile_decayed_id(p, id, c->as_of,
                                                        c->half_life_ms);
    }

    /* each rule once */
    rec->segs = segs;
    rec->nsegs = 0;
    if (c->rules == NULL) {
        return;
    }
    env.c = c;
    env.p = p;
    env.rfm = rec->rfm;
    env.life = rec->life.ptr;
    renv.ctx = &env;
    renv.now_ms = c->as_of;
    renv.field = env_field;
    renv.agg = env_agg;
    for (s = 0; s < spoor_rules_count(c->rules); s++) {
        if (spoor_rules_eval(c->rules, s, &renv) == 1) {
            segs[rec->nsegs].ptr = spoor_rules_name(c->rules, s);
            segs[rec->nsegs].len = strlen(segs[rec->nsegs].ptr);
            rec->nsegs++;
        }
    }
}


/* ---- when time changes a profile ------------------------------------------------- */

static int
cmp_win(const void *a, const void *b)
{
    const struct inferred_win_s  *x = a, *y = b;

    return (x->key > y->key) - (x->key < y->key);
}


int
inferred_clock_init(inferred_clock_t *k, int64_t abandon_ms,
    const int64_t lifecycle_ms[3], int64_t expire_ms,
    const spoor_rules_t *rules, const uint32_t *agg_keys)
{
    size_t  i, n = spoor_rules_naggs(rules);

    memset(k, 0, sizeof(*k));
    k->abandon_ms = abandon_ms;
    memcpy(k->lifecycle_ms, lifecycle_ms, sizeof(k->lifecycle_ms));
    k->expire_ms = expire_ms;
    if (spoor_rules_withins(rules, &k->within, &k->nwithin) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }
    if (n) {
        k->wins = malloc(n * sizeof(*k->wins));
        if (k->wins == NULL) {
            inferred_clock_free(k);
            return SPOOR_E_NOMEM;
        }
        for (i = 0; i < n; i++) {
            k->wins[i].key = agg_keys[i];
            k->wins[i].window_ms = spoor_rules_agg(rules, i)->window_ms;
        }
        qsort(k->wins, n, sizeof(*k->wins), cmp_win);
        k->nwins = n;
    }
    return SPOOR_OK;
}


void
inferred_clock_free(inferred_clock_t *k)
{
    free(k->within);
    free(k->wins);
    memset(k, 0, sizeof(*k));
}


/* t when it is after `after` and sooner than best. */
#define SOONER(best, t, after)                                               \
    do { int64_t  t_ = (t); if (t_ > (after) && t_ < (best)) (best) = t_; }  \
    while (0)


int64_t
inferred_next_change(const inferred_clock_t *k, const profile_t *p,
    int64_t after)
{
    int64_t  best = INT64_MAX, t;
    size_t   i, lo, hi, mid;

    /* no event yet (imported traits only): INT64_MAX; none kept: MIN */
    if (p->first_seen != INT64_MIN && p->first_seen != INT64_MAX) {
        /* "new" while now - first_seen <= lifecycle[0] */
        SOONER(best, p->first_seen + k->lifecycle_ms[0] + 1, after);
        for (i = 0; i < k->nwithin; i++) {
            SOONER(best, p->first_seen + k->within[i] + 1, after);
        }
    }
    if (p->last_seen != INT64_MIN && p->last_seen != INT64_MAX) {
        SOONER(best, p->last_seen + k->lifecycle_ms[1] + 1, after);
        SOONER(best, p->last_seen + k->lifecycle_ms[2] + 1, after);
        if (k->expire_ms) {
            SOONER(best, p->last_seen + k->expire_ms + 1, after);
        }
        for (i = 0; i < k->nwithin; i++) {
            SOONER(best, p->last_seen + k->within[i] + 1, after);
        }
    }
    if (p->orders) {
        for (i = 0; i < k->nwithin; i++) {
            SOONER(best, p->last_order + k->within[i] + 1, after);
        }
    }
    /* a cart is abandoned once now - added >= abandon */
    for (i = 0; i < p->ncarts; i++) {
        SOONER(best, profile_cart_times(p)[i] + k->abandon_ms, after);
    }
    /* a day bucket enters a window (now - window, now] of days at its
     * day's start (an event dated ahead of now), and leaves it once
     * now >= day start + window */
    for (i = 0; i < p->nbuckets; i++) {
        const profile_bucket_t  *b = &profile_buckets(p)[i];
        int64_t                  start = (int64_t) b->day * 86400000LL;

        SOONER(best, start, after);
        lo = 0;
        hi = k->nwins;
        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            if (k->wins[mid].key < b->agg) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (; lo < k->nwins && k->wins[lo].key == b->agg; lo++) {
            t = start + k->wins[lo].window_ms;
            SOONER(best, t, after);
        }
    }
    return best;
}
