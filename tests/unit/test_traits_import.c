/*
 * test_traits_import.c -- one line of `spoor import-traits` input
 * (analyzer/traits_import.h): the lines the documentation shows, and
 * every kind of bad line -- not JSON, not an object, members missing or
 * of the wrong type, bad times, huge numbers, deep nesting -- with its
 * error code and reason, and nothing left to free after a failure.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "mp_member.h"
#include "traits_import.h"

#define JAN5  1767571200000LL           /* 2026-01-05T00:00:00Z */


/* Parses the NUL-terminated line; asserts SPOOR_OK. */
static traits_line_t
ok(const char *line)
{
    traits_line_t  t;
    char           err[256] = "untouched";
    int            rc;

    rc = traits_line_parse(line, strlen(line), &t, err, sizeof(err));
    cr_assert_eq(rc, SPOOR_OK, "[%s]: %d %s", line, rc, err);
    cr_assert_str_empty(err, "[%s]: %s", line, err);
    cr_assert_not_null(t.traits);
    cr_assert_eq(t.traits->type, MSGPACK_OBJECT_MAP);
    return t;
}


/* Parses line[0 .. len); asserts the error code and that the reason
 * contains `why`. */
static void
bad_len(const char *line, size_t len, int want, const char *why)
{
    traits_line_t  t;
    char           err[256];
    int            rc;

    memset(&t, 0x5a, sizeof(t));
    rc = traits_line_parse(line, len, &t, err, sizeof(err));
    cr_assert_eq(rc, want, "[%.80s]: rc %d, want %d (%s)", line, rc, want,
                 err);
    cr_assert(strstr(err, why) != NULL, "[%.80s]: reason '%s', want '%s'",
              line, err, why);
    cr_assert_null(t.traits, "[%.80s]: traits left set", line);
    cr_assert_null(t.mp, "[%.80s]: memory left to free", line);
    traits_line_free(&t);               /* a no-op */
}

#define BAD(line, want, why)  bad_len(line, strlen(line), want, why)


static int
id_is(const traits_line_t *t, const char *id)
{
    return t->id_len == strlen(id) && memcmp(t->id, id, t->id_len) == 0;
}

/* ---- good lines --------------------------------------------------------- */

Test(traits_import, the_documented_line)
{
    traits_line_t          t;
    const msgpack_object  *v;

    t = ok("{\"userId\": \"u1\", \"traits\": {\"plan\": \"pro\", "
           "\"vip\": true}, \"time\": \"2026-01-05T00:00:00Z\"}");
    cr_assert_eq(t.kind, 'u');
    cr_assert(id_is(&t, "u1"));
    cr_assert_eq(t.time, JAN5);
    cr_assert_eq(t.traits->via.map.size, 2);
    v = spoor_mp_member(t.traits, "plan");
    cr_assert_not_null(v);
    cr_assert_eq(v->type, MSGPACK_OBJECT_STR);
    cr_assert_eq(v->via.str.size, 3);
    cr_assert_eq(memcmp(v->via.str.ptr, "pro", 3), 0);
    v = spoor_mp_member(t.traits, "vip");
    cr_assert(v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN
              && v->via.boolean);
    traits_line_free(&t);
    cr_assert_null(t.mp);
    traits_line_free(&t);               /* twice is fine */
}


Test(traits_import, anonymous_ids_milliseconds_and_other_members)
{
    traits_line_t  t;

    t = ok("  {\"anonymousId\":\"a-1\",\"traits\":{},\"time\":1767571200000,"
           "\"type\":\"identify\",\"context\":{\"x\":[1,2]}}\t ");
    cr_assert_eq(t.kind, 'a');
    cr_assert(id_is(&t, "a-1"));
    cr_assert_eq(t.time, JAN5);
    cr_assert_eq(t.traits->via.map.size, 0);
    traits_line_free(&t);

    /* both ids: userId is the one read */
    t = ok("{\"anonymousId\":\"a\",\"userId\":\"u\",\"traits\":{},"
           "\"time\":0}");
    cr_assert_eq(t.kind, 'u');
    cr_assert(id_is(&t, "u"));
    cr_assert_eq(t.time, 0);
    traits_line_free(&t);

    /* times with a fraction and an offset; ids with any characters */
    t = ok("{\"userId\":\"\\u00e9\\u0000x\",\"traits\":{\"a\":null},"
           "\"time\":\"2026-01-05T01:00:00.250+01:00\"}");
    cr_assert_eq(t.time, JAN5 + 250);
    cr_assert_eq(t.id_len, 4);
    cr_assert_eq(memcmp(t.id, "\xc3\xa9\0x", 4), 0);
    traits_line_free(&t);

    /* the largest time */
    t = ok("{\"userId\":\"u\",\"traits\":{},\"time\":9223372036854775807}");
    cr_assert_eq(t.time, INT64_MAX);
    traits_line_free(&t);
}


