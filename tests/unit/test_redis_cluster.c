/*
 * test_redis_cluster.c -- the Redis Cluster client (analyzer/
 * redis_cluster.h) against real servers: keys routed to their masters, a
 * moved slot (MOVED), a slot being migrated (ASK), a redirection loop cut
 * short, a killed and a stopped master (an error within the timeout, never
 * a hang), a restarted master (reconnect), a server without cluster
 * support, a dead seed first, a reset connection (no SIGPIPE), bad input.
 *
 * Each test that needs a cluster starts three masters (redis_run.h: no
 * replicas) and waits until each says cluster_state:ok.
 */
#include "redis_run.h"
#include "redis_cluster.h"

TestSuite(redis_cluster, .init = setup, .fini = teardown, .timeout = 30);


/* ------------------------------------------------------------ helpers */

static rcl_t *
open_on(int port, int timeout_ms)
{
    char         seed[32], err[256];
    const char  *seeds[1] = { seed };
    rcl_t       *c;

    snprintf(seed, sizeof(seed), "127.0.0.1:%d", port);
    c = rcl_open(seeds, 1, timeout_ms, err, sizeof(err));
    cr_assert_not_null(c, "rcl_open %s: %s", seed, err);
    return c;
}


/* SET key value through the client (asserted). */
static void
rset(rcl_t *c, const char *key, const char *value)
{
    const char  *argv[3] = { "SET", key, value };
    size_t       argvlen[3] = { 3, strlen(key), strlen(value) };
    char         err[256];
    redisReply  *r;

    r = rcl_command(c, key, strlen(key), 3, argv, argvlen, err, sizeof(err));
    cr_assert_not_null(r, "SET %s: %s", key, err);
    cr_assert(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0,
              "SET %s: %s", key, r->str ? r->str : "?");
    freeReplyObject(r);
}


/* GET key through the client; the reply (or NULL with err). */
static redisReply *
rget(rcl_t *c, const char *key, char *err, size_t errlen)
{
    const char  *argv[2] = { "GET", key };
    size_t       argvlen[2] = { 3, strlen(key) };

    return rcl_command(c, key, strlen(key), 2, argv, argvlen, err, errlen);
}


static void
rget_eq(rcl_t *c, const char *key, const char *want)
{
    char         err[256];
    redisReply  *r = rget(c, key, err, sizeof(err));

    cr_assert_not_null(r, "GET %s: %s", key, err);
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "GET %s: type %d %s", key,
                 r->type, r->str ? r->str : "");
    cr_assert_str_eq(r->str, want, "GET %s", key);
    freeReplyObject(r);
}


static int
key_slot(const char *key)
{
    redisReply  *r = cmd(srv[0].port, "CLUSTER KEYSLOT %s", key);
    int          slot;

    cr_assert(r && r->type == REDIS_REPLY_INTEGER);
    slot = (int) r->integer;
    freeReplyObject(r);
    return slot;
}


/*
 * The index in srv[] of the master of slot, from CLUSTER NODES as seen by
 * srv[0]: "<id> <ip>:<port>@<bus> <flags> <master> <ping> <pong> <epoch>
 * <link> <slot or range>...".
 */
static int
slot_owner(int slot)
{
    redisReply  *r = cmd(srv[0].port, "CLUSTER NODES");
    char        *line, *save = NULL, *tok, *save2, *addr;
    int          i, f, port = -1, lo, hi, owner = -1;

    cr_assert(r && r->type == REDIS_REPLY_STRING);
    for (line = strtok_r(r->str, "\n", &save); line && owner < 0;
         line = strtok_r(NULL, "\n", &save))
    {
        save2 = NULL;
        for (f = 0, tok = strtok_r(line, " ", &save2); tok;
             f++, tok = strtok_r(NULL, " ", &save2))
        {
            if (f == 1) {
                addr = strchr(tok, ':');
                port = addr ? atoi(addr + 1) : -1;
            } else if (f >= 8 && tok[0] != '[') {
                lo = atoi(tok);
                hi = strchr(tok, '-') ? atoi(strchr(tok, '-') + 1) : lo;
                if (slot >= lo && slot <= hi) {
                    owner = port;
                }
            }
        }
    }
    freeReplyObject(r);
    for (i = 0; i < NSRV; i++) {
        if (srv[i].port == owner) {
            return i;
        }
    }
    cr_assert_fail("slot %d has no master in CLUSTER NODES", slot);
    return -1;
}


