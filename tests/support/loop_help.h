/*
 * loop_help.h -- running a test's own libuv loop until something happened
 * or a deadline passed (the CQL client tests drive their loop themselves).
 *
 * Owns: nothing. Threads: the thread that runs the loop.
 */
#ifndef VELLIR_TEST_LOOP_HELP_H
#define VELLIR_TEST_LOOP_HELP_H

#include <uv.h>

#include "util/clock.h"

/* Runs `loop` until *flag is non-zero, at most `ms`. The loop must have a
 * timer that ticks, or uv_run may sleep past the deadline. */
static inline void test_loop_until(uv_loop_t *loop, const int *flag, int ms) {
    int64_t end = vl__mono_us() + (int64_t)ms * 1000;
    while (!*flag && vl__mono_us() < end) uv_run(loop, UV_RUN_ONCE);
}

static inline void test_loop_for(uv_loop_t *loop, int ms) {
    int never = 0;
    test_loop_until(loop, &never, ms);
}

#endif
