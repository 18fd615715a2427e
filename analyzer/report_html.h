/*
 * report_html.h -- the figures of a state (the JSON document of
 * docs/report.md, "The figures", as stats_json() writes it) drawn as one
 * self-contained HTML page: what `spoor report` writes.
 *
 * The page asks for nothing: no script, no external URL, no font; a
 * Content-Security-Policy meta tag (default-src 'none'; style-src
 * 'unsafe-inline'; img-src data:) says so to the browser too.  One inline
 * stylesheet gives light and dark schemes (prefers-color-scheme) and a
 * print layout.  Sections, in this order, each a <section id=...> with an
 * <h2>: overview, segments, lifecycle, rfm, events, consent, top,
 * identity, quality (the ids are REPORT_SECTIONS).  Charts are inline SVG
 * (svg_chart.h); every chart is followed by a <table data-figure="PATH">
 * of its numbers, each number in a <td data-n="N"> holding the number
 * exactly as the document wrote it; the tables and the paths they show
 * are listed in docs/report.md, "Checking a report".
 *
 * Every string of the document reaches the page through html_text()
 * (html_out.h): escaped, cleaned of control characters and ill-formed
 * UTF-8, names in <bdi> and cut at 200 characters.  A member that is
 * missing or of another type than documented (an older document, an
 * empty state) shows as "no data" where it belongs; only a document that
 * is not a JSON object is refused.
 *
 * Cost: the page is linear in the document except for the columns of
 * two tables (event types in "daily", segments in "history": looked up
 * linearly, a handful in any real state); a document as stats_json()
 * bounds it gives a page well under 1 MB.
 */
#ifndef SPOOR_REPORT_HTML_H
#define SPOOR_REPORT_HTML_H

#include <stddef.h>

/* The section ids, in page order, separated by spaces. */
#define REPORT_SECTIONS \
    "overview segments lifecycle rfm events consent top identity quality"

/*
 * The page for the document json (a C string: stats_json()'s output) in
 * *html (NUL-terminated, *len bytes, the caller frees).  Returns SPOOR_OK;
 * SPOOR_E_JSON when json is not JSON text or not an object, SPOOR_E_NOMEM;
 * with a message for a person in err[0 .. errlen) and *html NULL on error.
 */
int report_html(const char *json, char **html, size_t *len, char *err,
    size_t errlen);

#endif /* SPOOR_REPORT_HTML_H */
