/*
 * serve_fanout.c -- a follower's fan-out of serving files to Redis
 * (serve_fanout.h).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "error.h"
#include "fleet.h"
#include "mono_clock.h"
#include "quiet_thread.h"
#include "serve_fanout.h"
#include "serve_keyed.h"

#define FANOUT_KNOWN_MAX  64     /* files known whole in Redis */
#define FANOUT_TICK_MS    100    /* the worker's look when nothing wakes it */

/*
 * The worker thread owns everything above `mu`; the follower's thread
 * and the worker share what is below it, under mu.
 */
struct serve_fanout_s {
    char            *csv;
    char             reader[FLEET_EDGE_MAX + 1];
    serve_keyed_opts_t  ko;              /* the key and the traits */
    char            *names;              /* the traits' storage */
    int              timeout_ms;
    rcl_t           *c;

    uint32_t         current;            /* published as current; 0: none */
    uint32_t         chain[CHAIN_FILES_MAX], nchain;   /* its chain */
    uint32_t         prev[CHAIN_FILES_MAX], nprev;     /* the one before */
    uint32_t         known[FANOUT_KNOWN_MAX];
    size_t           nknown;

    int64_t          next_try, next_check;
    int              said;               /* an outage was said */
    int              local;              /* the last error was the state
                                            directory's (a file removed
                                            meanwhile), not Redis's */
    int              local_runs, local_said;
    int              trusted;            /* 1 once this process published
                                            a whole chain: only then is a
                                            file found in Redis taken as
                                            its own */
    uint64_t         published, files, bytes, errors, ahead;

    pthread_mutex_t  mu;
    pthread_cond_t   cv;
    pthread_t        thread;
    int              running;            /* the worker was started */
    int              failed;             /* ... and could not be */
    int              stop;
    char            *dir;                /* the state directory */
    uint32_t         want;               /* the newest committed generation */
    uint32_t         pre;                /* a merged base to send ahead */
    uint32_t         ready;              /* the last one sent ahead */
    int              news;               /* the status changed */
    struct {                             /* the worker's figures, copied */
        uint32_t     current;
        uint64_t     published, files, bytes, errors, ahead;
        int          connected;
    } shown;
};


serve_fanout_t *
serve_fanout_new(const char *csv, const char *reader,
    const unsigned char *key, size_t keylen, const char *traits,
    int timeout_ms)
{
    serve_fanout_t  *fo = calloc(1, sizeof(*fo));
    pthread_condattr_t  ca;
    const char     **list;
    char            *p;
    size_t           n;

    if (fo == NULL || strlen(reader) > FLEET_EDGE_MAX) {
        free(fo);
        return NULL;
    }
    if (pthread_mutex_init(&fo->mu, NULL) != 0) {
        free(fo);
        return NULL;
    }
    if (pthread_condattr_init(&ca) != 0
        || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0
        || pthread_cond_init(&fo->cv, &ca) != 0)
    {
        pthread_mutex_destroy(&fo->mu);
        free(fo);
        return NULL;
    }
    pthread_condattr_destroy(&ca);
    fo->csv = strdup(csv);
    fo->ko.key = spoor_keyed_new(key, keylen);
    if (fo->csv == NULL || fo->ko.key == NULL) {
        serve_fanout_free(fo);
        return NULL;
    }
    if (traits != NULL) {
        /* "a,b,c" cut in place into a list of names */
        fo->names = strdup(traits);
        for (n = 1, p = fo->names; p != NULL && *p; p++) {
            n += *p == ',';
        }
        list = calloc(n, sizeof(*list));
        if (fo->names == NULL || list == NULL) {
            free(list);
            serve_fanout_free(fo);
            return NULL;
        }
        for (n = 0, p = fo->names; p != NULL; n++) {
            list[n] = p;
            p = strchr(p, ',');
            if (p != NULL) {
                *p++ = '\0';
            }
        }
        fo->ko.traits = list;
        fo->ko.ntraits = n;
    }
    strcpy(fo->reader, reader);
    fo->timeout_ms = timeout_ms;
    return fo;
}


