/*
 * profile_view.h -- what NGINX serves from a profile record, read in
 * place: the segments, the lifecycle stage, the RFM scores and the traits
 * of one snapshot profile blob (docs/FORMAT.md, "Profile record"), with
 * no allocation and no copy.
 *
 * The analyzer's stored.c is the record's writer and full reader (it
 * unpacks every field); this view reads only the fields a request can
 * ask for, in the bytes of the mapping, for the module's variables.  The
 * analyzer computes all of them when it writes the generation (segments
 * from the rules, lifecycle and RFM as of the generation's time), so a
 * lookup never evaluates rules.
 *
 * Every read is bounds-checked (mp_read.h): a damaged record gives
 * SPOOR_E_FORMAT, never a read outside the blob.  The view's pointers
 * point into the blob and live as long as it does.
 */
#ifndef SPOOR_PROFILE_VIEW_H
#define SPOOR_PROFILE_VIEW_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const unsigned char  *blob;
    size_t                len;

    size_t                seg;       /* offset of the first segment name */
    uint32_t              nseg;      /* 0: none (or no "seg" field) */
    const char           *life;      /* NULL: no "life" field */
    size_t                life_len;
    int64_t               rfm[3];    /* 0 0 0: no orders, or no field */
    size_t                tr;        /* offset of state.tr's first trait */
    uint32_t              ntr;       /* traits (entries of 5 items) */
} spoor_profile_view_t;

/*
 * Reads the top-level map of blob[0 .. len) and fills *v.  Fields that
 * are missing or of another type read as empty.  Returns SPOOR_OK, or
 * SPOOR_E_FORMAT when the bytes are no well-formed record map (v is then
 * empty).
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

#endif /* SPOOR_PROFILE_VIEW_H */
