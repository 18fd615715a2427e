/*
 * profile_view.h -- what NGINX serves from a profile, read in place: the
 * segments, the lifecycle stage, the RFM scores and the traits, with no
 * allocation and no copy.
 *
 * Two layouts are read (docs/FORMAT.md):
 *   - a generation's serving view gen-N.serve (serving version 2): a
 *     snapshot with a slot table whose summary holds, for each id, its
 *     profile's segment bits, lifecycle code and RFM scores, so that a
 *     lookup reads one 64-byte line; the names the bits and codes stand
 *     for are in the file's meta (spoor_profile_serve_t); the profile's
 *     record holds only its served traits and is read only when a trait
 *     is asked for;
 *   - for a generation without one (written by an older spoor), the full
 *     profile record of gen-N.snap (a map of ten keys; the served fields
 *     are read and everything else is stepped over).
 * The analyzer computes every served field when it writes the generation
 * (segments from the rules, lifecycle and RFM as of the generation's
 * time), so a lookup never evaluates rules.
 *
 * Every read is bounds-checked (mp_read.h, mp_check.h): a damaged record
 * gives SPOOR_E_FORMAT, never a read outside the blob.  The view's
 * pointers point into the snapshot's mapping and the serve names, and
 * live as long as they do.
 */
#ifndef SPOOR_PROFILE_VIEW_H
#define SPOOR_PROFILE_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "serve_key.h"
#include "snapshot.h"

/* The serving view's layout version this reader knows (its meta map's
 * "serve" key); the analyzer writes it (stored.h).  Version 1 (a record
 * per profile, no slot table) is no longer read: its generation is served
 * from its snapshot. */
#define SPOOR_SERVE_VERSION    2

#define SPOOR_SERVE_SEGS_MAX   256     /* segment names (rules.h's limit) */
#define SPOOR_SERVE_LIFE_MAX   8       /* lifecycle stage names */

/*
 * A serving summary, the slot table's per-profile bytes
 * (SPOOR_SERVE_SUM_SMALL when the rules name at most 64 segments, else
 * SPOOR_SERVE_SUM_LARGE), all integers little-endian:
 *   0  u16  RFM scores r*100 + f*10 + m (each 1 .. 5); 0: no orders
 *   2  u8   lifecycle stage: 0 none, k the meta's k-th "life" name
 *   3  u8   flags: SPOOR_SERVE_TRAITS, the record holds traits;
 *           SPOOR_SERVE_GONE, no profile (a delta's gone entry)
 *   4  4 B  zero
 *   8  the segment bits: bit i (byte 8 + i / 8, bit i % 8) is the meta's
 *      i-th "segs" name; 8 bytes (small) or 40 bytes (large)
 */
#define SPOOR_SERVE_SUM_SMALL  16
#define SPOOR_SERVE_SUM_LARGE  48
#define SPOOR_SERVE_TRAITS     0x01
#define SPOOR_SERVE_GONE       0x02    /* a delta's "gone" entry: the id
                                          has no profile (gen_chain.h) */

/* A serving view's names, read from its meta: what the bits and codes of
 * a summary stand for.  Pointers into the meta blob. */
typedef struct {
    const char  *seg[SPOOR_SERVE_SEGS_MAX];
    uint8_t      seg_len[SPOOR_SERVE_SEGS_MAX];
    uint32_t     nseg;
    const char  *life[SPOOR_SERVE_LIFE_MAX];
    uint8_t      life_len[SPOOR_SERVE_LIFE_MAX];
    uint32_t     nlife;
    size_t       sum;                /* summary bytes, 16 or 48 */
    const char  *key_id;             /* a keyed file's "key", the id of
                                        its key (SPOOR_SERVE_KEY_ID_LEN
                                        hex digits, serve_key.h); NULL:
                                        not keyed */
} spoor_profile_serve_t;

