/*
 * redis_cluster.c -- a Redis Cluster client on hiredis 0.14
 * (redis_cluster.h).
 *
 * The client holds:
 *  - node[0 .. nnode): the masters of the slot map (host, port, and a
 *    connection or NULL), plus any node a redirection named since the map
 *    was last read.  Indices are stable between two map reads; a map read
 *    drops the nodes it no longer names (closing their connections) and
 *    renumbers the rest.
 *  - slot[s]: the index of slot s's master in node[], or RCL_NONE.  In
 *    single-node mode every slot is node 0.
 *  - seed[0 .. nseed): host and port only; asked for the map after every
 *    known node failed.
 *  - the key -> slot cache: open addressing on XXH64 of the key in a table
 *    of KEYCACHE_CAP entries, at most RCL_KEYCACHE_MAX used (half), emptied
 *    when full.  Keys are copied.
 *  - stale: the map is to be read again before the next command (after a
 *    MOVED, a network error, a slot without master), no sooner than
 *    RCL_REFRESH_MIN_MS after the last attempt.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <xxhash.h>
#include "mono_clock.h"
#include "redis_cluster.h"

#define RCL_NONE      0xffff
#define NODES_MAX     (RCL_NONE - 1)
#define HOST_MAX      255
#define KEYCACHE_CAP  (2 * RCL_KEYCACHE_MAX)

typedef struct {
    char          *host;
    int            port;
    redisContext  *ctx;             /* NULL: not connected */
} rcl_node_t;

typedef struct {
    char      *key;                 /* NULL: empty entry */
    size_t     len;
    uint64_t   hash;
    uint16_t   slot;
} rcl_keyslot_t;

struct rcl {
    struct timeval   tv;
    int              timeout_ms;
    rcl_node_t      *seed;
    size_t           nseed;
    rcl_node_t      *node;
    size_t           nnode, capnode;
    uint16_t         slot[RCL_SLOTS];
    uint16_t         newslot[RCL_SLOTS];    /* a map being read */
    int              stale;
    int64_t          refreshed_ms;
    rcl_keyslot_t    keys[KEYCACHE_CAP];
    size_t           nkeys;
    rcl_stats_t      st;
};


static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}


/*
 * SIGPIPE, blocked around each network call (hiredis 0.14 uses write(2)),
 * and one raised meanwhile discarded -- the way libpq does it.  When one
 * is pending already, it is the process's: nothing is touched.
 */
typedef struct {
    sigset_t  old;
    int       was_pending;
} sigpipe_guard_t;


static void
sigpipe_block(sigpipe_guard_t *g)
{
    sigset_t  pipe, pending;

    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
    if (!g->was_pending) {
        pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
    }
}


static void
sigpipe_restore(sigpipe_guard_t *g)
{
    sigset_t         pipe, pending;
    struct timespec  zero = { 0, 0 };

    if (g->was_pending) {
        return;
    }
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
        while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR) {
            /* again */
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}


/* ------------------------------------------------------------ nodes */

/* Splits "host:port" or "[host]:port"; 0, or -1 when malformed. */
static int
parse_hostport(const char *s, size_t len, char *host, size_t hostcap,
    int *port)
{
    const char  *colon = NULL, *h = s, *hend;
    size_t       i, hlen;
    long         p = 0;

    for (i = len; i > 0; i--) {
        if (s[i - 1] == ':') {
            colon = s + i - 1;
            break;
        }
    }
    if (colon == NULL || colon + 1 == s + len) {
        return -1;
    }
    hend = colon;
    if (len > 0 && s[0] == '[') {
        if (colon == s || colon[-1] != ']') {
            return -1;
        }
        h = s + 1;
        hend = colon - 1;
    }
    hlen = (size_t) (hend - h);
    if (hlen >= hostcap || memchr(h, '\0', hlen) != NULL) {
        return -1;
    }
    for (i = (size_t) (colon + 1 - s); i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || (p = p * 10 + (s[i] - '0')) > 65535) {
            return -1;
        }
    }
    if (p < 1) {
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int) p;
    return 0;
}


