/*
 * clock.h -- the two clocks vellir uses.
 *
 * Owns: monotonic time (deadlines, ages, timeouts) and wall-clock time
 * (expiry, write timestamps sent upstream).
 * Threads: pure reads of the kernel clocks (vDSO); any thread.
 */
#ifndef VL_UTIL_CLOCK_H
#define VL_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t vl__mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t vl__mono_ms(void) { return vl__mono_us() / 1000; }

static inline int64_t vl__wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t vl__wall_ms(void) { return vl__wall_us() / 1000; }

#endif
