/*
 * ship.c -- the edge's shipper (ship.h): the log's frames to its Redis
 * stream, the durable position, rewinds.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "damage_hold.h"
#include "error.h"
#include "fleet.h"
#include "json_out.h"
#include "log_tail.h"
#include "logreader.h"
#include "mono_clock.h"
#include "ship.h"

#define POLL_MS         100
#define CHECK_MS        1000        /* frontier, position, status */
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  5000
#define POSITION_HEAD   "spoor ship position 1\n"

/* What the shipper keeps per file (tail_extra()). */
typedef struct {
    uint64_t   acked;         /* offset after the last frame committed */
    uint64_t   sent_end;      /* offset after the last frame sent */
    int        started;       /* its position was looked up */
} ship_file_t;

/* A frame sent and not known to be committed, in sending order. */
typedef struct {
    fleet_id_t  id;
    dev_t       dev;
    ino_t       ino;
    uint64_t    end;
    uint64_t    len;          /* the frame's bytes */
} sent_t;

/* A file's position read from the position file at start. */
typedef struct {
    dev_t       dev;
    ino_t       ino;
    uint64_t    acked;
} position_t;

typedef struct {
    const ship_opts_t  *o;
    log_tail_t          tail;
    rcl_t              *redis;           /* NULL: not connected */
    rcl_stats_t         seen;            /* counters at the last look */
    char                key[FLEET_KEY_MAX];
    sent_t             *sent;            /* sent[head .. n) outstanding */
    size_t              head, n, cap;
    position_t         *pos;
    size_t              npos;
    fleet_id_t          frontier;
    unsigned            groups;
    int                 failed;          /* a command failed this turn */
    int                 down_said;       /* "unreachable" said */
    int64_t             retry_at, backoff_ms;
    int                 pos_dirty;
    unsigned char      *buf;
    size_t              bufcap;
    uint64_t            frames_sent, bytes_sent, frames_acked, rewinds;
    uint64_t            unacked_bytes;   /* of sent[head .. n) */
    int                 paused;          /* at o->max_uncommitted */
    uint64_t            errors, damaged;
    const char         *reading;         /* the file being read */
    char                err[512];
} shipper_t;

static volatile sig_atomic_t  got_stop;


static void
on_signal(int sig)
{
    (void) sig;
    got_stop = 1;
}


/* ---- the position file ------------------------------------------------------- */

/* Reads the position file: SPOOR_OK (missing: nothing sent yet), or
 * EXIT_IO-worthy SPOOR_E_FORMAT / SPOOR_E_IO after a message. */
static int
position_load(shipper_t *s)
{
    FILE                *f;
    char                 line[4096 + 128];
    unsigned long long   dev, ino, acked;
    size_t               no = 0;
    int                  n;

    f = fopen(s->o->position, "r");
    if (f == NULL) {
        if (errno == ENOENT) {
            return SPOOR_OK;
        }
        fprintf(stderr, "spoor ship: %s: %s\n", s->o->position,
                strerror(errno));
        return SPOOR_E_IO;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        no++;
        if (no == 1) {
            if (strcmp(line, POSITION_HEAD) != 0) {
                break;
            }
            continue;
        }
        n = 0;
        if (sscanf(line, "%llu %llu %llu %n", &dev, &ino, &acked, &n) != 3
            || n == 0 || strchr(line, '\n') == NULL)
        {
            break;
        }
        if (s->npos % 16 == 0) {
            position_t  *a = realloc(s->pos, (s->npos + 16) * sizeof(*a));

            if (a == NULL) {
                fclose(f);
                fprintf(stderr, "spoor ship: out of memory\n");
                return SPOOR_E_NOMEM;
            }
            s->pos = a;
        }
        s->pos[s->npos].dev = (dev_t) dev;
        s->pos[s->npos].ino = (ino_t) ino;
        s->pos[s->npos].acked = acked;
        s->npos++;
    }
    if (!feof(f) || no == 0) {
        fclose(f);
        fprintf(stderr, "spoor ship: %s: line %zu: not a position file of "
                "spoor ship; remove it to send the logs again from their "
                "start (the analyzer skips the frames it has)\n",
                s->o->position, no ? no : 1);
        return SPOOR_E_FORMAT;
    }
    fclose(f);
    return SPOOR_OK;
}


