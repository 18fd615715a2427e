/*
 * test_logio.c -- unit tests of the log writer and the log reader
 * (shared/logwriter.h, shared/logreader.h, shared/logframe.h).
 *
 * Logs are built with spoor_writer_seal() (in memory) or
 * spoor_writer_flush() (to a file), then damaged on purpose; every test
 * asserts the exact damage events and that every record of every intact
 * frame is still delivered.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include <lz4frame.h>
#include <msgpack.h>
#include "error.h"
#include "buf.h"
#include "event.h"
#include "logframe.h"
#include <xxhash.h>
#include "logwriter.h"
#include "logreader.h"

#define LIO_HOST  "test-host.example"
#define LIO_PID   4242u
#define LIO_WID   0x1122334455667788ull

/* ---- small utilities ---------------------------------------------------- */

static uint32_t
lio_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t) (*s >> 33);
}

typedef struct {
    unsigned char  *p;
    size_t          len;
    size_t          cap;
} lio_bytes_t;

static void
lio_put(lio_bytes_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    if (n) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
}

/* Garbage with no 0x18 byte, so it can hold no frame magic number. */
static void
lio_garbage(lio_bytes_t *b, size_t n, uint64_t seed)
{
    unsigned char  c;
    size_t         i;

    for (i = 0; i < n; i++) {
        c = (unsigned char) lio_rand(&seed);
        if (c == 0x18) {
            c = 0x19;
        }
        lio_put(b, &c, 1);
    }
}

/* XXH32 (libxxhash), the LZ4 frame content checksum. */
static uint32_t
lio_xxh32(const unsigned char *p, size_t len)
{
    return XXH32(p, len, 0);
}

/* ---- building logs --------------------------------------------------------- */

#define LIO_MAX_FRAMES  64

typedef struct {
    size_t          off;          /* of its metadata frame in the log */
    size_t          meta_len;
    size_t          data_len;
    uint64_t        records;
    int64_t         tmin, tmax;
    lio_bytes_t     content;      /* the records, concatenated */
    size_t          rec_end[256]; /* end offset of each record in content */
} lio_frame_t;

typedef struct {
    lio_bytes_t     log;
    lio_frame_t     f[LIO_MAX_FRAMES];
    size_t          n;
} lio_log_t;

/* One event record for frame fi, record ri. */
static void
lio_event(unsigned fi, unsigned ri, unsigned nrec, unsigned pad,
    uint64_t *seed, spoor_event_t *ev, char *name, unsigned char *props,
    size_t props_cap)
{
    msgpack_packer  pk;
    spoor_buf_t     pb;
    char            hex[1024];
    unsigned        i;

    spoor_event_init(ev);
    /* receive times out of order, frame 2 before the epoch */
    ev->received_ms = (fi == 2 ? -5000000LL : 1700000000000LL)
                      + (int64_t) fi * 100000
                      + (int64_t) (((ri + 3) * 7) % nrec) * 10;
    ev->kind = (spoor_kind_t) (1 + (fi + ri) % (SPOOR_KIND_MAX - 1));
    snprintf(name, 32, "f%u-r%u", fi, ri);
    ev->name = (spoor_str_t) { name, strlen(name) };
    for (i = 0; i < pad && i < sizeof(hex); i++) {
        hex[i] = "0123456789abcdef"[lio_rand(seed) & 15];
    }
    spoor_buf_init(&pb, props, props_cap);
    msgpack_packer_init(&pk, &pb, spoor_buf_msgpack_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "i", 1);
    msgpack_pack_uint32(&pk, ri);
    msgpack_pack_str(&pk, 3);
    msgpack_pack_str_body(&pk, "pad", 3);
    msgpack_pack_str(&pk, i);
    cr_assert_eq(msgpack_pack_str_body(&pk, hex, i), 0);
    ev->properties.raw = props;
    ev->properties.raw_len = pb.len;
}

static spoor_writer_t *
lio_writer(size_t buffer_size, uint64_t wid)
{
    spoor_writer_conf_t  c;
    spoor_writer_t      *w;

    memset(&c, 0, sizeof(c));
    c.buffer_size = buffer_size;
    c.host = LIO_HOST;
    c.pid = LIO_PID;
    c.writer_id = wid;
    w = spoor_writer_create(&c);
    cr_assert_not_null(w, "writer_create: %s", strerror(errno));
    return w;
}

/*
 * Appends nframes frames of nrec event records each to log (sealed in
 * memory), remembering every frame's layout and content.
 */
static void
lio_build_into(lio_log_t *log, spoor_writer_t *w, unsigned nframes,
    unsigned nrec, unsigned pad, uint64_t seed)
{
    spoor_event_t         ev;
    spoor_buf_t           b;
    unsigned char         rec[4096], props[2048];
    char                  name[32];
    const unsigned char  *frame;
    size_t                len;
    unsigned              fi, ri;
    lio_frame_t          *f;

    cr_assert_leq(nrec, 256);
    for (fi = 0; fi < nframes; fi++) {
        cr_assert_lt(log->n, LIO_MAX_FRAMES);
        f = &log->f[log->n];
        memset(f, 0, sizeof(*f));
        for (ri = 0; ri < nrec; ri++) {
            lio_event((unsigned) log->n, ri, nrec, pad, &seed, &ev, name,
                      props, sizeof(props));
            spoor_buf_init(&b, rec, sizeof(rec));
            cr_assert_eq(spoor_event_encode(&ev, &b), SPOOR_OK);
            lio_put(&f->content, rec, b.len);
            f->rec_end[ri] = f->content.len;
            cr_assert_eq(spoor_writer_append(w, &ev), SPOOR_OK,
                         "frame %u record %u", fi, ri);
            if (ri == 0 || ev.received_ms < f->tmin) {
                f->tmin = ev.received_ms;
            }
            if (ri == 0 || ev.received_ms > f->tmax) {
                f->tmax = ev.received_ms;
            }
        }
        f->records = nrec;
        cr_assert_eq(spoor_writer_pending(w), nrec);
        cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
        cr_assert_eq(spoor_writer_pending(w), 0);
        cr_assert_gt(len, SPOOR_META_HEADER);
        cr_assert_eq(spoor_le32(frame), SPOOR_META_MAGIC);
        f->off = log->log.len;
        f->meta_len = SPOOR_META_HEADER + spoor_le32(frame + 4);
        f->data_len = len - f->meta_len;
        cr_assert_eq(spoor_le32(frame + f->meta_len), SPOOR_LZ4_MAGIC);
        lio_put(&log->log, frame, len);
        log->n++;
    }
}

static void
lio_build(lio_log_t *log, unsigned nframes, unsigned nrec, unsigned pad)
{
    spoor_writer_t  *w;

    memset(log, 0, sizeof(*log));
    w = lio_writer(1 << 17, LIO_WID);
    lio_build_into(log, w, nframes, nrec, pad, 0xfeed);
    spoor_writer_destroy(w);
}

static void
lio_log_free(lio_log_t *log)
{
    size_t  i;

    for (i = 0; i < log->n; i++) {
        free(log->f[i].content.p);
    }
    free(log->log.p);
}

/* ---- reading ------------------------------------------------------------------ */

#define LIO_MAX_DMG  64

typedef struct {
    int                    has_meta;
    spoor_frame_meta_t     meta;
    uint64_t               offset;
    uint64_t               length;
    uint32_t               checksum;
    lio_bytes_t            content;
    uint64_t               records;
    uint64_t               iterated;      /* via spoor_frame_next_record */
    size_t                 iter_end;
} lio_gotf_t;

typedef struct {
    lio_gotf_t             f[LIO_MAX_FRAMES * 2];
    size_t                 n;
    spoor_damage_t         d[LIO_MAX_DMG];
    size_t                 nd;
    spoor_reader_stats_t   stats;
} lio_got_t;

static void
lio_on_damage(void *arg, const spoor_damage_t *d)
{
    lio_got_t  *g = arg;

    cr_assert_lt(g->nd, LIO_MAX_DMG, "too many damage events");
    cr_assert_not_null(d->detail);
    g->d[g->nd++] = *d;
}

static void
lio_drain(spoor_reader_t *r, lio_got_t *g)
{
    spoor_frame_t         fr;
    const unsigned char  *rec;
    size_t                off, len, prev;
    lio_gotf_t           *f;
    int                   rc;

    for ( ;; ) {
        rc = spoor_reader_next_frame(r, &fr);
        cr_assert(rc == 0 || rc == 1, "next_frame rc %d", rc);
        if (rc == 0) {
            break;
        }
        cr_assert_lt(g->n, LIO_MAX_FRAMES * 2);
        f = &g->f[g->n++];
        memset(f, 0, sizeof(*f));
        f->has_meta = fr.has_meta;
        f->meta = fr.meta;
        f->offset = fr.offset;
        f->length = fr.length;
        f->checksum = fr.checksum;
        cr_assert_eq(fr.records, 0, "records are counted by the walk");
        lio_put(&f->content, fr.content, fr.content_len);
        off = 0;
        prev = 0;
        while (spoor_frame_next_record(r, &fr, &rec, &len) == 1) {
            cr_assert_eq(rec, fr.content + prev);
            cr_assert_gt(len, 0);
            prev += len;
            off = prev;
            f->iterated++;
            cr_assert_eq(fr.records, f->iterated);
        }
        f->iter_end = off;
        f->records = fr.records;
        /* the walk is over: nothing more, and the count stays */
        cr_assert_eq(spoor_frame_next_record(r, &fr, &rec, &len), 0);
        cr_assert_eq(spoor_frame_finish(r, &fr), f->records);
    }
    /* the end is sticky */
    cr_assert_eq(spoor_reader_next_frame(r, &fr), 0);
    g->stats = *spoor_reader_stats(r);
    spoor_reader_close(r);
}

static lio_got_t *
lio_read_mem(const void *p, size_t len)
{
    lio_got_t       *g = calloc(1, sizeof(*g));
    spoor_reader_t  *r;

    cr_assert_not_null(g);
    r = spoor_reader_open_mem(p, len, lio_on_damage, g);
    cr_assert_not_null(r);
    lio_drain(r, g);
    return g;
}

static lio_got_t *
lio_read_fd(int fd)
{
    lio_got_t       *g = calloc(1, sizeof(*g));
    spoor_reader_t  *r;

    cr_assert_not_null(g);
    r = spoor_reader_open_fd(fd, lio_on_damage, g);
    cr_assert_not_null(r);
    lio_drain(r, g);
    return g;
}

static void
lio_got_free(lio_got_t *g)
{
    size_t  i;

    for (i = 0; i < g->n; i++) {
        free(g->f[i].content.p);
    }
    free(g);
}

/* A temporary file holding p[0 .. len), positioned at 0, already unlinked
 * unless path is given (then the caller unlinks it). */
