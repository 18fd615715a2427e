/*
 * cmd_report.c -- `spoor report`: the figures of a state (stats.h) drawn
 * as one self-contained HTML page (report_html.h), written atomically.
 *
 * The page and `spoor stats --json` come from the same stats_json() call,
 * so the report's tables are the numbers stats prints for the same state.
 * The file is replaced only once the whole page is rendered: a failure
 * leaves the previous report as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "report_html.h"
#include "snapshot.h"
#include "stats.h"


static void
usage(FILE *f)
{
    fprintf(f,
        "usage: spoor report --state DIR --out FILE [--logs LOG...]\n"
        "\n"
        "Writes one self-contained HTML page of the state's figures:\n"
        "segment sizes now and over generations, lifecycle and the RFM\n"
        "grid, events per day by type and the top event names, consent\n"
        "outcomes by signal, action and country and over time, the top\n"
        "pages, referrers, campaigns, countries, browsers and devices,\n"
        "identity and erasure counts, and data quality.  The page asks for\n"
        "nothing over the network (no script, font or image), reads with\n"
        "JavaScript off, follows the reader's light or dark scheme and\n"
        "prints.  Its tables hold the numbers `spoor stats --json` prints\n"
        "for the same state (docs/report.md).\n"
        "\n"
        "  --state DIR    the state directory (required)\n"
        "  --out FILE     the page to write, replaced atomically (required)\n"
        "  --logs LOG...  also check these logs as `spoor verify` does and\n"
        "                 show their frames, damage and sequence gaps (every\n"
        "                 argument up to the next option)\n"
        "  -h, --help     this text\n"
        "\n"
        "exit codes: 0 written; 1 written, but a LOG is damaged or\n"
        "incomplete, or the state's snapshot is damaged (nothing written);\n"
        "2 usage error; 3 no usable state, or FILE could not be written\n");
}


/* Writes data to path atomically, in path's directory. */
static int
write_out(const char *path, const char *data, size_t len)
{
    char        *dir;
    const char  *slash = strrchr(path, '/'), *name;
    int          rc;

    if (slash == NULL) {
        dir = strdup(".");
        name = path;
    } else {
        dir = strndup(path, slash == path ? 1 : (size_t) (slash - path));
        name = slash + 1;
    }
    if (dir == NULL) {
        errno = ENOMEM;
        return SPOOR_E_NOMEM;
    }
    if (*name == '\0') {
        free(dir);
        errno = EISDIR;
        return SPOOR_E_INVAL;
    }
    rc = spoor_write_file_atomic(dir, name, data, len);
    free(dir);
    return rc;
}


int
cmd_report(int argc, char **argv)
{
    const char   *dir = NULL, *out = NULL;
    char        **logs = NULL, *json = NULL, *html = NULL, err[1024];
    size_t        nlogs = 0, len = 0, hlen = 0;
    int           i, rc, logs_bad = 0, exit_code = EXIT_OK;

    if ((logs = calloc((size_t) argc + 1, sizeof(*logs))) == NULL) {
        fprintf(stderr, "spoor report: out of memory\n");
        return EXIT_IO;
    }
    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            free(logs);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(argv[i], "--state=", 8) == 0) {
            dir = argv[i] + 8;
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strncmp(argv[i], "--out=", 6) == 0) {
            out = argv[i] + 6;
        } else if (strncmp(argv[i], "--logs=", 7) == 0) {
            logs[nlogs++] = argv[i] + 7;
        } else if (strcmp(argv[i], "--logs") == 0) {
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
                fprintf(stderr, "spoor report: --logs needs at least one "
                        "LOG\n");
                free(logs);
                return EXIT_USAGE;
            }
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                logs[nlogs++] = argv[++i];
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "spoor report: unknown option '%s' (see spoor "
                    "report --help)\n", argv[i]);
            free(logs);
            return EXIT_USAGE;
        } else {
            fprintf(stderr, "spoor report: unexpected argument '%s' (LOGs "
                    "follow --logs)\n", argv[i]);
            free(logs);
            return EXIT_USAGE;
        }
    }
    if (dir == NULL || out == NULL || *dir == '\0' || *out == '\0') {
        fprintf(stderr, "spoor report: %s is required (see spoor report "
                "--help)\n", dir == NULL || *dir == '\0' ? "--state DIR"
                                                          : "--out FILE");
        free(logs);
        return EXIT_USAGE;
    }

    err[0] = '\0';
    rc = stats_json(dir, logs, nlogs, &json, &len, &logs_bad, err,
                    sizeof(err));
    free(logs);
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor report: %s\n",
                err[0] ? err : spoor_strerror(rc));
        return rc == SPOOR_E_FORMAT ? EXIT_DAMAGED : EXIT_IO;
    }
    rc = report_html(json, &html, &hlen, err, sizeof(err));
    free(json);
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor report: %s\n", err);
        return EXIT_IO;
    }
    if (write_out(out, html, hlen) != SPOOR_OK) {
        fprintf(stderr, "spoor report: %s: %s\n", out, strerror(errno));
        free(html);
        return EXIT_IO;
    }
    free(html);
    if (logs_bad) {
        fprintf(stderr, "spoor report: a log is damaged, incomplete or "
                "unreadable (its data quality section says which); the "
                "report was written to %s\n", out);
        exit_code = EXIT_DAMAGED;
    }
    return exit_code;
}
