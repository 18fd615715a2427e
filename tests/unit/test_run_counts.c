/*
 * test_run_counts.c -- the run's counters (run_counts.h), called directly:
 * a random stream of events, drawn from small pools so that the memo
 * mostly remembers, over several days, with values past the memo's
 * limits, names cut at AGG_NAME_MAX or holding a NUL, withdrawals,
 * referrers and campaigns, is counted exactly as a plain recount of each
 * event's keys (the oracle below, which is what the counters counted
 * before the memo): after each flush, after growth of the table, and
 * through a merge of two sets.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregates.h"
#include "error.h"
#include "profile.h"
#include "run_counts.h"

/* ---- a plain list of counters: the oracle and what a flush gives ----------- */

typedef struct {
    char      *key;
    size_t     len;
    uint64_t   n;
} kv_t;

typedef struct {
    kv_t      *v;
    size_t     n, cap;
} kvs_t;


static int
kvs_add(void *arg, const char *key, size_t len, uint64_t n)
{
    kvs_t   *l = arg;
    size_t   i;

    for (i = 0; i < l->n; i++) {
        if (l->v[i].len == len && memcmp(l->v[i].key, key, len) == 0) {
            l->v[i].n += n;
            return SPOOR_OK;
        }
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        cr_assert_not_null(l->v);
    }
    l->v[l->n].key = malloc(len ? len : 1);
    cr_assert_not_null(l->v[l->n].key);
    memcpy(l->v[l->n].key, key, len);
    l->v[l->n].len = len;
    l->v[l->n].n = n;
    l->n++;
    return SPOOR_OK;
}


static void
kvs_free(kvs_t *l)
{
    size_t  i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].key);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}


/* Every counter of a with a count has the same count in b, and the other
 * way round. */
static void
kvs_same(const kvs_t *a, const kvs_t *b, const char *when)
{
    size_t  i, j, na = 0, nb = 0;

    for (i = 0; i < a->n; i++) {
        if (a->v[i].n == 0) {
            continue;
        }
        na++;
        for (j = 0; j < b->n; j++) {
            if (b->v[j].len == a->v[i].len
                && memcmp(b->v[j].key, a->v[i].key, a->v[i].len) == 0)
            {
                break;
            }
        }
        cr_assert_lt(j, b->n, "%s: %.*s missing", when, (int) a->v[i].len,
                     a->v[i].key);
        cr_assert_eq(b->v[j].n, a->v[i].n, "%s: %.*s: %lu, not %lu", when,
                     (int) a->v[i].len, a->v[i].key,
                     (unsigned long) b->v[j].n, (unsigned long) a->v[i].n);
    }
    for (j = 0; j < b->n; j++) {
        nb += b->v[j].n != 0;
    }
    cr_assert_eq(na, nb, "%s: %zu counters, not %zu", when, nb, na);
}


/* One counter of class prefix pre and value v, cut as the counters cut
 * a value (nothing for an absent or empty one). */
static void
oracle_value(kvs_t *l, const char *pre, const spoor_str_t *v)
{
    char    key[AGG_KEY_MAX + 16];
    size_t  n, p = strlen(pre);

    if (v->data == NULL || v->len == 0) {
        return;
    }
    n = agg_cut(v->data, v->len, AGG_NAME_MAX);
    if (n == 0) {
        return;
    }
    memcpy(key, pre, p);
    memcpy(key + p, v->data, n);
    kvs_add(l, key, p + n, 1);
}


/* What one event counts, key by key. */
static void
oracle_event(kvs_t *l, agg_scratch_t *s, const spoor_event_t *ev)
{
    static const spoor_str_t  withdrawal = { "consent_withdrawal", 18 };
    agg_key_t                 k[AGG_EVENT_KEYS];
    const char               *browser = NULL, *device = NULL;
    size_t                    n, i;

    if (ev->kind == SPOOR_KIND_CONSENT_WITHDRAWAL) {
        oracle_value(l, "kind:", &withdrawal);
        return;
    }
    oracle_value(l, "kind:", &ev->kind_name);
    if (ev->user_agent.data) {
        profile_ua_classify(&ev->user_agent, &browser, &device);
    }
    n = agg_event_keys(s, ev, browser, device, k);
    for (i = 0; i < n; i++) {
        kvs_add(l, k[i].key, k[i].len, 1);
    }
    if (ev->consent.present) {
        oracle_value(l, "action:", &ev->consent.action);
        oracle_value(l, "signal:", &ev->consent.signal);
    }
    if (ev->has_geo) {
        oracle_value(l, "country:", &ev->geo.country);
    }
}


