/*
 * rules.c -- the segment rules language (see rules.h, docs/rules.md).
 *
 * A hand-written lexer hands one token at a time to a recursive-descent
 * parser; the first error stops both.  The grammar:
 *
 *   file       = { statement } EOF
 *   statement  = "segment" NAME "=" or ";"
 *   or         = and { "or" and }
 *   and        = unary { "and" unary }
 *   unary      = "not" unary | "(" or ")" | comparison
 *   comparison = operand CMP literal | literal CMP operand
 *              | field "within" DURATION
 *   operand    = field | aggregate
 *   aggregate  = "count" "(" [ filter "," ] DURATION ")"
 *              | "sum" "(" "revenue" "," [ filter "," ] DURATION ")"
 *   filter     = "event" "=" STRING
 *   literal    = NUMBER | STRING | "true" | "false"
 *
 * A field is one token: identifiers joined by '.', where a part after a
 * '.' may also be a quoted string (events."Order Completed").  Words are
 * not reserved by the lexer: "and", "or", ... are identifiers the parser
 * recognises where it expects them, and count/sum are functions only when
 * a '(' follows.
 *
 * Each '(' and each "not" opens one nesting level; the parser refuses
 * level SPOOR_RULES_DEPTH_MAX + 1, which bounds its own recursion and the
 * evaluator's.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <xxhash.h>
#include "error.h"
#include "rules.h"

#define RULE_NONE   UINT32_MAX
#define SHOW_MAX    32          /* source bytes quoted in a message */
#define SHOW_SIZE   (SHOW_MAX * 4 + 8)

/* ---- the parsed form ---------------------------------------------------- */

typedef enum {
    RN_OR = 0,          /* any child true; children: first, next, ... */
    RN_AND,             /* every child true */
    RN_NOT,             /* child first false */
    RN_CMP,             /* operand cmp literal */
    RN_WITHIN           /* field is a time, now - field <= ms */
} rule_kind_t;

typedef enum { RC_EQ = 0, RC_NE, RC_LT, RC_LE, RC_GT, RC_GE } rule_cmp_t;

typedef struct {
    uint8_t    kind;        /* rule_kind_t */
    uint8_t    cmp;         /* CMP: rule_cmp_t, operand on the left */
    uint8_t    lit;         /* CMP: SPOOR_RV_NUMBER, _STRING or _BOOL */
    uint8_t    agg;         /* CMP: 1 when the operand is aggregate ref */
    uint32_t   first;       /* OR, AND, NOT: first child */
    uint32_t   next;        /* the next sibling, or RULE_NONE */
    uint32_t   ref;         /* field: name's pool offset; or aggregate index */
    uint32_t   ref_len;     /* field: name's length */
    uint32_t   str;         /* STRING literal: pool offset */
    uint32_t   str_len;
    double     num;         /* NUMBER literal; BOOL literal 0 or 1 */
    int64_t    ms;          /* WITHIN: the duration */
} rule_node_t;

typedef struct {
    uint32_t   name;        /* pool offset */
    uint32_t   name_len;
    uint32_t   root;        /* node index */
    unsigned   line;        /* of the statement, for duplicate messages */
} rule_seg_t;

struct spoor_rules_s {
    rule_node_t        *nodes;
    size_t              nnodes, cnodes;
    char               *pool;           /* NUL-terminated strings */
    size_t              npool, cpool;
    rule_seg_t          segs[SPOOR_RULES_SEGS_MAX];
    size_t              nsegs;
    spoor_rule_agg_t   *aggs;           /* event set by rules_finish() */
    uint32_t           *agg_event;      /* pool offset, RULE_NONE: any */
    size_t              naggs, caggs;
    int64_t             max_window;
    uint64_t            hash;
};

/* ---- the parser's state ------------------------------------------------- */

typedef enum {
    TK_EOF = 0, TK_IDENT, TK_NUMBER, TK_STRING, TK_DURATION,
    TK_LPAREN, TK_RPAREN, TK_COMMA, TK_SEMI,
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE
} tk_type_t;

typedef struct {
    tk_type_t     type;
    const char   *s;        /* the token's source bytes */
    size_t        len;
    unsigned      line, col;
    int           path;     /* IDENT: has '.' parts */
    double        num;      /* NUMBER */
    int64_t       ms;       /* DURATION */
} tk_t;

typedef struct {
    const char     *p, *end;        /* the unread text */
    const char     *line_start;
    unsigned        line;
    const char     *name;           /* for messages */
    tk_t            tk;             /* the current token */
    spoor_rules_t  *r;
    char           *err;
    size_t          errlen;
    int             rc;             /* SPOOR_OK until the first error */
} parser_t;

static const char  *reserved[] = {
    "segment", "and", "or", "not", "within", "true", "false"
};

/* ---- messages ----------------------------------------------------------- */

/* s[0..len) fit for a message: printable ASCII as is, other bytes as
 * \xHH, at most SHOW_MAX source bytes then "...". */
static const char *
rp_show(const char *s, size_t len, char *buf)
{
    size_t         i, o = 0;
    unsigned char  c;

    for (i = 0; i < len && i < SHOW_MAX; i++) {
        c = (unsigned char) s[i];
        if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char) c;
        } else {
            o += (size_t) snprintf(buf + o, 5, "\\x%02X", c);
        }
    }
    if (len > SHOW_MAX) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}


