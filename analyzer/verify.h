/*
 * verify.h -- one log's integrity report (`spoor verify --json`), for the
 * commands that include it (spoor stats --logs, spoor report --logs).
 */
#ifndef SPOOR_VERIFY_H
#define SPOOR_VERIFY_H

#include "json_out.h"

/*
 * Reads the log at path ("-": standard input) and writes its report, the
 * object `spoor verify --json` prints for it, as the next value of j
 * (the line is not ended).  Returns EXIT_OK (intact), EXIT_DAMAGED
 * (damage, gaps or repeats: the object says which) or EXIT_IO (it could
 * not be read: nothing written, the reason on standard error).
 */
int verify_log_json(json_out_t *j, const char *path);

#endif /* SPOOR_VERIFY_H */
