/*
 * commit_pack.c -- the records of a commit, packed on one thread or two
 * (commit_pack.h).
 *
 * Chunk c of the outs is packed into slot c % SLOTS.  With two threads
 * the helper packs the odd chunks and the caller the even ones; the
 * caller hands every chunk to the writers in order and then frees its
 * slot.  A slot's state (free, packed) changes under the lock only: the
 * helper waits for a free slot, the caller for a packed one.  The helper
 * packs slots 1 and 3 only, so it is at most two of its chunks ahead of
 * the caller's appends, and memory is bounded by SLOTS chunks.
 *
 * The snapshot's records are compressed where they are packed: each
 * chunk's in groups of its own (snap_group.h; a group never spans two
 * chunks, whichever thread packs them), handed to the writer sealed.  So
 * the compression is shared by both threads, and the files are the same
 * for one thread or two.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <msgpack.h>
#include "commit_pack.h"
#include "quiet_thread.h"
#include "error.h"
#include "profile.h"
#include "snap_group.h"
#include "stored.h"

#define SLOTS  4
#define IDS_AHEAD  8               /* profiles commit_pack_ids reads ahead */

/* One chunk's records, packed. */
typedef struct {
    msgpack_sbuffer   rec, srv;      /* records back to back */
    size_t           *rec_len, *srv_len;
    uint64_t         *hashes;        /* hash lists back to back */
    size_t            hcap;          /* hashes' room */
    uint32_t         *nhash;
    unsigned char    *sums;          /* sum_size each */
    size_t            n;             /* profiles in it */
    unsigned char    *groups;        /* its records, sealed groups back to
                                        back */
    size_t            glen, gcap;
    size_t           *gsize;         /* bytes of each group */
    uint32_t         *gcount;        /* records of each group */
    size_t            ng;
    int               packed, rc;
} chunk_t;

/* What packing needs per thread. */
typedef struct {
    stored_id_t       *sids;         /* max_ids */
    char             (*texts)[IDENTITY_TEXT_BUF];   /* max_ids: the
                                        texts of ids kept packed */
    stored_decayed_t  *dec;
    size_t             ndec_cap;
    stored_str_t      *segs;         /* rules' count + 1 */
    figures_t          fig;
    snap_group_w_t     gw;           /* the group being filled */
} scratch_t;

typedef struct {
    const commit_pack_t  *c;
    size_t                sum_size, nchunks;
    chunk_t               slot[SLOTS];
    pthread_mutex_t       mu;
    pthread_cond_t        cv;
    int                   stop;      /* the caller gave up */
    scratch_t             helper;
} pack_t;


static int
scratch_init(scratch_t *s, const commit_pack_t *c)
{
    memset(s, 0, sizeof(*s));
    figures_init(&s->fig);
    s->sids = malloc((c->max_ids ? c->max_ids : 1) * sizeof(stored_id_t));
    s->texts = malloc((c->max_ids ? c->max_ids : 1) * sizeof(*s->texts));
    s->segs = malloc((c->rules ? spoor_rules_count(c->rules) + 1 : 1)
                     * sizeof(stored_str_t));
    return s->sids && s->texts && s->segs ? SPOOR_OK : SPOOR_E_NOMEM;
}


static void
scratch_free(scratch_t *s)
{
    free(s->sids);
    free(s->texts);
    free(s->dec);
    free(s->segs);
    snap_group_w_free(&s->gw);
}


static int
chunk_init(chunk_t *ch, size_t sum_size)
{
    memset(ch, 0, sizeof(*ch));
    msgpack_sbuffer_init(&ch->rec);
    msgpack_sbuffer_init(&ch->srv);
    ch->rec_len = malloc(COMMIT_CHUNK * sizeof(size_t));
    ch->srv_len = malloc(COMMIT_CHUNK * sizeof(size_t));
    ch->nhash = malloc(COMMIT_CHUNK * sizeof(uint32_t));
    ch->sums = malloc(COMMIT_CHUNK * (sum_size ? sum_size : 1));
    ch->gsize = malloc(COMMIT_CHUNK * sizeof(size_t));
    ch->gcount = malloc(COMMIT_CHUNK * sizeof(uint32_t));
    return ch->rec_len && ch->srv_len && ch->nhash && ch->sums && ch->gsize
           && ch->gcount ? SPOOR_OK : SPOOR_E_NOMEM;
}


static void
chunk_free(chunk_t *ch)
{
    msgpack_sbuffer_destroy(&ch->rec);
    msgpack_sbuffer_destroy(&ch->srv);
    free(ch->rec_len);
    free(ch->srv_len);
    free(ch->nhash);
    free(ch->hashes);
    free(ch->sums);
    free(ch->groups);
    free(ch->gsize);
    free(ch->gcount);
}


