/*
 * test_consent_tcf.c -- unit tests of the TCF v2 TC string parser and its
 * category mapping (shared/consent_tcf.h).
 *
 * Three kinds of input:
 *   - the test vectors of the reference (consent-formats.md section 1.9),
 *     copied here as data, with the decoded values the reference gives;
 *   - strings built bit by bit by a small writer (tb_build() from a
 *     tm_t model), to reach every field, encoding and limit;
 *   - every truncation of valid strings.
 * Every string is parsed from a heap copy of exactly its length, so a read
 * past the end is caught by AddressSanitizer when the tests run under it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "error.h"
#include "consent_tcf.h"

/* ---- the reference's vectors (consent-formats.md 1.9) -------------------- */

/* V1: IAB spec example, 3 segments */
#define V1 \
    "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA" \
    ".YAAAAAAAAAAA"
/* V2: iabtcf-java testCanConstructTCModelFromBase64String */
#define V2  "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"
/* V3: iabtcf-java, bitfield vendors + all four segment types */
#define V3 \
    "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQ" \
    "AAAACAAAABAAA.IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQAgAIAwgA.cAAAAAAAITg="
/* V3b: iabtcf-java range encoding */
#define V3B1  "COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAYFfAV-BVkAGBVYFWAAA"
#define V3B2  "COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAQFfgUbABAUaAAA"
#define V3B3  "COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABAEAAAA"
#define V3B4  "COwxsONOwxsONKpAAAENAdCAAMAAAAAAAAAAAAAAAAAA"

/* Negative vectors */
#define N1 \
    "CLSYjTaOngnCIAOABBENAXCMAGOAABBAAA7IA5n-m7fP6_3fbqVv6E__PoA5Aqff3aJx8t" \
    "v_1967rfnQEQoAIAAQCrwkAEABAcACABIMACAAuApEVABABUSABgBCAVSAtIoACACIArYQ" \
    "AHACgAFgAVwBJgDcAI7AWgMAAgBiKgAgBMgFfKQAQBRkQAQA4AFiBAAoA-AEVAJlAVgAtY" \
    "cACAJcAr4eABAK8OgBgFzAOmAqwgABAWyA.IFukWSQh"
#define N2  "Bg"
#define N3A  "CA=="
#define N3B  "CA"
#define N4 \
    "BOhwdphOxFC7tAHABBFRC--AAAAuhr_7__7-_9_-_f__9uj3Or_v_f__32ccL59v_h_7v-" \
    "_7fi_20nV4u_1vft9yfk1-5ctDztp507iakivXmqdeb9v_nz3_5pxP78k89r7337Ew_v8_" \
    "v-b7BCON_YxEiA"

/*
 * Bits used by the fields of each segment of the vectors, from the decoded
 * values above (213 bits of fixed core fields; a vendor section is 17
 * bits + its bitfield, or 29 bits + 17 per single / 33 per range entry;
 * 12 bits of NumPubRestrictions; DisclosedVendors 3 + a vendor section;
 * PublisherTC 3 + 24 + 24 + 6 + 2 * NumCustomPurposes).  A prefix of a
 * vector parses when it cuts only padding.
 */
static const unsigned  V1_USED[] = {
    213 + (17 + 4) + 17 + 12,                       /* 263, as the doc says */
    3 + 29 + 33 + 17 + 17,                          /* {1-5, 100, 404} */
    3 + 24 + 24 + 6,
};
static const unsigned  V2_USED[] = { 213 + 17 + 17 + 12 };      /* 259 */
static const unsigned  V3_USED[] = {
    213 + (17 + 98) + (17 + 129) + 12,
    3 + 17 + 129,
    3 + 17 + 53,
    3 + 24 + 24 + 6 + 2 + 2,
};
static const unsigned  V3B1_USED[] = { 213 + (29 + 33) + (29 + 33) + 12 };
static const unsigned  V3B2_USED[] = { 213 + (29 + 17) + (29 + 17) + 12 };
static const unsigned  V3B3_USED[] = { 213 + (29 + 17) + (29 + 17) + 12 };
static const unsigned  V3B4_USED[] = { 213 + 17 + 17 + 12 };

typedef struct {
    const char      *s;
    const unsigned  *used;      /* per segment */
} tv_vector_t;

static const tv_vector_t  tv_valid[] = {
    { V1, V1_USED }, { V2, V2_USED }, { V3, V3_USED }, { V3B1, V3B1_USED },
    { V3B2, V3B2_USED }, { V3B3, V3B3_USED }, { V3B4, V3B4_USED },
};

#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------- */

/* Parses s[0 .. len) from a heap copy of exactly len bytes. */
static int
parse_exact(const char *s, size_t len, spoor_tcf_t *tc)
{
    char  *p = malloc(len);
    int    rc;

    cr_assert(len == 0 || p != NULL);
    if (len) {
        memcpy(p, s, len);
    }
    rc = spoor_tcf_parse(p, len, tc);
    free(p);
    return rc;
}

static int
parse_z(const char *s, spoor_tcf_t *tc)
{
    return parse_exact(s, strlen(s), tc);
}

static spoor_tcf_t *
tc_new(void)
{
    spoor_tcf_t  *tc = malloc(sizeof(*tc));

    cr_assert_not_null(tc);
    return tc;
}

/* Deciseconds of a UTC date and time (days from civil, H. Hinnant). */
static uint64_t
utc_ds(int y, unsigned m, unsigned d, unsigned hh, unsigned mm, unsigned ss)
{
    int64_t   era, days;
    unsigned  yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + (int64_t) doe - 719468;
    return (uint64_t) ((days * 86400 + hh * 3600 + mm * 60 + ss) * 10);
}

typedef int (*tc_query_fn)(const spoor_tcf_t *tc, unsigned id);

static int
in_list(const unsigned *ids, size_t n, unsigned id)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (ids[i] == id) {
            return 1;
        }
    }
    return 0;
}

/* The set answered by q over ids 0 .. limit and a few large ids is
 * exactly ids[0 .. n). */
static void
assert_set(const spoor_tcf_t *tc, tc_query_fn q, const char *what,
    unsigned limit, const unsigned *ids, size_t n)
{
    static const unsigned  big[] = { 1000, 4095, 4096, 65534, 65535, 65536,
                                     100000, 0xffffffffu };
    unsigned               id;
    size_t                 i;

    for (id = 0; id <= limit; id++) {
        cr_assert_eq(q(tc, id), in_list(ids, n, id), "%s: id %u", what, id);
    }
    for (i = 0; i < NELEM(big); i++) {
        cr_assert_eq(q(tc, big[i]), in_list(ids, n, big[i]), "%s: id %u",
                     what, big[i]);
    }
}

/* A mask with bit (id - 1) for each id. */
static uint64_t
mask_of(const unsigned *ids, size_t n)
{
    uint64_t  m = 0;
    size_t    i;

    for (i = 0; i < n; i++) {
        m |= (uint64_t) 1 << (ids[i] - 1);
    }
    return m;
}

#define SET(...)  (const unsigned[]) { __VA_ARGS__ }, \
                  NELEM(((const unsigned[]) { __VA_ARGS__ }))
#define NONE      NULL, 0

/* ---- bit writer and TC string builder ------------------------------------ */

#define TW_BITS_MAX  (12000 * 6)
#define TB_TEXT_MAX  12100
#define TB_SEG_MAX   6

typedef struct {
    unsigned char  b[TW_BITS_MAX / 8];
    size_t         n;
} tw_t;

static void
tw_put(tw_t *w, uint64_t v, unsigned n)
{
    while (n-- > 0) {
        cr_assert_lt(w->n, TW_BITS_MAX, "bit writer full");
        if ((v >> n) & 1) {
            w->b[w->n >> 3] |= (unsigned char) (0x80u >> (w->n & 7));
        }
        w->n++;
    }
}

/* ids 1..n of a mask, first bit = id 1 */
static void
tw_set(tw_t *w, uint64_t mask, unsigned n)
{
    unsigned  i;

    for (i = 0; i < n; i++) {
        tw_put(w, (mask >> i) & 1, 1);
    }
}

/* A range entry as written: a single id (range 0) or start..end. */
typedef struct {
    unsigned  start, end;
    int       range;
} tr_t;

#define ONE(id)         { (id), (id), 0 }
#define RNG(a, b)       { (a), (b), 1 }

/* A vendor section. */
typedef struct {
    unsigned      max_id;
    int           range;        /* range encoding */
    size_t        n;
    const tr_t   *e;
    unsigned      extra;        /* NumEntries declared = n + extra */
} tv_t;

/* A publisher restriction. */
typedef struct {
    unsigned      purpose, type;
    size_t        n;
    const tr_t   *e;
} trs_t;

/* A segment after the core. */
typedef struct {
    unsigned   type;            /* written as is (3 bits) */
    tv_t       v;               /* types 1, 2 */
    uint32_t   ppc, ppli;       /* type 3 */
    unsigned   ncustom;
    uint64_t   cc, cli;
    unsigned   extra_bits;      /* appended after the fields */
    uint64_t   extra_val;
} tseg_t;

typedef struct {
    unsigned      version;
    uint64_t      created, updated;
    unsigned      cmp_id, cmp_version, screen, lang[2], vlv, policy, ss, nst;
    uint32_t      sf, pc, pli;
    unsigned      p1t, cc[2];
    tv_t          vc, vli;
    size_t        nrestr;
    const trs_t  *restr;
    unsigned      restr_extra;  /* NumPubRestrictions = nrestr + this */
    unsigned      extra_bits;   /* appended after the core's fields */
    uint64_t      extra_val;
    size_t        nseg;
    tseg_t        seg[TB_SEG_MAX - 1];
    unsigned      pad_to;       /* pad each segment to a multiple: 6, 24 */
} tm_t;

/* A built string with its layout. */
typedef struct {
    char      s[TB_TEXT_MAX];
    size_t    len;
    size_t    nseg;
    size_t    cs[TB_SEG_MAX], ce[TB_SEG_MAX];   /* chars [cs, ce) */
    unsigned  used[TB_SEG_MAX];                 /* bits of fields */
} tb_t;

/* A valid model: version 2, TCF 2.2 policy 4, EN, DE, no vendors. */
static void
tm_default(tm_t *m)
{
    memset(m, 0, sizeof(*m));
    m->version = 2;
    m->created = utc_ds(2024, 5, 17, 0, 0, 0);
    m->updated = utc_ds(2024, 6, 1, 0, 0, 0);
    m->cmp_id = 31;
    m->cmp_version = 7;
    m->screen = 2;
    m->lang[0] = 'E' - 'A';
    m->lang[1] = 'N' - 'A';
    m->vlv = 215;
    m->policy = 4;
    m->ss = 1;
    m->cc[0] = 'D' - 'A';
    m->cc[1] = 'E' - 'A';
    m->pad_to = 24;
}

static int
tr_has(const tr_t *e, size_t n, unsigned id)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (id >= e[i].start && id <= (e[i].range ? e[i].end : e[i].start)) {
            return 1;
        }
    }
    return 0;
}

static void
tw_entries(tw_t *w, const tr_t *e, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        tw_put(w, e[i].range ? 1 : 0, 1);
        tw_put(w, e[i].start, 16);
        if (e[i].range) {
            tw_put(w, e[i].end, 16);
        }
    }
}

