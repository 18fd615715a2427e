/*
 * follow.c -- the live follower (follow.h): the publish, the clock and
 * the signals; its files are read through log_tail.h, the fleet's
 * streams through stream_input.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "deadlines.h"
#include "error.h"
#include "fleet.h"
#include "follow.h"
#include "inferred.h"
#include "ingest.h"
#include "json_out.h"
#include "log_tail.h"
#include "merge.h"
#include "mono_clock.h"
#include "requests.h"
#include "rules.h"
#include "snapshot.h"
#include "serve_fanout.h"
#include "stream_input.h"

/* What the follower keeps per file (tail_extra()). */
typedef struct {
    ingest_input_t   acc;          /* what the reads since the last
                                      publish gave */
    int              has_acc;
} file_acc_t;

typedef struct {
    int                argc;
    char             **argv;
    state_cli_t       *cli;
    state_t           *st;
    const char        *path;
    log_tail_t         tail;       /* LOG's files (none without LOG) */
    stream_input_t    *si;         /* the fleet's streams; NULL: none */
    serve_fanout_t    *fo;         /* the fan-out to the edges; NULL:
                                      none */
    ingest_t          *in;
    uint32_t          *touched;    /* ids of profiles folded into, and of
                                      profiles due, since the last publish */
    size_t             ntouched, ctouched;
    int                nomem;      /* touched could not grow */
    deadlines_t        dl;
    inferred_clock_t   clk;
    int64_t            now;        /* the clock at the last look */
    requests_done_t    req;        /* queued requests applied since the
                                      last publish (requests.h) */
    int                retry;      /* the last publish failed */
    char              *status;     /* the last publish's status members;
                                      NULL: none yet */
    uint32_t           ahead_gen;  /* a merged base waiting to be sent */
    int64_t            ahead_since;    /* ahead, since (mono ms) */
} follower_t;

static volatile sig_atomic_t  got_stop, got_hup;

/* Touched ids kept before they are reduced to one per profile. */
#define TOUCHED_COMPACT  (1u << 20)


static void
on_signal(int sig)
{
    if (sig == SIGHUP) {
        got_hup = 1;
    } else {
        got_stop = 1;
    }
}


/*
 * "Now": the system clock, or the test clock (ms since the epoch in the
 * file SPOOR_TEST_CLOCK names).  Returns 0, or -1 after a message when
 * the test clock cannot be read (the last value stays).
 */
static int
clock_now(int64_t *now)
{
    const char       *file = getenv("SPOOR_TEST_CLOCK");
    struct timespec   ts;
    char              buf[64], *end;
    FILE             *f;
    size_t            n;
    long long         v;

    if (file == NULL || file[0] == '\0') {
        clock_gettime(CLOCK_REALTIME, &ts);
        *now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        return 0;
    }
    f = fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "spoor ingest: SPOOR_TEST_CLOCK %s: %s\n", file,
                strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    while (*end == '\n' || *end == ' ') {
        end++;
    }
    if (errno || end == buf || *end != '\0' || v <= 0) {
        fprintf(stderr, "spoor ingest: SPOOR_TEST_CLOCK %s: not a time in "
                "ms since the epoch\n", file);
        return -1;
    }
    *now = v;
    return 0;
}


/* ---- the profiles a publish changes --------------------------------------------- */

static size_t touched_roots(follower_t *f);
static void write_status(follower_t *f);
static int merge_adoptable(follower_t *f);
static void serving_left(const state_cli_t *cli);


static void
on_touch(void *arg, uint32_t id)
{
    follower_t  *f = arg;

    if (f->ntouched && f->touched[f->ntouched - 1] == id) {
        return;                     /* the same profile's next event */
    }
    if (f->ntouched == f->ctouched && f->ctouched >= TOUCHED_COMPACT) {
        /* publishes failing for a while: keep one entry per profile */
        (void) touched_roots(f);
    }
    if (f->ntouched == f->ctouched) {
        size_t     cap = f->ctouched ? 2 * f->ctouched : 4096;
        uint32_t  *a = realloc(f->touched, cap * sizeof(uint32_t));

        if (a == NULL) {
            f->nomem = 1;
            return;
        }
        f->touched = a;
        f->ctouched = cap;
    }
    f->touched[f->ntouched++] = id;
}