static int
rp_error_at(parser_t *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
rp_error_at(parser_t *p, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list  ap;
    int      n;

    if (p->rc != SPOOR_OK) {
        return p->rc;
    }
    p->rc = SPOOR_E_FORMAT;
    if (p->errlen == 0) {
        return p->rc;
    }
    n = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->name, line, col);
    if (n >= 0 && (size_t) n < p->errlen) {
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t) n, fmt, ap);
        va_end(ap);
    }
    return p->rc;
}

/* An error at the current token. */
#define rp_error(p, ...)                                                      \
    rp_error_at(p, (p)->tk.line, (p)->tk.col, __VA_ARGS__)


static int
rp_nomem(parser_t *p)
{
    if (p->rc == SPOOR_OK) {
        p->rc = SPOOR_E_NOMEM;
        if (p->errlen) {
            snprintf(p->err, p->errlen, "%s: out of memory", p->name);
        }
    }
    return p->rc;
}

/* ---- storage ------------------------------------------------------------ */

/* Makes room for n more bytes in the pool. */
static int
pool_reserve(parser_t *p, size_t n)
{
    spoor_rules_t  *r = p->r;
    size_t          cap;
    char           *np;

    if (r->cpool - r->npool >= n) {
        return SPOOR_OK;
    }
    cap = r->cpool ? r->cpool : 256;
    while (cap - r->npool < n) {
        cap *= 2;
    }
    np = realloc(r->pool, cap);
    if (np == NULL) {
        return rp_nomem(p);
    }
    r->pool = np;
    r->cpool = cap;
    return SPOOR_OK;
}


/* Appends the bytes of s[0..len), unquoting every "..." part in it (whose
 * escapes the lexer has checked), and a NUL; *off, *olen: where. */
static int
pool_add(parser_t *p, const char *s, size_t len, uint32_t *off,
    uint32_t *olen)
{
    spoor_rules_t  *r = p->r;
    size_t          i;
    char           *o;
    int             quoted = 0;

    if (pool_reserve(p, len + 1) != SPOOR_OK) {
        return p->rc;
    }
    o = r->pool + r->npool;
    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && s[i] == '\\') {
            i++;
        }
        *o++ = s[i];
    }
    *o = '\0';
    *off = (uint32_t) r->npool;
    *olen = (uint32_t) (o - (r->pool + r->npool));
    r->npool += *olen + 1;
    return SPOOR_OK;
}


static uint32_t
node_new(parser_t *p, rule_kind_t kind)
{
    spoor_rules_t  *r = p->r;
    size_t          cap;
    rule_node_t    *nn, *n;

    if (r->nnodes == r->cnodes) {
        cap = r->cnodes ? r->cnodes * 2 : 64;
        nn = realloc(r->nodes, cap * sizeof(rule_node_t));
        if (nn == NULL) {
            rp_nomem(p);
            return RULE_NONE;
        }
        r->nodes = nn;
        r->cnodes = cap;
    }
    n = &r->nodes[r->nnodes];
    memset(n, 0, sizeof(*n));
    n->kind = (uint8_t) kind;
    n->first = RULE_NONE;
    n->next = RULE_NONE;
    n->str = RULE_NONE;
    return (uint32_t) r->nnodes++;
}


/* The index of aggregate (kind, event at pool offset ev of length evlen,
 * or ev RULE_NONE, window ms), added when new.  A new event name is
 * expected at the end of the pool and dropped from it when an equal
 * aggregate exists.  RULE_NONE on error (at token t). */
static uint32_t
agg_intern(parser_t *p, const tk_t *t, spoor_agg_kind_t kind, uint32_t ev,
    uint32_t evlen, int64_t ms)
{
    spoor_rules_t     *r = p->r;
    spoor_rule_agg_t  *na, *a;
    uint32_t          *ne;
    size_t             i, cap;

    for (i = 0; i < r->naggs; i++) {
        a = &r->aggs[i];
        if (a->kind != kind || a->window_ms != ms
            || (r->agg_event[i] == RULE_NONE) != (ev == RULE_NONE))
        {
            continue;
        }
        if (ev == RULE_NONE) {
            return (uint32_t) i;
        }
        if (a->event_len == evlen
            && memcmp(r->pool + r->agg_event[i], r->pool + ev, evlen) == 0)
        {
            r->npool = ev;          /* the name was the last thing added */
            return (uint32_t) i;
        }
    }
    if (r->naggs == SPOOR_RULES_AGGS_MAX) {
        rp_error_at(p, t->line, t->col,
                    "too many distinct aggregates (limit %d)",
                    SPOOR_RULES_AGGS_MAX);
        return RULE_NONE;
    }
    if (r->naggs == r->caggs) {
        cap = r->caggs ? r->caggs * 2 : 16;
        na = realloc(r->aggs, cap * sizeof(*na));
        if (na == NULL) {
            rp_nomem(p);
            return RULE_NONE;
        }
        r->aggs = na;
        ne = realloc(r->agg_event, cap * sizeof(*ne));
        if (ne == NULL) {
            rp_nomem(p);
            return RULE_NONE;
        }
        r->agg_event = ne;
        r->caggs = cap;
    }
    a = &r->aggs[r->naggs];
    a->kind = kind;
    a->event = NULL;
    a->event_len = ev == RULE_NONE ? 0 : evlen;
    a->window_ms = ms;
    r->agg_event[r->naggs] = ev;
    if (ms > r->max_window) {
        r->max_window = ms;
    }
    return (uint32_t) r->naggs++;
}

/* ---- the lexer ---------------------------------------------------------- */

static int
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}


static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}