/* Seals the records in s->gw as ch's next group. */
static int
seal_group(scratch_t *s, chunk_t *ch)
{
    const unsigned char  *bytes;
    unsigned char        *g;
    size_t                len, cap;
    uint32_t              n = snap_group_w_count(&s->gw);
    int                   rc;

    rc = snap_group_w_seal(&s->gw, 0, &bytes, &len);
    if (rc != SPOOR_OK) {
        return rc;
    }
    if (len > ch->gcap - ch->glen) {
        cap = ch->gcap ? ch->gcap : 65536;
        while (cap - ch->glen < len) {
            cap *= 2;
        }
        g = realloc(ch->groups, cap);
        if (g == NULL) {
            return SPOOR_E_NOMEM;
        }
        ch->groups = g;
        ch->gcap = cap;
    }
    memcpy(ch->groups + ch->glen, bytes, len);
    ch->glen += len;
    ch->gsize[ch->ng] = len;
    ch->gcount[ch->ng++] = n;
    return SPOOR_OK;
}


/* The chunk's records, compressed in groups (the writer sets each
 * group's first profile when it takes it). */
static int
group_chunk(scratch_t *s, chunk_t *ch)
{
    const unsigned char  *r = (const unsigned char *) ch->rec.data;
    size_t                i;
    int                   rc = SPOOR_OK;

    ch->glen = 0;
    ch->ng = 0;
    for (i = 0; i < ch->n && rc == SPOOR_OK; i++) {
        rc = snap_group_w_add(&s->gw, r, ch->rec_len[i]);
        r += ch->rec_len[i];
        if (rc == SPOOR_OK && snap_group_w_full(&s->gw)) {
            rc = seal_group(s, ch);
        }
    }
    if (rc == SPOOR_OK && snap_group_w_count(&s->gw) > 0) {
        rc = seal_group(s, ch);
    }
    return rc;
}


uint64_t
commit_profile_id(const identity_t *g, const uint32_t *ids, uint32_t n)
{
    uint64_t  best_u = UINT64_MAX, best = UINT64_MAX;
    uint32_t  j;

    for (j = 0; j < n; j++) {
        const ident_t  *d = &g->ids[ids[j]];

        if (d->kind == 'u' && d->hash < best_u) best_u = d->hash;
        if (d->hash < best) best = d->hash;
    }
    return best_u != UINT64_MAX ? best_u : best;
}


/* The profile id of o, in hex (hex: 17 bytes, NUL-terminated). */
static void
out_pid_hex(const commit_pack_t *c, const commit_out_t *o, char *hex)
{
    snprintf(hex, 17, "%016" PRIx64,
             commit_profile_id(c->g, &c->members[o->first], o->count));
}


/* The hashes that find o's record, into hashes[0 .. o->count + 1): its
 * ids', then its profile id's (hex: out_pid_hex).  Returns how many. */
static uint32_t
out_hashes(const commit_pack_t *c, const commit_out_t *o, const char *hex,
    uint64_t *hashes)
{
    uint32_t  j;

    for (j = 0; j < o->count; j++) {
        hashes[j] = c->g->ids[c->members[o->first + j]].hash;
    }
    hashes[o->count] = spoor_id_hash("p", hex, 16);
    return o->count + 1;
}