static int
cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


/* The touched ids as their sets' roots, each once; returns how many. */
static size_t
touched_roots(follower_t *f)
{
    size_t  i, n = 0;

    for (i = 0; i < f->ntouched; i++) {
        f->touched[i] = identity_root(&f->st->g, f->touched[i]);
    }
    if (f->ntouched) {
        qsort(f->touched, f->ntouched, sizeof(uint32_t), cmp_u32);
    }
    for (i = 0; i < f->ntouched; i++) {
        if (n == 0 || f->touched[n - 1] != f->touched[i]) {
            f->touched[n++] = f->touched[i];
        }
    }
    f->ntouched = n;
    return n;
}


/* Every profile's next deadline after `after`: once, when the state is
 * (re)opened; from then on only the profiles a publish changes. */
static int
deadlines_fill(follower_t *f, int64_t after)
{
    state_t  *st = f->st;
    uint32_t  i;
    int64_t   t;

    deadlines_free(&f->dl);
    inferred_clock_free(&f->clk);
    st->time_tracked = 1;               /* the deadlines mark those whose
                                           time comes (state.h) */
    st->background = 1;                 /* a follower never stops to
                                           merge its chain (merge.h) */
    if (inferred_clock_init(&f->clk, st->conf.abandon_ms,
                            st->set.lifecycle_ms, st->set.expire_ms,
                            st->rules, st->conf.agg_keys) != SPOOR_OK)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < st->g.n; i++) {
        if (identity_held(&st->g, i) == NULL) {      /* (a root's) */
            continue;
        }
        t = inferred_next_change(&f->clk, identity_held(&st->g, i), after);
        if (deadlines_set(&f->dl, i, t) != 0) {
            return SPOOR_E_NOMEM;
        }
    }
    return SPOOR_OK;
}


/* Adds what one read gave to the file's record since the last publish. */
static void
accumulate(file_acc_t *a, const ingest_input_t *r)
{
    if (!a->has_acc) {
        a->acc = *r;
        a->has_acc = 1;
        return;
    }
    a->acc.size = r->size;
    a->acc.checksum = r->checksum;      /* the chain, continued */
    a->acc.frames += r->frames;
    a->acc.records += r->records;
    a->acc.new_frames += r->new_frames;
    a->acc.new_records += r->new_records;
    a->acc.damaged |= r->damaged;
    a->acc.end = r->end;
}


/* Reads file t from where it stopped (tail_read_fn); `last`: the read of
 * a rotated file that has settled, which reports damage at its end.
 * Returns SPOOR_OK, SPOOR_E_IO or SPOOR_E_NOMEM. */
static int
read_file(void *arg, tail_file_t *t, int last)
{
    follower_t      *f = arg;
    file_acc_t      *a = tail_extra(t);
    ingest_input_t   r;
    int              rc;

    r.checksum = a->has_acc ? a->acc.checksum : 0;
    rc = ingest_log_at(f->in, t->fd, t->name, t->off,
                       (last ? 0 : INGEST_FOLLOW) | INGEST_CHAIN, &r);
    if (rc != SPOOR_OK) {
        return rc;
    }
    t->off = r.end;
    accumulate(a, &r);
    return f->nomem ? SPOOR_E_NOMEM : SPOOR_OK;
}


