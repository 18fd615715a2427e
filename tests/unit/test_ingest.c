/*
 * test_ingest.c -- the analyzer end to end: `spoor ingest`, `profile`,
 * `export`, `segments`, `forget`, `import-traits`, `lineage`, `stats` on
 * logs written here with the shared writer, event by event, so every
 * expected value is computed by hand from the events below.
 *
 * Scenarios: a visitor who browses, adds to the cart and leaves
 * (abandoned cart); who identifies later (merged); who buys three times
 * in a month (frequent buyer); who withdraws consent (erased); late data
 * and repeated runs (identical snapshot bytes); forget then re-ingest
 * (stays erased); junk ids and the merge cap; anonymous and
 * not-for-profiling records; rule errors; kill -9 during a run.  And
 * ingest_log_at() called directly on a log still being written
 * (INGEST_FOLLOW): a frame cut short at the end is held back, not
 * damage, and read whole once the rest arrives; damage before a later
 * frame is reported.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <msgpack.h>
#include <yajl/yajl_tree.h>
#include "buf.h"
#include "error.h"
#include "event.h"
#include "ingest.h"
#include "logwriter.h"
#include "settings.h"
#include "state.h"
#include "spoor_run.h"
#include "state_run.h"

#define DAY    86400000LL
#define HOUR   3600000LL
#define T0     1767225600000LL          /* 2026-01-01T00:00:00Z */

static char  rules[1024];


static void
setup(void)
{
    spoor_run_setup("/tmp/spoor-ingest-XXXXXX");
    snprintf(rules, sizeof(rules), "%s/segments.rules", dir);
}


static void
teardown(void)
{
    spoor_run_teardown();
}


static void
write_rules(const char *text)
{
    FILE  *f = fopen(rules, "w");

    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}


/* ---- building logs ------------------------------------------------------ */

typedef struct {
    spoor_writer_t  *w;
    int              fd;
} log_t;

static void
log_open(log_t *l, const char *name)
{
    char                 path[256];
    spoor_writer_conf_t  c = { 4096, "test", 1, 0 };

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(l->fd >= 0);
    c.writer_id = 0x5eed;
    l->w = spoor_writer_create(&c);
    cr_assert_not_null(l->w);
}

static void
log_add(log_t *l, const spoor_event_t *ev)
{
    int  rc = spoor_writer_append(l->w, ev);

    if (rc == SPOOR_E_FULL) {
        cr_assert_eq(spoor_writer_flush(l->w, l->fd), SPOOR_OK);
        rc = spoor_writer_append(l->w, ev);
    }
    cr_assert_eq(rc, SPOOR_OK);
}

static void
log_close(log_t *l)
{
    cr_assert_eq(spoor_writer_flush(l->w, l->fd), SPOOR_OK);
    spoor_writer_destroy(l->w);
    close(l->fd);
}

static void
set(spoor_str_t *s, const char *v)
{
    s->data = v;
    s->len = v ? strlen(v) : 0;
}

static unsigned char  pbuf[64][256];
static int            pnext;

/* A properties or traits map from "k", "v" pairs (v: "#12.5" a number). */
static void
map(spoor_value_t *v, ...)
{
    va_list         ap;
    msgpack_packer  pk;
    spoor_buf_t     b;
    const char     *k[16], *x[16];
    int             n = 0, i;

    va_start(ap, v);
    while ((k[n] = va_arg(ap, const char *)) != NULL) {
        x[n] = va_arg(ap, const char *);
        n++;
    }
    va_end(ap);
    spoor_buf_init(&b, pbuf[pnext++ % 64], 256);
    msgpack_packer_init(&pk, &b, spoor_buf_msgpack_write);
    msgpack_pack_map(&pk, n);
    for (i = 0; i < n; i++) {
        msgpack_pack_str(&pk, strlen(k[i]));
        msgpack_pack_str_body(&pk, k[i], strlen(k[i]));
        if (x[i][0] == '#') {
            msgpack_pack_double(&pk, atof(x[i] + 1));
        } else {
            msgpack_pack_str(&pk, strlen(x[i]));
            msgpack_pack_str_body(&pk, x[i], strlen(x[i]));
        }
    }
    v->raw = b.data;
    v->raw_len = b.len;
}

/* An event with full consent at time t. */
static spoor_event_t
ev(spoor_kind_t kind, const char *name, int64_t t, const char *vid,
    const char *aid, const char *uid)
{
    spoor_event_t  e;

    spoor_event_init(&e);
    e.kind = kind;
    set(&e.name, name);
    e.received_ms = t;
    e.has_time = 1;
    e.time_ms = t;
    set(&e.visitor_id, vid);
    set(&e.anonymous_id, aid);
    set(&e.user_id, uid);
    e.consent.present = 1;
    set(&e.consent.signal, "tcf");
    set(&e.consent.action, "full");
    e.consent.granted = SPOOR_CAT_ALL;
    return e;
}


/* ---- reading results -------------------------------------------------------- */

