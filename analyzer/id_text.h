/*
 * id_text.h -- an id's text in fewer bytes, when it has the shape the
 * trackers give most ids.
 *
 * analytics.js, analytics-node and RudderStack make anonymous ids as
 * UUIDs in lowercase hex (36 characters), and the module makes visitor
 * ids as 16 random bytes in unpadded base64url (22 characters).  The
 * identity graph keeps one text per id for as long as the state lives,
 * so these two shapes are kept as their 16 bytes instead: 37 and 23
 * bytes with the NUL become 16.  Any other text is kept as it is.
 *
 * Exact both ways: a text is packed only when unpacking its 16 bytes
 * gives it back byte for byte (an uppercase UUID, or base64url whose
 * last character holds bits past the 128th, stays as it is).
 */
#ifndef SPOOR_ID_TEXT_H
#define SPOOR_ID_TEXT_H

#include <stddef.h>

#define ID_TEXT_RAW    0        /* kept as it is */
#define ID_TEXT_UUID   1        /* 8-4-4-4-12 lowercase hex digits */
#define ID_TEXT_B64    2        /* 22 base64url characters, no padding */

#define ID_TEXT_PACKED 16       /* the bytes of a packed text */
#define ID_TEXT_MAX    36       /* the longest text a packed form is */

/*
 * The form of text[0 .. len): ID_TEXT_UUID or ID_TEXT_B64 with its 16
 * bytes in out, or ID_TEXT_RAW (out then unspecified) when it has
 * neither shape exactly.
 */
unsigned id_text_pack(const char *text, size_t len,
    unsigned char out[ID_TEXT_PACKED]);

/*
 * The text of the packed bytes `in` of `form` (ID_TEXT_UUID or
 * ID_TEXT_B64) into out, NUL-terminated (ID_TEXT_MAX + 1 bytes are
 * enough).  Returns its length: 36 or 22.
 */
size_t id_text_unpack(unsigned form, const unsigned char in[ID_TEXT_PACKED],
    char *out);

#endif /* SPOOR_ID_TEXT_H */
