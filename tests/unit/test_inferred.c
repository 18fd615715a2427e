/*
 * test_inferred.c -- the inferred module (analyzer/inferred.c): RFM cut
 * points and scores, lifecycle boundaries, and the inferred fields of a
 * profile record with the rules decided once each.  And the follower's
 * clock (inferred_next_change): each kind of deadline -- a lifecycle
 * stage, a cart's window, a `within`, a day bucket leaving its window,
 * the expiry -- at the time the record really changes (checked at t - 1
 * and t), nothing for a profile without events, and over random profiles
 * never later than a change the record shows.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "inferred.h"
#include "profile.h"
#include "rules.h"
#include "stored.h"

#define DAY  86400000LL


/* The profiles' strings of every test (reachable to the end). */
static intern_t  strings;


static inferred_conf_t
conf_at(int64_t now)
{
    inferred_conf_t  c;

    memset(&c, 0, sizeof(c));
    c.as_of = now;
    c.abandon_ms = 3600000LL;
    c.half_life_ms = 30 * DAY;
    c.lifecycle_ms[0] = 7 * DAY;
    c.lifecycle_ms[1] = 30 * DAY;
    c.lifecycle_ms[2] = 90 * DAY;
    c.strings = &strings;
    return c;
}


Test(inferred, cut_points_are_the_values_at_each_fifth)
{
    double  v[10] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, c[4];
    double  one[1] = { 42 };

    inferred_cuts(v, 10, c);
    cr_assert_float_eq(c[0], 3, 0);         /* v sorted: v[2] */
    cr_assert_float_eq(c[1], 5, 0);
    cr_assert_float_eq(c[2], 7, 0);
    cr_assert_float_eq(c[3], 9, 0);

    inferred_cuts(one, 1, c);               /* index clamped to n - 1 */
    cr_assert_float_eq(c[0], 42, 0);
    cr_assert_float_eq(c[3], 42, 0);

    inferred_cuts(NULL, 0, c);
    cr_assert_float_eq(c[0], 0, 0);
    cr_assert_float_eq(c[3], 0, 0);
}


Test(inferred, a_score_counts_the_cut_points_below_it)
{
    static const double  c[4] = { 3, 5, 7, 9 };

    cr_assert_eq(inferred_score(1, c), 1);
    cr_assert_eq(inferred_score(3, c), 1);  /* equal is not above */
    cr_assert_eq(inferred_score(3.5, c), 2);
    cr_assert_eq(inferred_score(9, c), 4);
    cr_assert_eq(inferred_score(100, c), 5);
}


Test(inferred, rfm_scores_profiles_with_orders_only)
{
    int64_t           now = 100 * DAY, rfm[3];
    profile_t        *p[3];
    double            scratch[9];
    inferred_conf_t   c = conf_at(now);
    int               i;

    for (i = 0; i < 3; i++) {
        p[i] = profile_new();
        cr_assert_not_null(p[i]);
        p[i]->first_seen = p[i]->last_seen = now - DAY;
    }
    p[0]->orders = 1;
    p[0]->last_order = now - 10 * DAY;
    p[1]->orders = 5;
    p[1]->last_order = now - DAY;

    /* the columns as a commit collects them: the profiles with orders */
    for (i = 0; i < 3; i++) {
        scratch[i * 3 + 0] = inferred_rfm_value(p[0], now, i);
        scratch[i * 3 + 1] = inferred_rfm_value(p[1], now, i);
    }
    inferred_rfm_cuts(&c, scratch, 2, 3);
    /* two profiles with orders: cuts at index 0, 0, 1, 1 of the sorted */
    cr_assert_float_eq(c.cuts[1][0], 1, 0);
    cr_assert_float_eq(c.cuts[1][3], 5, 0);

    inferred_rfm(&c, p[1], rfm);
    cr_assert_eq(rfm[0], 3);                /* recent: above 2 cuts */
    cr_assert_eq(rfm[1], 3);
    inferred_rfm(&c, p[0], rfm);
    cr_assert_eq(rfm[0], 1);
    cr_assert_eq(rfm[1], 1);
    inferred_rfm(&c, p[2], rfm);            /* no order: no score */
    cr_assert_eq(rfm[0], 0);
    cr_assert_eq(rfm[1], 0);
    cr_assert_eq(rfm[2], 0);

    for (i = 0; i < 3; i++) {
        profile_free(p[i]);
    }
}


