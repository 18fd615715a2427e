/*
 * test_profile_json.c -- a stored profile blob as JSON
 * (analyzer/profile_json.c): what `spoor profile` and `spoor export`
 * print, and that a damaged or forged blob -- any bytes, as a snapshot
 * may hold them -- is refused or printed as valid JSON, never read out of
 * bounds and never makes msgpack-c allocate for elements that are not
 * there.
 *
 * Blobs are built here the way state.c writes them: a map with "id",
 * "ids" (an array of [kind, id] pairs) and "state" (profile_pack).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include <yajl/yajl_tree.h>
#include "error.h"
#include "json_out.h"
#include "profile.h"
#include "profile_json.h"
#include "sanitized.h"


/*
 * The largest malloc() request made while `watching`: msgpack-c asks
 * for a container's elements from the count in its header, so a lying
 * header shows here (the request fails, and the caller sees only a format
 * error).  Under AddressSanitizer malloc is ASan's and such a request
 * aborts the test by itself.
 */
/* The profiles' strings of every test (reachable to the end). */
static intern_t  strings;
static size_t  largest;
static int     watching;

#ifndef SPOOR_SANITIZED
extern void *__libc_malloc(size_t n);

void *
malloc(size_t n)
{
    if (watching && n > largest) {
        largest = n;
    }
    return __libc_malloc(n);
}
#endif


static void
pk_cstr(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}


/*
 * A blob: {"id": "p1", "ids": [["u", "user-1"]], "state": profile,
 * EXTRA_KEY: extra} (extra: msgpack bytes, packed as they are; NULL for
 * none).  p NULL: an empty profile.
 */
static msgpack_sbuffer
blob_of(const profile_t *p, const char *extra_key,
    const unsigned char *extra, size_t extra_len)
{
    msgpack_sbuffer   sb;
    msgpack_packer    pk;
    profile_t        *empty = NULL;

    if (p == NULL) {
        empty = profile_new();
        cr_assert_not_null(empty);
        p = empty;
    }
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, extra ? 4 : 3);
    pk_cstr(&pk, "id");
    pk_cstr(&pk, "p1");
    pk_cstr(&pk, "ids");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 2);
    pk_cstr(&pk, "u");
    pk_cstr(&pk, "user-1");
    pk_cstr(&pk, "state");
    cr_assert_eq(profile_pack(p, &strings, &pk), SPOOR_OK);
    if (extra) {
        pk_cstr(&pk, extra_key);
        msgpack_sbuffer_write(&sb, (const char *) extra, extra_len);
    }
    profile_free(empty);
    return sb;
}


/* profile_json of blob[0 .. len): its return code, and in *text what it
 * printed (a line, or "" when nothing; the caller frees). */
static int
to_json(const void *blob, size_t len, char **text)
{
    json_out_t   j;
    char        *buf = NULL;
    size_t       n = 0;
    FILE        *f = open_memstream(&buf, &n);
    int          rc;

    cr_assert_not_null(f);
    cr_assert_eq(json_out_init(&j, f), 0);
    largest = 0;
    watching = 1;
    rc = profile_json(&j, blob, len);
    watching = 0;
    if (rc == SPOOR_OK) {
        cr_assert_eq(json_out_line(&j), 0);
    }
    json_out_free(&j);
    fclose(f);
    *text = buf;
    return rc;
}


/* The printed line parses as JSON; returns the tree (caller frees). */
static yajl_val
parsed(const char *text)
{
    char      err[256];
    yajl_val  v = yajl_tree_parse(text, err, sizeof(err));

    cr_assert_not_null(v, "not JSON (%s): %s", err, text);
    return v;
}


