/*
 * dir_names.h -- the names of a directory's entries that a filter keeps,
 * sorted: the listing behind `spoor lineage`, the follower's rotated logs
 * and the queued requests.
 *
 * The result is a malloc'ed array of malloc'ed NUL-terminated names, in
 * the order cmp gives (strcmp of the names when NULL); dir_names_free()
 * frees it.  Nothing of the directory is kept: a name may be gone by the
 * time it is used.
 */
#ifndef SPOOR_DIR_NAMES_H
#define SPOOR_DIR_NAMES_H

#include <stddef.h>

/* Whether to keep the entry called name (never "." or ".."). */
typedef int (*dir_keep_fn)(const char *name, void *arg);

/*
 * The names in dir that keep(name, arg) keeps, sorted with cmp (a qsort
 * comparison of two char * elements; NULL: strcmp) into *names and *n.
 * Returns SPOOR_OK; SPOOR_E_IO with errno when dir cannot be read;
 * SPOOR_E_NOMEM.  On error *names is NULL and *n 0.
 */
int dir_names(const char *dir, dir_keep_fn keep, void *arg,
    int (*cmp)(const void *, const void *), char ***names, size_t *n);

void dir_names_free(char **names, size_t n);

#endif /* SPOOR_DIR_NAMES_H */
