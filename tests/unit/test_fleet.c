/*
 * test_fleet.c -- the fleet's Redis layout (analyzer/fleet.h): names,
 * stream IDs, and the committed frontier against a real redis-server --
 * no stream, a group that read nothing, entries pending, everything
 * acknowledged, two groups (the least wins), and Redis gone.
 */
#include "redis_run.h"
#include "error.h"
#include "fleet.h"

TestSuite(fleet, .init = setup, .fini = teardown, .timeout = 30);


Test(fleet, names)
{
    char  key[FLEET_KEY_MAX], long_name[FLEET_EDGE_MAX + 2];

    cr_assert(fleet_name_valid("edge-1.eu_west"));
    cr_assert(!fleet_name_valid(""));
    cr_assert(!fleet_name_valid("a b"));
    cr_assert(!fleet_name_valid("a{b}"));
    cr_assert(!fleet_name_valid("a\nb"));
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[FLEET_EDGE_MAX] = '\0';
    cr_assert(fleet_name_valid(long_name));
    long_name[FLEET_EDGE_MAX] = 'x';
    long_name[FLEET_EDGE_MAX + 1] = '\0';
    cr_assert(!fleet_name_valid(long_name));
    long_name[FLEET_EDGE_MAX] = '\0';
    cr_assert_eq(fleet_stream_key(long_name, key), strlen(key));
    cr_assert_str_eq(key + strlen(key) - 8, "}:frames");
    fleet_stream_key("e1", key);
    cr_assert_str_eq(key, "spoor:{e1}:frames");
}


Test(fleet, ids)
{
    fleet_id_t  a, b, max = { UINT64_MAX, UINT64_MAX };
    char        buf[FLEET_ID_MAX];

    cr_assert_eq(fleet_id_parse("1700000000000-7", 15, &a), 0);
    cr_assert_eq(a.ms, 1700000000000ull);
    cr_assert_eq(a.seq, 7);
    fleet_id_format(a, buf);
    cr_assert_str_eq(buf, "1700000000000-7");
    cr_assert_eq(fleet_id_parse("18446744073709551615-18446744073709551615",
                                41, &b), 0);
    cr_assert_eq(fleet_id_cmp(b, max), 0);
    fleet_id_format(b, buf);
    cr_assert_eq(strlen(buf), 41);
    cr_assert_neq(fleet_id_parse("18446744073709551616-0", 22, &b), 0);
    cr_assert_neq(fleet_id_parse("5", 1, &b), 0);
    cr_assert_neq(fleet_id_parse("5-", 2, &b), 0);
    cr_assert_neq(fleet_id_parse("-5", 2, &b), 0);
    cr_assert_neq(fleet_id_parse("5-x", 3, &b), 0);
    cr_assert_neq(fleet_id_parse("5-1-2", 5, &b), 0);
    cr_assert_neq(fleet_id_parse("", 0, &b), 0);

    b = fleet_id_next(a);
    cr_assert_eq(b.ms, a.ms);
    cr_assert_eq(b.seq, 8);
    cr_assert_lt(fleet_id_cmp(a, b), 0);
    cr_assert_gt(fleet_id_cmp(b, a), 0);
    a.seq = UINT64_MAX;
    b = fleet_id_next(a);
    cr_assert_eq(b.ms, a.ms + 1);
    cr_assert_eq(b.seq, 0);
    cr_assert_lt(fleet_id_cmp(a, b), 0);
}


static rcl_t *
connect_to(int port)
{
    char    seeds[64], err[256];
    rcl_t  *c;

    snprintf(seeds, sizeof(seeds), "127.0.0.1:1,127.0.0.1:%d", port);
    c = fleet_connect(seeds, 1000, err, sizeof(err));
    cr_assert_not_null(c, "fleet_connect: %s", err);
    return c;
}


static fleet_id_t
frontier(rcl_t *c, unsigned *groups)
{
    fleet_id_t  fr;
    char        err[256];

    cr_assert_eq(fleet_frontier(c, "s", &fr, groups, err, sizeof(err)),
                 SPOOR_OK, "fleet_frontier: %s", err);
    return fr;
}


static void
expect(rcl_t *c, const char *want, unsigned want_groups)
{
    unsigned    groups;
    fleet_id_t  fr = frontier(c, &groups);
    char        got[FLEET_ID_MAX];

    fleet_id_format(fr, got);
    cr_assert_str_eq(got, want);
    cr_assert_eq(groups, want_groups);
}


Test(fleet, committed_frontier)
{
    rcl_t       *c;
    redisReply  *r;
    int          p, i;

    srv_start_free(&srv[0], 0);
    p = srv[0].port;
    c = connect_to(p);

    expect(c, "0-0", 0);                           /* no stream */
    for (i = 1; i <= 5; i++) {
        cmd_ok(p, "XADD s %d-0 frame x", i);
    }
    expect(c, "0-0", 0);                           /* no group */
    cmd_ok(p, "XGROUP CREATE s g1 0");
    expect(c, "0-1", 1);                           /* nothing read */

    r = cmd(p, "XREADGROUP GROUP g1 g1 COUNT 3 STREAMS s >");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    expect(c, "1-0", 1);                           /* 1..3 pending */
    cmd_ok(p, "XACK s g1 1-0 2-0");
    expect(c, "3-0", 1);                           /* 3 pending */
    cmd_ok(p, "XACK s g1 3-0");
    expect(c, "3-1", 1);                           /* all read acked */

    /* a second reader behind the first: the least wins */
    cmd_ok(p, "XGROUP CREATE s g2 0");
    expect(c, "0-1", 2);
    r = cmd(p, "XREADGROUP GROUP g2 g2 COUNT 5 STREAMS s >");
    freeReplyObject(r);
    cmd_ok(p, "XACK s g2 1-0 2-0 3-0 4-0");
    expect(c, "3-1", 2);                           /* g1 is behind now */
    cmd_ok(p, "XACK s g2 5-0");
    expect(c, "3-1", 2);

    /* Redis gone: an error, no frontier */
    srv_kill(&srv[0]);
    {
        fleet_id_t  fr;
        unsigned    groups;
        char        err[256];

        cr_assert_eq(fleet_frontier(c, "s", &fr, &groups, err, sizeof(err)),
                     SPOOR_E_IO);
        cr_assert_neq(err[0], '\0');
    }
    rcl_close(c);
}


Test(fleet, not_a_stream_is_an_error)
{
    rcl_t       *c;
    fleet_id_t   fr;
    unsigned     groups;
    char         err[256];

    srv_start_free(&srv[0], 0);
    c = connect_to(srv[0].port);
    cmd_ok(srv[0].port, "SET s plain");
    cr_assert_eq(fleet_frontier(c, "s", &fr, &groups, err, sizeof(err)),
                 SPOOR_E_IO);
    cr_assert(strstr(err, "XINFO") != NULL, "%s", err);
    rcl_close(c);
}


Test(fleet, bad_seeds)
{
    char  err[256];

    cr_assert_null(fleet_connect("", 100, err, sizeof(err)));
    cr_assert_null(fleet_connect("nohost", 100, err, sizeof(err)));
    cr_assert_null(fleet_connect("127.0.0.1:1", 100, err, sizeof(err)));
    cr_assert_neq(err[0], '\0');
}
