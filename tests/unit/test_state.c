/*
 * test_state.c -- the analyzer's state directory on the workflows the
 * docs describe and under damage: each test runs the `spoor` program the
 * way an operator (or logrotate) does, on logs made by `spoor gen`, and
 * checks exit codes, messages and what the read commands answer.
 */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "default_rules.h"
#include "error.h"
#include "settings.h"
#include "snapshot.h"
#include "spoor_run.h"

/* make test runs from the top of the repository */
#define SPOOR_RULES_EXAMPLE  "conf/segments.rules"


static void
setup(void)
{
    spoor_run_setup("/tmp/spoor-state-XXXXXX");
}


static void
teardown(void)
{
    char  cmd[128];

    /* the disk-full test's file system, if an assertion left it */
    snprintf(cmd, sizeof(cmd), "umount '%s/fs' 2>/dev/null", dir);
    (void) system(cmd);
    spoor_run_teardown();
}


TestSuite(state, .init = setup, .fini = teardown);


/* Runs a command line and checks its exit code; returns its output. */
static char *
ok(int want, const char *fmt, const char *arg)
{
    run_t  r = run(fmt, arg);

    cr_assert_eq(r.status, want, "exit %d (wanted %d): %s\n%s", r.status,
                 want, fmt, r.out);
    return r.out;
}


/* Two logs of the same shop (the second rotated after the first), and the
 * example rules. */
static void
two_logs(void)
{
    free(ok(0, "$S gen --events 3000 --seed 11 --visitors 300 --out $D/a.spoor"
               " && $S gen --events 3000 --seed 12 --visitors 300"
               " --start 1767657600000 --out $D/b.spoor"
               " && cp %s $R", SPOOR_RULES_EXAMPLE));
}


Test(state, second_ingest_without_rules_uses_the_kept_rules)
{
    char  *a, *b;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor%s", ""));
    a = ok(0, "$S segments --state $D/st%s", "");
    cr_assert(strstr(a, "\"segment\"") != NULL, "no segment: %s", a);
    free(a);

    /* an empty input on a new state: a generation with no profile */
    free(ok(0, ": > $D/empty.spoor && $S ingest --state $D/new "
               "$D/empty.spoor && $S export --state $D/new%s", ""));

    /* the rotation workflow: no --rules, an empty log, then a real one */
    free(ok(0, "$S ingest --state $D/st $D/empty.spoor%s", ""));
    free(ok(0, "$S ingest --state $D/st $D/b.spoor%s", ""));

    /* an empty log before a real one: the lineage is still JSON */
    a = ok(0, "$S gen --events 50 --seed 5 --out $D/c.spoor && "
              "$S ingest --state $D/x $D/empty.spoor $D/c.spoor --json | jq "
              "'.inputs | length' && $S lineage --state $D/x | jq "
              "'.inputs[1].new_records'%s", "");
    cr_assert_str_eq(a, "2\n50\n");
    free(a);

    /* the same as one run given the rules and both logs */
    free(ok(0, "$S ingest --state $D/one --rules $R $D/b.spoor $D/a.spoor%s",
            ""));
    a = ok(0, "$S export --state $D/st%s", "");
    b = ok(0, "$S export --state $D/one%s", "");
    cr_assert_str_eq(a, b, "the rotation workflow and one run differ");
    free(a);
    free(b);
    a = ok(0, "$S lineage --state $D/st | tail -n 1%s", "");
    cr_assert(strstr(a, "\"rules\":{") != NULL, "lineage: %s", a);
    free(a);
}


/* A state never given --rules is built with the built-in rules, which are
 * conf/segments.rules as shipped: the same segments and profiles as a run
 * given that file, the rules kept for the next run, `spoor rules` prints
 * them with the hash the lineage records. */
