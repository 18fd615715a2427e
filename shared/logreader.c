/*
 * logreader.c -- frame scanner with resynchronisation (see logreader.h).
 *
 * Input is held in a window p[0 .. len) whose first byte is at input
 * offset `base`; `pos` is where the scan stands.  For a file descriptor
 * the window is the reader's own buffer: it is compacted (bytes before
 * pos dropped) and refilled on demand, and grows up to
 * SPOOR_READ_WINDOW_MAX.  For a memory range it is the range itself.
 *
 * Invariants between steps:
 *  - `pend` is set only right after a metadata frame, and pmeta_end is
 *    then base + pos: the metadata belongs to whatever starts at pos.
 *  - `dmg` is set while the scan is inside a damaged stretch that began
 *    at region.offset; it is closed (reported) when the next valid frame
 *    or metadata starts, or at the end of the input.
 *  - the decompressed-content buffer is only ever resized between frames,
 *    never while LZ4 may refer back into it (linked blocks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lz4frame.h>
#include <xxhash.h>
#include "error.h"
#include "event.h"
#include "mp_check.h"
#include "logreader.h"

#define WINDOW_START  (1u << 20)
#define OUT_START     (256u << 10)


struct spoor_reader_s {
    int                    fd;           /* -1 for a memory range */
    unsigned char         *buf;          /* the window for fd input */
    size_t                 cap;
    const unsigned char   *p;            /* buf, or the memory range */
    size_t                 len;
    size_t                 pos;
    uint64_t               base;
    int                    eof;

    LZ4F_dctx             *dctx;
    unsigned char         *out;
    size_t                 out_cap;

    spoor_damage_fn        on_damage;
    void                  *arg;

    int                    pend;
    spoor_frame_meta_t     pmeta;
    uint64_t               pmeta_off;
    uint64_t               pmeta_end;

    int                    dmg;
    int                    dmg_incomplete;
    spoor_damage_t         region;


    /* the walk of the last delivered frame's records (see
     * spoor_frame_next_record()): wf is that frame, woff how far its
     * records have been walked */
    int                    walking;
    spoor_frame_t          wf;
    size_t                 woff;

    spoor_reader_stats_t   stats;
};


static spoor_reader_t *
reader_new(spoor_damage_fn on_damage, void *arg)
{
    spoor_reader_t  *r;

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    r->fd = -1;
    r->on_damage = on_damage;
    r->arg = arg;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&r->dctx, LZ4F_VERSION)))
    {
        free(r);
        errno = ENOMEM;
        return NULL;
    }
    return r;
}


spoor_reader_t *
spoor_reader_open_fd(int fd, spoor_damage_fn on_damage, void *arg)
{
    spoor_reader_t  *r;

    r = reader_new(on_damage, arg);
    if (r == NULL) {
        return NULL;
    }
    r->buf = malloc(WINDOW_START);
    if (r->buf == NULL) {
        spoor_reader_close(r);
        errno = ENOMEM;
        return NULL;
    }
    r->cap = WINDOW_START;
    r->p = r->buf;
    r->fd = fd;
    return r;
}


spoor_reader_t *
spoor_reader_open_mem(const void *p, size_t len, spoor_damage_fn on_damage,
    void *arg)
{
    spoor_reader_t  *r;

    r = reader_new(on_damage, arg);
    if (r == NULL) {
        return NULL;
    }
    r->p = p;
    r->len = len;
    r->eof = 1;
    r->stats.bytes = len;
    return r;
}


void
spoor_reader_close(spoor_reader_t *r)
{
    if (r == NULL) {
        return;
    }
    LZ4F_freeDecompressionContext(r->dctx);
    free(r->buf);
    free(r->out);
    free(r);
}


const spoor_reader_stats_t *
spoor_reader_stats(const spoor_reader_t *r)
{
    return &r->stats;
}


