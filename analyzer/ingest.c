/*
 * ingest.c -- the fold of log records into profiles (ingest.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include "cli.h"
#include "damage_hold.h"
#include "error.h"
#include "event.h"
#include "ingest.h"
#include "json_out.h"
#include "logreader.h"
#include "profile.h"
#include "run_counts.h"
#include "snapshot.h"
#include "state.h"

struct ingest_s {
    state_t              *st;
    ingest_tally_t        t;
    run_counts_t         *counts;       /* the run's counters */
    ingest_progress_fn    progress;
    void                 *progress_arg;
    uint64_t              events;       /* decoded, for progress */
    const char           *path;         /* the log being read */
    int                   damaged;      /* in the log being read */
    unsigned              jobs;         /* 1: decode and fold in turn */
    damage_hold_t         hold;         /* the read's damage (follow:
                                           the last held back) */
    ingest_touch_fn       touch;
    void                 *touch_arg;
    ingest_tally_t        counted;      /* what ingest_finish added of t */
};


ingest_t *
ingest_new(state_t *st)
{
    ingest_t  *in = calloc(1, sizeof(*in));

    if (in == NULL) {
        return NULL;
    }
    in->st = st;
    in->jobs = 1;
    in->counts = run_counts_new();
    if (in->counts == NULL) {
        free(in);
        return NULL;
    }
    return in;
}


void
ingest_set_jobs(ingest_t *in, unsigned jobs)
{
    in->jobs = jobs ? jobs : 1;
}


void
ingest_set_touch(ingest_t *in, ingest_touch_fn fn, void *arg)
{
    in->touch = fn;
    in->touch_arg = arg;
}


void
ingest_set_progress(ingest_t *in, ingest_progress_fn fn, void *arg)
{
    in->progress = fn;
    in->progress_arg = arg;
}


const ingest_tally_t *
ingest_tally(const ingest_t *in)
{
    return &in->t;
}


void
ingest_free(ingest_t *in)
{
    if (in == NULL) {
        return;
    }
    run_counts_free(in->counts);
    free(in);
}


/* Adds what t counted since the last finish (*done) to counter key. */
static int
finish_count(state_t *st, const char *key, uint64_t now, uint64_t *done)
{
    int  rc = state_count(st, key, strlen(key), now - *done);

    if (rc == SPOOR_OK) {
        *done = now;
    }
    return rc;
}


/* run_counts_flush()'s add: one counter to the state's. */
static int
add_count(void *arg, const char *key, size_t len, uint64_t n)
{
    return state_count(arg, key, len, n);
}


int
ingest_finish(ingest_t *in)
{
    const ingest_tally_t *t = &in->t;
    ingest_tally_t       *d = &in->counted;

    if (run_counts_flush(in->counts, add_count, in->st) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }
#define FC(k, f)  if (finish_count(in->st, k, t->f, &d->f) != SPOOR_OK) \
                      return SPOOR_E_NOMEM
    FC("q:frames", new_frames);
    FC("q:records", new_records);
    FC("skip:duplicate", duplicate);
    FC("skip:anonymous", anonymous);
    FC("skip:cookieless", cookieless);
    FC("skip:not_for_profiling", no_profiling);
    FC("skip:no_id", no_id);
    FC("skip:erased", erased);
    FC("skip:bad_record", bad);
    FC("ident:withdrawals", withdrawals);
#undef FC
    return SPOOR_OK;
}


/* ---- admission and the fold ---------------------------------------------------- */

/* The keys of an event's user, anonymous and visitor ids (those it
 * has), worked out once for the erasure check and the graph; returns how
 * many. */
static size_t
event_keys(const spoor_event_t *ev, identity_key_t *keys)
{
    size_t  n = 0;

    if (ev->user_id.data) {
        identity_key(&keys[n++], 'u', ev->user_id.data, ev->user_id.len);
    }
    if (ev->anonymous_id.data) {
        identity_key(&keys[n++], 'a', ev->anonymous_id.data,
                     ev->anonymous_id.len);
    }
    if (ev->visitor_id.data) {
        identity_key(&keys[n++], 'v', ev->visitor_id.data,
                     ev->visitor_id.len);
    }
    return n;
}


