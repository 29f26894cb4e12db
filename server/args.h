/*
 * args.h -- reading a command's arguments as Redis does: words compared
 * without case, integers and long doubles by Redis's rules (glob patterns
 * are glob.h's).
 *
 * Owns: srv_arg (an argument an op keeps: bytes it copied). Threads: any;
 * pure functions over the caller's bytes.
 *
 * Layer: the bottom of the server's own code, with reply.h; above only the
 * protocol (resp.h) and the value type (value.h).
 */
#ifndef VL_SERVER_ARGS_H
#define VL_SERVER_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

/* An argument copied into an op (conn.h), after the command's name. */
typedef struct srv_arg {
    const uint8_t *p;
    size_t len;
} srv_arg;

/* Case-insensitive compare of an argument with a word. */
bool arg_is(const vl_resp_arg *a, const char *word);
bool sarg_is(const srv_arg *a, const char *word);
/* Parses an integer argument (Redis's rules); false if it is not one. */
bool arg_ll(const vl_resp_arg *a, int64_t *out);
/* Redis's string2ld: no leading blank, whole string, not NaN. */
bool parse_ld(const void *p, size_t n, long double *out);

#endif
