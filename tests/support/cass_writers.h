/*
 * cass_writers.h -- writer threads for the node-outage tests
 * (tests/cassandra/test_cass_node_restart.c, tests/cassandra-cluster/
 * test_cluster_node_restart.c): each writes counters to its own keys
 * "w<id>-<k>" without waiting, remembers the last value it sent to each key
 * and the highest IMMEDIATE value acknowledged, and counts the outcomes.
 *
 * Owns: nothing global. Threads: a writer's thread writes; its counters are
 * atomics, read by the test thread once the writer is joined (or any time).
 */
#ifndef VELLIR_TEST_CASS_WRITERS_H
#define VELLIR_TEST_CASS_WRITERS_H

#include <stdatomic.h>

#include "cass_env.h"

#define CW_KEYS_MAX 256

typedef struct cw_writer {
    /* set before the thread starts */
    int id;
    vl_service *svc;
    uint32_t keys;         /* at most CW_KEYS_MAX */
    uint32_t immediate_in; /* one write in this many is IMMEDIATE, the others
                              WITHIN 50 ms (1: all IMMEDIATE) */
    int inflight_max;
    uint32_t sleep_every, sleep_ms; /* a pause of sleep_ms every sleep_every writes */
    /* the outcome */
    _Atomic bool stop;
    _Atomic int inflight;
    int64_t last_sent[CW_KEYS_MAX];
    _Atomic int64_t acked[CW_KEYS_MAX]; /* highest IMMEDIATE value acknowledged */
    _Atomic uint64_t n_acked, n_pending, n_within, n_other;
} cw_writer;

/* The thread's body (pthread_create(..., cw_main, writer)): writes until
 * `stop`, then waits for its writes in flight. */
void *cw_main(void *arg);

/* Checks one writer's keys against `stored(key)` (-1: absent): every
 * acknowledged IMMEDIATE value is there, and, once the service is closed,
 * the last value sent. Returns the keys found. */
uint32_t cw_check(const cw_writer *w, int64_t (*stored)(void *arg, const char *key), void *arg);

#endif
