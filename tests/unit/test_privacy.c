/*
 * test_privacy.c -- unit tests of the keyed hash (shared/keyed_hash.h),
 * the browser family (shared/useragent.h), and the privacy settings and
 * anonymous records (shared/privacy.h).
 *
 * Inputs are heap allocations of exactly their length, so a read past the
 * end is caught by AddressSanitizer when the tests run under it.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include <openssl/evp.h>
#include "error.h"
#include "buf.h"
#include "event.h"
#include "keyed_hash.h"
#include "privacy.h"
#include "useragent.h"

/* ---- helpers ------------------------------------------------------------ */

static const unsigned char  pv_key[] = "0123456789abcdef0123456789abcdef";
#define PV_KEY_LEN  32
static const unsigned char  pv_key2[] = "fedcba9876543210fedcba9876543210";

static spoor_str_t
pv_s(const char *z)
{
    spoor_str_t  s;

    s.data = z;
    s.len = z ? strlen(z) : 0;
    return s;
}

/* The reference: OpenSSL's one-shot HMAC-SHA256 over msg. */
static void
pv_ref_hmac(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t len, unsigned char *out)
{
    size_t  olen = 0;

    cr_assert_not_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key,
                                 key_len, msg, len, out,
                                 SPOOR_KEYED_HASH_LEN, &olen));
    cr_assert_eq(olen, (size_t) SPOOR_KEYED_HASH_LEN);
}

/* The reference for spoor_keyed_hash: the message built by hand. */
static void
pv_ref_keyed(const unsigned char *key, size_t key_len,
    const spoor_str_t *parts, size_t n, unsigned char *out)
{
    unsigned char  *msg;
    size_t          i, k, len = 0, total = 0;

    for (i = 0; i < n; i++) {
        total += 8 + (parts[i].data ? parts[i].len : 0);
    }
    msg = malloc(total ? total : 1);
    cr_assert_not_null(msg);
    for (i = 0; i < n; i++) {
        uint64_t  l = parts[i].data ? parts[i].len : 0;

        for (k = 0; k < 8; k++) {
            msg[len++] = (unsigned char) (l >> (56 - 8 * k));
        }
        if (l) {
            memcpy(msg + len, parts[i].data, l);
            len += l;
        }
    }
    pv_ref_hmac(key, key_len, msg, len, out);
    free(msg);
}

static void
pv_hex_of(const unsigned char *d, char *hex65)
{
    size_t  i;

    for (i = 0; i < SPOOR_KEYED_HASH_LEN; i++) {
        snprintf(hex65 + 2 * i, 3, "%02x", d[i]);
    }
}

/* The pseudonym of bytes s[0 .. len) under key: 64 hex characters and a
 * NUL, computed with the reference. */
static void
pv_pseudonym(const unsigned char *key, const char *s, size_t len,
    char *hex65)
{
    unsigned char  d[SPOOR_KEYED_HASH_LEN];
    spoor_str_t    part;

    part.data = s;
    part.len = len;
    pv_ref_keyed(key, PV_KEY_LEN, &part, 1, d);
    pv_hex_of(d, hex65);
}

/* Settings over the given trait lists (NULL-terminated). */
typedef struct {
    spoor_str_t      sens[8];
    spoor_str_t      pseudo[8];
    spoor_privacy_t  pv;
} pv_settings_t;

static void
pv_settings(pv_settings_t *st, const char *const *sens,
    const char *const *pseudo, int with_key)
{
    size_t  n;

    memset(st, 0, sizeof(*st));
    for (n = 0; sens && sens[n]; n++) {
        st->sens[n] = pv_s(sens[n]);
    }
    st->pv.sensitive = st->sens;
    st->pv.nsensitive = n;
    for (n = 0; pseudo && pseudo[n]; n++) {
        st->pseudo[n] = pv_s(pseudo[n]);
    }
    st->pv.pseudo = st->pseudo;
    st->pv.npseudo = n;
    if (with_key) {
        st->pv.key = pv_key;
        st->pv.key_len = PV_KEY_LEN;
    }
}

/* msgpack building */

static void
pk_str(msgpack_packer *pk, const char *z)
{
    size_t  n = strlen(z);

    cr_assert_eq(msgpack_pack_str(pk, n), 0);
    cr_assert_eq(msgpack_pack_str_body(pk, z, n), 0);
}

/* The sbuffer's bytes as an exact-size heap copy. */
static unsigned char *
pv_take(msgpack_sbuffer *sb, size_t *len)
{
    unsigned char  *p = malloc(sb->size ? sb->size : 1);

    cr_assert_not_null(p);
    memcpy(p, sb->data, sb->size);
    *len = sb->size;
    msgpack_sbuffer_destroy(sb);
    return p;
}

/*
 * The traits used by most tests:
 *   { "email": "x@example.com", "plan": "pro", "age": 42, "neg": -7,
 *     "big": 18446744073709551615, "address": {"city": "Oslo"},
 *     "vip": true, "score": 1.5, "nothing": nil, "tags": ["a"],
 *     "name": "Ada" }
 */
#define PV_TRAITS_N  11

static unsigned char *
pv_traits(size_t *len)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, PV_TRAITS_N);
    pk_str(&pk, "email");
    pk_str(&pk, "x@example.com");
    pk_str(&pk, "plan");
    pk_str(&pk, "pro");
    pk_str(&pk, "age");
    msgpack_pack_uint64(&pk, 42);
    pk_str(&pk, "neg");
    msgpack_pack_int64(&pk, -7);
    pk_str(&pk, "big");
    msgpack_pack_uint64(&pk, UINT64_MAX);
    pk_str(&pk, "address");
    msgpack_pack_map(&pk, 1);
    pk_str(&pk, "city");
    pk_str(&pk, "Oslo");
    pk_str(&pk, "vip");
    msgpack_pack_true(&pk);
    pk_str(&pk, "score");
    msgpack_pack_double(&pk, 1.5);
    pk_str(&pk, "nothing");
    msgpack_pack_nil(&pk);
    pk_str(&pk, "tags");
    msgpack_pack_array(&pk, 1);
    pk_str(&pk, "a");
    pk_str(&pk, "name");
    pk_str(&pk, "Ada");
    return pv_take(&sb, len);
}

/* A decoded map, for looking at the output. */
typedef struct {
    msgpack_unpacked  u;
} pv_map_t;