/* The index of host:port in node[], added when new; -1: out of memory. */
static int
node_find_or_add(rcl_t *c, const char *host, int port)
{
    size_t       i, cap;
    rcl_node_t  *nn;
    char        *h;

    for (i = 0; i < c->nnode; i++) {
        if (c->node[i].port == port && strcmp(c->node[i].host, host) == 0) {
            return (int) i;
        }
    }
    if (c->nnode == NODES_MAX) {
        return -1;
    }
    if (c->nnode == c->capnode) {
        cap = c->capnode ? c->capnode * 2 : 8;
        nn = realloc(c->node, cap * sizeof(*nn));
        if (nn == NULL) {
            return -1;
        }
        c->node = nn;
        c->capnode = cap;
    }
    if ((h = strdup(host)) == NULL) {
        return -1;
    }
    c->node[c->nnode].host = h;
    c->node[c->nnode].port = port;
    c->node[c->nnode].ctx = NULL;
    return (int) c->nnode++;
}


static void
node_disconnect(rcl_node_t *n)
{
    if (n->ctx != NULL) {
        redisFree(n->ctx);
        n->ctx = NULL;
    }
}


/* A connection to n, opened when there is none; NULL with err on failure. */
static redisContext *
node_connect(rcl_t *c, rcl_node_t *n, char *err, size_t errlen)
{
    redisContext  *ctx;

    if (n->ctx != NULL) {
        return n->ctx;
    }
    ctx = redisConnectWithTimeout(n->host, n->port, c->tv);
    if (ctx == NULL || ctx->err) {
        seterr(err, errlen, "%s:%d: cannot connect: %s", n->host, n->port,
               ctx ? ctx->errstr : "out of memory");
        goto fail;
    }
    if (redisSetTimeout(ctx, c->tv) != REDIS_OK) {
        seterr(err, errlen, "%s:%d: cannot set a timeout: %s", n->host,
               n->port, ctx->errstr);
        goto fail;
    }
    c->st.connects++;
    n->ctx = ctx;
    return ctx;

fail:
    if (ctx != NULL) {
        redisFree(ctx);
    }
    c->st.net_errors++;
    c->stale = 1;
    return NULL;
}


/*
 * One command on node i: its reply, or NULL with err when the node could
 * not be reached or did not answer in time (the connection is closed then,
 * and the map marked stale).
 */
static redisReply *
node_call(rcl_t *c, size_t i, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen)
{
    rcl_node_t       *n = &c->node[i];
    redisContext     *ctx;
    redisReply       *r;
    sigpipe_guard_t   g;
    int               e;

    sigpipe_block(&g);
    ctx = node_connect(c, n, err, errlen);
    r = ctx ? redisCommandArgv(ctx, argc, argv, argvlen) : NULL;
    e = errno;
    sigpipe_restore(&g);
    if (ctx == NULL) {
        return NULL;
    }
    if (r == NULL) {
        if (ctx->err == REDIS_ERR_IO && (e == EAGAIN || e == EWOULDBLOCK)) {
            seterr(err, errlen, "%s:%d: no answer within %d ms", n->host,
                   n->port, c->timeout_ms);
        } else {
            seterr(err, errlen, "%s:%d: %s", n->host, n->port,
                   ctx->errstr[0] ? ctx->errstr : "connection lost");
        }
        node_disconnect(n);
        c->st.net_errors++;
        c->stale = 1;
    }
    return r;
}


/* ------------------------------------------------------------ slot map */

/*
 * Installs newslot[] as the map and drops the nodes it does not name
 * (renumbering the rest); without memory for that, they are kept.
 */
static void
map_install(rcl_t *c)
{
    uint16_t  *remap = malloc(c->nnode * sizeof(*remap) + 1);
    size_t     i, j;

    if (remap != NULL) {
        for (i = 0; i < c->nnode; i++) {
            remap[i] = RCL_NONE;
        }
        for (i = 0; i < RCL_SLOTS; i++) {
            if (c->newslot[i] != RCL_NONE) {
                remap[c->newslot[i]] = 0;
            }
        }
        for (i = 0, j = 0; i < c->nnode; i++) {
            if (remap[i] == RCL_NONE) {
                node_disconnect(&c->node[i]);
                free(c->node[i].host);
                continue;
            }
            remap[i] = (uint16_t) j;
            c->node[j++] = c->node[i];
        }
        c->nnode = j;
    }
    for (i = 0; i < RCL_SLOTS; i++) {
        c->slot[i] = c->newslot[i] == RCL_NONE || remap == NULL
                     ? c->newslot[i] : remap[c->newslot[i]];
    }
    free(remap);
    c->stale = 0;
    c->st.refreshes++;
}


/*
 * Reads the map from node i: 0 when installed, -1 with err otherwise.
 * CLUSTER SLOTS: [[start, end, [host, port, id, ...], replicas...], ...];
 * an empty or unknown ("?", nil) host is the one asked.
 */
