/*
 * cmd_query.c -- the read side of a state directory: `spoor profile`,
 * `spoor export`, `spoor segments`, `spoor stats`, `spoor lineage`,
 * `spoor rules`.
 * They read the current snapshot (mapped, state.h) and never write.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "default_rules.h"
#include "dir_names.h"
#include "error.h"
#include "json_out.h"
#include "lineage.h"
#include "profile_json.h"
#include "rules.h"
#include "snapshot.h"
#include "state.h"
#include "state_view.h"
#include "stats.h"
#include "stored.h"


/* --state DIR and the remaining arguments; returns the index of the first
 * argument after the options, -1 for --help, -2 for a usage error. */
static int
state_arg(int argc, char **argv, const char *cmd, const char **dir)
{
    int  i;

    *dir = NULL;
    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            return -1;
        }
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            *dir = argv[++i];
        } else if (strncmp(argv[i], "--state=", 8) == 0) {
            *dir = argv[i] + 8;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "spoor %s: unknown option '%s'\n", cmd, argv[i]);
            return -2;
        } else {
            break;
        }
    }
    if (*dir == NULL) {
        fprintf(stderr, "spoor %s: --state DIR is required\n", cmd);
        return -2;
    }
    return i;
}


static int
open_current(const char *cmd, const char *dir, state_view_t *v)
{
    char  err[1024];

    if (state_view_open(v, dir, err, sizeof(err)) != SPOOR_OK) {
        fprintf(stderr, "spoor %s: %s\n", cmd, err);
        return -1;
    }
    return 0;
}


/* Reports a profile record that fails its checksum or cannot be read. */
static void
damaged(const char *cmd, const char *dir, size_t i)
{
    fprintf(stderr, "spoor %s: %s: profile %zu of the current snapshot is "
            "damaged and was skipped (spoor recover --state %s rolls back "
            "to an intact generation)\n", cmd, dir, i, dir);
}


/* ---- profile ---------------------------------------------------------------- */

typedef struct {
    size_t   file[8];            /* the chain's file, and the profile */
    size_t   found[8];
    size_t   n;
} hits_t;

static void
on_hit(void *arg, size_t f, size_t i)
{
    hits_t  *h = arg;
    size_t   k;

    for (k = 0; k < h->n; k++) {
        if (h->file[k] == f && h->found[k] == i) {
            return;
        }
    }
    if (h->n < 8) {
        h->file[h->n] = f;
        h->found[h->n++] = i;
    }
}


/* The record blob has an id (kind, text) equal to id, or is profile id
 * `id` (is_pid): guards against a hash collision.  1 yes, 0 no, -1 the
 * record is malformed. */
static int
has_id(const unsigned char *blob, size_t len, const char *id, size_t idlen,
    int is_pid)
{
    stored_profile_t  v;
    size_t            k;
    int               yes = 0;

    if (stored_profile_read(&v, blob, len, NULL, 0) != SPOOR_OK) {
        yes = -1;
    } else if (is_pid) {
        yes = v.has_id && v.id.len == idlen
              && memcmp(v.id.ptr, id, idlen) == 0;
    } else {
        for (k = 0; k < v.nids && !yes; k++) {
            yes = v.ids[k].text.len == idlen
                  && memcmp(v.ids[k].text.ptr, id, idlen) == 0;
        }
    }
    stored_profile_free(&v);
    return yes;
}