/* A key whose master is srv[want] (asserted found). */
static void
key_on(int want, char *key, size_t keylen)
{
    int  i;

    for (i = 0; i < 1000; i++) {
        snprintf(key, keylen, "key-%d-%d", want, i);
        if (slot_owner(key_slot(key)) == want) {
            return;
        }
    }
    cr_assert_fail("no key found on server %d", want);
}


/* ------------------------------------------------------------ tests */

Test(redis_cluster, keys_land_on_their_masters)
{
    rcl_t        *c;
    rcl_stats_t   st;
    char          key[32], val[32], got[64];
    long long     total = 0, n;
    int           i, on[NSRV] = { 0 };
    redisReply   *r;

    cluster_start();
    c = open_on(srv[1].port, TIMEOUT_MS);
    for (i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        rset(c, key, val);
    }
    for (i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "v%d", i);
        rget_eq(c, key, val);
        /* stored on the master CLUSTER NODES names for its slot */
        n = slot_owner(key_slot(key));
        on[n]++;
        cmd_str(got, sizeof(got), srv[n].port, "GET %s", key);
        cr_assert_str_eq(got, val);
    }
    for (i = 0; i < NSRV; i++) {
        r = cmd(srv[i].port, "DBSIZE");
        cr_assert(r && r->type == REDIS_REPLY_INTEGER);
        cr_assert_eq(r->integer, on[i], "server %d holds %lld keys, not %d",
                     i, r->integer, on[i]);
        cr_assert_gt(on[i], 0);
        total += r->integer;
        freeReplyObject(r);
    }
    cr_assert_eq(total, 200);
    /* past the key cache (emptied when full): still routed straight */
    for (i = 0; i < RCL_KEYCACHE_MAX + 100; i++) {
        snprintf(key, sizeof(key), "absent%d", i);
        r = rget(c, key, got, sizeof(got));
        cr_assert(r && r->type == REDIS_REPLY_NIL, "GET %s: %s", key,
                  r ? "not nil" : got);
        freeReplyObject(r);
    }
    st = rcl_stats(c);
    cr_assert_eq(st.cluster, 1);
    cr_assert_eq(st.moved + st.asked, 0, "no redirection expected");
    cr_assert_eq(st.connects, NSRV, "one connection per master, kept");
    rcl_close(c);
}


/* The node ids of the servers (CLUSTER MYID). */
static void
node_ids(char id[NSRV][64])
{
    int  i;

    for (i = 0; i < NSRV; i++) {
        cmd_str(id[i], 64, srv[i].port, "CLUSTER MYID");
    }
}


/* Starts migrating slot from srv[src] to srv[dst] and moves key there. */
static void
migrate_key(int slot, const char *key, int src, int dst, char id[NSRV][64])
{
    cmd_ok(srv[dst].port, "CLUSTER SETSLOT %d IMPORTING %s", slot, id[src]);
    cmd_ok(srv[src].port, "CLUSTER SETSLOT %d MIGRATING %s", slot, id[dst]);
    cmd_ok(srv[src].port, "MIGRATE 127.0.0.1 %d %s 0 5000", srv[dst].port,
           key);
}


