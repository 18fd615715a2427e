/*
 * profile_view.h -- what NGINX serves from a profile, read in place: the
 * segments, the lifecycle stage, the RFM scores and the traits, with no
 * allocation and no copy.
 *
 * Two layouts are read (docs/FORMAT.md): the serving record of a
 * generation's gen-N.serve file (a msgpack array of 4, written by the
 * analyzer's stored_serve_pack(): made for this, about 50 bytes), and,
 * for a generation written before serving files existed, the full
 * profile record of gen-N.snap (a map of nine keys; the served fields
 * are read and everything else is stepped over).  The analyzer computes
 * every served field when it writes the generation (segments from the
 * rules, lifecycle and RFM as of the generation's time), so a lookup never
 * evaluates rules.
 *
 * Every read is bounds-checked (mp_read.h, mp_check.h): a damaged record
 * gives SPOOR_E_FORMAT, never a read outside the blob.  The view's
 * pointers point into the blob and live as long as it does.
 */
#ifndef SPOOR_PROFILE_VIEW_H
#define SPOOR_PROFILE_VIEW_H

#include <stddef.h>
#include <stdint.h>

/* The serving file's layout version this reader knows (its meta map's
 * "serve" key); the analyzer writes it (stored.h). */
#define SPOOR_SERVE_VERSION  1

typedef struct {
    const unsigned char  *blob;
    size_t                len;

    size_t                seg;       /* full record: offset of the first
                                        segment name */
    uint32_t              nseg;      /* 0: none (or no "seg" field) */
    const char           *segs;      /* serving record: the names joined
                                        by ',' (NULL: full record) */
    size_t                segs_len;
    const char           *life;      /* NULL: no "life" field */
    size_t                life_len;
    int64_t               rfm[3];    /* 0 0 0: no orders, or no field */
    size_t                tr;        /* offset of the first trait */
    uint32_t              ntr;       /* traits */
    uint32_t              tr_items;  /* msgpack items per trait: 2 in a
                                        serving record (name, value), 5
                                        in state.tr (name, value, time,
                                        source, once) */
} spoor_profile_view_t;

/*
 * Reads blob[0 .. len), a serving record or a full profile record, and
 * fills *v.  Fields that are missing or of another type read as empty.  Returns SPOOR_OK, or
 * SPOOR_E_FORMAT when the bytes are no well-formed record of either
 * layout (v is then empty).
 */
int spoor_profile_view(const unsigned char *blob, size_t len,
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
 * it set, 0 when it has not (unset, absent, damaged).
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
 * Checks a serving file's meta blob: a msgpack map whose "serve" key is
 * SPOOR_SERVE_VERSION.  Returns SPOOR_OK, or SPOOR_E_FORMAT with
 * *version the version found (0 when there is none or the meta does not
 * read).
 */
int spoor_profile_serve_meta(const unsigned char *meta, size_t len,
    uint64_t *version);

#endif /* SPOOR_PROFILE_VIEW_H */