static int
is_word(int c)
{
    return is_alpha(c) || is_digit(c);
}


static unsigned
lx_col(const parser_t *p, const char *at)
{
    return (unsigned) (at - p->line_start) + 1;
}


/* Skips blanks, newlines and # comments. */
static void
lx_space(parser_t *p)
{
    while (p->p < p->end) {
        switch (*p->p) {
        case '\n':
            p->line++;
            p->line_start = ++p->p;
            break;
        case ' ': case '\t': case '\r':
            p->p++;
            break;
        case '#':
            while (p->p < p->end && *p->p != '\n') {
                p->p++;
            }
            break;
        default:
            return;
        }
    }
}


/* Checks the string whose opening quote is at s; *after: past its
 * closing quote.  A string ends on its line. */
static int
lx_string(parser_t *p, const char *s, const char **after)
{
    const char  *q = s + 1;
    char         show[SHOW_SIZE];

    while (q < p->end && *q != '"' && *q != '\n') {
        if (*q == '\\') {
            if (q + 1 == p->end || q[1] == '\n') {
                break;
            }
            if (q[1] != '"' && q[1] != '\\') {
                return rp_error_at(p, p->line, lx_col(p, q),
                    "bad escape '\\%s' in string: only \\\" and \\\\ are "
                    "allowed", rp_show(q + 1, 1, show));
            }
            q++;
        }
        q++;
    }
    if (q == p->end || *q != '"') {
        return rp_error_at(p, p->line, lx_col(p, s), "unterminated string");
    }
    *after = q + 1;
    return SPOOR_OK;
}


/* A field path or a word: parts of [A-Za-z0-9_] or "..." after a '.'. */
static int
lx_ident(parser_t *p, tk_t *t)
{
    const char  *q = p->p;

    while (q < p->end && is_word(*q)) {
        q++;
    }
    while (q < p->end && *q == '.') {
        q++;
        t->path = 1;
        if (q < p->end && *q == '"') {
            if (lx_string(p, q, &q) != SPOOR_OK) {
                return p->rc;
            }
        } else if (q < p->end && is_word(*q)) {
            while (q < p->end && is_word(*q)) {
                q++;
            }
        } else {
            return rp_error_at(p, p->line, lx_col(p, q),
                               "expected a name after '.'");
        }
    }
    t->type = TK_IDENT;
    t->len = (size_t) (q - t->s);
    p->p = q;
    return SPOOR_OK;
}


/* The duration t->s[0..len) whose count is s[0..nlen) and whose unit
 * follows it: a whole count >= 1 of s, m, h, d or w, at most 400d. */
static int
lx_duration(parser_t *p, tk_t *t, size_t nlen)
{
    static const char     units[] = "smhdw";
    static const int64_t  unit_ms[] = {
        1000, 60000, 3600000, 86400000, 604800000
    };
    const char  *u;
    char         show[SHOW_SIZE];
    int64_t      n = 0;
    size_t       i;

    rp_show(t->s, t->len, show);
    if (t->len - nlen != 1 || (u = strchr(units, t->s[nlen])) == NULL
        || t->s[nlen] == '\0')
    {
        return rp_error(p, "bad duration '%s': the unit must be s, m, h, d "
                        "or w", show);
    }
    if (t->s[0] == '-') {
        return rp_error(p, "bad duration '%s': the count must be at least 1",
                        show);
    }
    for (i = 0; i < nlen; i++) {
        if (!is_digit(t->s[i])) {
            return rp_error(p, "bad duration '%s': the count must be a "
                            "whole number", show);
        }
        if (n <= SPOOR_RULES_WINDOW_MAX) {
            n = n * 10 + (t->s[i] - '0');
        }
    }
    if (n == 0) {
        return rp_error(p, "bad duration '%s': the count must be at least 1",
                        show);
    }
    if (n > SPOOR_RULES_WINDOW_MAX / unit_ms[u - units]) {
        return rp_error(p, "bad duration '%s': longer than 400d", show);
    }
    t->type = TK_DURATION;
    t->ms = n * unit_ms[u - units];
    return SPOOR_OK;
}


/* A number ([-]digits[.digits][e[+-]digits]) or, with letters right
 * after it, a duration. */
static int
lx_number(parser_t *p, tk_t *t)
{
    const char  *q = p->p;
    char         buf[64], show[SHOW_SIZE], *end;
    size_t       nlen;

    if (*q == '-') {
        q++;
    }
    while (q < p->end && is_digit(*q)) {
        q++;
    }
    if (q < p->end && *q == '.') {
        q++;
        if (q == p->end || !is_digit(*q)) {
            t->len = (size_t) (q - t->s);
            return rp_error(p, "bad number '%s'",
                            rp_show(t->s, t->len, show));
        }
        while (q < p->end && is_digit(*q)) {
            q++;
        }
    }
    if (q < p->end && (*q == 'e' || *q == 'E')
        && ((q + 1 < p->end && is_digit(q[1]))
            || (q + 2 < p->end && (q[1] == '+' || q[1] == '-')
                && is_digit(q[2]))))
    {
        q += 2;
        while (q < p->end && is_digit(*q)) {
            q++;
        }
    }
    nlen = (size_t) (q - t->s);
    while (q < p->end && is_word(*q)) {
        q++;
    }
    t->len = (size_t) (q - t->s);
    p->p = q;
    if (t->len > nlen) {
        return lx_duration(p, t, nlen);
    }
    if (nlen >= sizeof(buf)) {
        return rp_error(p, "bad number '%s': too long",
                        rp_show(t->s, t->len, show));
    }
    memcpy(buf, t->s, nlen);
    buf[nlen] = '\0';
    t->num = strtod(buf, &end);
    if (end != buf + nlen || !isfinite(t->num)) {
        return rp_error(p, "bad number '%s': out of range", buf);
    }
    t->type = TK_NUMBER;
    return SPOOR_OK;
}