static int
read_all(follower_t *f, int64_t settle_ms)
{
    /* what `spoor forget` and `import-traits` queued while this run
     * holds the state */
    (void) requests_apply(f->st, "ingest", &f->req, &f->nomem);
    if (f->nomem) {
        return SPOOR_E_NOMEM;
    }
    if (f->path != NULL) {
        int  rc = tail_poll(&f->tail, settle_ms, read_file, f);

        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    return f->si != NULL ? stream_input_poll(f->si, f->in) : SPOOR_OK;
}


/* ---- the publish ---------------------------------------------------------------- */

static int
new_run(follower_t *f)
{
    ingest_free(f->in);
    f->in = ingest_new(f->st);
    if (f->in == NULL) {
        return SPOOR_E_NOMEM;
    }
    ingest_set_touch(f->in, on_touch, f);
    return SPOOR_OK;
}


/* Whether anything would change the published generation at `now`. */
static int
something_new(follower_t *f, int64_t now)
{
    const state_t  *st = f->st;

    /* frames read again after a restart are no news: only new ones; a
     * failed publish (its due windows popped) is tried again */
    return ingest_tally(f->in)->new_frames || f->retry || f->ntouched
           || st->nrequests || st->erased_in_run || st->gen == 0 || st->changed
           || !st->has_settings || deadlines_next(&f->dl) <= now
           || st->gather_next || st->full_next;    /* a merge ended */
}


/*
 * Publishes a generation as of the clock: the profiles folded into and
 * those whose windows closed are re-evaluated (the deadlines of the
 * latter popped), the generation written, and each of them gets its next
 * deadline.  A failed write leaves everything to be published at the
 * next turn.  Returns SPOOR_OK, or SPOOR_E_IO / SPOOR_E_NOMEM.
 */
static int
publish(follower_t *f)
{
    state_t               *st = f->st;
    const ingest_tally_t  *t;
    json_out_t             j, s;
    char                   err[1024], *lineage = NULL, when[64];
    const char            *m;
    size_t                 i, mlen, profiles, changed;
    size_t                 closed = 0;
    uint64_t               bytes, behind = 0, applied;
    uint32_t               id;
    int64_t                now, due, t0 = mono_ms(), now_eval;
    int                    rc;

    if (clock_now(&now) != 0) {
        now = f->now;
    }
    f->now = now;
    while (deadlines_pop_due(&f->dl, now, &id, &due)) {
        profile_t  *p = identity_held(&st->g, identity_root(&st->g, id));

        if (p != NULL) {
            p->dirty = PROFILE_CHANGED;     /* the next delta holds it */
        }
        on_touch(f, id);
        closed++;
    }
    if (f->nomem) {
        return SPOOR_E_NOMEM;
    }
    changed = touched_roots(f);
    if (now > st->as_of) {
        st->as_of = now;
    }
    now_eval = st->as_of;

    t = ingest_tally(f->in);
    applied = t->applied;
    if (json_out_init(&j, NULL) != 0) {
        return SPOOR_E_NOMEM;
    }
    json_out_map_open(&j);
    json_out_cstr(&j, "inputs");
    json_out_array_open(&j);
    for (i = 0; i < f->tail.nfiles; i++) {
        file_acc_t  *a = tail_extra(f->tail.files[i]);

        if (a->has_acc) {
            a->acc.path = f->tail.files[i]->name;   /* renamed since */
            ingest_lineage_input(&j, &a->acc);
        }
    }
    if (f->si != NULL) {
        stream_input_lineage(f->si, &j);
    }
    json_out_array_close(&j);
    ingest_lineage_events(&j, t, st);
    json_out_cstr(&j, "now");
    json_out_int(&j, now_eval);
    if (f->req.forget) {
        json_out_cstr(&j, "forget");
        json_out_map_open(&j);
        json_out_cstr(&j, "requests");
        json_out_uint(&j, f->req.forget);
        json_out_cstr(&j, "profiles_erased");
        json_out_uint(&j, f->req.erased);
        json_out_map_close(&j);
    }
    if (f->req.traits) {
        json_out_cstr(&j, "import");
        json_out_map_open(&j);
        json_out_cstr(&j, "requests");
        json_out_uint(&j, f->req.traits);
        json_out_cstr(&j, "applied");
        json_out_uint(&j, f->req.lines);
        json_out_cstr(&j, "bad");
        json_out_uint(&j, f->req.bad);
        json_out_map_close(&j);
    }
    json_out_cstr(&j, "follow");
    json_out_map_open(&j);
    json_out_cstr(&j, "profiles_changed");
    json_out_uint(&j, changed);
    json_out_cstr(&j, "windows_closed");
    json_out_uint(&j, closed);
    json_out_map_close(&j);
    m = json_out_members(&j, &mlen);
    lineage = m ? strndup(m, mlen) : NULL;
    json_out_free(&j);
    if (lineage == NULL || ingest_finish(f->in) != SPOOR_OK) {
        free(lineage);
        return SPOOR_E_NOMEM;
    }

    rc = state_commit(st, lineage, &profiles, &bytes, err, sizeof(err));
    free(lineage);
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor ingest: %s; retried at the next interval\n",
                err);
        f->retry = 1;
        return rc;
    }
    f->retry = 0;
    if (f->si != NULL) {
        stream_input_committed(f->si);  /* acknowledged only now */
    }
    if (f->fo != NULL) {
        (void) serve_fanout_sync(f->fo, st->dir, st->gen,
                                 st->merge_pid ? st->merge_gen : 0);
    }

    /* the next deadline of every profile this generation changed */
    for (i = 0; i < f->ntouched; i++) {
        profile_t  *p = identity_held(&st->g, f->touched[i]);

        if (deadlines_set(&f->dl, f->touched[i],
                          p ? inferred_next_change(&f->clk, p, now_eval)
                            : INT64_MAX) != 0)
        {
            return SPOOR_E_NOMEM;
        }
    }
    f->ntouched = 0;

    for (i = 0; i < f->tail.nfiles; i++) {
        const tail_file_t  *t = f->tail.files[i];

        behind += t->size > t->off ? t->size - t->off : 0;
    }
    cli_format_time(now_eval, when);
    fprintf(stderr, "spoor ingest: generation %" PRIu32 " as of %s: %" PRIu64
            " events applied, %zu profiles changed (%zu windows closed), "
            "%zu profiles, %" PRIu64 " bytes behind, %lld ms\n", st->gen,
            when, applied, changed, closed, profiles, behind,
            (long long) (mono_ms() - t0));
    if (f->cli->status != NULL && json_out_init(&s, NULL) == 0) {
        json_out_map_open(&s);
        json_out_cstr(&s, "generation");
        json_out_uint(&s, st->gen);
        json_out_cstr(&s, "now");
        json_out_int(&s, now_eval);
        json_out_cstr(&s, "events_applied");
        json_out_uint(&s, applied);
        json_out_cstr(&s, "profiles_changed");
        json_out_uint(&s, changed);
        json_out_cstr(&s, "windows_closed");
        json_out_uint(&s, closed);
        json_out_cstr(&s, "profiles");
        json_out_uint(&s, profiles);
        json_out_cstr(&s, "behind_bytes");
        json_out_uint(&s, behind);
        json_out_cstr(&s, "publish_ms");
        json_out_int(&s, mono_ms() - t0);
        json_out_cstr(&s, "merging");       /* merge.h */
        if (st->merge_pid != 0) {
            json_out_uint(&s, st->merge_gen);
        } else {
            json_out_null(&s);
        }
        json_out_cstr(&s, "files");
        json_out_array_open(&s);
        for (i = 0; i < f->tail.nfiles; i++) {
            const tail_file_t  *t = f->tail.files[i];

            json_out_map_open(&s);
            json_out_cstr(&s, "file");
            json_out_cstr(&s, t->name);
            json_out_cstr(&s, "live");
            json_out_bool(&s, t->live);
            json_out_cstr(&s, "offset");
            json_out_uint(&s, t->off);
            json_out_cstr(&s, "size");
            json_out_uint(&s, t->size);
            json_out_map_close(&s);
        }
        json_out_array_close(&s);
        if (f->si != NULL) {
            stream_input_status(f->si, &s);
        }
        /* kept, for the fan-out's news between publishes */
        m = json_out_members(&s, &mlen);
        free(f->status);
        f->status = m ? strndup(m, mlen) : NULL;
        json_out_free(&s);
        write_status(f);
    }

    for (i = 0; i < f->tail.nfiles; i++) {
        ((file_acc_t *) tail_extra(f->tail.files[i]))->has_acc = 0;
    }
    memset(&f->req, 0, sizeof(f->req));
    tail_mark_done(&f->tail, NULL, NULL);
    return new_run(f);
}


