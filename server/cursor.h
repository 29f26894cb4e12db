/*
 * cursor.h -- SCAN's cursors and options: reading them as Redis 7.0 does,
 * and the table that turns vellir's scan positions (byte strings,
 * docs/scan.md) into the 64-bit integers Redis clients expect.
 *
 * Owns: srv_cursors (one per shard, srv_shard.cursors). Threads: the
 * parsers are pure; a table is touched only by its shard's thread.
 *
 * A cursor is 0 (start, or: the scan is over), or an integer made of a
 * random 32-bit tag, the shard whose table holds the position, and the
 * slot there:  tag << 24 | shard << 16 | slot  (below 2^56, never 0). A
 * table keeps VL_SRV_SCAN_CURSORS slots and at most VL_SRV_SCAN_CURSOR_BYTES
 * of positions, reused oldest first; a reused slot gets a new tag, so a
 * cursor whose slot was reused, or one a client made up, is recognised as
 * unknown, never taken for another scan's position.
 *
 * Layer: the bottom of the server's own code, with args.h (it uses args.h
 * and the RESP writer only).
 */
#ifndef VL_SERVER_CURSOR_H
#define VL_SERVER_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "resp.h"
#include "vellir.h"

/* ---- parsing ---------------------------------------------------------------- */

/* A cursor argument as Redis reads one (strtoul on the C string: up to a
 * NUL byte; no leading blank; an optional sign, "-1" wrapping around;
 * digits to the end; "" is 0). False: Redis answers "ERR invalid cursor". */
bool scan_cursor_parse(const uint8_t *p, size_t n, uint64_t *out);

enum { SCAN_OPT_OK = 0, SCAN_OPT_SYNTAX, SCAN_OPT_NOT_INT };

/* SCAN's and HSCAN's options after the cursor (argv[first..argc)): COUNT n
 * (at least 1; default 10), MATCH pattern, and for SCAN (with_type) TYPE
 * name; the last of each wins, as in Redis. `match` and `type` are argv
 * indexes (0: none; MATCH * counts as none, as in Redis). On an error,
 * `error` says which reply scan_opts_error gives. */
typedef struct scan_opts {
    int64_t count;
    size_t match, type;
    int error;
} scan_opts;

void scan_opts_parse(const vl_resp_arg *argv, size_t argc, size_t first, bool with_type,
                     scan_opts *o);
/* The reply of an error scan_opts_parse found (Redis's text). */
void scan_opts_error(vl_buf *b, const scan_opts *o);

/* ---- the table ------------------------------------------------------------------ */

typedef struct srv_cursors srv_cursors;

/* A table whose tags come from `seed`; NULL if out of memory. */
srv_cursors *cursors_new(uint64_t seed);
void cursors_free(srv_cursors *t);
/* A cursor for position pos[0..len) in the table of `shard`: nonzero, or
 * 0 if out of memory. The position is copied. */
uint64_t cursors_mint(srv_cursors *t, uint32_t shard, const void *pos, size_t len);
/* The shard whose table a cursor names, or UINT32_MAX for an integer no
 * table ever made (too large). */
uint32_t cursor_shard(uint64_t cursor);
/* The position of a cursor of this table: true and pos/len (valid until
 * the table's next mint), or false: unknown (its slot was reused, or it
 * was never minted). `t` may be NULL (a shard that minted nothing). */
bool cursors_find(const srv_cursors *t, uint64_t cursor, const uint8_t **pos, size_t *len);

#endif
