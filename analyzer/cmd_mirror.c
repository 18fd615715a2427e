/*
 * cmd_mirror.c -- `spoor mirror`: the options of an edge's mirror
 * (mirror.h).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "fleet.h"
#include "mirror.h"
#include "settings.h"


static void
usage(FILE *f)
{
    fprintf(f,
        "usage: spoor mirror --redis HOST:PORT[,HOST:PORT...] --dir DIR "
        "[OPTIONS]\n"
        "\n"
        "Keeps DIR a copy of what the fleet's follower publishes for NGINX\n"
        "to serve (`spoor ingest --follow --redis SEEDS --serve-key FILE`):\n"
        "the keyed serving files of the newest generation and CURRENT, read\n"
        "by `spoor_profiles DIR key=FILE;`.  Every change is fetched whole\n"
        "and checked before CURRENT names it; NGINX never waits on Redis\n"
        "(docs/scaling.md).  SIGTERM stops it.\n"
        "\n"
        "  --redis SEEDS        Redis (a server or a cluster's nodes)\n"
        "  --dir DIR            the directory NGINX's spoor_profiles reads\n"
        "  --reader NAME        the state's reader (default spoor)\n"
        "  --interval TIME      between looks at Redis (default 250ms)\n"
        "  --status FILE        a JSON status object, replaced at each look\n"
        "  --timeout TIME       bound on each Redis network step (default 2s)\n"
        "\n"
        "Exit codes: 0 stopped by SIGTERM or SIGINT, 2 usage, 3 DIR cannot\n"
        "be written.\n");
}


int
cmd_mirror(int argc, char **argv)
{
    static const struct option  opts[] = {
        { "redis",    required_argument, NULL, 'r' },
        { "dir",      required_argument, NULL, 'd' },
        { "reader",   required_argument, NULL, 'R' },
        { "interval", required_argument, NULL, 'i' },
        { "status",   required_argument, NULL, 's' },
        { "timeout",  required_argument, NULL, 't' },
        { "help",     no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    mirror_opts_t  o;
    int64_t        timeout_ms = 2000;
    int            c, li;

    memset(&o, 0, sizeof(o));
    o.reader = FLEET_DEFAULT_READER;
    o.interval_ms = MIRROR_POLL_MS;
    optind = 1;
    opterr = 0;
    while ((li = -1, c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        switch (c) {
        case 'r': o.redis = optarg; break;
        case 'd': o.dir = optarg; break;
        case 's': o.status = optarg; break;
        case 'R':
            if (!fleet_name_valid(optarg)) {
                fprintf(stderr, "spoor mirror: --reader wants 1 to 64 of "
                        "[A-Za-z0-9._-]: '%s'\n", optarg);
                return EXIT_USAGE;
            }
            o.reader = optarg;
            break;
        case 'i':
        case 't':
            if (settings_duration(optarg, c == 'i' ? &o.interval_ms
                                                   : &timeout_ms) != 0
                || (c == 't' && timeout_ms > 600000)
                || (c == 'i' && o.interval_ms > 60000))
            {
                fprintf(stderr, "spoor mirror: --%s wants a duration (250ms, "
                        "1s; at least 10ms, at most %s): '%s'\n",
                        opts[li].name, c == 't' ? "10m" : "1m", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "spoor mirror: unknown option or missing "
                    "argument '%s' (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "spoor mirror: unexpected argument '%s'\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (o.redis == NULL || o.redis[0] == '\0') {
        fprintf(stderr, "spoor mirror: --redis HOST:PORT is required\n");
        return EXIT_USAGE;
    }
    if (o.dir == NULL || o.dir[0] == '\0') {
        fprintf(stderr, "spoor mirror: --dir DIR is required\n");
        return EXIT_USAGE;
    }
    o.timeout_ms = (int) timeout_ms;
    return mirror_run(&o);
}
