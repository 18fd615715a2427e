/*
 * log_tail.c -- the files of one log, followed across rotations
 * (log_tail.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dir_names.h"
#include "error.h"
#include "log_tail.h"
#include "mono_clock.h"


static tail_file_t *
track(log_tail_t *t, const char *name, int live)
{
    tail_file_t  *f;
    struct stat   sb;
    int           fd;

    fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT && !(live && t->open_warned)) {
            fprintf(stderr, "spoor %s: %s: %s%s\n", t->who, name,
                    strerror(errno),
                    live ? " (retried every poll, said once)" : "");
            t->open_warned |= live;
        }
        return NULL;
    }
    if (live) {
        t->open_warned = 0;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "spoor %s: %s: not a regular file\n", t->who, name);
        close(fd);
        return NULL;
    }
    if (t->nfiles == t->cfiles) {
        size_t         cap = t->cfiles ? 2 * t->cfiles : 8;
        tail_file_t  **a = realloc(t->files, cap * sizeof(tail_file_t *));

        if (a == NULL) {
            close(fd);
            errno = ENOMEM;
            return NULL;
        }
        t->files = a;
        t->cfiles = cap;
    }
    f = calloc(1, sizeof(tail_file_t) + t->extra);
    if (f == NULL || (f->name = strdup(name)) == NULL) {
        free(f);
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    t->files[t->nfiles++] = f;
    f->fd = fd;
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    f->live = live;
    f->grew_ms = mono_ms();
    return f;
}


static void
untrack(log_tail_t *t, size_t i)
{
    close(t->files[i]->fd);
    free(t->files[i]->name);
    free(t->files[i]);
    t->files[i] = t->files[--t->nfiles];
}


/* Whether name is BASE-DIGITS, a rotated log (dateext). */
static int
rotated_name(const log_tail_t *t, const char *name)
{
    size_t  bl = strlen(t->base), nd;

    if (strncmp(name, t->base, bl) != 0 || name[bl] != '-') {
        return 0;
    }
    nd = strspn(name + bl + 1, "0123456789");
    return nd > 0 && name[bl + 1 + nd] == '\0';
}


/* Whether a file with this identity is tracked, or was done with. */
static int
tracked(const log_tail_t *t, dev_t dev, ino_t ino)
{
    size_t  i;

    for (i = 0; i < t->nfiles; i++) {
        if (t->files[i]->dev == dev && t->files[i]->ino == ino) {
            return 1;
        }
    }
    for (i = 0; i < t->nfinished; i++) {
        if (t->finished[i].dev == dev && t->finished[i].ino == ino) {
            return 1;
        }
    }
    return 0;
}


/* Whether name is a rotated log not marked whose file is not tracked
 * yet (track_rotated). */
