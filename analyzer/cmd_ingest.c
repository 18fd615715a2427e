/*
 * cmd_ingest.c -- `spoor ingest`: fold logs into profiles and write the
 * next snapshot generation (state.h).
 *
 * Each frame of each log is recognised by its content (XXH64 of its
 * decompressed records): a frame already applied -- a replay, a renamed
 * rotated file, the part of the active log read last time -- is skipped,
 * so runs are idempotent.  Each record is admitted or counted:
 *   consent_withdrawal     erases the visitor's profile (tombstones);
 *   anonymous, cookieless, not-for-profiling, no id
 *                          counted only, never attached to a profile;
 *   an id erased before    skipped;
 *   otherwise              its ids are joined (identity.h) and the event
 *                          is folded into their profile (profile.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include "cli.h"
#include "error.h"
#include "event.h"
#include "logreader.h"
#include "mp_check.h"
#include "snapshot.h"
#include "settings.h"
#include "state.h"

/* What one run counts, per input and in total. */
typedef struct {
    uint64_t   frames, records, new_frames, new_records;
    uint64_t   applied, duplicate, withdrawals, erased_profiles;
    uint64_t   anonymous, cookieless, no_profiling, no_id, erased, bad;
    uint64_t   merges, merges_refused;
    uint64_t   damaged;
} tally_t;

typedef struct {
    state_t       *st;
    tally_t        t;
    const char    *path;
    int            damaged;
    unsigned       inputs;          /* logs read so far */
} run_t;


static int64_t
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static void
on_damage(void *arg, const spoor_damage_t *d)
{
    run_t  *r = arg;

    r->damaged = 1;
    r->t.damaged++;
    cli_print_damage(stderr, r->path, d);
}


static int
count_kv(state_t *st, const char *prefix, const spoor_str_t *v)
{
    char    key[96];
    size_t  n = strlen(prefix);

    if (v->data == NULL || v->len == 0 || v->len > 64) {
        return SPOOR_OK;
    }
    memcpy(key, prefix, n);
    memcpy(key + n, v->data, v->len);
    return state_count(st, key, n + v->len, 1);
}


/* The ids of an admitted event, entered in the graph (junk ones are
 * not); returns how many. */
static size_t
event_ids(state_t *st, const spoor_event_t *ev, uint32_t *ids, int *nomem)
{
    size_t    n = 0;
    uint32_t  i;

    if (ev->user_id.data) {
        i = identity_get(&st->g, 'u', ev->user_id.data, ev->user_id.len,
                         nomem);
        if (i != UINT32_MAX) ids[n++] = i;
    }
    if (ev->anonymous_id.data) {
        i = identity_get(&st->g, 'a', ev->anonymous_id.data,
                         ev->anonymous_id.len, nomem);
        if (i != UINT32_MAX) ids[n++] = i;
    }
    if (ev->visitor_id.data) {
        i = identity_get(&st->g, 'v', ev->visitor_id.data,
                         ev->visitor_id.len, nomem);
        if (i != UINT32_MAX) ids[n++] = i;
    }
    if (ev->kind == SPOOR_KIND_ALIAS && ev->previous_id.data) {
        /* the id being merged: a known user id, else a known anonymous
         * id, else a user id */
        i = identity_find(&st->g, 'u', ev->previous_id.data,
                          ev->previous_id.len);
        if (i == UINT32_MAX) {
            i = identity_find(&st->g, 'a', ev->previous_id.data,
                              ev->previous_id.len);
        }
        if (i == UINT32_MAX) {
            i = identity_get(&st->g, 'u', ev->previous_id.data,
                             ev->previous_id.len, nomem);
        }
        if (i != UINT32_MAX) ids[n++] = i;
    }
    return n;
}


/* Whether one of the event's ids was erased at or after t: in this run
 * (the set's mark) or in an earlier one (a tombstone). */
