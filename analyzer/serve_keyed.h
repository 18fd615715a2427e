/*
 * serve_keyed.h -- the keyed copy of a serving view: what a fleet's edges
 * serve (shared/serve_key.h).
 *
 * The copy holds the serving view's profiles, records and summaries in
 * the same order, every index hash h replaced by K(h), the serving
 * view's header flags plus SPOOR_SNAP_KEYED, and its meta map with one
 * more key, "key", the key's id.  It is written through the snapshot
 * writer (snapshot.h), so its slot table and checksums are built exactly
 * as for any serving view, and it is read by the same reader.
 */
#ifndef SPOOR_SERVE_KEYED_H
#define SPOOR_SERVE_KEYED_H

#include <stddef.h>
#include <stdint.h>

#include "keyed_hash.h"

/*
 * Writes dir/name, the keyed copy of the serving view at src (a serving
 * view with a slot table, delta or full, not keyed itself), with the
 * prepared key k.  Atomic as any snapshot write: dir/name is the whole
 * copy or untouched.  Sets *bytes (may be NULL) to the copy's size.
 * Returns SPOOR_OK; SPOOR_E_FORMAT (src is no serving view this code
 * copies), SPOOR_E_IO, SPOOR_E_NOMEM, SPOOR_E_INVAL (OpenSSL failed),
 * with the reason in err.
 */
int serve_keyed_copy(const char *src, const char *dir, const char *name,
    spoor_keyed_t *k, uint64_t *bytes, char *err, size_t errlen);

#endif /* SPOOR_SERVE_KEYED_H */
