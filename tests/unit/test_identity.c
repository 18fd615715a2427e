/*
 * test_identity.c -- the id graph called directly (analyzer/identity.h):
 * ids in and out, unions and their caps, and the erasures kept beside
 * the ids: a set's erasure read back, the later time kept, carried by a
 * union whichever root survives, and as many erased sets as there are
 * ids.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "error.h"
#include "identity.h"
#include "commit_pack.h"

#define T0  1767225600000LL          /* 2026-01-01T00:00:00Z */


static profile_conf_t
conf_of(intern_t *strings)
{
    profile_conf_t  c;

    memset(&c, 0, sizeof(c));
    c.session_gap_ms = 30 * 60 * 1000;
    c.abandon_ms = 60 * 60 * 1000;
    c.half_life_ms = 30LL * 86400 * 1000;
    c.strings = strings;
    return c;
}


static uint32_t
id_of(identity_t *g, char kind, const char *text)
{
    int       nomem = 0;
    uint32_t  i = identity_get(g, kind, text, strlen(text), &nomem);

    cr_assert_eq(nomem, 0);
    cr_assert_neq(i, UINT32_MAX, "%c:%s was refused", kind, text);
    return i;
}


Test(identity, an_id_is_kept_once_with_its_text)
{
    identity_t  g;
    char        long_id[IDENTITY_ID_MAX + 2], buf[IDENTITY_TEXT_BUF];
    uint32_t    a, b;
    int         nomem = 0;
    size_t      n;

    cr_assert_eq(identity_init(&g, 100, 100), SPOOR_OK);
    a = id_of(&g, 'u', "alice");
    b = id_of(&g, 'a', "alice");
    cr_assert_neq(a, b, "the kind is part of the id");
    cr_assert_eq(id_of(&g, 'u', "alice"), a);
    cr_assert_eq(identity_find(&g, 'u', "alice", 5), a);
    cr_assert_eq(identity_find(&g, 'u', "bob", 3), UINT32_MAX);
    cr_assert_str_eq(identity_text(&g, a, buf, &n), "alice");
    cr_assert_eq(n, 5);

    /* the longest id kept, and one byte more (junk) */
    memset(long_id, 'x', sizeof(long_id));
    long_id[IDENTITY_ID_MAX] = '\0';
    a = id_of(&g, 'v', long_id);
    cr_assert_eq(g.ids[a].len, IDENTITY_ID_MAX);
    long_id[IDENTITY_ID_MAX] = 'x';
    long_id[IDENTITY_ID_MAX + 1] = '\0';
    cr_assert_eq(identity_get(&g, 'v', long_id, IDENTITY_ID_MAX + 1,
                              &nomem), UINT32_MAX);
    cr_assert_eq(nomem, 0);
    cr_assert_eq(identity_get(&g, 'u', "null", 4, &nomem), UINT32_MAX);
    identity_free(&g);
}


Test(identity, an_erasure_keeps_its_latest_time)
{
    identity_t  g;
    uint32_t    a, b;

    cr_assert_eq(identity_init(&g, 100, 100), SPOOR_OK);
    a = id_of(&g, 'u', "alice");
    b = id_of(&g, 'u', "bob");
    cr_assert_eq(identity_erased_at(&g, a), INT64_MIN);
    cr_assert_eq(identity_erase_until(&g, a, INT64_MIN), SPOOR_OK);
    cr_assert_eq(identity_erased_at(&g, a), INT64_MIN, "nothing to erase");
    cr_assert_eq(identity_erase_until(&g, a, T0 + 10), SPOOR_OK);
    cr_assert_eq(identity_erased_at(&g, a), T0 + 10);
    cr_assert_eq(identity_erase_until(&g, a, T0 + 5), SPOOR_OK);
    cr_assert_eq(identity_erased_at(&g, a), T0 + 10, "an earlier time won");
    cr_assert_eq(identity_erase_until(&g, a, T0 + 20), SPOOR_OK);
    cr_assert_eq(identity_erased_at(&g, a), T0 + 20);
    cr_assert_eq(identity_erased_at(&g, b), INT64_MIN, "bob was not erased");
    identity_free(&g);
}


