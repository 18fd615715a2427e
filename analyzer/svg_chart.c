/*
 * svg_chart.c -- inline SVG charts (svg_chart.h).
 *
 * Each chart is one <svg> with a fixed coordinate system (its viewBox,
 * SVG_W wide) that the page scales to its width.  Lengths are
 * value / largest * room, computed in double: the largest is found over
 * what is drawn, and when it is 0 (or nothing is drawn) every length is 0.
 * Coordinates are printed with one decimal, so the text of a chart grows
 * linearly with the items drawn.  Labels inside the SVG are cut short
 * (SVG_LABEL_MAX characters): the full names are in the table after it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "svg_chart.h"

#define SVG_W          720.0
#define SVG_LABEL_MAX  28
#define PLOT_X0        64.0            /* columns and lines: plot area */
#define PLOT_X1        712.0
#define PLOT_Y0        12.0
#define PLOT_Y1        232.0
#define BAR_LABEL_W    230.0           /* bars: the label column */
#define BAR_ROOM       380.0           /* bars: the longest bar */
#define ROW_H          22.0
#define LEGEND_W       162.0           /* a legend entry: 4 a row */


/* The value for a scale: negative, NaN and infinite count as 0. */
static double
val(const svg_item_t *it)
{
    return it->raw && isfinite(it->v) && it->v > 0 ? it->v : 0.0;
}


/* room * v / max, 0 when max is 0. */
static double
scale(double v, double max, double room)
{
    return max > 0 ? v / max * room : 0.0;
}


static void
open_svg(html_out_t *h, const char *title, double height)
{
    html_printf(h, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
                "role=\"img\" aria-label=\"", SVG_W, ceil(height));
    html_text(h, title, strlen(title), 0);
    html_lit(h, "\"><title>");
    html_text(h, title, strlen(title), 0);
    html_lit(h, "</title>");
}


/* <title>PREFIX LABEL: N</title> for one bar, cell or point. */
static void
item_title(html_out_t *h, const svg_item_t *prefix, const svg_item_t *it)
{
    html_lit(h, "<title>");
    if (prefix) {
        html_text(h, prefix->label, prefix->label_len, HTML_NAME_MAX);
        html_lit(h, " \xC2\xB7 ");                          /* · */
    }
    html_text(h, it->label, it->label_len, HTML_NAME_MAX);
    html_lit(h, ": ");
    html_number(h, it->raw);
    html_lit(h, "</title>");
}


/* An axis figure (derived from doubles, so only approximate when huge). */
static void
axis_number(html_out_t *h, double v)
{
    if (v < 1e15) {
        html_printf(h, "%.0f", v);
    } else {
        html_printf(h, "%.3g", v);
    }
}


/* The legend of keys[0 .. n), from y down; returns the height it took. */
static double
legend(html_out_t *h, const svg_item_t *keys, size_t n, double y)
{
    size_t  k, per_row = (size_t) ((SVG_W - PLOT_X0) / LEGEND_W);
    double  x, ky;

    for (k = 0; k < n; k++) {
        x = PLOT_X0 + (double) (k % per_row) * LEGEND_W;
        ky = y + (double) (k / per_row) * ROW_H;

        html_printf(h, "<g><title>");
        html_text(h, keys[k].label, keys[k].label_len, HTML_NAME_MAX);
        html_printf(h, "</title><rect class=\"k%zu\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"12\" height=\"12\"/><text class=\"l\" "
                    "x=\"%.1f\" y=\"%.1f\">", k % SVG_COLOURS, x, ky,
                    x + 16, ky + 11);
        html_text(h, keys[k].label, keys[k].label_len, SVG_LABEL_MAX - 6);
        html_lit(h, "</text></g>");
    }
    return n ? (double) ((n + per_row - 1) / per_row) * ROW_H : 0.0;
}


void
svg_bars(html_out_t *h, const char *title, const svg_item_t *items, size_t n)
{
    size_t  i, drawn = n < SVG_ITEMS_MAX ? n : SVG_ITEMS_MAX;
    double  max = 0, y, w;

    for (i = 0; i < drawn; i++) {
        if (val(&items[i]) > max) {
            max = val(&items[i]);
        }
    }
    open_svg(h, title, 8 + (double) drawn * ROW_H);
    for (i = 0; i < drawn; i++) {
        y = 4 + (double) i * ROW_H;
        w = scale(val(&items[i]), max, BAR_ROOM);
        html_lit(h, "<g>");
        item_title(h, NULL, &items[i]);
        html_printf(h, "<text class=\"l\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"end\">", BAR_LABEL_W - 6, y + 15);
        html_text(h, items[i].label, items[i].label_len, SVG_LABEL_MAX);
        html_printf(h, "</text><rect class=\"k0\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"%.1f\" height=\"16\"/><text class=\"v\" "
                    "x=\"%.1f\" y=\"%.1f\">", BAR_LABEL_W, y + 2, w,
                    BAR_LABEL_W + w + 6, y + 15);
        html_number(h, items[i].raw);
        html_lit(h, "</text></g>");
    }
    html_lit(h, "</svg>");
}


