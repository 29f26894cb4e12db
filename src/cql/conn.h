/*
 * conn.h -- one asynchronous CQL native-protocol connection, running in a
 * libuv loop: connect, handshake, prepared statements, many requests in
 * flight on stream ids, timeouts, reconnection. Built on the pure codec of
 * proto.h; knows nothing of caching.
 *
 * Owns: cql_conn (its socket, stream ids, requests, statements, timers).
 * Threads: a cql_conn belongs to the thread that runs its loop. Every
 * function here, and every callback it makes, runs on that thread only.
 *
 * ==== Using it ====
 *
 *     cql_conn_opts o; vl__cql_conn_opts_init(&o);
 *     o.host = "127.0.0.1"; o.port = 9042; o.keyspace = "ks";
 *     cql_conn *c; vl__cql_conn_new(loop, &o, &c);
 *     cql_stmt *get = vl__cql_conn_statement(c, "SELECT v FROM t WHERE k = ?");
 *     vl__cql_conn_start(c);                 // connects in the background
 *     ...
 *     cql_value k = vl__cql_blob(key, len);
 *     cql_params p = {.consistency = CQL_LOCAL_QUORUM, .values = &k, .n_values = 1};
 *     vl__cql_conn_execute(c, get, &p, on_reply, arg);
 *
 * A submission (vl__cql_conn_query, vl__cql_conn_execute) returns VL_OK when it
 * accepted the request; the callback then runs exactly once, later, never
 * inside the submission. Any other return means the callback never runs.
 * What a request points to (query text, bound values' bytes) must stay valid
 * until its callback has run: the request is encoded when it goes on the
 * wire, and again if it has to be re-sent after a re-PREPARE.
 *
 * The callback gets VL_OK and the RESULT, or a failure: the status of the
 * server's ERROR (vl__cql_error_info) with the response, so its message can be
 * logged; VL_ETIMEOUT (no answer within request_timeout_ms); VL_EUNAVAILABLE
 * (the connection was lost with the request on the wire, or could not be
 * made); VL_ECLOSED (vl__cql_conn_close). A response is valid only during the
 * callback.
 *
 * The connection never retries a request by itself, with one exception:
 * an EXECUTE answered Unprepared is prepared again on this connection and
 * sent once more. Everything else that is worth retrying comes back with a
 * retryable status (vl_status_retryable), and the caller decides; vellir's
 * Cassandra upstream leaves it to the cache's commit policy.
 *
 * Events: with `events` set, the connection REGISTERs for them at every
 * handshake (so a reconnected connection gets them again) and hands each
 * EVENT to `on_event`. Heartbeats: with `heartbeat_ms` set, a READY
 * connection that has received nothing for that long sends OPTIONS; one
 * that leaves it unanswered for request_timeout_ms is replaced (reconnects
 * at once, like any lost connection).
 *
 * The state machine is drawn in conn.c, where it lives.
 */
#ifndef VELLIR_CQL_CONN_H
#define VELLIR_CQL_CONN_H

#include <sys/socket.h>
#include <uv.h>

#include "cql/proto.h"

typedef struct cql_conn cql_conn;
typedef struct cql_stmt cql_stmt;

typedef enum cql_conn_state {
    CQL_CONN_IDLE = 0,   /* made, not started */
    CQL_CONN_CONNECTING, /* TCP connect in progress */
    CQL_CONN_OPTIONS,    /* OPTIONS sent, waiting for SUPPORTED */
    CQL_CONN_STARTUP,    /* STARTUP sent, waiting for READY or AUTHENTICATE */
    CQL_CONN_AUTH,       /* AUTH_RESPONSE sent */
    CQL_CONN_KEYSPACE,   /* USE sent */
    CQL_CONN_REGISTER,   /* REGISTER sent (when events are asked for) */
    CQL_CONN_PREPARING,  /* PREPAREs of the registered statements in flight */
    CQL_CONN_READY,      /* serving requests */
    CQL_CONN_BACKOFF,    /* the last attempt failed; waiting to try again */
    CQL_CONN_CLOSED      /* vl__cql_conn_close was called */
} cql_conn_state;

/* Called on every state change, with the status that caused it (VL_OK for
 * progress; the failure for a drop or a failed attempt). */
typedef void (*cql_conn_state_cb)(void *arg, cql_conn_state st, vl_status why,
                                  const char *detail);

/* A request's completion. `r` is the response (RESULT or ERROR) when one
 * arrived, NULL otherwise. */
typedef void (*cql_conn_cb)(void *arg, vl_status st, const cql_response *r);

/* An EVENT the connection registered for; valid during the call only. */
typedef void (*cql_conn_event_cb)(void *arg, const cql_event *ev);

/* Event types to REGISTER for (cql_conn_opts.events). */
#define CQL_EV_TOPOLOGY 0x01u /* TOPOLOGY_CHANGE */
#define CQL_EV_STATUS 0x02u   /* STATUS_CHANGE */
#define CQL_EV_SCHEMA 0x04u   /* SCHEMA_CHANGE */