/* Reads the next token into p->tk. */
static int
lx_next(parser_t *p)
{
    tk_t        *t = &p->tk;
    const char  *q;
    char         show[SHOW_SIZE];
    int          c, c1;

    if (p->rc != SPOOR_OK) {
        return p->rc;
    }
    lx_space(p);
    memset(t, 0, sizeof(*t));
    t->s = p->p;
    t->line = p->line;
    t->col = lx_col(p, p->p);
    if (p->p == p->end) {
        t->type = TK_EOF;
        return SPOOR_OK;
    }
    c = (unsigned char) *p->p;
    c1 = p->p + 1 < p->end ? (unsigned char) p->p[1] : -1;
    t->len = 1;
    switch (c) {
    case '(': t->type = TK_LPAREN; break;
    case ')': t->type = TK_RPAREN; break;
    case ',': t->type = TK_COMMA; break;
    case ';': t->type = TK_SEMI; break;
    case '=': t->type = TK_EQ; break;
    case '<':
        t->type = c1 == '=' ? TK_LE : TK_LT;
        t->len = c1 == '=' ? 2 : 1;
        break;
    case '>':
        t->type = c1 == '=' ? TK_GE : TK_GT;
        t->len = c1 == '=' ? 2 : 1;
        break;
    case '!':
        if (c1 != '=') {
            return rp_error(p, "unexpected character '!'");
        }
        t->type = TK_NE;
        t->len = 2;
        break;
    case '"':
        if (lx_string(p, p->p, &q) != SPOOR_OK) {
            return p->rc;
        }
        t->type = TK_STRING;
        t->len = (size_t) (q - p->p);
        break;
    default:
        if (is_digit(c) || (c == '-' && c1 >= 0 && is_digit(c1))) {
            return lx_number(p, t);
        }
        if (is_alpha(c)) {
            return lx_ident(p, t);
        }
        return rp_error(p, "unexpected character '%s'",
                        rp_show(p->p, 1, show));
    }
    p->p += t->len;
    return SPOOR_OK;
}

/* ---- the parser --------------------------------------------------------- */

/* Token t is the plain word w. */
static int
tk_is(const tk_t *t, const char *w)
{
    size_t  n = strlen(w);

    return t->type == TK_IDENT && !t->path && t->len == n
           && memcmp(t->s, w, n) == 0;
}


/* The current token is the plain word w. */
static int
tk_word(const parser_t *p, const char *w)
{
    return tk_is(&p->tk, w);
}


static int
tk_reserved(const parser_t *p)
{
    size_t  i;

    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (tk_word(p, reserved[i])) {
            return 1;
        }
    }
    return 0;
}


static int
tk_literal(const parser_t *p)
{
    return p->tk.type == TK_NUMBER || p->tk.type == TK_STRING
           || tk_word(p, "true") || tk_word(p, "false");
}


/* The comparison operator of the current token, or -1. */
static int
tk_cmp(const parser_t *p)
{
    switch (p->tk.type) {
    case TK_EQ: return RC_EQ;
    case TK_NE: return RC_NE;
    case TK_LT: return RC_LT;
    case TK_LE: return RC_LE;
    case TK_GT: return RC_GT;
    case TK_GE: return RC_GE;
    default:    return -1;
    }
}


/* The literal at the current token into node n. */
static int
rp_literal(parser_t *p, uint32_t n)
{
    rule_node_t  *nd = &p->r->nodes[n];
    uint32_t      off, len;

    if (p->tk.type == TK_NUMBER) {
        nd->lit = SPOOR_RV_NUMBER;
        nd->num = p->tk.num;
    } else if (p->tk.type == TK_STRING) {
        if (pool_add(p, p->tk.s, p->tk.len, &off, &len) != SPOOR_OK) {
            return p->rc;
        }
        nd = &p->r->nodes[n];
        nd->lit = SPOOR_RV_STRING;
        nd->str = off;
        nd->str_len = len;
    } else {
        nd->lit = SPOOR_RV_BOOL;
        nd->num = tk_word(p, "true");
    }
    return lx_next(p);
}


/* count(...) or sum(...) at its '(' (fn: the function's token), into
 * node n. */