/* Replaces the position file with every tracked file's committed offset. */
static void
position_save(shipper_t *s)
{
    char        *text = NULL;
    size_t       len = 0, i;
    FILE        *m;

    m = open_memstream(&text, &len);
    if (m == NULL) {
        return;
    }
    fputs(POSITION_HEAD, m);
    for (i = 0; i < s->tail.nfiles; i++) {
        const tail_file_t  *t = s->tail.files[i];
        const ship_file_t  *sf = tail_extra(s->tail.files[i]);
        const char         *c;

        /* the name is for people: one line, whatever it holds */
        fprintf(m, "%llu %llu %" PRIu64 " ", (unsigned long long) t->dev,
                (unsigned long long) t->ino, sf->acked);
        for (c = t->name; *c; c++) {
            fputc(*c == '\n' || *c == '\r' ? '?' : *c, m);
        }
        fputc('\n', m);
    }
    if (fclose(m) != 0 || text == NULL) {
        free(text);
        return;
    }
    if (cli_replace_file(s->o->position, text, len) != SPOOR_OK) {
        fprintf(stderr, "spoor ship: %s: %s (tried again in a second)\n",
                s->o->position, strerror(errno));
    } else {
        s->pos_dirty = 0;
    }
    free(text);
}


/* ---- Redis ---------------------------------------------------------------- */

/* A command failed: said once per outage, and the connection dropped
 * (the next turn reconnects and rewinds). */
static void
failed(shipper_t *s, const char *what)
{
    s->failed = 1;
    s->errors++;
    if (!s->down_said) {
        fprintf(stderr, "spoor ship: Redis: %s: %s; NGINX goes on logging, "
                "shipping resumes when Redis answers\n", what, s->err);
        s->down_said = 1;
    }
}


/* Every file back to its committed offset; every frame after it is sent
 * again. */
static void
rewind_files(shipper_t *s, const char *why)
{
    size_t  i;
    int     any = s->n > s->head;

    for (i = 0; i < s->tail.nfiles; i++) {
        tail_file_t  *t = s->tail.files[i];
        ship_file_t  *sf = tail_extra(t);

        if (t->off != sf->acked) {
            any = 1;
        }
        t->off = sf->acked;
        sf->sent_end = sf->acked;
        t->done = 0;                    /* read again, settles again */
    }
    s->head = s->n = 0;
    s->unacked_bytes = 0;
    if (any) {
        s->rewinds++;
        fprintf(stderr, "spoor ship: %s: sending again what follows the "
                "committed position\n", why);
    }
}


static void
disconnect(shipper_t *s)
{
    rcl_close(s->redis);
    s->redis = NULL;
    s->retry_at = mono_ms() + s->backoff_ms;
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                        : s->backoff_ms * 2;
}


/* Connects (when due) and registers the edge; a new connection rewinds:
 * what was sent before it may be lost. */
static void
connect_redis(shipper_t *s)
{
    const char  *argv[3] = { "SADD", FLEET_EDGES_KEY, s->o->edge };
    redisReply  *r;

    if (s->redis != NULL || mono_ms() < s->retry_at) {
        return;
    }
    s->redis = fleet_connect(s->o->redis, s->o->timeout_ms, s->err,
                             sizeof(s->err));
    if (s->redis == NULL) {
        failed(s, "connect");
        s->failed = 0;
        disconnect(s);                  /* the next try, backed off */
        return;
    }
    r = rcl_command(s->redis, FLEET_EDGES_KEY, strlen(FLEET_EDGES_KEY), 3,
                    argv, NULL, s->err, sizeof(s->err));
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        if (r != NULL) {
            snprintf(s->err, sizeof(s->err), "%s", r->str);
        }
        freeReplyObject(r);
        failed(s, "SADD " FLEET_EDGES_KEY);
        s->failed = 0;
        disconnect(s);
        return;
    }
    freeReplyObject(r);
    s->seen = rcl_stats(s->redis);
    s->backoff_ms = BACKOFF_MIN_MS;
    rewind_files(s, "connected");
}


/* Whether the cluster redirected or reconnected since the last look: a
 * slot changed hands, and what its old master took may be lost. */
static int
topology_changed(shipper_t *s)
{
    rcl_stats_t  now = rcl_stats(s->redis);
    int          changed = now.moved != s->seen.moved
                           || now.asked != s->seen.asked
                           || now.net_errors != s->seen.net_errors;

    s->seen = now;
    return changed;
}


/* ---- sending ---------------------------------------------------------------- */

static void
report_damage(void *arg, const spoor_damage_t *d)
{
    shipper_t  *s = arg;

    s->damaged++;
    fputs("spoor ship: ", stderr);
    cli_print_damage(stderr, s->reading, d);
}


