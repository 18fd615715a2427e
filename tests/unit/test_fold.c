/*
 * test_fold.c -- the fold called directly (analyzer/ingest.h), not through
 * the binary: each admission outcome of ingest_event() on events built
 * here, the run's tally adding up, the counters added to the state once;
 * ingest_log() with one thread and with two giving the same snapshot
 * bytes and the same counts, on an intact log and on a damaged one.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "error.h"
#include "event.h"
#include "ingest.h"
#include "settings.h"
#include "state.h"
#include "spoor_run.h"
#include "state_run.h"

#define T0  1767225600000LL          /* 2026-01-01T00:00:00Z */

static void setup(void)    { spoor_run_setup("/tmp/spoor-fold-XXXXXX"); }
static void teardown(void) { spoor_run_teardown(); }

TestSuite(fold, .init = setup, .fini = teardown);


static spoor_str_t
S(const char *s)
{
    spoor_str_t  v = { s, strlen(s) };

    return v;
}


static void
page(spoor_event_t *ev, const char *vid, int64_t t)
{
    spoor_event_init(ev);
    ev->kind = SPOOR_KIND_PAGE;
    ev->kind_name = S("page");
    ev->received_ms = t;
    if (vid) {
        ev->visitor_id = S(vid);
    }
    ev->consent.present = 1;
    ev->consent.action = S("full");
    ev->consent.signal = S("tcf");
    ev->has_geo = 1;
    ev->geo.country = S("DE");
}


static uint64_t
counter(const state_t *st, const char *key)
{
    size_t  i;

    for (i = 0; i < st->ncounters; i++) {
        if (strcmp(st->counters[i].key, key) == 0) {
            return st->counters[i].n;
        }
    }
    return 0;
}


Test(fold, every_outcome_is_counted_once_and_the_counters_reach_the_state)
{
    state_t                st;
    ingest_t              *in;
    spoor_event_t          ev;
    const ingest_tally_t  *t;
    static const unsigned char  shoes[] = "\x81\xa8" "category" "\xa5" "shoes";

    state_run_open(&st, "s");
    in = ingest_new(&st);
    cr_assert_not_null(in);

    page(&ev, "v1", T0);                              /* applied */
    ev.properties.raw = shoes;
    ev.properties.raw_len = sizeof(shoes) - 1;
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    page(&ev, "v2", T0 + 1);                          /* applied */
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    page(&ev, "v3", T0 + 2);                          /* anonymous */
    ev.consent.action = S("anonymous");
    ev.properties.raw = shoes;
    ev.properties.raw_len = sizeof(shoes) - 1;
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    page(&ev, "v4", T0 + 3);                          /* not for profiling */
    ev.consent.no_profiling = 1;
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    page(&ev, NULL, T0 + 4);                          /* cookieless */
    ev.cookieless_id = S("c1");
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    page(&ev, NULL, T0 + 5);                          /* no id */
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    page(&ev, "undefined", T0 + 6);                   /* only a junk id */
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    spoor_event_init(&ev);                            /* withdrawal of v2 */
    ev.kind = SPOOR_KIND_CONSENT_WITHDRAWAL;
    ev.kind_name = S("consent_withdrawal");
    ev.received_ms = T0 + 7;
    ev.visitor_id = S("v2");
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);
    page(&ev, "v2", T0 + 6);                          /* erased: before it */
    cr_assert_eq(ingest_event(in, &ev), SPOOR_OK);

    t = ingest_tally(in);
    cr_assert_eq(t->applied, 2);
    cr_assert_eq(t->anonymous, 1);
    cr_assert_eq(t->no_profiling, 1);
    cr_assert_eq(t->cookieless, 1);
    cr_assert_eq(t->no_id, 2);
    cr_assert_eq(t->withdrawals, 1);
    cr_assert_eq(t->erased_profiles, 1);
    cr_assert_eq(t->erased, 1);
    cr_assert_eq(st.as_of, T0 + 7, "now is the latest receive time");

    /* counters are the run's until finished, then the state's, once */
    cr_assert_eq(counter(&st, "kind:page"), 0);
    cr_assert_eq(ingest_finish(in), SPOOR_OK);
    cr_assert_eq(ingest_finish(in), SPOOR_OK);
    cr_assert_eq(counter(&st, "kind:page"), 8);
    cr_assert_eq(counter(&st, "kind:consent_withdrawal"), 1);
    cr_assert_eq(counter(&st, "country:DE"), 8);
    cr_assert_eq(counter(&st, "action:anonymous"), 1);
    cr_assert_eq(counter(&st, "action:full"), 7);
    cr_assert_eq(counter(&st, "signal:tcf"), 8);
    cr_assert_eq(counter(&st, "category:shoes"), 1, "applied events only");

    ingest_free(in);
    state_close(&st);
}