static const msgpack_object *
pv_open(pv_map_t *m, const unsigned char *raw, size_t len)
{
    size_t  off = 0;

    cr_assert_not_null(raw);
    msgpack_unpacked_init(&m->u);
    cr_assert_eq(msgpack_unpack_next(&m->u, (const char *) raw, len, &off),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(off, len, "one value, nothing after it");
    cr_assert_eq(m->u.data.type, MSGPACK_OBJECT_MAP);
    return &m->u.data;
}

static void
pv_close(pv_map_t *m)
{
    msgpack_unpacked_destroy(&m->u);
}

static const msgpack_object *
pv_get(const msgpack_object *map, const char *key)
{
    uint32_t  i;
    size_t    n = strlen(key);

    for (i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv  *kv = &map->via.map.ptr[i];

        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n
            && memcmp(kv->key.via.str.ptr, key, n) == 0)
        {
            return &kv->val;
        }
    }
    return NULL;
}

static void
pv_expect_str(const msgpack_object *map, const char *key, const char *want)
{
    const msgpack_object  *v = pv_get(map, key);

    cr_assert_not_null(v, "key %s missing", key);
    cr_assert_eq(v->type, MSGPACK_OBJECT_STR, "key %s: type %d", key,
                 v->type);
    cr_assert_eq(v->via.str.size, strlen(want), "key %s: %.*s", key,
                 (int) v->via.str.size, v->via.str.ptr);
    cr_assert(memcmp(v->via.str.ptr, want, strlen(want)) == 0,
              "key %s: %.*s, want %s", key, (int) v->via.str.size,
              v->via.str.ptr, want);
}

/* key's value is the pseudonym of s */
static void
pv_expect_pseudo(const msgpack_object *map, const char *key, const char *s)
{
    char  hex[2 * SPOOR_KEYED_HASH_LEN + 1];

    pv_pseudonym(pv_key, s, strlen(s), hex);
    pv_expect_str(map, key, hex);
}

static int
pv_is_lower_hex(const char *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* The untouched traits other than the ones a test looks at (all but
 * email, age, neg, big, address). */
static void
pv_expect_rest(const msgpack_object *m)
{
    const msgpack_object  *v;

    pv_expect_str(m, "plan", "pro");
    pv_expect_str(m, "name", "Ada");
    v = pv_get(m, "vip");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, MSGPACK_OBJECT_BOOLEAN);
    cr_assert_eq(v->via.boolean, true);
    v = pv_get(m, "score");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, MSGPACK_OBJECT_FLOAT64);
    cr_assert(v->via.f64 == 1.5);
    v = pv_get(m, "nothing");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, MSGPACK_OBJECT_NIL);
    v = pv_get(m, "tags");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, MSGPACK_OBJECT_ARRAY);
}

#define PV_OUT_CAP  4096

/* ---- spoor_keyed_hash --------------------------------------------------- */

Test(keyed_hash, reference_is_rfc4231)
{
    /* RFC 4231 test case 2: the reference itself is right */
    static const char  want[] =
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    unsigned char      d[SPOOR_KEYED_HASH_LEN];
    char               hex[65];

    pv_ref_hmac((const unsigned char *) "Jefe", 4,
                (const unsigned char *) "what do ya want for nothing?", 28,
                d);
    pv_hex_of(d, hex);
    cr_assert_str_eq(hex, want);
}

Test(keyed_hash, known_answers)
{
    /* computed independently (Python hmac over the length-prefixed
     * message) */
    spoor_str_t    parts[2];
    unsigned char  d[SPOOR_KEYED_HASH_LEN];
    char           hex[65];

    parts[0] = pv_s("abc");
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, parts, 1, d), SPOOR_OK);
    pv_hex_of(d, hex);
    cr_assert_str_eq(hex, "7f6e98e3463f783667caeb24da1baacd"
                          "823797489e0aeeac95ae30795b3fe61f");

    parts[0] = pv_s("ab");
    parts[1] = pv_s("c");
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, parts, 2, d), SPOOR_OK);
    pv_hex_of(d, hex);
    cr_assert_str_eq(hex, "5bc6970f3a0db5d6b678f1220a24eabf"
                          "c2086547f63d6405e66db856e4eeede5");

    /* no parts: the HMAC of the empty message */
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, NULL, 0, d), SPOOR_OK);
    pv_hex_of(d, hex);
    cr_assert_str_eq(hex, "796cd3078af14636753d26b3b5555422"
                          "ff55a3e261cf847b48e95371b9bd0aa2");
}

Test(keyed_hash, deterministic)
{
    spoor_str_t    parts[3];
    unsigned char  a[SPOOR_KEYED_HASH_LEN], b[SPOOR_KEYED_HASH_LEN];

    parts[0] = pv_s("visitor");
    parts[1] = pv_s("192.0.2.1");
    parts[2] = pv_s("Mozilla/5.0");
    memset(a, 0x11, sizeof(a));
    memset(b, 0x22, sizeof(b));
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, parts, 3, a), SPOOR_OK);
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, parts, 3, b), SPOOR_OK);
    cr_assert(memcmp(a, b, sizeof(a)) == 0);
}

Test(keyed_hash, different_key_different_digest)
{
    spoor_str_t    part = pv_s("user-1");
    unsigned char  a[SPOOR_KEYED_HASH_LEN], b[SPOOR_KEYED_HASH_LEN];

    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, &part, 1, a), SPOOR_OK);
    cr_assert_eq(spoor_keyed_hash(pv_key2, PV_KEY_LEN, &part, 1, b),
                 SPOOR_OK);
    cr_assert(memcmp(a, b, sizeof(a)) != 0);

    /* a key that differs only in length */
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN - 1, &part, 1, b),
                 SPOOR_OK);
    cr_assert(memcmp(a, b, sizeof(a)) != 0);
}

Test(keyed_hash, parts_are_unambiguous)
{
    spoor_str_t    p1[2], p2[2], p3[1], p4[3];
    unsigned char  a[SPOOR_KEYED_HASH_LEN], b[SPOOR_KEYED_HASH_LEN];
    unsigned char  c[SPOOR_KEYED_HASH_LEN], e[SPOOR_KEYED_HASH_LEN];

    p1[0] = pv_s("ab");
    p1[1] = pv_s("c");
    p2[0] = pv_s("a");
    p2[1] = pv_s("bc");
    p3[0] = pv_s("abc");
    p4[0] = pv_s("abc");
    p4[1] = pv_s("");
    p4[2] = pv_s("");
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, p1, 2, a), SPOOR_OK);
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, p2, 2, b), SPOOR_OK);
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, p3, 1, c), SPOOR_OK);
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, p4, 3, e), SPOOR_OK);
    cr_assert(memcmp(a, b, sizeof(a)) != 0);
    cr_assert(memcmp(a, c, sizeof(a)) != 0);
    cr_assert(memcmp(b, c, sizeof(a)) != 0);
    cr_assert(memcmp(c, e, sizeof(a)) != 0);     /* empty parts count */
}

