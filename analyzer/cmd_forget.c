/*
 * cmd_forget.c -- the commands that change profiles without logs:
 * `spoor forget` (erasure by any linked id, with tombstones that keep
 * re-ingested old events out) and `spoor import-traits` (batch traits
 * that never overwrite a fresher value).  Both write the next generation
 * like `spoor ingest` (state.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <msgpack.h>
#include "cli.h"
#include "error.h"
#include "json_msgpack.h"
#include "requests.h"
#include "settings.h"
#include "snapshot.h"
#include "state.h"
#include "timestamp.h"
#include "utf8.h"
#include "traits_import.h"

/* Opens the state for a command that changes existing profiles. */
static int
open_gen(int argc, char **argv, const char *cmd, state_cli_t *cli,
    state_t *st)
{
    int  first = cli_open_state(argc, argv, cmd, cli, st, 0);

    if (first >= 0 && st->gen == 0) {
        fprintf(stderr, "spoor %s: %s: no profiles yet\n", cmd, cli->dir);
        state_close(st);
        return -EXIT_IO;
    }
    return first;
}


static int64_t
wall_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* Waits up to --wait for the request at path to be committed by the run
 * holding the state; an exit code: 0 done, 3 set aside or still queued. */
static int
wait_request(const state_cli_t *cli, const char *cmd, const char *path)
{
    char             dmg[4096 + 300];
    int64_t          waited;
    struct timespec  nap = { 0, 50 * 1000000L };

    fprintf(stderr, "spoor %s: %s is held by a running writer (a "
            "follower?): queued as %s\n", cmd, cli->dir, path);
    snprintf(dmg, sizeof(dmg), "%s.damaged", path);
    for (waited = 0; waited < cli->wait_ms; waited += 50) {
        if (!requests_pending(path)) {
            if (access(dmg, F_OK) == 0) {
                fprintf(stderr, "spoor %s: the running writer could not "
                        "read the request (set aside as %s): nothing "
                        "done\n", cmd, dmg);
                return EXIT_IO;
            }
            return EXIT_OK;
        }
        nanosleep(&nap, NULL);
    }
    fprintf(stderr, "spoor %s: not applied within %lld ms: the request "
            "stays queued, and the next run that writes %s applies it\n",
            cmd, (long long) cli->wait_ms, cli->dir);
    return EXIT_IO;
}


/* The erasure of ids queued for the run holding the state. */
static int
forget_queued(const state_cli_t *cli, char *const *ids, size_t n,
    int64_t now)
{
    char    path[4096 + 256], err[1024];
    size_t  i;
    int     rc;

    /* the request holds the ids as JSON strings: each must be one, as
     * given (no byte repaired on the way), or nothing is queued */
    for (i = 0; i < n; i++) {
        if (ids[i][0] == '\0'
            || !spoor_utf8_valid((const unsigned char *) ids[i],
                                 strlen(ids[i])))
        {
            fprintf(stderr, "spoor forget: id %zu is %s: nothing queued\n",
                    i + 1, ids[i][0] ? "not UTF-8" : "empty");
            return EXIT_USAGE;
        }
    }
    if (requests_queue_forget(cli->dir, ids, n, now, path, sizeof(path), err,
                              sizeof(err)) != SPOOR_OK)
    {
        fprintf(stderr, "spoor forget: %s\n", err);
        return EXIT_IO;
    }
    rc = wait_request(cli, "forget", path);
    if (rc == EXIT_OK) {
        printf("spoor forget: %zu ids erased by the running writer; its "
               "current generation holds the erasure\n", n);
    }
    return rc;
}


/* The lines that parse, gathered for the queue. */
typedef struct {
    char    *buf;
    size_t   len, cap, good;
} gathered_t;


static int
gather_line(void *arg, const traits_line_t *tl, const char *line, size_t len,
    size_t lineno)
{
    gathered_t  *g = arg;
    char        *b;

    (void) tl;
    (void) lineno;
    if (g->len + len + 1 > g->cap) {
        g->cap = (g->len + len + 1) * 2;
        b = realloc(g->buf, g->cap);
        if (b == NULL) {
            return SPOOR_E_NOMEM;
        }
        g->buf = b;
    }
    memcpy(g->buf + g->len, line, len);
    g->len += len;
    g->buf[g->len++] = '\n';
    g->good++;
    return SPOOR_OK;
}


/* The lines of FILE that parse, queued for the run holding the state; the
 * others are reported as a direct run reports them. */