const char *
spoor_damage_name(spoor_damage_kind_t kind)
{
    switch (kind) {
    case SPOOR_DAMAGE_GARBAGE:     return "garbage";
    case SPOOR_DAMAGE_CORRUPT:     return "corrupt frame";
    case SPOOR_DAMAGE_TRUNCATED:   return "truncated frame";
    case SPOOR_DAMAGE_ORPHAN_META: return "missing frame";
    case SPOOR_DAMAGE_BAD_RECORD:  return "bad record";
    case SPOOR_DAMAGE_MISMATCH:    return "metadata mismatch";
    }
    return "damage";
}


/*
 * Makes at least `need` bytes available from pos, unless the input ends
 * first.  need must not exceed SPOOR_READ_WINDOW_MAX.  May move the
 * window: callers re-read r->p afterwards.
 */
static int
ensure(spoor_reader_t *r, size_t need)
{
    unsigned char  *nb;
    size_t          ncap;
    ssize_t         n;

    if (r->len - r->pos >= need || r->eof) {
        return SPOOR_OK;
    }

    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->base += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }

    if (need > r->cap) {
        ncap = r->cap * 2 > need ? r->cap * 2 : need;
        if (ncap > SPOOR_READ_WINDOW_MAX) {
            ncap = SPOOR_READ_WINDOW_MAX;
        }
        nb = realloc(r->buf, ncap);
        if (nb == NULL) {
            return SPOOR_E_NOMEM;
        }
        r->buf = nb;
        r->cap = ncap;
        r->p = nb;
    }

    while (r->len < need && !r->eof) {
        n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return SPOOR_E_IO;
        }
        if (n == 0) {
            r->eof = 1;
        }
        r->len += (size_t) n;
        r->stats.bytes += (uint64_t) n;
    }
    return SPOOR_OK;
}


static void
emit(spoor_reader_t *r, const spoor_damage_t *d)
{
    r->stats.damage_events++;
    r->stats.bytes_skipped += d->bytes;
    if (d->kind != SPOOR_DAMAGE_GARBAGE && d->kind != SPOOR_DAMAGE_MISMATCH) {
        r->stats.frames_damaged++;
    }
    if (d->has_meta || d->kind == SPOOR_DAMAGE_BAD_RECORD) {
        r->stats.records_lost += d->records_lost;
    }
    if (d->kind == SPOOR_DAMAGE_TRUNCATED) {
        r->stats.truncated = 1;
    }
    if (r->on_damage) {
        r->on_damage(r->arg, d);
    }
}


/* Reports damage to a frame whose metadata is known (meta may be NULL
 * for a frame without one). */
static void
emit_frame(spoor_reader_t *r, spoor_damage_kind_t kind, uint64_t offset,
    uint64_t bytes, const spoor_frame_meta_t *meta, uint64_t lost,
    const char *detail)
{
    spoor_damage_t  d;

    memset(&d, 0, sizeof(d));
    d.kind = kind;
    d.offset = offset;
    d.bytes = bytes;
    d.has_meta = meta != NULL;
    if (meta) {
        d.meta = *meta;
    }
    d.records_lost = lost;
    d.detail = detail;
    emit(r, &d);
}


/*
 * Opens a damaged stretch at pos (or joins the one already open) and
 * moves pos forward by n.  A pending metadata frame belongs to the data
 * frame that should have started here: the stretch takes it over.
 */