/* Packs outs[k] as the i-th profile of ch. */
static int
pack_one(const commit_pack_t *c, size_t sum_size, scratch_t *s, size_t k,
    chunk_t *ch, size_t i, uint64_t *hashes)
{
    const commit_out_t  *o = &c->outs[k];
    profile_t           *p = identity_held(c->g, o->root);
    stored_profile_t     rec;
    msgpack_packer       pk;
    char                 hex[17];
    size_t               before;
    uint32_t             j;

    /* the record: ids, state, and what is inferred as of now */
    memset(&rec, 0, sizeof(rec));
    out_pid_hex(c, o, hex);
    rec.id.ptr = hex;
    rec.id.len = 16;
    for (j = 0; j < o->count; j++) {
        uint32_t        id = c->members[o->first + j];

        s->sids[j].kind = c->g->ids[id].kind;
        s->sids[j].text.ptr = identity_text(c->g, id, s->texts[j],
                                            &s->sids[j].text.len);
    }
    ch->nhash[i] = c->ids_later ? 0 : out_hashes(c, o, hex, hashes);
    rec.ids = s->sids;
    rec.nids = o->count;
    rec.profile = p;
    if (p->nweights > s->ndec_cap) {
        stored_decayed_t  *a = realloc(s->dec, p->nweights * sizeof(*a));

        if (a == NULL) {
            return SPOOR_E_NOMEM;
        }
        s->dec = a;
        s->ndec_cap = p->nweights;
    }
    inferred_record(c->inf, p, &rec, s->dec, s->segs);
    figures_sub(&s->fig, p);            /* its record is this one now */
    figures_add_record(&s->fig, &rec, c->rules, c->keep_cells ? p : NULL);
    rec.next = inferred_next_change(c->clk, p, c->as_of);
    if (c->keep_cells) {
        p->next_change = rec.next;      /* (a child does not write the
                                           memory it shares) */
    }

    before = ch->rec.size;
    msgpack_packer_init(&pk, &ch->rec, msgpack_sbuffer_write);
    if (stored_profile_pack(&pk, &rec) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }
    ch->rec_len[i] = ch->rec.size - before;

    before = ch->srv.size;
    msgpack_packer_init(&pk, &ch->srv, msgpack_sbuffer_write);
    if (stored_serve_pack(&pk, &rec) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }
    ch->srv_len[i] = ch->srv.size - before;
    stored_serve_summary(&rec, c->rules, ch->sums + i * sum_size);
    if (c->drop_lists) {
        profile_drop_lists(p);          /* (rec points into them) */
    }
    return SPOOR_OK;
}


/* Packs chunk number n into ch. */
static int
pack_chunk(pack_t *pk, scratch_t *s, size_t n, chunk_t *ch)
{
    const commit_pack_t  *c = pk->c;
    size_t                k, i, end, need = 0;
    uint64_t             *h;
    int                   rc = SPOOR_OK;

    ch->rec.size = 0;
    ch->srv.size = 0;
    ch->n = 0;
    end = (n + 1) * COMMIT_CHUNK < c->nout ? (n + 1) * COMMIT_CHUNK
                                           : c->nout;
    /* the chunk's hash lists: its ids and each profile id (none when
     * the ids come later) */
    for (k = n * COMMIT_CHUNK; k < end && !c->ids_later; k++) {
        need += (size_t) c->outs[k].count + 1;
    }
    if (need > ch->hcap) {
        h = realloc(ch->hashes, need * sizeof(uint64_t));
        if (h == NULL) {
            return SPOOR_E_NOMEM;
        }
        ch->hashes = h;
        ch->hcap = need;
    }
    h = ch->hashes;
    for (k = n * COMMIT_CHUNK, i = 0; k < end && rc == SPOOR_OK; k++, i++) {
        rc = pack_one(c, pk->sum_size, s, k, ch, i, h);
        h = c->ids_later ? h : h + c->outs[k].count + 1;
    }
    ch->n = i;
    return rc == SPOOR_OK ? group_chunk(s, ch) : rc;
}


/* Hands a packed chunk to the writers: its groups to the snapshot's,
 * its serving records to the serving view's. */
static int
append_chunk(const chunk_t *ch, size_t sum_size, int ids_later,
    spoor_snapw_t *w, spoor_snapw_t *sw, spoor_snapw_t **failed)
{
    const unsigned char  *g = ch->groups;
    const unsigned char  *v = (const unsigned char *) ch->srv.data;
    const uint64_t       *h = ids_later ? NULL : ch->hashes;
    size_t                i, k, j;
    int                   rc;

    for (k = 0, i = 0; k < ch->ng; k++) {
        rc = spoor_snapw_add_group(w, g, ch->gsize[k], h,
                                   ids_later ? NULL : ch->nhash + i);
        if (rc != SPOOR_OK) {
            *failed = w;
            return rc;
        }
        for (j = 0; j < ch->gcount[k]; j++, i++) {
            rc = spoor_snapw_add_sum(sw, v, ch->srv_len[i], h, ch->nhash[i],
                                     ch->sums + i * sum_size);
            if (rc != SPOOR_OK) {
                *failed = sw;
                return rc;
            }
            v += ch->srv_len[i];
            h = ids_later ? NULL : h + ch->nhash[i];
        }
        g += ch->gsize[k];
    }
    return SPOOR_OK;
}


/* The helper: the odd chunks, each into its slot once the caller has
 * appended what was there. */
