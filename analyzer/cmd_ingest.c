/*
 * cmd_ingest.c -- `spoor ingest`: the command line, the progress display
 * and the report of a run; the fold itself is ingest.c (ingest.h), the
 * generation it writes state.c (state.h).
 */
#define _GNU_SOURCE                 /* sched_getaffinity, CPU_COUNT */

#include <errno.h>
#include <sched.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "error.h"
#include "fleet.h"
#include "alloc_hint.h"
#include "follow.h"
#include "ingest.h"
#include "json_out.h"
#include "mono_clock.h"
#include "settings.h"
#include "state.h"


/* The progress line on a terminal, at most twice a second. */
typedef struct {
    uint64_t   total, base, done, events;
    int64_t    start, last;
} progress_t;


static void
progress_show(progress_t *pg, int final)
{
    int64_t  now = mono_ms();
    double   secs, rate, left;

    if (!final && now - pg->last < 500) {
        return;
    }
    pg->last = now;
    secs = (double) (now - pg->start) / 1000.0;
    rate = secs > 0 ? (double) pg->events / secs : 0;
    left = pg->done && pg->total > pg->done
           ? secs * (double) (pg->total - pg->done) / (double) pg->done : 0;
    fprintf(stderr, "\rspoor ingest: %.1f / %.1f MB, %.0f events/s, %.0f s left   ",
            (double) pg->done / 1e6, (double) pg->total / 1e6, rate, left);
    if (final) {
        fputc('\n', stderr);
    }
}


static void
on_progress(void *arg, uint64_t bytes, uint64_t events)
{
    progress_t  *pg = arg;

    pg->done = pg->base + bytes;
    pg->events = events;
    progress_show(pg, 0);
}


static void
usage(FILE *f)
{
    fprintf(f,
        "usage: spoor ingest --state DIR [OPTIONS] LOG...\n"
        "\n"
        "Folds the events of the logs into user profiles and writes the next\n"
        "snapshot generation of DIR.  Frames already ingested are recognised by\n"
        "content and skipped, so runs can be repeated and logs given in any\n"
        "order; a run that brings nothing new writes no generation.  A run\n"
        "that changes few profiles writes a delta generation, which holds only\n"
        "those (docs/FORMAT.md, \"Delta generations\").\n"
        "\n"
        "  --state DIR          the state directory (created when missing)\n"
        "  --jobs N             threads (default: the CPUs it may run on): with 2\n"
        "                       or more, one decodes while another folds, and\n"
        "                       two write the generation; the result is the\n"
        "                       same for every N\n"
        "  --now TIME           evaluate as of TIME (ms since the epoch or ISO\n"
        "                       8601) when it is after the latest event\n"
        "  --full               write a full generation (a new base), not a\n"
        "                       delta of the current one\n"
        "\n"
        "usage: spoor ingest --state DIR --follow [OPTIONS] LOG\n"
        "       spoor ingest --state DIR --follow --redis SEEDS [OPTIONS] [LOG]\n"
        "\n"
        "Follows the live LOG as NGINX writes it, across rotations, and\n"
        "publishes a generation every --interval when something changed;\n"
        "SIGTERM publishes and stops, SIGHUP re-reads --rules.\n"
        "\n"
        "  --interval TIME      between publishes (default 1s; 500ms, 2m, ...)\n"
        "  --settle TIME        a rotated file unchanged this long is done and\n"
        "                       marked FILE.ingested (default 60s)\n"
        "  --status FILE        a JSON status object, replaced at each publish\n"
        "  --redis SEEDS        also fold the frames the fleet's edges ship\n"
        "                       (`spoor ship`) to Redis: host:port[,...]\n"
        "  --reader NAME        this state's consumer group on the streams\n"
        "                       (default spoor; one per state)\n"
        "  --serve-key FILE     with --redis: also publish what NGINX serves\n"
        "                       to every edge's `spoor mirror`, indexed by\n"
        "                       ids keyed with this secret (the edges'\n"
        "                       spoor_profiles key=; docs/scaling.md)\n"
        "  --serve-traits NAME[,NAME...]\n"
        "                       the traits the edges may serve (default:\n"
        "                       none leaves this host)\n"
        "\n"
        "Options of both:\n");
    settings_usage(f);
}



/* The --json result line: the generation, then either "unchanged":true
 * (ms < 0) or the run's seconds, profiles and snapshot bytes, then the
 * lineage members. */
