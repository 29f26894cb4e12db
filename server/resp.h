/*
 * resp.h -- the Redis protocol (RESP) of vellir-server as functions over
 * bytes: a request parser and a reply writer. No sockets, no threads.
 *
 * Owns: vl_resp_parser (one per client connection) and the vl_resp_write_*
 * functions. Threads: a parser belongs to the thread that owns its
 * connection; nothing here has shared state, so distinct parsers and
 * buffers may be used on distinct threads at once.
 *
 * docs/resp.md is the long form: the contract, the limits, and the table of
 * malformed requests with Redis's own replies, as verified against
 * redis-server 7.0.
 *
 * ==== Parsing requests ====
 *
 * Clients send requests in two shapes, in RESP2 and RESP3 alike:
 *
 *   multibulk  *<count>\r\n then <count> times $<len>\r\n<len bytes>\r\n
 *   inline     a line of space-separated words ending in \n (or \r\n), with
 *              Redis's quoting: "..." takes \n \r \t \b \a \\ \" \xHH
 *              escapes, '...' takes \' only.
 *
 * A request starting with '*' is multibulk; anything else is inline.
 *
 *   vl_resp_parser ps;
 *   vl_resp_parser_init(&ps, NULL);           // default limits
 *   for (;;) {
 *       switch (vl_resp_parse(&ps, buf, len)) {
 *       case VL_RESP_COMPLETE:   // ps.argv[0..ps.argc) are the arguments
 *           if (ps.argc) run(ps.argv, ps.argc);
 *           buf += ps.consumed; len -= ps.consumed;   // next request
 *           continue;
 *       case VL_RESP_INCOMPLETE: // read at least ps.need more bytes, then
 *           ...                  // call again with the same request at buf
 *       case VL_RESP_ERROR:      // reply "-" ps.errmsg "\r\n", then close
 *           ...
 *       }
 *   }
 *   vl_resp_parser_free(&ps);
 *
 * The contract:
 *
 * - buf holds the start of one request (and maybe more after it). The
 *   result depends only on the bytes and the limits, never on how the bytes
 *   were split across calls: a request fed one byte at a time is INCOMPLETE
 *   until its last byte, then gives the same result as one call with all of
 *   it. After INCOMPLETE the parser remembers how far it got, so the next
 *   call must pass the same request again with its bytes unchanged and
 *   possibly more after them (the buffer itself may have moved: the parser
 *   keeps offsets, not pointers). vl_resp_parser_reset forgets a partial
 *   request. Passing fewer bytes than last time restarts the request.
 * - COMPLETE: ps.consumed > 0 bytes are one request. ps.argv[i].p points
 *   into buf (zero-copy), except for an inline argument that used quotes,
 *   which is decoded into the parser's own scratch memory. Either stays
 *   valid until the next vl_resp_parse, reset or free on this parser (and,
 *   for pointers into buf, while buf does). ps.argc may be 0: an empty
 *   inline line, "*0" or "*-N"; Redis runs nothing for those, and neither
 *   should the caller.
 * - INCOMPLETE: no complete request yet; ps.need >= 1 more bytes are needed
 *   before the next call can make progress (exact while a bulk's payload is
 *   awaited, 1 while a line's end is).
 * - ERROR: ps.errmsg is the error reply's text without "-" and "\r\n"
 *   (Redis's own words, e.g. "ERR Protocol error: invalid bulk length") and
 *   ps.error its kind. The stream cannot be resynchronised: Redis answers the
 *   error and closes the connection, and so should the caller. The parser is
 *   reset and may be reused for a new stream.
 *
 * Memory: the argument vector and the scratch area for quoted inline
 * arguments grow as needed and are kept for the next request, so a warm
 * connection parses without allocating. The vector grows with the
 * arguments that arrive, never with a header's count. The bytes a request
 * spans are bounded by limits.query_max, so a caller that keeps only the
 * unparsed rest of its input plus one read never holds more than
 * query_max + one read of it.
 */
#ifndef VELLIR_SERVER_RESP_H
#define VELLIR_SERVER_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vellir.h"

