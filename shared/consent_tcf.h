/*
 * consent_tcf.h -- IAB TCF v2 TC strings (the `euconsent-v2` cookie, the
 * `gdpr_consent` parameter, Cookiebot's `iab2`) as a consent signal.
 *
 * A TC string is one to four segments joined by '.'.  Each segment is
 * base64url text (alphabet A-Z a-z 0-9 '-' '_', 6 bits per character,
 * most significant bit first) of a bit string whose fields are big-endian
 * unsigned integers packed without alignment.  The first segment is the
 * core segment and starts with Version (6 bits); every other segment
 * starts with SegmentType (3 bits): 1 DisclosedVendors, 2 AllowedVendors
 * (deprecated, still found in old strings), 3 PublisherTC.  Field by field
 * layout: IAB "Consent string and vendor list formats v2", summarized in
 * the comments of consent_tcf.c.
 *
 * spoor_tcf_parse() decodes the whole string into a caller-provided
 * spoor_tcf_t and validates all of it first; the query functions then
 * answer from it and cannot fail.  spoor_tcf_signal() maps a parsed
 * string to spoor's four categories (table below).
 *
 * What is accepted -- anything else is SPOOR_E_FORMAT, "no valid consent":
 *
 *   Text     At most SPOOR_TCF_MAX_LEN characters, optionally wrapped in
 *            one pair of double quotes (an RFC 6265 quoted cookie-value;
 *            the limit counts what is inside).  Nothing is trimmed or
 *            percent-decoded.  No segment may be empty (no leading,
 *            trailing or doubled '.'); at most 4 segments.
 *   Alphabet Each segment is base64url characters, optionally followed by
 *            '=' padding, which is removed before decoding.  The IAB
 *            reference encoder (iabtcf-es) never writes '=' and its decoder
 *            refuses it; iabtcf-java's decoder (java.util.Base64's URL
 *            decoder) accepts correct padding, and a real test string of
 *            its ends in "ITg=".  So '=' is accepted only as correct
 *            base64 padding: 1 or 2 of them, only at the end of a segment,
 *            and only making that segment's length a multiple of 4 ("ab=="
 *            and "abc=" are padded, "abcd=", "a===" and "ab=c" are not).
 *            '+' and '/' (standard base64), whitespace, '%' and every other
 *            byte, including NUL, are refused.
 *   Version  The core segment's Version must be 2.  Version 1 strings
 *            (which start with 'B') are refused: TCF v1 strings have been
 *            invalid since 2020-09-30.
 *   Segments The core segment comes first; each other segment type (1, 2,
 *            3) appears at most once, in any order.  Type 0 after the
 *            first segment and types 4..7 are refused.  The
 *            DisclosedVendors segment, mandatory since TCF 2.3, is not
 *            required: older strings lack it.
 *   Length   Every field must lie inside its own segment (a read past the
 *            end of a segment is an error, never a read into the next one).
 *            After the last field of a segment there may be fewer than 24
 *            bits, all zero: encoders pad the bit string with zero bits to
 *            a whole character (iabtcf-java's test strings), to a whole
 *            byte, or, as the IAB reference encoder does, to a multiple of
 *            24 bits (up to 23 bits: the IAB's own example string has a
 *            segment with 21).  24 or more trailing bits (a whole unused
 *            group of four characters) or a non-zero padding bit is
 *            "over-long" and refused.  (The reference decoders ignore
 *            whatever follows the last field; being stricter refuses only
 *            strings that no known encoder writes.)
 *   Vendors  A vendor section is MaxVendorId (16 bits), IsRangeEncoding (1),
 *            then either a bitfield of exactly MaxVendorId bits (bit i =
 *            vendor i + 1) or NumEntries (12) range entries: IsARange (1),
 *            StartOrOnlyVendorId (16), EndVendorId (16, only for a range).
 *            Every id must be 1 <= start <= end <= MaxVendorId (the
 *            checks of iabtcf-java, plus a lone id above MaxVendorId and id
 *            0, which the spec excludes: vendor ids start at 1).
 *            MaxVendorId 0 is an empty set: a bitfield of 0 bits, or a
 *            range list whose entries can only be refused.
 *   Restrictions  NumPubRestrictions (12), then per restriction PurposeId
 *            (6), RestrictionType (2), NumEntries (12) and range entries as
 *            above, with 1 <= start <= end (no maximum: publisher ranges
 *            may span ids not in the vendor list).  PurposeId must be 1..24
 *            and RestrictionType 0..2 (3 is "undefined" in the spec).
 *   Letters  ConsentLanguage and PublisherCC are two letters of 6 bits each,
 *            a=0 .. z=25; a larger value is refused.
 *
 * Structurally valid is not policy-valid: a string with TcfPolicyVersion
 * below 4 (invalid since 2023-09-30 under TCF 2.2) or without
 * DisclosedVendors parses; the caller sees policy_version and
 * disclosed.present.  IsServiceSpecific = 0 parses too (the IAB's test
 * strings have it), but the spec calls such a string invalid and
 * spoor_tcf_signal() grants nothing for it.
 *
 * Category mapping, spoor_tcf_signal() with a spoor_tcf_policy_t:
 *
 *   category          TCF purposes            legitimate interest counts
 *   ----------------  ----------------------  ----------------------------
 *   storage           1 (store/access)        never
 *   analytics         8 (measure content),    when policy->li_analytics
 *                     9 (audience statistics)
 *   personalization   5, 6 (content profile)  never
 *   marketing         3, 4 (ads profile)      never
 *
 *   A category is granted when every one of its purposes is allowed, and
 *   denied otherwise (silence is no consent).  Purpose p is allowed when
 *     consent path:  PurposesConsent[p]  and, with policy->vendor_id = v,
 *                    VendorConsents[v];
 *     or LI path (only where legitimate interest counts):
 *                    PurposesLITransparency[p] and, with a vendor,
 *                    VendorLI[v].
 *   With a vendor, the publisher restriction for (p, v) comes first:
 *     type 0 (not allowed)       p is not allowed;
 *     type 1 (require consent)   only the consent path counts, even for
 *                                analytics with li_analytics on;
 *     type 2 (require LI)        only the LI path counts: p is not allowed
 *                                where legitimate interest does not count.
 *   Without a vendor (vendor_id 0) restrictions do not apply: they name
 *   vendors.  A vendor_id above 65535 is in no vendor set: nothing is
 *   granted.  A string with IsServiceSpecific = 0: nothing is granted.
 *   PurposeOneTreatment = 1 changes nothing (purpose 1 then normally has
 *   no consent bit, so storage is denied).  The PublisherTC segment is
 *   not used by the mapping (its purposes are available to the caller).
 *   out->tcf_policy = TcfPolicyVersion, out->cmp_id = CmpId; gpc and
 *   interacted are -1 (a TC string says nothing about them).
 *
 * Memory: a spoor_tcf_t is about 12 KiB (sizeof it), all of it inside the
 * struct: the decoded bits of the string (bitfields are answered from
 * them) and every range entry (SPOOR_TCF_RANGES_MAX; a range entry takes
 * at least 17 bits of the string, so a string of SPOOR_TCF_MAX_LEN
 * characters cannot hold more).  Nothing is allocated and nothing global
 * is touched; parsing is linear in the length of the string, a vendor or
 * restriction query at most linear in the number of range entries.
 */