Test(state, without_rules_the_built_in_rules_apply_and_are_kept)
{
    char  *a, *b;

    two_logs();
    free(ok(0, "$S ingest --state $D/st $D/a.spoor >/dev/null%s", ""));
    free(ok(0, "$S ingest --state $D/given --rules $R $D/a.spoor"
               " >/dev/null%s", ""));
    a = ok(0, "$S segments --state $D/st | jq -r '.segment + \" \" + "
              "(.members | tostring)'%s", "");
    cr_assert(strstr(a, "high_value_customers ") != NULL, "%s", a);
    b = ok(0, "$S segments --state $D/given | jq -r '.segment + \" \" + "
              "(.members | tostring)'%s", "");
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    a = ok(0, "$S export --state $D/st%s", "");
    b = ok(0, "$S export --state $D/given%s", "");
    cr_assert_str_eq(a, b, "built-in rules and the shipped file differ");
    free(a);
    free(b);

    /* the lineage names them; the next run keeps them */
    a = ok(0, "$S lineage --state $D/st | jq -c .rules%s", "");
    b = ok(0, "$S lineage --state $D/given | jq -r .rules.hash%s", "");
    {
        static const char  head[] = "{\"file\":\"built-in\",\"hash\":\"";

        cr_assert(strncmp(a, head, sizeof(head) - 1) == 0, "%s", a);
    }
    cr_assert_eq(strlen(b), 17, "%s", b);
    b[16] = '\0';
    cr_assert(strstr(a, b) != NULL, "%s vs %s", a, b);
    free(a);
    free(ok(0, "$S ingest --state $D/st $D/b.spoor >/dev/null%s", ""));
    a = ok(0, "$S lineage --state $D/st | tail -n 1 | "
              "jq -c '[.rules.file, .rules.hash, .changed]'%s", "");
    cr_assert(strncmp(a, "[null,\"", 7) == 0 && strstr(a, ",[]]"), "%s", a);
    cr_assert(strncmp(a + 7, b, 16) == 0, "%s vs %s", a, b);
    free(a);

    /* spoor rules: the text on stdout, where from and the hash on stderr */
    free(ok(0, "$S rules 2>/dev/null | cmp - %s", SPOOR_RULES_EXAMPLE));
    free(ok(0, "$S rules --state $D/st 2>/dev/null | cmp - %s",
            SPOOR_RULES_EXAMPLE));
    a = ok(0, "$S rules --state $D/st 2>&1 >/dev/null%s", "");
    cr_assert(strstr(a, "kept in the state") != NULL, "%s", a);
    cr_assert(strstr(a, b) != NULL, "%s: no hash %s", a, b);
    free(a);
    free(b);
    a = ok(2, "$S rules --state 2>&1%s", "");
    cr_assert(strstr(a, "--state needs a directory") != NULL, "%s", a);
    free(a);

    /* rules given as empty: no segment, and nothing built in */
    free(ok(0, ": > $D/none.rules && $S ingest --state $D/none --rules "
               "$D/none.rules $D/a.spoor >/dev/null%s", ""));
    a = ok(0, "$S segments --state $D/none%s", "");
    cr_assert_str_eq(a, "");
    free(a);
}


/* A state kept before rules were built in (settings, no rules) gets the
 * built-in ones at its next run, reported as a change of rules. */