/*
 * Whether a merge that ended may be adopted now (state_merge_poll()):
 * at once without a fan-out; with one, once the fan-out has sent the
 * merged base ahead (serve_fanout.h), so that the edges switch to it
 * with a delta, or FOLLOW_AHEAD_MS after its serving view was written,
 * whichever comes first (a Redis that is down must not hold the state's
 * merges back).  While the child still writes, polling is harmless.
 */
static int
merge_adoptable(follower_t *f)
{
    state_t      *st = f->st;
    char          path[4096];
    struct stat   sb;
    int64_t       now = mono_ms();

    if (f->fo == NULL || st->merge_pid == 0
        || serve_fanout_ahead(f->fo, st->merge_gen))
    {
        return 1;
    }
    snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".serve", st->dir,
             st->merge_gen);
    if (stat(path, &sb) != 0) {
        return 1;                       /* not written yet */
    }
    if (f->ahead_gen != st->merge_gen) {
        f->ahead_gen = st->merge_gen;
        f->ahead_since = now;
    }
    return now - f->ahead_since >= FOLLOW_AHEAD_MS;
}


/*
 * A follower started without --serve-key on a fleet whose edges mirror
 * what this reader published before: said once, at start, since the
 * edges then go on serving that generation, growing stale, and nothing
 * else would tell.
 */
