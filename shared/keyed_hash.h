/*
 * keyed_hash.h -- the one keyed hash: HMAC-SHA256 (Nettle) over a list of
 * byte strings.
 *
 * Used for pseudonymized fields (spoor_pseudonymize: the key comes from
 * spoor_secret_file) and for the cookieless id (the key is the day's
 * salt).  The parts are hashed unambiguously: each is preceded by its
 * length as 8 bytes, big-endian, so ("ab", "c") and ("a", "bc") differ.
 * Pure apart from Nettle; no allocation but spoor_keyed_new's.
 */
#ifndef SPOOR_KEYED_HASH_H
#define SPOOR_KEYED_HASH_H

#include <stddef.h>
#include "event.h"

#define SPOOR_KEYED_HASH_LEN  32      /* bytes of a digest */
#define SPOOR_KEY_MIN         32      /* shortest key spoor accepts */

/*
 * out[0 .. 32) = HMAC-SHA256(key[0 .. key_len), len(p0) p0 len(p1) p1 ...)
 * over parts[0 .. n) (a part with data NULL counts as empty).  Returns
 * SPOOR_OK, or SPOOR_E_INVAL when key is NULL or key_len 0 (out is then
 * zero).  The HMAC context made from the key is wiped before it returns
 * (what Nettle leaves on its own stack while setting the key is not: the
 * padded key, and for a key over 64 bytes its SHA-256, which stands for
 * it; Nettle does not wipe them).
 */
int spoor_keyed_hash(const unsigned char *key, size_t key_len,
    const spoor_str_t *parts, size_t n, unsigned char *out);

/*
 * A key prepared once for many hashes (the key's HMAC pads are computed
 * when it is made, not per hash): new returns NULL when key is NULL,
 * key_len 0 or memory is short; hash_with gives exactly what
 * spoor_keyed_hash() gives with the same key, SPOOR_OK, or SPOOR_E_INVAL
 * when k is NULL (out then zero); it allocates nothing.  free wipes the
 * context (k may be NULL).  One context is used by one thread at a
 * time.
 */
typedef struct spoor_keyed_s  spoor_keyed_t;

spoor_keyed_t *spoor_keyed_new(const unsigned char *key, size_t key_len);
int spoor_keyed_hash_with(spoor_keyed_t *k, const spoor_str_t *parts,
    size_t n, unsigned char *out);
void spoor_keyed_free(spoor_keyed_t *k);

/* Writes the first `bytes` bytes of a digest as lowercase hex to out
 * (2 * bytes characters, no NUL); bytes <= SPOOR_KEYED_HASH_LEN. */
void spoor_hex(const unsigned char *restrict digest, size_t bytes,
    char *restrict out);

#endif /* SPOOR_KEYED_HASH_H */