Test(keyed_hash, matches_openssl)
{
    static const char  bin[] = "nul\0inside";
    spoor_str_t        parts[4];
    unsigned char      got[SPOOR_KEYED_HASH_LEN], want[SPOOR_KEYED_HASH_LEN];
    char              *big;
    size_t             n;

    big = malloc(100000);
    cr_assert_not_null(big);
    memset(big, 'x', 100000);

    parts[0] = pv_s("ab");
    parts[1] = pv_s("c");
    parts[2].data = bin;
    parts[2].len = sizeof(bin) - 1;
    parts[3].data = big;
    parts[3].len = 100000;

    for (n = 0; n <= 4; n++) {
        cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, parts, n, got),
                     SPOOR_OK, "n %zu", n);
        pv_ref_keyed(pv_key, PV_KEY_LEN, parts, n, want);
        cr_assert(memcmp(got, want, sizeof(got)) == 0, "n %zu", n);
    }

    /* a key longer than SHA-256's block, and a short one */
    cr_assert_eq(spoor_keyed_hash((const unsigned char *) big, 200, parts, 2,
                                  got), SPOOR_OK);
    pv_ref_keyed((const unsigned char *) big, 200, parts, 2, want);
    cr_assert(memcmp(got, want, sizeof(got)) == 0);
    cr_assert_eq(spoor_keyed_hash((const unsigned char *) "k", 1, parts, 2,
                                  got), SPOOR_OK);
    pv_ref_keyed((const unsigned char *) "k", 1, parts, 2, want);
    cr_assert(memcmp(got, want, sizeof(got)) == 0);
    free(big);
}

/* Parts of every length around the 256-byte buffer the hash gathers
 * them in, one, two or three of them, one-shot and with a prepared key. */
Test(keyed_hash, parts_across_the_gather_buffer)
{
    static const size_t  lens[] = { 0, 1, 239, 240, 247, 248, 249, 255, 256,
                                    257, 263, 264, 511, 512, 513, 1000 };
    spoor_str_t          parts[3];
    unsigned char        got[SPOOR_KEYED_HASH_LEN],
                         with[SPOOR_KEYED_HASH_LEN],
                         want[SPOOR_KEYED_HASH_LEN];
    char                 buf[3][1000];
    spoor_keyed_t       *k;
    size_t               a, b, n, i;

    for (i = 0; i < sizeof(buf); i++) {
        ((char *) buf)[i] = (char) (i * 7 + 3);
    }
    k = spoor_keyed_new(pv_key, PV_KEY_LEN);
    cr_assert_not_null(k);

    for (a = 0; a < sizeof(lens) / sizeof(lens[0]); a++) {
        for (b = 0; b < sizeof(lens) / sizeof(lens[0]); b++) {
            parts[0].data = buf[0];
            parts[0].len = lens[a];
            parts[1].data = buf[1];
            parts[1].len = lens[b];
            parts[2].data = buf[2];
            parts[2].len = lens[(a + b) % (sizeof(lens) / sizeof(lens[0]))];
            for (n = 1; n <= 3; n++) {
                pv_ref_keyed(pv_key, PV_KEY_LEN, parts, n, want);
                cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, parts, n,
                                              got), SPOOR_OK);
                cr_assert_eq(spoor_keyed_hash_with(k, parts, n, with),
                             SPOOR_OK);
                cr_assert(memcmp(got, want, sizeof(got)) == 0,
                          "%zu %zu, %zu parts", lens[a], lens[b], n);
                cr_assert(memcmp(with, want, sizeof(with)) == 0,
                          "prepared: %zu %zu, %zu parts", lens[a], lens[b],
                          n);
            }
        }
    }
    spoor_keyed_free(k);
}


Test(keyed_hash, null_part_is_empty)
{
    spoor_str_t    a[2], b[2];
    unsigned char  x[SPOOR_KEYED_HASH_LEN], y[SPOOR_KEYED_HASH_LEN];

    a[0].data = NULL;
    a[0].len = 5;                      /* ignored: data NULL */
    a[1] = pv_s("z");
    b[0] = pv_s("");
    b[1] = pv_s("z");
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, a, 2, x), SPOOR_OK);
    cr_assert_eq(spoor_keyed_hash(pv_key, PV_KEY_LEN, b, 2, y), SPOOR_OK);
    cr_assert(memcmp(x, y, sizeof(x)) == 0);
}

Test(keyed_hash, invalid_key)
{
    static const unsigned char  zero[SPOOR_KEYED_HASH_LEN];
    spoor_str_t                 part = pv_s("abc");
    unsigned char               d[SPOOR_KEYED_HASH_LEN];

    memset(d, 0xa5, sizeof(d));
    cr_assert_eq(spoor_keyed_hash(NULL, PV_KEY_LEN, &part, 1, d),
                 SPOOR_E_INVAL);
    cr_assert(memcmp(d, zero, sizeof(d)) == 0);

    memset(d, 0xa5, sizeof(d));
    cr_assert_eq(spoor_keyed_hash(pv_key, 0, &part, 1, d), SPOOR_E_INVAL);
    cr_assert(memcmp(d, zero, sizeof(d)) == 0);

    memset(d, 0xa5, sizeof(d));
    cr_assert_eq(spoor_keyed_hash(NULL, 0, NULL, 0, d), SPOOR_E_INVAL);
    cr_assert(memcmp(d, zero, sizeof(d)) == 0);
}

Test(keyed_hash, hex)
{
    unsigned char  d[SPOOR_KEYED_HASH_LEN];
    char           out[2 * SPOOR_KEYED_HASH_LEN + 2];
    size_t         i;

    for (i = 0; i < sizeof(d); i++) {
        d[i] = (unsigned char) (i * 0x11 + 0x0f);
    }
    d[0] = 0x00;
    d[1] = 0xff;
    d[2] = 0xab;
    d[3] = 0x9c;

    memset(out, '#', sizeof(out));
    spoor_hex(d, 4, out);
    cr_assert(memcmp(out, "00ffab9c", 8) == 0, "%.8s", out);
    cr_assert_eq(out[8], '#', "no NUL, nothing past 2 * bytes");

    memset(out, '#', sizeof(out));
    spoor_hex(d, 0, out);
    cr_assert_eq(out[0], '#');

    memset(out, '#', sizeof(out));
    spoor_hex(d, SPOOR_KEYED_HASH_LEN, out);
    cr_assert_eq(out[2 * SPOOR_KEYED_HASH_LEN], '#');
    for (i = 0; i < SPOOR_KEYED_HASH_LEN; i++) {
        char  want[3];

        snprintf(want, sizeof(want), "%02x", d[i]);
        cr_assert(out[2 * i] == want[0] && out[2 * i + 1] == want[1],
                  "byte %zu", i);
    }
}

/* ---- spoor_browser_family ----------------------------------------------- */