/* The profile of id as a parsed JSON tree (NULL when none). */
static yajl_val
profile(const char *id)
{
    run_t     r = run("$S profile --state $D/st '%s'", id);
    yajl_val  v;

    if (r.status != 0) {
        free(r.out);
        return NULL;
    }
    v = yajl_tree_parse(r.out, NULL, 0);
    cr_assert_not_null(v, "not JSON: %s", r.out);
    free(r.out);
    return v;
}

/* Whether id has a profile. */
static int
exists(const char *id)
{
    yajl_val  v = profile(id);

    yajl_tree_free(v);
    return v != NULL;
}

static yajl_val
get(yajl_val v, const char *a, const char *b, const char *c)
{
    const char  *path[] = { a, b, c, NULL };

    return yajl_tree_get(v, path, yajl_t_any);
}

static long long
num(yajl_val v, const char *a, const char *b, const char *c)
{
    yajl_val  x = get(v, a, b, c);

    cr_assert(x && YAJL_IS_NUMBER(x), "no number at %s.%s.%s", a,
              b ? b : "", c ? c : "");
    return YAJL_IS_INTEGER(x) ? YAJL_GET_INTEGER(x)
                              : (long long) YAJL_GET_DOUBLE(x);
}

static int
has_str(yajl_val arr, const char *s)
{
    size_t  i;

    if (arr == NULL || !YAJL_IS_ARRAY(arr)) {
        return 0;
    }
    for (i = 0; i < arr->u.array.len; i++) {
        yajl_val     e = arr->u.array.values[i];
        const char  *t = YAJL_IS_STRING(e) ? YAJL_GET_STRING(e) : NULL;

        if (t != NULL && strcmp(t, s) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
ingest(const char *files)
{
    run_t  r = run("$S ingest --state $D/st --rules $R %s 2>&1", files);

    cr_assert_eq(r.status, 0, "ingest %s: %s", files, r.out);
    free(r.out);
}


TestSuite(ingest, .init = setup, .fini = teardown);


static const char  shop_rules[] =
    "segment frequent_buyers = count(event = \"Order Completed\", 30d) >= 3;\n"
    "segment abandoned = abandoned_carts >= 1;\n"
    "segment high_value = sum(revenue, 90d) >= 250;\n";


Test(ingest, golden_browse_cart_leave_identify_buy_withdraw)
{
    log_t          l;
    spoor_event_t  e;
    yajl_val       p, q;

    write_rules(shop_rules);
    log_open(&l, "a.spoor");

    /* visitor v1 / anonymous a1 browses and adds shoes to the cart */
    e = ev(SPOOR_KIND_PAGE, "Home", T0, "v1", "a1", NULL);
    log_add(&l, &e);
    e = ev(SPOOR_KIND_TRACK, "Product Added", T0 + 60000, "v1", "a1", NULL);
    map(&e.properties, "category", "shoes", "price", "#50", NULL);
    log_add(&l, &e);
    /* ... and leaves; two days later identifies as u1 */
    e = ev(SPOOR_KIND_IDENTIFY, NULL, T0 + 2 * DAY, "v1", "a1", "u1");
    map(&e.traits, "email", "u1@example.com", "plan", "basic", NULL);
    log_add(&l, &e);
    /* u1 buys three times in the month, 100 EUR each */
    e = ev(SPOOR_KIND_TRACK, "Order Completed", T0 + 3 * DAY, NULL, NULL,
           "u1");
    map(&e.properties, "revenue", "#100", "currency", "EUR", NULL);
    log_add(&l, &e);
    e.time_ms = e.received_ms = T0 + 10 * DAY;
    log_add(&l, &e);
    e.time_ms = e.received_ms = T0 + 20 * DAY;
    log_add(&l, &e);

    /* another visitor, v2, later withdraws consent */
    e = ev(SPOOR_KIND_PAGE, "Home", T0 + 21 * DAY, "v2", NULL, NULL);
    log_add(&l, &e);
    spoor_event_init(&e);
    e.kind = SPOOR_KIND_CONSENT_WITHDRAWAL;
    e.received_ms = T0 + 22 * DAY;
    set(&e.visitor_id, "v2");
    log_add(&l, &e);
    log_close(&l);

    ingest("$D/a.spoor");

    /* one profile, found by each of its ids */
    p = profile("u1");
    cr_assert_not_null(p, "no profile for u1");
    q = profile("a1");
    cr_assert_not_null(q);
    cr_assert_str_eq(YAJL_GET_STRING(get(p, "id", NULL, NULL)),
                     YAJL_GET_STRING(get(q, "id", NULL, NULL)));
    yajl_tree_free(q);
    cr_assert(has_str(get(p, "ids", "visitorId", NULL), "v1"));
    cr_assert(has_str(get(p, "ids", "anonymousId", NULL), "a1"));

    /* two links: v1-a1 (day 0, first seen together), u1-a1 (day 2) */
    cr_assert_eq(get(p, "links", NULL, NULL)->u.array.len, 2);
    cr_assert_eq(num(p, "behaviour", "events", NULL), 6);
    cr_assert_eq(num(p, "behaviour", "orders", NULL), 3);
    cr_assert_eq(num(p, "behaviour", "cartAdds", NULL), 1);
    /* the cart add of day 0 had no order within the hour */
    cr_assert_eq(num(p, "behaviour", "abandonedCarts", NULL), 1);
    cr_assert_eq(num(p, "behaviour", "revenue", "EUR"), 300);
    /* sessions: day 0 (two events a minute apart), days 2, 3, 10, 20 */
    cr_assert_eq(num(p, "behaviour", "sessions", NULL), 5);
    cr_assert_eq(num(p, "behaviour", "pageViews", NULL), 1);
    cr_assert_str_eq(YAJL_GET_STRING(get(p, "traits", "plan", NULL)
                                     ->u.object.values[0]), "basic");
    cr_assert(has_str(get(p, "inferred", "segments", NULL),
                      "frequent_buyers"), "not a frequent buyer");
    cr_assert(has_str(get(p, "inferred", "segments", NULL), "high_value"));
    cr_assert(has_str(get(p, "inferred", "segments", NULL), "abandoned"));
    yajl_tree_free(p);

    /* v2 withdrew: no profile */
    cr_assert(!exists("v2"), "the withdrawn visitor still has a profile");
}


Test(ingest, identical_bytes_in_any_order_and_when_repeated)
{
    log_t          l;
    spoor_event_t  e;
    int            i;
    run_t          r;

    write_rules(shop_rules);
    for (i = 0; i < 2; i++) {
        log_open(&l, i ? "b.spoor" : "a.spoor");
        /* the same visitors in both files, at interleaved times */
        for (int k = 0; k < 200; k++) {
            char  v[16], u[16];

            snprintf(v, sizeof(v), "v%d", k % 37);
            snprintf(u, sizeof(u), "u%d", k % 11);
            e = ev(k % 3 ? SPOOR_KIND_PAGE : SPOOR_KIND_TRACK,
                   k % 3 ? "P" : "Order Completed",
                   T0 + (int64_t) (k * 2 + i) * 3 * HOUR, v, NULL,
                   k % 5 == 0 ? u : NULL);
            map(&e.properties, "revenue", "#10.1", "currency", "EUR",
                "category", k % 2 ? "shoes" : "bags", NULL);
            log_add(&l, &e);
        }
        log_close(&l);
    }

    r = run("$S ingest --state $D/s1 --rules $R $D/a.spoor >/dev/null && "
            "$S ingest --state $D/s1 --rules $R $D/b.spoor >/dev/null && "
            "$S ingest --state $D/s2 --rules $R $D/b.spoor >/dev/null && "
            "$S ingest --state $D/s2 --rules $R $D/a.spoor >/dev/null && "
            "$S ingest --state $D/s3 --rules $R $D/b.spoor $D/a.spoor "
            ">/dev/null && "
            "cmp $D/s1/gen-000002.snap $D/s2/gen-000002.snap && "
            "cmp $D/s1/gen-000002.snap $D/s3/gen-000001.snap && "
            "echo same");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert_str_eq(r.out, "same\n");
    free(r.out);

    /* a repeated run (a renamed copy too) finds only duplicates and
     * writes no generation: the current one and its parent stay */
    r = run("cp $D/a.spoor $D/renamed.spoor && "
            "$S ingest --state $D/s1 --json $D/a.spoor $D/renamed.spoor "
            "$D/b.spoor && cat $D/s1/CURRENT && ls $D/s1/gen-000001.snap");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strstr(r.out, "\"unchanged\":true") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"applied\":0") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"duplicate\":600") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "gen-000002.snap\n") != NULL, "%s", r.out);
    free(r.out);
}


