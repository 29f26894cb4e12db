/*
 * conn.c -- a client connection on its home shard: reading, parsing,
 * dispatching, the reply FIFO, writing, backpressure and closing.
 *
 * Owns: srv_conn's socket side (its socket, buffers, parser), the shard's
 * tick and busy list. The reply FIFO and the ops are op.c's (conn.h); this
 * file calls into them and into the commands (cmd_dispatch), never the
 * reverse.
 * Threads: a connection and everything here run on its home shard's thread
 * only (ops come home through vl_post before they touch it).
 *
 * ==== The state machine ====
 *
 *   (accepted) --> OPEN     reads while not paused; parses and dispatches
 *                           requests in order; replies leave in order
 *   OPEN --QUIT, a protocol error, SHUTDOWN, the server's drain--> CLOSING
 *                           nothing more is read or parsed; the replies of
 *                           what is under way are still written
 *   CLOSING --FIFO empty, output written--> CLOSED
 *   OPEN/CLOSING --peer closed or reset, write error, output past the hard
 *                  limit, drain deadline--> CLOSED at once
 *   CLOSED                  the handle closes; ops still under way are
 *                           detached (they free themselves when they come
 *                           home); the conn is freed in the close callback,
 *                           or by the tick or busy list that still holds it
 *
 * Pauses (while OPEN; any of them stops parsing and reading, so the socket's
 * receive window pushes back on the client):
 *   inflight >= VL_SRV_CONN_INFLIGHT_MAX   too many commands under way
 *   unsent output >= VL_SRV_OUTPUT_SOFT    the client is not reading
 *   barrier                                a command that runs alone
 *                                          (FLUSHALL, MSETNX, SHUTDOWN...)
 *                                          is waiting for or running in an
 *                                          otherwise empty pipeline
 *   resume != NULL                         a shard's mailbox was full; the
 *                                          busy timer retries the op
 *
 * ==== Replies in order ====
 *
 * Every command that does not answer at once is an op in the FIFO. An op
 * finishes whenever its parts are done, in any order; the FIFO moves replies
 * to `out` only from its head, so they leave in request order. A command
 * answered at once writes straight into `out` when the FIFO is empty, or
 * into an already finished op queued behind the others. `out` is written
 * with uv_try_write on the shard's tick (so a pipeline's replies leave in
 * one write); what the kernel does not take goes to a uv_write of `wbuf`.
 *
 * A reply in progress never blocks the shard: a slow client only stops
 * being read, and one past the hard output limit (VL_SRV_OUTPUT_MAX_DEFAULT,
 * --client-output-limit) is disconnected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "conn.h"
#include "net.h"
#include "reply.h"

static void conn_close_now(srv_conn *c);
static void conn_process(srv_conn *c);
static void conn_flush(srv_conn *c);

static size_t out_pending(const srv_conn *c) {
    return c->out.len + (c->writing ? c->wbuf.len - c->wpos : 0);
}

static bool paused(const srv_conn *c) {
    return c->inflight >= VL_SRV_CONN_INFLIGHT_MAX || out_pending(c) >= VL_SRV_OUTPUT_SOFT ||
           c->barrier || c->waiting_barrier || c->resume || c->out_lost;
}

/* A reply could not be queued (op.c, out of memory): the connection
 * closes before anything more is sent. */
static bool close_if_reply_lost(srv_conn *c) {
    if (!c->out_lost) return false;
    conn_close_now(c);
    return true;
}

/* ---- the shard's tick and busy list -------------------------------------- */

static void conn_maybe_free(srv_conn *c);

void shard_tick(vl_task *t) {
    srv_shard *sh = (srv_shard *)((char *)t - offsetof(srv_shard, tick));
    sh->tick_posted = false;
    srv_conn *c = sh->tick_head;
    sh->tick_head = NULL;
    while (c) {
        srv_conn *next = c->tick_next;
        c->in_tick = false;
        if (c->state == CONN_CLOSED) {
            conn_maybe_free(c);
        } else {
            conn_process(c);
            conn_flush(c);
        }
        c = next;
    }
}

static void shard_busy_cb(uv_timer_t *t);

static void busy_wait(srv_conn *c) {
    srv_shard *sh = c->sh;
    if (!c->in_busy) {
        c->in_busy = true;
        c->busy_next = sh->busy_head;
        sh->busy_head = c;
    }
    if (!sh->busy_timer_on) {
        sh->busy_timer_on = true;
        uv_timer_start(&sh->busy_timer, shard_busy_cb, VL_SRV_BUSY_RETRY_MS, 0);
    }
}

