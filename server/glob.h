/*
 * glob.h -- glob patterns as Redis 7.0's stringmatchlen matches them.
 *
 * Owns: nothing. Threads: any; pure.
 *
 * Layer: the bottom of the server's own code, with args.h and reply.h.
 */
#ifndef VL_SERVER_GLOB_H
#define VL_SERVER_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..sn) matches the pattern pat[0..pn), byte for byte as Redis
 * 7.0 (glob.c lists every rule); `nocase` ignores the case of ASCII
 * letters (CONFIG GET). */
bool glob_match(const char *pat, size_t pn, const char *s, size_t sn, bool nocase);

#endif
