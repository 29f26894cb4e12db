/*
 * pos.h -- scan positions (vl_scan, vellir_upstream.h): byte strings in
 * the order memcmp gives them, a string before every longer string it
 * begins.
 *
 * Owns: vl__pos_cmp. Threads: pure; any thread.
 *
 * This is the order of SQLite's BLOB and PostgreSQL's bytea comparison
 * (both compare the common prefix byte by byte as unsigned, then the
 * shorter first; bytea has no collation), so for those upstreams a key's
 * position is the key itself. docs/scan.md says why.
 */
#ifndef VL_UTIL_POS_H
#define VL_UTIL_POS_H

#include <stddef.h>
#include <string.h>

/* <0, 0, >0 as a is before, equal to, after b. */
static inline int vl__pos_cmp(const void *a, size_t alen, const void *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return (alen > blen) - (alen < blen);
}

#endif