/* Horizontal grid line and its figure at the top of a plot. */
static void
plot_frame(html_out_t *h, double max)
{
    html_printf(h, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                "y2=\"%.1f\"/><line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
                "x2=\"%.1f\" y2=\"%.1f\"/><text class=\"v\" x=\"%.1f\" "
                "y=\"%.1f\" text-anchor=\"end\">", PLOT_X0, PLOT_Y1, PLOT_X1,
                PLOT_Y1, PLOT_X0, PLOT_Y0, PLOT_X1, PLOT_Y0, PLOT_X0 - 4,
                PLOT_Y0 + 4);
    axis_number(h, max);
    html_printf(h, "</text><text class=\"v\" x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"end\">0</text>", PLOT_X0 - 4, PLOT_Y1 + 4);
}


/* A label under the plot at x; anchor "start", "middle" or "end". */
static void
column_label(html_out_t *h, const svg_item_t *col, double x,
    const char *anchor)
{
    html_printf(h, "<text class=\"l\" x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"%s\">", x, PLOT_Y1 + 16, anchor);
    html_text(h, col->label, col->label_len, 10);
    html_lit(h, "</text>");
}


void
svg_stacked(html_out_t *h, const char *title, const svg_item_t *cols,
    size_t ncols, const svg_item_t *keys, size_t nkeys,
    const svg_item_t *cells)
{
    size_t  c, k, c0, nk, step;
    double  max = 0, sum, slot, bw, x, y, len;

    c0 = ncols > SVG_COLUMNS_MAX ? ncols - SVG_COLUMNS_MAX : 0;
    nk = nkeys < SVG_ITEMS_MAX ? nkeys : SVG_ITEMS_MAX;
    for (c = c0; c < ncols; c++) {
        for (sum = 0, k = 0; k < nk; k++) {
            sum += val(&cells[c * nkeys + k]);
        }
        if (sum > max) {
            max = sum;
        }
    }
    open_svg(h, title, PLOT_Y1 + 28 + (double) ((nk + 3) / 4) * ROW_H + 8);
    plot_frame(h, max);
    slot = ncols > c0 ? (PLOT_X1 - PLOT_X0) / (double) (ncols - c0) : 0;
    bw = slot * 0.7 < 64 ? slot * 0.7 : 64;
    step = (ncols - c0 + 7) / 8;
    for (c = c0; c < ncols; c++) {
        x = PLOT_X0 + (double) (c - c0) * slot + (slot - bw) / 2;
        y = PLOT_Y1;
        for (k = 0; k < nk; k++) {
            const svg_item_t  *it = &cells[c * nkeys + k];

            len = scale(val(it), max, PLOT_Y1 - PLOT_Y0);
            y -= len;
            html_printf(h, "<rect class=\"k%zu\" x=\"%.1f\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%.1f\">", k % SVG_COLOURS,
                        x, y, bw, len);
            {
                svg_item_t  t = *it;

                t.label = keys[k].label;
                t.label_len = keys[k].label_len;
                item_title(h, &cols[c], &t);
            }
            html_lit(h, "</rect>");
        }
        if ((c - c0) % (step ? step : 1) == 0) {
            column_label(h, &cols[c], x + bw / 2, "middle");
        }
    }
    legend(h, keys, nk, PLOT_Y1 + 28);
    html_lit(h, "</svg>");
}


void
svg_lines(html_out_t *h, const char *title, const svg_item_t *xs,
    size_t nx, const svg_item_t *series, size_t ns, const svg_item_t *cells)
{
    size_t  s, i, i0, n, step;
    double  max = 0, x, y;
    int     pen;

    i0 = nx > SVG_COLUMNS_MAX ? nx - SVG_COLUMNS_MAX : 0;
    n = ns < SVG_ITEMS_MAX ? ns : SVG_ITEMS_MAX;
    for (s = 0; s < n; s++) {
        for (i = i0; i < nx; i++) {
            if (val(&cells[s * nx + i]) > max) {
                max = val(&cells[s * nx + i]);
            }
        }
    }
    open_svg(h, title, PLOT_Y1 + 28 + (double) ((n + 3) / 4) * ROW_H + 8);
    plot_frame(h, max);

#define POINT_X(i)  (nx - i0 == 1 ? (PLOT_X0 + PLOT_X1) / 2 \
                     : PLOT_X0 + 8 + (double) ((i) - i0) \
                       * (PLOT_X1 - PLOT_X0 - 16) / (double) (nx - i0 - 1))