static void
ua_expect(const char *ua, const char *family)
{
    size_t       n = strlen(ua);
    char        *copy = malloc(n ? n : 1);
    const char  *got;

    cr_assert_not_null(copy);
    memcpy(copy, ua, n);
    got = spoor_browser_family(copy, n);
    free(copy);
    cr_assert_not_null(got, "%s", ua);
    cr_assert_str_eq(got, family, "%s", ua);
}

Test(useragent, browsers)
{
    ua_expect("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome");
    ua_expect("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
              "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 "
              "Mobile/15E148 Safari/604.1", "Chrome");
    ua_expect("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
              "Firefox/121.0", "Firefox");
    ua_expect("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
              "AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 "
              "Mobile/15E148 Safari/605.1.15", "Firefox");
    ua_expect("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
              "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
              "Safari/605.1.15", "Safari");
    ua_expect("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) "
              "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 "
              "Mobile/15E148 Safari/604.1", "Safari");
    /* an in-app web view: no Safari/ token */
    ua_expect("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
              "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
              "Safari");
    ua_expect("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
              "Edg/120.0.2210.91", "Edge");
    ua_expect("Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/120.0.6099.144 Mobile "
              "Safari/537.36 EdgA/120.0.2210.115", "Edge");
    ua_expect("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
              "OPR/106.0.0.0", "Opera");
    ua_expect("Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.289 "
              "Version/12.02", "Opera");
    ua_expect("Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 "
              "(KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 "
              "Mobile Safari/537.36", "Samsung Internet");
    ua_expect("Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) "
              "like Gecko", "Internet Explorer");
    ua_expect("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)",
              "Internet Explorer");
}

Test(useragent, bots_and_others)
{
    ua_expect("Mozilla/5.0 (compatible; Googlebot/2.1; "
              "+http://www.google.com/bot.html)", "Bot");
    ua_expect("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
              "Googlebot/2.1; +http://www.google.com/bot.html) "
              "Chrome/120.0.6099.129 Safari/537.36", "Bot");
    ua_expect("Mozilla/5.0 (compatible; bingbot/2.0; "
              "+http://www.bing.com/bingbot.htm)", "Bot");
    ua_expect("Mozilla/5.0 (compatible; Yahoo! Slurp; "
              "http://help.yahoo.com/help/us/ysearch/slurp)", "Bot");
    ua_expect("Sogou web SPIDER/4.0", "Bot");
    ua_expect("CCBot/2.0 (https://commoncrawl.org/faq/)", "Bot");
    ua_expect("some-CRAWLER", "Bot");
    ua_expect("curl/8.5.0", "Other");
    ua_expect("Wget/1.21.3", "Other");
    ua_expect("python-requests/2.31.0", "Other");
    ua_expect("x", "Other");
    /* case-sensitive tokens */
    ua_expect("chrome/120", "Other");
    ua_expect("firefox/121", "Other");
}

Test(useragent, empty)
{
    cr_assert_str_eq(spoor_browser_family(NULL, 0), "Other");
    cr_assert_str_eq(spoor_browser_family("", 0), "Other");
    /* only len bytes are read */
    cr_assert_str_eq(spoor_browser_family("Firefox/121", 7), "Other");
    cr_assert_str_eq(spoor_browser_family("Firefox/121", 8), "Firefox");
}

/* ---- spoor_privacy_needed ----------------------------------------------- */

Test(privacy, needed_truth_table)
{
    spoor_str_t      name = pv_s("email");
    spoor_privacy_t  pv;
    int              sens, pseudo, uid, pers, want;

    for (sens = 0; sens < 2; sens++)
    for (pseudo = 0; pseudo < 2; pseudo++)
    for (uid = 0; uid < 2; uid++)
    for (pers = 0; pers < 2; pers++) {
        memset(&pv, 0, sizeof(pv));
        pv.sensitive = &name;
        pv.nsensitive = (size_t) sens;
        pv.pseudo = &name;
        pv.npseudo = (size_t) pseudo;
        pv.pseudo_user_id = uid;
        pv.key = pv_key;
        pv.key_len = PV_KEY_LEN;
        want = pseudo || uid || (sens && !pers);
        cr_assert_eq(!!spoor_privacy_needed(&pv, pers), want,
                     "sens %d pseudo %d uid %d pers %d", sens, pseudo, uid,
                     pers);
    }

    /* personalization is a truth value, not just 1 */
    memset(&pv, 0, sizeof(pv));
    pv.sensitive = &name;
    pv.nsensitive = 1;
    cr_assert_eq(!!spoor_privacy_needed(&pv, 0x04), 0);
}

/* ---- spoor_privacy_apply: traits ---------------------------------------- */

Test(privacy, sensitive_removed_only_when_strip)
{
    static const char *const  sens[] = { "email", "age", "address", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;
    pv_map_t                  m;
    const msgpack_object     *o;

    pv_settings(&st, sens, NULL, 1);
    raw = pv_traits(&len);

    /* strip 0: nothing changes, the raw bytes stay where they were */
    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.traits.raw, raw);
    cr_assert_eq(ev.traits.raw_len, len);
    cr_assert_eq(out.len, 0u);

    /* strip 1: email, age and address go */
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.traits.raw, mem);
    cr_assert_eq(ev.traits.raw_len, out.len);
    cr_assert_null(ev.traits.obj);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, PV_TRAITS_N - 3u);
    cr_assert_null(pv_get(o, "email"));
    cr_assert_null(pv_get(o, "age"));
    cr_assert_null(pv_get(o, "address"));
    cr_assert_eq(pv_get(o, "neg")->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
    cr_assert_eq(pv_get(o, "neg")->via.i64, -7);
    cr_assert_not_null(pv_get(o, "big"));
    pv_expect_rest(o);
    pv_close(&m);
    free(raw);
}

Test(privacy, pseudonymized_string_and_integers)
{
    static const char *const  pseudo[] = { "email", "age", "neg", "big",
                                           NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;
    pv_map_t                  m;
    const msgpack_object     *o, *v;

    pv_settings(&st, NULL, pseudo, 1);
    raw = pv_traits(&len);
    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));

    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, (uint32_t) PV_TRAITS_N);
    pv_expect_pseudo(o, "email", "x@example.com");
    pv_expect_pseudo(o, "age", "42");
    pv_expect_pseudo(o, "neg", "-7");
    pv_expect_pseudo(o, "big", "18446744073709551615");
    v = pv_get(o, "email");
    cr_assert_eq(v->via.str.size, (uint32_t) SPOOR_PSEUDONYM_LEN);
    cr_assert(pv_is_lower_hex(v->via.str.ptr, v->via.str.size));
    pv_expect_rest(o);
    pv_close(&m);

    /* stable: the same input gives the same output */
    {
        unsigned char  mem2[PV_OUT_CAP];
        spoor_event_t  ev2;

        spoor_event_init(&ev2);
        ev2.traits.raw = raw;
        ev2.traits.raw_len = len;
        spoor_buf_init(&out, mem2, sizeof(mem2));
        cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev2, &out), SPOOR_OK);
        cr_assert_eq(ev2.traits.raw_len, ev.traits.raw_len);
        cr_assert(memcmp(ev2.traits.raw, ev.traits.raw, ev.traits.raw_len)
                  == 0);
    }
    free(raw);
}