void
serve_fanout_free(serve_fanout_t *fo)
{
    if (fo == NULL) {
        return;
    }
    if (fo->running) {
        pthread_mutex_lock(&fo->mu);
        fo->stop = 1;
        pthread_cond_signal(&fo->cv);
        pthread_mutex_unlock(&fo->mu);
        pthread_join(fo->thread, NULL);
    }
    pthread_cond_destroy(&fo->cv);
    pthread_mutex_destroy(&fo->mu);
    free(fo->dir);
    rcl_close(fo->c);
    spoor_keyed_free(fo->ko.key);
    free((void *) fo->ko.traits);
    free(fo->names);
    free(fo->csv);
    free(fo);
}


/* One command; the reply, or NULL with the reason in err (no answer, or
 * an error reply, which is freed). */
static redisReply *
fanout_cmd(serve_fanout_t *fo, const char *key, size_t klen, int argc,
    const char **argv, const size_t *lens, char *err, size_t errlen)
{
    redisReply  *r;

    r = rcl_command(fo->c, key, klen, argc, argv, lens, err, errlen);
    if (r != NULL && r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s %s: %.*s", argv[0], key, (int) r->len,
                 r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}


/* A command whose reply is not looked at: SPOOR_OK or SPOOR_E_IO. */
static int
fanout_do(serve_fanout_t *fo, const char *key, size_t klen, int argc,
    const char **argv, const size_t *lens, char *err, size_t errlen)
{
    redisReply  *r = fanout_cmd(fo, key, klen, argc, argv, lens, err,
                                errlen);

    if (r == NULL) {
        return SPOOR_E_IO;
    }
    freeReplyObject(r);
    return SPOOR_OK;
}


static void
known_add(serve_fanout_t *fo, uint32_t gen)
{
    if (fleet_gen_in(fo->known, fo->nknown, gen)) {
        return;
    }
    if (fo->nknown == FANOUT_KNOWN_MAX) {
        memmove(fo->known, fo->known + 1,
                (FANOUT_KNOWN_MAX - 1) * sizeof(uint32_t));
        fo->nknown--;
    }
    fo->known[fo->nknown++] = gen;
}


/* Sends the keyed copy of dir/gen-GEN.serve: its name into the set (so
 * that cleaning finds whatever part of it gets there), its file key
 * deleted (a mirror never reads a file being sent again), its parts,
 * then its file key: "PARTS BYTES SUM", SUM the copy's whole-file
 * checksum in hex (what tells a mirror its file from another of the same
 * number and size: another key, other traits). */
static int
fanout_upload(serve_fanout_t *fo, const char *dir, uint32_t gen, char *err,
    size_t errlen)
{
    char           src[4096], tmp[64], path[4096], key[FLEET_SERVE_KEY_MAX],
                   val[48], gens[FLEET_SERVE_KEY_MAX], num[16];
    const char    *argv[3];
    size_t         lens[3], klen;
    uint64_t       bytes, off, sum;
    uint32_t       parts, i;
    unsigned char *map = MAP_FAILED;
    spoor_snap_t  *s;
    int            fd = -1, rc;

    snprintf(src, sizeof(src), "%s/gen-%06" PRIu32 ".serve", dir, gen);
    snprintf(tmp, sizeof(tmp), ".fanout-gen-%06" PRIu32 ".serve", gen);
    snprintf(path, sizeof(path), "%s/%s", dir, tmp);
    rc = serve_keyed_copy(src, dir, tmp, &fo->ko, &bytes, err, errlen);
    if (rc != SPOOR_OK) {
        fo->local = 1;
        return rc;
    }
    s = spoor_snap_open(path, err, errlen);
    if (s == NULL) {
        (void) unlink(path);
        return SPOOR_E_IO;
    }
    sum = spoor_snap_file_sum(s);
    spoor_snap_close(s);

    rc = SPOOR_E_IO;
    klen = fleet_serve_key(fo->reader, "gens", gens);
    snprintf(num, sizeof(num), "%" PRIu32, gen);
    argv[0] = "SADD";
    argv[1] = gens;
    argv[2] = num;
    if (fanout_do(fo, gens, klen, 3, argv, NULL, err, errlen) != SPOOR_OK) {
        goto done;
    }
    klen = fleet_serve_file_key(fo->reader, gen, key);
    argv[0] = "DEL";
    argv[1] = key;
    if (fanout_do(fo, key, klen, 2, argv, NULL, err, errlen) != SPOOR_OK) {
        goto done;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || bytes == 0
        || (map = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0))
           == MAP_FAILED)
    {
        snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
        goto done;
    }

    parts = (uint32_t) ((bytes + FLEET_SERVE_PART - 1) / FLEET_SERVE_PART);
    for (i = 0, off = 0; i < parts; i++, off += FLEET_SERVE_PART) {
        klen = fleet_serve_part_key(fo->reader, gen, i, key);
        argv[0] = "SET";
        argv[1] = key;
        argv[2] = (const char *) map + off;
        lens[0] = 3;
        lens[1] = klen;
        lens[2] = bytes - off < FLEET_SERVE_PART ? bytes - off
                                                 : FLEET_SERVE_PART;
        if (fanout_do(fo, key, klen, 3, argv, lens, err, errlen)
            != SPOOR_OK)
        {
            goto done;
        }
    }

    klen = fleet_serve_file_key(fo->reader, gen, key);
    snprintf(val, sizeof(val), "%" PRIu32 " %" PRIu64 " %016" PRIx64, parts,
             bytes, sum);
    argv[0] = "SET";
    argv[1] = key;
    argv[2] = val;
    if (fanout_do(fo, key, klen, 3, argv, NULL, err, errlen) != SPOOR_OK) {
        goto done;
    }
    fo->files++;
    fo->bytes += bytes;
    rc = SPOOR_OK;

done:
    if (map != MAP_FAILED) {
        munmap(map, bytes);
    }
    if (fd >= 0) {
        close(fd);
    }
    (void) unlink(path);
    return rc;
}


