/*
 * scanall.h -- a whole vl_scan from the first page to the end, for tests:
 * the keys it returned, and checks every scan must pass (pages in
 * ascending order of position, within and across pages, at most `count`
 * keys a page, no key twice).
 *
 * Owns: the key lists it returns (free with scan_keys_free). Threads: the
 * calling thread (it uses vl_scan_sync), not a shard's.
 */
#ifndef VELLIR_TEST_SCANALL_H
#define VELLIR_TEST_SCANALL_H

#include <stdbool.h>
#include <stddef.h>

#include "vellir.h"

typedef struct scan_keys {
    char **key;   /* sorted in memcmp order; each NUL-terminated too */
    size_t *len;
    size_t n, cap;
    size_t pages;
} scan_keys;

/* Orders positions as the upstream does (memcmp order when NULL). */
typedef int (*scan_order)(const void *a, size_t alen, const void *b, size_t blen);

/* Scans the whole service with pages of `count`; fails the test on a
 * broken page. Returns the first failure of a page, or VL_OK. */
vl_status scan_all(vl_service *svc, uint32_t count, scan_order order, scan_keys *out);
/* Is `key` among them? (scan_all leaves them sorted in memcmp order.) */
bool scan_has(const scan_keys *s, const char *key);
void scan_keys_free(scan_keys *s);
/* Hashed order (vl_mem_upstream_hashed): XXH3 big-endian, then the key. */
int scan_hashed_order(const void *a, size_t alen, const void *b, size_t blen);

#endif
