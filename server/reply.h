/*
 * reply.h -- the replies the commands share: Redis's error texts, OK, a
 * string value, a cache failure as an error.
 *
 * Owns: nothing; each function appends to the vl_buf it is given.
 * Threads: any. A reply goes into a buffer owned by one thread at a time (a
 * connection's output or an op's reply on its home shard, a part's buffer
 * on a key's shard), and these functions touch nothing else.
 *
 * Layer: the bottom of the server's own code, with args.h; above only the
 * protocol (resp.h) and the value type (value.h). docs/server.md ("Files")
 * lists every layer.
 */
#ifndef VL_SERVER_REPLY_H
#define VL_SERVER_REPLY_H

#include "resp.h"
#include "value.h"
#include "vellir.h"

void reply_error(vl_buf *b, const char *msg);
void reply_errorf(vl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_ok(vl_buf *b);
void reply_wrongtype(vl_buf *b);
/* "wrong number of arguments" for the command (or "parent|sub") `name`. */
void reply_arity(vl_buf *b, const char *name);
void reply_syntax(vl_buf *b);
void reply_not_int(vl_buf *b);
/* A string longer than the server stores (Redis's proto-max-bulk-len text). */
void reply_too_big(vl_buf *b);
/* The string value of v as a bulk. */
void reply_str_value(vl_buf *b, const sv_value *v);
/* A HELP subcommand's text: an array of simple strings (lines ends with
 * NULL). */
void reply_help(vl_buf *b, const char *const *lines);
/* The reply text for a cache failure (VL_EFULL is Redis's OOM, ...). */
void reply_status_error(vl_buf *b, vl_status st);

#endif
