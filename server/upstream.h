/*
 * upstream.h -- the upstream vellir-server runs on, made from its options:
 * SQLite (the default), memory, PostgreSQL or Cassandra; its password from
 * a file or the environment (secret.h), never the command line; what the
 * server says of it (srv_upstream_about, the password masked); and the one
 * line that says why it could not open.
 *
 * Owns: srv_upstream (the vl_upstream until a service takes it, and the
 * memory store). Threads: the main thread.
 *
 * Layer: 8, the process, with main.c, which calls it; it calls layer 0
 * (config.h, secret.h, conninfo.h, logsink.h) and the library.
 */
#ifndef VL_SERVER_UPSTREAM_H
#define VL_SERVER_UPSTREAM_H

#include "config.h"
#include "logsink.h"
#include "shard.h"
#include "vellir_memory.h"

typedef struct srv_upstream {
    vl_upstream up;
    vl_mem *mem;               /* --upstream memory's store */
    srv_upstream_about about;  /* for INFO */
    char desc[1200];           /* one line: the start message, CONFIG GET, INFO */
} srv_upstream;

/* Makes the upstream cfg names. 0, or the exit code after one line on
 * stderr: 2 when the options or a file they name are wrong (a password
 * file others may read, two passwords, a name libvellir refuses), 1 when
 * the upstream cannot be made (a data directory, a host name that does not
 * resolve). The password is wiped once the library has its copy. */
int srv_upstream_make(const srv_config *cfg, srv_upstream *u);
/* vl_open failed with st: one line on stderr with the upstream, where it
 * is, and why (the upstream's first error, which lg kept, else st). */
void srv_upstream_open_failed(const srv_upstream *u, srv_log *lg, vl_status st);
/* Frees what is left: the upstream itself unless a service took it
 * (`taken`: vl_open succeeded, and vl_close released it), the memory store. */
void srv_upstream_release(srv_upstream *u, bool taken);

#endif