/* ---- limits ---------------------------------------------------------- */

typedef struct vl_resp_limits {
    size_t bulk_max;   /* longest bulk argument (VL_RESP_BULK_MAX_DEFAULT) */
    size_t args_max;   /* most arguments per multibulk (VL_RESP_ARGS_MAX_DEFAULT) */
    size_t inline_max; /* longest inline line or "*N"/"$N" header line
                          (VL_RESP_INLINE_MAX_DEFAULT) */
    size_t query_max;  /* most bytes one request may span
                          (VL_RESP_QUERY_MAX_DEFAULT) */
} vl_resp_limits;

/* Fills `l` with the defaults of vellir_limits.h. */
void vl_resp_limits_init(vl_resp_limits *l);

/* Smallest inline_max vl_resp_parser_init accepts (a short command must
 * fit); it also wants query_max >= inline_max + 2 (a whole line and its
 * "\r\n" must fit in one request). */
#define VL_RESP_INLINE_MIN 16u

/* ---- the parser ------------------------------------------------------ */

typedef enum vl_resp_result {
    VL_RESP_COMPLETE = 0,
    VL_RESP_INCOMPLETE,
    VL_RESP_ERROR
} vl_resp_result;

/* Kinds of ERROR, each with its reply text (see vl_resp_parser.errmsg). */
typedef enum vl_resp_error {
    VL_RESP_ENONE = 0,
    VL_RESP_EMBULK_LEN,     /* ERR Protocol error: invalid multibulk length */
    VL_RESP_EBULK_LEN,      /* ERR Protocol error: invalid bulk length */
    VL_RESP_EEXPECTED,      /* ERR Protocol error: expected '$', got 'x' */
    VL_RESP_EQUOTES,        /* ERR Protocol error: unbalanced quotes in request */
    VL_RESP_EINLINE_BIG,    /* ERR Protocol error: too big inline request */
    VL_RESP_EMBULK_STR_BIG, /* ERR Protocol error: too big mbulk count string */
    VL_RESP_EBULK_STR_BIG,  /* ERR Protocol error: too big bulk count string */
    VL_RESP_EQUERY_BIG,     /* ERR Protocol error: query buffer limit exceeded
                               (vellir's words: Redis closes without a reply) */
    VL_RESP_ENOMEM          /* ERR Protocol error: out of memory (vellir's) */
} vl_resp_error;

/* One argument: len bytes at p. off is p's offset from the buf of the call
 * that completed, or SIZE_MAX when p is in the parser's scratch memory (a
 * quoted inline argument). */
typedef struct vl_resp_arg {
    const uint8_t *p;
    size_t len;
    size_t off;
} vl_resp_arg;

typedef struct vl_resp_parser {
    /* Results of the last vl_resp_parse; read-only for the caller. */
    vl_resp_arg *argv;    /* COMPLETE: argc arguments */
    size_t argc;
    size_t consumed;      /* COMPLETE: bytes of the request; else 0 */
    size_t need;          /* INCOMPLETE: at least this many more bytes */
    vl_resp_error error;  /* ERROR: the kind; else VL_RESP_ENONE */
    const char *errmsg;   /* ERROR: the reply text; else NULL */

    /* Private. */
    vl_resp_limits lim;
    size_t argv_cap;
    vl_buf scratch;       /* decoded quoted inline arguments */
    int stage;            /* where a partial request stopped (resp.c) */
    size_t line;          /* offset of the line, or bulk payload, in progress */
    size_t scan;          /* next offset to search for the line's end */
    size_t blen;          /* length of the bulk payload in progress */
    size_t left;          /* arguments still to come in this multibulk */
    size_t nargs;         /* arguments parsed so far */
    size_t seen;          /* bytes passed by the previous call */
    char errbuf[48];      /* the "expected '$', got 'x'" text */
} vl_resp_parser;

/* Prepares `ps` with the limits `lim` (NULL: the defaults). Returns VL_OK, or
 * VL_EINVAL if a limit is 0, inline_max < VL_RESP_INLINE_MIN, or
 * query_max < inline_max + 2. Allocates nothing. */
