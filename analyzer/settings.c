/*
 * settings.c -- the options that shape a state, from the command line to
 * the snapshot metadata and back (settings.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "fleet.h"
#include "json_out.h"
#include "mp_member.h"
#include "profile.h"
#include "mp_scalar.h"
#include "default_rules.h"
#include "rules.h"
#include "settings.h"
#include "timestamp.h"

#define MIN_MS  60000LL
#define DAY_MS  86400000LL


void
settings_init(settings_t *s)
{
    memset(s, 0, sizeof(*s));
    s->session_gap_ms = 30 * MIN_MS;
    s->half_life_ms = 30 * DAY_MS;
    s->abandon_ms = 60 * MIN_MS;
    s->lifecycle_ms[0] = 7 * DAY_MS;
    s->lifecycle_ms[1] = 30 * DAY_MS;
    s->lifecycle_ms[2] = 90 * DAY_MS;
    s->expire_ms = SETTINGS_EXPIRE_DEFAULT_DAYS * DAY_MS;
    s->ids_max = 256;
    s->merges_max = 1024;
    s->keep = SETTINGS_KEEP_DEFAULT;
}


void
settings_free(settings_t *s)
{
    size_t  i;

    for (i = 0; i < s->njunk; i++) {
        free(s->junk[i]);
    }
    free(s->junk);
    free(s->rules);
    s->junk = NULL;
    s->njunk = 0;
    s->rules = NULL;
    s->rules_len = 0;
}


static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* Adds a junk id, keeping the list sorted and distinct. */
static int
add_junk(settings_t *s, const char *id, size_t len)
{
    char   **a, *c;
    size_t   i;

    c = strndup(id, len);
    if (c == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < s->njunk; i++) {
        if (strcmp(s->junk[i], c) == 0) {
            free(c);
            return SPOOR_OK;
        }
    }
    a = realloc(s->junk, (s->njunk + 2) * sizeof(char *));
    if (a == NULL) {
        free(c);
        return SPOOR_E_NOMEM;
    }
    s->junk = a;
    s->junk[s->njunk++] = c;
    s->junk[s->njunk] = NULL;
    qsort(s->junk, s->njunk, sizeof(char *), cmp_str);
    return SPOOR_OK;
}


int
settings_copy(settings_t *dst, const settings_t *src)
{
    size_t  i;

    *dst = *src;
    dst->junk = NULL;
    dst->njunk = 0;
    dst->rules = NULL;
    for (i = 0; i < src->njunk; i++) {
        if (add_junk(dst, src->junk[i], strlen(src->junk[i])) != SPOOR_OK) {
            goto nomem;
        }
    }
    if (src->rules) {
        dst->rules = malloc(src->rules_len + 1);
        if (dst->rules == NULL) {
            goto nomem;
        }
        memcpy(dst->rules, src->rules, src->rules_len);
        dst->rules[src->rules_len] = '\0';
    }
    return SPOOR_OK;

nomem:
    settings_free(dst);
    return SPOOR_E_NOMEM;
}


/* ---- the command line -------------------------------------------------------- */

void
settings_usage(FILE *f)
{
    fprintf(f,
        "  --rules FILE         segment rules (docs/rules.md)\n"
        "  --session-gap MIN    inactivity that ends a session (default 30)\n"
        "  --half-life DAYS     of interests and engagement (default 30)\n"
        "  --ids-max N          ids per profile (default 256)\n"
        "  --merges-max N       merges per profile (default 1024)\n"
        "  --junk-id ID         an id that must never link profiles (repeat)\n"
        "  --abandon MIN        a cart add with no order within this is\n"
        "                       abandoned (default 60)\n"
        "  --lifecycle N,A,L    days for new, active, lapsing (default 7,30,90)\n"
        "  --expire DAYS|off    drop profiles inactive for longer (default %d)\n"
        "  --keep N             full generations kept, with the deltas since\n"
        "                       the oldest (default %d)\n"
        "  --json               print the summary as JSON\n"
        "\n"
        "The state keeps its settings: later runs need none of them.  Giving\n"
        "--session-gap, --half-life, --ids-max, --merges-max or --junk-id with\n"
        "another value than the state's is refused (build a new state);\n"
        "the others are taken and recorded in the lineage.\n",
        SETTINGS_EXPIRE_DEFAULT_DAYS, SETTINGS_KEEP_DEFAULT);
}


