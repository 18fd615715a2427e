/*
 * test_profile_lookup.c -- a lookup through a generation's chain of
 * serving views (shared/profile_lookup.c, docs/FORMAT.md "Delta
 * generations"): the newest file that holds an id answers, with its
 * profile or, for a gone entry, with none; an older file is not asked;
 * traits come from the file that answered; a chain of one answers as a
 * single serving view always did.
 *
 * The chain is written here with the snapshot writer and msgpack-c, as
 * the analyzer writes it (serving meta with "parent" and "base", the
 * delta flag, gone entries with an empty record and the gone bit):
 *
 *   gen 1 (base)   alice, bob, carol, dave
 *   gen 2 (delta)  bob changed; carol and dave gone
 *   gen 3 (delta)  dave back; erin new
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <msgpack.h>
#include "error.h"
#include "gen_chain.h"
#include "keyed_hash.h"
#include "privacy.h"
#include "profile_lookup.h"
#include "profile_view.h"
#include "serve_key.h"
#include "serve_keyed.h"
#include "snapshot.h"

static char  dir[] = "/tmp/spoor-pl-XXXXXX";

static const unsigned char  key[40] =
    "0123456789abcdef0123456789abcdef0123456";

/* one profile (or gone entry) of a file */
typedef struct {
    const char  *visitor;           /* its visitor id */
    const char  *user;              /* its user id, or NULL */
    unsigned     rfm;               /* r*100 + f*10 + m, 0: none */
    unsigned     life;              /* 1 new .. 4 churned, 0: none */
    unsigned     segs;              /* bit i: segment i */
    const char  *plan;              /* the trait "plan", or NULL */
    int          gone;
} entry_t;

/* the three files, newest last as written */
static const entry_t  gen1[] = {
    { "alice", NULL, 555, 1, 0x1, "base-alice", 0 },
    { "bob", "bob-user", 111, 2, 0x2, "base-bob", 0 },
    { "carol", NULL, 321, 2, 0x3, "base-carol", 0 },
    { "dave", NULL, 0, 4, 0x0, NULL, 0 },
};
static const entry_t  gen2[] = {
    { "bob", "bob-user", 222, 3, 0x3, "delta-bob", 0 },
    { "carol", NULL, 0, 0, 0, NULL, 1 },
    { "dave", NULL, 0, 0, 0, NULL, 1 },
};
static const entry_t  gen3[] = {
    { "dave", NULL, 333, 1, 0x1, "back-dave", 0 },
    { "erin", NULL, 0, 1, 0x2, NULL, 0 },
};

static const char  *seg_names[] = { "s_zero", "s_one" };
static const char  *life_names[] = { "new", "active", "lapsing", "churned" };


static void
pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}


/* The serving meta: serve 2, as_of, segs, life; a delta's parent and
 * base after them.  segs: how many of seg_names (the last renamed when
 * rename). */
static void
pack_meta(msgpack_sbuffer *sb, uint32_t parent, uint32_t base, size_t nsegs,
    int rename)
{
    msgpack_packer  pk;
    size_t          i;

    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, parent ? 6 : 4);
    pack_str(&pk, "serve");
    msgpack_pack_uint64(&pk, SPOOR_SERVE_VERSION);
    pack_str(&pk, "as_of");
    msgpack_pack_int64(&pk, 1767225600000LL + parent);
    pack_str(&pk, "segs");
    msgpack_pack_array(&pk, nsegs);
    for (i = 0; i < nsegs; i++) {
        pack_str(&pk, rename && i + 1 == nsegs ? "s_other" : seg_names[i]);
    }
    pack_str(&pk, "life");
    msgpack_pack_array(&pk, 4);
    for (i = 0; i < 4; i++) {
        pack_str(&pk, life_names[i]);
    }
    if (parent) {
        pack_str(&pk, "parent");
        msgpack_pack_uint64(&pk, parent);
        pack_str(&pk, "base");
        msgpack_pack_uint64(&pk, base);
    }
}


