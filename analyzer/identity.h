/*
 * identity.h -- ids, and the graph that ties them into profiles.
 *
 * Every id a record carries is a (kind, text) pair: 'v' the visitor
 * cookie's id, 'a' the SDK's anonymous id, 'u' the site's user id.
 * Cookieless ids ('c') exist to count, not to profile: they are never
 * entered here.  An id is keyed by spoor_id_hash(kind, text) (snapshot.h);
 * two different ids with the same 64-bit hash are told apart by their
 * text.
 *
 * The graph is a union-find forest over the ids: ids seen together on
 * one admitted event (an identify, an alias, any event carrying an
 * anonymous and a user id) are one person.  Each root owns the profile_t
 * of its set.  Junk ids (empty, "null", "undefined", "anonymous", "0",
 * all zeros, and a configured list) are never entered, so they merge
 * nothing.  A union that would give a set more than ids_max ids, or a
 * profile more than merges_max merges, is refused and counted: runaway
 * graphs (a shared device, a bad integration sending one id for everyone)
 * stop growing instead of swallowing every profile.
 *
 * The profile id of a set is deterministic: the hex of the smallest id
 * hash among its user ids, or among all its ids when it has none.
 *
 * Id texts live in blocks of IDENTITY_BLOCK bytes owned by the graph
 * (texts are never freed one by one: ids are only added), so an id costs
 * its bytes and a NUL, not a malloc chunk; identity_free() frees them.
 * At most IDENTITY_BLOCKS blocks (4 GiB of texts): an id that would need
 * more is refused as out of memory.
 * A lowercase UUID or 16 bytes of base64url, the shapes trackers give
 * most ids, is kept as its 16 bytes (id_text.h): identity_text() reads
 * an id's text back either way.
 */
#ifndef SPOOR_IDENTITY_H
#define SPOOR_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include "id_text.h"
#include "profile.h"

/*
 * 24 bytes: one per id, so a state of 10M profiles holds some 20M.  A
 * root holds its set's profile and a child its parent, never both, so
 * the two share a field (`root` says which: a profile is read with
 * identity_held(), a parent only by identity.c's union-find); the text
 * is where its bytes are in the graph's blocks, a 32-bit reference, not
 * a pointer.
 */
typedef struct {
    uint64_t    hash;
    union {
        profile_t  *profile; /* root: its set's; NULL: erased or none */
        uint32_t    parent;  /* child: union-find */
    } up;
    /* the text, NUL-terminated (form ID_TEXT_RAW), or its 16 packed
     * bytes (another form): block << 16 | offset in the graph's blocks;
     * read it with identity_text() */
    uint32_t    text;
    uint16_t    len : 13;    /* of the text: at most IDENTITY_ID_MAX */
    uint16_t    form : 2;    /* ID_TEXT_* */
    uint16_t    root : 1;    /* a root (up.profile), else a child */
    char        kind;        /* 'v', 'a', 'u' */
    uint8_t     stored : 1;  /* the state's current generation chain
                                holds this id with a profile (state.c:
                                when its profile is gone, the next delta
                                says so) */
    uint8_t     erased : 1;  /* has an entry in the erasures (roots) */
    uint8_t     rank : 6;    /* union by rank: at most log2(ids) */
} ident_t;

/* One erased set: events of the set whose root is `root` up to `at` are
 * erased.  Few sets are: kept beside the ids, not in each.  The entry of
 * a root that a union makes a child stays (it is never read again). */
typedef struct {
    uint32_t    root;        /* + 1: 0 is an empty slot */
    int64_t     at;
} ident_erased_t;

typedef struct {
    ident_t    *ids;
    uint32_t    n, cap;
    uint32_t   *table;       /* open addressing by hash: id index + 1 */
    size_t      table_cap;   /* power of two */

    uint32_t    ids_max;     /* per set */
    uint32_t    merges_max;  /* per profile */
    char      **junk;        /* extra junk ids, NULL-terminated; may be NULL */

    uint64_t    merges, merges_refused, junk_seen;

    ident_erased_t *erased;  /* open addressing by root; NULL: none */
    size_t      erased_cap, nerased;     /* power of two; used */

    unsigned char **blocks;  /* the text blocks, IDENTITY_BLOCK bytes each */
    uint32_t    nblocks, blocks_cap;
    uint32_t    room;        /* the next free byte of the newest block */
} identity_t;

#define IDENTITY_BLOCK  65536    /* an offset in a block is 16 bits */
#define IDENTITY_BLOCKS 65535    /* a block's number is 16 bits (and a
                                    reference is never UINT32_MAX) */
