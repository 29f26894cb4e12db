/*
 * fuzz_cbor.c -- libFuzzer harness for the CBOR helpers (vellir_cbor.h).
 *
 * Owns: LLVMFuzzerTestOneInput for the CBOR decoder and encoder.
 * Threads: single-threaded (libFuzzer calls it from one thread).
 *
 * For any input it checks that:
 *  1. the typed walk (peek, then the matching read for every item) and the
 *     structural walk (vl_cbor_skip only) accept exactly the same inputs;
 *  2. after peek names a leaf type, its read succeeds (only the documented
 *     exceptions fail: a NEGINT below INT64_MIN, a text that is not UTF-8,
 *     which the walk then skips, and undefined, which only skip takes);
 *  3. when the input decodes, re-encoding what was read (a null in place of
 *     each skipped leaf) succeeds, is no longer than the input, decodes to
 *     the same items, and re-encodes to the very same bytes.
 * A failed check aborts, which libFuzzer reports as a crash.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vellir_cbor.h"
#include "fuzz.h"


#define EXPECT(cond)                                                          \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_cbor.c:%d: %s\n", __LINE__, #cond);         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* One item as read; `type` is a vl_cbor_type, or EV_SKIPPED for a leaf
 * the walk had to skip (re-encoded as null). */
enum { EV_SKIPPED = 100 };
typedef struct ev {
    uint8_t type;
    uint64_t u;
    int64_t i;
    double f;
    const uint8_t *p;
    size_t n;
} ev;

typedef struct walk {
    ev *evs;
    size_t n;
} walk;

/* Reads the next item of type `t` in full; false only where allowed. */
static bool read_leaf(vl_cbor_dec *d, vl_cbor_type t, ev *e) {
    bool b = false;
    switch (t) {
    case VL_CBOR_UINT: return vl_cbor_read_uint(d, &e->u);
    case VL_CBOR_BYTES: return vl_cbor_read_bytes(d, &e->p, &e->n);
    case VL_CBOR_FLOAT: return vl_cbor_read_double(d, &e->f);
    case VL_CBOR_NULL: return vl_cbor_read_null(d);
    case VL_CBOR_BOOL:
        if (!vl_cbor_read_bool(d, &b)) return false;
        e->u = b;
        return true;
    default: return false;
    }
}

/* Reads an item that may legitimately refuse the typed read; on refusal
 * steps over it with a copy of the decoder from before. */
static bool read_or_skip(vl_cbor_dec *d, vl_cbor_type t, ev *e) {
    vl_cbor_dec ahead = *d;
    const char *s = NULL;
    bool ok = false;
    if (t == VL_CBOR_NEGINT) ok = vl_cbor_read_int(&ahead, &e->i);
    if (t == VL_CBOR_TEXT) ok = vl_cbor_read_text(&ahead, &s, &e->n);
    if (ok) {
        *d = ahead;
        e->p = (const uint8_t *)s;
        return true;
    }
    e->type = EV_SKIPPED;
    return vl_cbor_skip(d);
}

static bool read_container(vl_cbor_dec *d, vl_cbor_type t, ev *e) {
    size_t n = 0;
    bool ok = t == VL_CBOR_TAG ? vl_cbor_read_tag(d, &e->u)
            : t == VL_CBOR_ARRAY ? vl_cbor_read_array(d, &n)
            : vl_cbor_read_map(d, &n);
    if (t != VL_CBOR_TAG) e->u = n;
    return ok;
}

/* Reads one item into `e`; false if the walk must stop. */
static bool read_one(vl_cbor_dec *d, vl_cbor_type t, ev *e) {
    memset(e, 0, sizeof *e);
    e->type = (uint8_t)t;
    switch (t) {
    case VL_CBOR_ARRAY: case VL_CBOR_MAP: case VL_CBOR_TAG:
        return read_container(d, t, e); /* may hit the depth limit */
    case VL_CBOR_NEGINT: case VL_CBOR_TEXT: case VL_CBOR_UNDEFINED:
        return read_or_skip(d, t, e);
    default:
        EXPECT(read_leaf(d, t, e)); /* peek said so: the read must work */
        return true;
    }
}

