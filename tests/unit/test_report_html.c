/*
 * test_report_html.c -- the figures' document drawn as a page
 * (analyzer/report_html.h): sections and tables of the example document,
 * exact numbers, hostile names, empty and odd documents, size and time.
 *
 * The example document is tests/fixtures/stats_example.json (the tests
 * run from the repository root, as `make test` runs them).  Hostile
 * documents are written here with yajl_gen, which puts any bytes into a
 * string (control characters escaped, ill-formed UTF-8 as it is).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include "error.h"
#include "report_html.h"
#include "utf8.h"

#define FIXTURE  "tests/fixtures/stats_example.json"


static char *
read_text(const char *path)
{
    FILE    *f = fopen(path, "rb");
    char    *buf;
    long     n;

    cr_assert_not_null(f, "%s: cannot open (run from the repository root)",
                       path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t) n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t) n, f), (size_t) n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}


/* The page of json; fails the test unless it renders. */
static char *
render(const char *json, size_t *len)
{
    char   *html, err[256];
    size_t  n;
    int     rc = report_html(json, &html, &n, err, sizeof(err));

    cr_assert_eq(rc, SPOOR_OK, "report_html: %d %s", rc, err);
    cr_assert_not_null(html);
    cr_assert_eq(strlen(html), n);
    if (len) {
        *len = n;
    }
    return html;
}


/* The text of <table data-figure="FIGURE"> .. </table> (the caller
 * frees), or NULL. */
static char *
table_of(const char *html, const char *figure)
{
    char        open[128];
    const char *p, *e;
    char       *t;

    snprintf(open, sizeof(open), "<table data-figure=\"%s\"", figure);
    p = strstr(html, open);
    if (p == NULL) {
        return NULL;
    }
    e = strstr(p, "</table>");
    cr_assert_not_null(e);
    t = strndup(p, (size_t) (e - p));
    cr_assert_not_null(t);
    return t;
}


/* The data-n values of a table, in order, joined with commas. */
static char *
numbers_of(const char *html, const char *figure)
{
    char        *t = table_of(html, figure), *out;
    const char  *p;
    size_t       n = 0;

    cr_assert_not_null(t, "no table %s", figure);
    out = calloc(1, strlen(t) + 1);
    for (p = t; (p = strstr(p, "data-n=\"")) != NULL; ) {
        p += 8;
        if (n) {
            out[n++] = ',';
        }
        while (*p != '"') {
            out[n++] = *p++;
        }
    }
    free(t);
    return out;
}


static size_t
count(const char *hay, const char *needle)
{
    size_t  n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}


static void
expect_numbers(const char *html, const char *figure, const char *want)
{
    char  *got = numbers_of(html, figure);

    cr_expect_str_eq(got, want, "table %s: data-n %s, expected %s", figure,
                     got, want);
    free(got);
}