#define IDENTITY_ID_MAX 1024     /* a longer id text is junk */

int identity_init(identity_t *g, uint32_t ids_max, uint32_t merges_max);
void identity_free(identity_t *g);

/* Whether text[0 .. len) is a junk id that must never link anything. */
int identity_junk(const identity_t *g, const char *text, size_t len);

/* The index of id (kind, text), adding it (as a set of its own) when
 * new.  Returns UINT32_MAX for a junk id or when out of memory (*nomem
 * then set).  A junk id is never added, so only new ids are checked. */
uint32_t identity_get(identity_t *g, char kind, const char *text,
    size_t len, int *nomem);

/* Whether id i is the root of its set. */
static inline int
identity_is_root(const identity_t *g, uint32_t i)
{
    return g->ids[i].root;
}

/* The profile id i holds: its set's when i is the root (NULL when it has
 * none), NULL for any other id. */
static inline profile_t *
identity_held(const identity_t *g, uint32_t i)
{
    return g->ids[i].root ? g->ids[i].up.profile : NULL;
}

/* Gives root r (identity_is_root) the profile p (NULL: none); what it
 * held is the caller's. */
static inline void
identity_hold(identity_t *g, uint32_t r, profile_t *p)
{
    g->ids[r].up.profile = p;
}

/* The text of id i and its length (*len): NUL-terminated, in the
 * graph's blocks, or, for an id kept packed, written into buf (at least
 * IDENTITY_TEXT_BUF bytes), which it then stays in until buf is reused. */
#define IDENTITY_TEXT_BUF  (ID_TEXT_MAX + 1)
const char *identity_text(const identity_t *g, uint32_t i, char *buf,
    size_t *len);

/* An id to look up or enter with its hash and stored form worked out
 * once (identity_key): the fold looks an event's ids up for erasures,
 * then enters them, and each costs a hash and a pack.  text is not
 * copied: it must outlive the key. */
typedef struct {
    const char     *text;
    size_t          len;
    uint64_t        hash;        /* spoor_id_hash(kind, text) */
    unsigned        form;        /* ID_TEXT_*: packed[] holds the bytes */
    char            kind;
    unsigned char   packed[ID_TEXT_PACKED];
} identity_key_t;

/* The key of id (kind, text[0 .. len)). */
void identity_key(identity_key_t *key, char kind, const char *text,
    size_t len);

/*
 * Frees the table that finds an id by its text (4 bytes a slot, about 10
 * an id), for a graph that is read by index only from then on: a commit
 * after which the process ends (state_t.last_commit), whose memory peaks
 * while it writes.  identity_find* and identity_get* must not be called
 * on g afterwards (they abort the process).
 */
void identity_drop_lookups(identity_t *g);

/* identity_find and identity_get of a key. */
uint32_t identity_find_key(const identity_t *g, const identity_key_t *key);
uint32_t identity_get_key(identity_t *g, const identity_key_t *key,
    int *nomem);

/* The index of id (kind, text) when known, else UINT32_MAX. */
uint32_t identity_find(const identity_t *g, char kind, const char *text,
    size_t len);

/* The root of i's set. */
uint32_t identity_root(identity_t *g, uint32_t i);

/*
 * Joins the sets of a and b (merging their profiles into the surviving
 * root's).  Returns SPOOR_OK (also when already one set), SPOOR_E_FULL
 * when a cap refused it (counted), SPOOR_E_NOMEM.
 */
int identity_union(identity_t *g, uint32_t a, uint32_t b,
    const profile_conf_t *conf);

/*
 * Enters a stored set, as a snapshot holds it: ids[0 .. n) (n >= 1,
 * indices from identity_get) become one set without a merge (nothing is
 * counted, no profile is merged), and its root takes p (ownership passes;
 * a profile the root held is freed).  Every set loads into the same shape
 * (each other id's set under ids[0], the root of rank 1), so the unions
 * that follow are decided as they always were.
 */
void identity_enter_set(identity_t *g, const uint32_t *ids, size_t n,
    profile_t *p);

/* The time up to which the events of root r's set are erased; INT64_MIN
 * when they are not.  r must be a root (identity_root). */
int64_t identity_erased_at(const identity_t *g, uint32_t r);

/* Erases the events of root r's set up to t (keeping a later time it
 * had).  SPOOR_OK or SPOOR_E_NOMEM (nothing changed). */
int identity_erase_until(identity_t *g, uint32_t r, int64_t t);

/* The profile of i's set, created when it has none. */
profile_t *identity_profile(identity_t *g, uint32_t i);

#endif /* SPOOR_IDENTITY_H */