Test(inferred, lifecycle_boundaries_are_inclusive)
{
    int64_t           now = 1000 * DAY;
    inferred_conf_t   c = conf_at(now);
    profile_t        *p = profile_new();

    cr_assert_not_null(p);
    p->first_seen = now - 7 * DAY;          /* exactly 7 days: still new */
    p->last_seen = now;
    cr_assert_str_eq(inferred_lifecycle(&c, p), "new");
    p->first_seen = now - 7 * DAY - 1;
    cr_assert_str_eq(inferred_lifecycle(&c, p), "active");
    p->last_seen = now - 30 * DAY;
    cr_assert_str_eq(inferred_lifecycle(&c, p), "active");
    p->last_seen = now - 30 * DAY - 1;
    cr_assert_str_eq(inferred_lifecycle(&c, p), "lapsing");
    p->last_seen = now - 90 * DAY;
    cr_assert_str_eq(inferred_lifecycle(&c, p), "lapsing");
    p->last_seen = now - 90 * DAY - 1;
    cr_assert_str_eq(inferred_lifecycle(&c, p), "churned");
    profile_free(p);
}


Test(inferred, a_record_holds_each_matching_rule_once_in_rule_order)
{
    static const char  text[] =
        "segment fresh = lifecycle = \"new\";\n"
        "segment never = orders > 100;\n"
        "segment buyer = rfm.f >= 1 and orders >= 2;\n"
        "segment seen = first_seen within 7d;\n";
    int64_t            now = 50 * DAY;
    inferred_conf_t    c = conf_at(now);
    spoor_rules_t     *rules = NULL;
    profile_t         *p = profile_new();
    stored_profile_t   rec;
    stored_str_t       segs[4];
    char               err[256];
    double             scratch[3];
    int                k;

    cr_assert_not_null(p);
    cr_assert_eq(spoor_rules_parse(text, strlen(text), "test", &rules, err,
                                   sizeof(err)), SPOOR_OK, "%s", err);
    p->first_seen = p->last_seen = now - DAY;
    p->orders = 2;
    p->last_order = now - DAY;
    c.rules = rules;
    for (k = 0; k < 3; k++) {
        scratch[k] = inferred_rfm_value(p, now, k);
    }
    inferred_rfm_cuts(&c, scratch, 1, 1);

    memset(&rec, 0, sizeof(rec));
    inferred_record(&c, p, &rec, NULL, segs);
    cr_assert_eq(rec.nsegs, 3);
    cr_assert_eq(rec.segs[0].len, 5);
    cr_assert(memcmp(rec.segs[0].ptr, "fresh", 5) == 0);
    cr_assert(memcmp(rec.segs[1].ptr, "buyer", 5) == 0);
    cr_assert(memcmp(rec.segs[2].ptr, "seen", 4) == 0);
    cr_assert_eq(rec.as_of, now);
    cr_assert_eq(rec.life.len, 3);
    cr_assert(memcmp(rec.life.ptr, "new", 3) == 0);
    cr_assert_eq(rec.rfm[1], 1);            /* alone: its own value is every cut */
    cr_assert_eq(rec.ndecayed, 0);

    spoor_rules_free(rules);
    profile_free(p);
}


/* ---- when time alone changes a profile (inferred_next_change) ---------- */

#define HOUR  3600000LL
#define T0    1767225600000LL           /* 2026-01-01T00:00:00Z, a day start */


/* Weights of a record (inferred_record): one per name at most. */
static stored_decayed_t  dec[PROFILE_WEIGHTS_MAX];

static const int64_t  life_ms[3] = { 7 * DAY, 30 * DAY, 90 * DAY };


static spoor_rules_t *
parse(const char *text)
{
    spoor_rules_t  *r = NULL;
    char            err[256];

    cr_assert_eq(spoor_rules_parse(text, strlen(text), "test", &r, err,
                                   sizeof(err)), SPOOR_OK, "%s", err);
    return r;
}