Test(state, a_state_kept_without_rules_takes_the_built_in_ones)
{
    settings_t  kept, given;
    unsigned    changed = 0;
    char        err[256];
    size_t      len;
    const char *text = default_rules(&len);

    settings_init(&kept);
    settings_init(&given);
    cr_assert_null(kept.rules);
    cr_assert_eq(settings_resolve(&kept, 1, &given, &changed, err,
                                  sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_not_null(kept.rules);
    cr_assert_eq(kept.rules_len, len);
    cr_assert(memcmp(kept.rules, text, len) == 0);
    cr_assert_str_eq(kept.rules_file, DEFAULT_RULES_NAME);
    cr_assert(changed & SET_RULES);

    /* once kept, nothing changes */
    kept.rules_file = NULL;
    cr_assert_eq(settings_resolve(&kept, 1, &given, &changed, err,
                                  sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_eq(changed, 0);
    cr_assert_null(kept.rules_file);
    settings_free(&kept);
    settings_free(&given);
}


/* The first profile (profile 0 of the snapshot) and one of its ids. */
static void
first_profile(char *pid, char *uid)
{
    char  *o = ok(0, "$S export --state $D/st | head -n 1 | "
                     "jq -r '.id, (.ids.userId // .ids.anonymousId"
                     " // .ids.visitorId)[0]'%s", "");

    cr_assert_eq(sscanf(o, "%63s %63s", pid, uid), 2, "%s", o);
    free(o);
}


Test(state, missing_current_is_refused_and_recovered_without_undoing_erasure)
{
    char  pid[64], uid[64], *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor%s", ""));
    first_profile(pid, uid);
    free(ok(0, "$S forget --state $D/st '%s'", uid));
    free(ok(4, "$S profile --state $D/st '%s'", uid));

    /* a lost CURRENT is not a new state: nothing is written */
    free(ok(0, "rm $D/st/CURRENT && ls $D/st > $D/before%s", ""));
    o = ok(3, "$S ingest --state $D/st $D/b.spoor 2>&1%s", "");
    cr_assert(strstr(o, "CURRENT is missing") != NULL, "%s", o);
    cr_assert(strstr(o, "newest intact generation is 000002") != NULL,
              "%s", o);
    cr_assert(strstr(o, "spoor recover --state") != NULL, "%s", o);
    free(o);
    free(ok(0, "ls $D/st | cmp - $D/before%s", ""));
    o = ok(3, "$S export --state $D/st 2>&1 >/dev/null%s", "");
    cr_assert(strstr(o, "spoor recover") != NULL, "%s", o);
    free(o);

    free(ok(0, "$S recover --state $D/st%s", ""));
    free(ok(4, "$S profile --state $D/st '%s'", uid));
    free(ok(0, "$S ingest --state $D/st $D/a.spoor $D/b.spoor%s", ""));
    free(ok(4, "$S profile --state $D/st '%s'", uid));
    o = ok(0, "$S recover --state $D/st%s", "");
    cr_assert(strstr(o, "intact") != NULL, "%s", o);
    free(o);
}


Test(state, rollback_past_a_forget_keeps_the_erasure)
{
    char  pid[64], uid[64], *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor%s", ""));
    first_profile(pid, uid);
    free(ok(0, "$S forget --state $D/st '%s'", uid));

    /* the generation that holds the erasure is damaged: the read side
     * refuses it and names the parent, which still has the profile */
    free(ok(0, "printf '\\377' | dd of=$D/st/gen-000002.snap bs=1 seek=200 "
               "conv=notrunc 2>/dev/null%s", ""));
    o = ok(3, "$S ingest --state $D/st $D/b.spoor 2>&1%s", "");
    cr_assert(strstr(o, "newest intact generation is 000001") != NULL,
              "%s", o);
    free(o);

    o = ok(0, "$S recover --state $D/st 2>&1%s", "");
    cr_assert(strstr(o, "gen-000002.snap.damaged") != NULL, "%s", o);
    free(o);
    free(ok(4, "$S profile --state $D/st '%s'", uid));
    free(ok(4, "$S profile --state $D/st '%s'", pid));
    o = ok(0, "$S lineage --state $D/st | tail -n 1%s", "");
    cr_assert(strstr(o, "\"recover\":{\"from\":2,\"to\":1,") != NULL, "%s", o);
    cr_assert(strstr(o, "\"generation\":3") != NULL, "%s", o);
    free(o);

    /* the old events come back in: the erased id stays erased */
    free(ok(0, "$S ingest --state $D/st $D/a.spoor $D/b.spoor%s", ""));
    free(ok(4, "$S profile --state $D/st '%s'", uid));
}


Test(state, damaged_profile_record_is_reported_by_every_reader)
{
    char  pid[64], uid[64], *o;
    char  *healthy;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor%s", ""));
    first_profile(pid, uid);
    /* the last profile: in the last record group, not the first */
    healthy = ok(0, "$S export --state $D/st | tail -n 1 | jq -r .id%s", "");
    healthy[strcspn(healthy, "\n")] = '\0';

    /* one flipped byte inside the compressed records of profiles 0 ..
     * 31 (header 136 B, then the group's head, 32 B: docs/FORMAT.md) */
    free(ok(0, "printf '\\377' | dd of=$D/st/gen-000001.snap bs=1 seek=180 "
               "conv=notrunc 2>/dev/null%s", ""));

    o = ok(1, "$S segments --state $D/st 2>&1 >/dev/null%s", "");
    cr_assert(strstr(o, "profile 0 of the current snapshot is damaged") != NULL,
              "%s", o);
    free(o);
    free(ok(1, "$S export --state $D/st >/dev/null%s", ""));
    free(ok(1, "$S stats --state $D/st >/dev/null%s", ""));
    o = ok(1, "$S profile --state $D/st '%s' 2>&1", uid);
    cr_assert(strstr(o, "damaged") != NULL, "%s", o);
    cr_assert(strstr(o, "no profile has this id") == NULL, "%s", o);
    free(o);
    free(ok(0, "$S profile --state $D/st '%s' >/dev/null", healthy));
    free(ok(4, "$S profile --state $D/st no-such-id 2>/dev/null%s", ""));
    free(healthy);

    /* writing runs refuse it and name what to do */
    o = ok(3, "$S ingest --state $D/st $D/b.spoor 2>&1%s", "");
    cr_assert(strstr(o, "no intact generation is left") != NULL, "%s", o);
    free(o);
}


/* A failed commit leaves nothing, whichever file the disk filled on. */
Test(state, disk_full_at_any_step_of_a_commit_leaves_no_orphan,
     .timeout = 120)
{
    char  *o;
    int    k, failed_current = 0, failed = 0, worked = 0;

    two_logs();
    /* a tmpfs of its own: the test runs as root in CI; elsewhere it says
     * so and fails rather than passing silently */
    o = ok(0, "mkdir -p $D/fs && mount -t tmpfs -o size=4m tmpfs $D/fs "
              "2>&1 && echo mounted || echo 'cannot mount a tmpfs (root?)'%s",
           "");
    cr_assert(strstr(o, "mounted") != NULL, "%s", o);
    free(o);

    /* the size of what a commit writes (snapshot and serving view),
     * measured on a copy */
    free(ok(0, "$S ingest --state $D/fs/st --rules $R $D/a.spoor >/dev/null"
               " && cp -a $D/fs/st $D/fs/ref && $S ingest --state $D/fs/ref"
               " $D/b.spoor >/dev/null && du -sck $D/fs/ref/gen-000002.snap"
               " $D/fs/ref/gen-000002.serve | tail -n 1"
               " > $D/snapkb && rm -rf $D/fs/ref%s", ""));

    for (k = -8; k <= 24; k += 2) {
        run_t  r;
        char  *ls;

        /* leave (generation + k) KiB free, then try the commit */
        r = run("cp -a $D/fs/st $D/fs/try && free=$(( $(df -k --output=avail"
                " $D/fs | tail -n 1) - $(cat $D/snapkb | cut -f1) - %d )) && "
                "{ [ $free -le 0 ] || fallocate -l ${free}k $D/fs/fill; } && "
                "$S ingest --state $D/fs/try $D/b.spoor 2>&1; echo \"exit=$?\";"
                " echo LS; ls -a $D/fs/try $D/fs/try/lineage;"
                " cat $D/fs/try/CURRENT;"
                " rm -rf $D/fs/try $D/fs/fill", k);
        cr_assert_eq(r.status, 0, "%s", r.out);
        ls = strstr(r.out, "\nLS\n");
        cr_assert_not_null(ls, "%s", r.out);
        if (strstr(r.out, "exit=0") != NULL) {
            worked++;
            cr_assert(strstr(ls, "gen-000002.snap\n") != NULL, "%s", r.out);
            cr_assert(strstr(ls, "gen-000002.serve\n") != NULL, "%s",
                      r.out);
        } else {
            failed++;
            cr_assert(strstr(r.out, "exit=3") != NULL, "%s", r.out);
            failed_current += strstr(r.out, "CURRENT: cannot write") != NULL;
            /* the previous generation current, nothing of the new one */
            cr_assert(strstr(ls, "gen-000002") == NULL, "orphan: %s",
                      r.out);
            cr_assert(strstr(ls, "000002.json") == NULL, "orphan: %s",
                      r.out);
            cr_assert(strstr(ls, ".tmp.") == NULL, "temp: %s", r.out);
            cr_assert(strstr(ls, "gen-000001.snap\n") != NULL, "%s",
                      r.out);
        }
        free(r.out);
    }
    free(ok(0, "umount $D/fs%s", ""));
    cr_assert(worked > 0 && failed > 0, "worked %d, failed %d", worked,
              failed);
    cr_assert(failed_current > 0, "no budget failed on CURRENT");
}


Test(state, leftovers_of_a_killed_commit_are_removed_by_the_next_run)
{
    char  *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor%s", ""));
    /* what a run killed after its snapshot and lineage, before CURRENT,
     * leaves: a generation newer than CURRENT, and a temporary file */
    free(ok(0, "cp $D/st/gen-000001.snap $D/st/gen-000002.snap && "
               "cp $D/st/lineage/000001.json $D/st/lineage/000002.json && "
               "echo x > $D/st/.gen-000003.snap.tmp.999%s", ""));
    free(ok(0, "$S ingest --state $D/st $D/b.spoor%s", ""));
    o = ok(0, "ls -a $D/st; $S lineage --state $D/st | jq -c "
              "'[.generation, .parent]'%s", "");
    cr_assert(strstr(o, ".tmp.") == NULL, "%s", o);
    cr_assert(strstr(o, "[1,0]\n[2,1]\n") != NULL, "%s", o);
    free(o);
}


/* Generation 999999 is followed by 1000000 (a follower publishing every
 * second gets there in under twelve days): every command reads on, and
 * the oldest snapshots are removed by number, not by name. */
Test(state, generation_numbers_go_past_six_digits)
{
    char  *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --keep 2 --rules $R $D/a.spoor%s", ""));
    /* the state as if 999998 generations had been written before */
    free(ok(0, "cd $D/st && mv gen-000001.snap gen-999999.snap && "
               "mv gen-000001.serve gen-999999.serve && "
               "echo gen-999999.snap > CURRENT && "
               "sed -e 's/\"generation\":1,/\"generation\":999999,/' "
               "-e 's/gen-000001[.]snap/gen-999999.snap/' "
               "lineage/000001.json > lineage/999999.json && "
               "rm lineage/000001.json%s", ""));
    free(ok(0, "$S ingest --state $D/st $D/b.spoor%s", ""));
    free(ok(0, "$S gen --events 500 --seed 13 --visitors 50 "
               "--start 1767744000000 --out $D/c.spoor && "
               "$S ingest --state $D/st $D/c.spoor%s", ""));
    o = ok(0, "cat $D/st/CURRENT; ls $D/st | grep -c '[.]snap$'; "
              "$S lineage --state $D/st | jq -c '[.generation, .parent]'; "
              "$S stats --state $D/st >/dev/null && echo verified; "
              "$S export --state $D/st | wc -l%s", "");
    cr_assert(strncmp(o, "gen-1000001.snap\n2\n", 19) == 0, "%s", o);
    cr_assert(strstr(o, "[999999,0]\n[1000000,999999]\n[1000001,1000000]\n")
              != NULL, "%s", o);
    cr_assert(strstr(o, "verified\n") != NULL, "%s", o);
    free(o);
    /* a name with a leading zero and seven digits is no generation */
    free(ok(0, "echo gen-0000001.snap > $D/st/CURRENT%s", ""));
    free(ok(3, "$S export --state $D/st%s", ""));
}


/* A new state's first commit killed after its snapshot and lineage were
 * written, before CURRENT named them (seen with a follower killed during
 * its first publish): CURRENT says "none", so the state is new with
 * leftovers, not one that lost its CURRENT: readers say there is no
 * generation yet, and the next run starts afresh instead of demanding
 * `spoor recover`. */
Test(state, a_killed_first_commit_leaves_a_new_state)
{
    char  *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/ref --rules $R $D/a.spoor && "
               "mkdir -p $D/st/lineage && echo none > $D/st/CURRENT && "
               "cp $D/ref/gen-000001.snap $D/ref/gen-000001.serve $D/st/ && "
               "cp $D/ref/lineage/000001.json $D/st/lineage/%s", ""));
    o = ok(3, "$S export --state $D/st 2>&1%s", "");
    cr_assert(strstr(o, "no generation") != NULL, "%s", o);
    free(o);
    free(ok(0, "$S ingest --state $D/st --rules $R $D/b.spoor && "
               "$S ingest --state $D/new --rules $R $D/b.spoor%s", ""));
    o = ok(0, "cat $D/st/CURRENT; $S lineage --state $D/st | jq -c "
              "'[.generation, .parent, (.inputs | length)]'; "
              "cmp $D/st/gen-000001.snap $D/new/gen-000001.snap && echo same%s",
           "");
    cr_assert_str_eq(o, "gen-000001.snap\n[1,0,1]\nsame\n");
    free(o);

    /* an empty CURRENT is damage, not a new state: nothing is removed */
    free(ok(0, "$S ingest --state $D/st $D/a.spoor > /dev/null && "
               ": > $D/st/CURRENT%s", ""));
    o = ok(0, "$S ingest --state $D/st $D/b.spoor 2>&1; echo rc=$?; "
              "ls $D/st | grep -c 'snap$'%s", "");
    cr_assert(strstr(o, "spoor recover") != NULL, "%s", o);
    cr_assert(strstr(o, "rc=3\n2\n") != NULL, "refused, both kept: %s", o);
    free(o);
}


/* While another run holds the state (a follower), `spoor forget` queues
 * the erasure: it says so and exits 3 when no run applies it within
 * --wait, readers still see the profile, and the next run that writes
 * the state applies it, commits it and removes the request. */
Test(state, forget_while_the_state_is_held_is_queued_for_the_next_writer)
{
    char  *o, *id;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor%s", ""));
    id = ok(0, "$S export --state $D/st | head -n 1 | jq -r "
               "'.ids.visitorId[0] // .ids.anonymousId[0]' | tr -d '\\n'%s", "");
    cr_assert(strlen(id) > 0);
    o = ok(0, "(flock -n $D/st/.lock sleep 1.2 &) ; sleep 0.3; "
              "$S forget --state $D/st --wait 300ms x '' 2>&1; echo rc=$?; "
              "$S forget --state $D/st --wait 300ms '%s' 2>&1; echo rc=$?",
           id);
    /* an id that cannot be queued as given queues nothing */
    cr_assert(strstr(o, "id 2 is empty: nothing queued\nrc=2\n") != NULL,
              "%s", o);
    cr_assert(strstr(o, "queued as") != NULL, "%s", o);
    cr_assert(strstr(o, "rc=3") != NULL, "%s", o);
    free(o);
    o = ok(0, "ls $D/st/requests | wc -l; $S profile --state $D/st '%s' "
              ">/dev/null; echo $?", id);
    cr_assert_str_eq(o, "1\n0\n", "readers still see it: %s", o);
    free(o);
    /* beside it, a request that is none: set aside, never half applied */
    o = ok(0, "sleep 1; echo '{\"forget\":[\"x\"]}' > "
              "$D/st/requests/forget-1-1-0.json; "
              "$S ingest --state $D/st $D/b.spoor 2>&1 >/dev/null; "
              "ls $D/st/requests; $S profile --state $D/st '%s' "
              ">/dev/null 2>&1; echo $?", id);
    cr_assert(strstr(o, "applied the queued request") != NULL, "%s", o);
    cr_assert(strstr(o, "forget-1-1-0.json: not a request") != NULL, "%s", o);
    cr_assert(strstr(o, "\nforget-1-1-0.json.damaged\n4\n") != NULL,
              "applied and removed, the bad one set aside: %s", o);
    free(o);
    free(id);
}


/* A writer that commits again and again (a follower) appends to the
 * erasure journal only what it erased since the last append, and keeps
 * the newest 10,000 lineage entries. */
Test(state, journal_and_lineage_stay_bounded_over_many_commits)
{
    char  *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor && "
               "$S export --state $D/st | jq -r '.ids.visitorId[0] // empty' "
               "| head -n 3 > $D/ids && test $(wc -l < $D/ids) = 3%s", ""));
    free(ok(0, "for i in 1 2 3; do $S forget --state $D/st "
               "\"$(sed -n ${i}p $D/ids)\" > /dev/null || exit 1; done%s", ""));
    o = ok(0, "sort $D/st/erasures | uniq -d | wc -l%s", "");
    cr_assert_str_eq(o, "0\n", "journal lines appended twice: %s", o);
    free(o);

    /* a full generation 5 (--full: no generation before it is needed) as
     * if it were 20000, with 10,010 entries before it: the next commit
     * keeps the newest 10,000 */
    free(ok(0, "$S ingest --state $D/st --full /dev/null > /dev/null && "
               "cd $D/st && mv gen-000005.snap gen-020000.snap && "
               "mv gen-000005.serve gen-020000.serve && "
               "echo gen-020000.snap > CURRENT && "
               "sed -e 's/\"generation\":5,/\"generation\":20000,/' "
               "-e 's/gen-000005[.]snap/gen-020000.snap/' "
               "lineage/000005.json > lineage/020000.json && "
               "rm lineage/000005.json && cd lineage && "
               "seq -f '%%06g.json' 100 10109 | xargs touch && cd $D && "
               "$S ingest --state $D/st $D/b.spoor > /dev/null%s", ""));
    o = ok(0, "ls $D/st/lineage | wc -l; ls $D/st/lineage | sort -n | head -n 1; "
              "cat $D/st/CURRENT%s", "");
    /* 1..4, 100..10109, 20000, 20001: the 16 oldest go */
    cr_assert_str_eq(o, "10000\n000112.json\ngen-020001.snap\n", "%s", o);
    free(o);
}