Test(redis_cluster, moved_slot_is_followed_with_one_redirection)
{
    rcl_t        *c;
    rcl_stats_t   st;
    char          key[32], id[NSRV][64], got[64];
    int           slot, src, dst, i;

    cluster_start();
    node_ids(id);
    c = open_on(srv[0].port, TIMEOUT_MS);
    snprintf(key, sizeof(key), "moving");
    rset(c, key, "before");
    slot = key_slot(key);
    src = slot_owner(slot);
    dst = (src + 1) % NSRV;

    migrate_key(slot, key, src, dst, id);
    cmd_ok(srv[dst].port, "CLUSTER SETSLOT %d NODE %s", slot, id[dst]);
    for (i = 0; i < NSRV; i++) {
        if (i != dst) {
            cmd_ok(srv[i].port, "CLUSTER SETSLOT %d NODE %s", slot, id[dst]);
        }
    }

    rget_eq(c, key, "before");
    st = rcl_stats(c);
    cr_assert_eq(st.moved, 1, "moved %llu", (unsigned long long) st.moved);
    cr_assert_eq(st.asked, 0);

    /* the map knows now: no more redirections, writes land on dst */
    rset(c, key, "after");
    rget_eq(c, key, "after");
    cmd_str(got, sizeof(got), srv[dst].port, "GET %s", key);
    cr_assert_str_eq(got, "after");
    sleep_ms(RCL_REFRESH_MIN_MS + 20);
    rget_eq(c, key, "after");
    st = rcl_stats(c);
    cr_assert_eq(st.moved, 1, "moved %llu", (unsigned long long) st.moved);
    rcl_close(c);
}


Test(redis_cluster, ask_during_migration_is_followed_without_changing_map)
{
    rcl_t        *c;
    rcl_stats_t   st;
    char          key[32], other[32], id[NSRV][64], err[256];
    int           slot, src, dst;
    int64_t       t0;
    redisReply   *r;

    cluster_start();
    node_ids(id);
    c = open_on(srv[0].port, TIMEOUT_MS);
    /* two keys of one slot: one migrated, one not */
    snprintf(key, sizeof(key), "{tag}migrated");
    snprintf(other, sizeof(other), "{tag}stays");
    rset(c, key, "v1");
    rset(c, other, "v2");
    slot = key_slot(key);
    src = slot_owner(slot);
    dst = (src + 1) % NSRV;
    migrate_key(slot, key, src, dst, id);

    rget_eq(c, key, "v1");
    st = rcl_stats(c);
    cr_assert_eq(st.asked, 1, "asked %llu", (unsigned long long) st.asked);
    cr_assert_eq(st.moved, 0);
    /* the slot stays with src in the map: asked again, other one direct */
    rget_eq(c, key, "v1");
    rget_eq(c, other, "v2");
    st = rcl_stats(c);
    cr_assert_eq(st.asked, 2, "asked %llu", (unsigned long long) st.asked);
    cr_assert_eq(st.moved, 0);

    /* dst no longer importing: src says ASK, dst says MOVED back to src,
     * and so on -- cut after RCL_MAX_REDIRECTS, with an error */
    cmd_ok(srv[dst].port, "CLUSTER SETSLOT %d STABLE", slot);
    t0 = now_ms();
    r = rget(c, key, err, sizeof(err));
    cr_assert_null(r);
    cr_assert(strstr(err, "redirections") != NULL, "err: %s", err);
    cr_assert_lt(now_ms() - t0, 2000);
    rcl_close(c);
}


Test(redis_cluster, killed_master_fails_within_the_timeout)
{
    rcl_t        *c;
    rcl_stats_t   st;
    char          key[32], live[32], err[256];
    int64_t       t0;
    int           i;
    redisReply   *r;

    cluster_start();
    key_on(2, key, sizeof(key));
    key_on(1, live, sizeof(live));
    c = open_on(srv[0].port, TIMEOUT_MS);
    rset(c, key, "x");
    rset(c, live, "y");
    srv_kill(&srv[2]);

    /* on the open connection, then on a fresh one (refused) */
    for (i = 0; i < 2; i++) {
        t0 = now_ms();
        r = rget(c, key, err, sizeof(err));
        cr_assert_null(r, "a reply from a killed master");
        cr_assert_lt(now_ms() - t0, TIMEOUT_MS + MARGIN_MS, "took %lld ms: %s",
                     (long long) (now_ms() - t0), err);
        cr_assert(strstr(err, "127.0.0.1:") != NULL, "err: %s", err);
        sleep_ms(RCL_REFRESH_MIN_MS + 20);
    }
    /* the other masters still serve */
    rget_eq(c, live, "y");
    st = rcl_stats(c);
    cr_assert_geq(st.net_errors, 2);
    rcl_close(c);
}


