/*
 * report_html.c -- the figures' document drawn as one HTML page
 * (report_html.h).
 *
 * The document is parsed once with yajl_tree; each section reads the
 * members it shows, and a member that is missing or of another type is
 * "no data" in its place (the helpers below return NULL / 0 for those, so
 * no section fails on an old or empty document).  The page is written
 * top to bottom into one html_out_t; nothing is written twice.
 *
 * Numbers are never converted for the tables: a cell holds the number's
 * JSON text (yajl keeps it, YAJL_GET_NUMBER), so 2^63 - 1 or 2^64 - 1 is
 * exact.  The few figures the page derives (the events total, each event
 * name summed over days, consent outcomes per day and action) are summed
 * exactly in decimal (dec_sum_t); a double of the same value only sets the
 * length of a bar.
 *
 * Every table after a chart is <table data-figure="PATH">: rows in the
 * document's order (derived lists: as docs/report.md, "Checking a
 * report", says), a name in <th scope="row">, numbers in <td data-n>.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>
#include "dec_sum.h"
#include "error.h"
#include "html_out.h"
#include "report_html.h"
#include "svg_chart.h"

static const char  *const sections[][2] = {
    { "overview", "Overview" },
    { "segments", "Segments" },
    { "lifecycle", "Lifecycle" },
    { "rfm", "Recency, frequency, monetary" },
    { "events", "Events" },
    { "consent", "Consent" },
    { "top", "Top lists" },
    { "identity", "Identity and erasure" },
    { "quality", "Data quality" },
};

static const char  style[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--mute:#5b6570;"
    "--line:#d5d9de;--cell:#f3f5f7;--zero:#eef0f2}"
    "@media (prefers-color-scheme:dark){:root{--bg:#15181c;--fg:#e4e7eb;"
    "--mute:#9aa4ae;--line:#39404a;--cell:#1e2228;--zero:#262b32}}"
    "body{background:var(--bg);color:var(--fg);margin:0 auto;"
    "max-width:960px;padding:0 16px 48px;font:15px/1.45 system-ui,"
    "-apple-system,'Segoe UI',sans-serif}"
    "h1{font-size:1.6em;margin:24px 0 4px}h2{font-size:1.3em;"
    "border-bottom:1px solid var(--line);padding-bottom:4px;"
    "margin-top:40px}h3{font-size:1.05em;margin:24px 0 8px}"
    "nav a{color:inherit;margin-right:12px}.mute,.nodata{color:var(--mute)}"
    ".nodata{font-style:italic}"
    "svg.chart{display:block;width:100%;height:auto;margin:8px 0;"
    "font-size:12px}svg text{fill:var(--fg);unicode-bidi:plaintext}"
    "svg text.v{fill:var(--mute)}svg text.vi{fill:#fff}svg .axis,svg .grid{stroke:var(--line)}"
    "svg .grid{stroke-dasharray:3 3}svg .zero{fill:var(--zero)}"
    "svg path.line{fill:none;stroke-width:2}"
    ".k0{fill:#4e79a7;stroke:#4e79a7}.k1{fill:#f28e2b;stroke:#f28e2b}"
    ".k2{fill:#59a14f;stroke:#59a14f}.k3{fill:#e15759;stroke:#e15759}"
    ".k4{fill:#76b7b2;stroke:#76b7b2}.k5{fill:#edc948;stroke:#edc948}"
    ".k6{fill:#b07aa1;stroke:#b07aa1}.k7{fill:#ff9da7;stroke:#ff9da7}"
    ".k8{fill:#9c755f;stroke:#9c755f}.k9{fill:#bab0ac;stroke:#bab0ac}"
    ".k10{fill:#8cd17d;stroke:#8cd17d}.k11{fill:#d4a6c8;stroke:#d4a6c8}"
    "svg rect[class]{stroke:none}"
    "table{border-collapse:collapse;margin:8px 0 16px;font-size:13px;"
    "max-width:100%;display:block;overflow-x:auto}"
    "caption{text-align:left;color:var(--mute);padding-bottom:4px}"
    "th,td{border:1px solid var(--line);padding:2px 8px;text-align:left;"
    "vertical-align:top;overflow-wrap:break-word}"
    "td[data-n]{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}thead th{background:var(--cell);white-space:nowrap}"
    "@media print{:root{--bg:#fff;--fg:#000;--mute:#444;--line:#999;"
    "--cell:#fff;--zero:#fff}body{max-width:none;background:none}"
    "nav{display:none}section{break-before:page}"
    "section:first-of-type{break-before:auto}thead th{background:none}"
    "table{display:table;overflow:visible}svg.chart{break-inside:avoid}}";


/* ---- the document ---------------------------------------------------------- */

static yajl_val
member(yajl_val obj, const char *key)
{
    size_t  i;

    if (obj == NULL || !YAJL_IS_OBJECT(obj)) {
        return NULL;
    }
    for (i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], key) == 0) {
            return obj->u.object.values[i];
        }
    }
    return NULL;
}


/* The number's JSON text, or NULL when v is not a number. */
static const char *
num(yajl_val v)
{
    return v && YAJL_IS_NUMBER(v) ? YAJL_GET_NUMBER(v) : NULL;
}


