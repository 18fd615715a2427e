/*
 * consent_tcf.c -- IAB TCF v2 TC string parser and category mapping (see
 * consent_tcf.h for what is accepted and the mapping table).
 *
 * Parsing runs in two steps.  First the text is split at '.', each
 * segment's padding is checked and stripped and its characters are decoded
 * into tc->bits, one segment after the other; each segment remembers its
 * bit range [start, end) there.  Then each segment is read field by field
 * with a reader bounded by that segment's end: every read checks that its
 * bits are inside the segment, so a truncated string fails at the first
 * field that does not fit and nothing is ever read from the next segment
 * or past the buffer.  Loops over declared counts (range entries,
 * restrictions) consume at least one bit per turn or fail, so they end
 * within the segment's length whatever the count says.
 *
 * Bitfields are not copied: a vendor set remembers where its bits are in
 * tc->bits.  Range entries are copied to tc->ranges; a range entry is at
 * least 17 bits, so SPOOR_TCF_RANGES_MAX (6 * SPOOR_TCF_MAX_LEN / 17)
 * entries are enough for any string short enough to be decoded.
 *
 * Core segment, bit offsets (IAB spec; iabtcf-java FieldDefs):
 *
 *     0 Version 6            132 TcfPolicyVersion 6
 *     6 Created 36           138 IsServiceSpecific 1
 *    42 LastUpdated 36       139 UseNonStandardTexts 1
 *    78 CmpId 12             140 SpecialFeatureOptIns 12
 *    90 CmpVersion 12        152 PurposesConsent 24
 *   102 ConsentScreen 6      176 PurposesLITransparency 24
 *   108 ConsentLanguage 12   200 PurposeOneTreatment 1
 *   120 VendorListVersion 12 201 PublisherCC 12
 *   213 VendorConsents section, VendorLI section, publisher restrictions.
 *
 * DisclosedVendors / AllowedVendors: SegmentType 3 (= 1 / 2), one vendor
 * section.  PublisherTC: SegmentType 3 (= 3), PubPurposesConsent 24,
 * PubPurposesLITransparency 24, NumCustomPurposes 6 (= n),
 * CustomPurposesConsent n, CustomPurposesLITransparency n.
 */
#include <stddef.h>
#include <string.h>
#include "error.h"
#include "consent_tcf.h"

/* Core + DisclosedVendors + AllowedVendors + PublisherTC. */
#define TCF_SEGMENTS_MAX  4

/* Padding after a segment's last field: fewer bits than this, all 0. */
#define TCF_PAD_MAX       24

typedef struct {
    const unsigned char  *bits;
    size_t                pos;      /* next bit to read */
    size_t                end;      /* first bit after the segment; >= pos */
} tcf_reader_t;

typedef struct {
    size_t  start, end;             /* bit range in tc->bits */
} tcf_segment_t;


/* ---- bits ---------------------------------------------------------------- */

static unsigned
tcf_bit(const unsigned char *bits, size_t pos)
{
    return (bits[pos >> 3] >> (7 - (pos & 7))) & 1u;
}


/* Reads n <= 64 bits, big-endian, into *v.  SPOOR_E_FORMAT, with nothing
 * read, when fewer than n bits are left in the segment. */
static int
tcf_get(tcf_reader_t *r, unsigned n, uint64_t *v)
{
    uint64_t  x = 0;
    unsigned  i;

    if (n > r->end - r->pos) {
        return SPOOR_E_FORMAT;
    }
    for (i = 0; i < n; i++) {
        x = (x << 1) | tcf_bit(r->bits, r->pos + i);
    }
    r->pos += n;
    *v = x;
    return SPOOR_OK;
}


/* Reads n <= 64 bits that stand for ids 1..n, first bit = id 1, into a
 * mask with bit (id - 1) set for each id. */
static int
tcf_get_set(tcf_reader_t *r, unsigned n, uint64_t *mask)
{
    uint64_t  m = 0, b;
    unsigned  i;

    for (i = 0; i < n; i++) {
        if (tcf_get(r, 1, &b) != SPOOR_OK) {
            return SPOOR_E_FORMAT;
        }
        m |= b << i;
    }
    *mask = m;
    return SPOOR_OK;
}


