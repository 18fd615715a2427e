/*
 * profile_lookup.h -- finding a visitor's profile in a mapped generation
 * by an id as a request carries it: the one lookup the NGINX module and
 * the lookup benchmark make.
 *
 * A generation is a chain of files (gen_chain.h, docs/FORMAT.md "Delta
 * generations"): its base, a full generation, and up to
 * SPOOR_CHAIN_DELTAS_MAX deltas, each holding only the profiles that
 * changed since the one before it and a "gone" entry for each id whose
 * profile no longer exists.  A lookup asks the files newest first; the
 * first that holds the id answers, with its profile or, for a gone
 * entry, with none, and no older file is asked.  A full generation is a
 * chain of one file.
 *
 * An id of kind 'v' (the visitor cookie), 'a' (an anonymous id) or 'u'
 * (a user id) is hashed once as the snapshot's index hashes ids
 * (spoor_id_hash()); a user id that the capture path pseudonymizes
 * (spoor_pseudonymize userId) is first replaced by its pseudonym, the
 * hex keyed hash the log holds, with a key prepared once
 * (spoor_keyed_new()).  In a fleet edge's copy of the serving views
 * (keyed files, serve_key.h) the hash is then keyed with the chain's
 * index_key: one HMAC more.  In a serving view (serving version 2) the id's
 * slot gives the served fields in one 64-byte line per file asked
 * (profile_view.h); in a full snapshot (a generation without a serving
 * view) the first profile the index names is fetched (its record
 * checksum checked) and its served fields read in place.  No allocation;
 * pointers in *v point into the mapping of the file that answered and
 * into *sv.
 */
#ifndef SPOOR_PROFILE_LOOKUP_H
#define SPOOR_PROFILE_LOOKUP_H

#include <stddef.h>
#include "gen_chain.h"
#include "keyed_hash.h"
#include "profile_view.h"
#include "snapshot.h"

/*
 * The files of one generation, newest first: file[0] is the generation
 * named by CURRENT, file[n - 1] its base.  Serving views of one chain
 * have the same summary size and the same segment and lifecycle names
 * (spoor_profile_serve_same()): the caller checks that when it builds
 * the chain, and gives the lookup the names of one of them.  A full
 * snapshot read without a serving view is only ever a chain of one.
 * The files are the caller's, open for as long as the chain is used.
 */
typedef struct {
    const spoor_snap_t  *file[SPOOR_CHAIN_DELTAS_MAX + 1];
    size_t               n;                  /* 1 .. DELTAS_MAX + 1 */
    spoor_keyed_t       *index_key;          /* the files are keyed
                                                (SPOOR_SNAP_KEYED, every
                                                one of them): their index
                                                hashes are
                                                spoor_serve_key_hash() of
                                                this key; NULL: plain */
} spoor_profile_chain_t;

/*
 * Looks id[0 .. len) of kind up in the chain c: serving views whose
 * names (the same in every file) were read into *sv
 * (spoor_profile_serve_meta()), or, with sv NULL, one full snapshot
 * (c->n must then be 1; another n finds nothing).  pseudo: the prepared
 * key when ids of this kind are pseudonymized at capture, else NULL.
 * Returns 1 with *v filled from the newest file that holds the id, when
 * that holds a profile that reads; 0 when none is found (no such id, a
 * gone entry in the newest file holding it, an empty id, a record that
 * fails its checksum or does not read, or a pseudonym that could not be
 * computed).  A trait of the view is read from the file that answered
 * (v->snap).
 */
int spoor_profile_lookup(const spoor_profile_chain_t *c,
    const spoor_profile_serve_t *sv, char kind, const char *id, size_t len,
    spoor_keyed_t *pseudo, spoor_profile_view_t *v);

#endif /* SPOOR_PROFILE_LOOKUP_H */
