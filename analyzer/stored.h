/*
 * stored.h -- what a snapshot generation stores: the profile record (one
 * per profile) and the generation's metadata, each with one writer and
 * one reader.  docs/FORMAT.md ("Profile record", "Meta") gives every
 * field; this is the only code that knows their keys.
 *
 * Both are msgpack maps.  A reader decodes the bytes once into a view: a
 * struct of typed fields whose strings point into the bytes it was given
 * (they must outlive the view), and whose arrays live in the view's own
 * unpack zone (stored_*_free releases them).  A writer packs the same
 * struct, so what one writes the other reads back field for field.
 *
 * What a reader refuses (SPOOR_E_FORMAT, with the field named in err):
 * bytes that are no msgpack map (bounds-checked by spoor_mp_unpack before
 * msgpack-c allocates anything), and a field every reader depends on that
 * is missing or of the wrong type.  The fields inferred when the
 * generation was written (rfm, lifecycle, as_of, abandoned, decayed,
 * segments) are what a later writer computes, and an older or damaged
 * record may lack them: each has a has_* flag, 0 when it is absent or
 * not of its type, and is never an error.  Unknown keys are ignored.
 */
#ifndef SPOOR_STORED_H
#define SPOOR_STORED_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include "profile.h"
#include "profile_view.h"
#include "rules.h"
#include "settings.h"

/* Bytes of a string field, in the record (not NUL-terminated). */
typedef struct {
    const char  *ptr;
    size_t       len;
} stored_str_t;

/* One id of a profile: kind 'u', 'a' or 'v' (identity.h), and its text. */
typedef struct {
    char          kind;
    stored_str_t  text;
} stored_id_t;

/* A decayed weight as of the record's as_of: a product category, or
 * engagement (the empty name). */
typedef struct {
    stored_str_t  name;
    double        value;
} stored_decayed_t;


/* ---- the profile record ------------------------------------------------ */

typedef struct {
    /* required */
    stored_id_t             *ids;        /* sorted by (kind, text) */
    size_t                   nids;
    const msgpack_object    *state;      /* read: profile_unpack() it */
    const profile_t         *profile;    /* write: packed as "state" */
    const intern_t          *strings;    /* write: the profile's names */

    /* the profile id: 16 hex digits (identity.h) */
    stored_str_t             id;
    int                      has_id;

    /* inferred as of the generation (docs/profiles.md) */
    int64_t                  rfm[3];     /* 1 .. 5 each; 0 0 0: no order */
    int                      has_rfm;
    stored_str_t             life;       /* "new", "active", ... */
    int                      has_life;
    int64_t                  as_of;      /* ms since the epoch */
    int                      has_as_of;
    int64_t                  abandoned;  /* abandoned carts */
    int                      has_abandoned;
    stored_decayed_t        *decayed;    /* names sorted, distinct */
    size_t                   ndecayed;
    stored_str_t            *segs;       /* the segments it is in */
    size_t                   nsegs;
    int                      has_segs;
    int64_t                  next;       /* the earliest time after as_of
                                            when time alone may change
                                            these (inferred_next_change);
                                            INT64_MIN: unknown */
    int                      has_next;

    msgpack_unpacked         u;          /* read: what the view is in */
} stored_profile_t;

/*
 * Packs v (ids, profile, id, rfm, life, as_of, abandoned, decayed, segs,
 * next;
 * the has_* flags are not looked at: every field is written) as one
 * profile record into pk.  Returns SPOOR_OK, or SPOOR_E_NOMEM when the
 * packer's buffer could not grow.
 */
int stored_profile_pack(msgpack_packer *pk, const stored_profile_t *v);

/*
 * Decodes the record blob[0 .. len) into *v.  Returns SPOOR_OK; or
 * SPOOR_E_FORMAT with the reason in err (v then holds nothing): not a
 * map, "ids" missing or not an array of [kind, id] pairs (a one-byte str
 * kind, a str id), "state" missing.  "ids" may be empty here; the state
 * is not unpacked (profile_unpack(v->state) does that).  blob must stay
 * unchanged while v is used.  stored_profile_free(v) in every case.
 */
int stored_profile_read(stored_profile_t *v, const unsigned char *blob,
    size_t len, char *err, size_t errlen);

void stored_profile_free(stored_profile_t *v);


/* ---- the serving view -------------------------------------------------- */

/*
 * What NGINX serves from (docs/FORMAT.md, "Serving views"): the
 * generation's gen-N.serve file, next to its snapshot, a snapshot with a
 * slot table (snapshot.h) indexed by the same id hashes.  Each profile
 * has a summary in the slot of each of its ids (profile_view.h: RFM,
 * lifecycle code, a traits flag, the segment bits in the rules' order)
 * and a record: its set traits whose values are scalars (a str of at
 * most STORED_SERVE_TEXT_MAX bytes, an integer, a float, a boolean) as a
 * flat msgpack array name (str), value (bin: the msgpack value), sorted
 * by name.  The file's meta is a map {"serve": STORED_SERVE_VERSION,
 * "as_of": ms, "segs": [the rules' segment names], "life": [the stage
 * names]}; a reader refuses another version.  Its one reader is
 * shared/profile_view.c.
 */