static int
map_read_from(rcl_t *c, size_t i, char *err, size_t errlen)
{
    static const char  *argv[] = { "CLUSTER", "SLOTS" };
    redisReply         *r, *e, *m;
    char                host[HOST_MAX + 1];
    size_t              k;
    long long           s, start, end, port;
    int                 idx;

    r = node_call(c, i, 2, argv, NULL, err, errlen);
    if (r == NULL) {
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR
        && strstr(r->str, "cluster support disabled") != NULL)
    {
        for (s = 0; s < RCL_SLOTS; s++) {
            c->newslot[s] = (uint16_t) i;
        }
        freeReplyObject(r);
        map_install(c);
        c->st.cluster = 0;
        return 0;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        seterr(err, errlen, "%s:%d: CLUSTER SLOTS: %s", c->node[i].host,
               c->node[i].port,
               r->type == REDIS_REPLY_ERROR ? r->str : "not an array");
        freeReplyObject(r);
        return -1;
    }
    for (s = 0; s < RCL_SLOTS; s++) {
        c->newslot[s] = RCL_NONE;
    }
    for (k = 0; k < r->elements; k++) {
        e = r->element[k];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3
            || e->element[0]->type != REDIS_REPLY_INTEGER
            || e->element[1]->type != REDIS_REPLY_INTEGER
            || e->element[2]->type != REDIS_REPLY_ARRAY
            || e->element[2]->elements < 2
            || e->element[2]->element[1]->type != REDIS_REPLY_INTEGER)
        {
            goto bad;
        }
        start = e->element[0]->integer;
        end = e->element[1]->integer;
        m = e->element[2];
        port = m->element[1]->integer;
        if (start < 0 || end < start || end >= RCL_SLOTS || port < 1
            || port > 65535)
        {
            goto bad;
        }
        if (m->element[0]->type == REDIS_REPLY_STRING
            && m->element[0]->len > HOST_MAX)
        {
            goto bad;
        }
        if (m->element[0]->type == REDIS_REPLY_STRING
            && m->element[0]->len > 0
            && strcmp(m->element[0]->str, "?") != 0)
        {
            memcpy(host, m->element[0]->str, m->element[0]->len);
            host[m->element[0]->len] = '\0';
        } else if (m->element[0]->type == REDIS_REPLY_STRING
                   || m->element[0]->type == REDIS_REPLY_NIL)
        {
            snprintf(host, sizeof(host), "%s", c->node[i].host);
        } else {
            goto bad;
        }
        if ((idx = node_find_or_add(c, host, (int) port)) < 0) {
            seterr(err, errlen, "out of memory");
            freeReplyObject(r);
            return -1;
        }
        for (s = start; s <= end; s++) {
            c->newslot[s] = (uint16_t) idx;
        }
    }
    freeReplyObject(r);
    map_install(c);
    c->st.cluster = 1;
    return 0;

bad:
    seterr(err, errlen, "%s:%d: CLUSTER SLOTS: unexpected reply",
           c->node[i].host, c->node[i].port);
    freeReplyObject(r);
    return -1;
}


/*
 * Reads the map from the first node that answers: connected nodes, then
 * the other known ones, then the seeds.  0, or -1 with the last reason in
 * err (the old map stays).
 */
static int
map_refresh(rcl_t *c, char *err, size_t errlen)
{
    size_t  i, known = c->nnode;
    int     pass, idx;

    c->refreshed_ms = mono_ms();
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < known; i++) {
            if ((pass == 0) == (c->node[i].ctx != NULL)
                && map_read_from(c, i, err, errlen) == 0)
            {
                return 0;
            }
        }
    }
    for (i = 0; i < c->nseed; i++) {
        idx = node_find_or_add(c, c->seed[i].host, c->seed[i].port);
        if (idx < 0) {
            seterr(err, errlen, "out of memory");
            return -1;
        }
        if ((size_t) idx >= known && map_read_from(c, idx, err, errlen) == 0) {
            return 0;
        }
    }
    return -1;
}


/* ------------------------------------------------------------ key slots */

static void
keycache_clear(rcl_t *c)
{
    size_t  i;

    for (i = 0; i < KEYCACHE_CAP; i++) {
        free(c->keys[i].key);
        c->keys[i].key = NULL;
    }
    c->nkeys = 0;
}


