/*
 * requests.c -- erasure requests queued for the run that holds a state
 * (requests.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include "dir_names.h"
#include "error.h"
#include "json_out.h"
#include "requests.h"
#include "snapshot.h"
#include "traits_import.h"

#define REQ_MSG(...)  snprintf(err, errlen, __VA_ARGS__)


int
requests_queue_forget(const char *dir, char *const *ids, size_t n,
    int64_t t, char *path, size_t cap, char *err, size_t errlen)
{
    static unsigned  seq;
    char             rdir[4096], name[96];
    json_out_t       j;
    const char      *text;
    size_t           i, len;
    int              rc;

    snprintf(rdir, sizeof(rdir), "%s/requests", dir);
    if (mkdir(rdir, 0750) != 0 && errno != EEXIST) {
        REQ_MSG("%s: cannot create: %s", rdir, strerror(errno));
        return SPOOR_E_IO;
    }
    if (json_out_init(&j, NULL) != 0) {
        REQ_MSG("out of memory");
        return SPOOR_E_NOMEM;
    }
    json_out_map_open(&j);
    json_out_cstr(&j, "forget");
    json_out_array_open(&j);
    for (i = 0; i < n; i++) {
        json_out_cstr(&j, ids[i]);
    }
    json_out_array_close(&j);
    json_out_cstr(&j, "time");
    json_out_int(&j, t);
    json_out_map_close(&j);
    text = json_out_text(&j, &len);
    if (text == NULL || len > REQUESTS_FILE_MAX) {
        REQ_MSG(text ? "the request is over %u bytes" : "out of memory",
                REQUESTS_FILE_MAX);
        json_out_free(&j);
        return text ? SPOOR_E_INVAL : SPOOR_E_NOMEM;
    }
    snprintf(name, sizeof(name), "forget-%" PRId64 "-%ld-%u.json", t,
             (long) getpid(), seq++);
    rc = spoor_write_file_atomic(rdir, name, text, len);
    json_out_free(&j);
    if (rc != SPOOR_OK) {
        REQ_MSG("%s/%s: cannot write: %s", rdir, name, strerror(errno));
        return SPOOR_E_IO;
    }
    snprintf(path, cap, "%s/%s", rdir, name);
    return SPOOR_OK;
}


int
requests_queue_traits(const char *dir, const char *text, size_t len,
    char *path, size_t cap, char *err, size_t errlen)
{
    static unsigned  seq;
    char             rdir[4096], name[96];
    struct timespec  ts;

    snprintf(rdir, sizeof(rdir), "%s/requests", dir);
    if (mkdir(rdir, 0750) != 0 && errno != EEXIST) {
        REQ_MSG("%s: cannot create: %s", rdir, strerror(errno));
        return SPOOR_E_IO;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(name, sizeof(name), "traits-%lld-%ld-%u.jsonl",
             (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
             (long) getpid(), seq++);
    if (spoor_write_file_atomic(rdir, name, text, len) != SPOOR_OK) {
        REQ_MSG("%s/%s: cannot write: %s", rdir, name, strerror(errno));
        return SPOOR_E_IO;
    }
    snprintf(path, cap, "%s/%s", rdir, name);
    return SPOOR_OK;
}


int
requests_pending(const char *path)
{
    return access(path, F_OK) == 0;
}


int
requests_parse(const char *text, size_t len, yajl_val *root, yajl_val *ids,
    int64_t *t, char *why, size_t whylen)
{
    static const char  *fk[] = { "forget", NULL }, *tk[] = { "time", NULL };
    char               *copy;
    size_t              i;
    yajl_val            tv;

    *root = NULL;
    if (len > REQUESTS_FILE_MAX) {
        snprintf(why, whylen, "over %u bytes", REQUESTS_FILE_MAX);
        return SPOOR_E_FORMAT;
    }
    if (memchr(text, '\0', len) != NULL) {
        snprintf(why, whylen, "a NUL byte");
        return SPOOR_E_FORMAT;
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        return SPOOR_E_NOMEM;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    why[0] = '\0';
    *root = yajl_tree_parse(copy, why, whylen);
    free(copy);
    if (*root == NULL) {
        if (why[0] == '\0') {
            snprintf(why, whylen, "not JSON");
        }
        return SPOOR_E_FORMAT;
    }
    *ids = yajl_tree_get(*root, fk, yajl_t_array);
    tv = yajl_tree_get(*root, tk, yajl_t_number);
    if (*ids == NULL || tv == NULL || !YAJL_IS_INTEGER(tv)
        || YAJL_GET_INTEGER(tv) <= 0)
    {
        snprintf(why, whylen, "not {\"forget\":[ID,...],\"time\":MS}");
        goto bad;
    }
    for (i = 0; i < (*ids)->u.array.len; i++) {
        if (!YAJL_IS_STRING((*ids)->u.array.values[i])
            || YAJL_GET_STRING((*ids)->u.array.values[i])[0] == '\0')
        {
            snprintf(why, whylen, "id %zu is not a non-empty string", i);
            goto bad;
        }
    }
    *t = (int64_t) YAJL_GET_INTEGER(tv);
    return SPOOR_OK;

bad:
    yajl_tree_free(*root);
    *root = NULL;
    return SPOOR_E_FORMAT;
}


/* Reads the request at path (requests_parse); SPOOR_E_IO when it cannot
 * be read (gone meanwhile). */
