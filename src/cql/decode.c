/*
 * decode.c -- response bodies other than RESULT (spec 4.2 and 9): ERROR
 * with the details of each error code, AUTHENTICATE, AUTH_CHALLENGE,
 * AUTH_SUCCESS, SUPPORTED, EVENT; and the dispatch of a whole response
 * frame to its decoder.
 *
 * Owns: vl__cql_decode_error, vl__cql_decode_authenticate, vl__cql_decode_auth_token,
 * vl__cql_decode_supported, vl__cql_decode_event, vl__cql_decode_response,
 * vl__cql_reason_next.
 * Threads: pure; any thread.
 */
#include "cql/wire.h"

/* <cl><received><blockfor>, shared by timeouts, failures, CAS unknown. */
static cql_err rd_cl_counts(cql_rd *r, cql_error *out) {
    cql_err e = vl__cql_rd_u16(r, &out->consistency);
    if (!e) e = vl__cql_rd_i32(r, &out->received);
    return e ? e : vl__cql_rd_i32(r, &out->blockfor);
}

/* v4: <numfailures:int>. v5: <reasonmap>: an [int] n, then n times
 * <endpoint:[inetaddr]><failurecode:[short]>. */
static cql_err rd_failures(cql_rd *r, uint8_t version, cql_error *out) {
    cql_err e = vl__cql_rd_i32(r, &out->numfailures);
    if (e || version < CQL_V5) return e;
    if (out->numfailures < 0) return CQL_EBADCOUNT;
    if ((e = vl__cql_rd_afford(r, (uint32_t)out->numfailures, 7)) != CQL_OK) return e;
    const uint8_t *start = r->p;
    cql_slice addr;
    uint16_t code;
    for (int32_t i = 0; !e && i < out->numfailures; i++) {
        e = vl__cql_rd_inetaddr(r, &addr);
        if (!e) e = vl__cql_rd_u16(r, &code);
    }
    if (!e) out->reasons = vl__cql_iter_span(start, r, (uint32_t)out->numfailures);
    return e;
}

bool vl__cql_reason_next(cql_iter *reasons, cql_slice *addr, uint16_t *code) {
    if (reasons->left == 0) return false;
    cql_rd r = {reasons->p, reasons->end};
    if (vl__cql_rd_inetaddr(&r, addr) || vl__cql_rd_u16(&r, code)) {
        reasons->left = 0;
        return false;
    }
    reasons->p = r.p;
    reasons->left--;
    return true;
}

static cql_err rd_write_timeout(cql_rd *r, uint8_t version, cql_error *out) {
    cql_err e = rd_cl_counts(r, out);
    if (!e) e = vl__cql_rd_string(r, &out->write_type);
    if (!e && version >= CQL_V5 && vl__cql_slice_eq(out->write_type, "CAS"))
        e = vl__cql_rd_u16(r, &out->contentions);
    return e;
}

static cql_err rd_read_failure(cql_rd *r, uint8_t version, cql_error *out) {
    cql_err e = rd_cl_counts(r, out);
    if (!e) e = rd_failures(r, version, out);
    return e ? e : vl__cql_rd_u8(r, &out->data_present);
}

static cql_err rd_write_failure(cql_rd *r, uint8_t version, cql_error *out) {
    cql_err e = rd_cl_counts(r, out);
    if (!e) e = rd_failures(r, version, out);
    return e ? e : vl__cql_rd_string(r, &out->write_type);
}

static cql_err rd_function_failure(cql_rd *r, cql_error *out) {
    cql_err e = vl__cql_rd_string(r, &out->keyspace);
    if (!e) e = vl__cql_rd_string(r, &out->function);
    return e ? e : vl__cql_rd_string_list(r, &out->arg_types);
}

static cql_err rd_unavailable(cql_rd *r, cql_error *out) {
    cql_err e = vl__cql_rd_u16(r, &out->consistency);
    if (!e) e = vl__cql_rd_i32(r, &out->required);
    return e ? e : vl__cql_rd_i32(r, &out->alive);
}