vl_status vl_resp_parser_init(vl_resp_parser *ps, const vl_resp_limits *lim);

/* Forgets a partial request; keeps the memory for reuse. */
void vl_resp_parser_reset(vl_resp_parser *ps);

/* Releases the parser's memory. `ps` may be initialised again afterwards. */
void vl_resp_parser_free(vl_resp_parser *ps);

/* Parses the request at the start of buf[0..len). See the contract above. */
vl_resp_result vl_resp_parse(vl_resp_parser *ps, const uint8_t *buf, size_t len);

/* ---- the reply writer (resp_write.c) ---------------------------------- */
/*
 * Each function appends one reply, or one aggregate header, to `b` and
 * returns VL_OK, or VL_ENOMEM with `b` unchanged. `proto` is the client's
 * protocol version: 3 writes the RESP3 form, anything else the RESP2 form.
 * An aggregate header is followed by its elements, written by further calls
 * (a map's are key, value, key, value, ...).
 */

/* +s\r\n. \r and \n inside s become spaces, as Redis does. */
vl_status vl_resp_write_simple(vl_buf *b, const char *s, size_t len);
/* -s\r\n. s carries its own code: "ERR wrong number of arguments ...",
 * "WRONGTYPE ...". \r and \n inside s become spaces, as Redis does. */
vl_status vl_resp_write_error(vl_buf *b, const char *s, size_t len);
/* :v\r\n */
vl_status vl_resp_write_int(vl_buf *b, long long v);
/* $len\r\n<bytes>\r\n */
vl_status vl_resp_write_bulk(vl_buf *b, const void *p, size_t len);
/* Missing value (GET of an absent key): RESP2 $-1\r\n, RESP3 _\r\n. */
vl_status vl_resp_write_null(vl_buf *b, int proto);
/* Missing aggregate (BLPOP timeout): RESP2 *-1\r\n, RESP3 _\r\n. */
vl_status vl_resp_write_null_array(vl_buf *b, int proto);
/* *n\r\n */
vl_status vl_resp_write_array(vl_buf *b, size_t n);
/* n key/value pairs follow: RESP3 %n\r\n, RESP2 *2n\r\n (HGETALL). */
vl_status vl_resp_write_map(vl_buf *b, int proto, size_t pairs);
/* n members follow: RESP3 ~n\r\n, RESP2 *n\r\n (SMEMBERS). */
vl_status vl_resp_write_set(vl_buf *b, int proto, size_t n);
/* A double as Redis 7.0 writes a score (ZSCORE): "%.17g", and inf, -inf;
 * RESP3 ,<text>\r\n, RESP2 a bulk string of the same text. */
vl_status vl_resp_write_double(vl_buf *b, int proto, double d);
/* A long double as Redis writes INCRBYFLOAT and HINCRBYFLOAT results, a
 * bulk string in both protocols: "%.17Lf" with trailing zeros (and a
 * trailing '.') removed, "-0" written as "0", and inf, -inf. */
vl_status vl_resp_write_ldouble(vl_buf *b, long double v);
/* The text vl_resp_write_ldouble writes, into t[0..cap); returns its length
 * (0 if cap is too small; VL_RESP_LDOUBLE_CHARS always suffices). INCRBYFLOAT
 * stores this text as the new value. */
#define VL_RESP_LDOUBLE_CHARS 5120
size_t vl_resp_ldouble_text(char *t, size_t cap, long double v);
/* RESP3 #t\r\n / #f\r\n, RESP2 :1\r\n / :0\r\n. */
vl_status vl_resp_write_bool(vl_buf *b, int proto, bool v);
/* Text for people (INFO, CLIENT INFO). RESP3 =<len+4>\r\n<ext>:<bytes>\r\n
 * where ext is three characters ("txt", "mkd"); RESP2 a bulk string of the
 * bytes alone. */
vl_status vl_resp_write_verbatim(vl_buf *b, int proto, const char ext[3],
                                 const void *p, size_t len);

#endif /* VELLIR_SERVER_RESP_H */