static int
import_queued(const state_cli_t *cli, const char *file)
{
    FILE        *f;
    char         path[4096 + 256], err[1024];
    size_t       lines, bad;
    gathered_t   g = { NULL, 0, 0, 0 };
    int          rc;

    f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "spoor import-traits: %s: %s\n", file,
                strerror(errno));
        return EXIT_IO;
    }
    rc = traits_file_each(f, file, gather_line, &g, &lines, &bad);
    if (f != stdin) {
        fclose(f);
    }
    if (rc != SPOOR_OK) {
        free(g.buf);
        fprintf(stderr, "spoor import-traits: out of memory; nothing "
                "queued\n");
        return EXIT_IO;
    }
    if (g.good == 0) {
        printf("spoor import-traits: no line to apply, %zu bad\n", bad);
        return bad ? EXIT_DAMAGED : EXIT_OK;
    }
    rc = requests_queue_traits(cli->dir, g.buf, g.len, path, sizeof(path),
                               err, sizeof(err));
    free(g.buf);
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor import-traits: %s\n", err);
        return EXIT_IO;
    }
    rc = wait_request(cli, "import-traits", path);
    if (rc == EXIT_OK) {
        printf("spoor import-traits: %zu lines applied by the running "
               "writer, %zu bad\n", g.good, bad);
        if (bad) {
            rc = EXIT_DAMAGED;
        }
    }
    return rc;
}


/* A line applied to the state of a direct run. */
typedef struct {
    state_t     *st;
    const char  *name;
    size_t       applied, junk;
} applying_t;


static int
apply_line(void *arg, const traits_line_t *tl, const char *line, size_t len,
    size_t lineno)
{
    applying_t  *a = arg;
    int          nomem = 0, rc;

    (void) line;
    (void) len;
    rc = state_import_traits(a->st, tl, &nomem);
    if (nomem) {
        return SPOOR_E_NOMEM;
    }
    if (rc < 0) {
        fprintf(stderr, "spoor import-traits: %s:%zu: junk id\n", a->name,
                lineno);
        a->junk++;
    } else if (rc > 0) {
        a->applied++;
    }
    return SPOOR_OK;
}


int
cmd_forget(int argc, char **argv)
{
    state_t          st;
    state_cli_t      cli;
    char             err[1024], *line = NULL;
    int              first, i, exit_code = EXIT_OK;
    size_t           profiles, erased = 0;
    uint64_t         bytes;
    int64_t          now = wall_ms();

    /* a follower holds the state: queue the request for it */
    first = settings_parse_args(argc, argv, "forget", &cli);
    if (first < -1) {
        settings_free(&cli.set);            /* the message is printed */
        return first == -3 ? EXIT_IO : EXIT_USAGE;
    }
    if (first >= 0 && first < argc && state_locked(cli.dir)) {
        exit_code = forget_queued(&cli, argv + first,
                                  (size_t) (argc - first), now);
        settings_free(&cli.set);
        return exit_code;
    }
    settings_free(&cli.set);

    first = open_gen(argc, argv, "forget", &cli, &st);
    if (first == -100) {
        printf("usage: spoor forget --state DIR [--wait TIME] ID...\n\n"
               "Erases the profile of each ID (a user, anonymous or visitor\n"
               "id) and every id linked to it, and keeps tombstones: events of\n"
               "those ids up to now never come back, even when old logs are\n"
               "ingested again.  Writes the next generation.\n\n"
               "While another run holds the state (a follower: spoor ingest\n"
               "--follow), the erasure is queued in DIR/requests/ and applied\n"
               "by that run; forget waits for its generation up to --wait\n"
               "(default 60s), and exits 3 if it is still queued then (the\n"
               "next run that writes the state applies it).\n");
        return EXIT_OK;
    }
    if (first < 0) {
        settings_free(&cli.set);
        return -first;
    }
    if (first >= argc) {
        fprintf(stderr, "spoor forget: no ID given\n");
        exit_code = EXIT_USAGE;
        goto done;
    }

    for (i = first; i < argc; i++) {
        int     nomem = 0;
        /* known or not: the tombstone keeps it out of future ingests */
        size_t  found = state_forget(&st, argv[i], strlen(argv[i]), now,
                                     &nomem);

        if (nomem) {
            /* an id not marked erased must not look forgotten */
            fprintf(stderr, "spoor forget: %s: out of memory; nothing "
                    "written\n", argv[i]);
            exit_code = EXIT_IO;
            goto done;
        }
        erased += found;
        if (found == 0) {
            fprintf(stderr, "spoor forget: %s: no profile had this id "
                    "(tombstoned anyway)\n", argv[i]);
        }
    }

    {
        static const char *const  keys[] = { "ids", "profiles_erased" };
        uint64_t                  vals[] = { (uint64_t) (argc - first),
                                             erased };

        line = cli_lineage_member("forget", keys, vals, 2);
    }
    if (line == NULL) {
        fprintf(stderr, "spoor forget: out of memory; nothing written\n");
        exit_code = EXIT_IO;
        goto done;
    }
    if (state_commit(&st, line, &profiles, &bytes, err, sizeof(err))
        != SPOOR_OK)
    {
        fprintf(stderr, "spoor forget: %s\n", err);
        exit_code = EXIT_IO;
        goto done;
    }
    printf("spoor forget: %zu profiles erased; generation %" PRIu32
           ": %zu profiles\n", erased, st.gen, profiles);

done:
    free(line);
    state_close(&st);
    settings_free(&cli.set);
    return exit_code;
}


