/*
 * test_state.c -- the analyzer's state directory on the workflows the
 * docs describe and under damage: each test runs the `spoor` program the
 * way an operator (or logrotate) does, on logs made by `spoor gen`, and
 * checks exit codes, messages and what the read commands answer.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

    /* the rotation workflow: no --rules, an empty log, then a real one */
    free(ok(0, ": > $D/empty.spoor && $S ingest --state $D/st $D/empty.spoor%s",
            ""));
    free(ok(0, "$S ingest --state $D/st $D/b.spoor%s", ""));

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