int
cmd_profile(int argc, char **argv)
{
    const char           *dir;
    int                   first, i, exit_code = EXIT_OK;
    state_view_t          v;
    json_out_t            j;
    static const char    *kinds[] = { "u", "a", "v", "p" };

    first = state_arg(argc, argv, "profile", &dir);
    if (first == -1) {
        printf("usage: spoor profile --state DIR ID...\n\n"
               "Prints the profile that has ID (a user id, anonymous id,\n"
               "visitor id or profile id) as one JSON line.\n\n"
               "exit codes: 0 every ID found, 4 an ID has no profile, 1 a\n"
               "profile met was damaged (reported), 3 no usable state\n");
        return EXIT_OK;
    }
    if (first < 0) {
        return EXIT_USAGE;
    }
    if (first >= argc) {
        fprintf(stderr, "spoor profile: no ID given\n");
        return EXIT_USAGE;
    }
    if (open_current("profile", dir, &v) != 0) {
        return EXIT_IO;
    }
    if (json_out_init(&j, stdout) != 0) {
        state_view_close(&v);
        return EXIT_IO;
    }

    for (i = first; i < argc; i++) {
        hits_t  h;
        size_t  k, n = 0, len, id_len = strlen(argv[i]);
        int     kk, bad = 0;

        h.n = 0;
        for (kk = 0; kk < 4; kk++) {
            hits_t  one;

            one.n = 0;
            (void) chain_find(&v.c, spoor_id_hash(kinds[kk], argv[i], id_len),
                              on_hit, &one);
            for (k = 0; k < one.n; k++) {
                const unsigned char  *b = chain_record(&v.c, one.file[k],
                                                       one.found[k], &len);

                switch (b ? has_id(b, len, argv[i], id_len, kk == 3) : -1) {
                case 1:
                    on_hit(&h, one.file[k], one.found[k]);
                    break;
                case -1:
                    damaged("profile", dir, one.found[k]);
                    bad = 1;
                    break;
                }
            }
        }
        for (k = 0; k < h.n; k++) {
            const unsigned char  *b = state_view_record(&v, h.file[k],
                                                        h.found[k], &len);

            if (b && profile_json(&j, b, len) == SPOOR_OK) {
                json_out_line(&j);
                n++;
            } else {
                damaged("profile", dir, h.found[k]);
                bad = 1;
            }
        }
        if (bad) {
            exit_code = EXIT_DAMAGED;
        } else if (n == 0) {
            fprintf(stderr, "spoor profile: %s: no profile has this id\n",
                    argv[i]);
            if (exit_code == EXIT_OK) {
                exit_code = EXIT_NOT_FOUND;
            }
        }
    }

    json_out_free(&j);
    state_view_close(&v);
    return exit_code;
}


/* ---- export ------------------------------------------------------------------ */

typedef struct {
    json_out_t   j;
    const char  *dir;
    int          exit_code;
} export_t;


static int
export_one(void *arg, size_t i, const unsigned char *b, size_t len)
{
    export_t  *x = arg;

    if (b == NULL || profile_json(&x->j, b, len) != SPOOR_OK) {
        damaged("export", x->dir, i);
        x->exit_code = EXIT_DAMAGED;
        return SPOOR_OK;
    }
    if (json_out_line(&x->j) != 0) {
        x->exit_code = EXIT_IO;
        return SPOOR_E_IO;
    }
    return SPOOR_OK;
}


int
cmd_export(int argc, char **argv)
{
    const char    *dir;
    int            first;
    state_view_t   v;
    export_t       x;

    first = state_arg(argc, argv, "export", &dir);
    if (first == -1) {
        printf("usage: spoor export --state DIR\n\n"
               "Prints every profile of the current snapshot as JSON lines,\n"
               "in profile id order.\n");
        return EXIT_OK;
    }
    if (first < 0) {
        return EXIT_USAGE;
    }
    if (open_current("export", dir, &v) != 0) {
        return EXIT_IO;
    }
    x.dir = dir;
    x.exit_code = EXIT_OK;
    if (json_out_init(&x.j, stdout) != 0) {
        state_view_close(&v);
        return EXIT_IO;
    }
    /* in profile id order, each record read once */
    if (state_view_each(&v, export_one, &x) == SPOOR_E_NOMEM) {
        fprintf(stderr, "spoor export: out of memory\n");
        x.exit_code = EXIT_IO;
    }
    json_out_free(&x.j);
    state_view_close(&v);
    return x.exit_code;
}


/* ---- segments ------------------------------------------------------------------ */

typedef struct {
    char      *name;
    char     **ids;
    size_t     n, cap;
} seg_t;

typedef struct {
    seg_t       *segs;
    size_t       nseg;
    const char  *dir;
    int          exit_code;
} segs_t;