static void
skip(spoor_reader_t *r, size_t n, spoor_damage_kind_t kind,
    const char *detail, int incomplete)
{
    spoor_damage_t  *d = &r->region;

    if (!r->dmg) {
        r->dmg = 1;
        r->dmg_incomplete = incomplete;
        memset(d, 0, sizeof(*d));
        d->kind = kind;
        d->offset = r->base + r->pos;
        d->detail = detail;
        if (d->offset == 0 && kind == SPOOR_DAMAGE_GARBAGE
            && r->len - r->pos >= 2
            && r->p[r->pos] == 0x1f && r->p[r->pos + 1] == 0x8b)
        {
            d->detail = "the input looks gzip-compressed: decompress it "
                        "first (zcat FILE | spoor ... -)";
        }

        if (r->pend) {
            r->pend = 0;
            d->has_meta = 1;
            d->meta = r->pmeta;
            d->records_lost = r->pmeta.records;
            d->offset = r->pmeta_off;
            if (kind == SPOOR_DAMAGE_GARBAGE) {
                d->kind = SPOOR_DAMAGE_CORRUPT;
                d->detail = "data frame unrecognisable";
            }
        }
    }
    r->pos += n;
}


/* Reports the open stretch as ending at input offset `end`. */
static void
close_region(spoor_reader_t *r, uint64_t end, int at_eof)
{
    spoor_damage_t  *d = &r->region;

    if (!r->dmg) {
        return;
    }
    r->dmg = 0;
    d->bytes = end - d->offset;

    if (r->dmg_incomplete) {
        if (at_eof) {
            d->kind = SPOOR_DAMAGE_TRUNCATED;
            d->detail = "input ends inside the frame";
        } else {
            d->kind = SPOOR_DAMAGE_CORRUPT;
            d->detail = "frame runs into the next frame";
        }
    }
    emit(r, d);
}


/* Returns 1 when a metadata frame was taken, 0 when pos is no metadata. */
static int
try_meta(spoor_reader_t *r)
{
    spoor_frame_meta_t   m;
    uint32_t             size;
    uint64_t             at;
    int                  rc;

    if ((rc = ensure(r, SPOOR_META_HEADER)) != SPOOR_OK) {
        return rc;
    }
    if (r->len - r->pos < SPOOR_META_HEADER) {
        skip(r, 1, SPOOR_DAMAGE_TRUNCATED, "metadata cut short", 1);
        return 0;
    }

    size = spoor_le32(r->p + r->pos + 4);
    if (size > SPOOR_META_PAYLOAD_MAX) {
        skip(r, 1, SPOOR_DAMAGE_GARBAGE, "bytes outside any frame", 0);
        return 0;
    }
    if ((rc = ensure(r, SPOOR_META_HEADER + size)) != SPOOR_OK) {
        return rc;
    }
    if (r->len - r->pos < SPOOR_META_HEADER + size) {
        skip(r, 1, SPOOR_DAMAGE_TRUNCATED, "metadata cut short", 1);
        return 0;
    }
    if (spoor_meta_decode(r->p + r->pos + SPOOR_META_HEADER, size, &m)
        != SPOOR_OK)
    {
        skip(r, 1, SPOOR_DAMAGE_GARBAGE, "bytes outside any frame", 0);
        return 0;
    }

    at = r->base + r->pos;
    close_region(r, at, 0);

    if (r->pend) {
        emit_frame(r, SPOOR_DAMAGE_ORPHAN_META, r->pmeta_off,
                   r->pmeta_end - r->pmeta_off, &r->pmeta, r->pmeta.records,
                   "metadata without its data frame");
    }

    r->pend = 1;
    r->pmeta = m;
    r->pmeta_off = at;
    r->pmeta_end = at + SPOOR_META_HEADER + size;
    r->pos += SPOOR_META_HEADER + size;
    return 1;
}


/*
 * Ends the walk of the delivered frame: its records are counted in the
 * stats, and its damage reported: `bad` bytes that are no msgpack value
 * (the rest of the frame is lost), or a count that differs from the
 * metadata.
 */
static void
walk_end(spoor_reader_t *r, int bad)
{
    spoor_frame_t  *f = &r->wf;

    r->walking = 0;
    r->stats.records += f->records;
    if (bad) {
        emit_frame(r, SPOOR_DAMAGE_BAD_RECORD, f->offset, 0,
                   f->has_meta ? &f->meta : NULL,
                   (f->has_meta && f->meta.records > f->records)
                   ? f->meta.records - f->records : 1,
                   "bytes that are no msgpack value in a verified frame");
        return;
    }
    if (f->has_meta && f->meta.records != f->records) {
        emit_frame(r, SPOOR_DAMAGE_MISMATCH, f->offset, 0, &f->meta, 0,
                   "record count differs from the metadata");
    }
}


