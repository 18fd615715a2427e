/*
 * cmd_verify.c -- `spoor verify`: an integrity report per log.
 *
 * Reads every frame with the shared reader, decodes every record, and
 * checks each writer's frame sequence numbers: within one file a writer's
 * frames must be numbered consecutively; a missing number is a frame lost
 * (a failed write, or a frame cut out of the file), a repeated one a
 * frame written twice.  The (writer, seq) pairs are sorted at the end, so
 * the check costs O(frames log frames) whatever the number of writers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "error.h"
#include "event.h"
#include "json_out.h"
#include "logreader.h"
#include "verify.h"

/* 32 bytes per frame seen: the host name is kept once per run of frames
 * from the same writer, in a pool. */
typedef struct {
    uint64_t   writer_id;
    uint64_t   seq;
    uint64_t   pid;
    uint64_t   host;         /* offset of the host name in the pool */
} seen_frame_t;

typedef struct {
    const char       *path;
    int               json;
    json_out_t       *j;
    /* damage, in input order, for the JSON report */
    spoor_damage_t   *dmg;
    size_t            ndmg, dmg_cap;
    seen_frame_t     *seen;
    size_t            nseen, seen_cap;
    char             *pool;
    size_t            pool_len, pool_cap;
    uint64_t          bad_records;
    uint64_t          no_meta;
    int64_t           t_first, t_last;
    int               have_time;
    int               no_line;       /* the object only (verify_log_json) */
} verify_t;


static int note_seq(verify_t *v, const spoor_frame_meta_t *m);


static void
verify_usage(FILE *f)
{
    fprintf(f,
        "usage: spoor verify [--json] LOG...\n"
        "\n"
        "Checks each LOG and prints an integrity report: frames, records,\n"
        "first and last receive time, every damaged or skipped stretch, and\n"
        "per writer its frame sequence numbers and the gaps in them.\n"
        "LOG \"-\" reads standard input.\n"
        "\n"
        "  --json     one JSON object per LOG instead of text\n"
        "  -h, --help this text\n"
        "\n"
        "exit codes: 0 every LOG intact, 1 something was damaged or missing,\n"
        "2 usage error, 3 a LOG could not be read\n");
}


static void
verify_damage(void *arg, const spoor_damage_t *d)
{
    verify_t        *v = arg;
    spoor_damage_t  *n;

    /* a frame lost whole is counted here; one still delivered (bad
     * record, mismatch) is counted when it arrives */
    if (d->has_meta && d->kind != SPOOR_DAMAGE_BAD_RECORD
        && d->kind != SPOOR_DAMAGE_MISMATCH && note_seq(v, &d->meta) != 0)
    {
        fprintf(stderr, "spoor verify: out of memory\n");
        exit(EXIT_IO);
    }

    if (!v->json) {
        cli_print_damage(stdout, v->path, d);
        return;
    }
    if (v->ndmg == v->dmg_cap) {
        v->dmg_cap = v->dmg_cap ? v->dmg_cap * 2 : 16;
        n = realloc(v->dmg, v->dmg_cap * sizeof(*n));
        if (n == NULL) {
            fprintf(stderr, "spoor verify: out of memory\n");
            exit(EXIT_IO);
        }
        v->dmg = n;
    }
    v->dmg[v->ndmg++] = *d;
}