Test(traits_import, the_line_need_not_be_nul_terminated)
{
    static const char  text[] = "{\"userId\":\"u\",\"traits\":{},\"time\":5}"
                                "GARBAGE";
    traits_line_t      t;

    cr_assert_eq(traits_line_parse(text, sizeof(text) - 1 - 7, &t, NULL, 0),
                 SPOOR_OK);
    cr_assert_eq(t.time, 5);
    traits_line_free(&t);
    bad_len(text, sizeof(text) - 1, SPOOR_E_JSON, "not valid JSON");
}


Test(traits_import, huge_numbers_are_values_like_any_other)
{
    traits_line_t          t;
    const msgpack_object  *v;

    t = ok("{\"userId\":\"u\",\"time\":1,\"traits\":{"
           "\"big\":123456789012345678901234567890,"
           "\"max\":18446744073709551615,\"min\":-9223372036854775808,"
           "\"dbl\":1.7976931348623157e308,\"tiny\":4.9e-324}}");
    v = spoor_mp_member(t.traits, "big");
    cr_assert(v != NULL && v->type == MSGPACK_OBJECT_FLOAT64);
    v = spoor_mp_member(t.traits, "max");
    cr_assert(v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER
              && v->via.u64 == UINT64_MAX);
    v = spoor_mp_member(t.traits, "min");
    cr_assert(v != NULL && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER
              && v->via.i64 == INT64_MIN);
    traits_line_free(&t);
}


/* {"userId":"u","time":1,"traits":{"a":[[...1...]]}} with n arrays */
static char *
nested(size_t n)
{
    const char  *head = "{\"userId\":\"u\",\"time\":1,\"traits\":{\"a\":";
    size_t       hl = strlen(head), i;
    char        *s = malloc(hl + 2 * n + 8);

    cr_assert_not_null(s);
    memcpy(s, head, hl);
    for (i = 0; i < n; i++) {
        s[hl + i] = '[';
    }
    s[hl + n] = '1';
    for (i = 0; i < n; i++) {
        s[hl + n + 1 + i] = ']';
    }
    strcpy(s + hl + 2 * n + 1, "}}");
    return s;
}


Test(traits_import, nesting_up_to_the_limit)
{
    traits_line_t  t;
    char          *s;

    /* the line's object and "traits" are two levels */
    s = nested(TRAITS_LINE_DEPTH_MAX - 2);
    t = ok(s);
    traits_line_free(&t);
    free(s);

    s = nested(TRAITS_LINE_DEPTH_MAX - 1);
    BAD(s, SPOOR_E_DEPTH, "nested deeper than 16 levels");
    free(s);

    s = nested(100000);
    BAD(s, SPOOR_E_DEPTH, "nested deeper");
    free(s);
}

/* ---- bad lines ---------------------------------------------------------- */

Test(traits_import, not_json)
{
    BAD("not json", SPOOR_E_JSON, "not valid JSON");
    BAD("", SPOOR_E_JSON, "not valid JSON");
    BAD("   ", SPOOR_E_JSON, "not valid JSON");
    BAD("{", SPOOR_E_JSON, "not valid JSON");
    BAD("{\"userId\":\"u\",\"traits\":{},\"time\":1", SPOOR_E_JSON,
        "not valid JSON");
    BAD("{\"userId\":\"u\",\"traits\":{},\"time\":1} x", SPOOR_E_JSON,
        "not valid JSON");
    BAD("{\"userId\":\"u\",\"traits\":{},\"time\":1}{}", SPOOR_E_JSON,
        "not valid JSON");
    BAD("{\"userId\":\"u\xff\",\"traits\":{},\"time\":1}", SPOOR_E_JSON,
        "not valid JSON");
    BAD("{'userId':'u'}", SPOOR_E_JSON, "not valid JSON");
    BAD("{\"userId\":\"u\",\"traits\":{},\"time\":1e999}", SPOOR_E_JSON,
        "not valid JSON");
    bad_len("{\"userId\":\"u\0\",\"traits\":{},\"time\":1}", 36,
            SPOOR_E_JSON, "not valid JSON");
}