static double
num_v(yajl_val v)
{
    return num(v) ? strtod(num(v), NULL) : 0.0;
}


/* The string, or NULL when v is not one. */
static const char *
str(yajl_val v)
{
    return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}


/* A non-empty object, or NULL. */
static yajl_val
object(yajl_val v)
{
    return v && YAJL_IS_OBJECT(v) && v->u.object.len ? v : NULL;
}


/* A non-empty array, or NULL. */
static yajl_val
array(yajl_val v)
{
    return v && YAJL_IS_ARRAY(v) && v->u.array.len ? v : NULL;
}


static svg_item_t
item(const char *label, yajl_val n)
{
    svg_item_t  it;

    it.label = label ? label : "\xE2\x80\x93";
    it.label_len = strlen(it.label);
    it.raw = num(n);
    it.v = num_v(n);
    return it;
}


static svg_item_t
sum_item(const char *label, dec_sum_t *s)
{
    svg_item_t  it;

    it.label = label ? label : "\xE2\x80\x93";
    it.label_len = strlen(it.label);
    it.raw = dec_sum_text(s);
    it.v = s->v;
    return it;
}


/* ---- page pieces ----------------------------------------------------------- */

static void
no_data(html_out_t *h)
{
    html_lit(h, "<p class=\"nodata\">no data</p>");
}


static void
heading(html_out_t *h, const char *title)
{
    html_lit(h, "<h3>");
    html_lit(h, title);
    html_lit(h, "</h3>");
}


/* <table data-figure="FIGURE"><caption>..</caption><thead>..<tbody> with
 * the column names cols (a NULL-terminated list). */
static void
table_open(html_out_t *h, const char *figure, const char *caption,
    const char *const *cols)
{
    html_printf(h, "<table data-figure=\"%s\"><caption>%s</caption>"
                "<thead><tr>", figure, caption);
    for (; *cols; cols++) {
        html_printf(h, "<th scope=\"col\">%s</th>", *cols);
    }
    html_lit(h, "</tr></thead><tbody>");
}


/* A column name from data (in the header of a table). */
static void
col_name(html_out_t *h, const char *name)
{
    html_lit(h, "<th scope=\"col\">");
    html_name(h, name, strlen(name));
    html_lit(h, "</th>");
}


static void
table_close(html_out_t *h)
{
    html_lit(h, "</tbody></table>");
}


static void
row_name(html_out_t *h, const char *name)
{
    html_lit(h, "<tr><th scope=\"row\">");
    if (name) {
        html_name(h, name, strlen(name));
    } else {
        html_lit(h, "\xE2\x80\x93");
    }
    html_lit(h, "</th>");
}


/* A table of nr x nc numbers after a chart: the row labels down the
 * first column under `corner`, the column labels across, and
 * cells[r * nc + c]'s raw numbers. */
static void
matrix_table(html_out_t *h, const char *figure, const char *caption,
    const char *corner, const svg_item_t *rows, size_t nr,
    const svg_item_t *cols, size_t nc, const svg_item_t *cells)
{
    size_t  i, k;

    html_printf(h, "<table data-figure=\"%s\"><caption>%s</caption>"
                "<thead><tr><th scope=\"col\">%s</th>", figure, caption,
                corner);
    for (k = 0; k < nc; k++) {
        col_name(h, cols[k].label);
    }
    html_lit(h, "</tr></thead><tbody>");
    for (i = 0; i < nr; i++) {
        row_name(h, rows[i].label);
        for (k = 0; k < nc; k++) {
            html_number_cell(h, cells[i * nc + k].raw);
        }
        html_lit(h, "</tr>");
    }
    table_close(h);
}


/* A text cell from data: "–" when the member is not a string. */
static void
text_cell(html_out_t *h, const char *s)
{
    html_lit(h, "<td>");
    if (s) {
        html_name(h, s, strlen(s));
    } else {
        html_lit(h, "\xE2\x80\x93");
    }
    html_lit(h, "</td>");
}


static void *
alloc(html_out_t *h, size_t n, size_t size)
{
    void  *p = calloc(n ? n : 1, size);

    if (p == NULL) {
        h->nomem = 1;
    }
    return p;
}


/*
 * {NAME: n}: bars and the table FIGURE (NAME, n per row, in the
 * document's order).  Returns 0 when there is nothing to show.
 */
static int
counts(html_out_t *h, yajl_val obj, const char *figure, const char *title,
    const char *what)
{
    svg_item_t   *items;
    size_t        i, n;
    const char   *cols[] = { what, "count", NULL };

    if ((obj = object(obj)) == NULL) {
        return 0;
    }
    n = obj->u.object.len;
    if ((items = alloc(h, n, sizeof(*items))) == NULL) {
        return 1;
    }
    for (i = 0; i < n; i++) {
        items[i] = item(obj->u.object.keys[i], obj->u.object.values[i]);
    }
    svg_bars(h, title, items, n);
    table_open(h, figure, title, cols);
    for (i = 0; i < n; i++) {
        row_name(h, items[i].label);
        html_number_cell(h, items[i].raw);
        html_lit(h, "</tr>");
    }
    table_close(h);
    free(items);
    return 1;
}