/* Appends one frame (buf[0 .. len), ending at `end` of t) to the stream;
 * 0, or -1 when the command failed. */
static int
send_frame(shipper_t *s, tail_file_t *t, size_t len, uint64_t end)
{
    char          endtxt[24];
    const char   *argv[9] = { "XADD", s->key, "*", "frame", (char *) s->buf,
                              "file", t->name, "end", endtxt };
    size_t        argl[9];
    redisReply   *r;
    sent_t       *e;
    int           i;

    snprintf(endtxt, sizeof(endtxt), "%" PRIu64, end);
    for (i = 0; i < 9; i++) {
        argl[i] = strlen(argv[i]);
    }
    argl[4] = len;
    if (s->n == s->cap) {
        size_t   cap;

        if (s->head > 0) {              /* compact first */
            memmove(s->sent, s->sent + s->head,
                    (s->n - s->head) * sizeof(sent_t));
            s->n -= s->head;
            s->head = 0;
        }
        cap = s->n == s->cap ? (s->cap ? 2 * s->cap : 1024) : s->cap;
        if (cap != s->cap) {
            sent_t  *a = realloc(s->sent, cap * sizeof(sent_t));

            if (a == NULL) {
                snprintf(s->err, sizeof(s->err), "out of memory");
                return -1;
            }
            s->sent = a;
            s->cap = cap;
        }
    }
    r = rcl_command(s->redis, s->key, strlen(s->key), 9, argv, argl, s->err,
                    sizeof(s->err));
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        if (r != NULL) {
            snprintf(s->err, sizeof(s->err), "%s",
                     r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        }
        freeReplyObject(r);
        return -1;
    }
    e = &s->sent[s->n];
    if (fleet_id_parse(r->str, r->len, &e->id) != 0) {
        snprintf(s->err, sizeof(s->err), "XADD answered no ID");
        freeReplyObject(r);
        return -1;
    }
    freeReplyObject(r);
    e->dev = t->dev;
    e->ino = t->ino;
    e->end = end;
    e->len = len;
    s->unacked_bytes += len;
    s->n++;
    s->frames_sent++;
    s->bytes_sent += len;
    return 0;
}


/* The position a file had when the shipper last stopped. */
static void
start_file(shipper_t *s, tail_file_t *t, ship_file_t *sf)
{
    size_t  i;

    sf->started = 1;
    for (i = 0; i < s->npos; i++) {
        if (s->pos[i].dev == t->dev && s->pos[i].ino == t->ino) {
            if (s->pos[i].acked <= t->size) {
                t->off = sf->acked = sf->sent_end = s->pos[i].acked;
            } else {
                fprintf(stderr, "spoor ship: %s: shorter than its position "
                        "(%" PRIu64 "): sent from its start\n", t->name,
                        s->pos[i].acked);
            }
            return;
        }
    }
}


/* Sends the frames of t after t->off (tail_read_fn). */
static int
read_file(void *arg, tail_file_t *t, int last)
{
    shipper_t                   *s = arg;
    ship_file_t                 *sf = tail_extra(t);
    spoor_reader_t              *rd;
    spoor_frame_t                f;
    damage_hold_t                hold;
    uint64_t                     at, end;
    ssize_t                      got;
    int                          rc;

    if (!sf->started) {
        start_file(s, t, sf);
        if (t->off == t->size && !last) {
            return SPOOR_OK;
        }
    }
    if (s->redis == NULL || s->failed) {
        return SPOOR_OK;                /* read once Redis answers */
    }
    if (lseek(t->fd, (off_t) t->off, SEEK_SET) == (off_t) -1) {
        fprintf(stderr, "spoor ship: %s: %s\n", t->name, strerror(errno));
        return SPOOR_E_IO;
    }
    s->reading = t->name;
    damage_hold_start(&hold, t->off, !last, report_damage, s);
    rd = spoor_reader_open_fd(t->fd, damage_hold_damage, &hold);
    if (rd == NULL) {
        return SPOOR_E_NOMEM;
    }
    while ((rc = spoor_reader_next_frame(rd, &f)) == 1) {
        if (s->unacked_bytes >= s->o->max_uncommitted) {
            /* Redis holds enough that no reader committed: the log
             * keeps the rest until the frontier moves */
            if (!s->paused) {
                fprintf(stderr, "spoor ship: %" PRIu64 " bytes sent and not "
                        "committed by a reader (--max-uncommitted): waiting "
                        "for the follower\n", s->unacked_bytes);
            }
            s->paused = 1;
            rc = 1;                     /* not at the end: off stays */
            break;
        }
        s->paused = 0;
        damage_hold_frame(&hold, &f);
        at = hold.base + f.offset;
        end = at + f.length;
        if (f.length > s->bufcap) {
            unsigned char  *b = realloc(s->buf, f.length);

            if (b == NULL) {
                rc = SPOOR_E_NOMEM;
                break;
            }
            s->buf = b;
            s->bufcap = f.length;
        }
        got = pread(t->fd, s->buf, f.length, (off_t) at);
        if (got != (ssize_t) f.length) {
            fprintf(stderr, "spoor ship: %s: %s\n", t->name,
                    got < 0 ? strerror(errno) : "read short");
            rc = SPOOR_E_IO;
            break;
        }
        if (send_frame(s, t, f.length, end) != 0) {
            failed(s, "XADD");
            break;
        }
        t->off = sf->sent_end = end;
    }
    if (rc == 0 && !last) {
        t->off = hold.end;              /* a torn tail is read again */
    } else if (rc == 0) {
        t->off = hold.base + spoor_reader_stats(rd)->bytes;
    }
    spoor_reader_close(rd);
    return rc < 0 ? rc : SPOOR_OK;
}