static int
rp_aggregate(parser_t *p, const tk_t *fn, spoor_agg_kind_t kind, uint32_t n)
{
    uint32_t   ev = RULE_NONE, evlen = 0, idx;
    int64_t    ms;

    if (lx_next(p) != SPOOR_OK) {
        return p->rc;
    }
    if (kind == SPOOR_AGG_SUM_REVENUE) {
        if (!tk_word(p, "revenue")) {
            return rp_error(p, "expected 'revenue' as the first argument "
                            "of sum()");
        }
        if (lx_next(p) != SPOOR_OK) {
            return p->rc;
        }
        if (p->tk.type != TK_COMMA) {
            return rp_error(p, "expected ',' after 'revenue'");
        }
        if (lx_next(p) != SPOOR_OK) {
            return p->rc;
        }
    }
    if (tk_word(p, "event")) {
        if (lx_next(p) != SPOOR_OK) {
            return p->rc;
        }
        if (p->tk.type != TK_EQ) {
            return rp_error(p, "expected '=' after 'event'");
        }
        if (lx_next(p) != SPOOR_OK) {
            return p->rc;
        }
        if (p->tk.type != TK_STRING) {
            return rp_error(p, "expected an event name string after "
                            "'event ='");
        }
        if (p->tk.len == 2) {
            return rp_error(p, "the event name must not be empty");
        }
        if (pool_add(p, p->tk.s, p->tk.len, &ev, &evlen) != SPOOR_OK
            || lx_next(p) != SPOOR_OK)
        {
            return p->rc;
        }
        if (p->tk.type != TK_COMMA) {
            return rp_error(p, "expected ',' after the event name");
        }
        if (lx_next(p) != SPOOR_OK) {
            return p->rc;
        }
        if (p->tk.type != TK_DURATION) {
            return rp_error(p, "expected a duration");
        }
    } else if (p->tk.type != TK_DURATION) {
        return rp_error(p, "expected event = \"NAME\" or a duration");
    }
    ms = p->tk.ms;
    if (lx_next(p) != SPOOR_OK) {
        return p->rc;
    }
    if (p->tk.type != TK_RPAREN) {
        return rp_error(p, "expected ')' after duration");
    }
    idx = agg_intern(p, fn, kind, ev, evlen, ms);
    if (idx == RULE_NONE) {
        return p->rc;
    }
    p->r->nodes[n].agg = 1;
    p->r->nodes[n].ref = idx;
    return lx_next(p);
}


/* A field or an aggregate at the current (non-reserved) word, into n. */
static int
rp_operand(parser_t *p, uint32_t n)
{
    tk_t      fn = p->tk;
    uint32_t  off, len;
    char      show[SHOW_SIZE];

    if (lx_next(p) != SPOOR_OK) {
        return p->rc;
    }
    if (p->tk.type == TK_LPAREN) {
        if (tk_is(&fn, "count")) {
            return rp_aggregate(p, &fn, SPOOR_AGG_COUNT, n);
        }
        if (tk_is(&fn, "sum")) {
            return rp_aggregate(p, &fn, SPOOR_AGG_SUM_REVENUE, n);
        }
        return rp_error_at(p, fn.line, fn.col, "unknown function '%s'",
                           rp_show(fn.s, fn.len, show));
    }
    if (pool_add(p, fn.s, fn.len, &off, &len) != SPOOR_OK) {
        return p->rc;
    }
    p->r->nodes[n].ref = off;
    p->r->nodes[n].ref_len = len;
    return SPOOR_OK;
}


static const char *
cmp_text(int cmp)
{
    static const char  *text[] = { "=", "!=", "<", "<=", ">", ">=" };

    return text[cmp];
}


/* The operator at the current token, then past it; -1 when none. */
static int
rp_cmp(parser_t *p)
{
    int  cmp = tk_cmp(p);

    if (cmp >= 0 && lx_next(p) != SPOOR_OK) {
        return -2;
    }
    return cmp;
}


/* Checks the types of comparison n, whose literal was token lit. */
static uint32_t
rp_typecheck(parser_t *p, uint32_t n, const tk_t *lit)
{
    const rule_node_t  *nd = &p->r->nodes[n];

    if (nd->agg && nd->lit != SPOOR_RV_NUMBER) {
        rp_error_at(p, lit->line, lit->col,
                    "an aggregate compares only with a number");
        return RULE_NONE;
    }
    if (nd->lit == SPOOR_RV_BOOL && nd->cmp != RC_EQ && nd->cmp != RC_NE) {
        rp_error_at(p, lit->line, lit->col,
                    "true and false compare only with = and !=");
        return RULE_NONE;
    }
    return n;
}


/* literal CMP operand, at the literal: stored as operand CMP' literal. */
static uint32_t
rp_literal_first(parser_t *p, uint32_t n)
{
    static const uint8_t  flip[] = {
        RC_EQ, RC_NE, RC_GT, RC_GE, RC_LT, RC_LE
    };
    tk_t                  lit = p->tk;
    int                   cmp;
    char                  show[SHOW_SIZE];

    if (rp_literal(p, n) != SPOOR_OK) {
        return RULE_NONE;
    }
    cmp = rp_cmp(p);
    if (cmp == -1) {
        rp_error(p, "expected a comparison operator after '%s'",
                 rp_show(lit.s, lit.len, show));
    }
    if (cmp < 0) {
        return RULE_NONE;
    }
    if (p->tk.type != TK_IDENT || tk_reserved(p)) {
        rp_error(p, "expected a field or an aggregate after '%s'",
                 cmp_text(cmp));
        return RULE_NONE;
    }
    if (rp_operand(p, n) != SPOOR_OK) {
        return RULE_NONE;
    }
    p->r->nodes[n].cmp = flip[cmp];
    return rp_typecheck(p, n, &lit);
}