/* import-traits while another run holds the state: the lines that parse
 * are queued (the others reported as always), and the next run that
 * writes the state applies them, then removes the request. */
Test(state, import_traits_while_the_state_is_held_is_queued)
{
    char  *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor && "
               "printf '%%s\\n' '{\"userId\":\"queued-1\",\"traits\":"
               "{\"plan\":\"gold\"},\"time\":1767900000000}' 'nope' "
               "> $D/t.jsonl%s", ""));
    o = ok(0, "(flock -n $D/st/.lock sleep 1 &) ; sleep 0.3; "
              "$S import-traits --state $D/st --wait 300ms $D/t.jsonl 2>&1; "
              "echo rc=$?; ls $D/st/requests | grep -c jsonl%s", "");
    cr_assert(strstr(o, "t.jsonl:2:") != NULL, "the bad line: %s", o);
    cr_assert(strstr(o, "rc=3\n1\n") != NULL, "queued: %s", o);
    free(o);
    o = ok(0, "sleep 1; $S ingest --state $D/st $D/b.spoor > /dev/null 2>&1; "
              "ls $D/st/requests | wc -l; $S profile --state $D/st queued-1 "
              "| jq -r .traits.plan.value%s", "");
    cr_assert_str_eq(o, "0\ngold\n", "%s", o);
    free(o);
}