#ifndef SPOOR_CONSENT_TCF_H
#define SPOOR_CONSENT_TCF_H

#include <stddef.h>
#include <stdint.h>
#include "consent_signal.h"

/* The longest TC string accepted, in characters (segments, dots and '=').
 * Browsers keep cookies of up to 4096 bytes, name included; real strings
 * have 77 to about 600 characters.  A vendor bitfield for ids up to
 * 65535 would not fit (11,000 characters), but encoders switch to range
 * encoding long before: the largest bitfield that fits is about 24,000. */
#define SPOOR_TCF_MAX_LEN       4096

/* Range entries (vendor sections and publisher restrictions together) one
 * string can hold: each is at least 17 bits of at most 6 * MAX_LEN. */
#define SPOOR_TCF_RANGES_MAX    (SPOOR_TCF_MAX_LEN * 6 / 17)

#define SPOOR_TCF_PURPOSES          24      /* purpose ids 1..24 */
#define SPOOR_TCF_SPECIAL_FEATURES  12      /* special feature ids 1..12 */
#define SPOOR_TCF_VENDOR_MAX        65535   /* vendor ids 1..65535 */

/* Publisher restriction types; spoor_tcf_restriction() answers one. */
#define SPOOR_TCF_RESTRICT_NONE         (-1)
#define SPOOR_TCF_RESTRICT_NOT_ALLOWED  0
#define SPOOR_TCF_RESTRICT_CONSENT      1   /* require consent */
#define SPOOR_TCF_RESTRICT_LI           2   /* require legitimate interest */

