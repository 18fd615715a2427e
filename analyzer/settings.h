/*
 * settings.h -- the options that shape a state, kept in it.
 *
 * A state is built with settings, and every generation keeps the settings
 * it was written with in its snapshot metadata ("settings" and "rules",
 * docs/FORMAT.md), so a later run -- logrotate's, without any option --
 * continues exactly as the first one started, and rolling back to an
 * older generation brings back its settings too.
 *
 * Two kinds of settings:
 *   folding   shape what is folded into the profiles and kept of them:
 *             --session-gap, --half-life (weights older than 8 half-lives
 *             are dropped), --ids-max, --merges-max, --junk-id.  A state
 *             built with one value and continued with another would be a
 *             state no single run over the same logs gives: a run that
 *             gives a different value is refused (exit 2).
 *   applied   evaluated when a generation is written, from what profiles
 *             keep: --abandon, --lifecycle, --expire, --keep, --rules.  A
 *             different value is taken, kept for later runs and recorded
 *             in the lineage ("changed").
 * An option not given keeps the state's value; on a new state, the
 * default.  An option given with the state's value changes nothing.
 *
 * Ownership: a settings_t owns its junk ids and rules text (settings_free).
 */
#ifndef SPOOR_SETTINGS_H
#define SPOOR_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <msgpack.h>
#include "json_out.h"

/* bits of settings_t.given */
enum {
    SET_SESSION_GAP = 1 << 0,
    SET_HALF_LIFE   = 1 << 1,
    SET_IDS_MAX     = 1 << 2,
    SET_MERGES_MAX  = 1 << 3,
    SET_JUNK        = 1 << 4,
    SET_FOLDING     = (1 << 5) - 1,
    SET_ABANDON     = 1 << 5,
    SET_LIFECYCLE   = 1 << 6,
    SET_EXPIRE      = 1 << 7,
    SET_KEEP        = 1 << 8,
    SET_RULES       = 1 << 9
};

#define SETTINGS_EXPIRE_DEFAULT_DAYS  395   /* 13 months */
#define SETTINGS_KEEP_DEFAULT         2     /* the current one and its parent */

typedef struct {
    int64_t    session_gap_ms;      /* default 30 min */
    int64_t    half_life_ms;        /* default 30 days */
    int64_t    abandon_ms;          /* default 60 min */
    int64_t    lifecycle_ms[3];     /* new, active, lapsing: 7, 30, 90 d */
    int64_t    expire_ms;           /* inactivity that drops a profile;
                                       0: never */
    uint32_t   ids_max;             /* default 256 */
    uint32_t   merges_max;          /* default 1024 */
    uint32_t   keep;                /* snapshot files kept, >= 1 */
    char     **junk;                /* sorted, distinct, owned,
                                       NULL-terminated (or NULL) */
    size_t     njunk;
    char      *rules;               /* rules text (owned); NULL: none */
    size_t     rules_len;
    const char *rules_file;         /* where the given rules came from
                                       (lineage); NULL when kept */
    unsigned   given;               /* SET_* of the options given */
} settings_t;

/* The defaults, nothing given. */
void settings_init(settings_t *s);

void settings_free(settings_t *s);

/* A deep copy of src into dst; SPOOR_OK or SPOOR_E_NOMEM (dst freed). */
int settings_copy(settings_t *dst, const settings_t *src);

/*
 * What a command line says: --state DIR, --json, and every settings
 * option (listed by settings_usage()).  --rules FILE is read here (at
 * most SPOOR_RULES_TEXT_MAX bytes) but not parsed.  Returns the index of
 * the first operand; -1 for --help; -2 after printing a usage error as
 * "spoor CMD: ..."; -3 after printing why --rules FILE is unreadable.
 * cli->set is to be freed with settings_free() in every case.
 */
typedef struct {
    const char  *dir;
    int          json;
    unsigned     jobs;              /* --jobs N (ingest only); 0: not given */
    /* ingest only (docs/profiles.md, "Follow mode") */
    int          follow;            /* --follow */
    int64_t      interval_ms;       /* --interval (default 1 s) */
    int64_t      settle_ms;         /* --settle (default 60 s) */
    const char  *status;            /* --status FILE; NULL: none */
    const char  *redis;             /* --redis SEEDS: the fleet's streams
                                       (fleet.h); NULL: none */
    const char  *reader;            /* --reader NAME (default "spoor") */
    const char  *serve_key;         /* --serve-key FILE: fan-out of the
                                       serving views to the edges
                                       (serve_fanout.h); NULL: none */
    const char  *serve_traits;      /* --serve-traits NAME[,NAME...]: the
                                       traits the edges may serve; NULL:
                                       none */
    int64_t      now_ms;            /* --now; INT64_MIN: not given */
    int          full;              /* --full: the generation written is
                                       a full one, not a delta */
    int64_t      wait_ms;           /* forget, import-traits --wait
                                       (default 60 s) */
    settings_t   set;
} state_cli_t;

int settings_parse_args(int argc, char **argv, const char *cmd,
    state_cli_t *cli);

/* A duration "500ms", "1s", "2m", "1h" (a bare number: seconds) into
 * *ms; 0, or -1 when it is none or under 10 ms or over a day. */
int settings_duration(const char *s, int64_t *ms);

/* The lines of --help that describe the settings options. */
void settings_usage(FILE *f);

/*
 * Takes the options a run was given into the settings a state keeps
 * (kept: those of the current generation; has_kept 0 for a new state or
 * one written before settings were kept: then the given values and the
 * defaults are taken).  A folding setting given with another value is
 * refused: SPOOR_E_INVAL with a message naming the option and both
 * values.  Otherwise SPOOR_OK (or SPOOR_E_NOMEM), kept updated, and
 * *changed the SET_* bits of applied settings that changed.  Settings
 * left without rules (none given, none kept) get the built-in ones
 * (default_rules.h; rules_file DEFAULT_RULES_NAME), a kept state that had
 * none with SET_RULES in *changed.
 */
int settings_resolve(settings_t *kept, int has_kept, const settings_t *given,
    unsigned *changed, char *err, size_t errlen);

/* The "settings" and "rules" members of the snapshot metadata: two
 * key-value pairs packed into an open map.  Returns nonzero when out of
 * memory. */
int settings_pack(const settings_t *s, msgpack_packer *pk);

/* Reads them back from the metadata map (the rules member may be
 * absent or nil).  SPOOR_OK, SPOOR_E_FORMAT, SPOOR_E_NOMEM; on error s is
 * left with the defaults. */
int settings_unpack(settings_t *s, const msgpack_object *meta);

/* Writes the lineage members "settings":{...},"rules":...,"changed":[...]
 * into j's open map. */
void settings_lineage(json_out_t *j, const settings_t *s, unsigned changed,
    uint64_t rules_hash);

#endif /* SPOOR_SETTINGS_H */