Test(redis_cluster, stopped_master_times_out_and_others_still_serve)
{
    rcl_t        *c;
    char          key[32], live[32], err[256];
    int64_t       t0, took;
    redisReply   *r;

    cluster_start();
    key_on(0, key, sizeof(key));
    key_on(1, live, sizeof(live));
    c = open_on(srv[1].port, TIMEOUT_MS);
    rset(c, key, "x");
    rset(c, live, "y");
    kill(srv[0].pid, SIGSTOP);

    t0 = now_ms();
    r = rget(c, key, err, sizeof(err));
    took = now_ms() - t0;
    cr_assert_null(r, "a reply from a stopped master");
    cr_assert_geq(took, TIMEOUT_MS - 50, "took %lld ms", (long long) took);
    cr_assert_lt(took, TIMEOUT_MS + MARGIN_MS, "took %lld ms: %s",
                 (long long) took, err);
    cr_assert(strstr(err, "no answer within") != NULL, "err: %s", err);

    t0 = now_ms();
    rget_eq(c, live, "y");
    cr_assert_lt(now_ms() - t0, TIMEOUT_MS + MARGIN_MS);
    rcl_close(c);
}


Test(redis_cluster, restarted_master_is_reconnected)
{
    rcl_t        *c;
    rcl_stats_t   st;
    char          key[32], err[256];
    redisReply   *r;
    int           port;

    cluster_start();
    key_on(2, key, sizeof(key));
    c = open_on(srv[0].port, TIMEOUT_MS);
    rset(c, key, "x");
    port = srv[2].port;
    srv_kill(&srv[2]);
    r = rget(c, key, err, sizeof(err));
    cr_assert_null(r);

    /* same port, same nodes.conf: the same node, empty */
    srv[2].port = port;
    cr_assert_eq(srv_start(&srv[2]), 0, "restart on port %d failed", port);
    wait_cluster_ok();
    sleep_ms(RCL_REFRESH_MIN_MS + 20);
    rset(c, key, "again");
    rget_eq(c, key, "again");
    st = rcl_stats(c);
    /* srv[0] (map, key slots), srv[2], srv[2] again */
    cr_assert_eq(st.connects, 3, "connects %llu",
                 (unsigned long long) st.connects);
    cr_assert_geq(st.net_errors, 1);
    rcl_close(c);
}


Test(redis_cluster, standalone_server_behind_the_same_calls)
{
    rcl_t        *c;
    rcl_stats_t   st;
    char          key[32], val[32], got[64], err[256];
    const char   *ping[1] = { "PING" };
    redisReply   *r;
    int           i;

    srv_start_free(&srv[0], 0);
    c = open_on(srv[0].port, TIMEOUT_MS);
    for (i = 0; i < 20; i++) {
        snprintf(key, sizeof(key), "s%d", i);
        snprintf(val, sizeof(val), "w%d", i);
        rset(c, key, val);
        rget_eq(c, key, val);
        cmd_str(got, sizeof(got), srv[0].port, "GET %s", key);
        cr_assert_str_eq(got, val);
    }
    r = rcl_command(c, NULL, 0, 1, ping, NULL, err, sizeof(err));
    cr_assert_not_null(r, "PING: %s", err);
    cr_assert_str_eq(r->str, "PONG");
    freeReplyObject(r);
    st = rcl_stats(c);
    cr_assert_eq(st.cluster, 0);
    cr_assert_eq(st.connects, 1);
    cr_assert_null(rcl_command(c, NULL, 0, 0, ping, NULL, err, sizeof(err)));
    cr_assert_str_eq(err, "invalid arguments");
    rcl_close(c);
}