Test(state, settings_are_kept_and_a_folding_change_is_refused)
{
    char  *o;

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R --session-gap 45 "
               "--abandon 90 --expire off $D/a.spoor%s", ""));

    o = ok(2, "$S ingest --state $D/st --session-gap 30 $D/b.spoor 2>&1%s",
           "");
    cr_assert(strstr(o, "--session-gap 30 differs from the 45") != NULL,
              "%s", o);
    free(o);
    o = ok(2, "$S ingest --state $D/st --junk-id x $D/b.spoor 2>&1%s", "");
    cr_assert(strstr(o, "--junk-id") != NULL, "%s", o);
    free(o);

    /* the same value again is fine; an applied setting is taken */
    free(ok(0, "$S ingest --state $D/st --session-gap 45 --abandon 120 "
               "$D/b.spoor%s", ""));
    o = ok(0, "$S lineage --state $D/st | tail -n 1 | jq -c "
              "'[.settings.session_gap_min, .settings.abandon_min, "
              ".settings.expire_days, .changed]'%s", "");
    cr_assert_str_eq(o, "[45,120,\"off\",[\"abandon\"]]\n");
    free(o);

    /* a later run without options keeps all of them */
    free(ok(0, "$S forget --state $D/st nobody 2>/dev/null%s", ""));
    o = ok(0, "$S lineage --state $D/st | tail -n 1 | jq -c "
              "'[.settings.session_gap_min, .settings.abandon_min, "
              ".settings.expire_days, .changed, (.rules != null)]'%s", "");
    cr_assert_str_eq(o, "[45,120,\"off\",[],true]\n");
    free(o);

    /* the same as one run with those settings */
    free(ok(0, "$S ingest --state $D/one --rules $R --session-gap 45 "
               "--abandon 120 --expire off $D/a.spoor $D/b.spoor%s", ""));
    o = ok(0, "$S export --state $D/one > $D/one.json && $S export --state"
              " $D/st | cmp - $D/one.json && echo same%s", "");
    cr_assert_str_eq(o, "same\n");
    free(o);
}