/* Reads the rules file into s (not parsed).  0, or -3 after a message. */
static int
read_rules(settings_t *s, const char *cmd, const char *path)
{
    FILE    *f;
    char    *text;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "spoor %s: %s: %s\n", cmd, path, strerror(errno));
        return -3;
    }
    text = malloc(SPOOR_RULES_TEXT_MAX + 2);
    if (text == NULL) {
        fclose(f);
        fprintf(stderr, "spoor %s: out of memory\n", cmd);
        return -3;
    }
    n = fread(text, 1, SPOOR_RULES_TEXT_MAX + 1, f);
    if (ferror(f)) {
        fprintf(stderr, "spoor %s: %s: %s\n", cmd, path, strerror(errno));
        fclose(f);
        free(text);
        return -3;
    }
    fclose(f);
    if (n > SPOOR_RULES_TEXT_MAX) {
        fprintf(stderr, "spoor %s: %s: longer than %d bytes\n", cmd, path,
                SPOOR_RULES_TEXT_MAX);
        free(text);
        return -2;
    }
    text[n] = '\0';
    free(s->rules);
    s->rules = text;
    s->rules_len = n;
    s->rules_file = path;
    s->given |= SET_RULES;
    return 0;
}


/* A duration "500ms", "1s", "2m", "1h" (a bare number: seconds) into
 * *ms; 0, or -1 when it is none or under 10 ms or over a day. */
int
settings_duration(const char *s, int64_t *ms)
{
    char          *end;
    unsigned long  v;
    int64_t        unit;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || s[0] == '-' || v > 86400000UL) {
        return -1;
    }
    if (strcmp(end, "ms") == 0) {
        unit = 1;
    } else if (*end == '\0' || strcmp(end, "s") == 0) {
        unit = 1000;
    } else if (strcmp(end, "m") == 0) {
        unit = 60000;
    } else if (strcmp(end, "h") == 0) {
        unit = 3600000;
    } else {
        return -1;
    }
    *ms = (int64_t) v * unit;
    return *ms >= 10 && *ms <= 86400000LL ? 0 : -1;
}


/* Whether csv is "name[,name...]", each name 1 to 255 bytes: 0 or -1. */
static int
settings_names_valid(const char *csv)
{
    size_t  n;

    for (;;) {
        n = strcspn(csv, ",");
        if (n == 0 || n > 255) {
            return -1;
        }
        if (csv[n] == '\0') {
            return 0;
        }
        csv += n + 1;
    }
}


/* One of ingest's own options; 0, or -1 when its argument is bad. */
static int
ingest_option(state_cli_t *cli, int c, const char *arg)
{
    char           *end;
    long long       v;

    switch (c) {
    case 'F': cli->follow = 1; return 0;
    case 'T': cli->status = arg; return arg[0] ? 0 : -1;
    case 'I': return settings_duration(arg, &cli->interval_ms);
    case 'S': return settings_duration(arg, &cli->settle_ms);
    case 'R': cli->redis = arg; return arg[0] ? 0 : -1;
    case 'E': cli->reader = arg; return fleet_name_valid(arg) ? 0 : -1;
    case 'K': cli->serve_key = arg; return arg[0] ? 0 : -1;
    case 'X': cli->serve_traits = arg; return settings_names_valid(arg);
    default:
        errno = 0;
        v = strtoll(arg, &end, 10);
        if (errno == 0 && *end == '\0' && end != arg && v > 0) {
            cli->now_ms = v;
        } else if (spoor_timestamp_parse(arg, strlen(arg), &cli->now_ms)
                   != 0)
        {
            return -1;
        }
        /* (a profile's times lie within this: profile.h) */
        return cli->now_ms <= PROFILE_TIME_MAX ? 0 : -1;
    }
}


