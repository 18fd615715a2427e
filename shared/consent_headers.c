/*
 * consent_headers.c -- Sec-GPC and DNT (see consent_headers.h).
 */
#include "consent_headers.h"

#define CH_GPC  0
#define CH_DNT  1


static int
ch_ows(char c)
{
    return c == ' ' || c == '\t';
}


/* Whether the instance s[0 .. len), OWS already removed, says "1". */
static int
ch_instance(const char *s, size_t len, int kind)
{
    if (kind == CH_GPC) {
        return len == 1 && s[0] == '1';
    }
    return len >= 1 && s[0] == '1';
}


static int
ch_any(const spoor_str_t *values, size_t n, int kind)
{
    const char  *s, *b, *e;
    size_t       i, j, len, start;

    if (values == NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        s = values[i].data;
        len = values[i].len;
        if (s == NULL) {
            continue;
        }
        start = 0;
        for (j = 0; j <= len; j++) {
            if (j < len && s[j] != ',') {
                continue;
            }
            b = s + start;
            e = s + j;
            while (b < e && ch_ows(*b)) {
                b++;
            }
            while (e > b && ch_ows(e[-1])) {
                e--;
            }
            if (e > b && ch_instance(b, (size_t) (e - b), kind)) {
                return 1;
            }
            start = j + 1;
        }
    }
    return 0;
}


int
spoor_gpc_header(const spoor_str_t *values, size_t n)
{
    return ch_any(values, n, CH_GPC);
}


int
spoor_dnt_header(const spoor_str_t *values, size_t n)
{
    return ch_any(values, n, CH_DNT);
}