/* A subsection: its heading, then counts() or "no data". */
static void
counts_section(html_out_t *h, yajl_val obj, const char *figure,
    const char *title, const char *what)
{
    heading(h, title);
    if (!counts(h, obj, figure, title, what)) {
        no_data(h);
    }
}


/* ---- sections -------------------------------------------------------------- */

static void
overview(html_out_t *h, yajl_val doc)
{
    yajl_val     gen = member(doc, "generation"), as_of = member(doc, "asOf");
    yajl_val     prof = member(doc, "profiles"), ev = object(member(doc,
                                                                 "events"));
    dec_sum_t       total;
    size_t       i;
    const char  *cols[] = { "figure", "value", NULL };

    if (!num(gen) && !str(as_of) && !num(prof) && !ev) {
        no_data(h);
        return;
    }
    dec_sum_init(&total);
    for (i = 0; ev && i < ev->u.object.len; i++) {
        dec_sum_add(&total, num(ev->u.object.values[i]));
    }
    table_open(h, "overview", "The state", cols);
    row_name(h, "generation");
    html_number_cell(h, num(gen));
    html_lit(h, "</tr>");
    row_name(h, "asOf");
    text_cell(h, str(as_of));
    html_lit(h, "</tr>");
    row_name(h, "profiles");
    html_number_cell(h, num(prof));
    html_lit(h, "</tr>");
    row_name(h, "events");
    html_number_cell(h, ev ? dec_sum_text(&total) : NULL);
    html_lit(h, "</tr>");
    table_close(h);
}


/* Adds the keys of obj not yet in names[0 .. *n) (first seen first);
 * names has room for cap.  Linear in *n per key (few keys in practice). */
static void
union_keys(yajl_val obj, const char **names, size_t *n, size_t cap)
{
    size_t  i, k;

    for (i = 0; obj && YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++) {
        for (k = 0; k < *n; k++) {
            if (strcmp(names[k], obj->u.object.keys[i]) == 0) {
                break;
            }
        }
        if (k == *n && *n < cap) {
            names[(*n)++] = obj->u.object.keys[i];
        }
    }
}


/* Number of keys of the objects member `key` of the elements of arr. */
static size_t
keys_bound(yajl_val arr, const char *key)
{
    size_t    i, n = 0;
    yajl_val  o;

    for (i = 0; i < arr->u.array.len; i++) {
        o = member(arr->u.array.values[i], key);
        if (o && YAJL_IS_OBJECT(o)) {
            n += o->u.object.len;
        }
    }
    return n;
}


static void
history(html_out_t *h, yajl_val doc)
{
    yajl_val      hist = array(member(doc, "history")), p;
    const char  **names;
    svg_item_t   *xs, *series, *cells;
    size_t        i, k, np, ns = 0, cap;

    heading(h, "Segment sizes over generations");
    if (hist == NULL) {
        no_data(h);
        return;
    }
    np = hist->u.array.len;
    cap = keys_bound(hist, "segments");
    names = alloc(h, cap, sizeof(*names));
    xs = alloc(h, np, sizeof(*xs));
    if (names == NULL || xs == NULL) {
        free(names);
        free(xs);
        return;
    }
    for (i = 0; i < np; i++) {
        union_keys(member(hist->u.array.values[i], "segments"), names, &ns,
                   cap);
    }
    series = alloc(h, ns, sizeof(*series));
    cells = alloc(h, ns * np, sizeof(*cells));
    if (series && cells) {
        for (k = 0; k < ns; k++) {
            series[k] = item(names[k], NULL);
        }
        for (i = 0; i < np; i++) {
            p = hist->u.array.values[i];
            /* by generation: commits minutes apart share a date, and
             * the time is in the table */
            xs[i] = item(num(member(p, "generation")), NULL);
            if (num(member(p, "generation")) == NULL) {
                xs[i] = item(str(member(p, "time")), NULL);
            }
            for (k = 0; k < ns; k++) {
                cells[k * np + i] = item(names[k],
                                         member(member(p, "segments"),
                                                names[k]));
            }
        }
        if (ns) {
            svg_lines(h, "Segment sizes over generations", xs, np, series,
                      ns, cells);
        }
        html_lit(h, "<table data-figure=\"history\"><caption>Segment sizes "
                 "over generations</caption><thead><tr>"
                 "<th scope=\"col\">generation</th><th scope=\"col\">time"
                 "</th><th scope=\"col\">profiles</th>");
        for (k = 0; k < ns; k++) {
            col_name(h, names[k]);
        }
        html_lit(h, "</tr></thead><tbody>");
        for (i = 0; i < np; i++) {
            p = hist->u.array.values[i];
            html_lit(h, "<tr>");
            html_number_cell(h, num(member(p, "generation")));
            text_cell(h, str(member(p, "time")));
            html_number_cell(h, num(member(p, "profiles")));
            for (k = 0; k < ns; k++) {
                html_number_cell(h, cells[k * np + i].raw);
            }
            html_lit(h, "</tr>");
        }
        table_close(h);
    }
    free(cells);
    free(series);
    free(xs);
    free(names);
}


static void
segments(html_out_t *h, yajl_val doc)
{
    counts_section(h, member(doc, "segments"), "segments",
                   "Profiles in each segment now", "segment");
    history(h, doc);
}


