/*
 * rules.h -- the segment rules language: parser and evaluator.
 *
 * A rules file names segments, one statement each (docs/rules.md):
 *
 *     segment frequent_buyers = count(event = "Order Completed", 30d) >= 3;
 *
 * spoor_rules_parse() turns the whole text into one immutable
 * spoor_rules_t, or into one error "name:line:col: message"; nothing is
 * evaluated while parsing and nothing is kept of the text but its hash.
 * spoor_rules_eval() then decides membership of one profile in one
 * segment, asking the caller for field values and aggregate values
 * through a spoor_rule_env_t.
 *
 * Inside, every expression node of every segment lives in one array and
 * refers to others by index (children form a sibling list, so a chain
 * "a and b and c ..." is one node with many children and evaluation
 * recurses only as deep as the parentheses and `not`s, at most
 * SPOOR_RULES_DEPTH_MAX).  Names, field paths and string literals live
 * unescaped and NUL-terminated in one byte pool.  The aggregates the
 * expressions use are deduplicated while parsing: two uses with the same
 * kind, event filter (byte-equal) and window share one index, and the
 * indexes are numbered in order of first use in the file.
 *
 * Invariants of a parsed spoor_rules_t: segment names are unique,
 * match [a-z_][a-z0-9_]*, are at most SPOOR_RULES_NAME_MAX bytes and are
 * in file order; every window is in [1 s, 400 d]; every aggregate index
 * in an expression is < spoor_rules_naggs().  A spoor_rules_t is never
 * modified after parsing, so any number of threads may evaluate it at
 * once (as long as their environments are their own).
 */
#ifndef SPOOR_RULES_H
#define SPOOR_RULES_H

#include <stddef.h>
#include <stdint.h>

/* Bounds on hostile input: larger or deeper input is a format error. */
#define SPOOR_RULES_TEXT_MAX    (1024 * 1024)   /* bytes of rules text */
#define SPOOR_RULES_SEGS_MAX    256             /* segments in a file */
#define SPOOR_RULES_DEPTH_MAX   64              /* nested '(' and 'not' */
#define SPOOR_RULES_NAME_MAX    64              /* bytes of a segment name */
#define SPOOR_RULES_AGGS_MAX    1024            /* distinct aggregates */
#define SPOOR_RULES_WINDOW_MAX  (400LL * 86400 * 1000)  /* ms: 400d */

/* A value a field may have.  ABSENT: the profile has no such field. */
typedef enum {
    SPOOR_RV_ABSENT = 0,
    SPOOR_RV_NUMBER,
    SPOOR_RV_STRING,
    SPOOR_RV_BOOL,
    SPOOR_RV_TIME
} spoor_rule_vtype_t;

typedef struct {
    spoor_rule_vtype_t   type;
    double               num;       /* NUMBER, BOOL (0/1) */
    int64_t              time_ms;   /* TIME: ms since the Unix epoch */
    const char          *str;       /* STRING: str[0..len), any bytes */
    size_t               len;
} spoor_rule_value_t;

/* One windowed aggregate the rules need: the ingest keeps day buckets
 * for exactly these. */
typedef enum {
    SPOOR_AGG_COUNT = 0,        /* number of events */
    SPOOR_AGG_SUM_REVENUE       /* sum of the events' revenue */
} spoor_agg_kind_t;

typedef struct {
    spoor_agg_kind_t   kind;
    const char        *event;       /* event name filter, NUL-terminated */
    size_t             event_len;   /* NULL: any event */
    int64_t            window_ms;   /* the window ends at now_ms */
} spoor_rule_agg_t;

typedef struct spoor_rules_s  spoor_rules_t;