static void shard_busy_cb(uv_timer_t *t) {
    srv_shard *sh = t->data;
    sh->busy_timer_on = false;
    srv_conn *c = sh->busy_head;
    sh->busy_head = NULL;
    while (c) {
        srv_conn *next = c->busy_next;
        c->in_busy = false;
        if (c->state == CONN_CLOSED) {
            conn_maybe_free(c);
        } else if (c->resume) {
            srv_op *op = c->resume;
            if (op_resume(op)) {
                if (c->resume == op) c->resume = NULL;
                conn_kick(c);
            } else {
                busy_wait(c);
            }
        }
        c = next;
    }
}

/* ---- reading ------------------------------------------------------------- */

static void update_reading(srv_conn *c);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    srv_conn *c = (srv_conn *)h;
    uint8_t *p = vl_buf_reserve(&c->in, VL_SRV_READ_CHUNK);
    buf->base = (char *)p;
    buf->len = p ? VL_SRV_READ_CHUNK : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    (void)buf;
    srv_conn *c = (srv_conn *)s;
    if (n == 0) return; /* EAGAIN */
    if (n < 0) {       /* EOF, reset, or no memory for the read (UV_ENOBUFS) */
        conn_close_now(c);
        return;
    }
    c->in.len += (size_t)n;
    SRV_ADD(c->sh, net_in, (uint64_t)n);
    conn_process(c);
    conn_flush(c);
}

static void update_reading(srv_conn *c) {
    bool want = c->state == CONN_OPEN && !paused(c);
    if (want == c->reading) return;
    if (want) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = true;
    } else {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* Moves the unparsed input to the front, and lets a big idle buffer go. */
static void compact_input(srv_conn *c) {
    if (c->in_pos == 0) return;
    size_t rest = c->in.len - c->in_pos;
    if (rest) memmove(c->in.data, c->in.data + c->in_pos, rest);
    c->in.len = rest;
    c->in_pos = 0;
    if (rest == 0 && c->in.cap > VL_SRV_BUF_KEEP + VL_SRV_READ_CHUNK) vl_buf_free(&c->in);
}

/* Parses and dispatches the buffered requests while nothing pauses it. */
static void conn_process(srv_conn *c) {
    srv_shard *sh = c->sh;
    uint64_t cmds = 0;
    if (close_if_reply_lost(c)) return;
    c->wants_input = false;
    while (c->state == CONN_OPEN && !paused(c) && c->in_pos < c->in.len) {
        vl_resp_parser *ps = &c->ps;
        vl_resp_result r = vl_resp_parse(ps, c->in.data + c->in_pos, c->in.len - c->in_pos);
        if (r == VL_RESP_INCOMPLETE) {
            c->wants_input = true;
            break;
        }
        if (r == VL_RESP_ERROR) {
            reply_error(conn_reply_buf(c), ps->errmsg);
            c->in_pos = c->in.len;
            conn_close_after_replies(c);
            break;
        }
        if (ps->argc == 0) {
            c->in_pos += ps->consumed;
            continue;
        }
        size_t consumed = ps->consumed;
        if (!cmd_dispatch(c, ps->argv, ps->argc)) { /* parsed again once alone */
            c->waiting_barrier = true;
            break;
        }
        c->in_pos += consumed;
        cmds++;
    }
    if (cmds) SRV_ADD(sh, commands, cmds);
    compact_input(c);
    update_reading(c);
    if (c->resume) busy_wait(c); /* an op met a full mailbox: retry it */
}

/* ---- writing ------------------------------------------------------------- */

static void on_write(uv_write_t *w, int status) {
    srv_conn *c = w->data;
    if (c->state == CONN_CLOSED) return; /* cancelled by the close */
    c->writing = false;
    SRV_ADD(c->sh, net_out, c->wbuf.len - c->wpos);
    c->wbuf.len = 0;
    c->wpos = 0;
    if (c->wbuf.cap > VL_SRV_BUF_KEEP) vl_buf_free(&c->wbuf);
    if (status < 0) {
        conn_close_now(c);
        return;
    }
    conn_flush(c);
    conn_kick(c); /* below the soft limit again: parse what waits */
}

static void write_some(srv_conn *c) {
    uv_buf_t b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN || n == UV_ENOSYS) n = 0;
    if (n < 0) {
        conn_close_now(c);
        return;
    }
    SRV_ADD(c->sh, net_out, (uint64_t)n);
    if ((size_t)n == c->out.len) {
        c->out.len = 0;
        if (c->out.cap > VL_SRV_BUF_KEEP) vl_buf_free(&c->out);
        return;
    }
    vl_buf t = c->wbuf; /* the rest goes to a uv_write of its own buffer */
    c->wbuf = c->out;
    c->out = t;
    c->out.len = 0;
    c->wpos = (size_t)n;
    c->wreq.data = c;
    uv_buf_t rest = uv_buf_init((char *)c->wbuf.data + n, (unsigned)(c->wbuf.len - (size_t)n));
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &rest, 1, on_write) != 0) {
        conn_close_now(c);
        return;
    }
    c->writing = true;
}