/* Adds profile i's id to each segment its record names. */
static int
segments_one(void *arg, size_t i, const unsigned char *b, size_t len)
{
    segs_t            *x = arg;
    stored_profile_t   v;
    size_t             m, k;

    if (b == NULL || stored_profile_read(&v, b, len, NULL, 0) != SPOOR_OK
        || !v.has_id || !v.has_segs)
    {
        if (b != NULL) {
            stored_profile_free(&v);
        }
        damaged("segments", x->dir, i);
        x->exit_code = EXIT_DAMAGED;
        return SPOOR_OK;
    }
    for (m = 0; m < v.nsegs; m++) {
        const stored_str_t  *nm = &v.segs[m];

        for (k = 0; k < x->nseg; k++) {
            if (strlen(x->segs[k].name) == nm->len
                && memcmp(x->segs[k].name, nm->ptr, nm->len) == 0)
            {
                break;
            }
        }
        if (k == x->nseg) {
            seg_t  *ns = realloc(x->segs, (x->nseg + 1) * sizeof(seg_t));

            if (ns == NULL) break;
            x->segs = ns;
            memset(&x->segs[x->nseg], 0, sizeof(seg_t));
            x->segs[x->nseg].name = strndup(nm->ptr, nm->len);
            x->nseg++;
        }
        if (x->segs[k].n == x->segs[k].cap) {
            size_t  cap = x->segs[k].cap ? 2 * x->segs[k].cap : 16;
            char  **ni = realloc(x->segs[k].ids, cap * sizeof(char *));

            if (ni == NULL) break;
            x->segs[k].ids = ni;
            x->segs[k].cap = cap;
        }
        x->segs[k].ids[x->segs[k].n++] = strndup(v.id.ptr, v.id.len);
    }
    stored_profile_free(&v);
    return SPOOR_OK;
}


int
cmd_segments(int argc, char **argv)
{
    const char    *dir;
    int            first;
    size_t         i, k, nseg = 0;
    int            exit_code = EXIT_OK;
    seg_t         *segs = NULL;
    state_view_t   sv;
    segs_t         x;
    json_out_t     j;

    first = state_arg(argc, argv, "segments", &dir);
    if (first == -1) {
        printf("usage: spoor segments --state DIR\n\n"
               "Prints one JSON line per segment: its name, member count and\n"
               "member profile ids, as of the current snapshot.\n");
        return EXIT_OK;
    }
    if (first < 0) {
        return EXIT_USAGE;
    }
    if (open_current("segments", dir, &sv) != 0) {
        return EXIT_IO;
    }
    memset(&x, 0, sizeof(x));
    x.dir = dir;
    x.exit_code = EXIT_OK;
    /* in profile id order, each record read once */
    if (state_view_each(&sv, segments_one, &x) != SPOOR_OK) {
        fprintf(stderr, "spoor segments: out of memory\n");
        x.exit_code = EXIT_IO;
    }
    segs = x.segs;
    nseg = x.nseg;
    exit_code = x.exit_code;

    if (json_out_init(&j, stdout) == 0) {
        for (k = 0; k < nseg; k++) {
            json_out_map_open(&j);
            json_out_cstr(&j, "segment");
            json_out_cstr(&j, segs[k].name);
            json_out_cstr(&j, "members");
            json_out_uint(&j, segs[k].n);
            json_out_cstr(&j, "profiles");
            json_out_array_open(&j);
            for (i = 0; i < segs[k].n; i++) {
                json_out_cstr(&j, segs[k].ids[i] ? segs[k].ids[i] : "");
            }
            json_out_array_close(&j);
            json_out_map_close(&j);
            json_out_line(&j);
        }
        json_out_free(&j);
    }
    for (k = 0; k < nseg; k++) {
        for (i = 0; i < segs[k].n; i++) {
            free(segs[k].ids[i]);
        }
        free(segs[k].ids);
        free(segs[k].name);
    }
    free(segs);
    state_view_close(&sv);
    return exit_code;
}


/* ---- stats -------------------------------------------------------------------------- */

/* The current snapshot's metadata in *mv: SPOOR_OK, or an error with
 * why (empty when the snapshot has none) and mv freed. */
