/*
 * proto.h -- the pure codec of vellir's CQL native-protocol client: bytes in,
 * messages out; messages in, bytes out. No sockets, no threads, no loop.
 *
 * Owns: the frame header and frame extraction from a byte stream, request
 * encoders, response decoders, typed values, and the CQL error-code table.
 * Threads: pure functions over caller-owned memory; any thread.
 *
 * Protocol v4 is what this speaks (Cassandra 3.x-5.0, ScyllaDB). The
 * protocol version travels in cql_conf (encoders) and in each cql_frame
 * (decoders); the few v5 body differences are implemented, v5 *framing*
 * (CRC-checked frames around these envelopes) is not yet: see docs/cql.md.
 *
 * Decoding is zero-copy and allocation-free: every cql_slice, cql_value and
 * cql_iter a decoder returns points into the caller's input buffer and is
 * valid while that buffer is. Every decoder is bounds-checked: on truncated
 * or malformed input it returns a cql_err (never reads past the end, never
 * trusts a count it cannot afford), and vl__cql_err_status() maps that to a
 * vl_status for the rest of vellir. Iterators walk regions the decoder
 * already validated, so they only stop early on input no decoder accepted.
 *
 * Encoders append exactly one whole frame to a vl_buf, or nothing: on any
 * failure the buffer's length is what it was before the call.
 */
#ifndef VELLIR_CQL_PROTO_H
#define VELLIR_CQL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vellir.h"

/* ==== Versions, opcodes, flags, consistency ============================ */

#define CQL_V4 4u
#define CQL_V5 5u
#define CQL_DIR_RESPONSE 0x80u /* high bit of the version byte */

typedef enum cql_opcode {
    CQL_OP_ERROR = 0x00,
    CQL_OP_STARTUP = 0x01,
    CQL_OP_READY = 0x02,
    CQL_OP_AUTHENTICATE = 0x03,
    CQL_OP_OPTIONS = 0x05,
    CQL_OP_SUPPORTED = 0x06,
    CQL_OP_QUERY = 0x07,
    CQL_OP_RESULT = 0x08,
    CQL_OP_PREPARE = 0x09,
    CQL_OP_EXECUTE = 0x0A,
    CQL_OP_REGISTER = 0x0B,
    CQL_OP_EVENT = 0x0C,
    CQL_OP_BATCH = 0x0D,
    CQL_OP_AUTH_CHALLENGE = 0x0E,
    CQL_OP_AUTH_RESPONSE = 0x0F,
    CQL_OP_AUTH_SUCCESS = 0x10
} cql_opcode;

/* Frame header flags. */
#define CQL_FLAG_COMPRESSION 0x01u
#define CQL_FLAG_TRACING 0x02u
#define CQL_FLAG_CUSTOM_PAYLOAD 0x04u
#define CQL_FLAG_WARNING 0x08u
#define CQL_FLAG_USE_BETA 0x10u

typedef enum cql_consistency {
    CQL_ANY = 0x0000,
    CQL_ONE = 0x0001,
    CQL_TWO = 0x0002,
    CQL_THREE = 0x0003,
    CQL_QUORUM = 0x0004,
    CQL_ALL = 0x0005,
    CQL_LOCAL_QUORUM = 0x0006,
    CQL_EACH_QUORUM = 0x0007,
    CQL_SERIAL = 0x0008,
    CQL_LOCAL_SERIAL = 0x0009,
    CQL_LOCAL_ONE = 0x000A
} cql_consistency;

/* ==== Decode errors ===================================================== */

typedef enum cql_err {
    CQL_OK = 0,
    CQL_ETRUNC,      /* the input ends inside an item */
    CQL_EBADLEN,     /* a length field is invalid (negative, or < -2 for a [value]) */
    CQL_EBADCOUNT,   /* a count exceeds what the bytes left could hold, or a limit */
    CQL_EBADKIND,    /* unknown result kind or type id; a value out of its range */
    CQL_ETOODEEP,    /* a type description nested past VL_CQL_TYPE_DEPTH_MAX */
    CQL_EVERSION,    /* unsupported version byte, or a request where a response belongs */
    CQL_EFRAMESIZE,  /* a frame larger than the configured limit */
    CQL_ECOMPRESSED, /* a compressed body: compression is never negotiated */
    CQL_EOPCODE,     /* an opcode that is not a response vellir understands */
    CQL_ENULL,       /* a typed read of a null or unset value */
    CQL_ETYPE,       /* a typed read of a value of the wrong width */
    CQL_ERR_COUNT
} cql_err;

