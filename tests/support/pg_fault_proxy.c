/*
 * pg_fault_proxy.c -- the fault-injecting PostgreSQL proxy of
 * pg_fault_proxy.h.
 *
 * Owns: the listener, the accept thread, and per connection a pair of
 * threads: `up` reads the client's messages and forwards them (and cuts
 * after an armed commit's Sync), `down` copies the server's bytes back.
 * Threads: the proxy's own; the API from any thread (a mutex guards the
 * connection list, atomics the counters).
 *
 * Frontend protocol, as far as it reads it: a startup packet (int32 length,
 * then the rest; an SSLRequest or GSSENCRequest is followed by another
 * startup packet), then messages of one type byte, an int32 length that
 * counts itself, and the body. Bind's body starts with the portal's and the
 * statement's names, NUL-terminated.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pg_fault_proxy.h"

typedef struct conn_pair {
    struct conn_pair *next;
    pg_fault_proxy *p;
    int cfd, sfd;
    pthread_t up, down;
} conn_pair;

struct pg_fault_proxy {
    int lfd, port;
    struct sockaddr_in server;
    pthread_t acceptor;
    pthread_mutex_t mu;
    conn_pair *links;
    _Atomic int armed, cuts, accepted;
};

/* ---- byte plumbing ----------------------------------------------------- */

static bool write_all(int fd, const uint8_t *b, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static bool read_all(int fd, uint8_t *b, size_t n) {
    while (n > 0) {
        ssize_t r = recv(fd, b, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        b += r;
        n -= (size_t)r;
    }
    return true;
}

static uint32_t be32(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void cut(conn_pair *l) {
    shutdown(l->cfd, SHUT_RDWR);
    shutdown(l->sfd, SHUT_RDWR);
}

/* ---- client -> server --------------------------------------------------- */

/* Forwards startup packets until the real one (not an SSL/GSS request). */
static bool pass_startup(conn_pair *l) {
    for (;;) {
        uint8_t head[8];
        if (!read_all(l->cfd, head, 8)) return false;
        uint32_t len = be32(head), code = be32(head + 4);
        if (len < 8 || len > 10000) return false;
        uint8_t *rest = malloc(len);
        if (!rest) return false;
        memcpy(rest, head, 8);
        bool ok = read_all(l->cfd, rest + 8, len - 8) && write_all(l->sfd, rest, len);
        free(rest);
        if (!ok) return false;
        if (code != 80877103u && code != 80877104u) return true; /* not SSL/GSS request */
    }
}

/* Is this Bind's statement one of the upstream's commit statements? */
static bool binds_commit(const uint8_t *body, size_t n) {
    const uint8_t *portal_end = memchr(body, 0, n);
    if (!portal_end) return false;
    const char *stmt = (const char *)portal_end + 1;
    size_t left = n - (size_t)(portal_end + 1 - body);
    return left > 6 && (strncmp(stmt, "vl_put", 6) == 0 || strncmp(stmt, "vl_del", 6) == 0);
}

static bool take_ticket(pg_fault_proxy *p) {
    int n = atomic_load(&p->armed);
    while (n > 0)
        if (atomic_compare_exchange_weak(&p->armed, &n, n - 1)) return true;
    return false;
}

static void *up_main(void *arg) {
    conn_pair *l = arg;
    bool commit_pending = false;
    if (!pass_startup(l)) goto out;
    for (;;) {
        uint8_t head[5];
        if (!read_all(l->cfd, head, 5)) break;
        uint32_t len = be32(head + 1);
        if (len < 4 || len > (1u << 30)) break;
        uint8_t *msg = malloc(len + 1);
        if (!msg) break;
        memcpy(msg, head, 5);
        if (!read_all(l->cfd, msg + 5, len - 4)) {
            free(msg);
            break;
        }
        if (head[0] == 'B' && binds_commit(msg + 5, len - 4)) commit_pending = true;
        bool cut_now = head[0] == 'S' && commit_pending && take_ticket(l->p);
        if (head[0] == 'S') commit_pending = false;
        if (cut_now) shutdown(l->cfd, SHUT_RDWR); /* no answer may reach the client */
        bool ok = write_all(l->sfd, msg, len + 1);
        free(msg);
        if (cut_now) {
            atomic_fetch_add(&l->p->cuts, 1);
            break;
        }
        if (!ok) break;
    }
out:
    cut(l);
    return NULL;
}

/* ---- server -> client ----------------------------------------------------- */

static void *down_main(void *arg) {
    conn_pair *l = arg;
    uint8_t buf[65536];
    for (;;) {
        ssize_t r = recv(l->sfd, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || !write_all(l->cfd, buf, (size_t)r)) break;
    }
    cut(l);
    return NULL;
}

/* ---- accepting ---------------------------------------------------------------- */

static void *accept_main(void *arg) {
    pg_fault_proxy *p = arg;
    for (;;) {
        int cfd = accept(p->lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return NULL; /* the listener was shut down */
        }
        int sfd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        if (sfd < 0 || connect(sfd, (struct sockaddr *)&p->server, sizeof p->server) != 0) {
            if (sfd >= 0) close(sfd);
            close(cfd);
            continue;
        }
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_pair *l = calloc(1, sizeof *l);
        if (!l) {
            close(cfd);
            close(sfd);
            continue;
        }
        *l = (conn_pair){.p = p, .cfd = cfd, .sfd = sfd};
        pthread_mutex_lock(&p->mu);
        l->next = p->links;
        p->links = l;
        pthread_create(&l->up, NULL, up_main, l);
        pthread_create(&l->down, NULL, down_main, l);
        pthread_mutex_unlock(&p->mu);
        atomic_fetch_add(&p->accepted, 1);
    }
}

pg_fault_proxy *pgfp_start(const char *host, int port) {
    pg_fault_proxy *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->server.sin_family = AF_INET;
    p->server.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &p->server.sin_addr) != 1) goto fail;
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(p->lfd, 64) != 0 || getsockname(p->lfd, (struct sockaddr *)&a, &alen) != 0)
        goto fail;
    p->port = ntohs(a.sin_port);
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->acceptor, NULL, accept_main, p) != 0) goto fail;
    return p;
fail:
    if (p->lfd > 0) close(p->lfd);
    free(p);
    return NULL;
}

int pgfp_port(const pg_fault_proxy *p) { return p->port; }
void pgfp_cut_after_commit(pg_fault_proxy *p, int n) { atomic_store(&p->armed, n); }
int pgfp_cuts(pg_fault_proxy *p) { return atomic_load(&p->cuts); }
int pgfp_accepted(pg_fault_proxy *p) { return atomic_load(&p->accepted); }

void pgfp_cut_all(pg_fault_proxy *p) {
    pthread_mutex_lock(&p->mu);
    for (conn_pair *l = p->links; l; l = l->next) cut(l);
    pthread_mutex_unlock(&p->mu);
}

void pgfp_stop(pg_fault_proxy *p) {
    shutdown(p->lfd, SHUT_RDWR);
    pthread_join(p->acceptor, NULL);
    close(p->lfd);
    pgfp_cut_all(p);
    for (conn_pair *l = p->links, *next; l; l = next) {
        next = l->next;
        pthread_join(l->up, NULL);
        pthread_join(l->down, NULL);
        close(l->cfd);
        close(l->sfd);
        free(l);
    }
    pthread_mutex_destroy(&p->mu);
    free(p);
}
