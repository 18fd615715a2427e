/*
 * error.h -- error values shared by every spoor library function.
 *
 * Functions in shared/ report failure by returning one of the negative
 * SPOOR_E_* values below; SPOOR_OK (0) or a positive count means success.
 * Nothing in shared/ prints or exits: the caller decides how to report.
 */
#ifndef SPOOR_ERROR_H
#define SPOOR_ERROR_H

enum {
    SPOOR_OK        =  0,
    SPOOR_E_NOMEM   = -1,   /* an allocation failed */
    SPOOR_E_FULL    = -2,   /* the destination buffer has no room: flush, retry */
    SPOOR_E_TOOBIG  = -3,   /* the item can never fit (larger than any buffer) */
    SPOOR_E_FORMAT  = -4,   /* bytes are not a valid record / frame / value */
    SPOOR_E_DEPTH   = -5,   /* nesting deeper than the documented limit */
    SPOOR_E_JSON    = -6,   /* JSON text is invalid (syntax or UTF-8) */
    SPOOR_E_IO      = -7,   /* a read or write failed; errno tells why */
    SPOOR_E_LZ4     = -8,   /* the LZ4 library reported an error */
    SPOOR_E_INVAL   = -9    /* an argument is out of its documented range */
};

/* Returns a static, human-readable description of a SPOOR_E_* value. */
const char *spoor_strerror(int err);

#endif /* SPOOR_ERROR_H */