/* The ids of an admitted event (keys[0 .. nkeys) and an alias's
 * previous id), entered in the graph (junk ones are not); returns how
 * many. */
static size_t
event_ids(state_t *st, const spoor_event_t *ev, const identity_key_t *keys,
    size_t nkeys, uint32_t *ids, int *nomem)
{
    size_t    n = 0, k;
    uint32_t  i;

    for (k = 0; k < nkeys; k++) {
        i = identity_get_key(&st->g, &keys[k], nomem);
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


/* Whether one of the event's ids (keys[0 .. n)) was erased at or after
 * t: in this run (the set's mark) or in an earlier one (a tombstone). */
static int
id_erased(state_t *st, const identity_key_t *keys, size_t n, int64_t t)
{
    size_t    k;
    uint32_t  i;

    if (st->ntombs == 0 && !st->erased_in_run) {
        return 0;
    }
    for (k = 0; k < n; k++) {
        i = identity_find_key(&st->g, &keys[k]);
        if ((i != UINT32_MAX && state_id_erased(st, i, t))
            || state_erased(st, keys[k].hash, t))
        {
            return 1;
        }
    }
    return 0;
}


static int
str_is(const spoor_str_t *s, const char *lit)
{
    size_t  n = strlen(lit);

    return s->data && s->len == n && memcmp(s->data, lit, n) == 0;
}


/* One record's admission and fold, its counts aside (run_counts.h). */
static int
fold_event(ingest_t *r, const spoor_event_t *ev)
{
    state_t         *st = r->st;
    identity_key_t   keys[3];
    uint32_t         ids[4];
    size_t           n, i, nkeys;
    int64_t      t;
    int          nomem = 0, rc;
    profile_t   *p;
    spoor_str_t  category;

    t = profile_time(ev->received_ms);
    if (t > st->as_of) {
        st->as_of = t;              /* the run's clock */
    }
    t = profile_event_time(ev);

    if (ev->kind == SPOOR_KIND_CONSENT_WITHDRAWAL) {
        r->t.withdrawals++;
        if (ev->visitor_id.data) {
            uint32_t  v = identity_get(&st->g, 'v', ev->visitor_id.data,
                                       ev->visitor_id.len, &nomem);

            if (v != UINT32_MAX) {
                int64_t  at = profile_time(ev->received_ms);

                r->t.erased_profiles += state_erase(st, &v, 1, at, &nomem);
            }
        }
        return nomem ? SPOOR_E_NOMEM : SPOOR_OK;
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
    nkeys = event_keys(ev, keys);
    if (id_erased(st, keys, nkeys, t)) {
        r->t.erased++;
        return SPOOR_OK;
    }

    n = event_ids(st, ev, keys, nkeys, ids, &nomem);
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
    p->dirty = PROFILE_CHANGED;
    rc = profile_fold(p, ev, &st->conf, &category);
    if (rc != SPOOR_OK) {
        return rc;
    }
    if (r->touch) {
        r->touch(r->touch_arg, ids[0]);
    }
    if (category.data) {
        run_counts_category(r->counts, &category);
    }
    r->t.applied++;
    return SPOOR_OK;
}


/* One record. */
int
ingest_event(ingest_t *r, const spoor_event_t *ev)
{
    run_counts_event(r->counts, ev);
    return fold_event(r, ev);
}



/* ---- logs ---------------------------------------------------------------------- */

static void
report_damage(void *arg, const spoor_damage_t *d)
{
    ingest_t  *in = arg;

    in->damaged = 1;
    in->t.damaged++;
    cli_print_damage(stderr, in->path, d);
}


/* ---- one thread: each frame decoded and folded in turn ------------------- */

static int
read_serial(ingest_t *in, spoor_reader_t *rd, ingest_input_t *out)
{
    int            rc, nomem = 0, drc;
    spoor_frame_t  f;
    spoor_event_t  ev;
    uint64_t       key;

    while ((rc = spoor_reader_next_frame(rd, &f)) == 1) {
        damage_hold_frame(&in->hold, &f);
        out->frames++;
        key = XXH64(f.content, f.content_len, 0x5300);
        out->checksum = XXH64(&key, sizeof(key), out->checksum);
        if (state_frame_seen(in->st, key, &nomem)) {
            in->t.duplicate += spoor_frame_finish(rd, &f);
            out->records += f.records;
            continue;
        }
        if (nomem) {
            return SPOOR_E_NOMEM;
        }
        out->new_frames++;
        rc = SPOOR_OK;
        while (spoor_frame_next_event(rd, &f, &ev, &drc)) {
            if (drc != SPOOR_OK) {
                in->t.bad++;
                continue;
            }
            in->events++;
            rc = ingest_event(in, &ev);
            if (rc != SPOOR_OK) {
                return rc;
            }
        }
        out->records += f.records;
        out->new_records += f.records;
        if (in->progress) {
            in->progress(in->progress_arg, spoor_reader_stats(rd)->bytes,
                         in->events);
        }
    }
    return rc;
}


/* ---- two threads: one reads and decodes, the caller's folds ---------------- */

/*
 * The reading thread decompresses each frame into a buffer it takes over
 * from the reader (spoor_reader_take_content()), computes its key and
 * decodes its records into an array of events pointing into that buffer:
 * a batch.  Batches go to the folding thread through a queue in input
 * order, and come back empty to be reused; at most BATCHES are in flight,
 * which bounds memory (a batch holds at most one frame: 16 MiB of content
 * and its events).  The fold sees exactly the frames and events the
 * serial path sees, in the same order, so the state is the same.
 * A frame the state applied before this run is only counted, not decoded
 * (the reader keeps its own copy of those keys); a frame repeated within
 * the run is decoded and then skipped by the fold.
 *
 * The counts of a new frame's events (run_counts_event) are taken by
 * whichever thread would otherwise wait: when the fold finds no decoded
 * batch waiting, it counts the batch it folded itself; when the reader is
 * ahead, the batch goes back marked, and the reader counts it into a
 * table of its own before reusing its buffer (the batches still marked
 * at the end are counted after the join; the table is then added to the
 * run's).  So the two threads share the work whichever side is slower on
 * the machine.  Counts are sums: their order does not matter, and they
 * are the serial path's.
 */
#define BATCHES  4

typedef struct batch_s {
    struct batch_s  *next;
    unsigned char   *buf;           /* the frame's content (owned) */
    size_t           cap;
    uint64_t         key, records, bad, bytes;
    int              known;         /* applied before the run: not decoded */
    int              count;         /* folded: its events' counts not taken */
    spoor_event_t   *ev;
    size_t           nev, evcap;
    int              end;           /* last batch: rc is the reader's end */
    int              rc, err;       /* err: the reader's errno */
} batch_t;

typedef struct {
    pthread_mutex_t   mu;
    pthread_cond_t    cv;
    batch_t          *full_head, *full_tail, *empty;
    int               stop;         /* the fold gave up: stop reading */
    spoor_reader_t   *rd;
    const uint64_t   *known;        /* sorted keys applied before the run */
    size_t            nknown;
    run_counts_t     *counts;       /* the reading thread's */
} pipe_t;


/* Takes the counts of a folded batch's events into c, once. */
static void
batch_count(run_counts_t *c, batch_t *b)
{
    size_t  i;

    if (b->count) {
        for (i = 0; i < b->nev; i++) {
            run_counts_event(c, &b->ev[i]);
        }
        b->count = 0;
    }
}


static int
cmp_key(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}


static void
pipe_put(pipe_t *pp, batch_t *b)
{
    pthread_mutex_lock(&pp->mu);
    b->next = NULL;
    if (pp->full_tail) {
        pp->full_tail->next = b;
    } else {
        pp->full_head = b;
    }
    pp->full_tail = b;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
}


/* An empty batch for the reader; NULL when the fold asked to stop. */
static batch_t *
pipe_empty(pipe_t *pp)
{
    batch_t  *b;

    pthread_mutex_lock(&pp->mu);
    while (pp->empty == NULL && !pp->stop) {
        pthread_cond_wait(&pp->cv, &pp->mu);
    }
    b = pp->stop ? NULL : pp->empty;
    if (b) {
        pp->empty = b->next;
    }
    pthread_mutex_unlock(&pp->mu);
    return b;
}


/* Room for one more event at b->ev[b->nev]. */
static int
batch_room(batch_t *b)
{
    if (b->nev == b->evcap) {
        size_t          cap = b->evcap ? b->evcap * 2 : 256;
        spoor_event_t  *e = realloc(b->ev, cap * sizeof(*e));

        if (e == NULL) {
            return SPOOR_E_NOMEM;
        }
        b->ev = e;
        b->evcap = cap;
    }
    return SPOOR_OK;
}


static void *
reader_main(void *arg)
{
    pipe_t         *pp = arg;
    spoor_frame_t   f;
    batch_t        *b;
    int             rc = 0, drc;

    for ( ;; ) {
        b = pipe_empty(pp);
        if (b == NULL) {
            return NULL;            /* the fold stopped: it drains nothing */
        }
        batch_count(pp->counts, b);  /* before its buffer is reused */
        spoor_reader_give_buffer(pp->rd, b->buf, b->cap);
        b->buf = NULL;
        b->nev = 0;
        b->bad = 0;
        rc = spoor_reader_next_frame(pp->rd, &f);
        if (rc != 1) {
            b->end = 1;
            b->rc = rc;
            b->err = errno;
            pipe_put(pp, b);
            return NULL;
        }
        b->buf = spoor_reader_take_content(pp->rd, &b->cap);
        b->key = XXH64(f.content, f.content_len, 0x5300);
        b->known = pp->nknown
                   && bsearch(&b->key, pp->known, pp->nknown,
                              sizeof(uint64_t), cmp_key) != NULL;
        if (b->known) {
            spoor_frame_finish(pp->rd, &f);
        } else {
            /* each record is decoded in place into the next slot */
            for ( ;; ) {
                if (batch_room(b) != SPOOR_OK) {
                    b->end = 1;
                    b->rc = SPOOR_E_NOMEM;
                    pipe_put(pp, b);
                    return NULL;
                }
                if (!spoor_frame_next_event(pp->rd, &f, &b->ev[b->nev],
                                            &drc))
                {
                    break;
                }
                if (drc != SPOOR_OK) {
                    b->bad++;
                } else {
                    b->nev++;
                }
            }
        }
        b->records = f.records;
        b->bytes = spoor_reader_stats(pp->rd)->bytes;
        pipe_put(pp, b);
    }
}


static int
read_piped(ingest_t *in, spoor_reader_t *rd, ingest_input_t *out)
{
    pipe_t      pp;
    pthread_t   th;
    batch_t     batches[BATCHES], *b;
    uint64_t   *known = NULL;
    size_t      i;
    int         rc = SPOOR_OK, nomem = 0, end = 0, ahead;

    memset(&pp, 0, sizeof(pp));
    memset(batches, 0, sizeof(batches));
    pp.rd = rd;
    pp.counts = run_counts_new();
    if (pp.counts == NULL) {
        return SPOOR_E_NOMEM;
    }
    if (in->st->nsorted) {
        known = malloc(in->st->nsorted * sizeof(uint64_t));
        if (known == NULL) {
            run_counts_free(pp.counts);
            return SPOOR_E_NOMEM;
        }
        memcpy(known, in->st->frames, in->st->nsorted * sizeof(uint64_t));
        pp.known = known;
        pp.nknown = in->st->nsorted;
    }
    for (i = 0; i < BATCHES; i++) {
        batches[i].next = pp.empty;
        pp.empty = &batches[i];
    }
    pthread_mutex_init(&pp.mu, NULL);
    pthread_cond_init(&pp.cv, NULL);
    if (pthread_create(&th, NULL, reader_main, &pp) != 0) {
        pthread_mutex_destroy(&pp.mu);
        pthread_cond_destroy(&pp.cv);
        free(known);
        run_counts_free(pp.counts);
        return read_serial(in, rd, out);
    }

    while (!end) {
        pthread_mutex_lock(&pp.mu);
        while (pp.full_head == NULL) {
            pthread_cond_wait(&pp.cv, &pp.mu);
        }
        b = pp.full_head;
        pp.full_head = b->next;
        if (pp.full_head == NULL) {
            pp.full_tail = NULL;
        }
        pthread_mutex_unlock(&pp.mu);

        if (b->end) {
            end = 1;
            if (rc == SPOOR_OK) {
                rc = b->rc;
                errno = b->err;
            }
        } else if (rc == SPOOR_OK) {
            out->frames++;
            out->records += b->records;
            out->checksum = XXH64(&b->key, sizeof(b->key), out->checksum);
            if (b->known || state_frame_seen(in->st, b->key, &nomem)) {
                in->t.duplicate += b->records;
            } else if (nomem) {
                rc = SPOOR_E_NOMEM;
            } else {
                out->new_frames++;
                out->new_records += b->records;
                in->t.bad += b->bad;
                for (i = 0; i < b->nev && rc == SPOOR_OK; i++) {
                    in->events++;
                    rc = fold_event(in, &b->ev[i]);
                }
                b->count = rc == SPOOR_OK;
                pthread_mutex_lock(&pp.mu);
                ahead = pp.full_head != NULL;
                pthread_mutex_unlock(&pp.mu);
                if (!ahead) {
                    batch_count(in->counts, b);
                }
                if (rc == SPOOR_OK && in->progress) {
                    in->progress(in->progress_arg, b->bytes, in->events);
                }
            }
        }

        pthread_mutex_lock(&pp.mu);
        if (rc != SPOOR_OK && rc != 1 && rc != 0) {
            pp.stop = 1;            /* the reader stops at its next frame */
            end = 1;
        }
        b->next = pp.empty;
        pp.empty = b;
        pthread_cond_broadcast(&pp.cv);
        pthread_mutex_unlock(&pp.mu);
    }

    pthread_join(th, NULL);
    for (i = 0; i < BATCHES; i++) {
        batch_count(pp.counts, &batches[i]);
        free(batches[i].buf);
        free(batches[i].ev);
    }
    if (rc == SPOOR_OK && run_counts_merge(in->counts, pp.counts) != SPOOR_OK) {
        rc = SPOOR_E_NOMEM;
    }
    run_counts_free(pp.counts);
    pthread_mutex_destroy(&pp.mu);
    pthread_cond_destroy(&pp.cv);
    free(known);
    return rc;
}


/* Reads rd (over input that begins at file offset `offset`) to its end;
 * size: the input's whole size, when known (otherwise from fd). */
static int
read_input(ingest_t *in, spoor_reader_t *rd, int fd, uint64_t size,
    const char *path, uint64_t offset, ingest_input_t *out)
{
    int                          rc;
    struct stat                  sb;
    const spoor_reader_stats_t  *rs;

    /* following: serial, which knows where each frame ends */
    rc = in->jobs > 1 && !in->hold.follow ? read_piped(in, rd, out)
                                     : read_serial(in, rd, out);

    rs = spoor_reader_stats(rd);
    if (rc == SPOOR_E_IO) {
        fprintf(stderr, "spoor ingest: %s: %s\n", path, strerror(errno));
    }
    out->size = fd < 0 ? size
                : fstat(fd, &sb) == 0 ? (uint64_t) sb.st_size : 0;
    out->damaged = in->damaged || (!in->hold.follow && rs->truncated);
    out->end = in->hold.follow ? in->hold.end : offset + rs->bytes;

    in->t.frames += out->frames;
    in->t.records += out->records;
    in->t.new_frames += out->new_frames;
    in->t.new_records += out->new_records;
    in->hold.follow = 0;

    spoor_reader_close(rd);
    return rc == 0 || rc == 1 ? SPOOR_OK : rc;
}


/* The run's and out's state for a read of path from `offset`. */
static void
begin_input(ingest_t *in, const char *path, uint64_t offset, int flags,
    ingest_input_t *out)
{
    uint64_t  chain = (flags & INGEST_CHAIN) ? out->checksum : 0;

    memset(out, 0, sizeof(*out));
    out->checksum = chain;
    out->path = path;
    out->start = out->end = offset;
    in->path = path;
    in->damaged = 0;
    damage_hold_start(&in->hold, offset, (flags & INGEST_FOLLOW) != 0,
                      report_damage, in);
}


int
ingest_log_at(ingest_t *in, int fd, const char *path, uint64_t offset,
    int flags, ingest_input_t *out)
{
    spoor_reader_t  *rd;

    begin_input(in, path, offset, flags, out);
    /* a descriptor read before (a followed log) is rewound too; only a
     * pipe read from its start cannot seek */
    if (lseek(fd, (off_t) offset, SEEK_SET) == (off_t) -1
        && (offset || errno != ESPIPE))
    {
        fprintf(stderr, "spoor ingest: %s: %s\n", path, strerror(errno));
        in->hold.follow = 0;
        return SPOOR_E_IO;
    }
    rd = spoor_reader_open_fd(fd, damage_hold_damage, &in->hold);
    if (rd == NULL) {
        in->hold.follow = 0;
        return SPOOR_E_NOMEM;
    }
    return read_input(in, rd, fd, 0, path, offset, out);
}


int
ingest_mem(ingest_t *in, const void *p, size_t len, const char *path,
    int flags, ingest_input_t *out)
{
    spoor_reader_t  *rd;

    begin_input(in, path, 0, flags & INGEST_CHAIN, out);
    rd = spoor_reader_open_mem(p, len, damage_hold_damage, &in->hold);
    if (rd == NULL) {
        return SPOOR_E_NOMEM;
    }
    return read_input(in, rd, -1, len, path, 0, out);
}


int
ingest_log(ingest_t *in, const char *path, ingest_input_t *out)
{
    int  fd, rc;

    fd = cli_open_log("ingest", path);
    if (fd < 0) {
        memset(out, 0, sizeof(*out));
        out->path = path;
        return SPOOR_E_IO;
    }
    rc = ingest_log_at(in, fd, path, 0, 0, out);
    cli_close_log(fd);
    return rc;
}


/* ---- the lineage ---------------------------------------------------------------- */

void
ingest_lineage_input(json_out_t *j, const ingest_input_t *in)
{
    char  hex[17];

    snprintf(hex, sizeof(hex), "%016" PRIx64, in->checksum);
    json_out_map_open(j);
    json_out_cstr(j, "file");
    json_out_cstr(j, in->path);
    json_out_cstr(j, "size");
    json_out_uint(j, in->size);
    json_out_cstr(j, "checksum");
    json_out_cstr(j, hex);
    json_out_cstr(j, "frames");
    json_out_uint(j, in->frames);
    json_out_cstr(j, "records");
    json_out_uint(j, in->records);
    json_out_cstr(j, "new_frames");
    json_out_uint(j, in->new_frames);
    json_out_cstr(j, "new_records");
    json_out_uint(j, in->new_records);
    json_out_cstr(j, "damaged");
    json_out_bool(j, in->damaged);
    json_out_map_close(j);
}


#define KV(j, k, v)  (json_out_cstr(j, k), json_out_uint(j, v))

void
ingest_lineage_events(json_out_t *j, const ingest_tally_t *t, const state_t *st)
{
    json_out_cstr(j, "events");
    json_out_map_open(j);
    KV(j, "read", t->records);
    KV(j, "applied", t->applied);
    json_out_cstr(j, "skipped");
    json_out_map_open(j);
    KV(j, "duplicate", t->duplicate);
    KV(j, "anonymous", t->anonymous);
    KV(j, "cookieless", t->cookieless);
    KV(j, "not_for_profiling", t->no_profiling);
    KV(j, "no_id", t->no_id);
    KV(j, "erased", t->erased);
    KV(j, "bad_record", t->bad);
    json_out_map_close(j);
    json_out_map_close(j);
    KV(j, "withdrawals", t->withdrawals);
    KV(j, "profiles_erased", t->erased_profiles);
    KV(j, "merges", st->g.merges);
    KV(j, "merges_refused", st->g.merges_refused);
    KV(j, "junk_ids", st->g.junk_seen);
}
