/*
 * test_profile_view.c -- what NGINX serves from a snapshot: the served
 * fields read in place (shared/profile_view.c) agree with the analyzer's
 * writer and full reader (analyzer/stored.c); the lookup
 * (shared/profile_lookup.c) finds a profile by each id kind in a snapshot
 * written by the snapshot writer, pseudonymized user ids included; a
 * damaged record never reads out of bounds; find by interpolation agrees
 * with a plain search on even and on bunched hashes; the stepwise
 * whole-file checksum agrees with verify; a prepared key hashes like the
 * one-shot keyed hash.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <msgpack.h>
#include "error.h"
#include "keyed_hash.h"
#include "privacy.h"
#include "profile.h"
#include "profile_lookup.h"
#include "profile_view.h"
#include "rules.h"
#include "snapshot.h"
#include "stored.h"

static intern_t  strings;


/* A msgpack value in buf (for a trait). */
static size_t
mp_value(unsigned char *buf, size_t cap, int kind)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    size_t           n;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    switch (kind) {
    case 0: msgpack_pack_str(&pk, 3); msgpack_pack_str_body(&pk, "pro", 3);
            break;
    case 1: msgpack_pack_int64(&pk, 42); break;
    case 2: msgpack_pack_int64(&pk, -7); break;
    case 3: msgpack_pack_double(&pk, 0.1); break;
    case 4: msgpack_pack_true(&pk); break;
    case 5: msgpack_pack_str(&pk, 8);
            msgpack_pack_str_body(&pk, "a\r\nb\x01" "c\x7f" "d", 8);
            break;
    case 6: msgpack_pack_str(&pk, 5);             /* "née", 2-byte é */
            msgpack_pack_str_body(&pk, "n\xc3\xa9" "e", 4);
            msgpack_pack_str_body(&pk, "!", 1);
            break;
    default: msgpack_pack_map(&pk, 0); break;
    }
    n = sb.size;
    cr_assert(n <= cap);
    memcpy(buf, sb.data, n);
    msgpack_sbuffer_destroy(&sb);
    return n;
}


static const char *trait_names[] = {
    "plan", "age", "delta", "ratio", "vip", "note", "accent", "address"
};

/* A record with ids, traits of every kind, rfm, life and segments. */
static void
pack_record(msgpack_sbuffer *sb, const stored_id_t *ids, size_t nids,
    const stored_str_t *segs, size_t nsegs, int rfm)
{
    profile_t         *p = profile_new();
    stored_profile_t   v;
    msgpack_packer     pk;
    unsigned char      val[64];
    size_t             i, n;

    cr_assert_not_null(p);
    for (i = 0; i < sizeof(trait_names) / sizeof(trait_names[0]); i++) {
        n = mp_value(val, sizeof(val), (int) i);
        cr_assert_eq(profile_import_trait(p, &strings, trait_names[i],
                                          strlen(trait_names[i]), val, n,
                                          1000 + (int64_t) i), SPOOR_OK);
    }

    memset(&v, 0, sizeof(v));
    v.id.ptr = "00000000000000ab";
    v.id.len = 16;
    v.ids = (stored_id_t *) ids;
    v.nids = nids;
    v.profile = p;
    v.rfm[0] = rfm ? 5 : 0;
    v.rfm[1] = rfm ? 4 : 0;
    v.rfm[2] = rfm ? 3 : 0;
    v.life.ptr = "active";
    v.life.len = 6;
    v.as_of = 1767225600000LL;
    v.segs = (stored_str_t *) segs;
    v.strings = &strings;
    v.nsegs = nsegs;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    cr_assert_eq(stored_profile_pack(&pk, &v), SPOOR_OK);
    profile_free(p);
}


static const stored_id_t  ids1[] = {
    { 'a', { "anon-1", 6 } }, { 'u', { "user-1", 6 } },
    { 'v', { "AAAAAAAAAAAAAAAAAAAAAQ", 22 } }
};
static const stored_str_t  segs1[] = {
    { "frequent_buyers", 15 }, { "new_visitors", 12 }
};


static size_t
text_of(const spoor_profile_view_t *v, const char *name, char *out,
    size_t cap)
{
    const unsigned char  *val;
    size_t                vlen;

    if (!spoor_profile_view_trait(v, name, strlen(name), &val, &vlen)) {
        return (size_t) -1;
    }
    return spoor_profile_view_text(val, vlen, out, cap);
}


