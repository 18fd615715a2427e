/*
 * test_merge.c -- the background merge (analyzer/merge.h) driven through
 * the state's own calls, as a follower drives it: commits that start a
 * merge, deltas committed while the child writes, the merged base
 * adopted, a merge killed, a state closed during one.  Each ends with
 * `spoor export` of the state equal to a one-shot run over the same logs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "error.h"
#include "ingest.h"
#include "merge.h"
#include "settings.h"
#include "state.h"
#include "spoor_run.h"
#include "state_run.h"

static void
setup(void)
{
    run_t  r;
    int    k;

    spoor_run_setup("/tmp/spoor-merge-XXXXXX");
    for (k = 1; k <= 7; k++) {
        r = run("\"$S\" gen --events 3000 --seed %d --visitors 800 "
                "--start %lld --out \"$D/g%d.spoor\" > /dev/null", k,
                1767225600000LL + k * 86400000LL, k);
        cr_assert_eq(r.status, 0, "%s", r.out);
        free(r.out);
    }
}

static void teardown(void) { spoor_run_teardown(); }

TestSuite(merge, .init = setup, .fini = teardown);


/* The test's state, as a follower opens it. */
static void
open_state(state_t *st)
{
    state_run_open(st, "state");
    st->background = 1;                 /* as a follower */
}


/* Folds log gK into st and commits. */
static void
fold(state_t *st, int k)
{
    char            path[256], err[512];
    ingest_t       *in;
    ingest_input_t  inp;
    size_t          profiles;
    uint64_t        bytes;

    snprintf(path, sizeof(path), "%s/g%d.spoor", dir, k);
    in = ingest_new(st);
    cr_assert_not_null(in);
    cr_assert_eq(ingest_log(in, path, &inp), SPOOR_OK);
    cr_assert_eq(ingest_finish(in), SPOOR_OK);
    cr_assert_eq(state_commit(st, "\"test\":true", &profiles, &bytes, err,
                              sizeof(err)), SPOOR_OK, "%s", err);
    ingest_free(in);
}


/* Until the merge ends (state_merge_poll says so), 20 s at most. */
static void
until_ended(state_t *st)
{
    struct timespec  nap = { 0, 20000000 };
    int              i;

    for (i = 0; i < 1000; i++) {
        if (state_merge_poll(st)) {
            return;
        }
        nanosleep(&nap, NULL);
    }
    cr_assert_fail("the merge did not end in 20 s");
}


/* A state whose third generation started a merge lasting sleep_ms more
 * than it takes (two full generations, then a delta changing more than
 * a quarter of the profiles). */
static void
start_merge(state_t *st, const char *sleep_ms)
{
    setenv("SPOOR_TEST_MERGE_SLEEP_MS", sleep_ms, 1);
    open_state(st);
    fold(st, 1);
    fold(st, 2);
    cr_assert_eq(st->base, st->gen, "the first two generations are full");
    fold(st, 3);
    cr_assert_neq(st->base, st->gen, "generation %u is a delta", st->gen);
    cr_assert_neq(st->merge_pid, 0, "a merge runs");
}


static int
gen_exists(uint32_t g)
{
    char  path[256];

    snprintf(path, sizeof(path), "%s/state/gen-%06u.snap", dir, g);
    return access(path, F_OK) == 0;
}


/* The export of the state equals a one-shot run over g1 .. gN. */
static void
same_as_one_shot(int n)
{
    char   logs[1024] = "";
    int    k;
    run_t  r;

    for (k = 1; k <= n; k++) {
        snprintf(logs + strlen(logs), sizeof(logs) - strlen(logs),
                 " \"$D/g%d.spoor\"", k);
    }
    r = run("\"$S\" ingest --state \"$D/one\" %s > /dev/null 2>&1 && "
            "\"$S\" export --state \"$D/one\" | sort > \"$D/one.x\" && "
            "\"$S\" export --state \"$D/state\" | sort > \"$D/st.x\" && "
            "cmp \"$D/one.x\" \"$D/st.x\" && wc -l < \"$D/st.x\"", logs);
    cr_assert_eq(r.status, 0, "the export differs from a one-shot run: %s",
                 r.out);
    cr_assert_gt(atoi(r.out), 100);
    free(r.out);
}


/* Two full generations, then a run that changes more than a quarter of
 * the profiles: a delta, and a merge in a child; a delta committed while
 * it runs follows the old chain; once adopted, the next generation
 * follows the merged base. */
Test(merge, deltas_go_on_during_a_merge_then_follow_the_merged_base,
     .timeout = 60)
{
    state_t   st;
    uint32_t  m, old;

    start_merge(&st, "500");
    old = 2;
    m = st.merge_gen;
    cr_assert_eq(m, st.gen + 1, "the merge's number is the next one");
    fold(&st, 4);
    cr_assert_eq(st.gen, m + 1, "a delta published during the merge");
    cr_assert_eq(st.base, old, "it follows the old chain");
    until_ended(&st);
    cr_assert_eq(st.base, m, "the merged base is adopted");
    cr_assert(gen_exists(m));
    fold(&st, 5);
    cr_assert_eq(st.base, m);
    cr_assert_eq(st.chain_len, 1, "the next generation follows it");
    state_close(&st);
    same_as_one_shot(5);
}


/* A merge killed: reported by the poll, its files removed, and the next
 * generation is a full one. */