/* Steps over the records of the delivered frame not walked yet. */
static void
walk_rest(spoor_reader_t *r)
{
    const unsigned char  *rec;
    size_t                len;

    while (spoor_frame_next_record(r, &r->wf, &rec, &len)) {
        /* counted by the walk */
    }
}


/* How far to move after a data frame attempt that failed having read
 * `used` bytes from pos (see SPOOR_READ_WORK_PER_BYTE). */
static size_t
fail_advance(spoor_reader_t *r, size_t used)
{
    r->stats.failed_work += used;
    if (used > 1
        && r->stats.failed_work > SPOOR_READ_WORK_PER_BYTE * r->stats.bytes
                                   + SPOOR_READ_WORK_SLACK)
    {
        return used;
    }
    return 1;
}


/* Returns 1 with a frame in *f, 0 when pos holds no intact frame. */
static int
try_frame(spoor_reader_t *r, spoor_frame_t *f)
{
    LZ4F_frameInfo_t           info;
    LZ4F_decompressOptions_t   opt;
    unsigned char             *nb;
    size_t                     hsz, rel, src, dst, out_len, need;
    size_t                     hint;
    uint64_t                   at;
    int                        rc;

    if ((rc = ensure(r, LZ4F_HEADER_SIZE_MAX)) != SPOOR_OK) {
        return rc;
    }
    if (r->len - r->pos < LZ4F_MIN_SIZE_TO_KNOW_HEADER_LENGTH) {
        skip(r, 1, SPOOR_DAMAGE_TRUNCATED, "frame header cut short", 1);
        return 0;
    }
    hsz = LZ4F_headerSize(r->p + r->pos, r->len - r->pos);
    if (LZ4F_isError(hsz)) {
        skip(r, 1, SPOOR_DAMAGE_GARBAGE, "bytes outside any frame", 0);
        return 0;
    }
    if (hsz > r->len - r->pos) {
        skip(r, 1, SPOOR_DAMAGE_TRUNCATED, "frame header cut short", 1);
        return 0;
    }

    LZ4F_resetDecompressionContext(r->dctx);
    src = hsz;
    if (LZ4F_isError(LZ4F_getFrameInfo(r->dctx, &info, r->p + r->pos, &src)))
    {
        skip(r, 1, SPOOR_DAMAGE_GARBAGE, "bytes outside any frame", 0);
        return 0;
    }
    if (!info.contentChecksumFlag) {
        skip(r, 1, SPOOR_DAMAGE_CORRUPT, "frame has no content checksum", 0);
        return 0;
    }
    if (info.contentSize > SPOOR_FRAME_CONTENT_MAX) {
        skip(r, 1, SPOOR_DAMAGE_CORRUPT, "frame declares more than 16 MiB",
             0);
        return 0;
    }

    /* size the content buffer now: it must not move during the frame */
    need = info.contentSize ? (size_t) info.contentSize
                            : SPOOR_FRAME_CONTENT_MAX;
    if (need > r->out_cap) {
        if (need < OUT_START) {
            need = OUT_START;
        }
        nb = realloc(r->out, need);
        if (nb == NULL) {
            return SPOOR_E_NOMEM;
        }
        r->out = nb;
        r->out_cap = need;
    }

    /* The content checksum is checked here, with libxxhash, rather than
     * by LZ4F: Debian's liblz4 has an auto-vectorised XXH32 at half the
     * speed, a third of `spoor verify`.  A frame with block checksums
     * (never written by spoor) keeps LZ4F's checks for those. */
    memset(&opt, 0, sizeof(opt));
    opt.skipChecksums = !info.blockChecksumFlag;

    rel = src;
    out_len = 0;

    for ( ;; ) {
        if (rel + 1 > SPOOR_READ_WINDOW_MAX) {
            skip(r, fail_advance(r, rel), SPOOR_DAMAGE_CORRUPT,
                 "frame larger than 16 MiB", 0);
            return 0;
        }
        if ((rc = ensure(r, rel + 1)) != SPOOR_OK) {
            return rc;
        }
        if (r->len - r->pos <= rel) {
            skip(r, fail_advance(r, rel), SPOOR_DAMAGE_TRUNCATED,
                 "input ends inside the frame", 1);
            return 0;
        }

        src = r->len - r->pos - rel;
        dst = r->out_cap - out_len;
        hint = LZ4F_decompress(r->dctx, r->out + out_len, &dst,
                               r->p + r->pos + rel, &src, &opt);
        if (LZ4F_isError(hint)) {
            skip(r, fail_advance(r, rel + src), SPOOR_DAMAGE_CORRUPT,
                 LZ4F_getErrorName(hint), 0);
            return 0;
        }
        rel += src;
        out_len += dst;

        if (hint == 0) {
            break;
        }
        if (src == 0 && dst == 0) {
            skip(r, fail_advance(r, rel), SPOOR_DAMAGE_CORRUPT,
                 "content larger than declared", 0);
            return 0;
        }
    }

    if (opt.skipChecksums
        && XXH32(r->out, out_len, 0) != spoor_le32(r->p + r->pos + rel - 4))
    {
        skip(r, fail_advance(r, rel), SPOOR_DAMAGE_CORRUPT,
             "ERROR_contentChecksum_invalid", 0);    /* LZ4F's words */
        return 0;
    }

    at = r->base + r->pos;
    memset(f, 0, sizeof(*f));
    f->offset = at;

    if (r->dmg && r->region.has_meta && r->region.meta.frame_bytes == rel
        && r->region.meta.content_bytes == out_len)
    {
        /* bytes crept in between this frame and its metadata: the frame
         * is intact, only the stretch before it is damage */
        f->has_meta = 1;
        f->meta = r->region.meta;
        r->region.has_meta = 0;
        r->region.records_lost = 0;
        r->region.kind = SPOOR_DAMAGE_GARBAGE;
        r->region.detail = "bytes between a frame and its metadata";
        r->dmg_incomplete = 0;
    }
    close_region(r, at, 0);

    if (r->pend) {
        r->pend = 0;
        f->has_meta = 1;
        f->meta = r->pmeta;
        f->offset = r->pmeta_off;
    }
    f->length = at + rel - f->offset;
    f->checksum = spoor_le32(r->p + r->pos + rel - 4);
    f->content = r->out;
    f->content_len = out_len;

    if (f->has_meta
        && (f->meta.frame_bytes != rel || f->meta.content_bytes != out_len))
    {
        emit_frame(r, SPOOR_DAMAGE_MISMATCH, f->offset, 0, &f->meta, 0,
                   "frame size differs from the metadata");
    }

    /* its records are counted as they are walked */
    f->records = 0;
    r->wf = *f;
    r->woff = 0;
    r->walking = 1;

    r->pos += rel;
    r->stats.frames++;
    return 1;
}