/* --jobs defaults to the CPUs the run may use (sched_getaffinity), not to
 * every CPU on line: pinned to one, it runs one thread.  "jobs" is the
 * threads the run used: two at most, whatever --jobs asks. */
Test(ingest, jobs_default_to_the_cpus_the_run_may_use)
{
    run_t  r;

    r = run("$S gen --events 2000 --seed 4 --out $D/j.spoor && "
            "taskset -c 0 $S ingest --state $D/j1 --json $D/j.spoor | "
            "grep -o '\"jobs\":[0-9]*' && "
            "$S ingest --state $D/j2 --jobs 2 --json $D/j.spoor | "
            "grep -o '\"jobs\":[0-9]*' && "
            "$S ingest --state $D/j8 --jobs 8 --json $D/j.spoor | "
            "grep -o '\"jobs\":[0-9]*' && "
            "cmp $D/j1/gen-000001.snap $D/j2/gen-000001.snap && echo same");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert_str_eq(r.out, "\"jobs\":1\n\"jobs\":2\n\"jobs\":2\nsame\n",
                     "%s", r.out);
    free(r.out);
}


Test(ingest, forget_survives_reingest)
{
    log_t          l;
    spoor_event_t  e;
    run_t          r;

    write_rules(shop_rules);
    log_open(&l, "a.spoor");
    e = ev(SPOOR_KIND_IDENTIFY, NULL, T0, "v9", "a9", "u9");
    map(&e.traits, "email", "u9@example.com", NULL);
    log_add(&l, &e);
    log_close(&l);
    ingest("$D/a.spoor");
    cr_assert(exists("u9"));

    r = run("$S forget --state $D/st --rules $R a9");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    cr_assert(!exists("u9"), "forgotten profile still found by u9");
    cr_assert(!exists("v9"));

    /* an old event of u9 arrives in another file: stays erased */
    log_open(&l, "late.spoor");
    e = ev(SPOOR_KIND_PAGE, "Old", T0 + HOUR, NULL, NULL, "u9");
    log_add(&l, &e);
    log_close(&l);
    ingest("$D/late.spoor $D/a.spoor");
    cr_assert(!exists("u9"), "re-ingesting old events revived u9");

    r = run("$S lineage --state $D/st | tail -n 1");
    cr_assert(strstr(r.out, "\"erased\":1") != NULL, "%s", r.out);
    free(r.out);
}


