/*
 * cbor_enc.c -- the CBOR encoder of vellir_cbor.h: items appended to a
 * vl_buf, heads written by libcbor, with a sticky error and item counting.
 *
 * Owns: vl_cbor_enc_* and the vl_cbor_<type> writers.
 * Threads: pure functions over the caller's encoder and buffer; any thread.
 *
 * libcbor writes every head (cbor_encode_uint, _negint, _*_start, _tag,
 * _bool, _null, _single, _double) except float16: libcbor 0.8's
 * cbor_encode_half turns 2026 of the 2046 non-zero subnormal halves into
 * other numbers (docs/cbor.md has the measurement), so half_exact() below
 * converts and the three bytes are written here.
 */
#include <cbor.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "codec/cbor_nest.h"
#include "codec/utf8.h"
#include "vellir_cbor.h"

/* libcbor's length heads take size_t; counts here are 64-bit. */
_Static_assert(SIZE_MAX >= UINT64_MAX, "vellir's CBOR needs a 64-bit size_t");

typedef size_t (*head_fn)(uint64_t v, unsigned char *buf, size_t size);

static size_t head_bytes(uint64_t n, unsigned char *b, size_t size) {
    return cbor_encode_bytestring_start((size_t)n, b, size);
}
static size_t head_text(uint64_t n, unsigned char *b, size_t size) {
    return cbor_encode_string_start((size_t)n, b, size);
}
static size_t head_array(uint64_t n, unsigned char *b, size_t size) {
    return cbor_encode_array_start((size_t)n, b, size);
}
static size_t head_map(uint64_t n, unsigned char *b, size_t size) {
    return cbor_encode_map_start((size_t)n, b, size);
}

void vl_cbor_enc_init(vl_cbor_enc *e, vl_buf *out) {
    e->out = out;
    e->start = out->len;
    e->status = VL_OK;
    e->nest.depth = 0;
}

/* The first failure sticks and takes back everything written since init. */
static void enc_fail(vl_cbor_enc *e, vl_status st) {
    if (e->status != VL_OK) return;
    e->status = st;
    e->out->len = e->start;
}

/* Room for `n` more bytes, or NULL once the encoder has failed. */
static unsigned char *enc_room(vl_cbor_enc *e, size_t n) {
    if (e->status != VL_OK) return NULL;
    unsigned char *p = vl_buf_reserve(e->out, n);
    if (!p) enc_fail(e, VL_ENOMEM);
    return p;
}

/* Commits `n` bytes just written at the end of the buffer. libcbor returns
 * 0 only when the room it was given is too small, which is a bug here. */
static bool enc_wrote(vl_cbor_enc *e, size_t n) {
    if (n == 0) {
        enc_fail(e, VL_EINTERNAL);
        return false;
    }
    e->out->len += n;
    return true;
}

/* Writes one complete item whose whole encoding is a head. */
static void enc_leaf(vl_cbor_enc *e, head_fn fn, uint64_t v) {
    unsigned char *p = enc_room(e, VL_CBOR_HEAD_MAX);
    if (p && enc_wrote(e, fn(v, p, VL_CBOR_HEAD_MAX))) vl__nest_item(&e->nest);
}

/* Writes a container head that `items` following items complete. */
static void enc_open(vl_cbor_enc *e, head_fn fn, uint64_t v, uint64_t items) {
    unsigned char *p = enc_room(e, VL_CBOR_HEAD_MAX);
    if (!p || !enc_wrote(e, fn(v, p, VL_CBOR_HEAD_MAX))) return;
    if (!vl__nest_open(&e->nest, items)) enc_fail(e, VL_EENCODE);
}

/* Writes a string head and its `n` bytes. */
static void enc_string(vl_cbor_enc *e, head_fn fn, const void *p, size_t n) {
    if (n > SIZE_MAX - VL_CBOR_HEAD_MAX) {
        enc_fail(e, VL_ENOMEM);
        return;
    }
    unsigned char *dst = enc_room(e, VL_CBOR_HEAD_MAX + n);
    if (!dst) return;
    size_t h = fn(n, dst, VL_CBOR_HEAD_MAX);
    if (h == 0) {
        enc_fail(e, VL_EINTERNAL);
        return;
    }
    if (n) memcpy(dst + h, p, n);
    e->out->len += h + n;
    vl__nest_item(&e->nest);
}

void vl_cbor_uint(vl_cbor_enc *e, uint64_t v) {
    enc_leaf(e, cbor_encode_uint, v);
}

