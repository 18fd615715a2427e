/*
 * cli.c -- small helpers shared by the subcommands (see cli.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "json_out.h"
#include "logreader.h"
#include "requests.h"
#include "serve_key.h"
#include "snapshot.h"


int
cli_open_log(const char *cmd, const char *path)
{
    int  fd;

    if (strcmp(path, "-") == 0) {
        return STDIN_FILENO;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        fprintf(stderr, "spoor %s: %s: %s\n", cmd, path, strerror(errno));
    }
    return fd;
}


void
cli_close_log(int fd)
{
    if (fd > STDIN_FILENO) {
        close(fd);
    }
}


int
cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}


void
cli_format_time(long long ms, char *buf)
{
    struct tm  tm;
    time_t     s;
    long long  frac;

    s = (time_t) (ms / 1000);
    frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        s--;
    }
    if (gmtime_r(&s, &tm) == NULL) {
        snprintf(buf, 64, "%lld", ms);
        return;
    }
    snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
}


void
cli_print_damage(FILE *f, const char *path, const void *damage)
{
    const spoor_damage_t  *d = damage;

    fprintf(f, "%s: %s at offset %llu", path, spoor_damage_name(d->kind),
            (unsigned long long) d->offset);
    if (d->bytes) {
        fprintf(f, " (%llu bytes)", (unsigned long long) d->bytes);
    }
    if (d->has_meta) {
        fprintf(f, ": writer %016llx seq %llu",
                (unsigned long long) d->meta.writer_id,
                (unsigned long long) d->meta.seq);
    }
    if (d->has_meta || d->kind == SPOOR_DAMAGE_BAD_RECORD) {
        fprintf(f, ", %llu records lost",
                (unsigned long long) d->records_lost);
    }
    fprintf(f, ": %s\n", d->detail);
}


int
cli_open_state(int argc, char **argv, const char *cmd, state_cli_t *cli,
    state_t *st, int flags)
{
    char  err[1024];
    int   first, rc, nomem = 0;

    first = settings_parse_args(argc, argv, cmd, cli);
    if (first == -1) {
        return -100;
    }
    if (first == -3) {
        return -EXIT_IO;
    }
    if (first < 0) {
        return -EXIT_USAGE;
    }
    rc = state_open(st, cli->dir, STATE_WRITE | flags, err, sizeof(err));
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor %s: %s\n", cmd, err);
        return -EXIT_IO;
    }
    if (st->journal_applied) {
        fprintf(stderr, "spoor %s: %" PRIu64 " profiles erased from the "
                "erasure journal (generation %06" PRIu32 " predates them)\n",
                cmd, st->journal_applied, st->gen);
    }
    rc = state_configure(st, &cli->set, err, sizeof(err));
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor %s: %s\n", cmd, err);
        state_close(st);
        return rc == SPOOR_E_NOMEM ? -EXIT_IO : -EXIT_USAGE;
    }
    /* erasures queued while another run held the state (requests.h) */
    (void) requests_apply(st, cmd, NULL, &nomem);
    if (nomem) {
        fprintf(stderr, "spoor %s: out of memory\n", cmd);
        state_close(st);
        return -EXIT_IO;
    }
    return first;
}


char *
cli_lineage_member(const char *what, const char *const *keys,
    const uint64_t *vals, size_t n)
{
    json_out_t   j;
    const char  *m;
    char        *out = NULL;
    size_t       i, len;

    if (json_out_init(&j, NULL) != 0) {
        return NULL;
    }
    json_out_map_open(&j);
    json_out_cstr(&j, what);
    json_out_map_open(&j);
    for (i = 0; i < n; i++) {
        json_out_cstr(&j, keys[i]);
        if (vals[i] == CLI_NULL) {
            json_out_null(&j);
        } else {
            json_out_uint(&j, vals[i]);
        }
    }
    json_out_map_close(&j);
    m = json_out_members(&j, &len);
    if (m != NULL) {
        out = strndup(m, len);
    }
    json_out_free(&j);
    return out;
}


int
cli_replace_file(const char *path, const void *data, size_t len)
{
    char        dir[4096], *slash;
    const char *name;

    if (strlen(path) >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return SPOOR_E_INVAL;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL) {
        name = path;
        snprintf(dir, sizeof(dir), ".");
    } else {
        *slash = '\0';
        name = path + (slash - dir) + 1;
        if (dir[0] == '\0') {
            snprintf(dir, sizeof(dir), "/");
        }
    }
    return spoor_write_file_atomic(dir, name, data, len);
}


int
cli_read_key(const char *path, unsigned char *key, size_t *len, char *err,
    size_t errlen)
{
    FILE    *f;
    size_t   n;
    int      bad;

    *len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SPOOR_E_IO;
    }
    n = fread(key, 1, SPOOR_KEY_FILE_MAX + 1, f);
    bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: cannot read it", path);
        return SPOOR_E_IO;
    }
    if (n > SPOOR_KEY_FILE_MAX || spoor_key_trim(key, &n) != SPOOR_OK) {
        snprintf(err, errlen, "%s holds %zu bytes; a key needs %d to %d "
                 "(e.g. openssl rand -hex 32)", path, n, SPOOR_KEY_MIN,
                 SPOOR_KEY_FILE_MAX);
        return SPOOR_E_INVAL;
    }
    *len = n;
    return SPOOR_OK;
}


void
cli_write_status(const char *cmd, const char *path, json_out_t *j)
{
    const char  *text;
    char        *line;
    size_t       len;

    text = json_out_text(j, &len);
    if (text == NULL || (line = malloc(len + 1)) == NULL) {
        fprintf(stderr, "spoor %s: --status %s: out of memory\n", cmd, path);
        return;
    }
    memcpy(line, text, len);
    line[len] = '\n';
    if (cli_replace_file(path, line, len + 1) != SPOOR_OK) {
        fprintf(stderr, "spoor %s: --status %s: %s\n", cmd, path,
                strerror(errno));
    }
    free(line);
}