/* Removes generation gen's file from Redis: its file key first (a mirror
 * then sees it gone, never partial), its parts, its name in the set. */
static int
fanout_remove(serve_fanout_t *fo, uint32_t gen, char *err, size_t errlen)
{
    char         key[FLEET_SERVE_KEY_MAX], gens[FLEET_SERVE_KEY_MAX],
                 num[16];
    const char  *argv[3];
    size_t       klen;
    uint32_t     parts = 0, i;
    redisReply  *r;
    int          more;

    klen = fleet_serve_file_key(fo->reader, gen, key);
    argv[0] = "GET";
    argv[1] = key;
    r = fanout_cmd(fo, key, klen, 2, argv, NULL, err, errlen);
    if (r == NULL) {
        return SPOOR_E_IO;
    }
    if (r->type == REDIS_REPLY_STRING) {
        unsigned long  p;

        if (sscanf(r->str, "%lu", &p) == 1 && p <= UINT32_MAX) {
            parts = (uint32_t) p;
        }
    }
    freeReplyObject(r);
    argv[0] = "DEL";
    if (fanout_do(fo, key, klen, 2, argv, NULL, err, errlen) != SPOOR_OK) {
        return SPOOR_E_IO;
    }
    /* the parts from the last down, so that what an interrupted removal
     * (or upload) leaves is always parts 0 .. k; without the count, from
     * 0 until one is not there */
    for (i = parts; i-- > 0; ) {
        klen = fleet_serve_part_key(fo->reader, gen, i, key);
        if (fanout_do(fo, key, klen, 2, argv, NULL, err, errlen)
            != SPOOR_OK)
        {
            return SPOOR_E_IO;
        }
    }
    for (i = 0, more = parts == 0; more; i++) {
        klen = fleet_serve_part_key(fo->reader, gen, i, key);
        r = fanout_cmd(fo, key, klen, 2, argv, NULL, err, errlen);
        if (r == NULL) {
            return SPOOR_E_IO;
        }
        more = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
        freeReplyObject(r);
    }
    klen = fleet_serve_key(fo->reader, "gens", gens);
    snprintf(num, sizeof(num), "%" PRIu32, gen);
    argv[0] = "SREM";
    argv[1] = gens;
    argv[2] = num;
    return fanout_do(fo, gens, klen, 3, argv, NULL, err, errlen);
}


/* Removes every file on neither the current chain nor the one before,
 * but keep (a merged base sent ahead; 0: none). */