/* Index of the next byte at or after `from` that may start a frame. */
static size_t
next_magic(const unsigned char *p, size_t from, size_t len)
{
    const unsigned char  *q, *end;

    if (len - from < 4) {
        return len;
    }
    q = p + from + 3;
    end = p + len;
    while (q < end) {
        q = memchr(q, 0x18, (size_t) (end - q));
        if (q == NULL) {
            break;
        }
        if (q[-1] == 0x4D
            && ((q[-2] == 0x22 && q[-3] == 0x04)
                || (q[-2] == 0x2A && q[-3] == 0x53)))
        {
            return (size_t) (q - 3 - p);
        }
        q++;
    }
    return len - 3;   /* a magic may still straddle the window's end */
}


int
spoor_reader_next_frame(spoor_reader_t *r, spoor_frame_t *f)
{
    uint32_t        magic;
    size_t          at;
    int             rc;

    walk_rest(r);

    for ( ;; ) {
        if ((rc = ensure(r, 8)) != SPOOR_OK) {
            return rc;
        }

        if (r->len - r->pos < 4) {
            if (r->len > r->pos) {
                /* after metadata, these can only be a data frame cut short */
                skip(r, r->len - r->pos, SPOOR_DAMAGE_GARBAGE,
                     "bytes outside any frame", r->pend);
            }
            if (r->dmg) {
                close_region(r, r->base + r->pos, 1);
            } else if (r->pend) {
                r->pend = 0;
                emit_frame(r, SPOOR_DAMAGE_TRUNCATED, r->pmeta_off,
                           r->pmeta_end - r->pmeta_off, &r->pmeta,
                           r->pmeta.records, "input ends after the metadata");
            }
            return 0;
        }

        magic = spoor_le32(r->p + r->pos);

        if (magic == SPOOR_META_MAGIC) {
            rc = try_meta(r);
        } else if (magic == SPOOR_LZ4_MAGIC) {
            rc = try_frame(r, f);
            if (rc == 1) {
                return 1;
            }
        } else {
            at = next_magic(r->p, r->pos + 1, r->len);
            if (r->eof && at == r->len - 3) {
                at = r->len;       /* no magic fits in the last 3 bytes */
            }
            skip(r, at - r->pos, SPOOR_DAMAGE_GARBAGE,
                 "bytes outside any frame", 0);
            rc = 0;
        }

        if (rc < 0) {
            return rc;
        }
    }
}