/* A serving record: [] or ["plan", bin(msgpack str)]. */
static void
pack_record(msgpack_sbuffer *sb, const char *plan)
{
    msgpack_packer   pk;
    msgpack_sbuffer  val;
    msgpack_packer   vpk;

    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (plan == NULL) {
        msgpack_pack_array(&pk, 0);
        return;
    }
    msgpack_sbuffer_init(&val);
    msgpack_packer_init(&vpk, &val, msgpack_sbuffer_write);
    pack_str(&vpk, plan);
    msgpack_pack_array(&pk, 2);
    pack_str(&pk, "plan");
    msgpack_pack_bin(&pk, val.size);
    msgpack_pack_bin_body(&pk, val.data, val.size);
    msgpack_sbuffer_destroy(&val);
}


static uint64_t
hash_of(char kind, const char *id)
{
    char  k[2] = { kind, '\0' };

    return spoor_id_hash(k, id, strlen(id));
}


/* The hash a user id is indexed by: its pseudonym's. */
static uint64_t
user_hash(const char *id)
{
    char  hex[SPOOR_PSEUDONYM_LEN];

    cr_assert_eq(spoor_pseudonym(key, sizeof(key), NULL, id, strlen(id),
                                 hex), SPOOR_OK);
    return spoor_id_hash("u", hex, SPOOR_PSEUDONYM_LEN);
}


/* Writes gen-<gen>.serve of the entries (a delta of base when parent is
 * not 0), checks it whole and opens it; *sv its names. */
static spoor_snap_t *
write_gen(uint32_t gen, uint32_t parent, uint32_t base, const entry_t *e,
    size_t n, size_t nsegs, int rename, spoor_profile_serve_t *sv)
{
    spoor_snapw_t         *w;
    spoor_snap_t          *s;
    msgpack_sbuffer        sb;
    unsigned char          sum[SPOOR_SERVE_SUM_SMALL];
    uint64_t               ids[2], version;
    const unsigned char   *meta;
    size_t                 i, mlen;
    char                   name[32], path[96], err[256];

    snprintf(name, sizeof(name), "gen-%06u.serve", (unsigned) gen);
    w = spoor_snapw_create(dir, name);
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_slots(w, SPOOR_SERVE_SUM_SMALL), SPOOR_OK);
    if (parent) {
        cr_assert_eq(spoor_snapw_flags(w, SPOOR_SNAP_DELTA), SPOOR_OK);
    }
    pack_meta(&sb, parent, base, nsegs, rename);
    cr_assert_eq(spoor_snapw_meta(w, (unsigned char *) sb.data, sb.size),
                 SPOOR_OK);
    msgpack_sbuffer_destroy(&sb);

    for (i = 0; i < n; i++) {
        memset(sum, 0, sizeof(sum));
        if (e[i].gone) {
            sum[3] = SPOOR_SERVE_GONE;          /* every other byte 0 */
        } else {
            sum[0] = (unsigned char) (e[i].rfm & 0xff);
            sum[1] = (unsigned char) (e[i].rfm >> 8);
            sum[2] = (unsigned char) e[i].life;
            sum[3] = e[i].plan ? SPOOR_SERVE_TRAITS : 0;
            sum[8] = (unsigned char) e[i].segs;
        }
        ids[0] = hash_of('v', e[i].visitor);
        if (e[i].user) {
            ids[1] = user_hash(e[i].user);
        }
        pack_record(&sb, e[i].gone ? NULL : e[i].plan);
        cr_assert_eq(spoor_snapw_add_sum(w, (unsigned char *) sb.data,
                                         sb.size, ids, e[i].user ? 2 : 1,
                                         sum), SPOOR_OK);
        msgpack_sbuffer_destroy(&sb);
    }
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    s = spoor_snap_open(path, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK, "%s",
                 err);
    meta = spoor_snap_meta(s, &mlen);
    cr_assert_eq(spoor_profile_serve_meta(meta, mlen,
                                          spoor_snap_summary_size(s), sv,
                                          &version), SPOOR_OK);
    return s;
}


static spoor_snap_t           *g1, *g2, *g3;
static spoor_profile_serve_t   sv1, sv2, sv3;

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    g1 = write_gen(1, 0, 1, gen1, sizeof(gen1) / sizeof(gen1[0]), 2, 0,
                   &sv1);
    g2 = write_gen(2, 1, 1, gen2, sizeof(gen2) / sizeof(gen2[0]), 2, 0,
                   &sv2);
    g3 = write_gen(3, 2, 1, gen3, sizeof(gen3) / sizeof(gen3[0]), 2, 0,
                   &sv3);
}


