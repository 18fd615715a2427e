/*
 * state_run.h -- for unit tests that call the state directly (state.h):
 * one way to open a test state, under spoor_run.h's temporary directory.
 * Include after spoor_run.h.
 */
#ifndef SPOOR_TEST_STATE_RUN_H
#define SPOOR_TEST_STATE_RUN_H

#include <stdio.h>
#include "error.h"
#include "settings.h"
#include "state.h"

/* Opens (creating it) the state DIR/name for writing, with the default
 * settings; fails the test when it cannot. */
static void
state_run_open(state_t *st, const char *name)
{
    char        path[256], err[512];
    settings_t  set;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert_eq(state_open(st, path, STATE_WRITE, err, sizeof(err)),
                 SPOOR_OK, "%s", err);
    settings_init(&set);
    cr_assert_eq(state_configure(st, &set, err, sizeof(err)), SPOOR_OK,
                 "%s", err);
    settings_free(&set);
}

#endif /* SPOOR_TEST_STATE_RUN_H */
