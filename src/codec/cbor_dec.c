/*
 * cbor_dec.c -- the CBOR pull decoder of vellir_cbor.h: libcbor's streaming
 * decoder reads one head at a time into a cached vl_cbor_head; this file
 * adds typed reads, item counting, limits and the sticky error.
 *
 * Owns: vl_cbor_dec_*, vl_cbor_peek, vl_cbor_read_*, vl_cbor_skip.
 * Threads: pure functions over the caller's decoder; any thread.
 *
 * cbor_stream_decode never reads past the size it is given and checks that
 * a string's bytes are all there; it calls exactly one of the callbacks
 * below for a head it accepts. The callbacks only fill in the head. One
 * range of heads is read here instead (short_tag: libcbor refuses them).
 */
#include <cbor.h>
#include <string.h>

#include "codec/cbor_nest.h"
#include "codec/utf8.h"
#include "vellir_cbor.h"

/* libcbor passes 64-bit counts and lengths through size_t. */
_Static_assert(SIZE_MAX >= UINT64_MAX, "vellir's CBOR needs a 64-bit size_t");

/* ---- libcbor callbacks: each fills in the head it saw ---- */

static void set_head(void *ctx, vl_cbor_type t, uint64_t u) {
    vl_cbor_head *h = ctx;
    h->type = (uint8_t)t;
    h->u = u;
}

static void on_uint8(void *c, uint8_t v) { set_head(c, VL_CBOR_UINT, v); }
static void on_uint16(void *c, uint16_t v) { set_head(c, VL_CBOR_UINT, v); }
static void on_uint32(void *c, uint32_t v) { set_head(c, VL_CBOR_UINT, v); }
static void on_uint64(void *c, uint64_t v) { set_head(c, VL_CBOR_UINT, v); }
static void on_neg8(void *c, uint8_t v) { set_head(c, VL_CBOR_NEGINT, v); }
static void on_neg16(void *c, uint16_t v) { set_head(c, VL_CBOR_NEGINT, v); }
static void on_neg32(void *c, uint32_t v) { set_head(c, VL_CBOR_NEGINT, v); }
static void on_neg64(void *c, uint64_t v) { set_head(c, VL_CBOR_NEGINT, v); }
static void on_array(void *c, size_t n) { set_head(c, VL_CBOR_ARRAY, n); }
static void on_map(void *c, size_t n) { set_head(c, VL_CBOR_MAP, n); }
static void on_tag(void *c, uint64_t v) { set_head(c, VL_CBOR_TAG, v); }
static void on_null(void *c) { set_head(c, VL_CBOR_NULL, 0); }
static void on_undef(void *c) { set_head(c, VL_CBOR_UNDEFINED, 0); }
static void on_bool(void *c, bool v) { set_head(c, VL_CBOR_BOOL, v); }
/* Indefinite-length starts and break: not supported (vellir_cbor.h). */
static void on_unsupported(void *c) { set_head(c, VL_CBOR_INVALID, 0); }

static void on_string(vl_cbor_head *h, vl_cbor_type t, cbor_data p, size_t n) {
    set_head(h, t, n);
    h->ptr = p;
}
static void on_bytes(void *c, cbor_data p, size_t n) {
    on_string(c, VL_CBOR_BYTES, p, n);
}
static void on_text(void *c, cbor_data p, size_t n) {
    on_string(c, VL_CBOR_TEXT, p, n);
}

static void on_float(void *c, float f) {
    set_head(c, VL_CBOR_FLOAT, 0);
    ((vl_cbor_head *)c)->f = f;
}
static void on_double(void *c, double f) {
    set_head(c, VL_CBOR_FLOAT, 0);
    ((vl_cbor_head *)c)->f = f;
}

/* Every member is set: libcbor calls them without checking for NULL. */
static const struct cbor_callbacks head_callbacks = {
    .uint8 = on_uint8, .uint16 = on_uint16,
    .uint32 = on_uint32, .uint64 = on_uint64,
    .negint8 = on_neg8, .negint16 = on_neg16,
    .negint32 = on_neg32, .negint64 = on_neg64,
    .byte_string_start = on_unsupported, .byte_string = on_bytes,
    .string = on_text, .string_start = on_unsupported,
    .indef_array_start = on_unsupported, .array_start = on_array,
    .indef_map_start = on_unsupported, .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float, .float4 = on_float, .float8 = on_double,
    .undefined = on_undef, .null = on_null, .boolean = on_bool,
    .indef_break = on_unsupported,
};

