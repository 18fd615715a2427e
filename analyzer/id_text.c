/*
 * id_text.c -- ids' texts packed to 16 bytes when they are a lowercase
 * UUID or 16 bytes of base64url (id_text.h).
 */
#include <string.h>
#include "id_text.h"

static const char  hex[] = "0123456789abcdef";
static const char  b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* The value of a lowercase hex digit, or -1. */
static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}


/* The value of a base64url character, or -1. */
static int
b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}


static int
is_dash(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}


static int
pack_uuid(const char *text, unsigned char *out)
{
    size_t  i, k = 0;
    int     hi, lo;

    for (i = 0; i < 36; i++) {
        if (is_dash(i)) {
            if (text[i] != '-') {
                return 0;
            }
            continue;
        }
        hi = hex_value(text[i]);
        lo = hex_value(text[++i]);
        if (hi < 0 || lo < 0) {
            return 0;
        }
        out[k++] = (unsigned char) (hi << 4 | lo);
    }
    return 1;
}


/* 22 characters of 6 bits: the 128 bits, then 4 that must be 0 (else
 * the text would not come back the same). */
static int
pack_b64(const char *text, unsigned char *out)
{
    size_t    i, k = 0;
    unsigned  acc = 0, bits = 0;
    int       v;

    for (i = 0; i < 22; i++) {
        v = b64_value(text[i]);
        if (v < 0) {
            return 0;
        }
        acc = (acc << 6 | (unsigned) v) & 0xFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char) (acc >> bits);
        }
    }
    return k == ID_TEXT_PACKED && (acc & ((1u << bits) - 1)) == 0;
}


unsigned
id_text_pack(const char *text, size_t len, unsigned char out[ID_TEXT_PACKED])
{
    if (len == 36 && pack_uuid(text, out)) {
        return ID_TEXT_UUID;
    }
    if (len == 22 && pack_b64(text, out)) {
        return ID_TEXT_B64;
    }
    return ID_TEXT_RAW;
}


size_t
id_text_unpack(unsigned form, const unsigned char in[ID_TEXT_PACKED],
    char *out)
{
    size_t    i, n = 0;
    unsigned  acc = 0, bits = 0;

    if (form == ID_TEXT_UUID) {
        for (i = 0; i < ID_TEXT_PACKED; i++) {
            if (is_dash(n)) {
                out[n++] = '-';
            }
            out[n++] = hex[in[i] >> 4];
            out[n++] = hex[in[i] & 0xF];
        }
    } else {
        for (i = 0; i < ID_TEXT_PACKED; i++) {
            acc = (acc << 8 | in[i]) & 0xFFFF;
            bits += 8;
            while (bits >= 6) {
                bits -= 6;
                out[n++] = b64[(acc >> bits) & 0x3F];
            }
        }
        out[n++] = b64[(acc << (6 - bits)) & 0x3F];     /* bits: 2 */
    }
    out[n] = '\0';
    return n;
}