static int
fanout_clean(serve_fanout_t *fo, uint32_t keep, char *err, size_t errlen)
{
    char         gens[FLEET_SERVE_KEY_MAX];
    const char  *argv[2];
    size_t       klen, i, n = 0;
    uint32_t     drop[256], g;
    redisReply  *r;

    klen = fleet_serve_key(fo->reader, "gens", gens);
    argv[0] = "SMEMBERS";
    argv[1] = gens;
    r = fanout_cmd(fo, gens, klen, 2, argv, NULL, err, errlen);
    if (r == NULL) {
        return SPOOR_E_IO;
    }
    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply  *e = r->element[i];

        if (e->type == REDIS_REPLY_STRING
            && fleet_serve_gen_parse(e->str, e->len, &g) == 0
            && !fleet_gen_in(fo->chain, fo->nchain, g)
            && !fleet_gen_in(fo->prev, fo->nprev, g)
            && g != keep
            && n < sizeof(drop) / sizeof(drop[0]))
        {
            drop[n++] = g;
        }
    }
    freeReplyObject(r);
    for (i = 0; i < n; i++) {
        if (fanout_remove(fo, drop[i], err, errlen) != SPOOR_OK) {
            return SPOOR_E_IO;
        }
    }
    return SPOOR_OK;
}


/* Whether generation gen's file key is in Redis: *yes 1 or 0.
 * SPOOR_OK, or SPOOR_E_IO with the reason in err. */
static int
fanout_exists(serve_fanout_t *fo, uint32_t gen, int *yes, char *err,
    size_t errlen)
{
    char         key[FLEET_SERVE_KEY_MAX];
    const char  *argv[2];
    size_t       klen;
    redisReply  *r;

    klen = fleet_serve_file_key(fo->reader, gen, key);
    argv[0] = "EXISTS";
    argv[1] = key;
    r = fanout_cmd(fo, key, klen, 2, argv, NULL, err, errlen);
    if (r == NULL) {
        return SPOOR_E_IO;
    }
    *yes = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return SPOOR_OK;
}


static int
fanout_publish(serve_fanout_t *fo, const char *dir, uint32_t gen,
    uint32_t keep, char *err, size_t errlen)
{
    char         cur[FLEET_SERVE_KEY_MAX], num[16];
    const char  *argv[3];
    size_t       clen, i, n;
    uint32_t     g, gens[CHAIN_FILES_MAX];
    chain_t      ch;
    redisReply  *r;
    int          rc;

    if (fo->c == NULL) {
        fo->c = fleet_connect(fo->csv, fo->timeout_ms, err, errlen);
        if (fo->c == NULL) {
            return SPOOR_E_IO;
        }
    }
    clen = fleet_serve_key(fo->reader, "current", cur);
    snprintf(num, sizeof(num), "%" PRIu32, gen);

    if (gen == fo->current) {
        /* the check: still what Redis names? */
        argv[0] = "GET";
        argv[1] = cur;
        r = fanout_cmd(fo, cur, clen, 2, argv, NULL, err, errlen);
        if (r == NULL) {
            return SPOOR_E_IO;
        }
        rc = r->type == REDIS_REPLY_STRING && r->len == strlen(num)
             && memcmp(r->str, num, r->len) == 0;
        freeReplyObject(r);
        /* and every file of its chain (a failover may lose one file key
         * and keep current, on another shard) */
        for (i = 0; rc && i < fo->nchain; i++) {
            if (fanout_exists(fo, fo->chain[i], &rc, err, errlen)
                != SPOOR_OK)
            {
                return SPOOR_E_IO;
            }
        }
        if (rc) {
            return SPOOR_OK;
        }
        fo->nknown = 0;                 /* lost, or replaced: check all */
    }

    rc = chain_open_files(&ch, dir, gen, ".serve", 0, err, errlen);
    if (rc != SPOOR_OK) {
        fo->local = 1;                  /* not Redis's doing */
        return rc;
    }
    n = ch.n;                           /* only its generations matter */
    memcpy(gens, ch.gen, n * sizeof(uint32_t));
    chain_close(&ch);

    /* the base first, so that every file a delta follows is there */
    for (i = n; i-- > 0; ) {
        g = gens[i];
        if (fleet_gen_in(fo->known, fo->nknown, g)) {
            continue;
        }
        /* a file already there is this state's, unless this process has
         * not published yet: another state (a follower started over on a
         * new directory) may have left one under that number */
        rc = 0;
        if (fo->trusted
            && fanout_exists(fo, g, &rc, err, errlen) != SPOOR_OK)
        {
            return SPOOR_E_IO;
        }
        if (!rc) {
            rc = fanout_upload(fo, dir, g, err, errlen);
            if (rc != SPOOR_OK) {
                return rc;
            }
        }
        known_add(fo, g);
    }

    argv[0] = "SET";
    argv[1] = cur;
    argv[2] = num;
    if (fanout_do(fo, cur, clen, 3, argv, NULL, err, errlen) != SPOOR_OK) {
        return SPOOR_E_IO;
    }
    if (gen != fo->current) {
        memcpy(fo->prev, fo->chain, sizeof(fo->chain));
        fo->nprev = fo->nchain;
        fo->published++;
    }
    memcpy(fo->chain, gens, n * sizeof(uint32_t));
    fo->nchain = (uint32_t) n;
    fo->current = gen;
    fo->trusted = 1;
    return fanout_clean(fo, keep, err, errlen);
}