Test(state, inactive_profiles_expire_and_their_ids_start_afresh)
{
    char  *o;

    /* b is 60 days after a; other visitors, some of a's come back */
    free(ok(0, "$S gen --events 3000 --seed 11 --visitors 300 --out $D/a.spoor"
               " && $S gen --events 3000 --seed 12 --visitors 300"
               " --start 1772409600000 --out $D/b.spoor%s", ""));
    free(ok(0, "$S ingest --state $D/st --expire 30 $D/a.spoor%s", ""));
    free(ok(0, "$S ingest --state $D/st $D/b.spoor%s", ""));
    o = ok(0, "$S lineage --state $D/st | tail -n 1 | jq .profiles_expired%s",
           "");
    cr_assert(atoi(o) > 0, "nothing expired: %s", o);
    free(o);
    /* nobody left was last seen before asOf - 30 days */
    o = ok(0, "$S export --state $D/st | jq -r 'select(((.asOf | sub(\"\\\\..*\";"
              "\"Z\") | fromdate) - (.behaviour.lastSeen | sub(\"\\\\..*\";"
              "\"Z\") | fromdate)) > 30*86400) | .id' | wc -l%s", "");
    cr_assert_str_eq(o, "0\n");
    free(o);

    /* off keeps every profile */
    free(ok(0, "$S ingest --state $D/all --expire off $D/a.spoor $D/b.spoor%s",
            ""));
    o = ok(0, "echo $(( $($S export --state $D/all | wc -l) - "
              "$($S export --state $D/st | wc -l) ))%s", "");
    cr_assert(atoi(o) > 0, "%s", o);
    free(o);
}