static int
one_erased(state_t *st, char kind, const spoor_str_t *id, int64_t t)
{
    char      k[2] = { kind, 0 };
    uint32_t  i;

    if (id->data == NULL) {
        return 0;
    }
    i = identity_find(&st->g, kind, id->data, id->len);
    if (i != UINT32_MAX && state_id_erased(st, i, t)) {
        return 1;
    }
    return state_erased(st, spoor_id_hash(k, id->data, id->len), t);
}


static int
id_erased(state_t *st, const spoor_event_t *ev, int64_t t)
{
    if (st->ntombs == 0 && !st->erased_in_run) {
        return 0;
    }
    return one_erased(st, 'u', &ev->user_id, t)
           || one_erased(st, 'a', &ev->anonymous_id, t)
           || one_erased(st, 'v', &ev->visitor_id, t);
}


static int
str_is(const spoor_str_t *s, const char *lit)
{
    size_t  n = strlen(lit);

    return s->data && s->len == n && memcmp(s->data, lit, n) == 0;
}


/* One record. */
static int
apply(run_t *r, const spoor_event_t *ev)
{
    state_t   *st = r->st;
    uint32_t   ids[4];
    size_t     n, i;
    int64_t    t;
    int        nomem = 0, rc;
    profile_t *p;

    if (ev->received_ms > st->as_of) {
        st->as_of = ev->received_ms;
    }
    t = ev->has_time ? ev->time_ms : ev->received_ms;

    if (ev->kind == SPOOR_KIND_CONSENT_WITHDRAWAL) {
        r->t.withdrawals++;
        (void) state_count(st, "kind:consent_withdrawal", 23, 1);
        if (ev->visitor_id.data) {
            uint32_t  v = identity_get(&st->g, 'v', ev->visitor_id.data,
                                       ev->visitor_id.len, &nomem);

            if (v != UINT32_MAX) {
                r->t.erased_profiles += state_erase(st, &v, 1,
                                                    ev->received_ms);
            }
        }
        return nomem ? SPOOR_E_NOMEM : SPOOR_OK;
    }

    (void) count_kv(st, "kind:", &ev->kind_name);
    if (ev->consent.present) {
        (void) count_kv(st, "action:", &ev->consent.action);
        (void) count_kv(st, "signal:", &ev->consent.signal);
    }
    if (ev->has_geo) {
        (void) count_kv(st, "country:", &ev->geo.country);
    }

    if (ev->consent.present && str_is(&ev->consent.action, "anonymous")) {
        r->t.anonymous++;
        return SPOOR_OK;
    }
    if (ev->consent.present && ev->consent.no_profiling) {
        r->t.no_profiling++;
        return SPOOR_OK;
    }
    if (ev->user_id.data == NULL && ev->anonymous_id.data == NULL
        && ev->visitor_id.data == NULL)
    {
        if (ev->cookieless_id.data) {
            r->t.cookieless++;
        } else {
            r->t.no_id++;
        }
        return SPOOR_OK;
    }
    if (id_erased(st, ev, t)) {
        r->t.erased++;
        return SPOOR_OK;
    }

    n = event_ids(st, ev, ids, &nomem);
    if (nomem) {
        return SPOOR_E_NOMEM;
    }
    if (n == 0) {
        r->t.no_id++;               /* only junk ids */
        return SPOOR_OK;
    }
    for (i = 1; i < n; i++) {
        rc = identity_union(&st->g, ids[i - 1], ids[i], &st->conf);
        if (rc == SPOOR_E_NOMEM) {
            return rc;
        }
    }

    p = identity_profile(&st->g, ids[0]);
    if (p == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 1; i < n; i++) {
        /* recorded where the two ids ended up together */
        if (identity_root(&st->g, ids[i - 1]) == identity_root(&st->g, ids[0])
            && identity_root(&st->g, ids[i]) == identity_root(&st->g, ids[0]))
        {
            profile_link(p, st->g.ids[ids[i - 1]].hash,
                         st->g.ids[ids[i]].hash, t);
        }
    }
    rc = profile_fold(p, ev, &st->conf);
    if (rc != SPOOR_OK) {
        return rc;
    }
    {
        spoor_mp_item_t  it;

        if (spoor_value_member(&ev->properties, "category", 8, &it)
            && it.type == SPOOR_MP_STR)
        {
            spoor_str_t  c = { it.s, it.len };

            (void) count_kv(st, "category:", &c);
        }
    }
    r->t.applied++;
    return SPOOR_OK;
}