static int
untracked_rotated(const char *name, void *arg)
{
    log_tail_t   *t = arg;
    char          path[4096 + 256];
    struct stat   sb;

    if (!rotated_name(t, name)) {
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%s%s", t->dir, name, t->marker);
    if (access(path, F_OK) == 0) {
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%s", t->dir, name);
    return stat(path, &sb) == 0 && !tracked(t, sb.st_dev, sb.st_ino);
}


/* Every rotated sibling of LOG not marked and not tracked yet, oldest
 * name first: at start, and at each rotation seen (a file can have been
 * LOG for less than a poll, or while the reader was busy, and been
 * renamed again). */
static int
track_rotated(log_tail_t *t)
{
    char    **names, path[4096 + 256];
    size_t    n, i;
    int       rc;

    rc = dir_names(t->dir, untracked_rotated, t, NULL, &names, &n);
    if (rc == SPOOR_E_IO) {
        return SPOOR_OK;            /* LOG's directory comes later */
    }
    for (i = 0; i < n && rc == SPOOR_OK; i++) {
        snprintf(path, sizeof(path), "%s/%s", t->dir, names[i]);
        if (track(t, path, 0) == NULL && errno == ENOMEM) {
            rc = SPOOR_E_NOMEM;
        }
    }
    dir_names_free(names, n);
    return rc;
}


/* The path a file has now as a rotated log (LOG-DIGITS next to LOG), into
 * path[0 .. cap); 0 when it has none (gone, or never rotated). */
static int
rotated_path(const log_tail_t *t, dev_t dev, ino_t ino, char *path,
    size_t cap)
{
    DIR            *d;
    struct dirent  *e;
    struct stat     sb;
    int             found = 0;

    d = opendir(t->dir);
    while (!found && d != NULL && (e = readdir(d)) != NULL) {
        if (rotated_name(t, e->d_name)) {
            snprintf(path, cap, "%s/%s", t->dir, e->d_name);
            found = stat(path, &sb) == 0 && sb.st_dev == dev
                    && sb.st_ino == ino;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    return found;
}


/* The name a rotated file has now; kept as it was when not found. */
static void
renamed(const log_tail_t *t, tail_file_t *f)
{
    char  path[4096 + 256], *name;

    if (rotated_path(t, f->dev, f->ino, path, sizeof(path))
        && (name = strdup(path)) != NULL)
    {
        free(f->name);
        f->name = name;
    }
}


/* LOG's path: a new file there (a rotation) becomes the live one, and
 * the one read so far is followed on as rotated. */
static void
check_live(log_tail_t *t)
{
    struct stat  sb;
    size_t       i;

    if (stat(t->path, &sb) != 0) {
        if (!t->waiting) {
            fprintf(stderr, "spoor %s: %s: %s; waiting for it\n", t->who,
                    t->path, strerror(errno));
            t->waiting = 1;
        }
        return;
    }
    t->waiting = 0;
    for (i = 0; i < t->nfiles; i++) {
        tail_file_t  *f = t->files[i];

        if (f->live) {
            if (f->dev == sb.st_dev && f->ino == sb.st_ino) {
                return;
            }
            f->live = 0;                        /* rotated */
            f->grew_ms = mono_ms();
            renamed(t, f);
        }
    }
    for (i = 0; i < t->nfiles; i++) {
        if (t->files[i]->dev == sb.st_dev && t->files[i]->ino == sb.st_ino) {
            t->files[i]->live = 1;  /* renamed back: follow it as live */
            return;
        }
    }
    /* rotated files missed so far first, then the new one: frames are
     * read in the order they were written */
    if (track_rotated(t) != SPOOR_OK) {
        t->nomem = 1;
    }
    if (track(t, t->path, 1) == NULL && errno == ENOMEM) {
        t->nomem = 1;
    }
}


int
tail_init(log_tail_t *t, const char *path, const char *who,
    const char *marker, size_t extra)
{
    const char  *slash = strrchr(path, '/');

    memset(t, 0, sizeof(*t));
    t->path = path;
    t->who = who;
    t->marker = marker;
    t->extra = (extra + 7) & ~(size_t) 7;
    t->dir = strdup(path);
    t->base = strdup(slash ? slash + 1 : path);
    if (t->dir == NULL || t->base == NULL) {
        return SPOOR_E_NOMEM;
    }
    slash = strrchr(t->dir, '/');
    if (slash == NULL) {
        strcpy(t->dir, ".");
    } else if (slash == t->dir) {
        t->dir[1] = '\0';
    } else {
        t->dir[slash - t->dir] = '\0';
    }
    return track_rotated(t);
}


/* Looks at file f's size and reads it from where it stopped. */
static int
read_file(log_tail_t *t, tail_file_t *f, int last, tail_read_fn read,
    void *arg)
{
    struct stat  sb;

    if (fstat(f->fd, &sb) != 0) {
        fprintf(stderr, "spoor %s: %s: %s\n", t->who, f->name,
                strerror(errno));
        return SPOOR_E_IO;
    }
    if ((uint64_t) sb.st_size < f->off) {
        fprintf(stderr, "spoor %s: %s: the file shrank from %" PRIu64
                " to %lld bytes (copytruncate?): read again from its start\n",
                t->who, f->name, f->off, (long long) sb.st_size);
        f->off = 0;
    }
    if ((uint64_t) sb.st_size != f->size) {
        f->size = (uint64_t) sb.st_size;
        f->grew_ms = mono_ms();
    }
    if (f->off == f->size && !last) {
        return SPOOR_OK;
    }
    return read(arg, f, last);
}


int
tail_poll(log_tail_t *t, int64_t settle_ms, tail_read_fn read, void *arg)
{
    size_t   i;
    int      rc;
    int64_t  now = mono_ms();

    check_live(t);
    if (t->nomem) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < t->nfiles; i++) {
        tail_file_t  *f = t->files[i];

        if (f->done) {
            struct stat  sb;

            if (fstat(f->fd, &sb) != 0 || (uint64_t) sb.st_size == f->size) {
                continue;
            }
            /* it grew after it settled: NGINX still writes to it (no
             * reopen yet), so it is followed on */
            f->done = 0;
        }
        rc = read_file(t, f, 0, read, arg);
        if (rc != SPOOR_OK) {
            return rc;
        }
        if (!f->live && now - f->grew_ms >= settle_ms) {
            rc = read_file(t, f, 1, read, arg);
            if (rc != SPOOR_OK) {
                return rc;
            }
            /* a reader that stopped short (Redis away) reads it again */
            f->done = f->off >= f->size;
        }
    }
    return SPOOR_OK;
}


void
tail_mark_done(log_tail_t *t, tail_delivered_fn delivered, void *arg)
{
    struct stat     sb;
    char            path[4096 + 256];
    size_t          i;
    int             fd;

    /* NGINX reopened: the live log has frames (a rotated file that only
     * settled may still be written to, if the reopen never came) */
    for (i = 0; i < t->nfiles; i++) {
        if (t->files[i]->live && t->files[i]->off > 0) {
            break;
        }
    }
    if (i == t->nfiles) {
        return;
    }
    for (i = 0; i < t->nfiles; ) {
        tail_file_t  *f = t->files[i];

        if (!f->done || fstat(f->fd, &sb) != 0
            || (uint64_t) sb.st_size != f->size
            || (delivered != NULL && !delivered(arg, f)))
        {
            i++;
            continue;
        }
        if (t->nfinished == t->cfinished) {
            size_t  cap = t->cfinished ? 2 * t->cfinished : 16;
            void   *a = realloc(t->finished, cap * sizeof(*t->finished));

            if (a == NULL) {
                return;                 /* marked at a later turn */
            }
            t->finished = a;
            t->cfinished = cap;
        }
        t->finished[t->nfinished].dev = f->dev;
        t->finished[t->nfinished].ino = f->ino;
        t->nfinished++;
        if (rotated_path(t, f->dev, f->ino, path,
                         sizeof(path) - strlen(t->marker)))
        {
            strcat(path, t->marker);
            fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
            if (fd < 0) {
                fprintf(stderr, "spoor %s: %s: %s\n", t->who, path,
                        strerror(errno));
            } else {
                close(fd);
            }
        }
        untrack(t, i);
    }
}


void
tail_free(log_tail_t *t)
{
    while (t->nfiles) {
        untrack(t, t->nfiles - 1);
    }
    free(t->files);
    free(t->finished);
    free(t->dir);
    free(t->base);
    memset(t, 0, sizeof(*t));
}