Test(profile_json, an_intact_blob_prints_its_ids_and_traits)
{
    static const unsigned char  pro[] = { 0xa3, 'p', 'r', 'o' };
    static const char          *id_path[] = { "ids", "userId", NULL };
    static const char          *tr_path[] = { "traits", "plan", "value",
                                              NULL };
    profile_t        *p = profile_new();
    msgpack_sbuffer   sb;
    yajl_val          root, v;
    char             *text;

    cr_assert_not_null(p);
    cr_assert_eq(profile_import_trait(p, &strings, "plan", 4, pro, sizeof(pro),
                                      1700000000000LL), SPOOR_OK);
    sb = blob_of(p, NULL, NULL, 0);
    cr_assert_eq(to_json(sb.data, sb.size, &text), SPOOR_OK);
    root = parsed(text);
    v = yajl_tree_get(root, id_path, yajl_t_array);
    cr_assert_not_null(v, "%s", text);
    cr_assert_eq(v->u.array.len, 1);
    cr_assert_str_eq(YAJL_GET_STRING(v->u.array.values[0]), "user-1");
    v = yajl_tree_get(root, tr_path, yajl_t_string);
    cr_assert_not_null(v, "%s", text);
    cr_assert_str_eq(YAJL_GET_STRING(v), "pro");
    yajl_tree_free(root);
    free(text);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
}


Test(profile_json, a_lying_container_header_is_refused_before_allocation)
{
    /* an array32 header that promises 2^32 - 1 elements, and no element */
    static const unsigned char  huge[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
    static const char          *tr_path[] = { "traits", "t", "value", NULL };
    profile_t        *p;
    msgpack_sbuffer   sb;
    yajl_val          root;
    char             *text;

    /* the blob itself */
    cr_assert_eq(to_json(huge, sizeof(huge), &text), SPOOR_E_FORMAT);
    cr_assert_lt(largest, (size_t) 1 << 20, "asked for %zu bytes", largest);
    free(text);

    /* inside an intact profile blob */
    sb = blob_of(NULL, "seg", huge, sizeof(huge));
    cr_assert_eq(to_json(sb.data, sb.size, &text), SPOOR_E_FORMAT);
    cr_assert_lt(largest, (size_t) 1 << 20, "asked for %zu bytes", largest);
    free(text);
    msgpack_sbuffer_destroy(&sb);

    /* as a stored trait value: printed as null */
    p = profile_new();
    cr_assert_not_null(p);
    cr_assert_eq(profile_import_trait(p, &strings, "t", 1, huge, sizeof(huge), 1),
                 SPOOR_OK);
    sb = blob_of(p, NULL, NULL, 0);
    cr_assert_eq(to_json(sb.data, sb.size, &text), SPOOR_OK);
    cr_assert_lt(largest, (size_t) 1 << 20, "asked for %zu bytes", largest);
    root = parsed(text);
    cr_assert_not_null(yajl_tree_get(root, tr_path, yajl_t_null), "%s", text);
    yajl_tree_free(root);
    free(text);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
}


/* A blob whose "ids" is `ids` (msgpack bytes) and whose state is an
 * intact empty profile. */
static msgpack_sbuffer
blob_with_ids(const unsigned char *ids, size_t len)
{
    msgpack_sbuffer   sb;
    msgpack_packer    pk;
    profile_t        *p = profile_new();

    cr_assert_not_null(p);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    pk_cstr(&pk, "ids");
    msgpack_sbuffer_write(&sb, (const char *) ids, len);
    pk_cstr(&pk, "state");
    cr_assert_eq(profile_pack(p, &strings, &pk), SPOOR_OK);
    profile_free(p);
    return sb;
}


Test(profile_json, ids_that_are_not_kind_id_pairs_are_refused)
{
    static const struct {
        unsigned char  b[16];
        size_t         len;
        const char    *what;
    } bad[] = {
        { { 0x91, 0xa1, 'u' }, 3, "an entry that is a string" },
        { { 0x91, 0x91, 0xa1, 'u' }, 4, "a pair of one" },
        { { 0x91, 0x93, 0xa1, 'u', 0xa1, 'x', 0xc0 }, 7, "a pair of three" },
        { { 0x91, 0x92, 0x01, 0xa1, 'x' }, 5, "a kind that is a number" },
        { { 0x91, 0x92, 0xa0, 0xa1, 'x' }, 5, "an empty kind" },
        { { 0x91, 0x92, 0xa2, 'u', 'u', 0xa1, 'x' }, 7, "a two-byte kind" },
        { { 0x91, 0x92, 0xa1, 'u', 0xc0 }, 5, "an id that is nil" },
        { { 0x92, 0x92, 0xa1, 'u', 0xa1, 'x', 0x07 }, 7, "a good, a bad" },
        { { 0xa1, 'u' }, 2, "not an array" },
    };
    static const unsigned char  good[] = { 0x91, 0x92, 0xa1, 'a', 0xa1,
                                           'x' };
    msgpack_sbuffer   sb;
    char             *text;
    size_t            i;
    yajl_val          root;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sb = blob_with_ids(bad[i].b, bad[i].len);
        cr_assert_eq(to_json(sb.data, sb.size, &text), SPOOR_E_FORMAT,
                     "%s: %s", bad[i].what, text);
        cr_assert_str_empty(text, "%s", bad[i].what);
        free(text);
        msgpack_sbuffer_destroy(&sb);
    }

    sb = blob_with_ids(good, sizeof(good));
    cr_assert_eq(to_json(sb.data, sb.size, &text), SPOOR_OK);
    root = parsed(text);
    cr_assert(strstr(text, "\"anonymousId\":[\"x\"]") != NULL, "%s", text);
    yajl_tree_free(root);
    free(text);
    msgpack_sbuffer_destroy(&sb);
}


