/*
 * requests.c -- erasure requests queued for the run that holds a state
 * (requests.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include "error.h"
#include "json_out.h"
#include "requests.h"
#include "snapshot.h"

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


size_t
requests_apply(state_t *st, const char *cmd, size_t *erased, int *nomem)
{
    char            rdir[4096], path[4096 + 256], why[256], dmg[4096 + 300];
    DIR            *d;
    struct dirent  *e;
    yajl_val        root, ids;
    int64_t         t;
    size_t          i, applied = 0, n;
    char          **a;
    int             rc;

    if (erased) {
        *erased = 0;
    }
    snprintf(rdir, sizeof(rdir), "%s/requests", st->dir);
    d = opendir(rdir);
    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        n = strlen(e->d_name);
        if (strncmp(e->d_name, "forget-", 7) != 0 || n < 12
            || strcmp(e->d_name + n - 5, ".json") != 0)
        {
            continue;                   /* ., .., temporary, .damaged */
        }
        snprintf(path, sizeof(path), "%s/%s", rdir, e->d_name);
        if (applied_before(st, path)) {
            continue;
        }
        rc = request_read(path, &root, &ids, &t, why, sizeof(why));
        if (rc == SPOOR_E_NOMEM) {
            *nomem = 1;
            break;
        }
        if (rc == SPOOR_E_IO) {
            continue;                   /* gone meanwhile */
        }
        if (rc == SPOOR_E_FORMAT) {
            fprintf(stderr, "spoor %s: %s: not a request (%s): set aside as "
                    "%s.damaged\n", cmd, path, why, e->d_name);
            snprintf(dmg, sizeof(dmg), "%s.damaged", path);
            (void) rename(path, dmg);
            continue;
        }
        a = realloc(st->requests, (st->nrequests + 1) * sizeof(char *));
        if (a == NULL || (a[st->nrequests] = strdup(path)) == NULL) {
            if (a != NULL) {
                st->requests = a;
            }
            yajl_tree_free(root);
            *nomem = 1;
            break;
        }
        st->requests = a;
        st->nrequests++;
        for (i = 0; i < ids->u.array.len; i++) {
            const char  *id = YAJL_GET_STRING(ids->u.array.values[i]);
            size_t       k = state_forget(st, id, strlen(id), t, nomem);

            if (erased) {
                *erased += k;
            }
        }
        yajl_tree_free(root);
        applied++;
        fprintf(stderr, "spoor %s: applied the queued request %s\n", cmd,
                e->d_name);
    }
    closedir(d);
    return applied;
}
