/*
 * test_pixel_pinned.c -- the exact results of the pixel query parsers
 * (shared/pixel.h), pinned so that a faster implementation can be checked
 * to give the same bytes for every input.
 *
 * Each parse is rendered as one line of text: every field of spoor_pixel_t
 * (strings in single quotes, "-" when absent) and the msgpack maps byte
 * for byte; spoor_pixel_segment_map's map the same way.  Bytes outside
 * printable ASCII, and < > " ' \, are written <hh>.  The expected lines
 * were captured from the parsers as they were before the one-pass
 * rewrite; they include
 * today's answers to the questions the documentation leaves open (which
 * of two equal names wins, which raw spellings count as equal, what the
 * caps cut).  Long and generated inputs are pinned by the FNV-1a hash of
 * their renderings.
 *
 * A row whose expectation is NULL (or 0) fails and prints what the code
 * gives, in the form of a row: that is how the table was filled in.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "error.h"
#include "buf.h"
#include "pixel.h"

/* ---- rendering ---------------------------------------------------------- */

typedef struct {
    char    *p;
    size_t   len, cap;
} text_t;

static void
put_raw(text_t *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n + 1);
        t->p = realloc(t->p, t->cap);
        cr_assert_not_null(t->p);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void
put(text_t *t, const char *s)
{
    put_raw(t, s, strlen(s));
}

static void
put_bytes(text_t *t, const void *p, size_t n)
{
    const unsigned char  *s = p;
    char                  hex[8];
    size_t                i;

    for (i = 0; i < n; i++) {
        if (s[i] > 0x20 && s[i] < 0x7f && s[i] != '<' && s[i] != '>'
            && s[i] != '"' && s[i] != '\'' && s[i] != '\\')
        {
            put_raw(t, (const char *) s + i, 1);
        } else {
            snprintf(hex, sizeof(hex), "<%02x>", s[i]);
            put(t, hex);
        }
    }
}

static void
put_str(text_t *t, const char *label, spoor_str_t s)
{
    put(t, label);
    if (s.data == NULL) {
        put(t, "-");
        return;
    }
    put(t, "'");
    put_bytes(t, s.data, s.len);
    put(t, "'");
}

static void
put_value(text_t *t, const char *label, const spoor_value_t *v)
{
    put(t, label);
    if (v->obj != NULL) {
        put(t, "(obj)");
    }
    if (v->raw == NULL) {
        put(t, "-");
        return;
    }
    put_bytes(t, v->raw, v->raw_len);
}

/* The parse of q[0 .. len) from an exact-size copy, exact-size scratch. */
static char *
render_pixel(const char *q, size_t len)
{
    spoor_pixel_t   px;
    spoor_buf_t     b;
    text_t          t = { NULL, 0, 0 };
    char           *copy = malloc(len ? len : 1), num[64];
    unsigned char  *mem = malloc(8 * len + 64);
    int             rc;

    cr_assert(copy && mem);
    memcpy(copy, q, len);
    spoor_buf_init(&b, mem, 8 * len + 64);
    rc = spoor_pixel_parse(copy, len, &px, &b);
    if (rc != SPOOR_OK) {
        snprintf(num, sizeof(num), "rc %d", rc);
        put(&t, num);
    } else {
        snprintf(num, sizeof(num), "k%d", (int) px.kind);
        put(&t, num);
        put_str(&t, " n", px.name);
        put_str(&t, " u", px.url);
        put_str(&t, " r", px.referrer);
        put_str(&t, " t", px.title);
        put_str(&t, " aid", px.anonymous_id);
        put_str(&t, " uid", px.user_id);
        if (px.has_time) {
            snprintf(num, sizeof(num), " ts%lld", (long long) px.time_ms);
        } else {
            snprintf(num, sizeof(num), " ts-%s", px.time_ms ? "!" : "");
        }
        put(&t, num);
        put(&t, px.noimg ? " noimg" : "");
        put_value(&t, " p", &px.properties);
        put_value(&t, " tr", &px.traits);
    }
    free(mem);
    free(copy);
    return t.p;
}

static char *
render_segment(const char *q, size_t len)
{
    const unsigned char  *map;
    spoor_buf_t           b;
    text_t                t = { NULL, 0, 0 };
    char                 *copy = malloc(len ? len : 1), num[32];
    unsigned char        *mem = malloc(8 * len + 64);
    size_t                map_len;
    int                   rc;

    cr_assert(copy && mem);
    memcpy(copy, q, len);
    spoor_buf_init(&b, mem, 8 * len + 64);
    rc = spoor_pixel_segment_map(copy, len, &b, &map, &map_len);
    if (rc != SPOOR_OK) {
        snprintf(num, sizeof(num), "rc %d", rc);
        put(&t, num);
    } else {
        put_bytes(&t, map, map_len);
    }
    free(mem);
    free(copy);
    return t.p;
}