static int
request_read(const char *path, yajl_val *root, yajl_val *ids, int64_t *t,
    char *why, size_t whylen)
{
    FILE    *f;
    char    *text;
    size_t   n;
    int      rc;

    *root = NULL;
    f = fopen(path, "r");
    if (f == NULL) {
        return SPOOR_E_IO;
    }
    text = malloc(REQUESTS_FILE_MAX + 1);
    if (text == NULL) {
        fclose(f);
        return SPOOR_E_NOMEM;
    }
    n = fread(text, 1, REQUESTS_FILE_MAX + 1, f);
    fclose(f);
    rc = requests_parse(text, n, root, ids, t, why, whylen);
    free(text);
    return rc;
}


static int
applied_before(const state_t *st, const char *path)
{
    size_t  i;

    for (i = 0; i < st->nrequests; i++) {
        if (strcmp(st->requests[i], path) == 0) {
            return 1;
        }
    }
    return 0;
}


/* Notes path as applied (st->requests); -1 when out of memory. */
static int
note_applied(state_t *st, const char *path)
{
    char  **a = realloc(st->requests, (st->nrequests + 1) * sizeof(char *));

    if (a == NULL) {
        return -1;
    }
    st->requests = a;
    a[st->nrequests] = strdup(path);
    if (a[st->nrequests] == NULL) {
        return -1;
    }
    st->nrequests++;
    return 0;
}


/* The kind of a request file name: 'f' forget, 't' traits, 0 none (., ..,
 * temporary files, .damaged). */
static int
request_kind(const char *name)
{
    size_t  n = strlen(name);

    if (strncmp(name, "forget-", 7) == 0 && n > 12
        && strcmp(name + n - 5, ".json") == 0)
    {
        return 'f';
    }
    if (strncmp(name, "traits-", 7) == 0 && n > 13
        && strcmp(name + n - 6, ".jsonl") == 0)
    {
        return 't';
    }
    return 0;
}


/* Oldest first: by the time in the name, then by name. */
static int
cmp_request(const void *a, const void *b)
{
    const char  *x = *(char *const *) a, *y = *(char *const *) b;
    long long    tx = strtoll(x + 7, NULL, 10), ty = strtoll(y + 7, NULL, 10);

    return tx != ty ? (tx > ty) - (tx < ty) : strcmp(x, y);
}