static int
lio_tmpfile(const void *p, size_t len, char *path)
{
    char  tmpl[] = "/tmp/spoor-test-XXXXXX";
    int   fd = mkstemp(tmpl);

    cr_assert_geq(fd, 0);
    if (path) {
        strcpy(path, tmpl);
    } else {
        unlink(tmpl);
    }
    cr_assert_eq(write(fd, p, len), (ssize_t) len);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* Reads log bytes both from memory and through a file; each check runs
 * on both results. */
typedef void (*lio_check_fn)(const lio_got_t *g, const void *arg);

static void
lio_read_both(const void *p, size_t len, lio_check_fn check, const void *arg)
{
    lio_got_t  *g;
    int         fd;

    g = lio_read_mem(p, len);
    check(g, arg);
    lio_got_free(g);

    fd = lio_tmpfile(p, len, NULL);
    g = lio_read_fd(fd);
    close(fd);
    check(g, arg);
    cr_assert_eq(g->stats.bytes, len);
    lio_got_free(g);
}

/* ---- frame checks ------------------------------------------------------------- */

/* got frame gi is expected frame fi, found at input offset `off` (of its
 * metadata when has_meta, of its data frame otherwise). */
static void
lio_frame_is(const lio_got_t *g, size_t gi, const lio_log_t *log, size_t fi,
    uint64_t off, int has_meta)
{
    const lio_gotf_t   *f = &g->f[gi];
    const lio_frame_t  *e = &log->f[fi];

    cr_assert_lt(gi, g->n, "frame %zu missing (%zu delivered)", gi, g->n);
    cr_assert_eq(f->has_meta, has_meta, "frame %zu: has_meta %d", gi,
                 f->has_meta);
    cr_assert_eq(f->offset, off, "frame %zu: offset %llu, expected %llu", gi,
                 (unsigned long long) f->offset, (unsigned long long) off);
    cr_assert_eq(f->length, has_meta ? e->meta_len + e->data_len : e->data_len,
                 "frame %zu: length %llu", gi,
                 (unsigned long long) f->length);
    cr_assert_eq(f->content.len, e->content.len, "frame %zu: content %zu/%zu",
                 gi, f->content.len, e->content.len);
    cr_assert_eq(memcmp(f->content.p, e->content.p, e->content.len), 0,
                 "frame %zu: content differs", gi);
    cr_assert_eq(f->records, e->records, "frame %zu: records %llu", gi,
                 (unsigned long long) f->records);
    cr_assert_eq(f->iterated, e->records, "frame %zu: iterated %llu", gi,
                 (unsigned long long) f->iterated);
    cr_assert_eq(f->iter_end, e->content.len);
    cr_assert_eq(f->checksum, lio_xxh32(e->content.p, e->content.len),
                 "frame %zu: checksum %08x", gi, f->checksum);
    if (has_meta) {
        cr_assert_eq(f->meta.version, SPOOR_FORMAT_VERSION);
        cr_assert_str_eq(f->meta.host, LIO_HOST);
        cr_assert_eq(f->meta.pid, LIO_PID);
        cr_assert_eq(f->meta.writer_id, LIO_WID);
        cr_assert_eq(f->meta.seq, fi, "frame %zu: seq %llu", gi,
                     (unsigned long long) f->meta.seq);
        cr_assert_eq(f->meta.records, e->records);
        cr_assert_eq(f->meta.time_first, e->tmin, "frame %zu: t0 %lld/%lld",
                     gi, (long long) f->meta.time_first, (long long) e->tmin);
        cr_assert_eq(f->meta.time_last, e->tmax, "frame %zu: t1 %lld/%lld",
                     gi, (long long) f->meta.time_last, (long long) e->tmax);
        cr_assert_eq(f->meta.frame_bytes, e->data_len);
        cr_assert_eq(f->meta.content_bytes, e->content.len);
    }
}

static void
lio_damage_is(const lio_got_t *g, size_t di, spoor_damage_kind_t kind,
    uint64_t off, uint64_t bytes, int has_meta, uint64_t seq,
    uint64_t records_lost)
{
    const spoor_damage_t  *d = &g->d[di];

    cr_assert_lt(di, g->nd, "damage event %zu missing (%zu reported)", di,
                 g->nd);
    cr_assert_eq(d->kind, kind, "damage %zu: kind %d (%s), expected %d (%s)",
                 di, d->kind, spoor_damage_name(d->kind), kind,
                 spoor_damage_name(kind));
    cr_assert_eq(d->offset, off, "damage %zu: offset %llu, expected %llu", di,
                 (unsigned long long) d->offset, (unsigned long long) off);
    cr_assert_eq(d->bytes, bytes, "damage %zu: bytes %llu, expected %llu", di,
                 (unsigned long long) d->bytes, (unsigned long long) bytes);
    cr_assert_eq(d->has_meta, has_meta, "damage %zu: has_meta %d", di,
                 d->has_meta);
    if (has_meta) {
        cr_assert_eq(d->meta.seq, seq, "damage %zu: seq %llu, expected %llu",
                     di, (unsigned long long) d->meta.seq,
                     (unsigned long long) seq);
        cr_assert_eq(d->meta.writer_id, LIO_WID);
        cr_assert_eq(d->meta.records, records_lost);
    }
    if (has_meta || kind == SPOOR_DAMAGE_BAD_RECORD) {
        cr_assert_eq(d->records_lost, records_lost,
                     "damage %zu: records_lost %llu, expected %llu", di,
                     (unsigned long long) d->records_lost,
                     (unsigned long long) records_lost);
    }
}

/* every frame of the log delivered, at offsets shifted by `shift` from
 * frame `from` on */
static void
lio_all_frames(const lio_got_t *g, const lio_log_t *log, size_t from,
    int64_t shift)
{
    size_t  i;

    cr_assert_eq(g->n, log->n, "%zu frames delivered, expected %zu", g->n,
                 log->n);
    for (i = 0; i < log->n; i++) {
        lio_frame_is(g, i, log, i,
                     (uint64_t) ((int64_t) log->f[i].off
                                 + (i >= from ? shift : 0)), 1);
    }
}

/* stats agree with what was delivered and reported */
static void
lio_stats_agree(const lio_got_t *g)
{
    uint64_t  records = 0, skipped = 0;
    size_t    i;

    for (i = 0; i < g->n; i++) {
        records += g->f[i].records;
    }
    for (i = 0; i < g->nd; i++) {
        skipped += g->d[i].bytes;
    }
    cr_assert_eq(g->stats.frames, g->n);
    cr_assert_eq(g->stats.records, records);
    cr_assert_eq(g->stats.damage_events, g->nd);
    cr_assert_eq(g->stats.bytes_skipped, skipped);
}

/* ---- writer --------------------------------------------------------------------- */

Test(logwriter, buffer_size_out_of_range_is_einval)
{
    static const size_t  bad[] = {
        0, 1, 63, SPOOR_FRAME_CONTENT_MAX + 1, (size_t) 1 << 40, SIZE_MAX
    };
    spoor_writer_conf_t  c;
    spoor_writer_t      *w;
    size_t               i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&c, 0, sizeof(c));
        c.buffer_size = bad[i];
        errno = 0;
        w = spoor_writer_create(&c);
        cr_assert_null(w, "buffer_size %zu accepted", bad[i]);
        cr_assert_eq(errno, EINVAL, "buffer_size %zu: errno %d", bad[i],
                     errno);
    }
    c.buffer_size = 64;
    w = spoor_writer_create(&c);
    cr_assert_not_null(w);
    spoor_writer_destroy(w);
    c.buffer_size = SPOOR_FRAME_CONTENT_MAX;
    w = spoor_writer_create(&c);
    cr_assert_not_null(w);
    spoor_writer_destroy(w);
    spoor_writer_destroy(NULL);
}

Test(logwriter, defaults_fill_host_pid_and_a_random_writer_id)
{
    spoor_writer_conf_t   c;
    spoor_writer_t       *w1, *w2;
    const unsigned char  *frame;
    size_t                len;
    spoor_frame_meta_t    m1, m2;
    char                  host[SPOOR_HOST_MAX + 1];

    memset(&c, 0, sizeof(c));
    c.buffer_size = 1024;
    w1 = spoor_writer_create(&c);
    w2 = spoor_writer_create(&c);
    cr_assert_not_null(w1);
    cr_assert_not_null(w2);
    cr_assert_eq(spoor_writer_append_raw(w1, "\xc0", 1, 5), SPOOR_OK);
    cr_assert_eq(spoor_writer_seal(w1, &frame, &len), SPOOR_OK);
    cr_assert_eq(spoor_meta_decode(frame + SPOOR_META_HEADER,
                                   spoor_le32(frame + 4), &m1), SPOOR_OK);
    cr_assert_eq(spoor_writer_append_raw(w2, "\xc0", 1, 5), SPOOR_OK);
    cr_assert_eq(spoor_writer_seal(w2, &frame, &len), SPOOR_OK);
    cr_assert_eq(spoor_meta_decode(frame + SPOOR_META_HEADER,
                                   spoor_le32(frame + 4), &m2), SPOOR_OK);

    memset(host, 0, sizeof(host));
    cr_assert_eq(gethostname(host, SPOOR_HOST_MAX), 0);
    cr_assert_str_eq(m1.host, host);
    cr_assert_eq(m1.pid, (uint64_t) getpid());
    cr_assert_neq(m1.writer_id, 0);
    cr_assert_neq(m2.writer_id, 0);
    cr_assert_neq(m1.writer_id, m2.writer_id);
    cr_assert_eq(m1.seq, 0);
    cr_assert_eq(m1.records, 1);
    cr_assert_eq(m1.time_first, 5);
    cr_assert_eq(m1.time_last, 5);
    spoor_writer_destroy(w1);
    spoor_writer_destroy(w2);
}

Test(logwriter, empty_writer_seals_and_flushes_nothing)
{
    spoor_writer_t       *w = lio_writer(4096, LIO_WID);
    const unsigned char  *frame = (const unsigned char *) "x";
    size_t                len = 99;
    struct stat           st;
    int                   fd;
    lio_got_t            *g;

    cr_assert_eq(spoor_writer_pending(w), 0);
    cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
    cr_assert_eq(len, 0);
    cr_assert_null(frame);

    fd = lio_tmpfile("", 0, NULL);
    cr_assert_eq(spoor_writer_flush(w, fd), SPOOR_OK);
    cr_assert_eq(fstat(fd, &st), 0);
    cr_assert_eq(st.st_size, 0);
    cr_assert_eq(spoor_writer_stats(w)->frames_written, 0);
    cr_assert_eq(spoor_writer_stats(w)->bytes_written, 0);

    /* no sequence number was used */
    cr_assert_eq(spoor_writer_append_raw(w, "\x01", 1, 7), SPOOR_OK);
    cr_assert_eq(spoor_writer_flush(w, fd), SPOOR_OK);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    g = lio_read_fd(fd);
    cr_assert_eq(g->n, 1);
    cr_assert_eq(g->f[0].meta.seq, 0);
    cr_assert_eq(g->f[0].records, 1);
    cr_assert_eq(g->nd, 0);
    lio_got_free(g);
    close(fd);
    spoor_writer_destroy(w);
}

