/*
 * test_stored.c -- the stored profile record and metadata
 * (analyzer/stored.c): what the writer packs, the reader gives back field
 * for field, and a damaged record or metadata is refused with a reason
 * that names what is wrong, never read out of bounds.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "profile.h"
#include "settings.h"
#include "stored.h"

/* The profiles' strings of every test (reachable to the end). */
static intern_t  strings;

static int
str_is(stored_str_t s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}


/* A record of a profile with two ids, an order score, two weights and
 * one segment, packed into *sb. */
static void
pack_record(msgpack_sbuffer *sb, profile_t *p)
{
    stored_profile_t  v;
    stored_id_t       ids[2] = {
        { 'a', { "anon-1", 6 } }, { 'u', { "user-1", 6 } }
    };
    stored_decayed_t  dec[2] = { { { "", 0 }, 2.5 }, { { "shoes", 5 }, 1.25 } };
    stored_str_t      segs[1] = { { "buyers", 6 } };
    msgpack_packer    pk;

    memset(&v, 0, sizeof(v));
    v.id.ptr = "00000000000000ab";
    v.id.len = 16;
    v.ids = ids;
    v.nids = 2;
    v.profile = p;
    v.rfm[0] = 5;
    v.rfm[1] = 4;
    v.rfm[2] = 3;
    v.life.ptr = "active";
    v.life.len = 6;
    v.as_of = 1767225600000LL;
    v.abandoned = 2;
    v.decayed = dec;
    v.ndecayed = 2;
    v.segs = segs;
    v.strings = &strings;
    v.nsegs = 1;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    cr_assert_eq(stored_profile_pack(&pk, &v), SPOOR_OK);
}