/* union of two sets, erased at ta and tb: the set's root reads the
 * later time, whichever root survived: a's (rank 0 against 0, the lower
 * index wins) or, with b_wins, b's (b's set made rank 1 first). */
static void
union_carries(int64_t ta, int64_t tb, int b_wins)
{
    identity_t  g;
    intern_t    strings;
    profile_conf_t  c;
    uint32_t    a, b, r, rb;

    memset(&strings, 0, sizeof(strings));
    c = conf_of(&strings);
    cr_assert_eq(identity_init(&g, 100, 100), SPOOR_OK);
    a = id_of(&g, 'a', "anon-1");
    b = id_of(&g, 'u', "user-1");
    (void) identity_profile(&g, a);
    (void) identity_profile(&g, b);
    if (b_wins) {
        cr_assert_eq(identity_union(&g, b, id_of(&g, 'v', "vis-1"), &c),
                     SPOOR_OK);
    }
    rb = identity_root(&g, b);
    cr_assert_eq(identity_erase_until(&g, a, ta), SPOOR_OK);
    cr_assert_eq(identity_erase_until(&g, rb, tb), SPOOR_OK);
    cr_assert_eq(identity_union(&g, a, b, &c), SPOOR_OK);
    r = identity_root(&g, a);
    cr_assert_eq(identity_root(&g, b), r);
    cr_assert_eq(r, b_wins ? rb : a, "the root that survived is %u", r);
    cr_assert_eq(identity_erased_at(&g, r), ta > tb ? ta : tb,
                 "erased at %lld and %lld (b wins %d): the set reads %lld",
                 (long long) ta, (long long) tb, b_wins,
                 (long long) identity_erased_at(&g, r));
    identity_free(&g);
    intern_free(&strings);
}


Test(identity, a_union_keeps_the_later_erasure_whichever_root_survives)
{
    int  b_wins;

    for (b_wins = 0; b_wins < 2; b_wins++) {
        union_carries(T0 + 7, INT64_MIN, b_wins);
        union_carries(INT64_MIN, T0 + 7, b_wins);
        union_carries(T0 + 3, T0 + 9, b_wins);
        union_carries(T0 + 9, T0 + 3, b_wins);
        union_carries(INT64_MIN, INT64_MIN, b_wins);
    }
}


Test(identity, every_id_can_be_an_erased_set)
{
    identity_t  g;
    char        text[32];
    uint32_t    i, n = 5000;

    cr_assert_eq(identity_init(&g, 100, 100), SPOOR_OK);
    for (i = 0; i < n; i++) {
        snprintf(text, sizeof(text), "v-%u", i);
        cr_assert_eq(id_of(&g, 'v', text), i);
        if (i % 3 != 0) {
            cr_assert_eq(identity_erase_until(&g, i, T0 + i), SPOOR_OK);
        }
    }
    for (i = 0; i < n; i++) {
        cr_assert_eq(identity_erased_at(&g, i),
                     i % 3 != 0 ? T0 + (int64_t) i : INT64_MIN,
                     "id %u", i);
    }
    identity_free(&g);
}


Test(identity, ranks_stay_small_and_every_id_finds_its_root)
{
    identity_t  g;
    intern_t    strings;
    profile_conf_t  c;
    char        text[32];
    uint32_t    i, n = 4096, step, r;

    memset(&strings, 0, sizeof(strings));
    c = conf_of(&strings);
    cr_assert_eq(identity_init(&g, n, n), SPOOR_OK);
    for (i = 0; i < n; i++) {
        snprintf(text, sizeof(text), "a-%u", i);
        (void) id_of(&g, 'a', text);
    }
    /* pairs, then pairs of pairs: the rank grows to log2(n) */
    for (step = 1; step < n; step *= 2) {
        for (i = 0; i + step < n; i += 2 * step) {
            cr_assert_eq(identity_union(&g, i, i + step, &c), SPOOR_OK);
        }
    }
    r = identity_root(&g, 0);
    cr_assert_eq(g.ids[r].rank, 12, "rank %u", (unsigned) g.ids[r].rank);
    for (i = 0; i < n; i++) {
        cr_assert_eq(identity_root(&g, i), r, "id %u", i);
    }
    identity_free(&g);
    intern_free(&strings);
}