Test(traits_import, not_an_object)
{
    BAD("[{\"userId\":\"u\",\"traits\":{},\"time\":1}]", SPOOR_E_FORMAT,
        "not a JSON object");
    BAD("\"u\"", SPOOR_E_FORMAT, "not a JSON object");
    BAD("42", SPOOR_E_FORMAT, "not a JSON object");
    BAD("null", SPOOR_E_FORMAT, "not a JSON object");
    BAD("true", SPOOR_E_FORMAT, "not a JSON object");
}


Test(traits_import, ids_missing_or_not_strings)
{
    BAD("{\"traits\":{},\"time\":1}", SPOOR_E_FORMAT,
        "needs \"userId\" or \"anonymousId\"");
    BAD("{\"user_id\":\"u\",\"traits\":{},\"time\":1}", SPOOR_E_FORMAT,
        "needs \"userId\" or \"anonymousId\"");
    BAD("{\"userId\":42,\"traits\":{},\"time\":1}", SPOOR_E_FORMAT,
        "\"userId\" is not a string");
    BAD("{\"userId\":{\"id\":\"u\"},\"traits\":{},\"time\":1}",
        SPOOR_E_FORMAT, "\"userId\" is not a string");
    /* a userId there, even null, is the one read */
    BAD("{\"userId\":null,\"anonymousId\":\"a\",\"traits\":{},\"time\":1}",
        SPOOR_E_FORMAT, "\"userId\" is not a string");
    BAD("{\"anonymousId\":[\"a\"],\"traits\":{},\"time\":1}",
        SPOOR_E_FORMAT, "\"anonymousId\" is not a string");
}


Test(traits_import, traits_missing_or_not_an_object)
{
    BAD("{\"userId\":\"u\",\"time\":1}", SPOOR_E_FORMAT, "needs \"traits\"");
    BAD("{\"userId\":\"u\",\"traits\":[],\"time\":1}", SPOOR_E_FORMAT,
        "\"traits\" is not an object");
    BAD("{\"userId\":\"u\",\"traits\":\"plan=pro\",\"time\":1}",
        SPOOR_E_FORMAT, "\"traits\" is not an object");
    BAD("{\"userId\":\"u\",\"traits\":null,\"time\":1}", SPOOR_E_FORMAT,
        "\"traits\" is not an object");
}


Test(traits_import, bad_times)
{
    static const char  *times[] = {
        "-1", "1.5", "1767571200000.0", "1e3", "18446744073709551615",
        "9223372036854775808", "\"yesterday\"", "\"\"",
        "\"2026-13-01T00:00:00Z\"", "\"2026-01-05\"", "\"1767571200000\"",
        "null", "true", "{}", "[1767571200000]"
    };
    char    line[256];
    size_t  i;

    BAD("{\"userId\":\"u\",\"traits\":{}}", SPOOR_E_FORMAT, "needs \"time\"");
    for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        snprintf(line, sizeof(line), "{\"userId\":\"u\",\"traits\":{},"
                 "\"time\":%s}", times[i]);
        BAD(line, SPOOR_E_FORMAT, "\"time\" is neither ISO 8601 nor a "
            "non-negative integer of milliseconds");
    }
}


Test(traits_import, errors_fit_any_buffer)
{
    traits_line_t  t;
    char           err[8];

    cr_assert_eq(traits_line_parse("[]", 2, &t, err, sizeof(err)),
                 SPOOR_E_FORMAT);
    cr_assert_str_eq(err, "not a J");
    cr_assert_eq(traits_line_parse("[]", 2, &t, NULL, 0), SPOOR_E_FORMAT);
    cr_assert_eq(traits_line_parse("[]", 2, &t, err, 1), SPOOR_E_FORMAT);
    cr_assert_str_empty(err);
}