Test(profile_view, the_served_fields_are_what_the_writer_wrote)
{
    msgpack_sbuffer        sb;
    spoor_profile_view_t   v;
    stored_profile_t       full;
    spoor_profile_iter_t   it;
    const char            *name;
    size_t                 nlen, k, n;
    char                   err[256], out[64];

    intern_init(&strings);
    pack_record(&sb, ids1, 3, segs1, 2, 1);

    cr_assert_eq(spoor_profile_view((unsigned char *) sb.data, sb.size, &v),
                 SPOOR_OK);
    cr_assert_eq(stored_profile_read(&full, (unsigned char *) sb.data,
                                     sb.size, err, sizeof(err)), SPOOR_OK);

    /* segments: the same names in the same order as the full reader */
    cr_assert_eq(v.nseg, full.nsegs);
    memset(&it, 0, sizeof(it));
    for (k = 0; spoor_profile_view_segment(&v, &it, &name, &nlen); k++) {
        cr_assert(k < full.nsegs);
        cr_assert_eq(nlen, full.segs[k].len);
        cr_assert(memcmp(name, full.segs[k].ptr, nlen) == 0);
    }
    cr_assert_eq(k, 2);

    cr_assert_eq(v.life_len, full.life.len);
    cr_assert(memcmp(v.life, full.life.ptr, v.life_len) == 0);
    for (k = 0; k < 3; k++) {
        cr_assert_eq(v.rfm[k], full.rfm[k]);
    }

    /* traits as text, names without case */
    n = text_of(&v, "plan", out, sizeof(out));
    cr_assert(n == 3 && memcmp(out, "pro", 3) == 0);
    n = text_of(&v, "PLAN", out, sizeof(out));
    cr_assert(n == 3 && memcmp(out, "pro", 3) == 0);
    n = text_of(&v, "age", out, sizeof(out));
    cr_assert(n == 2 && memcmp(out, "42", 2) == 0);
    n = text_of(&v, "delta", out, sizeof(out));
    cr_assert(n == 2 && memcmp(out, "-7", 2) == 0);
    n = text_of(&v, "ratio", out, sizeof(out));
    cr_assert(n == 3 && memcmp(out, "0.1", 3) == 0, "%.*s", (int) n, out);
    n = text_of(&v, "vip", out, sizeof(out));
    cr_assert(n == 4 && memcmp(out, "true", 4) == 0);
    /* control characters never reach a header line */
    n = text_of(&v, "note", out, sizeof(out));
    cr_assert(n == 8 && memcmp(out, "a  b c d", 8) == 0, "%.*s", (int) n,
              out);
    /* a map has no text; an unknown trait is not there */
    cr_assert_eq(text_of(&v, "address", out, sizeof(out)), 0);
    cr_assert_eq(text_of(&v, "missing", out, sizeof(out)), (size_t) -1);
    /* a cut value ends on a character boundary, never inside one */
    cr_assert_eq(text_of(&v, "plan", out, 2), 2);
    n = text_of(&v, "accent", out, sizeof(out));
    cr_assert(n == 5 && memcmp(out, "n\xc3\xa9" "e!", 5) == 0);
    cr_assert_eq(text_of(&v, "accent", out, 3), 3);    /* "né" */
    cr_assert_eq(text_of(&v, "accent", out, 2), 1);    /* "n", not "n\xc3" */
    cr_assert(memcmp(out, "n", 1) == 0);

    stored_profile_free(&full);
    msgpack_sbuffer_destroy(&sb);
}


Test(profile_view, a_profile_without_orders_or_segments_serves_empty)
{
    msgpack_sbuffer        sb;
    spoor_profile_view_t   v;
    spoor_profile_iter_t   it;
    const char            *name;
    size_t                 nlen;

    intern_init(&strings);
    pack_record(&sb, ids1, 3, NULL, 0, 0);
    cr_assert_eq(spoor_profile_view((unsigned char *) sb.data, sb.size, &v),
                 SPOOR_OK);
    cr_assert_eq(v.rfm[0], 0);
    memset(&it, 0, sizeof(it));
    cr_assert_eq(spoor_profile_view_segment(&v, &it, &name, &nlen), 0);
    msgpack_sbuffer_destroy(&sb);
}


Test(profile_view, damaged_records_never_read_out_of_bounds)
{
    msgpack_sbuffer        sb;
    spoor_profile_view_t   v;
    spoor_profile_iter_t   it;
    unsigned char         *copy;
    const unsigned char   *val;
    const char            *name;
    size_t                 cut, nlen, vlen, i, pos;
    char                   out[64];

    intern_init(&strings);
    pack_record(&sb, ids1, 3, segs1, 2, 1);

    /* every truncation, in an exactly sized heap copy (ASan sees any
     * read past it) */
    for (cut = 0; cut < sb.size; cut++) {
        copy = malloc(cut ? cut : 1);
        memcpy(copy, sb.data, cut);
        if (spoor_profile_view(copy, cut, &v) == SPOOR_OK) {
            memset(&it, 0, sizeof(it));
            while (spoor_profile_view_segment(&v, &it, &name, &nlen)) {
            }
            if (spoor_profile_view_trait(&v, "note", 4, &val, &vlen)) {
                (void) spoor_profile_view_text(val, vlen, out, sizeof(out));
            }
        }
        free(copy);
    }

    /* random byte changes */
    srand(7);
    copy = malloc(sb.size);
    for (i = 0; i < 5000; i++) {
        memcpy(copy, sb.data, sb.size);
        pos = (size_t) rand() % sb.size;
        copy[pos] = (unsigned char) rand();
        if (spoor_profile_view(copy, sb.size, &v) == SPOOR_OK) {
            memset(&it, 0, sizeof(it));
            while (spoor_profile_view_segment(&v, &it, &name, &nlen)) {
                cr_assert(name >= (char *) copy
                          && name + nlen <= (char *) copy + sb.size);
            }
            if (spoor_profile_view_trait(&v, "plan", 4, &val, &vlen)) {
                cr_assert(val >= copy && val + vlen <= copy + sb.size);
                (void) spoor_profile_view_text(val, vlen, out, sizeof(out));
            }
        }
    }
    free(copy);
    msgpack_sbuffer_destroy(&sb);
}