static void
tw_vendors(tw_t *w, const tv_t *v)
{
    unsigned  id;

    tw_put(w, v->max_id, 16);
    tw_put(w, v->range ? 1 : 0, 1);
    if (v->range) {
        tw_put(w, v->n + v->extra, 12);
        tw_entries(w, v->e, v->n);
    } else {
        for (id = 1; id <= v->max_id; id++) {
            tw_put(w, tr_has(v->e, v->n, id), 1);
        }
    }
}

/* Appends w as one segment of text (padded with 0 bits to pad_to). */
static void
tb_append(tb_t *b, tw_t *w, unsigned used, unsigned pad_to)
{
    static const char  dict[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t             i;
    unsigned           v, k;

    while (w->n % pad_to != 0) {
        tw_put(w, 0, 1);
    }
    if (b->nseg > 0) {
        b->s[b->len++] = '.';
    }
    cr_assert_lt(b->nseg, (size_t) TB_SEG_MAX);
    b->cs[b->nseg] = b->len;
    for (i = 0; i < w->n; i += 6) {
        v = 0;
        for (k = 0; k < 6; k++) {
            v = (v << 1) | ((w->b[(i + k) >> 3] >> (7 - ((i + k) & 7))) & 1);
        }
        cr_assert_lt(b->len, (size_t) TB_TEXT_MAX - 1);
        b->s[b->len++] = dict[v];
    }
    b->ce[b->nseg] = b->len;
    b->used[b->nseg] = used;
    b->nseg++;
    b->s[b->len] = '\0';
}

static tw_t  tb_w;      /* large: not on the stack */

static void
tb_build(const tm_t *m, tb_t *b)
{
    tw_t     *w = &tb_w;
    size_t    i;
    unsigned  pad_to = m->pad_to ? m->pad_to : 24;

    memset(b, 0, sizeof(*b));

    memset(w, 0, sizeof(*w));
    tw_put(w, m->version, 6);
    tw_put(w, m->created, 36);
    tw_put(w, m->updated, 36);
    tw_put(w, m->cmp_id, 12);
    tw_put(w, m->cmp_version, 12);
    tw_put(w, m->screen, 6);
    tw_put(w, m->lang[0], 6);
    tw_put(w, m->lang[1], 6);
    tw_put(w, m->vlv, 12);
    tw_put(w, m->policy, 6);
    tw_put(w, m->ss, 1);
    tw_put(w, m->nst, 1);
    tw_set(w, m->sf, 12);
    tw_set(w, m->pc, 24);
    tw_set(w, m->pli, 24);
    tw_put(w, m->p1t, 1);
    tw_put(w, m->cc[0], 6);
    tw_put(w, m->cc[1], 6);
    cr_assert_eq(w->n, 213);
    tw_vendors(w, &m->vc);
    tw_vendors(w, &m->vli);
    tw_put(w, m->nrestr + m->restr_extra, 12);
    for (i = 0; i < m->nrestr; i++) {
        tw_put(w, m->restr[i].purpose, 6);
        tw_put(w, m->restr[i].type, 2);
        tw_put(w, m->restr[i].n, 12);
        tw_entries(w, m->restr[i].e, m->restr[i].n);
    }
    {
        unsigned  used = (unsigned) w->n;

        tw_put(w, m->extra_val, m->extra_bits);
        tb_append(b, w, used, pad_to);
    }

    for (i = 0; i < m->nseg; i++) {
        const tseg_t  *g = &m->seg[i];
        unsigned       used;

        memset(w, 0, sizeof(*w));
        tw_put(w, g->type, 3);
        if (g->type == 3) {
            tw_set(w, g->ppc, 24);
            tw_set(w, g->ppli, 24);
            tw_put(w, g->ncustom, 6);
            tw_set(w, g->cc, g->ncustom);
            tw_set(w, g->cli, g->ncustom);
        } else {
            tw_vendors(w, &g->v);
        }
        used = (unsigned) w->n;
        tw_put(w, g->extra_val, g->extra_bits);
        tb_append(b, w, used, pad_to);
    }
}

static tb_t  tb_buf;    /* the string most recently built by build() */

static const char *
build(const tm_t *m)
{
    tb_build(m, &tb_buf);
    return tb_buf.s;
}

/* Segment layout of a given string: chars [cs, ce), data chars (no '='). */
typedef struct {
    size_t    nseg;
    size_t    cs[TB_SEG_MAX], ce[TB_SEG_MAX], data[TB_SEG_MAX];
    unsigned  used[TB_SEG_MAX];
} layout_t;

static void
layout_of(const char *s, size_t len, const unsigned *used, layout_t *l)
{
    size_t  i, start = 0, d;

    memset(l, 0, sizeof(*l));
    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            cr_assert_lt(l->nseg, (size_t) TB_SEG_MAX);
            for (d = i; d > start && s[d - 1] == '='; d--) {
                /* strip */
            }
            l->cs[l->nseg] = start;
            l->ce[l->nseg] = i;
            l->data[l->nseg] = d - start;
            l->used[l->nseg] = used[l->nseg];
            l->nseg++;
            start = i + 1;
        }
    }
}

/* Whether the prefix of length L of a valid string with layout l is
 * valid: it ends at the end of a segment, or inside one's data characters
 * with all of that segment's fields still there. */
static int
prefix_valid(const layout_t *l, size_t L)
{
    size_t  i, c;

    for (i = 0; i < l->nseg; i++) {
        if (L <= l->ce[i]) {
            if (L < l->cs[i]) {
                return 0;       /* right after a '.': an empty segment */
            }
            c = L - l->cs[i];
            if (L == l->ce[i]) {
                return 1;
            }
            return c <= l->data[i] && 6 * c >= l->used[i];
        }
    }
    return 0;
}

/* Every prefix of s: refused unless it only cuts padding (or whole
 * trailing segments); the prefixes that parse agree with s on the core. */
static void
check_truncations(const char *s, const layout_t *l)
{
    spoor_tcf_t  *full = tc_new(), *tc = tc_new();
    size_t        len = strlen(s), L;
    int           rc, ok;

    cr_assert_eq(parse_exact(s, len, full), SPOOR_OK, "%s", s);
    for (L = 0; L < len; L++) {
        rc = parse_exact(s, L, tc);
        ok = prefix_valid(l, L);
        cr_assert_eq(rc, ok ? SPOOR_OK : SPOOR_E_FORMAT,
                     "prefix %zu of %zu of %.60s: rc %d, expected %d",
                     L, len, s, rc, ok);
        if (ok) {
            cr_assert_eq(tc->created, full->created);
            cr_assert_eq(tc->purposes_consent, full->purposes_consent);
            cr_assert_eq(tc->vendor_consents.max_id,
                         full->vendor_consents.max_id);
            cr_assert_eq(tc->num_pub_restrictions,
                         full->num_pub_restrictions);
        } else {
            cr_assert_eq(tc->version, 0);
        }
    }
    free(full);
    free(tc);
}

static void
check_build_truncations(const tm_t *m)
{
    layout_t  l;
    size_t    i;

    tb_build(m, &tb_buf);
    memset(&l, 0, sizeof(l));
    l.nseg = tb_buf.nseg;
    for (i = 0; i < l.nseg; i++) {
        l.cs[i] = tb_buf.cs[i];
        l.ce[i] = tb_buf.ce[i];
        l.data[i] = tb_buf.ce[i] - tb_buf.cs[i];
        l.used[i] = tb_buf.used[i];
    }
    check_truncations(tb_buf.s, &l);
}

/* Signal helpers */
static void
assert_signal_sane(const spoor_consent_signal_t *sig)
{
    cr_assert_eq(sig->granted & sig->denied, 0u);
    cr_assert_eq(sig->granted | sig->denied, SPOOR_CAT_ALL);
    cr_assert_eq(sig->gpc, -1);
    cr_assert_eq(sig->interacted, -1);
}

static unsigned
granted(const spoor_tcf_t *tc, unsigned vendor, int li)
{
    spoor_tcf_policy_t      pol = { vendor, li };
    spoor_consent_signal_t  sig;

    cr_assert_eq(spoor_tcf_signal(tc, &pol, &sig), SPOOR_OK);
    assert_signal_sane(&sig);
    cr_assert_eq(sig.tcf_policy, tc->policy_version);
    cr_assert_eq(sig.cmp_id, tc->cmp_id);
    return sig.granted;
}

/* granted() for a model */
static unsigned
m_granted(const tm_t *m, unsigned vendor, int li)
{
    spoor_tcf_t  *tc = tc_new();
    unsigned      g;

    cr_assert_eq(parse_z(build(m), tc), SPOOR_OK, "%s", tb_buf.s);
    g = granted(tc, vendor, li);
    free(tc);
    return g;
}

#define ALL_PURPOSES  0xffffffu
#define P(n)          (1u << ((n) - 1))

/* ===== the reference's vectors ============================================ */

Test(tcf_vectors, v1_spec_example)
{
    spoor_tcf_t  *tc = tc_new();

    cr_assert_eq(parse_z(V1, tc), SPOOR_OK);
    cr_assert_eq(tc->version, 2);
    cr_assert_eq(tc->created, 17489088000ull);
    cr_assert_eq(tc->created, utc_ds(2025, 6, 3, 0, 0, 0));
    cr_assert_eq(tc->last_updated, 17489088000ull);
    cr_assert_eq(tc->cmp_id, 880);
    cr_assert_eq(tc->cmp_version, 0);
    cr_assert_eq(tc->consent_screen, 0);
    cr_assert_str_eq(tc->consent_language, "EN");
    cr_assert_eq(tc->vendor_list_version, 48);
    cr_assert_eq(tc->policy_version, 2);
    cr_assert_eq(tc->is_service_specific, 1);
    cr_assert_eq(tc->use_non_standard_texts, 0);
    cr_assert_eq(tc->special_features, 0);
    cr_assert_eq(tc->purposes_consent, 0);
    cr_assert_eq(tc->purposes_li, 0);
    cr_assert_eq(tc->purpose_one_treatment, 0);
    cr_assert_str_eq(tc->publisher_cc, "DE");

    cr_assert_eq(tc->vendor_consents.max_id, 4);
    cr_assert_eq(tc->vendor_consents.is_range, 0);
    assert_set(tc, spoor_tcf_vendor_consent, "vc", 10, SET(1, 2, 3, 4));
    cr_assert_eq(tc->vendor_li.max_id, 0);
    assert_set(tc, spoor_tcf_vendor_li, "vli", 10, NONE);
    cr_assert_eq(tc->num_pub_restrictions, 0);

    cr_assert(tc->disclosed.present);
    cr_assert_eq(tc->disclosed.max_id, 404);
    cr_assert_eq(tc->disclosed.is_range, 1);
    assert_set(tc, spoor_tcf_disclosed_vendor, "disclosed", 500,
               SET(1, 2, 3, 4, 5, 100, 404));

    cr_assert(tc->has_publisher_tc);
    cr_assert_eq(tc->pub_purposes_consent, 0);
    cr_assert_eq(tc->pub_purposes_li, 0);
    cr_assert_eq(tc->num_custom_purposes, 0);
    cr_assert(!tc->allowed.present);
    free(tc);
}

