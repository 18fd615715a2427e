/*
 * svg_chart.h -- the report's charts, as inline SVG written into an
 * html_out_t: horizontal bars, stacked columns, lines, a heat map.
 *
 * Every chart has a viewBox (it scales to its box), a <title> for the
 * whole chart, and a <title> on each bar, cell or point carrying its label
 * and its number, as text for a reader.  Labels go through html_text()
 * (html_out.h), numbers are kept as their JSON text (raw) and shown
 * grouped; the length of a bar is the value as a double, so any count up
 * to 2^64 scales, 0s and a single item included (all 0: no bar is drawn,
 * nothing is divided by 0).  Negative and non-finite values draw as 0.
 *
 * A chart draws at most SVG_ITEMS_MAX bars, series or stacked keys (the
 * first ones given) and at most SVG_COLUMNS_MAX columns or points (the
 * last ones given): the table after each chart lists everything.  Output
 * is linear in what is drawn.  Colours are CSS classes k0..k11 (the page's
 * stylesheet gives them for light and dark schemes).
 */
#ifndef SPOOR_SVG_CHART_H
#define SPOOR_SVG_CHART_H

#include <stddef.h>
#include "html_out.h"

#define SVG_ITEMS_MAX    20
#define SVG_COLUMNS_MAX  124
#define SVG_COLOURS      12

/* A label and a number: what each bar, cell or point shows. */
typedef struct {
    const char  *label;          /* from data; label_len bytes */
    size_t       label_len;
    const char  *raw;            /* the number's JSON text; NULL: none */
    double       v;              /* its value, for the scale */
} svg_item_t;

/* Horizontal bars, one per item, in the order given. */
void svg_bars(html_out_t *h, const char *title, const svg_item_t *items,
    size_t n);

/*
 * Columns (e.g. days) of stacked keys (e.g. event types): cols[0 .. ncols)
 * give the column labels, keys[0 .. nkeys) the keys' labels (a legend),
 * cells[c * nkeys + k] the value of key k in column c (label unused).
 */
void svg_stacked(html_out_t *h, const char *title, const svg_item_t *cols,
    size_t ncols, const svg_item_t *keys, size_t nkeys,
    const svg_item_t *cells);

/*
 * One line per series over the points xs[0 .. nx) (labels only):
 * cells[s * nx + x] is series s at point x, raw NULL where it has none
 * (the line breaks there).  A single point draws as a dot.
 */
void svg_lines(html_out_t *h, const char *title, const svg_item_t *xs,
    size_t nx, const svg_item_t *series, size_t ns, const svg_item_t *cells);

/*
 * A grid of nr x nc cells, cells[r * nc + c], each shaded by its share of
 * the largest; rows and cols label the axes.  Not capped: for small
 * grids (the RFM grid is 5 x 5), at most SVG_ITEMS_MAX x SVG_ITEMS_MAX
 * are drawn.
 */
void svg_heat(html_out_t *h, const char *title, const svg_item_t *rows,
    size_t nr, const svg_item_t *cols, size_t nc, const svg_item_t *cells);

#endif /* SPOOR_SVG_CHART_H */