/* ---- committed -------------------------------------------------------------- */

static tail_file_t *
find_file(shipper_t *s, dev_t dev, ino_t ino)
{
    size_t  i;

    for (i = 0; i < s->tail.nfiles; i++) {
        if (s->tail.files[i]->dev == dev && s->tail.files[i]->ino == ino) {
            return s->tail.files[i];
        }
    }
    return NULL;
}


/* The frames before the committed frontier are committed: each file's
 * position moves after them. */
static void
check_committed(shipper_t *s)
{
    fleet_id_t  fr;
    unsigned    groups;

    if (fleet_frontier(s->redis, s->key, &fr, &groups, s->err,
                       sizeof(s->err)) != SPOOR_OK)
    {
        failed(s, "committed frontier");
        return;
    }
    s->frontier = fr;
    s->groups = groups;
    /* the outage is over when the edge's own stream answers (a cluster
     * may answer for spoor:edges while the stream's master is down) */
    if (s->down_said) {
        fprintf(stderr, "spoor ship: Redis answers again\n");
        s->down_said = 0;
    }
    while (s->head < s->n && fleet_id_cmp(s->sent[s->head].id, fr) < 0) {
        const sent_t  *e = &s->sent[s->head++];
        tail_file_t   *t = find_file(s, e->dev, e->ino);

        if (t != NULL) {
            ship_file_t  *sf = tail_extra(t);

            if (e->end > sf->acked) {
                sf->acked = e->end;
                s->pos_dirty = 1;
            }
        }
        s->unacked_bytes -= e->len;
        s->frames_acked++;
    }
    if (s->head == s->n) {
        s->head = s->n = 0;
    }
}


/* Whether all of a settled file is committed (tail_delivered_fn). */
static int
delivered(void *arg, const tail_file_t *t)
{
    const ship_file_t  *sf = tail_extra((tail_file_t *) t);

    (void) arg;
    return sf->started && sf->acked >= sf->sent_end && t->off >= t->size;
}


/* ---- status ------------------------------------------------------------------ */