Test(report_html, example_has_every_section_table_and_number)
{
    char        *json = read_text(FIXTURE), *html;
    char         id[64];
    const char  *s, *e;
    size_t       len;
    static const char  *figures[] = {
        "overview", "segments", "history", "lifecycle", "rfm", "rfm.grid",
        "rfm.monetary", "events", "daily", "daily.names", "consentActions",
        "consentSignals", "consentByCountry", "consentDaily", "top.pages",
        "top.referrers", "top.campaigns", "top.countries", "top.browsers",
        "top.devices", "topCountries", "topCategories", "identity",
        "quality", "quality.skipped"
    };

    html = render(json, &len);
    cr_assert(spoor_utf8_valid((const unsigned char *) html, len));
    for (s = REPORT_SECTIONS; *s; s = *e ? e + 1 : e) {
        e = s + strcspn(s, " ");
        snprintf(id, sizeof(id), "<section id=\"%.*s\"><h2>", (int) (e - s),
                 s);
        cr_expect(strstr(html, id) != NULL, "no %s", id);
    }
    for (len = 0; len < sizeof(figures) / sizeof(figures[0]); len++) {
        char  *t = table_of(html, figures[len]);

        cr_expect_not_null(t, "no table %s", figures[len]);
        free(t);
    }
    cr_expect(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" "
                     "content=\"default-src 'none'; style-src "
                     "'unsafe-inline'; img-src data:\">") != NULL);
    cr_expect(strstr(html, "<script") == NULL);
    cr_expect(strstr(html, "http://") == NULL);
    cr_expect(strstr(html, "https://") == NULL);
    cr_expect(strstr(html, "prefers-color-scheme:dark") != NULL);
    cr_expect(strstr(html, "@media print") != NULL);
    /* the example lacks nothing but "logs" (no --logs) */
    cr_expect_eq(count(html, "no data"), 1);

    expect_numbers(html, "overview", "3,761,20000");
    expect_numbers(html, "segments", "41,77,12,300");
    expect_numbers(html, "lifecycle", "300,250,150,61");
    expect_numbers(html, "rfm", "120");
    expect_numbers(html, "rfm.grid", "5,4,3,2,1,4,5,6,2,1,3,3,5,6,7,"
                   "2,2,4,6,9,1,1,2,8,13");
    expect_numbers(html, "rfm.monetary", "24,24,24,24,24");
    expect_numbers(html, "history", "1,500,20,50,5,400,2,650,33,60,9,350,"
                   "3,761,41,77,12,300");
    expect_numbers(html, "events", "11242,8357,401");
    expect_numbers(html, "daily", "3000,4000,150,2800,3900,130,2557,3342,"
                   "121");
    /* summed over the days, most first */
    expect_numbers(html, "daily.names", "5600,4200,80");
    cr_expect(strstr(html, "Product Viewed</bdi></th><td data-n=\"5600\">")
              != NULL);
    expect_numbers(html, "consentByCountry", "2900,200,90");
    /* per day and action: full, anonymous, cookieless */
    expect_numbers(html, "consentDaily", "1500,200,1400,90");
    expect_numbers(html, "top.pages", "5000,1200,800");
    expect_numbers(html, "top.campaigns", "400,300");
    expect_numbers(html, "identity", "953,2,5,3,10,0");
    expect_numbers(html, "quality", "39,20000");
    expect_numbers(html, "quality.skipped", "0,1582,0,4267,0,0,0");
    cr_expect(strstr(html, "<table data-figure=\"top.campaigns\" "
                     "data-error=\"3\">") != NULL);
    cr_expect(strstr(html, "<table data-figure=\"top.pages\" "
                     "data-error=\"0\">") != NULL);
    /* a reader sees grouped digits; data-n stays exact */
    cr_expect(strstr(html, "<td data-n=\"11242\">11\xE2\x80\xAF" "242</td>")
              != NULL);
    /* no --logs: the section says so */
    cr_expect(strstr(html, "no logs were checked") != NULL);
    free(html);
    free(json);
}


/* ---- hostile names ---------------------------------------------------------- */

#define NHOSTILE  12

static char  long_name[10 * 1024 + 1];

static const char *
hostile(size_t i)
{
    static const char  *names[NHOSTILE] = {
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "'><svg onload=alert(1)>",
        "</style><style>body{display:none}",
        "]]><![CDATA[<script>alert(2)</script>",
        "\xE2\x80\xAE" "evil RTL override",                     /* U+202E */
        "ctl\x01\x1b[31m\x7f\xC2\x85\xC2\x9F" "end",             /* C0, DEL, C1 */
        "over\xC0\xBC" "script\xC0\xBE long",                   /* overlong '<' */
        "sur\xED\xA0\x80rogate",
        "&amp; &lt;not a tag&gt;",
        "</title></svg></table></section><script>x</script>",
        NULL,                                                   /* long_name */
    };

    if (i == NHOSTILE - 1) {
        size_t  k;

        if (long_name[0] == '\0') {
            for (k = 0; k + 2 <= 10 * 1024; k += 2) {
                memcpy(long_name + k, "\xC3\xA9", 2);            /* é */
            }
            long_name[k] = '\0';
        }
        return long_name;
    }
    return names[i];
}


#define S(g, s)  yajl_gen_string(g, (const unsigned char *) (s), strlen(s))
#define N(g, n)  yajl_gen_integer(g, n)

/* {NAME: n, ...} over every hostile name */
static void
gen_counts(yajl_gen g)
{
    size_t  i;

    yajl_gen_map_open(g);
    for (i = 0; i < NHOSTILE; i++) {
        S(g, hostile(i));
        N(g, (long long) (i + 1) * 10);
    }
    yajl_gen_map_close(g);
}