static void conn_flush(srv_conn *c) {
    if (c->state == CONN_CLOSED || close_if_reply_lost(c)) return;
    if (!c->writing && c->out.len > 0) write_some(c);
    if (c->state == CONN_CLOSED) return;
    srv *s = c->sh->srv;
    if (out_pending(c) > s->cfg.output_limit) {
        fprintf(stderr,
                "vellir-server: client id=%llu addr=%s closed: %zu bytes of replies unread "
                "exceed the output limit (%llu)\n",
                (unsigned long long)c->id, c->addr, out_pending(c),
                (unsigned long long)s->cfg.output_limit);
        SRV_ADD(c->sh, output_disconnects, 1);
        conn_close_now(c);
        return;
    }
    if (c->state == CONN_CLOSING && !c->head && out_pending(c) == 0) {
        conn_close_now(c);
        return;
    }
    /* Writing may have lifted the output pause while whole requests wait
     * in the input: parse them on the next tick (nothing else would). */
    if (c->state == CONN_OPEN && !paused(c) && c->in_pos < c->in.len && !c->wants_input)
        conn_kick(c);
    update_reading(c);
}

/* ---- opening and closing --------------------------------------------------- */

static void conn_unlink(srv_conn *c) {
    srv_shard *sh = c->sh;
    if (c->prev) c->prev->next = c->next;
    else sh->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void conn_maybe_free(srv_conn *c) {
    if (!c->handle_closed || c->in_tick || c->in_busy) return;
    vl_buf_free(&c->in);
    vl_buf_free(&c->out);
    vl_buf_free(&c->wbuf);
    vl_resp_parser_free(&c->ps);
    free(c->name);
    free(c);
}

static void on_close(uv_handle_t *h) {
    srv_conn *c = (srv_conn *)h;
    srv_shard *sh = c->sh;
    conn_unlink(c);
    atomic_fetch_sub(&sh->ctr.conns, 1);
    c->handle_closed = true;
    conn_maybe_free(c);
}

static void conn_close_now(srv_conn *c) {
    if (c->state == CONN_CLOSED) return;
    c->state = CONN_CLOSED;
    c->reading = false;
    for (srv_op *op = c->head; op;) {
        srv_op *next = op->next;
        op_abandon(op);
        op = next;
    }
    c->head = c->tail = c->resume = NULL;
    c->inflight = 0;
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

void conn_adopt(srv_shard *sh, int fd) {
    srv_conn *c = calloc(1, sizeof *c);
    if (!c || sh->draining || uv_tcp_init(sh->loop, &c->tcp) != 0) {
        free(c);
        close(fd);
        atomic_fetch_sub(&sh->ctr.conns, 1);
        return;
    }
    c->sh = sh;
    c->proto = 2;
    c->id = atomic_fetch_add(&sh->srv->next_client_id, 1);
    c->since_ms = uv_now(sh->loop);
    (void)vl_resp_parser_init(&c->ps, NULL);
    c->next = sh->conns;
    if (sh->conns) sh->conns->prev = c;
    sh->conns = c;
    SRV_ADD(sh, conns_total, 1);
    if (uv_tcp_open(&c->tcp, fd) != 0) {
        close(fd);
        conn_close_now(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char host[48] = "?";
    int port = 0;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof host);
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        } else {
            uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof host);
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        }
    }
    snprintf(c->addr, sizeof c->addr, "%s:%d", host, port);
    update_reading(c);
}

void conn_drain_all(srv_shard *sh) {
    sh->draining = true;
    for (srv_conn *c = sh->conns; c; c = c->next) conn_close_after_replies(c);
}

void conn_close_all(srv_shard *sh) {
    for (srv_conn *c = sh->conns; c;) {
        srv_conn *next = c->next;
        conn_close_now(c);
        c = next;
    }
}

/* Teardown: connections still on the busy list are let go. */
void conn_release_busy(srv_shard *sh) {
    srv_conn *c = sh->busy_head;
    sh->busy_head = NULL;
    sh->busy_timer_on = false;
    while (c) {
        srv_conn *next = c->busy_next;
        c->in_busy = false;
        if (c->state == CONN_CLOSED) conn_maybe_free(c);
        c = next;
    }
}