static void
serving_left(const state_cli_t *cli)
{
    char         key[FLEET_SERVE_KEY_MAX], err[256];
    const char  *argv[2];
    size_t       klen;
    rcl_t       *c;
    redisReply  *r;

    c = fleet_connect(cli->redis, FOLLOW_REDIS_TIMEOUT_MS, err, sizeof(err));
    if (c == NULL) {
        return;                         /* the stream input says so */
    }
    klen = fleet_serve_key(cli->reader, "current", key);
    argv[0] = "GET";
    argv[1] = key;
    r = rcl_command(c, key, klen, 2, argv, NULL, err, sizeof(err));
    if (r != NULL && r->type == REDIS_REPLY_STRING) {
        fprintf(stderr, "spoor ingest: the edges' mirrors serve generation "
                "%.*s, published with --serve-key; without it they are no "
                "longer updated\n", (int) (r->len < 16 ? r->len : 16),
                r->str);
    }
    freeReplyObject(r);
    rcl_close(c);
}


/* Replaces the --status file: the last publish's members, then the
 * fan-out's, which change between publishes too (a retry that worked). */
static void
write_status(follower_t *f)
{
    json_out_t  s;

    if (f->cli->status == NULL || f->status == NULL
        || json_out_init(&s, NULL) != 0)
    {
        return;
    }
    json_out_map_open(&s);
    json_out_splice(&s, f->status, strlen(f->status));
    if (f->fo != NULL) {
        serve_fanout_status(f->fo, &s);
    }
    json_out_map_close(&s);
    cli_write_status("ingest", f->cli->status, &s);
    json_out_free(&s);
}


/* Reopens the state with the same command line (SIGHUP): --rules FILE is
 * read again.  What was read is published first. */
