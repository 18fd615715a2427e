/*
 * json_out.c -- the analyzer's JSON writer (see json_out.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "json_out.h"
#include "mp_check.h"
#include "mp_read.h"
#include "utf8.h"

/* where an open container stands */
enum {
    ST_ARRAY_FIRST,          /* no element yet */
    ST_ARRAY_NEXT,
    ST_MAP_FIRST,            /* a key next, the first */
    ST_MAP_KEY,              /* a key next, after a comma */
    ST_MAP_VALUE             /* the value of the key just written */
};


int
json_out_init(json_out_t *j, FILE *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
    j->cap = 4096;
    j->buf = malloc(j->cap);
    if (j->buf == NULL) {
        return -1;
    }
    return 0;
}


void
json_out_free(json_out_t *j)
{
    free(j->buf);
    j->buf = NULL;
    j->len = j->cap = 0;
}


/* The buffer grown to hold n more bytes; 0, or -1 (the line is lost). */
static int
grow(json_out_t *j, size_t n)
{
    size_t  cap;
    char   *b;

    if (j->nomem) {
        return -1;
    }
    cap = j->cap ? j->cap : 4096;
    while (cap - j->len < n) {
        if (cap > SIZE_MAX / 2) {
            j->nomem = 1;
            return -1;
        }
        cap *= 2;
    }
    b = realloc(j->buf, cap);
    if (b == NULL) {
        j->nomem = 1;
        return -1;
    }
    j->buf = b;
    j->cap = cap;
    return 0;
}


/* Room for n more bytes; 0, or -1 (the line is then marked lost). */
static inline int
reserve(json_out_t *j, size_t n)
{
    return j->cap - j->len >= n ? 0 : grow(j, n);
}


static inline void
put(json_out_t *j, const char *p, size_t n)
{
    if (reserve(j, n) == 0) {
        memcpy(j->buf + j->len, p, n);
        j->len += n;
    }
}


/*
 * Before a value (key = 0) or a map key (key = 1): the separator it needs.
 * Returns 0 when it is to be written, -1 when it has no place (a key or
 * value where none belongs, anything after the line's value, anything
 * inside a container past the depth limit).
 */
static inline int
before(json_out_t *j, int key)
{
    uint8_t  *st;

    if (j->over) {
        return -1;
    }
    if (j->depth == 0) {
        return j->done || key ? -1 : 0;
    }
    st = &j->st[j->depth - 1];
    switch (*st) {
    case ST_ARRAY_FIRST:
        if (key) {
            return -1;
        }
        *st = ST_ARRAY_NEXT;
        return 0;
    case ST_ARRAY_NEXT:
        if (key) {
            return -1;
        }
        put(j, ",", 1);
        return 0;
    case ST_MAP_FIRST:
    case ST_MAP_KEY:
        if (!key) {
            return -1;
        }
        if (*st == ST_MAP_KEY) {
            put(j, ",", 1);
        }
        *st = ST_MAP_VALUE;
        return 0;
    default:                                    /* ST_MAP_VALUE */
        if (key) {
            return -1;
        }
        put(j, ":", 1);
        *st = ST_MAP_KEY;
        return 0;
    }
}


/* After a scalar or a closed container: a top-level value ends the line. */
static inline void
after(json_out_t *j)
{
    if (j->depth == 0) {
        j->done = 1;
    }
}


static inline void
scalar(json_out_t *j, const char *p, size_t n)
{
    if (before(j, 0) == 0) {
        put(j, p, n);
        after(j);
    }
}


int
json_out_line(json_out_t *j)
{
    int  rc = 0;

    if (j->nomem) {
        errno = ENOMEM;
        rc = -1;
    } else {
        put(j, "\n", 1);
        if (j->nomem || fwrite(j->buf, 1, j->len, j->out) != j->len) {
            rc = -1;
        }
    }
    json_out_reset(j);
    return rc;
}


/* The buffer's bytes as a C string (a 0 after them, not counted). */
static const char *
terminated(json_out_t *j, size_t from, size_t *len)
{
    if (j->nomem || reserve(j, 1) != 0) {
        *len = 0;
        return NULL;
    }
    j->buf[j->len] = '\0';
    *len = j->len - from;
    return j->buf + from;
}


const char *
json_out_members(json_out_t *j, size_t *len)
{
    if (j->len == 0 || j->buf[0] != '{') {
        *len = 0;
        return j->nomem ? NULL : "";
    }
    return terminated(j, 1, len);
}