static void
lifecycle(html_out_t *h, yajl_val doc)
{
    counts_section(h, member(doc, "lifecycle"), "lifecycle",
                   "Profiles by lifecycle stage", "stage");
}


static void
identity(html_out_t *h, yajl_val doc)
{
    counts_section(h, member(doc, "identity"), "identity",
                   "Identity merges, erasures and expiries, ever", "figure");
}


static void
rfm(html_out_t *h, yajl_val doc)
{
    yajl_val     r = member(doc, "rfm"), grid = array(member(r, "grid"));
    yajl_val     mon = array(member(r, "monetary")), row;
    svg_item_t  *rows, *cols, *cells, *m;
    char        *labels;
    size_t       i, k, nr, nc = 0;
    const char  *wcols[] = { "figure", "profiles", NULL };
    const char  *mcols[] = { "monetary score", "profiles", NULL };

    heading(h, "Profiles with orders");
    if (num(member(r, "withOrders")) == NULL) {
        no_data(h);
    } else {
        table_open(h, "rfm", "Profiles with orders", wcols);
        row_name(h, "withOrders");
        html_number_cell(h, num(member(r, "withOrders")));
        html_lit(h, "</tr>");
        table_close(h);
    }

    heading(h, "Recency \xC3\x97 frequency");
    if (grid == NULL) {
        no_data(h);
    } else {
        nr = grid->u.array.len;
        for (i = 0; i < nr; i++) {
            row = grid->u.array.values[i];
            if (YAJL_IS_ARRAY(row) && row->u.array.len > nc) {
                nc = row->u.array.len;
            }
        }
        /* labels "R1".., "F1"..: 24 bytes each */
        labels = alloc(h, nr + nc, 24);
        rows = alloc(h, nr, sizeof(*rows));
        cols = alloc(h, nc, sizeof(*cols));
        cells = alloc(h, nr * nc, sizeof(*cells));
        if (labels && rows && cols && cells) {
            for (i = 0; i < nr; i++) {
                snprintf(labels + i * 24, 24, "R%zu", i + 1);
                rows[i] = item(labels + i * 24, NULL);
                row = grid->u.array.values[i];
                for (k = 0; k < nc; k++) {
                    cells[i * nc + k] = item("",
                        YAJL_IS_ARRAY(row) && k < row->u.array.len
                        ? row->u.array.values[k] : NULL);
                }
            }
            for (k = 0; k < nc; k++) {
                snprintf(labels + (nr + k) * 24, 24, "F%zu", k + 1);
                cols[k] = item(labels + (nr + k) * 24, NULL);
            }
            svg_heat(h, "Profiles with orders by recency score (R) and "
                     "frequency score (F)", rows, nr, cols, nc, cells);
            matrix_table(h, "rfm.grid", "Profiles by recency score (rows) "
                         "and frequency score (columns)", "recency", rows,
                         nr, cols, nc, cells);
        }
        free(cells);
        free(cols);
        free(rows);
        free(labels);
    }

    heading(h, "Monetary score");
    if (mon == NULL) {
        no_data(h);
        return;
    }
    labels = alloc(h, mon->u.array.len, 24);
    m = alloc(h, mon->u.array.len, sizeof(*m));
    if (labels && m) {
        for (i = 0; i < mon->u.array.len; i++) {
            snprintf(labels + i * 24, 24, "M%zu", i + 1);
            m[i] = item(labels + i * 24, mon->u.array.values[i]);
        }
        svg_bars(h, "Profiles with orders by monetary score", m,
                 mon->u.array.len);
        table_open(h, "rfm.monetary", "Profiles with orders by monetary "
                   "score", mcols);
        for (i = 0; i < mon->u.array.len; i++) {
            row_name(h, m[i].label);
            html_number_cell(h, m[i].raw);
            html_lit(h, "</tr>");
        }
        table_close(h);
    }
    free(m);
    free(labels);
}


/* A name and its sum over days (daily.names). */
typedef struct {
    const char  *name;
    dec_sum_t       sum;
} name_sum_t;

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(((const name_sum_t *) a)->name,
                  ((const name_sum_t *) b)->name);
}

/* most first: by the exact sum when both are exact, else by value; ties
 * by name (bytes) */