Test(state, gzip_input_is_named)
{
    char  *o;

    free(ok(0, "$S gen --events 100 --out $D/a.spoor && gzip -k $D/a.spoor%s",
            ""));
    o = ok(1, "$S verify $D/a.spoor.gz 2>&1%s", "");
    cr_assert(strstr(o, "looks gzip-compressed") != NULL, "%s", o);
    free(o);
}


/* Every subcommand once on a state with rules, tombstones, imported
 * traits and several generations (under SAN=1 this is the sanitizers'
 * look at each of them: make test scans the output for their reports). */
Test(state, every_subcommand_on_a_full_state, .timeout = 120)
{
    char         pid[64], uid[64], *o;
    size_t       i;
    static const char  *cmds[] = {
        "cat $D/a.spoor | tail -n 1", "cat --frames $D/a.spoor | tail -n 1",
        "verify $D/a.spoor $D/b.spoor", "profile --state $D/st %s",
        "export --state $D/st | tail -n 1", "segments --state $D/st",
        "stats --state $D/st", "lineage --state $D/st",
        "recover --state $D/st", "ingest --state $D/st --json $D/a.spoor",
        "import-traits --state $D/st $D/t.jsonl", "forget --state $D/st %s",
        "gen --events 10 --seed 9 --out $D/c.spoor",
        "ingest --state $D/st $D/c.spoor $D/b.spoor"
    };

    two_logs();
    free(ok(0, "$S ingest --state $D/st --rules $R $D/a.spoor%s", ""));
    first_profile(pid, uid);
    free(ok(0, "$S forget --state $D/st '%s' >/dev/null", uid));
    free(ok(0, "echo '{\"userId\":\"imp-1\",\"traits\":{\"plan\":\"pro\"},"
               "\"time\":\"2026-01-02T00:00:00Z\"}' > $D/t.jsonl && "
               "$S import-traits --state $D/st $D/t.jsonl >/dev/null && "
               "$S ingest --state $D/st $D/b.spoor >/dev/null%s", ""));
    o = ok(0, "ls $D/st; wc -l < $D/st/erasures%s", "");
    /* the newest generations, each with its serving view (the full
     * generations kept, and the deltas since: test_delta.c) */
    cr_assert(strstr(o, "gen-000003.serve\ngen-000003.snap\n"
                        "gen-000004.serve\ngen-000004.snap\n") != NULL,
              "%s", o);
    free(o);

    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char  line[512];
        int   want = strstr(cmds[i], "profile") == cmds[i] ? 4 : 0;

        snprintf(line, sizeof(line), "$S %s >/dev/null", cmds[i]);
        free(ok(want, line, uid));
        snprintf(line, sizeof(line), "$S %.*s --help >/dev/null",
                 (int) strcspn(cmds[i], " "), cmds[i]);
        free(ok(0, line, ""));
    }
    /* usage errors are exit 2, never a crash */
    free(ok(2, "$S ingest --state $D/st --bogus $D/a.spoor 2>/dev/null%s",
            ""));
    free(ok(2, "$S recover 2>/dev/null%s", ""));
    free(ok(2, "$S ingest --state $D/st --expire never $D/a.spoor "
               "2>/dev/null%s", ""));
}