Test(stored, a_record_reads_back_field_for_field)
{
    profile_t         *p = profile_new(), *back = NULL;
    msgpack_sbuffer    sb;
    stored_profile_t   v;
    char               err[256];

    cr_assert_not_null(p);
    p->orders = 3;
    pack_record(&sb, p);

    cr_assert_eq(stored_profile_read(&v, (unsigned char *) sb.data, sb.size,
                                     err, sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert(v.has_id && str_is(v.id, "00000000000000ab"));
    cr_assert_eq(v.nids, 2);
    cr_assert_eq(v.ids[0].kind, 'a');
    cr_assert(str_is(v.ids[0].text, "anon-1"));
    cr_assert_eq(v.ids[1].kind, 'u');
    cr_assert(str_is(v.ids[1].text, "user-1"));
    /* strings point into the record's bytes */
    cr_assert(v.ids[1].text.ptr >= sb.data
              && v.ids[1].text.ptr < sb.data + sb.size);
    cr_assert(v.has_rfm);
    cr_assert_eq(v.rfm[0], 5);
    cr_assert_eq(v.rfm[1], 4);
    cr_assert_eq(v.rfm[2], 3);
    cr_assert(v.has_life && str_is(v.life, "active"));
    cr_assert(v.has_as_of);
    cr_assert_eq(v.as_of, 1767225600000LL);
    cr_assert(v.has_abandoned);
    cr_assert_eq(v.abandoned, 2);
    cr_assert_eq(v.ndecayed, 2);
    cr_assert(str_is(v.decayed[0].name, ""));
    cr_assert_float_eq(v.decayed[0].value, 2.5, 1e-12);
    cr_assert(str_is(v.decayed[1].name, "shoes"));
    cr_assert_float_eq(v.decayed[1].value, 1.25, 1e-12);
    cr_assert(v.has_segs);
    cr_assert_eq(v.nsegs, 1);
    cr_assert(str_is(v.segs[0], "buyers"));

    cr_assert_not_null(v.state);
    cr_assert_eq(profile_unpack(v.state, &strings, &back), SPOOR_OK);
    cr_assert_eq(back->orders, 3);

    profile_free(back);
    stored_profile_free(&v);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
}


Test(stored, a_damaged_record_is_refused_with_its_reason)
{
    profile_t         *p = profile_new();
    msgpack_sbuffer    sb;
    stored_profile_t   v;
    char               err[256];
    size_t             cut;
    static const unsigned char  huge[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
    static const unsigned char  no_state[] = {
        0x81, 0xa3, 'i', 'd', 's', 0x90            /* {"ids": []} */
    };
    static const unsigned char  bad_ids[] = {
        0x82, 0xa3, 'i', 'd', 's', 0x91, 0xa1, 'u', /* {"ids": ["u"], */
        0xa5, 's', 't', 'a', 't', 'e', 0x80         /*  "state": {}} */
    };

    cr_assert_not_null(p);
    pack_record(&sb, p);

    /* cut anywhere: refused, never a crash */
    for (cut = 0; cut < sb.size; cut++) {
        err[0] = '\0';
        cr_assert_eq(stored_profile_read(&v, (unsigned char *) sb.data, cut,
                                         err, sizeof(err)), SPOOR_E_FORMAT,
                     "cut at %zu", cut);
        cr_assert(err[0] != '\0');
        stored_profile_free(&v);
    }

    cr_assert_eq(stored_profile_read(&v, huge, sizeof(huge), err,
                                     sizeof(err)), SPOOR_E_FORMAT);
    cr_assert(strstr(err, "no msgpack map") != NULL, "%s", err);
    stored_profile_free(&v);

    cr_assert_eq(stored_profile_read(&v, no_state, sizeof(no_state), err,
                                     sizeof(err)), SPOOR_E_FORMAT);
    cr_assert(strstr(err, "\"state\"") != NULL, "%s", err);
    stored_profile_free(&v);

    cr_assert_eq(stored_profile_read(&v, bad_ids, sizeof(bad_ids), err,
                                     sizeof(err)), SPOOR_E_FORMAT);
    cr_assert(strstr(err, "\"ids\"") != NULL, "%s", err);
    stored_profile_free(&v);

    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
}


Test(stored, inferred_fields_of_another_type_are_unknown_not_an_error)
{
    /* {"ids": [], "state": {}, "rfm": "x", "life": 3, "seg": [1]} */
    static const unsigned char  rec[] = {
        0x85, 0xa3, 'i', 'd', 's', 0x90,
        0xa5, 's', 't', 'a', 't', 'e', 0x80,
        0xa3, 'r', 'f', 'm', 0xa1, 'x',
        0xa4, 'l', 'i', 'f', 'e', 0x03,
        0xa3, 's', 'e', 'g', 0x91, 0x01
    };
    stored_profile_t  v;

    cr_assert_eq(stored_profile_read(&v, rec, sizeof(rec), NULL, 0),
                 SPOOR_OK);
    cr_assert_not(v.has_id);
    cr_assert_not(v.has_rfm);
    cr_assert_not(v.has_life);
    cr_assert_not(v.has_segs);
    cr_assert_not(v.has_as_of);
    cr_assert_eq(v.ndecayed, 0);
    stored_profile_free(&v);
}


Test(stored, metadata_reads_back_field_for_field)
{
    uint64_t           frames[3] = { 1, 0x0102030405060708ULL, UINT64_MAX };
    stored_tomb_t      tombs[1] = { { 42, -7 } };
    stored_counter_t   counters[2] = { { { "kind:track", 10 }, 5 },
                                       { { "country:DE", 10 }, 7 } };
    stored_meta_t      w, r;
    msgpack_sbuffer    sb;
    msgpack_packer     pk;
    char               err[256];
    int                i;

    memset(&w, 0, sizeof(w));
    settings_init(&w.settings);
    w.settings.keep = 3;
    w.as_of = 1767225600000LL;
    w.frames = frames;
    w.nframes = 3;
    w.tombs = tombs;
    w.ntombs = 1;
    w.counters = counters;
    w.ncounters = 2;
    for (i = 0; i < 12; i++) {
        w.rfm_cuts[i / 4][i % 4] = i * 0.5;
    }
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    cr_assert_eq(stored_meta_pack(&pk, &w), SPOOR_OK);

    cr_assert_eq(stored_meta_read(&r, (unsigned char *) sb.data, sb.size,
                                  err, sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_eq(r.as_of, w.as_of);
    cr_assert_eq(r.nframes, 3);
    cr_assert_eq(r.frames[1], 0x0102030405060708ULL);
    cr_assert_eq(r.frames[2], UINT64_MAX);
    cr_assert_eq(r.ntombs, 1);
    cr_assert_eq(r.tombs[0].hash, 42);
    cr_assert_eq(r.tombs[0].time, -7);
    cr_assert_eq(r.ncounters, 2);
    cr_assert(str_is(r.counters[1].key, "country:DE"));
    cr_assert_eq(r.counters[1].n, 7);
    cr_assert(r.has_rfm_cuts);
    cr_assert_float_eq(r.rfm_cuts[2][3], 5.5, 1e-12);
    cr_assert(r.has_settings);
    cr_assert_eq(r.settings.keep, 3);
    stored_meta_free(&r);

    /* cut anywhere: refused with a reason */
    for (i = 0; (size_t) i < sb.size; i++) {
        err[0] = '\0';
        cr_assert_neq(stored_meta_read(&r, (unsigned char *) sb.data,
                                       (size_t) i, err, sizeof(err)),
                      SPOOR_OK, "cut at %d", i);
        cr_assert(err[0] != '\0');
        stored_meta_free(&r);
    }
    msgpack_sbuffer_destroy(&sb);
}


Test(stored, metadata_missing_a_required_key_names_it)
{
    /* {"as_of": 1, "frames": bin of 7 bytes} */
    static const unsigned char  meta[] = {
        0x82, 0xa5, 'a', 's', '_', 'o', 'f', 0x01,
        0xa6, 'f', 'r', 'a', 'm', 'e', 's', 0xc4, 0x07,
        0, 0, 0, 0, 0, 0, 0
    };
    stored_meta_t  r;
    char           err[256];

    cr_assert_eq(stored_meta_read(&r, meta, sizeof(meta), err, sizeof(err)),
                 SPOOR_E_FORMAT);
    cr_assert(strstr(err, "\"frames\"") != NULL, "%s", err);
    stored_meta_free(&r);
}
