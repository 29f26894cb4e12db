/*
 * request.c -- a request once it left the mailbox: failing it, and the
 * waiters that hold it until a load or a commit answers.
 *
 * Owns: vl_waiter's allocation and completion.
 * Threads: the owning shard's thread only (a waiter's join may end on any).
 */
#include <stdlib.h>

#include "cache/internal.h"

void vl__req_fail(const vl_req *r, const void *key, size_t len, vl_status st) {
    if (r->op == MSG_READ || r->op == MSG_READ_CACHED) {
        vl_view v = {key, len, NULL, 0};
        r->fn.read(r->arg, st, &v);
    } else if (r->done) {
        r->done(r->arg, st);
    }
}

vl_waiter *vl__waiter_new(const vl_req *r, vl_join *join) {
    vl_waiter *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    if (r) w->req = *r;
    w->join = join;
    return w;
}

void vl__waiter_fire(vl_waiter *w, vl_status st) {
    if (w->join) vl__join_part_done(w->join, st);
    else if (w->req.done) w->req.done(w->req.arg, st);
    free(w);
}

void vl__waiter_fire_all(vl_waiter *w, vl_status st) {
    while (w) {
        vl_waiter *next = w->next;
        vl__waiter_fire(w, st);
        w = next;
    }
}