static int
reload(follower_t *f)
{
    int              first, tries;
    size_t           i;
    state_cli_t      check;
    spoor_rules_t   *rules = NULL;
    char             err[1024];
    struct timespec  nap = { 0, 100 * 1000000L };

    /* a command line or rules file that no longer works leaves the
     * follower running as it was, with a message */
    first = settings_parse_args(f->argc, f->argv, "ingest", &check);
    if (first >= 0 && check.set.rules != NULL
        && spoor_rules_parse(check.set.rules, check.set.rules_len,
                             check.set.rules_file, &rules, err, sizeof(err))
           != SPOOR_OK)
    {
        fprintf(stderr, "spoor ingest: SIGHUP: %s; going on with the rules "
                "in force\n", err);
        first = -2;
    }
    spoor_rules_free(rules);
    settings_free(&check.set);
    if (first < 0) {
        if (first == -2 || first == -3) {
            fprintf(stderr, "spoor ingest: SIGHUP ignored: the command line "
                    "above no longer works\n");
        }
        return EXIT_OK;
    }

    fprintf(stderr, "spoor ingest: SIGHUP: reopening %s\n", f->cli->dir);
    ingest_free(f->in);
    f->in = NULL;
    state_close(f->st);
    settings_free(&f->cli->set);
    /* another process can hold the lock for a moment (`spoor forget`
     * probes it): tried again for up to 5 s */
    for (tries = 0; ; tries++) {
        first = cli_open_state(f->argc, f->argv, "ingest", f->cli, f->st, 0);
        if (first >= 0 || first != -EXIT_IO || tries == 50) {
            break;
        }
        settings_free(&f->cli->set);
        nanosleep(&nap, NULL);
    }
    if (first < 0) {
        memset(f->st, 0, sizeof(*f->st));
        f->st->lock_fd = -1;
        return -first;
    }
    if (deadlines_fill(f, f->st->as_of) != SPOOR_OK || new_run(f) != SPOOR_OK) {
        fprintf(stderr, "spoor ingest: out of memory\n");
        return EXIT_IO;
    }
    /* what was read and not published (a failed publish) is read again:
     * the state skips the frames it holds */
    f->ntouched = 0;
    f->retry = 0;
    for (i = 0; i < f->tail.nfiles; i++) {
        tail_file_t  *t = f->tail.files[i];

        t->off = 0;
        ((file_acc_t *) tail_extra(t))->has_acc = 0;
        t->done = 0;                        /* read again, settle again */
        t->grew_ms = mono_ms();
    }
    if (f->si != NULL) {
        stream_input_reset(f->si);
    }
    return EXIT_OK;
}


