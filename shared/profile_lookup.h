/*
 * profile_lookup.h -- finding a visitor's profile in a mapped snapshot by
 * an id as a request carries it: the one lookup the NGINX module and the
 * lookup benchmark make.
 *
 * An id of kind 'v' (the visitor cookie), 'a' (an anonymous id) or 'u'
 * (a user id) is hashed as the snapshot's index hashes ids
 * (spoor_id_hash()); a user id that the capture path pseudonymizes
 * (spoor_pseudonymize userId) is first replaced by its pseudonym, the
 * hex keyed hash the log holds, with a key prepared once
 * (spoor_keyed_new()).  In a serving view (serving version 2) the id's
 * slot gives the served fields in one 64-byte line (profile_view.h); in a
 * full snapshot (a generation without a serving view) the first profile
 * the index names is fetched (its record checksum checked) and its served
 * fields read in place.  No allocation; pointers in *v point into the
 * snapshot's mapping and *sv.
 */
#ifndef SPOOR_PROFILE_LOOKUP_H
#define SPOOR_PROFILE_LOOKUP_H

#include <stddef.h>
#include "keyed_hash.h"
#include "profile_view.h"
#include "snapshot.h"

/*
 * Looks id[0 .. len) of kind up in s: a serving view whose meta was read
 * into *sv (spoor_profile_serve_meta()), or, with sv NULL, a full
 * snapshot.  pseudo: the prepared key when ids
 * of this kind are pseudonymized at capture, else NULL.  Returns 1 with
 * *v filled when a profile is found and readable; 0 when none is (no
 * such id, an empty id, a record that fails its checksum or does not
 * read, or a pseudonym that could not be computed).
 */
int spoor_profile_lookup(const spoor_snap_t *s,
    const spoor_profile_serve_t *sv, char kind, const char *id, size_t len,
    spoor_keyed_t *pseudo, spoor_profile_view_t *v);

#endif /* SPOOR_PROFILE_LOOKUP_H */
