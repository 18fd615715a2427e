/*
 * serve_key.h -- the keyed index of a fleet's serving files.
 *
 * A serving view (profile_view.h) is indexed by spoor_id_hash() of each
 * id: a plain hash, which anyone holding the file can reverse for ids
 * taken from a dictionary (e-mail addresses, customer numbers).  The
 * copies of serving views that travel through Redis to the edges of a
 * fleet (analyzer/serve_fanout.h) are keyed instead: each index hash h
 * becomes
 *
 *     K(h) = the first 8 bytes, little-endian, of
 *            HMAC-SHA256(key, "spoor serve id", h as 8 bytes little-endian)
 *
 * (keyed_hash.h's length-prefixed parts), with the fleet's serving key,
 * a secret the follower and every edge's NGINX hold and Redis never
 * sees.  Such a file carries SPOOR_SNAP_KEYED in its header (a reader
 * that does not know the flag refuses it rather than find nothing in
 * it) and its key's id, K of a fixed message, in its meta map ("key",
 * 16 lowercase hex digits), so an edge whose key differs says so instead
 * of missing every visitor.  Everything else -- records, summaries, meta,
 * slot table shape -- is the serving view's, byte for byte.
 */
#ifndef SPOOR_SERVE_KEY_H
#define SPOOR_SERVE_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "keyed_hash.h"

#define SPOOR_SERVE_KEY_ID_LEN  16     /* hex digits of a key's id */

/*
 * K(h) with the prepared key k (spoor_keyed_new()).  Returns SPOOR_OK,
 * or SPOOR_E_INVAL when k is NULL (*out is then 0).
 */
int spoor_serve_key_hash(spoor_keyed_t *k, uint64_t h, uint64_t *out);

/* The key's id into out[SPOOR_SERVE_KEY_ID_LEN] (no NUL): SPOOR_OK or
 * SPOOR_E_INVAL. */
int spoor_serve_key_id(spoor_keyed_t *k, char *out);

/*
 * A key file's bytes as a key: buf[0 .. *len) without trailing white
 * space (spaces, tabs, CR, LF), which must leave at least SPOOR_KEY_MIN
 * bytes and at most SPOOR_KEY_FILE_MAX.  Sets *len; SPOOR_OK or
 * SPOOR_E_INVAL.  The one rule for spoor_secret_file, the key= of
 * spoor_profiles and the analyzer's --serve-key.
 */
#define SPOOR_KEY_FILE_MAX  4096

int spoor_key_trim(const unsigned char *buf, size_t *len);

#endif /* SPOOR_SERVE_KEY_H */