typedef struct {
    const unsigned char          *blob;    /* full record; NULL: summary */
    size_t                        len;

    /* a summary (serving view) */
    const spoor_profile_serve_t  *serve;
    const unsigned char          *bits;    /* its segment bits */
    const spoor_snap_t           *snap;    /* the record with the traits */
    size_t                        profile;

    size_t                        seg;     /* full record: offset of the
                                              first segment name */
    uint32_t                      nseg;    /* 0: none (or no "seg" field)
                                              in a full record; the serve's
                                              nseg for a summary */
    const char                   *life;    /* NULL: no stage */
    size_t                        life_len;
    int64_t                       rfm[3];  /* 0 0 0: no orders, or none */
    size_t                        tr;      /* offset of the first trait */
    uint32_t                      ntr;     /* traits; a summary: 1 when the
                                              record holds any, else 0 */
} spoor_profile_view_t;

/*
 * Reads blob[0 .. len), a full profile record (a generation without a
 * serving view), and fills *v.  Fields that are missing or of another
 * type read as empty.  Returns SPOOR_OK, or SPOOR_E_FORMAT when the bytes
 * are no well-formed record (v is then empty).
 */
int spoor_profile_view(const unsigned char *blob, size_t len,
    spoor_profile_view_t *v);

/*
 * Fills *v from a serving summary sum[0 .. sv->sum) of profile `profile`
 * of the serving view s, whose names are *sv.  A lifecycle code or RFM
 * number out of range reads as none.  Always succeeds.
 */
void spoor_profile_view_summary(const spoor_profile_serve_t *sv,
    const unsigned char *sum, const spoor_snap_t *s, size_t profile,
    spoor_profile_view_t *v);

/* Where a walk over the segment names is: both fields 0 to start. */
typedef struct {
    size_t    off;
    uint32_t  k;
} spoor_profile_iter_t;

/*
 * The next segment name, in the rules' order: returns 1 with the name in
 * *name, *nlen, 0 after the last (or at a damaged entry).
 */
int spoor_profile_view_segment(const spoor_profile_view_t *v,
    spoor_profile_iter_t *it, const char **name, size_t *nlen);

/*
 * The trait named name[0 .. nlen), ASCII letters compared without case
 * (NGINX lowercases variable names; the first of two names that differ
 * only in case wins): returns 1 with *value, *vlen the bytes
 * of its msgpack value (one complete value, checked) when the profile has
 * it set, 0 when it has not (unset, absent, damaged).  A view from a
 * summary fetches the profile's record here (its checksum checked), only
 * when the summary says it holds traits.
 */
int spoor_profile_view_trait(const spoor_profile_view_t *v, const char *name,
    size_t nlen, const unsigned char **value, size_t *vlen);

/*
 * Writes a trait's msgpack value as text for a header or a variable:
 * a string's bytes, an integer's decimal digits, a float's shortest
 * "%.17g" round trip, true/false; nothing for nil, a map, an array, a
 * binary or an extension.  Bytes below 0x20 and 0x7f become spaces, so a
 * value can never split a header line.  Writes at most cap bytes and
 * returns how many (a longer value is cut, at a UTF-8 boundary).
 */
size_t spoor_profile_view_text(const unsigned char *value, size_t vlen,
    char *out, size_t cap);

/*
 * Reads a serving view's meta blob, a msgpack map whose "serve" key is
 * SPOOR_SERVE_VERSION, into *sv: its "segs" names (at most
 * SPOOR_SERVE_SEGS_MAX, each 1 .. 255 bytes) and "life" names (at most
 * SPOOR_SERVE_LIFE_MAX); sum is the snapshot's summary size
 * (spoor_snap_summary_size()), which must be the one for that many
 * segment names.  Returns SPOOR_OK, or SPOOR_E_FORMAT with *version the
 * version found (0 when there is none or the meta does not read): another
 * version, or a meta or summary size that does not match it.
 */
int spoor_profile_serve_meta(const unsigned char *meta, size_t len,
    size_t sum, spoor_profile_serve_t *sv, uint64_t *version);

/*
 * 1 when a and b (read by spoor_profile_serve_meta()) name the same
 * segments and lifecycle stages, in the same order, with the same
 * summary size and the same key id (or none): summaries of one read like summaries of the other (the
 * files of one chain, gen_chain.h); else 0.
 */
int spoor_profile_serve_same(const spoor_profile_serve_t *a,
    const spoor_profile_serve_t *b);

#endif /* SPOOR_PROFILE_VIEW_H */