Test(tcf_vectors, v2_java_core_only)
{
    spoor_tcf_t  *tc = tc_new();
    unsigned      p;

    cr_assert_eq(parse_z(V2, tc), SPOOR_OK);
    cr_assert_eq(tc->version, 2);
    cr_assert_eq(tc->created, 15800580600ull);
    cr_assert_eq(tc->created, utc_ds(2020, 1, 26, 17, 1, 0));
    cr_assert_eq(tc->last_updated, 16122852600ull);
    cr_assert_eq(tc->last_updated, utc_ds(2021, 2, 2, 17, 1, 0));
    cr_assert_eq(tc->cmp_id, 675);
    cr_assert_eq(tc->cmp_version, 2);
    cr_assert_eq(tc->consent_screen, 1);
    cr_assert_eq(tc->vendor_list_version, 15);
    cr_assert_eq(tc->policy_version, 2);
    cr_assert_str_eq(tc->consent_language, "EN");
    cr_assert_str_eq(tc->publisher_cc, "AA");
    cr_assert_eq(tc->is_service_specific, 0);
    cr_assert_eq(tc->purpose_one_treatment, 1);
    cr_assert_eq(tc->use_non_standard_texts, 0);
    for (p = 0; p <= 13; p++) {
        cr_assert_eq(spoor_tcf_special_feature(tc, p), p == 1, "sf %u", p);
    }
    for (p = 0; p <= 26; p++) {
        cr_assert_eq(spoor_tcf_purpose_consent(tc, p), p == 2 || p == 10,
                     "pc %u", p);
        cr_assert_eq(spoor_tcf_purpose_li(tc, p), p == 2 || p == 9,
                     "pli %u", p);
    }
    cr_assert_eq(tc->vendor_consents.max_id, 0);
    cr_assert_eq(tc->vendor_li.max_id, 0);
    assert_set(tc, spoor_tcf_vendor_consent, "vc", 10, NONE);
    assert_set(tc, spoor_tcf_vendor_li, "vli", 10, NONE);
    cr_assert(!tc->disclosed.present);
    cr_assert(!tc->has_publisher_tc);
    free(tc);
}

Test(tcf_vectors, v3_java_all_segments)
{
    spoor_tcf_t  *tc = tc_new();

    cr_assert_eq(parse_z(V3, tc), SPOOR_OK);
    cr_assert_eq(tc->created, utc_ds(2019, 12, 4, 18, 53, 0));
    cr_assert_eq(tc->last_updated, utc_ds(2019, 12, 10, 18, 53, 0));
    cr_assert_eq(tc->cmp_id, 2);
    cr_assert_eq(tc->cmp_version, 1);
    cr_assert_eq(tc->consent_screen, 1);
    cr_assert_str_eq(tc->consent_language, "EN");
    cr_assert_eq(tc->vendor_list_version, 7);
    cr_assert_eq(tc->policy_version, 2);
    cr_assert_eq(tc->special_features, mask_of(SET(1)));
    cr_assert_str_eq(tc->publisher_cc, "AQ");
    cr_assert_eq(tc->purposes_consent, mask_of(SET(3, 4, 5, 6, 7, 8, 9)));

    cr_assert_eq(tc->vendor_consents.max_id, 98);
    cr_assert_eq(tc->vendor_consents.is_range, 0);
    assert_set(tc, spoor_tcf_vendor_consent, "vc", 200,
               SET(23, 37, 47, 48, 53, 65, 98));
    cr_assert_eq(tc->vendor_li.max_id, 129);
    cr_assert_eq(tc->vendor_li.is_range, 0);
    assert_set(tc, spoor_tcf_vendor_li, "vli", 200,
               SET(37, 47, 48, 53, 65, 98, 129));
    assert_set(tc, spoor_tcf_disclosed_vendor, "disclosed", 200,
               SET(23, 37, 47, 48, 53, 65, 98, 129));
    assert_set(tc, spoor_tcf_allowed_vendor, "allowed", 200,
               SET(12, 23, 37, 47, 48, 53));

    cr_assert(tc->has_publisher_tc);
    cr_assert_eq(tc->pub_purposes_consent, mask_of(SET(1)));
    cr_assert_eq(tc->pub_purposes_li, mask_of(SET(24)));
    cr_assert(spoor_tcf_pub_purpose_consent(tc, 1));
    cr_assert(!spoor_tcf_pub_purpose_consent(tc, 2));
    cr_assert(spoor_tcf_pub_purpose_li(tc, 24));
    cr_assert(!spoor_tcf_pub_purpose_li(tc, 25));
    cr_assert_eq(tc->num_custom_purposes, 2);
    cr_assert(!spoor_tcf_custom_purpose_consent(tc, 1));
    cr_assert(spoor_tcf_custom_purpose_consent(tc, 2));
    cr_assert(!spoor_tcf_custom_purpose_consent(tc, 3));
    cr_assert(spoor_tcf_custom_purpose_li(tc, 1));
    cr_assert(spoor_tcf_custom_purpose_li(tc, 2));
    cr_assert(!spoor_tcf_custom_purpose_li(tc, 3));
    cr_assert(!spoor_tcf_custom_purpose_li(tc, 0));
    free(tc);
}

Test(tcf_vectors, v3b_java_ranges)
{
    spoor_tcf_t  *tc = tc_new();

    cr_assert_eq(parse_z(V3B1, tc), SPOOR_OK);
    cr_assert(tc->vendor_consents.is_range);
    cr_assert_eq(tc->vendor_consents.max_id, 703);
    assert_set(tc, spoor_tcf_vendor_consent, "vc", 800, SET(702, 703));
    cr_assert(tc->vendor_li.is_range);
    cr_assert_eq(tc->vendor_li.max_id, 684);
    assert_set(tc, spoor_tcf_vendor_li, "vli", 800, SET(683, 684));

    cr_assert_eq(parse_z(V3B2, tc), SPOOR_OK);
    assert_set(tc, spoor_tcf_vendor_consent, "vc", 800, SET(703));

    cr_assert_eq(parse_z(V3B3, tc), SPOOR_OK);
    cr_assert(tc->vendor_li.is_range);
    assert_set(tc, spoor_tcf_vendor_li, "vli", 800, SET(128));
    cr_assert(tc->vendor_consents.is_range);
    assert_set(tc, spoor_tcf_vendor_consent, "vc", 800, SET(127));
    cr_assert_eq(tc->is_service_specific, 1);

    cr_assert_eq(parse_z(V3B4, tc), SPOOR_OK);
    cr_assert_eq(tc->purposes_consent, mask_of(SET(1, 2)));
    free(tc);
}

Test(tcf_vectors, negative)
{
    static const char *const  bad[] = { N1, N2, N3A, N3B, N4 };
    spoor_tcf_t              *tc = tc_new();
    size_t                    i;

    for (i = 0; i < NELEM(bad); i++) {
        cr_assert_eq(parse_z(bad[i], tc), SPOOR_E_FORMAT, "%s", bad[i]);
        cr_assert_eq(tc->version, 0);
    }
    free(tc);
}

/* N1's core alone is valid: its error is the DisclosedVendors bitfield. */
Test(tcf_vectors, n1_fails_in_its_second_segment)
{
    spoor_tcf_t  *tc = tc_new();
    const char   *dot = strchr(N1, '.');

    cr_assert_not_null(dot);
    cr_assert_eq(parse_exact(N1, (size_t) (dot - N1), tc), SPOOR_OK);
    cr_assert_eq(tc->vendor_consents.max_id, 115);
    cr_assert_eq(tc->num_pub_restrictions, 17);
    cr_assert_eq(spoor_tcf_restriction(tc, 9, 681),
                 SPOOR_TCF_RESTRICT_NOT_ALLOWED);
    cr_assert_eq(spoor_tcf_restriction(tc, 2, 687), SPOOR_TCF_RESTRICT_LI);
    cr_assert_eq(spoor_tcf_restriction(tc, 2, 8),
                 SPOOR_TCF_RESTRICT_CONSENT);
    cr_assert_eq(spoor_tcf_restriction(tc, 2, 9), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(parse_z(N1, tc), SPOOR_E_FORMAT);
    free(tc);
}

/* N5: '+' or '/' instead of '-' or '_' */
Test(tcf_vectors, n5_standard_base64_alphabet)
{
    static const char *const  src[] = { V3, V2, V3B1, V3B3 };
    spoor_tcf_t              *tc = tc_new();
    char                      buf[512];
    size_t                    i, j, n = 0;

    for (i = 0; i < NELEM(src); i++) {
        for (j = 0; src[i][j]; j++) {
            if (src[i][j] != '-' && src[i][j] != '_') {
                continue;
            }
            strcpy(buf, src[i]);
            buf[j] = '+';
            cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT, "%s", buf);
            buf[j] = '/';
            cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT, "%s", buf);
            n++;
        }
    }
    cr_assert_geq(n, 10);
    free(tc);
}

Test(tcf_vectors, truncations)
{
    layout_t  l;
    size_t    i;

    for (i = 0; i < NELEM(tv_valid); i++) {
        layout_of(tv_valid[i].s, strlen(tv_valid[i].s), tv_valid[i].used, &l);
        check_truncations(tv_valid[i].s, &l);
    }
}

/* The 263 of 264 bits the doc gives for V1's core: its last bit is
 * padding, and the 44th character is needed. */
Test(tcf_vectors, v1_core_padding_bit)
{
    spoor_tcf_t  *tc = tc_new();
    char          buf[128];
    size_t        n = 44;

    cr_assert_eq(V1[n], '.');
    memcpy(buf, V1, n);
    buf[n] = '\0';
    cr_assert_eq(parse_z(buf, tc), SPOOR_OK);
    cr_assert_eq(buf[n - 1], 'A');
    buf[n - 1] = 'B';           /* bit 263 set: non-zero padding */
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    buf[n - 1] = 'C';           /* bit 262: NumPubRestrictions = 2 */
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    free(tc);
}

/* ===== text: alphabet, '=', quotes, segments, length ====================== */

static int
b64url_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

Test(tcf_text, every_foreign_byte_refused)
{
    spoor_tcf_t  *tc = tc_new();
    char          buf[256];
    size_t        len = strlen(V1), pos[] = { 0, 5, 43, 45, 64, len - 1 };
    size_t        i;
    int           c;

    for (c = 0; c < 256; c++) {
        if (b64url_char(c) || c == '.') {
            continue;
        }
        for (i = 0; i < NELEM(pos); i++) {
            memcpy(buf, V1, len);
            buf[pos[i]] = (char) c;
            /* '=' for the last character of the last two segments is
             * correct padding, and what is left holds all their fields
             * (see equals_padding); the core needs its 44th character */
            cr_assert_eq(parse_exact(buf, len, tc),
                         c == '=' && (pos[i] == 64 || pos[i] == len - 1)
                         ? SPOOR_OK : SPOOR_E_FORMAT,
                         "byte %d at %zu", c, pos[i]);
        }
        /* appended after the last character ('=' too: V2 needs none) */
        memcpy(buf, V2, sizeof(V2) - 1);
        buf[sizeof(V2) - 1] = (char) c;
        cr_assert_eq(parse_exact(buf, sizeof(V2), tc), SPOOR_E_FORMAT,
                     "byte %d appended", c);
    }
    free(tc);
}

