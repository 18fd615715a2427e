/*
 * cmd_ship.c -- `spoor ship`: the options of an edge's shipper (ship.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "fleet.h"
#include "settings.h"
#include "ship.h"


/* "512M", "64K", "2G", "1T" or bytes into *v; 0, or -1 outside 64K..1T. */
static int
parse_size(const char *s, uint64_t *v)
{
    char                *end;
    unsigned long long   n;
    unsigned             shift = 0;

    errno = 0;
    n = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-') {
        return -1;
    }
    switch (*end) {
    case '\0':               break;
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: return -1;
    }
    if (*end != '\0' || n > (1ull << 40) >> shift) {
        return -1;
    }
    *v = (uint64_t) n << shift;
    return *v >= (64u << 10) && *v <= (1ull << 40) ? 0 : -1;
}


static void
usage(FILE *f)
{
    fprintf(f,
        "usage: spoor ship --redis HOST:PORT[,HOST:PORT...] [OPTIONS] LOG\n"
        "\n"
        "Follows the live LOG as NGINX writes it, across rotations, and\n"
        "appends each complete frame, unchanged, to the edge's Redis stream\n"
        "spoor:{EDGE}:frames, for a follower elsewhere to fold\n"
        "(`spoor ingest --follow --redis`).  NGINX never waits for Redis:\n"
        "the log is the buffer.  What the follower has not committed yet is\n"
        "sent again after any Redis failure, so nothing is lost; the\n"
        "follower skips frames it has, so nothing is counted twice\n"
        "(docs/scaling.md).  SIGTERM stops it.\n"
        "\n"
        "  --redis SEEDS        Redis (a server or a cluster's nodes)\n"
        "  --edge NAME          this edge's name: 1 to 64 of [A-Za-z0-9._-]\n"
        "                       (default: the host name)\n"
        "  --position FILE      where the committed position is kept\n"
        "                       (default LOG.ship)\n"
        "  --status FILE        a JSON status object, replaced every second\n"
        "  --settle TIME        a rotated file unchanged this long is done;\n"
        "                       marked FILE.shipped once committed (default\n"
        "                       60s)\n"
        "  --timeout TIME       bound on each Redis network step (default 2s)\n"
        "  --max-uncommitted SIZE\n"
        "                       pause sending once this much is sent and not\n"
        "                       committed by a reader (default 512M)\n"
        "\n"
        "Exit codes: 0 stopped by SIGTERM or SIGINT, 1 the position file is\n"
        "damaged, 2 usage, 3 the log cannot be read or out of memory.\n");
}


int
cmd_ship(int argc, char **argv)
{
    static const struct option  opts[] = {
        { "redis",    required_argument, NULL, 'r' },
        { "edge",     required_argument, NULL, 'e' },
        { "position", required_argument, NULL, 'p' },
        { "status",   required_argument, NULL, 's' },
        { "settle",   required_argument, NULL, 'S' },
        { "timeout",  required_argument, NULL, 't' },
        { "max-uncommitted", required_argument, NULL, 'm' },
        { "help",     no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    ship_opts_t  o;
    char         host[256], *position = NULL;
    int64_t      timeout_ms = 2000;
    int          c, code, li;

    memset(&o, 0, sizeof(o));
    o.settle_ms = 60000;
    o.max_uncommitted = 512ull << 20;
    optind = 1;
    opterr = 0;
    while ((li = -1, c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        switch (c) {
        case 'r': o.redis = optarg; break;
        case 'e': o.edge = optarg; break;
        case 'p': o.position = optarg; break;
        case 's': o.status = optarg; break;
        case 'S':
        case 't':
            if (settings_duration(optarg, c == 'S' ? &o.settle_ms
                                                   : &timeout_ms) != 0
                || (c == 't' && timeout_ms > 600000))
            {
                fprintf(stderr, "spoor ship: --%s wants a duration (500ms, "
                        "1s, 2m; at least 10ms%s): '%s'\n", opts[li].name,
                        c == 't' ? ", at most 10m" : "", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'm':
            if (parse_size(optarg, &o.max_uncommitted) != 0) {
                fprintf(stderr, "spoor ship: --max-uncommitted wants a size "
                        "from 64K to 1T (bytes, or with K, M, G, T): '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            fprintf(stderr, "spoor ship: unknown option or missing argument "
                    "'%s' (see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "spoor ship: %s\n", optind >= argc
                ? "no LOG given" : "one LOG per shipper");
        return EXIT_USAGE;
    }
    o.log = argv[optind];
    if (o.redis == NULL || o.redis[0] == '\0') {
        fprintf(stderr, "spoor ship: --redis HOST:PORT is required\n");
        return EXIT_USAGE;
    }
    if (o.edge == NULL) {
        if (gethostname(host, sizeof(host)) != 0) {
            host[0] = '\0';
        }
        host[sizeof(host) - 1] = '\0';
        if (!fleet_name_valid(host)) {
            fprintf(stderr, "spoor ship: the host name '%s' is no edge "
                    "name: give --edge NAME\n", host);
            return EXIT_USAGE;
        }
        o.edge = host;
    } else if (!fleet_name_valid(o.edge)) {
        fprintf(stderr, "spoor ship: --edge wants 1 to 64 of "
                "[A-Za-z0-9._-]: '%s'\n", o.edge);
        return EXIT_USAGE;
    }
    if (o.position == NULL) {
        size_t  n = strlen(o.log);

        position = malloc(n + sizeof(".ship"));
        if (position == NULL) {
            fprintf(stderr, "spoor ship: out of memory\n");
            return EXIT_IO;
        }
        memcpy(position, o.log, n);
        memcpy(position + n, ".ship", sizeof(".ship"));
        o.position = position;
    }
    o.timeout_ms = (int) timeout_ms;
    code = ship_run(&o);
    free(position);
    return code;
}