/* ---- random events ------------------------------------------------------------ */

static uint64_t
rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

#define PICK(x, arr)  (arr[rnd(x) % (sizeof(arr) / sizeof(arr[0]))])

static char long_name[3][200];     /* differ only past AGG_NAME_MAX */
#define MANY  3000
static char many_names[MANY][8];
static char long_url[300];

static spoor_str_t
str(const char *s)
{
    spoor_str_t  v;

    v.data = s;
    v.len = s ? strlen(s) : 0;
    return v;
}


static void
random_event(uint64_t *x, spoor_event_t *ev)
{
    static const char  *kinds[] = { "page", "track", "identify", "screen",
                                    "custom_kind" };
    static const char  *names[] = { NULL, "Home", "Product Viewed",
                                    "Order Completed", "", "Help" };
    /* "ab" + "c" and "a" + "bc": only the lengths tell them apart */
    static const char  *signals[] = { "tcf", "onetrust", "gpc", "", NULL,
                                      "a-signal-name-longer-than-forty-bytes-"
                                      "for-the-memo", "ab", "a" };
    static const char  *actions[] = { "full", "anonymous", "cookieless",
                                      "unit\x1fsep", "c", "bc" };
    static const char  *countries[] = { "US", "DE", "FR", "", NULL };
    static const char  *urls[] = { "https://shop.example/",
                                   "https://shop.example/help?x=1",
                                   "https://shop.example/c/shoes#top",
                                   "/relative", "" };
    static const char  *refs[] = { NULL, NULL, "https://www.bing.com/s",
                                   "https://shop.example/other",
                                   "https://news.example/a/very/long/path/"
                                   "that/with/the/page/url/does/not/fit/"
                                   "in/one/memo/line/of/the/counters/at/"
                                   "all/because/it/is/long" };
    static const char  *agents[] = {
        NULL,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 "
        "Safari/604.1",
        "curl/8.0",
        /* Chrome again, on a phone and a tablet: the device alone differs */
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/120.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/120.0 Mobile/15E148 Safari/604.1"
    };
    static const int64_t  day0 = 1767225600000LL;      /* 2026-01-01 */
    const char           *k;
    uint64_t              r;

    spoor_event_init(ev);
    r = rnd(x) % 100;
    ev->received_ms = day0 + (int64_t) (rnd(x) % 4) * 86400000LL
                      + (int64_t) (rnd(x) % 86400000);
    if (r == 0) {
        ev->kind = SPOOR_KIND_CONSENT_WITHDRAWAL;
        ev->kind_name = str("consent_withdrawal");
        return;
    }
    k = PICK(x, kinds);
    ev->kind_name = str(k);
    ev->kind = spoor_kind_from_name(k, strlen(k));
    if (r < 5) {
        ev->name.data = long_name[rnd(x) % 3];
        ev->name.len = 150;
    } else if (r < 7) {
        ev->name.data = "Nul\0After";
        ev->name.len = 9;
    } else if (r < 40) {
        /* many names, each on several days: lines are shared */
        ev->name.data = many_names[rnd(x) % MANY];
        ev->name.len = strlen(ev->name.data);
    } else {
        ev->name = str(PICK(x, names));
    }
    if (rnd(x) % 4) {
        ev->consent.present = 1;
        ev->consent.signal = str(PICK(x, signals));
        ev->consent.action = str(PICK(x, actions));
    }
    ev->geo.country = str(PICK(x, countries));
    ev->has_geo = rnd(x) % 3 != 0;  /* a country without has_geo: none */
    if (r < 10) {
        ev->url.data = long_url;
        ev->url.len = strlen(long_url);
    } else if (r < 15) {
        char  *u = malloc(32);          /* many distinct pages: growth */

        cr_assert_not_null(u);
        snprintf(u, 32, "https://shop.example/p/%u",
                 (unsigned) (rnd(x) % 5000));
        ev->url = str(u);
    } else {
        ev->url = str(PICK(x, urls));
    }
    ev->referrer = str(PICK(x, refs));
    if (rnd(x) % 8 == 0) {
        ev->campaign.source = str(rnd(x) % 3 ? "newsletter" : NULL);
        ev->campaign.medium = str(rnd(x) % 2 ? "email" : NULL);
        ev->campaign.name = str(rnd(x) % 2 ? "shoes" : "");
    }
    ev->user_agent = str(PICK(x, agents));
}


