/*
 * server.h -- starting and stopping vellir-server on a vellir service
 * (server.c): every shard's part, the listener, the drain at shutdown.
 *
 * Owns: the shards' lifecycle (srv_shard array of srv, shard.h).
 * Threads: the main thread only; it reaches the shards by posting tasks
 * (vl_post) and waiting for them.
 *
 * Layer: the top of the server's code, below only main.c. docs/server.md
 * ("Files") lists every layer, bottom to top.
 */
#ifndef VL_SERVER_SERVER_H
#define VL_SERVER_SERVER_H

#include "shard.h"
#include "vellir.h"

/* Main thread: indexes the commands, sets up every shard, then listens.
 * VL_OK or a failure (a message was printed). */
vl_status srv_start(srv *s, vl_service *svc);
/* Main thread: stops accepting, lets connections finish what is in flight
 * (at most VL_SRV_DRAIN_MS), closes them and every handle of the server. */
void srv_stop(srv *s);
/* Main thread, after vl_close: frees what srv_start made. */
void srv_free(srv *s);

#endif