static void
teardown(void)
{
    char      path[96];
    unsigned  g;

    spoor_snap_close(g1);
    spoor_snap_close(g2);
    spoor_snap_close(g3);
    for (g = 1; g <= 4; g++) {
        snprintf(path, sizeof(path), "%s/gen-%06u.serve", dir, g);
        unlink(path);
    }
    rmdir(dir);
    memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}


/* The chain of generation top (1 .. 3), newest first. */
static spoor_profile_chain_t
chain_of(unsigned top)
{
    spoor_profile_chain_t  c;
    spoor_snap_t          *all[3] = { g1, g2, g3 };
    unsigned               i;

    memset(&c, 0, sizeof(c));
    for (i = 0; i < top; i++) {
        c.file[i] = all[top - 1 - i];
    }
    c.n = top;
    return c;
}


static int
find(const spoor_profile_chain_t *c, const char *visitor,
    spoor_profile_view_t *v)
{
    return spoor_profile_lookup(c, &sv3, 'v', visitor, strlen(visitor),
                                NULL, v);
}


/* The segment names of v joined by ",". */
static const char *
segments(const spoor_profile_view_t *v)
{
    static char           out[64];
    spoor_profile_iter_t  it;
    const char           *name;
    size_t                nlen, o = 0;

    memset(&it, 0, sizeof(it));
    out[0] = '\0';
    while (spoor_profile_view_segment(v, &it, &name, &nlen)) {
        o += (size_t) snprintf(out + o, sizeof(out) - o, "%s%.*s",
                               o ? "," : "", (int) nlen, name);
    }
    return out;
}


/* Trait "plan" as text, "" when unset. */
static const char *
plan(const spoor_profile_view_t *v)
{
    static char           out[64];
    const unsigned char  *val;
    size_t                vlen, n;

    if (!spoor_profile_view_trait(v, "plan", 4, &val, &vlen)) {
        return "";
    }
    n = spoor_profile_view_text(val, vlen, out, sizeof(out) - 1);
    out[n] = '\0';
    return out;
}


static const char *
life(const spoor_profile_view_t *v)
{
    static char  out[16];

    snprintf(out, sizeof(out), "%.*s", (int) v->life_len,
             v->life ? v->life : "");
    return out;
}


TestSuite(profile_lookup, .init = setup, .fini = teardown);


