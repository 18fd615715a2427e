/*
 * ingest.c -- the fold of log records into profiles (ingest.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "cli.h"
#include "error.h"
#include "event.h"
#include "ingest.h"
#include "logreader.h"
#include "snapshot.h"
#include "state.h"

/*
 * The run's counters ("kind:page", "country:DE", ...): an open-addressing
 * table of malloc'd keys, doubled when half full, added to the state's
 * sorted counters once at the end instead of a sorted insert per record.
 */
typedef struct {
    char       *key;             /* NULL: empty slot */
    size_t      len;
    uint64_t    hash, n;
} tally_slot_t;

struct ingest_s {
    state_t              *st;
    ingest_tally_t        t;
    tally_slot_t         *slots;
    size_t                cap, used;
    ingest_progress_fn    progress;
    void                 *progress_arg;
    uint64_t              events;       /* decoded, for progress */
    const char           *path;         /* the log being read */
    int                   damaged;      /* in the log being read */
};


ingest_t *
ingest_new(state_t *st)
{
    ingest_t  *in = calloc(1, sizeof(*in));

    if (in == NULL) {
        return NULL;
    }
    in->st = st;
    in->cap = 64;
    in->slots = calloc(in->cap, sizeof(tally_slot_t));
    if (in->slots == NULL) {
        free(in);
        return NULL;
    }
    return in;
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
    size_t  i;

    if (in == NULL) {
        return;
    }
    for (i = 0; i < in->cap; i++) {
        free(in->slots[i].key);
    }
    free(in->slots);
    free(in);
}


/* ---- counters ---------------------------------------------------------------- */

static int
tally_grow(ingest_t *in)
{
    tally_slot_t  *ns;
    size_t         cap = in->cap * 2, i, j;

    ns = calloc(cap, sizeof(*ns));
    if (ns == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < in->cap; i++) {
        if (in->slots[i].key) {
            for (j = in->slots[i].hash & (cap - 1); ns[j].key;
                 j = (j + 1) & (cap - 1))
            {
                /* probe */
            }
            ns[j] = in->slots[i];
        }
    }
    free(in->slots);
    in->slots = ns;
    in->cap = cap;
    return SPOOR_OK;
}


/* Counts one under prefix + v (values longer than 64 bytes are not). */
static int
tally(ingest_t *in, const char *prefix, size_t plen, const char *v,
    size_t vlen)
{
    char           key[96];
    size_t         len = plen + vlen, j;
    uint64_t       h;
    tally_slot_t  *s;

    if (v == NULL || vlen == 0 || vlen > 64) {
        return SPOOR_OK;
    }
    memcpy(key, prefix, plen);
    memcpy(key + plen, v, vlen);
    h = XXH3_64bits(key, len);

    for (j = h & (in->cap - 1); in->slots[j].key; j = (j + 1) & (in->cap - 1))
    {
        s = &in->slots[j];
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            s->n++;
            return SPOOR_OK;
        }
    }
    if ((in->used + 1) * 2 > in->cap) {
        if (tally_grow(in) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        for (j = h & (in->cap - 1); in->slots[j].key;
             j = (j + 1) & (in->cap - 1))
        {
            /* probe */
        }
    }
    s = &in->slots[j];
    s->key = malloc(len);
    if (s->key == NULL) {
        return SPOOR_E_NOMEM;
    }
    memcpy(s->key, key, len);
    s->len = len;
    s->hash = h;
    s->n = 1;
    in->used++;
    return SPOOR_OK;
}

#define TALLY(in, lit, s)  tally(in, lit, sizeof(lit) - 1, (s)->data, (s)->len)


int
ingest_finish(ingest_t *in)
{
    size_t         i;
    tally_slot_t  *s;

    for (i = 0; i < in->cap; i++) {
        s = &in->slots[i];
        if (s->key && s->n) {
            if (state_count(in->st, s->key, s->len, s->n) != SPOOR_OK) {
                return SPOOR_E_NOMEM;
            }
            s->n = 0;           /* added: a second finish adds nothing */
        }
    }
    return SPOOR_OK;
}


/* ---- admission and the fold ---------------------------------------------------- */

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
int
ingest_event(ingest_t *r, const spoor_event_t *ev)
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
        (void) tally(r, "kind:", 5, "consent_withdrawal", 18);
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

    (void) TALLY(r, "kind:", &ev->kind_name);
    if (ev->consent.present) {
        (void) TALLY(r, "action:", &ev->consent.action);
        (void) TALLY(r, "signal:", &ev->consent.signal);
    }
    if (ev->has_geo) {
        (void) TALLY(r, "country:", &ev->geo.country);
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

            (void) TALLY(r, "category:", &c);
        }
    }
    r->t.applied++;
    return SPOOR_OK;
}



/* ---- logs ---------------------------------------------------------------------- */

static void
on_damage(void *arg, const spoor_damage_t *d)
{
    ingest_t  *in = arg;

    in->damaged = 1;
    in->t.damaged++;
    cli_print_damage(stderr, in->path, d);
}


int
ingest_log(ingest_t *in, const char *path, ingest_input_t *out)
{
    int                          fd, rc = SPOOR_OK, nomem = 0, drc;
    spoor_reader_t              *rd;
    spoor_frame_t                f;
    spoor_event_t                ev;
    uint64_t                     key;
    struct stat                  sb;
    const spoor_reader_stats_t  *rs;

    memset(out, 0, sizeof(*out));
    out->path = path;
    fd = cli_open_log("ingest", path);
    if (fd < 0) {
        return SPOOR_E_IO;
    }
    in->path = path;
    in->damaged = 0;
    rd = spoor_reader_open_fd(fd, on_damage, in);
    if (rd == NULL) {
        cli_close_log(fd);
        return SPOOR_E_NOMEM;
    }

    while ((rc = spoor_reader_next_frame(rd, &f)) == 1) {
        out->frames++;
        key = XXH64(f.content, f.content_len, 0x5300);
        out->checksum = XXH64(&key, sizeof(key), out->checksum);
        if (state_frame_seen(in->st, key, &nomem)) {
            in->t.duplicate += spoor_frame_finish(rd, &f);
            out->records += f.records;
            continue;
        }
        if (nomem) {
            rc = SPOOR_E_NOMEM;
            break;
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
                break;
            }
        }
        out->records += f.records;
        out->new_records += f.records;
        if (rc != SPOOR_OK) {
            break;
        }
        rc = 1;
        if (in->progress) {
            in->progress(in->progress_arg, spoor_reader_stats(rd)->bytes,
                         in->events);
        }
    }

    rs = spoor_reader_stats(rd);
    if (rc == SPOOR_E_IO) {
        fprintf(stderr, "spoor ingest: %s: %s\n", path, strerror(errno));
    }
    out->size = fstat(fd, &sb) == 0 ? (uint64_t) sb.st_size : 0;
    out->damaged = in->damaged || rs->truncated;

    in->t.frames += out->frames;
    in->t.records += out->records;
    in->t.new_frames += out->new_frames;
    in->t.new_records += out->new_records;

    spoor_reader_close(rd);
    cli_close_log(fd);
    return rc == 0 || rc == 1 ? SPOOR_OK : rc;
}