static int
cmp_sum(const void *a, const void *b)
{
    name_sum_t  *x = (name_sum_t *) a, *y = (name_sum_t *) b;
    const char  *tx = dec_sum_text(&x->sum), *ty = dec_sum_text(&y->sum);
    size_t       lx, ly;
    int          c;

    if (tx && ty) {
        lx = strlen(tx);
        ly = strlen(ty);
        if (lx != ly) {
            return lx > ly ? -1 : 1;
        }
        if ((c = strcmp(tx, ty)) != 0) {
            return -c;
        }
    } else if (x->sum.v != y->sum.v) {
        return x->sum.v > y->sum.v ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}


static void
daily_names(html_out_t *h, yajl_val days)
{
    name_sum_t  *all;
    svg_item_t  *items;
    size_t       i, k, n = 0, u = 0, cap = keys_bound(days, "names");
    yajl_val     names;
    const char  *cols[] = { "event name", "events", NULL };

    heading(h, "Top event names over these days");
    if (cap == 0) {
        no_data(h);
        return;
    }
    if ((all = alloc(h, cap, sizeof(*all))) == NULL) {
        return;
    }
    for (i = 0; i < days->u.array.len; i++) {
        names = member(days->u.array.values[i], "names");
        for (k = 0; names && YAJL_IS_OBJECT(names)
                    && k < names->u.object.len; k++)
        {
            all[n].name = names->u.object.keys[k];
            dec_sum_init(&all[n].sum);
            dec_sum_add(&all[n].sum, num(names->u.object.values[k]));
            n++;
        }
    }
    /* one entry per name: sort by name, fold equal neighbours */
    qsort(all, n, sizeof(*all), cmp_name);
    for (i = 0; i < n; i++) {
        if (u > 0 && strcmp(all[u - 1].name, all[i].name) == 0) {
            const char  *t = dec_sum_text(&all[i].sum);

            if (!all[i].sum.exact) {
                all[u - 1].sum.exact = 0;
                all[u - 1].sum.v += all[i].sum.v;
                all[u - 1].sum.any |= all[i].sum.any;
            } else if (t) {
                char  copy[DEC_SUM_DIGITS + 1];

                memcpy(copy, t, strlen(t) + 1);
                dec_sum_add(&all[u - 1].sum, copy);
            }
        } else {
            all[u++] = all[i];
        }
    }
    qsort(all, u, sizeof(*all), cmp_sum);
    if ((items = alloc(h, u, sizeof(*items))) != NULL) {
        for (i = 0; i < u; i++) {
            items[i] = sum_item(all[i].name, &all[i].sum);
        }
        svg_bars(h, "Top event names, summed over the days above", items, u);
        table_open(h, "daily.names", "Event names, summed over the days "
                   "above, most first", cols);
        for (i = 0; i < u; i++) {
            row_name(h, items[i].label);
            html_number_cell(h, items[i].raw);
            html_lit(h, "</tr>");
        }
        table_close(h);
        free(items);
    }
    free(all);
}


static void
events(html_out_t *h, yajl_val doc)
{
    yajl_val      days = array(member(doc, "daily")), d;
    const char  **types;
    svg_item_t   *cols, *keys, *cells;
    size_t        i, k, nd, nt = 0, cap;

    counts_section(h, member(doc, "events"), "events",
                   "Events ingested, ever, by type", "type");

    heading(h, "Events per day by type");
    if (days == NULL) {
        no_data(h);
        heading(h, "Top event names over these days");
        no_data(h);
        return;
    }
    nd = days->u.array.len;
    cap = keys_bound(days, "events");
    types = alloc(h, cap, sizeof(*types));
    cols = alloc(h, nd, sizeof(*cols));
    if (types && cols) {
        for (i = 0; i < nd; i++) {
            union_keys(member(days->u.array.values[i], "events"), types, &nt,
                       cap);
        }
        keys = alloc(h, nt, sizeof(*keys));
        cells = alloc(h, nt * nd, sizeof(*cells));
        if (keys && cells) {
            for (k = 0; k < nt; k++) {
                keys[k] = item(types[k], NULL);
            }
            for (i = 0; i < nd; i++) {
                d = days->u.array.values[i];
                cols[i] = item(str(member(d, "day")), NULL);
                for (k = 0; k < nt; k++) {
                    cells[i * nt + k] = item(types[k],
                        member(member(d, "events"), types[k]));
                }
            }
            svg_stacked(h, "Events per day by type", cols, nd, keys, nt,
                        cells);
            matrix_table(h, "daily", "Events per day by type", "day", cols,
                         nd, keys, nt, cells);
        }
        free(cells);
        free(keys);
    }
    free(cols);
    free(types);
    daily_names(h, days);
}


/* "signal / action / country" of an outcome, in a malloc'ed string. */
static char *
outcome_label(html_out_t *h, yajl_val o)
{
    const char  *s = str(member(o, "signal")), *a = str(member(o, "action"));
    const char  *c = str(member(o, "country"));
    size_t       n;
    char        *p;

    s = s ? s : "\xE2\x80\x93";
    a = a ? a : "\xE2\x80\x93";
    c = c ? (*c ? c : "unknown") : "\xE2\x80\x93";
    n = strlen(s) + strlen(a) + strlen(c) + 7;
    if ((p = alloc(h, n, 1)) != NULL) {
        snprintf(p, n, "%s / %s / %s", s, a, c);
    }
    return p;
}


static void
consent_by_country(html_out_t *h, yajl_val doc)
{
    yajl_val     list = array(member(doc, "consentByCountry")), o;
    svg_item_t  *items;
    char       **labels;
    size_t       i, n;
    const char  *cols[] = { "signal", "action", "country", "events", NULL };

    heading(h, "Consent outcomes by signal, action and country");
    if (list == NULL) {
        no_data(h);
        return;
    }
    n = list->u.array.len;
    items = alloc(h, n, sizeof(*items));
    labels = alloc(h, n, sizeof(*labels));
    if (items && labels) {
        for (i = 0; i < n && !h->nomem; i++) {
            o = list->u.array.values[i];
            labels[i] = outcome_label(h, o);
            items[i] = item(labels[i], member(o, "events"));
        }
        if (!h->nomem) {
            svg_bars(h, "Consent outcomes (signal / action / country)",
                     items, n);
        }
        table_open(h, "consentByCountry", "Consent outcomes over the last "
                   "days, by signal, action and country", cols);
        for (i = 0; i < n; i++) {
            o = list->u.array.values[i];
            html_lit(h, "<tr>");
            text_cell(h, str(member(o, "signal")));
            text_cell(h, str(member(o, "action")));
            text_cell(h, str(member(o, "country")));
            html_number_cell(h, num(member(o, "events")));
            html_lit(h, "</tr>");
        }
        table_close(h);
    }
    for (i = 0; labels && i < n; i++) {
        free(labels[i]);
    }
    free(labels);
    free(items);
}


static void
consent_daily(html_out_t *h, yajl_val doc)
{
    yajl_val      days = array(member(doc, "consentDaily")), outs, o;
    const char  **actions;
    const char   *a;
    svg_item_t   *cols, *keys, *cells;
    dec_sum_t       *sums;
    size_t        i, j, k, nd, na = 0, cap = 0;

    heading(h, "Consent outcomes per day by action");
    if (days == NULL) {
        no_data(h);
        return;
    }
    nd = days->u.array.len;
    for (i = 0; i < nd; i++) {
        outs = member(days->u.array.values[i], "outcomes");
        cap += outs && YAJL_IS_ARRAY(outs) ? outs->u.array.len : 0;
    }
    actions = alloc(h, cap, sizeof(*actions));
    cols = alloc(h, nd, sizeof(*cols));
    if (actions == NULL || cols == NULL) {
        free(actions);
        free(cols);
        return;
    }
    for (i = 0; i < nd; i++) {
        outs = member(days->u.array.values[i], "outcomes");
        for (j = 0; outs && YAJL_IS_ARRAY(outs) && j < outs->u.array.len;
             j++)
        {
            a = str(member(outs->u.array.values[j], "action"));
            for (k = 0; a && k < na && strcmp(actions[k], a) != 0; k++) {
                /* linear: a handful of actions */
            }
            if (a && k == na) {
                actions[na++] = a;
            }
        }
    }
    keys = alloc(h, na, sizeof(*keys));
    cells = alloc(h, na * nd, sizeof(*cells));
    sums = alloc(h, na * nd, sizeof(*sums));
    if (keys && cells && sums) {
        for (i = 0; i < na * nd; i++) {
            dec_sum_init(&sums[i]);
        }
        for (i = 0; i < nd; i++) {
            outs = member(days->u.array.values[i], "outcomes");
            cols[i] = item(str(member(days->u.array.values[i], "day")), NULL);
            for (j = 0; outs && YAJL_IS_ARRAY(outs) && j < outs->u.array.len;
                 j++)
            {
                o = outs->u.array.values[j];
                a = str(member(o, "action"));
                for (k = 0; a && k < na; k++) {
                    if (strcmp(actions[k], a) == 0) {
                        dec_sum_add(&sums[i * na + k], num(member(o, "events")));
                        break;
                    }
                }
            }
        }
        for (k = 0; k < na; k++) {
            keys[k] = item(actions[k], NULL);
        }
        for (i = 0; i < na * nd; i++) {
            cells[i] = sum_item(actions[i % na], &sums[i]);
        }
        svg_stacked(h, "Consent outcomes per day by action", cols, nd, keys,
                    na, cells);
        matrix_table(h, "consentDaily", "Consent outcomes per day by action "
                     "(summed over signals and countries)", "day", cols, nd,
                     keys, na, cells);
    }
    free(sums);
    free(cells);
    free(keys);
    free(cols);
    free(actions);
}


static void
consent(html_out_t *h, yajl_val doc)
{
    counts_section(h, member(doc, "consentActions"), "consentActions",
                   "Events by consent action, ever", "action");
    counts_section(h, member(doc, "consentSignals"), "consentSignals",
                   "Events by the consent signal decided on, ever", "signal");
    consent_by_country(h, doc);
    consent_daily(h, doc);
}


static void
top(html_out_t *h, yajl_val doc)
{
    static const char  *lists[][3] = {
        { "pages", "top.pages", "Top pages" },
        { "referrers", "top.referrers", "Top referrers" },
        { "campaigns", "top.campaigns", "Top campaigns" },
        { "countries", "top.countries", "Top countries" },
        { "browsers", "top.browsers", "Top browsers" },
        { "devices", "top.devices", "Top devices" },
    };
    yajl_val     t = member(doc, "top"), l, its, it;
    svg_item_t  *items;
    size_t       i, k, n;
    const char  *e;

    for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        heading(h, lists[k][2]);
        l = member(t, lists[k][0]);
        its = array(member(l, "items"));
        if (its == NULL) {
            no_data(h);
            continue;
        }
        e = num(member(l, "error"));
        if (e && strcmp(e, "0") != 0) {
            html_lit(h, "<p class=\"mute\">Past 1,000 names this list keeps "
                     "the largest: a count may be low by at most ");
            html_number(h, e);
            html_lit(h, " (its error).</p>");
        }
        n = its->u.array.len;
        if ((items = alloc(h, n, sizeof(*items))) == NULL) {
            return;
        }
        for (i = 0; i < n; i++) {
            it = its->u.array.values[i];
            if (YAJL_IS_ARRAY(it) && it->u.array.len >= 2) {
                items[i] = item(str(it->u.array.values[0]),
                                it->u.array.values[1]);
            } else {
                items[i] = item(NULL, NULL);
            }
        }
        svg_bars(h, lists[k][2], items, n);
        html_printf(h, "<table data-figure=\"%s\"", lists[k][1]);
        if (e) {
            html_printf(h, " data-error=\"%s\"", html_is_number(e) ? e : "");
        }
        html_printf(h, "><caption>%s, most first</caption><thead><tr>"
                    "<th scope=\"col\">name</th><th scope=\"col\">events</th>"
                    "</tr></thead><tbody>", lists[k][2]);
        for (i = 0; i < n; i++) {
            row_name(h, items[i].label);
            html_number_cell(h, items[i].raw);
            html_lit(h, "</tr>");
        }
        table_close(h);
        free(items);
    }
    counts_section(h, member(doc, "topCountries"), "topCountries",
                   "Countries with most events, ever", "country");
    counts_section(h, member(doc, "topCategories"), "topCategories",
                   "Product categories with most events, ever", "category");
}