Test(profile_lookup, the_test_chain_links_as_the_analyzer_writes_it)
{
    uint32_t  parent, base;
    char      err[256];

    cr_assert_eq(spoor_chain_check(g1, 1, &parent, &base, err,
                                   sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert(parent == 0 && base == 1);
    cr_assert_eq(spoor_chain_check(g2, 2, &parent, &base, err,
                                   sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert(parent == 1 && base == 1);
    cr_assert_eq(spoor_chain_check(g3, 3, &parent, &base, err,
                                   sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert(parent == 2 && base == 1);
    cr_assert(spoor_profile_serve_same(&sv1, &sv2));
    cr_assert(spoor_profile_serve_same(&sv1, &sv3));
}


Test(profile_lookup, an_id_only_in_the_base_is_found_with_the_base_summary)
{
    spoor_profile_chain_t  c = chain_of(3);
    spoor_profile_view_t   v;

    cr_assert(find(&c, "alice", &v));
    cr_assert(v.rfm[0] == 5 && v.rfm[1] == 5 && v.rfm[2] == 5);
    cr_assert_str_eq(life(&v), "new");
    cr_assert_str_eq(segments(&v), "s_zero");
    cr_assert_eq(v.snap, g1);
    cr_assert_str_eq(plan(&v), "base-alice");
}


Test(profile_lookup, a_profile_in_a_delta_overrides_the_base)
{
    spoor_profile_chain_t  c = chain_of(3);
    spoor_profile_view_t   v;

    cr_assert(find(&c, "bob", &v));
    cr_assert(v.rfm[0] == 2 && v.rfm[1] == 2 && v.rfm[2] == 2);
    cr_assert_str_eq(life(&v), "lapsing");
    cr_assert_str_eq(segments(&v), "s_zero,s_one");
    cr_assert_eq(v.snap, g2);

    /* the base alone still says what it said */
    c = chain_of(1);
    cr_assert(find(&c, "bob", &v));
    cr_assert(v.rfm[0] == 1 && v.rfm[1] == 1 && v.rfm[2] == 1);
    cr_assert_str_eq(segments(&v), "s_one");
}


Test(profile_lookup, a_gone_entry_in_the_newest_delta_hides_the_base_profile)
{
    spoor_profile_chain_t  c = chain_of(2);
    spoor_profile_view_t   v;

    cr_assert(!find(&c, "carol", &v));
    cr_assert(!find(&c, "dave", &v));

    /* the gone entry in an older delta hides it as well */
    c = chain_of(3);
    cr_assert(!find(&c, "carol", &v));

    /* it was there before */
    c = chain_of(1);
    cr_assert(find(&c, "carol", &v));
    cr_assert_str_eq(plan(&v), "base-carol");
}


Test(profile_lookup, an_id_added_again_after_a_gone_entry_is_found)
{
    spoor_profile_chain_t  c = chain_of(3);
    spoor_profile_view_t   v;

    cr_assert(find(&c, "dave", &v));
    cr_assert_eq(v.snap, g3);
    cr_assert(v.rfm[0] == 3 && v.rfm[1] == 3 && v.rfm[2] == 3);
    cr_assert_str_eq(life(&v), "new");
    cr_assert_str_eq(plan(&v), "back-dave");

    /* an id new in the newest delta */
    cr_assert(find(&c, "erin", &v));
    cr_assert_str_eq(segments(&v), "s_one");
    cr_assert_str_eq(plan(&v), "");
    c = chain_of(2);
    cr_assert(!find(&c, "erin", &v));
}


Test(profile_lookup, a_trait_is_read_from_the_file_that_answered)
{
    spoor_profile_chain_t  c = chain_of(3);
    spoor_profile_view_t   v;

    /* bob's record is profile 0 of gen 2 and profile 1 of gen 1: the
     * record read is the delta's */
    cr_assert(find(&c, "bob", &v));
    cr_assert_eq(v.snap, g2);
    cr_assert_eq(v.profile, 0);
    cr_assert_str_eq(plan(&v), "delta-bob");

    cr_assert(find(&c, "alice", &v));
    cr_assert_eq(v.snap, g1);
    cr_assert_eq(v.profile, 0);
    cr_assert_str_eq(plan(&v), "base-alice");

    /* dave: profile 0 of gen 3, profile 3 (no traits) of gen 1 */
    cr_assert(find(&c, "dave", &v));
    cr_assert_eq(v.profile, 0);
    cr_assert_str_eq(plan(&v), "back-dave");
}


Test(profile_lookup, a_pseudonymized_user_id_is_found_through_the_chain)
{
    spoor_profile_chain_t  c = chain_of(3);
    spoor_profile_view_t   v;
    spoor_keyed_t         *kk = spoor_keyed_new(key, sizeof(key));

    cr_assert_not_null(kk);
    cr_assert(spoor_profile_lookup(&c, &sv3, 'u', "bob-user", 8, kk, &v));
    cr_assert_eq(v.snap, g2);
    cr_assert_str_eq(plan(&v), "delta-bob");
    /* the raw id is not in any file */
    cr_assert(!spoor_profile_lookup(&c, &sv3, 'u', "bob-user", 8, NULL, &v));
    spoor_keyed_free(kk);
}


Test(profile_lookup, a_chain_of_one_serves_as_a_single_file_did)
{
    spoor_profile_chain_t  c = chain_of(1);
    spoor_profile_view_t   v;
    const char            *who[] = { "alice", "bob", "carol", "dave" };
    size_t                 i;

    for (i = 0; i < 4; i++) {
        cr_assert(spoor_profile_lookup(&c, &sv1, 'v', who[i], strlen(who[i]),
                                       NULL, &v), "%s", who[i]);
        cr_assert_eq(v.snap, g1);
        cr_assert_eq(v.profile, i);
    }
    cr_assert_str_eq(life(&v), "churned");
    cr_assert_str_eq(segments(&v), "");
    cr_assert_eq(v.rfm[0], 0);

    /* unknown, other kind, empty: nothing */
    cr_assert(!spoor_profile_lookup(&c, &sv1, 'v', "erin", 4, NULL, &v));
    cr_assert(!spoor_profile_lookup(&c, &sv1, 'a', "alice", 5, NULL, &v));
    cr_assert(!spoor_profile_lookup(&c, &sv1, 'v', "", 0, NULL, &v));

    /* a full snapshot (no serving view) is only ever a chain of one */
    c = chain_of(2);
    cr_assert(!spoor_profile_lookup(&c, NULL, 'v', "alice", 5, NULL, &v));
    c.n = 0;
    cr_assert(!spoor_profile_lookup(&c, &sv1, 'v', "alice", 5, NULL, &v));
}


Test(profile_lookup, files_with_other_names_are_no_chain)
{
    spoor_profile_serve_t  sv4, sv5;
    spoor_snap_t          *s4, *s5;

    /* a segment renamed, or one more: no longer the same names */
    s4 = write_gen(4, 3, 1, gen3, 1, 2, 1, &sv4);
    cr_assert(!spoor_profile_serve_same(&sv3, &sv4));
    spoor_snap_close(s4);
    s5 = write_gen(4, 3, 1, gen3, 1, 1, 0, &sv5);
    cr_assert(!spoor_profile_serve_same(&sv3, &sv5));
    cr_assert(spoor_profile_serve_same(&sv5, &sv5));
    spoor_snap_close(s5);
}


/* ---- keyed copies (a fleet edge's, analyzer/serve_keyed.c) ------------ */

static const unsigned char  fleet_key[] =
    "fleet-key-fleet-key-fleet-key-fleet-key!";

static const char *const  plan_only[] = { "plan" };

/* The keyed copy of gen-<gen>.serve as gen-<gen>.kserve, opened; the
 * trait "plan" exposed when plan is 1, none when 0. */
static spoor_snap_t *
keyed_gen_traits(unsigned gen, spoor_keyed_t *k, int expose,
    spoor_profile_serve_t *sv)
{
    serve_keyed_opts_t    o = { k, plan_only, expose ? 1 : 0 };
    char                  src[96], name[32], path[96], err[256];
    spoor_snap_t         *s;
    const unsigned char  *meta;
    size_t                mlen;
    uint64_t              version, bytes;

    snprintf(src, sizeof(src), "%s/gen-%06u.serve", dir, gen);
    snprintf(name, sizeof(name), "gen-%06u.kserve", gen);
    cr_assert_eq(serve_keyed_copy(src, dir, name, &o, &bytes, err,
                                  sizeof(err)), SPOOR_OK, "%s", err);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    s = spoor_snap_open(path, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(spoor_snap_file_size(s), bytes);
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK, "%s",
                 err);
    meta = spoor_snap_meta(s, &mlen);
    cr_assert_eq(spoor_profile_serve_meta(meta, mlen,
                                          spoor_snap_summary_size(s), sv,
                                          &version), SPOOR_OK);
    return s;
}


static spoor_snap_t *
keyed_gen(unsigned gen, spoor_keyed_t *k, spoor_profile_serve_t *sv)
{
    return keyed_gen_traits(gen, k, 1, sv);
}


static void
keyed_unlink(void)
{
    char      path[96];
    unsigned  g;

    for (g = 1; g <= 3; g++) {
        snprintf(path, sizeof(path), "%s/gen-%06u.kserve", dir, g);
        unlink(path);
    }
}


Test(profile_lookup, a_keyed_chain_answers_as_the_plain_one_with_its_key)
{
    spoor_keyed_t          *k = spoor_keyed_new(fleet_key,
                                                sizeof(fleet_key) - 1);
    spoor_keyed_t          *pk = spoor_keyed_new(key, sizeof(key));
    spoor_profile_serve_t   ks[3];
    spoor_profile_chain_t   c, plain = chain_of(3);
    spoor_profile_view_t    v, w;
    spoor_snap_t           *kf[3];
    const char             *who[] = { "alice", "bob", "carol", "dave",
                                      "erin", "frank" };
    char                    id[SPOOR_SERVE_KEY_ID_LEN];
    size_t                  i;
    unsigned                g;

    cr_assert_not_null(k);
    for (g = 0; g < 3; g++) {
        kf[g] = keyed_gen(g + 1, k, &ks[g]);
        cr_assert(spoor_snap_flags(kf[g]) & SPOOR_SNAP_KEYED);
        cr_assert_eq(spoor_snap_flags(kf[g]) & SPOOR_SNAP_DELTA,
                     g ? SPOOR_SNAP_DELTA : 0u);
        cr_assert_eq(spoor_snap_count(kf[g]),
                     spoor_snap_count(g == 0 ? g1 : g == 1 ? g2 : g3));
    }
    cr_assert_eq(spoor_serve_key_id(k, id), SPOOR_OK);
    cr_assert_not_null(ks[2].key_id);
    cr_assert(memcmp(ks[2].key_id, id, SPOOR_SERVE_KEY_ID_LEN) == 0);
    cr_assert(spoor_profile_serve_same(&ks[0], &ks[2]));
    cr_assert(!spoor_profile_serve_same(&ks[0], &sv1));   /* keyed, plain */

    memset(&c, 0, sizeof(c));
    c.file[0] = kf[2];
    c.file[1] = kf[1];
    c.file[2] = kf[0];
    c.n = 3;
    c.index_key = k;
    for (i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
        int  a = spoor_profile_lookup(&plain, &sv3, 'v', who[i],
                                      strlen(who[i]), NULL, &v);
        int  b = spoor_profile_lookup(&c, &ks[2], 'v', who[i],
                                      strlen(who[i]), NULL, &w);

        cr_assert_eq(a, b, "%s", who[i]);
        if (a) {
            cr_assert_str_eq(segments(&w), segments(&v));
            cr_assert_str_eq(life(&w), life(&v));
            cr_assert_str_eq(plan(&w), plan(&v));
            cr_assert(memcmp(v.rfm, w.rfm, sizeof(v.rfm)) == 0);
        }
    }
    /* a pseudonymized user id: pseudonym, plain hash, then keyed */
    cr_assert(spoor_profile_lookup(&c, &ks[2], 'u', "bob-user", 8, pk, &w));
    cr_assert_str_eq(plan(&w), "delta-bob");

    /* without the key, or with another, nobody is found */
    c.index_key = NULL;
    cr_assert(!spoor_profile_lookup(&c, &ks[2], 'v', "alice", 5, NULL, &w));
    c.index_key = pk;
    cr_assert(!spoor_profile_lookup(&c, &ks[2], 'v', "alice", 5, NULL, &w));

    for (g = 0; g < 3; g++) {
        spoor_snap_close(kf[g]);
    }
    keyed_unlink();
    spoor_keyed_free(k);
    spoor_keyed_free(pk);
}


Test(profile_lookup, a_keyed_copy_holds_no_plain_hash_and_is_not_copied_again)
{
    spoor_keyed_t          *k = spoor_keyed_new(fleet_key,
                                                sizeof(fleet_key) - 1);
    spoor_profile_serve_t   ks;
    spoor_snap_t           *kf;
    size_t                  j, n;
    char                    src[96], err[256];
    uint64_t                h;

    kf = keyed_gen(1, k, &ks);
    n = spoor_snap_index_count(kf);
    cr_assert_eq(n, spoor_snap_index_count(g1));
    for (j = 0; j < n; j++) {
        h = spoor_snap_index_entry(kf, j, NULL);
        cr_assert_eq(spoor_snap_first(g1, h), SIZE_MAX,
                     "a plain index hash in the keyed copy");
    }
    cr_assert_eq(spoor_snap_first(kf, hash_of('v', "alice")), SIZE_MAX);
    spoor_snap_close(kf);

    /* a keyed file is no serving view to copy */
    snprintf(src, sizeof(src), "%s/gen-000001.kserve", dir);
    {
        serve_keyed_opts_t  o = { k, NULL, 0 };

        cr_assert_eq(serve_keyed_copy(src, dir, "again", &o, NULL, err,
                                      sizeof(err)), SPOOR_E_FORMAT);
    }
    cr_assert(strstr(err, "not a serving view") != NULL, "%s", err);
    keyed_unlink();
    spoor_keyed_free(k);
}


Test(profile_lookup, a_keyed_copy_keeps_only_the_exposable_traits)
{
    spoor_keyed_t          *k = spoor_keyed_new(fleet_key,
                                                sizeof(fleet_key) - 1);
    spoor_profile_serve_t   ks;
    spoor_profile_chain_t   c, plain = chain_of(1);
    spoor_profile_view_t    v, w;
    spoor_snap_t           *kf;
    const unsigned char    *blob;
    size_t                  i, len;

    /* none exposed: every record empty, no traits flag, the rest kept */
    kf = keyed_gen_traits(1, k, 0, &ks);
    for (i = 0; i < spoor_snap_count(kf); i++) {
        blob = spoor_snap_profile(kf, i, &len);
        cr_assert(blob != NULL && len == 1 && blob[0] == 0x90);
    }
    memset(&c, 0, sizeof(c));
    c.file[0] = kf;
    c.n = 1;
    c.index_key = k;
    cr_assert(find(&plain, "alice", &v));
    cr_assert(spoor_profile_lookup(&c, &ks, 'v', "alice", 5, NULL, &w));
    cr_assert_str_eq(plan(&v), "base-alice");
    cr_assert_str_eq(plan(&w), "");
    cr_assert_eq(w.ntr, 0);
    cr_assert_str_eq(segments(&w), segments(&v));
    cr_assert_str_eq(life(&w), life(&v));
    spoor_snap_close(kf);

    /* "plan" exposed: kept */
    kf = keyed_gen_traits(1, k, 1, &ks);
    c.file[0] = kf;
    cr_assert(spoor_profile_lookup(&c, &ks, 'v', "alice", 5, NULL, &w));
    cr_assert_eq(w.ntr, 1);
    cr_assert_str_eq(plan(&w), "base-alice");
    spoor_snap_close(kf);
    keyed_unlink();
    spoor_keyed_free(k);
}


Test(profile_lookup, the_keyed_hash_depends_on_the_key_and_the_hash)
{
    spoor_keyed_t  *a = spoor_keyed_new(fleet_key, sizeof(fleet_key) - 1);
    spoor_keyed_t  *b = spoor_keyed_new(key, sizeof(key));
    uint64_t        x, y, z;
    char            ia[SPOOR_SERVE_KEY_ID_LEN], ib[SPOOR_SERVE_KEY_ID_LEN];

    cr_assert_eq(spoor_serve_key_hash(a, 42, &x), SPOOR_OK);
    cr_assert_eq(spoor_serve_key_hash(a, 42, &y), SPOOR_OK);
    cr_assert_eq(x, y);
    cr_assert_neq(x, 42);
    cr_assert_eq(spoor_serve_key_hash(b, 42, &z), SPOOR_OK);
    cr_assert_neq(x, z);
    cr_assert_eq(spoor_serve_key_hash(a, 43, &z), SPOOR_OK);
    cr_assert_neq(x, z);
    cr_assert_eq(spoor_serve_key_id(a, ia), SPOOR_OK);
    cr_assert_eq(spoor_serve_key_id(b, ib), SPOOR_OK);
    cr_assert(memcmp(ia, ib, sizeof(ia)) != 0);
    spoor_keyed_free(a);
    spoor_keyed_free(b);
}


Test(profile_lookup, a_key_file_is_its_bytes_without_trailing_white_space)
{
    unsigned char  buf[80];
    size_t         n;

    memset(buf, 'k', 32);
    memcpy(buf + 32, " \t\r\n", 4);
    n = 36;
    cr_assert_eq(spoor_key_trim(buf, &n), SPOOR_OK);
    cr_assert_eq(n, 32);
    n = 31;
    cr_assert_eq(spoor_key_trim(buf, &n), SPOOR_E_INVAL);
    memcpy(buf + 31, "\n\n", 2);
    n = 33;
    cr_assert_eq(spoor_key_trim(buf, &n), SPOOR_E_INVAL);
    cr_assert_eq(n, 31);
}