/* The aggregates' keys, as the state computes them (state.c). */
static uint32_t *
keys_of(const spoor_rules_t *r)
{
    size_t     i, n = spoor_rules_naggs(r);
    uint32_t  *k = calloc(n ? n : 1, sizeof(uint32_t));

    cr_assert_not_null(k);
    for (i = 0; i < n; i++) {
        const spoor_rule_agg_t  *a = spoor_rules_agg(r, i);

        k[i] = profile_agg_key(a->kind, a->event, a->event_len, a->window_ms);
    }
    return k;
}


static void
clock_of(inferred_clock_t *k, int64_t expire_ms, const spoor_rules_t *r,
    const uint32_t *keys)
{
    cr_assert_eq(inferred_clock_init(k, 3600000LL, life_ms, expire_ms, r,
                                     keys), SPOOR_OK);
}


/* Folds an event at t into p: a track called name, or a page (NULL). */
static void
fold(profile_t *p, const char *name, int64_t t, const spoor_rules_t *r,
    const uint32_t *keys)
{
    profile_conf_t  c;
    spoor_event_t   ev;

    memset(&c, 0, sizeof(c));
    c.session_gap_ms = 30 * 60 * 1000;
    c.abandon_ms = 3600000LL;
    c.half_life_ms = 30 * DAY;
    c.rules = r;
    c.naggs = spoor_rules_naggs(r);
    c.agg_keys = keys;
    c.strings = &strings;
    spoor_event_init(&ev);
    ev.kind = name ? SPOOR_KIND_TRACK : SPOOR_KIND_PAGE;
    ev.name.data = name;
    ev.name.len = name ? strlen(name) : 0;
    ev.received_ms = t;
    ev.user_id.data = "u1";
    ev.user_id.len = 2;
    cr_assert_eq(profile_fold(p, &ev, &c, NULL), SPOOR_OK);
}


/* What time can change of p as of now: its lifecycle stage, abandoned
 * carts and segments (bit s: a member of rule s), as a record has them. */
typedef struct {
    const char  *life;
    int64_t      abandoned;
    uint32_t     segs;
} seen_t;

static seen_t
seen_at(const profile_t *p, int64_t now, const spoor_rules_t *r,
    const uint32_t *keys)
{
    inferred_conf_t   c = conf_at(now);
    stored_profile_t  rec;
    stored_str_t      segs[32];
    seen_t            s;
    size_t            i, j;

    cr_assert_leq(spoor_rules_count(r), 32);
    c.rules = r;
    c.agg_keys = keys;
    memset(&rec, 0, sizeof(rec));
    inferred_record(&c, p, &rec, dec, segs);
    s.life = rec.life.ptr;
    s.abandoned = rec.abandoned;
    s.segs = 0;
    for (i = 0; i < rec.nsegs; i++) {
        for (j = 0; j < spoor_rules_count(r); j++) {
            if (strcmp(spoor_rules_name(r, j), rec.segs[i].ptr) == 0) {
                s.segs |= 1u << j;
            }
        }
    }
    return s;
}

static int
seen_eq(seen_t a, seen_t b)
{
    return strcmp(a.life, b.life) == 0 && a.abandoned == b.abandoned
           && a.segs == b.segs;
}