Test(tcf_text, equals_padding)
{
    static const struct {
        const char  *s;
        int          ok;
    } cases[] = {
        /* V3B1: 59 characters, 59 % 4 = 3: one '=' completes it */
        { V3B1 "=", 1 },
        { V3B1 "==", 0 },
        { V3B1 "===", 0 },
        /* V3B2: 54 characters, 54 % 4 = 2: two */
        { V3B2 "==", 1 },
        { V3B2 "=", 0 },
        { V3B2 "===", 0 },
        /* V2: 44 characters, already a multiple of 4 */
        { V2 "=", 0 },
        { V2 "==", 0 },
        { V2 "====", 0 },
        /* V1's PublisherTC segment (57 bits of fields: 10 characters
         * needed, 12 written) after V2 */
        { V2 ".YAAAAAAAAAAA", 1 },          /* 12 */
        { V2 ".YAAAAAAAAAA=", 1 },          /* 11 + 1 */
        { V2 ".YAAAAAAAAA==", 1 },          /* 10 + 2 */
        { V2 ".YAAAAAAAAAAA=", 0 },         /* 12 + 1 */
        { V2 ".YAAAAAAAAAAA==", 0 },        /* 12 + 2 */
        { V2 ".YAAAAAAAAAA==", 0 },         /* 11 + 2 */
        { V2 ".YAAAAAAAAA=", 0 },           /* 10 + 1 */
        { V2 ".YAAAAAAAAA==.IDKQA4AAgAKAGQAygAAA", 1 },
        { V2 ".YAAAAAAAAA=.IDKQA4AAgAKAGQAygAAA", 0 },
        /* V1's DisclosedVendors (99 bits: 17 characters of 20) */
        { V2 ".IDKQA4AAgAKAGQAygAA=", 1 },  /* 19 + 1 */
        { V2 ".IDKQA4AAgAKAGQAygA==", 1 },  /* 18 + 2 */
        { V2 ".IDKQA4AAgAKAGQAyg===", 0 },  /* 17 + 3 */
        { V2 ".IDKQA4AAgAKAGQAyg", 1 },     /* 17 */
        { V2 ".IDKQA4AAgAKAGQAy", 0 },      /* 16: truncated */
        { V2 ".IDKQA4AAgAKAGQAyg=A", 0 },   /* '=' inside */
        { V3B1 "=.YAAAAAAAAAAA", 1 },
        { V3B1 ".YAAAAAAAAAAA=", 0 },
        { "=" V2, 0 },
        { V2 ".=", 0 },
        { V2 ".==", 0 },
        { V2 ".====", 0 },
        { "==", 0 },
        { "=", 0 },
    };
    spoor_tcf_t  *tc = tc_new(), *a = tc_new();
    char          buf[64];
    size_t        i, j, n = strlen(V2);

    for (i = 0; i < NELEM(cases); i++) {
        cr_assert_eq(parse_z(cases[i].s, tc),
                     cases[i].ok ? SPOOR_OK : SPOOR_E_FORMAT, "%s",
                     cases[i].s);
    }

    /* '=' in place of each character of V2: never valid (inside a
     * segment it is a foreign character; as its last character it is
     * correct padding, but 43 characters are 258 bits of 259 needed) */
    for (j = 0; j < n; j++) {
        memcpy(buf, V2, n);
        buf[j] = '=';
        cr_assert_eq(parse_exact(buf, n, tc), SPOOR_E_FORMAT, "'=' at %zu", j);
    }

    /* V3 without its '=' parses the same */
    cr_assert_eq(parse_z(V3, a), SPOOR_OK);
    cr_assert_eq(parse_exact(V3, strlen(V3) - 1, tc), SPOOR_OK);
    cr_assert_eq(a->custom_purposes_li, tc->custom_purposes_li);
    cr_assert_eq(a->custom_purposes_consent, tc->custom_purposes_consent);
    cr_assert_eq(a->num_custom_purposes, tc->num_custom_purposes);
    free(a);
    free(tc);
}

Test(tcf_text, quoted_value)
{
    spoor_tcf_t  *tc = tc_new();
    char          buf[256];

    snprintf(buf, sizeof(buf), "\"%s\"", V1);
    cr_assert_eq(parse_z(buf, tc), SPOOR_OK);
    cr_assert_eq(tc->cmp_id, 880);
    snprintf(buf, sizeof(buf), "\"%s", V1);
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    snprintf(buf, sizeof(buf), "%s\"", V1);
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    snprintf(buf, sizeof(buf), "\"\"%s\"\"", V1);
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    snprintf(buf, sizeof(buf), "'%s'", V1);
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    cr_assert_eq(parse_z("\"\"", tc), SPOOR_E_FORMAT);
    cr_assert_eq(parse_z("\"", tc), SPOOR_E_FORMAT);
    free(tc);
}

Test(tcf_text, empty_and_misplaced_segments)
{
    static const char *const  bad[] = {
        "", ".", "..",
        "." V2, V2 ".", V2 "..", V2 "..YAAAAAAAAAAA",
        V2 ".YAAAAAAAAAAA.", "." V1,
        /* whitespace around or inside */
        " " V2, V2 " ", V2 "\n", V2 ". YAAAAAAAAAAA",
    };
    spoor_tcf_t              *tc = tc_new();
    size_t                    i;

    for (i = 0; i < NELEM(bad); i++) {
        cr_assert_eq(parse_z(bad[i], tc), SPOOR_E_FORMAT, "[%s]", bad[i]);
    }
    cr_assert_eq(spoor_tcf_parse(NULL, 0, tc), SPOOR_E_FORMAT);
    free(tc);
}

/* Segment order: the core first, the others in any order, once each. */
Test(tcf_text, segment_order_and_duplicates)
{
    static const char  core[] =
        "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQ"
        "AQAAAACAAAABAAA";
    static const char *const  seg[] = {
        "IBAgAAAgAIAwgAgAAAAEAAAACA", "QAagAQAgAIAwgA", "cAAAAAAAITg=",
    };
    static const unsigned     perm[6][3] = {
        { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 },
        { 2, 1, 0 },
    };
    spoor_tcf_t  *tc = tc_new();
    char          buf[512];
    size_t        i, j;

    for (i = 0; i < 6; i++) {
        snprintf(buf, sizeof(buf), "%s.%s.%s.%s", core, seg[perm[i][0]],
                 seg[perm[i][1]], seg[perm[i][2]]);
        cr_assert_eq(parse_z(buf, tc), SPOOR_OK, "%s", buf);
        cr_assert(spoor_tcf_disclosed_vendor(tc, 129));
        cr_assert(spoor_tcf_allowed_vendor(tc, 12));
        cr_assert(spoor_tcf_custom_purpose_li(tc, 2));
    }
    /* the core not first */
    snprintf(buf, sizeof(buf), "%s.%s", seg[0], core);
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    /* each type twice; a fifth segment */
    for (j = 0; j < 3; j++) {
        snprintf(buf, sizeof(buf), "%s.%s.%s", core, seg[j], seg[j]);
        cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT, "%s", buf);
    }
    snprintf(buf, sizeof(buf), "%s.%s.%s.%s.%s", core, seg[0], seg[1],
             seg[2], seg[0]);
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    /* a second core */
    snprintf(buf, sizeof(buf), "%s.%s", core, core);
    cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT);
    free(tc);
}

Test(tcf_text, unknown_segment_types)
{
    tm_t          m;
    spoor_tcf_t  *tc = tc_new();
    unsigned      t;

    for (t = 0; t < 8; t++) {
        tm_default(&m);
        m.nseg = 1;
        m.seg[0].type = t;
        m.seg[0].v.max_id = 3;      /* a vendor section for 1 and 2 */
        cr_assert_eq(parse_z(build(&m), tc),
                     t >= 1 && t <= 3 ? SPOOR_OK : SPOOR_E_FORMAT,
                     "type %u: %s", t, tb_buf.s);
    }
    free(tc);
}

/* SPOOR_TCF_MAX_LEN characters: a core with a bitfield of 24317 vendors
 * is exactly 24576 bits = 4096 characters; one more vendor is 4097. */
Test(tcf_text, longest_string)
{
    static const tr_t  e[] = { ONE(1), ONE(24317), ONE(24318) };
    spoor_tcf_t       *tc = tc_new();
    char              *q;
    tm_t               m;

    tm_default(&m);
    m.pad_to = 6;
    m.vc.max_id = 24317;
    m.vc.n = NELEM(e);
    m.vc.e = e;
    build(&m);
    cr_assert_eq(tb_buf.len, SPOOR_TCF_MAX_LEN);
    cr_assert_eq(parse_z(tb_buf.s, tc), SPOOR_OK);
    assert_set(tc, spoor_tcf_vendor_consent, "vc", 10, SET(1, 24317));
    cr_assert(spoor_tcf_vendor_consent(tc, 24317));
    cr_assert(!spoor_tcf_vendor_consent(tc, 24316));
    cr_assert(!spoor_tcf_vendor_consent(tc, 24318));

    /* quotes do not count */
    q = malloc(SPOOR_TCF_MAX_LEN + 3);
    cr_assert_not_null(q);
    snprintf(q, SPOOR_TCF_MAX_LEN + 3, "\"%s\"", tb_buf.s);
    cr_assert_eq(parse_z(q, tc), SPOOR_OK);
    free(q);

    m.vc.max_id = 24318;
    build(&m);
    cr_assert_eq(tb_buf.len, SPOOR_TCF_MAX_LEN + 1);
    cr_assert_eq(parse_z(tb_buf.s, tc), SPOOR_E_FORMAT);

    /* a full bitfield to 65535 does not fit */
    m.vc.max_id = 65535;
    build(&m);
    cr_assert_eq(parse_z(tb_buf.s, tc), SPOOR_E_FORMAT);
    free(tc);
}

/* ===== core fields ======================================================== */

static void
assert_core(const spoor_tcf_t *tc, const tm_t *m)
{
    unsigned  i;

    cr_assert_eq(tc->version, 2);
    cr_assert_eq(tc->created, m->created);
    cr_assert_eq(tc->last_updated, m->updated);
    cr_assert_eq(tc->cmp_id, m->cmp_id);
    cr_assert_eq(tc->cmp_version, m->cmp_version);
    cr_assert_eq(tc->consent_screen, m->screen);
    cr_assert_eq(tc->consent_language[0], 'A' + (int) m->lang[0]);
    cr_assert_eq(tc->consent_language[1], 'A' + (int) m->lang[1]);
    cr_assert_eq(tc->consent_language[2], '\0');
    cr_assert_eq(tc->vendor_list_version, m->vlv);
    cr_assert_eq(tc->policy_version, m->policy);
    cr_assert_eq(tc->is_service_specific, (int) m->ss);
    cr_assert_eq(tc->use_non_standard_texts, (int) m->nst);
    cr_assert_eq(tc->special_features, m->sf);
    cr_assert_eq(tc->purposes_consent, m->pc);
    cr_assert_eq(tc->purposes_li, m->pli);
    cr_assert_eq(tc->purpose_one_treatment, (int) m->p1t);
    cr_assert_eq(tc->publisher_cc[0], 'A' + (int) m->cc[0]);
    cr_assert_eq(tc->publisher_cc[1], 'A' + (int) m->cc[1]);
    cr_assert_eq(tc->publisher_cc[2], '\0');
    for (i = 0; i <= 25; i++) {
        cr_assert_eq(spoor_tcf_purpose_consent(tc, i),
                     i >= 1 && i <= 24 && ((m->pc >> (i - 1)) & 1), "pc %u", i);
        cr_assert_eq(spoor_tcf_purpose_li(tc, i),
                     i >= 1 && i <= 24 && ((m->pli >> (i - 1)) & 1), "pli %u",
                     i);
        cr_assert_eq(spoor_tcf_special_feature(tc, i),
                     i >= 1 && i <= 12 && ((m->sf >> (i - 1)) & 1), "sf %u", i);
    }
}