/* ---- the decoder ---- */

void vl_cbor_dec_init(vl_cbor_dec *d, const uint8_t *bytes, size_t len) {
    memset(&d->head, 0, sizeof d->head);
    d->bytes = bytes;
    d->len = len;
    d->pos = 0;
    d->failed = false;
    d->head.type = VL_CBOR_END;
    d->nest.depth = 0;
}

static bool dec_fail(vl_cbor_dec *d) {
    d->failed = true;
    d->head.type = VL_CBOR_END;
    return false;
}

/* A container must not claim more items than bytes remain after its head
 * (each item takes at least one), so no count can make a caller allocate
 * beyond the input's size. */
static bool head_plausible(const vl_cbor_dec *d, const vl_cbor_head *h) {
    size_t rest = d->len - d->pos - h->size;
    if (h->type == VL_CBOR_ARRAY) return h->u <= rest;
    if (h->type == VL_CBOR_MAP) return h->u <= rest / 2;
    return true;
}

/* libcbor 0.8 refuses the one-byte heads of tags 6..20 (c6..d4) as
 * "unassigned", though they are well-formed and it accepts the same tags
 * written longer (d8 06): the encoder, writing shortest heads, would then
 * produce bytes the decoder refuses. So those 15 heads are read here. */
static bool short_tag(uint8_t b, vl_cbor_head *h) {
    if (b < 0xc6 || b > 0xd4) return false;
    h->type = VL_CBOR_TAG;
    h->u = b - 0xc0u;
    h->size = 1;
    return true;
}

/* Decodes the head at d->pos into d->head. */
static bool dec_head(vl_cbor_dec *d) {
    vl_cbor_head *h = &d->head;
    size_t avail = d->len - d->pos;
    memset(h, 0, sizeof *h);
    if (short_tag(d->bytes[d->pos], h)) return true;
    h->type = VL_CBOR_INVALID;
    struct cbor_decoder_result r =
        cbor_stream_decode(d->bytes + d->pos, avail, &head_callbacks, h);
    if (r.status != CBOR_DECODER_FINISHED || h->type == VL_CBOR_INVALID ||
        r.read == 0 || r.read > avail)
        return dec_fail(d);
    h->size = r.read;
    return head_plausible(d, h) || dec_fail(d);
}

vl_cbor_type vl_cbor_peek(vl_cbor_dec *d) {
    if (d->failed) return VL_CBOR_INVALID;
    if (d->head.type != VL_CBOR_END) return (vl_cbor_type)d->head.type;
    if (d->pos == d->len) {
        if (d->nest.depth == 0) return VL_CBOR_END;
        dec_fail(d); /* the input ends inside a container */
        return VL_CBOR_INVALID;
    }
    if (!dec_head(d)) return VL_CBOR_INVALID;
    return (vl_cbor_type)d->head.type;
}

/* Consumes the next head if it is of type `want`; fails otherwise. The
 * caller then counts it with take_leaf or take_open. */
static const vl_cbor_head *take(vl_cbor_dec *d, vl_cbor_type want) {
    if (vl_cbor_peek(d) != want) {
        dec_fail(d);
        return NULL;
    }
    d->pos += d->head.size;
    d->head.type = VL_CBOR_END;
    return &d->head;
}

/* Takes a complete item of type `want`. */
static const vl_cbor_head *take_leaf(vl_cbor_dec *d, vl_cbor_type want) {
    const vl_cbor_head *h = take(d, want);
    if (h) vl__nest_item(&d->nest);
    return h;
}

/* Takes a container head of type `want` and opens it: an array needs its
 * count of items, a map twice its count, a tag exactly one. */
static const vl_cbor_head *take_open(vl_cbor_dec *d, vl_cbor_type want) {
    const vl_cbor_head *h = take(d, want);
    if (!h) return NULL;
    uint64_t items = want == VL_CBOR_TAG ? 1 : want == VL_CBOR_MAP ? 2 * h->u : h->u;
    if (vl__nest_open(&d->nest, items)) return h;
    dec_fail(d);
    return NULL;
}

