/*
 * test_rules.c -- the segment rules language (analyzer/rules.h): the
 * shipped and documented examples, precedence, within, absent fields and
 * types, every error message with its position, the limits, aggregate
 * deduplication, the hash, and loading conf/segments.rules.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "error.h"
#include "rules.h"

#define SEC     1000LL
#define MIN     (60 * SEC)
#define HOUR    (60 * MIN)
#define DAY     (24 * HOUR)
#define NOW     (1700000000LL * SEC)

/* ---- a fake profile ----------------------------------------------------- */

typedef struct {
    const char          *name;
    spoor_rule_value_t   v;
} fake_field_t;

typedef struct {
    spoor_agg_kind_t   kind;
    const char        *event;       /* NULL: any */
    int64_t            window_ms;
    double             value;
} fake_agg_t;

typedef struct {
    const spoor_rules_t  *r;
    const fake_field_t   *fields;
    size_t                nfields;
    const fake_agg_t     *aggs;
    size_t                naggs;
    int                   field_calls;
    int                   agg_calls;
} fake_t;

#define NUM(x)     { SPOOR_RV_NUMBER, (x), 0, NULL, 0 }
#define BOOLV(x)   { SPOOR_RV_BOOL, (x), 0, NULL, 0 }
#define TIME(x)    { SPOOR_RV_TIME, 0, (x), NULL, 0 }
#define STR(s)     { SPOOR_RV_STRING, 0, 0, (s), sizeof(s) - 1 }
#define NELEM(a)   (sizeof(a) / sizeof((a)[0]))


static void
fake_field(void *ctx, const char *name, size_t len, spoor_rule_value_t *out)
{
    fake_t  *f = ctx;
    size_t   i;

    f->field_calls++;
    cr_assert_eq(out->type, SPOOR_RV_ABSENT, "field %.*s: not ABSENT on entry",
                 (int) len, name);
    cr_assert_eq(name[len], '\0');
    for (i = 0; i < f->nfields; i++) {
        if (strlen(f->fields[i].name) == len
            && memcmp(f->fields[i].name, name, len) == 0)
        {
            *out = f->fields[i].v;
            return;
        }
    }
}


/* The value of the table row with aggregate i's kind, event and window,
 * 0 when there is none (as for a profile without such events). */
static double
fake_agg(void *ctx, size_t i)
{
    fake_t                  *f = ctx;
    const spoor_rule_agg_t  *a = spoor_rules_agg(f->r, i);
    size_t                   k;

    f->agg_calls++;
    cr_assert_not_null(a, "aggregate %zu out of range", i);
    for (k = 0; k < f->naggs; k++) {
        const fake_agg_t  *t = &f->aggs[k];

        if (t->kind == a->kind && t->window_ms == a->window_ms
            && (t->event == NULL) == (a->event == NULL)
            && (t->event == NULL
                || (strlen(t->event) == a->event_len
                    && memcmp(t->event, a->event, a->event_len) == 0)))
        {
            return t->value;
        }
    }
    return 0;
}


static spoor_rule_env_t
env_of(fake_t *f)
{
    spoor_rule_env_t  e;

    e.ctx = f;
    e.now_ms = NOW;
    e.field = fake_field;
    e.agg = fake_agg;
    return e;
}


/* Membership of profile (fields, aggs) in the segment called name. */
static int
member(const spoor_rules_t *r, const char *name, const fake_field_t *fields,
    size_t nfields, const fake_agg_t *aggs, size_t naggs)
{
    fake_t            f = { r, fields, nfields, aggs, naggs, 0, 0 };
    spoor_rule_env_t  e = env_of(&f);
    long              i = spoor_rules_find(r, name, strlen(name));

    cr_assert_geq(i, 0, "no segment %s", name);
    return spoor_rules_eval(r, (size_t) i, &e);
}

/* ---- parsing helpers ---------------------------------------------------- */

static spoor_rules_t *
parse_ok(const char *text)
{
    spoor_rules_t  *r = NULL;
    char            err[256];
    int             rc;

    rc = spoor_rules_parse(text, strlen(text), "t.rules", &r, err,
                           sizeof(err));
    cr_assert_eq(rc, SPOOR_OK, "[%s]: %d %s", text, rc, err);
    cr_assert_not_null(r);
    cr_assert_str_empty(err);
    return r;
}


static void
parse_err(const char *text, size_t len, const char *want)
{
    spoor_rules_t  *r = (spoor_rules_t *) 1;
    char            err[256];
    int             rc;

    rc = spoor_rules_parse(text, len, "t.rules", &r, err, sizeof(err));
    cr_assert_eq(rc, SPOOR_E_FORMAT, "[%.60s]: rc %d", text, rc);
    cr_assert_null(r);
    cr_assert_str_eq(err, want, "[%.60s]", text);
}

#define ERR(text, want)  parse_err(text, strlen(text), want)

/* One-segment rules "segment s = EXPR;" evaluated against fields. */
static int
eval1(const char *expr, const fake_field_t *fields, size_t nfields)
{
    char            text[4096];
    spoor_rules_t  *r;
    int             m;

    snprintf(text, sizeof(text), "segment s = %s;", expr);
    r = parse_ok(text);
    m = member(r, "s", fields, nfields, NULL, 0);
    spoor_rules_free(r);
    return m;
}

/* ---- the examples ------------------------------------------------------- */

static const char  example[] =
    "# comment to end of line\n"
    "segment frequent_buyers = count(event = \"Order Completed\", 30d) >= 3;\n"
    "segment high_value      = sum(revenue, 90d) >= 500 or orders >= 10;\n"
    "segment abandoned_cart  = abandoned_carts >= 1 and not "
        "count(event = \"Order Completed\", 1d) > 0;\n"
    "segment new_visitors    = first_seen within 7d and sessions <= 2;\n"
    "segment germans         = country = \"DE\";\n";