Test(inferred, lifecycle_thresholds_come_in_order)
{
    inferred_clock_t  k;
    inferred_conf_t   c;
    profile_t        *p = profile_new();
    int64_t           f = T0, s = T0 + 2 * DAY, t;
    static const struct {
        int64_t      at;
        const char  *before, *after;
    } steps[] = {
        { T0 + 7 * DAY + 1, "new", "active" },
        { T0 + 2 * DAY + 30 * DAY + 1, "active", "lapsing" },
        { T0 + 2 * DAY + 90 * DAY + 1, "lapsing", "churned" },
    };
    size_t            i;
    int64_t           after = s;

    cr_assert_not_null(p);
    p->first_seen = f;
    p->last_seen = s;
    clock_of(&k, 0, NULL, NULL);

    for (i = 0; i < 3; i++) {
        t = inferred_next_change(&k, p, after);
        cr_assert_eq(t, steps[i].at, "step %zu: %lld, expected %lld", i,
                     (long long) t, (long long) steps[i].at);
        /* just before the threshold it is still ahead; at it, passed */
        cr_assert_eq(inferred_next_change(&k, p, t - 1), t, "step %zu", i);
        cr_assert_gt(inferred_next_change(&k, p, t), t, "step %zu", i);
        /* and the stage really changes there */
        c = conf_at(t - 1);
        cr_assert_str_eq(inferred_lifecycle(&c, p), steps[i].before,
                         "step %zu", i);
        c = conf_at(t);
        cr_assert_str_eq(inferred_lifecycle(&c, p), steps[i].after,
                         "step %zu", i);
        after = t + (int64_t) i * HOUR;     /* anywhere up to the next */
    }
    cr_assert_eq(inferred_next_change(&k, p, after), INT64_MAX,
                 "churned, nothing else can change: %lld",
                 (long long) inferred_next_change(&k, p, after));
    /* from long before: the first threshold */
    cr_assert_eq(inferred_next_change(&k, p, INT64_MIN), f + 7 * DAY + 1);
    inferred_clock_free(&k);
    inferred_clock_free(&k);        /* freed twice: harmless (zeroed) */
    profile_free(p);
}


Test(inferred, a_cart_changes_when_its_window_closes)
{
    inferred_clock_t  k;
    profile_t        *p = profile_new();
    int64_t           c1 = T0 + 5 * HOUR, c2 = T0 + 5 * HOUR + 20 * 60000;
    int64_t           ab = 3600000LL;

    cr_assert_not_null(p);
    clock_of(&k, 0, NULL, NULL);
    fold(p, "Product Added", c1, NULL, NULL);
    fold(p, "Product Added", c2, NULL, NULL);
    cr_assert_eq(p->ncarts, 2);

    cr_assert_eq(inferred_next_change(&k, p, c2), c1 + ab);
    cr_assert_eq(profile_abandoned(p, c1 + ab - 1, ab), 0);
    cr_assert_eq(profile_abandoned(p, c1 + ab, ab), 1,
                 "the first cart is abandoned at its deadline");
    cr_assert_eq(seen_at(p, c1 + ab - 1, NULL, NULL).abandoned, 0);
    cr_assert_eq(seen_at(p, c1 + ab, NULL, NULL).abandoned, 1);

    cr_assert_eq(inferred_next_change(&k, p, c1 + ab), c2 + ab);
    cr_assert_eq(profile_abandoned(p, c2 + ab - 1, ab), 1);
    cr_assert_eq(profile_abandoned(p, c2 + ab, ab), 2);

    /* both closed: the lifecycle is next */
    cr_assert_eq(inferred_next_change(&k, p, c2 + ab), c1 + 7 * DAY + 1);
    inferred_clock_free(&k);
    profile_free(p);
}


Test(inferred, a_within_changes_when_its_duration_passes)
{
    spoor_rules_t    *r = parse("segment recent = last_seen within 2d;\n");
    inferred_clock_t  k;
    profile_t        *p = profile_new();
    int64_t           last = T0 + 10 * DAY + 5 * HOUR, t;

    cr_assert_not_null(p);
    cr_assert_eq(spoor_rules_count(r), 1);
    clock_of(&k, 0, r, NULL);
    cr_assert_eq(k.nwithin, 1);
    fold(p, NULL, T0, r, NULL);     /* first seen 10 days before */
    fold(p, NULL, last, r, NULL);

    t = inferred_next_change(&k, p, last);
    cr_assert_eq(t, last + 2 * DAY + 1, "%lld, expected %lld",
                 (long long) t, (long long) (last + 2 * DAY + 1));
    cr_assert_eq(seen_at(p, t - 1, r, NULL).segs, 1, "still recent");
    cr_assert_eq(seen_at(p, t, r, NULL).segs, 0, "no longer recent");

    /* without the rule, nothing changes that early */
    inferred_clock_free(&k);
    clock_of(&k, 0, NULL, NULL);
    cr_assert_eq(k.nwithin, 0);
    cr_assert_eq(inferred_next_change(&k, p, last), last + 30 * DAY + 1);

    inferred_clock_free(&k);
    spoor_rules_free(r);
    profile_free(p);
}