Test(privacy, pseudonymized_other_values_removed)
{
    static const char *const  pseudo[] = { "address", "vip", "score",
                                           "nothing", "tags", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;
    pv_map_t                  m;
    const msgpack_object     *o;

    pv_settings(&st, NULL, pseudo, 1);
    raw = pv_traits(&len);
    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));

    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, PV_TRAITS_N - 5u);
    cr_assert_null(pv_get(o, "address"));
    cr_assert_null(pv_get(o, "vip"));
    cr_assert_null(pv_get(o, "score"));
    cr_assert_null(pv_get(o, "nothing"));
    cr_assert_null(pv_get(o, "tags"));
    pv_expect_str(o, "email", "x@example.com");
    pv_expect_str(o, "plan", "pro");
    pv_expect_str(o, "name", "Ada");
    pv_close(&m);
    free(raw);
}

Test(privacy, pseudonymized_without_key_removed)
{
    static const char *const  pseudo[] = { "email", "age", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;
    pv_map_t                  m;
    const msgpack_object     *o;

    pv_settings(&st, NULL, pseudo, 0);
    raw = pv_traits(&len);
    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));

    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, PV_TRAITS_N - 2u);
    cr_assert_null(pv_get(o, "email"));
    cr_assert_null(pv_get(o, "age"));
    pv_expect_rest(o);
    pv_close(&m);
    free(raw);
}

Test(privacy, removal_wins_over_pseudonym)
{
    static const char *const  both[] = { "email", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;
    pv_map_t                  m;
    const msgpack_object     *o;

    pv_settings(&st, both, both, 1);
    raw = pv_traits(&len);

    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, PV_TRAITS_N - 1u);
    cr_assert_null(pv_get(o, "email"));
    pv_close(&m);

    /* not stripped: pseudonymized */
    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, (uint32_t) PV_TRAITS_N);
    pv_expect_pseudo(o, "email", "x@example.com");
    pv_close(&m);
    free(raw);
}

Test(privacy, names_match_exactly)
{
    static const char *const  sens[] = { "Email", "emai", "email ", "plan",
                                         NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;
    pv_map_t                  m;
    const msgpack_object     *o;

    pv_settings(&st, sens, NULL, 1);
    raw = pv_traits(&len);
    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, PV_TRAITS_N - 1u);
    cr_assert_null(pv_get(o, "plan"));
    pv_expect_str(o, "email", "x@example.com");
    pv_close(&m);
    free(raw);
}

Test(privacy, nested_names_untouched)
{
    static const char *const  sens[] = { "city", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;

    pv_settings(&st, sens, sens, 1);
    raw = pv_traits(&len);
    spoor_event_init(&ev);
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.traits.raw, raw);            /* only the top level */
    cr_assert_eq(ev.traits.raw_len, len);
    free(raw);
}

Test(privacy, obj_form)
{
    static const char *const  sens[] = { "age", NULL };
    static const char *const  pseudo[] = { "email", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len, off = 0;
    msgpack_zone              zone;
    msgpack_object            obj;
    pv_map_t                  m;
    const msgpack_object     *o;

    pv_settings(&st, sens, pseudo, 1);
    raw = pv_traits(&len);
    cr_assert(msgpack_zone_init(&zone, 1024));
    cr_assert_eq(msgpack_unpack((const char *) raw, len, &off, &zone, &obj),
                 MSGPACK_UNPACK_SUCCESS);

    spoor_event_init(&ev);
    ev.traits.obj = &obj;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.traits.raw, mem);
    cr_assert_eq(ev.traits.raw_len, out.len);
    cr_assert_null(ev.traits.obj);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, PV_TRAITS_N - 1u);
    cr_assert_null(pv_get(o, "age"));
    pv_expect_pseudo(o, "email", "x@example.com");
    pv_expect_rest(o);
    pv_close(&m);

    /* strip 0: age stays, email is still pseudonymized */
    spoor_event_init(&ev);
    ev.traits.obj = &obj;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.traits.raw, mem);
    cr_assert_null(ev.traits.obj);
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, (uint32_t) PV_TRAITS_N);
    pv_expect_pseudo(o, "email", "x@example.com");
    cr_assert_eq(pv_get(o, "age")->via.u64, 42u);
    pv_close(&m);

    /* nothing to do: the object is left as it was */
    {
        static const char *const  only_sens[] = { "age", NULL };

        pv_settings(&st, only_sens, NULL, 1);
        spoor_event_init(&ev);
        ev.traits.obj = &obj;
        spoor_buf_init(&out, mem, sizeof(mem));
        cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
        cr_assert_null(ev.traits.raw);
        cr_assert_eq(ev.traits.obj, &obj);
        cr_assert_eq(out.len, 0u);
    }

    msgpack_zone_destroy(&zone);
    free(raw);
}

Test(privacy, encodes_afterwards)
{
    static const char *const  sens[] = { "age", NULL };
    static const char *const  pseudo[] = { "email", NULL };
    pv_settings_t             st;
    spoor_event_t             ev, back;
    spoor_buf_t               out, rec;
    unsigned char             mem[PV_OUT_CAP], recmem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len;
    msgpack_zone              zone;

    pv_settings(&st, sens, pseudo, 1);
    st.pv.pseudo_user_id = 1;
    raw = pv_traits(&len);
    spoor_event_init(&ev);
    ev.received_ms = 1700000000000;
    ev.kind = SPOOR_KIND_IDENTIFY;
    ev.user_id = pv_s("user-1");
    ev.traits.raw = raw;
    ev.traits.raw_len = len;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);

    spoor_buf_init(&rec, recmem, sizeof(recmem));
    cr_assert_eq(spoor_event_encode(&ev, &rec), SPOOR_OK);
    cr_assert(msgpack_zone_init(&zone, 4096));
    cr_assert_eq(spoor_event_decode(rec.data, rec.len, &back),
                 SPOOR_OK);
    cr_assert_eq(back.user_id.len, (size_t) SPOOR_PSEUDONYM_LEN);
    {
        spoor_mp_item_t  it = { 0 };
        size_t           off = 0;

        cr_assert_not_null(back.traits.raw);
        cr_assert_eq(spoor_mp_read(back.traits.raw, back.traits.raw_len, &off,
                                   &it), SPOOR_OK);
        cr_assert_eq(it.type, SPOOR_MP_MAP);
        cr_assert_eq(it.len, PV_TRAITS_N - 1u);
    }
    msgpack_zone_destroy(&zone);
    free(raw);
}