int
settings_parse_args(int argc, char **argv, const char *cmd,
    state_cli_t *cli)
{
    static const struct option  opts[] = {
        { "state",       required_argument, NULL, 's' },
        { "rules",       required_argument, NULL, 'r' },
        { "json",        no_argument,       NULL, 'j' },
        { "session-gap", required_argument, NULL, 'g' },
        { "abandon",     required_argument, NULL, 'a' },
        { "half-life",   required_argument, NULL, 'h' },
        { "lifecycle",   required_argument, NULL, 'l' },
        { "ids-max",     required_argument, NULL, 'i' },
        { "merges-max",  required_argument, NULL, 'm' },
        { "junk-id",     required_argument, NULL, 'J' },
        { "expire",      required_argument, NULL, 'e' },
        { "keep",        required_argument, NULL, 'k' },
        { "jobs",        required_argument, NULL, 'n' },
        { "follow",      no_argument,       NULL, 'F' },
        { "interval",    required_argument, NULL, 'I' },
        { "settle",      required_argument, NULL, 'S' },
        { "status",      required_argument, NULL, 'T' },
        { "redis",       required_argument, NULL, 'R' },
        { "reader",      required_argument, NULL, 'E' },
        { "serve-key",   required_argument, NULL, 'K' },
        { "serve-traits", required_argument, NULL, 'X' },
        { "now",         required_argument, NULL, 'N' },
        { "full",        no_argument,       NULL, 'U' },
        { "wait",        required_argument, NULL, 'W' },
        { "help",        no_argument,       NULL, 'H' },
        { NULL, 0, NULL, 0 }
    };
    settings_t    *s = &cli->set;
    int            c, rc;
    char          *end;
    unsigned long  v, a, b, d;
    char           name[32];
    int            li;

    cli->dir = NULL;
    cli->json = 0;
    cli->jobs = 0;
    cli->follow = 0;
    cli->interval_ms = 1000;
    cli->settle_ms = 60000;
    cli->status = NULL;
    cli->redis = NULL;
    cli->reader = FLEET_DEFAULT_READER;
    cli->serve_key = NULL;
    cli->serve_traits = NULL;
    cli->now_ms = INT64_MIN;
    cli->full = 0;
    cli->wait_ms = 60000;
    settings_init(s);

    optind = 1;
    opterr = 0;
    /* "--name" of the option just read: argv[optind - 1] is its value
     * when the value is a separate word */
#define OPT_NAME()  (snprintf(name, sizeof(name), "--%s", opts[li].name), name)
    while ((li = -1, c = getopt_long(argc, argv, "", opts, &li)) != -1) {
        switch (c) {
        case 's': cli->dir = optarg; break;
        case 'j': cli->json = 1; break;
        case 'H': return -1;
        case 'n':
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (strcmp(cmd, "ingest") != 0) {
                fprintf(stderr, "spoor %s: unknown option '--jobs' (see "
                        "--help)\n", cmd);
                return -2;
            }
            if (errno || *end || end == optarg || v == 0 || v > 256
                || optarg[0] == '-')
            {
                fprintf(stderr, "spoor %s: --jobs wants 1 to 256 threads: "
                        "'%s'\n", cmd, optarg);
                return -2;
            }
            cli->jobs = (unsigned) v;
            break;
        case 'U':
            if (strcmp(cmd, "ingest") != 0) {
                fprintf(stderr, "spoor %s: unknown option '--full' (see "
                        "--help)\n", cmd);
                return -2;
            }
            cli->full = 1;
            break;
        case 'W':
            if (strcmp(cmd, "forget") != 0
                && strcmp(cmd, "import-traits") != 0)
            {
                fprintf(stderr, "spoor %s: unknown option '--wait' (see "
                        "--help)\n", cmd);
                return -2;
            }
            if (settings_duration(optarg, &cli->wait_ms) != 0) {
                fprintf(stderr, "spoor %s: --wait wants a duration (500ms, "
                        "30s, 2m; at least 10ms): '%s'\n", cmd, optarg);
                return -2;
            }
            break;
        case 'F': case 'I': case 'S': case 'T': case 'N': case 'R': case 'E':
        case 'K': case 'X':
            if (strcmp(cmd, "ingest") != 0) {
                fprintf(stderr, "spoor %s: unknown option '%s' (see "
                        "--help)\n", cmd, OPT_NAME());
                return -2;
            }
            if (ingest_option(cli, c, optarg) != 0) {
                fprintf(stderr, "spoor %s: %s wants %s: '%s'\n", cmd,
                        OPT_NAME(), c == 'N'
                        ? "a time (ms since the epoch or ISO 8601, up to "
                          "2^53 ms)"
                        : c == 'R' ? "Redis seeds (host:port[,host:port...])"
                        : c == 'E' ? "a name of 1 to 64 of [A-Za-z0-9._-]"
                        : c == 'K' ? "a key file"
                        : c == 'X' ? "trait names (name[,name...], each "
                                     "1 to 255 bytes)"
                        : "a duration (500ms, 1s, 2m, 1h; at least 10ms)",
                        optarg);
                return -2;
            }
            break;
        case 'r':
            rc = read_rules(s, cmd, optarg);
            if (rc != 0) {
                return rc;
            }
            break;
        case 'J':
            if (optarg[0] == '\0'
                || add_junk(s, optarg, strlen(optarg)) != SPOOR_OK)
            {
                fprintf(stderr, "spoor %s: --junk-id wants an id\n", cmd);
                return -2;
            }
            s->given |= SET_JUNK;
            break;
        case 'l':
            if (sscanf(optarg, "%lu,%lu,%lu", &a, &b, &d) != 3 || a == 0
                || a > b || b > d || d > 3650)
            {
                fprintf(stderr, "spoor %s: --lifecycle wants NEW,ACTIVE,"
                        "LAPSING days, increasing, e.g. 7,30,90\n", cmd);
                return -2;
            }
            s->lifecycle_ms[0] = (int64_t) a * DAY_MS;
            s->lifecycle_ms[1] = (int64_t) b * DAY_MS;
            s->lifecycle_ms[2] = (int64_t) d * DAY_MS;
            s->given |= SET_LIFECYCLE;
            break;
        case 'e':
            if (strcmp(optarg, "off") == 0) {
                s->expire_ms = 0;
                s->given |= SET_EXPIRE;
                break;
            }
            /* fall through */
        case 'g': case 'a': case 'h': case 'i': case 'm': case 'k':
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno || *end || end == optarg || v == 0 || v > 1000000
                || optarg[0] == '-')
            {
                fprintf(stderr, "spoor %s: %s: not a positive number%s: "
                        "'%s'\n", cmd, OPT_NAME(),
                        c == 'e' ? " of days or off" : "", optarg);
                return -2;
            }
            switch (c) {
            case 'g': s->session_gap_ms = (int64_t) v * MIN_MS;
                      s->given |= SET_SESSION_GAP; break;
            case 'a': s->abandon_ms = (int64_t) v * MIN_MS;
                      s->given |= SET_ABANDON; break;
            case 'h': s->half_life_ms = (int64_t) v * DAY_MS;
                      s->given |= SET_HALF_LIFE; break;
            case 'i': s->ids_max = (uint32_t) v;
                      s->given |= SET_IDS_MAX; break;
            case 'm': s->merges_max = (uint32_t) v;
                      s->given |= SET_MERGES_MAX; break;
            case 'e': s->expire_ms = (int64_t) v * DAY_MS;
                      s->given |= SET_EXPIRE; break;
            case 'k': s->keep = (uint32_t) v;
                      s->given |= SET_KEEP; break;
            }
            break;
        default:
            fprintf(stderr, "spoor %s: %s option '%s' (see --help)\n", cmd,
                    c == ':' ? "an argument is missing for" : "unknown",
                    argv[optind - 1]);
            return -2;
        }
    }
    if (cli->dir == NULL) {
        fprintf(stderr, "spoor %s: --state DIR is required\n", cmd);
        return -2;
    }