Test(ingest, junk_ids_never_merge_and_merge_cap_holds)
{
    log_t          l;
    spoor_event_t  e;
    run_t          r;
    static const char  *junk[] = { "null", "undefined", "anonymous", "0",
                                   "00000000-0000-0000-0000-000000000000",
                                   "", "bad-id" };
    int            i;
    char           v[8];

    write_rules("");
    log_open(&l, "a.spoor");
    /* seven visitors, each sending one of the junk user ids */
    for (i = 0; i < 7; i++) {
        snprintf(v, sizeof(v), "jv%d", i);
        e = ev(SPOOR_KIND_IDENTIFY, NULL, T0 + i, v, NULL, junk[i]);
        log_add(&l, &e);
        e = ev(SPOOR_KIND_IDENTIFY, NULL, T0 + 100 + i, v, NULL, junk[0]);
        log_add(&l, &e);
    }
    /* an alias chain c0 <- c1 <- ... <- c5 on one visitor: capped at 3 */
    for (i = 1; i < 6; i++) {
        char  a[8], b[8];

        snprintf(a, sizeof(a), "c%d", i - 1);
        snprintf(b, sizeof(b), "c%d", i);
        e = ev(SPOOR_KIND_ALIAS, NULL, T0 + 1000 + i, NULL, NULL, b);
        set(&e.previous_id, a);
        log_add(&l, &e);
    }
    log_close(&l);

    r = run("$S ingest --state $D/st --rules $R --ids-max 3 --junk-id bad-id "
            "--json $D/a.spoor");
    cr_assert_eq(r.status, 0, "%s", r.out);
    /* 7 visitors alone + c0..c5 in sets of at most 3 ids */
    cr_assert(strstr(r.out, "\"merges_refused\":") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"merges_refused\":0") == NULL,
              "the cap refused nothing: %s", r.out);
    free(r.out);

    r = run("$S export --state $D/st | grep -c '\"visitorId\"'");
    cr_assert_str_eq(r.out, "7\n", "junk ids merged visitors: %s", r.out);
    free(r.out);
    r = run("$S export --state $D/st | grep -o '\"userId\":\\[[^]]*\\]' "
            "| awk -F, '{ if (NF > 3) bad = 1 } END { print bad ? \"over\" : "
            "\"ok\" }'");
    cr_assert_str_eq(r.out, "ok\n", "%s", r.out);
    free(r.out);
    r = run("$S export --state $D/st | grep -c -e '\"null\"' -e '\"0\"' "
            "-e 'bad-id' -e '\"anonymous\"'");
    cr_assert_str_eq(r.out, "0\n", "a junk id was kept: %s", r.out);
    free(r.out);
}


Test(ingest, anonymous_and_not_for_profiling_never_profiled)
{
    log_t          l;
    spoor_event_t  e;
    run_t          r;

    write_rules("");
    log_open(&l, "a.spoor");
    e = ev(SPOOR_KIND_PAGE, "Home", T0, "nv", "na", "nu");
    e.consent.no_profiling = 1;
    log_add(&l, &e);
    e = ev(SPOOR_KIND_PAGE, "Home", T0 + 1, NULL, NULL, NULL);
    set(&e.consent.action, "anonymous");
    e.consent.no_profiling = 1;
    log_add(&l, &e);
    e = ev(SPOOR_KIND_PAGE, "Home", T0 + 2, NULL, NULL, NULL);
    set(&e.consent.action, "cookieless");
    set(&e.cookieless_id, "0123456789abcdef0123456789abcdef");
    log_add(&l, &e);
    log_close(&l);

    ingest("$D/a.spoor");
    cr_assert(!exists("nu"), "a not-for-profiling event made a profile");
    r = run("$S export --state $D/st | wc -l");
    cr_assert_str_eq(r.out, "0\n");
    free(r.out);
    r = run("$S lineage --state $D/st");
    cr_assert(strstr(r.out, "\"not_for_profiling\":1") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"anonymous\":1") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"cookieless\":1") != NULL, "%s", r.out);
    free(r.out);
    r = run("$S stats --state $D/st");
    cr_assert(strstr(r.out, "\"consentActions\":{\"anonymous\":1,"
                            "\"cookieless\":1,\"full\":1}") != NULL,
              "%s", r.out);
    free(r.out);
}


