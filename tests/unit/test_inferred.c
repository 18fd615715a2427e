/*
 * test_inferred.c -- the inferred module (analyzer/inferred.c): RFM cut
 * points and scores, lifecycle boundaries, and the inferred fields of a
 * profile record with the rules decided once each.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "error.h"
#include "inferred.h"
#include "profile.h"
#include "rules.h"
#include "stored.h"

#define DAY  86400000LL


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
    double            scratch[3];
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

    inferred_rfm_cuts(&c, (const profile_t *const *) p, 3, scratch);
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
    double             scratch[1];

    cr_assert_not_null(p);
    cr_assert_eq(spoor_rules_parse(text, strlen(text), "test", &rules, err,
                                   sizeof(err)), SPOOR_OK, "%s", err);
    p->first_seen = p->last_seen = now - DAY;
    p->orders = 2;
    p->last_order = now - DAY;
    c.rules = rules;
    inferred_rfm_cuts(&c, (const profile_t *const *) &p, 1, scratch);

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