/*
 * Sends the merged base gen ahead of its adoption (serve_fanout.h), once
 * its serving view is complete in dir: when a follower adopts it, the
 * edges have it already.  SPOOR_OK (sent, or not there yet: *sent 0),
 * or an error with the reason in err.
 */
static int
fanout_ahead(serve_fanout_t *fo, const char *dir, uint32_t gen, int *sent,
    char *err, size_t errlen)
{
    char         path[4096];
    struct stat  sb;
    int          rc;

    *sent = fleet_gen_in(fo->known, fo->nknown, gen);
    if (*sent) {
        return SPOOR_OK;
    }
    snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".serve", dir, gen);
    if (stat(path, &sb) != 0) {
        return SPOOR_OK;                /* the merge is still writing it */
    }
    if (fo->c == NULL) {
        fo->c = fleet_connect(fo->csv, fo->timeout_ms, err, errlen);
        if (fo->c == NULL) {
            return SPOOR_E_IO;
        }
    }
    rc = fanout_upload(fo, dir, gen, err, errlen);
    if (rc == SPOOR_OK) {
        known_add(fo, gen);
        fo->ahead++;
        *sent = 1;
    }
    return rc;
}


/* One look of the worker: what is due for gen (and the merged base pre,
 * 0: none; *ahead says when it is in Redis).  Returns 1 when what the
 * status shows changed. */
static int
fanout_step(serve_fanout_t *fo, const char *dir, uint32_t gen, uint32_t pre,
    int *ahead)
{
    char      err[512];
    int64_t   now = mono_ms();
    uint64_t  published = fo->published;
    int       rc = SPOOR_OK;

    *ahead = 0;
    if (now < fo->next_try) {
        return 0;
    }
    if (pre != 0) {
        rc = fanout_ahead(fo, dir, pre, ahead, err, sizeof(err));
    }
    if (rc == SPOOR_OK
        && (gen == 0 || (gen == fo->current && now < fo->next_check)))
    {
        return 0;
    }
    fo->local = 0;
    if (rc != SPOOR_OK
        || fanout_publish(fo, dir, gen, pre, err, sizeof(err)) != SPOOR_OK)
    {
        fo->errors++;
        if (fo->local) {
            /* most often a generation's file removed while it was read
             * (the state moved on): the next look takes the newest; no
             * outage of Redis, but said once when it lasts */
            if (!fo->local_said && ++fo->local_runs >= 10) {
                fprintf(stderr, "spoor ingest: fan-out: %s; tried again\n",
                        err);
                fo->local_said = 1;
            }
            return 0;
        }
        fo->nknown = 0;
        fo->next_try = now + FANOUT_RETRY_MS;
        if (!fo->said) {
            fprintf(stderr, "spoor ingest: fan-out to Redis: %s; tried "
                    "again every second\n", err);
            fo->said = 1;
            return 1;
        }
        return 0;
    }
    fo->next_check = mono_ms() + FANOUT_CHECK_MS;
    fo->local_runs = fo->local_said = 0;
    if (fo->said) {
        fprintf(stderr, "spoor ingest: fan-out to Redis works again: "
                "generation %" PRIu32 " is served\n", gen);
        fo->said = 0;
        return 1;
    }
    return fo->published != published;
}