void *
spoor_reader_take_content(spoor_reader_t *r, size_t *cap)
{
    void  *b = r->out;

    *cap = r->out_cap;
    r->out = NULL;
    r->out_cap = 0;
    return b;
}


void
spoor_reader_give_buffer(spoor_reader_t *r, void *buf, size_t cap)
{
    if (r->out == NULL && buf != NULL) {
        r->out = buf;
        r->out_cap = cap;
    } else {
        free(buf);
    }
}


int
spoor_frame_next_record(spoor_reader_t *r, spoor_frame_t *f,
    const unsigned char **rec, size_t *len)
{
    size_t  n;

    if (!r->walking) {
        return 0;
    }
    if (r->woff >= r->wf.content_len) {
        walk_end(r, 0);
    } else if (spoor_mp_check(r->wf.content + r->woff,
                              r->wf.content_len - r->woff,
                              SPOOR_MP_DEPTH_CAP, &n) != SPOOR_OK)
    {
        walk_end(r, 1);
    } else {
        *rec = r->wf.content + r->woff;
        *len = n;
        r->woff += n;
        f->records = ++r->wf.records;
        return 1;
    }
    f->records = r->wf.records;
    return 0;
}


int
spoor_frame_next_event(spoor_reader_t *r, spoor_frame_t *f,
    spoor_event_t *ev, int *status)
{
    size_t  n;
    int     rc;

    if (!r->walking) {
        return 0;
    }
    if (r->woff >= r->wf.content_len) {
        walk_end(r, 0);
        f->records = r->wf.records;
        return 0;
    }
    rc = spoor_event_decode_next(r->wf.content + r->woff,
                                 r->wf.content_len - r->woff, ev, &n);
    if (n == 0) {
        walk_end(r, 1);
        f->records = r->wf.records;
        return 0;
    }
    r->woff += n;
    f->records = ++r->wf.records;
    *status = rc;
    return 1;
}


uint64_t
spoor_frame_finish(spoor_reader_t *r, spoor_frame_t *f)
{
    walk_rest(r);
    f->records = r->wf.records;
    return f->records;
}