const char *
json_out_text(json_out_t *j, size_t *len)
{
    return terminated(j, 0, len);
}


void
json_out_splice(json_out_t *j, const char *members, size_t len)
{
    uint8_t  *st;

    if (len == 0 || j->over || j->depth == 0) {
        return;
    }
    st = &j->st[j->depth - 1];
    if (*st != ST_MAP_FIRST && *st != ST_MAP_KEY) {
        return;
    }
    if (*st == ST_MAP_KEY) {
        put(j, ",", 1);
    }
    put(j, members, len);
    *st = ST_MAP_KEY;
}


void
json_out_reset(json_out_t *j)
{
    j->len = 0;
    j->nomem = 0;
    j->done = 0;
    j->depth = 0;
    j->over = 0;
}


/*
 * Bytes of s that need no escape, 8 at a time: a word with no byte below
 * 0x20, none above 0x7f, no '"' and no '\\' is copied as it is.
 */
#define ONES   0x0101010101010101ULL
#define HIGHS  0x8080808080808080ULL

static inline int
plain_word(uint64_t x)
{
    uint64_t  q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

    return ((((x - ONES * 0x20) | (q - ONES) | (b - ONES)) & ~x & HIGHS)
            | (x & HIGHS)) == 0;
}


/*
 * Writes s escaped, between quotes.  Returns 0, or -1 when s is not UTF-8
 * (nothing written): the first byte above 0x7f has the rest checked once.
 */
static int
put_escaped(json_out_t *j, const unsigned char *s, size_t len)
{
    static const char  hex[] = "0123456789ABCDEF";
    char              *o;
    size_t             i = 0;
    uint64_t           x;
    unsigned char      c;
    int                checked = 0;

    if (reserve(j, len * 6 + 2) != 0) {
        return 0;
    }
    o = j->buf + j->len;
    *o++ = '"';
    while (i < len) {
        if (len - i >= 8) {
            memcpy(&x, s + i, 8);
            if (plain_word(x)) {
                memcpy(o, s + i, 8);
                o += 8;
                i += 8;
                continue;
            }
        }
        c = s[i];
        if (c >= 0x80 && !checked) {
            /* everything before is ASCII: a sequence starts here */
            if (!spoor_utf8_valid(s + i, len - i)) {
                return -1;
            }
            checked = 1;
        }
        i++;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char) c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':  *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 0xf];
            o += 5;
            break;
        }
    }
    *o++ = '"';
    j->len = (size_t) (o - j->buf);
    return 0;
}


/* A string value or key: repaired when it is not UTF-8. */
static inline void
put_string(json_out_t *j, const char *s, size_t len, int key)
{
    unsigned char  *clean;
    size_t          n;

    if (before(j, key) != 0) {
        return;
    }
    if (put_escaped(j, (const unsigned char *) s, len) != 0) {
        clean = malloc(len * 3 + 1);
        if (clean == NULL) {
            j->nomem = 1;
            return;
        }
        n = spoor_utf8_repair((const unsigned char *) s, len, clean);
        (void) put_escaped(j, clean, n);
        free(clean);
    }
    if (!key) {
        after(j);
    }
}


void
json_out_str(json_out_t *j, const char *s, size_t len)
{
    int  key = j->depth && !j->over
               && (j->st[j->depth - 1] == ST_MAP_FIRST
                   || j->st[j->depth - 1] == ST_MAP_KEY);

    put_string(j, s, len, key);
}


void
json_out_cstr(json_out_t *j, const char *s)
{
    json_out_str(j, s, strlen(s));
}


/* The decimal digits of v, written backwards ending at end; returns the
 * first. */
