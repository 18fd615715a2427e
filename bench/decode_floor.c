/*
 * decode_floor.c -- the decode floor of the analyzer benchmark: the least
 * work any reader of a spoor log has to do, done with the two libraries
 * alone.
 *
 * For each LOG it reads the file front to back and, frame by frame:
 *
 *   - skips an LZ4 skippable frame (magic 0x184D2A50..0x184D2A5F: spoor's
 *     frame metadata, docs/FORMAT.md) by the length in its header, without
 *     looking inside;
 *   - decompresses an LZ4 data frame (magic 0x184D2204) with liblz4's frame
 *     API, LZ4F_decompress(), into one buffer reused for every frame (liblz4
 *     verifies the block and content checksums the frame asks for);
 *   - unpacks every record of the frame's content, one msgpack map after
 *     another, into a msgpack_object with msgpack_unpack(), on ONE
 *     msgpack_zone that is cleared after each record.
 *
 * Nothing else: no field is looked at and nothing is kept, so what it takes
 * is what reading a log costs before any analysis.  It shares no code with
 * spoor (not shared/logreader.c, not even shared/logframe.h): it is the
 * independent yardstick `spoor ingest` is measured against
 * (bench/analyzer.sh).  It expects intact logs: damage of any kind stops it
 * with exit code 1, it never resynchronises.
 *
 * Memory: one input window (IN_SIZE), one frame's content (at most
 * CONTENT_MAX, the largest spoor writes or reads), one LZ4F context and one
 * zone, whatever the input.
 *
 *     decode_floor LOG...
 *
 * prints one JSON line on standard output:
 *
 *     {"files":1,"frames":F,"skipped":M,"records":N,"bytes_in":B,
 *      "bytes_out":C,"seconds":S}
 *
 * where skipped counts skippable frames, bytes_out is the decompressed
 * content and seconds the CPU time (user + system) of the process.
 * Exit codes: 0 read, 1 a log is damaged, 2 usage error, 3 a log could not
 * be read or the buffers not allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <lz4frame.h>
#include <msgpack.h>

#define LZ4_DATA_MAGIC      0x184D2204u     /* the LZ4 frame format's */
#define LZ4_SKIP_MAGIC_MIN  0x184D2A50u
#define LZ4_SKIP_MAGIC_MAX  0x184D2A5Fu
#define LZ4_SKIP_HEADER     8               /* magic + u32le length */

#define IN_SIZE             (1u << 20)
#define CONTENT_INITIAL     (1u << 20)
#define CONTENT_MAX         (16u << 20)     /* docs/FORMAT.md */
#define ZONE_CHUNK          (64u << 10)

#define FLOOR_OK            0
#define FLOOR_DAMAGED       1
#define FLOOR_USAGE         2
#define FLOOR_IO            3

typedef struct {
    const char     *path;
    int             fd;
    int             eof;
    unsigned char  *in;             /* in[pos .. len) not yet used */
    size_t          pos;
    size_t          len;
    unsigned char  *content;        /* one frame's records */
    size_t          content_cap;
    LZ4F_dctx      *dctx;
    msgpack_zone    zone;
    uint64_t        frames;
    uint64_t        skipped;
    uint64_t        records;
    uint64_t        bytes_in;
    uint64_t        bytes_out;
} floor_t;


static int floor_file(floor_t *f, const char *path);
static int floor_fill(floor_t *f);
static int floor_skip(floor_t *f, uint64_t n);
static int floor_frame(floor_t *f);
static int floor_records(floor_t *f, size_t len);
static int floor_damaged(floor_t *f, const char *what);
static double cpu_seconds(void);