/* operand CMP literal or field within DURATION, at the operand. */
static uint32_t
rp_operand_first(parser_t *p, uint32_t n)
{
    tk_t   opnd = p->tk, lit;
    int    cmp;
    char   show[SHOW_SIZE];

    if (rp_operand(p, n) != SPOOR_OK) {
        return RULE_NONE;
    }
    if (tk_word(p, "within")) {
        if (p->r->nodes[n].agg) {
            rp_error(p, "'within' needs a time field, not an aggregate");
            return RULE_NONE;
        }
        if (lx_next(p) != SPOOR_OK) {
            return RULE_NONE;
        }
        if (p->tk.type != TK_DURATION) {
            rp_error(p, "expected a duration after 'within'");
            return RULE_NONE;
        }
        p->r->nodes[n].kind = RN_WITHIN;
        p->r->nodes[n].ms = p->tk.ms;
        return lx_next(p) == SPOOR_OK ? n : RULE_NONE;
    }
    cmp = rp_cmp(p);
    if (cmp == -1) {
        if (p->r->nodes[n].agg) {
            rp_error(p, "expected a comparison operator after '%s(...)'",
                     rp_show(opnd.s, opnd.len, show));
        } else {
            rp_error(p, "expected a comparison operator or 'within' after "
                     "'%s'", rp_show(opnd.s, opnd.len, show));
        }
    }
    if (cmp < 0) {
        return RULE_NONE;
    }
    if (p->tk.type == TK_DURATION) {
        rp_error(p, "a duration is only allowed after 'within' and in "
                 "count() and sum()");
        return RULE_NONE;
    }
    if (!tk_literal(p)) {
        rp_error(p, "expected a number, string, true or false after '%s'",
                 cmp_text(cmp));
        return RULE_NONE;
    }
    lit = p->tk;
    if (rp_literal(p, n) != SPOOR_OK) {
        return RULE_NONE;
    }
    p->r->nodes[n].cmp = (uint8_t) cmp;
    return rp_typecheck(p, n, &lit);
}


/* A comparison at the current token. */
static uint32_t
rp_comparison(parser_t *p)
{
    uint32_t  n;

    if (!tk_literal(p) && (p->tk.type != TK_IDENT || tk_reserved(p))) {
        rp_error(p, "expected an expression");
        return RULE_NONE;
    }
    n = node_new(p, RN_CMP);
    if (n == RULE_NONE) {
        return RULE_NONE;
    }
    return tk_literal(p) ? rp_literal_first(p, n) : rp_operand_first(p, n);
}


static uint32_t rp_or(parser_t *p, unsigned depth);


static uint32_t
rp_unary(parser_t *p, unsigned depth)
{
    uint32_t  n, c;

    if (!tk_word(p, "not") && p->tk.type != TK_LPAREN) {
        return rp_comparison(p);
    }
    if (depth >= SPOOR_RULES_DEPTH_MAX) {
        rp_error(p, "expression nested deeper than %d levels",
                 SPOOR_RULES_DEPTH_MAX);
        return RULE_NONE;
    }
    if (p->tk.type == TK_LPAREN) {
        if (lx_next(p) != SPOOR_OK) {
            return RULE_NONE;
        }
        c = rp_or(p, depth + 1);
        if (c == RULE_NONE) {
            return RULE_NONE;
        }
        if (p->tk.type != TK_RPAREN) {
            rp_error(p, "expected ')'");
            return RULE_NONE;
        }
        return lx_next(p) == SPOOR_OK ? c : RULE_NONE;
    }
    if (lx_next(p) != SPOOR_OK) {
        return RULE_NONE;
    }
    c = rp_unary(p, depth + 1);
    if (c == RULE_NONE) {
        return RULE_NONE;
    }
    n = node_new(p, RN_NOT);
    if (n != RULE_NONE) {
        p->r->nodes[n].first = c;
    }
    return n;
}


/* term { word term }, where term is "and" (next: unary) or "or" (and). */
static uint32_t
rp_list(parser_t *p, unsigned depth, rule_kind_t kind)
{
    const char  *word = kind == RN_OR ? "or" : "and";
    uint32_t     n, c, last;

    c = kind == RN_OR ? rp_list(p, depth, RN_AND) : rp_unary(p, depth);
    if (c == RULE_NONE || !tk_word(p, word)) {
        return c;
    }
    n = node_new(p, kind);
    if (n == RULE_NONE) {
        return RULE_NONE;
    }
    p->r->nodes[n].first = c;
    last = c;
    while (tk_word(p, word)) {
        if (lx_next(p) != SPOOR_OK) {
            return RULE_NONE;
        }
        c = kind == RN_OR ? rp_list(p, depth, RN_AND) : rp_unary(p, depth);
        if (c == RULE_NONE) {
            return RULE_NONE;
        }
        p->r->nodes[last].next = c;
        last = c;
    }
    return n;
}


static uint32_t
rp_or(parser_t *p, unsigned depth)
{
    return rp_list(p, depth, RN_OR);
}


/* The segment name at the current token. */
static int
rp_name(parser_t *p)
{
    char    show[SHOW_SIZE];
    size_t  i;

    if (p->tk.type != TK_IDENT) {
        return rp_error(p, "expected a segment name after 'segment'");
    }
    rp_show(p->tk.s, p->tk.len, show);
    for (i = 0; i < p->tk.len; i++) {
        if (!(p->tk.s[i] >= 'a' && p->tk.s[i] <= 'z') && p->tk.s[i] != '_'
            && !(i > 0 && is_digit(p->tk.s[i])))
        {
            return rp_error(p, "bad segment name '%s': only a-z, 0-9 and _ "
                            "are allowed", show);
        }
    }
    if (p->tk.len > SPOOR_RULES_NAME_MAX) {
        return rp_error(p, "bad segment name '%s': longer than %d bytes",
                        show, SPOOR_RULES_NAME_MAX);
    }
    if (tk_reserved(p)) {
        return rp_error(p, "bad segment name '%s': a reserved word", show);
    }
    for (i = 0; i < p->r->nsegs; i++) {
        if (p->r->segs[i].name_len == p->tk.len
            && memcmp(p->r->pool + p->r->segs[i].name, p->tk.s, p->tk.len)
               == 0)
        {
            return rp_error(p, "duplicate segment name '%s' (first defined "
                            "on line %u)", show, p->r->segs[i].line);
        }
    }
    return SPOOR_OK;
}


