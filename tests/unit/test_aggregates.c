/*
 * test_aggregates.c -- the bounded event aggregates (aggregates.h): the
 * keys of an event, names cut at a character boundary, and the bounds a
 * commit applies (the day window, each day's names, the top lists and
 * their error), called directly on a state.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "spoor_run.h"
#include "state_run.h"
#include "aggregates.h"

static void setup(void) { spoor_run_setup("/tmp/spoor-agg-XXXXXX"); }
static void teardown(void) { spoor_run_teardown(); }

TestSuite(aggregates, .init = setup, .fini = teardown);

#define S(lit)  ((spoor_str_t) { lit, sizeof(lit) - 1 })

/* Whether out[0 .. n) holds key. */
static int
has(const agg_key_t *out, size_t n, const char *key)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (out[i].len == strlen(key) && memcmp(out[i].key, key, out[i].len)
                                         == 0)
        {
            return 1;
        }
    }
    return 0;
}


Test(aggregates, a_page_view_gives_its_day_name_consent_page_referrer_and_campaign)
{
    agg_scratch_t   s;
    agg_key_t       k[AGG_EVENT_KEYS];
    spoor_event_t   ev;
    size_t          n;

    spoor_event_init(&ev);
    ev.received_ms = 1767225600323LL;           /* 2026-01-01T00:00:00.323Z */
    ev.kind = SPOOR_KIND_PAGE;
    ev.kind_name = S("page");
    ev.name = S("Home");
    ev.url = S("https://shop.example/c/shoes?utm_source=x#top");
    ev.referrer = S("https://user:pw@www.google.com:443/search?q=a");
    ev.campaign.source = S("newsletter");
    ev.campaign.name = S("shoes");
    ev.consent.present = 1;
    ev.consent.signal = S("tcf");
    ev.consent.action = S("full");
    ev.has_geo = 1;
    ev.geo.country = S("ES");
    agg_scratch_init(&s);
    n = agg_event_keys(&s, &ev, "Chrome", "mobile", k);
    cr_expect_eq(n, 8);
    cr_expect(has(k, n, "dk:2026-01-01:page"));
    cr_expect(has(k, n, "dn:2026-01-01:Home"));
    cr_expect(has(k, n, "dc:2026-01-01:tcf\x1f" "full\x1f" "ES"));
    cr_expect(has(k, n, "tp:/c/shoes"));
    cr_expect(has(k, n, "tr:www.google.com"));
    cr_expect(has(k, n, "tc:newsletter /  / shoes"));
    cr_expect(has(k, n, "tb:Chrome"));
    cr_expect(has(k, n, "td:mobile"));

    /* from the same site: no referral; a track event: no page lists */
    ev.referrer = S("https://shop.example/");
    n = agg_event_keys(&s, &ev, NULL, NULL, k);
    cr_expect(!has(k, n, "tr:shop.example"));
    ev.kind = SPOOR_KIND_TRACK;
    ev.kind_name = S("track");
    ev.received_ms += 86400000LL;               /* the next day */
    ev.consent.present = 0;
    n = agg_event_keys(&s, &ev, NULL, NULL, k);
    cr_expect_eq(n, 2);
    cr_expect(has(k, n, "dk:2026-01-02:track"));
    cr_expect(has(k, n, "dn:2026-01-02:Home"));
}


Test(aggregates, names_are_cut_at_a_character_boundary)
{
    char  s[80];

    /* 63 ASCII bytes, then a 2-byte character across byte 64 */
    memset(s, 'a', 63);
    memcpy(s + 63, "\xc3\xa9zz", 4);
    cr_expect_eq(agg_cut(s, 67, 64), 63);
    cr_expect_eq(agg_cut(s, 65, 65), 65);
    cr_expect_eq(agg_cut(s, 10, 64), 10);
    cr_expect_eq(agg_cut("ab\0cd", 5, 64), 2);     /* keys are C strings */
}


/* Enters counter key with n into st. */
static void
put(state_t *st, const char *key, uint64_t n)
{
    cr_assert_eq(state_count(st, key, strlen(key), n), SPOOR_OK);
}


static uint64_t
get(state_t *st, const char *key)
{
    size_t  i;

    for (i = 0; i < st->ncounters; i++) {
        if (strcmp(st->counters[i].key, key) == 0) {
            return st->counters[i].n;
        }
    }
    return UINT64_MAX;                          /* absent */
}