typedef struct {
    uint64_t   total, done;
    int64_t    start, last;
    uint64_t   events;
    int        tty;
} progress_t;


static void
progress(progress_t *pg, int final)
{
    int64_t  now = now_ms();
    double   secs, rate, left;

    if (!pg->tty || (!final && now - pg->last < 500)) {
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


typedef struct {
    char     *buf;
    size_t    len, cap;
} json_lineage_t;


static void
lg_add(json_lineage_t *lg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lg_add(json_lineage_t *lg, const char *fmt, ...)
{
    va_list  ap;
    int      n;

    for ( ;; ) {
        va_start(ap, fmt);
        n = vsnprintf(lg->buf ? lg->buf + lg->len : NULL,
                      lg->buf ? lg->cap - lg->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            return;
        }
        if (lg->buf && lg->len + (size_t) n < lg->cap) {
            lg->len += (size_t) n;
            return;
        }
        {
            size_t  cap = (lg->cap + (size_t) n + 1) * 2;
            char   *b = realloc(lg->buf, cap);

            if (b == NULL) {
                return;
            }
            lg->buf = b;
            lg->cap = cap;
        }
    }
}


/* A JSON string literal of s (file names may hold anything). */
static void
lg_str(json_lineage_t *lg, const char *s)
{
    lg_add(lg, "\"");
    for (; *s; s++) {
        unsigned char  c = (unsigned char) *s;

        if (c == '"' || c == '\\') {
            lg_add(lg, "\\%c", c);
        } else if (c < 0x20 || c >= 0x7f) {
            lg_add(lg, "\\u%04x", c);
        } else {
            lg_add(lg, "%c", c);
        }
    }
    lg_add(lg, "\"");
}


/* Reads one log; returns SPOOR_OK, SPOOR_E_IO (message printed) or
 * SPOOR_E_NOMEM. */
static int
ingest_file(run_t *r, const char *path, progress_t *pg, json_lineage_t *lg)
{
    int               fd, rc = SPOOR_OK, nomem = 0;
    spoor_reader_t   *rd;
    spoor_frame_t     f;
    spoor_event_t     ev;
    uint64_t          key, base_done = pg->done, sum = 0;
    uint64_t          frames = 0, records = 0, nf = 0, nr = 0;
    struct stat       sb;
    const spoor_reader_stats_t  *rs;

    fd = cli_open_log("ingest", path);
    if (fd < 0) {
        return SPOOR_E_IO;
    }
    r->path = path;
    rd = spoor_reader_open_fd(fd, on_damage, r);
    if (rd == NULL) {
        cli_close_log(fd);
        return SPOOR_E_NOMEM;
    }
    while ((rc = spoor_reader_next_frame(rd, &f)) == 1) {
        int  drc;

        frames++;
        key = XXH64(f.content, f.content_len, 0x5300);
        sum = XXH64(&key, sizeof(key), sum);
        if (state_frame_seen(r->st, key, &nomem)) {
            r->t.duplicate += spoor_frame_finish(rd, &f);
            records += f.records;
            continue;
        }
        if (nomem) {
            rc = SPOOR_E_NOMEM;
            break;
        }
        nf++;
        rc = SPOOR_OK;
        while (spoor_frame_next_event(rd, &f, &ev, &drc)) {
            if (drc != SPOOR_OK) {
                r->t.bad++;
                continue;
            }
            pg->events++;
            rc = apply(r, &ev);
            if (rc != SPOOR_OK) {
                break;
            }
        }
        records += f.records;
        nr += f.records;
        if (rc != SPOOR_OK && rc != 1) {
            break;
        }
        rc = 1;
        pg->done = base_done + spoor_reader_stats(rd)->bytes;
        progress(pg, 0);
    }

    rs = spoor_reader_stats(rd);
    pg->done = base_done + rs->bytes;
    if (rc == SPOOR_E_IO) {
        fprintf(stderr, "spoor ingest: %s: %s\n", path, strerror(errno));
    }

    lg_add(lg, "%s{\"file\":", r->inputs++ ? "," : "");
    lg_str(lg, path);
    lg_add(lg, ",\"size\":%" PRIu64 ",\"checksum\":\"%016" PRIx64 "\","
           "\"frames\":%" PRIu64 ",\"records\":%" PRIu64 ",\"new_frames\":%"
           PRIu64 ",\"new_records\":%" PRIu64 ",\"damaged\":%s}",
           fstat(fd, &sb) == 0 ? (uint64_t) sb.st_size : 0, sum, frames,
           records, nf, nr, r->damaged || rs->truncated ? "true" : "false");

    r->t.frames += frames ? frames : 0;
    r->t.records += records;
    r->t.new_frames += nf;
    r->t.new_records += nr;
    if (rs->truncated) {
        r->damaged = 1;
    }

    spoor_reader_close(rd);
    cli_close_log(fd);
    return rc == 0 || rc == 1 ? SPOOR_OK : rc;
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
        "order; a run that brings nothing new writes no generation.\n"
        "\n"
        "  --state DIR          the state directory (created when missing)\n");
    settings_usage(f);
}


int
ingest_open(int argc, char **argv, const char *cmd, state_cli_t *cli,
    state_t *st, int flags)
{
    char  err[1024];
    int   first, rc;

    first = settings_parse_args(argc, argv, cmd, cli);
    if (first == -1) {
        return -100;
    }
    if (first == -3) {
        return -EXIT_IO;
    }
    if (first < 0) {
        return -EXIT_USAGE;
    }
    rc = state_open(st, cli->dir, STATE_WRITE | flags, err, sizeof(err));
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor %s: %s\n", cmd, err);
        return -EXIT_IO;
    }
    if (st->journal_applied) {
        fprintf(stderr, "spoor %s: %" PRIu64 " profiles erased from the "
                "erasure journal (generation %06" PRIu32 " predates them)\n",
                cmd, st->journal_applied, st->gen);
    }
    rc = state_configure(st, &cli->set, err, sizeof(err));
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor %s: %s\n", cmd, err);
        state_close(st);
        return rc == SPOOR_E_NOMEM ? -EXIT_IO : -EXIT_USAGE;
    }
    return first;
}


