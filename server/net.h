/*
 * net.h -- the network side of the server: the listening socket
 * (listen.c) and the socket side of each connection (conn.c).
 *
 * Owns: the listener (srv_listener, listen.c) and the connections' sockets,
 * input and output (conn.c; the structure itself is in conn.h).
 * Threads: listener_* on shard 0's thread; everything of a connection on
 * its home shard's thread; conn_adopt on the shard the accepted socket was
 * posted to.
 *
 * Layer: above the commands (conn.c parses requests and dispatches them,
 * commands.h); below only server.c, which starts and stops it all.
 */
#ifndef VL_SERVER_NET_H
#define VL_SERVER_NET_H

#include "shard.h"

/* ---- listen.c ----------------------------------------------------------- */

/* On shard 0's thread: binds and listens. Returns 0 or a negative errno. */
int listener_start(srv *s);
/* On shard 0's thread: closes the listening socket. */
void listener_stop(srv *s);

/* ---- conn.c ------------------------------------------------------------- */

/* On the target shard's thread: adopts the accepted socket fd. */
void conn_adopt(srv_shard *sh, int fd);
/* The shard's tick (srv_shard.tick's function): serves every kicked
 * connection: parses what waits, writes the output, closes. */
void shard_tick(vl_task *t);
/* Starts closing every connection of the shard (shutdown). */
void conn_drain_all(srv_shard *sh);
/* Closes every connection now (after the drain deadline). */
void conn_close_all(srv_shard *sh);
/* Teardown: connections still on the busy list are let go. */
void conn_release_busy(srv_shard *sh);

#endif
