/*
 * id_text.c -- ids' texts packed to 16 bytes when they are a lowercase
 * UUID or 16 bytes of base64url (id_text.h).
 */
#include <string.h>
#include "id_text.h"

static const char  hex[] = "0123456789abcdef";
static const char  b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* Each character's value + 1; 0: not a lowercase hex digit, not a
 * base64url character.  (Tables, not branches: ids are packed for every
 * lookup of an event's ids.) */
static const unsigned char  hexv[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
    ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16
};

static const unsigned char  b64v[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
    ['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64
};

/* Where the hex digits of each byte of a UUID start. */
static const unsigned char  hex_at[ID_TEXT_PACKED] = {
    0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34
};


static int
is_dash(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}


/* A value - 1 of an invalid character is UINT_MAX: `bad` collects them
 * all, so one test at the end says whether every character was valid. */
static int
pack_uuid(const unsigned char *t, unsigned char *out)
{
    unsigned  bad = 0, hi, lo;
    size_t    i;

    if (t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-') {
        return 0;
    }
    for (i = 0; i < ID_TEXT_PACKED; i++) {
        hi = hexv[t[hex_at[i]]] - 1u;
        lo = hexv[t[hex_at[i] + 1]] - 1u;
        bad |= hi | lo;
        out[i] = (unsigned char) (hi << 4 | (lo & 0xF));
    }
    return bad < 16;
}


/* 22 characters of 6 bits: five groups of 4 make 15 bytes; the last 2
 * make the 16th and 4 bits that must be 0 (else the text would not come
 * back the same). */
static int
pack_b64(const unsigned char *t, unsigned char *out)
{
    unsigned  bad = 0, a, b, c, d, n;
    size_t    i, k;

    for (i = 0, k = 0; i < 20; i += 4, k += 3) {
        a = b64v[t[i]] - 1u;
        b = b64v[t[i + 1]] - 1u;
        c = b64v[t[i + 2]] - 1u;
        d = b64v[t[i + 3]] - 1u;
        bad |= a | b | c | d;
        n = a << 18 | b << 12 | c << 6 | d;
        out[k] = (unsigned char) (n >> 16);
        out[k + 1] = (unsigned char) (n >> 8);
        out[k + 2] = (unsigned char) n;
    }
    a = b64v[t[20]] - 1u;
    b = b64v[t[21]] - 1u;
    bad |= a | b;
    out[15] = (unsigned char) (a << 2 | (b >> 4 & 3));
    return bad < 64 && (b & 0xF) == 0;
}


unsigned
id_text_pack(const char *text, size_t len, unsigned char out[ID_TEXT_PACKED])
{
    const unsigned char  *t = (const unsigned char *) text;

    if (len == 36 && pack_uuid(t, out)) {
        return ID_TEXT_UUID;
    }
    if (len == 22 && pack_b64(t, out)) {
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
