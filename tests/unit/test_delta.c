/*
 * test_delta.c -- delta generations (docs/FORMAT.md "Delta generations")
 * on the workflows an operator runs: each test drives the `spoor`
 * program on logs made by `spoor gen` and compares what the readers
 * answer with a one-shot run over the same logs.  The equality of
 * `spoor export` (every profile, every inferred field) is the contract: a
 * chain of deltas is the state a full generation would hold.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chain.h"
#include "error.h"
#include "stored.h"
#include "spoor_run.h"


static void
setup(void)
{
    spoor_run_setup("/tmp/spoor-delta-XXXXXX");
}


static void
teardown(void)
{
    spoor_run_teardown();
}


TestSuite(delta, .init = setup, .fini = teardown);


static char *
ok(int want, const char *fmt, ...)
{
    char     cmd[8192];
    va_list  ap;
    run_t    r;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    r = run("%s", cmd);
    cr_assert_eq(r.status, want, "exit %d (wanted %d): %s\n%s", r.status,
                 want, cmd, r.out);
    return r.out;
}


/* A big first log, then small ones a day apart, each touching few of
 * the same visitors: logs $D/l0 .. $D/l<n>. */
static void
logs(int n)
{
    int  i;

    free(ok(0, "$S gen --events 20000 --seed 1 --visitors 2000 "
               "--out $D/l0 > /dev/null"));
    for (i = 1; i <= n; i++) {
        free(ok(0, "$S gen --events 150 --seed %d --visitors 2000 "
                   "--frame-bytes 4096 --start %lld --out $D/l%d > /dev/null",
                i + 1, 1767225600000LL + (long long) i * 3600000, i));
    }
}


/* The member of the newest lineage entry named key (a number or a bool),
 * as text. */
static char *
last(const char *key)
{
    return ok(0, "$S lineage --state $D/st | tail -n 1 | jq -j '.%s'", key);
}


/* Every reader of $D/st answers what one of $D/one answers (stats but
 * for the generation's number, the generations before it and what each
 * run read: quality counts a log read twice twice). */
static void
same_as_one_shot(void)
{
    free(ok(0, "cd $D && for c in export segments; do "
               "$S $c --state st > st.$c && $S $c --state one > one.$c && "
               "cmp st.$c one.$c || exit 1; done && "
               "for s in st one; do $S stats --state $s | "
               "jq -S 'del(.generation, .history, .quality)' > $s.stats || exit 1; "
               "done && diff st.stats one.stats"));
}


Test(delta, a_small_run_writes_a_delta_that_reads_as_the_whole_state)
{
    char  *o;

    logs(3);
    free(ok(0, "$S ingest --state $D/st $D/l0 > /dev/null"));
    o = last("delta");
    cr_assert_str_eq(o, "false", "the first generation is a base");
    free(o);
    /* a second base before any delta: one damaged file must always leave
     * an intact generation to recover */
    free(ok(0, "$S ingest --state $D/st $D/l1 > /dev/null"));
    o = last("delta");
    cr_assert_str_eq(o, "false", "no older base is kept yet");
    free(o);

    free(ok(0, "$S ingest --state $D/st $D/l2 > /dev/null"));
    o = ok(0, "$S lineage --state $D/st | tail -n 1 | "
              "jq -j '[.delta, .base, .parent, "
              ".profiles_written < .profiles / 4]' | tr -d ' \\n'");
    cr_assert_str_eq(o, "[true,2,2,true]", "%s", o);
    free(o);
    /* the delta file is a small fraction of the base, and so is its
     * serving view */
    free(ok(0, "cd $D/st && "
               "test $(stat -c %%s gen-000003.snap) -lt "
               "$(( $(stat -c %%s gen-000002.snap) / 4 )) && "
               "test $(stat -c %%s gen-000003.serve) -lt "
               "$(( $(stat -c %%s gen-000002.serve) / 4 ))"));

    free(ok(0, "$S ingest --state $D/st $D/l3 > /dev/null"));
    free(ok(0, "$S ingest --state $D/one $D/l0 $D/l1 $D/l2 $D/l3 "
               "> /dev/null"));
    same_as_one_shot();

    /* --full writes a base, from the chain a writer loaded */
    free(ok(0, "$S ingest --state $D/st --full $D/l0 > /dev/null"));
    o = last("delta");
    cr_assert_str_eq(o, "false", "--full writes a base");
    free(o);
    same_as_one_shot();
}


