/*
 * svc.h -- helpers shared by scenario tests: open a service on a memory
 * store, read what the store holds, scale work under sanitizers, capture
 * log lines.
 *
 * Owns: nothing global but the log capture buffer. Threads: as each says.
 */
#ifndef VELLIR_TEST_SVC_H
#define VELLIR_TEST_SVC_H

#include <pthread.h>

#include "check.h"
#include "counter.h"
#include "vellir_memory.h"

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#ifndef TEST_TSAN
#define TEST_TSAN 0
#endif

/* ThreadSanitizer runs threaded code 5-15x slower; the heaviest scenarios
 * divide their request counts by this under it (and say so). */
#define TEST_SLOW_DIVISOR (TEST_TSAN ? 8 : 1)

/* Options for tests: `shards` shards, fast retries (1 ms base, 20 ms cap). */
void test_options(vl_options *o, uint32_t shards);
vl_service *test_open(vl_mem *m, const vl_type *t, const vl_options *o);
/* The counter stored for `key`, or -1 if the store has no row. */
int64_t test_stored(vl_mem *m, const void *key, size_t len);
/* Sleeps `ms` milliseconds. */
void test_sleep_ms(int ms);

/* A completion a test waits for: test_done_cb stores the status (any
 * thread), test_done_wait waits for it. */
typedef struct test_done {
    _Atomic int fired;
    _Atomic int status;
} test_done;
void test_done_cb(void *arg, vl_status st); /* arg: a test_done */
vl_status test_done_wait(test_done *d);
/* vl_clear and a wait for its completion: its status. */
vl_status test_clear_sync(vl_service *svc);

/* A log sink that keeps the last lines (any thread); with VELLIR_TEST_LOG
 * set in the environment it also prints each line to stderr. */
void test_log_sink(void *arg, vl_log_level level, const char *msg);
/* True if a captured line contains `needle`. */
int test_log_contains(const char *needle);

#endif
