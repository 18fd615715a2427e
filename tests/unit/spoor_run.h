/*
 * spoor_run.h -- running the built `spoor` program from a criterion test:
 * a temporary directory per test, and shell command lines with
 * $S = the program ($SPOOR, set by `make test`), $D = that directory and
 * $R = $D/segments.rules.  Header-only (static), for the test files that
 * drive the command end to end (test_cli.c, test_ingest.c).
 */
#ifndef SPOOR_TEST_RUN_H
#define SPOOR_TEST_RUN_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char  dir[64];
static char  spoor[1024];

typedef struct {
    char    *out;       /* standard output, NUL-terminated */
    size_t   len;
    int      status;    /* exit code; 128 when killed */
} run_t;


/* Finds the program and makes the temporary directory from tmpl
 * ("/tmp/NAME-XXXXXX"). */
static void
spoor_run_setup(const char *tmpl)
{
    const char  *s = getenv("SPOOR");

    snprintf(spoor, sizeof(spoor), "%s", s ? s : "build/spoor");
    cr_assert(access(spoor, X_OK) == 0, "no spoor program at %s", spoor);
    snprintf(dir, sizeof(dir), "%s", tmpl);
    cr_assert_not_null(mkdtemp(dir));
}


static void
spoor_run_teardown(void)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}


/* Runs a shell command line (printf format) with $S, $D and $R set. */
static run_t
run(const char *fmt, ...)
{
    char     line[4096], cmd[8192];
    run_t    r = { NULL, 0, -1 };
    va_list  ap;
    FILE    *p;
    size_t   cap = 1 << 16, n;
    int      st;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "S='%s'; D='%s'; R='%s/segments.rules'; %s",
             spoor, dir, dir, line);

    p = popen(cmd, "r");
    cr_assert_not_null(p);
    r.out = malloc(cap);
    while ((n = fread(r.out + r.len, 1, cap - r.len - 1, p)) > 0) {
        r.len += n;
        if (cap - r.len < 2) {
            cap *= 2;
            r.out = realloc(r.out, cap);
        }
    }
    r.out[r.len] = '\0';
    st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    return r;
}

#endif /* SPOOR_TEST_RUN_H */