int
follow_run(int argc, char **argv, state_cli_t *cli, state_t *st,
    const char *path)
{
    follower_t        f;
    struct sigaction  sa;
    int64_t           last, now;
    int               rc = SPOOR_OK, code = EXIT_OK;
    struct timespec   nap = { 0, FOLLOW_POLL_MS * 1000000L };

    memset(&f, 0, sizeof(f));
    f.argc = argc;
    f.argv = argv;
    f.cli = cli;
    f.st = st;
    f.path = path;
    deadlines_init(&f.dl);
    if (clock_now(&f.now) != 0) {
        code = EXIT_USAGE;
        goto done;
    }
    if (cli->serve_traits != NULL && cli->serve_key == NULL) {
        fprintf(stderr, "spoor ingest: --serve-traits names what the "
                "fan-out sends: give --serve-key too\n");
        code = EXIT_USAGE;
        goto done;
    }
    if (cli->serve_key != NULL) {
        unsigned char  key[SPOOR_KEY_FILE_MAX + 1];
        size_t         klen;
        char           why[512];

        if (cli->redis == NULL) {
            fprintf(stderr, "spoor ingest: --serve-key publishes to the "
                    "fleet's Redis: give --redis too\n");
            code = EXIT_USAGE;
            goto done;
        }
        if (cli_read_key(cli->serve_key, key, &klen, why, sizeof(why))
            != SPOOR_OK)
        {
            fprintf(stderr, "spoor ingest: --serve-key %s\n", why);
            code = EXIT_USAGE;
            goto done;
        }
        f.fo = serve_fanout_new(cli->redis, cli->reader, key, klen,
                                cli->serve_traits, FOLLOW_REDIS_TIMEOUT_MS);
        explicit_bzero(key, sizeof(key));
        if (f.fo == NULL) {
            fprintf(stderr, "spoor ingest: out of memory\n");
            code = EXIT_IO;
            goto done;
        }
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    if (deadlines_fill(&f, st->as_of) != SPOOR_OK || new_run(&f) != SPOOR_OK
        || (path != NULL
            && tail_init(&f.tail, path, "ingest", ".ingested",
                         sizeof(file_acc_t)) != SPOOR_OK)
        || (cli->redis != NULL
            && (f.si = stream_input_new(cli->redis, cli->reader,
                                        FOLLOW_REDIS_TIMEOUT_MS)) == NULL))
    {
        fprintf(stderr, "spoor ingest: out of memory\n");
        code = EXIT_IO;
        goto done;
    }
    if (cli->redis != NULL && cli->serve_key == NULL) {
        serving_left(cli);
    }
    fprintf(stderr, "spoor ingest: following %s%s%s%s into %s (generation %"
            PRIu32 "), publishing every %lld ms\n", path ? path : "",
            path && cli->redis ? " and " : "",
            cli->redis ? "the fleet's streams on " : "",
            cli->redis ? cli->redis : "", cli->dir, st->gen,
            (long long) cli->interval_ms);

    last = mono_ms();
    for ( ;; ) {
        rc = read_all(&f, cli->settle_ms);
        if (rc != SPOOR_OK) {
            break;
        }
        now = mono_ms();
        if (got_stop || got_hup || now - last >= cli->interval_ms) {
            int64_t  clock = f.now;

            last = now;
            (void) clock_now(&clock);
            if (merge_adoptable(&f)) {
                (void) state_merge_poll(st);    /* news when it ended */
            }
            if (something_new(&f, clock)) {
                rc = publish(&f);
                if (rc == SPOOR_E_NOMEM) {
                    break;
                }
                if (rc != SPOOR_OK && got_stop) {
                    break;                  /* nothing more to retry with */
                }
                rc = SPOOR_OK;
            }
        }
        if (!something_new(&f, f.now)) {
            /* every frame read is in the current generation: a settled
             * rotated file can be marked without waiting for news, and
             * stream entries that brought nothing new acknowledged */
            tail_mark_done(&f.tail, NULL, NULL);
            if (f.si != NULL && stream_input_unacked(f.si)) {
                stream_input_committed(f.si);
            }
        }
        if (f.fo != NULL
            && serve_fanout_sync(f.fo, st->dir, st->gen,
                                 st->merge_pid ? st->merge_gen : 0))
        {
            write_status(&f);           /* a retry, a check: news */
        }
        if (got_stop) {
            break;
        }
        if (got_hup) {
            got_hup = 0;
            code = reload(&f);
            if (code != EXIT_OK) {
                goto done;
            }
        }
        nanosleep(&nap, NULL);
    }
    if (rc == SPOOR_E_NOMEM) {
        fprintf(stderr, "spoor ingest: out of memory\n");
        code = EXIT_IO;
    } else if (rc != SPOOR_OK) {
        code = EXIT_IO;
    } else {
        fprintf(stderr, "spoor ingest: stopped; generation %" PRIu32
                " is current\n", st->gen);
    }

done:
    tail_free(&f.tail);
    stream_input_free(f.si);
    serve_fanout_free(f.fo);
    free(f.status);
    free(f.touched);
    ingest_free(f.in);
    deadlines_free(&f.dl);
    inferred_clock_free(&f.clk);
    return code;
}
