/*
 * test_consent_segment.c -- unit tests of Segment's
 * context.consent.categoryPreferences reader (shared/consent_segment.h).
 *
 * The objects are written as JSON (single quotes for double) and go
 * through the transcoder segment.c uses (json_msgpack.h), then are
 * unpacked, so the parser sees what it sees inside the module.  The first
 * vector is the example of Segment's documentation
 * (segment-docs src/privacy/consent-management/consent-in-unify.md), the
 * second what Segment's OneTrust wrapper stamps (consent-tools).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "buf.h"
#include "error.h"
#include "json_msgpack.h"
#include "consent_segment.h"

#define ALL    SPOOR_CAT_ALL
#define ST     SPOOR_CAT_STORAGE
#define AN     SPOOR_CAT_ANALYTICS
#define PE     SPOOR_CAT_PERSONALIZATION
#define MK     SPOOR_CAT_MARKETING

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    unsigned char   mem[8192];
    msgpack_zone    zone;
    msgpack_object  obj;
} sc_obj_t;

/* q with ' turned into ", as an unpacked object in t (free with sc_done). */
static void
sc_load(sc_obj_t *t, const char *q)
{
    char         *j = strdup(q), *c;
    spoor_buf_t   b;
    size_t        off = 0;

    cr_assert_not_null(j);
    for (c = j; *c; c++) {
        if (*c == '\'') {
            *c = '"';
        }
    }
    spoor_buf_init(&b, t->mem, sizeof(t->mem));
    cr_assert_eq(spoor_json_to_msgpack(j, strlen(j), 32, &b), SPOOR_OK,
                 "[%s] is not JSON", j);
    msgpack_zone_init(&t->zone, 1024);
    cr_assert_eq(msgpack_unpack((const char *) t->mem, b.len, &off, &t->zone,
                                &t->obj), MSGPACK_UNPACK_SUCCESS);
    free(j);
}

static void
sc_done(sc_obj_t *t)
{
    msgpack_zone_destroy(&t->zone);
}

static int
sc_parse(const char *q, const spoor_segment_consent_map_t *map,
    spoor_consent_signal_t *s)
{
    sc_obj_t  t;
    int       rc;

    sc_load(&t, q);
    memset(s, 0x5a, sizeof(*s));         /* the parser must set every field */
    rc = spoor_segment_consent_parse(&t.obj, map, s);
    sc_done(&t);
    return rc;
}

static void
sc_check_sig(const spoor_consent_signal_t *s, const char *what)
{
    cr_assert_eq(s->granted & s->denied, 0u, "%s", what);
    cr_assert_eq(s->granted | s->denied, ALL, "%s", what);
    cr_assert_eq((s->granted & ST) != 0, (s->granted & AN) != 0,
                 "%s: storage must follow analytics", what);
    cr_assert_eq(s->gpc, -1, "%s", what);
    cr_assert_eq(s->interacted, -1, "%s", what);
    cr_assert_eq(s->tcf_policy, 0u, "%s", what);
    cr_assert_eq(s->cmp_id, 0u, "%s", what);
}

static void
sc_expect(const char *q, const spoor_segment_consent_map_t *map,
    unsigned granted)
{
    spoor_consent_signal_t  s;
    int                     rc = sc_parse(q, map, &s);

    cr_assert_eq(rc, SPOOR_OK, "[%s]: rc %d", q, rc);
    sc_check_sig(&s, q);
    cr_assert_eq(s.granted, granted, "[%s]: granted 0x%x, expected 0x%x",
                 q, s.granted, granted);
}

static void
sc_expect_err(const char *q, const spoor_segment_consent_map_t *map, int err)
{
    spoor_consent_signal_t  s;
    int                     rc = sc_parse(q, map, &s);

    cr_assert_eq(rc, err, "[%s]: rc %d, expected %d", q, rc, err);
    cr_assert_eq(s.granted, 0u, "[%s]", q);
    cr_assert_eq(s.denied, ALL, "[%s]", q);
    cr_assert_eq(s.gpc, -1, "[%s]", q);
    cr_assert_eq(s.interacted, -1, "[%s]", q);
    cr_assert_eq(s.tcf_policy, 0u, "[%s]", q);
    cr_assert_eq(s.cmp_id, 0u, "[%s]", q);
}

/* ---- real shapes -------------------------------------------------------- */

Test(consent_segment, segment_docs_example)
{
    /* Analytics false; Functional true; Advertising true but DataSharing
     * false */
    sc_expect("{'Advertising':true,'Analytics':false,'Functional':true,"
              "'DataSharing':false}", NULL, PE);
    sc_expect("{'Advertising':true,'Analytics':true,'Functional':true,"
              "'DataSharing':true}", NULL, ST | AN | PE | MK);
    sc_expect("{'Advertising':false,'Analytics':false,'Functional':false,"
              "'DataSharing':false}", NULL, 0);
}

Test(consent_segment, onetrust_wrapper_ids)
{
    sc_expect("{'C0001':true,'C0002':false}", NULL, 0);
    sc_expect("{'C0001':true,'C0002':true,'C0003':false,'C0004':true,"
              "'C0005':false}", NULL, ST | AN | MK);
    sc_expect("{'C0001':true,'C0002':true,'C0003':true,'C0004':true}", NULL,
              ALL);
}

