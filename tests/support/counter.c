/*
 * counter.c -- the test counter type of counter.h.
 *
 * Owns: nothing global. Threads: shard threads (type and callbacks), any
 * thread (done_counter, atomics).
 */
#include <string.h>

#include "counter.h"

void counter_bytes(int64_t v, uint8_t out[8]) {
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(u >> (8 * i));
}

int64_t counter_from_bytes(const uint8_t *b) {
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)b[i] << (8 * i);
    return (int64_t)u;
}

static vl_status c_init(void *ctx, const void *key, size_t len, void *value) {
    (void)ctx, (void)key, (void)len;
    *(int64_t *)value = 0;
    return VL_OK;
}

static vl_status c_encode(void *ctx, const void *value, vl_buf *out) {
    (void)ctx;
    uint8_t b[8];
    counter_bytes(*(const int64_t *)value, b);
    return vl_buf_append(out, b, 8);
}

static vl_status c_decode(void *ctx, const void *key, size_t klen, const uint8_t *bytes,
                          size_t len, void *value) {
    (void)ctx, (void)key, (void)klen;
    if (len != 8) return VL_ECORRUPT;
    *(int64_t *)value = counter_from_bytes(bytes);
    return VL_OK;
}

const vl_type counter_type = {.name = "counter", .size = sizeof(int64_t), .init = c_init,
                              .encode = c_encode, .decode = c_decode};
const vl_type counter_type_absent = {.name = "counter", .size = sizeof(int64_t),
                                     .encode = c_encode, .decode = c_decode};

vl_policy counter_incr(void *arg, vl_mut *m) {
    incr_arg *a = arg;
    if (!m->present) {
        *(int64_t *)m->value = 0;
        m->present = true;
    }
    *(int64_t *)m->value += a->by;
    return a->policy;
}

vl_policy counter_set(void *arg, vl_mut *m) {
    set_arg *a = arg;
    *(int64_t *)m->value = a->value;
    m->present = true;
    m->expires_at = a->expires_at;
    return a->policy;
}

void counter_read(void *arg, vl_status st, const vl_view *v) {
    read_out *o = arg;
    o->st = st;
    o->value = st == VL_OK ? *(const int64_t *)v->value : -1;
    o->expires_at = v ? v->expires_at : 0;
}

void done_counter(void *arg, vl_status st) {
    done_count *d = arg;
    if (st == VL_OK) atomic_fetch_add(&d->ok, 1);
    else if (st == VL_EPENDING) atomic_fetch_add(&d->pending, 1);
    else atomic_fetch_add(&d->failed, 1);
    atomic_fetch_add(&d->total, 1);
}