/* -1 - n for n >= 0 is major type 1 with argument n; ~v is -1 - v. */
void vl_cbor_int(vl_cbor_enc *e, int64_t v) {
    if (v >= 0) enc_leaf(e, cbor_encode_uint, (uint64_t)v);
    else enc_leaf(e, cbor_encode_negint, ~(uint64_t)v);
}

static size_t head_bool(uint64_t v, unsigned char *b, size_t size) {
    return cbor_encode_bool(v != 0, b, size);
}
static size_t head_null(uint64_t v, unsigned char *b, size_t size) {
    (void)v;
    return cbor_encode_null(b, size);
}

void vl_cbor_bool(vl_cbor_enc *e, bool v) { enc_leaf(e, head_bool, v); }
void vl_cbor_null(vl_cbor_enc *e) { enc_leaf(e, head_null, 0); }

void vl_cbor_text(vl_cbor_enc *e, const char *p, size_t n) {
    if (e->status == VL_OK && !vl__utf8_valid((const uint8_t *)p, n)) {
        enc_fail(e, VL_EENCODE);
        return;
    }
    enc_string(e, head_text, p, n);
}

void vl_cbor_bytes(vl_cbor_enc *e, const void *p, size_t n) {
    enc_string(e, head_bytes, p, n);
}

void vl_cbor_array(vl_cbor_enc *e, size_t n) {
    enc_open(e, head_array, n, n);
}

void vl_cbor_map(vl_cbor_enc *e, size_t n) {
    if (n > UINT64_MAX / 2) { /* 2n items could never all be written */
        enc_fail(e, VL_EENCODE);
        return;
    }
    enc_open(e, head_map, n, 2 * (uint64_t)n);
}

void vl_cbor_tag(vl_cbor_enc *e, uint64_t tag) {
    enc_open(e, cbor_encode_tag, tag, 1);
}

/* ---- floats ---- */

/* True if v is a float32 value (infinities included, NaN not). */
static bool float_exact(double v) {
    if (isinf(v)) return true;
    if (!(fabs(v) <= FLT_MAX)) return false;
    return (double)(float)v == v;
}

/* The float16 bits of a float32 that float16 holds exactly. Float16 has a
 * 5-bit exponent (bias 15) and 10 fraction bits; below 2^-14 it is
 * subnormal, with value m * 2^-24 for m in 1..1023. */
static bool half_exact(float f, uint16_t *out) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    int exp = (int)((b >> 23) & 0xffu) - 127;
    uint32_t frac = b & 0x7fffffu;
    if (exp == 128) { /* infinity (NaN never gets here) */
        *out = sign | 0x7c00u;
        return true;
    }
    if (exp == -127) { /* zero, or a float32 subnormal: far below float16 */
        *out = sign;
        return frac == 0;
    }
    if (exp > 15 || exp < -24) return false;
    if (exp >= -14) {
        *out = (uint16_t)(sign | (exp + 15) << 10 | frac >> 13);
        return (frac & 0x1fffu) == 0;
    }
    uint32_t full = 0x800000u | frac; /* the value is full * 2^(exp - 23) */
    unsigned shift = (unsigned)(-1 - exp); /* so m = full >> shift */
    *out = (uint16_t)(sign | full >> shift);
    return (full & ((1u << shift) - 1)) == 0;
}

/* Writes f9 and the half's bits, big-endian. */
static size_t put_half(uint16_t h, unsigned char *p) {
    p[0] = 0xf9;
    p[1] = (unsigned char)(h >> 8);
    p[2] = (unsigned char)h;
    return 3;
}

/* The shortest of float16, float32, float64 that holds v exactly; every
 * NaN as the canonical quiet NaN f9 7e 00. */
static size_t put_double(double v, unsigned char *p) {
    uint16_t h;
    if (isnan(v)) return put_half(0x7e00u, p);
    if (!float_exact(v)) return cbor_encode_double(v, p, VL_CBOR_HEAD_MAX);
    if (half_exact((float)v, &h)) return put_half(h, p);
    return cbor_encode_single((float)v, p, VL_CBOR_HEAD_MAX);
}

void vl_cbor_double(vl_cbor_enc *e, double v) {
    unsigned char *p = enc_room(e, VL_CBOR_HEAD_MAX);
    if (p && enc_wrote(e, put_double(v, p))) vl__nest_item(&e->nest);
}

/* ---- status ---- */

vl_status vl_cbor_enc_status(const vl_cbor_enc *e) { return e->status; }

vl_status vl_cbor_enc_finish(vl_cbor_enc *e) {
    if (e->nest.depth > 0) enc_fail(e, VL_EENCODE);
    return e->status;
}
