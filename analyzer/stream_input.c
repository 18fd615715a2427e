/*
 * stream_input.c -- the follower's input from the fleet's Redis streams
 * (stream_input.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "fleet.h"
#include "mono_clock.h"
#include "stream_input.h"

#define RETRY_MS   1000        /* a failed Redis, and the edges' list */
#define READ_BATCH 16          /* entries per XREADGROUP: a frame is
                                  about 50 KB, and at most a writer's
                                  largest (logreader.h) */
#define ACK_BATCH  256         /* IDs per XACK */

typedef struct {
    char             edge[FLEET_EDGE_MAX + 1];
    char             key[FLEET_KEY_MAX];
    char             name[FLEET_KEY_MAX + 8];   /* "redis:KEY", the lineage's */
    int              group_ready;
    int              backlog;       /* reading the pending list from cursor */
    fleet_id_t       cursor;
    fleet_id_t      *ids;           /* read, not acknowledged */
    size_t           nids, cids;
    ingest_input_t   acc;           /* read since the last commit */
    int              has_acc;
    uint64_t         entries;       /* read in all */
    int              said;          /* an error about it was said */
} stream_t;

struct stream_input_s {
    char            *csv;
    char             reader[FLEET_EDGE_MAX + 1];
    int              timeout_ms;
    rcl_t           *redis;          /* NULL: not connected */
    int              down_said;
    int64_t          retry_at, edges_at;
    stream_t        *s;
    size_t           n, cap;
    char             err[512];
};


stream_input_t *
stream_input_new(const char *csv, const char *reader, int timeout_ms)
{
    stream_input_t  *si = calloc(1, sizeof(*si));

    if (si == NULL || (si->csv = strdup(csv)) == NULL) {
        free(si);
        return NULL;
    }
    snprintf(si->reader, sizeof(si->reader), "%s", reader);
    si->timeout_ms = timeout_ms;
    return si;
}


/* Redis failed: said once per outage; reconnected in RETRY_MS. */
static void
failed(stream_input_t *si, const char *what)
{
    size_t  i;

    if (!si->down_said) {
        fprintf(stderr, "spoor ingest: Redis: %s: %s; retried every second, "
                "said once\n", what, si->err);
        si->down_said = 1;
    }
    rcl_close(si->redis);
    si->redis = NULL;
    si->retry_at = mono_ms() + RETRY_MS;
    si->edges_at = 0;
    for (i = 0; i < si->n; i++) {
        si->s[i].group_ready = 0;       /* it may have been lost */
    }
}


/* A command; NULL after failed() when Redis did not answer. */
static redisReply *
command(stream_input_t *si, const char *key, int argc, const char **argv,
    const size_t *argl, const char *what)
{
    redisReply  *r;

    r = rcl_command(si->redis, key, strlen(key), argc, argv, argl, si->err,
                    sizeof(si->err));
    if (r == NULL) {
        failed(si, what);
    }
    return r;
}