int
main(int argc, char **argv)
{
    floor_t  f;
    double   t0;
    int      i, rc;

    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: decode_floor LOG...\n");
        return FLOOR_USAGE;
    }

    t0 = cpu_seconds();

    memset(&f, 0, sizeof(f));
    f.in = malloc(IN_SIZE);
    f.content_cap = CONTENT_INITIAL;
    f.content = malloc(f.content_cap);
    if (f.in == NULL || f.content == NULL
        || LZ4F_isError(LZ4F_createDecompressionContext(&f.dctx,
                                                        LZ4F_VERSION))
        || !msgpack_zone_init(&f.zone, ZONE_CHUNK))
    {
        fprintf(stderr, "decode_floor: out of memory\n");
        return FLOOR_IO;
    }

    rc = FLOOR_OK;
    for (i = 1; i < argc && rc == FLOOR_OK; i++) {
        rc = floor_file(&f, argv[i]);
    }

    msgpack_zone_destroy(&f.zone);
    LZ4F_freeDecompressionContext(f.dctx);
    free(f.content);
    free(f.in);

    if (rc != FLOOR_OK) {
        return rc;
    }

    printf("{\"files\":%d,\"frames\":%" PRIu64 ",\"skipped\":%" PRIu64
           ",\"records\":%" PRIu64 ",\"bytes_in\":%" PRIu64
           ",\"bytes_out\":%" PRIu64 ",\"seconds\":%.3f}\n",
           argc - 1, f.frames, f.skipped, f.records, f.bytes_in,
           f.bytes_out, cpu_seconds() - t0);

    return FLOOR_OK;
}


/*
 * Reads one log to its end.  Returns FLOOR_OK, FLOOR_DAMAGED (reported) or
 * FLOOR_IO (reported).
 */
static int
floor_file(floor_t *f, const char *path)
{
    uint32_t  magic, size;
    int       rc;

    f->path = path;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd == -1) {
        fprintf(stderr, "decode_floor: %s: %s\n", path, strerror(errno));
        return FLOOR_IO;
    }
    (void) posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    f->eof = 0;
    f->pos = 0;
    f->len = 0;

    for ( ;; ) {
        while (f->len - f->pos < LZ4_SKIP_HEADER && !f->eof) {
            if ((rc = floor_fill(f)) != FLOOR_OK) {
                goto done;
            }
        }

        if (f->len == f->pos) {
            rc = FLOOR_OK;
            break;
        }

        if (f->len - f->pos < LZ4_SKIP_HEADER) {
            rc = floor_damaged(f, "input ends inside a frame header");
            break;
        }

        magic = (uint32_t) f->in[f->pos] | (uint32_t) f->in[f->pos + 1] << 8
                | (uint32_t) f->in[f->pos + 2] << 16
                | (uint32_t) f->in[f->pos + 3] << 24;

        if (magic >= LZ4_SKIP_MAGIC_MIN && magic <= LZ4_SKIP_MAGIC_MAX) {
            size = (uint32_t) f->in[f->pos + 4]
                   | (uint32_t) f->in[f->pos + 5] << 8
                   | (uint32_t) f->in[f->pos + 6] << 16
                   | (uint32_t) f->in[f->pos + 7] << 24;
            f->skipped++;
            rc = floor_skip(f, (uint64_t) LZ4_SKIP_HEADER + size);

        } else if (magic == LZ4_DATA_MAGIC) {
            rc = floor_frame(f);

        } else {
            rc = floor_damaged(f, "no LZ4 frame magic number");
        }

        if (rc != FLOOR_OK) {
            break;
        }
    }

done:

    close(f->fd);
    return rc;
}


/*
 * Moves the unused input to the front of the window and reads more after
 * it; sets eof at the end of the file.  The caller leaves room (pos > 0 or
 * len < IN_SIZE).  Returns FLOOR_OK or FLOOR_IO (reported).
 */
static int
floor_fill(floor_t *f)
{
    ssize_t  n;

    if (f->pos > 0) {
        memmove(f->in, f->in + f->pos, f->len - f->pos);
        f->len -= f->pos;
        f->pos = 0;
    }

    do {
        n = read(f->fd, f->in + f->len, IN_SIZE - f->len);
    } while (n == -1 && errno == EINTR);

    if (n == -1) {
        fprintf(stderr, "decode_floor: %s: %s\n", f->path, strerror(errno));
        return FLOOR_IO;
    }

    if (n == 0) {
        f->eof = 1;
    }

    f->len += (size_t) n;
    f->bytes_in += (uint64_t) n;

    return FLOOR_OK;
}