/* Removes the keyed copies a follower killed while sending left in dir
 * (.fanout-gen-N.serve, and the writer's temporary files of them). */
static void
fanout_leftovers(const char *dir)
{
    DIR            *d = opendir(dir);
    struct dirent  *e;
    char            path[4096];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, ".fanout-gen-", 12) == 0
            || strncmp(e->d_name, "..fanout-gen-", 13) == 0)
        {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            (void) unlink(path);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
}


/* The worker: waits for a generation (or the next tick), does what is
 * due, and shows its figures; told to stop, it makes one last try with
 * the last generation (the follower's last publish) and returns. */
static void *
fanout_worker(void *arg)
{
    serve_fanout_t   *fo = arg;
    struct timespec   until;
    uint32_t          gen, pre;
    int               changed, ahead, stopping;

    pthread_mutex_lock(&fo->mu);
    for ( ;; ) {
        gen = fo->want;
        pre = fo->pre;
        stopping = fo->stop;
        pthread_mutex_unlock(&fo->mu);

        changed = fanout_step(fo, fo->dir, gen, pre, &ahead);

        pthread_mutex_lock(&fo->mu);
        if (ahead && pre != 0) {
            fo->ready = pre;
        }
        fo->shown.current = fo->current;
        fo->shown.published = fo->published;
        fo->shown.files = fo->files;
        fo->shown.bytes = fo->bytes;
        fo->shown.errors = fo->errors;
        fo->shown.ahead = fo->ahead;
        fo->shown.connected = fo->c != NULL && !fo->said;
        fo->news |= changed;
        if (stopping) {
            break;
        }
        if (fo->stop || fo->want != gen) {
            continue;                   /* news came meanwhile */
        }
        (void) clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += FANOUT_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        (void) pthread_cond_timedwait(&fo->cv, &fo->mu, &until);
    }
    pthread_mutex_unlock(&fo->mu);
    return NULL;
}


int
serve_fanout_sync(serve_fanout_t *fo, const char *dir, uint32_t gen,
    uint32_t merged)
{
    int  news;

    pthread_mutex_lock(&fo->mu);
    if (!fo->running && !fo->failed) {
        int  e = -1;

        fanout_leftovers(dir);
        fo->dir = strdup(dir);
        /* the follower's thread takes the signals, not the worker */
        if (fo->dir != NULL) {
            e = quiet_thread_start(&fo->thread, fanout_worker, fo);
        }
        if (e != 0) {
            fo->failed = 1;
            pthread_mutex_unlock(&fo->mu);
            fprintf(stderr, "spoor ingest: fan-out: cannot start its "
                    "thread; nothing is sent to the edges\n");
            return 0;
        }
        fo->running = 1;
    }
    if (fo->want != gen || fo->pre != merged) {
        fo->want = gen;
        fo->pre = merged;
        pthread_cond_signal(&fo->cv);
    }
    news = fo->news;
    fo->news = 0;
    pthread_mutex_unlock(&fo->mu);
    return news;
}


int
serve_fanout_ahead(serve_fanout_t *fo, uint32_t merged)
{
    int  sent;

    pthread_mutex_lock(&fo->mu);
    sent = merged != 0 && fo->ready == merged;
    pthread_mutex_unlock(&fo->mu);
    return sent;
}


void
serve_fanout_status(serve_fanout_t *fo, json_out_t *j)
{
    pthread_mutex_lock(&fo->mu);
    json_out_cstr(j, "fanout");
    json_out_map_open(j);
    json_out_cstr(j, "generation");
    json_out_uint(j, fo->shown.current);
    json_out_cstr(j, "published");
    json_out_uint(j, fo->shown.published);
    json_out_cstr(j, "files");
    json_out_uint(j, fo->shown.files);
    json_out_cstr(j, "bytes");
    json_out_uint(j, fo->shown.bytes);
    json_out_cstr(j, "ahead");
    json_out_uint(j, fo->shown.ahead);
    json_out_cstr(j, "errors");
    json_out_uint(j, fo->shown.errors);
    json_out_cstr(j, "redis_connected");
    json_out_bool(j, fo->shown.connected);
    json_out_map_close(j);
    pthread_mutex_unlock(&fo->mu);
}