int
cmd_import_traits(int argc, char **argv)
{
    state_t          st;
    state_cli_t      cli;
    char             err[1024], *lj = NULL;
    int              first, exit_code = EXIT_OK, nomem = 0;
    size_t           profiles, lineno = 0, applied = 0, bad = 0;
    uint64_t         bytes;
    FILE            *f;
    applying_t       ap = { NULL, NULL, 0, 0 };

    /* a follower holds the state: queue the lines for it */
    first = settings_parse_args(argc, argv, "import-traits", &cli);
    if (first < -1) {
        settings_free(&cli.set);            /* the message is printed */
        return first == -3 ? EXIT_IO : EXIT_USAGE;
    }
    if (first >= 0 && first + 1 == argc && state_locked(cli.dir)) {
        exit_code = import_queued(&cli, argv[first]);
        settings_free(&cli.set);
        return exit_code;
    }
    settings_free(&cli.set);

    first = open_gen(argc, argv, "import-traits", &cli, &st);
    if (first == -100) {
        printf("usage: spoor import-traits --state DIR [--rules FILE] FILE\n\n"
               "Loads traits from FILE (- for standard input), one JSON object\n"
               "per line: {\"userId\": ID, \"traits\": {...}, \"time\": T}\n"
               "(\"anonymousId\" instead of \"userId\" also works; T is ISO 8601\n"
               "or milliseconds).  A trait replaces the profile's value only\n"
               "when T is newer.  Bad lines are reported and skipped (exit 1).\n"
               "While another run holds the state (a follower), the lines are\n"
               "queued for it, as for forget (--wait, default 60s).\n");
        return EXIT_OK;
    }
    if (first < 0) {
        settings_free(&cli.set);
        return -first;
    }
    if (first + 1 != argc) {
        fprintf(stderr, "spoor import-traits: give exactly one FILE\n");
        exit_code = EXIT_USAGE;
        goto done;
    }
    f = strcmp(argv[first], "-") == 0 ? stdin : fopen(argv[first], "r");
    if (f == NULL) {
        fprintf(stderr, "spoor import-traits: %s: %s\n", argv[first],
                strerror(errno));
        exit_code = EXIT_IO;
        goto done;
    }

    ap.st = &st;
    ap.name = argv[first];
    nomem = traits_file_each(f, argv[first], apply_line, &ap, &lineno, &bad)
            != SPOOR_OK;
    bad += ap.junk;
    applied = ap.applied;
    if (f != stdin) {
        fclose(f);
    }
    if (nomem) {
        fprintf(stderr, "spoor import-traits: out of memory; nothing written\n");
        exit_code = EXIT_IO;
        goto done;
    }

    {
        static const char *const  keys[] = { "lines", "applied", "bad" };
        uint64_t                  vals[] = { lineno, applied, bad };

        lj = cli_lineage_member("import", keys, vals, 3);
    }
    if (lj == NULL) {
        fprintf(stderr, "spoor import-traits: out of memory; nothing "
                "written\n");
        exit_code = EXIT_IO;
        goto done;
    }
    if (state_commit(&st, lj, &profiles, &bytes, err, sizeof(err))
        != SPOOR_OK)
    {
        fprintf(stderr, "spoor import-traits: %s\n", err);
        exit_code = EXIT_IO;
        goto done;
    }
    printf("spoor import-traits: %zu lines applied, %zu bad; generation %"
           PRIu32 ": %zu profiles\n", applied, bad, st.gen, profiles);
    if (bad) {
        exit_code = EXIT_DAMAGED;
    }

done:
    free(lj);
    state_close(&st);
    settings_free(&cli.set);
    return exit_code;
}