Test(inferred, a_within_of_first_seen_or_last_order_changes_too)
{
    spoor_rules_t    *r = parse("segment newbie = first_seen within 36h;\n"
                                "segment bought = last_order within 5d;\n");
    inferred_clock_t  k;
    profile_t        *p = profile_new();
    int64_t           first = T0 + 2 * HOUR, last = first + 10 * HOUR, t;

    cr_assert_not_null(p);
    clock_of(&k, 0, r, NULL);
    cr_assert_eq(k.nwithin, 2);
    fold(p, NULL, first, r, NULL);
    fold(p, NULL, last, r, NULL);

    /* first seen 36 h ago: before last seen + 36 h */
    t = inferred_next_change(&k, p, last);
    cr_assert_eq(t, first + 36 * HOUR + 1, "%lld, expected %lld",
                 (long long) t, (long long) (first + 36 * HOUR + 1));
    cr_assert_eq(seen_at(p, t - 1, r, NULL).segs, 1);
    cr_assert_eq(seen_at(p, t, r, NULL).segs, 0);

    /* an order between the two, then 5 days (after first seen + 5 d, a
     * time the clock may take for a `within 5d` of first_seen) */
    fold(p, "Order Completed", first + 5 * HOUR, r, NULL);
    cr_assert_eq(seen_at(p, last, r, NULL).segs, 3);
    t = inferred_next_change(&k, p, first + 5 * DAY + 1);
    cr_assert_eq(t, first + 5 * HOUR + 5 * DAY + 1, "%lld, expected %lld",
                 (long long) t, (long long) (first + 5 * HOUR + 5 * DAY + 1));
    cr_assert_eq(seen_at(p, t - 1, r, NULL).segs, 2);
    cr_assert_eq(seen_at(p, t, r, NULL).segs, 0);

    inferred_clock_free(&k);
    spoor_rules_free(r);
    profile_free(p);
}


Test(inferred, a_day_bucket_changes_when_it_leaves_its_window)
{
    spoor_rules_t    *r = parse(
        "segment x3 = count(event = \"X\", 3d) >= 1;\n"
        "segment x36 = count(event = \"X\", 36h) >= 1;\n");
    uint32_t         *keys = keys_of(r);
    inferred_clock_t  k;
    profile_t        *p = profile_new();
    int64_t           e = T0 + 10 * DAY + 5 * HOUR, day_start = T0 + 10 * DAY;
    int64_t           t;

    cr_assert_not_null(p);
    cr_assert_eq(spoor_rules_naggs(r), 2);
    clock_of(&k, 0, r, keys);
    cr_assert_eq(k.nwins, 2);
    fold(p, "X", e, r, keys);
    fold(p, "Y", e, r, keys);       /* no bucket of its own */
    cr_assert_eq(p->nbuckets, 2, "one bucket per aggregate");

    /* 36 h after the day's start the shorter window lets it go */
    t = inferred_next_change(&k, p, e);
    cr_assert_eq(t, day_start + 36 * HOUR, "%lld, expected %lld",
                 (long long) t, (long long) (day_start + 36 * HOUR));
    cr_assert_eq(profile_window(p, keys[1], t - 1, 36 * HOUR), 1);
    cr_assert_eq(profile_window(p, keys[1], t, 36 * HOUR), 0);
    cr_assert_eq(seen_at(p, t - 1, r, keys).segs, 3);
    cr_assert_eq(seen_at(p, t, r, keys).segs, 1, "only x3 left");

    /* then the 3-day window */
    t = inferred_next_change(&k, p, t);
    cr_assert_eq(t, day_start + 3 * DAY, "%lld, expected %lld",
                 (long long) t, (long long) (day_start + 3 * DAY));
    cr_assert_eq(profile_window(p, keys[0], t - 1, 3 * DAY), 1);
    cr_assert_eq(profile_window(p, keys[0], t, 3 * DAY), 0);
    cr_assert_eq(seen_at(p, t - 1, r, keys).segs, 1);
    cr_assert_eq(seen_at(p, t, r, keys).segs, 0);

    /* then the lifecycle */
    cr_assert_eq(inferred_next_change(&k, p, t), e + 7 * DAY + 1);

    inferred_clock_free(&k);
    free(keys);
    spoor_rules_free(r);
    profile_free(p);
}