Test(consent_segment, default_names)
{
    sc_expect("{'Analytics':true}", NULL, ST | AN);
    sc_expect("{'Personalization':true}", NULL, PE);
    sc_expect("{'Functional':true}", NULL, PE);
    sc_expect("{'Marketing':true}", NULL, MK);
    sc_expect("{'Advertising':true}", NULL, MK);
    sc_expect("{'DataSharing':true}", NULL, MK);
    sc_expect("{'C0002':true}", NULL, ST | AN);
    sc_expect("{'C0003':true}", NULL, PE);
    sc_expect("{'C0004':true}", NULL, MK);
    /* exact, case-sensitive */
    sc_expect("{'analytics':true,'ANALYTICS':true,'Analytics ':true,"
              "'Analytic':true,'c0002':true}", NULL, 0);
}

Test(consent_segment, every_present_name_must_be_true)
{
    sc_expect("{'Personalization':true,'Functional':false}", NULL, 0);
    sc_expect("{'Personalization':false,'Functional':true}", NULL, 0);
    sc_expect("{'Personalization':true,'Functional':true}", NULL, PE);
    sc_expect("{'Advertising':true,'Marketing':true,'DataSharing':true,"
              "'C0004':false}", NULL, 0);
    sc_expect("{'Analytics':true,'C0002':false}", NULL, 0);
    sc_expect("{'C0002':false,'Analytics':true}", NULL, 0);
    /* a repeated key must be true every time */
    sc_expect("{'Analytics':true,'Analytics':false}", NULL, 0);
    sc_expect("{'Analytics':false,'Analytics':true}", NULL, 0);
    sc_expect("{'Analytics':true,'Analytics':true}", NULL, ST | AN);
}

Test(consent_segment, absent_is_denied)
{
    sc_expect("{}", NULL, 0);
    sc_expect("{'Necessary':true,'Other':true}", NULL, 0);
    sc_expect("{'Analytics':true,'Unknown':false}", NULL, ST | AN);
}

/* ---- malformed ---------------------------------------------------------- */

Test(consent_segment, not_a_map)
{
    spoor_consent_signal_t  s;

    sc_expect_err("[]", NULL, SPOOR_E_FORMAT);
    sc_expect_err("[{'Analytics':true}]", NULL, SPOOR_E_FORMAT);
    sc_expect_err("true", NULL, SPOOR_E_FORMAT);
    sc_expect_err("null", NULL, SPOOR_E_FORMAT);
    sc_expect_err("'Analytics'", NULL, SPOOR_E_FORMAT);
    sc_expect_err("1", NULL, SPOOR_E_FORMAT);

    memset(&s, 0x5a, sizeof(s));
    cr_assert_eq(spoor_segment_consent_parse(NULL, NULL, &s), SPOOR_E_FORMAT);
    cr_assert_eq(s.granted, 0u);
    cr_assert_eq(s.denied, ALL);
}

Test(consent_segment, non_boolean_values)
{
    sc_expect_err("{'Analytics':'true'}", NULL, SPOOR_E_FORMAT);
    sc_expect_err("{'Analytics':1}", NULL, SPOOR_E_FORMAT);
    sc_expect_err("{'Analytics':0}", NULL, SPOOR_E_FORMAT);
    sc_expect_err("{'Analytics':null}", NULL, SPOOR_E_FORMAT);
    sc_expect_err("{'Analytics':{}}", NULL, SPOOR_E_FORMAT);
    sc_expect_err("{'Analytics':[true]}", NULL, SPOOR_E_FORMAT);
    sc_expect_err("{'Analytics':1.0}", NULL, SPOOR_E_FORMAT);
    /* an unmapped key too, wherever it is */
    sc_expect_err("{'Analytics':true,'Other':'yes'}", NULL, SPOOR_E_FORMAT);
    sc_expect_err("{'Other':null,'Analytics':true}", NULL, SPOOR_E_FORMAT);
}

