/*
 * frame.c -- the frame header (spec section 2): writing request headers,
 * parsing response headers, cutting whole frames off a receive buffer under
 * a size limit, and stripping a response body's flag-driven prefix.
 *
 * Owns: vl__cql_conf_init, vl__cql_header_size, vl__cql_header_parse,
 * vl__cql_frame_extract, vl__cql_open_body, vl__cql_frame_begin, vl__cql_frame_finish.
 * Threads: pure; any thread.
 *
 * The header size is looked up by version, so v5 framing (CRC-checked
 * frames, each carrying whole envelopes with this same 9-byte header) can
 * be layered under vl__cql_frame_extract without changing its callers.
 */
#include "cql/wire.h"

#define HEADER_V3 9u /* version, flags, stream:2, opcode, length:4 */

vl_status vl__cql_conf_init(cql_conf *c, uint8_t version) {
    if (version != CQL_V4 && version != CQL_V5) return VL_EINVAL;
    c->version = version;
    c->max_send = VL_CQL_FRAME_MAX_DEFAULT;
    c->max_recv = VL_CQL_RESPONSE_MAX_DEFAULT;
    return VL_OK;
}

size_t vl__cql_header_size(uint8_t version) {
    return version >= 3 && version <= 5 ? HEADER_V3 : 0;
}

cql_err vl__cql_header_parse(const uint8_t *buf, size_t len, cql_frame *out) {
    if (len < 1) return CQL_ETRUNC;
    uint8_t version = buf[0] & (uint8_t)~CQL_DIR_RESPONSE;
    size_t hs = vl__cql_header_size(version);
    if (hs == 0) return CQL_EVERSION;
    if (len < hs) return CQL_ETRUNC;
    int32_t length = (int32_t)vl__cql_be32(buf + 5);
    if (length < 0) return CQL_EBADLEN;
    memset(out, 0, sizeof *out);
    out->version = version;
    out->response = (buf[0] & CQL_DIR_RESPONSE) != 0;
    out->flags = buf[1];
    out->stream = (int16_t)vl__cql_be16(buf + 2);
    out->opcode = buf[4];
    out->length = (uint32_t)length;
    return CQL_OK;
}

static cql_err check_header(const cql_conf *c, const cql_frame *f) {
    if (!f->response) return CQL_EVERSION;
    if (c->version != 0 && f->version != c->version) return CQL_EVERSION;
    uint64_t total = (uint64_t)vl__cql_header_size(f->version) + f->length;
    uint32_t max = c->max_recv ? c->max_recv : VL_CQL_RESPONSE_MAX_DEFAULT;
    if (total > max || total > VL_CQL_FRAME_MAX) return CQL_EFRAMESIZE;
    return CQL_OK;
}

cql_err vl__cql_frame_extract(const cql_conf *c, const uint8_t *buf, size_t len,
                          cql_frame *out, size_t *used) {
    *used = 0;
    if (len == 0) return CQL_OK;
    cql_err e = vl__cql_header_parse(buf, len, out);
    if (e == CQL_ETRUNC) return CQL_OK; /* wait for the rest of the header */
    if (e) return e;
    if ((e = check_header(c, out)) != CQL_OK) return e;
    size_t hs = vl__cql_header_size(out->version);
    if (len - hs < out->length) return CQL_OK;
    out->body = vl__cql_slice_of(buf + hs, out->length);
    *used = hs + out->length;
    return CQL_OK;
}

cql_err vl__cql_open_body(const cql_frame *f, cql_response *out) {
    memset(out, 0, sizeof *out);
    out->opcode = f->opcode;
    if (f->flags & CQL_FLAG_COMPRESSION) return CQL_ECOMPRESSED;
    cql_rd r = vl__cql_rd_of(f->body);
    cql_err e = CQL_OK;
    if (f->flags & CQL_FLAG_TRACING) e = vl__cql_rd_raw(&r, 16, &out->tracing_id);
    if (!e && (f->flags & CQL_FLAG_WARNING)) e = vl__cql_rd_string_list(&r, &out->warnings);
    if (!e && (f->flags & CQL_FLAG_CUSTOM_PAYLOAD)) e = vl__cql_rd_bytes_map(&r, &out->payload);
    if (e) return e;
    out->body = vl__cql_rd_rest(&r);
    return CQL_OK;
}

/* ---- request headers -------------------------------------------------- */

size_t vl__cql_frame_begin(cql_wr *w, const cql_conf *c, int16_t stream, uint8_t opcode) {
    size_t start = w->b->len;
    if (stream < 0 || vl__cql_header_size(c->version) != HEADER_V3) {
        vl__cql_wr_fail(w, VL_EINVAL);
        return start;
    }
    uint8_t h[HEADER_V3] = {c->version, 0, (uint8_t)((uint16_t)stream >> 8),
                            (uint8_t)stream, opcode, 0, 0, 0, 0};
    vl__cql_wr_raw(w, h, sizeof h);
    return start;
}

vl_status vl__cql_frame_finish(cql_wr *w, const cql_conf *c, size_t start) {
    size_t total = w->b->len - start;
    uint32_t max = c->max_send ? c->max_send : VL_CQL_FRAME_MAX_DEFAULT;
    if (w->st == VL_OK && (total > max || total > VL_CQL_FRAME_MAX))
        vl__cql_wr_fail(w, VL_ETOOBIG);
    if (w->st != VL_OK) {
        w->b->len = start;
        return w->st;
    }
    vl__cql_put_be32(w->b->data + start + 5, (uint32_t)(total - HEADER_V3));
    return VL_OK;
}