/* A sentence for `e`. Never NULL. */
const char *vl__cql_err_str(cql_err e);
/* The status the rest of vellir sees: VL_ETOOBIG for CQL_EFRAMESIZE,
 * VL_ECORRUPT for CQL_ENULL/CQL_ETYPE (a stored cell of the wrong shape),
 * VL_EUPSTREAM for a malformed stream (the connection must be closed). */
vl_status vl__cql_err_status(cql_err e);

/* ==== Views ============================================================= */

/* Bytes inside someone else's buffer. */
typedef struct cql_slice {
    const uint8_t *p;
    size_t len;
} cql_slice;

static inline cql_slice vl__cql_slice_of(const void *p, size_t len) {
    cql_slice s = {(const uint8_t *)p, len};
    return s;
}
static inline cql_slice vl__cql_str(const char *s) {
    return vl__cql_slice_of(s, s ? strlen(s) : 0);
}
static inline bool vl__cql_slice_eq(cql_slice a, const char *s) {
    size_t n = strlen(s);
    return a.len == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

/* A [bytes] or [value]: len >= 0 bytes, or null, or unset (v4+, requests
 * only). A decoded value points into the input (`p`); a value built by the
 * helpers below for a fixed-width scalar keeps its bytes in `small` and has
 * p == NULL, so it may be copied freely. Use vl__cql_value_data() to read. */
#define CQL_LEN_NULL (-1)
#define CQL_LEN_UNSET (-2)
#define CQL_LEN_TOOBIG (-3) /* vl__cql_blob/vl__cql_text of more than INT32_MAX bytes */

typedef struct cql_value {
    const uint8_t *p;
    int32_t len;
    uint8_t small[8];
} cql_value;

static inline const uint8_t *vl__cql_value_data(const cql_value *v) {
    return v->p ? v->p : v->small;
}
static inline bool vl__cql_value_is_null(const cql_value *v) { return v->len == CQL_LEN_NULL; }

/* A validated region holding `left` more items. Each kind of item has its
 * own *_next function, which returns false at the end. */
typedef struct cql_iter {
    const uint8_t *p;
    const uint8_t *end;
    uint32_t left;
    uint32_t aux; /* per kind: cells per row for row iterators */
} cql_iter;

/* [string list] items. */
bool vl__cql_string_next(cql_iter *it, cql_slice *s);
/* [string multimap] entries (SUPPORTED): a key and its [string list]. */
bool vl__cql_multimap_next(cql_iter *it, cql_slice *key, cql_iter *values);
/* [bytes map] entries (custom payloads). */
bool vl__cql_bytesmap_next(cql_iter *it, cql_slice *key, cql_value *value);
/* True if the multimap `entries` maps `key` to a list containing `value`,
 * e.g. vl__cql_multimap_has(sup, "PROTOCOL_VERSIONS", "4/v4"). */
bool vl__cql_multimap_has(cql_iter entries, const char *key, const char *value);

/* ==== Typed values ====================================================== */

/* Values to bind (QUERY, EXECUTE, BATCH). Text and blobs are borrowed: the
 * bytes must stay valid until the request is encoded. */
cql_value vl__cql_null(void);
cql_value vl__cql_unset(void);
cql_value vl__cql_blob(const void *p, size_t len);
cql_value vl__cql_text(const char *s);                /* text, varchar */
cql_value vl__cql_text_n(const char *s, size_t len);
cql_value vl__cql_int(int32_t v);
cql_value vl__cql_bigint(int64_t v);
cql_value vl__cql_timestamp(int64_t ms_since_epoch);
cql_value vl__cql_boolean(bool v);

/* Reading cells. Each fails with CQL_ENULL on null/unset and CQL_ETYPE on
 * a value of the wrong width (a boolean is one byte, an int four, a bigint
 * or timestamp eight). Blob and text give views into the cell. */
cql_err vl__cql_get_blob(const cql_value *v, cql_slice *out);
cql_err vl__cql_get_text(const cql_value *v, cql_slice *out);
cql_err vl__cql_get_int(const cql_value *v, int32_t *out);
cql_err vl__cql_get_bigint(const cql_value *v, int64_t *out);
cql_err vl__cql_get_timestamp(const cql_value *v, int64_t *ms_since_epoch);
cql_err vl__cql_get_boolean(const cql_value *v, bool *out);

/* ==== Frames ============================================================ */

/* What a connection speaks and how large a frame may be. */
typedef struct cql_conf {
    uint8_t version;   /* CQL_V4 (or CQL_V5); 0 in vl__cql_frame_extract: any of 3..5 */
    uint32_t max_send; /* largest request frame, header included */
    uint32_t max_recv; /* largest response frame, header included */
} cql_conf;

/* Version 4 or 5 and the default limits (VL_CQL_FRAME_MAX_DEFAULT,
 * VL_CQL_RESPONSE_MAX_DEFAULT). VL_EINVAL for another version. */
vl_status vl__cql_conf_init(cql_conf *c, uint8_t version);

/* The header's size for a protocol version: 9 for v3..v5 (a v5 envelope
 * header is the v4 frame header), 0 for a version this codec cannot frame. */
size_t vl__cql_header_size(uint8_t version);

typedef struct cql_frame {
    uint8_t version;  /* without the direction bit */
    bool response;
    uint8_t flags;    /* CQL_FLAG_* */
    int16_t stream;   /* -1 for events */
    uint8_t opcode;   /* cql_opcode */
    uint32_t length;  /* body length */
    cql_slice body;   /* set by vl__cql_frame_extract; the raw body, prefix included */
} cql_frame;

/* Parses the header at buf[0..len). CQL_ETRUNC if len is too short,
 * CQL_EVERSION for a version outside 3..5, CQL_EBADLEN for a negative body
 * length. Either direction. */
cql_err vl__cql_header_parse(const uint8_t *buf, size_t len, cql_frame *out);

/* Takes one response frame off the front of a receive buffer. On CQL_OK with
 * *used > 0, `out` is the frame (its body points into buf) and the caller
 * drops *used bytes. On CQL_OK with *used == 0, more bytes are needed; if the
 * header is complete out->length says how large the body is. Errors: those
 * of vl__cql_header_parse; CQL_EVERSION for a request frame or (unless
 * c->version is 0) another version; CQL_EFRAMESIZE past c->max_recv. Every
 * error means the stream is unusable: close the connection. */
cql_err vl__cql_frame_extract(const cql_conf *c, const uint8_t *buf, size_t len,
                          cql_frame *out, size_t *used);

/* ==== Requests ========================================================== */

/* The query parameters of QUERY and EXECUTE. Zero-initialise, then set what
 * you need; each optional part is sent only when set. */
typedef struct cql_params {
    uint16_t consistency;         /* cql_consistency */
    const cql_value *values;      /* flag 0x01 when n_values > 0 */
    uint16_t n_values;
    bool skip_metadata;           /* flag 0x02 */
    int32_t page_size;            /* flag 0x04 when > 0 */
    cql_slice paging_state;       /* flag 0x08 when .p != NULL */
    bool has_serial;              /* flag 0x10 */
    uint16_t serial_consistency;  /* CQL_SERIAL or CQL_LOCAL_SERIAL */
    bool has_timestamp;           /* flag 0x20 */
    int64_t timestamp;            /* microseconds since the epoch, >= 0 */
    cql_slice result_metadata_id; /* v5 EXECUTE only */
} cql_params;

typedef enum cql_batch_type {
    CQL_BATCH_LOGGED = 0,
    CQL_BATCH_UNLOGGED = 1,
    CQL_BATCH_COUNTER = 2
} cql_batch_type;

/* One statement of a BATCH: a query string, or a prepared id. */
typedef struct cql_batch_stmt {
    bool prepared;
    cql_slice query;  /* when !prepared */
    cql_slice id;     /* when prepared */
    const cql_value *values;
    uint16_t n_values;
} cql_batch_stmt;

typedef struct cql_batch {
    uint8_t type;     /* cql_batch_type */
    const cql_batch_stmt *stmts;
    uint16_t n_stmts;
    uint16_t consistency;
    bool has_serial;
    uint16_t serial_consistency;
    bool has_timestamp;
    int64_t timestamp; /* microseconds since the epoch, >= 0 */
} cql_batch;

/* Each appends one request frame on `stream` (0..32767) to `out`. VL_OK;
 * VL_EINVAL for a bad argument (stream out of range, an id over 65535
 * bytes, a NUL inside a user name, a negative timestamp, ...); VL_ETOOBIG
 * when the frame would exceed c->max_send or a value its length field;
 * VL_ENOMEM. On failure `out` is unchanged. */
vl_status vl__cql_encode_options(const cql_conf *c, int16_t stream, vl_buf *out);
/* STARTUP with CQL_VERSION "3.0.0" and no compression. */
vl_status vl__cql_encode_startup(const cql_conf *c, int16_t stream, vl_buf *out);
/* AUTH_RESPONSE with an opaque SASL token. */
vl_status vl__cql_encode_auth_response(const cql_conf *c, int16_t stream,
                                   cql_slice token, vl_buf *out);
/* AUTH_RESPONSE with the SASL PLAIN token "\0user\0password" that
 * PasswordAuthenticator expects. */
vl_status vl__cql_encode_auth_plain(const cql_conf *c, int16_t stream, cql_slice user,
                                cql_slice password, vl_buf *out);
vl_status vl__cql_encode_query(const cql_conf *c, int16_t stream, cql_slice query,
                           const cql_params *p, vl_buf *out);
vl_status vl__cql_encode_prepare(const cql_conf *c, int16_t stream, cql_slice query,
                             vl_buf *out);
vl_status vl__cql_encode_execute(const cql_conf *c, int16_t stream, cql_slice id,
                             const cql_params *p, vl_buf *out);
vl_status vl__cql_encode_batch(const cql_conf *c, int16_t stream, const cql_batch *b,
                           vl_buf *out);
/* REGISTER for event types, e.g. "SCHEMA_CHANGE". */
vl_status vl__cql_encode_register(const cql_conf *c, int16_t stream,
                              const char *const *events, uint16_t n, vl_buf *out);

/* ==== Type descriptions ================================================= */

typedef enum cql_type_id {
    CQL_T_CUSTOM = 0x0000, CQL_T_ASCII = 0x0001, CQL_T_BIGINT = 0x0002,
    CQL_T_BLOB = 0x0003, CQL_T_BOOLEAN = 0x0004, CQL_T_COUNTER = 0x0005,
    CQL_T_DECIMAL = 0x0006, CQL_T_DOUBLE = 0x0007, CQL_T_FLOAT = 0x0008,
    CQL_T_INT = 0x0009, CQL_T_TIMESTAMP = 0x000B, CQL_T_UUID = 0x000C,
    CQL_T_VARCHAR = 0x000D, CQL_T_VARINT = 0x000E, CQL_T_TIMEUUID = 0x000F,
    CQL_T_INET = 0x0010, CQL_T_DATE = 0x0011, CQL_T_TIME = 0x0012,
    CQL_T_SMALLINT = 0x0013, CQL_T_TINYINT = 0x0014, CQL_T_DURATION = 0x0015,
    CQL_T_LIST = 0x0020, CQL_T_MAP = 0x0021, CQL_T_SET = 0x0022,
    CQL_T_UDT = 0x0030, CQL_T_TUPLE = 0x0031
} cql_type_id;

/* A column's type: its id and the whole [option] it was read from, so that
 * nested types can be walked on demand. */
typedef struct cql_type {
    uint16_t id;   /* cql_type_id */
    cql_slice raw; /* the [option], id included */
} cql_type;

/* Custom: the Java class name. UDT: keyspace and type name. Empty otherwise. */
cql_slice vl__cql_type_custom_class(const cql_type *t);
void vl__cql_type_udt_name(const cql_type *t, cql_slice *keyspace, cql_slice *name);
/* Child types: one for list and set, two for map (key, value), one per
 * field for UDT and tuple, none otherwise. Sets `it` and returns how many. */
uint32_t vl__cql_type_children(const cql_type *t, cql_iter *it);
/* The next child type; for a UDT field also its name (`name` may be NULL;
 * empty for other types). */
bool vl__cql_type_next(cql_iter *it, cql_type *child, cql_slice *name);

/* ==== Responses ========================================================= */

/* Result metadata flags. */
#define CQL_META_GLOBAL_TABLES_SPEC 0x0001
#define CQL_META_HAS_MORE_PAGES 0x0002
#define CQL_META_NO_METADATA 0x0004
#define CQL_META_METADATA_CHANGED 0x0008 /* v5 */

typedef struct cql_colspec {
    cql_slice keyspace, table, name;
    cql_type type;
} cql_colspec;

/* The metadata of a Rows result, or the bind or result metadata of a
 * Prepared result. */
typedef struct cql_meta {
    int32_t flags;              /* CQL_META_* */
    uint32_t columns;           /* columns_count */
    cql_value paging_state;     /* with HAS_MORE_PAGES; else len CQL_LEN_NULL */
    cql_slice new_metadata_id;  /* v5, with METADATA_CHANGED */
    uint32_t pk_count;          /* bind metadata only: partition-key indexes */
    cql_slice pk_indexes;       /* pk_count big-endian [short]s */
    cql_slice keyspace, table;  /* with GLOBAL_TABLES_SPEC */
    cql_iter specs;             /* `columns` specs; empty with NO_METADATA */
} cql_meta;

/* The bind-marker index of partition-key component i (i < pk_count). */
uint16_t vl__cql_meta_pk_index(const cql_meta *m, uint32_t i);
/* Column specs in order; the table spec comes from `m` when it is global. */
bool vl__cql_colspec_next(const cql_meta *m, cql_iter *specs, cql_colspec *out);

typedef struct cql_rows {
    cql_meta meta;
    uint32_t count;   /* rows */
    cql_iter cells;   /* count * meta.columns [bytes]; aux = meta.columns */
} cql_rows;

/* Rows are read either cell by cell from rows.cells, or row by row:
 *   cql_iter it = r->cells, row; cql_value v;
 *   while (vl__cql_row_next(&it, &row)) while (vl__cql_cell_next(&row, &v)) ...
 * Cells point into the frame (zero-copy); null cells have len CQL_LEN_NULL. */
bool vl__cql_row_next(cql_iter *rows, cql_iter *row);
bool vl__cql_cell_next(cql_iter *cells, cql_value *v);

typedef struct cql_prepared {
    cql_slice id;
    cql_slice result_metadata_id; /* v5 */
    cql_meta bind;                /* bind markers, with pk indexes */
    cql_meta result;              /* may be empty (NO_METADATA, 0 columns) */
} cql_prepared;

typedef struct cql_schema_change {
    cql_slice change;   /* CREATED, UPDATED, DROPPED */
    cql_slice target;   /* KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE */
    cql_slice keyspace;
    cql_slice name;     /* empty for KEYSPACE (and for an unknown target) */
    cql_iter arg_types; /* FUNCTION, AGGREGATE: [string list]; else empty */
} cql_schema_change;

typedef enum cql_result_kind {
    CQL_RESULT_VOID = 0x0001,
    CQL_RESULT_ROWS = 0x0002,
    CQL_RESULT_SET_KEYSPACE = 0x0003,
    CQL_RESULT_PREPARED = 0x0004,
    CQL_RESULT_SCHEMA_CHANGE = 0x0005
} cql_result_kind;

typedef struct cql_result {
    int32_t kind; /* cql_result_kind */
    union {
        cql_rows rows;
        cql_slice keyspace;
        cql_prepared prepared;
        cql_schema_change schema;
    };
} cql_result;

/* ERROR. Fields past `message` are set for the codes that carry them
 * (see docs/cql.md and vl__cql_error_info) and zero otherwise. */
typedef struct cql_error {
    int32_t code;
    cql_slice message;
    uint16_t consistency;  /* Unavailable, timeouts, failures, CAS unknown */
    int32_t required, alive;        /* Unavailable */
    int32_t received, blockfor;     /* timeouts, failures, CAS unknown */
    int32_t numfailures;            /* failures (v5: entries of `reasons`) */
    cql_iter reasons;               /* v5 failures: <inetaddr><short code> */
    uint8_t data_present;           /* Read_timeout, Read_failure */
    cql_slice write_type;           /* Write_timeout, Write_failure */
    uint16_t contentions;           /* v5 Write_timeout of type CAS */
    cql_slice keyspace, table;      /* Already_exists, Function_failure (keyspace) */
    cql_slice function;             /* Function_failure */
    cql_iter arg_types;             /* Function_failure: [string list] */
    cql_slice unprepared_id;        /* Unprepared */
} cql_error;

/* v5 failure reasons: the replica's address (4 or 16 bytes) and its
 * failure code. */
bool vl__cql_reason_next(cql_iter *reasons, cql_slice *addr, uint16_t *code);

typedef struct cql_event {
    cql_slice type;     /* TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE, other */
    cql_slice change;   /* topology and status: NEW_NODE, REMOVED_NODE, UP, DOWN, ... */
    cql_slice addr;     /* topology and status: 4 or 16 address bytes */
    int32_t port;
    cql_schema_change schema; /* SCHEMA_CHANGE */
} cql_event;

/* A decoded response frame. */
typedef struct cql_response {
    uint8_t opcode;
    cql_slice tracing_id;  /* 16 bytes with CQL_FLAG_TRACING, else empty */
    cql_iter warnings;     /* [string list] with CQL_FLAG_WARNING */
    cql_iter payload;      /* [bytes map] with CQL_FLAG_CUSTOM_PAYLOAD */
    cql_slice body;        /* the message proper, after that prefix */
    union {
        cql_error error;         /* ERROR */
        cql_slice authenticator; /* AUTHENTICATE: the IAuthenticator class */
        cql_value token;         /* AUTH_CHALLENGE, AUTH_SUCCESS (may be null) */
        cql_iter supported;      /* SUPPORTED: [string multimap] entries */
        cql_result result;       /* RESULT */
        cql_event event;         /* EVENT */
    };
} cql_response;

/* Strips the flag-driven prefix (tracing id, warnings, custom payload) off a
 * response frame's body into `out` (opcode, tracing_id, warnings, payload,
 * body). CQL_ECOMPRESSED if the frame says its body is compressed. */
cql_err vl__cql_open_body(const cql_frame *f, cql_response *out);

/* vl__cql_open_body, then the decoder for f->opcode. CQL_EOPCODE for an opcode
 * that is not a response. READY has nothing more to decode. */
cql_err vl__cql_decode_response(const cql_frame *f, cql_response *out);

/* The decoders of single message bodies (the prefix already stripped). Any
 * may be run on any bytes; trailing bytes are ignored, as the spec asks. */
cql_err vl__cql_decode_error(uint8_t version, cql_slice body, cql_error *out);
cql_err vl__cql_decode_authenticate(cql_slice body, cql_slice *authenticator);
cql_err vl__cql_decode_auth_token(cql_slice body, cql_value *token);
cql_err vl__cql_decode_supported(cql_slice body, cql_iter *entries);
cql_err vl__cql_decode_result(uint8_t version, cql_slice body, cql_result *out);
cql_err vl__cql_decode_event(cql_slice body, cql_event *out);

/* ==== Error codes ======================================================= */

/* What the client should do about an ERROR response. */
typedef enum cql_retry {
    CQL_RETRY_NEVER = 0,       /* report it as it is */
    CQL_RETRY_IF_IDEMPOTENT,   /* retry later, but only an idempotent request */
    CQL_RETRY_REPREPARE        /* PREPARE again on this connection, then retry */
} cql_retry;

typedef struct cql_error_desc {
    int32_t code;
    const char *name;   /* the spec's name, e.g. "Write_timeout" */
    vl_status status;
    cql_retry retry;
} cql_error_desc;

/* The description of an error code; unknown codes get a generic entry
 * (name "Unknown", VL_EUPSTREAM, CQL_RETRY_NEVER). Never NULL. */
const cql_error_desc *vl__cql_error_info(int32_t code);

#define CQL_ERR_SERVER 0x0000
#define CQL_ERR_PROTOCOL 0x000A
#define CQL_ERR_BAD_CREDENTIALS 0x0100
#define CQL_ERR_UNAVAILABLE 0x1000
#define CQL_ERR_OVERLOADED 0x1001
#define CQL_ERR_IS_BOOTSTRAPPING 0x1002
#define CQL_ERR_TRUNCATE 0x1003
#define CQL_ERR_WRITE_TIMEOUT 0x1100
#define CQL_ERR_READ_TIMEOUT 0x1200
#define CQL_ERR_READ_FAILURE 0x1300
#define CQL_ERR_FUNCTION_FAILURE 0x1400
#define CQL_ERR_WRITE_FAILURE 0x1500
#define CQL_ERR_CDC_WRITE_FAILURE 0x1600
#define CQL_ERR_CAS_WRITE_UNKNOWN 0x1700
#define CQL_ERR_SYNTAX 0x2000
#define CQL_ERR_UNAUTHORIZED 0x2100
#define CQL_ERR_INVALID 0x2200
#define CQL_ERR_CONFIG 0x2300
#define CQL_ERR_ALREADY_EXISTS 0x2400
#define CQL_ERR_UNPREPARED 0x2500

#endif /* VELLIR_CQL_PROTO_H */