static char *
digits(unsigned long long v, char *end)
{
    do {
        *--end = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}


void
json_out_int(json_out_t *j, long long v)
{
    char   buf[24], *p;

    if (v < 0) {
        p = digits(0ULL - (unsigned long long) v, buf + sizeof(buf));
        *--p = '-';
    } else {
        p = digits((unsigned long long) v, buf + sizeof(buf));
    }
    scalar(j, p, (size_t) (buf + sizeof(buf) - p));
}


void
json_out_uint(json_out_t *j, unsigned long long v)
{
    char  buf[24], *p;

    p = digits(v, buf + sizeof(buf));
    scalar(j, p, (size_t) (buf + sizeof(buf) - p));
}


/*
 * The text of v when it has at most 6 decimals and 15 digits: v is then
 * m / 10^k for the smallest such k, the decimal m.10^-k reads back as v
 * (m / 10^k rounds to v),
 * and it is what "%.15g" writes (v within 1e-4 .. 1e15, so no exponent;
 * 15 digits, so no rounding), with ".0" when k is 0.  Returns the length
 * written to buf[32], or 0 when v is not of that kind.
 */
static size_t
short_decimal(double v, char *buf)
{
    static const double  p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
    double               a = v < 0 ? -v : v, m;
    unsigned long long   u;
    char                 tmp[24], *d, *o = buf;
    unsigned             k;
    size_t               n;

    if (v == 0) {
        n = signbit(v) ? 4 : 3;
        memcpy(buf, signbit(v) ? "-0.0" : "0.0", n);
        return n;
    }
    if (!(a >= 1e-4 && a < 1e15)) {
        return 0;
    }
    for (k = 0; k < sizeof(p10) / sizeof(p10[0]); k++) {
        m = a * p10[k];
        if (m >= 1e15) {
            return 0;
        }
        if (m == (double) (unsigned long long) m && m / p10[k] == a) {
            break;
        }
    }
    if (k == sizeof(p10) / sizeof(p10[0])) {
        return 0;
    }
    u = (unsigned long long) m;
    while (k > 0 && u % 10 == 0) {      /* 78.99 * 100 is not 7899 */
        u /= 10;
        k--;
    }
    d = digits(u, tmp + sizeof(tmp));
    n = (size_t) (tmp + sizeof(tmp) - d);
    if (v < 0) {
        *o++ = '-';
    }
    if (k == 0) {
        memcpy(o, d, n);
        o += n;
        memcpy(o, ".0", 2);
        o += 2;
    } else if (n > k) {
        memcpy(o, d, n - k);
        o += n - k;
        *o++ = '.';
        memcpy(o, d + n - k, k);
        o += k;
    } else {
        *o++ = '0';
        *o++ = '.';
        memset(o, '0', k - n);
        o += k - n;
        memcpy(o, d, n);
        o += n;
    }
    return (size_t) (o - buf);
}


void
json_out_double(json_out_t *j, double v)
{
    char      buf[40];
    int       n;
    uint64_t  bits;
    size_t    e;

    if (!isfinite(v)) {
        json_out_null(j);
        return;
    }
    n = (int) short_decimal(v, buf);
    if (n > 0) {
        scalar(j, buf, (size_t) n);
        return;
    }
    memcpy(&bits, &v, sizeof(bits));
    e = (bits ^ (bits >> 21) ^ (bits >> 43)) & (JSON_OUT_DOUBLES - 1);
    if (j->dbl[e].len && j->dbl[e].bits == bits) {
        scalar(j, j->dbl[e].text, j->dbl[e].len);
        return;
    }
    /* the shortest of %.15g and %.17g that reads back as the same double */
    n = snprintf(buf, sizeof(buf), "%.15g", v);
    if (strtod(buf, NULL) != v) {
        n = snprintf(buf, sizeof(buf), "%.17g", v);
    }
    if (strspn(buf, "-0123456789") == (size_t) n) {
        memcpy(buf + n, ".0", 3);       /* keep it a float in JSON */
        n += 2;
    }
    if ((size_t) n < sizeof(j->dbl[e].text)) {
        j->dbl[e].bits = bits;
        j->dbl[e].len = (uint8_t) n;
        memcpy(j->dbl[e].text, buf, (size_t) n);
    }
    scalar(j, buf, (size_t) n);
}


void
json_out_bool(json_out_t *j, int v)
{
    if (v) {
        scalar(j, "true", 4);
    } else {
        scalar(j, "false", 5);
    }
}


void
json_out_null(json_out_t *j)
{
    scalar(j, "null", 4);
}


static void
open_container(json_out_t *j, char c, uint8_t st)
{
    if (j->over) {
        j->over++;
        return;
    }
    if (before(j, 0) != 0) {
        j->over = 1;            /* no place for it: drop it whole */
        return;
    }
    if (j->depth == JSON_OUT_DEPTH_MAX) {
        put(j, "null", 4);
        j->over = 1;
        return;
    }
    put(j, &c, 1);
    j->st[j->depth++] = st;
}


static void
close_container(json_out_t *j, char c)
{
    if (j->over) {
        j->over--;
        if (j->over == 0) {
            after(j);
        }
        return;
    }
    if (j->depth == 0) {
        return;
    }
    j->depth--;
    put(j, &c, 1);
    after(j);
}


void json_out_map_open(json_out_t *j)    { open_container(j, '{', ST_MAP_FIRST); }
void json_out_map_close(json_out_t *j)   { close_container(j, '}'); }
void json_out_array_open(json_out_t *j)  { open_container(j, '[', ST_ARRAY_FIRST); }
void json_out_array_close(json_out_t *j) { close_container(j, ']'); }


static void
out_base64(json_out_t *j, const char *p, size_t len)
{
    unsigned char  *b;
    int             n;

    b = malloc(4 * ((len + 2) / 3) + 1);
    if (b == NULL) {
        json_out_null(j);
        return;
    }
    n = EVP_EncodeBlock(b, (const unsigned char *) p, (int) len);
    json_out_str(j, (const char *) b, (size_t) n);
    free(b);
}


/* Writes a map key from a msgpack key of any type; 0 if it has no text. */
static int
out_key(json_out_t *j, const msgpack_object *k)
{
    char  buf[32];
    int   n;

    switch (k->type) {
    case MSGPACK_OBJECT_STR:
        json_out_str(j, k->via.str.ptr, k->via.str.size);
        return 1;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        n = snprintf(buf, sizeof(buf), "%llu",
                     (unsigned long long) k->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        n = snprintf(buf, sizeof(buf), "%lld", (long long) k->via.i64);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        n = snprintf(buf, sizeof(buf), "%s",
                     k->via.boolean ? "true" : "false");
        break;
    case MSGPACK_OBJECT_NIL:
        n = snprintf(buf, sizeof(buf), "null");
        break;
    default:
        return 0;
    }
    json_out_str(j, buf, (size_t) n);
    return 1;
}


void
json_out_msgpack(json_out_t *j, const msgpack_object *o)
{
    uint32_t  i;

    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        json_out_null(j);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        json_out_bool(j, o->via.boolean);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        json_out_uint(j, o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        json_out_int(j, o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        json_out_double(j, o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        json_out_str(j, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        out_base64(j, o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        json_out_array_open(j);
        for (i = 0; i < o->via.array.size; i++) {
            json_out_msgpack(j, &o->via.array.ptr[i]);
        }
        json_out_array_close(j);
        break;
    case MSGPACK_OBJECT_MAP:
        json_out_map_open(j);
        for (i = 0; i < o->via.map.size; i++) {
            if (out_key(j, &o->via.map.ptr[i].key)) {
                json_out_msgpack(j, &o->via.map.ptr[i].val);
            }
        }
        json_out_map_close(j);
        break;
    default:                 /* ext: no JSON form */
        json_out_null(j);
        break;
    }
}


/*
 * The same for the encoded value at p[*off], read in place; *off moves
 * past it.  Returns 0, or -1 for bytes that are no value or nest deeper
 * than SPOOR_MP_DEPTH_CAP (depth: the levels still allowed); what was
 * written is then to be taken back by the caller.
 */
static int
out_raw(json_out_t *j, const unsigned char *p, size_t len, size_t *off,
    unsigned depth)
{
    spoor_mp_item_t  it, k;
    char             buf[32];
    uint32_t         i;
    size_t           at;
    int              n;

    if (spoor_mp_read(p, len, off, &it) != SPOOR_OK) {
        return -1;
    }
    switch (it.type) {
    case SPOOR_MP_NIL:   json_out_null(j); return 0;
    case SPOOR_MP_BOOL:  json_out_bool(j, it.b); return 0;
    case SPOOR_MP_UINT:  json_out_uint(j, it.u); return 0;
    case SPOOR_MP_INT:   json_out_int(j, it.i); return 0;
    case SPOOR_MP_FLOAT: json_out_double(j, it.f); return 0;
    case SPOOR_MP_STR:   json_out_str(j, it.s, it.len); return 0;
    case SPOOR_MP_BIN:   out_base64(j, it.s, it.len); return 0;
    case SPOOR_MP_EXT:   json_out_null(j); return 0;   /* no JSON form */
    case SPOOR_MP_ARRAY:
        if (depth == 0) {
            return -1;
        }
        json_out_array_open(j);
        for (i = 0; i < it.len; i++) {
            if (out_raw(j, p, len, off, depth - 1) != 0) {
                return -1;
            }
        }
        json_out_array_close(j);
        return 0;
    case SPOOR_MP_MAP:
        if (depth == 0) {
            return -1;
        }
        json_out_map_open(j);
        for (i = 0; i < it.len; i++) {
            at = *off;
            if (spoor_mp_read(p, len, off, &k) != SPOOR_OK) {
                return -1;
            }
            n = -1;
            switch (k.type) {
            case SPOOR_MP_STR:
                json_out_str(j, k.s, k.len);
                n = 0;
                break;
            case SPOOR_MP_UINT:
                n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long) k.u);
                break;
            case SPOOR_MP_INT:
                n = snprintf(buf, sizeof(buf), "%lld", (long long) k.i);
                break;
            case SPOOR_MP_BOOL:
                n = snprintf(buf, sizeof(buf), "%s", k.b ? "true" : "false");
                break;
            case SPOOR_MP_NIL:
                n = snprintf(buf, sizeof(buf), "null");
                break;
            default:
                break;
            }
            if (n > 0) {
                json_out_str(j, buf, (size_t) n);
            }
            if (n >= 0) {
                if (out_raw(j, p, len, off, depth - 1) != 0) {
                    return -1;
                }
                continue;
            }
            /* a key with no text: left out with its value */
            *off = at;
            if (spoor_mp_skip(p, len, off) != SPOOR_OK
                || spoor_mp_skip(p, len, off) != SPOOR_OK)
            {
                return -1;
            }
        }
        json_out_map_close(j);
        return 0;
    }
    return -1;
}


/* ---- events ------------------------------------------------------------ */

/* A key that is a string literal needing no escape, written as it is. */
#define KEY(j, lit)  put_key((j), (lit), sizeof(lit) - 1)

static inline void
put_key(json_out_t *j, const char *k, size_t n)
{
    char  *o;

    if (before(j, 1) != 0 || reserve(j, n + 2) != 0) {
        return;
    }
    o = j->buf + j->len;
    *o++ = '"';
    memcpy(o, k, n);
    o += n;
    *o++ = '"';
    j->len = (size_t) (o - j->buf);
}


#define kv_str(j, lit, s)  kv_str_n((j), (lit), sizeof(lit) - 1, (s))

static inline void
kv_str_n(json_out_t *j, const char *k, size_t n, spoor_str_t s)
{
    if (s.data) {
        put_key(j, k, n);
        json_out_str(j, s.data, s.len);
    }
}


#define kv_value(j, lit, v)  kv_value_n((j), (lit), sizeof(lit) - 1, (v))

static void
kv_value_n(json_out_t *j, const char *k, size_t n, const spoor_value_t *v)
{
    size_t    off = 0, len;
    unsigned  depth, over;
    int       done;
    uint8_t   st;

    if (v->obj) {
        put_key(j, k, n);
        json_out_msgpack(j, v->obj);
    } else if (v->raw) {
        put_key(j, k, n);
        /* written as read; taken back for null if it is no value */
        len = j->len;
        depth = j->depth;
        over = j->over;
        done = j->done;
        st = depth ? j->st[depth - 1] : 0;
        if (out_raw(j, v->raw, v->raw_len, &off, SPOOR_MP_DEPTH_CAP) != 0) {
            j->len = len;
            j->depth = depth;
            j->over = over;
            j->done = done;
            if (depth) {
                j->st[depth - 1] = st;
            }
            json_out_null(j);
        }
    }
}


static void
out_categories(json_out_t *j, unsigned bits)
{
    static const char *const  names[] = {
        "storage", "analytics", "personalization", "marketing"
    };
    unsigned                  i;

    json_out_array_open(j);
    for (i = 0; i < 4; i++) {
        if (bits & (1u << i)) {
            json_out_cstr(j, names[i]);
        }
    }
    json_out_array_close(j);
}


static void
out_geo(json_out_t *j, const spoor_geo_t *g)
{
    KEY(j, "geo");
    json_out_map_open(j);
    kv_str(j, "country", g->country);
    kv_str(j, "continent", g->continent);
    if (g->eu >= 0) {
        KEY(j, "eu");
        json_out_bool(j, g->eu);
    }
    kv_str(j, "region", g->region);
    kv_str(j, "city", g->city);
    kv_str(j, "postalCode", g->postal);
    if (g->has_location) {
        KEY(j, "latitude");
        json_out_double(j, g->latitude);
        KEY(j, "longitude");
        json_out_double(j, g->longitude);
    }
    if (g->accuracy_km) {
        KEY(j, "accuracyRadius");
        json_out_uint(j, g->accuracy_km);
    }
    kv_str(j, "timezone", g->timezone);
    if (g->asn) {
        KEY(j, "asn");
        json_out_uint(j, g->asn);
    }
    kv_str(j, "asOrg", g->as_org);
    json_out_map_close(j);
}


static void
out_consent(json_out_t *j, const spoor_consent_t *c)
{
    KEY(j, "consent");
    json_out_map_open(j);
    kv_str(j, "signal", c->signal);
    KEY(j, "granted");
    out_categories(j, c->granted);
    KEY(j, "denied");
    out_categories(j, c->denied);
    if (c->gpc >= 0) {
        KEY(j, "gpc");
        json_out_bool(j, c->gpc);
    }
    if (c->tcf_policy) {
        KEY(j, "tcfPolicyVersion");
        json_out_uint(j, c->tcf_policy);
    }
    if (c->cmp_id) {
        KEY(j, "cmpId");
        json_out_uint(j, c->cmp_id);
    }
    kv_str(j, "action", c->action);
    if (c->no_profiling) {
        KEY(j, "noProfiling");
        json_out_bool(j, 1);
    }
    json_out_map_close(j);
}


void
json_out_event(json_out_t *j, const spoor_event_t *ev)
{
    const spoor_campaign_t  *c = &ev->campaign;
    char                     ip[INET6_ADDRSTRLEN];

    json_out_map_open(j);
    KEY(j, "receivedAt");
    json_out_int(j, ev->received_ms);
    if (ev->has_time) {
        KEY(j, "timestamp");
        json_out_int(j, ev->time_ms);
    }
    kv_str(j, "type", ev->kind_name);
    kv_str(j, "name", ev->name);
    kv_str(j, "messageId", ev->message_id);
    kv_str(j, "source", ev->source);
    kv_str(j, "visitorId", ev->visitor_id);
    kv_str(j, "anonymousId", ev->anonymous_id);
    kv_str(j, "userId", ev->user_id);
    kv_str(j, "cookielessId", ev->cookieless_id);
    kv_str(j, "groupId", ev->group_id);
    kv_str(j, "previousId", ev->previous_id);
    kv_value(j, "properties", &ev->properties);
    kv_value(j, "traits", &ev->traits);
    kv_value(j, "context", &ev->context);
    kv_str(j, "url", ev->url);
    kv_str(j, "title", ev->title);
    kv_str(j, "referrer", ev->referrer);
    if (c->source.data || c->medium.data || c->name.data || c->term.data
        || c->content.data)
    {
        KEY(j, "campaign");
        json_out_map_open(j);
        kv_str(j, "source", c->source);
        kv_str(j, "medium", c->medium);
        kv_str(j, "name", c->name);
        kv_str(j, "term", c->term);
        kv_str(j, "content", c->content);
        json_out_map_close(j);
    }
    kv_str(j, "userAgent", ev->user_agent);
    kv_str(j, "locale", ev->language);
    kv_str(j, "timezone", ev->timezone);
    if (ev->ip_len) {
        inet_ntop(ev->ip_len == 4 ? AF_INET : AF_INET6, ev->ip, ip,
                  sizeof(ip));
        KEY(j, "ip");
        json_out_cstr(j, ip);
    }
    if (ev->has_geo) {
        out_geo(j, &ev->geo);
    }
    if (ev->consent.present) {
        out_consent(j, &ev->consent);
    }
    json_out_map_close(j);
}


void
json_out_frame(json_out_t *j, const spoor_frame_t *f)
{
    const spoor_frame_meta_t  *m = &f->meta;
    char                       hex[24];

    json_out_map_open(j);
    KEY(j, "offset");
    json_out_uint(j, f->offset);
    KEY(j, "length");
    json_out_uint(j, f->length);
    KEY(j, "records");
    json_out_uint(j, f->records);
    KEY(j, "contentBytes");
    json_out_uint(j, f->content_len);
    snprintf(hex, sizeof(hex), "%08x", f->checksum);
    KEY(j, "checksum");
    json_out_cstr(j, hex);
    KEY(j, "metadata");
    json_out_bool(j, f->has_meta);
    if (f->has_meta) {
        KEY(j, "version");
        json_out_uint(j, m->version);
        KEY(j, "host");
        json_out_cstr(j, m->host);
        KEY(j, "pid");
        json_out_uint(j, m->pid);
        snprintf(hex, sizeof(hex), "%016llx",
                 (unsigned long long) m->writer_id);
        KEY(j, "writer");
        json_out_cstr(j, hex);
        KEY(j, "seq");
        json_out_uint(j, m->seq);
        KEY(j, "timeFirst");
        json_out_int(j, m->time_first);
        KEY(j, "timeLast");
        json_out_int(j, m->time_last);
    }
    json_out_map_close(j);
}