Test(inferred, a_profile_expires_after_its_last_event)
{
    inferred_clock_t  k;
    profile_t        *p = profile_new();
    int64_t           s = T0 + 3 * HOUR, after = s + 90 * DAY + 1;

    cr_assert_not_null(p);
    fold(p, NULL, s, NULL, NULL);

    cr_assert_eq(p->last_seen, s);
    /* state.c drops a profile once last_seen < as_of - expire: first at
     * last_seen + expire + 1 */
    clock_of(&k, 120 * DAY, NULL, NULL);
    cr_assert_eq(inferred_next_change(&k, p, after), s + 120 * DAY + 1);
    cr_assert_eq(inferred_next_change(&k, p, s + 120 * DAY),
                 s + 120 * DAY + 1);
    cr_assert_eq(inferred_next_change(&k, p, s + 120 * DAY + 1), INT64_MAX);
    inferred_clock_free(&k);

    /* an expiry before the last stage comes first */
    clock_of(&k, 60 * DAY, NULL, NULL);
    cr_assert_eq(inferred_next_change(&k, p, s + 30 * DAY + 1),
                 s + 60 * DAY + 1);
    cr_assert_eq(inferred_next_change(&k, p, s + 60 * DAY + 1),
                 s + 90 * DAY + 1);
    inferred_clock_free(&k);

    /* no expiry (0): nothing after churned */
    clock_of(&k, 0, NULL, NULL);
    cr_assert_eq(inferred_next_change(&k, p, after), INT64_MAX);
    inferred_clock_free(&k);
    profile_free(p);
}


static const char  every_kind_rules[] =
    "segment recent = last_seen within 2d;\n"
    "segment newbie = first_seen within 36h;\n"
    "segment bought = last_order within 5d;\n"
    "segment x3 = count(event = \"X\", 3d) >= 1;\n"
    "segment x_week = count(event = \"X\", 1w) >= 2;\n"
    "segment busy = count(12h) >= 3;\n"
    "segment spent = sum(revenue, 2d) > 0;\n"
    "segment carts = abandoned_carts >= 1;\n"
    "segment lapsing = lifecycle = \"lapsing\";\n";


Test(inferred, a_profile_without_events_never_changes)
{
    spoor_rules_t    *r = parse(every_kind_rules);
    uint32_t         *keys = keys_of(r);
    inferred_clock_t  k;
    profile_t        *p = profile_new();

    cr_assert_not_null(p);
    clock_of(&k, 30 * DAY, r, keys);
    p->first_seen = INT64_MIN;
    p->last_seen = INT64_MIN;
    cr_assert_eq(inferred_next_change(&k, p, T0), INT64_MAX);
    cr_assert_eq(inferred_next_change(&k, p, INT64_MIN), INT64_MAX);
    inferred_clock_free(&k);
    free(keys);
    spoor_rules_free(r);
    profile_free(p);
}


/* A profile of imported traits only is what profile_new() makes: first
 * seen INT64_MAX, last seen INT64_MIN (state.c keeps such profiles, and
 * the follower asks each profile of the state for its deadline). */
Test(inferred, a_profile_of_imported_traits_only_never_changes)
{
    spoor_rules_t    *r = parse(every_kind_rules);
    uint32_t         *keys = keys_of(r);
    inferred_clock_t  k;
    profile_t        *p = profile_new();
    int64_t           t;

    cr_assert_not_null(p);
    cr_assert_eq(profile_import_trait(p, &strings, "plan", 4,
                                      (const unsigned char *) "\xa3pro", 4,
                                      T0), SPOOR_OK);
    cr_assert_eq(p->events, 0);
    clock_of(&k, 30 * DAY, r, keys);
    t = inferred_next_change(&k, p, T0);
    cr_assert_eq(t, INT64_MAX, "%lld", (long long) t);
    cr_assert(seen_eq(seen_at(p, T0, r, keys),
                      seen_at(p, T0 + 400 * DAY, r, keys)));
    inferred_clock_free(&k);
    free(keys);
    spoor_rules_free(r);
    profile_free(p);
}


/* ---- never later than a real change: random profiles ---------------------- */

static uint64_t  rng_state;