#define POINT_Y(it) (PLOT_Y1 - scale(val(it), max, PLOT_Y1 - PLOT_Y0))

    for (s = 0; s < n; s++) {
        html_printf(h, "<g class=\"k%zu\"><path class=\"line\" d=\"",
                    s % SVG_COLOURS);
        pen = 0;
        for (i = i0; i < nx; i++) {
            const svg_item_t  *it = &cells[s * nx + i];

            if (it->raw == NULL) {
                pen = 0;
                continue;
            }
            html_printf(h, "%s%.1f %.1f", pen ? " L" : " M", POINT_X(i),
                        POINT_Y(it));
            pen = 1;
        }
        html_lit(h, "\"/>");
        for (i = i0; i < nx; i++) {
            const svg_item_t  *it = &cells[s * nx + i];
            svg_item_t         t;

            if (it->raw == NULL) {
                continue;
            }
            x = POINT_X(i);
            y = POINT_Y(it);
            html_printf(h, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\">", x, y);
            t = *it;
            t.label = series[s].label;
            t.label_len = series[s].label_len;
            item_title(h, &xs[i], &t);
            html_lit(h, "</circle>");
        }
        html_lit(h, "</g>");
    }
    /* the first label starts at its point, the last ends at its own:
     * both stay inside the chart */
    step = (nx - i0 + 7) / 8;
    for (i = i0; i < nx; i++) {
        if (nx - i0 > 1 && i == nx - 1) {
            column_label(h, &xs[i], POINT_X(i), "end");
        } else if ((i - i0) % (step ? step : 1) == 0
                   && (i + step / 2 < nx - 1 || i == i0))
        {
            column_label(h, &xs[i], POINT_X(i),
                         i == i0 && nx - i0 > 1 ? "start" : "middle");
        }
    }
#undef POINT_X
#undef POINT_Y
    legend(h, series, n, PLOT_Y1 + 28);
    html_lit(h, "</svg>");
}


void
svg_heat(html_out_t *h, const char *title, const svg_item_t *rows,
    size_t nr, const svg_item_t *cols, size_t nc, const svg_item_t *cells)
{
    size_t  r, c, dr, dc;
    double  max = 0, cw = 64, ch = 36, x0 = 64, y0 = 24, share;

    dr = nr < SVG_ITEMS_MAX ? nr : SVG_ITEMS_MAX;
    dc = nc < SVG_ITEMS_MAX ? nc : SVG_ITEMS_MAX;
    for (r = 0; r < dr; r++) {
        for (c = 0; c < dc; c++) {
            if (val(&cells[r * nc + c]) > max) {
                max = val(&cells[r * nc + c]);
            }
        }
    }
    open_svg(h, title, y0 + (double) dr * ch + 8);
    for (c = 0; c < dc; c++) {
        html_printf(h, "<text class=\"l\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"middle\">", x0 + (double) c * cw + cw / 2,
                    y0 - 8);
        html_text(h, cols[c].label, cols[c].label_len, 8);
        html_lit(h, "</text>");
    }
    for (r = 0; r < dr; r++) {
        html_printf(h, "<text class=\"l\" x=\"%.1f\" y=\"%.1f\" "
                    "text-anchor=\"end\">", x0 - 6,
                    y0 + (double) r * ch + ch / 2 + 4);
        html_text(h, rows[r].label, rows[r].label_len, 8);
        html_lit(h, "</text>");
        for (c = 0; c < dc; c++) {
            const svg_item_t  *it = &cells[r * nc + c];
            svg_item_t         t = *it;

            share = scale(val(it), max, 1.0);
            html_printf(h, "<g><rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%.1f\" "
                        "fill-opacity=\"%.2f\"/>",
                        share > 0 ? "k0" : "zero",
                        x0 + (double) c * cw + 1, y0 + (double) r * ch + 1,
                        cw - 2, ch - 2, share > 0 ? 0.12 + 0.88 * share : 1);
            t.label = cols[c].label;
            t.label_len = cols[c].label_len;
            item_title(h, &rows[r], &t);
            /* white on the darker half of the scale, to be read */
            html_printf(h, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" "
                        "text-anchor=\"middle\">", share > 0.5 ? "vi" : "v",
                        x0 + (double) c * cw + cw / 2,
                        y0 + (double) r * ch + ch / 2 + 4);
            html_number(h, it->raw);
            html_lit(h, "</text></g>");
        }
    }
    html_lit(h, "</svg>");
}
