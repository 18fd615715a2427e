/*
 * dir_names.c -- a directory's entries, filtered and sorted (dir_names.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dir_names.h"
#include "error.h"


static int
cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


void
dir_names_free(char **names, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}


int
dir_names(const char *dir, dir_keep_fn keep, void *arg,
    int (*cmp)(const void *, const void *), char ***names, size_t *n)
{
    DIR            *d;
    struct dirent  *e;
    char          **a = NULL, **b;
    size_t          cnt = 0, cap = 0;
    int             rc = SPOOR_OK;

    *names = NULL;
    *n = 0;
    d = opendir(dir);
    if (d == NULL) {
        return SPOOR_E_IO;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0
            || !keep(e->d_name, arg))
        {
            continue;
        }
        if (cnt == cap) {
            cap = cap ? 2 * cap : 16;
            b = realloc(a, cap * sizeof(char *));
            if (b == NULL) {
                rc = SPOOR_E_NOMEM;
                break;
            }
            a = b;
        }
        a[cnt] = strdup(e->d_name);
        if (a[cnt] == NULL) {
            rc = SPOOR_E_NOMEM;
            break;
        }
        cnt++;
    }
    closedir(d);
    if (rc != SPOOR_OK) {
        dir_names_free(a, cnt);
        return rc;
    }
    if (cnt) {
        qsort(a, cnt, sizeof(char *), cmp ? cmp : cmp_text);
    }
    *names = a;
    *n = cnt;
    return SPOOR_OK;
}