static void
write_status(shipper_t *s)
{
    json_out_t   j;
    char         id[FLEET_ID_MAX];
    size_t       i;
    uint64_t     behind = 0, unacked = 0;

    for (i = 0; i < s->tail.nfiles; i++) {
        const tail_file_t  *t = s->tail.files[i];
        const ship_file_t  *sf = tail_extra(s->tail.files[i]);

        behind += t->size > t->off ? t->size - t->off : 0;
        unacked += t->off > sf->acked ? t->off - sf->acked : 0;
    }
    if (json_out_init(&j, NULL) != 0) {
        return;
    }
    fleet_id_format(s->frontier, id);
    json_out_map_open(&j);
    json_out_cstr(&j, "edge");
    json_out_cstr(&j, s->o->edge);
    json_out_cstr(&j, "stream");
    json_out_cstr(&j, s->key);
    json_out_cstr(&j, "connected");
    json_out_bool(&j, s->redis != NULL);
    json_out_cstr(&j, "frames_sent");
    json_out_uint(&j, s->frames_sent);
    json_out_cstr(&j, "bytes_sent");
    json_out_uint(&j, s->bytes_sent);
    json_out_cstr(&j, "frames_committed");
    json_out_uint(&j, s->frames_acked);
    json_out_cstr(&j, "frames_uncommitted");
    json_out_uint(&j, s->n - s->head);
    json_out_cstr(&j, "behind_bytes");
    json_out_uint(&j, behind);
    json_out_cstr(&j, "uncommitted_bytes");
    json_out_uint(&j, unacked);
    json_out_cstr(&j, "paused");
    json_out_bool(&j, s->paused);
    json_out_cstr(&j, "readers");
    json_out_uint(&j, s->groups);
    json_out_cstr(&j, "frontier");
    json_out_cstr(&j, id);
    json_out_cstr(&j, "rewinds");
    json_out_uint(&j, s->rewinds);
    json_out_cstr(&j, "redis_errors");
    json_out_uint(&j, s->errors);
    json_out_cstr(&j, "damaged");
    json_out_uint(&j, s->damaged);
    json_out_cstr(&j, "files");
    json_out_array_open(&j);
    for (i = 0; i < s->tail.nfiles; i++) {
        const tail_file_t  *t = s->tail.files[i];
        const ship_file_t  *sf = tail_extra(s->tail.files[i]);

        json_out_map_open(&j);
        json_out_cstr(&j, "file");
        json_out_cstr(&j, t->name);
        json_out_cstr(&j, "live");
        json_out_bool(&j, t->live);
        json_out_cstr(&j, "sent");
        json_out_uint(&j, t->off);
        json_out_cstr(&j, "committed");
        json_out_uint(&j, sf->acked);
        json_out_cstr(&j, "size");
        json_out_uint(&j, t->size);
        json_out_map_close(&j);
    }
    json_out_array_close(&j);
    json_out_map_close(&j);
    cli_write_status("ship", s->o->status, &j);
    json_out_free(&j);
}


/* ---- the loop ---------------------------------------------------------------- */

int
ship_run(const ship_opts_t *o)
{
    shipper_t         s;
    struct sigaction  sa;
    int64_t           last_check = 0, now;
    int               rc = SPOOR_OK, code = EXIT_OK;
    struct timespec   nap = { 0, POLL_MS * 1000000L };

    memset(&s, 0, sizeof(s));
    s.o = o;
    s.backoff_ms = BACKOFF_MIN_MS;
    (void) fleet_stream_key(o->edge, s.key);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);

    rc = position_load(&s);
    if (rc != SPOOR_OK) {
        code = rc == SPOOR_E_FORMAT ? EXIT_DAMAGED : EXIT_IO;
        goto done;
    }
    if (tail_init(&s.tail, o->log, "ship", ".shipped", sizeof(ship_file_t))
        != SPOOR_OK)
    {
        fprintf(stderr, "spoor ship: out of memory\n");
        code = EXIT_IO;
        goto done;
    }
    fprintf(stderr, "spoor ship: shipping %s to %s on %s (edge %s)\n", o->log,
            s.key, o->redis, o->edge);

    for ( ;; ) {
        connect_redis(&s);
        rc = tail_poll(&s.tail, o->settle_ms, read_file, &s);
        if (rc != SPOOR_OK) {
            break;
        }
        now = mono_ms();
        if (s.redis != NULL && !s.failed
            && (got_stop || now - last_check >= CHECK_MS))
        {
            check_committed(&s);
        }
        if (s.redis != NULL && !s.failed && topology_changed(&s)) {
            rewind_files(&s, "the cluster redirected or reconnected");
        }
        if (s.failed) {
            s.failed = 0;
            disconnect(&s);
        }
        if (got_stop || now - last_check >= CHECK_MS) {
            last_check = now;
            if (s.pos_dirty) {
                position_save(&s);
            }
            tail_mark_done(&s.tail, delivered, &s);
            if (o->status != NULL) {
                write_status(&s);
            }
        }
        if (got_stop) {
            break;
        }
        nanosleep(&nap, NULL);
    }
    if (rc == SPOOR_E_NOMEM) {
        fprintf(stderr, "spoor ship: out of memory\n");
        code = EXIT_IO;
    } else if (rc != SPOOR_OK) {
        code = EXIT_IO;
    } else {
        fprintf(stderr, "spoor ship: stopped; %" PRIu64 " frames sent, %"
                PRIu64 " committed\n", s.frames_sent, s.frames_acked);
    }

done:
    rcl_close(s.redis);
    tail_free(&s.tail);
    free(s.sent);
    free(s.pos);
    free(s.buf);
    return code;
}
