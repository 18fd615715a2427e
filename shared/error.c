/*
 * error.c -- text for the SPOOR_E_* values (see error.h).
 */
#include "error.h"

const char *
spoor_strerror(int err)
{
    switch (err) {
    case SPOOR_OK:        return "success";
    case SPOOR_E_NOMEM:   return "out of memory";
    case SPOOR_E_FULL:    return "buffer full";
    case SPOOR_E_TOOBIG:  return "item larger than the buffer";
    case SPOOR_E_FORMAT:  return "malformed data";
    case SPOOR_E_DEPTH:   return "nesting too deep";
    case SPOOR_E_JSON:    return "invalid JSON";
    case SPOOR_E_IO:      return "input/output error";
    case SPOOR_E_LZ4:     return "LZ4 error";
    case SPOOR_E_INVAL:   return "invalid argument";
    default:              return "unknown error";
    }
}