#define STORED_SERVE_VERSION   SPOOR_SERVE_VERSION   /* profile_view.h */
#define STORED_SERVE_TEXT_MAX  1024

/* Packs v's serving record (v->profile's served traits).  SPOOR_OK or
 * SPOOR_E_NOMEM. */
int stored_serve_pack(msgpack_packer *pk, const stored_profile_t *v);

/* The summary size for these rules (NULL: none): SPOOR_SERVE_SUM_SMALL
 * for at most 64 segments, else SPOOR_SERVE_SUM_LARGE. */
size_t stored_serve_sum_size(const spoor_rules_t *rules);

/* Writes v's summary (v's rfm, life, segs, whether v->profile has served
 * traits) to sum[0 .. stored_serve_sum_size(rules)).  v->segs are names
 * of rules' segments in the rules' order, as inferred_record() gives
 * them; a name out of that order ends the segment bits. */
void stored_serve_summary(const stored_profile_t *v,
    const spoor_rules_t *rules, unsigned char *sum);

/* Packs the serving file's meta; a delta's (parent != 0) also names its
 * parent and base (gen_chain.h).  SPOOR_OK or SPOOR_E_NOMEM. */
int stored_serve_meta_pack(msgpack_packer *pk, int64_t as_of,
    const spoor_rules_t *rules, uint32_t parent, uint32_t base);

/*
 * A delta's gone entry (docs/FORMAT.md, "Delta generations"): indexed by
 * the hashes of ids that no longer have a profile, its snapshot blob is
 * STORED_GONE_BLOB (msgpack nil), its serving record
 * STORED_GONE_SERVE (an empty array) with a summary of zeros but
 * SPOOR_SERVE_GONE.  stored_gone() tells a snapshot blob that is one.
 */
#define STORED_GONE_BLOB   "\xc0"
#define STORED_GONE_SERVE  "\x90"
int stored_gone(const unsigned char *blob, size_t len);


/* ---- the metadata ------------------------------------------------------ */

typedef struct {
    uint64_t    hash;            /* spoor_id_hash of the erased id */
    int64_t     time;            /* events up to this time stay erased */
} stored_tomb_t;

typedef struct {
    stored_str_t  key;           /* "action:full", "country:DE", ... */
    uint64_t      n;
} stored_counter_t;

typedef struct {
    int64_t                  as_of;      /* latest receive time seen */
    uint64_t                *frames;     /* content keys, sorted */
    size_t                   nframes;
    stored_tomb_t           *tombs;      /* sorted by hash, one each */
    size_t                   ntombs;
    stored_counter_t        *counters;   /* sorted by key */
    size_t                   ncounters;
    double                   rfm_cuts[3][4];  /* r, f, m: 20 .. 80 % */
    int                      has_rfm_cuts;
    settings_t               settings;   /* write: packed, not owned;
                                            read: owned by the view */
    int                      has_settings;   /* read: 0 in a state
                                                written before they were
                                                kept */
    uint64_t                 profiles;   /* profiles of the whole chain */
    int                      has_profiles;
    uint32_t                 parent;     /* a delta's: N - 1; 0: a full
                                            generation (gen_chain.h) */
    uint32_t                 base;       /* a delta's base */

    msgpack_unpacked         u;          /* read: what the view is in */
} stored_meta_t;

/*
 * Packs v (as_of, frames, tombs, counters, rfm_cuts, settings, profiles,
 * and for a delta parent and base) as the metadata map into pk.  The arrays are written in the order given: the
 * caller sorts them.  SPOOR_OK or SPOOR_E_NOMEM.
 */
int stored_meta_pack(msgpack_packer *pk, const stored_meta_t *v);

/*
 * Decodes the metadata blob p[0 .. len) into *v.  Returns SPOOR_OK;
 * SPOOR_E_FORMAT with the reason in err when it is not a map, or
 * "as_of", "frames" (bin, a multiple of 8 bytes), "tombs" (hash, time
 * pairs), "counters" (str -> uint) or a present "settings" are missing
 * or malformed; SPOOR_E_NOMEM.  rfm_cuts is optional.  The settings are
 * the view's: a caller that keeps them takes the struct and
 * settings_init()s v->settings.  stored_meta_free(v) in every case.
 */
int stored_meta_read(stored_meta_t *v, const unsigned char *p, size_t len,
    char *err, size_t errlen);

void stored_meta_free(stored_meta_t *v);

#endif /* SPOOR_STORED_H */
