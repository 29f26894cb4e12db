/*
 * bench_util.h -- what the benchmarks share: medians and zipf draws.
 *
 * Owns: nothing global. Threads: pure functions; a vl_zipf is read-only once
 * made, so any thread may draw from it.
 */
#ifndef VELLIR_BENCH_UTIL_H
#define VELLIR_BENCH_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (sorts v). */
static inline double bench_median(double *v, size_t n) {
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Zipf(s) over ranks 0..n-1, drawn by inverse CDF (binary search). */
typedef struct bench_zipf {
    double *cdf; /* cumulative, normalised to 1 */
    uint32_t n;
} bench_zipf;

static inline int bench_zipf_init(bench_zipf *z, double s, uint32_t n) {
    z->cdf = malloc((size_t)n * sizeof *z->cdf);
    z->n = n;
    if (!z->cdf) return -1;
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) z->cdf[i] = (sum += 1.0 / pow(i + 1, s));
    for (uint32_t i = 0; i < n; i++) z->cdf[i] /= sum;
    return 0;
}

static inline void bench_zipf_free(bench_zipf *z) { free(z->cdf); }

/* The rank for a uniform u in [0, 1). */
static inline uint32_t bench_zipf_draw(const bench_zipf *z, double u) {
    uint32_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (z->cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

#endif
