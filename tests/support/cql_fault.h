/*
 * cql_fault.h -- a FAULT INJECTOR for the CQL client's error paths: a fake
 * CQL endpoint on loopback that speaks just enough of protocol v4 to serve
 * vellir's Cassandra upstream (handshake, USE, REGISTER, PREPARE, EXECUTE of
 * one SELECT, INSERT and DELETE shape, schema queries answered Void, and the
 * system tables the cluster client reads, for a cluster the test describes)
 * and that answers with errors, drops connections, sends events, stays
 * silent or goes down on demand. Several injectors, each told about the
 * others, make a fake cluster on 127.0.0.1 (one port each).
 *
 * It is NOT a database and not a stand-in for one: compatibility is proven
 * against the real node (tests/cassandra). This exists only to make a
 * client take the paths a healthy node rarely takes: Write_timeout,
 * Overloaded, Unavailable, Unprepared, Syntax/Invalid, a connection dropped
 * in the middle of a request, a request never answered (or answered late).
 *
 * Owns: its listening socket, its connections, its thread, its tiny
 * key-value map (last write wins by the bound timestamp, TTLs in seconds).
 * Threads: one server thread of its own; every function here may be called
 * from any thread (one mutex).
 */
#ifndef VELLIR_TEST_CQL_FAULT_H
#define VELLIR_TEST_CQL_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "vellir.h"

typedef struct cql_fault cql_fault;

/* Which EXECUTEs a fault applies to, by the prepared statement's verb. */
typedef enum cf_target {
    CF_ANY = 0,
    CF_READS,  /* SELECT */
    CF_WRITES  /* INSERT, DELETE */
} cf_target;

/* One node of the cluster an injector pretends to be part of. Strings are
 * borrowed: give literals. */
typedef struct cf_node {
    uint16_t port;      /* its CQL port on 127.0.0.1 (ignored for `self`) */
    const char *dc, *rack;
    const char *tokens; /* comma-separated, e.g. "-100,5000" */
    uint8_t schema;     /* its schema_version: 16 bytes of this value */
} cf_node;

#define CF_PEERS_MAX 8

typedef struct cf_topology {
    cf_node self;
    cf_node peers[CF_PEERS_MAX];
    uint32_t n_peers;
    bool no_peers_v2;       /* system.peers_v2 answers Invalid (an older server) */
    const char *repl_class; /* "SimpleStrategy" or "NetworkTopologyStrategy" */
    uint32_t rf;
    const char *repl_dc;    /* NetworkTopologyStrategy: {repl_dc: rf} */
} cf_topology;

/* Listens on 127.0.0.1 on a free port and starts serving, as a one-node
 * cluster (dc1/rack1, token 0, schema 1, SimpleStrategy 1). */
cql_fault *cql_fault_start(void);
/* What the system tables say from now on. */
void cql_fault_topology(cql_fault *f, const cf_topology *t);
uint16_t cql_fault_port(const cql_fault *f);
/* Closes every connection and the listener, joins the thread, frees. */
void cql_fault_stop(cql_fault *f);

/* The next `n` matching EXECUTEs are answered with ERROR `code` (e.g.
 * 0x1100 Write_timeout, 0x1001 Overloaded, 0x1000 Unavailable, 0x2000
 * Syntax_error, 0x2200 Invalid, 0x2500 Unprepared), and not applied. */
void cql_fault_error_next(cql_fault *f, cf_target t, uint32_t n, int32_t code);
/* On each of the next `n` matching EXECUTEs the connection is closed
 * before anything is applied or answered. */
void cql_fault_drop_next(cql_fault *f, cf_target t, uint32_t n);
/* The next `n` matching EXECUTEs are not answered; with late_ms > 0 they are
 * applied and answered normally after late_ms (a late response). */
void cql_fault_hang_next(cql_fault *f, cf_target t, uint32_t n, uint32_t late_ms);
/* Forgets every prepared statement, as a restarted node does: the next
 * EXECUTE of each is answered Unprepared. */
void cql_fault_forget_prepared(cql_fault *f);
/* Requires SASL PLAIN (PasswordAuthenticator) with these credentials;
 * NULL user: no authentication (the default). */
void cql_fault_require_auth(cql_fault *f, const char *user, const char *password);
/* While on, OPTIONS and STARTUP are answered Protocol_error, as a server
 * that does not speak the requested version answers. */
void cql_fault_refuse_version(cql_fault *f, bool on);
/* While on, every PREPARE is answered Invalid ("unconfigured table"). */
void cql_fault_refuse_prepare(cql_fault *f, bool on);
/* Closes every open connection now (a restart without losing data). */
void cql_fault_kick(cql_fault *f);
/* While on, nothing at all is answered, not even OPTIONS (a peer that went
 * silent without closing its connections). */
void cql_fault_silence(cql_fault *f, bool on);
/* While on, the endpoint is down: its connections are closed, and new ones
 * are closed as soon as they are accepted. */
void cql_fault_down(cql_fault *f, bool on);
/* Sends an EVENT (type, change, 127.0.0.1:port) on every connection that
 * REGISTERed for events, e.g. ("STATUS_CHANGE", "DOWN", port). */
void cql_fault_event(cql_fault *f, const char *type, const char *change, uint16_t port);

typedef struct cql_fault_counts {
    uint64_t connections; /* accepted */
    uint64_t prepares;
    uint64_t executes;    /* received (whatever became of them) */
    uint64_t applied;     /* INSERTs and DELETEs applied */
    uint64_t errors;      /* injected ERROR answers */
    uint64_t drops;       /* connections dropped by drop_next */
    uint64_t hung;        /* requests held by hang_next */
    uint64_t late;        /* late answers sent */
    uint64_t auth_ok, auth_failed;
    uint64_t options;     /* OPTIONS received (handshakes and heartbeats) */
    uint64_t registers;   /* REGISTERs */
    uint64_t system;      /* system-table queries */
} cql_fault_counts;
void cql_fault_counts_get(cql_fault *f, cql_fault_counts *out);

/* The stored value of `key`: VL_OK and the bytes appended to `out` (may be
 * NULL), or VL_ENOTFOUND (absent, deleted or expired). */
vl_status cql_fault_get(cql_fault *f, const void *key, size_t key_len, vl_buf *out);

#endif
