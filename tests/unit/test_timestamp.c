/*
 * test_timestamp.c -- ISO-8601 date-times to ms (shared/timestamp.h).
 *
 * Every string is parsed from an exact-size heap copy (no terminator), so
 * ASan reports any read past the given length.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <criterion/criterion.h>
#include "timestamp.h"

/* 2023-11-14T22:13:20Z */
#define T0  1700000000000LL

static int
ts_parse_n(const char *s, size_t len, int64_t *ms)
{
    char  *copy = malloc(len ? len : 1);
    int    rc;

    cr_assert_not_null(copy);
    memcpy(copy, s, len);
    rc = spoor_timestamp_parse(len ? copy : copy + 1, len, ms);
    free(copy);
    return rc;
}

static void
ok(const char *s, int64_t want)
{
    int64_t  ms = 0x7777;
    int      rc = ts_parse_n(s, strlen(s), &ms);

    cr_assert_eq(rc, 0, "\"%s\" refused", s);
    cr_assert_eq(ms, want, "\"%s\": %lld, expected %lld", s, (long long) ms,
                 (long long) want);
}

static void
bad(const char *s)
{
    int64_t  ms = 0x7777;
    int      rc = ts_parse_n(s, strlen(s), &ms);

    cr_assert_eq(rc, -1, "\"%s\" accepted as %lld", s, (long long) ms);
    cr_assert_eq(ms, 0x7777, "\"%s\": *ms written on failure", s);
}

Test(timestamp, zones)
{
    ok("2023-11-14T22:13:20Z", T0);
    ok("2023-11-14T22:13:20z", T0);
    ok("2023-11-14T22:13:20", T0);
    ok("2023-11-14T23:13:20+01:00", T0);
    ok("2023-11-14T21:13:20-01:00", T0);
    ok("2023-11-14T16:43:20-0530", T0);
    ok("2023-11-15T03:43:20+0530", T0);
    ok("2023-11-15T03:13:20+05", T0);
    ok("2023-11-14T17:13:20-05", T0);
    ok("2023-11-14T22:13:20+00:00", T0);
    ok("2023-11-14T22:13:20-00:00", T0);
    ok("2023-11-14T22:13:20+0000", T0);
    ok("2023-11-14T22:13:20+00", T0);
    ok("2023-11-15T22:12:20+23:59", T0);
    ok("2023-11-13T22:14:20-23:59", T0);
    /* the offset crosses day, month and year boundaries */
    ok("2024-01-01T00:30:00+01:00", 1704065400000LL);
    ok("2023-12-31T23:30:00-01:00", 1704069000000LL);
}

Test(timestamp, bad_zones)
{
    bad("2023-11-14T22:13:20+24:00");
    bad("2023-11-14T22:13:20+05:60");
    bad("2023-11-14T22:13:20+2400");
    bad("2023-11-14T22:13:20+5");
    bad("2023-11-14T22:13:20+");
    bad("2023-11-14T22:13:20-");
    bad("2023-11-14T22:13:20+05:3");
    bad("2023-11-14T22:13:20+05:");
    bad("2023-11-14T22:13:20+053");
    bad("2023-11-14T22:13:20+05300");
    bad("2023-11-14T22:13:20+05:30:00");
    bad("2023-11-14T22:13:20+05-30");
    bad("2023-11-14T22:13:20+0a:00");
    bad("2023-11-14T22:13:20+05:a0");
    bad("2023-11-14T22:13:20+a5");
    bad("2023-11-14T22:13:20+05;30");
    bad("2023-11-14T22:13:20 +05:30");
    bad("2023-11-14T22:13:20ZZ");
    bad("2023-11-14T22:13:20Z ");
    bad("2023-11-14T22:13:20Z+01:00");
    bad("2023-11-14T22:13:20+01:00Z");
    bad("2023-11-14T22:13:20UTC");
    bad("2023-11-14T22:13:20GMT");
    bad("2023-11-14T22:13:20 ");
    bad("2023-11-14T22:13:20\n");
}

