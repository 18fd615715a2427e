/*
 * fuzz_rules.c -- libFuzzer target: any bytes as a segment rules file.
 *
 * The bytes are parsed with spoor_rules_parse().  A refused text must
 * come back as SPOOR_E_FORMAT with no rules and one "fuzz:LINE:COL: ..."
 * message; accepted rules must keep the invariants rules.h promises
 * (valid unique names found by spoor_rules_find, windows in range, the
 * longest window, the hash of the text), and then every segment is
 * evaluated against an environment whose field values, aggregate values
 * and "now" are read from the input itself: bytes are taken from the end
 * of the input backwards (wrapping), so a trailing comment lets the
 * fuzzer choose the values without changing the rules.  Values cover
 * every type, NaN, infinities, extreme times and strings of any bytes.
 * Each segment is evaluated twice with the same values (the result must
 * not change) and once with an environment that knows nothing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "error.h"
#include "rules.h"

/* Where environment values come from: data read backwards from the end. */
typedef struct {
    const uint8_t        *data;
    size_t                size;
    size_t                pos;        /* bytes taken so far */
    const spoor_rules_t  *r;
} src_t;


static uint8_t
take(src_t *s)
{
    uint8_t  b;

    if (s->size == 0) {
        return 0;
    }
    b = s->data[s->size - 1 - s->pos % s->size];
    s->pos++;
    return b;
}


static uint64_t
take64(src_t *s)
{
    uint64_t  v = 0;
    int       i;

    for (i = 0; i < 8; i++) {
        v = v << 8 | take(s);
    }
    return v;
}


static void
field(void *ctx, const char *name, size_t len, spoor_rule_value_t *out)
{
    src_t     *s = ctx;
    uint64_t   bits;
    size_t     off;

    /* the contract: a NUL-terminated name, an ABSENT value on entry */
    if (name == NULL || name[len] != '\0' || strlen(name) > len
        || out->type != SPOOR_RV_ABSENT)
    {
        abort();
    }

    switch (take(s) % 8) {
    case 0:
        break;                              /* absent */
    case 1:                                 /* any double: NaN, inf, ... */
        bits = take64(s);
        out->type = SPOOR_RV_NUMBER;
        memcpy(&out->num, &bits, sizeof(out->num));
        break;
    case 2:                                 /* a small integer */
        out->type = SPOOR_RV_NUMBER;
        out->num = (int8_t) take(s);
        break;
    case 3:                                 /* bytes of the input */
        out->type = SPOOR_RV_STRING;
        out->len = take(s) % 32;
        off = s->size ? take(s) % s->size : 0;
        if (out->len > s->size - off) {
            out->len = s->size - off;
        }
        out->str = out->len ? (const char *) s->data + off : NULL;
        break;
    case 4:                                 /* the field's own name */
        out->type = SPOOR_RV_STRING;
        out->str = name;
        out->len = len;
        break;
    case 5:
        out->type = SPOOR_RV_BOOL;
        out->num = take(s) % 3 == 2 ? NAN : take(s) & 1;
        break;
    case 6:                                 /* any time */
        out->type = SPOOR_RV_TIME;
        out->time_ms = (int64_t) take64(s);
        break;
    default:                                /* a string without bytes */
        out->type = SPOOR_RV_STRING;
        out->str = NULL;
        out->len = take(s) & 1;
        break;
    }
}


static double
agg(void *ctx, size_t i)
{
    src_t     *s = ctx;
    uint64_t   bits;
    double     v;

    if (i >= spoor_rules_naggs(s->r)) {
        abort();
    }
    switch (take(s) % 4) {
    case 0:
        return NAN;
    case 1:
        bits = take64(s);
        memcpy(&v, &bits, sizeof(v));
        return v;
    default:
        return take(s) % 16;
    }
}


/* Names match [a-z_][a-z0-9_]*, at most SPOOR_RULES_NAME_MAX bytes. */
static int
name_ok(const char *n)
{
    size_t  i, len = strlen(n);

    if (len == 0 || len > SPOOR_RULES_NAME_MAX
        || !((n[0] >= 'a' && n[0] <= 'z') || n[0] == '_'))
    {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9')
              || n[i] == '_'))
        {
            return 0;
        }
    }
    return 1;
}


static void
check_rules(const spoor_rules_t *r, const uint8_t *data, size_t size)
{
    const spoor_rule_agg_t  *a;
    const char              *name;
    int64_t                  maxw = 0;
    size_t                   i, n = spoor_rules_count(r);

    if (n > SPOOR_RULES_SEGS_MAX
        || spoor_rules_naggs(r) > SPOOR_RULES_AGGS_MAX
        || spoor_rules_name(r, n) != NULL
        || spoor_rules_agg(r, spoor_rules_naggs(r)) != NULL
        || spoor_rules_hash(r) != XXH64(size ? data : (const uint8_t *) "",
                                        size, 0))
    {
        abort();
    }
    for (i = 0; i < n; i++) {
        name = spoor_rules_name(r, i);
        if (name == NULL || !name_ok(name)
            || spoor_rules_find(r, name, strlen(name)) != (long) i)
        {
            abort();
        }
    }
    for (i = 0; i < spoor_rules_naggs(r); i++) {
        a = spoor_rules_agg(r, i);
        if (a == NULL
            || (a->kind != SPOOR_AGG_COUNT && a->kind != SPOOR_AGG_SUM_REVENUE)
            || a->window_ms < 1000 || a->window_ms > SPOOR_RULES_WINDOW_MAX
            || (a->event != NULL
                && (a->event_len == 0 || a->event[a->event_len] != '\0')))
        {
            abort();
        }
        if (a->window_ms > maxw) {
            maxw = a->window_ms;
        }
    }
    if (spoor_rules_max_window(r) != maxw) {
        abort();
    }
}


static void
eval_all(const spoor_rules_t *r, const uint8_t *data, size_t size)
{
    src_t             s = { data, size, 0, r };
    spoor_rule_env_t  env, none = { NULL, 0, NULL, NULL };
    size_t            i, n = spoor_rules_count(r), start;
    int               m;

    env.ctx = &s;
    env.field = field;
    env.agg = agg;
    env.now_ms = take(&s) & 1 ? (int64_t) take64(&s) : 1700000000000LL;

    for (i = 0; i < n; i++) {
        start = s.pos;
        m = spoor_rules_eval(r, i, &env);
        s.pos = start;
        if ((m != 0 && m != 1) || spoor_rules_eval(r, i, &env) != m) {
            abort();
        }
        m = spoor_rules_eval(r, i, &none);
        if (m != 0 && m != 1) {
            abort();
        }
    }
    if (spoor_rules_eval(r, n, &env) != 0) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spoor_rules_t  *r = (spoor_rules_t *) 1;
    char            err[256];
    unsigned        line, col;
    int             rc;

    rc = spoor_rules_parse((const char *) data, size, "fuzz", &r, err,
                           sizeof(err));
    if (rc != SPOOR_OK) {
        /* a refusal is a format error at a position, and nothing else */
        if (rc != SPOOR_E_FORMAT || r != NULL
            || sscanf(err, "fuzz:%u:%u: ", &line, &col) != 2
            || line == 0 || col == 0 || strlen(err) >= sizeof(err))
        {
            abort();
        }
        return 0;
    }
    if (r == NULL) {
        abort();
    }
    check_rules(r, data, size);
    eval_all(r, data, size);
    spoor_rules_free(r);
    return 0;
}