Test(rules, example_parses_into_five_segments_three_aggregates)
{
    spoor_rules_t           *r = parse_ok(example);
    const spoor_rule_agg_t  *a;

    cr_assert_eq(spoor_rules_count(r), 5);
    cr_assert_str_eq(spoor_rules_name(r, 0), "frequent_buyers");
    cr_assert_str_eq(spoor_rules_name(r, 1), "high_value");
    cr_assert_str_eq(spoor_rules_name(r, 2), "abandoned_cart");
    cr_assert_str_eq(spoor_rules_name(r, 3), "new_visitors");
    cr_assert_str_eq(spoor_rules_name(r, 4), "germans");
    cr_assert_null(spoor_rules_name(r, 5));
    cr_assert_eq(spoor_rules_find(r, "germans", 7), 4);
    cr_assert_eq(spoor_rules_find(r, "german", 6), -1);

    cr_assert_eq(spoor_rules_naggs(r), 3);
    a = spoor_rules_agg(r, 0);
    cr_assert_eq(a->kind, SPOOR_AGG_COUNT);
    cr_assert_eq(a->event_len, 15);
    cr_assert_str_eq(a->event, "Order Completed");
    cr_assert_eq(a->window_ms, 30 * DAY);
    a = spoor_rules_agg(r, 1);
    cr_assert_eq(a->kind, SPOOR_AGG_SUM_REVENUE);
    cr_assert_null(a->event);
    cr_assert_eq(a->event_len, 0);
    cr_assert_eq(a->window_ms, 90 * DAY);
    a = spoor_rules_agg(r, 2);
    cr_assert_eq(a->kind, SPOOR_AGG_COUNT);
    cr_assert_str_eq(a->event, "Order Completed");
    cr_assert_eq(a->window_ms, 1 * DAY);
    cr_assert_null(spoor_rules_agg(r, 3));
    cr_assert_eq(spoor_rules_max_window(r), 90 * DAY);
    spoor_rules_free(r);
}


Test(rules, example_membership)
{
    spoor_rules_t  *r = parse_ok(example);
    fake_agg_t      three[] = {
        { SPOOR_AGG_COUNT, "Order Completed", 30 * DAY, 3 }
    };
    fake_agg_t      two[] = {
        { SPOOR_AGG_COUNT, "Order Completed", 30 * DAY, 2 },
        /* the same event over another window is another aggregate */
        { SPOOR_AGG_COUNT, "Order Completed", 90 * DAY, 9 }
    };
    fake_agg_t      rich[] = {
        { SPOOR_AGG_SUM_REVENUE, NULL, 90 * DAY, 500 }
    };
    fake_agg_t      poor[] = {
        { SPOOR_AGG_SUM_REVENUE, NULL, 90 * DAY, 499.99 }
    };
    fake_field_t    ten[] = { { "orders", NUM(10) } };
    fake_field_t    nine[] = { { "orders", NUM(9) } };
    fake_field_t    cart[] = { { "abandoned_carts", NUM(1) } };
    fake_agg_t      ordered_today[] = {
        { SPOOR_AGG_COUNT, "Order Completed", 1 * DAY, 1 }
    };
    fake_field_t    fresh[] = {
        { "first_seen", TIME(NOW - 7 * DAY) }, { "sessions", NUM(2) }
    };
    fake_field_t    busy[] = {
        { "first_seen", TIME(NOW - 7 * DAY) }, { "sessions", NUM(3) }
    };
    fake_field_t    old[] = {
        { "first_seen", TIME(NOW - 7 * DAY - 1) }, { "sessions", NUM(1) }
    };
    fake_field_t    de[] = { { "country", STR("DE") } };
    fake_field_t    dk[] = { { "country", STR("DK") } };
    fake_field_t    de_lower[] = { { "country", STR("de") } };

    cr_assert_eq(member(r, "frequent_buyers", NULL, 0, three, 1), 1);
    cr_assert_eq(member(r, "frequent_buyers", NULL, 0, two, 2), 0);
    cr_assert_eq(member(r, "frequent_buyers", NULL, 0, NULL, 0), 0);

    cr_assert_eq(member(r, "high_value", NULL, 0, rich, 1), 1);
    cr_assert_eq(member(r, "high_value", NULL, 0, poor, 1), 0);
    cr_assert_eq(member(r, "high_value", ten, 1, poor, 1), 1);
    cr_assert_eq(member(r, "high_value", nine, 1, poor, 1), 0);

    cr_assert_eq(member(r, "abandoned_cart", cart, 1, NULL, 0), 1);
    cr_assert_eq(member(r, "abandoned_cart", cart, 1, ordered_today, 1), 0);
    cr_assert_eq(member(r, "abandoned_cart", NULL, 0, NULL, 0), 0);

    cr_assert_eq(member(r, "new_visitors", fresh, 2, NULL, 0), 1);
    cr_assert_eq(member(r, "new_visitors", busy, 2, NULL, 0), 0);
    cr_assert_eq(member(r, "new_visitors", old, 2, NULL, 0), 0);

    cr_assert_eq(member(r, "germans", de, 1, NULL, 0), 1);
    cr_assert_eq(member(r, "germans", dk, 1, NULL, 0), 0);
    cr_assert_eq(member(r, "germans", de_lower, 1, NULL, 0), 0);
    cr_assert_eq(member(r, "germans", NULL, 0, NULL, 0), 0);
    spoor_rules_free(r);
}


/* The tests run from the repository root (make test-run runs ./build/...);
 * from elsewhere the file is found next to this source. */
static int
load_shipped(spoor_rules_t **r, char *err, size_t errlen)
{
    char         path[1024];
    const char  *slash;
    int          rc;

    rc = spoor_rules_load("conf/segments.rules", r, err, errlen);
    if (rc != SPOOR_E_IO) {
        return rc;
    }
    slash = strrchr(__FILE__, '/');
    snprintf(path, sizeof(path), "%.*s/../../conf/segments.rules",
             slash ? (int) (slash - __FILE__) : 1, slash ? __FILE__ : ".");
    return spoor_rules_load(path, r, err, errlen);
}


