/*
 * check.h -- the test harness: assertions that always run (NDEBUG or not)
 * and a runner that times each test.
 *
 * Owns: CHECK macros and RUN. Threads: CHECK may fail from any thread (it
 * prints and exits the process, which is what a failed test must do).
 */
#ifndef VELLIR_TEST_CHECK_H
#define VELLIR_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vellir.h"

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                   \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

#define CHECK_EQ(a, b)                                                        \
    do {                                                                      \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);       \
        if (check_a_ != check_b_) {                                           \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);          \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

#define CHECK_LE(a, b)                                                        \
    do {                                                                      \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);       \
        if (!(check_a_ <= check_b_)) {                                        \
            fprintf(stderr, "%s:%d: CHECK_LE failed: %s <= %s (%lld vs %lld)\n", \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);          \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

/* Asserts that a vl_status expression equals the expected status. */
#define CHECK_ST(expr, want)                                                  \
    do {                                                                      \
        vl_status check_s_ = (expr), check_w_ = (want);                       \
        if (check_s_ != check_w_) {                                           \
            fprintf(stderr, "%s:%d: %s gave %s, want %s\n", __FILE__,         \
                    __LINE__, #expr, vl_status_name(check_s_),                \
                    vl_status_name(check_w_));                                \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

#define CHECK_OK(expr) CHECK_ST(expr, VL_OK)

static inline double check_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define RUN(fn)                                                               \
    do {                                                                      \
        double run_t0_ = check_now_s();                                       \
        fn();                                                                 \
        printf("ok - %s (%.3f s)\n", #fn, check_now_s() - run_t0_);           \
        fflush(stdout);                                                       \
    } while (0)

#endif /* VELLIR_TEST_CHECK_H */
