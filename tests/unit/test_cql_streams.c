/*
 * test_cql_streams.c -- the stream-id allocator: the window, round-robin
 * reuse, the orphan rule, reset, and a random run against a simple model.
 *
 * Owns: its tests. Threads: single-threaded.
 */
#include <stdlib.h>
#include <string.h>

#include "cql/streams.h"
#include "../support/check.h"

static cql_streams s; /* 8 KiB: static, not on the stack */

static void test_window(void) {
    vl__cql_streams_init(&s, 0);
    CHECK_EQ(s.limit, VL_CQL_INFLIGHT_DEFAULT);
    for (int32_t i = 0; i < (int32_t)VL_CQL_INFLIGHT_DEFAULT; i++)
        CHECK_EQ(vl__cql_streams_acquire(&s), i);
    CHECK_EQ(vl__cql_streams_acquire(&s), -1);
    CHECK_EQ(vl__cql_streams_in_flight(&s), VL_CQL_INFLIGHT_DEFAULT);
    CHECK_EQ(vl__cql_streams_release(&s, 7), CQL_STREAM_LIVE);
    /* round-robin: the next id, not the one just freed */
    CHECK_EQ(vl__cql_streams_acquire(&s), (int32_t)VL_CQL_INFLIGHT_DEFAULT);
    CHECK_EQ(vl__cql_streams_acquire(&s), -1);
}

static void test_all_ids(void) {
    vl__cql_streams_init(&s, 100000);
    CHECK_EQ(s.limit, VL_CQL_STREAMS_MAX);
    for (int32_t i = 0; i < (int32_t)VL_CQL_STREAMS_MAX; i++)
        CHECK_EQ(vl__cql_streams_acquire(&s), i);
    CHECK_EQ(vl__cql_streams_acquire(&s), -1);
    CHECK_EQ(vl__cql_streams_release(&s, 32767), CQL_STREAM_LIVE);
    CHECK_EQ(vl__cql_streams_release(&s, 0), CQL_STREAM_LIVE);
    CHECK_EQ(vl__cql_streams_acquire(&s), 0);     /* the search wraps to 0 */
    CHECK_EQ(vl__cql_streams_acquire(&s), 32767); /* and then wraps around again */
    CHECK_EQ(vl__cql_streams_acquire(&s), -1);
}

static void test_orphans(void) {
    vl__cql_streams_init(&s, 2);
    int32_t a = vl__cql_streams_acquire(&s), b = vl__cql_streams_acquire(&s);
    CHECK(a >= 0 && b >= 0 && a != b);
    CHECK(vl__cql_streams_orphan(&s, (int16_t)a));   /* a timed out */
    CHECK(!vl__cql_streams_orphan(&s, (int16_t)a));  /* only once */
    CHECK_EQ(vl__cql_streams_orphans(&s), 1);
    CHECK_EQ(vl__cql_streams_acquire(&s), -1);       /* the orphan still holds its id */
    CHECK_EQ(vl__cql_streams_release(&s, (int16_t)a), CQL_STREAM_ORPHAN); /* late reply */
    CHECK_EQ(vl__cql_streams_orphans(&s), 0);
    CHECK_EQ(vl__cql_streams_release(&s, (int16_t)a), CQL_STREAM_UNKNOWN); /* duplicate */
    CHECK_EQ(vl__cql_streams_release(&s, (int16_t)b), CQL_STREAM_LIVE);
    CHECK_EQ(vl__cql_streams_release(&s, -1), CQL_STREAM_UNKNOWN);        /* an event */
    CHECK_EQ(vl__cql_streams_release(&s, 5000), CQL_STREAM_UNKNOWN);
    CHECK(!vl__cql_streams_orphan(&s, 5000));
    CHECK(!vl__cql_streams_orphan(&s, -3));
    CHECK_EQ(vl__cql_streams_in_flight(&s), 0);
}

static void test_reset(void) {
    vl__cql_streams_init(&s, 8);
    for (int i = 0; i < 8; i++) CHECK(vl__cql_streams_acquire(&s) >= 0);
    CHECK(vl__cql_streams_orphan(&s, 3));
    vl__cql_streams_reset(&s);
    CHECK_EQ(vl__cql_streams_in_flight(&s), 0);
    CHECK_EQ(vl__cql_streams_orphans(&s), 0);
    CHECK_EQ(s.limit, 8);
    CHECK_EQ(vl__cql_streams_release(&s, 3), CQL_STREAM_UNKNOWN);
    CHECK_EQ(vl__cql_streams_acquire(&s), 0);
}

/* Random acquire / release / orphan against a plain array. */
static void test_random_model(void) {
    static uint8_t model[VL_CQL_STREAMS_MAX]; /* 0 free, 1 live, 2 orphan */
    memset(model, 0, sizeof model);
    vl__cql_streams_init(&s, 3000);
    uint32_t busy = 0, seed = 12345;
    for (int step = 0; step < 300000; step++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t r = seed >> 8;
        int16_t id = (int16_t)(r % VL_CQL_STREAMS_MAX);
        if (r % 3 == 0) {
            int32_t got = vl__cql_streams_acquire(&s);
            if (busy == 3000) {
                CHECK_EQ(got, -1);
                continue;
            }
            CHECK(got >= 0 && model[got] == 0);
            model[got] = 1;
            busy++;
        } else if (r % 3 == 1) {
            cql_stream_state want = model[id] == 0 ? CQL_STREAM_UNKNOWN
                                    : model[id] == 1 ? CQL_STREAM_LIVE : CQL_STREAM_ORPHAN;
            CHECK_EQ(vl__cql_streams_release(&s, id), want);
            if (model[id]) busy--;
            model[id] = 0;
        } else {
            CHECK_EQ(vl__cql_streams_orphan(&s, id), model[id] == 1);
            if (model[id] == 1) model[id] = 2;
        }
        CHECK_EQ(vl__cql_streams_in_flight(&s), busy);
    }
}

int main(void) {
    RUN(test_window);
    RUN(test_all_ids);
    RUN(test_orphans);
    RUN(test_reset);
    RUN(test_random_model);
    return 0;
}