Test(timestamp, fractions_of_1_to_9_digits_and_more)
{
    ok("2023-11-14T22:13:20.1Z", T0 + 100);
    ok("2023-11-14T22:13:20.12Z", T0 + 120);
    ok("2023-11-14T22:13:20.123Z", T0 + 123);
    ok("2023-11-14T22:13:20.1234Z", T0 + 123);
    ok("2023-11-14T22:13:20.12345Z", T0 + 123);
    ok("2023-11-14T22:13:20.123456Z", T0 + 123);
    ok("2023-11-14T22:13:20.1234567Z", T0 + 123);
    ok("2023-11-14T22:13:20.12345678Z", T0 + 123);
    ok("2023-11-14T22:13:20.123456789Z", T0 + 123);
    ok("2023-11-14T22:13:20.999999999Z", T0 + 999);
    ok("2023-11-14T22:13:20.000000001Z", T0);
    ok("2023-11-14T22:13:20.0Z", T0);
    ok("2023-11-14T22:13:20.5", T0 + 500);
    ok("2023-11-14T23:13:20.05+01:00", T0 + 50);
    ok("2023-11-14T22:13:20.007-0000", T0 + 7);
    ok("2023-11-14T22:13:20.12345678901234567890123456789Z", T0 + 123);
    /* before the epoch the fraction still counts forwards */
    ok("1969-12-31T23:59:59.500Z", -500);
    ok("1969-12-31T23:59:59.001Z", -999);
    ok("1970-01-01T00:00:00.000Z", 0);

    bad("2023-11-14T22:13:20.Z");
    bad("2023-11-14T22:13:20.");
    bad("2023-11-14T22:13:20.+01:00");
    bad("2023-11-14T22:13:20,123Z");
    bad("2023-11-14T22:13:20.12aZ");
    bad("2023-11-14T22:13:20.1.2Z");
    bad("2023-11-14T22:13:20..1Z");
    bad("2023-11-14T22:13:20.-1Z");
}

Test(timestamp, separators)
{
    ok("2023-11-14t22:13:20Z", T0);
    ok("2023-11-14 22:13:20Z", T0);
    ok("2023-11-14 22:13:20.123+01:00", T0 + 123 - 3600000);
    bad("2023-11-14_22:13:20Z");
    bad("2023-11-14x22:13:20Z");
    bad("2023-11-14\t22:13:20Z");
    bad("2023-11-14  22:13:20Z");
    bad("2023-11-14T22-13-20Z");
    bad("2023-11-14T22:13.20Z");
    bad("2023/11/14T22:13:20Z");
    bad("2023-11/14T22:13:20Z");
    bad("20231114T221320Z");
}

Test(timestamp, leap_days)
{
    ok("2024-02-29T00:00:00Z", 1709164800000LL);
    ok("2024-02-29T23:59:59.999Z", 1709251199999LL);
    ok("2000-02-29T12:00:00Z", 951825600000LL);
    ok("1904-02-29T00:00:00Z", -2077747200000LL);
    ok("2023-02-28T00:00:00Z", 1677542400000LL);
    bad("2023-02-29T00:00:00Z");
    bad("1900-02-29T00:00:00Z");
    bad("2100-02-29T00:00:00Z");
    bad("2024-02-30T00:00:00Z");
    ok("2024-03-01T00:00:00Z", 1709251200000LL);
}