/* The typed walk: every item into w->evs (room for one per byte). */
static vl_status walk_typed(const uint8_t *p, size_t n, walk *w) {
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, p, n);
    w->n = 0;
    for (;;) {
        vl_cbor_type t = vl_cbor_peek(&d);
        if (t == VL_CBOR_END || t == VL_CBOR_INVALID) break;
        EXPECT(w->n < n);
        if (!read_one(&d, t, &w->evs[w->n++])) break;
    }
    vl_status st = vl_cbor_dec_finish(&d);
    EXPECT(st == VL_OK || st == VL_ECORRUPT);
    return st;
}

static vl_status walk_skip(const uint8_t *p, size_t n) {
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, p, n);
    while (vl_cbor_peek(&d) != VL_CBOR_END && vl_cbor_skip(&d)) {
    }
    return vl_cbor_dec_finish(&d);
}

static void encode_one(vl_cbor_enc *e, const ev *v) {
    switch (v->type) {
    case VL_CBOR_UINT: vl_cbor_uint(e, v->u); break;
    case VL_CBOR_NEGINT: vl_cbor_int(e, v->i); break;
    case VL_CBOR_BYTES: vl_cbor_bytes(e, v->p, v->n); break;
    case VL_CBOR_TEXT: vl_cbor_text(e, (const char *)v->p, v->n); break;
    case VL_CBOR_ARRAY: vl_cbor_array(e, (size_t)v->u); break;
    case VL_CBOR_MAP: vl_cbor_map(e, (size_t)v->u); break;
    case VL_CBOR_TAG: vl_cbor_tag(e, v->u); break;
    case VL_CBOR_FLOAT: vl_cbor_double(e, v->f); break;
    case VL_CBOR_BOOL: vl_cbor_bool(e, v->u != 0); break;
    default: vl_cbor_null(e); break; /* NULL and EV_SKIPPED */
    }
}

static void encode_all(const walk *w, vl_buf *out) {
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    for (size_t k = 0; k < w->n; k++) encode_one(&e, &w->evs[k]);
    EXPECT(vl_cbor_enc_finish(&e) == VL_OK);
}

static bool same_ev(const ev *a, const ev *b) {
    uint8_t ta = a->type == EV_SKIPPED ? VL_CBOR_NULL : a->type;
    if (ta != b->type) return false;
    switch (ta) {
    case VL_CBOR_NEGINT: return a->i == b->i;
    case VL_CBOR_BYTES: case VL_CBOR_TEXT:
        return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
    case VL_CBOR_FLOAT:
        if (isnan(a->f) || isnan(b->f)) return isnan(a->f) && isnan(b->f);
        return a->f == b->f && signbit(a->f) == signbit(b->f);
    default: return a->u == b->u;
    }
}

/* Property 3, for an input whose typed walk `w1` succeeded. */
static void check_reencode(size_t size, const walk *w1) {
    vl_buf b1 = {0}, b2 = {0};
    encode_all(w1, &b1);
    EXPECT(b1.len <= size); /* shortest forms never grow the input */
    walk w2 = {malloc(sizeof(ev) * (b1.len + 1)), 0};
    EXPECT(w2.evs != NULL);
    EXPECT(walk_typed(b1.data, b1.len, &w2) == VL_OK);
    EXPECT(w2.n == w1->n);
    for (size_t k = 0; k < w1->n; k++) EXPECT(same_ev(&w1->evs[k], &w2.evs[k]));
    encode_all(&w2, &b2);
    EXPECT(b2.len == b1.len && (b1.len == 0 || memcmp(b1.data, b2.data, b1.len) == 0));
    free(w2.evs);
    vl_buf_free(&b1);
    vl_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    walk w1 = {malloc(sizeof(ev) * (size + 1)), 0};
    EXPECT(w1.evs != NULL);
    vl_status typed = walk_typed(data, size, &w1);
    EXPECT(typed == walk_skip(data, size)); /* property 1 */
    if (typed == VL_OK) check_reencode(size, &w1);
    free(w1.evs);
    return 0;
}