/* Ingests paths[0 .. n) in turn into a new state with `jobs` threads
 * (reading and the commit's packing) and commits it, as a run of `spoor
 * ingest` does when `last` (state_t.last_commit); the tally and the last
 * input's figures to *t and *inp. */
static void
ingest_all_as(const char *name, const char **paths, size_t n,
    unsigned jobs, int last, ingest_tally_t *t, ingest_input_t *inp)
{
    state_t    st;
    ingest_t  *in;
    size_t     profiles, i;
    uint64_t   bytes;
    char       err[512];

    state_run_open(&st, name);
    st.commit_jobs = jobs;
    in = ingest_new(&st);
    cr_assert_not_null(in);
    ingest_set_jobs(in, jobs);
    for (i = 0; i < n; i++) {
        cr_assert_eq(ingest_log(in, paths[i], inp), SPOOR_OK);
    }
    cr_assert_eq(ingest_finish(in), SPOOR_OK);
    *t = *ingest_tally(in);
    st.last_commit = last;
    cr_assert_eq(state_commit(&st, "\"test\":true", &profiles, &bytes, err,
                              sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_gt(profiles, 0);
    if (last) {
        /* what only a later commit would need is gone: the id table and
         * the profiles' lists (packed, then freed; the index built
         * after them) */
        cr_assert_null(st.g.table);
        for (i = 0; i < st.g.n; i++) {
            const profile_t  *p = identity_held(&st.g, i);

            cr_assert(p == NULL || (p->lists == NULL && p->nweights == 0),
                      "a profile's lists outlived the last commit");
        }
    }
    ingest_free(in);
    state_close(&st);
}


static void
ingest_all_with(const char *name, const char **paths, size_t n,
    unsigned jobs, ingest_tally_t *t, ingest_input_t *inp)
{
    ingest_all_as(name, paths, n, jobs, 0, t, inp);
}


/* Ingests path into a new state with `jobs` threads and commits it. */
static void
ingest_with(const char *name, const char *path, unsigned jobs,
    ingest_tally_t *t, ingest_input_t *inp)
{
    ingest_all_with(name, &path, 1, jobs, t, inp);
}


static void
same_file(const char *a, const char *b)
{
    run_t  r = run("cmp '%s/%s' '%s/%s'", dir, a, dir, b);

    cr_assert_eq(r.status, 0, "%s and %s differ: %s", a, b, r.out);
    free(r.out);
}


static void
same_counts(const ingest_tally_t *a, const ingest_tally_t *b)
{
    cr_assert_eq(a->records, b->records);
    cr_assert_eq(a->frames, b->frames);
    cr_assert_eq(a->applied, b->applied);
    cr_assert_eq(a->bad, b->bad);
    cr_assert_eq(a->duplicate, b->duplicate);
    cr_assert_eq(a->damaged, b->damaged);
    cr_assert_eq(a->anonymous + a->no_profiling + a->no_id + a->cookieless,
                 b->anonymous + b->no_profiling + b->no_id + b->cookieless);
}


Test(fold, one_thread_and_two_give_the_same_snapshot, .timeout = 120)
{
    ingest_tally_t  t1, t2;
    ingest_input_t  i1, i2;
    char            log[256];
    run_t           r;

    r = run("\"$S\" gen --events 30000 --seed 3 --out \"$D/g.spoor\"");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    snprintf(log, sizeof(log), "%s/g.spoor", dir);

    ingest_with("j1", log, 1, &t1, &i1);
    ingest_with("j2", log, 2, &t2, &i2);
    same_file("j1/gen-000001.snap", "j2/gen-000001.snap");
    same_counts(&t1, &t2);
    cr_assert_eq(t1.records, 30000);
    cr_assert_eq(t1.records, t1.applied + t1.anonymous + t1.no_profiling
                             + t1.no_id + t1.cookieless + t1.erased
                             + t1.withdrawals + t1.bad + t1.duplicate);
    cr_assert_eq(i1.checksum, i2.checksum);
    cr_assert_eq(i1.new_frames, i2.new_frames);
    cr_assert_eq(i1.damaged, 0);
    cr_assert_eq(i2.damaged, 0);
}


/* The counters (kinds, days, consent, countries, pages, agents) are
 * taken by either thread with --jobs 2 (ingest.c, read_piped): they land
 * in the snapshot's meta, so a batch counted twice, or a repeated frame
 * counted, changes its bytes.  The profiles (about 3,600) fill more
 * chunks than commit_pack.c has slots, so its slots are reused. */
Test(fold, counts_are_the_same_with_two_threads_across_logs_and_repeats,
     .timeout = 120)
{
    char            a[256], b[256];
    const char     *paths[3];
    ingest_tally_t  t1, t2;
    ingest_input_t  i1, i2;
    run_t           r;

    r = run("\"$S\" gen --events 20000 --seed 11 --out \"$D/a.spoor\" && "
            "\"$S\" gen --events 80000 --seed 12 --out \"$D/b.spoor\"");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    snprintf(a, sizeof(a), "%s/a.spoor", dir);
    snprintf(b, sizeof(b), "%s/b.spoor", dir);
    paths[0] = a;
    paths[1] = a;                   /* repeated within the run */
    paths[2] = b;

    ingest_all_with("c1", paths, 3, 1, &t1, &i1);
    ingest_all_with("c2", paths, 3, 2, &t2, &i2);
    same_file("c1/gen-000001.snap", "c2/gen-000001.snap");
    same_file("c1/gen-000001.serve", "c2/gen-000001.serve");
    same_counts(&t1, &t2);
    cr_assert_eq(t1.duplicate, 20000);      /* a.spoor's second time */

    /* (but for the wall-clock time each run was committed at) */
    r = run("\"$S\" stats --state \"$D/c1\" | jq -c 'del(.history[].time)' "
            "> \"$D/c1.json\" && "
            "\"$S\" stats --state \"$D/c2\" | jq -c 'del(.history[].time)' "
            "> \"$D/c2.json\" && "
            "cmp \"$D/c1.json\" \"$D/c2.json\" && "
            "grep -q '\"track\":' \"$D/c1.json\"");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
}


/* A run's last commit frees the profiles' lists once their records are
 * packed and gives the writers the ids after (state.c, ids_later): the
 * files are those of any other commit, with one thread or two. */
Test(fold, a_run_s_last_commit_writes_what_any_commit_writes,
     .timeout = 120)
{
    ingest_tally_t  t;
    ingest_input_t  inp;
    char            log[256];
    const char     *path = log;
    run_t           r;

    r = run("\"$S\" gen --events 30000 --seed 7 --out \"$D/g.spoor\"");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    snprintf(log, sizeof(log), "%s/g.spoor", dir);

    ingest_all_as("any", &path, 1, 1, 0, &t, &inp);
    ingest_all_as("last1", &path, 1, 1, 1, &t, &inp);
    ingest_all_as("last2", &path, 1, 2, 1, &t, &inp);
    same_file("any/gen-000001.snap", "last1/gen-000001.snap");
    same_file("any/gen-000001.serve", "last1/gen-000001.serve");
    same_file("any/gen-000001.snap", "last2/gen-000001.snap");
    same_file("any/gen-000001.serve", "last2/gen-000001.serve");

    /* and every profile is found by each of its ids and its profile id */
    r = run("\"$S\" export --state \"$D/any\" > \"$D/any.json\" && "
            "jq -r '.id, .ids[][]' \"$D/any.json\" > \"$D/ids\" && "
            "jq -r '.id as $p | $p, (.ids[][] | $p)' \"$D/any.json\" "
            "> \"$D/want\" && "
            "test $(wc -l < \"$D/ids\") -gt 2000 && "
            "xargs -n 500 \"$S\" profile --state \"$D/last1\" "
            "< \"$D/ids\" | jq -r .id > \"$D/found\" && "
            "cmp \"$D/want\" \"$D/found\"");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
}


Test(fold, a_damaged_log_counts_the_same_with_two_threads, .timeout = 120)
{
    ingest_tally_t  t1, t2;
    ingest_input_t  i1, i2;
    char            log[256];
    run_t           r;

    /* bytes overwritten inside the log: some frames are lost */
    r = run("\"$S\" gen --events 20000 --seed 5 --out \"$D/g.spoor\" && "
            "printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' | "
            "dd of=\"$D/g.spoor\" bs=1 seek=300000 conv=notrunc 2>/dev/null "
            "&& printf 'YYYYYYYYYYYYYYYY' | "
            "dd of=\"$D/g.spoor\" bs=1 seek=900000 conv=notrunc 2>/dev/null");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    snprintf(log, sizeof(log), "%s/g.spoor", dir);

    ingest_with("j1", log, 1, &t1, &i1);
    ingest_with("j2", log, 2, &t2, &i2);
    cr_assert_eq(i1.damaged, 1);
    cr_assert_eq(i2.damaged, 1);
    cr_assert_gt(t1.damaged, 0);
    cr_assert_lt(t1.records, 20000);
    same_counts(&t1, &t2);
    same_file("j1/gen-000001.snap", "j2/gen-000001.snap");
}


Test(fold, a_log_that_cannot_be_opened_is_an_io_error)
{
    state_t         st;
    ingest_t       *in;
    ingest_input_t  inp;
    char            path[256];

    state_run_open(&st, "s");
    in = ingest_new(&st);
    ingest_set_jobs(in, 2);
    snprintf(path, sizeof(path), "%s/missing.spoor", dir);
    cr_assert_eq(ingest_log(in, path, &inp), SPOOR_E_IO);
    ingest_free(in);
    state_close(&st);
}


/* A process about to exit leaves the profiles to the exit, but lets the
 * state's lock go: the state opens again for writing, at the generation
 * just committed, with its profiles. */
Test(fold, closing_for_exit_lets_the_lock_go, .timeout = 120)
{
    state_t         st;
    ingest_t       *in;
    ingest_input_t  inp;
    size_t          profiles, again;
    uint64_t        bytes;
    char            log[256], err[512];
    run_t           r;

    r = run("\"$S\" gen --events 2000 --seed 4 --out \"$D/g.spoor\"");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    snprintf(log, sizeof(log), "%s/g.spoor", dir);

    state_run_open(&st, "s");
    in = ingest_new(&st);
    cr_assert_eq(ingest_log(in, log, &inp), SPOOR_OK);
    cr_assert_eq(ingest_finish(in), SPOOR_OK);
    cr_assert_eq(state_commit(&st, "\"test\":true", &profiles, &bytes, err,
                              sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_gt(profiles, 0);
    ingest_free(in);
    state_close_exiting(&st);     /* (a sanitizer build frees all) */

    state_run_open(&st, "s");
    cr_assert_eq(st.gen, 1);
    cr_assert_eq(state_commit(&st, "\"test\":true", &again, &bytes, err,
                              sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_eq(again, profiles);
    state_close(&st);
}


Test(fold, frames_applied_before_are_skipped_by_both_paths, .timeout = 120)
{
    ingest_tally_t  t;
    ingest_input_t  inp;
    state_t         st;
    ingest_t       *in;
    char            log[256];
    unsigned        jobs;
    run_t           r;

    r = run("\"$S\" gen --events 5000 --seed 9 --out \"$D/g.spoor\"");
    cr_assert_eq(r.status, 0, "%s", r.out);
    free(r.out);
    snprintf(log, sizeof(log), "%s/g.spoor", dir);
    ingest_with("s", log, 1, &t, &inp);

    for (jobs = 1; jobs <= 2; jobs++) {
        state_run_open(&st, "s");
        in = ingest_new(&st);
        ingest_set_jobs(in, jobs);
        /* the same log twice: applied before, and repeated in the run */
        cr_assert_eq(ingest_log(in, log, &inp), SPOOR_OK);
        cr_assert_eq(ingest_log(in, log, &inp), SPOOR_OK);
        cr_assert_eq(ingest_tally(in)->duplicate, 10000, "jobs %u", jobs);
        cr_assert_eq(ingest_tally(in)->applied, 0);
        cr_assert_eq(inp.new_frames, 0);
        ingest_free(in);
        state_close(&st);
    }
}