/* ---- the lookup in a written snapshot ------------------------------------ */

static char  dir[] = "/tmp/spoor-pv-XXXXXX";

static uint64_t
hash_of(char kind, const char *id)
{
    char  k[2] = { kind, '\0' };

    return spoor_id_hash(k, id, strlen(id));
}


Test(profile_view, the_lookup_finds_a_profile_by_every_id_kind)
{
    static const unsigned char key[40] = "0123456789abcdef0123456789abcdef0123456";
    msgpack_sbuffer        sb1, sb2;
    spoor_snapw_t         *w;
    spoor_snap_t          *s;
    spoor_profile_chain_t  c;
    spoor_profile_view_t   v;
    spoor_keyed_t         *kk;
    spoor_event_t          ev;
    spoor_privacy_t        pv;
    spoor_buf_t            out;
    unsigned char          outbuf[256];
    char                   hex[SPOOR_PSEUDONYM_LEN + 1], path[64], err[256];
    spoor_str_t            part = { "user-2", 6 };
    stored_id_t            ids2[2];
    stored_str_t           segs2[1] = { { "high_value_customers", 20 } };
    uint64_t               h1[3], h2[2];

    intern_init(&strings);
    cr_assert_not_null(mkdtemp(dir));

    /* profile 2's user id is stored pseudonymized, written by the capture
     * path itself (spoor_pseudonymize userId) */
    spoor_event_init(&ev);
    ev.user_id = part;
    memset(&pv, 0, sizeof(pv));
    pv.pseudo_user_id = 1;
    pv.key = key;
    pv.key_len = sizeof(key);
    spoor_buf_init(&out, outbuf, sizeof(outbuf));
    cr_assert_eq(spoor_privacy_apply(&pv, 0, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.user_id.len, SPOOR_PSEUDONYM_LEN);
    memcpy(hex, ev.user_id.data, SPOOR_PSEUDONYM_LEN);
    hex[SPOOR_PSEUDONYM_LEN] = '\0';
    ids2[0] = (stored_id_t) { 'a', { "anon-2", 6 } };
    ids2[1] = (stored_id_t) { 'u', { hex, SPOOR_PSEUDONYM_LEN } };

    pack_record(&sb1, ids1, 3, segs1, 2, 1);
    pack_record(&sb2, ids2, 2, segs2, 1, 0);
    h1[0] = hash_of('a', "anon-1");
    h1[1] = hash_of('u', "user-1");
    h1[2] = hash_of('v', "AAAAAAAAAAAAAAAAAAAAAQ");
    h2[0] = hash_of('a', "anon-2");
    h2[1] = hash_of('u', hex);

    w = spoor_snapw_create(dir, "gen-000001.snap");
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_add(w, (unsigned char *) sb1.data, sb1.size,
                                 h1, 3), SPOOR_OK);
    cr_assert_eq(spoor_snapw_add(w, (unsigned char *) sb2.data, sb2.size,
                                 h2, 2), SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    snprintf(path, sizeof(path), "%s/gen-000001.snap", dir);
    s = spoor_snap_open(path, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    memset(&c, 0, sizeof(c));
    c.file[0] = s;                  /* a full generation: a chain of one */
    c.n = 1;

    cr_assert(spoor_profile_lookup(&c, NULL, 'v', "AAAAAAAAAAAAAAAAAAAAAQ", 22, NULL,
                                   &v));
    cr_assert_eq(v.nseg, 2);
    cr_assert(spoor_profile_lookup(&c, NULL, 'u', "user-1", 6, NULL, &v));
    cr_assert_eq(v.nseg, 2);
    cr_assert(spoor_profile_lookup(&c, NULL, 'a', "anon-2", 6, NULL, &v));
    cr_assert_eq(v.nseg, 1);
    /* kinds keep equal strings apart; unknown and empty ids find nothing */
    cr_assert(!spoor_profile_lookup(&c, NULL, 'v', "user-1", 6, NULL, &v));
    cr_assert(!spoor_profile_lookup(&c, NULL, 'v', "nobody", 6, NULL, &v));
    cr_assert(!spoor_profile_lookup(&c, NULL, 'u', "", 0, NULL, &v));

    /* a pseudonymized user id: found through its pseudonym only */
    kk = spoor_keyed_new(key, sizeof(key));
    cr_assert_not_null(kk);
    cr_assert(!spoor_profile_lookup(&c, NULL, 'u', "user-2", 6, NULL, &v));
    cr_assert(spoor_profile_lookup(&c, NULL, 'u', "user-2", 6, kk, &v));
    cr_assert_eq(v.nseg, 1);
    cr_assert(!spoor_profile_lookup(&c, NULL, 'u', "user-1", 6, kk, &v));
    spoor_keyed_free(kk);

    spoor_snap_close(s);
    unlink(path);
    rmdir(dir);
    msgpack_sbuffer_destroy(&sb1);
    msgpack_sbuffer_destroy(&sb2);
}


Test(profile_view, a_prepared_key_hashes_like_the_one_shot_hash)
{
    static const unsigned char key[33] = "another key of thirty-two bytes!";
    spoor_keyed_t  *k = spoor_keyed_new(key, sizeof(key));
    unsigned char   a[SPOOR_KEYED_HASH_LEN], b[SPOOR_KEYED_HASH_LEN];
    char            text[64];
    spoor_str_t     parts[2];
    int             i;

    cr_assert_not_null(k);
    for (i = 0; i < 200; i++) {
        snprintf(text, sizeof(text), "id-%d", i * 7919);
        parts[0].data = text;
        parts[0].len = strlen(text);
        parts[1].data = i % 2 ? "x" : NULL;
        parts[1].len = i % 2;
        cr_assert_eq(spoor_keyed_hash(key, sizeof(key), parts, 2, a),
                     SPOOR_OK);
        cr_assert_eq(spoor_keyed_hash_with(k, parts, 2, b), SPOOR_OK);
        cr_assert(memcmp(a, b, sizeof(a)) == 0, "hash %d differs", i);
    }
    spoor_keyed_free(k);
    cr_assert_null(spoor_keyed_new(NULL, 0));
    cr_assert_eq(spoor_keyed_hash_with(NULL, parts, 1, b), SPOOR_E_INVAL);
}


/* ---- find and the stepwise checksum ----------------------------------------- */

typedef struct {
    size_t  first;
    size_t  n;
} found_t;

static void
on_found(void *arg, size_t i)
{
    found_t  *f = arg;

    if (f->n++ == 0) {
        f->first = i;
    }
}


/* Writes a snapshot of n one-byte profiles with the given id hashes
 * (hashes[i] for profile i) and opens it. */
static spoor_snap_t *
write_snap(const char *name, const uint64_t *hashes, size_t n)
{
    spoor_snapw_t  *w;
    spoor_snap_t   *s;
    unsigned char   blob = 0x80;           /* an empty msgpack map */
    char            path[128], err[256];
    size_t          i;

    w = spoor_snapw_create(dir, name);
    cr_assert_not_null(w);
    for (i = 0; i < n; i++) {
        cr_assert_eq(spoor_snapw_add(w, &blob, 1, &hashes[i], 1), SPOOR_OK);
    }
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    s = spoor_snap_open(path, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    return s;
}


static uint64_t
rnd64(void)
{
    return ((uint64_t) rand() << 42) ^ ((uint64_t) rand() << 21)
           ^ (uint64_t) rand();
}


Test(profile_view, find_agrees_with_a_plain_search_on_even_and_bunched_hashes,
     .timeout = 120)
{
    enum { N = 20000 };
    uint64_t       *h = malloc(N * sizeof(uint64_t)), q;
    spoor_snap_t   *s;
    found_t         f;
    size_t          i, j, want_first, want_n, round, steps;
    char            path[128];
    int             done;

    cr_assert_not_null(mkdtemp(strcpy(dir, "/tmp/spoor-pv-XXXXXX")));
    srand(11);

    for (round = 0; round < 3; round++) {
        for (i = 0; i < N; i++) {
            switch (round) {
            case 0: h[i] = rnd64(); break;                    /* even */
            case 1: h[i] = (rnd64() & 0xffff) | (i % 3 ? 0 : ~0ULL << 60);
                    break;                                    /* bunched */
            default: h[i] = rnd64() % 50; break;              /* repeats */
            }
        }
        s = write_snap("find.snap", h, N);

        for (j = 0; j < 6000; j++) {
            if (j == 1500) {
                /* a directory half built is not used yet */
                cr_assert_eq(spoor_snap_index_dir_step(s, 777, &done),
                             SPOOR_OK);
                cr_assert_eq(done, 0);
                cr_assert_eq(spoor_snap_index_dir_step(s, 5000, &done),
                             SPOOR_OK);
                cr_assert_eq(done, 0);
            }
            if (j == 3000) {
                /* the same answers with the in-memory directory, built
                 * in steps */
                steps = 0;
                do {
                    cr_assert_eq(spoor_snap_index_dir_step(s, 1000, &done),
                                 SPOOR_OK);
                    steps++;
                } while (!done && steps < 1000);
                cr_assert(done && steps > 10);
                cr_assert_eq(spoor_snap_index_dir(s), SPOOR_OK);
            }
            q = j % 2 ? h[(size_t) rand() % N] : rnd64() % (round == 2 ? 60
                                                                : UINT64_MAX);
            want_n = 0;
            want_first = SIZE_MAX;
            for (i = 0; i < N; i++) {
                if (h[i] == q) {
                    if (want_n++ == 0) {
                        want_first = i;
                    }
                }
            }
            memset(&f, 0, sizeof(f));
            cr_assert_eq(spoor_snap_find(s, q, on_found, &f), want_n);
            cr_assert_eq(spoor_snap_first(s, q), want_first);
            if (want_n) {
                cr_assert_eq(f.first, want_first);
            }
        }
        /* the extremes */
        cr_assert_eq(spoor_snap_find(s, 0, NULL, NULL) > 0,
                     spoor_snap_first(s, 0) != SIZE_MAX);
        (void) spoor_snap_first(s, UINT64_MAX);
        spoor_snap_close(s);
    }
    snprintf(path, sizeof(path), "%s/find.snap", dir);
    unlink(path);
    rmdir(dir);
    free(h);
}


Test(profile_view, the_stepwise_checksum_agrees_with_verify)
{
    uint64_t               h[300];
    spoor_snap_t          *s;
    spoor_snap_hashing_t  *hs;
    size_t                 i, steps, step_sizes[] = { 0, 1, 7, 64, 1000 };
    char                   path[128], err[256];
    FILE                  *f;
    int                    done, rc, damaged;

    cr_assert_not_null(mkdtemp(strcpy(dir, "/tmp/spoor-pv-XXXXXX")));
    for (i = 0; i < 300; i++) {
        h[i] = rnd64();
    }
    snprintf(path, sizeof(path), "%s/sum.snap", dir);

    for (damaged = 0; damaged < 2; damaged++) {
        spoor_snap_close(write_snap("sum.snap", h, 300));
        if (damaged) {
            /* a byte of profile 100's padding: open passes, verify not */
            f = fopen(path, "r+b");
            cr_assert_not_null(f);
            fseek(f, 136 + 24 * 100 + 20, SEEK_SET);
            fputc(0x33, f);
            fclose(f);
        }
        s = spoor_snap_open(path, err, sizeof(err));
        cr_assert_not_null(s, "%s", err);
        cr_assert_eq(spoor_snap_verify(s, NULL, 0) == SPOOR_OK, !damaged);

        for (i = 0; i < sizeof(step_sizes) / sizeof(step_sizes[0]); i++) {
            hs = spoor_snap_hash_start(s);
            cr_assert_not_null(hs);
            steps = 0;
            do {
                rc = spoor_snap_hash_step(hs, step_sizes[i], &done, err,
                                          sizeof(err));
                steps++;
            } while (!done && steps < 100000);
            cr_assert(done);
            cr_assert_eq(rc, damaged ? SPOOR_E_FORMAT : SPOOR_OK, "%s", err);
            if (damaged) {
                cr_assert(strstr(err, "checksum") != NULL, "%s", err);
            }
            if (step_sizes[i] == 1000) {
                cr_assert(steps > 5);          /* it did go in steps */
            }
            spoor_snap_hash_free(hs);
        }
        spoor_snap_close(s);
    }
    unlink(path);
    rmdir(dir);
}


/* ---- the serving record ---------------------------------------------------- */

/* Rules with n segments s0 .. s(n-1); frequent_buyers and new_visitors
 * (segs1) are segments 1 and n - 1. */
static spoor_rules_t *
rules_of(size_t n)
{
    static char     text[64 * 300];
    spoor_rules_t  *r;
    size_t          i, o = 0;
    char            err[256], name[32];

    for (i = 0; i < n; i++) {
        if (i == 1) {
            snprintf(name, sizeof(name), "frequent_buyers");
        } else if (i == n - 1) {
            snprintf(name, sizeof(name), "new_visitors");
        } else {
            snprintf(name, sizeof(name), "s%zu", i);
        }
        o += (size_t) snprintf(text + o, sizeof(text) - o,
                               "segment %s = first_seen within 7d;\n", name);
    }
    cr_assert_eq(spoor_rules_parse(text, o, "test", &r, err, sizeof(err)),
                 SPOOR_OK, "%s", err);
    cr_assert_eq(spoor_rules_count(r), n);
    return r;
}


/* Writes a serving view of rec (ids1) and of a profile with no orders,
 * stage or traits (ids "anon-2"), as the analyzer does, and opens it. */
static spoor_snap_t *
write_serve(const char *name, const stored_profile_t *rec,
    const spoor_rules_t *rules, spoor_profile_serve_t *sv)
{
    msgpack_sbuffer        sb;
    msgpack_packer         pk;
    spoor_snapw_t         *w;
    spoor_snap_t          *s;
    stored_profile_t       bare;
    profile_t             *p2 = profile_new();
    unsigned char          sum[SPOOR_SERVE_SUM_LARGE];
    uint64_t               h1[3], h2[1], version;
    char                   path[64], err[256];
    const unsigned char   *meta;
    size_t                 mlen;

    h1[0] = hash_of('a', "anon-1");
    h1[1] = hash_of('u', "user-1");
    h1[2] = hash_of('v', "AAAAAAAAAAAAAAAAAAAAAQ");
    h2[0] = hash_of('a', "anon-2");

    w = spoor_snapw_create(dir, name);
    cr_assert_not_null(w);
    cr_assert_eq(spoor_snapw_slots(w, stored_serve_sum_size(rules)),
                 SPOOR_OK);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    cr_assert_eq(stored_serve_pack(&pk, rec), SPOOR_OK);
    stored_serve_summary(rec, rules, sum);
    cr_assert_eq(spoor_snapw_add_sum(w, (unsigned char *) sb.data, sb.size,
                                     h1, 3, sum), SPOOR_OK);

    memset(&bare, 0, sizeof(bare));
    bare.profile = p2;
    sb.size = 0;
    cr_assert_eq(stored_serve_pack(&pk, &bare), SPOOR_OK);
    stored_serve_summary(&bare, rules, sum);
    cr_assert_eq(spoor_snapw_add_sum(w, (unsigned char *) sb.data, sb.size,
                                     h2, 1, sum), SPOOR_OK);

    sb.size = 0;
    cr_assert_eq(stored_serve_meta_pack(&pk, 1767225600000LL, rules, 0, 0),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_meta(w, (unsigned char *) sb.data, sb.size),
                 SPOOR_OK);
    cr_assert_eq(spoor_snapw_commit(w), SPOOR_OK);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p2);

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    s = spoor_snap_open(path, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(spoor_snap_verify(s, err, sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_eq(spoor_snap_summary_size(s), stored_serve_sum_size(rules));
    meta = spoor_snap_meta(s, &mlen);
    cr_assert_eq(spoor_profile_serve_meta(meta, mlen,
                                          spoor_snap_summary_size(s), sv,
                                          &version), SPOOR_OK);
    cr_assert_eq(version, SPOOR_SERVE_VERSION);
    cr_assert_eq(sv->nseg, spoor_rules_count(rules));
    return s;
}


/* The served fields of a full record and of a serving view agree, for a
 * summary of each size (at most 64 segments, and more). */
static void
serve_agrees(size_t nsegs)
{
    profile_t             *p = profile_new();
    spoor_rules_t         *rules = rules_of(nsegs);
    spoor_profile_serve_t  sv;
    stored_profile_t       rec;
    msgpack_sbuffer        full;
    msgpack_packer         pk;
    spoor_profile_view_t   vf, vs;
    spoor_profile_iter_t   itf, its;
    spoor_profile_chain_t  c;
    spoor_snap_t          *s;
    const char            *nf, *ns;
    size_t                 lf, ls, i, n;
    unsigned char          val[64];
    char                   a[64], b[64], name[32];

    intern_init(&strings);
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_not_null(p);
    for (i = 0; i < sizeof(trait_names) / sizeof(trait_names[0]); i++) {
        n = mp_value(val, sizeof(val), (int) i);
        cr_assert_eq(profile_import_trait(p, &strings, trait_names[i],
                                          strlen(trait_names[i]), val, n,
                                          1000), SPOOR_OK);
    }
    memset(&rec, 0, sizeof(rec));
    rec.id.ptr = "00000000000000ab";
    rec.id.len = 16;
    rec.ids = (stored_id_t *) ids1;
    rec.nids = 3;
    rec.profile = p;
    rec.rfm[0] = 5;
    rec.rfm[1] = 1;
    rec.rfm[2] = 3;
    rec.life.ptr = "lapsing";
    rec.life.len = 7;
    rec.segs = (stored_str_t *) segs1;
    rec.strings = &strings;
    rec.nsegs = 2;

    msgpack_sbuffer_init(&full);
    msgpack_packer_init(&pk, &full, msgpack_sbuffer_write);
    cr_assert_eq(stored_profile_pack(&pk, &rec), SPOOR_OK);
    cr_assert_eq(spoor_profile_view((unsigned char *) full.data, full.size,
                                    &vf), SPOOR_OK);

    snprintf(name, sizeof(name), "gen-%06zu.serve", nsegs);
    s = write_serve(name, &rec, rules, &sv);
    memset(&c, 0, sizeof(c));
    c.file[0] = s;
    c.n = 1;

    /* every id of the profile finds the same served fields */
    cr_assert(spoor_profile_lookup(&c, &sv, 'u', "user-1", 6, NULL, &vs));
    cr_assert(spoor_profile_lookup(&c, &sv, 'a', "anon-1", 6, NULL, &vs));
    cr_assert(spoor_profile_lookup(&c, &sv, 'v', "AAAAAAAAAAAAAAAAAAAAAQ", 22,
                                   NULL, &vs));
    cr_assert(!spoor_profile_lookup(&c, &sv, 'v', "user-1", 6, NULL, &vs));
    cr_assert(!spoor_profile_lookup(&c, &sv, 'u', "nobody", 6, NULL, &vs));

    /* segments: the same names in the same order */
    memset(&itf, 0, sizeof(itf));
    memset(&its, 0, sizeof(its));
    for (i = 0; spoor_profile_view_segment(&vf, &itf, &nf, &lf); i++) {
        cr_assert(spoor_profile_view_segment(&vs, &its, &ns, &ls));
        cr_assert(lf == ls && memcmp(nf, ns, lf) == 0, "%.*s vs %.*s",
                  (int) lf, nf, (int) ls, ns);
    }
    cr_assert(!spoor_profile_view_segment(&vs, &its, &ns, &ls));
    cr_assert_eq(i, 2);

    cr_assert(vs.life_len == 7 && memcmp(vs.life, "lapsing", 7) == 0);
    cr_assert(vs.rfm[0] == 5 && vs.rfm[1] == 1 && vs.rfm[2] == 3);
    cr_assert(vf.rfm[0] == 5 && vf.rfm[1] == 1 && vf.rfm[2] == 3);

    /* scalar traits read the same; a map is not served */
    for (i = 0; i < sizeof(trait_names) / sizeof(trait_names[0]); i++) {
        lf = text_of(&vf, trait_names[i], a, sizeof(a));
        ls = text_of(&vs, trait_names[i], b, sizeof(b));
        if (strcmp(trait_names[i], "address") == 0) {
            cr_assert_eq(lf, 0);
            cr_assert_eq(ls, (size_t) -1);
        } else {
            cr_assert(lf == ls && memcmp(a, b, lf) == 0, "%s",
                      trait_names[i]);
        }
    }

    /* the bare profile: no segments, stage, scores or traits */
    cr_assert(spoor_profile_lookup(&c, &sv, 'a', "anon-2", 6, NULL, &vs));
    memset(&its, 0, sizeof(its));
    cr_assert(!spoor_profile_view_segment(&vs, &its, &ns, &ls));
    cr_assert_null(vs.life);
    cr_assert_eq(vs.rfm[0], 0);
    cr_assert_eq(vs.ntr, 0);
    cr_assert_eq(text_of(&vs, "plan", b, sizeof(b)), (size_t) -1);

    spoor_snap_close(s);
    snprintf(a, sizeof(a), "%s/%s", dir, name);
    unlink(a);
    rmdir(dir);
    memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
    msgpack_sbuffer_destroy(&full);
    spoor_rules_free(rules);
    profile_free(p);
}


Test(profile_view, a_serving_view_serves_what_the_full_record_does)
{
    serve_agrees(4);
}


Test(profile_view, a_serving_view_of_more_than_64_segments_serves_them_all)
{
    serve_agrees(SPOOR_SERVE_SEGS_MAX);
}


Test(profile_view, a_summary_with_codes_out_of_range_serves_none)
{
    spoor_profile_serve_t  sv;
    spoor_profile_view_t   v;
    spoor_profile_iter_t   it;
    unsigned char          sum[SPOOR_SERVE_SUM_SMALL];
    const char            *name;
    size_t                 len;

    memset(&sv, 0, sizeof(sv));
    sv.seg[0] = "a";
    sv.seg_len[0] = 1;
    sv.nseg = 1;
    sv.life[0] = "new";
    sv.life_len[0] = 3;
    sv.nlife = 1;
    sv.sum = sizeof(sum);

    /* RFM 600 and 556 are no scores, stage 2 has no name, bits past the
     * names stand for nothing */
    memset(sum, 0xff, sizeof(sum));
    sum[0] = 600 & 0xff;
    sum[1] = 600 >> 8;
    sum[2] = 2;
    sum[3] = 0;
    spoor_profile_view_summary(&sv, sum, NULL, 0, &v);
    cr_assert_eq(v.rfm[0], 0);
    cr_assert_null(v.life);
    memset(&it, 0, sizeof(it));
    cr_assert(spoor_profile_view_segment(&v, &it, &name, &len));
    cr_assert(len == 1 && name[0] == 'a');
    cr_assert(!spoor_profile_view_segment(&v, &it, &name, &len));

    sum[0] = 556 & 0xff;
    sum[1] = 556 >> 8;
    sum[2] = 1;
    spoor_profile_view_summary(&sv, sum, NULL, 0, &v);
    cr_assert_eq(v.rfm[0], 0);
    cr_assert(v.life_len == 3 && memcmp(v.life, "new", 3) == 0);

    sum[0] = 555 & 0xff;
    sum[1] = 555 >> 8;
    spoor_profile_view_summary(&sv, sum, NULL, 0, &v);
    cr_assert(v.rfm[0] == 5 && v.rfm[1] == 5 && v.rfm[2] == 5);
}


/* A meta map of the given "serve" version, with or without names. */
static void
pack_meta(msgpack_packer *pk, uint64_t version, int names, size_t nsegs)
{
    size_t  i;

    msgpack_pack_map(pk, names ? 3 : 1);
    msgpack_pack_str(pk, 5);
    msgpack_pack_str_body(pk, "serve", 5);
    msgpack_pack_uint64(pk, version);
    if (names) {
        msgpack_pack_str(pk, 4);
        msgpack_pack_str_body(pk, "segs", 4);
        msgpack_pack_array(pk, nsegs);
        for (i = 0; i < nsegs; i++) {
            msgpack_pack_str(pk, 1);
            msgpack_pack_str_body(pk, "x", 1);
        }
        msgpack_pack_str(pk, 4);
        msgpack_pack_str_body(pk, "life", 4);
        msgpack_pack_array(pk, 0);
    }
}


Test(profile_view, the_serving_file_version_is_checked)
{
    msgpack_sbuffer         sb;
    msgpack_packer          pk;
    uint64_t                version;
    spoor_profile_serve_t   sv;
    spoor_rules_t          *rules = rules_of(3);
    const unsigned char    *m;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    cr_assert_eq(stored_serve_meta_pack(&pk, 1767225600000LL, rules, 0, 0),
                 SPOOR_OK);
    m = (unsigned char *) sb.data;
    cr_assert_eq(spoor_profile_serve_meta(m, sb.size, SPOOR_SERVE_SUM_SMALL,
                                          &sv, &version), SPOOR_OK);
    cr_assert_eq(version, SPOOR_SERVE_VERSION);
    cr_assert_eq(sv.nseg, 3);
    cr_assert(sv.seg_len[2] == 12 && memcmp(sv.seg[2], "new_visitors", 12)
              == 0);
    cr_assert_eq(sv.nlife, 4);
    /* a summary too large for 3 segments, or none (a version 1 file) */
    cr_assert_eq(spoor_profile_serve_meta(m, sb.size, SPOOR_SERVE_SUM_LARGE,
                                          &sv, &version), SPOOR_E_FORMAT);
    cr_assert_eq(spoor_profile_serve_meta(m, sb.size, 0, &sv, &version),
                 SPOOR_E_FORMAT);

    /* 65 names need the large summary */
    sb.size = 0;
    pack_meta(&pk, SPOOR_SERVE_VERSION, 1, 65);
    cr_assert_eq(spoor_profile_serve_meta(m = (unsigned char *) sb.data,
                                          sb.size, SPOOR_SERVE_SUM_SMALL,
                                          &sv, &version), SPOOR_E_FORMAT);
    cr_assert_eq(spoor_profile_serve_meta(m, sb.size, SPOOR_SERVE_SUM_LARGE,
                                          &sv, &version), SPOOR_OK);
    cr_assert_eq(sv.nseg, 65);
    /* more names than a summary has bits */
    sb.size = 0;
    pack_meta(&pk, SPOOR_SERVE_VERSION, 1, SPOOR_SERVE_SEGS_MAX + 1);
    cr_assert_eq(spoor_profile_serve_meta((unsigned char *) sb.data,
                                          sb.size, SPOOR_SERVE_SUM_LARGE,
                                          &sv, &version), SPOOR_E_FORMAT);

    /* the older layout (version 1, no names), a newer one, no version, no
     * map: the version found is told */
    sb.size = 0;
    pack_meta(&pk, 1, 0, 0);
    cr_assert_eq(spoor_profile_serve_meta((unsigned char *) sb.data,
                                          sb.size, 0, &sv, &version),
                 SPOOR_E_FORMAT);
    cr_assert_eq(version, 1);
    sb.size = 0;
    pack_meta(&pk, SPOOR_SERVE_VERSION + 1, 1, 3);
    cr_assert_eq(spoor_profile_serve_meta((unsigned char *) sb.data,
                                          sb.size, SPOOR_SERVE_SUM_SMALL,
                                          &sv, &version), SPOOR_E_FORMAT);
    cr_assert_eq(version, SPOOR_SERVE_VERSION + 1);
    sb.size = 0;
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "v", 1);
    msgpack_pack_uint64(&pk, 1);
    cr_assert_eq(spoor_profile_serve_meta((unsigned char *) sb.data, sb.size,
                                          SPOOR_SERVE_SUM_SMALL, &sv,
                                          &version), SPOOR_E_FORMAT);
    cr_assert_eq(version, 0);
    cr_assert_eq(spoor_profile_serve_meta(NULL, 0, SPOOR_SERVE_SUM_SMALL,
                                          &sv, &version), SPOOR_E_FORMAT);
    msgpack_sbuffer_destroy(&sb);
    spoor_rules_free(rules);
}
