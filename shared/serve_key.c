/*
 * serve_key.c -- the keyed index of a fleet's serving files
 * (serve_key.h).
 */

#include <string.h>

#include "error.h"
#include "serve_key.h"

#define SERVE_KEY_DOMAIN  "spoor serve id"
#define SERVE_KEY_ID_MSG  "spoor serve key id"


int
spoor_serve_key_hash(spoor_keyed_t *k, uint64_t h, uint64_t *out)
{
    unsigned char  le[8], d[SPOOR_KEYED_HASH_LEN];
    spoor_str_t    parts[2];
    uint64_t       v;
    int            i;

    for (i = 0; i < 8; i++) {
        le[i] = (unsigned char) (h >> (8 * i));
    }
    parts[0].data = SERVE_KEY_DOMAIN;
    parts[0].len = sizeof(SERVE_KEY_DOMAIN) - 1;
    parts[1].data = (const char *) le;
    parts[1].len = 8;

    *out = 0;
    if (spoor_keyed_hash_with(k, parts, 2, d) != SPOOR_OK) {
        return SPOOR_E_INVAL;
    }
    v = 0;
    for (i = 7; i >= 0; i--) {
        v = (v << 8) | d[i];
    }
    *out = v;
    return SPOOR_OK;
}


int
spoor_serve_key_id(spoor_keyed_t *k, char *out)
{
    unsigned char  d[SPOOR_KEYED_HASH_LEN];
    spoor_str_t    part;

    part.data = SERVE_KEY_ID_MSG;
    part.len = sizeof(SERVE_KEY_ID_MSG) - 1;
    if (spoor_keyed_hash_with(k, &part, 1, d) != SPOOR_OK) {
        return SPOOR_E_INVAL;
    }
    spoor_hex(d, SPOOR_SERVE_KEY_ID_LEN / 2, out);
    return SPOOR_OK;
}


int
spoor_key_trim(const unsigned char *buf, size_t *len)
{
    size_t  n = *len;

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                     || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    {
        n--;
    }
    *len = n;
    return n >= SPOOR_KEY_MIN && n <= SPOOR_KEY_FILE_MAX ? SPOOR_OK
                                                        : SPOOR_E_INVAL;
}