Test(aggregates, days_before_the_window_go_and_lists_keep_their_best)
{
    state_t  st;
    char     key[64];
    int      i;

    state_run_open(&st, "s");
    st.as_of = 1769817600000LL;                 /* 2026-01-31T00:00:00Z */
    put(&st, "dk:2025-12-31:page", 5);          /* 31 days before: out */
    put(&st, "dk:2026-01-01:page", 7);          /* the window's first */
    put(&st, "dc:2025-12-01:tcf\x1f" "full\x1f" "DE", 1);
    put(&st, "kind:page", 12);                  /* ever: kept */
    for (i = 0; i < AGG_TOP_KEEP + 10; i++) {
        snprintf(key, sizeof(key), "tp:/p%05d", i);
        put(&st, key, (uint64_t) (i < 5 ? 1000 + i : 1 + i % 7));
    }
    cr_assert_eq(aggregates_bound(&st), SPOOR_OK);
    cr_expect_eq(get(&st, "dk:2025-12-31:page"), UINT64_MAX);
    cr_expect_eq(get(&st, "dk:2026-01-01:page"), 7);
    cr_expect_eq(get(&st, "dc:2025-12-01:tcf\x1f" "full\x1f" "DE"),
                 UINT64_MAX);
    cr_expect_eq(get(&st, "kind:page"), 12);
    /* the five largest stay; 1,000 kept in all; the error is the
     * largest count dropped (the smallest ten go: 1 each) */
    cr_expect_eq(get(&st, "tp:/p00004"), 1004);
    cr_expect_eq(get(&st, "te:tp"), 1);
    {
        size_t  n = 0, j;

        for (j = 0; j < st.ncounters; j++) {
            n += strncmp(st.counters[j].key, "tp:", 3) == 0;
        }
        cr_expect_eq(n, AGG_TOP_KEEP);
    }
    /* under the bounds nothing changes, the error neither */
    cr_assert_eq(aggregates_bound(&st), SPOOR_OK);
    cr_expect_eq(get(&st, "te:tp"), 1);
    state_close(&st);
}


Test(aggregates, stats_says_why_it_cannot_read_a_state)
{
    run_t  r = run("$S stats --state $D/none 2>&1");

    cr_expect_eq(r.status, 3, "%s", r.out);
    cr_expect(strstr(r.out, "spoor stats: ") != NULL, "%s", r.out);
    free(r.out);
    r = run("$S stats 2>&1");
    cr_expect_eq(r.status, 2, "%s", r.out);
    free(r.out);
}


Test(aggregates, a_day_keeps_its_most_frequent_names_and_consent_outcomes)
{
    state_t  st;
    char     key[64];
    int      i;

    state_run_open(&st, "s");
    st.as_of = 1767225600000LL;                 /* 2026-01-01 */
    for (i = 0; i < AGG_DAY_NAMES + 3; i++) {
        snprintf(key, sizeof(key), "dn:2026-01-01:e%04d", i);
        put(&st, key, (uint64_t) (i + 1));
    }
    put(&st, "dn:2026-01-01~", 1);              /* (not a day key) */
    for (i = 0; i < AGG_DAY_NAMES + 1; i++) {
        snprintf(key, sizeof(key), "dc:2026-01-01:tcf\x1f" "full\x1f" "%03d",
                 i);
        put(&st, key, (uint64_t) (i + 1));
    }
    cr_assert_eq(aggregates_bound(&st), SPOOR_OK);
    cr_expect_eq(get(&st, "dc:2026-01-01:tcf\x1f" "full\x1f" "000"),
                 UINT64_MAX);
    cr_expect_eq(get(&st, "dc:2026-01-01:tcf\x1f" "full\x1f" "001"), 2);
    cr_expect_eq(get(&st, "dn:2026-01-01:e0000"), UINT64_MAX);
    cr_expect_eq(get(&st, "dn:2026-01-01:e0002"), UINT64_MAX);
    cr_expect_eq(get(&st, "dn:2026-01-01:e0003"), 4);
    cr_expect_eq(get(&st, "dn:2026-01-01:e0202"), 203);
    state_close(&st);
}