/* Two letters of 6 bits, a = 0 .. z = 25, as "AZ". */
static int
tcf_get_letters(tcf_reader_t *r, char out[3])
{
    uint64_t  v;
    unsigned  i;

    for (i = 0; i < 2; i++) {
        if (tcf_get(r, 6, &v) != SPOOR_OK || v > 25) {
            return SPOOR_E_FORMAT;
        }
        out[i] = (char) ('A' + v);
    }
    out[2] = '\0';
    return SPOOR_OK;
}


/* After a segment's last field: fewer than TCF_PAD_MAX bits, all zero. */
static int
tcf_padding(tcf_reader_t *r)
{
    uint64_t  v;
    size_t    left = r->end - r->pos;

    if (left >= TCF_PAD_MAX || tcf_get(r, (unsigned) left, &v) != SPOOR_OK
        || v != 0)
    {
        return SPOOR_E_FORMAT;
    }
    return SPOOR_OK;
}


/* ---- text ---------------------------------------------------------------- */

/* The 6-bit value of a base64url character, or -1.  (ASCII.) */
static int
tcf_b64(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}


/*
 * Splits s[0 .. len) at '.', checks and strips each segment's '=' padding
 * and decodes its characters into tc->bits (zeroed by the caller), one
 * segment after the other.  len <= SPOOR_TCF_MAX_LEN, so the bits fit.
 */
static int
tcf_decode_text(const char *s, size_t len, spoor_tcf_t *tc,
    tcf_segment_t *seg, unsigned *nseg)
{
    size_t    i, j, k, n, c, pos;
    unsigned  count, w;
    int       v;

    count = 0;
    pos = 0;
    i = 0;

    for ( ;; ) {
        /* the segment is s[i .. j) */
        for (j = i; j < len && s[j] != '.'; j++) {
            /* find its end */
        }
        if (count == TCF_SEGMENTS_MAX) {
            return SPOOR_E_FORMAT;
        }

        /* k trailing '=': correct base64 padding or nothing */
        for (k = 0; k < j - i && s[j - 1 - k] == '='; k++) {
            /* count */
        }
        n = j - i - k;
        if (n == 0 || (k > 0 && (k > 2 || (n + k) % 4 != 0))) {
            return SPOOR_E_FORMAT;
        }

        seg[count].start = pos;
        for (c = i; c < i + n; c++) {
            v = tcf_b64((unsigned char) s[c]);
            if (v < 0) {
                return SPOOR_E_FORMAT;
            }
            /* the 6 bits, most significant first, from bit pos on: a
             * 16-bit window over the byte of pos and the next one */
            w = (unsigned) v << (10 - (pos & 7));
            tc->bits[pos >> 3] |= (unsigned char) (w >> 8);
            if ((pos >> 3) + 1 < sizeof(tc->bits)) {
                tc->bits[(pos >> 3) + 1] |= (unsigned char) w;
            }
            pos += 6;
        }
        seg[count].end = pos;
        count++;

        if (j == len) {
            break;
        }
        i = j + 1;      /* past the '.'; an empty segment is refused above */
    }

    *nseg = count;
    return SPOOR_OK;
}


/* ---- sections ------------------------------------------------------------ */

/* Appends one range entry, 1 <= start <= end checked by the caller. */
static int
tcf_push_range(spoor_tcf_t *tc, uint64_t start, uint64_t end,
    unsigned purpose, unsigned type)
{
    spoor_tcf_range_t  *e;

    if (tc->nranges >= SPOOR_TCF_RANGES_MAX) {
        return SPOOR_E_FORMAT;      /* cannot happen: see the top */
    }
    e = &tc->ranges[tc->nranges++];
    e->start = (uint16_t) start;
    e->end = (uint16_t) end;
    e->purpose = (uint8_t) purpose;
    e->type = (uint8_t) type;
    return SPOOR_OK;
}