/* The members of one log of "logs" shown in its row, in order. */
static const char  *const log_numbers[] = {
    "frames", "records", "bytes", "framesLost", "recordsLost", "bytesSkipped",
    "undecodableRecords", "framesWithoutMetadata", NULL
};

static const char  *const damage_numbers[] = {
    "offset", "bytes", "seq", "recordsLost", NULL
};

static const char  *const writer_numbers[] = {
    "pid", "frames", "seqFirst", "seqLast", "missing", "repeated", NULL
};


static void
bool_cell(html_out_t *h, yajl_val v)
{
    html_lit(h, YAJL_IS_TRUE(v) ? "<td>yes</td>"
                : YAJL_IS_FALSE(v) ? "<td>no</td>" : "<td>\xE2\x80\x93</td>");
}


static void
logs(html_out_t *h, yajl_val doc)
{
    yajl_val     ls = array(member(doc, "logs")), l, list, d;
    svg_item_t  *cols, *cells, keys[2];
    size_t       i, j, k, n;

    heading(h, "Logs checked");
    if (member(doc, "logs") == NULL) {
        html_lit(h, "<p class=\"nodata\">no data: no logs were checked "
                 "(spoor report --logs LOG...)</p>");
        return;
    }
    if (ls == NULL) {
        no_data(h);
        return;
    }
    n = ls->u.array.len;
    cols = alloc(h, n, sizeof(*cols));
    cells = alloc(h, 2 * n, sizeof(*cells));
    if (cols && cells) {
        keys[0] = item("records read", NULL);
        keys[1] = item("records lost", NULL);
        for (i = 0; i < n; i++) {
            l = ls->u.array.values[i];
            cols[i] = item(str(member(l, "file")), NULL);
            cells[2 * i] = item("records read", member(l, "records"));
            cells[2 * i + 1] = item("records lost", member(l, "recordsLost"));
        }
        svg_stacked(h, "Records read and lost per log", cols, n, keys, 2,
                    cells);
    }
    free(cells);
    free(cols);

    html_lit(h, "<table data-figure=\"logs\"><caption>Each log as spoor "
             "verify reads it</caption><thead><tr><th scope=\"col\">log"
             "</th>");
    for (k = 0; log_numbers[k]; k++) {
        html_printf(h, "<th scope=\"col\">%s</th>", log_numbers[k]);
    }
    html_lit(h, "<th scope=\"col\">truncated</th><th scope=\"col\">ok</th>"
             "<th scope=\"col\">error</th></tr></thead><tbody>");
    for (i = 0; i < n; i++) {
        l = ls->u.array.values[i];
        row_name(h, str(member(l, "file")));
        for (k = 0; log_numbers[k]; k++) {
            html_number_cell(h, num(member(l, log_numbers[k])));
        }
        bool_cell(h, member(l, "truncated"));
        bool_cell(h, member(l, "ok"));
        text_cell(h, str(member(l, "error")));
        html_lit(h, "</tr>");
    }
    table_close(h);

    heading(h, "Damaged stretches");
    html_lit(h, "<table data-figure=\"logs.damage\"><caption>Every damaged "
             "or skipped stretch</caption><thead><tr><th scope=\"col\">log"
             "</th><th scope=\"col\">kind</th>");
    for (k = 0; damage_numbers[k]; k++) {
        html_printf(h, "<th scope=\"col\">%s</th>", damage_numbers[k]);
    }
    html_lit(h, "<th scope=\"col\">writer</th><th scope=\"col\">detail</th>"
             "</tr></thead><tbody>");
    for (i = 0; i < n; i++) {
        l = ls->u.array.values[i];
        list = member(l, "damage");
        for (j = 0; list && YAJL_IS_ARRAY(list) && j < list->u.array.len;
             j++)
        {
            d = list->u.array.values[j];
            row_name(h, str(member(l, "file")));
            text_cell(h, str(member(d, "kind")));
            for (k = 0; damage_numbers[k]; k++) {
                html_number_cell(h, num(member(d, damage_numbers[k])));
            }
            text_cell(h, str(member(d, "writer")));
            text_cell(h, str(member(d, "detail")));
            html_lit(h, "</tr>");
        }
    }
    table_close(h);

    heading(h, "Writers: frame sequence numbers");
    html_lit(h, "<table data-figure=\"logs.writers\"><caption>Per writer: "
             "frames, and sequence numbers missing or repeated</caption>"
             "<thead><tr><th scope=\"col\">log</th><th scope=\"col\">writer"
             "</th><th scope=\"col\">host</th>");
    for (k = 0; writer_numbers[k]; k++) {
        html_printf(h, "<th scope=\"col\">%s</th>", writer_numbers[k]);
    }
    html_lit(h, "</tr></thead><tbody>");
    for (i = 0; i < n; i++) {
        l = ls->u.array.values[i];
        list = member(l, "writers");
        for (j = 0; list && YAJL_IS_ARRAY(list) && j < list->u.array.len;
             j++)
        {
            d = list->u.array.values[j];
            row_name(h, str(member(l, "file")));
            text_cell(h, str(member(d, "writer")));
            text_cell(h, str(member(d, "host")));
            for (k = 0; writer_numbers[k]; k++) {
                html_number_cell(h, num(member(d, writer_numbers[k])));
            }
            html_lit(h, "</tr>");
        }
    }
    table_close(h);
}