Test(tcf_core, extreme_values)
{
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;

    tm_default(&m);
    m.created = m.updated = 0;
    m.cmp_id = m.cmp_version = m.screen = m.vlv = m.policy = 0;
    m.lang[0] = m.lang[1] = m.cc[0] = m.cc[1] = 0;
    m.ss = 0;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    assert_core(tc, &m);

    m.created = m.updated = (UINT64_C(1) << 36) - 1;
    m.cmp_id = m.cmp_version = m.vlv = 4095;
    m.screen = m.policy = 63;
    m.lang[0] = m.lang[1] = m.cc[0] = m.cc[1] = 25;
    m.ss = m.nst = m.p1t = 1;
    m.sf = 0xfff;
    m.pc = m.pli = 0xffffff;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    assert_core(tc, &m);
    cr_assert_str_eq(tc->consent_language, "ZZ");
    free(tc);
}

/* Each field alone: a neighbour field can not leak into it. */
Test(tcf_core, fields_one_at_a_time)
{
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    unsigned      i, f;

    for (f = 0; f < 17; f++) {
        for (i = 0; i < 2; i++) {
            tm_default(&m);
            m.created = m.updated = 0;
            m.cmp_id = m.cmp_version = m.screen = m.vlv = m.policy = 0;
            m.lang[0] = m.lang[1] = m.cc[0] = m.cc[1] = 0;
            m.ss = 0;
            switch (f) {
            case 0: m.created = i ? 1 : (UINT64_C(1) << 35); break;
            case 1: m.updated = i ? 1 : (UINT64_C(1) << 35); break;
            case 2: m.cmp_id = i ? 1 : 2048; break;
            case 3: m.cmp_version = i ? 1 : 2048; break;
            case 4: m.screen = i ? 1 : 32; break;
            case 5: m.lang[0] = i ? 1 : 25; break;
            case 6: m.lang[1] = i ? 1 : 25; break;
            case 7: m.vlv = i ? 1 : 2048; break;
            case 8: m.policy = i ? 1 : 32; break;
            case 9: m.ss = 1; break;
            case 10: m.nst = 1; break;
            case 11: m.sf = i ? 1 : 0x800; break;
            case 12: m.pc = i ? 1 : 0x800000; break;
            case 13: m.pli = i ? 1 : 0x800000; break;
            case 14: m.p1t = 1; break;
            case 15: m.cc[0] = i ? 1 : 25; break;
            case 16: m.cc[1] = i ? 1 : 25; break;
            }
            cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK, "field %u", f);
            assert_core(tc, &m);
        }
    }
    free(tc);
}

Test(tcf_core, pseudo_random_values)
{
    spoor_tcf_t  *tc = tc_new();
    uint64_t      x = 0x9e3779b97f4a7c15ull;
    tm_t          m;
    int           k;

#define RND(bits)  (x = x * 6364136223846793005ull + 1442695040888963407ull, \
                    (x >> 20) & ((UINT64_C(1) << (bits)) - 1))
    for (k = 0; k < 300; k++) {
        tm_default(&m);
        m.created = RND(36);
        m.updated = RND(36);
        m.cmp_id = (unsigned) RND(12);
        m.cmp_version = (unsigned) RND(12);
        m.screen = (unsigned) RND(6);
        m.lang[0] = (unsigned) RND(5) % 26;
        m.lang[1] = (unsigned) RND(5) % 26;
        m.vlv = (unsigned) RND(12);
        m.policy = (unsigned) RND(6);
        m.ss = (unsigned) RND(1);
        m.nst = (unsigned) RND(1);
        m.sf = (uint32_t) RND(12);
        m.pc = (uint32_t) RND(24);
        m.pli = (uint32_t) RND(24);
        m.p1t = (unsigned) RND(1);
        m.cc[0] = (unsigned) RND(5) % 26;
        m.cc[1] = (unsigned) RND(5) % 26;
        m.pad_to = RND(1) ? 6 : 24;
        cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK, "%s", tb_buf.s);
        assert_core(tc, &m);
    }
#undef RND
    free(tc);
}

Test(tcf_core, versions_other_than_2)
{
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    unsigned      v;

    for (v = 0; v < 64; v++) {
        tm_default(&m);
        m.version = v;
        cr_assert_eq(parse_z(build(&m), tc), v == 2 ? SPOOR_OK : SPOOR_E_FORMAT,
                     "version %u", v);
    }
    free(tc);
}

Test(tcf_core, letters_above_z)
{
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    unsigned      which, v;

    for (which = 0; which < 4; which++) {
        for (v = 24; v < 64; v++) {
            tm_default(&m);
            if (which < 2) {
                m.lang[which] = v;
            } else {
                m.cc[which - 2] = v;
            }
            cr_assert_eq(parse_z(build(&m), tc),
                         v <= 25 ? SPOOR_OK : SPOOR_E_FORMAT,
                         "letter %u = %u", which, v);
        }
    }
    free(tc);
}

/* ===== padding / over-long ================================================ */

/* extra zero bits after the fields, then padding to 6: the trailing bits
 * are accepted while fewer than 24, for the core and every other type.
 * The vendor bitfields of 0..5 bits give every length modulo 6, so exactly
 * 24 trailing bits happen too. */
Test(tcf_padding, trailing_bit_count)
{
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    unsigned      e, where, trailing, total, r, seen24 = 0;

    for (r = 0; r < 6; r++) {
        for (where = 0; where < 4; where++) {
            for (e = 0; e <= 40; e++) {
                tm_default(&m);
                m.pad_to = 6;
                m.vc.max_id = r;
                m.nseg = 3;
                m.seg[0].type = 1;
                m.seg[0].v.max_id = r;
                m.seg[1].type = 2;
                m.seg[1].v.max_id = r;
                m.seg[2].type = 3;
                m.seg[2].ncustom = r;
                if (where == 0) {
                    m.extra_bits = e;
                } else {
                    m.seg[where - 1].extra_bits = e;
                }
                build(&m);
                total = (unsigned) (tb_buf.ce[where] - tb_buf.cs[where]) * 6;
                trailing = total - tb_buf.used[where];
                cr_assert_geq(trailing, e);
                seen24 += trailing == 24;
                cr_assert_eq(parse_z(tb_buf.s, tc),
                             trailing < 24 ? SPOOR_OK : SPOOR_E_FORMAT,
                             "segment %u, %u trailing bits", where, trailing);
            }
        }
    }
    cr_assert_geq(seen24, 3);
    free(tc);
}

/* every padding bit must be 0 */
Test(tcf_padding, nonzero_padding_bit)
{
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    unsigned      where, bit;

    for (where = 0; where < 3; where++) {
        for (bit = 0; bit < 20; bit++) {
            tm_default(&m);
            m.pad_to = 6;
            m.nseg = 2;
            m.seg[0].type = 1;
            m.seg[1].type = 3;
            if (where == 0) {
                m.extra_bits = 20;
                m.extra_val = (uint64_t) 1 << bit;
            } else {
                m.seg[where - 1].extra_bits = 20;
                m.seg[where - 1].extra_val = (uint64_t) 1 << bit;
            }
            cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT,
                         "segment %u bit %u: %s", where, bit, tb_buf.s);
            if (where == 0) {
                m.extra_val = 0;
            } else {
                m.seg[where - 1].extra_val = 0;
            }
            cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
        }
    }
    free(tc);
}

/* 4 more 'A' (24 zero bits) after any vector's segment is over-long. */
Test(tcf_padding, vectors_with_an_extra_group)
{
    spoor_tcf_t  *tc = tc_new();
    char          buf[1024];
    size_t        i, j, n;
    layout_t      l;

    for (i = 0; i < NELEM(tv_valid); i++) {
        const char  *s = tv_valid[i].s;

        n = strlen(s);
        layout_of(s, n, tv_valid[i].used, &l);
        for (j = 0; j < l.nseg; j++) {
            size_t  at = l.cs[j] + l.data[j];      /* before any '=' */

            if (l.data[j] != l.ce[j] - l.cs[j]) {
                continue;       /* the '=' would be wrong anyway */
            }
            memcpy(buf, s, at);
            memcpy(buf + at, "AAAA", 4);
            memcpy(buf + at + 4, s + at, n - at);
            cr_assert_eq(parse_exact(buf, n + 4, tc), SPOOR_E_FORMAT,
                         "%zu, segment %zu", i, j);
            /* one 'A' more is fine while under 24 bits */
            memcpy(buf, s, at);
            buf[at] = 'A';
            memcpy(buf + at + 1, s + at, n - at);
            cr_assert_eq(parse_exact(buf, n + 1, tc),
                         6 * (l.data[j] + 1) - l.used[j] < 24
                         ? SPOOR_OK : SPOOR_E_FORMAT,
                         "%zu, segment %zu", i, j);
        }
    }
    free(tc);
}

/* ===== vendor sections ==================================================== */

typedef struct {
    unsigned     max_id;
    size_t       n;
    tr_t         e[8];
} vset_case_t;

static const vset_case_t  vset_cases[] = {
    { 0, 0, { ONE(0) } },
    { 1, 0, { ONE(0) } },
    { 1, 1, { ONE(1) } },
    { 7, 2, { ONE(1), ONE(7) } },
    { 40, 1, { RNG(1, 40) } },
    { 100, 3, { RNG(2, 9), ONE(50), RNG(98, 100) } },
    { 755, 4, { ONE(1), RNG(10, 11), ONE(755), RNG(300, 310) } },
    { 2000, 2, { RNG(1, 1000), RNG(1000, 2000) } },   /* overlapping */
    { 3000, 3, { ONE(3000), ONE(1), RNG(5, 5) } },
};

static int
vset_has(const vset_case_t *c, unsigned id)
{
    return id >= 1 && id <= c->max_id && tr_has(c->e, c->n, id);
}

/* Bitfield and range encodings of the same set answer the same, in every
 * vendor section. */
Test(tcf_vendors, bitfield_equals_range)
{
    spoor_tcf_t  *a = tc_new(), *b = tc_new();
    tm_t          m;
    size_t        i;
    unsigned      sect, id;

    for (i = 0; i < NELEM(vset_cases); i++) {
        const vset_case_t  *c = &vset_cases[i];

        for (sect = 0; sect < 4; sect++) {
            tv_t          v = { c->max_id, 0, c->n, c->e, 0 };
            tc_query_fn   q[] = { spoor_tcf_vendor_consent,
                                  spoor_tcf_vendor_li,
                                  spoor_tcf_disclosed_vendor,
                                  spoor_tcf_allowed_vendor };
            int           pass;

            for (pass = 0; pass < 2; pass++) {
                tm_default(&m);
                v.range = pass;
                m.nseg = 2;
                m.seg[0].type = 1;
                m.seg[1].type = 2;
                switch (sect) {
                case 0: m.vc = v; break;
                case 1: m.vli = v; break;
                case 2: m.seg[0].v = v; break;
                case 3: m.seg[1].v = v; break;
                }
                cr_assert_eq(parse_z(build(&m), pass ? b : a), SPOOR_OK,
                             "case %zu section %u range %d", i, sect, pass);
            }
            for (id = 0; id <= c->max_id + 3; id++) {
                cr_assert_eq(q[sect](a, id), vset_has(c, id),
                             "bitfield: case %zu section %u id %u", i, sect,
                             id);
                cr_assert_eq(q[sect](b, id), q[sect](a, id),
                             "range: case %zu section %u id %u", i, sect, id);
            }
            cr_assert_eq(q[sect](a, 65535), 0);
            cr_assert_eq(q[sect](b, 65535), 0);
            cr_assert_eq(q[sect](b, 70000), 0);
        }
    }
    free(a);
    free(b);
}