static void
apply_forget(state_t *st, const char *cmd, const char *path,
    const char *name, requests_done_t *done, int *nomem)
{
    char      why[256], dmg[4096 + 300];
    yajl_val  root, ids;
    int64_t   t;
    size_t    i;
    int       rc;

    rc = request_read(path, &root, &ids, &t, why, sizeof(why));
    if (rc == SPOOR_E_NOMEM) {
        *nomem = 1;
        return;
    }
    if (rc == SPOOR_E_IO) {
        return;                         /* gone meanwhile */
    }
    if (rc == SPOOR_E_FORMAT) {
        fprintf(stderr, "spoor %s: %s: not a request (%s): set aside as "
                "%s.damaged\n", cmd, path, why, name);
        snprintf(dmg, sizeof(dmg), "%s.damaged", path);
        (void) rename(path, dmg);
        return;
    }
    if (note_applied(st, path) != 0) {
        yajl_tree_free(root);
        *nomem = 1;
        return;
    }
    for (i = 0; i < ids->u.array.len && !*nomem; i++) {
        const char  *id = YAJL_GET_STRING(ids->u.array.values[i]);

        done->erased += state_forget(st, id, strlen(id), t, nomem);
    }
    yajl_tree_free(root);
    done->forget++;
}


typedef struct {
    state_t  *st;
    size_t    applied;
} queued_traits_t;


static int
apply_queued_line(void *arg, const traits_line_t *tl, const char *line,
    size_t len, size_t lineno)
{
    queued_traits_t  *q = arg;
    int               nomem = 0;

    (void) line;
    (void) len;
    (void) lineno;
    if (state_import_traits(q->st, tl, &nomem) > 0) {
        q->applied++;
    }
    return nomem ? SPOOR_E_NOMEM : SPOOR_OK;
}


static void
apply_traits(state_t *st, const char *cmd, const char *path,
    requests_done_t *done, int *nomem)
{
    FILE             *f;
    size_t            lines, bad;
    queued_traits_t   q = { st, 0 };

    f = fopen(path, "r");
    if (f == NULL) {
        return;                         /* gone meanwhile */
    }
    if (note_applied(st, path) != 0) {
        fclose(f);
        *nomem = 1;
        return;
    }
    if (traits_file_each(f, NULL, apply_queued_line, &q, &lines, &bad)
        != SPOOR_OK)
    {
        *nomem = 1;
    }
    fclose(f);
    if (bad) {
        fprintf(stderr, "spoor %s: %s: %zu lines that are no import-traits "
                "line skipped\n", cmd, path, bad);
    }
    done->lines += q.applied;
    done->bad += bad;
    done->traits++;
}


/* Whether name is a request this run has not applied yet. */
static int
request_new(const char *name, void *arg)
{
    const state_t  *st = arg;
    char            path[4096 + 256];

    if (request_kind(name) == 0) {
        return 0;
    }
    snprintf(path, sizeof(path), "%s/requests/%s", st->dir, name);
    return !applied_before(st, path);
}


size_t
requests_apply(state_t *st, const char *cmd, requests_done_t *done,
    int *nomem)
{
    char             rdir[4096], path[4096 + 256], **names;
    size_t           n, i, applied = 0;
    requests_done_t  local;
    int              rc;

    if (done == NULL) {
        memset(&local, 0, sizeof(local));
        done = &local;
    }
    snprintf(rdir, sizeof(rdir), "%s/requests", st->dir);
    rc = dir_names(rdir, request_new, st, cmp_request, &names, &n);
    if (rc == SPOOR_E_NOMEM) {
        *nomem = 1;
    }
    for (i = 0; i < n && !*nomem; i++) {
        snprintf(path, sizeof(path), "%s/%s", rdir, names[i]);
        if (request_kind(names[i]) == 'f') {
            apply_forget(st, cmd, path, names[i], done, nomem);
        } else {
            apply_traits(st, cmd, path, done, nomem);
        }
        if (!*nomem && applied_before(st, path)) {
            applied++;
            fprintf(stderr, "spoor %s: applied the queued request %s\n",
                    cmd, names[i]);
        }
    }
    dir_names_free(names, n);
    return applied;
}