static cql_err rd_error_details(cql_rd *r, uint8_t version, cql_error *out) {
    cql_err e;
    switch (out->code) {
    case CQL_ERR_UNAVAILABLE: return rd_unavailable(r, out);
    case CQL_ERR_WRITE_TIMEOUT: return rd_write_timeout(r, version, out);
    case CQL_ERR_READ_TIMEOUT:
        e = rd_cl_counts(r, out);
        return e ? e : vl__cql_rd_u8(r, &out->data_present);
    case CQL_ERR_READ_FAILURE: return rd_read_failure(r, version, out);
    case CQL_ERR_WRITE_FAILURE: return rd_write_failure(r, version, out);
    case CQL_ERR_FUNCTION_FAILURE: return rd_function_failure(r, out);
    case CQL_ERR_CAS_WRITE_UNKNOWN: return rd_cl_counts(r, out);
    case CQL_ERR_ALREADY_EXISTS:
        e = vl__cql_rd_string(r, &out->keyspace);
        return e ? e : vl__cql_rd_string(r, &out->table);
    case CQL_ERR_UNPREPARED: return vl__cql_rd_short_bytes(r, &out->unprepared_id);
    default: return CQL_OK;
    }
}

cql_err vl__cql_decode_error(uint8_t version, cql_slice body, cql_error *out) {
    memset(out, 0, sizeof *out);
    cql_rd r = vl__cql_rd_of(body);
    cql_err e = vl__cql_rd_i32(&r, &out->code);
    if (!e) e = vl__cql_rd_string(&r, &out->message);
    return e ? e : rd_error_details(&r, version, out);
}

cql_err vl__cql_decode_authenticate(cql_slice body, cql_slice *authenticator) {
    cql_rd r = vl__cql_rd_of(body);
    return vl__cql_rd_string(&r, authenticator);
}

cql_err vl__cql_decode_auth_token(cql_slice body, cql_value *token) {
    cql_rd r = vl__cql_rd_of(body);
    return vl__cql_rd_bytes(&r, token);
}

cql_err vl__cql_decode_supported(cql_slice body, cql_iter *entries) {
    cql_rd r = vl__cql_rd_of(body);
    return vl__cql_rd_string_multimap(&r, entries);
}

/* TOPOLOGY_CHANGE and STATUS_CHANGE: <change:[string]><node:[inet]>.
 * Unknown event types decode to just their type. */
cql_err vl__cql_decode_event(cql_slice body, cql_event *out) {
    memset(out, 0, sizeof *out);
    cql_rd r = vl__cql_rd_of(body);
    cql_err e = vl__cql_rd_string(&r, &out->type);
    if (e) return e;
    if (vl__cql_slice_eq(out->type, "SCHEMA_CHANGE")) return vl__cql_rd_schema_change(&r, &out->schema);
    if (!vl__cql_slice_eq(out->type, "TOPOLOGY_CHANGE") && !vl__cql_slice_eq(out->type, "STATUS_CHANGE"))
        return CQL_OK;
    e = vl__cql_rd_string(&r, &out->change);
    return e ? e : vl__cql_rd_inet(&r, &out->addr, &out->port);
}

cql_err vl__cql_decode_response(const cql_frame *f, cql_response *out) {
    cql_err e = vl__cql_open_body(f, out);
    if (e) return e;
    switch (f->opcode) {
    case CQL_OP_ERROR: return vl__cql_decode_error(f->version, out->body, &out->error);
    case CQL_OP_READY: return CQL_OK;
    case CQL_OP_AUTHENTICATE: return vl__cql_decode_authenticate(out->body, &out->authenticator);
    case CQL_OP_SUPPORTED: return vl__cql_decode_supported(out->body, &out->supported);
    case CQL_OP_RESULT: return vl__cql_decode_result(f->version, out->body, &out->result);
    case CQL_OP_EVENT: return vl__cql_decode_event(out->body, &out->event);
    case CQL_OP_AUTH_CHALLENGE:
    case CQL_OP_AUTH_SUCCESS: return vl__cql_decode_auth_token(out->body, &out->token);
    default: return CQL_EOPCODE;
    }
}