Test(redis_cluster, dead_seed_first_still_opens)
{
    rcl_t       *c;
    char         dead[32], live[32], err[256];
    const char  *seeds[2] = { dead, live };

    srv_start_free(&srv[0], 0);
    snprintf(dead, sizeof(dead), "127.0.0.1:%d", free_port());
    snprintf(live, sizeof(live), "127.0.0.1:%d", srv[0].port);
    c = rcl_open(seeds, 2, TIMEOUT_MS, err, sizeof(err));
    cr_assert_not_null(c, "rcl_open: %s", err);
    rset(c, "k", "v");
    rget_eq(c, "k", "v");
    rcl_close(c);

    /* only dead seeds: an error, at once on loopback */
    seeds[1] = dead;
    cr_assert_null(rcl_open(seeds, 2, TIMEOUT_MS, err, sizeof(err)));
    cr_assert(strstr(err, "cannot connect") != NULL, "err: %s", err);
}


Test(redis_cluster, reset_connection_raises_no_sigpipe)
{
    rcl_t        *c;
    char         *big, err[256];
    const char   *argv[3] = { "SET", "big", NULL };
    size_t        argvlen[3] = { 3, 3, 8 << 20 };
    redisReply   *r;
    int           i;

    /* criterion may ignore SIGPIPE: make it deadly, as it is by default */
    signal(SIGPIPE, SIG_DFL);
    srv_start_free(&srv[0], 0);
    c = open_on(srv[0].port, TIMEOUT_MS);
    rset(c, "k", "v");
    srv_kill(&srv[0]);
    big = malloc(argvlen[2]);
    cr_assert_not_null(big);
    memset(big, 'x', argvlen[2]);
    argv[2] = big;
    /* several megabytes to a reset socket: write(2) gets EPIPE */
    for (i = 0; i < 3; i++) {
        r = rcl_command(c, "big", 3, 3, argv, argvlen, err, sizeof(err));
        cr_assert_null(r);
    }
    free(big);
    rcl_close(c);
}


Test(redis_cluster, bad_input_is_an_error)
{
    char         err[256];
    const char  *none[1] = { NULL };
    const char  *bad[] = { "127.0.0.1", "127.0.0.1:", ":6379",
                           "127.0.0.1:99999", "127.0.0.1:12a",
                           "127.0.0.1:0", "[::1:6379", "" };
    const char  *one[1];
    char         seed[32];
    size_t       i;

    cr_assert_null(rcl_open(NULL, 0, TIMEOUT_MS, err, sizeof(err)));
    cr_assert_str_eq(err, "no seed node");
    cr_assert_null(rcl_open(none, 1, TIMEOUT_MS, err, sizeof(err)));
    cr_assert(strstr(err, "not host:port") != NULL, "err: %s", err);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        one[0] = bad[i];
        err[0] = '\0';
        cr_assert_null(rcl_open(one, 1, TIMEOUT_MS, err, sizeof(err)),
                       "\"%s\" accepted", bad[i]);
        cr_assert(strstr(err, "not host:port") != NULL, "\"%s\": %s", bad[i],
                  err);
    }
    snprintf(seed, sizeof(seed), "127.0.0.1:%d", free_port());
    one[0] = seed;
    cr_assert_null(rcl_open(one, 1, 0, err, sizeof(err)));
    cr_assert(strstr(err, "timeout") != NULL, "err: %s", err);
    cr_assert_null(rcl_open(one, 1, TIMEOUT_MS, NULL, 0));
    cr_assert_null(rcl_command(NULL, "k", 1, 1, one, NULL, err, sizeof(err)));
    rcl_close(NULL);
}