Test(delta, erased_profiles_are_gone_from_every_reader)
{
    char  *o, *id;

    logs(2);
    free(ok(0, "$S ingest --state $D/st $D/l0 > /dev/null && "
               "$S ingest --state $D/st $D/l1 > /dev/null && "
               "$S ingest --state $D/one $D/l0 $D/l1 > /dev/null"));
    id = ok(0, "$S export --state $D/st | jq -r '.ids.visitorId[0] // empty' "
               "| sed -n 7p | tr -d '\\n'");
    cr_assert(strlen(id) > 0);
    free(ok(0, "$S forget --state $D/st '%s' > /dev/null && "
               "$S forget --state $D/one '%s' > /dev/null", id, id));
    o = ok(0, "$S lineage --state $D/st | tail -n 1 | "
              "jq -j '[.delta, .ids_gone > 0]' | tr -d ' \\n'");
    cr_assert_str_eq(o, "[true,true]", "%s", o);
    free(o);
    free(ok(4, "$S profile --state $D/st '%s' 2>/dev/null", id));
    same_as_one_shot();

    /* gone stays gone in the deltas that follow, and after a reload */
    free(ok(0, "$S ingest --state $D/st $D/l2 > /dev/null && "
               "$S ingest --state $D/one $D/l2 > /dev/null"));
    free(ok(4, "$S profile --state $D/st '%s' 2>/dev/null", id));
    same_as_one_shot();
    free(id);
}


Test(delta, a_chain_is_bounded_then_a_new_base_is_written, .timeout = 120)
{
    char  *o;

    logs(14);
    free(ok(0, "for i in $(seq 0 14); do "
               "$S ingest --state $D/st $D/l$i > /dev/null || exit 1; done"));
    /* no chain longer than 4 deltas (each delta's "follows" walked down
     * to its base); a chain at its bound goes on with a delta that
     * follows the base itself (it gathers the chain); later a new base;
     * generation 2 is a base (no delta before an older base is kept) */
    o = ok(0, "$S lineage --state $D/st | jq -s -c '"
              "(map({key: (.generation | tostring), value: .}) "
              "| from_entries) as $g "
              "| [.[] | select(.delta) | {n: 1, f: .follows} "
              "   | until($g[.f | tostring].delta != true; "
              "           {n: (.n + 1), f: $g[.f | tostring].follows}) "
              "   | .n] as $len "
              "| [($len | max), "
              "   ([.[] | select(.delta and .follows == .base "
              "                  and .generation - .base > 1)] | length > 0), "
              "   ([.[] | select(.delta == false and .generation > 2)] "
              "    | length > 0), "
              "   .[1].delta]'");
    cr_assert_str_eq(o, "[4,true,true,false]\n", "%s", o);
    free(o);
    /* kept: the two newest bases and every delta since the older one */
    o = ok(0, "cd $D/st && old=$($S lineage --state . | jq -s "
              "'[.[] | select(.delta == false)] | .[-2].generation') && "
              "first=$(ls | grep 'snap$' | head -n 1) && "
              "test \"$first\" = $(printf 'gen-%%06d.snap' $old) && echo ok");
    cr_assert_str_eq(o, "ok\n", "%s", o);
    free(o);
    free(ok(0, "cd $D && $S ingest --state one $(seq -f 'l%%g' 0 14) "
               "> /dev/null"));
    same_as_one_shot();
}


Test(delta, a_damaged_delta_is_reported_and_recover_falls_back)
{
    char  *o;

    logs(3);
    free(ok(0, "for i in 0 1 2 3; do "
               "$S ingest --state $D/st $D/l$i > /dev/null || exit 1; done"));
    /* one byte of the newest delta's profiles flipped */
    free(ok(0, "printf '\\377' | dd of=$D/st/gen-000004.snap bs=1 seek=200 "
               "conv=notrunc 2>/dev/null"));
    o = ok(3, "$S ingest --state $D/st $D/l3 2>&1");
    cr_assert(strstr(o, "gen-000004.snap") != NULL, "%s", o);
    cr_assert(strstr(o, "the newest intact generation is 000003") != NULL,
              "%s", o);
    free(o);
    /* a reader names the damage and the way back */
    o = ok(1, "$S export --state $D/st 2>&1 > /dev/null");
    cr_assert(strstr(o, "spoor recover") != NULL, "%s", o);
    free(o);

    o = ok(0, "$S recover --state $D/st 2>&1");
    cr_assert(strstr(o, "gen-000004.snap is damaged") != NULL, "%s", o);
    free(o);
    /* what the damaged delta held is ingested again */
    free(ok(0, "$S ingest --state $D/st $D/l3 > /dev/null && "
               "$S ingest --state $D/one $D/l0 $D/l1 $D/l2 $D/l3 "
               "> /dev/null"));
    same_as_one_shot();

    /* a missing base: the chain does not read, says which file, and the
     * older base is what recover goes back to */
    free(ok(0, "rm -r $D/st && for i in 0 1 2; do "
               "$S ingest --state $D/st $D/l$i > /dev/null || exit 1; done"));
    o = ok(3, "rm $D/st/gen-000002.snap && $S export --state $D/st 2>&1 "
              ">/dev/null");
    cr_assert(strstr(o, "gen-000002.snap: missing") != NULL, "%s", o);
    cr_assert(strstr(o, "the newest intact generation is 000001") != NULL,
              "%s", o);
    free(o);
    free(ok(0, "$S recover --state $D/st > /dev/null 2>&1 && "
               "$S ingest --state $D/st $D/l1 $D/l2 $D/l3 > /dev/null"));
    same_as_one_shot();
}