/* Ids shaped as trackers make them are kept packed (id_text.h): found by
 * their text, told apart from their near twins, read back the same. */
Test(identity, packed_ids_are_found_and_read_back_as_they_came)
{
    identity_t          g;
    char                buf[IDENTITY_TEXT_BUF];
    size_t              n, k;
    uint32_t            id[6];
    static const char  *texts[6] = {
        "df01ff83-c112-4fc6-9aac-27b203ec02fd",     /* packed: uuid */
        "DF01FF83-C112-4FC6-9AAC-27B203EC02FD",     /* as it is */
        "EBa8B5l0JaD79GVr4sx-MQ",                   /* packed: base64url */
        "EBa8B5l0JaD79GVr4sx-MR",                   /* as it is: bits */
        "df01ff83-c112-4fc6-9aac-27b203ec02fe",     /* packed, 1 apart */
        "user-1",
    };

    cr_assert_eq(identity_init(&g, 100, 100), SPOOR_OK);
    for (k = 0; k < 6; k++) {
        id[k] = id_of(&g, 'a', texts[k]);
    }
    cr_assert_eq(g.ids[id[0]].form, ID_TEXT_UUID);
    cr_assert_eq(g.ids[id[1]].form, ID_TEXT_RAW);
    cr_assert_eq(g.ids[id[2]].form, ID_TEXT_B64);
    cr_assert_eq(g.ids[id[3]].form, ID_TEXT_RAW);
    for (k = 0; k < 6; k++) {
        cr_assert_eq(identity_find(&g, 'a', texts[k], strlen(texts[k])),
                     id[k], "%s", texts[k]);
        cr_assert_eq(id_of(&g, 'a', texts[k]), id[k]);
        cr_assert_str_eq(identity_text(&g, id[k], buf, &n), texts[k]);
        cr_assert_eq(n, strlen(texts[k]));
        cr_assert_eq(identity_find(&g, 'v', texts[k], strlen(texts[k])),
                     UINT32_MAX, "the kind is part of a packed id too");
    }
    cr_assert_eq(g.n, 6);
    identity_free(&g);
}


/* Texts fill block after block (IDENTITY_BLOCK bytes each): every id
 * reads back its own text, the longest ones too, and a union turns a
 * root into a child that holds no profile. */
Test(identity, texts_across_many_blocks_and_roots_turned_children)
{
    identity_t  g;
    char        text[IDENTITY_ID_MAX + 1], buf[IDENTITY_TEXT_BUF];
    const char *t;
    uint32_t    id[3000], k;
    size_t      n;

    cr_assert_eq(identity_init(&g, 100000, 100000), SPOOR_OK);
    for (k = 0; k < 3000; k++) {
        memset(text, 'a' + k % 26, sizeof(text));
        snprintf(text, sizeof(text), "%u-", k);
        text[strlen(text)] = 'x';
        text[k % 7 == 0 ? IDENTITY_ID_MAX : 40 + k % 90] = '\0';
        id[k] = id_of(&g, 'u', text);
    }
    cr_assert_gt(g.nblocks, 8, "only %u blocks", g.nblocks);
    for (k = 0; k < 3000; k++) {
        memset(text, 'a' + k % 26, sizeof(text));
        snprintf(text, sizeof(text), "%u-", k);
        text[strlen(text)] = 'x';
        text[k % 7 == 0 ? IDENTITY_ID_MAX : 40 + k % 90] = '\0';
        t = identity_text(&g, id[k], buf, &n);
        cr_assert_eq(n, strlen(text));
        cr_assert_str_eq(t, text, "id %u", k);
        cr_assert_eq(identity_find(&g, 'u', text, n), id[k]);
    }

    cr_assert(identity_is_root(&g, id[1]) && identity_is_root(&g, id[2]));
    cr_assert_not_null(identity_profile(&g, id[1]));
    cr_assert_not_null(identity_profile(&g, id[2]));
    cr_assert_eq(identity_union(&g, id[1], id[2], &(profile_conf_t) {
                     .session_gap_ms = 1, .half_life_ms = 1 }), SPOOR_OK);
    k = identity_root(&g, id[1]);
    cr_assert_eq(identity_root(&g, id[2]), k);
    cr_assert(identity_is_root(&g, k));
    cr_assert_not_null(identity_held(&g, k));
    cr_assert_eq(identity_held(&g, k)->nids, 2);
    k = k == id[1] ? id[2] : id[1];             /* the child */
    cr_assert(!identity_is_root(&g, k));
    cr_assert_null(identity_held(&g, k));
    cr_assert_eq(g.ids[k].up.parent, identity_root(&g, k));
    identity_free(&g);
}


