/*
 * html_out.c -- the in-memory HTML page and the one escaping function
 * (html_out.h).
 *
 * The buffer doubles when it fills (amortized linear); buf[len] is 0
 * whenever buf is not NULL.  html_text() decodes its input one UTF-8
 * sequence at a time with the automaton of utf8.h, so a sequence is
 * either copied whole or replaced whole: nothing ill-formed can reach the
 * page, and a cut can only fall between characters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "html_out.h"
#include "utf8.h"

#define REPLACEMENT  "\xEF\xBF\xBD"          /* U+FFFD */
#define ELLIPSIS     "\xE2\x80\xA6"          /* U+2026 */
#define GROUP_SEP    "\xE2\x80\xAF"          /* U+202F narrow no-break space */


void
html_init(html_out_t *h)
{
    h->buf = NULL;
    h->len = 0;
    h->cap = 0;
    h->nomem = 0;
}


void
html_free(html_out_t *h)
{
    free(h->buf);
    html_init(h);
}


char *
html_take(html_out_t *h, size_t *len)
{
    char  *p;

    if (h->nomem || h->buf == NULL) {
        int  nomem = h->nomem;

        html_free(h);
        if (nomem) {
            *len = 0;
            return NULL;
        }
        p = calloc(1, 1);
        *len = 0;
        return p;
    }
    p = h->buf;
    *len = h->len;
    html_init(h);
    return p;
}


/* Room for n more bytes and the 0 after them; 0, or -1 (nomem set). */
static int
reserve(html_out_t *h, size_t n)
{
    size_t  cap;
    char   *p;

    if (h->nomem) {
        return -1;
    }
    if (n < h->cap - h->len) {
        return 0;
    }
    cap = h->cap ? h->cap : 4096;
    while (cap - h->len <= n) {
        if (cap > ((size_t) -1) / 2) {
            h->nomem = 1;
            return -1;
        }
        cap *= 2;
    }
    p = realloc(h->buf, cap);
    if (p == NULL) {
        h->nomem = 1;
        return -1;
    }
    h->buf = p;
    h->cap = cap;
    return 0;
}


void
html_raw(html_out_t *h, const char *s, size_t n)
{
    if (reserve(h, n) != 0) {
        return;
    }
    memcpy(h->buf + h->len, s, n);
    h->len += n;
    h->buf[h->len] = '\0';
}


void
html_lit(html_out_t *h, const char *s)
{
    html_raw(h, s, strlen(s));
}


void
html_printf(html_out_t *h, const char *fmt, ...)
{
    va_list  ap;
    int      n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(h, (size_t) n) != 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(h->buf + h->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    h->len += (size_t) n;
}


/*
 * The well-formed UTF-8 sequence at s[0 .. n): its length (1..4) and code
 * point in *cp, or 0 when s does not start one.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned  st = SPOOR_UTF8_ACCEPT;
    size_t    i;

    for (i = 0; i < n && i < 4; i++) {
        st = spoor_utf8_step(st, s[i]);
        if (st == SPOOR_UTF8_REJECT) {
            return 0;
        }
        if (st == SPOOR_UTF8_ACCEPT) {
            switch (i) {
            case 0:
                *cp = s[0];
                break;
            case 1:
                *cp = (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu);
                break;
            case 2:
                *cp = (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6
                      | (s[2] & 0x3Fu);
                break;
            default:
                *cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12
                      | (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
                break;
            }
            return i + 1;
        }
    }
    return 0;
}


void
html_text(html_out_t *h, const char *s, size_t n, size_t max_chars)
{
    const unsigned char  *p = (const unsigned char *) s;
    size_t                i = 0, k, chars = 0, run = 0;
    unsigned              cp;
    const char           *rep;

    if (s == NULL) {
        return;
    }
    /* copy runs of plain characters at once, the rest one by one */
    while (i < n) {
        if (max_chars && chars == max_chars) {
            html_raw(h, s + run, i - run);
            html_lit(h, ELLIPSIS);
            return;
        }
        k = utf8_seq(p + i, n - i, &cp);
        rep = NULL;
        if (k == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
            rep = REPLACEMENT;
            if (k == 0) {
                k = 1;
            }
        } else if (cp == '&') {
            rep = "&amp;";
        } else if (cp == '<') {
            rep = "&lt;";
        } else if (cp == '>') {
            rep = "&gt;";
        } else if (cp == '"') {
            rep = "&quot;";
        } else if (cp == '\'') {
            rep = "&#39;";
        }
        if (rep) {
            html_raw(h, s + run, i - run);
            html_lit(h, rep);
            run = i + k;
        }
        i += k;
        chars++;
    }
    html_raw(h, s + run, i - run);
}


void
html_name(html_out_t *h, const char *s, size_t n)
{
    html_lit(h, "<bdi>");
    html_text(h, s, n, HTML_NAME_MAX);
    html_lit(h, "</bdi>");
}


int
html_is_number(const char *raw)
{
    size_t  i = 0, digits = 0;

    if (raw == NULL) {
        return 0;
    }
    if (raw[i] == '-') {
        i++;
    }
    for (; raw[i] >= '0' && raw[i] <= '9'; i++) {
        digits++;
    }
    if (digits == 0) {
        return 0;
    }
    if (raw[i] == '.') {
        for (digits = 0, i++; raw[i] >= '0' && raw[i] <= '9'; i++) {
            digits++;
        }
        if (digits == 0) {
            return 0;
        }
    }
    if (raw[i] == 'e' || raw[i] == 'E') {
        i++;
        if (raw[i] == '+' || raw[i] == '-') {
            i++;
        }
        for (digits = 0; raw[i] >= '0' && raw[i] <= '9'; i++) {
            digits++;
        }
        if (digits == 0) {
            return 0;
        }
    }
    return raw[i] == '\0';
}


void
html_number(html_out_t *h, const char *raw)
{
    size_t  i, n, start;

    if (!html_is_number(raw)) {
        html_lit(h, "\xE2\x80\x93");                       /* – */
        return;
    }
    n = strlen(raw);
    start = raw[0] == '-';
    if (strspn(raw + start, "0123456789") != n - start) {
        html_raw(h, raw, n);
        return;
    }
    html_raw(h, raw, start);
    for (i = start; i < n; i++) {
        if (i > start && (n - i) % 3 == 0) {
            html_lit(h, GROUP_SEP);
        }
        html_raw(h, raw + i, 1);
    }
}


void
html_number_cell(html_out_t *h, const char *raw)
{
    if (!html_is_number(raw)) {
        html_lit(h, "<td class=\"none\">\xE2\x80\x93</td>");
        return;
    }
    html_printf(h, "<td data-n=\"%s\">", raw);
    html_number(h, raw);
    html_lit(h, "</td>");
}