/* One range entry: IsARange (1), StartOrOnlyVendorId (16), EndVendorId
 * (16) when a range.  1 <= start <= end <= max (publisher restrictions,
 * which have no MaxVendorId, pass UINT64_MAX). */
static int
tcf_range_entry(tcf_reader_t *r, uint64_t max, uint64_t *start,
    uint64_t *end)
{
    uint64_t  is_range;

    if (tcf_get(r, 1, &is_range) != SPOOR_OK
        || tcf_get(r, 16, start) != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    *end = *start;
    if (is_range && tcf_get(r, 16, end) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    if (*start == 0 || *start > *end || *end > max) {
        return SPOOR_E_FORMAT;
    }
    return SPOOR_OK;
}


/* A vendor section: MaxVendorId, IsRangeEncoding, bitfield or ranges. */
static int
tcf_vendors(tcf_reader_t *r, spoor_tcf_t *tc, spoor_tcf_vendors_t *vs)
{
    uint64_t  max, is_range, num, e, start, end;

    if (tcf_get(r, 16, &max) != SPOOR_OK
        || tcf_get(r, 1, &is_range) != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    vs->present = 1;
    vs->max_id = (uint16_t) max;
    vs->is_range = (int) is_range;

    if (!is_range) {
        /* exactly max bits, not read now */
        if (max > r->end - r->pos) {
            return SPOOR_E_FORMAT;
        }
        vs->bit_off = (uint32_t) r->pos;
        r->pos += (size_t) max;
        return SPOOR_OK;
    }

    if (tcf_get(r, 12, &num) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    vs->first = tc->nranges;
    for (e = 0; e < num; e++) {
        if (tcf_range_entry(r, max, &start, &end) != SPOOR_OK
            || tcf_push_range(tc, start, end, 0, 0) != SPOOR_OK)
        {
            return SPOOR_E_FORMAT;
        }
    }
    vs->count = (uint16_t) num;
    return SPOOR_OK;
}


/* NumPubRestrictions, then PurposeId, RestrictionType, range entries. */
static int
tcf_restrictions(tcf_reader_t *r, spoor_tcf_t *tc)
{
    uint64_t  num, i, purpose, type, entries, e, start, end;

    if (tcf_get(r, 12, &num) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    tc->num_pub_restrictions = (unsigned) num;
    tc->restr_first = tc->nranges;

    for (i = 0; i < num; i++) {
        if (tcf_get(r, 6, &purpose) != SPOOR_OK
            || tcf_get(r, 2, &type) != SPOOR_OK
            || tcf_get(r, 12, &entries) != SPOOR_OK
            || purpose == 0 || purpose > SPOOR_TCF_PURPOSES
            || type > SPOOR_TCF_RESTRICT_LI)
        {
            return SPOOR_E_FORMAT;
        }
        for (e = 0; e < entries; e++) {
            if (tcf_range_entry(r, UINT64_MAX, &start, &end) != SPOOR_OK
                || tcf_push_range(tc, start, end, (unsigned) purpose,
                                  (unsigned) type) != SPOOR_OK)
            {
                return SPOOR_E_FORMAT;
            }
        }
    }
    tc->restr_count = (uint16_t) (tc->nranges - tc->restr_first);
    return SPOOR_OK;
}


/* ---- segments ------------------------------------------------------------ */

static int
tcf_core(tcf_reader_t *r, spoor_tcf_t *tc)
{
    uint64_t  v[8], sf, pc, pli;

    if (tcf_get(r, 6, &v[0]) != SPOOR_OK || v[0] != 2) {
        return SPOOR_E_FORMAT;
    }
    if (tcf_get(r, 36, &tc->created) != SPOOR_OK
        || tcf_get(r, 36, &tc->last_updated) != SPOOR_OK
        || tcf_get(r, 12, &v[1]) != SPOOR_OK
        || tcf_get(r, 12, &v[2]) != SPOOR_OK
        || tcf_get(r, 6, &v[3]) != SPOOR_OK
        || tcf_get_letters(r, tc->consent_language) != SPOOR_OK
        || tcf_get(r, 12, &v[4]) != SPOOR_OK
        || tcf_get(r, 6, &v[5]) != SPOOR_OK
        || tcf_get(r, 1, &v[6]) != SPOOR_OK
        || tcf_get(r, 1, &v[7]) != SPOOR_OK
        || tcf_get_set(r, SPOOR_TCF_SPECIAL_FEATURES, &sf) != SPOOR_OK
        || tcf_get_set(r, SPOOR_TCF_PURPOSES, &pc) != SPOOR_OK
        || tcf_get_set(r, SPOOR_TCF_PURPOSES, &pli) != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    tc->version = (unsigned) v[0];
    tc->cmp_id = (unsigned) v[1];
    tc->cmp_version = (unsigned) v[2];
    tc->consent_screen = (unsigned) v[3];
    tc->vendor_list_version = (unsigned) v[4];
    tc->policy_version = (unsigned) v[5];
    tc->is_service_specific = (int) v[6];
    tc->use_non_standard_texts = (int) v[7];
    tc->special_features = (uint32_t) sf;
    tc->purposes_consent = (uint32_t) pc;
    tc->purposes_li = (uint32_t) pli;

    if (tcf_get(r, 1, &v[0]) != SPOOR_OK
        || tcf_get_letters(r, tc->publisher_cc) != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    tc->purpose_one_treatment = (int) v[0];

    if (tcf_vendors(r, tc, &tc->vendor_consents) != SPOOR_OK
        || tcf_vendors(r, tc, &tc->vendor_li) != SPOOR_OK
        || tcf_restrictions(r, tc) != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    return tcf_padding(r);
}


static int
tcf_publisher_tc(tcf_reader_t *r, spoor_tcf_t *tc)
{
    uint64_t  pc, pli, n, cc, cli;

    if (tcf_get_set(r, SPOOR_TCF_PURPOSES, &pc) != SPOOR_OK
        || tcf_get_set(r, SPOOR_TCF_PURPOSES, &pli) != SPOOR_OK
        || tcf_get(r, 6, &n) != SPOOR_OK
        || tcf_get_set(r, (unsigned) n, &cc) != SPOOR_OK
        || tcf_get_set(r, (unsigned) n, &cli) != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    tc->has_publisher_tc = 1;
    tc->pub_purposes_consent = (uint32_t) pc;
    tc->pub_purposes_li = (uint32_t) pli;
    tc->num_custom_purposes = (unsigned) n;
    tc->custom_purposes_consent = cc;
    tc->custom_purposes_li = cli;
    return SPOOR_OK;
}


/* A segment after the core: its type, then its fields and padding. */
static int
tcf_other(tcf_reader_t *r, spoor_tcf_t *tc)
{
    uint64_t  type;
    int       rc;

    if (tcf_get(r, 3, &type) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    switch (type) {
    case 1:
        if (tc->disclosed.present) {
            return SPOOR_E_FORMAT;
        }
        rc = tcf_vendors(r, tc, &tc->disclosed);
        break;
    case 2:
        if (tc->allowed.present) {
            return SPOOR_E_FORMAT;
        }
        rc = tcf_vendors(r, tc, &tc->allowed);
        break;
    case 3:
        if (tc->has_publisher_tc) {
            return SPOOR_E_FORMAT;
        }
        rc = tcf_publisher_tc(r, tc);
        break;
    default:            /* 0 (a second core), 4..7 (undefined) */
        return SPOOR_E_FORMAT;
    }
    if (rc != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }
    return tcf_padding(r);
}


static int
tcf_parse(const char *s, size_t len, spoor_tcf_t *tc)
{
    tcf_segment_t  seg[TCF_SEGMENTS_MAX];
    tcf_reader_t   r;
    unsigned       nseg, i;

    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        s++;
        len -= 2;
    }
    if (len == 0 || len > SPOOR_TCF_MAX_LEN) {
        return SPOOR_E_FORMAT;
    }
    if (tcf_decode_text(s, len, tc, seg, &nseg) != SPOOR_OK) {
        return SPOOR_E_FORMAT;
    }

    r.bits = tc->bits;
    for (i = 0; i < nseg; i++) {
        r.pos = seg[i].start;
        r.end = seg[i].end;
        if ((i == 0 ? tcf_core(&r, tc) : tcf_other(&r, tc)) != SPOOR_OK) {
            return SPOOR_E_FORMAT;
        }
    }
    return SPOOR_OK;
}


int
spoor_tcf_parse(const char *s, size_t len, spoor_tcf_t *tc)
{
    size_t  used;

    /* everything but the range entries (counted by nranges) and the bits
     * beyond the text's: a 12 KiB memset per request was most of the
     * parse */
    memset(tc, 0, offsetof(spoor_tcf_t, ranges));
    used = len <= SPOOR_TCF_MAX_LEN + 2 ? (len * 6 + 7) / 8 + 1
                                        : sizeof(tc->bits);
    memset(tc->bits, 0, used < sizeof(tc->bits) ? used : sizeof(tc->bits));

    if (tcf_parse(s, len, tc) != SPOOR_OK) {
        memset(tc, 0, sizeof(*tc));
        return SPOOR_E_FORMAT;
    }
    return SPOOR_OK;
}


/* ---- queries ------------------------------------------------------------- */

static int
tcf_mask_has(uint64_t mask, unsigned id, unsigned max)
{
    return id >= 1 && id <= max ? (int) ((mask >> (id - 1)) & 1u) : 0;
}


static int
tcf_vendor_in(const spoor_tcf_t *tc, const spoor_tcf_vendors_t *vs,
    unsigned id)
{
    const spoor_tcf_range_t  *e;
    unsigned                  i;

    if (!vs->present || id == 0 || id > vs->max_id) {
        return 0;
    }
    if (!vs->is_range) {
        return (int) tcf_bit(tc->bits, (size_t) vs->bit_off + id - 1);
    }
    for (i = 0; i < vs->count; i++) {
        e = &tc->ranges[vs->first + i];
        if (id >= e->start && id <= e->end) {
            return 1;
        }
    }
    return 0;
}


int
spoor_tcf_purpose_consent(const spoor_tcf_t *tc, unsigned purpose)
{
    return tcf_mask_has(tc->purposes_consent, purpose, SPOOR_TCF_PURPOSES);
}


int
spoor_tcf_purpose_li(const spoor_tcf_t *tc, unsigned purpose)
{
    return tcf_mask_has(tc->purposes_li, purpose, SPOOR_TCF_PURPOSES);
}


int
spoor_tcf_special_feature(const spoor_tcf_t *tc, unsigned feature)
{
    return tcf_mask_has(tc->special_features, feature,
                        SPOOR_TCF_SPECIAL_FEATURES);
}


int
spoor_tcf_vendor_consent(const spoor_tcf_t *tc, unsigned vendor)
{
    return tcf_vendor_in(tc, &tc->vendor_consents, vendor);
}


int
spoor_tcf_vendor_li(const spoor_tcf_t *tc, unsigned vendor)
{
    return tcf_vendor_in(tc, &tc->vendor_li, vendor);
}


int
spoor_tcf_disclosed_vendor(const spoor_tcf_t *tc, unsigned vendor)
{
    return tcf_vendor_in(tc, &tc->disclosed, vendor);
}


int
spoor_tcf_allowed_vendor(const spoor_tcf_t *tc, unsigned vendor)
{
    return tcf_vendor_in(tc, &tc->allowed, vendor);
}


int
spoor_tcf_restriction(const spoor_tcf_t *tc, unsigned purpose,
    unsigned vendor)
{
    const spoor_tcf_range_t  *e;
    unsigned                  i, found = 0;     /* bit t: type t covers */

    for (i = 0; i < tc->restr_count; i++) {
        e = &tc->ranges[tc->restr_first + i];
        if (e->purpose == purpose && vendor >= e->start && vendor <= e->end) {
            found |= 1u << e->type;
        }
    }
    if (found == 0) {
        return SPOOR_TCF_RESTRICT_NONE;
    }
    if ((found & (1u << SPOOR_TCF_RESTRICT_NOT_ALLOWED))
        || found == ((1u << SPOOR_TCF_RESTRICT_CONSENT)
                     | (1u << SPOOR_TCF_RESTRICT_LI)))
    {
        return SPOOR_TCF_RESTRICT_NOT_ALLOWED;
    }
    return found == (1u << SPOOR_TCF_RESTRICT_CONSENT)
           ? SPOOR_TCF_RESTRICT_CONSENT : SPOOR_TCF_RESTRICT_LI;
}


int
spoor_tcf_pub_purpose_consent(const spoor_tcf_t *tc, unsigned purpose)
{
    return tcf_mask_has(tc->pub_purposes_consent, purpose,
                        SPOOR_TCF_PURPOSES);
}


int
spoor_tcf_pub_purpose_li(const spoor_tcf_t *tc, unsigned purpose)
{
    return tcf_mask_has(tc->pub_purposes_li, purpose, SPOOR_TCF_PURPOSES);
}


int
spoor_tcf_custom_purpose_consent(const spoor_tcf_t *tc, unsigned id)
{
    return tcf_mask_has(tc->custom_purposes_consent, id,
                        tc->num_custom_purposes);
}


int
spoor_tcf_custom_purpose_li(const spoor_tcf_t *tc, unsigned id)
{
    return tcf_mask_has(tc->custom_purposes_li, id, tc->num_custom_purposes);
}


/* ---- mapping ------------------------------------------------------------- */

/* The table of consent_tcf.h. */
static const struct {
    unsigned       cat;
    unsigned char  purposes[3];     /* 0-terminated */
    int            li;              /* LI may count (policy permitting) */
} tcf_map[] = {
    { SPOOR_CAT_STORAGE,         { 1, 0, 0 }, 0 },
    { SPOOR_CAT_ANALYTICS,       { 8, 9, 0 }, 1 },
    { SPOOR_CAT_PERSONALIZATION, { 5, 6, 0 }, 0 },
    { SPOOR_CAT_MARKETING,       { 3, 4, 0 }, 0 },
};


/* Whether purpose p is allowed; li: legitimate interest counts for it. */
static int
tcf_purpose_allowed(const spoor_tcf_t *tc, unsigned v, unsigned p, int li)
{
    int  consent, by_li;

    consent = spoor_tcf_purpose_consent(tc, p)
              && (v == 0 || spoor_tcf_vendor_consent(tc, v));
    by_li = li && spoor_tcf_purpose_li(tc, p)
            && (v == 0 || spoor_tcf_vendor_li(tc, v));

    if (v != 0) {
        switch (spoor_tcf_restriction(tc, p, v)) {
        case SPOOR_TCF_RESTRICT_NOT_ALLOWED:
            return 0;
        case SPOOR_TCF_RESTRICT_CONSENT:
            return consent;
        case SPOOR_TCF_RESTRICT_LI:
            return by_li;
        default:
            break;
        }
    }
    return consent || by_li;
}


int
spoor_tcf_signal(const spoor_tcf_t *tc, const spoor_tcf_policy_t *policy,
    spoor_consent_signal_t *out)
{
    unsigned  i, j, v;
    int       ok;

    spoor_consent_signal_init(out);
    if (tc->version != 2) {
        return SPOOR_E_INVAL;
    }
    out->tcf_policy = tc->policy_version;
    out->cmp_id = tc->cmp_id;

    if (!tc->is_service_specific || policy->vendor_id > SPOOR_TCF_VENDOR_MAX) {
        return SPOOR_OK;
    }
    v = policy->vendor_id;

    for (i = 0; i < sizeof(tcf_map) / sizeof(tcf_map[0]); i++) {
        ok = 1;
        for (j = 0; j < 3 && tcf_map[i].purposes[j] != 0; j++) {
            if (!tcf_purpose_allowed(tc, v, tcf_map[i].purposes[j],
                                     tcf_map[i].li && policy->li_analytics))
            {
                ok = 0;
                break;
            }
        }
        spoor_consent_signal_set(out, tcf_map[i].cat, ok);
    }
    return SPOOR_OK;
}