Test(ingest, import_traits_never_overwrite_fresher)
{
    log_t          l;
    spoor_event_t  e;
    run_t          r;
    yajl_val       p;

    write_rules("");
    log_open(&l, "a.spoor");
    e = ev(SPOOR_KIND_IDENTIFY, NULL, T0 + DAY, "iv", NULL, "iu");
    map(&e.traits, "plan", "basic", "city", "Rome", NULL);
    log_add(&l, &e);
    log_close(&l);
    ingest("$D/a.spoor");

    r = run("printf '%%s\\n' "
            "'{\"userId\":\"iu\",\"traits\":{\"plan\":\"old\"},"
            "\"time\":\"2026-01-01T00:00:00Z\"}' "
            "'{\"userId\":\"iu\",\"traits\":{\"city\":\"Oslo\",\"vip\":true},"
            "\"time\":\"2026-01-05T00:00:00Z\"}' "
            "'not json' > $D/t.jsonl && "
            "$S import-traits --state $D/st --rules $R $D/t.jsonl");
    cr_assert_eq(r.status, 1, "a bad line must give exit 1: %s", r.out);
    free(r.out);

    p = profile("iu");
    cr_assert_not_null(p);
    cr_assert_str_eq(YAJL_GET_STRING(get(p, "traits", "plan", NULL)
                                     ->u.object.values[0]), "basic");
    cr_assert_str_eq(YAJL_GET_STRING(get(p, "traits", "city", NULL)
                                     ->u.object.values[0]), "Oslo");
    cr_assert_str_eq(YAJL_GET_STRING(get(p, "traits", "city", "source")),
                     "import");
    cr_assert(YAJL_IS_TRUE(get(p, "traits", "vip", "value")));
    yajl_tree_free(p);
}


Test(ingest, rule_errors_name_file_line_and_column)
{
    run_t  r;

    write_rules("segment ok = orders > 1;\nsegment bad = count(3x) > 1;\n");
    r = run("$S gen --events 10 --out $D/g.spoor && "
            "$S ingest --state $D/st --rules $R $D/g.spoor 2>&1");
    cr_assert_eq(r.status, 2, "%s", r.out);
    cr_assert(strstr(r.out, "segments.rules:2:") != NULL, "%s", r.out);
    free(r.out);
    r = run("test -e $D/st/CURRENT && echo written || echo none");
    cr_assert_str_eq(r.out, "none\n");
    free(r.out);
}


Test(ingest, kill_during_a_run_leaves_the_previous_generation, .timeout = 120)
{
    run_t  r;
    int    i;

    write_rules(shop_rules);
    r = run("$S gen --events 300000 --seed 5 --out $D/big.spoor && "
            "$S gen --events 2000 --seed 6 --out $D/small.spoor && "
            "$S ingest --state $D/ref --rules $R $D/small.spoor $D/big.spoor "
            ">/dev/null && "
            "$S ingest --state $D/st --rules $R $D/small.spoor >/dev/null "
            "&& echo ok");
    cr_assert_str_eq(r.out, "ok\n", "%s", r.out);
    free(r.out);

    for (i = 0; i < 6; i++) {
        /* killed at a different moment each time (0.05 .. 0.55 s) */
        r = run("timeout -s KILL 0.%d5 $S ingest --state $D/st --rules $R "
                "$D/big.spoor >/dev/null 2>&1; "
                "$S export --state $D/st >/dev/null && cat $D/st/CURRENT",
                i);
        cr_assert_eq(r.status, 0, "after kill %d the state is unreadable: %s",
                     i, r.out);
        free(r.out);
    }
    r = run("$S ingest --state $D/st --rules $R $D/big.spoor >/dev/null && "
            "cmp $D/st/$(cat $D/st/CURRENT) $D/ref/gen-000001.snap && "
            "ls -a $D/st | grep -c tmp; echo same");
    cr_assert_str_eq(r.out, "0\nsame\n", "the completed run differs from "
                     "an uninterrupted one, or left temporary files: %s",
                     r.out);
    free(r.out);
}


Test(ingest, damaged_log_is_reported_and_the_rest_applied)
{
    run_t  r;

    write_rules("");
    r = run("$S gen --events 20000 --seed 3 --frame-bytes 8192 --out $D/g.spoor "
            "&& cp $D/g.spoor $D/cut.spoor && truncate -s -100 $D/cut.spoor && "
            "$S ingest --state $D/st --json $D/cut.spoor 2>$D/err; "
            "echo \"exit=$?\"; grep -c 'truncated frame' $D/err");
    /* exit 1 (damaged), one damage line, and a generation written */
    cr_assert(strstr(r.out, "exit=1\n1\n") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\"damaged\":true") != NULL, "%s", r.out);
    free(r.out);
    r = run("cat $D/st/CURRENT && $S lineage --state $D/st | grep -c '\"damaged\":true'");
    cr_assert_str_eq(r.out, "gen-000001.snap\n1\n", "%s", r.out);
    free(r.out);

    /* the intact frames were applied: the whole log adds only the rest */
    r = run("$S ingest --state $D/st --json $D/g.spoor | "
            "grep -o '\"new_records\":[0-9]*'");
    cr_assert(strncmp(r.out, "\"new_records\":", 14) == 0, "%s", r.out);
    cr_assert(atol(r.out + 14) > 0 && atol(r.out + 14) < 2000,
              "expected only the lost frame's records to be new: %s", r.out);
    free(r.out);
}


/* ---- following a log being written (ingest_log_at, INGEST_FOLLOW) ------- */

