/*
 * profile_json.h -- a stored profile as JSON (the document is described
 * in profile_json.c and docs/profiles.md).
 */
#ifndef SPOOR_PROFILE_JSON_H
#define SPOOR_PROFILE_JSON_H

#include <stddef.h>
#include "json_out.h"

/* Writes the profile blob[0 .. len) (a snapshot's profile) as one JSON
 * object to j (the caller ends the line).  SPOOR_E_FORMAT for a blob
 * that is not a profile (nothing written).  Any bytes are safe: the blob
 * is bounds-checked (spoor_mp_check) before it is unpacked. */
int profile_json(json_out_t *j, const unsigned char *blob, size_t len);

#endif /* SPOOR_PROFILE_JSON_H */