int
cmd_ingest(int argc, char **argv)
{
    char              err[1024];
    int                first, i, rc, exit_code = EXIT_OK;
    size_t             profiles;
    uint64_t           bytes;
    state_cli_t        cli;
    state_t            st;
    run_t              r;
    progress_t         pg;
    json_lineage_t     lg = { NULL, 0, 0 };
    struct stat        sb;
    int64_t            t0 = now_ms(), t1;

    if (argc > 1 && cli_is_help(argv[1])) {
        usage(stdout);
        return EXIT_OK;
    }
    first = ingest_open(argc, argv, "ingest", &cli, &st, 0);
    if (first == -100) {
        usage(stdout);
        settings_free(&cli.set);
        return EXIT_OK;
    }
    if (first < 0) {
        settings_free(&cli.set);
        return -first;
    }
    if (first >= argc) {
        fprintf(stderr, "spoor ingest: no log given\n");
        exit_code = EXIT_USAGE;
        goto done;
    }

    memset(&r, 0, sizeof(r));
    r.st = &st;
    memset(&pg, 0, sizeof(pg));
    pg.tty = isatty(2);
    pg.start = pg.last = now_ms();
    for (i = first; i < argc; i++) {
        if (stat(argv[i], &sb) == 0) {
            pg.total += (uint64_t) sb.st_size;
        }
    }

    lg_add(&lg, "\"inputs\":[");
    for (i = first; i < argc; i++) {
        r.damaged = 0;
        rc = ingest_file(&r, argv[i], &pg, &lg);
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
        if (r.damaged) {
            exit_code = EXIT_DAMAGED;
        }
    }
    progress(&pg, 1);
    lg_add(&lg, "]");

    if (exit_code == EXIT_IO) {
        /* nothing is committed: the previous generation stays current */
        fprintf(stderr, "spoor ingest: nothing written; %s is unchanged\n",
                cli.dir);
        goto done;
    }

    r.t.merges = st.g.merges;
    r.t.merges_refused = st.g.merges_refused;
    lg_add(&lg, ",\"events\":{\"read\":%" PRIu64 ",\"applied\":%" PRIu64
           ",\"skipped\":{\"duplicate\":%" PRIu64 ",\"anonymous\":%" PRIu64
           ",\"cookieless\":%" PRIu64 ",\"not_for_profiling\":%" PRIu64
           ",\"no_id\":%" PRIu64 ",\"erased\":%" PRIu64 ",\"bad_record\":%"
           PRIu64 "}},\"withdrawals\":%" PRIu64 ",\"profiles_erased\":%" PRIu64
           ",\"merges\":%" PRIu64 ",\"merges_refused\":%" PRIu64
           ",\"junk_ids\":%" PRIu64,
           r.t.records, r.t.applied, r.t.duplicate, r.t.anonymous,
           r.t.cookieless, r.t.no_profiling, r.t.no_id, r.t.erased, r.t.bad,
           r.t.withdrawals, r.t.erased_profiles, r.t.merges,
           r.t.merges_refused, st.g.junk_seen);
    if (st.gen > 0 && r.t.new_frames == 0 && st.changed == 0
        && !st.erased_in_run && st.has_settings)
    {
        /* nothing new: the current generation stays, and so do its
         * parents (an empty generation would push them out); a state
         * written before settings were kept gets them recorded */
        if (cli.json) {
            printf("{\"generation\":%" PRIu32 ",\"unchanged\":true,%s}\n",
                   st.gen, lg.buf);
        } else {
            printf("spoor ingest: nothing new in %" PRIu64 " records; "
                   "generation %" PRIu32 " stays current\n", r.t.records,
                   st.gen);
        }
        goto done;
    }

    rc = state_commit(&st, lg.buf ? lg.buf : "", &profiles, &bytes, err,
                      sizeof(err));
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor ingest: %s\n", err);
        exit_code = EXIT_IO;
        goto done;
    }

    t1 = now_ms();
    if (cli.json) {
        printf("{\"generation\":%" PRIu32 ",\"seconds\":%.3f,\"profiles\":%zu,"
               "\"snapshot_bytes\":%" PRIu64 ",%s}\n", st.gen,
               (double) (t1 - t0) / 1000.0, profiles, bytes, lg.buf);
    } else {
        printf("spoor ingest: generation %" PRIu32 ": %" PRIu64 " records read "
               "(%" PRIu64 " new), %" PRIu64 " applied to profiles, %" PRIu64
               " already ingested, %" PRIu64 " anonymous, %" PRIu64
               " cookieless, %" PRIu64 " not for profiling, %" PRIu64
               " erased; %" PRIu64 " withdrawals; %zu profiles, snapshot %"
               PRIu64 " bytes, %.2f s (%.0f events/s)\n",
               st.gen, r.t.records, r.t.new_records, r.t.applied,
               r.t.duplicate, r.t.anonymous, r.t.cookieless, r.t.no_profiling,
               r.t.erased, r.t.withdrawals, profiles, bytes,
               (double) (t1 - t0) / 1000.0,
               t1 > t0 ? (double) r.t.records * 1000.0 / (double) (t1 - t0)
                       : 0.0);
    }

done:
    state_close(&st);
    settings_free(&cli.set);
    free(lg.buf);
    return exit_code;
}