Test(timestamp, field_bounds)
{
    static const char *const  last[] = {
        "2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31",
        "2023-06-30", "2023-07-31", "2023-08-31", "2023-09-30", "2023-10-31",
        "2023-11-30", "2023-12-31",
    };
    static const char *const  past[] = {
        "2023-01-32", "2023-02-29", "2023-03-32", "2023-04-31", "2023-05-32",
        "2023-06-31", "2023-07-32", "2023-08-32", "2023-09-31", "2023-10-32",
        "2023-11-31", "2023-12-32",
    };
    char                      s[32];
    int64_t                   ms;
    size_t                    i;

    for (i = 0; i < 12; i++) {
        snprintf(s, sizeof(s), "%sT00:00:00Z", last[i]);
        cr_assert_eq(ts_parse_n(s, strlen(s), &ms), 0, "%s refused", s);
        snprintf(s, sizeof(s), "%sT00:00:00Z", past[i]);
        bad(s);
    }
    /* a leap year lengthens February only */
    bad("2024-01-32T00:00:00Z");
    bad("2024-04-31T00:00:00Z");
    bad("2024-06-31T00:00:00Z");
    bad("2024-09-31T00:00:00Z");
    bad("2024-11-31T00:00:00Z");
    bad("2024-12-32T00:00:00Z");
    ok("2024-04-30T00:00:00Z", 1714435200000LL);
    bad("2023-00-10T00:00:00Z");
    bad("2023-13-10T00:00:00Z");
    bad("2023-99-10T00:00:00Z");
    bad("2023-11-00T00:00:00Z");
    bad("2023-11-99T00:00:00Z");
    ok("2023-11-14T23:59:59Z", 1700006399000LL);
    ok("2023-11-14T00:00:00Z", 1699920000000LL);
    bad("2023-11-14T24:00:00Z");
    bad("2023-11-14T99:00:00Z");
    bad("2023-11-14T22:60:00Z");
    bad("2023-11-14T22:99:00Z");
    bad("2023-11-14T22:13:61Z");
    bad("2023-11-14T22:13:99Z");
    /* a leap second: the first second of the next minute */
    ok("2016-12-31T23:59:60Z", 1483228800000LL);
    ok("2016-12-31T23:59:60.5Z", 1483228800500LL);
    ok("2023-11-14T22:13:60Z", T0 + 40000);
    /* years 1000 .. 9999 */
    ok("1000-01-01T00:00:00Z", -30610224000000LL);
    ok("9999-12-31T23:59:59.999Z", 253402300799999LL);
    bad("0999-12-31T23:59:59Z");
    bad("0000-01-01T00:00:00Z");
}

Test(timestamp, garbage)
{
    static const char *const  g[] = {
        "", " ", "Z", "now", "yesterday", "1700000000000", "2023-11-14",
        "2023-11-14T22:13", "2023-11-14T22:13Z", "2023-11-14T22:13:2Z",
        "2023-11-14T22:13:2", " 2023-11-14T22:13:20Z", "+2023-11-14T22:13:20Z",
        "-2023-11-14T22:13:20Z", "20231-11-14T22:13:20Z", "2023-1-14T22:13:20Z",
        "2023-11-4T22:13:20Z", "2023-11-14T2:13:20Z", "2023-11-14T22:3:20Z",
        "2023-+1-14T22:13:20Z", "2023- 1-14T22:13:20Z", "2023-11-14T22:13:-1Z",
        "2a23-11-14T22:13:20Z", "2023-11-14T22:13:20Q", "Tue, 14 Nov 2023",
        "2023-11-14T22:13:20.123456789012345678+99:99", "\xff\xff\xff\xff",
        "2023-11-14T22:13:2\xd9\xa0Z",   /* an Arabic-Indic zero */
    };
    size_t                    i;

    for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        bad(g[i]);
    }
    /* embedded NUL */
    {
        int64_t  ms = 5;

        cr_assert_eq(ts_parse_n("2023-11-14T22:13:20\0", 20, &ms), -1);
        cr_assert_eq(ts_parse_n("2023-11-14T2\0:13:20Z", 20, &ms), -1);
        cr_assert_eq(ms, 5);
    }
}

/* Every prefix of s: refused, except the lengths in valid[] (0-ended),
 * whose values are want[]. */
static void
prefixes(const char *s, const size_t *valid, const int64_t *want)
{
    size_t   len = strlen(s), n, v;
    int64_t  ms;
    int      rc;

    for (n = 0; n <= len; n++) {
        ms = 0x1234;
        rc = ts_parse_n(s, n, &ms);
        for (v = 0; valid[v] && valid[v] != n; v++) {
        }
        if (valid[v]) {
            cr_assert_eq(rc, 0, "\"%.*s\" refused", (int) n, s);
            cr_assert_eq(ms, want[v], "\"%.*s\": %lld, expected %lld",
                         (int) n, s, (long long) ms, (long long) want[v]);
        } else {
            cr_assert_eq(rc, -1, "\"%.*s\" accepted", (int) n, s);
            cr_assert_eq(ms, 0x1234);
        }
    }
}

