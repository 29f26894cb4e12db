/*
 * counter.h -- a value type for tests: a signed 64-bit counter stored as 8
 * little-endian bytes, plus the write and read functions tests use on it.
 *
 * Owns: nothing global. Threads: the type's functions run on shard threads.
 */
#ifndef VELLIR_TEST_COUNTER_H
#define VELLIR_TEST_COUNTER_H

#include <stdatomic.h>

#include "vellir.h"

/* Missing keys start at 0 (init) unless `absent_init` is set, in which case
 * they are absent. */
extern const vl_type counter_type;
extern const vl_type counter_type_absent;

/* An increment: adds `by` and returns `policy`. */
typedef struct incr_arg {
    int64_t by;
    vl_policy policy;
} incr_arg;
vl_policy counter_incr(void *arg, vl_mut *m);

/* A set: stores `value` (creating it if absent) and returns `policy`. */
typedef struct set_arg {
    int64_t value;
    int64_t expires_at;
    vl_policy policy;
} set_arg;
vl_policy counter_set(void *arg, vl_mut *m);

/* A read: copies the value (or -1 if none) into a read_out. */
typedef struct read_out {
    vl_status st;
    int64_t value;
    int64_t expires_at;
} read_out;
void counter_read(void *arg, vl_status st, const vl_view *v);

/* Encodes a counter as the stored bytes. */
void counter_bytes(int64_t v, uint8_t out[8]);
int64_t counter_from_bytes(const uint8_t *b);

/* A completion that counts statuses (any thread). */
typedef struct done_count {
    _Atomic uint64_t ok, failed, pending;
    _Atomic uint64_t total;
} done_count;
void done_counter(void *arg, vl_status st);

#endif