Test(delta, changed_rules_start_a_new_base)
{
    char  *o;

    logs(2);
    free(ok(0, "$S ingest --state $D/st $D/l0 > /dev/null && "
               "$S ingest --state $D/st $D/l1 > /dev/null && "
               "$S rules > $D/r2 2>/dev/null && "
               "echo 'segment extra = events >= 1;' >> $D/r2 && "
               "$S ingest --state $D/st --rules $D/r2 $D/l2 > /dev/null"));
    o = last("delta");
    cr_assert_str_eq(o, "false", "new rules shape every profile: a base");
    free(o);
}


/* A profile of the chain: file f, record i, its profile id. */
typedef struct {
    uint64_t  pid;
    uint32_t  f, i;
} ref_t;

typedef struct {
    const chain_t  *c;
    ref_t           got[4096];
    size_t          n;
} each_t;


static int
each_one(void *arg, size_t f, size_t i, const unsigned char *b, size_t len)
{
    each_t               *x = arg;
    const unsigned char  *again;
    size_t                alen;

    cr_assert_lt(x->n, 4096);
    cr_assert_not_null(b, "file %zu profile %zu unread", f, i);
    /* the same bytes as a read of its own */
    again = chain_record(x->c, f, i, &alen);
    cr_assert_eq(alen, len);
    cr_assert(memcmp(again, b, len) == 0);
    x->got[x->n].f = (uint32_t) f;
    x->got[x->n].i = (uint32_t) i;
    x->n++;
    return SPOOR_OK;
}


static int
cmp_pid(const void *a, const void *b)
{
    const ref_t  *x = a, *y = b;

    if (x->pid != y->pid) {
        return x->pid < y->pid ? -1 : 1;
    }
    if (x->f != y->f) {
        return x->f < y->f ? -1 : 1;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}


/* A writer loads a chain with chain_each, reading each record once; its
 * order must be a full generation's: every live profile of every file,
 * read here with the stored-profile reader, sorted by profile id (a newer
 * file first on a tie). */
Test(delta, a_chain_is_read_once_in_profile_id_order)
{
    static each_t  x;
    static ref_t   want[4096];
    chain_t        c;
    stored_profile_t  v;
    const unsigned char  *b;
    size_t         n = 0, k, f, i, len;
    char          *cur, err[512], path[4096], hex[17];
    unsigned       gen;

    logs(4);
    free(ok(0, "$S gen --events 3000 --seed 9 --visitors 2000 --out $D/l0 "
               "> /dev/null"));     /* small: a chain of 4096 at most */
    for (k = 0; k <= 4; k++) {
        free(ok(0, "$S ingest --state $D/st $D/l%zu > /dev/null", k));
    }
    cur = ok(0, "cat $D/st/CURRENT");
    cr_assert_eq(sscanf(cur, "gen-%u.snap", &gen), 1, "%s", cur);
    free(cur);
    snprintf(path, sizeof(path), "%s/st", dir);
    cr_assert_eq(chain_open(&c, path, gen, CHAIN_VERIFY_ALL, err,
                            sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_geq(c.n, 3, "a chain of %zu files: nothing to merge", c.n);

    cr_assert_eq(chain_live(&c), SPOOR_OK);
    for (f = 0; f < c.n; f++) {
        for (i = 0; i < spoor_snap_count(c.file[f]); i++) {
            if (!chain_is_live(&c, f, i)) {
                continue;
            }
            b = chain_record(&c, f, i, &len);
            cr_assert_not_null(b);
            cr_assert_eq(stored_profile_read(&v, b, len, NULL, 0), SPOOR_OK);
            cr_assert(v.has_id && v.id.len == 16);
            memcpy(hex, v.id.ptr, 16);
            hex[16] = '\0';
            cr_assert_lt(n, 4096);
            want[n].pid = strtoull(hex, NULL, 16);
            want[n].f = (uint32_t) f;
            want[n].i = (uint32_t) i;
            n++;
            stored_profile_free(&v);
        }
    }
    qsort(want, n, sizeof(want[0]), cmp_pid);
    cr_assert_gt(n, 100);

    memset(&x, 0, sizeof(x));
    x.c = &c;
    cr_assert_eq(chain_each(&c, each_one, &x), SPOOR_OK);
    cr_assert_eq(x.n, n);
    for (k = 0; k < n; k++) {
        cr_assert(x.got[k].f == want[k].f && x.got[k].i == want[k].i,
                  "profile %zu: file %u record %u, by id %u %u",
                  k, x.got[k].f, x.got[k].i, want[k].f, want[k].i);
    }
    /* and they interleave: some delta profile comes between two of the
     * base's */
    for (k = 1; k + 1 < n; k++) {
        if (want[k].f + 1 < c.n && want[k - 1].f + 1 == c.n
            && want[k + 1].f + 1 == c.n)
        {
            break;
        }
    }
    cr_assert_lt(k + 1, n, "no delta profile between two of the base's");
    chain_close(&c);
}
