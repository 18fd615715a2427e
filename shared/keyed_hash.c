/*
 * keyed_hash.c -- HMAC-SHA256 over length-prefixed parts (keyed_hash.h).
 *
 * OpenSSL's HMAC_CTX with a SHA-256 implementation fetched once per
 * process.  OpenSSL 3 marks HMAC_CTX deprecated in favour of EVP_MAC, but
 * keeps it, and it is the same HMAC: on the request path (a pseudonymized
 * id looked up for every request that carries one) EVP_MAC costs twice
 * as much per hash -- about 500 ns against 270 ns on the benchmark
 * machine -- in parameter and name lookups under locks and an allocation
 * per reset, for the same two SHA-256 blocks.
 */
#define OPENSSL_SUPPRESS_DEPRECATED      /* HMAC_CTX: see above */

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "error.h"
#include "keyed_hash.h"

/* SHA-256, fetched once per process and kept (an explicit fetch: no
 * name lookup per hash). */
static EVP_MD  *spoor_sha256;


/* The HMAC-SHA256 context for key; NULL when OpenSSL fails. */
static HMAC_CTX *
keyed_new(const unsigned char *key, size_t key_len)
{
    HMAC_CTX  *h;

    if (spoor_sha256 == NULL) {
        spoor_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (spoor_sha256 == NULL) {
            return NULL;
        }
    }

    h = HMAC_CTX_new();
    if (h == NULL) {
        return NULL;
    }

    if (key_len > (size_t) INT_MAX
        || HMAC_Init_ex(h, key, (int) key_len, spoor_sha256, NULL) != 1)
    {
        HMAC_CTX_free(h);
        return NULL;
    }
    return h;
}


/* Hashes the parts with h, initialised with its key (and nothing else
 * since); 1 on success.  The length prefixes and parts are gathered into
 * a buffer of KEYED_GATHER bytes and given to HMAC_Update as they fill
 * it: one update for the usual short message instead of two per part. */
#define KEYED_GATHER  256

static int
keyed_parts(HMAC_CTX *h, const spoor_str_t *parts, size_t n,
    unsigned char *out)
{
    size_t          i, k, used = 0, take;
    unsigned int    olen = 0;
    unsigned char   buf[KEYED_GATHER];
    const char     *p;
    uint64_t        len;

    for (i = 0; i < n; i++) {
        len = parts[i].data ? parts[i].len : 0;

        if (used + 8 > sizeof(buf)) {
            if (HMAC_Update(h, buf, used) != 1) {
                return 0;
            }
            used = 0;
        }
        for (k = 0; k < 8; k++) {
            buf[used++] = (unsigned char) (len >> (56 - 8 * k));
        }

        p = parts[i].data;
        while (len > 0) {
            if (used == sizeof(buf)) {
                if (HMAC_Update(h, buf, used) != 1) {
                    return 0;
                }
                used = 0;
            }
            take = sizeof(buf) - used;
            if (take > len) {
                take = (size_t) len;
            }
            memcpy(buf + used, p, take);
            used += take;
            p += take;
            len -= take;
        }
    }

    return (used == 0 || HMAC_Update(h, buf, used) == 1)
           && HMAC_Final(h, out, &olen) == 1
           && olen == SPOOR_KEYED_HASH_LEN;
}


int
spoor_keyed_hash(const unsigned char *key, size_t key_len,
    const spoor_str_t *parts, size_t n, unsigned char *out)
{
    HMAC_CTX  *h;
    int        ok;

    memset(out, 0, SPOOR_KEYED_HASH_LEN);

    if (key == NULL || key_len == 0) {
        return SPOOR_E_INVAL;
    }

    h = keyed_new(key, key_len);
    if (h == NULL) {
        return SPOOR_E_INVAL;
    }

    ok = keyed_parts(h, parts, n, out);

    HMAC_CTX_free(h);

    if (!ok) {
        memset(out, 0, SPOOR_KEYED_HASH_LEN);
        return SPOOR_E_INVAL;
    }
    return SPOOR_OK;
}


spoor_keyed_t *
spoor_keyed_new(const unsigned char *key, size_t key_len)
{
    if (key == NULL || key_len == 0) {
        return NULL;
    }
    return (spoor_keyed_t *) keyed_new(key, key_len);
}


int
spoor_keyed_hash_with(spoor_keyed_t *k, const spoor_str_t *parts, size_t n,
    unsigned char *out)
{
    HMAC_CTX  *h = (HMAC_CTX *) k;

    /* no key and no digest: starts again from the pads the context was
     * made with, without hashing the key again */
    if (h == NULL || HMAC_Init_ex(h, NULL, 0, NULL, NULL) != 1
        || !keyed_parts(h, parts, n, out))
    {
        memset(out, 0, SPOOR_KEYED_HASH_LEN);
        return SPOOR_E_INVAL;
    }
    return SPOOR_OK;
}


void
spoor_keyed_free(spoor_keyed_t *k)
{
    HMAC_CTX_free((HMAC_CTX *) k);
}


void
spoor_hex(const unsigned char *digest, size_t bytes, char *out)
{
    static const char  hex[] = "0123456789abcdef";
    size_t             i;

    for (i = 0; i < bytes && i < SPOOR_KEYED_HASH_LEN; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
}
