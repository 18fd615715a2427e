/*
 * serve_keyed.h -- the keyed copy of a serving view: what a fleet's edges
 * serve (shared/serve_key.h).
 *
 * The copy holds the serving view's profiles and summaries in the same
 * order, every index hash h replaced by K(h), the serving view's header
 * flags plus SPOOR_SNAP_KEYED, and its meta map with one more key,
 * "key", the key's id.  Each record keeps only the traits named as
 * exposable (none unless named: a trait may hold an e-mail address or a
 * phone number, which must not travel to the edges unasked); a profile
 * left with none has the empty record and its summary's traits flag
 * cleared.  It is written through the snapshot
 * writer (snapshot.h), so its slot table and checksums are built exactly
 * as for any serving view, and it is read by the same reader.
 */
#ifndef SPOOR_SERVE_KEYED_H
#define SPOOR_SERVE_KEYED_H

#include <stddef.h>
#include <stdint.h>

#include "keyed_hash.h"

/* What a copy is made with: the prepared key (spoor_keyed_new()) and
 * the names of the exposable traits (exact, case-sensitive). */
typedef struct {
    spoor_keyed_t       *key;
    const char *const   *traits;
    size_t               ntraits;
} serve_keyed_opts_t;

/*
 * Writes dir/name, the keyed copy of the serving view at src (a serving
 * view with a slot table, delta or full, not keyed itself), made with
 * *o.  Atomic as any snapshot write: dir/name is the whole
 * copy or untouched.  Sets *bytes (may be NULL) to the copy's size.
 * Returns SPOOR_OK; SPOOR_E_FORMAT (src is no serving view this code
 * copies), SPOOR_E_IO, SPOOR_E_NOMEM, SPOOR_E_INVAL (the key
 * cannot be used),
 * with the reason in err.
 */
int serve_keyed_copy(const char *src, const char *dir, const char *name,
    const serve_keyed_opts_t *o, uint64_t *bytes, char *err,
    size_t errlen);

#endif /* SPOOR_SERVE_KEYED_H */