static uint64_t
rnd(uint64_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (rng_state * 0x2545F4914F6CDD1DULL) % n;
}


/*
 * Every change time alone makes is some event's time, or the start of its
 * day, plus one of the durations in play (0, the lifecycle stages, the
 * cart window, the expiry, the rules' `within`s and windows), plus 0 or
 * 1: the answer is checked at every such candidate, not only at the
 * thresholds inferred_next_change itself knows of.
 */
static void
check_no_change_before(const profile_t *p, const spoor_rules_t *r,
    const uint32_t *keys, int64_t expire, const int64_t *ev_times,
    size_t nev, int64_t after, int64_t next, const char *what)
{
    static const int64_t  durs[] = {
        0, 7 * DAY, 30 * DAY, 90 * DAY, 3600000LL,
        2 * DAY, 36 * HOUR, 5 * DAY, 3 * DAY, 7 * DAY, 12 * HOUR
    };
    seen_t                s0 = seen_at(p, after, r, keys), s;
    size_t                i, j, b, d;
    int64_t               c, base[2];

    for (i = 0; i < nev; i++) {
        base[0] = ev_times[i];
        base[1] = ev_times[i] / DAY * DAY;
        for (b = 0; b < 2; b++) {
            for (j = 0; j <= sizeof(durs) / sizeof(durs[0]); j++) {
                for (d = 0; d < 2; d++) {
                    c = base[b] + (int64_t) d
                        + (j < sizeof(durs) / sizeof(durs[0]) ? durs[j]
                                                              : expire);
                    if (c <= after || c >= next) {
                        continue;
                    }
                    s = seen_at(p, c, r, keys);
                    cr_assert(seen_eq(s, s0), "%s: changed at %lld (%s %lld "
                              "segs %#x), before the next change %lld after "
                              "%lld (%s %lld segs %#x)", what, (long long) c,
                              s.life, (long long) s.abandoned, s.segs,
                              (long long) next, (long long) after, s0.life,
                              (long long) s0.abandoned, s0.segs);
                    if (expire) {
                        cr_assert_eq(p->last_seen < c - expire,
                                     p->last_seen < after - expire,
                                     "%s: expired at %lld, before %lld",
                                     what, (long long) c, (long long) next);
                    }
                }
            }
        }
    }
    if (next != INT64_MAX) {
        s = seen_at(p, next - 1, r, keys);
        cr_assert(seen_eq(s, s0), "%s: changed by %lld, before %lld", what,
                  (long long) (next - 1), (long long) next);
    }
}


Test(inferred, the_next_change_is_never_later_than_a_real_one)
{
    static const char  *names[] = {
        NULL, "X", "X", "Y", "Product Added", "Order Completed"
    };
    spoor_rules_t      *r = parse(every_kind_rules);
    uint32_t           *keys = keys_of(r);
    inferred_clock_t    k;
    int64_t             ev_times[16], after, next, expire;
    size_t              nev, i, steps = 0, exact = 0;
    int                 n;
    char                what[64];

    rng_state = 0x2545F4914F6CDD1DULL;
    for (n = 0; n < 40; n++) {
        profile_t  *p = profile_new();
        static const int64_t  spans[] = { 12 * HOUR, 2 * DAY, 5 * DAY,
                                          20 * DAY };
        int64_t     span = spans[rnd(4)];

        cr_assert_not_null(p);
        expire = n % 3 == 0 ? 0 : (int64_t) (20 + rnd(200)) * DAY;
        clock_of(&k, expire, r, keys);
        nev = 1 + rnd(12);
        for (i = 0; i < nev; i++) {
            ev_times[i] = T0 + (int64_t) rnd((uint64_t) span);
            fold(p, names[rnd(6)], ev_times[i], r, keys);
        }
        /* now: at or after the events (a follower's clock), up to long
         * after them */
        after = p->last_seen + (int64_t) (rnd(3) == 0 ? rnd(HOUR)
                                          : rnd(100 * DAY));
        for (i = 0; i < 40; i++) {
            next = inferred_next_change(&k, p, after);
            cr_assert_gt(next, after);
            snprintf(what, sizeof(what), "profile %d step %zu", n, i);
            check_no_change_before(p, r, keys, expire, ev_times, nev, after,
                                   next, what);
            if (next == INT64_MAX) {
                break;
            }
            steps++;
            exact += !seen_eq(seen_at(p, next - 1, r, keys),
                              seen_at(p, next, r, keys))
                     || (expire && p->last_seen == next - 1 - expire);
            after = next;
        }
        cr_assert_eq(next, INT64_MAX, "profile %d: still changing after 40 "
                     "steps", n);
        inferred_clock_free(&k);
        profile_free(p);
    }
    /* the run met real changes, most of them exactly at the deadline */
    cr_assert_gt(steps, 100, "%zu steps", steps);
    cr_assert_gt(exact * 2, steps, "%zu of %zu deadlines changed anything",
                 exact, steps);
    free(keys);
    spoor_rules_free(r);
}


