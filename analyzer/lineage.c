/*
 * lineage.c -- reading and checking lineage entries (the contract and
 * the members are in lineage.h).
 *
 * lineage_check() goes from the cheap checks to the dear ones: the size,
 * a NUL byte (yajl_tree reads a C string and would stop there), the
 * yajl callback pass (syntax, UTF-8, nesting, nothing after the object;
 * yajl_tree alone would accept comments and could not bound the depth,
 * and yajl_tree_free recurses), one line, then the tree and its members.
 * Each failure says what is wrong in a few words.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>
#include "dir_names.h"
#include "error.h"
#include "gen_name.h"
#include "lineage.h"
#include "timestamp.h"

/* What yajl skips between tokens (JSON's four, and \v \f). */
#define WS  " \t\n\v\f\r"

typedef struct {
    unsigned   depth;
    unsigned   closed;          /* a container at the top has closed */
} nest_t;


static int
say(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list  ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}


static int
nest_open(void *ctx)
{
    nest_t  *n = ctx;

    return ++n->depth <= LINEAGE_DEPTH_MAX;
}


static int
nest_close(void *ctx)
{
    nest_t  *n = ctx;

    if (--n->depth == 0) {
        n->closed = 1;
    }
    return 1;
}


/*
 * The callback pass: one JSON value, nothing but whitespace after it, no
 * comments, valid UTF-8, at most LINEAGE_DEPTH_MAX deep.  yajl refuses
 * most trailing garbage, but takes an unterminated string after the value
 * for a token still to come ({...}" passes yajl_complete_parse); so the
 * text goes in as two pieces, split before its last byte that is not
 * whitespace, and a container at the top must not have closed before it.
 * text holds no NUL.
 */
static int
syntax_ok(const char *text, size_t len, char *err, size_t errlen)
{
    static const yajl_callbacks  cb = {
        NULL, NULL, NULL, NULL, NULL, NULL,
        nest_open, NULL, nest_close, nest_open, nest_close
    };
    yajl_handle      h;
    yajl_status      st;
    nest_t           n = { 0, 0 };
    unsigned char   *msg;
    size_t           ml, last = len;
    int              rc = SPOOR_OK;

    while (last > 0 && strchr(WS, text[last - 1]) != NULL) {
        last--;
    }
    last = last ? last - 1 : 0;         /* the last byte of the value */

    h = yajl_alloc(&cb, NULL, &n);
    if (h == NULL) {
        return say(err, errlen, SPOOR_E_NOMEM, "out of memory");
    }
    st = yajl_parse(h, (const unsigned char *) text, last);
    if (st == yajl_status_ok && n.closed) {
        yajl_free(h);
        return say(err, errlen, SPOOR_E_FORMAT, "bytes after the object");
    }
    if (st == yajl_status_ok) {
        st = yajl_parse(h, (const unsigned char *) text + last, len - last);
    }
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }
    if (st == yajl_status_client_canceled) {
        rc = say(err, errlen, SPOOR_E_FORMAT, "nested deeper than %d levels",
                 LINEAGE_DEPTH_MAX);
    } else if (st != yajl_status_ok) {
        msg = yajl_get_error(h, 0, (const unsigned char *) text, len);
        ml = msg ? strlen((char *) msg) : 0;
        while (ml > 0 && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '
                          || msg[ml - 1] == '.'))
        {
            ml--;
        }
        rc = say(err, errlen, SPOOR_E_FORMAT, "not JSON (%.*s)", (int) ml,
                 msg ? (char *) msg : "yajl gave no reason");
        if (msg) {
            yajl_free_error(h, msg);
        }
    }
    yajl_free(h);
    return rc;
}


/* The member called key of object o, when it is there exactly once;
 * *count gets how many times it is. */
static yajl_val
member(yajl_val o, const char *key, size_t *count)
{
    yajl_val  v = NULL;
    size_t    i;

    *count = 0;
    for (i = 0; i < o->u.object.len; i++) {
        if (strcmp(o->u.object.keys[i], key) == 0) {
            v = o->u.object.values[i];
            (*count)++;
        }
    }
    return *count == 1 ? v : NULL;
}


