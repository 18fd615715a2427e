/*
 * fleet.c -- the fleet's Redis layout: names, IDs, the committed frontier
 * (fleet.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "fleet.h"


int
fleet_name_valid(const char *name)
{
    size_t  n = strlen(name);

    return n > 0 && n <= FLEET_EDGE_MAX
           && strspn(name, "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}


size_t
fleet_stream_key(const char *edge, char *buf)
{
    return (size_t) snprintf(buf, FLEET_KEY_MAX, "spoor:{%s}:frames", edge);
}


size_t
fleet_serve_key(const char *reader, const char *what, char *buf)
{
    return (size_t) snprintf(buf, FLEET_SERVE_KEY_MAX, "spoor:serve:%s:%s",
                             reader, what);
}


size_t
fleet_serve_file_key(const char *reader, uint32_t gen, char *buf)
{
    return (size_t) snprintf(buf, FLEET_SERVE_KEY_MAX,
                             "spoor:serve:%s:%" PRIu32, reader, gen);
}


size_t
fleet_serve_part_key(const char *reader, uint32_t gen, uint32_t part,
    char *buf)
{
    return (size_t) snprintf(buf, FLEET_SERVE_KEY_MAX,
                             "spoor:serve:%s:%" PRIu32 ":%" PRIu32, reader,
                             gen, part);
}


int
fleet_gen_in(const uint32_t *list, size_t n, uint32_t gen)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (list[i] == gen) {
            return 1;
        }
    }
    return 0;
}


static int parse_u64(const char *s, size_t len, uint64_t *v);


int
fleet_serve_gen_parse(const char *s, size_t len, uint32_t *gen)
{
    uint64_t  v;

    if (parse_u64(s, len, &v) != 0 || v == 0 || v > UINT32_MAX) {
        return -1;
    }
    *gen = (uint32_t) v;
    return 0;
}


static int
parse_u64(const char *s, size_t len, uint64_t *v)
{
    uint64_t  x = 0;
    size_t    i;

    if (len == 0 || len > 20) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned  d = (unsigned char) s[i] - '0';

        if (d > 9 || x > (UINT64_MAX - d) / 10) {
            return -1;
        }
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}


int
fleet_id_parse(const char *s, size_t len, fleet_id_t *id)
{
    const char  *dash = memchr(s, '-', len);

    if (dash == NULL) {
        return -1;
    }
    return parse_u64(s, (size_t) (dash - s), &id->ms) == 0
           && parse_u64(dash + 1, len - (size_t) (dash - s) - 1, &id->seq) == 0
           ? 0 : -1;
}


void
fleet_id_format(fleet_id_t id, char *buf)
{
    snprintf(buf, FLEET_ID_MAX, "%" PRIu64 "-%" PRIu64, id.ms, id.seq);
}


int
fleet_id_cmp(fleet_id_t a, fleet_id_t b)
{
    if (a.ms != b.ms) {
        return a.ms < b.ms ? -1 : 1;
    }
    return (a.seq > b.seq) - (a.seq < b.seq);
}


fleet_id_t
fleet_id_next(fleet_id_t id)
{
    if (id.seq == UINT64_MAX) {
        id.ms++;
        id.seq = 0;
    } else {
        id.seq++;
    }
    return id;
}


rcl_t *
fleet_connect(const char *csv, int timeout_ms, char *err, size_t errlen)
{
    char         *copy, *p, *save = NULL;
    const char   *seeds[64];
    size_t        n = 0;
    rcl_t        *c;

    copy = strdup(csv);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (p = strtok_r(copy, ",", &save); p != NULL && n < 64;
         p = strtok_r(NULL, ",", &save))
    {
        seeds[n++] = p;
    }
    if (p != NULL) {
        snprintf(err, errlen, "more than 64 Redis seeds");
        free(copy);
        return NULL;
    }
    c = rcl_open(seeds, n, timeout_ms, err, errlen);   /* copies them */
    free(copy);
    return c;
}


/* The member named name of a flat key-value array reply; NULL if none. */
static const redisReply *
member(const redisReply *r, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < r->elements; i += 2) {
        const redisReply  *k = r->element[i];

        if ((k->type == REDIS_REPLY_STRING || k->type == REDIS_REPLY_STATUS)
            && strcmp(k->str, name) == 0)
        {
            return r->element[i + 1];
        }
    }
    return NULL;
}


/* The lowest pending ID of a group (XPENDING's summary). */
static int
lowest_pending(rcl_t *c, const char *key, const char *group, fleet_id_t *id,
    char *err, size_t errlen)
{
    const char  *argv[3] = { "XPENDING", key, group };
    redisReply  *r;
    int          rc = SPOOR_E_IO;

    r = rcl_command(c, key, strlen(key), 3, argv, NULL, err, errlen);
    if (r == NULL) {
        return SPOOR_E_IO;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2
        && r->element[1]->type == REDIS_REPLY_STRING
        && fleet_id_parse(r->element[1]->str, r->element[1]->len, id) == 0)
    {
        rc = SPOOR_OK;
    } else {
        snprintf(err, errlen, "XPENDING %s %s: %s", key, group,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    }
    freeReplyObject(r);
    return rc;
}


int
fleet_frontier(rcl_t *c, const char *key, fleet_id_t *frontier,
    unsigned *groups, char *err, size_t errlen)
{
    const char  *argv[3] = { "XINFO", "GROUPS", key };
    redisReply  *r;
    fleet_id_t   least = { UINT64_MAX, UINT64_MAX }, at;
    size_t       i;
    int          rc = SPOOR_OK;

    frontier->ms = frontier->seq = 0;
    *groups = 0;
    r = rcl_command(c, key, strlen(key), 3, argv, NULL, err, errlen);
    if (r == NULL) {
        return SPOOR_E_IO;
    }
    if (r->type == REDIS_REPLY_ERROR && strstr(r->str, "no such key")) {
        freeReplyObject(r);
        return SPOOR_OK;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, errlen, "XINFO GROUPS %s: %s", key,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        freeReplyObject(r);
        return SPOOR_E_IO;
    }
    for (i = 0; i < r->elements && rc == SPOOR_OK; i++) {
        const redisReply  *g = r->element[i], *name, *pending, *last;

        if (g->type != REDIS_REPLY_ARRAY
            || (name = member(g, "name")) == NULL
            || name->type != REDIS_REPLY_STRING
            || (pending = member(g, "pending")) == NULL
            || pending->type != REDIS_REPLY_INTEGER
            || (last = member(g, "last-delivered-id")) == NULL
            || last->type != REDIS_REPLY_STRING
            || fleet_id_parse(last->str, last->len, &at) != 0)
        {
            snprintf(err, errlen, "XINFO GROUPS %s: unexpected reply", key);
            rc = SPOOR_E_IO;
            break;
        }
        if (pending->integer > 0) {
            rc = lowest_pending(c, key, name->str, &at, err, errlen);
        } else {
            at = fleet_id_next(at);
        }
        if (fleet_id_cmp(at, least) < 0) {
            least = at;
        }
        (*groups)++;
    }
    freeReplyObject(r);
    if (rc == SPOOR_OK && *groups) {
        *frontier = least;
    }
    return rc;
}
