/*
 * join.c -- joins and start-up gates (join.h).
 *
 * Owns: their counters and their lock. Threads: any thread.
 */
#include <stdlib.h>

#include "runtime/join.h"

vl_join *vl__join_new(int64_t parts, vl_done_cb done, void *arg) {
    vl_join *j = malloc(sizeof *j);
    if (!j) return NULL;
    atomic_init(&j->remaining, parts);
    atomic_init(&j->status, VL_OK);
    j->done = done;
    j->arg = arg;
    return j;
}

void vl__join_part_done(vl_join *j, vl_status st) {
    if (st != VL_OK) {
        int ok = VL_OK;
        atomic_compare_exchange_strong(&j->status, &ok, (int)st);
    }
    if (atomic_fetch_sub(&j->remaining, 1) != 1) return;
    if (j->done) j->done(j->arg, (vl_status)atomic_load(&j->status));
    free(j);
}

void vl__gate_init(vl_gate *g) {
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->reported = 0;
    g->status = VL_OK;
    g->over = false;
}

void vl__gate_destroy(vl_gate *g) {
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

void vl__gate_report(vl_gate *g, vl_status st) {
    pthread_mutex_lock(&g->mu);
    if (st != VL_OK && g->status == VL_OK) g->status = st;
    g->reported++;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

vl_status vl__gate_wait_reports(vl_gate *g, uint32_t n) {
    pthread_mutex_lock(&g->mu);
    while (g->reported < n) pthread_cond_wait(&g->cv, &g->mu);
    vl_status st = g->status;
    g->over = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    return st;
}

void vl__gate_wait_over(vl_gate *g) {
    pthread_mutex_lock(&g->mu);
    while (!g->over) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}