static void
quality(html_out_t *h, yajl_val doc)
{
    yajl_val     q = object(member(doc, "quality"));
    size_t       i;
    const char  *cols[] = { "figure", "count", NULL };

    heading(h, "Inputs ingested, ever");
    if (q == NULL) {
        no_data(h);
    } else {
        table_open(h, "quality", "Inputs, frames and records ingested, ever",
                   cols);
        for (i = 0; i < q->u.object.len; i++) {
            if (num(q->u.object.values[i])) {
                row_name(h, q->u.object.keys[i]);
                html_number_cell(h, num(q->u.object.values[i]));
                html_lit(h, "</tr>");
            }
        }
        table_close(h);
    }
    counts_section(h, member(q, "skipped"), "quality.skipped",
                   "Events skipped by reason, ever", "reason");
    logs(h, doc);
}


static void
page_head(html_out_t *h, yajl_val doc)
{
    size_t  i;

    html_lit(h, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
             "<meta charset=\"utf-8\">"
             "<meta http-equiv=\"Content-Security-Policy\" content=\""
             "default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
             "<meta name=\"viewport\" content=\"width=device-width, "
             "initial-scale=1\"><meta name=\"color-scheme\" "
             "content=\"light dark\"><link rel=\"icon\" href=\"data:,\">"
             "<title>spoor report</title><style>");
    html_lit(h, style);
    html_lit(h, "</style></head>\n<body><header><h1>spoor report</h1>"
             "<p class=\"mute\">");
    if (num(member(doc, "generation"))) {
        html_lit(h, "generation ");
        html_number(h, num(member(doc, "generation")));
        html_lit(h, " \xC2\xB7 ");
    }
    html_lit(h, "as of ");
    if (str(member(doc, "asOf"))) {
        html_name(h, str(member(doc, "asOf")),
                  strlen(str(member(doc, "asOf"))));
    } else {
        html_lit(h, "\xE2\x80\x93");
    }
    html_lit(h, "</p><nav>");
    for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        html_printf(h, "<a href=\"#%s\">%s</a>", sections[i][0],
                    sections[i][1]);
    }
    html_lit(h, "</nav></header>\n<main>");
}