static int
read_meta(const spoor_snap_t *s, stored_meta_t *mv, char *why, size_t wl)
{
    const unsigned char  *meta;
    size_t                len;
    int                   rc;

    why[0] = '\0';
    meta = spoor_snap_meta(s, &len);
    if (meta == NULL) {
        return SPOOR_E_FORMAT;
    }
    rc = stored_meta_read(mv, meta, len, why, wl);
    if (rc != SPOOR_OK) {
        stored_meta_free(mv);
    }
    return rc;
}


int
cmd_stats(int argc, char **argv)
{
    const char  *dir = NULL;
    char       **logs = NULL, err[1024];
    size_t       nlogs = 0, len;
    char        *json;
    int          i, rc, bad;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: spoor stats --state DIR [--json] [--logs LOG...]\n\n"
                   "Prints the figures of the state as one JSON line "
                   "(docs/report.md):\nprofiles; events by type, by day and "
                   "by name; consent outcomes by\nsignal, action, country "
                   "and day; segment sizes, lifecycle and RFM\ncounts, now "
                   "and over generations; top pages, referrers, campaigns,\n"
                   "countries, browsers and devices; identity merges, "
                   "erasures and\nexpiries; data quality.  spoor report "
                   "draws the same figures.\n\n"
                   "  --state DIR    the state directory (required)\n"
                   "  --json         JSON (the only output; accepted for "
                   "clarity)\n"
                   "  --logs LOG...  adds `spoor verify --json` of each "
                   "LOG (the rest of\n                 the arguments)\n\n"
                   "exit codes: 0 ok, 1 damaged (the state, or a LOG), "
                   "2 usage, 3 I/O\n");
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(argv[i], "--state=", 8) == 0) {
            dir = argv[i] + 8;
        } else if (strcmp(argv[i], "--json") == 0) {
            /* the only output */
        } else if (strcmp(argv[i], "--logs") == 0) {
            logs = argv + i + 1;
            nlogs = (size_t) (argc - i - 1);
            if (nlogs == 0) {
                fprintf(stderr, "spoor stats: --logs needs at least one "
                        "LOG\n");
                return EXIT_USAGE;
            }
            break;
        } else {
            fprintf(stderr, "spoor stats: unknown argument %s (spoor stats "
                    "--help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (dir == NULL) {
        fprintf(stderr, "spoor stats: --state DIR is required\n");
        return EXIT_USAGE;
    }
    rc = stats_json(dir, logs, nlogs, &json, &len, &bad, err, sizeof(err));
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor stats: %s\n", err);
        return rc == SPOOR_E_FORMAT ? EXIT_DAMAGED : EXIT_IO;
    }
    fwrite(json, 1, len, stdout);
    putchar('\n');
    free(json);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "spoor stats: standard output: %s\n",
                strerror(errno));
        return EXIT_IO;
    }
    return bad ? EXIT_DAMAGED : EXIT_OK;
}


/* ---- lineage ---------------------------------------------------------------------- */

int
cmd_lineage(int argc, char **argv)
{
    const char     *dir;
    int             first, rc, exit_code = EXIT_OK;
    char            path[4096], **names = NULL, *text, why[512];
    size_t          n = 0, i, len;
    uint32_t        gen;

    first = state_arg(argc, argv, "lineage", &dir);
    if (first == -1) {
        printf("usage: spoor lineage --state DIR\n\n"
               "Prints one JSON line per snapshot generation, oldest first:\n"
               "generation, parent, time, snapshot, every input (file, size,\n"
               "checksum, frames, records), events applied and skipped by\n"
               "reason, merges, the rules file and its hash.  A damaged\n"
               "entry is reported on standard error instead (exit 1).\n");
        return EXIT_OK;
    }
    if (first < 0) {
        return EXIT_USAGE;
    }
    snprintf(path, sizeof(path), "%s/lineage", dir);
    rc = lineage_list(dir, &names, &n);
    if (rc == SPOOR_E_IO) {
        fprintf(stderr, "spoor lineage: %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    if (rc != SPOOR_OK) {
        fprintf(stderr, "spoor lineage: out of memory\n");
        return EXIT_IO;
    }

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/lineage/%s", dir, names[i]);
        (void) lineage_name_gen(names[i], &gen);
        rc = lineage_load(path, gen, &text, &len, why, sizeof(why));
        if (rc == SPOOR_E_FORMAT) {
            fprintf(stderr, "spoor lineage: %s: damaged: %s\n", path, why);
            if (exit_code == EXIT_OK) {
                exit_code = EXIT_DAMAGED;
            }
            continue;
        }
        if (rc != SPOOR_OK) {
            fprintf(stderr, "spoor lineage: %s: %s\n", path, why);
            exit_code = EXIT_IO;
            if (rc == SPOOR_E_NOMEM) {
                break;
            }
            continue;
        }
        while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL) {
            len--;                  /* one line each, whatever ended it */
        }
        if (fwrite(text, 1, len, stdout) != len || putchar('\n') == EOF) {
            free(text);
            break;
        }
        free(text);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "spoor lineage: standard output: %s\n",
                strerror(errno));
        exit_code = EXIT_IO;
    }

    dir_names_free(names, n);
    return exit_code;
}