/* ---- spoor_privacy_apply: user id --------------------------------------- */

Test(privacy, user_id_pseudonymized)
{
    pv_settings_t   st;
    spoor_event_t   ev;
    spoor_buf_t     out;
    unsigned char   mem[PV_OUT_CAP];
    char            want[65], first[65];
    char           *uid;

    uid = malloc(6);
    cr_assert_not_null(uid);
    memcpy(uid, "user-1", 6);

    pv_settings(&st, NULL, NULL, 1);
    st.pv.pseudo_user_id = 1;

    spoor_event_init(&ev);
    ev.user_id.data = uid;
    ev.user_id.len = 6;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    pv_pseudonym(pv_key, "user-1", 6, want);
    cr_assert_eq(ev.user_id.len, (size_t) SPOOR_PSEUDONYM_LEN);
    cr_assert(memcmp(ev.user_id.data, want, SPOOR_PSEUDONYM_LEN) == 0,
              "%.64s != %s", ev.user_id.data, want);
    cr_assert(pv_is_lower_hex(ev.user_id.data, ev.user_id.len));
    cr_assert_eq(out.len, (size_t) SPOOR_PSEUDONYM_LEN);
    cr_assert_eq((const unsigned char *) ev.user_id.data, mem);
    memcpy(first, ev.user_id.data, SPOOR_PSEUDONYM_LEN);

    /* same input, same output */
    ev.user_id.data = uid;
    ev.user_id.len = 6;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
    cr_assert(memcmp(ev.user_id.data, first, SPOOR_PSEUDONYM_LEN) == 0);

    /* another user, another pseudonym */
    uid[5] = '2';
    ev.user_id.data = uid;
    ev.user_id.len = 6;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    cr_assert(memcmp(ev.user_id.data, first, SPOOR_PSEUDONYM_LEN) != 0);
    uid[5] = '1';

    /* another key, another pseudonym */
    st.pv.key = pv_key2;
    ev.user_id.data = uid;
    ev.user_id.len = 6;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.user_id.len, (size_t) SPOOR_PSEUDONYM_LEN);
    cr_assert(memcmp(ev.user_id.data, first, SPOOR_PSEUDONYM_LEN) != 0);

    /* not asked for: kept */
    st.pv.pseudo_user_id = 0;
    ev.user_id.data = uid;
    ev.user_id.len = 6;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.user_id.data, uid);
    cr_assert_eq(ev.user_id.len, 6u);

    /* absent: stays absent */
    st.pv.pseudo_user_id = 1;
    ev.user_id.data = NULL;
    ev.user_id.len = 0;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    cr_assert_null(ev.user_id.data);
    cr_assert_eq(out.len, 0u);
    free(uid);
}

Test(privacy, user_id_without_key_removed)
{
    pv_settings_t   st;
    spoor_event_t   ev;
    spoor_buf_t     out;
    unsigned char   mem[PV_OUT_CAP];

    pv_settings(&st, NULL, NULL, 0);
    st.pv.pseudo_user_id = 1;
    spoor_event_init(&ev);
    ev.user_id = pv_s("user-1");
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_E_INVAL);
    cr_assert_null(ev.user_id.data);
    cr_assert_eq(ev.user_id.len, 0u);
}

Test(privacy, user_id_no_room_removed)
{
    pv_settings_t   st;
    spoor_event_t   ev;
    spoor_buf_t     out;
    unsigned char   mem[SPOOR_PSEUDONYM_LEN];

    pv_settings(&st, NULL, NULL, 1);
    st.pv.pseudo_user_id = 1;
    spoor_event_init(&ev);
    ev.user_id = pv_s("user-1");
    spoor_buf_init(&out, mem, SPOOR_PSEUDONYM_LEN - 1);
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_E_FULL);
    cr_assert_null(ev.user_id.data);
    cr_assert_eq(ev.user_id.len, 0u);
    cr_assert_eq(out.len, 0u);

    /* exactly enough */
    ev.user_id = pv_s("user-1");
    spoor_buf_init(&out, mem, SPOOR_PSEUDONYM_LEN);
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_OK);
    cr_assert_eq(ev.user_id.len, (size_t) SPOOR_PSEUDONYM_LEN);
    cr_assert_eq(out.len, (size_t) SPOOR_PSEUDONYM_LEN);
}

/* ---- spoor_privacy_apply: context.traits -------------------------------- */

/* { "library": {"name": "spoor.js", "version": "1.2.3"},
 *   "traits": <the traits>, "locale": "en-US" } */
static unsigned char *
pv_context(size_t *len)
{
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    unsigned char   *traits;
    size_t           tlen;

    traits = pv_traits(&tlen);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pk_str(&pk, "library");
    msgpack_pack_map(&pk, 2);
    pk_str(&pk, "name");
    pk_str(&pk, "spoor.js");
    pk_str(&pk, "version");
    pk_str(&pk, "1.2.3");
    pk_str(&pk, "traits");
    msgpack_sbuffer_write(&sb, (const char *) traits, tlen);
    pk_str(&pk, "locale");
    pk_str(&pk, "en-US");
    free(traits);
    return pv_take(&sb, len);
}

static void
pv_check_context(const unsigned char *raw, size_t len)
{
    pv_map_t               m;
    const msgpack_object  *o, *lib, *t;

    o = pv_open(&m, raw, len);
    cr_assert_eq(o->via.map.size, 3u);
    pv_expect_str(o, "locale", "en-US");
    lib = pv_get(o, "library");
    cr_assert_not_null(lib);
    cr_assert_eq(lib->type, MSGPACK_OBJECT_MAP);
    cr_assert_eq(lib->via.map.size, 2u);
    pv_expect_str(lib, "name", "spoor.js");
    pv_expect_str(lib, "version", "1.2.3");

    t = pv_get(o, "traits");
    cr_assert_not_null(t);
    cr_assert_eq(t->type, MSGPACK_OBJECT_MAP);
    cr_assert_eq(t->via.map.size, PV_TRAITS_N - 2u);
    cr_assert_null(pv_get(t, "address"));       /* sensitive */
    cr_assert_null(pv_get(t, "vip"));           /* pseudo, a boolean */
    pv_expect_pseudo(t, "email", "x@example.com");
    pv_expect_pseudo(t, "age", "42");
    pv_expect_str(t, "plan", "pro");
    pv_expect_str(t, "name", "Ada");
    pv_close(&m);
}