/* profile_json of an empty profile with "abandoned", "rfm" and "as_of"
 * as given (doubles); the printed line (caller frees). */
static char *
with_numbers(double abandoned, double r, double f, double m, double as_of)
{
    msgpack_sbuffer   sb;
    msgpack_packer    pk;
    profile_t        *p = profile_new();
    char             *text;

    cr_assert_not_null(p);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    pk_cstr(&pk, "ids");
    msgpack_pack_array(&pk, 0);
    pk_cstr(&pk, "state");
    cr_assert_eq(profile_pack(p, &strings, &pk), SPOOR_OK);
    pk_cstr(&pk, "abandoned");
    msgpack_pack_double(&pk, abandoned);
    pk_cstr(&pk, "rfm");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_double(&pk, r);
    msgpack_pack_double(&pk, f);
    msgpack_pack_double(&pk, m);
    pk_cstr(&pk, "as_of");
    msgpack_pack_double(&pk, as_of);
    cr_assert_eq(to_json(sb.data, sb.size, &text), SPOOR_OK);
    yajl_tree_free(parsed(text));
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
    return text;
}


Test(profile_json, numbers_out_of_range_are_not_converted)
{
    char  *t;

    /* what state.c writes, as floats: read as the whole numbers */
    t = with_numbers(2.0, 4.0, 5.0, 3.0, 1767225600000.0);
    cr_assert(strstr(t, "\"abandonedCarts\":2,") != NULL, "%s", t);
    cr_assert(strstr(t, "\"rfm\":{\"r\":4,\"f\":5,\"m\":3}") != NULL, "%s", t);
    cr_assert(strstr(t, "\"asOf\":\"2026-01-01T00:00:00.000Z\"") != NULL,
              "%s", t);
    free(t);

    /* out of range of the integer they are printed as: unknown */
    t = with_numbers(-5.0, 1e300, 2.0, 3.0, 1.83e19);
    cr_assert(strstr(t, "\"abandonedCarts\":0,") != NULL, "%s", t);
    cr_assert(strstr(t, "\"rfm\":null") != NULL, "%s", t);
    cr_assert(strstr(t, "\"asOf\":null") != NULL, "%s", t);
    free(t);

    t = with_numbers(1e300, 4.0, NAN, -1e300, -1e300);
    cr_assert(strstr(t, "\"abandonedCarts\":0,") != NULL, "%s", t);
    cr_assert(strstr(t, "\"rfm\":null") != NULL, "%s", t);
    cr_assert(strstr(t, "\"asOf\":null") != NULL, "%s", t);
    free(t);
}
