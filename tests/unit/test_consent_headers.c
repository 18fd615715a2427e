/*
 * test_consent_headers.c -- unit tests of the Sec-GPC and DNT readers
 * (shared/consent_headers.h).
 *
 * Every value is an exact-size heap copy (no NUL after it), so a read past
 * the end is caught by AddressSanitizer when the tests run under it.
 */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "consent_headers.h"

#define CH_MAX  8

/* Calls f on the n values (exact-size copies). */
static int
ch_call(int (*f)(const spoor_str_t *, size_t), const char *const *v,
    size_t n)
{
    spoor_str_t  s[CH_MAX];
    size_t       i;
    int          r;

    cr_assert(n <= CH_MAX);
    for (i = 0; i < n; i++) {
        s[i].len = strlen(v[i]);
        s[i].data = malloc(s[i].len ? s[i].len : 1);
        cr_assert_not_null(s[i].data);
        memcpy((char *) s[i].data, v[i], s[i].len);
    }
    r = f(s, n);
    for (i = 0; i < n; i++) {
        free((char *) s[i].data);
    }
    return r;
}

static int
gpc1(const char *v)
{
    return ch_call(spoor_gpc_header, &v, 1);
}

static int
dnt1(const char *v)
{
    return ch_call(spoor_dnt_header, &v, 1);
}

#define GPC(exp, v)  cr_assert_eq(gpc1(v), (exp), "Sec-GPC [%s]", (v))
#define DNT(exp, v)  cr_assert_eq(dnt1(v), (exp), "DNT [%s]", (v))

/* ---- Sec-GPC ------------------------------------------------------------ */

Test(consent_headers, gpc_single)
{
    GPC(1, "1");
    GPC(1, " 1");
    GPC(1, "1 ");
    GPC(1, "\t1\t");
    GPC(0, "0");
    GPC(0, "");
    GPC(0, " ");
    GPC(0, "01");
    GPC(0, "10");
    GPC(0, "11");
    GPC(0, "1.0");
    GPC(0, "true");
    GPC(0, "1;x");
    GPC(0, "1 1");
    GPC(0, "\"1\"");
    GPC(0, "+1");
    GPC(0, "1\r");
    GPC(0, "1\n");
    GPC(0, "\xb1");
    GPC(0, "yes");
}

Test(consent_headers, gpc_joined)
{
    /* what nginx's $http_sec_gpc gives for repeated lines */
    GPC(1, "1, 1");
    GPC(1, "0, 1");
    GPC(1, "1, 0");
    GPC(1, "foo, 1, bar");
    GPC(1, "1,1");
    GPC(1, ",1");
    GPC(1, "1,");
    GPC(0, "0, 0");
    GPC(0, "0, 1x");
    GPC(0, ", ,");
    GPC(0, "11, 01");
}

Test(consent_headers, gpc_repeated)
{
    static const char *const  a[] = { "0", "1" };
    static const char *const  b[] = { "1", "0" };
    static const char *const  c[] = { "0", "true", "" };
    static const char *const  d[] = { "", "x", "0, 1" };
    static const char *const  e[] = { "1 0", "01" };

    cr_assert_eq(ch_call(spoor_gpc_header, a, 2), 1);
    cr_assert_eq(ch_call(spoor_gpc_header, b, 2), 1);
    cr_assert_eq(ch_call(spoor_gpc_header, c, 3), 0);
    cr_assert_eq(ch_call(spoor_gpc_header, d, 3), 1);
    cr_assert_eq(ch_call(spoor_gpc_header, e, 2), 0);
}

Test(consent_headers, gpc_none)
{
    spoor_str_t  s[2] = { { NULL, 5 }, { NULL, 0 } };

    cr_assert_eq(spoor_gpc_header(NULL, 0), 0);
    cr_assert_eq(spoor_gpc_header(s, 0), 0);
    cr_assert_eq(spoor_gpc_header(s, 2), 0);       /* NULL data is skipped */
    s[1].data = "1";
    s[1].len = 1;
    cr_assert_eq(spoor_gpc_header(s, 2), 1);
    cr_assert_eq(spoor_gpc_header(s, 1), 0);       /* only n entries read */
}

Test(consent_headers, gpc_len_bounds)
{
    /* the length is what counts, not a NUL */
    spoor_str_t  s = { "1", 0 };
    spoor_str_t  t = { "10", 1 };

    cr_assert_eq(spoor_gpc_header(&s, 1), 0);
    cr_assert_eq(spoor_gpc_header(&t, 1), 1);
}

/* ---- DNT ---------------------------------------------------------------- */

Test(consent_headers, dnt_single)
{
    DNT(1, "1");
    DNT(1, " 1 ");
    DNT(1, "1xyz");               /* extension characters are ignored */
    DNT(1, "1!");
    DNT(1, "10");
    DNT(0, "0");
    DNT(0, "0xyz");
    DNT(0, "01");
    DNT(0, "");
    DNT(0, " ");
    DNT(0, "yes");
    DNT(0, "true");
    DNT(0, "x1");
}

Test(consent_headers, dnt_joined_and_repeated)
{
    static const char *const  a[] = { "0", "1" };
    static const char *const  b[] = { "0", "0" };

    DNT(1, "0, 1");
    DNT(1, "1, 0");
    DNT(0, "0, 0");
    DNT(0, "0, x1");
    cr_assert_eq(ch_call(spoor_dnt_header, a, 2), 1);
    cr_assert_eq(ch_call(spoor_dnt_header, b, 2), 0);
    cr_assert_eq(spoor_dnt_header(NULL, 0), 0);
}