#undef OPT_NAME
    return optind;
}


/* ---- resolving what was given against what the state keeps ------------------ */

static int
same_junk(const settings_t *a, const settings_t *b)
{
    size_t  i;

    if (a->njunk != b->njunk) {
        return 0;
    }
    for (i = 0; i < a->njunk; i++) {
        if (strcmp(a->junk[i], b->junk[i]) != 0) {
            return 0;
        }
    }
    return 1;
}


/* Settings without rules get the built-in ones.  SPOOR_OK or
 * SPOOR_E_NOMEM. */
static int
use_default_rules(settings_t *s)
{
    const char  *text;
    size_t       len;

    if (s->rules != NULL) {
        return SPOOR_OK;
    }
    text = default_rules(&len);
    s->rules = malloc(len + 1);
    if (s->rules == NULL) {
        return SPOOR_E_NOMEM;
    }
    memcpy(s->rules, text, len + 1);
    s->rules_len = len;
    s->rules_file = DEFAULT_RULES_NAME;
    return SPOOR_OK;
}


int
settings_resolve(settings_t *kept, int has_kept, const settings_t *given,
    unsigned *changed, char *err, size_t errlen)
{
    settings_t  g;
    unsigned    ch = 0;

    *changed = 0;
    if (!has_kept) {
        /* a new state: what was given, defaults for the rest (the rules
         * a state written before settings were kept may have come from
         * its rules file: the caller put them in kept) */
        if (settings_copy(&g, given) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        if (!(given->given & SET_RULES) && kept->rules) {
            g.rules = kept->rules;
            g.rules_len = kept->rules_len;
            kept->rules = NULL;
        }
        g.given = given->given;
        settings_free(kept);
        *kept = g;
        return use_default_rules(kept);
    }

#define FOLDING(bit, field, name, unit)                                      \
    if ((given->given & bit) && given->field != kept->field) {               \
        snprintf(err, errlen, "--%s %lld differs from the %lld this state "  \
                 "was built with: it shapes what profiles keep, so the "     \
                 "state would match no single run over its logs (give the "  \
                 "same value, or none, or ingest into a new state)", name,   \
                 (long long) (given->field / (unit)),                        \
                 (long long) (kept->field / (unit)));                        \
        return SPOOR_E_INVAL;                                                \
    }
    FOLDING(SET_SESSION_GAP, session_gap_ms, "session-gap", MIN_MS)
    FOLDING(SET_HALF_LIFE, half_life_ms, "half-life", DAY_MS)
    FOLDING(SET_IDS_MAX, ids_max, "ids-max", 1)
    FOLDING(SET_MERGES_MAX, merges_max, "merges-max", 1)
#undef FOLDING
    if ((given->given & SET_JUNK) && !same_junk(given, kept)) {
        snprintf(err, errlen, "--junk-id: the ids differ from the %zu this "
                 "state was built with: they shape which profiles merge (give "
                 "the same ids, or none, or ingest into a new state)",
                 kept->njunk);
        return SPOOR_E_INVAL;
    }

    if ((given->given & SET_ABANDON) && given->abandon_ms != kept->abandon_ms) {
        kept->abandon_ms = given->abandon_ms;
        ch |= SET_ABANDON;
    }
    if ((given->given & SET_LIFECYCLE)
        && memcmp(given->lifecycle_ms, kept->lifecycle_ms,
                  sizeof(kept->lifecycle_ms)) != 0)
    {
        memcpy(kept->lifecycle_ms, given->lifecycle_ms,
               sizeof(kept->lifecycle_ms));
        ch |= SET_LIFECYCLE;
    }
    if ((given->given & SET_EXPIRE) && given->expire_ms != kept->expire_ms) {
        kept->expire_ms = given->expire_ms;
        ch |= SET_EXPIRE;
    }
    if ((given->given & SET_KEEP) && given->keep != kept->keep) {
        kept->keep = given->keep;
        ch |= SET_KEEP;
    }
    if (given->given & SET_RULES) {
        if (kept->rules == NULL || given->rules_len != kept->rules_len
            || memcmp(given->rules, kept->rules, given->rules_len) != 0)
        {
            char  *t = malloc(given->rules_len + 1);

            if (t == NULL) {
                return SPOOR_E_NOMEM;
            }
            memcpy(t, given->rules, given->rules_len);
            t[given->rules_len] = '\0';
            free(kept->rules);
            kept->rules = t;
            kept->rules_len = given->rules_len;
            ch |= SET_RULES;
        }
        kept->rules_file = given->rules_file;
    }
    kept->given = given->given;
    if (kept->rules == NULL) {
        /* a state built before rules were built in */
        if (use_default_rules(kept) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        ch |= SET_RULES;
    }
    *changed = ch;
    return SPOOR_OK;
}


/* ---- the snapshot metadata --------------------------------------------------- */

static int
pk_cstr(msgpack_packer *pk, const char *s)
{
    size_t  n = strlen(s);

    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}


int
settings_pack(const settings_t *s, msgpack_packer *pk)
{
    int     e = 0;
    size_t  i;

    e |= pk_cstr(pk, "settings") || msgpack_pack_map(pk, 9);
    e |= pk_cstr(pk, "session_gap_ms") || msgpack_pack_int64(pk, s->session_gap_ms);
    e |= pk_cstr(pk, "half_life_ms") || msgpack_pack_int64(pk, s->half_life_ms);
    e |= pk_cstr(pk, "abandon_ms") || msgpack_pack_int64(pk, s->abandon_ms);
    e |= pk_cstr(pk, "lifecycle_ms") || msgpack_pack_array(pk, 3)
         || msgpack_pack_int64(pk, s->lifecycle_ms[0])
         || msgpack_pack_int64(pk, s->lifecycle_ms[1])
         || msgpack_pack_int64(pk, s->lifecycle_ms[2]);
    e |= pk_cstr(pk, "expire_ms") || msgpack_pack_int64(pk, s->expire_ms);
    e |= pk_cstr(pk, "ids_max") || msgpack_pack_uint32(pk, s->ids_max);
    e |= pk_cstr(pk, "merges_max") || msgpack_pack_uint32(pk, s->merges_max);
    e |= pk_cstr(pk, "keep") || msgpack_pack_uint32(pk, s->keep);
    e |= pk_cstr(pk, "junk") || msgpack_pack_array(pk, s->njunk);
    for (i = 0; i < s->njunk; i++) {
        e |= pk_cstr(pk, s->junk[i]);
    }
    e |= pk_cstr(pk, "rules");
    if (s->rules) {
        e |= msgpack_pack_str(pk, s->rules_len)
             || msgpack_pack_str_body(pk, s->rules, s->rules_len);
    } else {
        e |= msgpack_pack_nil(pk);
    }
    return e;
}


/* An integer member of m in [lo, hi] into *v. */
static int
get_int(const msgpack_object *m, const char *key, int64_t lo, int64_t hi,
    int64_t *v)
{
    int64_t  x;

    if (!spoor_mp_i64(spoor_mp_member(m, key), &x) || x < lo || x > hi) {
        return -1;
    }
    *v = x;
    return 0;
}


int
settings_unpack(settings_t *s, const msgpack_object *meta)
{
    const msgpack_object  *m, *o;
    int64_t                v[3];
    uint32_t               i;
    int                    rc = SPOOR_E_FORMAT;

    settings_init(s);
    m = spoor_mp_member(meta, "settings");
    if (m == NULL || m->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_E_FORMAT;
    }
    if (get_int(m, "session_gap_ms", 1, INT64_MAX / 4, &s->session_gap_ms)
        || get_int(m, "half_life_ms", 1, INT64_MAX / 16, &s->half_life_ms)
        || get_int(m, "abandon_ms", 1, INT64_MAX / 4, &s->abandon_ms)
        || get_int(m, "expire_ms", 0, INT64_MAX / 4, &s->expire_ms)
        || get_int(m, "ids_max", 1, UINT32_MAX, &v[0])
        || get_int(m, "merges_max", 1, UINT32_MAX, &v[1])
        || get_int(m, "keep", 1, UINT32_MAX, &v[2]))
    {
        goto fail;
    }
    s->ids_max = (uint32_t) v[0];
    s->merges_max = (uint32_t) v[1];
    s->keep = (uint32_t) v[2];

    o = spoor_mp_member(m, "lifecycle_ms");
    if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY
        || o->via.array.size != 3)
    {
        goto fail;
    }
    for (i = 0; i < 3; i++) {
        const msgpack_object  *x = &o->via.array.ptr[i];

        if (x->type != MSGPACK_OBJECT_POSITIVE_INTEGER
            || x->via.u64 > (uint64_t) INT64_MAX / 4)
        {
            goto fail;
        }
        s->lifecycle_ms[i] = (int64_t) x->via.u64;
    }

    o = spoor_mp_member(m, "junk");
    if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY) {
        goto fail;
    }
    for (i = 0; i < o->via.array.size; i++) {
        const msgpack_object  *x = &o->via.array.ptr[i];

        if (x->type != MSGPACK_OBJECT_STR || x->via.str.size == 0
            || memchr(x->via.str.ptr, '\0', x->via.str.size) != NULL)
        {
            goto fail;
        }
        if (add_junk(s, x->via.str.ptr, x->via.str.size) != SPOOR_OK) {
            rc = SPOOR_E_NOMEM;
            goto fail;
        }
    }

    o = spoor_mp_member(meta, "rules");
    if (o != NULL && o->type == MSGPACK_OBJECT_STR) {
        if (o->via.str.size > SPOOR_RULES_TEXT_MAX) {
            goto fail;
        }
        s->rules = malloc(o->via.str.size + 1);
        if (s->rules == NULL) {
            rc = SPOOR_E_NOMEM;
            goto fail;
        }
        memcpy(s->rules, o->via.str.ptr, o->via.str.size);
        s->rules[o->via.str.size] = '\0';
        s->rules_len = o->via.str.size;
    } else if (o != NULL && o->type != MSGPACK_OBJECT_NIL) {
        goto fail;
    }
    return SPOOR_OK;

fail:
    settings_free(s);
    settings_init(s);
    return rc;
}