/*
 * The slot of key, from the cache or asked of a node (CLUSTER KEYSLOT, of
 * each known node in turn until one answers); -1 with err.
 */
static int
key_slot(rcl_t *c, const char *key, size_t keylen, char *err, size_t errlen)
{
    const char     *argv[3] = { "CLUSTER", "KEYSLOT", key };
    size_t          argvlen[3] = { 7, 7, keylen };
    uint64_t        h = XXH64(key, keylen, 0);
    size_t          j, i;
    int             pass, slot = -1;
    redisReply     *r = NULL;
    rcl_keyslot_t  *e;

    for (j = h & (KEYCACHE_CAP - 1); c->keys[j].key;
         j = (j + 1) & (KEYCACHE_CAP - 1))
    {
        e = &c->keys[j];
        if (e->hash == h && e->len == keylen
            && memcmp(e->key, key, keylen) == 0)
        {
            return e->slot;
        }
    }

    seterr(err, errlen, "no node to ask the slot of a key");
    for (pass = 0; pass < 2 && r == NULL; pass++) {
        for (i = 0; i < c->nnode && r == NULL; i++) {
            if ((pass == 0) == (c->node[i].ctx != NULL)) {
                r = node_call(c, i, 3, argv, argvlen, err, errlen);
            }
        }
    }
    if (r == NULL) {
        return -1;
    }
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0
        || r->integer >= RCL_SLOTS)
    {
        seterr(err, errlen, "CLUSTER KEYSLOT: %s",
               r->type == REDIS_REPLY_ERROR ? r->str : "not a slot");
        freeReplyObject(r);
        return -1;
    }
    slot = (int) r->integer;
    freeReplyObject(r);

    if (c->nkeys == RCL_KEYCACHE_MAX) {
        keycache_clear(c);
    }
    for (j = h & (KEYCACHE_CAP - 1); c->keys[j].key;
         j = (j + 1) & (KEYCACHE_CAP - 1))
    {
        /* probe */
    }
    e = &c->keys[j];
    if ((e->key = malloc(keylen ? keylen : 1)) != NULL) {
        memcpy(e->key, key, keylen);
        e->len = keylen;
        e->hash = h;
        e->slot = (uint16_t) slot;
        c->nkeys++;
    }
    return slot;
}


/* ------------------------------------------------------------ commands */

/*
 * "MOVED <slot> <host>:<port>" or "ASK ...": 0 with the parts, -1 when
 * malformed.  An empty host is the node that answered (nhost).
 */
static int
parse_redirect(const redisReply *r, int *ask, int *slot, char *host,
    size_t hostcap, int *port, const char *nhost)
{
    const char  *s = r->str, *end = r->str + r->len, *p;
    long         v = 0;

    if (r->len > 6 && memcmp(s, "MOVED ", 6) == 0) {
        *ask = 0;
        s += 6;
    } else if (r->len > 4 && memcmp(s, "ASK ", 4) == 0) {
        *ask = 1;
        s += 4;
    } else {
        return -1;
    }
    for (p = s; p < end && *p >= '0' && *p <= '9' && v < RCL_SLOTS; p++) {
        v = v * 10 + (*p - '0');
    }
    if (p == s || p == end || *p != ' ' || v >= RCL_SLOTS) {
        return -1;
    }
    *slot = (int) v;
    p++;
    if (parse_hostport(p, (size_t) (end - p), host, hostcap, port) != 0) {
        return -1;
    }
    if (host[0] == '\0') {
        if (strlen(nhost) >= hostcap) {
            return -1;
        }
        strcpy(host, nhost);
    }
    return 0;
}


static int
is_redirect(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR
           && ((r->len > 6 && memcmp(r->str, "MOVED ", 6) == 0)
               || (r->len > 4 && memcmp(r->str, "ASK ", 4) == 0));
}