/* A state whose current snapshot has valid checksums but hostile
 * contents (as a forged or carefully damaged file would): written with
 * the real snapshot writer. */
static void
forge(const char *name, const unsigned char *blob, size_t blen,
    const unsigned char *meta, size_t mlen)
{
    char            path[256];
    spoor_snapw_t  *w;
    uint64_t        h = spoor_id_hash("u", "user-1", 6);
    FILE           *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert(mkdir(path, 0755) == 0);
    w = spoor_snapw_create(path, "gen-000001.snap");
    cr_assert_not_null(w);
    if (blob) {
        cr_assert_eq(spoor_snapw_add(w, blob, blen, &h, 1), SPOOR_OK);
    }
    cr_assert_eq(spoor_snapw_meta(w, meta, mlen), SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    snprintf(path, sizeof(path), "%s/%s/CURRENT", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("gen-000001.snap\n", f);
    fclose(f);
}


Test(state, hostile_snapshot_contents_are_damage_not_a_crash)
{
    /* {"v":1,"as_of":0,"frames":bin 0,"tombs":[],"counters": a map32
     * header promising 2^32 - 1 pairs (msgpack-c would ask 256 GiB)} */
    static const unsigned char  lying_meta[] = {
        0x85, 0xa1, 'v', 0x01, 0xa5, 'a', 's', '_', 'o', 'f', 0x00,
        0xa6, 'f', 'r', 'a', 'm', 'e', 's', 0xc4, 0x00,
        0xa5, 't', 'o', 'm', 'b', 's', 0x90,
        0xa8, 'c', 'o', 'u', 'n', 't', 'e', 'r', 's',
        0xdf, 0xff, 0xff, 0xff, 0xff
    };
    static const unsigned char  good_meta[] = {
        0x85, 0xa1, 'v', 0x01, 0xa5, 'a', 's', '_', 'o', 'f', 0x00,
        0xa6, 'f', 'r', 'a', 'm', 'e', 's', 0xc4, 0x00,
        0xa5, 't', 'o', 'm', 'b', 's', 0x90,
        0xa8, 'c', 'o', 'u', 'n', 't', 'e', 'r', 's', 0x80
    };
    /* a profile found by user-1 whose "ids" entry is a string, not a
     * [kind, id] pair */
    static const unsigned char  bad_ids[] = {
        0x83, 0xa2, 'i', 'd', 0xa1, 'x',
        0xa3, 'i', 'd', 's', 0x91, 0xa6, 'u', 's', 'e', 'r', '-', '1',
        0xa5, 's', 't', 'a', 't', 'e', 0x80
    };
    char  *o;

    forge("meta", NULL, 0, lying_meta, sizeof(lying_meta));
    o = ok(1, "$S stats --state $D/meta 2>&1%s", "");
    cr_assert(strstr(o, "no counters") != NULL, "%s", o);
    free(o);
    o = ok(3, "$S ingest --state $D/meta /dev/null 2>&1%s", "");
    cr_assert(strstr(o, "damaged metadata") != NULL, "%s", o);
    free(o);

    forge("ids", bad_ids, sizeof(bad_ids), good_meta, sizeof(good_meta));
    o = ok(1, "$S profile --state $D/ids user-1 2>&1%s", "");
    cr_assert(strstr(o, "profile 0 of the current snapshot is damaged")
              != NULL, "%s", o);
    free(o);
}