Test(logwriter, full_then_flush_then_append_works)
{
    spoor_writer_t  *w = lio_writer(256, LIO_WID);
    spoor_event_t    ev;
    lio_got_t       *g;
    size_t           n = 0, total = 0;
    int              fd, rc, rounds;

    spoor_event_init(&ev);
    ev.kind = SPOOR_KIND_TRACK;
    ev.name = (spoor_str_t) { "twenty-byte-name....", 20 };
    fd = lio_tmpfile("", 0, NULL);

    for (rounds = 0; rounds < 3; rounds++) {
        n = 0;
        for ( ;; ) {
            ev.received_ms = (int64_t) total;
            rc = spoor_writer_append(w, &ev);
            if (rc != SPOOR_OK) {
                break;
            }
            n++;
            total++;
        }
        cr_assert_eq(rc, SPOOR_E_FULL, "rc %d", rc);
        cr_assert_gt(n, 1);
        cr_assert_eq(spoor_writer_pending(w), n, "FULL buffered something");
        cr_assert_eq(spoor_writer_flush(w, fd), SPOOR_OK);
        cr_assert_eq(spoor_writer_pending(w), 0);
    }
    /* the record refused with FULL goes in after the flush */
    cr_assert_eq(spoor_writer_append(w, &ev), SPOOR_OK);
    total++;
    cr_assert_eq(spoor_writer_flush(w, fd), SPOOR_OK);

    cr_assert_eq(spoor_writer_stats(w)->frames_written, 4);
    cr_assert_eq(spoor_writer_stats(w)->records_written, total);
    cr_assert_eq(spoor_writer_stats(w)->frames_dropped, 0);
    cr_assert_eq(spoor_writer_stats(w)->bytes_written,
                 (uint64_t) lseek(fd, 0, SEEK_END));

    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    g = lio_read_fd(fd);
    cr_assert_eq(g->n, 4);
    cr_assert_eq(g->nd, 0);
    cr_assert_eq(g->stats.records, total);
    cr_assert_eq(g->f[0].meta.seq, 0);
    cr_assert_eq(g->f[3].meta.seq, 3);
    cr_assert_eq(g->f[3].records, 1);
    cr_assert_eq(g->f[3].meta.time_first, (int64_t) total - 1);
    lio_got_free(g);
    close(fd);
    spoor_writer_destroy(w);
}

Test(logwriter, record_bigger_than_the_buffer_is_toobig)
{
    spoor_writer_t       *w = lio_writer(64, LIO_WID);
    spoor_event_t         ev;
    char                  big[100];
    unsigned char         raw[65];
    const unsigned char  *frame;
    size_t                len;
    int                   rc;

    memset(big, 'x', sizeof(big));
    memset(raw, 0xc0, sizeof(raw));
    spoor_event_init(&ev);
    ev.kind = SPOOR_KIND_PAGE;
    ev.name = (spoor_str_t) { big, sizeof(big) };

    cr_assert_eq(spoor_writer_append(w, &ev), SPOOR_E_TOOBIG);
    cr_assert_eq(spoor_writer_pending(w), 0);
    cr_assert_eq(spoor_writer_append_raw(w, raw, 65, 0), SPOOR_E_TOOBIG);
    cr_assert_eq(spoor_writer_pending(w), 0);
    cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
    cr_assert_eq(len, 0, "a refused record was buffered");

    /* with records buffered: never accepted; TOOBIG once the buffer is empty */
    cr_assert_eq(spoor_writer_append_raw(w, raw, 10, 0), SPOOR_OK);
    rc = spoor_writer_append(w, &ev);
    cr_assert(rc == SPOOR_E_FULL || rc == SPOOR_E_TOOBIG, "rc %d", rc);
    cr_assert_eq(spoor_writer_append_raw(w, raw, 65, 0), SPOOR_E_TOOBIG);
    cr_assert_eq(spoor_writer_pending(w), 1);
    cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
    cr_assert_gt(len, 0);
    cr_assert_eq(spoor_writer_append(w, &ev), SPOOR_E_TOOBIG);

    /* exactly the buffer size fits */
    cr_assert_eq(spoor_writer_append_raw(w, raw, 64, 0), SPOOR_OK);
    cr_assert_eq(spoor_writer_append_raw(w, raw, 1, 0), SPOOR_E_FULL);
    cr_assert_eq(spoor_writer_pending(w), 1);
    spoor_writer_destroy(w);
}

Test(logwriter, encoder_errors_buffer_nothing)
{
    spoor_writer_t       *w = lio_writer(1024, LIO_WID);
    spoor_event_t         ev;
    const unsigned char  *frame;
    size_t                len;

    spoor_event_init(&ev);
    cr_assert_eq(spoor_writer_append(w, &ev), SPOOR_E_INVAL);
    ev.kind = SPOOR_KIND_PAGE;
    ev.ip_len = 5;
    cr_assert_eq(spoor_writer_append(w, &ev), SPOOR_E_INVAL);
    ev.ip_len = 0;
    ev.properties.raw = (const unsigned char *) "\x92\x01";
    ev.properties.raw_len = 2;
    cr_assert_eq(spoor_writer_append(w, &ev), SPOOR_E_FORMAT);
    cr_assert_eq(spoor_writer_pending(w), 0);
    cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
    cr_assert_eq(len, 0);
    spoor_writer_destroy(w);
}

Test(logwriter, failed_write_is_counted_and_uses_a_sequence_number)
{
    spoor_writer_t  *w = lio_writer(1024, LIO_WID);
    int              p[2], fd;
    lio_got_t       *g;

    cr_assert_eq(pipe(p), 0);
    close(p[1]);                  /* writing to a closed fd: EBADF */
    cr_assert_eq(spoor_writer_append_raw(w, "\x01\x02", 2, 1), SPOOR_OK);
    errno = 0;
    cr_assert_eq(spoor_writer_flush(w, p[1]), SPOOR_E_IO);
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(spoor_writer_pending(w), 0);
    cr_assert_eq(spoor_writer_stats(w)->frames_dropped, 1);
    cr_assert_eq(spoor_writer_stats(w)->records_dropped, 1);
    cr_assert_eq(spoor_writer_stats(w)->frames_written, 0);
    close(p[0]);

    fd = lio_tmpfile("", 0, NULL);
    cr_assert_eq(spoor_writer_append_raw(w, "\x03", 1, 1), SPOOR_OK);
    cr_assert_eq(spoor_writer_flush(w, fd), SPOOR_OK);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    g = lio_read_fd(fd);
    cr_assert_eq(g->n, 1);
    cr_assert_eq(g->f[0].meta.seq, 1, "the lost frame left no gap");
    lio_got_free(g);
    close(fd);
    spoor_writer_destroy(w);
}

Test(logwriter, short_write_is_an_io_error_and_leaves_a_truncated_frame)
{
    spoor_writer_t  *w = lio_writer(1 << 16, LIO_WID);
    unsigned char    rec[20000], buf[1 << 16];
    uint64_t         seed = 5;
    int              p[2];
    size_t           i;
    ssize_t          n;
    lio_got_t       *g;

    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    cr_assert_geq(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
    n = fcntl(p[1], F_GETPIPE_SZ);
    cr_assert_lt(n, 20000);

    rec[0] = 0xc5;                          /* bin16, incompressible */
    rec[1] = (unsigned char) ((sizeof(rec) - 3) >> 8);
    rec[2] = (unsigned char) (sizeof(rec) - 3);
    for (i = 3; i < sizeof(rec); i++) {
        rec[i] = (unsigned char) lio_rand(&seed);
    }
    cr_assert_eq(spoor_writer_append_raw(w, rec, sizeof(rec), 1), SPOOR_OK);
    errno = 0;
    cr_assert_eq(spoor_writer_flush(w, p[1]), SPOOR_E_IO);
    cr_assert_eq(errno, EIO, "errno %d", errno);
    cr_assert_eq(spoor_writer_stats(w)->frames_dropped, 1);
    cr_assert_eq(spoor_writer_stats(w)->records_dropped, 1);
    cr_assert_eq(spoor_writer_stats(w)->frames_written, 0);
    cr_assert_eq(spoor_writer_pending(w), 0);
    close(p[1]);

    /* what got through is one truncated frame, named by its metadata */
    n = read(p[0], buf, sizeof(buf));
    cr_assert_gt(n, 0);
    close(p[0]);
    g = lio_read_mem(buf, (size_t) n);
    cr_assert_eq(g->n, 0);
    cr_assert_eq(g->nd, 1);
    cr_assert_eq(g->d[0].kind, SPOOR_DAMAGE_TRUNCATED);
    cr_assert_eq(g->d[0].offset, 0);
    cr_assert_eq(g->d[0].bytes, (uint64_t) n);
    cr_assert_eq(g->d[0].has_meta, 1);
    cr_assert_eq(g->d[0].meta.seq, 0);
    cr_assert_eq(g->d[0].records_lost, 1);
    lio_got_free(g);
    spoor_writer_destroy(w);
}

Test(logwriter, host_name_is_cut_to_the_limit)
{
    spoor_writer_conf_t   c;
    spoor_writer_t       *w;
    char                  host[400];
    const unsigned char  *frame;
    size_t                len;
    spoor_frame_meta_t    m;

    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    memset(&c, 0, sizeof(c));
    c.buffer_size = 64;
    c.host = host;
    c.pid = 1;
    c.writer_id = 2;
    w = spoor_writer_create(&c);
    cr_assert_not_null(w);
    cr_assert_eq(spoor_writer_append_raw(w, "\xc0", 1, 0), SPOOR_OK);
    cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
    cr_assert_eq(spoor_meta_decode(frame + SPOOR_META_HEADER,
                                   spoor_le32(frame + 4), &m), SPOOR_OK);
    cr_assert_eq(strlen(m.host), SPOOR_HOST_MAX);
    cr_assert_eq(memcmp(m.host, host, SPOOR_HOST_MAX), 0);
    cr_assert_eq(m.pid, 1);
    cr_assert_eq(m.writer_id, 2);
    spoor_writer_destroy(w);
}

Test(logreader, read_error_is_reported_as_io_error)
{
    spoor_reader_t  *r;
    spoor_frame_t    f;
    int              fd = open("/tmp", O_RDONLY | O_DIRECTORY);

    cr_assert_geq(fd, 0);
    r = spoor_reader_open_fd(fd, NULL, NULL);
    cr_assert_not_null(r);
    errno = 0;
    cr_assert_eq(spoor_reader_next_frame(r, &f), SPOOR_E_IO);
    cr_assert_eq(errno, EISDIR);
    spoor_reader_close(r);
    close(fd);
}

/* ---- clean round trips ------------------------------------------------------------ */

static void
lio_check_clean(const lio_got_t *g, const void *arg)
{
    const lio_log_t  *log = arg;

    lio_all_frames(g, log, 0, 0);
    cr_assert_eq(g->nd, 0, "%zu damage events", g->nd);
    cr_assert_eq(g->stats.frames_damaged, 0);
    cr_assert_eq(g->stats.records_lost, 0);
    cr_assert_eq(g->stats.bytes_skipped, 0);
    cr_assert_eq(g->stats.truncated, 0);
    cr_assert_eq(g->stats.bytes, log->log.len);
    lio_stats_agree(g);
}

Test(logreader, sealed_frames_round_trip_with_metadata_and_checksum)
{
    lio_log_t  log;

    lio_build(&log, 6, 25, 48);
    lio_read_both(log.log.p, log.log.len, lio_check_clean, &log);
    lio_log_free(&log);
}

Test(logreader, single_record_frames_round_trip)
{
    lio_log_t  log;

    lio_build(&log, 5, 1, 0);
    lio_read_both(log.log.p, log.log.len, lio_check_clean, &log);
    lio_log_free(&log);
}

Test(logreader, delivered_records_decode_to_the_written_events)
{
    lio_log_t       log;
    lio_got_t      *g;
    spoor_event_t   ev;
    msgpack_zone    zone;
    char            name[32];
    size_t          fi, ri, start;

    lio_build(&log, 3, 10, 16);
    g = lio_read_mem(log.log.p, log.log.len);
    cr_assert_eq(g->n, 3);
    msgpack_zone_init(&zone, 4096);
    for (fi = 0; fi < 3; fi++) {
        start = 0;
        for (ri = 0; ri < 10; ri++) {
            cr_assert_eq(spoor_event_decode(g->f[fi].content.p + start,
                                            log.f[fi].rec_end[ri] - start, &ev), SPOOR_OK);
            snprintf(name, sizeof(name), "f%zu-r%zu", fi, ri);
            cr_assert_eq(ev.name.len, strlen(name));
            cr_assert_eq(memcmp(ev.name.data, name, ev.name.len), 0);
            start = log.f[fi].rec_end[ri];
        }
    }
    msgpack_zone_destroy(&zone);
    lio_got_free(g);
    lio_log_free(&log);
}

Test(logreader, flushed_file_round_trips)
{
    spoor_writer_t  *w = lio_writer(1 << 16, LIO_WID);
    lio_log_t        log;
    lio_bytes_t      file = { 0 };
    lio_got_t       *g;
    int              fd;
    size_t           i;
    ssize_t          n;
    unsigned char    buf[65536];

    /* the same frames sealed in memory and flushed to a file */
    memset(&log, 0, sizeof(log));
    fd = lio_tmpfile("", 0, NULL);
    lio_build_into(&log, w, 5, 30, 40, 0xabc);
    spoor_writer_destroy(w);

    /* rebuild with flush: same writer parameters, same records */
    w = lio_writer(1 << 16, LIO_WID);
    for (i = 0; i < log.n; i++) {
        size_t  start = 0, ri;

        for (ri = 0; ri < log.f[i].records; ri++) {
            cr_assert_eq(spoor_writer_append_raw(w, log.f[i].content.p + start,
                                                 log.f[i].rec_end[ri] - start,
                                                 ri == 0 ? log.f[i].tmin
                                                         : log.f[i].tmax),
                         SPOOR_OK);
            start = log.f[i].rec_end[ri];
        }
        cr_assert_eq(spoor_writer_flush(w, fd), SPOOR_OK);
    }
    cr_assert_eq(spoor_writer_stats(w)->frames_written, 5);
    cr_assert_eq(spoor_writer_stats(w)->records_written, 150);
    cr_assert_eq(spoor_writer_stats(w)->bytes_written, log.log.len);

    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        lio_put(&file, buf, (size_t) n);
    }
    cr_assert_eq(file.len, log.log.len);
    cr_assert_eq(memcmp(file.p, log.log.p, file.len), 0,
                 "flush wrote other bytes than seal");

    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    g = lio_read_fd(fd);
    lio_check_clean(g, &log);
    lio_got_free(g);
    close(fd);
    free(file.p);
    spoor_writer_destroy(w);
    lio_log_free(&log);
}