/* One range entry, 1 <= start <= end.  Publisher restriction entries carry
 * their purpose (1..24) and type (0..2); vendor-set entries have 0, 0. */
typedef struct {
    uint16_t  start;
    uint16_t  end;
    uint8_t   purpose;
    uint8_t   type;
} spoor_tcf_range_t;

/* One vendor set (VendorConsents, VendorLI, DisclosedVendors,
 * AllowedVendors).  Query it with the functions below; the location
 * fields are for them. */
typedef struct {
    int       present;    /* the section was in the string */
    int       is_range;   /* range encoded; else a bitfield */
    uint16_t  max_id;     /* MaxVendorId: no id above it is in the set */
    uint16_t  first;      /* range: index of the first entry in ranges[] */
    uint16_t  count;      /* range: number of entries */
    uint32_t  bit_off;    /* bitfield: bit of vendor 1 in bits[] */
} spoor_tcf_vendors_t;

/*
 * A parsed TC string.  Purpose-like sets are bitmasks with bit (id - 1)
 * standing for id (so purpose 1 is bit 0, 0x1).  After a failed parse the
 * whole struct is zero: version is 0 and every query answers "no".
 */
typedef struct {
    /* core segment */
    unsigned    version;                /* 2 */
    uint64_t    created;                /* deciseconds since the epoch, UTC */
    uint64_t    last_updated;           /* same */
    unsigned    cmp_id;                 /* 0..4095 */
    unsigned    cmp_version;            /* 0..4095 */
    unsigned    consent_screen;         /* 0..63 */
    char        consent_language[3];    /* "EN": two letters A-Z, NUL */
    unsigned    vendor_list_version;    /* 0..4095 */
    unsigned    policy_version;         /* TcfPolicyVersion 0..63 */
    int         is_service_specific;    /* 0 or 1 */
    int         use_non_standard_texts; /* 0 or 1 */
    uint32_t    special_features;       /* SpecialFeatureOptIns, ids 1..12 */
    uint32_t    purposes_consent;       /* PurposesConsent, ids 1..24 */
    uint32_t    purposes_li;            /* PurposesLITransparency, 1..24 */
    int         purpose_one_treatment;  /* 0 or 1 */
    char        publisher_cc[3];        /* "DE": two letters A-Z, NUL */
    spoor_tcf_vendors_t  vendor_consents;
    spoor_tcf_vendors_t  vendor_li;
    unsigned    num_pub_restrictions;   /* as declared, empty ones counted */
    uint16_t    restr_first;            /* their entries in ranges[] */
    uint16_t    restr_count;

    /* DisclosedVendors and AllowedVendors segments (.present 0: absent) */
    spoor_tcf_vendors_t  disclosed;
    spoor_tcf_vendors_t  allowed;

    /* PublisherTC segment; all 0 when has_publisher_tc is 0 */
    int         has_publisher_tc;
    uint32_t    pub_purposes_consent;   /* PubPurposesConsent, ids 1..24 */
    uint32_t    pub_purposes_li;        /* PubPurposesLITransparency */
    unsigned    num_custom_purposes;    /* 0..63 */
    uint64_t    custom_purposes_consent;    /* custom purpose ids 1..63 */
    uint64_t    custom_purposes_li;

    /* storage the vendor sets refer to */
    uint16_t           nranges;
    spoor_tcf_range_t  ranges[SPOOR_TCF_RANGES_MAX];
    unsigned char      bits[SPOOR_TCF_MAX_LEN * 6 / 8];
} spoor_tcf_t;

