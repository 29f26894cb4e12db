/*
 * cql_fault_wire.h -- the fault injector's response writers (frames, the
 * notation types, ERROR and Void), shared by cql_fault.c (the endpoint)
 * and cql_fault_sys.c (its system tables). Written from the protocol spec,
 * independently of src/cql.
 *
 * Owns: static helpers over a vl_buf. Threads: the injector's thread.
 */
#ifndef VELLIR_TEST_CQL_FAULT_WIRE_H
#define VELLIR_TEST_CQL_FAULT_WIRE_H

#include <string.h>

#include "check.h"
#include "cql_fault.h"

static inline void w_raw(vl_buf *b, const void *p, size_t n) { CHECK_OK(vl_buf_append(b, p, n)); }
static inline void w_u8(vl_buf *b, uint32_t v) {
    uint8_t x = (uint8_t)v;
    w_raw(b, &x, 1);
}
static inline void w_u16(vl_buf *b, uint32_t v) {
    w_u8(b, v >> 8);
    w_u8(b, v);
}
static inline void w_i32(vl_buf *b, int32_t v) {
    w_u16(b, (uint32_t)v >> 16);
    w_u16(b, (uint32_t)v & 0xffff);
}
static inline void w_str(vl_buf *b, const char *s) {
    w_u16(b, (uint32_t)strlen(s));
    w_raw(b, s, strlen(s));
}
static inline void w_bytes(vl_buf *b, const void *p, int32_t n) {
    w_i32(b, n);
    if (n > 0) w_raw(b, p, (size_t)n);
}

/* Starts a response frame; finish with end_frame. */
static inline size_t begin_frame(vl_buf *b, int16_t stream, uint8_t opcode) {
    size_t start = b->len;
    w_u8(b, 0x84);
    w_u8(b, 0);
    w_u16(b, (uint16_t)stream);
    w_u8(b, opcode);
    w_i32(b, 0);
    return start;
}
static inline void end_frame(vl_buf *b, size_t start) {
    uint32_t n = (uint32_t)(b->len - start - 9);
    uint8_t *p = b->data + start + 5;
    p[0] = (uint8_t)(n >> 24);
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
}

static inline void r_error(vl_buf *b, int16_t stream, int32_t code, const char *msg, const uint8_t *id) {
    size_t s = begin_frame(b, stream, 0x00);
    w_i32(b, code);
    w_str(b, msg);
    switch (code) {
    case 0x1000: w_u16(b, 6); w_i32(b, 1); w_i32(b, 0); break;           /* Unavailable */
    case 0x1100: w_u16(b, 6); w_i32(b, 0); w_i32(b, 1); w_str(b, "SIMPLE"); break;
    case 0x1200: w_u16(b, 6); w_i32(b, 0); w_i32(b, 1); w_u8(b, 0); break;
    case 0x2500: w_u16(b, 16); w_raw(b, id, 16); break;                  /* Unprepared */
    default: break;
    }
    end_frame(b, s);
}

static inline void r_void(vl_buf *b, int16_t stream) {
    size_t s = begin_frame(b, stream, 0x08);
    w_i32(b, 1);
    end_frame(b, s);
}

/* The system tables the endpoint serves (cql_fault_sys.c): appends the
 * answer to a QUERY whose text names one, and returns true; false for
 * any other query. */
bool cf_sys_query(const cf_topology *t, uint16_t own_port, vl_buf *b, int16_t stream,
                  const char *query);

#endif