/* A commit the process ends after drops the table that finds ids by
 * their text (state_t.last_commit): every id is still read by index, its
 * text, root and profile as before. */
Test(identity, dropped_lookups_leave_every_id_readable_by_index)
{
    identity_t  g;
    char        text[32], buf[IDENTITY_TEXT_BUF];
    uint32_t    id[500], k;
    size_t      n;

    cr_assert_eq(identity_init(&g, 1000, 1000), SPOOR_OK);
    for (k = 0; k < 500; k++) {
        snprintf(text, sizeof(text), "user-%u", k);
        id[k] = id_of(&g, 'u', text);
        cr_assert_not_null(identity_profile(&g, id[k]));
    }
    cr_assert_eq(identity_union(&g, id[3], id[4], &(profile_conf_t) {
                     .session_gap_ms = 1, .half_life_ms = 1 }), SPOOR_OK);
    identity_drop_lookups(&g);
    cr_assert_null(g.table);
    for (k = 0; k < 500; k++) {
        snprintf(text, sizeof(text), "user-%u", k);
        cr_assert_str_eq(identity_text(&g, id[k], buf, &n), text);
        if (k != 3 && k != 4) {
            cr_assert_eq(identity_root(&g, id[k]), id[k]);
            cr_assert_not_null(identity_held(&g, id[k]));
        }
    }
    cr_assert_eq(identity_root(&g, id[3]), identity_root(&g, id[4]));
    cr_assert_eq(identity_held(&g, identity_root(&g, id[3]))->nids, 2);
    identity_free(&g);
}


/* ... and a lookup after it is a programming error that stops the
 * process, not a wrong answer. */
Test(identity, a_lookup_after_the_drop_stops, .signal = SIGABRT)
{
    identity_t  g;

    cr_assert_eq(identity_init(&g, 10, 10), SPOOR_OK);
    (void) id_of(&g, 'u', "alice");
    identity_drop_lookups(&g);
    (void) identity_find(&g, 'u', "alice", 5);
}


/* A profile's id: the smallest hash of its user ids, else of all. */
Test(identity, a_profile_id_is_its_smallest_user_id_hash_else_smallest)
{
    identity_t  g;
    uint32_t    ids[4], k;
    uint64_t    least = UINT64_MAX;

    cr_assert_eq(identity_init(&g, 100, 100), SPOOR_OK);
    ids[0] = id_of(&g, 'a', "anon-1");
    ids[1] = id_of(&g, 'v', "visitor-1");
    ids[2] = id_of(&g, 'a', "anon-2");
    for (k = 0; k < 3; k++) {
        if (g.ids[ids[k]].hash < least) {
            least = g.ids[ids[k]].hash;
        }
    }
    cr_assert_eq(commit_profile_id(&g, ids, 3), least);
    cr_assert_eq(commit_profile_id(&g, &ids[1], 1), g.ids[ids[1]].hash);
    /* a user id wins, even with the largest hash of them all */
    for (k = 0; ; k++) {
        char  u[32];

        snprintf(u, sizeof(u), "user-%u", k);
        ids[3] = id_of(&g, 'u', u);
        if (g.ids[ids[3]].hash > least) {
            break;
        }
    }
    cr_assert_eq(commit_profile_id(&g, ids, 4), g.ids[ids[3]].hash);
    identity_free(&g);
}