/* Prints the rules text as it is on standard output (given back with
 * --rules it is the same rules, same hash) and where it comes from and
 * its hash on standard error.  Returns an exit code. */
static int
print_rules(const char *text, size_t len, const char *from)
{
    spoor_rules_t  *r;
    char            err[1024];

    if (spoor_rules_parse(text, len, from, &r, err, sizeof(err)) != SPOOR_OK) {
        fprintf(stderr, "spoor rules: %s\n", err);
        return EXIT_DAMAGED;
    }
    fprintf(stderr, "spoor rules: %s; hash %016" PRIx64 "\n", from,
            spoor_rules_hash(r));
    spoor_rules_free(r);
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        return EXIT_IO;
    }
    return EXIT_OK;
}


int
cmd_rules(int argc, char **argv)
{
    const char     *dir = NULL, *text;
    char            from[4200], why[256];
    size_t          len;
    state_view_t    v;
    stored_meta_t   mv;
    int             i, rc;

    for (i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: spoor rules [--state DIR]\n\n"
                   "Prints the segment rules in force in the state's current\n"
                   "generation, or without --state the built-in rules (those of\n"
                   "conf/segments.rules) that a state given no --rules is built\n"
                   "with: the text as kept (--rules takes it back unchanged) on\n"
                   "standard output; where it comes from and its hash, as the\n"
                   "lineage records it, on standard error.\n");
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(argv[i], "--state=", 8) == 0) {
            dir = argv[i] + 8;
        } else if (strcmp(argv[i], "--state") == 0) {
            fprintf(stderr, "spoor rules: --state needs a directory\n");
            return EXIT_USAGE;
        } else {
            fprintf(stderr, "spoor rules: unexpected argument '%s' (spoor "
                    "rules --help)\n", argv[i]);
            return EXIT_USAGE;
        }
    }

    if (dir == NULL) {
        text = default_rules(&len);
        return print_rules(text, len, DEFAULT_RULES_NAME);
    }

    if (open_current("rules", dir, &v) != 0) {
        return EXIT_IO;
    }
    if (read_meta(v.c.file[0], &mv, why, sizeof(why)) != SPOOR_OK) {
        fprintf(stderr, "spoor rules: %s: the snapshot's metadata cannot be "
                "read%s%s\n", dir, why[0] ? ": " : "", why);
        state_view_close(&v);
        return EXIT_DAMAGED;
    }
    if (mv.has_settings && mv.settings.rules) {
        snprintf(from, sizeof(from), "kept in the state %s", dir);
        rc = print_rules(mv.settings.rules, mv.settings.rules_len, from);
    } else {
        /* written before rules were built in: the next run applies them */
        text = default_rules(&len);
        snprintf(from, sizeof(from), "%s (the state %s keeps none: its next "
                 "ingest applies these)", DEFAULT_RULES_NAME, dir);
        rc = print_rules(text, len, from);
    }
    stored_meta_free(&mv);
    state_view_close(&v);
    return rc;
}