/*
 * Parses text[0..len) (name: the file name for messages; NULL is taken as
 * "<rules>").  Returns SPOOR_OK and a new *out (zero segments for an
 * empty or comment-only text), or SPOOR_E_FORMAT with the first error as
 * "name:line:col: message" in err[0..errlen) (NUL-terminated, truncated
 * to fit; line and col count from 1, col in bytes), or SPOOR_E_NOMEM
 * ("name: out of memory"), or SPOOR_E_INVAL (no message) when out is
 * NULL or text is NULL with len > 0.  On error *out is NULL.  err may be
 * NULL when errlen is 0.  The text need not be NUL-terminated and is not
 * referenced after the call.
 */
int spoor_rules_parse(const char *text, size_t len, const char *name,
    spoor_rules_t **out, char *err, size_t errlen);

/*
 * Reads the file at path and parses it as above, with path as the name.
 * An unreadable file is SPOOR_E_IO with "path: strerror(errno)"; a file
 * over SPOOR_RULES_TEXT_MAX bytes is SPOOR_E_FORMAT.
 */
int spoor_rules_load(const char *path, spoor_rules_t **out, char *err,
    size_t errlen);

/* Frees everything of r; NULL is fine. */
void spoor_rules_free(spoor_rules_t *r);

/* The number of segments (0 for NULL). */
size_t spoor_rules_count(const spoor_rules_t *r);

/* The name of segment i, NUL-terminated, in file order; NULL when i is
 * out of range. */
const char *spoor_rules_name(const spoor_rules_t *r, size_t i);

/* The index of the segment called name[0..len), or -1. */
long spoor_rules_find(const spoor_rules_t *r, const char *name, size_t len);

/* XXH64 (seed 0) of the whole rules text, as given to parse or read by
 * load: recorded in lineage. */
uint64_t spoor_rules_hash(const spoor_rules_t *r);

/* The distinct aggregates used by all rules (deduplicated: same kind,
 * event and window are one), numbered in order of first use. */
size_t spoor_rules_naggs(const spoor_rules_t *r);

/* Aggregate i, valid as long as r; NULL when i is out of range. */
const spoor_rule_agg_t *spoor_rules_agg(const spoor_rules_t *r, size_t i);

/* The longest aggregate window in ms; 0 when no aggregate.  (Windows of
 * `within` are not aggregates and do not count.) */
int64_t spoor_rules_max_window(const spoor_rules_t *r);

/* The distinct durations of every `within`, in order of first use, into
 * a malloc'ed *out of *n entries (NULL and 0 when there is none).
 * Returns SPOOR_OK or SPOOR_E_NOMEM. */
int spoor_rules_withins(const spoor_rules_t *r, int64_t **out, size_t *n);

/* What the evaluator asks of a profile. */
typedef struct {
    void      *ctx;
    int64_t    now_ms;                      /* "now" for within and windows */
    /* the field called name[0..len) (NUL-terminated too); fills *out,
     * which is ABSENT on entry, so leaving it alone means "unknown".
     * NULL: every field is absent. */
    void     (*field)(void *ctx, const char *name, size_t len,
                      spoor_rule_value_t *out);
    /* the value of aggregate i (index into spoor_rules_agg) over its
     * window ending at now_ms; NaN means "unknown" (comparisons false).
     * NULL: every aggregate is unknown. */
    double   (*agg)(void *ctx, size_t i);
} spoor_rule_env_t;

/*
 * 1 when the profile is a member of segment i, else 0 (also for i out of
 * range).  A comparison is false when the field is ABSENT, when its type
 * does not match the literal's (NUMBER and TIME compare with numbers,
 * STRING with strings, byte-wise; BOOL with true/false), including for
 * `!=`, and when a number is NaN; `not` of a false comparison is true.
 * `within` is true only for a TIME with now_ms - time <= the duration.
 * Calls env->field and env->agg as the expression needs them, left to
 * right, skipping what `and` / `or` short-circuit; never keeps a pointer
 * it was given.
 */
int spoor_rules_eval(const spoor_rules_t *r, size_t i,
    const spoor_rule_env_t *env);

#endif /* SPOOR_RULES_H */