bool vl_cbor_read_uint(vl_cbor_dec *d, uint64_t *out) {
    const vl_cbor_head *h = take_leaf(d, VL_CBOR_UINT);
    *out = h ? h->u : 0;
    return h != NULL;
}

bool vl_cbor_read_int(vl_cbor_dec *d, int64_t *out) {
    *out = 0;
    vl_cbor_type t = vl_cbor_peek(d);
    if (t != VL_CBOR_UINT && t != VL_CBOR_NEGINT) return dec_fail(d);
    if (d->head.u > (uint64_t)INT64_MAX) return dec_fail(d);
    const vl_cbor_head *h = take_leaf(d, t);
    /* NEGINT n is -1 - n; n <= INT64_MAX so this cannot overflow. */
    *out = t == VL_CBOR_UINT ? (int64_t)h->u : -1 - (int64_t)h->u;
    return true;
}

bool vl_cbor_read_double(vl_cbor_dec *d, double *out) {
    const vl_cbor_head *h = take_leaf(d, VL_CBOR_FLOAT);
    *out = h ? h->f : 0.0;
    return h != NULL;
}

bool vl_cbor_read_bool(vl_cbor_dec *d, bool *out) {
    const vl_cbor_head *h = take_leaf(d, VL_CBOR_BOOL);
    *out = h ? h->u != 0 : false;
    return h != NULL;
}

bool vl_cbor_read_null(vl_cbor_dec *d) {
    return take_leaf(d, VL_CBOR_NULL) != NULL;
}

bool vl_cbor_read_bytes(vl_cbor_dec *d, const uint8_t **p, size_t *n) {
    const vl_cbor_head *h = take_leaf(d, VL_CBOR_BYTES);
    *p = h ? h->ptr : NULL;
    *n = h ? (size_t)h->u : 0;
    return h != NULL;
}

bool vl_cbor_read_text(vl_cbor_dec *d, const char **p, size_t *n) {
    const vl_cbor_head *h = take_leaf(d, VL_CBOR_TEXT);
    *p = NULL;
    *n = 0;
    if (!h || !vl__utf8_valid(h->ptr, (size_t)h->u)) return h ? dec_fail(d) : false;
    *p = (const char *)h->ptr;
    *n = (size_t)h->u;
    return true;
}

bool vl_cbor_read_array(vl_cbor_dec *d, size_t *n) {
    const vl_cbor_head *h = take_open(d, VL_CBOR_ARRAY);
    *n = h ? (size_t)h->u : 0;
    return h != NULL;
}

bool vl_cbor_read_map(vl_cbor_dec *d, size_t *n) {
    const vl_cbor_head *h = take_open(d, VL_CBOR_MAP);
    *n = h ? (size_t)h->u : 0;
    return h != NULL;
}

bool vl_cbor_read_tag(vl_cbor_dec *d, uint64_t *tag) {
    const vl_cbor_head *h = take_open(d, VL_CBOR_TAG);
    *tag = h ? h->u : 0;
    return h != NULL;
}

/* Consumes any one head, opening it if it is a container. */
static bool skip_head(vl_cbor_dec *d) {
    vl_cbor_type t = vl_cbor_peek(d);
    if (t == VL_CBOR_END || t == VL_CBOR_INVALID) return dec_fail(d);
    if (t == VL_CBOR_ARRAY || t == VL_CBOR_MAP || t == VL_CBOR_TAG)
        return take_open(d, t) != NULL;
    return take_leaf(d, t) != NULL;
}

/* The item is done when the nest is back at (or, if the item completed
 * its enclosing containers too, below) the depth it started at. */
bool vl_cbor_skip(vl_cbor_dec *d) {
    uint32_t base = d->nest.depth;
    do {
        if (!skip_head(d)) return false;
    } while (d->nest.depth > base);
    return true;
}

size_t vl_cbor_dec_offset(const vl_cbor_dec *d) { return d->pos; }

vl_status vl_cbor_dec_finish(const vl_cbor_dec *d) {
    if (d->failed || d->pos != d->len || d->nest.depth != 0) return VL_ECORRUPT;
    return VL_OK;
}