typedef struct cql_conn_opts {
    const char *host;    /* numeric IPv4 or IPv6 address, or "localhost"; with
                            `addr`, only a name for messages (may be NULL) */
    uint16_t port;       /* default 9042 */
    const struct sockaddr *addr; /* the address to connect to (AF_INET or
                            AF_INET6, port included; copied), instead of
                            host and port; NULL: host and port */
    const char *user;    /* SASL PLAIN credentials, or NULL: no authentication */
    const char *password;
    const char *keyspace;/* USE after the handshake, or NULL */
    uint8_t version;     /* protocol version; 0 or CQL_V4 (v5 framing: not yet) */
    uint32_t inflight;   /* stream ids on the wire at once; VL_CQL_INFLIGHT_DEFAULT */
    uint32_t queue_max;  /* requests held off the wire; VL_CQL_QUEUE_DEFAULT */
    uint32_t connect_timeout_ms; /* VL_CQL_CONNECT_TIMEOUT_MS_DEFAULT */
    uint32_t request_timeout_ms; /* VL_CQL_REQUEST_TIMEOUT_MS_DEFAULT */
    uint32_t reconnect_base_ms;  /* VL_CQL_RECONNECT_BASE_MS_DEFAULT */
    uint32_t reconnect_cap_ms;   /* VL_CQL_RECONNECT_CAP_MS_DEFAULT */
    uint32_t heartbeat_ms;       /* OPTIONS after this long idle; 0: none */
    uint8_t events;              /* CQL_EV_* to REGISTER for; 0: none */
    cql_conn_state_cb on_state;  /* may be NULL */
    void *on_state_arg;
    cql_conn_event_cb on_event;  /* with `events` */
    void *on_event_arg;
} cql_conn_opts;

/* The defaults above; host "127.0.0.1", no credentials, no keyspace. */
void vl__cql_conn_opts_init(cql_conn_opts *o);

/* A new connection on `loop` (not started). Copies every string of `o`.
 * VL_EINVAL for a bad option (an unknown host form, version 5, ...),
 * VL_ENOMEM. */
vl_status vl__cql_conn_new(uv_loop_t *loop, const cql_conn_opts *o, cql_conn **out);

/* Registers a statement (the text is copied). Statements registered before
 * vl__cql_conn_start are prepared during every handshake, so a bad statement
 * fails the connection attempt with the server's error; later ones are
 * prepared on first use. Owned by the connection. NULL: out of memory. */
cql_stmt *vl__cql_conn_statement(cql_conn *c, const char *query);

/* Starts connecting (IDLE -> CONNECTING). */
void vl__cql_conn_start(cql_conn *c);

/* Submits a QUERY, or an EXECUTE of a registered statement. `p` is copied
 * (at most VL_CQL_REQ_VALUES_MAX values, else VL_EINVAL); the bytes it
 * points to are borrowed (see above). Returns VL_OK (the callback will run),
 * or: VL_EBUSY (queue_max requests are waiting), the status of the last
 * failed connection attempt while in BACKOFF, VL_ECLOSED, VL_ENOMEM. */
vl_status vl__cql_conn_query(cql_conn *c, const char *query, const cql_params *p,
                         cql_conn_cb cb, void *arg);
/* A QUERY with its own timeout instead of request_timeout_ms (a TRUNCATE,
 * which the server itself gives 60 s). */
vl_status vl__cql_conn_query_timeout(cql_conn *c, const char *query, const cql_params *p,
                                     uint32_t timeout_ms, cql_conn_cb cb, void *arg);
vl_status vl__cql_conn_execute(cql_conn *c, cql_stmt *s, const cql_params *p,
                           cql_conn_cb cb, void *arg);

/* Late binding: `bind` runs right before the request is encoded, each time
 * it is (when it goes on the wire, and again after a re-PREPARE), with the
 * request's copy of its values, which it may change in place (same count).
 * For values that depend on the time they are sent, such as a TTL computed
 * from an absolute expiry. Otherwise as vl__cql_conn_execute. */
typedef void (*cql_bind_fn)(void *arg, cql_value *values, uint16_t n);
vl_status vl__cql_conn_execute_bound(cql_conn *c, cql_stmt *s, const cql_params *p,
                                 cql_bind_fn bind, cql_conn_cb cb, void *arg);

/* While corked, frames collect in the send buffer and go out in one write
 * at uncork: submit a batch's requests between the two. Nests. */
void vl__cql_conn_cork(cql_conn *c);
void vl__cql_conn_uncork(cql_conn *c);

cql_conn_state vl__cql_conn_state_of(const cql_conn *c);
const char *vl__cql_conn_state_name(cql_conn_state st);
/* The status of the last failure (VL_OK if none yet). */
vl_status vl__cql_conn_last_error(const cql_conn *c);
/* The protocol version in use once READY. */
uint8_t vl__cql_conn_version(const cql_conn *c);
/* "address:port" (or the host given), for messages. */
const char *vl__cql_conn_name(const cql_conn *c);
/* In BACKOFF, tries again now instead of when the backoff ends (a node was
 * reported up); otherwise nothing. */
void vl__cql_conn_reconnect_now(cql_conn *c);

typedef struct cql_conn_stats {
    uint64_t connects;      /* attempts started */
    uint64_t ready;         /* attempts that reached READY */
    uint64_t requests;      /* user requests completed, any status */
    uint64_t timeouts;      /* user requests that timed out (ids orphaned) */
    uint64_t late_dropped;  /* late responses on orphaned ids, dropped */
    uint64_t reprepares;    /* EXECUTEs answered Unprepared and prepared again */
    uint64_t lost;          /* user requests failed by a lost connection */
    uint64_t heartbeats;    /* heartbeats answered */
    uint64_t events;        /* events handed to on_event */
    uint32_t in_flight;     /* gauge: stream ids busy (orphans included) */
    uint32_t orphans;       /* gauge: orphaned stream ids */
    uint32_t queued;        /* gauge: requests off the wire */
} cql_conn_stats;
void vl__cql_conn_stats_get(const cql_conn *c, cql_conn_stats *out);

/* Closes the connection: every outstanding request completes VL_ECLOSED
 * (inside this call), the socket and timers close, and the memory is freed
 * once libuv has closed them (the loop must run a little longer for that;
 * `closed` is then called, if not NULL). The pointer is invalid after the
 * call. */
void vl__cql_conn_close(cql_conn *c, void (*closed)(void *arg), void *arg);

#endif /* VELLIR_CQL_CONN_H */
