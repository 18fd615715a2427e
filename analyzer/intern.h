/*
 * intern.h -- one copy of each string that repeats across profiles.
 *
 * Event and trait names, product categories and context values (country,
 * browser, referrer, ...) repeat across profiles; a profile points at one
 * NUL-terminated copy of each, held by an intern_t.  The table is an
 * open-addressing set of (XXH64, length, pointer), doubled when half
 * full.
 *
 * Ownership: a state (state.h) owns the table its profiles point into and
 * frees it when it closes, after its profiles; a command that unpacks
 * profiles only to print them owns its own.  Not thread-safe: one thread
 * folds.  Reads (intern_str, intern_tuple, intern_find) from other
 * threads are safe only while nothing is interned: a commit's threads
 * read the names and contexts of the profiles while the fold waits for
 * it (intern_str and intern_tuple read arrays that interning
 * reallocates).
 *
 * Each string copy also has an id, 1 + the number of strings interned
 * before it (intern_id), which a profile stores in 4 bytes where a
 * pointer takes 8 (the names of its counts and weights), and which
 * intern_str turns back into the copy.
 *
 * It also holds one copy of each tuple of bytes a caller interns whole
 * (intern_tuple_id): a profile's place, device and campaign, ten
 * interned string pointers that many profiles share, is held once
 * instead of in each profile, which keeps its 4-byte id.  Tuples are a
 * second set of the same kind, hashed with XXH3, with ids of their own
 * (intern_tuple turns one back into the copy).
 */
#ifndef SPOOR_INTERN_H
#define SPOOR_INTERN_H

#include <stddef.h>
#include <stdint.h>

/* Longest string kept: longer ones are cut to this many bytes. */
#define INTERN_STR_MAX  512

/* One set: copies (NULL: an empty slot), their hashes, lengths and ids;
 * and the copies in the order they were made (byid[id - 1]). */
typedef struct {
    const void  **slot;
    uint64_t     *hash;
    size_t       *len;
    uint32_t     *id;
    size_t        cap, n;        /* cap: a power of two, or 0 */
    const void  **byid;          /* n of them */
    size_t        byid_cap;
} intern_set_t;

typedef struct {
    intern_set_t  str;           /* strings, NUL-terminated copies */
    intern_set_t  tup;           /* tuples of bytes */
} intern_t;

/* An empty table (also what zeroed memory is). */
void intern_init(intern_t *t);

/*
 * The one copy of s[0 .. min(len, INTERN_STR_MAX)) in t, made when it is
 * not there yet; NULL when s is NULL or out of memory.  Valid until
 * intern_free(t).
 */
const char *intern_get(intern_t *t, const char *s, size_t len);

/*
 * The id of the one copy of s[0 .. min(len, INTERN_STR_MAX)) in t, made
 * when it is not there yet: 1 or more; 0 when s is NULL or out of
 * memory (or after UINT32_MAX - 1 strings).  The same string always has
 * the same id in t.
 */
uint32_t intern_id(intern_t *t, const char *s, size_t len);

/* The id of s[0 .. min(len, INTERN_STR_MAX)) when t holds a copy of it,
 * else 0; t is not changed. */
uint32_t intern_find(const intern_t *t, const char *s, size_t len);

/* The copy whose id is `id`, an id intern_id gave for t (never 0). */
static inline const char *
intern_str(const intern_t *t, uint32_t id)
{
    return (const char *) t->str.byid[id - 1];
}

/*
 * The id of the one copy of the n bytes at p (n > 0) in t, made when it
 * is not there yet (aligned for any type, valid until intern_free(t)):
 * 1 or more; 0 when out of memory (or after UINT32_MAX - 1 tuples).  The
 * same bytes always have the same id in t.  Bytes are compared as bytes:
 * a struct with padding must be zeroed first.
 */
uint32_t intern_tuple_id(intern_t *t, const void *p, size_t n);

/* The copy whose id is `id`, an id intern_tuple_id gave for t (never 0). */
static inline const void *
intern_tuple(const intern_t *t, uint32_t id)
{
    return t->tup.byid[id - 1];
}

/* Frees every copy and the table; t is empty again. */
void intern_free(intern_t *t);

#endif /* SPOOR_INTERN_H */