Test(logreader, interleaved_writers_on_one_file_keep_their_sequences)
{
    spoor_writer_t  *a = lio_writer(4096, 0xaaaa);
    spoor_writer_t  *b = lio_writer(4096, 0xbbbb);
    lio_got_t       *g;
    int              fd, i;
    uint64_t         na = 0, nb = 0;
    size_t           k;

    fd = lio_tmpfile("", 0, NULL);
    cr_assert_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
    for (i = 0; i < 10; i++) {
        spoor_writer_t  *w = (i % 3 == 0) ? b : a;

        cr_assert_eq(spoor_writer_append_raw(w, "\x93\x01\x02\x03", 4, i),
                     SPOOR_OK);
        cr_assert_eq(spoor_writer_flush(w, fd), SPOOR_OK);
    }
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    g = lio_read_fd(fd);
    cr_assert_eq(g->n, 10);
    cr_assert_eq(g->nd, 0);
    for (k = 0; k < g->n; k++) {
        if (g->f[k].meta.writer_id == 0xaaaa) {
            cr_assert_eq(g->f[k].meta.seq, na++);
        } else {
            cr_assert_eq(g->f[k].meta.writer_id, 0xbbbb);
            cr_assert_eq(g->f[k].meta.seq, nb++);
        }
        cr_assert_eq(g->f[k].meta.time_first, (int64_t) k);
    }
    cr_assert_eq(na, 6);
    cr_assert_eq(nb, 4);
    lio_got_free(g);
    close(fd);
    spoor_writer_destroy(a);
    spoor_writer_destroy(b);
}

/* ---- inputs that are not logs ---------------------------------------------------- */

static void
lio_check_nothing(const lio_got_t *g, const void *arg)
{
    (void) arg;
    cr_assert_eq(g->n, 0);
    cr_assert_eq(g->nd, 0);
    cr_assert_eq(g->stats.bytes, 0);
    cr_assert_eq(g->stats.truncated, 0);
}

Test(logreader, zero_length_input_has_no_frames_and_no_damage)
{
    lio_read_both("", 0, lio_check_nothing, NULL);
}

static void
lio_check_all_garbage(const lio_got_t *g, const void *arg)
{
    const lio_bytes_t  *b = arg;

    cr_assert_eq(g->n, 0, "%zu frames found in garbage", g->n);
    cr_assert_eq(g->nd, 1, "%zu damage events", g->nd);
    lio_damage_is(g, 0, SPOOR_DAMAGE_GARBAGE, 0, b->len, 0, 0, 0);
    cr_assert_eq(g->stats.truncated, 0);
    cr_assert_eq(g->stats.frames_damaged, 0);
    cr_assert_eq(g->stats.bytes_skipped, b->len);
    lio_stats_agree(g);
}

Test(logreader, random_bytes_are_one_garbage_stretch)
{
    static const size_t  sizes[] = { 4, 5, 8, 100, 10000, 300000 };
    lio_bytes_t          b;
    size_t               i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(&b, 0, sizeof(b));
        lio_garbage(&b, sizes[i], 0x1000 + i);
        lio_read_both(b.p, b.len, lio_check_all_garbage, &b);
        free(b.p);
    }
}

Test(logreader, a_text_file_is_one_garbage_stretch)
{
    static const char  line[] =
        "2024-01-01T00:00:00Z GET /index.html 200 \"Mozilla/5.0\"\n";
    lio_bytes_t        b = { 0 };
    int                i;

    for (i = 0; i < 200; i++) {
        lio_put(&b, line, sizeof(line) - 1);
    }
    lio_read_both(b.p, b.len, lio_check_all_garbage, &b);
    free(b.p);
}

/* A 1-3 byte input (or tail) that cannot begin a magic number is not a
 * truncated frame. */
Test(logreader, tiny_non_log_inputs_are_garbage_not_truncation)
{
    static const char *const tiny[] = { "x", "hi", "ok\n" };
    lio_bytes_t  b;
    size_t       i;

    for (i = 0; i < sizeof(tiny) / sizeof(tiny[0]); i++) {
        b.p = (unsigned char *) tiny[i];
        b.len = strlen(tiny[i]);
        lio_read_both(b.p, b.len, lio_check_all_garbage, &b);
    }
}

/* ---- truncation ------------------------------------------------------------------ */

typedef struct {
    const lio_log_t  *log;
    size_t            cut;
    int               has_meta;     /* the damage names the last frame */
} lio_cut_t;

static void
lio_check_cut(const lio_got_t *g, const void *arg)
{
    const lio_cut_t    *c = arg;
    const lio_log_t    *log = c->log;
    const lio_frame_t  *last = &log->f[log->n - 1];
    size_t              i;

    cr_assert_eq(g->n, log->n - 1, "cut %zu: %zu frames", c->cut, g->n);
    for (i = 0; i + 1 < log->n; i++) {
        lio_frame_is(g, i, log, i, log->f[i].off, 1);
    }
    cr_assert_eq(g->nd, 1, "cut %zu: %zu damage events", c->cut, g->nd);
    lio_damage_is(g, 0, SPOOR_DAMAGE_TRUNCATED, last->off,
                  c->cut - last->off, c->has_meta, log->n - 1,
                  c->has_meta ? last->records : 0);
    cr_assert_eq(g->stats.truncated, 1);
    cr_assert_eq(g->stats.frames_damaged, 1);
    cr_assert_eq(g->stats.records_lost, c->has_meta ? last->records : 0);
    lio_stats_agree(g);
}

Test(logreader, truncated_tail_inside_the_last_data_frame)
{
    lio_log_t           log;
    const lio_frame_t  *last;
    lio_cut_t           c;
    size_t              data, cuts[6], i;

    lio_build(&log, 4, 20, 40);
    last = &log.f[3];
    data = last->off + last->meta_len;
    cuts[0] = data + 2;                       /* inside the magic */
    cuts[1] = data + 4;                       /* magic only */
    cuts[2] = data + 6;                       /* inside the frame header */
    cuts[3] = data + last->data_len / 2;      /* inside the block */
    cuts[4] = data + last->data_len - 4;      /* checksum missing */
    cuts[5] = data + last->data_len - 1;      /* one byte short */
    for (i = 0; i < 6; i++) {
        c.log = &log;
        c.cut = cuts[i];
        c.has_meta = 1;
        lio_read_both(log.log.p, c.cut, lio_check_cut, &c);
    }
    lio_log_free(&log);
}

Test(logreader, truncated_tail_inside_the_last_metadata_frame)
{
    lio_log_t           log;
    const lio_frame_t  *last;
    lio_cut_t           c;
    size_t              cuts[5], i;

    lio_build(&log, 4, 20, 40);
    last = &log.f[3];
    cuts[0] = last->off + 4;                  /* magic only */
    cuts[1] = last->off + 6;                  /* inside the size */
    cuts[2] = last->off + SPOOR_META_HEADER;  /* header only */
    cuts[3] = last->off + SPOOR_META_HEADER + 6;
    cuts[4] = last->off + last->meta_len - 1;
    for (i = 0; i < 5; i++) {
        c.log = &log;
        c.cut = cuts[i];
        c.has_meta = 0;                       /* the metadata is lost too */
        lio_read_both(log.log.p, c.cut, lio_check_cut, &c);
    }
    lio_log_free(&log);
}

Test(logreader, truncated_right_after_the_last_metadata)
{
    lio_log_t  log;
    lio_cut_t  c;

    lio_build(&log, 4, 20, 40);
    c.log = &log;
    c.cut = log.f[3].off + log.f[3].meta_len;
    c.has_meta = 1;
    lio_read_both(log.log.p, c.cut, lio_check_cut, &c);
    lio_log_free(&log);
}

static void
lio_check_prefix(const lio_got_t *g, const void *arg)
{
    const lio_log_t  *log = arg;
    size_t            i;

    cr_assert_eq(g->n, 3);
    for (i = 0; i < 3; i++) {
        lio_frame_is(g, i, log, i, log->f[i].off, 1);
    }
    cr_assert_eq(g->nd, 0);
    cr_assert_eq(g->stats.truncated, 0);
}

Test(logreader, cut_at_a_frame_boundary_is_not_damage)
{
    lio_log_t  log;

    lio_build(&log, 4, 20, 40);
    lio_read_both(log.log.p, log.f[3].off, lio_check_prefix, &log);
    lio_log_free(&log);
}