redisReply *
rcl_command(rcl_t *c, const char *key, size_t keylen, int argc,
    const char **argv, const size_t *argvlen, char *err, size_t errlen)
{
    static const char  *asking[] = { "ASKING" };
    char                host[HOST_MAX + 1], nhost[HOST_MAX + 1];
    redisReply         *r;
    size_t              i, node;
    int                 redirects = 0, ask = 0, is_ask, slot, port, idx;

    seterr(err, errlen, "no error");
    if (c == NULL || argc < 1 || argv == NULL || (key == NULL && keylen)) {
        seterr(err, errlen, "invalid arguments");
        return NULL;
    }
    c->st.commands++;
    if (c->stale && mono_ms() - c->refreshed_ms >= RCL_REFRESH_MIN_MS) {
        (void) map_refresh(c, err, errlen);
    }

    if (c->nnode == 0) {
        c->stale = 1;
        seterr(err, errlen, "no known master (the slot map is empty)");
        return NULL;
    }
    if (key == NULL) {
        for (node = 0, i = 0; i < c->nnode; i++) {
            if (c->node[i].ctx != NULL) {
                node = i;
                break;
            }
        }
    } else if (!c->st.cluster) {
        node = 0;
    } else {
        if ((slot = key_slot(c, key, keylen, err, errlen)) < 0) {
            return NULL;
        }
        if (c->slot[slot] == RCL_NONE) {
            c->stale = 1;
            seterr(err, errlen, "slot %d has no master in the map", slot);
            return NULL;
        }
        node = c->slot[slot];
    }

    for ( ;; ) {
        if (ask) {
            r = node_call(c, node, 1, asking, NULL, err, errlen);
            if (r == NULL) {
                return NULL;
            }
            freeReplyObject(r);
        }
        r = node_call(c, node, argc, argv, argvlen, err, errlen);
        if (r == NULL || !is_redirect(r)) {
            return r;
        }
        snprintf(nhost, sizeof(nhost), "%s", c->node[node].host);
        if (parse_redirect(r, &is_ask, &slot, host, sizeof(host), &port,
                           nhost) != 0)
        {
            seterr(err, errlen, "%s:%d: bad redirection: %.*s",
                   c->node[node].host, c->node[node].port, (int) r->len,
                   r->str);
            freeReplyObject(r);
            return NULL;
        }
        if (redirects == RCL_MAX_REDIRECTS) {
            seterr(err, errlen, "more than %d redirections (last: %.*s)",
                   RCL_MAX_REDIRECTS, (int) r->len, r->str);
            freeReplyObject(r);
            return NULL;
        }
        freeReplyObject(r);
        redirects++;
        if ((idx = node_find_or_add(c, host, port)) < 0) {
            seterr(err, errlen, "out of memory");
            return NULL;
        }
        node = (size_t) idx;
        ask = is_ask;
        if (is_ask) {
            c->st.asked++;
        } else {
            c->slot[slot] = (uint16_t) idx;
            c->stale = 1;
            c->st.moved++;
        }
    }
}


/* ------------------------------------------------------------ open/close */

rcl_t *
rcl_open(const char *const *seeds, size_t nseeds, int timeout_ms, char *err,
    size_t errlen)
{
    rcl_t   *c;
    char     host[HOST_MAX + 1];
    size_t   i;
    int      port;

    seterr(err, errlen, "no error");
    if (seeds == NULL || nseeds == 0) {
        seterr(err, errlen, "no seed node");
        return NULL;
    }
    if (timeout_ms <= 0) {
        seterr(err, errlen, "the timeout must be positive (%d ms)",
               timeout_ms);
        return NULL;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL
        || (c->seed = calloc(nseeds, sizeof(*c->seed))) == NULL)
    {
        free(c);
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    c->timeout_ms = timeout_ms;
    c->tv.tv_sec = timeout_ms / 1000;
    c->tv.tv_usec = (timeout_ms % 1000) * 1000;
    for (i = 0; i < nseeds; i++) {
        if (seeds[i] == NULL
            || parse_hostport(seeds[i], strlen(seeds[i]), host, sizeof(host),
                              &port) != 0
            || host[0] == '\0')
        {
            seterr(err, errlen, "seed %zu: \"%s\" is not host:port", i + 1,
                   seeds[i] ? seeds[i] : "(null)");
            rcl_close(c);
            return NULL;
        }
        if ((c->seed[i].host = strdup(host)) == NULL) {
            seterr(err, errlen, "out of memory");
            rcl_close(c);
            return NULL;
        }
        c->seed[i].port = port;
        c->nseed++;
    }
    if (map_refresh(c, err, errlen) != 0) {
        rcl_close(c);
        return NULL;
    }
    return c;
}


rcl_stats_t
rcl_stats(const rcl_t *c)
{
    return c->st;
}


void
rcl_close(rcl_t *c)
{
    size_t  i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->nnode; i++) {
        node_disconnect(&c->node[i]);
        free(c->node[i].host);
    }
    for (i = 0; i < c->nseed; i++) {
        free(c->seed[i].host);
    }
    keycache_clear(c);
    free(c->node);
    free(c->seed);
    free(c);
}