static int
rp_statement(parser_t *p)
{
    rule_seg_t  *s;
    unsigned     line = p->tk.line;
    char         show[SHOW_SIZE];

    if (!tk_word(p, "segment")) {
        return rp_error(p, "expected 'segment'");
    }
    if (p->r->nsegs == SPOOR_RULES_SEGS_MAX) {
        return rp_error(p, "too many segments (limit %d)",
                        SPOOR_RULES_SEGS_MAX);
    }
    if (lx_next(p) != SPOOR_OK || rp_name(p) != SPOOR_OK) {
        return p->rc;
    }
    s = &p->r->segs[p->r->nsegs];
    s->line = line;
    if (pool_add(p, p->tk.s, p->tk.len, &s->name, &s->name_len) != SPOOR_OK
        || lx_next(p) != SPOOR_OK)
    {
        return p->rc;
    }
    if (p->tk.type != TK_EQ) {
        return rp_error(p, "expected '=' after the segment name");
    }
    if (lx_next(p) != SPOOR_OK) {
        return p->rc;
    }
    s->root = rp_or(p, 0);
    if (s->root == RULE_NONE) {
        return p->rc;
    }
    if (p->tk.type != TK_SEMI) {
        return rp_error(p, "expected ';' after the expression of segment "
                        "'%s'", rp_show(p->r->pool + s->name, s->name_len,
                                        show));
    }
    p->r->nsegs++;
    return lx_next(p);
}


/* Points the aggregates at their event names (the pool moves no more). */
static void
rules_finish(spoor_rules_t *r)
{
    size_t  i;

    for (i = 0; i < r->naggs; i++) {
        r->aggs[i].event = r->agg_event[i] == RULE_NONE
                           ? NULL : r->pool + r->agg_event[i];
    }
}


int
spoor_rules_parse(const char *text, size_t len, const char *name,
    spoor_rules_t **out, char *err, size_t errlen)
{
    parser_t  p;

    if (errlen) {
        err[0] = '\0';
    }
    if (out == NULL || (text == NULL && len != 0)) {
        return SPOOR_E_INVAL;
    }
    *out = NULL;
    memset(&p, 0, sizeof(p));
    p.name = name ? name : "<rules>";
    p.err = err;
    p.errlen = errlen;
    p.p = text ? text : "";
    p.end = p.p + len;
    p.line_start = p.p;
    p.line = 1;
    p.rc = SPOOR_OK;
    if (len > SPOOR_RULES_TEXT_MAX) {
        return rp_error_at(&p, 1, 1, "file larger than %d bytes (1 MiB)",
                           SPOOR_RULES_TEXT_MAX);
    }
    p.r = calloc(1, sizeof(spoor_rules_t));
    if (p.r == NULL) {
        return rp_nomem(&p);
    }
    p.r->hash = XXH64(p.p, len, 0);
    if (lx_next(&p) == SPOOR_OK) {
        while (p.tk.type != TK_EOF && rp_statement(&p) == SPOOR_OK) {
            /* one statement each */
        }
    }
    if (p.rc != SPOOR_OK) {
        spoor_rules_free(p.r);
        return p.rc;
    }
    rules_finish(p.r);
    *out = p.r;
    return SPOOR_OK;
}


int
spoor_rules_load(const char *path, spoor_rules_t **out, char *err,
    size_t errlen)
{
    char     *buf;
    size_t    len = 0, cap = SPOOR_RULES_TEXT_MAX + 1;
    ssize_t   n;
    int       fd, rc, e;

    if (out == NULL || path == NULL) {
        return SPOOR_E_INVAL;
    }
    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        if (errlen) {
            snprintf(err, errlen, "%s: %s", path, strerror(e));
        }
        return SPOOR_E_IO;
    }
    buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        if (errlen) {
            snprintf(err, errlen, "%s: out of memory", path);
        }
        return SPOOR_E_NOMEM;
    }
    /* One byte past the limit is enough for the parser to refuse it. */
    while (len < cap) {
        n = read(fd, buf + len, cap - len);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            e = errno;
            close(fd);
            free(buf);
            if (errlen) {
                snprintf(err, errlen, "%s: %s", path, strerror(e));
            }
            return SPOOR_E_IO;
        }
        len += (size_t) n;
    }
    close(fd);
    rc = spoor_rules_parse(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}


void
spoor_rules_free(spoor_rules_t *r)
{
    if (r == NULL) {
        return;
    }
    free(r->nodes);
    free(r->pool);
    free(r->aggs);
    free(r->agg_event);
    free(r);
}

/* ---- queries ------------------------------------------------------------ */

size_t
spoor_rules_count(const spoor_rules_t *r)
{
    return r ? r->nsegs : 0;
}


const char *
spoor_rules_name(const spoor_rules_t *r, size_t i)
{
    return r && i < r->nsegs ? r->pool + r->segs[i].name : NULL;
}


long
spoor_rules_find(const spoor_rules_t *r, const char *name, size_t len)
{
    size_t  i;

    for (i = 0; r && name && i < r->nsegs; i++) {
        if (r->segs[i].name_len == len
            && memcmp(r->pool + r->segs[i].name, name, len) == 0)
        {
            return (long) i;
        }
    }
    return -1;
}