/* A document whose every name is hostile: the caller frees it. */
static char *
hostile_doc(void)
{
    yajl_gen              g = yajl_gen_alloc(NULL);
    const unsigned char  *buf;
    size_t                len, i, k;
    char                 *out;
    static const char    *lists[] = { "pages", "referrers", "campaigns",
                                      "countries", "browsers", "devices" };

    cr_assert_not_null(g);
    yajl_gen_map_open(g);
    S(g, "version"); N(g, 1);
    S(g, "generation"); N(g, 7);
    S(g, "asOf"); S(g, hostile(0));
    S(g, "profiles"); N(g, 5);
    S(g, "events"); gen_counts(g);
    S(g, "consentActions"); gen_counts(g);
    S(g, "consentSignals"); gen_counts(g);
    S(g, "topCountries"); gen_counts(g);
    S(g, "topCategories"); gen_counts(g);
    S(g, "segments"); gen_counts(g);
    S(g, "lifecycle"); gen_counts(g);
    S(g, "history");
    yajl_gen_array_open(g);
    for (k = 0; k < 3; k++) {
        yajl_gen_map_open(g);
        S(g, "generation"); N(g, (long long) k + 1);
        S(g, "time"); S(g, hostile(k + 1));
        S(g, "profiles"); N(g, 9);
        S(g, "segments"); gen_counts(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    S(g, "daily");
    yajl_gen_array_open(g);
    for (k = 0; k < 3; k++) {
        yajl_gen_map_open(g);
        S(g, "day"); S(g, hostile(k + 4));
        S(g, "events"); gen_counts(g);
        S(g, "names"); gen_counts(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    S(g, "consentDaily");
    yajl_gen_array_open(g);
    yajl_gen_map_open(g);
    S(g, "day"); S(g, hostile(5));
    S(g, "outcomes");
    yajl_gen_array_open(g);
    for (i = 0; i < NHOSTILE; i++) {
        yajl_gen_map_open(g);
        S(g, "signal"); S(g, hostile(i));
        S(g, "action"); S(g, hostile(NHOSTILE - 1 - i));
        S(g, "country"); S(g, hostile(i));
        S(g, "events"); N(g, 3);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_array_close(g);
    S(g, "consentByCountry");
    yajl_gen_array_open(g);
    for (i = 0; i < NHOSTILE; i++) {
        yajl_gen_map_open(g);
        S(g, "signal"); S(g, hostile(i));
        S(g, "action"); S(g, hostile(i));
        S(g, "country"); S(g, hostile(i));
        S(g, "events"); N(g, 3);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    S(g, "top");
    yajl_gen_map_open(g);
    for (k = 0; k < 6; k++) {
        S(g, lists[k]);
        yajl_gen_map_open(g);
        S(g, "error"); N(g, 0);
        S(g, "items");
        yajl_gen_array_open(g);
        for (i = 0; i < NHOSTILE; i++) {
            yajl_gen_array_open(g);
            S(g, hostile(i));
            N(g, 100 - (long long) i);
            yajl_gen_array_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
    S(g, "identity"); gen_counts(g);
    S(g, "quality");
    yajl_gen_map_open(g);
    S(g, "inputs"); N(g, 1);
    S(g, "skipped"); gen_counts(g);
    yajl_gen_map_close(g);
    S(g, "logs");
    yajl_gen_array_open(g);
    for (i = 0; i < NHOSTILE; i++) {
        yajl_gen_map_open(g);
        S(g, "file"); S(g, hostile(i));
        S(g, "frames"); N(g, 4);
        S(g, "damage");
        yajl_gen_array_open(g);
        yajl_gen_map_open(g);
        S(g, "kind"); S(g, hostile(i));
        S(g, "detail"); S(g, hostile(i));
        S(g, "writer"); S(g, hostile(i));
        yajl_gen_map_close(g);
        yajl_gen_array_close(g);
        S(g, "writers");
        yajl_gen_array_open(g);
        yajl_gen_map_open(g);
        S(g, "writer"); S(g, hostile(i));
        S(g, "host"); S(g, hostile(i));
        yajl_gen_map_close(g);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    cr_assert_eq(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
    out = strndup((const char *) buf, len);
    yajl_gen_free(g);
    return out;
}


/* Where the page has a tag that the program did not write: every '<' must
 * open a tag of the page's own vocabulary. */
static void
expect_only_own_tags(const char *html)
{
    static const char  *own[] = {
        "!DOCTYPE", "html", "head", "meta", "link", "title", "style", "body",
        "header", "h1", "h2", "h3", "p", "nav", "a", "main", "section", "svg",
        "g", "text", "rect", "line", "path", "circle", "table", "caption",
        "thead", "tbody", "tr", "th", "td", "bdi", NULL
    };
    const char  *p;
    size_t       k, n;

    for (p = html; (p = strchr(p, '<')) != NULL; p++) {
        const char  *q = p + 1 + (p[1] == '/');

        n = strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789!");
        for (k = 0; own[k]; k++) {
            if (strlen(own[k]) == n && strncmp(q, own[k], n) == 0) {
                break;
            }
        }
        cr_assert(own[k] != NULL, "a tag the page does not write: %.40s", p);
    }
}


/* Every occurrence of needle lies in text, not inside a tag. */
static void
expect_in_text_only(const char *html, const char *needle)
{
    const char  *p, *lt, *gt;

    for (p = html; (p = strstr(p, needle)) != NULL; p++) {
        for (lt = p; lt > html && *lt != '<'; lt--) {
        }
        for (gt = p; gt > html && *gt != '>'; gt--) {
        }
        cr_assert(gt > lt, "'%s' inside a tag: %.60s", needle, lt);
    }
}


Test(report_html, hostile_names_stay_text)
{
    char         *json = hostile_doc(), *html;
    const char   *p;
    size_t        len, i, run, longest = 0;

    html = render(json, &len);
    cr_assert(spoor_utf8_valid((const unsigned char *) html, len),
              "the page is not valid UTF-8");
    for (i = 0; i < len; i++) {
        unsigned char  c = (unsigned char) html[i];

        cr_assert(c >= 0x20 || c == '\n', "control byte %02x at %zu", c, i);
    }
    /* C1 controls (U+0085, U+009F) replaced */
    cr_expect(strstr(html, "\xC2\x85") == NULL);
    cr_expect(strstr(html, "\xC2\x9F") == NULL);
    cr_expect(strstr(html, "\x7f") == NULL);
    cr_expect(strstr(html, "\xC0\xBC") == NULL);
    cr_expect(strstr(html, "\xED\xA0\x80") == NULL);

    cr_expect(strstr(html, "<script") == NULL);
    cr_expect(strstr(html, "<img") == NULL);
    cr_expect(strstr(html, "<svg onload") == NULL);
    cr_expect(strstr(html, "<![CDATA[") == NULL);
    cr_expect(strstr(html, "]]>") == NULL);
    cr_expect_eq(count(html, "<style>"), 1);
    cr_expect_eq(count(html, "</style>"), 1);
    cr_expect_eq(count(html, "</title>"), count(html, "<title>"));
    cr_expect_eq(count(html, "</table>"), count(html, "<table"));
    cr_expect_eq(count(html, "</section>"), 9);
    cr_expect_eq(count(html, "</bdi>"), count(html, "<bdi>"));
    expect_only_own_tags(html);
    expect_in_text_only(html, "onerror=");
    expect_in_text_only(html, "onload=");
    expect_in_text_only(html, "alert(");
    /* the escaped forms are there: the names are shown, not dropped */
    cr_expect(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
    cr_expect(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")
              != NULL);
    cr_expect(strstr(html, "&#39;&gt;&lt;svg") != NULL);
    cr_expect(strstr(html, "&amp;amp; &amp;lt;not") != NULL);
    /* the RTL override is kept, inside an isolate */
    cr_expect(strstr(html, "<bdi>\xE2\x80\xAE" "evil") != NULL);

    /* the 10 KB name: cut at 200 characters, with "…" */
    for (p = html; *p; ) {
        for (run = 0; p[0] == '\xC3' && p[1] == '\xA9'; p += 2) {
            run++;
        }
        if (run > longest) {
            longest = run;
        }
        if (run == 200) {
            cr_expect(strncmp(p, "\xE2\x80\xA6", 3) == 0, "no … after a cut");
        }
        p += run ? 0 : 1;
    }
    cr_expect_eq(longest, 200);
    cr_expect(len < 1024 * 1024, "%zu bytes", len);
    free(html);
    free(json);
}


/* ---- empty, old and odd documents ---------------------------------------- */

Test(report_html, empty_document_says_no_data_everywhere)
{
    char        *html = render("{}", NULL);
    const char  *p, *end;

    cr_expect(strstr(html, "data-figure") == NULL);
    cr_expect(strstr(html, "<svg") == NULL);
    /* each section says it */
    for (p = html; (p = strstr(p, "<section id=")) != NULL; p = end) {
        end = strstr(p, "</section>");
        cr_assert_not_null(end);
        cr_expect(strstr(p, "no data") != NULL && strstr(p, "no data") < end,
                  "%.40s without 'no data'", p);
    }
    cr_expect_eq(count(html, "<section id="), 9);
    free(html);

    /* an empty state: zeros, empty objects and arrays */
    html = render("{\"version\":1,\"generation\":0,\"asOf\":null,"
                  "\"profiles\":0,\"events\":{},\"segments\":{},"
                  "\"lifecycle\":{\"new\":0,\"active\":0,\"lapsing\":0,"
                  "\"churned\":0},\"rfm\":{\"withOrders\":0,\"grid\":"
                  "[[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],"
                  "[0,0,0,0,0]],\"monetary\":[0,0,0,0,0]},\"history\":[],"
                  "\"daily\":[],\"consentDaily\":[],\"consentByCountry\":[],"
                  "\"top\":{\"pages\":{\"error\":0,\"items\":[]}},"
                  "\"identity\":{},\"quality\":{\"skipped\":{}},"
                  "\"logs\":[]}", NULL);
    expect_numbers(html, "lifecycle", "0,0,0,0");
    expect_numbers(html, "rfm.grid", "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                   "0,0,0,0,0,0,0");
    expect_numbers(html, "overview", "0,0");
    cr_expect(strstr(html, "no data") != NULL);
    free(html);

    /* members of the wrong type are no data too */
    html = render("{\"generation\":\"x\",\"segments\":[1],\"history\":{},"
                  "\"daily\":[1,[],{\"events\":7}],\"rfm\":{\"grid\":[1,[2]]},"
                  "\"top\":{\"pages\":{\"items\":[1,[\"a\"],[2,\"b\"]]}},"
                  "\"consentDaily\":[{\"outcomes\":[1,{}]}],"
                  "\"logs\":[1,{\"damage\":7}]}", NULL);
    free(html);
}


Test(report_html, not_an_object_is_an_error)
{
    static const char  *bad[] = {
        "[]", "\"x\"", "3", "null", "", "{", "{\"a\":}", "not json",
        "{\"a\":\"\xff\"}"
    };
    size_t   i, len;
    char    *html, err[256];

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        html = (char *) 1;
        cr_expect_eq(report_html(bad[i], &html, &len, err, sizeof(err)),
                     SPOOR_E_JSON, "%s", bad[i]);
        cr_expect_null(html);
        cr_expect(err[0] != '\0');
        cr_expect(strchr(err, '\n') == NULL, "one line: %s", err);
    }
}


Test(report_html, numbers_are_exact_at_any_size)
{
    char  *html = render("{\"segments\":{\"max\":9223372036854775807,"
                         "\"zero\":0,\"u64\":18446744073709551615},"
                         "\"events\":{\"a\":9223372036854775807,"
                         "\"b\":9223372036854775807,\"c\":2},"
                         "\"daily\":[{\"day\":\"d1\",\"names\":"
                         "{\"x\":9223372036854775807}},{\"day\":\"d2\","
                         "\"names\":{\"x\":9223372036854775807,\"y\":1}}]}",
                         NULL);

    expect_numbers(html, "segments", "9223372036854775807,0,"
                   "18446744073709551615");
    /* the events total: 2^64 exactly */
    expect_numbers(html, "overview", "18446744073709551616");
    expect_numbers(html, "daily.names", "18446744073709551614,1");
    cr_expect(strstr(html, "9\xE2\x80\xAF" "223\xE2\x80\xAF" "372") != NULL);
    free(html);

    /* one item, all zeros: drawn without dividing by zero */
    html = render("{\"segments\":{\"only\":0},\"history\":[{\"generation\":1,"
                  "\"segments\":{\"only\":0}}]}", NULL);
    cr_expect(strstr(html, "nan") == NULL && strstr(html, "inf") == NULL);
    expect_numbers(html, "history", "1,0");
    free(html);
}


Test(report_html, charts_are_capped_tables_are_not)
{
    yajl_gen              g = yajl_gen_alloc(NULL);
    const unsigned char  *buf;
    size_t                len, i;
    char                 *json, *html, *t, name[32];
    const char           *svg, *end;

    yajl_gen_map_open(g);
    S(g, "segments");
    yajl_gen_map_open(g);
    for (i = 0; i < 500; i++) {
        snprintf(name, sizeof(name), "seg_%zu", i);
        S(g, name);
        N(g, (long long) i);
    }
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    json = strndup((const char *) buf, len);
    yajl_gen_free(g);

    html = render(json, NULL);
    t = table_of(html, "segments");
    cr_expect_eq(count(t, "data-n="), 500);
    free(t);
    svg = strstr(strstr(html, "<section id=\"segments\">"), "<svg");
    end = strstr(svg, "</svg>");
    t = strndup(svg, (size_t) (end - svg));
    cr_expect_eq(count(t, "<rect"), 20);
    cr_expect(strstr(t, "viewBox=\"0 0 ") != NULL);
    free(t);
    free(html);
    free(json);
}


/* name cut to 64 bytes, as stats_json() cuts names */
static char *
pad64(char *name, int n)
{
    (void) n;
    name[64] = '\0';
    return name;
}


/* A document as large as stats_json() makes it: the page stays under
 * 1 MB and takes well under a second. */
Test(report_html, a_big_document_is_small_and_fast)
{
    yajl_gen              g = yajl_gen_alloc(NULL);
    const unsigned char  *buf;
    size_t                len, i, k;
    char                 *json, *html, name[80];
    clock_t               t0;
    double                secs;
    static const char    *lists[] = { "pages", "referrers", "campaigns",
                                      "countries", "browsers", "devices" };

#define NAME64(fmt, ...) \
    pad64(name, snprintf(name, sizeof(name), fmt "_%s", __VA_ARGS__, \
                         "padding_padding_padding_padding_padding_padding"))

    yajl_gen_map_open(g);
    S(g, "history");
    yajl_gen_array_open(g);
    for (i = 0; i < 120; i++) {
        yajl_gen_map_open(g);
        S(g, "generation"); N(g, (long long) i);
        S(g, "time"); S(g, "2026-01-01T00:00:00Z");
        S(g, "profiles"); N(g, 370000);
        S(g, "segments");
        yajl_gen_map_open(g);
        for (k = 0; k < 20; k++) {
            S(g, NAME64("segment_%zu", k));
            N(g, (long long) (i * k));
        }
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    S(g, "daily");
    yajl_gen_array_open(g);
    for (i = 0; i < 31; i++) {
        yajl_gen_map_open(g);
        S(g, "day"); S(g, "2026-01-01");
        S(g, "events");
        yajl_gen_map_open(g);
        S(g, "page"); N(g, 100000);
        S(g, "track"); N(g, 200000);
        yajl_gen_map_close(g);
        S(g, "names");
        yajl_gen_map_open(g);
        for (k = 0; k < 50; k++) {
            S(g, NAME64("event_%zu", (i * 7 + k) % 200));
            N(g, (long long) (1000 - k));
        }
        yajl_gen_map_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    S(g, "consentByCountry");
    yajl_gen_array_open(g);
    for (i = 0; i < 1000; i++) {
        yajl_gen_map_open(g);
        S(g, "signal"); S(g, "tcf");
        S(g, "action"); S(g, i % 2 ? "full" : "anonymous");
        snprintf(name, sizeof(name), "%c%c", (int) ('A' + i % 26),
                 (int) ('A' + i / 26 % 26));
        S(g, "country"); S(g, name);
        S(g, "events"); N(g, 1000000 - (long long) i);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    S(g, "top");
    yajl_gen_map_open(g);
    for (k = 0; k < 6; k++) {
        S(g, lists[k]);
        yajl_gen_map_open(g);
        S(g, "error"); N(g, 0);
        S(g, "items");
        yajl_gen_array_open(g);
        for (i = 0; i < 20; i++) {
            yajl_gen_array_open(g);
            S(g, NAME64("/item/%zu", i));
            N(g, 1000 - (long long) i);
            yajl_gen_array_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    json = strndup((const char *) buf, len);
    yajl_gen_free(g);

    t0 = clock();
    html = render(json, &len);
    secs = (double) (clock() - t0) / CLOCKS_PER_SEC;
    cr_expect(len < 1024 * 1024, "%zu bytes", len);
    cr_expect(secs < 0.5, "%.3f s", secs);
    cr_log_info("big document: %zu bytes of JSON, a page of %zu bytes in "
                "%.3f s", strlen(json), len, secs);
    free(html);
    free(json);
}
