/*
 * test_heap.c -- the intrusive min-heap: random pushes, updates and removals
 * against a brute-force minimum.
 *
 * Owns: its heap and nodes. Threads: single-threaded.
 */
#include "check.h"
#include "util/heap.h"

#define N 2000

static void test_heap_random_ops_match_model(void) {
    vl_heap h;
    vl__heap_init(&h);
    static vl_hnode nodes[N];
    for (int i = 0; i < N; i++) nodes[i].idx = VL_HEAP_NONE;
    uint64_t x = 99991;
    for (int step = 0; step < 100000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        vl_hnode *n = &nodes[x % N];
        int64_t k = (int64_t)((x >> 20) % 100000);
        int op = (int)((x >> 50) % 3);
        if (!vl__heap_in(n)) CHECK_OK(vl__heap_push(&h, n, k));
        else if (op == 0) vl__heap_remove(&h, n);
        else vl__heap_update(&h, n, k);
        int64_t best = INT64_MAX;
        uint32_t in = 0;
        for (int i = 0; i < N; i++)
            if (vl__heap_in(&nodes[i])) {
                in++;
                if (nodes[i].key < best) best = nodes[i].key;
            }
        CHECK_EQ(h.n, in);
        if (in) CHECK_EQ(vl__heap_min(&h)->key, best);
        else CHECK(vl__heap_min(&h) == NULL);
    }
    CHECK_OK(vl__heap_reserve(&h, 5000));
    CHECK(h.cap >= 5000);
    vl__heap_free(&h);
}

int main(void) {
    RUN(test_heap_random_ops_match_model);
    return 0;
}