Test(privacy, context_traits_filtered)
{
    static const char *const  sens[] = { "address", "locale", "library",
                                         NULL };
    static const char *const  pseudo[] = { "email", "age", "vip", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *ctx, *traits;
    size_t                    clen, tlen;
    pv_map_t                  m;
    const msgpack_object     *o;

    pv_settings(&st, sens, pseudo, 1);
    ctx = pv_context(&clen);
    traits = pv_traits(&tlen);

    spoor_event_init(&ev);
    ev.traits.raw = traits;
    ev.traits.raw_len = tlen;
    ev.context.raw = ctx;
    ev.context.raw_len = clen;
    spoor_buf_init(&out, mem, sizeof(mem));
    cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);

    /* context keys named like traits are not traits: only context.traits
     * is filtered */
    cr_assert_null(ev.context.obj);
    cr_assert(ev.context.raw >= mem && ev.context.raw < mem + out.len);
    pv_check_context(ev.context.raw, ev.context.raw_len);

    /* the event's own traits, the same way */
    o = pv_open(&m, ev.traits.raw, ev.traits.raw_len);
    cr_assert_eq(o->via.map.size, PV_TRAITS_N - 2u);
    pv_expect_pseudo(o, "email", "x@example.com");
    cr_assert_null(pv_get(o, "address"));
    pv_close(&m);

    /* the object form of the context */
    {
        msgpack_zone    zone;
        msgpack_object  obj;
        size_t          off = 0;

        cr_assert(msgpack_zone_init(&zone, 1024));
        cr_assert_eq(msgpack_unpack((const char *) ctx, clen, &off, &zone,
                                    &obj), MSGPACK_UNPACK_SUCCESS);
        spoor_event_init(&ev);
        ev.context.obj = &obj;
        spoor_buf_init(&out, mem, sizeof(mem));
        cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
        cr_assert_null(ev.context.obj);
        pv_check_context(ev.context.raw, ev.context.raw_len);
        msgpack_zone_destroy(&zone);
    }

    /* nothing to filter in context.traits: the context is kept as is */
    {
        static const char *const  other[] = { "locale", NULL };

        pv_settings(&st, other, NULL, 1);
        spoor_event_init(&ev);
        ev.context.raw = ctx;
        ev.context.raw_len = clen;
        spoor_buf_init(&out, mem, sizeof(mem));
        cr_assert_eq(spoor_privacy_apply(&st.pv, 1, &ev, &out), SPOOR_OK);
        cr_assert_eq(ev.context.raw, ctx);
        cr_assert_eq(ev.context.raw_len, clen);
        cr_assert_eq(out.len, 0u);
    }
    free(ctx);
    free(traits);
}

/* ---- spoor_privacy_apply: no room --------------------------------------- */

Test(privacy, traits_no_room_removed)
{
    static const char *const  pseudo[] = { "email", "age", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *raw;
    size_t                    len, cap;
    int                       rc;

    pv_settings(&st, NULL, pseudo, 1);
    raw = pv_traits(&len);

    /* every capacity short of what the map needs fails closed */
    for (cap = 0; cap < 1000; cap++) {
        spoor_event_init(&ev);
        ev.traits.raw = raw;
        ev.traits.raw_len = len;
        spoor_buf_init(&out, mem, cap);
        rc = spoor_privacy_apply(&st.pv, 0, &ev, &out);
        if (rc == SPOOR_OK) {
            break;
        }
        cr_assert_eq(rc, SPOOR_E_FULL, "cap %zu", cap);
        cr_assert_null(ev.traits.raw, "cap %zu", cap);
        cr_assert_null(ev.traits.obj, "cap %zu", cap);
        cr_assert_eq(out.len, 0u, "cap %zu", cap);
    }
    /* two pseudonyms alone take 132 bytes */
    cr_assert(cap >= 2 * (SPOOR_PSEUDONYM_LEN + 2), "fit in %zu", cap);
    cr_assert(cap < 1000);
    cr_assert_eq(ev.traits.raw, mem);
    cr_assert_eq(out.len, cap, "the map fills the buffer exactly");

    /* the obj form too */
    {
        msgpack_zone    zone;
        msgpack_object  obj;
        size_t          off = 0;

        cr_assert(msgpack_zone_init(&zone, 1024));
        cr_assert_eq(msgpack_unpack((const char *) raw, len, &off, &zone,
                                    &obj), MSGPACK_UNPACK_SUCCESS);
        spoor_event_init(&ev);
        ev.traits.obj = &obj;
        spoor_buf_init(&out, mem, 100);
        cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_E_FULL);
        cr_assert_null(ev.traits.raw);
        cr_assert_null(ev.traits.obj);
        msgpack_zone_destroy(&zone);
    }
    free(raw);
}

Test(privacy, context_no_room_removed)
{
    static const char *const  pseudo[] = { "email", NULL };
    pv_settings_t             st;
    spoor_event_t             ev;
    spoor_buf_t               out;
    unsigned char             mem[PV_OUT_CAP];
    unsigned char            *ctx;
    size_t                    clen;

    pv_settings(&st, NULL, pseudo, 1);
    ctx = pv_context(&clen);
    spoor_event_init(&ev);
    ev.context.raw = ctx;
    ev.context.raw_len = clen;
    ev.user_id = pv_s("u");
    spoor_buf_init(&out, mem, 40);
    cr_assert_eq(spoor_privacy_apply(&st.pv, 0, &ev, &out), SPOOR_E_FULL);
    cr_assert_null(ev.context.raw);
    cr_assert_null(ev.context.obj);
    cr_assert_eq(out.len, 0u);
    /* the user id was not to be pseudonymized: kept */
    cr_assert_eq(ev.user_id.len, 1u);
    free(ctx);
}

/* ---- spoor_anonymize ---------------------------------------------------- */

static void
pv_expect_s(spoor_str_t s, const char *want, const char *what)
{
    if (want == NULL) {
        cr_assert_null(s.data, "%s: %.*s", what, (int) s.len,
                       s.data ? s.data : "");
        cr_assert_eq(s.len, 0u, "%s", what);
        return;
    }
    cr_assert_not_null(s.data, "%s", what);
    cr_assert_eq(s.len, strlen(want), "%s: %.*s", what, (int) s.len, s.data);
    cr_assert(memcmp(s.data, want, s.len) == 0, "%s: %.*s, want %s", what,
              (int) s.len, s.data, want);
}

