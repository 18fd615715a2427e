/*
 * keyed_hash.c -- HMAC-SHA256 over length-prefixed parts (keyed_hash.h).
 */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "error.h"
#include "keyed_hash.h"

/* The HMAC implementation, fetched once per process and kept. */
static EVP_MAC  *spoor_hmac;


/* The HMAC-SHA256 context for key; NULL when OpenSSL fails. */
static EVP_MAC_CTX *
keyed_new(const unsigned char *key, size_t key_len)
{
    EVP_MAC_CTX  *h;
    OSSL_PARAM    params[2];

    if (spoor_hmac == NULL) {
        spoor_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (spoor_hmac == NULL) {
            return NULL;
        }
    }

    h = EVP_MAC_CTX_new(spoor_hmac);
    if (h == NULL) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(h, key, key_len, params) != 1) {
        EVP_MAC_CTX_free(h);
        return NULL;
    }
    return h;
}


/* Hashes the parts with h, initialised with its key (and nothing else
 * since); 1 on success. */
static int
keyed_parts(EVP_MAC_CTX *h, const spoor_str_t *parts, size_t n,
    unsigned char *out)
{
    size_t          i, k, olen = 0;
    unsigned char   len8[8];
    int             ok = 1;

    for (i = 0; ok && i < n; i++) {
        uint64_t  len = parts[i].data ? parts[i].len : 0;

        for (k = 0; k < 8; k++) {
            len8[k] = (unsigned char) (len >> (56 - 8 * k));
        }
        ok = EVP_MAC_update(h, len8, 8) == 1
             && (len == 0
                 || EVP_MAC_update(h, (const unsigned char *) parts[i].data,
                                   (size_t) len) == 1);
    }

    return ok && EVP_MAC_final(h, out, &olen, SPOOR_KEYED_HASH_LEN) == 1
           && olen == SPOOR_KEYED_HASH_LEN;
}


int
spoor_keyed_hash(const unsigned char *key, size_t key_len,
    const spoor_str_t *parts, size_t n, unsigned char *out)
{
    EVP_MAC_CTX  *h;
    int           ok;

    memset(out, 0, SPOOR_KEYED_HASH_LEN);

    if (key == NULL || key_len == 0) {
        return SPOOR_E_INVAL;
    }

    h = keyed_new(key, key_len);
    if (h == NULL) {
        return SPOOR_E_INVAL;
    }

    ok = keyed_parts(h, parts, n, out);

    EVP_MAC_CTX_free(h);

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
    EVP_MAC_CTX  *h = (EVP_MAC_CTX *) k;

    /* a NULL key starts again from the key the context was made with,
     * without hashing it again */
    if (h == NULL || EVP_MAC_init(h, NULL, 0, NULL) != 1
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
    EVP_MAC_CTX_free((EVP_MAC_CTX *) k);
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