/* What spoor_tcf_signal() weighs besides the string. */
typedef struct {
    unsigned  vendor_id;      /* 1..65535: a purpose also needs this
                                 vendor's signal; 0: no vendor */
    int       li_analytics;   /* legitimate interest counts for 8 and 9 */
} spoor_tcf_policy_t;

/*
 * Parses the TC string s[0 .. len) into *tc, checking all of it as
 * described above.  Returns SPOOR_OK, or SPOOR_E_FORMAT for anything
 * that is not a valid TCF v2 string (tc is then all zero).  Never reads
 * outside s[0 .. len); s may be NULL when len is 0.
 */
int spoor_tcf_parse(const char *s, size_t len, spoor_tcf_t *tc);

/* Purposes 1..24: consent / legitimate interest transparency in the core
 * segment.  1 or 0; 0 for an id out of range. */
int spoor_tcf_purpose_consent(const spoor_tcf_t *tc, unsigned purpose);
int spoor_tcf_purpose_li(const spoor_tcf_t *tc, unsigned purpose);

/* Special features 1..12: opted in.  1 or 0; 0 out of range. */
int spoor_tcf_special_feature(const spoor_tcf_t *tc, unsigned feature);

/* Vendors 1..65535: in VendorConsents / VendorLI / DisclosedVendors /
 * AllowedVendors.  1 or 0; 0 for id 0, an id above the set's MaxVendorId,
 * or a segment that was absent. */
int spoor_tcf_vendor_consent(const spoor_tcf_t *tc, unsigned vendor);
int spoor_tcf_vendor_li(const spoor_tcf_t *tc, unsigned vendor);
int spoor_tcf_disclosed_vendor(const spoor_tcf_t *tc, unsigned vendor);
int spoor_tcf_allowed_vendor(const spoor_tcf_t *tc, unsigned vendor);

/*
 * The publisher restriction for (purpose, vendor): SPOOR_TCF_RESTRICT_NONE
 * when no restriction entry covers it, else its type 0..2.  Entries may
 * overlap; the answer is then the strictest: 0 when any covering entry
 * has type 0 or when both 1 and 2 cover it (contradictory: treated as
 * not allowed), else the one type found.
 */
int spoor_tcf_restriction(const spoor_tcf_t *tc, unsigned purpose,
    unsigned vendor);

/* PublisherTC segment: publisher purposes 1..24 and custom purposes
 * 1..num_custom_purposes.  1 or 0; 0 when the segment is absent. */
int spoor_tcf_pub_purpose_consent(const spoor_tcf_t *tc, unsigned purpose);
int spoor_tcf_pub_purpose_li(const spoor_tcf_t *tc, unsigned purpose);
int spoor_tcf_custom_purpose_consent(const spoor_tcf_t *tc, unsigned id);
int spoor_tcf_custom_purpose_li(const spoor_tcf_t *tc, unsigned id);

/*
 * The categories *tc grants under *policy, by the table above, into
 * *out (which is initialized first; every category ends up in exactly one
 * of granted and denied).  Returns SPOOR_OK, or SPOOR_E_INVAL when *tc
 * is not a parsed string (version 0, e.g. after a failed parse): *out then
 * grants nothing and has tcf_policy and cmp_id 0.
 */
int spoor_tcf_signal(const spoor_tcf_t *tc, const spoor_tcf_policy_t *policy,
    spoor_consent_signal_t *out);

#endif /* SPOOR_CONSENT_TCF_H */
