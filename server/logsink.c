/*
 * logsink.c -- libvellir's log messages in vellir-server (logsink.h).
 *
 * Owns: nothing global; each srv_log is its caller's. Threads: see
 * logsink.h.
 */
#include <stdio.h>
#include <string.h>

#include "logsink.h"

/* The prefix the cache puts before an upstream's own messages
 * ("upstream postgres, shard 3: ..."; src/cache/shard.c). */
#define UPSTREAM_PREFIX "upstream "

static const char *level_name(vl_log_level level) {
    return level == VL_LOG_ERROR ? "error" : level == VL_LOG_WARN ? "warning" : "info";
}

static void print(vl_log_level level, const char *msg) {
    fprintf(stderr, "vellir-server: %s: %s\n", level_name(level), msg);
}

void srv_log_init(srv_log *l, int level) {
    memset(l, 0, sizeof *l);
    l->level = level;
    pthread_mutex_init(&l->mu, NULL);
}

void srv_log_fini(srv_log *l) { pthread_mutex_destroy(&l->mu); }

/* "upstream NAME, shard N: text" -> "text"; other messages as they are. */
static const char *without_prefix(const char *msg) {
    if (strncmp(msg, UPSTREAM_PREFIX, strlen(UPSTREAM_PREFIX))) return msg;
    const char *comma = strchr(msg, ','), *colon = strstr(msg, ": ");
    if (!comma || !colon || colon < comma || strncmp(comma, ", shard ", 8)) return msg;
    return colon + 2;
}

void srv_log_sink(void *arg, vl_log_level level, const char *msg) {
    srv_log *l = arg;
    bool upstream = !strncmp(msg, UPSTREAM_PREFIX, strlen(UPSTREAM_PREFIX));
    bool own = without_prefix(msg) != msg; /* the upstream's own words */
    bool show = (int)level <= l->level;
    pthread_mutex_lock(&l->mu);
    if (own && level <= VL_LOG_WARN) {
        snprintf(l->last, sizeof l->last, "%s: %s", level_name(level), msg);
        l->last_ms = vl_time_ms();
    }
    if (l->holding && level == VL_LOG_ERROR && upstream) {
        /* The cache's own "upstream NAME failed to open on shard N" follows
         * each shard's reason: the first reason is what is kept. */
        if (own && !l->first[0]) snprintf(l->first, sizeof l->first, "%s", msg);
        show = l->level >= VL_LOG_INFO;
    }
    pthread_mutex_unlock(&l->mu);
    if (show) print(level, msg);
}

void srv_log_hold(srv_log *l) {
    pthread_mutex_lock(&l->mu);
    l->holding = true;
    l->first[0] = 0;
    pthread_mutex_unlock(&l->mu);
}

void srv_log_release(srv_log *l, bool print_kept) {
    char kept[sizeof l->first];
    pthread_mutex_lock(&l->mu);
    l->holding = false;
    snprintf(kept, sizeof kept, "%s", l->first);
    l->first[0] = 0;
    pthread_mutex_unlock(&l->mu);
    if (print_kept && kept[0] && l->level < VL_LOG_INFO) print(VL_LOG_ERROR, kept);
}

void srv_log_first(srv_log *l, char *out, size_t cap) {
    pthread_mutex_lock(&l->mu);
    snprintf(out, cap, "%s", without_prefix(l->first));
    pthread_mutex_unlock(&l->mu);
}

void srv_log_last(srv_log *l, char *out, size_t cap, int64_t *at_ms) {
    pthread_mutex_lock(&l->mu);
    snprintf(out, cap, "%s", l->last);
    *at_ms = l->last_ms;
    pthread_mutex_unlock(&l->mu);
}