static int
seen_cmp(const void *a, const void *b)
{
    const seen_frame_t  *x = a, *y = b;

    if (x->writer_id != y->writer_id) {
        return x->writer_id < y->writer_id ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}


/*
 * Records that a writer's frame was seen, intact or damaged: a damaged
 * frame is reported as damage, not again as a gap in the sequence.
 */
static int
note_seq(verify_t *v, const spoor_frame_meta_t *m)
{
    seen_frame_t  *n;

    if (v->nseen == v->seen_cap) {
        v->seen_cap = v->seen_cap ? v->seen_cap * 2 : 256;
        n = realloc(v->seen, v->seen_cap * sizeof(*n));
        if (n == NULL) {
            return -1;
        }
        v->seen = n;
    }
    n = &v->seen[v->nseen];
    n->writer_id = m->writer_id;
    n->seq = m->seq;
    n->pid = m->pid;

    if (v->nseen > 0 && n[-1].writer_id == m->writer_id
        && strcmp(v->pool + n[-1].host, m->host) == 0)
    {
        n->host = n[-1].host;
    } else {
        size_t  len = strlen(m->host) + 1;
        char   *np;

        if (v->pool_cap - v->pool_len < len) {
            v->pool_cap = (v->pool_cap + len) * 2;
            np = realloc(v->pool, v->pool_cap);
            if (np == NULL) {
                return -1;
            }
            v->pool = np;
        }
        memcpy(v->pool + v->pool_len, m->host, len);
        n->host = v->pool_len;
        v->pool_len += len;
    }
    v->nseen++;
    return 0;
}


static int
note_frame(verify_t *v, const spoor_frame_t *f)
{
    if (!f->has_meta) {
        v->no_meta++;
        return 0;
    }
    if (!v->have_time || f->meta.time_first < v->t_first) {
        v->t_first = f->meta.time_first;
    }
    if (!v->have_time || f->meta.time_last > v->t_last) {
        v->t_last = f->meta.time_last;
    }
    v->have_time = 1;
    return note_seq(v, &f->meta);
}


static uint64_t
sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}


/* Reports writers; adds up frames missing from and repeated in their
 * sequences (saturating: forged numbers cannot wrap a count to 0). */
static void
report_writers(verify_t *v, uint64_t *all_missing, uint64_t *all_repeated)
{
    size_t     i, k;
    uint64_t   missing, repeated;

    if (v->nseen > 1) {
        qsort(v->seen, v->nseen, sizeof(*v->seen), seen_cmp);
    }

    if (v->json) {
        json_out_cstr(v->j, "writers");
        json_out_array_open(v->j);
    }

    for (i = 0; i < v->nseen; i = k) {
        missing = repeated = 0;
        for (k = i + 1; k < v->nseen
                        && v->seen[k].writer_id == v->seen[i].writer_id; k++)
        {
            if (v->seen[k].seq == v->seen[k - 1].seq) {
                repeated++;
            } else {
                missing = sat_add(missing,
                                  v->seen[k].seq - v->seen[k - 1].seq - 1);
            }
        }
        *all_missing = sat_add(*all_missing, missing);
        *all_repeated = sat_add(*all_repeated, repeated);

        if (v->json) {
            char  hex[24];

            snprintf(hex, sizeof(hex), "%016llx",
                     (unsigned long long) v->seen[i].writer_id);
            json_out_map_open(v->j);
            json_out_cstr(v->j, "writer");
            json_out_cstr(v->j, hex);
            json_out_cstr(v->j, "host");
            json_out_cstr(v->j, v->pool + v->seen[i].host);
            json_out_cstr(v->j, "pid");
            json_out_uint(v->j, v->seen[i].pid);
            json_out_cstr(v->j, "frames");
            json_out_uint(v->j, k - i);
            json_out_cstr(v->j, "seqFirst");
            json_out_uint(v->j, v->seen[i].seq);
            json_out_cstr(v->j, "seqLast");
            json_out_uint(v->j, v->seen[k - 1].seq);
            json_out_cstr(v->j, "missing");
            json_out_uint(v->j, missing);
            json_out_cstr(v->j, "repeated");
            json_out_uint(v->j, repeated);
            json_out_map_close(v->j);
        } else {
            printf("%s: writer %016llx (host %s, pid %llu): %zu frames, "
                   "seq %llu..%llu, %llu missing, %llu repeated\n",
                   v->path, (unsigned long long) v->seen[i].writer_id,
                   v->pool + v->seen[i].host,
                   (unsigned long long) v->seen[i].pid,
                   k - i, (unsigned long long) v->seen[i].seq,
                   (unsigned long long) v->seen[k - 1].seq,
                   (unsigned long long) missing,
                   (unsigned long long) repeated);
        }
    }

    if (v->json) {
        json_out_array_close(v->j);
    }
}


