/*
 * inflate.c -- gzip and deflate request bodies (inflate.h), with zlib.
 */

#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "error.h"
#include "inflate.h"

/* zlib's windowBits: 15 (32 KB window), +16 gzip only, negative raw */
#define WBITS_GZIP  (15 + 16)
#define WBITS_ZLIB  15
#define WBITS_RAW   (-15)


static int
token_is(const char *s, size_t len, const char *lit)
{
    size_t  i, n = strlen(lit);

    if (len != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char  c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }
        if (c != lit[i]) {
            return 0;
        }
    }
    return 1;
}


spoor_encoding_e
spoor_encoding_parse(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
        len--;
    }

    if (len == 0 || token_is(s, len, "identity")) {
        return SPOOR_ENC_IDENTITY;
    }
    if (token_is(s, len, "gzip") || token_is(s, len, "x-gzip")) {
        return SPOOR_ENC_GZIP;
    }
    if (token_is(s, len, "deflate")) {
        return SPOOR_ENC_DEFLATE;
    }
    return SPOOR_ENC_UNKNOWN;
}


/*
 * One stream (a gzip member, or the whole zlib/raw stream) from in[*pos]
 * into out[*olen..cap).  Advances *pos past it and *olen by its output.
 */
static int
inflate_one(const unsigned char *in, size_t len, size_t *pos, int wbits,
    unsigned char *out, size_t cap, size_t *olen)
{
    int       zrc, rc;
    size_t    chunk;
    z_stream  z;

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, wbits) != Z_OK) {
        return SPOOR_E_NOMEM;
    }

    rc = SPOOR_E_FORMAT;

    for ( ;; ) {
        if (z.avail_in == 0) {
            chunk = len - *pos;
            if (chunk > UINT_MAX) {
                chunk = UINT_MAX;
            }
            z.next_in = (unsigned char *) in + *pos;
            z.avail_in = (uInt) chunk;
            *pos += chunk;
        }

        if (*olen == cap) {
            /* full: one more byte of output means too big */
            unsigned char  probe;

            z.next_out = &probe;
            z.avail_out = 1;
            zrc = inflate(&z, Z_NO_FLUSH);
            if (z.avail_out == 0) {
                rc = SPOOR_E_TOOBIG;
                break;
            }

        } else {
            chunk = cap - *olen;
            if (chunk > UINT_MAX) {
                chunk = UINT_MAX;
            }
            z.next_out = out + *olen;
            z.avail_out = (uInt) chunk;
            zrc = inflate(&z, Z_NO_FLUSH);
            *olen += chunk - z.avail_out;
        }

        if (zrc == Z_STREAM_END) {
            rc = SPOOR_OK;
            break;
        }
        if (zrc == Z_MEM_ERROR) {
            rc = SPOOR_E_NOMEM;
            break;
        }
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            break;                          /* Z_DATA_ERROR, Z_NEED_DICT */
        }
        if (zrc == Z_BUF_ERROR && z.avail_in == 0 && *pos == len) {
            break;                          /* the stream ends early */
        }
    }

    /* what the stream did not use goes back to the caller */
    *pos -= z.avail_in;
    inflateEnd(&z);
    return rc;
}


int
spoor_inflate(const unsigned char *in, size_t len, spoor_encoding_e enc,
    unsigned char *out, size_t cap, size_t *out_len)
{
    int     rc;
    size_t  pos, olen;

    *out_len = 0;
    pos = 0;
    olen = 0;

    switch (enc) {

    case SPOOR_ENC_GZIP:
        do {
            rc = inflate_one(in, len, &pos, WBITS_GZIP, out, cap, &olen);
            if (rc != SPOOR_OK) {
                return rc;
            }
        } while (pos < len);
        break;

    case SPOOR_ENC_DEFLATE:
        rc = inflate_one(in, len, &pos, WBITS_ZLIB, out, cap, &olen);
        if (rc == SPOOR_E_FORMAT && olen == 0) {
            /* not the zlib format: a raw deflate stream, as some send */
            pos = 0;
            rc = inflate_one(in, len, &pos, WBITS_RAW, out, cap, &olen);
        }
        if (rc != SPOOR_OK) {
            return rc;
        }
        if (pos != len) {
            return SPOOR_E_FORMAT;          /* bytes after the stream */
        }
        break;

    default:
        return SPOOR_E_INVAL;
    }

    *out_len = olen;
    return SPOOR_OK;
}