Test(tcf_vendors, max_vendor_id_zero)
{
    static const tr_t  one[] = { ONE(1) }, zero[] = { ONE(0) };
    static const tr_t  r01[] = { RNG(0, 1) }, r11[] = { RNG(1, 1) };
    spoor_tcf_t       *tc = tc_new();
    tm_t               m;

    tm_default(&m);
    m.vc.range = 1;             /* MaxVendorId 0, range, no entries */
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    cr_assert(tc->vendor_consents.present);
    cr_assert_eq(tc->vendor_consents.max_id, 0);
    cr_assert_eq(spoor_tcf_vendor_consent(tc, 0), 0);
    cr_assert_eq(spoor_tcf_vendor_consent(tc, 1), 0);

    m.vc.n = 1;                 /* an entry can only be refused */
    m.vc.e = one;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT);
    m.vc.e = zero;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT);
    m.vc.e = r01;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT);
    m.vc.e = r11;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT);

    /* and a bitfield with MaxVendorId 0 is 0 bits: the ids are ignored */
    m.vc.range = 0;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    cr_assert_eq(spoor_tcf_vendor_consent(tc, 1), 0);
    free(tc);
}

Test(tcf_vendors, vendor_65535)
{
    static const tr_t  last[] = { ONE(65535) };
    static const tr_t  all[] = { RNG(1, 65535) };
    static const tr_t  ends[] = { ONE(1), RNG(65534, 65535) };
    spoor_tcf_t       *tc = tc_new();
    tm_t               m;

    tm_default(&m);
    m.vc = (tv_t) { 65535, 1, 1, last, 0 };
    m.vli = (tv_t) { 65535, 1, 1, all, 0 };
    m.nseg = 1;
    m.seg[0].type = 1;
    m.seg[0].v = (tv_t) { 65535, 1, 2, ends, 0 };
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    cr_assert_eq(tc->vendor_consents.max_id, 65535);
    cr_assert(spoor_tcf_vendor_consent(tc, 65535));
    cr_assert(!spoor_tcf_vendor_consent(tc, 65534));
    cr_assert(!spoor_tcf_vendor_consent(tc, 1));
    cr_assert(!spoor_tcf_vendor_consent(tc, 65536));
    cr_assert(spoor_tcf_vendor_li(tc, 1));
    cr_assert(spoor_tcf_vendor_li(tc, 32768));
    cr_assert(spoor_tcf_vendor_li(tc, 65535));
    cr_assert(!spoor_tcf_vendor_li(tc, 0));
    cr_assert(!spoor_tcf_vendor_li(tc, 65536));
    cr_assert(spoor_tcf_disclosed_vendor(tc, 1));
    cr_assert(!spoor_tcf_disclosed_vendor(tc, 2));
    cr_assert(!spoor_tcf_disclosed_vendor(tc, 65533));
    cr_assert(spoor_tcf_disclosed_vendor(tc, 65534));
    cr_assert(spoor_tcf_disclosed_vendor(tc, 65535));
    free(tc);
}

/* Range entries: 1 <= start <= end <= MaxVendorId, in every section. */
Test(tcf_vendors, bad_range_entries)
{
    static const struct {
        tr_t  e;
        int   ok;
    } cases[] = {
        { RNG(5, 4), 0 },           /* start > end */
        { RNG(100, 1), 0 },
        { RNG(1, 101), 0 },         /* end past MaxVendorId 100 */
        { RNG(101, 101), 0 },
        { RNG(101, 200), 0 },
        { ONE(101), 0 },            /* a single id past it */
        { ONE(65535), 0 },
        { ONE(0), 0 },              /* id 0 */
        { RNG(0, 5), 0 },
        { RNG(0, 0), 0 },
        { RNG(1, 100), 1 },
        { RNG(100, 100), 1 },
        { ONE(100), 1 },
        { ONE(1), 1 },
    };
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    size_t        i;
    unsigned      sect;

    for (i = 0; i < NELEM(cases); i++) {
        for (sect = 0; sect < 4; sect++) {
            tv_t  v = { 100, 1, 1, &cases[i].e, 0 };

            tm_default(&m);
            m.nseg = 2;
            m.seg[0].type = 1;
            m.seg[1].type = 2;
            switch (sect) {
            case 0: m.vc = v; break;
            case 1: m.vli = v; break;
            case 2: m.seg[0].v = v; break;
            case 3: m.seg[1].v = v; break;
            }
            cr_assert_eq(parse_z(build(&m), tc),
                         cases[i].ok ? SPOOR_OK : SPOOR_E_FORMAT,
                         "case %zu section %u", i, sect);
        }
    }
    free(tc);
}

/* A bitfield declared longer than what is left of its segment (N1's
 * error), at the end of the string or before another segment: refused,
 * and never read (a reader that went on would leave the buffer). */
Test(tcf_vendors, bitfield_longer_than_segment)
{
    static const unsigned  maxes[] = { 100, 1000, 30000, 65535 };
    spoor_tcf_t           *tc = tc_new();
    char                  *buf = malloc(TB_TEXT_MAX);
    tm_t                   m;
    size_t                 i, cut;

    cr_assert_not_null(buf);
    for (i = 0; i < NELEM(maxes); i++) {
        /* the core's VendorConsents; cut after 44 or 50 characters */
        for (cut = 44; cut <= 50; cut += 6) {
            tm_default(&m);
            m.vc.max_id = maxes[i];
            build(&m);
            cr_assert_gt(tb_buf.len, cut);
            cr_assert_eq(parse_exact(tb_buf.s, cut, tc), SPOOR_E_FORMAT);
        }
        /* DisclosedVendors, cut to 6 characters, then a PublisherTC */
        tm_default(&m);
        m.nseg = 1;
        m.seg[0].type = 1;
        m.seg[0].v.max_id = maxes[i];
        build(&m);
        snprintf(buf, TB_TEXT_MAX, "%.*s.YAAAAAAAAAAA",
                 (int) (tb_buf.cs[1] + 6), tb_buf.s);
        cr_assert_eq(parse_z(buf, tc), SPOOR_E_FORMAT, "%s", buf);
    }
    free(buf);
    free(tc);
}

/* NumEntries larger than the entries there: truncated. */
Test(tcf_vendors, declared_entries_missing)
{
    static const tr_t  e[] = { ONE(3), RNG(5, 9) };
    spoor_tcf_t       *tc = tc_new();
    tm_t               m;
    unsigned           extra;

    for (extra = 0; extra < 4; extra++) {
        tm_default(&m);
        m.vc = (tv_t) { 10, 1, 2, e, extra };
        cr_assert_eq(parse_z(build(&m), tc),
                     extra == 0 ? SPOOR_OK : SPOOR_E_FORMAT, "extra %u", extra);
    }
    tm_default(&m);
    m.vc = (tv_t) { 10, 1, 2, e, 4095 - 2 };
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT);
    free(tc);
}

/* As many range entries as fit in SPOOR_TCF_MAX_LEN characters. */
Test(tcf_vendors, most_range_entries)
{
    static tr_t   e[1500];
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    size_t        n, i;
    unsigned      id;

    /* 213 + 29 + 17 n + 17 + 12 <= 6 * 4096 */
    n = (6 * SPOOR_TCF_MAX_LEN - 213 - 29 - 17 - 12) / 17;
    cr_assert_leq(n, (size_t) SPOOR_TCF_RANGES_MAX);
    for (i = 0; i < n; i++) {
        e[i] = (tr_t) ONE((unsigned) (2 * i + 1));
    }
    tm_default(&m);
    m.vc = (tv_t) { 65535, 1, n, e, 0 };
    build(&m);
    cr_assert_leq(tb_buf.len, SPOOR_TCF_MAX_LEN);
    cr_assert_eq(parse_z(tb_buf.s, tc), SPOOR_OK);
    cr_assert_eq(tc->vendor_consents.count, n);
    for (id = 0; id <= 2 * n + 2; id++) {
        cr_assert_eq(spoor_tcf_vendor_consent(tc, id),
                     id % 2 == 1 && id < 2 * n, "id %u", id);
    }

    /* the same number of entries in one publisher restriction */
    {
        trs_t  r = { 7, SPOOR_TCF_RESTRICT_NOT_ALLOWED, n - 1, e };

        tm_default(&m);
        m.nrestr = 1;
        m.restr = &r;
        build(&m);
        cr_assert_leq(tb_buf.len, SPOOR_TCF_MAX_LEN);
        cr_assert_eq(parse_z(tb_buf.s, tc), SPOOR_OK);
        cr_assert_eq(tc->restr_count, n - 1);
        cr_assert_eq(spoor_tcf_restriction(tc, 7, 2 * (unsigned) n - 3),
                     SPOOR_TCF_RESTRICT_NOT_ALLOWED);
        cr_assert_eq(spoor_tcf_restriction(tc, 7, 2 * (unsigned) n - 1),
                     SPOOR_TCF_RESTRICT_NONE);
        cr_assert_eq(spoor_tcf_restriction(tc, 7, 2),
                     SPOOR_TCF_RESTRICT_NONE);
    }
    free(tc);
}

Test(tcf_vendors, truncations_of_built_strings)
{
    static const tr_t  e1[] = { ONE(3), RNG(5, 9), ONE(700) };
    static const tr_t  e2[] = { RNG(1, 2) };
    static const tr_t  b1[] = { ONE(1), ONE(33), ONE(60) };
    trs_t              r[] = { { 1, 0, 2, e1 + 1 }, { 2, 2, 0, NULL },
                               { 8, 1, 1, e2 } };
    tm_t               m;

    tm_default(&m);
    m.vc = (tv_t) { 60, 0, 3, b1, 0 };
    m.vli = (tv_t) { 700, 1, 3, e1, 0 };
    m.nrestr = NELEM(r);
    m.restr = r;
    m.nseg = 3;
    m.seg[0].type = 3;
    m.seg[0].ncustom = 5;
    m.seg[0].cc = 0x15;
    m.seg[1].type = 1;
    m.seg[1].v = (tv_t) { 700, 1, 3, e1, 0 };
    m.seg[2].type = 2;
    m.seg[2].v = (tv_t) { 60, 0, 3, b1, 0 };
    check_build_truncations(&m);
    m.pad_to = 6;
    check_build_truncations(&m);
}

/* ===== publisher restrictions ============================================= */

/* iabtcf-java testPublisherRestrictions: three restrictions without
 * vendors (purpose 1 type 1, purpose 2 type 0, purpose 3 type 2). */
