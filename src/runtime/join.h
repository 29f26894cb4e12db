/*
 * join.h -- waiting for work spread over several threads: a join counts the
 * parts of one request still open, and a gate collects the threads' start-up
 * reports.
 *
 * Owns: vl_join, vl_gate. Threads: any thread, as each function says.
 */
#ifndef VL_RUNTIME_JOIN_H
#define VL_RUNTIME_JOIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vellir.h"

/* Fan-in of a request spread over threads (a flush, a shutdown): `remaining`
 * counts the parts still open; the part that brings it to zero runs
 * done(arg, first failure or VL_OK) and frees the join. */
typedef struct vl_join {
    _Atomic int64_t remaining;
    _Atomic int status; /* the first failure, or VL_OK */
    vl_done_cb done;
    void *arg;
} vl_join;

/* A join of `parts` parts, or NULL (out of memory). Any thread. */
vl_join *vl__join_new(int64_t parts, vl_done_cb done, void *arg);
/* One part ended with `st`. Any thread. */
void vl__join_part_done(vl_join *j, vl_status st);

/* Start-up: each thread reports how its setup went; the opener waits for
 * every report, then declares the start over (threads whose setup failed
 * wait for that before they tear down, see cache/shard.c). */
typedef struct vl_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint32_t reported;
    vl_status status; /* the first failure reported, or VL_OK */
    bool over;
} vl_gate;

void vl__gate_init(vl_gate *g);
void vl__gate_destroy(vl_gate *g);
/* A thread's report. Any thread. */
void vl__gate_report(vl_gate *g, vl_status st);
/* The opener: waits for `n` reports, declares the start over, and returns
 * the first failure or VL_OK. */
vl_status vl__gate_wait_reports(vl_gate *g, uint32_t n);
/* A thread: waits until the opener declared the start over. */
void vl__gate_wait_over(vl_gate *g);

#endif
