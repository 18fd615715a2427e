/*
 * inflate.h -- request bodies sent with Content-Encoding gzip or deflate,
 * inflated with zlib into a buffer of fixed capacity.
 *
 * The capacity is the limit: a body that inflates past it is refused as
 * too large as soon as it would overflow, so a decompression bomb costs
 * at most `cap` bytes and the time to fill them.  gzip may hold several
 * members one after another (RFC 1952); each is inflated in turn.
 * "deflate" is the zlib format (RFC 1950) as HTTP defines it, or a raw
 * deflate stream, which some clients send under that name.  Anything
 * after the end of the data is an error, as is a stream that ends early.
 */
#ifndef SPOOR_INFLATE_H
#define SPOOR_INFLATE_H

#include <stddef.h>

typedef enum {
    SPOOR_ENC_IDENTITY = 0,     /* no Content-Encoding, or "identity" */
    SPOOR_ENC_GZIP,             /* "gzip", "x-gzip" */
    SPOOR_ENC_DEFLATE,          /* "deflate" */
    SPOOR_ENC_UNKNOWN           /* anything else: not accepted */
} spoor_encoding_e;

/* The encoding a Content-Encoding value names (case aside, surrounding
 * spaces and tabs ignored).  A list of several is SPOOR_ENC_UNKNOWN. */
spoor_encoding_e spoor_encoding_parse(const char *s, size_t len);

/*
 * Inflates in[0..len) of encoding enc (GZIP or DEFLATE) into out[0..cap).
 * Returns SPOOR_OK with *out_len set; SPOOR_E_TOOBIG when the data
 * inflates past cap; SPOOR_E_FORMAT when it is not a complete, valid
 * stream of that encoding (or has bytes after its end); SPOOR_E_INVAL
 * for another enc; SPOOR_E_NOMEM when zlib cannot allocate its state.
 * Allocates only zlib's state, freed before returning.
 */
int spoor_inflate(const unsigned char *in, size_t len, spoor_encoding_e enc,
    unsigned char *out, size_t cap, size_t *out_len);

#endif /* SPOOR_INFLATE_H */