/* 64-bit FNV-1a of s, continuing from h. */
static uint64_t
fnv1a(uint64_t h, const char *s)
{
    for ( ; *s; s++) {
        h ^= (unsigned char) *s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV_START  0xcbf29ce484222325ULL

/* ---- short inputs, line by line ----------------------------------------- */

typedef struct {
    const char  *q;
    const char  *pixel;      /* render_pixel */
    const char  *segment;    /* render_segment */
} pinned_t;

#define NROWS(a)  (sizeof(a) / sizeof((a)[0]))

static void
check_rows(const char *what, const pinned_t *rows, size_t n)
{
    size_t  i, len, bad = 0;
    char   *px, *seg;

    for (i = 0; i < n; i++) {
        len = strlen(rows[i].q);
        px = render_pixel(rows[i].q, len);
        seg = render_segment(rows[i].q, len);
        if (rows[i].pixel == NULL || rows[i].segment == NULL) {
            printf("ROW\t%s\t%zu\t%s\t%s\n", what, i, px, seg);
            bad++;
        } else {
            cr_expect_str_eq(px, rows[i].pixel, "row %zu [%s]\n got %s",
                             i, rows[i].q, px);
            cr_expect_str_eq(seg, rows[i].segment,
                             "row %zu [%s] segment map\n got %s", i,
                             rows[i].q, seg);
        }
        free(px);
        free(seg);
    }
    cr_assert_eq(bad, 0, "%zu rows without expectations", bad);
}

Test(pixel_pinned, plus_percent_and_malformed_escapes)
{
    static const pinned_t  rows[] = {
        { "",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<80>" },
        { "n=a+b&u=a%20b&t=+%20+",
          "k1 n'a<20>b' u'a<20>b' r- t'<20><20><20>' aid- uid- ts- p- tr-",
          "<83><a1>n<a3>a<20>b<a1>u<a3>a<20>b<a1>t<a3><20><20><20>" },
        { "n=%2B&u=%2b&t=+%2B+&r=%2B%2b+",
          "k1 n'+' u'+' r'++<20>' t'<20>+<20>' aid- uid- ts- p- tr-",
          "<84><a1>n<a1>+<a1>u<a1>+<a1>t<a3><20>+<20><a1>r<a3>++<20>" },
        { "n=%zz&u=%z&t=%&r=%%",
          "k1 n'%zz' u'%z' r'%%' t'%' aid- uid- ts- p- tr-",
          "<84><a1>n<a3>%zz<a1>u<a2>%z<a1>t<a1>%<a1>r<a2>%%" },
        { "n=ab%&u=%0&t=%0g&r=%%41&aid=%g0&uid=%-1",
          "k1 n'ab%' u'%0' r'%A' t'%0g' aid'%g0' uid'%-1' ts- p- tr-",
          "<86><a1>n<a3>ab%<a1>u<a2>%0<a1>t<a3>%0g<a1>r<a2>%A<a3>aid<a3>%g0"
          "<a3>uid<a3>%-1" },
        { "n=%4a%4A%4b%4B&u=%e2%9c%93&t=%E2%9C%93&r=%aB%Ab",
          "k1 n'JJKK' u'<e2><9c><93>' r'<ef><bf><bd><ef><bf><bd>' t'<e2>"
          "<9c><93>' aid- uid- ts- p- tr-",
          "<84><a1>n<a4>JJKK<a1>u<a3><e2><9c><93><a1>t<a3><e2><9c><93><a1>r"
          "<a6><ef><bf><bd><ef><bf><bd>" },
        { "n=%%2541&u=%2541&t=%+1&r=%%%",
          "k1 n'%%41' u'%41' r'%%%' t'%<20>1' aid- uid- ts- p- tr-",
          "<84><a1>n<a4>%%41<a1>u<a3>%41<a1>t<a3>%<20>1<a1>r<a3>%%%" },
        { "n=%2&u=%A&t=%4%41&r=%41%",
          "k1 n'%2' u'%A' r'A%' t'%4A' aid- uid- ts- p- tr-",
          "<84><a1>n<a2>%2<a1>u<a2>%A<a1>t<a3>%4A<a1>r<a2>A%" },
        { "n=%00&u=a%00b&t=%00%00&aid=%00",
          "k1 n'<00>' u'a<00>b' r- t'<00><00>' aid'<00>' uid- ts- p- tr-",
          "<84><a1>n<a1><00><a1>u<a3>a<00>b<a1>t<a2><00><00><a3>aid<a1><00>" },
        { "u=a=b&n==&t===%3D",
          "k1 n'=' u'a=b' r- t'===' aid- uid- ts- p- tr-",
          "<83><a1>u<a3>a=b<a1>n<a1>=<a1>t<a3>===" },
        { "n=%1a%2b%3c%4d%5e%6f%7A%6B%5C%4D%3E%2F&u=%ef%BF%Bd&t=%Fg%fG",
          "k1 n'<1a>+<3c>M^ozk<5c>M<3e>/' u'<ef><bf><bd>' r- t'%Fg%fG' aid-"
          " uid- ts- p- tr-",
          "<83><a1>n<ac><1a>+<3c>M^ozk<5c>M<3e>/<a1>u<a3><ef><bf><bd><a1>t"
          "<a6>%Fg%fG" },
        { "n=%26%3D%3F%23&u=%25%32%30",
          "k1 n'&=?#' u'%20' r- t- aid- uid- ts- p- tr-",
          "<82><a1>n<a4>&=?#<a1>u<a3>%20" },
    };

    check_rows("plus_percent_and_malformed_escapes", rows, NROWS(rows));
}

Test(pixel_pinned, invalid_utf8_after_decoding)
{
    static const pinned_t  rows[] = {
        { "n=%C0%80&u=%ED%A0%80&t=%80&r=a%80b&aid=%E2%82&uid=%F0%9F%98",
          "k1 n'<ef><bf><bd><ef><bf><bd>' u'<ef><bf><bd><ef><bf><bd><ef>"
          "<bf><bd>' r'a<ef><bf><bd>b' t'<ef><bf><bd>' aid'<ef><bf><bd><ef>"
          "<bf><bd>' uid'<ef><bf><bd><ef><bf><bd><ef><bf><bd>' ts- p- tr-",
          "<86><a1>n<a6><ef><bf><bd><ef><bf><bd><a1>u<a9><ef><bf><bd><ef>"
          "<bf><bd><ef><bf><bd><a1>t<a3><ef><bf><bd><a1>r<a5>a<ef><bf><bd>b"
          "<a3>aid<a6><ef><bf><bd><ef><bf><bd><a3>uid<a9><ef><bf><bd><ef>"
          "<bf><bd><ef><bf><bd>" },
        { "n=%C3%A9%C3&u=%F4%90%80%80&t=%F0%9F%98%80&r=%EF%BF%BD",
          "k1 n'<c3><a9><ef><bf><bd>' u'<ef><bf><bd><ef><bf><bd><ef><bf>"
          "<bd><ef><bf><bd>' r'<ef><bf><bd>' t'<f0><9f><98><80>' aid- uid- "
          "ts- p- tr-",
          "<84><a1>n<a5><c3><a9><ef><bf><bd><a1>u<ac><ef><bf><bd><ef><bf>"
          "<bd><ef><bf><bd><ef><bf><bd><a1>t<a4><f0><9f><98><80><a1>r<a3>"
          "<ef><bf><bd>" },
        { "n=%C1%BF&u=%E0%9F%BF&t=%E0%A0%80&r=%F0%8F%BF%BF&aid=%F5%80",
          "k1 n'<ef><bf><bd><ef><bf><bd>' u'<ef><bf><bd><ef><bf><bd><ef>"
          "<bf><bd>' r'<ef><bf><bd><ef><bf><bd><ef><bf><bd><ef><bf><bd>' t'"
          "<e0><a0><80>' aid'<ef><bf><bd><ef><bf><bd>' uid- ts- p- tr-",
          "<85><a1>n<a6><ef><bf><bd><ef><bf><bd><a1>u<a9><ef><bf><bd><ef>"
          "<bf><bd><ef><bf><bd><a1>t<a3><e0><a0><80><a1>r<ac><ef><bf><bd>"
          "<ef><bf><bd><ef><bf><bd><ef><bf><bd><a3>aid<a6><ef><bf><bd><ef>"
          "<bf><bd>" },
        { "n=%ED%9F%BF&u=%ED%BF%BF&t=%F4%8F%BF%BF&r=%FF%FE",
          "k1 n'<ed><9f><bf>' u'<ef><bf><bd><ef><bf><bd><ef><bf><bd>' r'"
          "<ef><bf><bd><ef><bf><bd>' t'<f4><8f><bf><bf>' aid- uid- ts- p- t"
          "r-",
          "<84><a1>n<a3><ed><9f><bf><a1>u<a9><ef><bf><bd><ef><bf><bd><ef>"
          "<bf><bd><a1>t<a4><f4><8f><bf><bf><a1>r<a6><ef><bf><bd><ef><bf>"
          "<bd>" },
        { "n=%C3%28&u=%E2%28%A1&t=%E2%82a&r=%C3",
          "k1 n'<ef><bf><bd>(' u'<ef><bf><bd>(<ef><bf><bd>' r'<ef><bf><bd>'"
          " t'<ef><bf><bd><ef><bf><bd>a' aid- uid- ts- p- tr-",
          "<84><a1>n<a4><ef><bf><bd>(<a1>u<a7><ef><bf><bd>(<ef><bf><bd><a1>"
          "t<a7><ef><bf><bd><ef><bf><bd>a<a1>r<a3><ef><bf><bd>" },
        { "n=%C3%A9x%C3&u=abcdefgh%C3&t=abcdefg%C3%A9abcdefgh%80",
          "k1 n'<c3><a9>x<ef><bf><bd>' u'abcdefgh<ef><bf><bd>' r- t'abcdefg"
          "<c3><a9>abcdefgh<ef><bf><bd>' aid- uid- ts- p- tr-",
          "<83><a1>n<a6><c3><a9>x<ef><bf><bd><a1>u<ab>abcdefgh<ef><bf><bd>"
          "<a1>t<b4>abcdefg<c3><a9>abcdefgh<ef><bf><bd>" },
        { "n=%C3+%A9&u=%E2%82%2B&t=%E2%82%AC%E2%82%AC%E2%82",
          "k1 n'<ef><bf><bd><20><ef><bf><bd>' u'<ef><bf><bd><ef><bf><bd>+' "
          "r- t'<e2><82><ac><e2><82><ac><ef><bf><bd><ef><bf><bd>' aid- uid-"
          " ts- p- tr-",
          "<83><a1>n<a7><ef><bf><bd><20><ef><bf><bd><a1>u<a7><ef><bf><bd>"
          "<ef><bf><bd>+<a1>t<ac><e2><82><ac><e2><82><ac><ef><bf><bd><ef>"
          "<bf><bd>" },
    };

    check_rows("invalid_utf8_after_decoding", rows, NROWS(rows));
}

Test(pixel_pinned, raw_non_ascii_bytes)
{
    static const pinned_t  rows[] = {
        { "n=S\xc3\xa3o+Paulo&u=\xff\xfe&t=caf\xc3\xa9&r=\xe2\x82",
          "k1 n'S<c3><a3>o<20>Paulo' u'<ef><bf><bd><ef><bf><bd>' r'<ef><bf>"
          "<bd><ef><bf><bd>' t'caf<c3><a9>' aid- uid- ts- p- tr-",
          "<84><a1>n<aa>S<c3><a3>o<20>Paulo<a1>u<a6><ef><bf><bd><ef><bf>"
          "<bd><a1>t<a5>caf<c3><a9><a1>r<a6><ef><bf><bd><ef><bf><bd>" },
        { "n=\xc3%A9&u=%C3\xa9&t=\xed\xa0\x80&r=\x80\x80",
          "k1 n'<c3><a9>' u'<c3><a9>' r'<ef><bf><bd><ef><bf><bd>' t'<ef>"
          "<bf><bd><ef><bf><bd><ef><bf><bd>' aid- uid- ts- p- tr-",
          "<84><a1>n<a2><c3><a9><a1>u<a2><c3><a9><a1>t<a9><ef><bf><bd><ef>"
          "<bf><bd><ef><bf><bd><a1>r<a6><ef><bf><bd><ef><bf><bd>" },
        { "\xff=1&n\xff=2&n=\xf0\x9f\x98\x80&p.\xc3\xa9=\xc3",
          "k1 n'<f0><9f><98><80>' u- r- t- aid- uid- ts- p<81><a2><c3><a9>"
          "<a3><ef><bf><bd> tr-",
          "<84><a3><ef><bf><bd><a1>1<a4>n<ef><bf><bd><a1>2<a1>n<a4><f0><9f>"
          "<98><80><a4>p.<c3><a9><a3><ef><bf><bd>" },
        { "n=\x01\x1f\x7f&u=\x09+\x0a",
          "k1 n'<01><1f><7f>' u'<09><20><0a>' r- t- aid- uid- ts- p- tr-",
          "<82><a1>n<a3><01><1f><7f><a1>u<a3><09><20><0a>" },
    };

    check_rows("raw_non_ascii_bytes", rows, NROWS(rows));
}

Test(pixel_pinned, empty_pairs_and_names_without_value)
{
    static const pinned_t  rows[] = {
        { "&",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<80>" },
        { "&&",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<80>" },
        { "=",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<80>" },
        { "=x&==&=&",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<80>" },
        { "&n=x",
          "k1 n'x' u- r- t- aid- uid- ts- p- tr-",
          "<81><a1>n<a1>x" },
        { "n=x&",
          "k1 n'x' u- r- t- aid- uid- ts- p- tr-",
          "<81><a1>n<a1>x" },
        { "&&n=1&&u=2&&",
          "k1 n'1' u'2' r- t- aid- uid- ts- p- tr-",
          "<82><a1>n<a1>1<a1>u<a1>2" },
        { "n&u&t&r&aid&uid&ts&noimg&e",
          "k0 n'' u'' r'' t'' aid- uid- ts- p- tr-",
          "<89><a1>n<a0><a1>u<a0><a1>t<a0><a1>r<a0><a3>aid<a0><a3>uid<a0>"
          "<a2>ts<a0><a5>noimg<a0><a1>e<a0>" },
        { "n=&u=&t=&r=&aid=&uid=&ts=&noimg=&e=",
          "k0 n'' u'' r'' t'' aid- uid- ts- p- tr-",
          "<89><a1>n<a0><a1>u<a0><a1>t<a0><a1>r<a0><a3>aid<a0><a3>uid<a0>"
          "<a2>ts<a0><a5>noimg<a0><a1>e<a0>" },
        { "p.a&tr.b&p.c=&tr.d=",
          "k1 n- u- r- t- aid- uid- ts- p<82><a1>a<a0><a1>c<a0> tr<82><a1>b"
          "<a0><a1>d<a0>",
          "<84><a3>p.a<a0><a4>tr.b<a0><a3>p.c<a0><a4>tr.d<a0>" },
    };

    check_rows("empty_pairs_and_names_without_value", rows, NROWS(rows));
}

Test(pixel_pinned, repeated_names)
{
    static const pinned_t  rows[] = {
        { "n=x&n=y&u=1&u=&t=a&t&r=1&r=2",
          "k1 n'y' u'' r'2' t'' aid- uid- ts- p- tr-",
          "<84><a1>n<a1>y<a1>u<a0><a1>t<a0><a1>r<a1>2" },
        { "n=a&&n=b&aid=x&aid=&uid=u&uid",
          "k1 n'b' u- r- t- aid- uid- ts- p- tr-",
          "<83><a1>n<a1>b<a3>aid<a0><a3>uid<a0>" },
        { "e=track&e=screen&e=bogus",
          "k0 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a1>e<a5>bogus" },
        { "e=bogus&e=track&n=E",
          "k2 n'E' u- r- t- aid- uid- ts- p- tr-",
          "<82><a1>e<a5>track<a1>n<a1>E" },
        { "e=Page&E=track",
          "k0 n- u- r- t- aid- uid- ts- p- tr-",
          "<82><a1>e<a4>Page<a1>E<a5>track" },
        { "e=%70age&e=tr%61ck",
          "k2 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a1>e<a5>track" },
        { "noimg=1&noimg=2",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a5>noimg<a1>2" },
        { "noimg=%31",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a5>noimg<a1>1" },
        { "noimg=0&noimg=1&x=1",
          "k1 n- u- r- t- aid- uid- ts- noimg p- tr-",
          "<82><a5>noimg<a1>1<a1>x<a1>1" },
        { "ts=1700000000123&ts=12a&ts=007",
          "k1 n- u- r- t- aid- uid- ts7 p- tr-",
          "<81><a2>ts<a3>007" },
        { "ts=12a&ts=%31%32",
          "k1 n- u- r- t- aid- uid- ts12 p- tr-",
          "<81><a2>ts<a2>12" },
        { "ts=999999999999999999&ts",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a2>ts<a0>" },
        { "ts=1234567890123456789",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a2>ts<b3>1234567890123456789" },
        { "ts=+5&ts=%2B5",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a2>ts<a2>+5" },
        { "ts=5%00",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<81><a2>ts<a2>5<00>" },
    };

    check_rows("repeated_names", rows, NROWS(rows));
}

Test(pixel_pinned, prefixed_fields)
{
    static const pinned_t  rows[] = {
        { "p.a=1&p.b=2&p.a=3&tr.a=4&tr.a=",
          "k1 n- u- r- t- aid- uid- ts- p<82><a1>a<a1>3<a1>b<a1>2 tr<81>"
          "<a1>a<a0>",
          "<83><a3>p.a<a1>3<a3>p.b<a1>2<a4>tr.a<a0>" },
        { "p.=1&tr.=2&p.&tr.&p&tr&p.x&tr.y=",
          "k1 n- u- r- t- aid- uid- ts- p<81><a1>x<a0> tr<81><a1>y<a0>",
          "<86><a2>p.<a0><a3>tr.<a0><a1>p<a0><a2>tr<a0><a3>p.x<a0><a4>tr.y"
          "<a0>" },
        { "p.%61=1&p.a=2&p.a+b=3&p.a%20b=4&p.a=5",
          "k1 n- u- r- t- aid- uid- ts- p<84><a1>a<a1>1<a1>a<a1>5<a3>a<20>b"
          "<a1>3<a3>a<20>b<a1>4 tr-",
          "<84><a3>p.a<a1>1<a3>p.a<a1>5<a5>p.a<20>b<a1>3<a5>p.a<20>b<a1>4" },
        { "p.%FF=%FF&tr.%C0=%E2%82&p.\xff=x&tr.%C0=y",
          "k1 n- u- r- t- aid- uid- ts- p<82><a3><ef><bf><bd><a3><ef><bf>"
          "<bd><a3><ef><bf><bd><a1>x tr<81><a3><ef><bf><bd><a1>y",
          "<83><a5>p.<ef><bf><bd><a3><ef><bf><bd><a6>tr.<ef><bf><bd><a1>y"
          "<a5>p.<ef><bf><bd><a1>x" },
        { "tr.p.x=1&p.tr.y=2&pp.z=3&P.w=4&TR.v=5&p..=6",
          "k1 n- u- r- t- aid- uid- ts- p<82><a4>tr.y<a1>2<a1>.<a1>6 tr<81>"
          "<a3>p.x<a1>1",
          "<86><a6>tr.p.x<a1>1<a6>p.tr.y<a1>2<a4>pp.z<a1>3<a3>P.w<a1>4<a4>T"
          "R.v<a1>5<a3>p..<a1>6" },
        { "p.b=2&tr.name=Ann&p.a=1&n=x&p.a+b=x%26y&tr.p.q=r&p.B=3",
          "k1 n'x' u- r- t- aid- uid- ts- p<84><a1>b<a1>2<a1>a<a1>1<a3>a"
          "<20>b<a3>x&y<a1>B<a1>3 tr<82><a4>name<a3>Ann<a3>p.q<a1>r",
          "<87><a3>p.b<a1>2<a7>tr.name<a3>Ann<a3>p.a<a1>1<a1>n<a1>x<a5>p.a"
          "<20>b<a3>x&y<a6>tr.p.q<a1>r<a3>p.B<a1>3" },
        { "p.k=&p.k&p.k=v",
          "k1 n- u- r- t- aid- uid- ts- p<81><a1>k<a1>v tr-",
          "<81><a3>p.k<a1>v" },
        { "p.k=v&p.k",
          "k1 n- u- r- t- aid- uid- ts- p<81><a1>k<a0> tr-",
          "<81><a3>p.k<a0>" },
    };

    check_rows("prefixed_fields", rows, NROWS(rows));
}

Test(pixel_pinned, segment_map_groups_and_top_level_keys)
{
    static const pinned_t  rows[] = {
        { "userId=a&userId=b&properties.x=1&properties.x=2&traits.t="
          "&context.c.d=e&event=E&properties.=z&context.=y",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<87><a6>userId<a1>b<a5>event<a1>E<ab>properties.<a1>z<a8>context"
          ".<a1>y<aa>properties<81><a1>x<a1>2<a6>traits<81><a1>t<a0><a7>con"
          "text<81><a3>c.d<a1>e" },
        { "properties.a=1&properties.a=2&Properties.b=3&traits.%61=1"
          "&traits.a=2",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<83><ac>Properties.b<a1>3<aa>properties<81><a1>a<a1>2<a6>traits"
          "<82><a1>a<a1>1<a1>a<a1>2" },
        { "us%65rId=%FF&userId=x&context.page.url=https%3A%2F%2Fx",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<83><a6>userId<a3><ef><bf><bd><a6>userId<a1>x<a7>context<81><a8>"
          "page.url<a9>https://x" },
        { "a=1&b=2&a=3&=4&c&c=5&a",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<83><a1>a<a0><a1>b<a1>2<a1>c<a1>5" },
        { "context.a=1&traits.b=2&properties.c=3&x=4",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<84><a1>x<a1>4<aa>properties<81><a1>c<a1>3<a6>traits<81><a1>b"
          "<a1>2<a7>context<81><a1>a<a1>1" },
        { "properties=1&traits&context.=&propertiesX.y=3",
          "k1 n- u- r- t- aid- uid- ts- p- tr-",
          "<84><aa>properties<a1>1<a6>traits<a0><a8>context.<a0><ad>propert"
          "iesX.y<a1>3" },
    };

    check_rows("segment_map_groups_and_top_level_keys", rows, NROWS(rows));
}

Test(pixel_pinned, a_bench_query)
{
    static const pinned_t  rows[] = {
        { "e=page&u=https%3A%2F%2Fshop.example.test%2Fproducts%2F1234%3Fref"
          "%3Dnews&r=https%3A%2F%2Fsearch.example.test%2F%3Fq%3Dwidgets"
          "&t=Widget%201234%20%E2%80%94%20Example%20Shop"
          "&aid=3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b&uid=user-12345"
          "&p.category=widgets&p.price=123.45",
          "k1 n- u'https://shop.example.test/products/1234?ref=news' r'http"
          "s://search.example.test/?q=widgets' t'Widget<20>1234<20><e2><80>"
          "<94><20>Example<20>Shop' aid'3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5"
          "b' uid'user-12345' ts- p<82><a8>category<a7>widgets<a5>price<a6>"
          "123.45 tr-",
          "<88><a1>e<a4>page<a1>u<d9>0https://shop.example.test/products/12"
          "34?ref=news<a1>r<d9>&https://search.example.test/?q=widgets<a1>t"
          "<bc>Widget<20>1234<20><e2><80><94><20>Example<20>Shop<a3>aid<d9>"
          "$3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b<a3>uid<aa>user-12345<aa>p."
          "category<a7>widgets<a7>p.price<a6>123.45" },
        { "e=track&n=Sign+Up&u=https%3A%2F%2Fex.com%2Fa%3Fb%3Dc"
          "&r=https%3A%2F%2Fref.example%2F&t=Title%20Here"
          "&aid=a-1&uid=u-1&ts=1700000000123&noimg=1"
          "&p.plan=pro&tr.email=x%40y.z&p.seats=3&tr.age=42",
          "k2 n'Sign<20>Up' u'https://ex.com/a?b=c' r'https://ref.example/'"
          " t'Title<20>Here' aid'a-1' uid'u-1' ts1700000000123 noimg p<82>"
          "<a4>plan<a3>pro<a5>seats<a1>3 tr<82><a5>email<a5>x@y.z<a3>age"
          "<a2>42",
          "<8d><a1>e<a5>track<a1>n<a7>Sign<20>Up<a1>u<b4>https://ex.com/a?b"
          "=c<a1>r<b4>https://ref.example/<a1>t<aa>Title<20>Here<a3>aid<a3>"
          "a-1<a3>uid<a3>u-1<a2>ts<ad>1700000000123<a5>noimg<a1>1<a6>p.plan"
          "<a3>pro<a8>tr.email<a5>x@y.z<a7>p.seats<a1>3<a6>tr.age<a2>42" },
    };

    check_rows("a_bench_query", rows, NROWS(rows));
}

/* ---- long and generated inputs, by hash --------------------------------- */

static void
q_add(text_t *t, const char *s, size_t times)
{
    while (times--) {
        put(t, s);
    }
}

/* Appends fmt with i and i % 10 (two %zu). */
static void
q_addf(text_t *t, const char *fmt, size_t i)
{
    char  s[64];

    snprintf(s, sizeof(s), fmt, i, i % 10);
    put(t, s);
}

/* The hash of the renderings of q (pixel, then segment map). */
static uint64_t
hash_of(const char *q, size_t len)
{
    char      *px = render_pixel(q, len), *seg = render_segment(q, len);
    uint64_t   h;

    h = fnv1a(fnv1a(FNV_START, px), seg);
    free(px);
    free(seg);
    return h;
}

/* Compares q's hash with want, then empties q for the next query. */
static void
check_hash(const char *what, text_t *q, uint64_t want)
{
    uint64_t  h = hash_of(q->p, q->len);

    if (want == 0) {
        printf("HASH\t%s\t0x%016llxULL\n", what, (unsigned long long) h);
    }
    cr_expect_eq(h, want, "%s: 0x%016llx", what, (unsigned long long) h);
    free(q->p);
    q->p = NULL;
    q->len = q->cap = 0;
}

Test(pixel_pinned, long_values)
{
    text_t  q = { NULL, 0, 0 };

    put(&q, "n=");
    q_add(&q, "a", 300);
    put(&q, "&t=");
    q_add(&q, "%E2%82%AC", 200);
    put(&q, "&u=");
    q_add(&q, "+", 100);
    put(&q, "&r=");
    q_add(&q, "abcdefg%80", 100);
    put(&q, "&p.long=");
    q_add(&q, "x%C3%A9yz", 5000);
    check_hash("mixed long values", &q, 0xeb71de9795d0bbffULL);

    put(&q, "n=");
    q_add(&q, "z", 70000);
    put(&q, "&tr.");
    q_add(&q, "k", 40);
    put(&q, "=v");
    check_hash("70000-byte name, 40-byte trait key", &q,
               0x34eeb9708ea050c7ULL);

    put(&q, "u=");
    q_add(&q, "%FF", 21846);
    check_hash("21846 bad bytes, each repaired", &q, 0x8bf543b7f6749546ULL);
}

Test(pixel_pinned, caps_on_prefixed_fields)
{
    text_t  q = { NULL, 0, 0 };
    size_t  i;

    /* 65 distinct properties: the first 64 are kept */
    for (i = 0; i < 65; i++) {
        q_addf(&q, "p.k%zu=%zu&", i);
    }
    check_hash("65 distinct properties", &q, 0x2a7c9c1229c50b83ULL);

    /* the same name 300 times: one property, the last value */
    for (i = 0; i < 300; i++) {
        q_addf(&q, "p.a=%zu%zu&", i);
    }
    check_hash("300 times p.a", &q, 0xb3c5b4515eec1de9ULL);

    /* names first seen after the 256th prefixed pair are not looked at */
    q_add(&q, "p.x=1&", 254);
    put(&q, "p.y=2&p.z=3&p.x=4&tr.t=5");
    check_hash("a name at the 257th prefixed pair", &q, 0x8aa4e3f7220d5497ULL);

    q_add(&q, "tr.x=1&", 300);
    put(&q, "tr.y=2&p.z=3");
    check_hash("traits after 300 pairs", &q, 0x5f7005f3b4c5f406ULL);

    /* long names are compared in full */
    put(&q, "p.");
    q_add(&q, "k", 300);
    put(&q, "=1&p.");
    q_add(&q, "k", 299);
    put(&q, "j=2&p.");
    q_add(&q, "k", 300);
    put(&q, "=3&");
    q_add(&q, "k", 300);
    put(&q, "=4&");
    q_add(&q, "k", 300);
    put(&q, "=5");
    check_hash("300-byte names", &q, 0x197f486fb299b699ULL);

    /* Segment groups have the same caps; top-level keys have none */
    for (i = 0; i < 70; i++) {
        q_addf(&q, "k%zu=%zu&", i);
        q_addf(&q, "properties.p%zu=%zu&", i);
    }
    q_add(&q, "context.c=1&", 300);
    put(&q, "context.d=2&traits.t=&k3=last");
    check_hash("70 top-level keys, capped groups", &q, 0xb5739edf44b59ff2ULL);
}

static void
check_generated(uint64_t h, uint64_t want)
{
    if (want == 0) {
        printf("HASH\tgenerated\t0x%016llxULL\n", (unsigned long long) h);
    }
    cr_expect_eq(h, want, "20000 generated queries: 0x%016llx",
                 (unsigned long long) h);
}

/* A deterministic generator biased to repeated names and tricky escapes. */
static uint64_t  gen_state;

static uint32_t
gen_rand(void)
{
    gen_state = gen_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t) (gen_state >> 33);
}

static size_t
gen_query(char *q, size_t cap)
{
    static const char *const  names[] = {
        "e", "n", "u", "r", "t", "aid", "uid", "ts", "noimg", "p.a", "p.b",
        "p.%61", "p.", "tr.a", "tr.b", "tr.", "properties.a", "traits.a",
        "context.a", "properties.", "userId", "event", "x", "",
    };
    static const char *const  bits[] = {
        "%", "%4", "%41", "%4a", "%zz", "%C3", "%A9", "%E2%82", "%AC", "%80",
        "%ED%A0%80", "%F0%9F%98%80", "%00", "%2B", "+", "\xff", "\xc3",
        "\xa9", "\xe2\x82\xac", "=", "1", "track", "page", "0123456789",
        "abcdefgh", "abcdefghijklmnop",
    };
    size_t                    n = 0, pairs = gen_rand() % 12, k, l;
    const char               *s;

#define GEN_PUT(str)                                                      \
    do {                                                                  \
        s = (str);                                                        \
        l = strlen(s);                                                    \
        if (n + l > cap) {                                                \
            return n;                                                     \
        }                                                                 \
        memcpy(q + n, s, l);                                              \
        n += l;                                                           \
    } while (0)

    while (pairs--) {
        GEN_PUT(names[gen_rand() % (sizeof(names) / sizeof(names[0]))]);
        if (gen_rand() % 8) {
            GEN_PUT("=");
        }
        for (k = gen_rand() % 8; k; k--) {
            GEN_PUT(bits[gen_rand() % (sizeof(bits) / sizeof(bits[0]))]);
        }
        for (k = gen_rand() % 3; k; k--) {
            GEN_PUT("&");
        }
    }
#undef GEN_PUT
    return n;
}

Test(pixel_pinned, generated_queries)
{
    char      q[4096];
    size_t    i, len;
    uint64_t  h = FNV_START;
    char     *px, *seg;

    gen_state = 0x9e3779b97f4a7c15ULL;
    for (i = 0; i < 20000; i++) {
        len = gen_query(q, sizeof(q));
        px = render_pixel(q, len);
        seg = render_segment(q, len);
        h = fnv1a(fnv1a(h, px), seg);
        free(px);
        free(seg);
    }
    check_generated(h, 0x171fac5a12f7fa80ULL);
}