static void
json_damage(verify_t *v)
{
    const spoor_damage_t  *d;
    char                   hex[24];
    size_t                 i;

    json_out_cstr(v->j, "damage");
    json_out_array_open(v->j);
    for (i = 0; i < v->ndmg; i++) {
        d = &v->dmg[i];
        json_out_map_open(v->j);
        json_out_cstr(v->j, "kind");
        json_out_cstr(v->j, spoor_damage_name(d->kind));
        json_out_cstr(v->j, "offset");
        json_out_uint(v->j, d->offset);
        json_out_cstr(v->j, "bytes");
        json_out_uint(v->j, d->bytes);
        if (d->has_meta) {
            snprintf(hex, sizeof(hex), "%016llx",
                     (unsigned long long) d->meta.writer_id);
            json_out_cstr(v->j, "writer");
            json_out_cstr(v->j, hex);
            json_out_cstr(v->j, "seq");
            json_out_uint(v->j, d->meta.seq);
        }
        if (d->has_meta || d->kind == SPOOR_DAMAGE_BAD_RECORD) {
            json_out_cstr(v->j, "recordsLost");
            json_out_uint(v->j, d->records_lost);
        }
        json_out_cstr(v->j, "detail");
        json_out_cstr(v->j, d->detail);
        json_out_map_close(v->j);
    }
    json_out_array_close(v->j);
}