/* The distinct pages above are malloc'd: freed after the event. */
static void
event_done(spoor_event_t *ev)
{
    if (ev->url.data && strncmp(ev->url.data, "https://shop.example/p/", 23)
                        == 0)
    {
        free((char *) ev->url.data);
    }
}


static void
fill_long_values(void)
{
    int  i;

    for (i = 0; i < 3; i++) {
        memset(long_name[i], 'n', sizeof(long_name[i]) - 1);
        long_name[i][100] = (char) ('a' + i);    /* past the cut */
    }
    for (i = 0; i < MANY; i++) {
        snprintf(many_names[i], sizeof(many_names[i]), "n%d", i);
    }
    memcpy(long_url, "https://shop.example/", 21);
    memset(long_url + 21, 'u', sizeof(long_url) - 22);
}


Test(run_counts, memoized_counts_equal_a_recount_of_every_event)
{
    run_counts_t   *c;
    agg_scratch_t   s;
    spoor_event_t   ev;
    kvs_t           want = { 0 }, got = { 0 };
    uint64_t        x = 0x9e3779b97f4a7c15ULL;
    int             i, round;

    fill_long_values();
    c = run_counts_new();
    cr_assert_not_null(c);
    agg_scratch_init(&s);
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 20000; i++) {
            random_event(&x, &ev);
            run_counts_event(c, &ev);
            oracle_event(&want, &s, &ev);
            if (i % 7 == 0 && ev.kind != SPOOR_KIND_CONSENT_WITHDRAWAL) {
                run_counts_category(c, &ev.geo.country);
                oracle_value(&want, "category:", &ev.geo.country);
            }
            event_done(&ev);
        }
        /* a flush hands over what was counted since the last one */
        cr_assert_eq(run_counts_flush(c, kvs_add, &got), SPOOR_OK);
        kvs_same(&want, &got, round == 0 ? "first flush" : "later flush");
        kvs_free(&got);
        cr_assert_eq(run_counts_flush(c, kvs_add, &got), SPOOR_OK);
        cr_assert_eq(got.n, 0, "a second flush adds nothing");
        kvs_free(&got);
        kvs_free(&want);
    }
    run_counts_free(c);
}


Test(run_counts, a_merge_adds_one_threads_counts_to_the_other)
{
    run_counts_t   *a, *b;
    agg_scratch_t   s;
    spoor_event_t   ev;
    kvs_t           want = { 0 }, got = { 0 };
    uint64_t        x = 77;
    int             i;

    fill_long_values();
    a = run_counts_new();
    b = run_counts_new();
    cr_assert(a != NULL && b != NULL);
    agg_scratch_init(&s);
    for (i = 0; i < 10000; i++) {
        random_event(&x, &ev);
        run_counts_event(i % 3 ? a : b, &ev);
        oracle_event(&want, &s, &ev);
        event_done(&ev);
    }
    cr_assert_eq(run_counts_merge(a, b), SPOOR_OK);
    /* a keeps counting after the merge grew its table */
    for (i = 0; i < 5000; i++) {
        random_event(&x, &ev);
        run_counts_event(a, &ev);
        oracle_event(&want, &s, &ev);
        event_done(&ev);
    }
    cr_assert_eq(run_counts_flush(a, kvs_add, &got), SPOOR_OK);
    kvs_same(&want, &got, "merged");
    kvs_free(&got);
    kvs_free(&want);
    run_counts_free(a);
    run_counts_free(b);
}
