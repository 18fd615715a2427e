/*
 * chain.h -- the snapshot files of one generation, read as one state: a
 * full generation alone, or a delta with every generation it follows down
 * to its base (gen_chain.h, docs/FORMAT.md "Delta generations").
 *
 * file[0] is the generation's own snapshot, file[n - 1] the base; each was
 * opened (and, when asked, verified whole) and linked to the next by
 * spoor_chain_check().  The answers follow the format's reading rules:
 *   - an id hash is answered by the newest file that holds it: its
 *     profiles, or none when that is a gone entry;
 *   - the chain's profiles are, file by file from the newest, each one
 *     not gone whose index hashes no newer file holds (chain_live()).
 * A profile record found in file f > 0 was written as of that file's time:
 * its inferred fields are not the chain's (state_view.h computes them
 * again).
 */
#ifndef SPOOR_CHAIN_H
#define SPOOR_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include "gen_chain.h"
#include "snapshot.h"

#define CHAIN_FILES_MAX  (SPOOR_CHAIN_DELTAS_MAX + 1)

typedef struct {
    spoor_snap_t  *file[CHAIN_FILES_MAX];     /* newest first */
    uint32_t       gen[CHAIN_FILES_MAX];
    size_t         n;
    uint8_t       *live[CHAIN_FILES_MAX];     /* chain_live(): a bit per
                                                 profile; NULL before */
    spoor_snap_cursor_t  *cur;  /* CHAIN_FILES_MAX, one per file: the
                                   record group chain_record() read last
                                   (a cache, so a const chain reads) */
} chain_t;

/* chain_open()'s verify: none, every byte (spoor_snap_verify), or every
 * byte but the record groups' contents, which the reader checks as it
 * reads them (spoor_snap_verify_stored: for a reader of every record). */
#define CHAIN_VERIFY_NONE    0
#define CHAIN_VERIFY_ALL     1
#define CHAIN_VERIFY_STORED  2

/*
 * Opens dir/gen-GEN.snap and the files of the generations it follows,
 * down to its base, each with spoor_snap_open() and verified as `verify`
 * says (CHAIN_VERIFY_*).  Returns SPOOR_OK; SPOOR_E_IO when
 * gen's own file does not exist (errno ENOENT); SPOOR_E_FORMAT when a file
 * is damaged, missing or does not link (the message in err names it);
 * SPOOR_E_NOMEM.  On error c holds nothing (no chain_close() needed, but
 * it is harmless).
 */
int chain_open(chain_t *c, const char *dir, uint32_t gen, int verify,
    char *err, size_t errlen);

/* The same for the files dir/gen-GEN.EXT, ext ".snap" (chain_open()) or
 * ".serve" (the serving views, of the state or a mirror's copies). */
int chain_open_files(chain_t *c, const char *dir, uint32_t gen,
    const char *ext, int verify, char *err, size_t errlen);

void chain_close(chain_t *c);

/*
 * Profile i of file f: spoor_snap_get() through file f's cursor, so the
 * bytes stay valid until the next chain_record() of file f (or close).
 * Reading a file's profiles in order decompresses each group once.  NULL
 * with *len 0 (errno set) as spoor_snap_get().  One thread at a time.
 */
const unsigned char *chain_record(const chain_t *c, size_t f, size_t i,
    size_t *len);

/*
 * Works out which profiles of each file are the chain's (the format's
 * rule), once: after it, chain_is_live() answers.  Costs a hash set of
 * every delta's index hashes and one pass over every file's index (none
 * for a full generation alone) and reads one record of each delta, its
 * last (where the writer puts the gone record).
 * SPOOR_OK or SPOOR_E_NOMEM.
 */
int chain_live(chain_t *c);

/* Whether profile i of file f is one of the chain's (after chain_live):
 * not gone, not shadowed by a newer file. */
int chain_is_live(const chain_t *c, size_t f, size_t i);

/*
 * The profiles of id hash h: calls fn(arg, f, i) for each profile i of
 * the newest file f that holds h, unless that is a gone entry or a
 * profile a newer file supersedes (its record's other ids are held by a
 * newer file: a stale profile id).  Returns how many calls were made.
 */
size_t chain_find(const chain_t *c, uint64_t h,
    void (*fn)(void *arg, size_t f, size_t i), void *arg);

/*
 * Calls fn(arg, f, i, b, len) for each of the chain's profiles
 * (chain_live() is called when it was not) in the order a full
 * generation holds them: by profile id, a newer file's profile first on a
 * tie, then by record (a single file: its own order, which is that one).
 * b is its record (chain_record()'s, valid during the call; NULL with len
 * 0 when it cannot be read).  Each record is read once: the base's in
 * file order, the deltas' (read first, for their profile ids: they are
 * small) merged in.  That is the profile id order because every
 * generation holds its profiles so (a commit sorts them); a base that did
 * not would give its profiles in its file order.  Stops at the first fn
 * that returns other than SPOOR_OK and returns it; SPOOR_OK;
 * SPOOR_E_NOMEM.
 */
int chain_each(chain_t *c,
    int (*fn)(void *arg, size_t f, size_t i, const unsigned char *b,
              size_t len),
    void *arg);

/*
 * The hashes of the gone entries of the chain's deltas (each delta's last
 * record, when it is one), into *out (malloc'ed, *n of them; NULL and 0
 * when none): what a delta that follows the base must say again.
 * SPOOR_OK or SPOOR_E_NOMEM.
 */
int chain_gone(const chain_t *c, uint64_t **out, size_t *n);

#endif /* SPOOR_CHAIN_H */