Test(rules, shipped_file_loads_and_decides)
{
    spoor_rules_t           *r = NULL;
    char                     err[256];
    const spoor_rule_agg_t  *a;
    fake_agg_t               buyer[] = {
        { SPOOR_AGG_COUNT, "Order Completed", 30 * DAY, 3 },
        { SPOOR_AGG_COUNT, "Order Completed", 1 * DAY, 1 },
        { SPOOR_AGG_SUM_REVENUE, NULL, 90 * DAY, 620.5 }
    };
    fake_agg_t               browser[] = {
        { SPOOR_AGG_COUNT, "Order Completed", 30 * DAY, 2 },
        { SPOOR_AGG_SUM_REVENUE, NULL, 90 * DAY, 499 }
    };
    fake_field_t             cart[] = {
        { "abandoned_carts", NUM(2) }, { "first_seen", TIME(NOW - 8 * DAY) }
    };
    fake_field_t             fresh[] = {
        { "abandoned_carts", NUM(0) }, { "first_seen", TIME(NOW - 6 * DAY) }
    };

    cr_assert_eq(load_shipped(&r, err, sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_eq(spoor_rules_count(r), 4);
    cr_assert_str_eq(spoor_rules_name(r, 0), "frequent_buyers");
    cr_assert_str_eq(spoor_rules_name(r, 1), "abandoned_carts");
    cr_assert_str_eq(spoor_rules_name(r, 2), "high_value_customers");
    cr_assert_str_eq(spoor_rules_name(r, 3), "new_visitors");

    cr_assert_eq(spoor_rules_naggs(r), 3);
    a = spoor_rules_agg(r, 0);
    cr_assert(a->kind == SPOOR_AGG_COUNT && a->window_ms == 30 * DAY);
    cr_assert_str_eq(a->event, "Order Completed");
    a = spoor_rules_agg(r, 1);
    cr_assert(a->kind == SPOOR_AGG_COUNT && a->window_ms == 1 * DAY);
    cr_assert_str_eq(a->event, "Order Completed");
    a = spoor_rules_agg(r, 2);
    cr_assert(a->kind == SPOOR_AGG_SUM_REVENUE && a->window_ms == 90 * DAY);
    cr_assert_null(a->event);
    cr_assert_eq(spoor_rules_max_window(r), 90 * DAY);

    cr_assert_eq(member(r, "frequent_buyers", cart, 2, buyer, 3), 1);
    cr_assert_eq(member(r, "abandoned_carts", cart, 2, buyer, 3), 0);
    cr_assert_eq(member(r, "high_value_customers", cart, 2, buyer, 3), 1);
    cr_assert_eq(member(r, "new_visitors", cart, 2, buyer, 3), 0);

    cr_assert_eq(member(r, "frequent_buyers", fresh, 2, browser, 2), 0);
    cr_assert_eq(member(r, "abandoned_carts", fresh, 2, browser, 2), 0);
    cr_assert_eq(member(r, "abandoned_carts", cart, 2, browser, 2), 1);
    cr_assert_eq(member(r, "high_value_customers", fresh, 2, browser, 2), 0);
    cr_assert_eq(member(r, "new_visitors", fresh, 2, browser, 2), 1);
    spoor_rules_free(r);
}


Test(rules, shipped_file_hash_is_xxh64_of_its_bytes)
{
    spoor_rules_t  *r = NULL, *r2 = NULL;
    char            err[256], text[65536];
    FILE           *f;
    size_t          n;

    cr_assert_eq(load_shipped(&r, err, sizeof(err)), SPOOR_OK, "%s", err);
    f = fopen("conf/segments.rules", "rb");
    cr_assert_not_null(f, "run from the repository root");
    n = fread(text, 1, sizeof(text), f);
    fclose(f);
    cr_assert_eq(spoor_rules_hash(r), XXH64(text, n, 0));
    cr_assert_eq(spoor_rules_parse(text, n, "x", &r2, err, sizeof(err)),
                 SPOOR_OK);
    cr_assert_eq(spoor_rules_hash(r2), spoor_rules_hash(r));
    spoor_rules_free(r);
    spoor_rules_free(r2);
}

/* ---- the hash ----------------------------------------------------------- */

Test(rules, hash_is_of_the_whole_text)
{
    const char      *a = "segment a = orders > 1;\n";
    const char      *b = "segment a = orders > 1; # same rules\n";
    spoor_rules_t   *ra = parse_ok(a), *ra2 = parse_ok(a), *rb = parse_ok(b);
    spoor_rules_t   *re = parse_ok("");

    cr_assert_eq(spoor_rules_hash(ra), XXH64(a, strlen(a), 0));
    cr_assert_eq(spoor_rules_hash(ra), spoor_rules_hash(ra2));
    cr_assert_neq(spoor_rules_hash(ra), spoor_rules_hash(rb));
    /* pinned: XXH64 of "" with seed 0 */
    cr_assert_eq(spoor_rules_hash(re), 0xEF46DB3751D8E999ULL);
    spoor_rules_free(ra);
    spoor_rules_free(ra2);
    spoor_rules_free(rb);
    spoor_rules_free(re);
}

/* ---- operators ---------------------------------------------------------- */

Test(rules, precedence_not_and_or)
{
    fake_field_t  a1[] = { { "a", NUM(1) }, { "b", NUM(0) }, { "c", NUM(0) } };
    fake_field_t  b1[] = { { "a", NUM(0) }, { "b", NUM(1) }, { "c", NUM(0) } };
    fake_field_t  bc[] = { { "a", NUM(0) }, { "b", NUM(1) }, { "c", NUM(1) } };
    fake_field_t  ab[] = { { "a", NUM(1) }, { "b", NUM(1) }, { "c", NUM(0) } };

    /* and binds tighter than or */
    cr_assert_eq(eval1("a = 1 or b = 1 and c = 1", a1, 3), 1);
    cr_assert_eq(eval1("a = 1 or b = 1 and c = 1", b1, 3), 0);
    cr_assert_eq(eval1("a = 1 or b = 1 and c = 1", bc, 3), 1);
    cr_assert_eq(eval1("b = 1 and c = 1 or a = 1", a1, 3), 1);
    /* parentheses override */
    cr_assert_eq(eval1("(a = 1 or b = 1) and c = 1", a1, 3), 0);
    cr_assert_eq(eval1("(a = 1 or b = 1) and c = 1", bc, 3), 1);
    /* not binds tighter than and */
    cr_assert_eq(eval1("not a = 1 and b = 1", b1, 3), 1);
    cr_assert_eq(eval1("not a = 1 and b = 1", ab, 3), 0);
    cr_assert_eq(eval1("not (a = 1 and b = 1)", ab, 3), 0);
    cr_assert_eq(eval1("not (a = 1 and b = 1)", a1, 3), 1);
    cr_assert_eq(eval1("not not a = 1", a1, 3), 1);
    cr_assert_eq(eval1("not a = 1 or c = 1", a1, 3), 0);
    cr_assert_eq(eval1("((((a = 1))))", a1, 3), 1);
    /* long chains */
    cr_assert_eq(eval1("a = 0 or b = 0 or c = 0 or a = 1", ab, 3), 1);
    cr_assert_eq(eval1("a = 1 and b = 1 and c = 1", ab, 3), 0);
    cr_assert_eq(eval1("a = 1 and b = 1 and c = 0", ab, 3), 1);
}


Test(rules, comparison_operators_and_literal_first)
{
    fake_field_t  f[] = { { "n", NUM(5) }, { "x", NUM(-2.5) } };

    cr_assert_eq(eval1("n = 5", f, 2), 1);
    cr_assert_eq(eval1("n != 5", f, 2), 0);
    cr_assert_eq(eval1("n != 4", f, 2), 1);
    cr_assert_eq(eval1("n < 5", f, 2), 0);
    cr_assert_eq(eval1("n <= 5", f, 2), 1);
    cr_assert_eq(eval1("n > 4.999", f, 2), 1);
    cr_assert_eq(eval1("n >= 5.0", f, 2), 1);
    cr_assert_eq(eval1("n >= 5.5e0", f, 2), 0);
    cr_assert_eq(eval1("n = 0.5e1", f, 2), 1);
    cr_assert_eq(eval1("x = -2.5", f, 2), 1);
    cr_assert_eq(eval1("x<-2", f, 2), 1);
    /* literal on the left: the operator is mirrored */
    cr_assert_eq(eval1("3 < n", f, 2), 1);
    cr_assert_eq(eval1("5 <= n", f, 2), 1);
    cr_assert_eq(eval1("6 <= n", f, 2), 0);
    cr_assert_eq(eval1("5 > n", f, 2), 0);
    cr_assert_eq(eval1("9 > n", f, 2), 1);
    cr_assert_eq(eval1("5 = n", f, 2), 1);
    cr_assert_eq(eval1("4 != n", f, 2), 1);
}


Test(rules, strings_compare_bytewise)
{
    fake_field_t  f[] = {
        { "city", STR("Berlin") }, { "lang", STR("de\xc3\xa4") },
        { "empty", STR("") }, { "q", STR("a\"b\\c") }
    };

    cr_assert_eq(eval1("city = \"Berlin\"", f, 4), 1);
    cr_assert_eq(eval1("city = \"berlin\"", f, 4), 0);
    cr_assert_eq(eval1("city = \"Berli\"", f, 4), 0);
    cr_assert_eq(eval1("city != \"Bern\"", f, 4), 1);
    cr_assert_eq(eval1("city > \"Berli\"", f, 4), 1);     /* prefix first */
    cr_assert_eq(eval1("city < \"Berlin \"", f, 4), 1);
    cr_assert_eq(eval1("city < \"a\"", f, 4), 1);         /* 'B' < 'a' */
    cr_assert_eq(eval1("lang > \"de\x7f\"", f, 4), 1);    /* unsigned */
    cr_assert_eq(eval1("lang = \"de\xc3\xa4\"", f, 4), 1);
    cr_assert_eq(eval1("empty = \"\"", f, 4), 1);
    cr_assert_eq(eval1("empty < \"a\"", f, 4), 1);
    cr_assert_eq(eval1("q = \"a\\\"b\\\\c\"", f, 4), 1);
    cr_assert_eq(eval1("\"Berlin\" = city", f, 4), 1);
}


Test(rules, booleans_and_times)
{
    fake_field_t  f[] = {
        { "traits.vip", BOOLV(1) }, { "traits.trial", BOOLV(0) },
        { "last_seen", TIME(NOW - HOUR) }
    };

    cr_assert_eq(eval1("traits.vip = true", f, 3), 1);
    cr_assert_eq(eval1("traits.vip != true", f, 3), 0);
    cr_assert_eq(eval1("traits.vip = false", f, 3), 0);
    cr_assert_eq(eval1("traits.trial = false", f, 3), 1);
    cr_assert_eq(eval1("true = traits.vip", f, 3), 1);
    /* a time compares with a number as ms since the epoch */
    cr_assert_eq(eval1("last_seen = 1699996400000", f, 3), 1);
    cr_assert_eq(eval1("last_seen > 1699996399999", f, 3), 1);
    cr_assert_eq(eval1("last_seen >= 1699996400001", f, 3), 0);
    cr_assert_eq(eval1("last_seen = \"2023\"", f, 3), 0);
}


Test(rules, within)
{
    fake_field_t  at_edge[] = { { "first_seen", TIME(NOW - 7 * DAY) } };
    fake_field_t  past[] = { { "first_seen", TIME(NOW - 7 * DAY - 1) } };
    fake_field_t  future[] = { { "first_seen", TIME(NOW + DAY) } };
    fake_field_t  now[] = { { "first_seen", TIME(NOW) } };
    fake_field_t  ancient[] = { { "first_seen", TIME(INT64_MIN) } };
    fake_field_t  number[] = { { "first_seen", NUM((double) NOW) } };
    fake_field_t  string[] = { { "first_seen", STR("yesterday") } };

    cr_assert_eq(eval1("first_seen within 7d", at_edge, 1), 1);
    cr_assert_eq(eval1("first_seen within 1w", at_edge, 1), 1);
    cr_assert_eq(eval1("first_seen within 168h", at_edge, 1), 1);
    cr_assert_eq(eval1("first_seen within 10079m", at_edge, 1), 0);
    cr_assert_eq(eval1("first_seen within 7d", past, 1), 0);
    cr_assert_eq(eval1("first_seen within 1s", now, 1), 1);
    /* now - first_seen is negative: within any duration */
    cr_assert_eq(eval1("first_seen within 1s", future, 1), 1);
    cr_assert_eq(eval1("first_seen within 400d", ancient, 1), 0);
    /* only a TIME is within anything */
    cr_assert_eq(eval1("first_seen within 7d", number, 1), 0);
    cr_assert_eq(eval1("first_seen within 7d", string, 1), 0);
    cr_assert_eq(eval1("first_seen within 7d", NULL, 0), 0);
    cr_assert_eq(eval1("not first_seen within 7d", NULL, 0), 1);
    cr_assert_eq(eval1("not first_seen within 7d", past, 1), 1);
}


Test(rules, absent_fields_and_type_mismatches_are_false)
{
    fake_field_t  f[] = {
        { "country", STR("DE") }, { "orders", NUM(3) },
        { "traits.vip", BOOLV(1) }, { "nan", NUM(NAN) }
    };

    /* absent: every comparison false, its negation true */
    cr_assert_eq(eval1("missing = 1", f, 4), 0);
    cr_assert_eq(eval1("missing != 1", f, 4), 0);
    cr_assert_eq(eval1("missing < 1", f, 4), 0);
    cr_assert_eq(eval1("missing != \"x\"", f, 4), 0);
    cr_assert_eq(eval1("missing = false", f, 4), 0);
    cr_assert_eq(eval1("not missing = 1", f, 4), 1);
    cr_assert_eq(eval1("not missing != 1", f, 4), 1);
    /* number against string and the other way round */
    cr_assert_eq(eval1("country = 1", f, 4), 0);
    cr_assert_eq(eval1("country != 1", f, 4), 0);
    cr_assert_eq(eval1("orders = \"3\"", f, 4), 0);
    cr_assert_eq(eval1("orders != \"3\"", f, 4), 0);
    /* booleans are not numbers */
    cr_assert_eq(eval1("traits.vip = 1", f, 4), 0);
    cr_assert_eq(eval1("orders = true", f, 4), 0);
    /* NaN is unknown */
    cr_assert_eq(eval1("nan = 1", f, 4), 0);
    cr_assert_eq(eval1("nan != 1", f, 4), 0);
    cr_assert_eq(eval1("not nan != 1", f, 4), 1);
}


Test(rules, field_names_are_paths)
{
    fake_field_t  f[] = {
        { "traits.plan", STR("pro") }, { "rfm.r", NUM(5) },
        { "events.Order Completed", NUM(4) },
        { "interest.3d_printing", NUM(2) },
        { "traits.a\"b", NUM(1) }, { "count", NUM(7) },
        { "geo.country", STR("FR") }
    };

    cr_assert_eq(eval1("traits.plan = \"pro\"", f, 7), 1);
    cr_assert_eq(eval1("rfm.r >= 4", f, 7), 1);
    cr_assert_eq(eval1("events.\"Order Completed\" = 4", f, 7), 1);
    cr_assert_eq(eval1("interest.3d_printing = 2", f, 7), 1);
    cr_assert_eq(eval1("traits.\"a\\\"b\" = 1", f, 7), 1);
    cr_assert_eq(eval1("geo.country = \"FR\"", f, 7), 1);
    /* count and sum are functions only before '(' */
    cr_assert_eq(eval1("count = 7", f, 7), 1);
}


Test(rules, aggregates_and_their_environment)
{
    spoor_rules_t     *r;
    fake_agg_t         a[] = {
        { SPOOR_AGG_COUNT, NULL, 30 * DAY, 12 },
        { SPOOR_AGG_SUM_REVENUE, "Order Completed", 7 * DAY, 99.5 },
        { SPOOR_AGG_COUNT, "Signed Up", 1 * HOUR, NAN }
    };
    fake_t             f;
    spoor_rule_env_t   e;

    r = parse_ok("segment a = count(30d) > 10;\n"
                 "segment b = sum(revenue, event = \"Order Completed\", 1w) "
                     "= 99.5;\n"
                 "segment c = 100 > sum(revenue, event = \"Order Completed\", "
                     "7d);\n"
                 "segment d = count(event = \"Signed Up\", 1h) >= 0;\n"
                 "segment e = not count(event = \"Signed Up\", 1h) >= 0;\n"
                 "segment g = count(30d) > 10 or count(7d) > 10;\n");
    cr_assert_eq(spoor_rules_naggs(r), 4);
    cr_assert_eq(member(r, "a", NULL, 0, a, 3), 1);
    cr_assert_eq(member(r, "b", NULL, 0, a, 3), 1);
    cr_assert_eq(member(r, "c", NULL, 0, a, 3), 1);
    cr_assert_eq(member(r, "d", NULL, 0, a, 3), 0);     /* NaN: unknown */
    cr_assert_eq(member(r, "e", NULL, 0, a, 3), 1);

    /* or stops at the first true operand */
    f = (fake_t) { r, NULL, 0, a, 3, 0, 0 };
    e = env_of(&f);
    cr_assert_eq(spoor_rules_eval(r, 5, &e), 1);
    cr_assert_eq(f.agg_calls, 1);

    /* no callbacks: everything unknown */
    e.field = NULL;
    e.agg = NULL;
    cr_assert_eq(spoor_rules_eval(r, 0, &e), 0);
    cr_assert_eq(spoor_rules_eval(r, 4, &e), 1);
    cr_assert_eq(spoor_rules_eval(r, 6, &e), 0);        /* out of range */
    cr_assert_eq(spoor_rules_eval(r, 0, NULL), 0);
    cr_assert_eq(spoor_rules_eval(NULL, 0, &e), 0);
    spoor_rules_free(r);
}


Test(rules, aggregates_are_deduplicated_in_order_of_first_use)
{
    spoor_rules_t           *r;
    const spoor_rule_agg_t  *a;

    r = parse_ok("segment a = count(event = \"A\", 1d) > 0"
                 " and sum(revenue, 1d) > 0;\n"
                 "segment b = count(event = \"A\", 24h) > 1"      /* = 1d */
                 " or count(event = \"B\", 1d) > 0"
                 " or count(1d) > 0"
                 " or sum(revenue, 86400s) > 5"                  /* = 1d */
                 " or count(event = \"A\", 2d) > 0"
                 " or sum(revenue, event = \"A\", 1d) > 0"
                 " or count(1440m) > 3;\n"                       /* = 1d */
                 "segment c = count(event = \"a\\\"b\", 1w) > 0"
                 " and count(event = \"a\\\"b\", 7d) > 0"
                 " and count(event = \"a\\\"\", 7d) > 0;\n");
    cr_assert_eq(spoor_rules_naggs(r), 8);
    a = spoor_rules_agg(r, 0);
    cr_assert(a->kind == SPOOR_AGG_COUNT && a->window_ms == DAY);
    cr_assert_str_eq(a->event, "A");
    a = spoor_rules_agg(r, 1);
    cr_assert(a->kind == SPOOR_AGG_SUM_REVENUE && a->window_ms == DAY);
    cr_assert_null(a->event);
    a = spoor_rules_agg(r, 2);
    cr_assert(a->kind == SPOOR_AGG_COUNT && a->window_ms == DAY);
    cr_assert_str_eq(a->event, "B");
    a = spoor_rules_agg(r, 3);
    cr_assert(a->kind == SPOOR_AGG_COUNT && a->window_ms == DAY);
    cr_assert_null(a->event);
    a = spoor_rules_agg(r, 4);
    cr_assert(a->kind == SPOOR_AGG_COUNT && a->window_ms == 2 * DAY);
    cr_assert_str_eq(a->event, "A");
    a = spoor_rules_agg(r, 5);
    cr_assert(a->kind == SPOOR_AGG_SUM_REVENUE && a->window_ms == DAY);
    cr_assert_str_eq(a->event, "A");
    a = spoor_rules_agg(r, 6);
    cr_assert(a->kind == SPOOR_AGG_COUNT && a->window_ms == 7 * DAY);
    cr_assert_eq(a->event_len, 3);
    cr_assert_str_eq(a->event, "a\"b");
    a = spoor_rules_agg(r, 7);
    cr_assert_eq(a->event_len, 2);
    cr_assert_str_eq(a->event, "a\"");
    cr_assert_eq(spoor_rules_max_window(r), 7 * DAY);
    spoor_rules_free(r);
}


Test(rules, no_aggregates_no_window)
{
    spoor_rules_t  *r = parse_ok("segment a = first_seen within 400d;");

    cr_assert_eq(spoor_rules_naggs(r), 0);
    cr_assert_eq(spoor_rules_max_window(r), 0);
    spoor_rules_free(r);
}

/* ---- what parses -------------------------------------------------------- */

Test(rules, empty_and_comment_only_files_have_no_segments)
{
    const char     *texts[] = { "", "\n\n", "# nothing\n", "  # a\n\t# b",
                                "#" };
    spoor_rules_t  *r;
    size_t          i;

    for (i = 0; i < NELEM(texts); i++) {
        r = parse_ok(texts[i]);
        cr_assert_eq(spoor_rules_count(r), 0);
        cr_assert_eq(spoor_rules_naggs(r), 0);
        spoor_rules_free(r);
    }
    cr_assert_eq(spoor_rules_parse(NULL, 0, NULL, &r, NULL, 0), SPOOR_OK);
    cr_assert_eq(spoor_rules_count(r), 0);
    spoor_rules_free(r);
    spoor_rules_free(NULL);
    cr_assert_eq(spoor_rules_count(NULL), 0);
}


Test(rules, layout_is_free)
{
    spoor_rules_t  *r;

    r = parse_ok("segment\ta\r\n=\n  orders>=1#c\n;segment b=(orders<1);"
                 "segment _x9 = count( event=\"E\" , 2w )>0 ; # end");
    cr_assert_eq(spoor_rules_count(r), 3);
    cr_assert_str_eq(spoor_rules_name(r, 2), "_x9");
    cr_assert_eq(spoor_rules_agg(r, 0)->window_ms, 14 * DAY);
    spoor_rules_free(r);
}


Test(rules, durations_at_the_limits)
{
    spoor_rules_t  *r;

    r = parse_ok("segment a = count(1s) > 0 or count(400d) > 0"
                 " or count(57w) > 0 or count(9600h) > 0"
                 " or count(576000m) > 0 or count(34560000s) > 0;");
    cr_assert_eq(spoor_rules_naggs(r), 3);
    cr_assert_eq(spoor_rules_agg(r, 0)->window_ms, SEC);
    cr_assert_eq(spoor_rules_agg(r, 1)->window_ms, 400 * DAY);
    cr_assert_eq(spoor_rules_agg(r, 2)->window_ms, 399 * DAY);
    cr_assert_eq(spoor_rules_max_window(r), 400 * DAY);
    spoor_rules_free(r);
}

/* ---- errors ------------------------------------------------------------- */

Test(rules, lexical_errors)
{
    ERR("segment a = country = \"DE;\n",
        "t.rules:1:23: unterminated string");
    ERR("segment a = country = \"DE\n\";",
        "t.rules:1:23: unterminated string");
    ERR("segment a = country = \"DE\\",
        "t.rules:1:23: unterminated string");
    ERR("\n\n  segment a = country = \"D\\E\";",
        "t.rules:3:27: bad escape '\\E' in string: only \\\" and \\\\ are "
        "allowed");
    ERR("segment a = country = \"D\\\x01\";",
        "t.rules:1:25: bad escape '\\\\x01' in string: only \\\" and \\\\ "
        "are allowed");
    ERR("segment a = orders ! 1;",
        "t.rules:1:20: unexpected character '!'");
    ERR("segment a = orders >= 1;\nsegment b = orders ~ 1;",
        "t.rules:2:20: unexpected character '~'");
    ERR("segment \xc3\xa4 = orders > 1;",
        "t.rules:1:9: unexpected character '\\xC3'");
    ERR("segment a = traits. = 1;",
        "t.rules:1:20: expected a name after '.'");
    ERR("segment a = traits.\"x = 1;",
        "t.rules:1:20: unterminated string");
    ERR("segment a = orders > 1.;",
        "t.rules:1:22: bad number '1.'");
    ERR("segment a = orders > 1e999;",
        "t.rules:1:22: bad number '1e999': out of range");
    ERR("segment a = orders > "
        "1000000000000000000000000000000000000000000000000000000000000000;",
        "t.rules:1:22: bad number "
        "'10000000000000000000000000000000...': too long");
}


Test(rules, parse_error_with_nul_byte)
{
    const char  text[] = "segment a = orders > 1;\0";

    parse_err(text, sizeof(text) - 1,
              "t.rules:1:24: unexpected character '\\x00'");
}


Test(rules, duration_errors)
{
    ERR("segment a = count(0d) > 1;",
        "t.rules:1:19: bad duration '0d': the count must be at least 1");
    ERR("segment a = count(401d) > 1;",
        "t.rules:1:19: bad duration '401d': longer than 400d");
    ERR("segment a = count(58w) > 1;",
        "t.rules:1:19: bad duration '58w': longer than 400d");
    ERR("segment a = count(34560001s) > 1;",
        "t.rules:1:19: bad duration '34560001s': longer than 400d");
    ERR("segment a = count(99999999999999999999999d) > 1;",
        "t.rules:1:19: bad duration '99999999999999999999999d': longer "
        "than 400d");
    ERR("segment a = count(3x) > 1;",
        "t.rules:1:19: bad duration '3x': the unit must be s, m, h, d or w");
    ERR("segment a = count(3dd) > 1;",
        "t.rules:1:19: bad duration '3dd': the unit must be s, m, h, d or w");
    ERR("segment a = count(3D) > 1;",
        "t.rules:1:19: bad duration '3D': the unit must be s, m, h, d or w");
    ERR("segment a = count(1.5d) > 1;",
        "t.rules:1:19: bad duration '1.5d': the count must be a whole number");
    ERR("segment a = count(-3d) > 1;",
        "t.rules:1:19: bad duration '-3d': the count must be at least 1");
    ERR("segment a = first_seen within 0s;",
        "t.rules:1:31: bad duration '0s': the count must be at least 1");
    ERR("segment a = first_seen within 7;",
        "t.rules:1:31: expected a duration after 'within'");
    ERR("segment a = orders > 7d;",
        "t.rules:1:22: a duration is only allowed after 'within' and in "
        "count() and sum()");
}


Test(rules, aggregate_errors)
{
    ERR("segment a = avg(revenue, 30d) > 1;",
        "t.rules:1:13: unknown function 'avg'");
    ERR("segment a = traits.count(30d) > 1;",
        "t.rules:1:13: unknown function 'traits.count'");
    ERR("segment a = count(event = \"X\", 30d > 1;",
        "t.rules:1:36: expected ')' after duration");
    ERR("\n\nsegment a = count(30d, 1) > 1;",
        "t.rules:3:22: expected ')' after duration");
    ERR("segment a = count() > 1;",
        "t.rules:1:19: expected event = \"NAME\" or a duration");
    ERR("segment a = count(\"X\", 1d) > 1;",
        "t.rules:1:19: expected event = \"NAME\" or a duration");
    ERR("segment a = count(event \"X\", 1d) > 1;",
        "t.rules:1:25: expected '=' after 'event'");
    ERR("segment a = count(event = X, 1d) > 1;",
        "t.rules:1:27: expected an event name string after 'event ='");
    ERR("segment a = count(event = \"\", 1d) > 1;",
        "t.rules:1:27: the event name must not be empty");
    ERR("segment a = count(event = \"X\" 1d) > 1;",
        "t.rules:1:31: expected ',' after the event name");
    ERR("segment a = count(event = \"X\", ) > 1;",
        "t.rules:1:32: expected a duration");
    ERR("segment a = sum(price, 1d) > 1;",
        "t.rules:1:17: expected 'revenue' as the first argument of sum()");
    ERR("segment a = sum(revenue 1d) > 1;",
        "t.rules:1:25: expected ',' after 'revenue'");
    ERR("segment a = sum(revenue, 1d, currency = \"EUR\") > 1;",
        "t.rules:1:28: expected ')' after duration");
    ERR("segment a = count(1d) = \"x\";",
        "t.rules:1:25: an aggregate compares only with a number");
    ERR("segment a = true != count(1d);",
        "t.rules:1:13: an aggregate compares only with a number");
    ERR("segment a = count(1d) within 1d;",
        "t.rules:1:23: 'within' needs a time field, not an aggregate");
    ERR("segment a = count(1d);",
        "t.rules:1:22: expected a comparison operator after 'count(...)'");
}


Test(rules, expression_errors)
{
    ERR("segment a = orders;",
        "t.rules:1:19: expected a comparison operator or 'within' after "
        "'orders'");
    ERR("segment a = orders > sessions;",
        "t.rules:1:22: expected a number, string, true or false after '>'");
    ERR("segment a = 1 = 1;",
        "t.rules:1:17: expected a field or an aggregate after '='");
    ERR("segment a = 1 orders;",
        "t.rules:1:15: expected a comparison operator after '1'");
    ERR("segment a = \"DE\" <= and;",
        "t.rules:1:21: expected a field or an aggregate after '<='");
    ERR("segment a = ;",
        "t.rules:1:13: expected an expression");
    ERR("segment a = and orders > 1;",
        "t.rules:1:13: expected an expression");
    ERR("segment a = orders > 1 and;",
        "t.rules:1:27: expected an expression");
    ERR("segment a = orders > 1 or or orders > 2;",
        "t.rules:1:27: expected an expression");
    ERR("segment a = within > 1;",
        "t.rules:1:13: expected an expression");
    ERR("segment a = (orders > 1;",
        "t.rules:1:24: expected ')'");
    ERR("segment a = orders > 1);",
        "t.rules:1:23: expected ';' after the expression of segment 'a'");
    ERR("segment a = traits.vip < true;",
        "t.rules:1:26: true and false compare only with = and !=");
    ERR("segment a = false >= traits.vip;",
        "t.rules:1:13: true and false compare only with = and !=");
    ERR("segment a = orders == 1;",
        "t.rules:1:21: expected a number, string, true or false after '='");
}


Test(rules, statement_errors)
{
    char  name[80];
    char  text[160];

    ERR("segment a = orders > 1\nsegment b = orders > 2;",
        "t.rules:2:1: expected ';' after the expression of segment 'a'");
    ERR("segment a = orders > 1",
        "t.rules:1:23: expected ';' after the expression of segment 'a'");
    ERR("segment a = orders > 1;\n# again\nsegment a = orders > 2;",
        "t.rules:3:9: duplicate segment name 'a' (first defined on line 1)");
    ERR("segment Big = orders > 1;",
        "t.rules:1:9: bad segment name 'Big': only a-z, 0-9 and _ are "
        "allowed");
    ERR("segment a.b = orders > 1;",
        "t.rules:1:9: bad segment name 'a.b': only a-z, 0-9 and _ are "
        "allowed");
    ERR("segment not = orders > 1;",
        "t.rules:1:9: bad segment name 'not': a reserved word");
    ERR("segment 9 = orders > 1;",
        "t.rules:1:9: expected a segment name after 'segment'");
    ERR("segment = orders > 1;",
        "t.rules:1:9: expected a segment name after 'segment'");
    ERR("segment",
        "t.rules:1:8: expected a segment name after 'segment'");
    ERR("segment a orders > 1;",
        "t.rules:1:11: expected '=' after the segment name");
    ERR("segment a =",
        "t.rules:1:12: expected an expression");
    ERR("segments a = orders > 1;",
        "t.rules:1:1: expected 'segment'");
    ERR("segment a = orders > 1;;",
        "t.rules:1:24: expected 'segment'");
    ERR("Segment a = orders > 1;",
        "t.rules:1:1: expected 'segment'");

    /* 64 bytes is the longest name */
    memset(name, 'n', 64);
    name[64] = '\0';
    snprintf(text, sizeof(text), "segment %s = orders > 1;", name);
    spoor_rules_free(parse_ok(text));
    snprintf(text, sizeof(text), "segment %sn = orders > 1;", name);
    ERR(text, "t.rules:1:9: bad segment name "
              "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...': longer than 64 bytes");
}


Test(rules, error_message_is_truncated_to_fit)
{
    spoor_rules_t  *r;
    char            err[12];

    memset(err, 'x', sizeof(err));
    cr_assert_eq(spoor_rules_parse("segment", 7, "t.rules", &r, err,
                                   sizeof(err)), SPOOR_E_FORMAT);
    cr_assert_str_eq(err, "t.rules:1:8");
    cr_assert_eq(spoor_rules_parse("segment", 7, "t.rules", &r, NULL, 0),
                 SPOOR_E_FORMAT);
    cr_assert_eq(spoor_rules_parse("segment", 7, NULL, &r, err, sizeof(err)),
                 SPOOR_E_FORMAT);
    cr_assert_str_eq(err, "<rules>:1:8");
    cr_assert_eq(spoor_rules_parse("x", 1, "t", NULL, err, sizeof(err)),
                 SPOOR_E_INVAL);
}

/* ---- limits ------------------------------------------------------------- */

Test(rules, at_most_256_segments)
{
    char           *text = malloc(257 * 40);
    size_t          o = 0, i;
    spoor_rules_t  *r;

    cr_assert_not_null(text);
    for (i = 0; i < 256; i++) {
        o += (size_t) sprintf(text + o, "segment s%zu = orders > %zu;\n",
                              i, i);
    }
    r = parse_ok(text);
    cr_assert_eq(spoor_rules_count(r), 256);
    cr_assert_str_eq(spoor_rules_name(r, 255), "s255");
    spoor_rules_free(r);
    sprintf(text + o, "segment s256 = orders > 1;\n");
    ERR(text, "t.rules:257:1: too many segments (limit 256)");
    free(text);
}


/* depth levels of "(" or "not " around "orders > 1". */
static void
nested(char *text, int depth, int parens)
{
    size_t  o;
    int     i;

    o = (size_t) sprintf(text, "segment a = ");
    for (i = 0; i < depth; i++) {
        o += (size_t) sprintf(text + o, parens ? "(" : "not ");
    }
    o += (size_t) sprintf(text + o, "orders > 1");
    for (i = 0; parens && i < depth; i++) {
        text[o++] = ')';
    }
    strcpy(text + o, ";");
}


Test(rules, at_most_64_levels_of_nesting)
{
    char            text[1024];
    spoor_rules_t  *r;
    fake_field_t    f[] = { { "orders", NUM(2) } };

    nested(text, 64, 1);
    r = parse_ok(text);
    cr_assert_eq(member(r, "a", f, 1, NULL, 0), 1);
    spoor_rules_free(r);
    nested(text, 65, 1);
    ERR(text, "t.rules:1:77: expression nested deeper than 64 levels");

    nested(text, 64, 0);
    r = parse_ok(text);
    cr_assert_eq(member(r, "a", f, 1, NULL, 0), 1);     /* even count */
    spoor_rules_free(r);
    nested(text, 65, 0);
    ERR(text, "t.rules:1:269: expression nested deeper than 64 levels");

    /* mixed: 32 "not (" pairs are 64 levels */
    strcpy(text, "segment a = ");
    for (int i = 0; i < 32; i++) {
        strcat(text, "not (");
    }
    strcat(text, "orders > 1");
    for (int i = 0; i < 32; i++) {
        strcat(text, ")");
    }
    strcat(text, ";");
    spoor_rules_free(parse_ok(text));
}


Test(rules, long_chains_are_not_nesting)
{
    size_t          n = 70000, o, i;
    char           *text = malloc(n * 16 + 64);
    spoor_rules_t  *r;
    fake_field_t    f[] = { { "orders", NUM(2) } };

    cr_assert_not_null(text);
    o = (size_t) sprintf(text, "segment a = orders > 1");
    for (i = 0; i < n; i++) {
        o += (size_t) sprintf(text + o, " and orders>1");
    }
    strcpy(text + o, ";");
    cr_assert_lt(o, (size_t) SPOOR_RULES_TEXT_MAX);
    r = parse_ok(text);
    cr_assert_eq(member(r, "a", f, 1, NULL, 0), 1);
    spoor_rules_free(r);
    free(text);
}


Test(rules, at_most_1_mib_of_text)
{
    size_t          n = SPOOR_RULES_TEXT_MAX;
    char           *text = malloc(n + 1);
    spoor_rules_t  *r;
    char            err[128];

    cr_assert_not_null(text);
    memset(text, ' ', n + 1);
    memcpy(text + n - 23, "segment a = orders > 1;", 23);
    cr_assert_eq(spoor_rules_parse(text, n, "t.rules", &r, err, sizeof(err)),
                 SPOOR_OK, "%s", err);
    cr_assert_eq(spoor_rules_count(r), 1);
    spoor_rules_free(r);
    parse_err(text, n + 1,
              "t.rules:1:1: file larger than 1048576 bytes (1 MiB)");
    free(text);
}


Test(rules, too_many_distinct_aggregates)
{
    size_t          o, i;
    char           *text = malloc(1100 * 24 + 64);

    cr_assert_not_null(text);
    o = (size_t) sprintf(text, "segment a = count(1s) > 0");
    for (i = 2; i <= 1025; i++) {
        o += (size_t) sprintf(text + o, " or count(%zus) > 0", i);
    }
    strcpy(text + o, ";");
    ERR(text, "t.rules:1:19386: too many distinct aggregates (limit 1024)");
    /* the same 1024 again are no new ones */
    o = (size_t) sprintf(text, "segment a = count(1s) > 0");
    for (i = 2; i <= 1024; i++) {
        o += (size_t) sprintf(text + o, " or count(%zus) > 0", i);
    }
    for (i = 1; i <= 1024; i += 7) {
        o += (size_t) sprintf(text + o, " or count(%zus) > 1", i);
    }
    strcpy(text + o, ";");
    spoor_rules_t *r = parse_ok(text);
    cr_assert_eq(spoor_rules_naggs(r), 1024);
    spoor_rules_free(r);
    free(text);
}


/* Every prefix and every one-byte change of a valid text either parses or
 * fails with a positioned message; nothing crashes or leaks (SAN=1). */
Test(rules, damaged_texts_fail_cleanly)
{
    static const char  bytes[] = "(\"\\;=!<>.,#\n 0dx-";
    char               text[sizeof(example)], err[256];
    size_t             len = sizeof(example) - 1, i, k;
    spoor_rules_t     *r;
    int                rc;

    for (i = 0; i <= len; i++) {
        rc = spoor_rules_parse(example, i, "t.rules", &r, err, sizeof(err));
        cr_assert(rc == SPOOR_OK || rc == SPOOR_E_FORMAT);
        cr_assert(rc == SPOOR_OK || strncmp(err, "t.rules:", 8) == 0);
        spoor_rules_free(r);
    }
    for (i = 0; i < len; i++) {
        for (k = 0; k < sizeof(bytes) - 1; k++) {
            memcpy(text, example, len);
            text[i] = bytes[k];
            rc = spoor_rules_parse(text, len, "t.rules", &r, err, sizeof(err));
            cr_assert(rc == SPOOR_OK || rc == SPOOR_E_FORMAT);
            spoor_rules_free(r);
        }
    }
}

/* ---- loading ------------------------------------------------------------ */

Test(rules, load_reports_io_errors_with_the_path)
{
    spoor_rules_t  *r = (spoor_rules_t *) 1;
    char            err[256];

    cr_assert_eq(spoor_rules_load("/nonexistent/segments.rules", &r, err,
                                  sizeof(err)), SPOOR_E_IO);
    cr_assert_null(r);
    cr_assert_str_eq(err, "/nonexistent/segments.rules: No such file or "
                     "directory");
    cr_assert_eq(spoor_rules_load("/", &r, err, sizeof(err)), SPOOR_E_IO);
    cr_assert_str_eq(err, "/: Is a directory");
}


Test(rules, load_reports_format_errors_with_the_path)
{
    char            path[] = "/tmp/spoor-rules-XXXXXX";
    int             fd = mkstemp(path);
    spoor_rules_t  *r = NULL;
    char            err[256], want[300];
    const char      text[] =
        "# bad\nsegment a = count(event = \"X\", 3x) > 1;\n";

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, sizeof(text) - 1),
                 (ssize_t) sizeof(text) - 1);
    close(fd);
    cr_assert_eq(spoor_rules_load(path, &r, err, sizeof(err)),
                 SPOOR_E_FORMAT);
    snprintf(want, sizeof(want), "%s:2:32: bad duration '3x': the unit must "
             "be s, m, h, d or w", path);
    cr_assert_str_eq(err, want);
    cr_assert_null(r);
    unlink(path);
}