/* ---- overwritten bytes ------------------------------------------------------------- */

typedef struct {
    const lio_log_t  *log;
    size_t            lost;
} lio_lost_t;

static void
lio_check_one_frame_lost(const lio_got_t *g, const void *arg)
{
    const lio_lost_t   *l = arg;
    const lio_log_t    *log = l->log;
    const lio_frame_t  *f = &log->f[l->lost];
    size_t              i, gi = 0;

    cr_assert_eq(g->n, log->n - 1, "%zu frames delivered", g->n);
    for (i = 0; i < log->n; i++) {
        if (i != l->lost) {
            lio_frame_is(g, gi++, log, i, log->f[i].off, 1);
        }
    }
    cr_assert_eq(g->nd, 1, "%zu damage events", g->nd);
    lio_damage_is(g, 0, SPOOR_DAMAGE_CORRUPT, f->off, f->meta_len + f->data_len,
                  1, l->lost, f->records);
    cr_assert_eq(g->stats.frames_damaged, 1);
    cr_assert_eq(g->stats.records_lost, f->records);
    cr_assert_eq(g->stats.truncated, 0);
    lio_stats_agree(g);
}

Test(logreader, overwritten_frame_loses_only_its_records)
{
    static const int  fill[] = { -1, 0x00, 0xff, 0x55 };
    lio_log_t         log;
    lio_bytes_t       bad;
    lio_lost_t        l;
    size_t            k, at, i, v;
    uint64_t          seed = 77;

    lio_build(&log, 5, 30, 64);
    for (k = 0; k < log.n; k++) {
        cr_assert_gt(log.f[k].data_len, 600, "frame too small to damage");
        for (v = 0; v < sizeof(fill) / sizeof(fill[0]); v++) {
            memset(&bad, 0, sizeof(bad));
            lio_put(&bad, log.log.p, log.log.len);
            at = log.f[k].off + log.f[k].meta_len + log.f[k].data_len / 2 - 32;
            for (i = 0; i < 64; i++) {
                bad.p[at + i] = fill[v] >= 0 ? (unsigned char) fill[v]
                                : (unsigned char) (lio_rand(&seed) | 1);
                if (bad.p[at + i] == 0x18) {
                    bad.p[at + i] = 0x19;
                }
            }
            l.log = &log;
            l.lost = k;
            lio_read_both(bad.p, bad.len, lio_check_one_frame_lost, &l);
            free(bad.p);
        }
    }
    lio_log_free(&log);
}

/* The content checksum is the reader's own check (libxxhash): a frame
 * that decompresses cleanly but whose last four bytes disagree with its
 * content is lost alone, by the same rule as any corrupt frame. */
Test(logreader, a_wrong_content_checksum_loses_only_that_frame)
{
    lio_log_t    log;
    lio_bytes_t  bad;
    lio_lost_t   l;
    size_t       k, end, i;

    lio_build(&log, 4, 20, 40);
    for (k = 0; k < log.n; k++) {
        for (i = 1; i <= 4; i++) {
            memset(&bad, 0, sizeof(bad));
            lio_put(&bad, log.log.p, log.log.len);
            end = log.f[k].off + log.f[k].meta_len + log.f[k].data_len;
            bad.p[end - i] ^= 0x01;
            l.log = &log;
            l.lost = k;
            lio_read_both(bad.p, bad.len, lio_check_one_frame_lost, &l);
            free(bad.p);
        }
    }
    lio_log_free(&log);
}

Test(logreader, corrupted_frame_header_loses_only_that_frame)
{
    lio_log_t    log;
    lio_bytes_t  bad = { 0 };
    lio_lost_t   l;
    size_t       data;

    lio_build(&log, 4, 20, 40);
    lio_put(&bad, log.log.p, log.log.len);
    data = log.f[2].off + log.f[2].meta_len;
    bad.p[data + 5] ^= 0x40;                   /* frame descriptor flag */
    l.log = &log;
    l.lost = 2;
    lio_read_both(bad.p, bad.len, lio_check_one_frame_lost, &l);
    free(bad.p);
    lio_log_free(&log);
}

typedef struct {
    const lio_log_t  *log;
    size_t            k;
} lio_meta_lost_t;

static void
lio_check_meta_lost(const lio_got_t *g, const void *arg)
{
    const lio_meta_lost_t  *m = arg;
    const lio_log_t        *log = m->log;
    size_t                  i;

    cr_assert_eq(g->n, log->n, "%zu frames delivered", g->n);
    for (i = 0; i < log->n; i++) {
        if (i == m->k) {
            lio_frame_is(g, i, log, i, log->f[i].off + log->f[i].meta_len, 0);
        } else {
            lio_frame_is(g, i, log, i, log->f[i].off, 1);
        }
    }
    cr_assert_eq(g->nd, 1, "%zu damage events", g->nd);
    lio_damage_is(g, 0, SPOOR_DAMAGE_GARBAGE, log->f[m->k].off,
                  log->f[m->k].meta_len, 0, 0, 0);
    cr_assert_eq(g->stats.frames_damaged, 0);
    cr_assert_eq(g->stats.records_lost, 0);
    lio_stats_agree(g);
}

Test(logreader, overwritten_metadata_keeps_the_data_frame)
{
    lio_log_t        log;
    lio_bytes_t      bad;
    lio_meta_lost_t  m;
    size_t           k, v, i;

    lio_build(&log, 4, 20, 40);
    for (k = 0; k < log.n; k++) {
        for (v = 0; v < 4; v++) {
            memset(&bad, 0, sizeof(bad));
            lio_put(&bad, log.log.p, log.log.len);
            switch (v) {
            case 0:             /* the whole metadata frame */
                memset(bad.p + log.f[k].off, 0x55, log.f[k].meta_len);
                break;
            case 1:             /* only the "SPOR" tag */
                bad.p[log.f[k].off + SPOOR_META_HEADER] = 'X';
                break;
            case 2:             /* a size beyond the metadata limit */
                spoor_put_le32(bad.p + log.f[k].off + 4,
                               SPOOR_META_PAYLOAD_MAX + 1);
                break;
            default:            /* the map after the tag */
                for (i = SPOOR_META_HEADER + 4; i < log.f[k].meta_len; i++) {
                    bad.p[log.f[k].off + i] = 0xc1;
                }
            }
            m.log = &log;
            m.k = k;
            lio_read_both(bad.p, bad.len, lio_check_meta_lost, &m);
            free(bad.p);
        }
    }
    lio_log_free(&log);
}

/* ---- inserted and removed bytes ---------------------------------------------------- */

typedef struct {
    const lio_log_t  *log;
    size_t            before;       /* garbage sits before this frame */
    size_t            n;
} lio_ins_t;

static void
lio_check_inserted(const lio_got_t *g, const void *arg)
{
    const lio_ins_t  *x = arg;
    uint64_t          at = x->before < x->log->n ? x->log->f[x->before].off
                                                 : x->log->log.len;

    lio_all_frames(g, x->log, x->before, (int64_t) x->n);
    cr_assert_eq(g->nd, 1, "%zu damage events", g->nd);
    lio_damage_is(g, 0, SPOOR_DAMAGE_GARBAGE, at, x->n, 0, 0, 0);
    cr_assert_eq(g->stats.frames_damaged, 0);
    cr_assert_eq(g->stats.records_lost, 0);
    cr_assert_eq(g->stats.truncated, 0);
    lio_stats_agree(g);
}

Test(logreader, garbage_between_frames_is_reported_with_its_exact_size)
{
    static const size_t  sizes[] = { 1, 2, 3, 4, 7, 100, 4096, 70000 };
    lio_log_t            log;
    lio_bytes_t          bad;
    lio_ins_t            x;
    size_t               i, before;

    lio_build(&log, 4, 20, 40);
    for (before = 0; before <= log.n; before++) {
        for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            memset(&bad, 0, sizeof(bad));
            if (before < log.n) {
                lio_put(&bad, log.log.p, log.f[before].off);
            } else {
                lio_put(&bad, log.log.p, log.log.len);
            }
            lio_garbage(&bad, sizes[i], 0x9000 + i);
            if (before < log.n) {
                lio_put(&bad, log.log.p + log.f[before].off,
                        log.log.len - log.f[before].off);
            }
            x.log = &log;
            x.before = before;
            x.n = sizes[i];
            lio_read_both(bad.p, bad.len, lio_check_inserted, &x);
            free(bad.p);
        }
    }
    lio_log_free(&log);
}

Test(logreader, a_text_line_appended_to_a_log_is_garbage)
{
    lio_log_t    log;
    lio_bytes_t  bad = { 0 };
    lio_ins_t    x;

    lio_build(&log, 3, 10, 8);
    lio_put(&bad, log.log.p, log.log.len);
    lio_put(&bad, "# end of log\n", 13);
    x.log = &log;
    x.before = log.n;
    x.n = 13;
    lio_read_both(bad.p, bad.len, lio_check_inserted, &x);
    free(bad.p);
    lio_log_free(&log);
}

static void
lio_check_orphan(const lio_got_t *g, const void *arg)
{
    const lio_meta_lost_t  *m = arg;
    const lio_log_t        *log = m->log;
    const lio_frame_t      *f = &log->f[m->k];
    const spoor_damage_t   *d;
    size_t                  i, gi = 0;

    cr_assert_eq(g->n, log->n - 1);
    for (i = 0; i < log->n; i++) {
        if (i != m->k) {
            lio_frame_is(g, gi++, log, i,
                         log->f[i].off - (i > m->k ? f->data_len : 0), 1);
        }
    }
    cr_assert_eq(g->nd, 1, "%zu damage events", g->nd);
    d = &g->d[0];
    cr_assert(d->kind == SPOOR_DAMAGE_ORPHAN_META
              || d->kind == SPOOR_DAMAGE_CORRUPT, "kind %d", d->kind);
    cr_assert_eq(d->offset, f->off);
    cr_assert_eq(d->bytes, f->meta_len, "orphan metadata: bytes %llu",
                 (unsigned long long) d->bytes);
    cr_assert_eq(d->has_meta, 1);
    cr_assert_eq(d->meta.seq, m->k);
    cr_assert_eq(d->meta.records, f->records);
    cr_assert_eq(d->records_lost, f->records);
    cr_assert_eq(g->stats.frames_damaged, 1);
    cr_assert_eq(g->stats.records_lost, f->records);
    cr_assert_eq(g->stats.truncated, 0);
    lio_stats_agree(g);
}

Test(logreader, removed_data_frame_is_reported_by_its_metadata)
{
    lio_log_t        log;
    lio_bytes_t      bad;
    lio_meta_lost_t  m;
    size_t           k, data;

    lio_build(&log, 4, 20, 40);
    for (k = 0; k + 1 < log.n; k++) {
        memset(&bad, 0, sizeof(bad));
        data = log.f[k].off + log.f[k].meta_len;
        lio_put(&bad, log.log.p, data);
        lio_put(&bad, log.log.p + data + log.f[k].data_len,
                log.log.len - data - log.f[k].data_len);
        m.log = &log;
        m.k = k;
        lio_read_both(bad.p, bad.len, lio_check_orphan, &m);
        free(bad.p);
    }
    lio_log_free(&log);
}