Test(tcf_restrictions, java_three_empty)
{
    trs_t         r[] = { { 1, 1, 0, NULL }, { 2, 0, 0, NULL },
                          { 3, 2, 0, NULL } };
    spoor_tcf_t  *tc = tc_new();
    tm_t          m;
    unsigned      p, v;

    tm_default(&m);
    m.nrestr = 3;
    m.restr = r;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    cr_assert_eq(tc->num_pub_restrictions, 3);
    cr_assert_eq(tc->restr_count, 0);
    for (p = 0; p <= 25; p++) {
        for (v = 0; v < 5; v++) {
            cr_assert_eq(spoor_tcf_restriction(tc, p, v),
                         SPOOR_TCF_RESTRICT_NONE);
        }
    }
    free(tc);
}

Test(tcf_restrictions, lookups)
{
    static const tr_t  a[] = { ONE(10), RNG(20, 30) };
    static const tr_t  b[] = { RNG(25, 40) };
    static const tr_t  c[] = { ONE(65535), ONE(1) };
    static const tr_t  d[] = { RNG(100, 200) };
    static const tr_t  f[] = { RNG(150, 160) };
    trs_t              r[] = {
        { 8, SPOOR_TCF_RESTRICT_CONSENT, 2, a },
        { 8, SPOOR_TCF_RESTRICT_NOT_ALLOWED, 1, b },  /* overlaps a: 0 */
        { 1, SPOOR_TCF_RESTRICT_LI, 2, c },
        { 24, SPOOR_TCF_RESTRICT_LI, 1, d },
        { 24, SPOOR_TCF_RESTRICT_CONSENT, 1, f },     /* 1 and 2: 0 */
        { 9, SPOOR_TCF_RESTRICT_LI, 1, f },
        { 9, SPOOR_TCF_RESTRICT_LI, 1, d },           /* same type twice */
    };
    spoor_tcf_t       *tc = tc_new();
    tm_t               m;

    tm_default(&m);
    m.nrestr = NELEM(r);
    m.restr = r;
    /* range-encoded vendor sets before and after the restrictions: their
     * entries are not restrictions */
    m.vc = (tv_t) { 200, 1, 2, a, 0 };
    m.nseg = 1;
    m.seg[0].type = 1;
    m.seg[0].v = (tv_t) { 65535, 1, 1, d, 0 };
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    cr_assert_eq(tc->num_pub_restrictions, NELEM(r));
    cr_assert(spoor_tcf_vendor_consent(tc, 10));
    cr_assert(spoor_tcf_disclosed_vendor(tc, 100));
    cr_assert_eq(spoor_tcf_restriction(tc, 0, 10), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 0, 100), SPOOR_TCF_RESTRICT_NONE);

    cr_assert_eq(spoor_tcf_restriction(tc, 8, 10), SPOOR_TCF_RESTRICT_CONSENT);
    cr_assert_eq(spoor_tcf_restriction(tc, 8, 11), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 8, 20), SPOOR_TCF_RESTRICT_CONSENT);
    cr_assert_eq(spoor_tcf_restriction(tc, 8, 24), SPOOR_TCF_RESTRICT_CONSENT);
    cr_assert_eq(spoor_tcf_restriction(tc, 8, 25),
                 SPOOR_TCF_RESTRICT_NOT_ALLOWED);
    cr_assert_eq(spoor_tcf_restriction(tc, 8, 30),
                 SPOOR_TCF_RESTRICT_NOT_ALLOWED);
    cr_assert_eq(spoor_tcf_restriction(tc, 8, 40),
                 SPOOR_TCF_RESTRICT_NOT_ALLOWED);
    cr_assert_eq(spoor_tcf_restriction(tc, 8, 41), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 7, 10), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 1, 65535), SPOOR_TCF_RESTRICT_LI);
    cr_assert_eq(spoor_tcf_restriction(tc, 1, 1), SPOOR_TCF_RESTRICT_LI);
    cr_assert_eq(spoor_tcf_restriction(tc, 1, 2), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 1, 0), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 1, 65536), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 24, 100), SPOOR_TCF_RESTRICT_LI);
    cr_assert_eq(spoor_tcf_restriction(tc, 24, 150),
                 SPOOR_TCF_RESTRICT_NOT_ALLOWED);
    cr_assert_eq(spoor_tcf_restriction(tc, 24, 161), SPOOR_TCF_RESTRICT_LI);
    cr_assert_eq(spoor_tcf_restriction(tc, 9, 155), SPOOR_TCF_RESTRICT_LI);
    cr_assert_eq(spoor_tcf_restriction(tc, 9, 99), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 0, 10), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_restriction(tc, 25, 100), SPOOR_TCF_RESTRICT_NONE);
    free(tc);
}

Test(tcf_restrictions, invalid)
{
    static const tr_t  ok[] = { ONE(5) };
    static const tr_t  rev[] = { RNG(6, 5) };
    static const tr_t  z[] = { ONE(0) };
    static const tr_t  zr[] = { RNG(0, 3) };
    static const struct {
        unsigned     purpose, type;
        const tr_t  *e;
        int          ok;
    } cases[] = {
        { 1, 0, ok, 1 }, { 24, 2, ok, 1 }, { 12, 1, ok, 1 },
        { 1, 3, ok, 0 },            /* type 3 is undefined */
        { 0, 0, ok, 0 },            /* purpose 0 */
        { 25, 0, ok, 0 },           /* purpose past 24 */
        { 63, 1, ok, 0 },
        { 2, 0, rev, 0 },           /* start > end */
        { 2, 0, z, 0 },             /* vendor 0 */
        { 2, 0, zr, 0 },
    };
    spoor_tcf_t       *tc = tc_new();
    tm_t               m;
    trs_t              r;
    size_t             i;

    for (i = 0; i < NELEM(cases); i++) {
        r = (trs_t) { cases[i].purpose, cases[i].type, 1, cases[i].e };
        tm_default(&m);
        m.nrestr = 1;
        m.restr = &r;
        cr_assert_eq(parse_z(build(&m), tc),
                     cases[i].ok ? SPOOR_OK : SPOOR_E_FORMAT, "case %zu", i);
    }

    /* declared but missing */
    r = (trs_t) { 1, 0, 1, ok };
    tm_default(&m);
    m.nrestr = 1;
    m.restr = &r;
    m.restr_extra = 1;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT);
    m.restr_extra = 4094;
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_E_FORMAT);
    free(tc);
}

/* A failed parse leaves nothing behind. */
Test(tcf_restrictions, failed_parse_clears)
{
    spoor_tcf_t             *tc = tc_new();
    spoor_tcf_policy_t       pol = { 0, 1 };
    spoor_consent_signal_t   sig;

    cr_assert_eq(parse_z(V3, tc), SPOOR_OK);
    cr_assert(spoor_tcf_vendor_consent(tc, 23));
    cr_assert_eq(parse_z(N1, tc), SPOOR_E_FORMAT);
    cr_assert_eq(tc->version, 0);
    cr_assert_eq(tc->cmp_id, 0);
    cr_assert(!spoor_tcf_vendor_consent(tc, 23));
    cr_assert(!spoor_tcf_purpose_consent(tc, 3));
    cr_assert(!spoor_tcf_disclosed_vendor(tc, 23));
    cr_assert_eq(spoor_tcf_restriction(tc, 9, 681), SPOOR_TCF_RESTRICT_NONE);
    cr_assert_eq(spoor_tcf_signal(tc, &pol, &sig), SPOOR_E_INVAL);
    cr_assert_eq(sig.granted, 0u);
    cr_assert_eq(sig.denied, SPOOR_CAT_ALL);
    cr_assert_eq(sig.cmp_id, 0u);
    cr_assert_eq(sig.tcf_policy, 0u);
    free(tc);
}

/* ===== category mapping =================================================== */

#define VENDOR  755

static const tr_t  our_vendor[] = { ONE(VENDOR) };
static const tr_t  other_vendor[] = { ONE(VENDOR - 1) };

/* Everything consented and legitimate interest everywhere, for VENDOR. */
static void
tm_accept_all(tm_t *m)
{
    tm_default(m);
    m->policy = 5;
    m->cmp_id = 300;
    m->pc = ALL_PURPOSES;
    m->pli = ALL_PURPOSES;
    m->sf = 0xfff;
    m->vc = (tv_t) { 1000, 1, 1, our_vendor, 0 };
    m->vli = (tv_t) { 1000, 1, 1, our_vendor, 0 };
}

/* The category of each purpose, by the table. */
static unsigned
cat_of(unsigned p)
{
    switch (p) {
    case 1: return SPOOR_CAT_STORAGE;
    case 8: case 9: return SPOOR_CAT_ANALYTICS;
    case 5: case 6: return SPOOR_CAT_PERSONALIZATION;
    case 3: case 4: return SPOOR_CAT_MARKETING;
    default: return 0;
    }
}

Test(tcf_signal, accept_all)
{
    spoor_tcf_t             *tc = tc_new();
    spoor_tcf_policy_t       pol = { VENDOR, 1 };
    spoor_consent_signal_t   sig;
    tm_t                     m;

    tm_accept_all(&m);
    cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
    cr_assert_eq(spoor_tcf_signal(tc, &pol, &sig), SPOOR_OK);
    cr_assert_eq(sig.granted, SPOOR_CAT_ALL);
    cr_assert_eq(sig.denied, 0u);
    cr_assert_eq(sig.gpc, -1);
    cr_assert_eq(sig.interacted, -1);
    cr_assert_eq(sig.tcf_policy, 5u);
    cr_assert_eq(sig.cmp_id, 300u);
    cr_assert_eq(granted(tc, 0, 0), SPOOR_CAT_ALL);
    cr_assert_eq(granted(tc, 0, 1), SPOOR_CAT_ALL);
    cr_assert_eq(granted(tc, VENDOR, 0), SPOOR_CAT_ALL);
    /* another vendor has nothing */
    cr_assert_eq(granted(tc, VENDOR + 1, 1), 0u);
    free(tc);
}

/* The reference's strings that refuse: V1 (nothing), V3B1..3 (no
 * purposes), and the java strings with IsServiceSpecific 0. */
Test(tcf_signal, reference_vectors)
{
    spoor_tcf_t             *tc = tc_new();
    spoor_tcf_policy_t       pol = { 1, 1 };
    spoor_consent_signal_t   sig;

    cr_assert_eq(parse_z(V1, tc), SPOOR_OK);
    cr_assert_eq(spoor_tcf_signal(tc, &pol, &sig), SPOOR_OK);
    assert_signal_sane(&sig);
    cr_assert_eq(sig.granted, 0u);
    cr_assert_eq(sig.denied, SPOOR_CAT_ALL);
    cr_assert_eq(sig.tcf_policy, 2u);
    cr_assert_eq(sig.cmp_id, 880u);
    cr_assert_eq(granted(tc, 0, 1), 0u);

    cr_assert_eq(parse_z(V3B3, tc), SPOOR_OK);     /* service-specific */
    cr_assert_eq(granted(tc, 127, 1), 0u);
    cr_assert_eq(granted(tc, 0, 0), 0u);

    /* V3 consents to 3..9 and vendor 23: it would grant personalization,
     * marketing and analytics, but IsServiceSpecific is 0. */
    cr_assert_eq(parse_z(V3, tc), SPOOR_OK);
    cr_assert_eq(tc->is_service_specific, 0);
    cr_assert_eq(granted(tc, 0, 0), 0u);
    cr_assert_eq(granted(tc, 23, 1), 0u);
    cr_assert_eq(parse_z(V2, tc), SPOOR_OK);
    cr_assert_eq(granted(tc, 0, 1), 0u);
    cr_assert_eq(parse_z(V3B4, tc), SPOOR_OK);
    cr_assert_eq(granted(tc, 0, 1), 0u);
    free(tc);
}