/* A member that must be there once and be an integer >= min. */
static int
int_member(yajl_val o, const char *key, long long min, long long *out,
    char *err, size_t errlen)
{
    size_t    n;
    yajl_val  v = member(o, key, &n);

    if (n == 0) {
        return say(err, errlen, SPOOR_E_FORMAT, "no \"%s\"", key);
    }
    if (n > 1) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" appears %zu times",
                   key, n);
    }
    if (!YAJL_IS_INTEGER(v)) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" is not an integer",
                   key);
    }
    if (YAJL_GET_INTEGER(v) < min) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" is %lld, below %lld",
                   key, YAJL_GET_INTEGER(v), min);
    }
    *out = YAJL_GET_INTEGER(v);
    return SPOOR_OK;
}


/* A member that must be there once and be a string. */
static int
str_member(yajl_val o, const char *key, const char **out, char *err,
    size_t errlen)
{
    size_t    n;
    yajl_val  v = member(o, key, &n);

    if (n == 0) {
        return say(err, errlen, SPOOR_E_FORMAT, "no \"%s\"", key);
    }
    if (n > 1) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" appears %zu times",
                   key, n);
    }
    if (!YAJL_IS_STRING(v)) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" is not a string",
                   key);
    }
    *out = YAJL_GET_STRING(v);
    return SPOOR_OK;
}


/* The members ingest, forget and import-traits add: types, when there. */
static int
optional_members(yajl_val o, char *err, size_t errlen)
{
    static const struct {
        const char  *key;
        int          object, array, null;
    } opt[] = {
        { "inputs", 0, 1, 0 }, { "events", 1, 0, 0 }, { "rules", 1, 0, 1 },
        { "forget", 1, 0, 0 }, { "import", 1, 0, 0 }, { "follow", 1, 0, 0 }
    };
    yajl_val  v;
    size_t    i, k, n;

    for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
        v = member(o, opt[i].key, &n);
        if (n == 0) {
            continue;
        }
        if (n > 1) {
            return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" appears %zu "
                       "times", opt[i].key, n);
        }
        if (!((opt[i].object && YAJL_IS_OBJECT(v))
              || (opt[i].array && YAJL_IS_ARRAY(v))
              || (opt[i].null && YAJL_IS_NULL(v))))
        {
            return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" is not %s",
                       opt[i].key, opt[i].array ? "an array"
                       : opt[i].null ? "an object or null" : "an object");
        }
        for (k = 0; YAJL_IS_ARRAY(v) && k < v->u.array.len; k++) {
            if (!YAJL_IS_OBJECT(v->u.array.values[k])) {
                return say(err, errlen, SPOOR_E_FORMAT, "\"%s\" entry %zu is "
                           "not an object", opt[i].key, k);
            }
        }
    }
    return SPOOR_OK;
}


/* The members of a parsed entry (see lineage.h). */
static int
members_ok(yajl_val o, uint32_t gen, char *err, size_t errlen)
{
    const char  *time, *snap;
    long long    g, parent, bytes, profiles;
    int64_t      ms;
    char         want[32];
    int          rc;

    if (!YAJL_IS_OBJECT(o)) {
        return say(err, errlen, SPOOR_E_FORMAT, "not a JSON object");
    }
    if ((rc = int_member(o, "generation", 1, &g, err, errlen)) != SPOOR_OK
        || (rc = int_member(o, "parent", 0, &parent, err, errlen))
           != SPOOR_OK
        || (rc = str_member(o, "time", &time, err, errlen)) != SPOOR_OK
        || (rc = str_member(o, "snapshot", &snap, err, errlen)) != SPOOR_OK
        || (rc = int_member(o, "snapshot_bytes", 0, &bytes, err, errlen))
           != SPOOR_OK
        || (rc = int_member(o, "profiles", 0, &profiles, err, errlen))
           != SPOOR_OK)
    {
        return rc;
    }
    if (g != (long long) gen) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"generation\" is %lld, the "
                   "file is generation %" PRIu32, g, gen);
    }
    if (parent >= g) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"parent\" %lld is not "
                   "before generation %lld", parent, g);
    }
    snprintf(want, sizeof(want), "gen-%06" PRIu32 ".snap", gen);
    if (strcmp(snap, want) != 0) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"snapshot\" is not %s",
                   want);
    }
    if (spoor_timestamp_parse(time, strlen(time), &ms) != 0) {
        return say(err, errlen, SPOOR_E_FORMAT, "\"time\" is not ISO 8601");
    }
    return optional_members(o, err, errlen);
}