Test(merge, a_killed_merge_leaves_nothing_and_the_next_generation_is_full,
     .timeout = 60)
{
    state_t   st;
    uint32_t  m;

    start_merge(&st, "10000");
    m = st.merge_gen;
    cr_assert_eq(kill(st.merge_pid, SIGKILL), 0);
    until_ended(&st);
    cr_assert_eq(st.merge_pid, 0);
    cr_assert(st.full_next, "the next generation is full");
    cr_assert(!gen_exists(m), "nothing of the killed merge is left");
    fold(&st, 4);
    cr_assert_eq(st.base, st.gen, "generation %u is full", st.gen);
    state_close(&st);
    same_as_one_shot(4);
}


/* Closing the state (a follower stopping, or reopening on SIGHUP) stops
 * its merge: the child is gone, nothing of it is left, and the state
 * opens again at once (the child held the lock with it). */
Test(merge, closing_the_state_stops_its_merge, .timeout = 60)
{
    state_t   st;
    uint32_t  m, g;
    pid_t     pid;

    start_merge(&st, "10000");
    pid = st.merge_pid;
    m = st.merge_gen;
    g = st.gen;
    cr_assert_neq(pid, 0, "a merge runs");
    state_close(&st);
    cr_assert_eq(kill(pid, 0), -1, "the merge's process is gone");
    cr_assert_eq(errno, ESRCH);
    cr_assert(!gen_exists(m));
    open_state(&st);
    cr_assert_eq(st.gen, g);
    state_close(&st);
    same_as_one_shot(3);
}


/* Until the file of generation g exists (the child renamed it), 20 s. */
static void
until_exists(uint32_t g)
{
    struct timespec  nap = { 0, 20000000 };
    int              i;

    for (i = 0; i < 1000 && !gen_exists(g); i++) {
        nanosleep(&nap, NULL);
    }
    cr_assert(gen_exists(g), "generation %u was not written in 20 s", g);
}


/* A merged base written but not adopted yet is not a kept base: the
 * older base it would replace stays while the merge may still fail. */
Test(merge, retention_does_not_count_a_merge_not_adopted, .timeout = 60)
{
    state_t   st;
    uint32_t  m;

    start_merge(&st, "0");
    cr_assert(gen_exists(1) && gen_exists(2));
    m = st.merge_gen;
    until_exists(m);                /* written, not polled: not adopted */
    fold(&st, 4);                   /* a delta, and retention */
    cr_assert(gen_exists(1), "the older base was removed for a merge not "
              "adopted yet");
    until_ended(&st);
    cr_assert_eq(st.base, m);
    state_close(&st);
    same_as_one_shot(4);
}


/* What a follower killed during a merge may leave, the merged base
 * written but never adopted (numbered below later deltas), or a serving
 * view without its snapshot, is removed by the next writer's open. */
Test(merge, the_next_open_removes_a_merge_never_adopted, .timeout = 60)
{
    state_t   st;
    uint32_t  m, g;
    char      path[256];
    FILE     *f;

    start_merge(&st, "0");
    m = st.merge_gen;
    until_exists(m);
    fold(&st, 4);                   /* a delta numbered after it */
    g = st.gen;
    cr_assert_gt(g, m);
    st.merge_pid = 0;               /* the follower "dies" before it
                                       polls: the merge is not adopted */
    state_close(&st);
    cr_assert(gen_exists(m));
    open_state(&st);
    cr_assert_eq(st.gen, g);
    cr_assert(!gen_exists(m), "the merge never adopted is left");
    snprintf(path, sizeof(path), "%s/state/gen-%06u.serve", dir, m);
    cr_assert_neq(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/state/lineage/%06u.json", dir, m);
    cr_assert_neq(access(path, F_OK), 0, "its lineage entry is left");
    state_close(&st);

    /* the child killed between its two renames: the serving view alone */
    snprintf(path, sizeof(path), "%s/state/gen-%06u.serve", dir, m);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fclose(f);
    open_state(&st);
    cr_assert_neq(access(path, F_OK), 0, "a lone serving view is left");
    state_close(&st);
    same_as_one_shot(4);
}


/* Once the old base is removed, the deltas that followed it while a
 * merge ran (numbered after the merged base) are removed with it: no
 * chain of them is whole any more. */
Test(merge, deltas_of_a_removed_base_go_with_it, .timeout = 60)
{
    state_t   st;
    uint32_t  m, m2, during;
    int       k, last = 4;

    start_merge(&st, "0");
    m = st.merge_gen;
    fold(&st, 4);                   /* during the merge: follows base 2 */
    during = st.gen;
    cr_assert_gt(during, m);
    until_ended(&st);
    cr_assert_eq(st.base, m);
    for (k = 5; k <= 7 && st.merge_pid == 0; k++) {
        fold(&st, k);               /* until a second merge starts */
        last = k;
    }
    cr_assert_neq(st.merge_pid, 0, "no second merge after logs 5-7");
    m2 = st.merge_gen;
    until_ended(&st);
    cr_assert_eq(st.base, m2);
    cr_assert(gen_exists(during), "removed while its base is kept");
    fold(&st, 1);                   /* (applied already) a commit: the
                                       retention of keep 2 keeps m2, m */
    cr_assert(!gen_exists(2), "the old base is kept");
    cr_assert(!gen_exists(during), "a delta of the removed base %u is "
              "left", 2);
    cr_assert(gen_exists(m) && gen_exists(m2));
    state_close(&st);
    same_as_one_shot(last);
}
