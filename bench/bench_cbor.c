/*
 * bench_cbor.c -- the measurements behind docs/cbor.md: what libcbor 0.8
 * gets wrong (so vellir does it by hand), and what the CBOR helpers cost.
 *
 * Owns: nothing shared. Threads: single-threaded.
 * Usage: make bench && build/default/bench/bench_cbor
 */
#include <cbor.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vellir_cbor.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The value of float16 bits, by the definition (IEEE 754 binary16). */
static double half_value(unsigned h) {
    int exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    double v = exp == 0 ? ldexp(frac, -24)
             : exp == 31 ? (frac ? NAN : INFINITY)
             : ldexp(frac + 1024, exp - 25);
    return h & 0x8000 ? -v : v;
}

/* cbor_encode_half on every non-NaN float16 value: how many come out as
 * other bits, and how many of those are subnormal. */
static void libcbor_half(void) {
    int wrong = 0, wrong_sub = 0, total = 0;
    for (unsigned h = 0; h < 65536; h++) {
        double v = half_value(h);
        if (isnan(v)) continue;
        total++;
        unsigned char out[4];
        size_t n = cbor_encode_half((float)v, out, sizeof out);
        if (n == 3 && (unsigned)(out[1] << 8 | out[2]) == h) continue;
        wrong++;
        wrong_sub += ((h >> 10) & 0x1f) == 0;
    }
    printf("libcbor cbor_encode_half: %d of %d float16 values encoded wrong "
           "(%d of them subnormal)\n", wrong, total, wrong_sub);
}

/* cbor_stream_decode on every one-byte tag head c0..d7. */
static void libcbor_short_tags(void) {
    int refused = 0;
    for (unsigned b = 0xc0; b <= 0xd7; b++) {
        unsigned char in[2] = {(unsigned char)b, 0};
        struct cbor_decoder_result r =
            cbor_stream_decode(in, 2, &cbor_empty_callbacks, NULL);
        refused += r.status != CBOR_DECODER_FINISHED;
    }
    printf("libcbor cbor_stream_decode: %d of 24 one-byte tag heads refused\n",
           refused);
}

/* A record like a value type's: a map of 6 fields, 13 items. */
static void encode_record(vl_cbor_enc *e, int64_t k) {
    vl_cbor_map(e, 6);
    vl_cbor_text(e, "id", 2);      vl_cbor_int(e, k);
    vl_cbor_text(e, "name", 4);    vl_cbor_text(e, "thingvellir", 11);
    vl_cbor_text(e, "score", 5);   vl_cbor_double(e, 0.25 * (double)k);
    vl_cbor_text(e, "ok", 2);      vl_cbor_bool(e, k & 1);
    vl_cbor_text(e, "blob", 4);    vl_cbor_bytes(e, "\x01\x02\x03\x04\x05\x06", 6);
    vl_cbor_text(e, "big", 3);     vl_cbor_uint(e, (uint64_t)k << 40);
}

/* Reads every item of a buffer with the typed reads. */
static size_t decode_all(const uint8_t *p, size_t n) {
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, p, n);
    size_t items = 0, len;
    uint64_t u; int64_t i; double f; bool b;
    const char *s; const uint8_t *bs;
    for (vl_cbor_type t; (t = vl_cbor_peek(&d)) != VL_CBOR_END; items++) {
        if (t == VL_CBOR_MAP) vl_cbor_read_map(&d, &len);
        else if (t == VL_CBOR_TEXT) vl_cbor_read_text(&d, &s, &len);
        else if (t == VL_CBOR_UINT) vl_cbor_read_uint(&d, &u);
        else if (t == VL_CBOR_NEGINT) vl_cbor_read_int(&d, &i);
        else if (t == VL_CBOR_FLOAT) vl_cbor_read_double(&d, &f);
        else if (t == VL_CBOR_BOOL) vl_cbor_read_bool(&d, &b);
        else if (t == VL_CBOR_BYTES) vl_cbor_read_bytes(&d, &bs, &len);
        else break;
    }
    return vl_cbor_dec_finish(&d) == VL_OK ? items : 0;
}

static void throughput(void) {
    enum { RECORDS = 200000, ROUNDS = 10 };
    vl_buf buf = {0};
    double t0 = now_s();
    for (int r = 0; r < ROUNDS; r++) {
        buf.len = 0;
        vl_cbor_enc e;
        vl_cbor_enc_init(&e, &buf);
        for (int64_t k = 0; k < RECORDS; k++) encode_record(&e, k);
        if (vl_cbor_enc_finish(&e) != VL_OK) return;
    }
    double enc = now_s() - t0;
    size_t items = 0;
    t0 = now_s();
    for (int r = 0; r < ROUNDS; r++) items = decode_all(buf.data, buf.len);
    double dec = now_s() - t0;
    double per = (double)items * ROUNDS;
    printf("helpers: %zu items, %zu bytes per round; encode %.1f ns/item "
           "(%.0f MB/s), typed decode %.1f ns/item (%.0f MB/s)\n",
           items, buf.len, enc / per * 1e9, (double)buf.len * ROUNDS / enc / 1e6,
           dec / per * 1e9, (double)buf.len * ROUNDS / dec / 1e6);
    vl_buf_free(&buf);
}

int main(void) {
    libcbor_half();
    libcbor_short_tags();
    throughput();
    return 0;
}