/* The frame pairs of a log (docs/FORMAT.md "Frames"), found from their
 * metadata alone: a skippable frame (u32le 0x184D2A53, u32le n, "SPOR",
 * a msgpack map with "fl", the data frame's length), then the LZ4 data
 * frame (0x184D2204).  end[i] is the offset after pair i, meta[i] the
 * length of its metadata frame; returns the number of pairs. */
#define PAIRS_MAX  256

static uint32_t
le32(const unsigned char *p)
{
    return p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}

static size_t
frame_pairs(const unsigned char *b, size_t len, size_t *end, size_t *meta)
{
    size_t            off = 0, n = 0, i, o;
    uint32_t          mlen;
    uint64_t          fl;
    msgpack_unpacked  u;

    while (off < len) {
        cr_assert_lt(n, PAIRS_MAX);
        cr_assert_leq(off + 12, len);
        cr_assert_eq(le32(b + off), 0x184D2A53, "no metadata at %zu", off);
        mlen = le32(b + off + 4);
        cr_assert_eq(memcmp(b + off + 8, "SPOR", 4), 0);
        msgpack_unpacked_init(&u);
        o = 0;
        cr_assert_eq(msgpack_unpack_next(&u, (const char *) b + off + 12,
                                         mlen - 4, &o),
                     MSGPACK_UNPACK_SUCCESS, "metadata at %zu", off);
        cr_assert_eq(u.data.type, MSGPACK_OBJECT_MAP);
        fl = 0;
        for (i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv  *kv = &u.data.via.map.ptr[i];

            if (kv->key.type == MSGPACK_OBJECT_STR
                && kv->key.via.str.size == 2
                && memcmp(kv->key.via.str.ptr, "fl", 2) == 0)
            {
                fl = kv->val.via.u64;
            }
        }
        msgpack_unpacked_destroy(&u);
        cr_assert_gt(fl, 0, "no data frame length at %zu", off);
        meta[n] = 8 + mlen;
        cr_assert_eq(le32(b + off + meta[n]), 0x184D2204,
                     "no data frame after the metadata at %zu", off);
        off += meta[n] + fl;
        end[n++] = off;
    }
    cr_assert_eq(off, len, "the last frame runs past the end");
    return n;
}


