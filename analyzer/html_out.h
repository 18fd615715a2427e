/*
 * html_out.h -- an HTML page built in memory: markup the program writes,
 * and text from elsewhere made safe to put between tags or in attributes.
 *
 * An html_out_t is a growing buffer (buf[0 .. len), always followed by a
 * 0 byte once anything was written).  Markup goes in as is (html_lit,
 * html_printf: only for text the program itself made); every string that
 * comes from data goes through html_text(), which makes it inert in HTML
 * text, in a quoted attribute and inside inline SVG:
 *   - & < > " ' are written as character references;
 *   - bytes that do not start a well-formed UTF-8 sequence (utf8.h) and
 *     control characters (U+0000..U+001F, U+007F, U+0080..U+009F) are
 *     written as U+FFFD;
 *   - at most max_chars characters are written; when the text has more,
 *     the cut falls on a character boundary and "…" follows.
 * So the bytes written are always well-formed UTF-8 whatever the input.
 *
 * Numbers from data are kept as their JSON text (exact at any size):
 * html_number() writes one for a reader, digits grouped by threes.
 *
 * When memory runs out the buffer stops growing, nomem is set and every
 * later call does nothing: callers check once, at the end.
 */
#ifndef SPOOR_HTML_OUT_H
#define SPOOR_HTML_OUT_H

#include <stddef.h>

typedef struct {
    char    *buf;
    size_t   len;
    size_t   cap;
    int      nomem;
} html_out_t;

void html_init(html_out_t *h);
void html_free(html_out_t *h);

/* Hands the page over: buf (NUL-terminated, *len bytes, the caller
 * frees), or NULL when memory ran out (then freed here).  h is empty
 * afterwards. */
char *html_take(html_out_t *h, size_t *len);

/* Markup written by the program: appended unchanged. */
void html_raw(html_out_t *h, const char *s, size_t n);
void html_lit(html_out_t *h, const char *s);
void html_printf(html_out_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Text from data, escaped and cleaned as above; max_chars 0: no limit. */
void html_text(html_out_t *h, const char *s, size_t n, size_t max_chars);

/* A name from data in a table or a line: <bdi>text</bdi>, cut at
 * HTML_NAME_MAX characters, so right-to-left text stays in its box. */
#define HTML_NAME_MAX  200
void html_name(html_out_t *h, const char *s, size_t n);

/* A number as JSON wrote it (raw: "-12", "3.5", "1e3"), for a reader:
 * an integer's digits grouped by threes with U+202F; other forms as
 * they are.  raw NULL: "–". */
void html_number(html_out_t *h, const char *raw);

/* The table cell of a number: <td data-n="RAW">grouped</td>; raw NULL
 * gives <td class="none">–</td> (no data-n). */
void html_number_cell(html_out_t *h, const char *raw);

/* 1 when raw is a JSON number text (what yajl accepted), else 0: only
 * such text goes into data-n. */
int html_is_number(const char *raw);

#endif /* SPOOR_HTML_OUT_H */