static void *
helper_main(void *arg)
{
    pack_t   *pk = arg;
    chunk_t  *ch;
    size_t    n;
    int       rc;

    for (n = 1; n < pk->nchunks; n += 2) {
        ch = &pk->slot[n % SLOTS];
        pthread_mutex_lock(&pk->mu);
        while (ch->packed && !pk->stop) {
            pthread_cond_wait(&pk->cv, &pk->mu);
        }
        if (pk->stop) {
            pthread_mutex_unlock(&pk->mu);
            break;
        }
        pthread_mutex_unlock(&pk->mu);

        rc = pack_chunk(pk, &pk->helper, n, ch);

        pthread_mutex_lock(&pk->mu);
        ch->rc = rc;
        ch->packed = 1;
        pthread_cond_broadcast(&pk->cv);
        pthread_mutex_unlock(&pk->mu);
        if (rc != SPOOR_OK) {
            break;
        }
    }
    return NULL;
}


int
commit_pack(const commit_pack_t *c, spoor_snapw_t *w, spoor_snapw_t *sw,
    figures_t *fig, spoor_snapw_t **failed)
{
    pack_t     pk;
    scratch_t  own;
    pthread_t  th;
    chunk_t   *ch;
    size_t     n, i;
    int        rc = SPOOR_OK, two = 0, werr = 0;

    *failed = NULL;
    memset(&pk, 0, sizeof(pk));
    pk.c = c;
    pk.sum_size = stored_serve_sum_size(c->rules);
    pk.nchunks = (c->nout + COMMIT_CHUNK - 1) / COMMIT_CHUNK;
    pthread_mutex_init(&pk.mu, NULL);
    pthread_cond_init(&pk.cv, NULL);

    if (scratch_init(&own, c) != SPOOR_OK) {
        rc = SPOOR_E_NOMEM;
    }
    for (i = 0; i < SLOTS && rc == SPOOR_OK; i++) {
        rc = chunk_init(&pk.slot[i], pk.sum_size);
    }
    if (rc == SPOOR_OK && c->jobs > 1 && pk.nchunks > 1
        && scratch_init(&pk.helper, c) == SPOOR_OK
        && quiet_thread_start(&th, helper_main, &pk) == 0)
    {
        two = 1;
    }

    for (n = 0; n < pk.nchunks && rc == SPOOR_OK; n++) {
        ch = &pk.slot[two ? n % SLOTS : 0];   /* alone: one slot */
        if (two && n % 2 == 1) {
            pthread_mutex_lock(&pk.mu);
            while (!ch->packed) {
                pthread_cond_wait(&pk.cv, &pk.mu);
            }
            pthread_mutex_unlock(&pk.mu);
            rc = ch->rc;
        } else {
            rc = pack_chunk(&pk, &own, n, ch);
        }
        if (rc == SPOOR_OK) {
            rc = append_chunk(ch, pk.sum_size, c->ids_later, w, sw, failed);
            werr = errno;               /* the writer's, kept for the caller */
        }
        pthread_mutex_lock(&pk.mu);
        ch->packed = 0;
        pthread_cond_broadcast(&pk.cv);
        pthread_mutex_unlock(&pk.mu);
    }

    if (two) {
        pthread_mutex_lock(&pk.mu);
        pk.stop = 1;
        pthread_cond_broadcast(&pk.cv);
        pthread_mutex_unlock(&pk.mu);
        pthread_join(th, NULL);
        figures_merge(fig, &pk.helper.fig);
    }
    figures_merge(fig, &own.fig);

    scratch_free(&pk.helper);
    scratch_free(&own);
    for (i = 0; i < SLOTS; i++) {
        chunk_free(&pk.slot[i]);
    }
    pthread_mutex_destroy(&pk.mu);
    pthread_cond_destroy(&pk.cv);
    if (*failed != NULL) {
        errno = werr;
    }
    return rc;
}


int
commit_pack_ids(const commit_pack_t *c, spoor_snapw_t *w)
{
    uint64_t  *h = malloc(((size_t) c->max_ids + 1) * sizeof(uint64_t));
    char       hex[17];
    size_t     k;
    int        rc = h != NULL ? SPOOR_OK : SPOOR_E_NOMEM;

    for (k = 0; k < c->nout && rc == SPOOR_OK; k++) {
        /* the ids are all over their array: those of a profile some
         * ahead are asked for while this one's are read */
        if (k + IDS_AHEAD < c->nout) {
            const commit_out_t  *o = &c->outs[k + IDS_AHEAD];
            uint32_t             j;

            for (j = 0; j < o->count && j < 4; j++) {
                __builtin_prefetch(&c->g->ids[c->members[o->first + j]]);
            }
        }
        out_pid_hex(c, &c->outs[k], hex);
        rc = spoor_snapw_ids(w, h, out_hashes(c, &c->outs[k], hex, h));
    }
    free(h);
    return rc;
}