static void
lio_check_no_meta(const lio_got_t *g, const void *arg)
{
    const lio_meta_lost_t  *m = arg;
    const lio_log_t        *log = m->log;
    size_t                  i, ml = log->f[m->k].meta_len;

    cr_assert_eq(g->n, log->n);
    for (i = 0; i < log->n; i++) {
        if (i < m->k) {
            lio_frame_is(g, i, log, i, log->f[i].off, 1);
        } else if (i == m->k) {
            lio_frame_is(g, i, log, i, log->f[i].off, 0);
        } else {
            lio_frame_is(g, i, log, i, log->f[i].off - ml, 1);
        }
    }
    cr_assert_eq(g->nd, 0);
    lio_stats_agree(g);
}

Test(logreader, removed_metadata_frame_is_not_damage)
{
    lio_log_t        log;
    lio_bytes_t      bad;
    lio_meta_lost_t  m;
    size_t           k;

    lio_build(&log, 4, 20, 40);
    for (k = 0; k < log.n; k++) {
        memset(&bad, 0, sizeof(bad));
        lio_put(&bad, log.log.p, log.f[k].off);
        lio_put(&bad, log.log.p + log.f[k].off + log.f[k].meta_len,
                log.log.len - log.f[k].off - log.f[k].meta_len);
        m.log = &log;
        m.k = k;
        lio_read_both(bad.p, bad.len, lio_check_no_meta, &m);
        free(bad.p);
    }
    lio_log_free(&log);
}

/* Every input byte is either part of a delivered frame or of exactly one
 * reported damaged stretch. */
static void
lio_coverage(const unsigned char *p, size_t len, const char *what)
{
    lio_got_t  *g = lio_read_mem(p, len);
    uint64_t    covered = 0;
    size_t      i;

    for (i = 0; i < g->n; i++) {
        covered += g->f[i].length;
    }
    for (i = 0; i < g->nd; i++) {
        covered += g->d[i].bytes;
    }
    cr_assert_eq(covered, len, "%s: frames and damage cover %llu of %zu bytes",
                 what, (unsigned long long) covered, len);
    lio_got_free(g);
}

Test(logreader, every_input_byte_is_in_a_frame_or_a_damage_event)
{
    lio_log_t    log;
    lio_bytes_t  b;
    size_t       data;

    lio_build(&log, 4, 20, 40);
    lio_coverage(log.log.p, log.log.len, "clean");
    lio_coverage(log.log.p, log.log.len - 7, "truncated data");
    lio_coverage(log.log.p, log.f[3].off + 5, "truncated metadata");
    lio_coverage(log.log.p, log.f[3].off + log.f[3].meta_len,
                 "truncated after metadata");

    memset(&b, 0, sizeof(b));
    lio_put(&b, log.log.p, log.log.len);
    memset(b.p + log.f[1].off + log.f[1].meta_len + 100, 0x00, 64);
    lio_coverage(b.p, b.len, "overwritten data");
    free(b.p);

    memset(&b, 0, sizeof(b));
    lio_put(&b, log.log.p, log.f[2].off);
    lio_garbage(&b, 333, 1);
    lio_put(&b, log.log.p + log.f[2].off, log.log.len - log.f[2].off);
    lio_coverage(b.p, b.len, "inserted garbage");
    free(b.p);

    /* metadata whose data frame is missing */
    memset(&b, 0, sizeof(b));
    data = log.f[1].off + log.f[1].meta_len;
    lio_put(&b, log.log.p, data);
    lio_put(&b, log.log.p + data + log.f[1].data_len,
            log.log.len - data - log.f[1].data_len);
    lio_coverage(b.p, b.len, "orphan metadata");
    free(b.p);
    lio_log_free(&log);
}

/* ---- frames that decode but disappoint ------------------------------------------------ */