/* The same strings with IsServiceSpecific set, built: the table applies. */
Test(tcf_signal, service_specific_bit)
{
    tm_t  m;

    tm_default(&m);
    m.pc = P(3) | P(4) | P(5) | P(6) | P(7) | P(8) | P(9);
    m.ss = 1;
    cr_assert_eq(m_granted(&m, 0, 0),
                 SPOOR_CAT_ANALYTICS | SPOOR_CAT_PERSONALIZATION
                 | SPOOR_CAT_MARKETING);
    m.ss = 0;
    cr_assert_eq(m_granted(&m, 0, 0), 0u);
}

/* Every subset of the seven mapped purposes, with the others on or off. */
Test(tcf_signal, exhaustive_purposes)
{
    static const unsigned  mapped[] = { 1, 3, 4, 5, 6, 8, 9 };
    spoor_tcf_t           *tc = tc_new();
    tm_t                   m;
    unsigned               set, i, expect, cat, others;

    for (others = 0; others < 2; others++) {
        for (set = 0; set < 128; set++) {
            tm_accept_all(&m);
            m.pli = 0;
            m.pc = others ? ALL_PURPOSES : 0;
            for (i = 0; i < NELEM(mapped); i++) {
                if (set & (1u << i)) {
                    m.pc |= P(mapped[i]);
                } else {
                    m.pc &= ~P(mapped[i]);
                }
            }
            expect = 0;
            for (cat = 1; cat <= SPOOR_CAT_MARKETING; cat <<= 1) {
                int  all = 1;

                for (i = 0; i < NELEM(mapped); i++) {
                    if (cat_of(mapped[i]) == cat && !(set & (1u << i))) {
                        all = 0;
                    }
                }
                if (all) {
                    expect |= cat;
                }
            }
            cr_assert_eq(parse_z(build(&m), tc), SPOOR_OK);
            cr_assert_eq(granted(tc, 0, 0), expect, "set %#x", set);
            cr_assert_eq(granted(tc, 0, 1), expect, "set %#x", set);
            cr_assert_eq(granted(tc, VENDOR, 0), expect, "set %#x", set);
            cr_assert_eq(granted(tc, VENDOR, 1), expect, "set %#x", set);
            cr_assert_eq(granted(tc, VENDOR + 1, 0), 0u, "set %#x", set);
        }
    }
    free(tc);
}

/* Each of the 24 purposes missing in turn. */
Test(tcf_signal, each_purpose_missing)
{
    tm_t      m;
    unsigned  p;

    for (p = 1; p <= 24; p++) {
        tm_accept_all(&m);
        m.pc &= ~P(p);
        m.pli = 0;
        cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ALL & ~cat_of(p),
                     "purpose %u", p);
        cr_assert_eq(m_granted(&m, 0, 0), SPOOR_CAT_ALL & ~cat_of(p),
                     "purpose %u", p);
    }
}

Test(tcf_signal, vendor_consent)
{
    tm_t  m;

    tm_accept_all(&m);
    m.vc = (tv_t) { 1000, 1, 1, other_vendor, 0 };
    m.pli = 0;
    cr_assert_eq(m_granted(&m, VENDOR, 1), 0u);
    cr_assert_eq(m_granted(&m, VENDOR - 1, 1), SPOOR_CAT_ALL);
    cr_assert_eq(m_granted(&m, 0, 1), SPOOR_CAT_ALL);

    /* the vendor's LI does not replace its consent, except for analytics
     * where LI counts */
    tm_accept_all(&m);
    m.vc = (tv_t) { 1000, 1, 1, other_vendor, 0 };
    cr_assert_eq(m_granted(&m, VENDOR, 0), 0u);
    cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ANALYTICS);

    /* vendor ids no set can hold */
    tm_accept_all(&m);
    cr_assert_eq(m_granted(&m, 65536, 1), 0u);
    cr_assert_eq(m_granted(&m, 0xffffffffu, 1), 0u);

    /* the set's MaxVendorId below the vendor */
    tm_accept_all(&m);
    m.vc = (tv_t) { VENDOR - 1, 1, 1, other_vendor, 0 };
    m.pli = 0;
    cr_assert_eq(m_granted(&m, VENDOR, 1), 0u);
}

Test(tcf_signal, legitimate_interest)
{
    const unsigned  NO_ANALYTICS = SPOOR_CAT_ALL & ~SPOOR_CAT_ANALYTICS;
    tm_t            m;

    /* 8 and 9 by LI only, the rest by consent */
    tm_accept_all(&m);
    m.pc = ALL_PURPOSES & ~(P(8) | P(9));
    m.pli = P(8) | P(9);
    cr_assert_eq(m_granted(&m, VENDOR, 0), NO_ANALYTICS);
    cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ALL);
    cr_assert_eq(m_granted(&m, 0, 0), NO_ANALYTICS);
    cr_assert_eq(m_granted(&m, 0, 1), SPOOR_CAT_ALL);

    /* the vendor's LI missing */
    m.vli = (tv_t) { 1000, 1, 1, other_vendor, 0 };
    cr_assert_eq(m_granted(&m, VENDOR, 1), NO_ANALYTICS);
    cr_assert_eq(m_granted(&m, 0, 1), SPOOR_CAT_ALL);

    /* 8 by consent, 9 by LI */
    tm_accept_all(&m);
    m.pc = ALL_PURPOSES & ~P(9);
    m.pli = P(9);
    cr_assert_eq(m_granted(&m, VENDOR, 0), NO_ANALYTICS);
    cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ALL);

    /* LI never counts for 1, 3, 4, 5, 6 */
    tm_accept_all(&m);
    m.pc = P(8) | P(9);
    m.pli = ALL_PURPOSES;
    cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ANALYTICS);
    cr_assert_eq(m_granted(&m, 0, 1), SPOOR_CAT_ANALYTICS);
    m.pc = 0;
    cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ANALYTICS);
    cr_assert_eq(m_granted(&m, VENDOR, 0), 0u);
}

/*
 * A restriction of each type on purpose 8 for VENDOR, against a purpose
 * signal by consent, by LI or both, with the LI policy off and on.
 */
Test(tcf_signal, restriction_types)
{
    static const int  expect[4][3][2] = {
        /*           consent   LI only   both        (li off, on) */
        /* none */ { { 1, 1 }, { 0, 1 }, { 1, 1 } },
        /* 0    */ { { 0, 0 }, { 0, 0 }, { 0, 0 } },
        /* 1    */ { { 1, 1 }, { 0, 0 }, { 1, 1 } },
        /* 2    */ { { 0, 0 }, { 0, 1 }, { 0, 1 } },
    };
    tm_t      m;
    trs_t     r;
    int       type, basis, li;
    unsigned  g;

    for (type = -1; type <= 2; type++) {
        for (basis = 0; basis < 3; basis++) {
            for (li = 0; li < 2; li++) {
                tm_accept_all(&m);
                m.pc = ALL_PURPOSES;
                m.pli = 0;
                if (basis == 1) {
                    m.pc &= ~P(8);
                }
                if (basis >= 1) {
                    m.pli |= P(8);
                }
                r = (trs_t) { 8, (unsigned) type, 1, our_vendor };
                m.nrestr = type >= 0;
                m.restr = &r;
                g = m_granted(&m, VENDOR, li);
                cr_assert_eq((g & SPOOR_CAT_ANALYTICS) != 0,
                             expect[type + 1][basis][li],
                             "type %d basis %d li %d", type, basis, li);
                cr_assert_eq(g & ~SPOOR_CAT_ANALYTICS,
                             SPOOR_CAT_ALL & ~SPOOR_CAT_ANALYTICS);
                /* without a vendor, restrictions do not apply */
                g = m_granted(&m, 0, li);
                cr_assert_eq((g & SPOOR_CAT_ANALYTICS) != 0,
                             expect[0][basis][li],
                             "no vendor: type %d basis %d li %d", type, basis,
                             li);
                /* nor to another vendor's entries */
                r.e = other_vendor;
                m.vc = (tv_t) { 1000, 1, 2,
                                (const tr_t[]) { ONE(VENDOR), ONE(VENDOR - 1) },
                                0 };
                g = m_granted(&m, VENDOR, li);
                cr_assert_eq((g & SPOOR_CAT_ANALYTICS) != 0,
                             expect[0][basis][li],
                             "other vendor: type %d basis %d li %d", type,
                             basis, li);
            }
        }
    }
}

Test(tcf_signal, restrictions_on_other_purposes)
{
    static const tr_t  span[] = { RNG(1, 65535) };
    tm_t               m;
    trs_t              r;
    unsigned           p;

    /* type 0 on each mapped purpose denies exactly its category */
    for (p = 1; p <= 24; p++) {
        tm_accept_all(&m);
        r = (trs_t) { p, SPOOR_TCF_RESTRICT_NOT_ALLOWED, 1, span };
        m.nrestr = 1;
        m.restr = &r;
        cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ALL & ~cat_of(p),
                     "purpose %u", p);
        cr_assert_eq(m_granted(&m, 0, 1), SPOOR_CAT_ALL, "purpose %u", p);
    }

    /* type 2 (require LI) on purpose 1: LI never counts for storage */
    tm_accept_all(&m);
    r = (trs_t) { 1, SPOOR_TCF_RESTRICT_LI, 1, our_vendor };
    m.nrestr = 1;
    m.restr = &r;
    cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ALL & ~SPOOR_CAT_STORAGE);

    /* type 1 (require consent) on purpose 3 with consent: granted */
    tm_accept_all(&m);
    r = (trs_t) { 3, SPOOR_TCF_RESTRICT_CONSENT, 1, our_vendor };
    m.nrestr = 1;
    m.restr = &r;
    cr_assert_eq(m_granted(&m, VENDOR, 1), SPOOR_CAT_ALL);

    /* contradictory 1 and 2 for the same purpose and vendor: not allowed */
    {
        trs_t  two[] = { { 9, SPOOR_TCF_RESTRICT_CONSENT, 1, our_vendor },
                         { 9, SPOOR_TCF_RESTRICT_LI, 1, span } };

        tm_accept_all(&m);
        m.nrestr = 2;
        m.restr = two;
        cr_assert_eq(m_granted(&m, VENDOR, 1),
                     SPOOR_CAT_ALL & ~SPOOR_CAT_ANALYTICS);
    }
}

/* Signals from a bitfield and from ranges agree (the vendor lookups). */
Test(tcf_signal, bitfield_and_range_vendor_sets)
{
    static const tr_t  e[] = { RNG(700, 800), ONE(3) };
    tm_t               m;
    unsigned           v;
    int                range;
    unsigned           g[2];

    for (v = 0; v < 1000; v += 37) {
        for (range = 0; range < 2; range++) {
            tm_accept_all(&m);
            m.pli = 0;
            m.vc = (tv_t) { 900, range, 2, e, 0 };
            g[range] = m_granted(&m, v, 0);
        }
        cr_assert_eq(g[0], g[1], "vendor %u", v);
        cr_assert_eq(g[0], v == 0 || (v >= 700 && v <= 800) || v == 3
                           ? SPOOR_CAT_ALL : 0u, "vendor %u", v);
    }
}
