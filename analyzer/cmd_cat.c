/*
 * cmd_cat.c -- `spoor cat`: every record of the given logs as one JSON
 * line each, or with --frames one line per frame.  Damage goes to stderr
 * and the records of every intact frame are still printed.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "event.h"
#include "json_out.h"
#include "logreader.h"

typedef struct {
    const char   *path;
    int           damaged;
} cat_file_t;


static void
cat_usage(FILE *f)
{
    fprintf(f,
        "usage: spoor cat [--frames] LOG...\n"
        "\n"
        "Prints each record of each LOG as one JSON line on standard output\n"
        "(field names in docs/FORMAT.md).  LOG \"-\" reads standard input.\n"
        "Damaged stretches are skipped and described on standard error;\n"
        "the records of every intact frame are printed.\n"
        "\n"
        "  --frames   print one JSON line per frame instead: offset, length,\n"
        "             records, checksum and the frame's metadata\n"
        "  -h, --help this text\n"
        "\n"
        "exit codes: 0 all intact, 1 damage was skipped, 2 usage error,\n"
        "3 a LOG could not be read or standard output not written\n");
}


static void
cat_damage(void *arg, const spoor_damage_t *d)
{
    cat_file_t  *cf = arg;

    cf->damaged = 1;
    fflush(stdout);
    cli_print_damage(stderr, cf->path, d);
}


int
cmd_cat(int argc, char **argv)
{
    static const struct option  opts[] = {
        { "frames", no_argument, NULL, 'f' },
        { "help",   no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    static char           obuf[1 << 20];
    spoor_reader_t       *r;
    spoor_frame_t         f;
    spoor_event_t         ev;
    json_out_t            j;
    cat_file_t            cf;
    int                   c, i, fd, rc, frames, status, out_failed;

    frames = 0;
    out_failed = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            frames = 1;
            break;
        case 'h':
            cat_usage(stdout);
            return EXIT_OK;
        default:
            cat_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "spoor cat: no LOG given\n");
        cat_usage(stderr);
        return EXIT_USAGE;
    }

    setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
    if (json_out_init(&j, stdout) != 0) {
        fprintf(stderr, "spoor cat: out of memory\n");
        return EXIT_IO;
    }

    status = EXIT_OK;

    for (i = optind; i < argc && !out_failed; i++) {
        cf.path = argv[i];
        cf.damaged = 0;

        fd = cli_open_log("cat", cf.path);
        if (fd == -1) {
            status = EXIT_IO;
            continue;
        }
        r = spoor_reader_open_fd(fd, cat_damage, &cf);
        if (r == NULL) {
            fprintf(stderr, "spoor cat: out of memory\n");
            cli_close_log(fd);
            status = EXIT_IO;
            break;
        }

        while (!out_failed && (rc = spoor_reader_next_frame(r, &f)) == 1) {
            if (frames) {
                spoor_frame_finish(r, &f);
                json_out_frame(&j, &f);
                out_failed = json_out_line(&j) != 0;
                continue;
            }
            while (!out_failed && spoor_frame_next_event(r, &f, &ev, &rc)) {
                if (rc == SPOOR_OK) {
                    json_out_event(&j, &ev);
                    out_failed = json_out_line(&j) != 0;
                } else {
                    fflush(stdout);
                    fprintf(stderr, "%s: undecodable record in frame at "
                            "offset %llu: %s\n", cf.path,
                            (unsigned long long) f.offset,
                            spoor_strerror(rc));
                    cf.damaged = 1;
                }
            }
        }

        if (rc < 0) {
            fflush(stdout);
            fprintf(stderr, "spoor cat: %s: %s\n", cf.path,
                    rc == SPOOR_E_IO ? strerror(errno) : spoor_strerror(rc));
            status = EXIT_IO;
        } else if (cf.damaged && status == EXIT_OK) {
            status = EXIT_DAMAGED;
        }

        spoor_reader_close(r);
        cli_close_log(fd);
    }

    json_out_free(&j);

    if (out_failed || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "spoor cat: standard output: %s\n", strerror(errno));
        return EXIT_IO;
    }
    return status;
}