Test(logreader, undecodable_record_is_bad_record_and_keeps_the_records_before)
{
    spoor_writer_t       *w = lio_writer(4096, LIO_WID);
    lio_log_t             log;
    lio_got_t            *g;
    const unsigned char  *frame;
    size_t                len, before;
    static const unsigned char  good[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'b',
                                           0x02 };
    unsigned char         deep[SPOOR_RECORD_DEPTH_MAX + 2];
    int                   variant;

    memset(deep, 0x91, sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = 0x01;

    for (variant = 0; variant < 3; variant++) {
        memset(&log, 0, sizeof(log));
        lio_build_into(&log, w, 1, 5, 8, 1);        /* frame seq 3v */
        before = log.log.len;

        cr_assert_eq(spoor_writer_append_raw(w, good, sizeof(good), 10),
                     SPOOR_OK);
        cr_assert_eq(spoor_writer_append_raw(w, good, sizeof(good), 11),
                     SPOOR_OK);
        switch (variant) {
        case 0:
            cr_assert_eq(spoor_writer_append_raw(w, "\xc1", 1, 12), SPOOR_OK);
            break;
        case 1:
            cr_assert_eq(spoor_writer_append_raw(w, deep, sizeof(deep), 12),
                         SPOOR_OK);
            break;
        default:
            break;
        }
        cr_assert_eq(spoor_writer_append_raw(w, good, sizeof(good), 13),
                     SPOOR_OK);
        if (variant == 2) {           /* a cut record at the end */
            cr_assert_eq(spoor_writer_append_raw(w, "\x92\x01", 2, 14),
                         SPOOR_OK);
        }
        cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
        lio_put(&log.log, frame, len);
        memset(&log.f[log.n], 0, sizeof(log.f[0]));
        log.f[log.n].off = before;
        log.n++;
        lio_build_into(&log, w, 1, 5, 8, 2);        /* an intact frame after */

        g = lio_read_mem(log.log.p, log.log.len);
        cr_assert_eq(g->n, 3, "variant %d: %zu frames", variant, g->n);
        cr_assert_eq(g->f[0].records, 5);
        cr_assert_eq(g->f[2].records, 5);
        cr_assert_eq(g->f[2].iterated, 5);
        cr_assert_eq(g->f[2].content.len, log.f[2].content.len);
        cr_assert_eq(memcmp(g->f[2].content.p, log.f[2].content.p,
                            log.f[2].content.len), 0);

        if (variant == 1) {
            /* too deep is still one whole msgpack value: a record that the
             * decoder refuses, not damage to the frame */
            cr_assert_eq(g->f[1].records, 4);
            cr_assert_eq(g->f[1].iterated, 4);
            cr_assert_eq(g->nd, 0);
            {
                msgpack_zone   z;
                spoor_event_t  ev;

                msgpack_zone_init(&z, 1024);
                cr_assert_eq(spoor_event_decode(deep, sizeof(deep), &ev),
                             SPOOR_E_DEPTH);
                msgpack_zone_destroy(&z);
            }
            lio_got_free(g);
            lio_log_free(&log);
            continue;
        }

        /* the damaged frame is still delivered with its good records */
        cr_assert_eq(g->f[1].has_meta, 1);
        cr_assert_eq(g->f[1].meta.records, 4);
        cr_assert_eq(g->f[1].records, variant == 2 ? 3 : 2,
                     "variant %d: records %llu", variant,
                     (unsigned long long) g->f[1].records);
        cr_assert_eq(g->f[1].iterated, g->f[1].records);
        cr_assert_eq(g->f[1].iter_end, g->f[1].records * sizeof(good));

        cr_assert_eq(g->nd, 1, "variant %d: %zu damage events", variant,
                     g->nd);
        cr_assert_eq(g->d[0].kind, SPOOR_DAMAGE_BAD_RECORD);
        cr_assert_eq(g->d[0].offset, before);
        cr_assert_eq(g->d[0].bytes, 0);
        cr_assert_eq(g->d[0].has_meta, 1);
        cr_assert_eq(g->d[0].meta.seq, (uint64_t) 3 * variant + 1);
        cr_assert_eq(g->d[0].records_lost, variant == 2 ? 1 : 2);
        cr_assert_eq(g->stats.frames, 3);
        cr_assert_eq(g->stats.frames_damaged, 1);
        cr_assert_eq(g->stats.records_lost, variant == 2 ? 1 : 2);
        lio_stats_agree(g);
        lio_got_free(g);
        lio_log_free(&log);
    }
    spoor_writer_destroy(w);
}

Test(logreader, metadata_disagreeing_with_its_frame_is_a_mismatch)
{
    spoor_writer_t       *w = lio_writer(4096, LIO_WID);
    const unsigned char  *frame;
    size_t                len, ml, mlen, field;
    spoor_frame_meta_t    m;
    unsigned char         meta[SPOOR_META_HEADER + SPOOR_META_PAYLOAD_MAX];
    lio_bytes_t           b;
    lio_got_t            *g;

    for (field = 0; field < 3; field++) {
        cr_assert_eq(spoor_writer_append_raw(w, "\x01", 1, 1), SPOOR_OK);
        cr_assert_eq(spoor_writer_append_raw(w, "\x02", 1, 2), SPOOR_OK);
        cr_assert_eq(spoor_writer_append_raw(w, "\x03", 1, 3), SPOOR_OK);
        cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
        ml = SPOOR_META_HEADER + spoor_le32(frame + 4);
        cr_assert_eq(spoor_meta_decode(frame + SPOOR_META_HEADER,
                                       ml - SPOOR_META_HEADER, &m), SPOOR_OK);
        cr_assert_eq(m.records, 3);
        switch (field) {
        case 0:  m.records = 5;         break;
        case 1:  m.frame_bytes += 1;    break;
        default: m.content_bytes = 2;   break;
        }
        mlen = spoor_meta_encode(&m, meta, sizeof(meta));
        cr_assert_gt(mlen, SPOOR_META_HEADER);

        memset(&b, 0, sizeof(b));
        lio_put(&b, meta, mlen);
        lio_put(&b, frame + ml, len - ml);
        g = lio_read_mem(b.p, b.len);
        cr_assert_eq(g->n, 1);
        cr_assert_eq(g->f[0].has_meta, 1);
        cr_assert_eq(g->f[0].records, 3);
        cr_assert_eq(g->f[0].content.len, 3);
        cr_assert_eq(g->nd, 1, "field %zu: %zu damage events", field, g->nd);
        cr_assert_eq(g->d[0].kind, SPOOR_DAMAGE_MISMATCH);
        cr_assert_eq(g->d[0].offset, 0);
        cr_assert_eq(g->d[0].bytes, 0);
        cr_assert_eq(g->d[0].has_meta, 1);
        cr_assert_eq(g->d[0].meta.seq, field);
        cr_assert_eq(g->stats.frames_damaged, 0);
        lio_got_free(g);
        free(b.p);
    }
    spoor_writer_destroy(w);
}

Test(logreader, meta_encode_and_decode_round_trip)
{
    spoor_frame_meta_t  m, d;
    unsigned char       out[SPOOR_META_HEADER + SPOOR_META_PAYLOAD_MAX];
    size_t              n;

    memset(&m, 0, sizeof(m));
    m.version = SPOOR_FORMAT_VERSION;
    memset(m.host, 'h', SPOOR_HOST_MAX);
    m.host[SPOOR_HOST_MAX] = '\0';
    m.pid = UINT64_MAX;
    m.writer_id = UINT64_MAX - 1;
    m.seq = 1ull << 40;
    m.records = 123456789;
    m.time_first = INT64_MIN;
    m.time_last = INT64_MAX;
    m.frame_bytes = 1u << 24;
    m.content_bytes = SPOOR_FRAME_CONTENT_MAX;

    n = spoor_meta_encode(&m, out, sizeof(out));
    cr_assert_gt(n, SPOOR_META_HEADER);
    cr_assert_eq(spoor_le32(out), SPOOR_META_MAGIC);
    cr_assert_eq(spoor_le32(out + 4), n - SPOOR_META_HEADER);
    cr_assert_eq(memcmp(out + SPOOR_META_HEADER, SPOOR_META_TAG, 4), 0);
    cr_assert_eq(spoor_meta_decode(out + SPOOR_META_HEADER,
                                   n - SPOOR_META_HEADER, &d), SPOOR_OK);
    cr_assert_eq(d.version, m.version);
    cr_assert_str_eq(d.host, m.host);
    cr_assert_eq(d.pid, m.pid);
    cr_assert_eq(d.writer_id, m.writer_id);
    cr_assert_eq(d.seq, m.seq);
    cr_assert_eq(d.records, m.records);
    cr_assert_eq(d.time_first, m.time_first);
    cr_assert_eq(d.time_last, m.time_last);
    cr_assert_eq(d.frame_bytes, m.frame_bytes);
    cr_assert_eq(d.content_bytes, m.content_bytes);

    /* too little room: 0, nothing claimed */
    cr_assert_eq(spoor_meta_encode(&m, out, n - 1), 0);
    cr_assert_eq(spoor_meta_encode(&m, out, 4), 0);
    /* missing tag, trailing byte, cut map */
    cr_assert_eq(spoor_meta_decode(out + SPOOR_META_HEADER + 4,
                                   n - SPOOR_META_HEADER - 4, &d),
                 SPOOR_E_FORMAT);
    cr_assert_eq(spoor_meta_decode(out + SPOOR_META_HEADER,
                                   n - SPOOR_META_HEADER - 1, &d),
                 SPOOR_E_FORMAT);
}

/* ---- plain LZ4 frames ---------------------------------------------------------------- */

static void
lio_plain_frame(const unsigned char *src, size_t n, int checksum,
    lio_bytes_t *out)
{
    LZ4F_preferences_t  prefs;
    size_t              cap, z;
    unsigned char      *buf;

    memset(&prefs, 0, sizeof(prefs));
    if (checksum) {
        prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    }
    cap = LZ4F_compressFrameBound(n, &prefs);
    buf = malloc(cap);
    cr_assert_not_null(buf);
    z = LZ4F_compressFrame(buf, cap, src, n, &prefs);
    cr_assert(!LZ4F_isError(z), "%s", LZ4F_getErrorName(z));
    lio_put(out, buf, z);
    free(buf);
}

Test(logreader, plain_lz4_frame_is_delivered_only_with_a_checksum)
{
    lio_log_t    log;
    lio_bytes_t  b;
    lio_got_t   *g;
    size_t       plain_at, plain_len;
    int          checksum;

    lio_build(&log, 2, 10, 20);
    for (checksum = 1; checksum >= 0; checksum--) {
        memset(&b, 0, sizeof(b));
        lio_put(&b, log.log.p, log.f[1].off);
        plain_at = b.len;
        lio_plain_frame(log.f[0].content.p, log.f[0].content.len, checksum,
                        &b);
        plain_len = b.len - plain_at;
        lio_put(&b, log.log.p + log.f[1].off, log.log.len - log.f[1].off);

        g = lio_read_mem(b.p, b.len);
        if (!checksum) {
            /* unverifiable: skipped as a corrupt frame, the rest kept */
            cr_assert_eq(g->n, 2);
            cr_assert_eq(g->nd, 1);
            cr_assert_eq(g->d[0].kind, SPOOR_DAMAGE_CORRUPT);
            cr_assert_eq(g->d[0].offset, plain_at);
            cr_assert_eq(g->d[0].bytes, plain_len);
            cr_assert_str_eq(g->d[0].detail, "frame has no content checksum");
            lio_frame_is(g, 0, &log, 0, 0, 1);
            lio_frame_is(g, 1, &log, 1, log.f[1].off + plain_len, 1);
            lio_got_free(g);
            free(b.p);
            continue;
        }
        cr_assert_eq(g->n, 3);
        cr_assert_eq(g->nd, 0);
        lio_frame_is(g, 0, &log, 0, 0, 1);
        cr_assert_eq(g->f[1].has_meta, 0);
        cr_assert_eq(g->f[1].offset, plain_at);
        cr_assert_eq(g->f[1].length, plain_len);
        cr_assert_eq(g->f[1].records, 10);
        cr_assert_eq(g->f[1].iterated, 10);
        cr_assert_eq(g->f[1].content.len, log.f[0].content.len);
        cr_assert_eq(memcmp(g->f[1].content.p, log.f[0].content.p,
                            log.f[0].content.len), 0);
        cr_assert_eq(g->f[1].checksum,
                     lio_xxh32(log.f[0].content.p, log.f[0].content.len));
        lio_frame_is(g, 2, &log, 1, log.f[1].off + plain_len, 1);
        lio_got_free(g);
        free(b.p);
    }

    /* alone */
    memset(&b, 0, sizeof(b));
    lio_plain_frame(log.f[1].content.p, log.f[1].content.len, 1, &b);
    g = lio_read_mem(b.p, b.len);
    cr_assert_eq(g->n, 1);
    cr_assert_eq(g->nd, 0);
    cr_assert_eq(g->f[0].has_meta, 0);
    cr_assert_eq(g->f[0].offset, 0);
    cr_assert_eq(g->f[0].records, 10);
    lio_got_free(g);
    free(b.p);
    lio_log_free(&log);
}

/* A frame with block checksums (never written by spoor, but a valid LZ4
 * frame) is read with LZ4F checking them: intact, it is delivered; with a
 * block checksum or its content checksum changed, it is lost alone. */
Test(logreader, plain_frame_with_block_checksums_is_checked)
{
    LZ4F_preferences_t  prefs;
    lio_log_t           log;
    lio_bytes_t         b;
    lio_got_t          *g;
    unsigned char      *buf;
    size_t              cap, z, flip;
    const size_t        flips[] = { 0, 4, 8 };   /* none; content; block */

    lio_build(&log, 1, 30, 40);
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    cap = LZ4F_compressFrameBound(log.f[0].content.len, &prefs);
    buf = malloc(cap);
    cr_assert_not_null(buf);
    z = LZ4F_compressFrame(buf, cap, log.f[0].content.p,
                           log.f[0].content.len, &prefs);
    cr_assert(!LZ4F_isError(z), "%s", LZ4F_getErrorName(z));
    /* ... block, u32 block checksum, u32 end mark, u32 content checksum */
    for (flip = 0; flip < sizeof(flips) / sizeof(flips[0]); flip++) {
        memset(&b, 0, sizeof(b));
        lio_put(&b, buf, z);
        if (flips[flip]) {
            b.p[z - flips[flip] - (flips[flip] == 8 ? 4 : 0)] ^= 0x01;
        }
        g = lio_read_mem(b.p, b.len);
        if (flips[flip] == 0) {
            cr_assert_eq(g->n, 1);
            cr_assert_eq(g->nd, 0);
            cr_assert_eq(g->f[0].records, 30);
        } else {
            cr_assert_eq(g->n, 0, "flip %zu: %zu frames", flips[flip], g->n);
            cr_assert_eq(g->nd, 1);
            cr_assert_eq(g->d[0].kind, SPOOR_DAMAGE_CORRUPT);
            cr_assert_eq(g->d[0].bytes, z);
        }
        lio_got_free(g);
        free(b.p);
    }
    free(buf);
    lio_log_free(&log);
}

/* ---- the lz4 command line tool -------------------------------------------------------- */

Test(logio, lz4_cli_decompresses_a_log_to_the_concatenated_records)
{
    spoor_writer_t  *w = lio_writer(1 << 15, LIO_WID);
    lio_log_t        log;
    lio_bytes_t      want = { 0 }, got = { 0 };
    char             in[64], out[64], cmd[256];
    unsigned char    buf[65536];
    size_t           i;
    ssize_t          n;
    int              fd, ofd;

    memset(&log, 0, sizeof(log));
    lio_build_into(&log, w, 6, 40, 30, 0x42);
    spoor_writer_destroy(w);
    for (i = 0; i < log.n; i++) {
        lio_put(&want, log.f[i].content.p, log.f[i].content.len);
    }

    fd = lio_tmpfile(log.log.p, log.log.len, in);
    close(fd);
    ofd = lio_tmpfile("", 0, out);
    close(ofd);
    snprintf(cmd, sizeof(cmd), "lz4 -d -q -f -c '%s' > '%s'", in, out);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);

    ofd = open(out, O_RDONLY);
    cr_assert_geq(ofd, 0);
    while ((n = read(ofd, buf, sizeof(buf))) > 0) {
        lio_put(&got, buf, (size_t) n);
    }
    close(ofd);
    unlink(in);
    unlink(out);

    cr_assert_eq(got.len, want.len, "lz4 -d gave %zu bytes, expected %zu",
                 got.len, want.len);
    cr_assert_eq(memcmp(got.p, want.p, want.len), 0);
    free(got.p);
    free(want.p);
    lio_log_free(&log);
}

Test(logio, lz4_cli_compressed_records_are_read_as_plain_frames)
{
    lio_log_t    log;
    lio_bytes_t  all = { 0 };
    char         in[64], out[64], cmd[256];
    lio_got_t   *g;
    size_t       i;
    int          fd;

    lio_build(&log, 3, 20, 30);
    for (i = 0; i < log.n; i++) {
        lio_put(&all, log.f[i].content.p, log.f[i].content.len);
    }
    fd = lio_tmpfile(all.p, all.len, in);
    close(fd);
    fd = lio_tmpfile("", 0, out);
    close(fd);
    snprintf(cmd, sizeof(cmd), "lz4 -q -f -c '%s' > '%s'", in, out);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);

    fd = open(out, O_RDONLY);
    cr_assert_geq(fd, 0);
    g = lio_read_fd(fd);
    close(fd);
    unlink(in);
    unlink(out);

    cr_assert_eq(g->n, 1);
    cr_assert_eq(g->nd, 0);
    cr_assert_eq(g->f[0].has_meta, 0);
    cr_assert_eq(g->f[0].offset, 0);
    cr_assert_eq(g->f[0].records, 60);
    cr_assert_eq(g->f[0].content.len, all.len);
    cr_assert_eq(memcmp(g->f[0].content.p, all.p, all.len), 0);
    cr_assert_eq(g->f[0].checksum, lio_xxh32(all.p, all.len));
    lio_got_free(g);
    free(all.p);
    lio_log_free(&log);
}

/* ---- reading through a pipe and across window refills ----------------------------------- */

typedef struct {
    int                   fd;
    const unsigned char  *p;
    size_t                len;
    uint64_t              seed;
} lio_feed_t;

static void *
lio_feeder(void *arg)
{
    lio_feed_t  *f = arg;
    size_t       off = 0, n;
    ssize_t      w;

    while (off < f->len) {
        n = 1 + lio_rand(&f->seed) % 100000;
        if (lio_rand(&f->seed) % 8 == 0) {
            n = 1 + lio_rand(&f->seed) % 7;     /* tiny writes too */
        }
        if (n > f->len - off) {
            n = f->len - off;
        }
        w = write(f->fd, f->p + off, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            break;
        }
        off += (size_t) w;
    }
    close(f->fd);
    return NULL;
}

