/*
 * listen.c -- the listening socket and the hand-off of accepted
 * connections to the shards.
 *
 * Owns: the listening socket (srv_listener). Threads: shard 0's thread
 * (listener_start, the poll callback, listener_stop); an accepted socket
 * then belongs to the shard it is posted to.
 *
 * Accept and hand off: one socket, watched by shard 0's loop (a uv_poll on
 * a plain non-blocking socket, so the accepted descriptor is never tied to
 * shard 0's loop). Each readiness accepts up to VL_SRV_ACCEPT_BATCH
 * connections and posts each to the shard with the fewest connections
 * (ties: round robin), which adopts it into a uv_tcp_t on its own loop.
 * One connection lives on one shard for its whole life. The alternative,
 * SO_REUSEPORT with a socket per shard, lets the kernel spread connections
 * by hash, which leaves shards unevenly loaded with few clients (50
 * benchmark clients over 2 shards often split 30/20), and lets a second
 * server bind the same port unnoticed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

typedef struct srv_listener {
    uv_poll_t poll;
    int fd;
    srv *s;
    uint32_t rr;
} srv_listener;

typedef struct adopt_task {
    vl_task t;
    srv_shard *sh;
    int fd;
} adopt_task;

static void adopt_fn(vl_task *t) {
    adopt_task *a = (adopt_task *)t;
    conn_adopt(a->sh, a->fd);
    free(a);
}

static uint32_t pick_shard(srv_listener *l) {
    srv *s = l->s;
    uint32_t best = l->rr % s->nshards, best_n = UINT32_MAX;
    for (uint32_t k = 0; k < s->nshards; k++) {
        uint32_t i = (l->rr + k) % s->nshards;
        uint32_t n = atomic_load(&s->shards[i].ctr.conns);
        if (n < best_n) {
            best = i;
            best_n = n;
        }
    }
    l->rr++;
    return best;
}

static uint64_t total_conns(srv *s) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nshards; i++) n += atomic_load(&s->shards[i].ctr.conns);
    return n;
}

static void refuse(srv *s, int fd) {
    static const char msg[] = "-ERR max number of clients reached\r\n";
    (void)!send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
    SRV_ADD(&s->shards[0], rejected, 1);
}

static void hand_off(srv_listener *l, int fd) {
    srv *s = l->s;
    if (total_conns(s) >= s->cfg.maxclients) {
        refuse(s, fd);
        return;
    }
    srv_shard *sh = &s->shards[pick_shard(l)];
    adopt_task *a = malloc(sizeof *a);
    if (!a) {
        close(fd);
        return;
    }
    a->t.fn = adopt_fn;
    a->sh = sh;
    a->fd = fd;
    atomic_fetch_add(&sh->ctr.conns, 1); /* counted now, so a burst spreads */
    if (vl_post(s->svc, sh->index, &a->t) != VL_OK) {
        atomic_fetch_sub(&sh->ctr.conns, 1);
        close(fd);
        free(a);
    }
}

static void on_readable(uv_poll_t *p, int status, int events) {
    (void)events;
    srv_listener *l = p->data;
    if (status < 0) return;
    for (unsigned i = 0; i < VL_SRV_ACCEPT_BATCH; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fprintf(stderr, "vellir-server: accept: %s\n", strerror(errno));
            return;
        }
        hand_off(l, fd);
    }
}

/* A bound, listening, non-blocking socket for bind:port, or -errno. */
static int open_socket(const char *host, unsigned port, uint16_t *bound) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%u", port);
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g != 0) {
        fprintf(stderr, "vellir-server: cannot resolve '%s': %s\n", host, gai_strerror(g));
        return -EINVAL;
    }
    int err = -EADDRNOTAVAIL;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = -errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 511) == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            getsockname(fd, (struct sockaddr *)&ss, &sl);
            *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                    : ((struct sockaddr_in *)&ss)->sin_port);
            freeaddrinfo(res);
            return fd;
        }
        err = -errno;
        close(fd);
    }
    freeaddrinfo(res);
    return err;
}

int listener_start(srv *s) {
    srv_listener *l = calloc(1, sizeof *l);
    if (!l) return -ENOMEM;
    int fd = open_socket(s->cfg.bind, s->cfg.port, &s->port);
    if (fd < 0) {
        free(l);
        return fd;
    }
    l->fd = fd;
    l->s = s;
    if (uv_poll_init(s->shards[0].loop, &l->poll, fd) != 0) {
        close(fd);
        free(l);
        return -EINVAL;
    }
    l->poll.data = l;
    uv_poll_start(&l->poll, UV_READABLE, on_readable);
    s->listener = l;
    return 0;
}

static void on_listener_closed(uv_handle_t *h) {
    srv_listener *l = h->data;
    close(l->fd);
    free(l);
}

void listener_stop(srv *s) {
    srv_listener *l = s->listener;
    if (!l) return;
    s->listener = NULL;
    uv_poll_stop(&l->poll);
    uv_close((uv_handle_t *)&l->poll, on_listener_closed);
}