Test(consent_segment, non_string_keys)
{
    /* JSON cannot say it; msgpack can */
    msgpack_sbuffer    sb;
    msgpack_packer     pk;
    msgpack_zone       z;
    msgpack_object     o;
    size_t             off = 0;
    spoor_consent_signal_t  s;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str(&pk, 9);
    msgpack_pack_str_body(&pk, "Analytics", 9);
    msgpack_pack_true(&pk);
    msgpack_pack_int(&pk, 2);
    msgpack_pack_true(&pk);
    msgpack_zone_init(&z, 256);
    cr_assert_eq(msgpack_unpack(sb.data, sb.size, &off, &z, &o),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(spoor_segment_consent_parse(&o, NULL, &s), SPOOR_E_FORMAT);
    cr_assert_eq(s.granted, 0u);

    /* a bin key is not a string either */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_bin(&pk, 9);
    msgpack_pack_bin_body(&pk, "Analytics", 9);
    msgpack_pack_true(&pk);
    off = 0;
    cr_assert_eq(msgpack_unpack(sb.data, sb.size, &off, &z, &o),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(spoor_segment_consent_parse(&o, NULL, &s), SPOOR_E_FORMAT);
    cr_assert_eq(s.denied, ALL);

    msgpack_zone_destroy(&z);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- the map ------------------------------------------------------------ */

Test(consent_segment, custom_map)
{
    spoor_segment_consent_map_t  m;

    memset(&m, 0, sizeof(m));
    /* a zeroed map grants nothing */
    sc_expect("{'Analytics':true,'C0004':true}", &m, 0);

    cr_assert_eq(spoor_segment_consent_map_add(&m, AN, "stats", 5), SPOOR_OK);
    cr_assert_eq(spoor_segment_consent_map_add(&m, PE, "prefs", 5), SPOOR_OK);
    cr_assert_eq(spoor_segment_consent_map_add(&m, MK, "ads", 3), SPOOR_OK);
    cr_assert_eq(spoor_segment_consent_map_add(&m, MK, "share", 5), SPOOR_OK);
    cr_assert_eq(spoor_segment_consent_map_add(&m, MK, "ads", 3), SPOOR_OK);

    sc_expect("{'stats':true,'prefs':true,'ads':true}", &m, ALL);
    sc_expect("{'stats':true,'prefs':false,'ads':true,'share':false}", &m,
              ST | AN);
    sc_expect("{'Analytics':true,'Advertising':true}", &m, 0);
    sc_expect("{'share':true}", &m, MK);
}

Test(consent_segment, default_map_copy)
{
    spoor_segment_consent_map_t  m = *spoor_segment_consent_default_map();

    cr_assert_eq(spoor_segment_consent_map_add(&m, AN, "Statistics", 10),
                 SPOOR_OK);
    sc_expect("{'Statistics':true}", &m, ST | AN);
    sc_expect("{'Statistics':true,'Analytics':false}", &m, 0);
    sc_expect("{'Statistics':true}", NULL, 0);   /* the default unchanged */
    cr_assert_eq(spoor_segment_consent_default_map()->analytics.n, 2u);
    cr_assert_eq(spoor_segment_consent_default_map()->personalization.n, 3u);
    cr_assert_eq(spoor_segment_consent_default_map()->marketing.n, 4u);
}

Test(consent_segment, map_add_errors)
{
    spoor_segment_consent_map_t  m, before;
    char                         big[SPOOR_SEGMENT_CONSENT_NAME_MAX + 1];
    size_t                       i;

    memset(&m, 0, sizeof(m));
    memset(big, 'x', sizeof(big));
    cr_assert_eq(spoor_segment_consent_map_add(&m, ST, "a", 1), SPOOR_E_INVAL);
    cr_assert_eq(spoor_segment_consent_map_add(&m, ALL, "a", 1),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_segment_consent_map_add(&m, 0, "a", 1), SPOOR_E_INVAL);
    cr_assert_eq(spoor_segment_consent_map_add(&m, AN, "a", 0), SPOOR_E_INVAL);
    cr_assert_eq(spoor_segment_consent_map_add(&m, AN, NULL, 1),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_segment_consent_map_add(&m, AN, big, sizeof(big)),
                 SPOOR_E_INVAL);
    cr_assert_eq(spoor_segment_consent_map_add(&m, AN, big,
                 SPOOR_SEGMENT_CONSENT_NAME_MAX), SPOOR_OK);
    for (i = 1; i < SPOOR_SEGMENT_CONSENT_NAMES_MAX; i++) {
        cr_assert_eq(spoor_segment_consent_map_add(&m, AN, "b", 1), SPOOR_OK);
    }
    before = m;
    cr_assert_eq(spoor_segment_consent_map_add(&m, AN, "c", 1), SPOOR_E_FULL);
    cr_assert_eq(memcmp(&m, &before, sizeof(m)), 0);
    cr_assert_eq(m.analytics.n, (size_t) SPOOR_SEGMENT_CONSENT_NAMES_MAX);

    /* the longest id matches */
    {
        char  q[SPOOR_SEGMENT_CONSENT_NAME_MAX + 32];

        snprintf(q, sizeof(q), "{'%.*s':true,'b':true}",
                 SPOOR_SEGMENT_CONSENT_NAME_MAX, big);
        sc_expect(q, &m, ST | AN);
    }
}

Test(consent_segment, invalid_map)
{
    spoor_segment_consent_map_t  m;

    memset(&m, 0, sizeof(m));
    m.marketing.n = SPOOR_SEGMENT_CONSENT_NAMES_MAX + 1;
    sc_expect_err("{'Analytics':true}", &m, SPOOR_E_INVAL);

    memset(&m, 0, sizeof(m));
    m.personalization.n = 1;          /* an id of length 0 */
    sc_expect_err("{'Analytics':true}", &m, SPOOR_E_INVAL);

    memset(&m, 0, sizeof(m));
    m.analytics.n = 1;
    m.analytics.ids[0].len = SPOOR_SEGMENT_CONSENT_NAME_MAX + 1;
    sc_expect_err("{'Analytics':true}", &m, SPOOR_E_INVAL);
}