int
lineage_check(const char *text, size_t len, uint32_t gen, char *err,
    size_t errlen)
{
    yajl_val   root;
    char      *copy, yerr[128];
    size_t     end;
    int        rc;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (len > LINEAGE_TEXT_MAX) {
        return say(err, errlen, SPOOR_E_FORMAT, "%zu bytes, more than an "
                   "entry may have (%zu)", len, LINEAGE_TEXT_MAX);
    }
    if (len == 0) {
        return say(err, errlen, SPOOR_E_FORMAT, "empty");
    }
    if (memchr(text, '\0', len) != NULL) {
        return say(err, errlen, SPOOR_E_FORMAT, "a NUL byte at offset %zu",
                   (size_t) ((const char *) memchr(text, '\0', len) - text));
    }
    rc = syntax_ok(text, len, err, errlen);
    if (rc != SPOOR_OK) {
        return rc;
    }
    for (end = len; end > 0 && strchr(WS, text[end - 1]) != NULL; end--) {
        /* the whitespace after the object */
    }
    if (memchr(text, '\n', end) != NULL || memchr(text, '\r', end) != NULL) {
        return say(err, errlen, SPOOR_E_FORMAT, "not on one line");
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        return say(err, errlen, SPOOR_E_NOMEM, "out of memory");
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    root = yajl_tree_parse(copy, yerr, sizeof(yerr));
    free(copy);
    if (root == NULL) {
        /* the text passed the callback pass: only memory can fail here */
        return say(err, errlen, SPOOR_E_NOMEM, "out of memory");
    }
    rc = members_ok(root, gen, err, errlen);
    yajl_tree_free(root);
    return rc;
}


int
lineage_load(const char *path, uint32_t gen, char **text, size_t *len,
    char *err, size_t errlen)
{
    FILE    *f;
    char    *buf, *nb;
    size_t   n = 0, cap = 4096, want, r;
    int      rc, e;

    *text = NULL;
    *len = 0;
    f = fopen(path, "r");
    if (f == NULL) {
        e = errno;
        say(err, errlen, 0, "%s", strerror(e));
        errno = e;
        return SPOOR_E_IO;
    }
    buf = malloc(cap);
    if (buf == NULL) {
        fclose(f);
        return say(err, errlen, SPOOR_E_NOMEM, "out of memory");
    }
    /* at most LINEAGE_TEXT_MAX + 1 bytes: enough to see it is too long */
    while (n <= LINEAGE_TEXT_MAX) {
        if (n == cap - 1) {
            cap *= 2;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return say(err, errlen, SPOOR_E_NOMEM, "out of memory");
            }
            buf = nb;
        }
        want = cap - 1 - n;
        if (want > LINEAGE_TEXT_MAX + 1 - n) {
            want = LINEAGE_TEXT_MAX + 1 - n;
        }
        r = fread(buf + n, 1, want, f);
        n += r;
        if (r < want) {
            break;                      /* the end, or an error */
        }
    }
    if (ferror(f)) {
        e = errno;
        free(buf);
        fclose(f);
        say(err, errlen, 0, "%s", strerror(e));
        errno = e;
        return SPOOR_E_IO;
    }
    fclose(f);
    buf[n] = '\0';

    rc = lineage_check(buf, n, gen, err, errlen);
    if (rc != SPOOR_OK) {
        free(buf);
        return rc;
    }
    *text = buf;
    *len = n;
    return SPOOR_OK;
}


int
lineage_name_gen(const char *name, uint32_t *gen)
{
    uint32_t  g = gen_name_number(name, "", ".json", 1);

    if (g == 0) {
        return 0;
    }
    *gen = g;
    return 1;
}


/* By generation number: "1000000.json" comes after "999999.json". */
static int
cmp_gen(const void *a, const void *b)
{
    uint32_t  x = 0, y = 0;

    (void) lineage_name_gen(*(char *const *) a, &x);
    (void) lineage_name_gen(*(char *const *) b, &y);
    return (x > y) - (x < y);
}


/* Whether name is an entry (not .NNNNNN.json.tmp.PID, nor another file). */
static int
is_entry(const char *name, void *arg)
{
    uint32_t  gen;

    (void) arg;
    return lineage_name_gen(name, &gen);
}


int
lineage_list(const char *state_dir, char ***names, size_t *n)
{
    char  path[4096];

    snprintf(path, sizeof(path), "%s/lineage", state_dir);
    return dir_names(path, is_entry, NULL, cmp_gen, names, n);
}