int
report_html(const char *json, char **html, size_t *len, char *err,
    size_t errlen)
{
    static void (*const draw[])(html_out_t *, yajl_val) = {
        overview, segments, lifecycle, rfm, events, consent, top, identity,
        quality
    };
    yajl_val     doc;
    html_out_t   h;
    char         why[256];
    size_t       i;

    *html = NULL;
    *len = 0;
    why[0] = '\0';
    doc = yajl_tree_parse(json, why, sizeof(why));
    if (doc == NULL) {
        why[strcspn(why, "\r\n")] = '\0';
        snprintf(err, errlen, "the figures are not JSON%s%s",
                 why[0] ? ": " : "", why);
        return SPOOR_E_JSON;
    }
    if (!YAJL_IS_OBJECT(doc)) {
        yajl_tree_free(doc);
        snprintf(err, errlen, "the figures are not a JSON object");
        return SPOOR_E_JSON;
    }

    html_init(&h);
    page_head(&h, doc);
    for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        html_printf(&h, "\n<section id=\"%s\"><h2>%s</h2>", sections[i][0],
                    sections[i][1]);
        draw[i](&h, doc);
        html_lit(&h, "</section>");
    }
    html_lit(&h, "\n</main></body></html>\n");
    yajl_tree_free(doc);

    *html = html_take(&h, len);
    if (*html == NULL) {
        snprintf(err, errlen, "out of memory writing the report");
        return SPOOR_E_NOMEM;
    }
    return SPOOR_OK;
}