static unsigned char *
slurp(const char *name, size_t *len)
{
    char            path[256];
    FILE           *f;
    unsigned char  *b;
    long            n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    cr_assert_gt(n, 0);
    rewind(f);
    b = malloc((size_t) n);
    cr_assert_not_null(b);
    cr_assert_eq(fread(b, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    *len = (size_t) n;
    return b;
}


/* Writes n bytes at p as the whole of dir/name (its path into path);
 * returns a new descriptor of it for reading, as the follower has. */
static int
live_log(const char *name, const void *p, size_t n, char *path,
    size_t pathlen)
{
    int  fd;

    snprintf(path, pathlen, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0, "%s", path);
    cr_assert_eq(write(fd, p, n), (ssize_t) n);
    close(fd);
    fd = open(path, O_RDONLY);
    cr_assert(fd >= 0, "%s", path);
    return fd;
}

/* Appends n bytes at p to path, the way a writer does (O_APPEND). */
static void
append(const char *path, const void *p, size_t n)
{
    int  fd = open(path, O_WRONLY | O_APPEND);

    cr_assert(fd >= 0, "%s", path);
    cr_assert_eq(write(fd, p, n), (ssize_t) n);
    close(fd);
}


static void
commit_st(state_t *st)
{
    size_t    profiles;
    uint64_t  bytes;
    char      err[512];

    cr_assert_eq(state_commit(st, "\"test\":true", &profiles, &bytes, err,
                              sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_gt(profiles, 0);
}


/* A log of many small frames, its bytes and its frame pairs. */
static unsigned char *
small_frames(size_t *len, size_t *end, size_t *meta, size_t *npairs)
{
    unsigned char  *b;
    run_t           r;

    r = run("$S gen --events 600 --seed 4 --frame-bytes 8192 "
            "--out $D/g.spoor 2>&1");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    b = slurp("g.spoor", len);
    *npairs = frame_pairs(b, *len, end, meta);
    cr_assert_geq(*npairs, 10, "only %zu frames", *npairs);
    return b;
}


Test(ingest, following_holds_a_torn_frame_back_and_reads_it_whole_later,
     .timeout = 120)
{
    size_t                 len, end[PAIRS_MAX], meta[PAIRS_MAX], n, k, cut;
    size_t                 c;
    unsigned char         *b = small_frames(&len, end, meta, &n);
    state_t                st;
    ingest_t              *in;
    ingest_input_t         whole, o1, o2;
    ingest_tally_t         ref;
    const ingest_tally_t  *t;
    char                   path[256], name[32];
    int                    fd;
    run_t                  r;

    /* the reference: the whole log at once */
    state_run_open(&st, "ref");
    in = ingest_new(&st);
    cr_assert_not_null(in);
    snprintf(path, sizeof(path), "%s/g.spoor", dir);
    cr_assert_eq(ingest_log(in, path, &whole), SPOOR_OK);
    cr_assert_eq(whole.damaged, 0);
    cr_assert_eq(whole.frames, n);
    cr_assert_eq(ingest_finish(in), SPOOR_OK);
    ref = *ingest_tally(in);
    cr_assert_eq(ref.records, 600);
    commit_st(&st);
    ingest_free(in);
    state_close(&st);

    /* pair k cut short: inside its metadata, right after it, inside its
     * data frame, one byte before its end */
    k = n / 2;
    {
        const size_t  cuts[] = {
            end[k - 1] + 5, end[k - 1] + 8 + 3, end[k - 1] + meta[k],
            end[k - 1] + meta[k] + 1, (end[k - 1] + meta[k] + end[k]) / 2,
            end[k] - 1
        };

        for (c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
            cut = cuts[c];
            snprintf(name, sizeof(name), "f%zu", c);
            state_run_open(&st, name);
            in = ingest_new(&st);
            cr_assert_not_null(in);
            ingest_set_jobs(in, 1 + (unsigned) (c % 2)); /* follow: serial */
            fd = live_log("live.spoor", b, cut, path, sizeof(path));

            cr_assert_eq(ingest_log_at(in, fd, path, 0, INGEST_FOLLOW, &o1),
                         SPOOR_OK);
            t = ingest_tally(in);
            cr_assert_eq(o1.damaged, 0, "cut at %zu: the torn frame was "
                         "taken for damage", cut);
            cr_assert_eq(t->damaged, 0, "cut at %zu: damage counted", cut);
            cr_assert_eq(o1.end, end[k - 1], "cut at %zu: the next read "
                         "begins at %llu, not after the last whole frame "
                         "(%zu)", cut, (unsigned long long) o1.end,
                         end[k - 1]);
            cr_assert_lt(o1.end, o1.size);
            cr_assert_eq(o1.size, cut);
            cr_assert_eq(o1.start, 0);
            cr_assert_eq(o1.frames, k);

            /* the rest arrives; the next read starts at the torn frame
             * and continues the first one's checksum chain */
            append(path, b + cut, len - cut);
            o2.checksum = o1.checksum;
            cr_assert_eq(ingest_log_at(in, fd, path, o1.end,
                                       INGEST_FOLLOW | INGEST_CHAIN, &o2),
                         SPOOR_OK);
            cr_assert_eq(o2.checksum, whole.checksum, "cut at %zu: the "
                         "chained checksum is not the whole file's", cut);
            cr_assert_eq(o2.damaged, 0, "cut at %zu", cut);
            cr_assert_eq(t->damaged, 0, "cut at %zu", cut);
            cr_assert_eq(o2.start, o1.end);
            cr_assert_eq(o2.end, len, "cut at %zu: ended at %llu of %zu",
                         cut, (unsigned long long) o2.end, len);
            cr_assert_eq(o2.frames, n - k, "cut at %zu", cut);
            cr_assert_eq(o1.records + o2.records, ref.records,
                         "cut at %zu", cut);
            cr_assert_eq(o1.new_records + o2.new_records, ref.records);
            cr_assert_eq(t->records, ref.records);
            cr_assert_eq(t->applied, ref.applied);
            cr_assert_eq(t->duplicate, 0, "cut at %zu: a frame read twice",
                         cut);

            /* and the state is the one-shot state, byte for byte */
            cr_assert_eq(ingest_finish(in), SPOOR_OK);
            commit_st(&st);
            ingest_free(in);
            state_close(&st);
            close(fd);
            r = run("cmp $D/ref/gen-000001.snap $D/%s/gen-000001.snap",
                    name);
            cr_assert_eq(r.status, 0, "cut at %zu: %s", cut, r.out);
            free(r.out);
        }
    }
    free(b);
}


Test(ingest, a_torn_frame_read_without_follow_is_damage)
{
    size_t                 len, end[PAIRS_MAX], meta[PAIRS_MAX], n, k, cut;
    unsigned char         *b = small_frames(&len, end, meta, &n);
    state_t                st;
    ingest_t              *in;
    ingest_input_t         o;
    char                   path[256];
    int                    fd;

    k = n / 2;
    cut = (end[k - 1] + meta[k] + end[k]) / 2;      /* inside the data */
    state_run_open(&st, "s");
    in = ingest_new(&st);
    cr_assert_not_null(in);
    fd = live_log("cut.spoor", b, cut, path, sizeof(path));

    cr_assert_eq(ingest_log_at(in, fd, path, 0, 0, &o), SPOOR_OK);
    cr_assert_eq(o.damaged, 1, "a log cut inside a frame is damaged");
    cr_assert_eq(ingest_tally(in)->damaged, 1);
    cr_assert_eq(o.frames, k);
    cr_assert_eq(o.end, cut, "without follow the read ends at the end");

    /* the same through ingest_log, once more: reported again */
    cr_assert_eq(ingest_log(in, path, &o), SPOOR_OK);
    cr_assert_eq(o.damaged, 1);
    cr_assert_eq(ingest_tally(in)->damaged, 2);

    /* and followed (a descriptor of its own), the same bytes are not */
    close(fd);
    fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert_eq(ingest_log_at(in, fd, path, 0, INGEST_FOLLOW, &o),
                 SPOOR_OK);
    cr_assert_eq(o.damaged, 0);
    cr_assert_eq(ingest_tally(in)->damaged, 2);
    cr_assert_eq(o.end, end[k - 1]);

    close(fd);
    ingest_free(in);
    state_close(&st);
    free(b);
}


Test(ingest, following_reports_damage_once_a_frame_follows_it)
{
    static const char      junk[] = "not a frame, only bytes in the way";
    size_t                 len, end[PAIRS_MAX], meta[PAIRS_MAX], n, half;
    unsigned char         *b = small_frames(&len, end, meta, &n);
    state_t                st;
    ingest_t              *in;
    ingest_input_t         o;
    const ingest_tally_t  *t;
    char                   path[256];
    int                    fd;

    state_run_open(&st, "s");
    in = ingest_new(&st);
    cr_assert_not_null(in);
    t = ingest_tally(in);

    /* pair 0, garbage, pairs 1 and 2: the garbage is real damage */
    fd = live_log("a.spoor", b, end[0], path, sizeof(path));
    append(path, junk, sizeof(junk) - 1);
    append(path, b + end[0], end[2] - end[0]);
    cr_assert_eq(ingest_log_at(in, fd, path, 0, INGEST_FOLLOW, &o),
                 SPOOR_OK);
    cr_assert_eq(o.damaged, 1, "garbage before a frame is damage");
    cr_assert_eq(t->damaged, 1);
    cr_assert_eq(o.frames, 3);
    cr_assert_eq(o.end, end[2] + sizeof(junk) - 1);
    close(fd);

    /* garbage at the end: held back; once a frame follows, reported (by
     * the read that starts after the last whole frame) */
    fd = live_log("b.spoor", b + end[2], end[4] - end[2], path,
                  sizeof(path));
    append(path, junk, sizeof(junk) - 1);
    cr_assert_eq(ingest_log_at(in, fd, path, 0, INGEST_FOLLOW, &o),
                 SPOOR_OK);
    cr_assert_eq(o.damaged, 0);
    cr_assert_eq(t->damaged, 1);
    cr_assert_eq(o.frames, 2);
    cr_assert_eq(o.end, end[4] - end[2]);
    append(path, b + end[4], end[5] - end[4]);
    cr_assert_eq(ingest_log_at(in, fd, path, o.end, INGEST_FOLLOW, &o),
                 SPOOR_OK);
    cr_assert_eq(o.damaged, 1, "garbage before a later frame is damage");
    cr_assert_eq(t->damaged, 2);
    cr_assert_eq(o.frames, 1);
    cr_assert_eq(o.end, end[5] - end[2] + sizeof(junk) - 1);
    close(fd);

    /* a frame torn by a crash, then a whole one from the next writer:
     * the torn one is damage now */
    half = end[5] + (end[6] - end[5]) / 2;
    fd = live_log("c.spoor", b + end[5], half - end[5], path, sizeof(path));
    append(path, b + end[6], end[7] - end[6]);
    cr_assert_eq(ingest_log_at(in, fd, path, 0, INGEST_FOLLOW, &o),
                 SPOOR_OK);
    cr_assert_eq(o.damaged, 1, "a torn frame before a whole one is damage");
    cr_assert_eq(t->damaged, 3);
    cr_assert_eq(o.frames, 1);
    cr_assert_eq(o.end, (half - end[5]) + (end[7] - end[6]));
    close(fd);

    ingest_free(in);
    state_close(&st);
    free(b);
}


/* The first frame of a log torn at the first read: the next read, from
 * offset 0 again on the same descriptor, must begin at the file's start,
 * not where the descriptor was left. */
Test(ingest, following_reads_a_torn_first_frame_whole_later)
{
    size_t                 len, end[PAIRS_MAX], meta[PAIRS_MAX], n, cut;
    unsigned char         *b = small_frames(&len, end, meta, &n);
    state_t                st;
    ingest_t              *in;
    ingest_input_t         o1, o2;
    char                   path[256];
    int                    fd;

    cut = (meta[0] + end[0]) / 2;
    state_run_open(&st, "s");
    in = ingest_new(&st);
    cr_assert_not_null(in);
    fd = live_log("live.spoor", b, cut, path, sizeof(path));
    cr_assert_eq(ingest_log_at(in, fd, path, 0, INGEST_FOLLOW, &o1),
                 SPOOR_OK);
    cr_assert_eq(o1.damaged, 0);
    cr_assert_eq(o1.frames, 0);
    cr_assert_eq(o1.end, 0, "no whole frame yet: the next read begins at 0");

    append(path, b + cut, len - cut);
    cr_assert_eq(ingest_log_at(in, fd, path, o1.end, INGEST_FOLLOW, &o2),
                 SPOOR_OK);
    cr_assert_eq(o2.damaged, 0, "the first frame, now whole, was taken "
                 "for damage");
    cr_assert_eq(ingest_tally(in)->damaged, 0);
    cr_assert_eq(o2.frames, n, "%llu of %zu frames read",
                 (unsigned long long) o2.frames, n);
    cr_assert_eq(o2.records, 600);
    cr_assert_eq(o2.end, len);

    close(fd);
    ingest_free(in);
    state_close(&st);
    free(b);
}