static void
print_result(uint32_t gen, long long ms, size_t profiles, uint64_t bytes,
    unsigned jobs, const char *lineage)
{
    json_out_t  j;

    if (json_out_init(&j, stdout) != 0) {
        fprintf(stderr, "spoor ingest: out of memory\n");
        return;
    }
    json_out_map_open(&j);
    json_out_cstr(&j, "generation");
    json_out_uint(&j, gen);
    if (ms < 0) {
        json_out_cstr(&j, "unchanged");
        json_out_bool(&j, 1);
    } else {
        json_out_cstr(&j, "seconds");
        json_out_double(&j, (double) ms / 1000.0);
        json_out_cstr(&j, "profiles");
        json_out_uint(&j, profiles);
        json_out_cstr(&j, "snapshot_bytes");
        json_out_uint(&j, bytes);
        json_out_cstr(&j, "jobs");          /* the threads it ran on: */
        json_out_uint(&j, jobs > 1 ? 2 : 1);  /* two at most (docs) */
    }
    json_out_splice(&j, lineage, strlen(lineage));
    json_out_map_close(&j);
    json_out_line(&j);
    json_out_free(&j);
}


int
cmd_ingest(int argc, char **argv)
{
    char                  err[1024], *lineage = NULL;
    const char           *members;
    int                   first, i, rc, exit_code = EXIT_OK, now_moved = 0;
    size_t                profiles, mlen;
    uint64_t              bytes;
    state_cli_t           cli;
    state_t               st;
    ingest_t             *in = NULL;
    ingest_input_t        inp;
    const ingest_tally_t *t;
    ingest_tally_t        tally;
    progress_t            pg;
    json_out_t            j;
    struct stat           sb;
    int64_t               t0 = mono_ms(), t1;

    if (argc > 1 && cli_is_help(argv[1])) {
        usage(stdout);
        return EXIT_OK;
    }
    memset(&j, 0, sizeof(j));
    for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        if (strcmp(argv[i], "--follow") == 0) {
            /* a reload (SIGHUP) while a follower loads its state would
             * kill it; the rules are being read anyway */
            signal(SIGHUP, SIG_IGN);
        }
    }
    first = cli_open_state(argc, argv, "ingest", &cli, &st, 0);
    if (first == -100) {
        usage(stdout);
        settings_free(&cli.set);
        return EXIT_OK;
    }
    if (first < 0) {
        settings_free(&cli.set);
        return -first;
    }
    if (first >= argc && !(cli.follow && cli.redis != NULL)) {
        fprintf(stderr, "spoor ingest: no log given\n");
        exit_code = EXIT_USAGE;
        goto done;
    }
    st.full_next = cli.full;
    if (cli.follow) {
        if (first + 1 < argc || (first < argc && strcmp(argv[first], "-") == 0)) {
            fprintf(stderr, "spoor ingest: --follow follows one LOG file\n");
            exit_code = EXIT_USAGE;
        } else if (cli.now_ms != INT64_MIN) {
            fprintf(stderr, "spoor ingest: --follow takes the clock as "
                    "\"now\", not --now\n");
            exit_code = EXIT_USAGE;
        } else {
            exit_code = follow_run(argc, argv, &cli, &st,
                                   first < argc ? argv[first] : NULL);
        }
        goto done;
    }
    if (cli.status != NULL || cli.redis != NULL || cli.serve_key != NULL
        || cli.serve_traits != NULL
        || strcmp(cli.reader, FLEET_DEFAULT_READER) != 0)
    {
        fprintf(stderr, "spoor ingest: %s is for --follow\n",
                cli.status != NULL ? "--status"
                : cli.redis != NULL ? "--redis"
                : cli.serve_key != NULL ? "--serve-key"
                : cli.serve_traits != NULL ? "--serve-traits" : "--reader");
        exit_code = EXIT_USAGE;
        goto done;
    }
    in = ingest_new(&st);
    if (in == NULL || json_out_init(&j, NULL) != 0) {
        fprintf(stderr, "spoor ingest: out of memory\n");
        exit_code = EXIT_IO;
        goto done;
    }

    memset(&pg, 0, sizeof(pg));
    pg.start = pg.last = mono_ms();
    for (i = first; i < argc; i++) {
        if (stat(argv[i], &sb) == 0) {
            pg.total += (uint64_t) sb.st_size;
        }
    }
    if (isatty(2)) {
        ingest_set_progress(in, on_progress, &pg);
    }
    if (cli.jobs == 0) {
        /* the CPUs this process may run on (taskset, a cgroup's cpuset),
         * not every CPU on line: two threads on one CPU only take turns */
        cpu_set_t  cpus;
        long       n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0
                       ? CPU_COUNT(&cpus) : sysconf(_SC_NPROCESSORS_ONLN);

        cli.jobs = n > 0 ? (unsigned) n : 1;
    }
    ingest_set_jobs(in, cli.jobs);
    st.commit_jobs = cli.jobs;

    json_out_map_open(&j);
    json_out_cstr(&j, "inputs");
    json_out_array_open(&j);
    for (i = first; i < argc; i++) {
        rc = ingest_log(in, argv[i], &inp);
        if (rc == SPOOR_E_IO) {
            exit_code = EXIT_IO;
            break;
        }
        if (rc != SPOOR_OK) {
            fprintf(stderr, "spoor ingest: %s: %s\n", argv[i],
                    spoor_strerror(rc));
            exit_code = EXIT_IO;
            break;
        }
        pg.base += inp.size;
        ingest_lineage_input(&j, &inp);
        if (inp.damaged) {
            exit_code = EXIT_DAMAGED;
        }
    }
    json_out_array_close(&j);
    if (isatty(2)) {
        pg.done = pg.base;
        progress_show(&pg, 1);
    }

    if (exit_code == EXIT_IO) {
        /* nothing is committed: the previous generation stays current */
        fprintf(stderr, "spoor ingest: nothing written; %s is unchanged\n",
                cli.dir);
        goto done;
    }

    t = ingest_tally(in);
    ingest_lineage_events(&j, t, &st);
    if (cli.now_ms != INT64_MIN && cli.now_ms > st.as_of) {
        st.as_of = cli.now_ms;
        json_out_cstr(&j, "now");
        json_out_int(&j, cli.now_ms);
        now_moved = 1;
    }
    members = json_out_members(&j, &mlen);
    lineage = strndup(members, mlen);
    if (lineage == NULL || ingest_finish(in) != SPOOR_OK) {
        fprintf(stderr, "spoor ingest: out of memory\n");
        exit_code = EXIT_IO;
        goto done;
    }

    if (st.gen > 0 && t->new_frames == 0 && st.changed == 0
        && !st.erased_in_run && st.has_settings && !now_moved
        && st.nrequests == 0 && !cli.full)
    {
        /* nothing new: the current generation stays, and so do its
         * parents (an empty generation would push them out); a state
         * written before settings were kept gets them recorded */
        if (cli.json) {
            print_result(st.gen, -1, 0, 0, cli.jobs, lineage);
        } else {
            printf("spoor ingest: nothing new in %" PRIu64 " records; "
                   "generation %" PRIu32 " stays current\n", t->records,
                   st.gen);
        }
        goto done;
    }

    /* what the run read is counted into the state: the reading's
     * memory goes before the commit's peak */
    tally = *t;
    t = &tally;
    ingest_free(in);
    in = NULL;
    st.last_commit = 1;         /* the process ends after it */
    alloc_release_at_once();    /* what the commit frees, at once */
    rc = state_commit(&st, lineage, &profiles, &bytes, err, sizeof(err));
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor ingest: %s\n", err);
        exit_code = EXIT_IO;
        goto done;
    }

    t1 = mono_ms();
    if (cli.json) {
        print_result(st.gen, t1 - t0, profiles, bytes, cli.jobs, lineage);
    } else {
        printf("spoor ingest: generation %" PRIu32 ": %" PRIu64 " records read "
               "(%" PRIu64 " new), %" PRIu64 " applied to profiles, %" PRIu64
               " already ingested, %" PRIu64 " anonymous, %" PRIu64
               " cookieless, %" PRIu64 " not for profiling, %" PRIu64
               " erased; %" PRIu64 " withdrawals; %zu profiles, snapshot %"
               PRIu64 " bytes, %.2f s (%.0f events/s)\n",
               st.gen, t->records, t->new_records, t->applied,
               t->duplicate, t->anonymous, t->cookieless, t->no_profiling,
               t->erased, t->withdrawals, profiles, bytes,
               (double) (t1 - t0) / 1000.0,
               t1 > t0 ? (double) t->records * 1000.0 / (double) (t1 - t0)
                       : 0.0);
    }

done:
    state_close_exiting(&st);   /* main() returns what cmd_ingest does */
    settings_free(&cli.set);
    ingest_free(in);
    json_out_free(&j);
    free(lineage);
    return exit_code;
}