Test(privacy, anonymize)
{
    static const unsigned char  props[] = { 0x81, 0xa1, 'a', 0x01 };
    static const unsigned char  blob[] = { 0x80 };
    static const unsigned char  zero16[16];
    spoor_event_t               ev;
    msgpack_object              obj;

    obj.type = MSGPACK_OBJECT_NIL;

    spoor_event_init(&ev);
    ev.received_ms = 1700000000000;
    ev.kind = SPOOR_KIND_TRACK;
    ev.name = pv_s("Signed Up");
    ev.message_id = pv_s("m-1");
    ev.visitor_id = pv_s("v-1");
    ev.anonymous_id = pv_s("a-1");
    ev.user_id = pv_s("u-1");
    ev.cookieless_id = pv_s("c-1");
    ev.group_id = pv_s("g-1");
    ev.previous_id = pv_s("p-1");
    ev.properties.raw = props;
    ev.properties.raw_len = sizeof(props);
    ev.traits.raw = blob;
    ev.traits.raw_len = sizeof(blob);
    ev.traits.obj = &obj;
    ev.context.raw = blob;
    ev.context.raw_len = sizeof(blob);
    ev.context.obj = &obj;
    ev.url = pv_s("https://a.example/p?q=1#x");
    ev.title = pv_s("Title");
    ev.referrer = pv_s("https://r.example/s#frag?notquery");
    ev.campaign.source = pv_s("news");
    ev.user_agent = pv_s("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) "
                         "Gecko/20100101 Firefox/121.0");
    ev.language = pv_s("en-US");
    ev.timezone = pv_s("Europe/Oslo");
    ev.ip_len = 16;
    memset(ev.ip, 0x20, sizeof(ev.ip));
    ev.has_geo = 1;
    ev.geo.country = pv_s("NO");
    ev.geo.continent = pv_s("EU");
    ev.geo.region = pv_s("03");
    ev.geo.city = pv_s("Oslo");
    ev.geo.postal = pv_s("0150");
    ev.geo.timezone = pv_s("Europe/Oslo");
    ev.geo.as_org = pv_s("Telenor");
    ev.geo.eu = 0;
    ev.geo.has_location = 1;
    ev.geo.latitude = 59.9;
    ev.geo.longitude = 10.7;
    ev.geo.accuracy_km = 20;
    ev.geo.asn = 2119;

    spoor_anonymize(&ev);

    pv_expect_s(ev.visitor_id, NULL, "visitor_id");
    pv_expect_s(ev.anonymous_id, NULL, "anonymous_id");
    pv_expect_s(ev.user_id, NULL, "user_id");
    pv_expect_s(ev.cookieless_id, NULL, "cookieless_id");
    pv_expect_s(ev.group_id, NULL, "group_id");
    pv_expect_s(ev.previous_id, NULL, "previous_id");
    cr_assert_eq(ev.ip_len, 0u);
    cr_assert(memcmp(ev.ip, zero16, 16) == 0);
    cr_assert_null(ev.traits.raw);
    cr_assert_null(ev.traits.obj);
    cr_assert_eq(ev.traits.raw_len, 0u);
    cr_assert_null(ev.context.raw);
    cr_assert_null(ev.context.obj);
    cr_assert_eq(ev.context.raw_len, 0u);
    pv_expect_s(ev.user_agent, "Firefox", "user_agent");
    pv_expect_s(ev.url, "https://a.example/p", "url");
    pv_expect_s(ev.referrer, "https://r.example/s", "referrer");

    cr_assert_eq(ev.has_geo, 1);
    pv_expect_s(ev.geo.country, "NO", "country");
    pv_expect_s(ev.geo.continent, "EU", "continent");
    cr_assert_eq(ev.geo.eu, 0);
    pv_expect_s(ev.geo.region, NULL, "region");
    pv_expect_s(ev.geo.city, NULL, "city");
    pv_expect_s(ev.geo.postal, NULL, "postal");
    pv_expect_s(ev.geo.timezone, NULL, "geo.timezone");
    pv_expect_s(ev.geo.as_org, NULL, "as_org");
    cr_assert_eq(ev.geo.has_location, 0);
    cr_assert(ev.geo.latitude == 0.0);
    cr_assert(ev.geo.longitude == 0.0);
    cr_assert_eq(ev.geo.accuracy_km, 0u);
    cr_assert_eq(ev.geo.asn, 0u);

    /* kept */
    cr_assert_eq(ev.received_ms, 1700000000000);
    cr_assert_eq(ev.kind, SPOOR_KIND_TRACK);
    pv_expect_s(ev.name, "Signed Up", "name");
    pv_expect_s(ev.title, "Title", "title");
    pv_expect_s(ev.campaign.source, "news", "campaign.source");
    pv_expect_s(ev.language, "en-US", "language");
    pv_expect_s(ev.timezone, "Europe/Oslo", "timezone");
    cr_assert_eq(ev.properties.raw, props);
    cr_assert_eq(ev.properties.raw_len, sizeof(props));

    /* the record can be written */
    {
        unsigned char  mem[1024];
        spoor_buf_t    out;

        spoor_buf_init(&out, mem, sizeof(mem));
        cr_assert_eq(spoor_event_encode(&ev, &out), SPOOR_OK);
    }
}

Test(privacy, anonymize_edges)
{
    spoor_event_t  ev;

    /* EU member: the flag stays */
    spoor_event_init(&ev);
    ev.has_geo = 1;
    ev.geo.country = pv_s("DE");
    ev.geo.city = pv_s("Berlin");
    ev.geo.eu = 1;
    ev.user_agent = pv_s("");
    ev.url = pv_s("https://a.example/");
    ev.referrer = pv_s("?only=query");
    spoor_anonymize(&ev);
    cr_assert_eq(ev.has_geo, 1);
    pv_expect_s(ev.geo.country, "DE", "country");
    pv_expect_s(ev.geo.city, NULL, "city");
    cr_assert_eq(ev.geo.eu, 1);
    pv_expect_s(ev.user_agent, "Other", "empty agent");
    pv_expect_s(ev.url, "https://a.example/", "url");
    cr_assert_not_null(ev.referrer.data);
    cr_assert_eq(ev.referrer.len, 0u);

    /* absent stays absent */
    spoor_event_init(&ev);
    spoor_anonymize(&ev);
    pv_expect_s(ev.user_agent, NULL, "no agent");
    pv_expect_s(ev.url, NULL, "no url");
    pv_expect_s(ev.referrer, NULL, "no referrer");
    cr_assert_eq(ev.has_geo, 0);

    /* geo with nothing but a city: nothing left */
    spoor_event_init(&ev);
    ev.has_geo = 1;
    ev.geo.city = pv_s("Nowhere");
    ev.user_agent = pv_s("Mozilla/5.0 (compatible; Googlebot/2.1; "
                         "+http://www.google.com/bot.html)");
    spoor_anonymize(&ev);
    cr_assert_eq(ev.has_geo, 0);
    pv_expect_s(ev.geo.city, NULL, "city");
    pv_expect_s(ev.user_agent, "Bot", "bot");
}