Test(timestamp, every_truncation)
{
    static const size_t   v1[] = { 19, 21, 22, 23, 24, 27, 30, 0 };
    static const int64_t  w1[] = {
        T0 + 19800000, T0 + 19800000 + 400, T0 + 19800000 + 450,
        T0 + 19800000 + 456, T0 + 19800000 + 456, T0 + 1800000 + 456,
        T0 + 456,
    };
    static const size_t   v2[] = { 19, 20, 0 };
    static const int64_t  w2[] = { T0, T0 };
    static const size_t   v3[] = { 19, 22, 25, 0 };
    static const int64_t  w3[] = { T0 + 18000000, T0, T0 };
    static const size_t   v4[] = { 19, 21, 22, 23, 24, 0 };
    static const int64_t  w4[] = { T0, T0 + 100, T0 + 120, T0 + 123,
                                   T0 + 123 };

    /* "+05" of "+05:30" is a zone of its own */
    prefixes("2023-11-15T03:43:20.4567+05:30", v1, w1);
    prefixes("2023-11-14T22:13:20Z", v2, w2);
    prefixes("2023-11-15T03:13:20+05:00", v3, w3);
    prefixes("2023-11-14T22:13:20.1234", v4, w4);
}

Test(timestamp, agrees_with_timegm)
{
    uint64_t   x = 0x243f6a8885a308d3ULL;
    time_t     t, lo = -30610224000LL, hi = 253402300799LL;
    struct tm  tm;
    char       s[64];
    int64_t    ms;
    int        i, n, off, frac;

    /* every day of 1896 .. 2104 at its first and last second */
    for (t = -2335219200LL; t < 4260211200LL; t += 86400) {
        gmtime_r(&t, &tm);
        cr_assert_eq(timegm(&tm), t);
        n = snprintf(s, sizeof(s), "%04d-%02d-%02dT00:00:00Z",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        cr_assert_eq(ts_parse_n(s, (size_t) n, &ms), 0, "%s", s);
        cr_assert_eq(ms, (int64_t) t * 1000, "%s: %lld", s, (long long) ms);
        n = snprintf(s, sizeof(s), "%04d-%02d-%02dT23:59:59.999Z",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        cr_assert_eq(ts_parse_n(s, (size_t) n, &ms), 0, "%s", s);
        cr_assert_eq(ms, ((int64_t) t + 86399) * 1000 + 999, "%s", s);
    }

    /* random instants of years 1000 .. 9999, in random zones */
    for (i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t = lo + (time_t) (x % (uint64_t) (hi - lo + 1));
        off = (int) ((x >> 40) % (24 * 60 * 2 - 1)) - (24 * 60 - 1);
        frac = (int) ((x >> 20) % 1000);
        if (t + off * 60 < lo || t + off * 60 > hi) {
            continue;
        }
        {
            time_t  local = t + off * 60;

            gmtime_r(&local, &tm);
        }
        cr_assert_eq(timegm(&tm), t + off * 60);
        n = snprintf(s, sizeof(s), "%04d-%02d-%02d%c%02d:%02d:%02d.%03d",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     i % 3 == 0 ? 'T' : i % 3 == 1 ? 't' : ' ', tm.tm_hour,
                     tm.tm_min, tm.tm_sec, frac);
        switch (i % 4) {
        case 0:
            n += snprintf(s + n, sizeof(s) - n, "%c%02d:%02d",
                          off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
            break;
        case 1:
            n += snprintf(s + n, sizeof(s) - n, "%c%02d%02d",
                          off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
            break;
        default:
            if (off % 60 == 0) {
                n += snprintf(s + n, sizeof(s) - n, "%c%02d",
                              off < 0 ? '-' : '+', abs(off) / 60);
            } else {
                n += snprintf(s + n, sizeof(s) - n, "%c%02d:%02d",
                              off < 0 ? '-' : '+', abs(off) / 60,
                              abs(off) % 60);
            }
        }
        cr_assert_eq(ts_parse_n(s, (size_t) n, &ms), 0, "%s refused", s);
        cr_assert_eq(ms, (int64_t) t * 1000 + frac,
                     "%s: %lld, expected %lld", s, (long long) ms,
                     (long long) t * 1000 + frac);
    }
}
