/*
 * pg_fault_proxy.h -- a FAULT INJECTOR for tests: a loopback TCP proxy in
 * front of PostgreSQL that reads the frontend protocol (message types and
 * lengths, Bind's statement name) and cuts a connection at a chosen moment.
 *
 * Its main fault: "the COMMIT went out, its answer never came back". After
 * a Bind of one of the upstream's commit statements (named vl_put* or
 * vl_del*), the Sync that ends that transaction is forwarded to the server,
 * and then the connection is cut both ways before a byte of the server's
 * answer can pass: the server commits, the client sees a lost connection.
 * Whatever the client had pipelined behind that Sync is dropped.
 *
 * Connect through it with sslmode=disable (it does not speak TLS).
 *
 * Owns: its listening socket, two threads per proxied connection (one per
 * direction, blocking I/O) and an accept thread.
 * Threads: every function may be called from any thread.
 */
#ifndef VELLIR_TEST_PG_FAULT_PROXY_H
#define VELLIR_TEST_PG_FAULT_PROXY_H

typedef struct pg_fault_proxy pg_fault_proxy;

/* Listens on 127.0.0.1 (a free port) and forwards to host:port. NULL if
 * it cannot listen. */
pg_fault_proxy *pgfp_start(const char *host, int port);
/* The port it listens on. */
int pgfp_port(const pg_fault_proxy *p);
/* Arms it: the next `n` commits are cut after their Sync is forwarded. */
void pgfp_cut_after_commit(pg_fault_proxy *p, int n);
/* Commits cut so far; connections accepted so far. */
int pgfp_cuts(pg_fault_proxy *p);
int pgfp_accepted(pg_fault_proxy *p);
/* Cuts every open connection now. */
void pgfp_cut_all(pg_fault_proxy *p);
/* Cuts everything, stops and frees it. */
void pgfp_stop(pg_fault_proxy *p);

#endif