static lio_got_t *
lio_read_pipe(const unsigned char *p, size_t len, uint64_t seed)
{
    pthread_t    t;
    lio_feed_t   f;
    int          fds[2];
    lio_got_t   *g;

    cr_assert_eq(pipe(fds), 0);
    f.fd = fds[1];
    f.p = p;
    f.len = len;
    f.seed = seed;
    cr_assert_eq(pthread_create(&t, NULL, lio_feeder, &f), 0);
    g = lio_read_fd(fds[0]);
    cr_assert_eq(pthread_join(t, NULL), 0);
    close(fds[0]);
    return g;
}

static void
lio_build_big(lio_log_t *log, unsigned nframes, unsigned nrec, unsigned pad)
{
    spoor_writer_t  *w;

    memset(log, 0, sizeof(*log));
    w = lio_writer(1 << 17, LIO_WID);
    lio_build_into(log, w, nframes, nrec, pad, 0xb16);
    spoor_writer_destroy(w);
}

Test(logreader, pipe_input_larger_than_the_window_round_trips)
{
    lio_log_t   log;
    lio_got_t  *g;

    lio_build_big(&log, 40, 120, 1000);
    cr_assert_gt(log.log.len, (size_t) 2 << 20, "log only %zu bytes",
                 log.log.len);
    g = lio_read_pipe(log.log.p, log.log.len, 3);
    lio_check_clean(g, &log);
    lio_got_free(g);
    lio_log_free(&log);
}

Test(logreader, damage_is_found_the_same_through_a_pipe)
{
    lio_log_t    log;
    lio_bytes_t  bad = { 0 };
    lio_got_t   *g, *gm;
    size_t       k = 17, i, j, gap = (3u << 20) / 2;

    lio_build_big(&log, 30, 120, 1000);
    /* 1.5 MiB of garbage before frame 5, frame 17's data overwritten,
     * the tail cut inside the last frame */
    lio_put(&bad, log.log.p, log.f[5].off);
    lio_garbage(&bad, gap, 5);
    lio_put(&bad, log.log.p + log.f[5].off, log.log.len - log.f[5].off);
    memset(bad.p + gap + log.f[k].off + log.f[k].meta_len
           + log.f[k].data_len / 2, 0, 64);
    bad.len -= 100;

    gm = lio_read_mem(bad.p, bad.len);
    g = lio_read_pipe(bad.p, bad.len, 11);

    cr_assert_eq(g->n, log.n - 2);
    for (i = 0, j = 0; i < log.n - 1; i++) {
        if (i != k) {
            lio_frame_is(g, j, &log, i, log.f[i].off + (i >= 5 ? gap : 0), 1);
            lio_frame_is(gm, j, &log, i, log.f[i].off + (i >= 5 ? gap : 0), 1);
            j++;
        }
    }
    cr_assert_eq(g->nd, 3);
    cr_assert_eq(gm->nd, 3);
    lio_damage_is(g, 0, SPOOR_DAMAGE_GARBAGE, log.f[5].off, gap, 0, 0, 0);
    lio_damage_is(g, 1, SPOOR_DAMAGE_CORRUPT, log.f[k].off + gap,
                  log.f[k].meta_len + log.f[k].data_len, 1, k,
                  log.f[k].records);
    lio_damage_is(g, 2, SPOOR_DAMAGE_TRUNCATED, log.f[log.n - 1].off + gap,
                  bad.len - log.f[log.n - 1].off - gap, 1, log.n - 1,
                  log.f[log.n - 1].records);
    for (i = 0; i < 3; i++) {
        cr_assert_eq(memcmp(&g->d[i], &gm->d[i],
                            offsetof(spoor_damage_t, meta)), 0);
    }
    cr_assert_eq(g->stats.bytes, bad.len);
    cr_assert_eq(g->stats.truncated, 1);
    lio_stats_agree(g);
    lio_got_free(g);
    lio_got_free(gm);
    free(bad.p);
    lio_log_free(&log);
}

/* Records of incompressible bytes: one data frame bigger than the window. */
Test(logreader, frame_larger_than_the_initial_window_is_read_from_fd_and_pipe)
{
    spoor_writer_t       *w = lio_writer(4u << 20, LIO_WID);
    lio_log_t             log;
    lio_got_t            *g;
    unsigned char        *rec = malloc(60000);
    const unsigned char  *frame;
    size_t                len, i, k;
    uint64_t              seed = 99;
    int                   fd, round;

    cr_assert_not_null(rec);
    memset(&log, 0, sizeof(log));
    lio_build_into(&log, w, 1, 3, 10, 1);
    for (round = 0; round < 2; round++) {
        lio_frame_t  *f = &log.f[log.n];

        memset(f, 0, sizeof(*f));
        for (k = 0; k < 60; k++) {
            rec[0] = 0xc6;                    /* bin32, big-endian size */
            rec[1] = 0;
            rec[2] = 0;
            rec[3] = (unsigned char) ((60000 - 5) >> 8);
            rec[4] = (unsigned char) (60000 - 5);
            for (i = 5; i < 60000; i++) {
                rec[i] = (unsigned char) lio_rand(&seed);
            }
            cr_assert_eq(spoor_writer_append_raw(w, rec, 60000, (int64_t) k),
                         SPOOR_OK);
            lio_put(&f->content, rec, 60000);
        }
        f->records = 60;
        f->tmin = 0;
        f->tmax = 59;
        cr_assert_eq(spoor_writer_seal(w, &frame, &len), SPOOR_OK);
        f->off = log.log.len;
        f->meta_len = SPOOR_META_HEADER + spoor_le32(frame + 4);
        f->data_len = len - f->meta_len;
        cr_assert_gt(f->data_len, (size_t) 3 << 20);
        lio_put(&log.log, frame, len);
        log.n++;
    }
    lio_build_into(&log, w, 1, 3, 10, 2);
    spoor_writer_destroy(w);
    free(rec);

    fd = lio_tmpfile(log.log.p, log.log.len, NULL);
    g = lio_read_fd(fd);
    close(fd);
    lio_check_clean(g, &log);
    lio_got_free(g);

    g = lio_read_pipe(log.log.p, log.log.len, 21);
    lio_check_clean(g, &log);
    lio_got_free(g);
    lio_log_free(&log);
}

/* Garbage sized so that the next magic number straddles the end of the
 * reader's first 1 MiB read from a regular file. */
Test(logreader, magic_straddling_a_window_refill_is_found)
{
    lio_log_t    log;
    lio_bytes_t  bad;
    lio_ins_t    x;
    lio_got_t   *g;
    size_t       n;
    int          fd;

    lio_build(&log, 3, 10, 20);
    for (n = (1u << 20) - 9; n <= (1u << 20) + 1; n++) {
        memset(&bad, 0, sizeof(bad));
        lio_garbage(&bad, n, n);
        lio_put(&bad, log.log.p, log.log.len);
        x.log = &log;
        x.before = 0;
        x.n = n;
        fd = lio_tmpfile(bad.p, bad.len, NULL);
        g = lio_read_fd(fd);
        close(fd);
        lio_check_inserted(g, &x);
        lio_got_free(g);
        free(bad.p);
    }
    lio_log_free(&log);
}

/* Garbage between a frame's metadata and its data frame: the frame is
 * intact and keeps its metadata; only the stretch is damage, and no
 * record is counted both as delivered and as lost. */
static void
lio_check_split(const lio_got_t *g, const void *arg)
{
    const lio_ins_t    *x = arg;
    const lio_log_t    *log = x->log;
    const lio_frame_t  *f = &log->f[x->before];
    size_t              i;

    cr_assert_eq(g->n, log->n);
    for (i = 0; i < log->n; i++) {
        if (i != x->before) {
            lio_frame_is(g, i, log, i,
                         log->f[i].off + (i > x->before ? x->n : 0), 1);
            continue;
        }
        cr_assert_eq(g->f[i].has_meta, 1);
        cr_assert_eq(g->f[i].meta.seq, x->before);
        cr_assert_eq(g->f[i].offset, f->off + f->meta_len + x->n);
        cr_assert_eq(g->f[i].length, f->data_len);
        cr_assert_eq(g->f[i].records, f->records);
    }
    cr_assert_eq(g->nd, 1, "%zu damage events", g->nd);
    cr_assert_eq(g->d[0].kind, SPOOR_DAMAGE_GARBAGE);
    cr_assert_eq(g->d[0].offset, f->off);
    cr_assert_eq(g->d[0].bytes, f->meta_len + x->n);
    cr_assert_eq(g->d[0].has_meta, 0);
    cr_assert_eq(g->stats.records_lost, 0);
    cr_assert_eq(g->stats.frames_damaged, 0);
}

Test(logreader, garbage_between_metadata_and_its_frame_keeps_the_frame)
{
    lio_log_t    log;
    lio_bytes_t  bad;
    lio_ins_t    x;
    size_t       k, cut;

    lio_build(&log, 4, 20, 40);
    for (k = 0; k < log.n; k++) {
        memset(&bad, 0, sizeof(bad));
        cut = log.f[k].off + log.f[k].meta_len;
        lio_put(&bad, log.log.p, cut);
        lio_garbage(&bad, 33, 0x7700 + k);
        lio_put(&bad, log.log.p + cut, log.log.len - cut);
        x.log = &log;
        x.before = k;
        x.n = 33;
        lio_read_both(bad.p, bad.len, lio_check_split, &x);
        free(bad.p);
    }
    lio_log_free(&log);
}

/* Crafted input: back-to-back fake frame starts 11 bytes apart, each
 * declaring an uncompressed 4 MiB block, so every attempt would read to
 * the end of the input.  The reader's failed-attempt budget must keep
 * the total work linear (without it this input costs ~190 GB of copying;
 * the timeout only guards against a hang). */
Test(logreader, overlapping_fake_frames_cost_linear_work, .timeout = 120)
{
    unsigned char          unit[11], hd[2] = { 0x64, 0x70 };
    lio_bytes_t            b;
    lio_got_t             *g;
    size_t                 i, size = 2u << 20;

    spoor_put_le32(unit, SPOOR_LZ4_MAGIC);
    unit[4] = hd[0];                  /* version 1, independent, checksum */
    unit[5] = hd[1];                  /* 4 MiB blocks */
    unit[6] = (unsigned char) (XXH32(hd, 2, 0) >> 8);
    spoor_put_le32(unit + 7, 0x80400000u);   /* uncompressed, 4 MiB */

    memset(&b, 0, sizeof(b));
    for (i = 0; i + sizeof(unit) <= size; i += sizeof(unit)) {
        lio_put(&b, unit, sizeof(unit));
    }

    g = lio_read_mem(b.p, b.len);
    cr_assert_eq(g->n, 0);
    cr_assert_eq(g->stats.bytes_skipped, b.len);
    cr_assert_gt(g->stats.failed_work, (uint64_t) b.len,
                 "the attempts did not run: the input is not as meant");
    cr_assert_leq(g->stats.failed_work,
                  SPOOR_READ_WORK_PER_BYTE * b.len + SPOOR_READ_WORK_SLACK
                  + SPOOR_READ_WINDOW_MAX);
    lio_got_free(g);
    free(b.p);
}
