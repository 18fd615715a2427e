/*
 * cli.h -- what the subcommands of `spoor` share: exit codes, the entry
 * points called by main.c, and opening a LOG argument.
 *
 * Exit codes (also in `spoor --help` and the README):
 *   0  success, nothing damaged or missing
 *   1  the input was readable but damaged or incomplete (verify found a
 *      problem; cat skipped damaged bytes)
 *   2  usage error (unknown command or option, missing argument)
 *   3  an input could not be opened or read, or an output not written;
 *      a state that cannot be used (missing CURRENT, damaged current
 *      generation: `spoor recover`)
 *   4  not found: an ID has no profile (`spoor profile`)
 */
#ifndef SPOOR_CLI_H
#define SPOOR_CLI_H

#include <stdio.h>
#include "json_out.h"
#include "settings.h"
#include "state.h"

enum {
    EXIT_OK = 0,
    EXIT_DAMAGED = 1,
    EXIT_USAGE = 2,
    EXIT_IO = 3,
    EXIT_NOT_FOUND = 4
};

int cmd_cat(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_segments(int argc, char **argv);
int cmd_lineage(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_import_traits(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_ship(int argc, char **argv);
int cmd_mirror(int argc, char **argv);

/*
 * Opens --state DIR for writing with the settings options of a command
 * line (settings.h), for the commands that write a generation (ingest,
 * forget, import-traits, recover; flags as for state_open): returns the
 * index of the first operand with st open and configured, or a negative
 * exit code after printing a message (st closed); -100 for --help.
 * cli->set is to be freed by the caller in every case.
 */
int cli_open_state(int argc, char **argv, const char *cmd, state_cli_t *cli,
    state_t *st, int flags);

/* A count written as null by cli_lineage_member(). */
#define CLI_NULL  UINT64_MAX

/*
 * The lineage member "what":{"keys[0]":vals[0],...} of n counts (CLI_NULL:
 * null) for state_commit(), in a malloc'ed string; NULL when out of
 * memory.
 */
char *cli_lineage_member(const char *what, const char *const *keys,
    const uint64_t *vals, size_t n);

/*
 * Opens a LOG argument for reading: "-" is standard input.  Returns the
 * descriptor, or -1 after printing "spoor CMD: PATH: reason" on stderr.
 */
int cli_open_log(const char *cmd, const char *path);

/* Closes what cli_open_log() opened (leaves standard input open). */
void cli_close_log(int fd);

/* True when arg is -h or --help. */
int cli_is_help(const char *arg);

/*
 * Prints one line describing a damaged stretch of `path`, e.g.
 * "x.log: truncated frame at offset 99 (40 bytes): writer 5f.. seq 7,
 * 120 records lost: input ends inside the frame".
 */
void cli_print_damage(FILE *f, const char *path, const void *damage);

/* Replaces the file at path with data[0 .. len), atomically and durably
 * (spoor_write_file_atomic() in path's directory).  SPOOR_OK, or an error
 * with errno set. */
int cli_replace_file(const char *path, const void *data, size_t len);

/*
 * Reads the key file at path (serve_key.h's rule: its bytes without
 * trailing white space, SPOOR_KEY_MIN to SPOOR_KEY_FILE_MAX of them) into
 * key[0 .. *len), key holding SPOOR_KEY_FILE_MAX + 1 bytes.  SPOOR_OK, or
 * an error with the reason in err.
 */
int cli_read_key(const char *path, unsigned char *key, size_t *len,
    char *err, size_t errlen);

/* Replaces the --status file at path with the JSON text j holds and a
 * newline (cli_replace_file()); a failure is said as "spoor CMD:
 * --status PATH: reason" and is not fatal. */
void cli_write_status(const char *cmd, const char *path, json_out_t *j);

/* Writes ms since the epoch as 2026-01-02T03:04:05.678Z into buf[64]. */
void cli_format_time(long long ms, char *buf);

#endif /* SPOOR_CLI_H */