uint64_t
spoor_rules_hash(const spoor_rules_t *r)
{
    return r ? r->hash : 0;
}


size_t
spoor_rules_naggs(const spoor_rules_t *r)
{
    return r ? r->naggs : 0;
}


const spoor_rule_agg_t *
spoor_rules_agg(const spoor_rules_t *r, size_t i)
{
    return r && i < r->naggs ? &r->aggs[i] : NULL;
}


int64_t
spoor_rules_max_window(const spoor_rules_t *r)
{
    return r ? r->max_window : 0;
}


int
spoor_rules_withins(const spoor_rules_t *r, int64_t **out, size_t *n)
{
    size_t  i, j, k = 0;

    *out = NULL;
    *n = 0;
    for (i = 0; r != NULL && i < r->nnodes; i++) {
        k += r->nodes[i].kind == RN_WITHIN;
    }
    if (k == 0) {
        return SPOOR_OK;
    }
    *out = malloc(k * sizeof(int64_t));
    if (*out == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < r->nnodes; i++) {
        if (r->nodes[i].kind != RN_WITHIN) {
            continue;
        }
        for (j = 0; j < *n && (*out)[j] != r->nodes[i].ms; j++) {
            /* seen before? */
        }
        if (j == *n) {
            (*out)[(*n)++] = r->nodes[i].ms;
        }
    }
    return SPOOR_OK;
}

/* ---- evaluation --------------------------------------------------------- */

/* a cmp b for numbers; NaN on either side is unknown: false. */
static int
ev_num(double a, int cmp, double b)
{
    if (isnan(a) || isnan(b)) {
        return 0;
    }
    switch (cmp) {
    case RC_EQ: return a == b;
    case RC_NE: return a != b;
    case RC_LT: return a < b;
    case RC_LE: return a <= b;
    case RC_GT: return a > b;
    default:    return a >= b;
    }
}


/* a cmp b for byte strings: memcmp order, a prefix before its extensions. */
static int
ev_str(const char *a, size_t alen, int cmp, const char *b, size_t blen)
{
    int  c;

    c = memcmp(a, b, alen < blen ? alen : blen);
    if (c == 0) {
        c = (alen > blen) - (alen < blen);
    }
    return ev_num(c, cmp, 0);
}


static void
ev_field(const spoor_rules_t *r, const rule_node_t *n,
    const spoor_rule_env_t *env, spoor_rule_value_t *v)
{
    memset(v, 0, sizeof(*v));
    v->type = SPOOR_RV_ABSENT;
    if (env->field) {
        env->field(env->ctx, r->pool + n->ref, n->ref_len, v);
    }
    if (v->type == SPOOR_RV_STRING && v->str == NULL && v->len != 0) {
        v->type = SPOOR_RV_ABSENT;
    }
}


static int
ev_cmp(const spoor_rules_t *r, const rule_node_t *n,
    const spoor_rule_env_t *env)
{
    spoor_rule_value_t  v;

    if (n->agg) {
        return env->agg != NULL
               && ev_num(env->agg(env->ctx, n->ref), n->cmp, n->num);
    }
    ev_field(r, n, env, &v);
    switch (v.type) {
    case SPOOR_RV_NUMBER:
        return n->lit == SPOOR_RV_NUMBER && ev_num(v.num, n->cmp, n->num);
    case SPOOR_RV_TIME:
        return n->lit == SPOOR_RV_NUMBER
               && ev_num((double) v.time_ms, n->cmp, n->num);
    case SPOOR_RV_BOOL:
        return n->lit == SPOOR_RV_BOOL && !isnan(v.num)
               && ev_num(v.num != 0, n->cmp, n->num);
    case SPOOR_RV_STRING:
        return n->lit == SPOOR_RV_STRING
               && ev_str(v.len ? v.str : "", v.len, n->cmp,
                         r->pool + n->str, n->str_len);
    default:
        return 0;
    }
}


static int
ev_within(const spoor_rules_t *r, const rule_node_t *n,
    const spoor_rule_env_t *env)
{
    spoor_rule_value_t  v;

    ev_field(r, n, env, &v);
    if (v.type != SPOOR_RV_TIME) {
        return 0;
    }
    if (v.time_ms >= env->now_ms) {
        return 1;
    }
    /* now - time > 0 fits in uint64_t whatever the two are */
    return (uint64_t) env->now_ms - (uint64_t) v.time_ms
           <= (uint64_t) n->ms;
}


static int
ev_node(const spoor_rules_t *r, uint32_t i, const spoor_rule_env_t *env)
{
    const rule_node_t  *n = &r->nodes[i];
    uint32_t            c;

    switch (n->kind) {
    case RN_OR:
        for (c = n->first; c != RULE_NONE; c = r->nodes[c].next) {
            if (ev_node(r, c, env)) {
                return 1;
            }
        }
        return 0;
    case RN_AND:
        for (c = n->first; c != RULE_NONE; c = r->nodes[c].next) {
            if (!ev_node(r, c, env)) {
                return 0;
            }
        }
        return 1;
    case RN_NOT:
        return !ev_node(r, n->first, env);
    case RN_WITHIN:
        return ev_within(r, n, env);
    default:
        return ev_cmp(r, n, env);
    }
}


int
spoor_rules_eval(const spoor_rules_t *r, size_t i,
    const spoor_rule_env_t *env)
{
    if (r == NULL || env == NULL || i >= r->nsegs) {
        return 0;
    }
    return ev_node(r, r->segs[i].root, env);
}
