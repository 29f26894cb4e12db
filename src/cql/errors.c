/*
 * errors.c -- what codec failures and server error codes mean to vellir:
 * cql_err sentences and statuses, and the table of CQL error codes (spec
 * section 9) with the vl_status and the retry rule of each.
 *
 * Owns: vl__cql_err_str, vl__cql_err_status, vl__cql_error_info.
 * Threads: pure functions over constant tables; any thread.
 *
 * Retry rules (docs/cql.md has the reasons): the server did not or may not
 * have applied the request and a later try can work (Unavailable,
 * Overloaded, Is_bootstrapping, timeouts, CDC space) -> retry, but only an
 * idempotent request; a vellir commit (a full-value write with a client
 * timestamp) is one. Unprepared -> prepare again on that connection, then
 * retry. Everything else (syntax, invalid, unauthorized, credentials,
 * schema, server bugs, replica failures) is reported as it is.
 */
#include "cql/proto.h"

static const char *const err_text[CQL_ERR_COUNT] = {
    [CQL_OK] = "ok",
    [CQL_ETRUNC] = "CQL message truncated",
    [CQL_EBADLEN] = "CQL message has an invalid length field",
    [CQL_EBADCOUNT] = "CQL message declares more items than its bytes (or the limits) allow",
    [CQL_EBADKIND] = "CQL message has an unknown kind, type or out-of-range value",
    [CQL_ETOODEEP] = "CQL type description nested too deeply",
    [CQL_EVERSION] = "CQL frame of an unexpected protocol version or direction",
    [CQL_EFRAMESIZE] = "CQL frame larger than the frame-size limit",
    [CQL_ECOMPRESSED] = "CQL frame is compressed but no compression was negotiated",
    [CQL_EOPCODE] = "CQL frame has an opcode that is not a known response",
    [CQL_ENULL] = "CQL value is null or unset",
    [CQL_ETYPE] = "CQL value has the wrong width for its type",
};

const char *vl__cql_err_str(cql_err e) {
    if ((unsigned)e >= CQL_ERR_COUNT) return "unknown CQL codec error";
    return err_text[e];
}

vl_status vl__cql_err_status(cql_err e) {
    switch (e) {
    case CQL_OK: return VL_OK;
    case CQL_EFRAMESIZE: return VL_ETOOBIG;
    case CQL_ENULL:
    case CQL_ETYPE: return VL_ECORRUPT;
    default: return VL_EUPSTREAM;
    }
}

/* ---- server error codes ----------------------------------------------- */

#define IDEM CQL_RETRY_IF_IDEMPOTENT
#define NEVER CQL_RETRY_NEVER

static const cql_error_desc error_table[] = {
    {CQL_ERR_SERVER, "Server_error", VL_EUPSTREAM, NEVER},
    {CQL_ERR_PROTOCOL, "Protocol_error", VL_EUPSTREAM, NEVER},
    {CQL_ERR_BAD_CREDENTIALS, "Bad_credentials", VL_EAUTH, NEVER},
    {CQL_ERR_UNAVAILABLE, "Unavailable", VL_EUNAVAILABLE, IDEM},
    {CQL_ERR_OVERLOADED, "Overloaded", VL_EOVERLOADED, IDEM},
    {CQL_ERR_IS_BOOTSTRAPPING, "Is_bootstrapping", VL_EUNAVAILABLE, IDEM},
    {CQL_ERR_TRUNCATE, "Truncate_error", VL_EUPSTREAM, NEVER},
    {CQL_ERR_WRITE_TIMEOUT, "Write_timeout", VL_ETIMEOUT, IDEM},
    {CQL_ERR_READ_TIMEOUT, "Read_timeout", VL_ETIMEOUT, IDEM},
    {CQL_ERR_READ_FAILURE, "Read_failure", VL_EUPSTREAM, NEVER},
    {CQL_ERR_FUNCTION_FAILURE, "Function_failure", VL_EQUERY, NEVER},
    {CQL_ERR_WRITE_FAILURE, "Write_failure", VL_EUPSTREAM, NEVER},
    {CQL_ERR_CDC_WRITE_FAILURE, "CDC_write_failure", VL_ENOSPACE, IDEM},
    {CQL_ERR_CAS_WRITE_UNKNOWN, "CAS_write_unknown", VL_EUPSTREAM, NEVER},
    {CQL_ERR_SYNTAX, "Syntax_error", VL_EQUERY, NEVER},
    {CQL_ERR_UNAUTHORIZED, "Unauthorized", VL_EAUTH, NEVER},
    {CQL_ERR_INVALID, "Invalid", VL_EQUERY, NEVER},
    {CQL_ERR_CONFIG, "Config_error", VL_ESCHEMA, NEVER},
    {CQL_ERR_ALREADY_EXISTS, "Already_exists", VL_ESCHEMA, NEVER},
    {CQL_ERR_UNPREPARED, "Unprepared", VL_EUPSTREAM, CQL_RETRY_REPREPARE},
};

static const cql_error_desc unknown_error = {-1, "Unknown", VL_EUPSTREAM, NEVER};

const cql_error_desc *vl__cql_error_info(int32_t code) {
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
        if (error_table[i].code == code) return &error_table[i];
    return &unknown_error;
}
