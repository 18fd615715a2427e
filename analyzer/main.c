/*
 * main.c -- the `spoor` command: dispatches to one subcommand per file
 * (cmd_*.c).  Exit codes are listed in cli.h.
 */
#include <stdio.h>
#include <string.h>
#ifdef SPOOR_MIMALLOC
#include <mimalloc.h>
#endif
#include "alloc_hint.h"
#include "cli.h"
#include "event.h"

#define SPOOR_VERSION  "0.1.0"

typedef struct {
    const char   *name;
    int         (*run)(int argc, char **argv);
    const char   *summary;
} command_t;

static const command_t  commands[] = {
    { "cat",    cmd_cat,    "print the records of logs as JSON lines" },
    { "verify", cmd_verify, "check logs and report damage and gaps" },
    { "gen",    cmd_gen,    "write a synthetic e-commerce log" },
    { "ingest", cmd_ingest, "fold logs into profiles: the next snapshot" },
    { "profile", cmd_profile, "print one profile, found by any of its ids" },
    { "export", cmd_export, "print every profile as JSON lines" },
    { "segments", cmd_segments, "list the members of each segment" },
    { "stats",  cmd_stats,  "the figures: segments, consent, days, top lists (JSON)" },
    { "report", cmd_report, "an HTML report of a state: segments, consent, events, quality" },
    { "lineage", cmd_lineage, "list the snapshot generations and inputs" },
    { "rules",  cmd_rules,  "print the segment rules in force, with their hash" },
    { "forget", cmd_forget, "erase profiles by any linked id, for good" },
    { "import-traits", cmd_import_traits, "load batch traits (JSON lines)" },
    { "ship",   cmd_ship,   "send the local log's frames to a Redis stream (a fleet edge)" },
    { "mirror", cmd_mirror, "keep a fleet edge's copy of what NGINX serves, from Redis" },
    { "recover", cmd_recover, "roll a damaged state back to an intact generation" },
};


static void
usage(FILE *f)
{
    size_t  i;

    fprintf(f,
        "usage: spoor COMMAND [OPTIONS] [ARGS]\n"
        "\n"
        "spoor reads the event logs written by ngx_http_spoor_module.\n"
        "\n"
        "commands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f,
        "\n"
        "`spoor COMMAND --help` describes a command.\n"
        "\n"
        "exit codes:\n"
        "  0  success\n"
        "  1  an input was damaged or incomplete\n"
        "  2  usage error\n"
        "  3  an input could not be read or an output not written, or the\n"
        "     state cannot be used (see spoor recover)\n"
        "  4  not found (spoor profile: no profile has the id)\n");
}


#ifdef SPOOR_MIMALLOC
/* mimalloc's: freed memory goes back to the system at once, not 100 ms
 * later (alloc_hint.h; analyzer/alloc_hint.c has the no-op the tests
 * link instead). */
void
alloc_release_at_once(void)
{
    mi_option_set(mi_option_decommit_delay, 0);
}
#endif


int
main(int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("spoor %s (log format %d)\n", SPOOR_VERSION,
               SPOOR_FORMAT_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return EXIT_OK;
        }
        for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                char  *help[] = { argv[2], "--help", NULL };

                return commands[i].run(2, help);
            }
        }
        fprintf(stderr, "spoor: unknown command '%s'\n", argv[2]);
        return EXIT_USAGE;
    }

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }

    fprintf(stderr, "spoor: unknown command '%s' (see spoor --help)\n",
            argv[1]);
    return EXIT_USAGE;
}
