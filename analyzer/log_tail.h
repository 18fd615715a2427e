/*
 * log_tail.h -- the files of one NGINX log, followed across rotations:
 * what `spoor ingest --follow` folds and what `spoor ship` sends.
 *
 * A tail tracks the live LOG and every rotated file still open: when
 * LOG's path names another file (logrotate renamed it and created a new
 * one), the old descriptor is kept and read on, because NGINX workers
 * write their buffered frames to it until they reopen.  A rotated file
 * that has not grown for the settle time is read one last time, and once
 * its reader says all of it is delivered it is marked FILE<marker> (as
 * spoor-rotate marks FILE.ingested) and closed.  At start, and at each
 * rotation seen, the tail also tracks every rotated sibling LOG-DIGITS
 * not marked, oldest name first, so a rotation while nobody read loses
 * nothing.
 *
 * The tail owns the files and their descriptors; the caller owns where
 * each read stops (off) and what it keeps per file: `extra` bytes at
 * tail_extra(file), zeroed when the file is first tracked.
 *
 * Invariants: files[0 .. nfiles) are distinct files (device and inode);
 * at most one is live; a file done with (marked) is never tracked again.
 */
#ifndef SPOOR_LOG_TAIL_H
#define SPOOR_LOG_TAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    int              fd;
    dev_t            dev;
    ino_t            ino;
    uint64_t         off;          /* where the next read begins (the
                                      reader moves it) */
    uint64_t         size;         /* at the last look */
    int              live;         /* the file LOG names */
    int              done;         /* read for the last time: marked once
                                      delivered */
    int64_t          grew_ms;      /* monotonic: last growth, or opening */
    char            *name;         /* its path now (renamed at rotation) */
} tail_file_t;

typedef struct {
    const char     *path;          /* LOG */
    const char     *who;           /* "ingest", "ship": for messages */
    const char     *marker;        /* ".ingested", ".shipped" */
    char           *dir, *base;
    size_t          extra;
    tail_file_t   **files;
    size_t          nfiles, cfiles;
    struct {
        dev_t       dev;
        ino_t       ino;
    }              *finished;      /* rotated files done with */
    size_t          nfinished, cfinished;
    int             waiting;       /* LOG missing: said once */
    int             open_warned;   /* LOG could not be opened: said once */
    int             nomem;
} log_tail_t;

/*
 * Reads file f from f->off: `last` is the read of a rotated file that
 * has settled (damage at its end is reported then).  Called only when f
 * has bytes after off, or with last.  Returns SPOOR_OK, or an error that
 * tail_poll() passes on.
 */
typedef int (*tail_read_fn)(void *arg, tail_file_t *f, int last);

/* Whether everything of f (settled, read for the last time) has reached
 * where the caller takes it: its frames published, or shipped. */
typedef int (*tail_delivered_fn)(void *arg, const tail_file_t *f);

/*
 * Sets up t for LOG at path and tracks the rotated siblings not marked.
 * who and marker must outlive t.  SPOOR_OK or SPOOR_E_NOMEM.
 */
int tail_init(log_tail_t *t, const char *path, const char *who,
    const char *marker, size_t extra);

/*
 * One look: a rotation of LOG is noticed, then every file is read that
 * grew (a file that shrank is read again from its start, with a message),
 * and every rotated file that has not grown for settle_ms is read one
 * last time and is done once that read reached its end (off == size; a
 * read that stopped short is tried again at the next look).  Returns SPOOR_OK, SPOOR_E_NOMEM, or what read
 * returned.
 */
int tail_poll(log_tail_t *t, int64_t settle_ms, tail_read_fn read,
    void *arg);

/*
 * Marks and closes the rotated files that are done, have not changed
 * since, and are delivered (delivered NULL: all are), once NGINX
 * reopened (the live log has been read from).
 */
void tail_mark_done(log_tail_t *t, tail_delivered_fn delivered, void *arg);

/* The caller's bytes of f. */
static inline void *
tail_extra(tail_file_t *f)
{
    return f + 1;
}

void tail_free(log_tail_t *t);

#endif /* SPOOR_LOG_TAIL_H */