/* ---- the lineage --------------------------------------------------------------- */

void
settings_lineage(json_out_t *j, const settings_t *s, unsigned changed,
    uint64_t rules_hash)
{
    static const struct { unsigned bit; const char *name; }  names[] = {
        { SET_ABANDON, "abandon" }, { SET_LIFECYCLE, "lifecycle" },
        { SET_EXPIRE, "expire" }, { SET_KEEP, "keep" }, { SET_RULES, "rules" }
    };
    char    hex[17];
    size_t  i;

    json_out_cstr(j, "settings");
    json_out_map_open(j);
    json_out_cstr(j, "session_gap_min");
    json_out_int(j, s->session_gap_ms / MIN_MS);
    json_out_cstr(j, "half_life_days");
    json_out_int(j, s->half_life_ms / DAY_MS);
    json_out_cstr(j, "abandon_min");
    json_out_int(j, s->abandon_ms / MIN_MS);
    json_out_cstr(j, "lifecycle_days");
    json_out_array_open(j);
    for (i = 0; i < 3; i++) {
        json_out_int(j, s->lifecycle_ms[i] / DAY_MS);
    }
    json_out_array_close(j);
    json_out_cstr(j, "expire_days");
    if (s->expire_ms) {
        json_out_int(j, s->expire_ms / DAY_MS);
    } else {
        json_out_cstr(j, "off");
    }
    json_out_cstr(j, "ids_max");
    json_out_uint(j, s->ids_max);
    json_out_cstr(j, "merges_max");
    json_out_uint(j, s->merges_max);
    json_out_cstr(j, "keep");
    json_out_uint(j, s->keep);
    json_out_cstr(j, "junk_ids");
    json_out_array_open(j);
    for (i = 0; i < s->njunk; i++) {
        json_out_cstr(j, s->junk[i]);
    }
    json_out_array_close(j);
    json_out_map_close(j);

    json_out_cstr(j, "rules");
    if (s->rules) {
        json_out_map_open(j);
        json_out_cstr(j, "file");
        if (s->rules_file) {
            json_out_cstr(j, s->rules_file);
        } else {
            json_out_null(j);          /* kept in the state */
        }
        json_out_cstr(j, "hash");
        snprintf(hex, sizeof(hex), "%016" PRIx64, rules_hash);
        json_out_cstr(j, hex);
        json_out_map_close(j);
    } else {
        json_out_null(j);
    }

    json_out_cstr(j, "changed");
    json_out_array_open(j);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (changed & names[i].bit) {
            json_out_cstr(j, names[i].name);
        }
    }
    json_out_array_close(j);
}
