/*
 * figures.c -- a generation's counts of profiles by segment, lifecycle
 * stage and RFM cell (figures.h).
 */
#include <string.h>
#include "figures.h"

static const char *const  life_names[5] = {
    NULL, "new", "active", "lapsing", "churned"
};


void
figures_init(figures_t *f)
{
    memset(f, 0, sizeof(*f));
}


static unsigned
nibble(uint16_t rfm, int shift)
{
    unsigned  v = (rfm >> shift) & 0xf;

    return v <= 5 ? v : 0;
}


static void
cell_count(figures_t *f, uint8_t life, uint16_t rfm, uint32_t mask, int sign)
{
    int  i;

    /* (in the state's figures a sub follows the add of the same cell:
     * never below 0; a commit thread's own may go below, figures_merge) */
    f->life[life < 5 ? life : 0] += (uint64_t) sign;
    f->rf[nibble(rfm, 8)][nibble(rfm, 4)] += (uint64_t) sign;
    f->m[nibble(rfm, 0)] += (uint64_t) sign;
    for (i = 0; mask != 0; i++, mask >>= 1) {
        if (mask & 1) {
            f->seg[i] += (uint64_t) sign;
        }
    }
}


void
figures_add(figures_t *f, const profile_t *p)
{
    cell_count(f, p->life, p->rfm, p->segmask, 1);
}


void
figures_sub(figures_t *f, const profile_t *p)
{
    cell_count(f, p->life, p->rfm, p->segmask, -1);
}


void
figures_merge(figures_t *to, const figures_t *from)
{
    size_t  i, j;

    for (i = 0; i < sizeof(to->seg) / sizeof(to->seg[0]); i++) {
        to->seg[i] += from->seg[i];
    }
    for (i = 0; i < sizeof(to->life) / sizeof(to->life[0]); i++) {
        to->life[i] += from->life[i];
    }
    for (i = 0; i < sizeof(to->rf) / sizeof(to->rf[0]); i++) {
        for (j = 0; j < sizeof(to->rf[0]) / sizeof(to->rf[0][0]); j++) {
            to->rf[i][j] += from->rf[i][j];
        }
    }
    for (i = 0; i < sizeof(to->m) / sizeof(to->m[0]); i++) {
        to->m[i] += from->m[i];
    }
}


static uint8_t
life_code(const stored_str_t *s)
{
    uint8_t  i;

    for (i = 1; i < 5; i++) {
        if (s->ptr && s->len == strlen(life_names[i])
            && memcmp(s->ptr, life_names[i], s->len) == 0)
        {
            return i;
        }
    }
    return PROFILE_LIFE_UNKNOWN;
}


static uint16_t
score(int64_t v)
{
    return v >= 1 && v <= 5 ? (uint16_t) v : 0;
}


/* The rules' index of segment name s, looking from *from on first (the
 * names come in the rules' order); -1 when the rules do not have it. */
static long
seg_index(const spoor_rules_t *rules, const stored_str_t *s, size_t *from)
{
    size_t       i, n = spoor_rules_count(rules);
    const char  *name;

    for (i = *from; i < n; i++) {
        name = spoor_rules_name(rules, i);
        if (name == s->ptr
            || (strlen(name) == s->len && memcmp(name, s->ptr, s->len) == 0))
        {
            *from = i + 1;
            return (long) i;
        }
    }
    return spoor_rules_find(rules, s->ptr, s->len);
}


/* Sets the cell of rec into *life, *rfm, *mask; adds every segment to f
 * when f is not NULL. */
static void
record_cell(figures_t *f, const stored_profile_t *rec,
    const spoor_rules_t *rules, uint8_t *life, uint16_t *rfm, uint32_t *mask)
{
    size_t  j, from = 0;
    long    s;

    *life = rec->has_life || rec->life.ptr ? life_code(&rec->life)
                                           : PROFILE_LIFE_UNKNOWN;
    *rfm = (uint16_t) (score(rec->rfm[0]) << 8 | score(rec->rfm[1]) << 4
                       | score(rec->rfm[2]));
    *mask = 0;
    for (j = 0; rules != NULL && j < rec->nsegs; j++) {
        s = seg_index(rules, &rec->segs[j], &from);
        if (s < 0) {
            continue;
        }
        if (s < FIGURES_CELL_SEGS) {
            *mask |= (uint32_t) 1 << s;
        }
        if (f != NULL) {
            f->seg[s]++;
        }
    }
}


void
figures_add_record(figures_t *f, const stored_profile_t *rec,
    const spoor_rules_t *rules, profile_t *p)
{
    uint8_t   life;
    uint16_t  rfm;
    uint32_t  mask;

    record_cell(f, rec, rules, &life, &rfm, &mask);
    cell_count(f, life, rfm, 0, 1);     /* (its segments counted above) */
    if (p != NULL) {
        p->life = life;
        p->rfm = rfm;
        p->segmask = mask;
    }
}


void
figures_cell(profile_t *p, const stored_profile_t *rec,
    const spoor_rules_t *rules)
{
    uint8_t   life;
    uint16_t  rfm;

    record_cell(NULL, rec, rules, &life, &rfm, &p->segmask);
    p->life = life;
    p->rfm = rfm;
}


void
figures_lineage(json_out_t *j, const figures_t *f,
    const spoor_rules_t *rules, int delta)
{
    size_t    i, r, c, n = rules ? spoor_rules_count(rules) : 0;
    uint64_t  orders = 0;

    if (delta && n > FIGURES_CELL_SEGS) {
        n = FIGURES_CELL_SEGS;          /* the cells hold these only */
    }
    json_out_cstr(j, "segments");
    json_out_map_open(j);
    for (i = 0; i < n; i++) {
        json_out_cstr(j, spoor_rules_name(rules, i));
        json_out_uint(j, f->seg[i]);
    }
    json_out_map_close(j);

    json_out_cstr(j, "lifecycle");
    json_out_map_open(j);
    for (i = 1; i < 5; i++) {
        json_out_cstr(j, life_names[i]);
        json_out_uint(j, f->life[i]);
    }
    json_out_map_close(j);

    for (r = 1; r < 6; r++) {
        for (c = 1; c < 6; c++) {
            orders += f->rf[r][c];
        }
    }
    json_out_cstr(j, "rfm");
    json_out_map_open(j);
    json_out_cstr(j, "withOrders");
    json_out_uint(j, orders);
    json_out_cstr(j, "grid");
    json_out_array_open(j);
    for (r = 1; r < 6; r++) {
        json_out_array_open(j);
        for (c = 1; c < 6; c++) {
            json_out_uint(j, f->rf[r][c]);
        }
        json_out_array_close(j);
    }
    json_out_array_close(j);
    json_out_cstr(j, "monetary");
    json_out_array_open(j);
    for (c = 1; c < 6; c++) {
        json_out_uint(j, f->m[c]);
    }
    json_out_array_close(j);
    json_out_map_close(j);
}
