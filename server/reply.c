/*
 * reply.c -- the replies the commands share (reply.h).
 *
 * Owns: nothing. Threads: any; each function touches only its buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"

void reply_error(vl_buf *b, const char *msg) { (void)vl_resp_write_error(b, msg, strlen(msg)); }

void reply_errorf(vl_buf *b, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof msg) n = (int)sizeof msg - 1;
    (void)vl_resp_write_error(b, msg, (size_t)n);
}

void reply_ok(vl_buf *b) { (void)vl_buf_append(b, "+OK\r\n", 5); }
void reply_wrongtype(vl_buf *b) {
    reply_error(b, "WRONGTYPE Operation against a key holding the wrong kind of value");
}
void reply_syntax(vl_buf *b) { reply_error(b, "ERR syntax error"); }
void reply_not_int(vl_buf *b) { reply_error(b, "ERR value is not an integer or out of range"); }

void reply_too_big(vl_buf *b) {
    reply_error(b, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
}

void reply_arity(vl_buf *b, const char *name) {
    reply_errorf(b, "ERR wrong number of arguments for '%s' command", name);
}

void reply_str_value(vl_buf *b, const sv_value *v) {
    sv_num t;
    const uint8_t *p;
    size_t n;
    sv_str_view(v, &t, &p, &n);
    (void)vl_resp_write_bulk(b, p, n);
}

void reply_help(vl_buf *b, const char *const *lines) {
    size_t n = 0;
    while (lines[n]) n++;
    (void)vl_resp_write_array(b, n);
    for (size_t i = 0; i < n; i++) (void)vl_resp_write_simple(b, lines[i], strlen(lines[i]));
}

void reply_status_error(vl_buf *b, vl_status st) {
    switch (st) {
    case VL_EFULL:
        reply_error(b, "OOM command not allowed when used memory > 'maxmemory'.");
        break;
    case VL_ETOOBIG:
        reply_error(b, "ERR key or value is larger than vellir's limit");
        break;
    case VL_ECLOSED:
        reply_error(b, "ERR the server is shutting down");
        break;
    case VL_ENOMEM:
        reply_error(b, "OOM out of memory");
        break;
    default:
        reply_errorf(b, "ERR vellir: %s (%s)", vl_strerror(st), vl_status_name(st));
    }
}