/* An event stamped ahead of the clock (a server SDK's explicit timestamp,
 * docs/FORMAT.md `t`) makes a day bucket after today's: the aggregate
 * takes it in when its day begins, which time alone does. */
Test(inferred, a_day_bucket_ahead_of_now_enters_its_window)
{
    spoor_rules_t    *r = parse("segment x3 = count(event = \"X\", 3d) >= 1;\n");
    uint32_t         *keys = keys_of(r);
    inferred_clock_t  k;
    profile_t        *p = profile_new();
    int64_t           now = T0 + 9 * DAY, day_start = T0 + 10 * DAY, t;

    cr_assert_not_null(p);
    clock_of(&k, 0, r, keys);
    fold(p, NULL, now - HOUR, r, keys);
    fold(p, "X", day_start + 5 * HOUR, r, keys);
    cr_assert_eq(seen_at(p, day_start - 1, r, keys).segs, 0);
    cr_assert_eq(seen_at(p, day_start, r, keys).segs, 1,
                 "the bucket enters the window at its day's start");
    t = inferred_next_change(&k, p, now);
    cr_assert_leq(t, day_start, "next change %lld, after the real one at "
                  "%lld", (long long) t, (long long) day_start);
    inferred_clock_free(&k);
    free(keys);
    spoor_rules_free(r);
    profile_free(p);
}


static int
cmp_d(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


/* The cut points are the values a sort puts at 20, 40, 60 and 80 %
 * (selected, not sorted: the same values), on many sizes and shapes:
 * random, few distinct values, sorted, reversed, all equal, negative
 * recencies in ms (as inferred_rfm_value makes them, -0 among them),
 * revenues of every magnitude, and values that share a bucket of the
 * first pass (close together); the values are left as they were. */
Test(inferred, cuts_are_the_sorted_order_statistics)
{
    static double  v[20000], w[20000], keep[20000];
    double         c[4];
    size_t         n, i, k, at;
    unsigned       seed = 12345, shape;

    for (shape = 0; shape < 8; shape++) {
        for (n = 1; n <= 20000; n = n * 3 + 1) {
            for (i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                v[i] = shape == 0 ? (double) (seed >> 8)
                     : shape == 1 ? (double) ((seed >> 8) % 7)
                     : shape == 2 ? (double) i
                     : shape == 3 ? (double) (n - i)
                     : shape == 4 ? 42.0
                     : shape == 5 ? -(double) ((seed >> 8) % 5 * 86400000LL)
                     : shape == 6 ? (double) ((seed >> 8) % 100000) / 100.0
                                    * ((seed >> 4) % 4 == 0 ? 1e6 : 1.0)
                     : 1e9 + (double) ((seed >> 8) % 1000) / 1024.0;
            }
            memcpy(w, v, n * sizeof(double));
            memcpy(keep, v, n * sizeof(double));
            qsort(w, n, sizeof(double), cmp_d);
            cr_assert_eq(inferred_cuts(v, n, c), SPOOR_OK);
            for (k = 0; k < 4; k++) {
                at = (n * (k + 1)) / 5 < n ? (n * (k + 1)) / 5 : n - 1;
                cr_assert_eq(c[k], w[at], "shape %u n %zu cut %zu", shape, n,
                             k);
            }
            cr_assert_eq(memcmp(v, keep, n * sizeof(double)), 0,
                         "shape %u n %zu: the values moved", shape, n);
        }
    }
}