/* Returns EXIT_OK, EXIT_DAMAGED or EXIT_IO for one file. */
static int
verify_file(verify_t *v, const char *path)
{
    const spoor_reader_stats_t  *st;
    spoor_reader_t              *r;
    spoor_frame_t                f;
    spoor_event_t                ev;
    uint64_t                     missing, repeated;
    char                         t0[64], t1[64];
    int                          fd, rc, drc, damaged;

    v->path = path;
    v->ndmg = v->nseen = v->pool_len = 0;
    v->bad_records = v->no_meta = 0;
    v->have_time = 0;

    fd = cli_open_log("verify", path);
    if (fd == -1) {
        return EXIT_IO;
    }
    r = spoor_reader_open_fd(fd, verify_damage, v);
    if (r == NULL) {
        fprintf(stderr, "spoor verify: out of memory\n");
        cli_close_log(fd);
        return EXIT_IO;
    }

    while ((rc = spoor_reader_next_frame(r, &f)) == 1) {
        if (note_frame(v, &f) != 0) {
            rc = SPOOR_E_NOMEM;
            break;
        }
        while (spoor_frame_next_event(r, &f, &ev, &drc)) {
            if (drc != SPOOR_OK) {
                v->bad_records++;
            }
        }
    }

    cli_close_log(fd);

    if (rc < 0) {
        fprintf(stderr, "spoor verify: %s: %s\n", path,
                rc == SPOOR_E_IO ? strerror(errno) : spoor_strerror(rc));
        spoor_reader_close(r);
        return EXIT_IO;
    }

    st = spoor_reader_stats(r);
    t0[0] = t1[0] = '\0';
    if (v->have_time) {
        cli_format_time(v->t_first, t0);
        cli_format_time(v->t_last, t1);
    }

    if (v->json) {
        json_out_map_open(v->j);
        json_out_cstr(v->j, "file");
        json_out_cstr(v->j, path);
        json_out_cstr(v->j, "bytes");
        json_out_uint(v->j, st->bytes);
        json_out_cstr(v->j, "frames");
        json_out_uint(v->j, st->frames);
        json_out_cstr(v->j, "records");
        json_out_uint(v->j, st->records);
        if (v->have_time) {
            json_out_cstr(v->j, "timeFirst");
            json_out_int(v->j, v->t_first);
            json_out_cstr(v->j, "timeLast");
            json_out_int(v->j, v->t_last);
        }
        json_out_cstr(v->j, "framesWithoutMetadata");
        json_out_uint(v->j, v->no_meta);
        json_out_cstr(v->j, "undecodableRecords");
        json_out_uint(v->j, v->bad_records);
        json_out_cstr(v->j, "bytesSkipped");
        json_out_uint(v->j, st->bytes_skipped);
        json_out_cstr(v->j, "framesLost");
        json_out_uint(v->j, st->frames_damaged);
        json_out_cstr(v->j, "recordsLost");
        json_out_uint(v->j, st->records_lost);
        json_out_cstr(v->j, "truncated");
        json_out_bool(v->j, st->truncated);
        json_damage(v);
    } else {
        printf("%s: %llu bytes, %llu frames, %llu records",
               path, (unsigned long long) st->bytes,
               (unsigned long long) st->frames,
               (unsigned long long) st->records);
        if (v->have_time) {
            printf(", time %s .. %s", t0, t1);
        }
        printf("\n");
        if (v->no_meta) {
            printf("%s: %llu frames without metadata\n", path,
                   (unsigned long long) v->no_meta);
        }
        if (v->bad_records) {
            printf("%s: %llu records do not decode as events\n", path,
                   (unsigned long long) v->bad_records);
        }
    }

    missing = repeated = 0;
    report_writers(v, &missing, &repeated);
    damaged = st->damage_events || missing || repeated || v->bad_records;

    if (v->json) {
        json_out_cstr(v->j, "ok");
        json_out_bool(v->j, !damaged);
        json_out_map_close(v->j);
        if (!v->no_line) {
            json_out_line(v->j);
        }
    } else if (damaged) {
        printf("%s: DAMAGED: %llu damaged stretches, %llu bytes skipped, "
               "%llu frames lost or damaged (%llu records known lost), "
               "%llu frames missing from sequences, %llu repeated\n", path,
               (unsigned long long) st->damage_events,
               (unsigned long long) st->bytes_skipped,
               (unsigned long long) st->frames_damaged,
               (unsigned long long) st->records_lost,
               (unsigned long long) missing,
               (unsigned long long) repeated);
    } else {
        printf("%s: OK\n", path);
    }

    spoor_reader_close(r);
    return damaged ? EXIT_DAMAGED : EXIT_OK;
}


int
cmd_verify(int argc, char **argv)
{
    static const struct option  opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    verify_t    v;
    json_out_t  j;
    int         c, i, rc, status;

    memset(&v, 0, sizeof(v));
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            v.json = 1;
            break;
        case 'h':
            verify_usage(stdout);
            return EXIT_OK;
        default:
            verify_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "spoor verify: no LOG given\n");
        verify_usage(stderr);
        return EXIT_USAGE;
    }
    if (json_out_init(&j, stdout) != 0) {
        fprintf(stderr, "spoor verify: out of memory\n");
        return EXIT_IO;
    }
    v.j = &j;

    status = EXIT_OK;
    for (i = optind; i < argc; i++) {
        rc = verify_file(&v, argv[i]);
        if (rc > status) {
            status = rc;
        }
        fflush(stdout);
    }

    json_out_free(&j);
    free(v.dmg);
    free(v.seen);
    free(v.pool);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "spoor verify: standard output: %s\n",
                strerror(errno));
        return EXIT_IO;
    }
    return status;
}


int
verify_log_json(json_out_t *j, const char *path)
{
    verify_t  v;
    int       rc;

    memset(&v, 0, sizeof(v));
    v.json = 1;
    v.no_line = 1;
    v.j = j;
    rc = verify_file(&v, path);
    free(v.dmg);
    free(v.seen);
    free(v.pool);
    return rc;
}