/* Skips n bytes of input (a skippable frame, header included). */
static int
floor_skip(floor_t *f, uint64_t n)
{
    size_t  step;
    int     rc;

    for ( ;; ) {
        step = f->len - f->pos;
        if (step > n) {
            step = (size_t) n;
        }
        f->pos += step;
        n -= step;

        if (n == 0) {
            return FLOOR_OK;
        }
        if (f->eof) {
            return floor_damaged(f, "input ends inside a skippable frame");
        }
        if ((rc = floor_fill(f)) != FLOOR_OK) {
            return rc;
        }
    }
}


/*
 * Decompresses the LZ4 data frame at pos into f->content, then unpacks its
 * records.  The content buffer grows (doubling, up to CONTENT_MAX) when a
 * frame needs more; liblz4 keeps its own copy of the history a linked
 * block needs, so the buffer may move between calls.
 */
static int
floor_frame(floor_t *f)
{
    unsigned char  *p;
    size_t          out, src, dst, hint, cap;
    int             rc;

    out = 0;

    for ( ;; ) {
        if (out == f->content_cap) {
            if (f->content_cap >= CONTENT_MAX) {
                LZ4F_resetDecompressionContext(f->dctx);
                return floor_damaged(f, "frame content over 16 MiB");
            }
            cap = f->content_cap * 2;
            p = realloc(f->content, cap);
            if (p == NULL) {
                fprintf(stderr, "decode_floor: out of memory\n");
                return FLOOR_IO;
            }
            f->content = p;
            f->content_cap = cap;
        }

        src = f->len - f->pos;
        dst = f->content_cap - out;
        hint = LZ4F_decompress(f->dctx, f->content + out, &dst,
                               f->in + f->pos, &src, NULL);
        if (LZ4F_isError(hint)) {
            LZ4F_resetDecompressionContext(f->dctx);
            return floor_damaged(f, LZ4F_getErrorName(hint));
        }
        f->pos += src;
        out += dst;

        if (hint == 0) {
            break;                  /* the frame is complete */
        }

        if (f->pos == f->len) {
            if (f->eof) {
                LZ4F_resetDecompressionContext(f->dctx);
                return floor_damaged(f, "input ends inside a data frame");
            }
            if ((rc = floor_fill(f)) != FLOOR_OK) {
                return rc;
            }
        }
    }

    f->frames++;
    f->bytes_out += out;

    return floor_records(f, out);
}


/* Unpacks the records of content[0 .. len), one zone reused for all. */
static int
floor_records(floor_t *f, size_t len)
{
    msgpack_object         obj;
    msgpack_unpack_return  ret;
    size_t                 off;

    off = 0;

    while (off < len) {
        ret = msgpack_unpack((const char *) f->content, len, &off, &f->zone,
                             &obj);
        msgpack_zone_clear(&f->zone);

        if (ret != MSGPACK_UNPACK_SUCCESS
            && ret != MSGPACK_UNPACK_EXTRA_BYTES)
        {
            return floor_damaged(f, ret == MSGPACK_UNPACK_CONTINUE
                                    ? "a record is cut short"
                                    : "a record is no msgpack value");
        }

        f->records++;
    }

    return FLOOR_OK;
}


static int
floor_damaged(floor_t *f, const char *what)
{
    fprintf(stderr, "decode_floor: %s: damaged near byte %" PRIu64 ": %s\n",
            f->path, f->bytes_in - (f->len - f->pos), what);

    return FLOOR_DAMAGED;
}


static double
cpu_seconds(void)
{
    struct timespec  ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) {
        return 0;
    }

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