/* An error reply: said (as a failure) and freed. */
static void
error_reply(stream_input_t *si, redisReply *r, const char *what)
{
    snprintf(si->err, sizeof(si->err), "%s",
             r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    freeReplyObject(r);
    failed(si, what);
}


/* An error reply about one stream (a key of another type, ...): said
 * once until the stream works again, and freed; the other streams and
 * the connection go on. */
static void
stream_error(stream_t *st, redisReply *r, const char *what)
{
    if (!st->said) {
        fprintf(stderr, "spoor ingest: %s: %s: %s; skipped until it works "
                "(said once)\n", st->key, what,
                r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        st->said = 1;
    }
    freeReplyObject(r);
}


static int
add_stream(stream_input_t *si, const char *edge)
{
    stream_t  *st;
    size_t     i;

    for (i = 0; i < si->n; i++) {
        if (strcmp(si->s[i].edge, edge) == 0) {
            return SPOOR_OK;
        }
    }
    if (si->n == si->cap) {
        size_t     cap = si->cap ? 2 * si->cap : 8;
        stream_t  *a = realloc(si->s, cap * sizeof(stream_t));

        if (a == NULL) {
            return SPOOR_E_NOMEM;
        }
        si->s = a;
        si->cap = cap;
    }
    st = &si->s[si->n++];
    memset(st, 0, sizeof(*st));
    snprintf(st->edge, sizeof(st->edge), "%s", edge);
    (void) fleet_stream_key(edge, st->key);
    snprintf(st->name, sizeof(st->name), "redis:%s", st->key);
    st->backlog = 1;                    /* our pending entries first */
    return SPOOR_OK;
}


/* The edges' set: a stream for each edge not known yet. */
static int
find_edges(stream_input_t *si)
{
    const char  *argv[2] = { "SMEMBERS", FLEET_EDGES_KEY };
    redisReply  *r;
    size_t       i;
    int          rc = SPOOR_OK;

    r = command(si, FLEET_EDGES_KEY, 2, argv, NULL, "SMEMBERS");
    if (r == NULL) {
        return SPOOR_OK;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        error_reply(si, r, "SMEMBERS " FLEET_EDGES_KEY);
        return SPOOR_OK;
    }
    for (i = 0; i < r->elements && rc == SPOOR_OK; i++) {
        const redisReply  *e = r->element[i];

        if (e->type != REDIS_REPLY_STRING || e->len != strlen(e->str)
            || !fleet_name_valid(e->str))
        {
            continue;               /* not an edge a shipper registers */
        }
        rc = add_stream(si, e->str);
    }
    freeReplyObject(r);
    si->edges_at = mono_ms() + RETRY_MS;
    return rc;
}


static int
create_group(stream_input_t *si, stream_t *st)
{
    const char  *argv[6] = { "XGROUP", "CREATE", st->key, si->reader, "0",
                             "MKSTREAM" };
    redisReply  *r;

    r = command(si, st->key, 6, argv, NULL, "XGROUP CREATE");
    if (r == NULL) {
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0) {
        stream_error(st, r, "XGROUP CREATE");
        return -1;
    }
    freeReplyObject(r);
    st->group_ready = 1;
    return 0;
}


static int
remember(stream_t *st, fleet_id_t id)
{
    if (st->nids == st->cids) {
        size_t       cap = st->cids ? 2 * st->cids : 1024;
        fleet_id_t  *a = realloc(st->ids, cap * sizeof(fleet_id_t));

        if (a == NULL) {
            return SPOOR_E_NOMEM;
        }
        st->ids = a;
        st->cids = cap;
    }
    st->ids[st->nids++] = id;
    return SPOOR_OK;
}


/* Folds one entry's frame. */
static int
fold_entry(stream_t *st, ingest_t *in, const redisReply *fields)
{
    ingest_input_t   r;
    size_t           i;
    int              rc;

    for (i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply  *k = fields->element[i], *v = fields->element[i + 1];

        if (k->type != REDIS_REPLY_STRING || strcmp(k->str, "frame") != 0
            || v->type != REDIS_REPLY_STRING)
        {
            continue;
        }
        r.checksum = st->has_acc ? st->acc.checksum : 0;
        rc = ingest_mem(in, v->str, v->len, st->name, INGEST_CHAIN, &r);
        if (rc != SPOOR_OK) {
            return rc;
        }
        if (!st->has_acc) {
            st->acc = r;
            st->has_acc = 1;
        } else {
            st->acc.size += r.size;
            st->acc.checksum = r.checksum;
            st->acc.frames += r.frames;
            st->acc.records += r.records;
            st->acc.new_frames += r.new_frames;
            st->acc.new_records += r.new_records;
            st->acc.damaged |= r.damaged;
        }
        return SPOOR_OK;
    }
    return SPOOR_OK;                /* no frame: nothing to fold */
}


/* One XREADGROUP; *got: entries read.  SPOOR_OK or SPOOR_E_NOMEM. */
static int
read_some(stream_input_t *si, stream_t *st, ingest_t *in, size_t *got)
{
    char         from[FLEET_ID_MAX], count[16];
    const char  *argv[9] = { "XREADGROUP", "GROUP", si->reader, si->reader,
                             "COUNT", count, "STREAMS", st->key, from };
    redisReply  *r, *entries;
    fleet_id_t   id;
    size_t       i;
    int          rc = SPOOR_OK;

    *got = 0;
    snprintf(count, sizeof(count), "%d", READ_BATCH);
    if (st->backlog) {
        fleet_id_format(st->cursor, from);
    } else {
        snprintf(from, sizeof(from), ">");
    }
    r = command(si, st->key, 9, argv, NULL, "XREADGROUP");
    if (r == NULL) {
        return SPOOR_OK;
    }
    if (r->type == REDIS_REPLY_NIL) {
        freeReplyObject(r);
        st->backlog = 0;
        return SPOOR_OK;
    }
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0) {
        /* lost (a failover, the stream deleted): made again and the
         * stream read from its start; what was applied is skipped */
        fprintf(stderr, "spoor ingest: %s: group %s gone: created again\n",
                st->key, si->reader);
        freeReplyObject(r);
        st->group_ready = 0;
        st->backlog = 1;
        memset(&st->cursor, 0, sizeof(st->cursor));
        return SPOOR_OK;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1
        || r->element[0]->type != REDIS_REPLY_ARRAY
        || r->element[0]->elements != 2
        || r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
    {
        stream_error(st, r, "XREADGROUP");
        return SPOOR_OK;
    }
    st->said = 0;
    entries = r->element[0]->element[1];
    for (i = 0; i < entries->elements && rc == SPOOR_OK; i++) {
        const redisReply  *e = entries->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
            || e->element[0]->type != REDIS_REPLY_STRING
            || fleet_id_parse(e->element[0]->str, e->element[0]->len, &id))
        {
            continue;
        }
        if (e->element[1]->type == REDIS_REPLY_ARRAY) {
            rc = fold_entry(st, in, e->element[1]);
        }                           /* nil: trimmed while pending */
        if (rc == SPOOR_OK) {
            rc = remember(st, id);
        }
        st->cursor = id;
        st->entries++;
    }
    *got = entries->elements;
    if (st->backlog && entries->elements == 0) {
        st->backlog = 0;            /* the pending list is read: new ones */
    }
    freeReplyObject(r);
    return rc;
}


int
stream_input_poll(stream_input_t *si, ingest_t *in)
{
    size_t   i, got, total;
    int64_t  now = mono_ms();
    int      rc;

    if (si->redis == NULL) {
        if (now < si->retry_at) {
            return SPOOR_OK;
        }
        si->redis = fleet_connect(si->csv, si->timeout_ms, si->err,
                                  sizeof(si->err));
        if (si->redis == NULL) {
            failed(si, "connect");
            return SPOOR_OK;
        }
        if (si->down_said) {
            fprintf(stderr, "spoor ingest: Redis answers again\n");
            si->down_said = 0;
        }
    }
    if (now >= si->edges_at) {
        rc = find_edges(si);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    for (i = 0; i < si->n && si->redis != NULL; i++) {
        stream_t  *st = &si->s[i];

        if (!st->group_ready && create_group(si, st) != 0) {
            continue;               /* said; the others go on */
        }
        total = 0;
        do {
            rc = read_some(si, st, in, &got);
            if (rc != SPOOR_OK) {
                return rc;
            }
            total += got;
        } while (si->redis != NULL && st->group_ready
                 && (got == READ_BATCH || (st->backlog && got > 0))
                 && total < STREAM_READ_MAX);
    }
    return SPOOR_OK;
}


int
stream_input_unacked(const stream_input_t *si)
{
    size_t  i;

    for (i = 0; i < si->n; i++) {
        if (si->s[i].nids) {
            return 1;
        }
    }
    return 0;
}


/* XACK of st's IDs; 0, or -1 after failed(). */
static int
ack(stream_input_t *si, stream_t *st)
{
    const char  *argv[3 + ACK_BATCH];
    char         ids[ACK_BATCH][FLEET_ID_MAX];
    redisReply  *r;
    size_t       done = 0, k;

    argv[0] = "XACK";
    argv[1] = st->key;
    argv[2] = si->reader;
    while (done < st->nids) {
        for (k = 0; k < ACK_BATCH && done + k < st->nids; k++) {
            fleet_id_format(st->ids[done + k], ids[k]);
            argv[3 + k] = ids[k];
        }
        r = command(si, st->key, (int) (3 + k), argv, NULL, "XACK");
        if (r == NULL) {
            break;
        }
        if (r->type != REDIS_REPLY_INTEGER) {
            stream_error(st, r, "XACK");
            break;
        }
        freeReplyObject(r);
        done += k;
    }
    /* what was acknowledged is forgotten; the rest is tried again */
    memmove(st->ids, st->ids + done, (st->nids - done) * sizeof(fleet_id_t));
    st->nids -= done;
    return st->nids ? -1 : 0;
}


/* XTRIM at the committed frontier: what every reader committed. */
static void
trim(stream_input_t *si, stream_t *st)
{
    char         id[FLEET_ID_MAX];
    const char  *argv[4] = { "XTRIM", st->key, "MINID", id };
    fleet_id_t   fr;
    unsigned     groups;
    redisReply  *r;

    if (fleet_frontier(si->redis, st->key, &fr, &groups, si->err,
                       sizeof(si->err)) != SPOOR_OK)
    {
        /* not trimmed this time: the next commit tries again (a lost
         * connection shows at the next command) */
        if (!st->said) {
            fprintf(stderr, "spoor ingest: %s: %s (said once)\n", st->key,
                    si->err);
            st->said = 1;
        }
        return;
    }
    if (groups == 0) {
        return;
    }
    fleet_id_format(fr, id);
    r = command(si, st->key, 4, argv, NULL, "XTRIM");
    if (r != NULL && r->type != REDIS_REPLY_INTEGER) {
        stream_error(st, r, "XTRIM");
        return;
    }
    freeReplyObject(r);
}


void
stream_input_committed(stream_input_t *si)
{
    size_t  i;

    for (i = 0; i < si->n; i++) {
        stream_t  *st = &si->s[i];

        st->has_acc = 0;
        if (st->nids == 0 || si->redis == NULL) {
            continue;
        }
        if (ack(si, st) == 0 && si->redis != NULL) {
            trim(si, st);
        }
    }
}


void
stream_input_lineage(stream_input_t *si, json_out_t *j)
{
    size_t  i;

    for (i = 0; i < si->n; i++) {
        if (si->s[i].has_acc) {
            si->s[i].acc.path = si->s[i].name;
            ingest_lineage_input(j, &si->s[i].acc);
        }
    }
}


void
stream_input_status(const stream_input_t *si, json_out_t *j)
{
    size_t  i;

    json_out_cstr(j, "redis_connected");
    json_out_bool(j, si->redis != NULL);
    json_out_cstr(j, "streams");
    json_out_array_open(j);
    for (i = 0; i < si->n; i++) {
        json_out_map_open(j);
        json_out_cstr(j, "edge");
        json_out_cstr(j, si->s[i].edge);
        json_out_cstr(j, "stream");
        json_out_cstr(j, si->s[i].key);
        json_out_cstr(j, "entries");
        json_out_uint(j, si->s[i].entries);
        json_out_cstr(j, "unacked");
        json_out_uint(j, si->s[i].nids);
        json_out_map_close(j);
    }
    json_out_array_close(j);
}


void
stream_input_reset(stream_input_t *si)
{
    size_t  i;

    for (i = 0; i < si->n; i++) {
        si->s[i].has_acc = 0;
        si->s[i].nids = 0;
        si->s[i].backlog = 1;       /* still pending in Redis: read again */
        memset(&si->s[i].cursor, 0, sizeof(si->s[i].cursor));
    }
}


void
stream_input_free(stream_input_t *si)
{
    size_t  i;

    if (si == NULL) {
        return;
    }
    for (i = 0; i < si->n; i++) {
        free(si->s[i].ids);
    }
    free(si->s);
    rcl_close(si->redis);
    free(si->csv);
    free(si);
}
