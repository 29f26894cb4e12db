/*
 * log.h -- where the library's messages go: a sink (the function and
 * argument of vl_options.log), and vl__logf, which formats one message into it.
 *
 * Owns: vl_log_sink, vl__logf. Threads: any thread; a sink is read-only once
 * a service has started.
 */
#ifndef VL_UTIL_LOG_H
#define VL_UTIL_LOG_H

#include "vellir.h"

typedef struct vl_log_sink {
    void (*fn)(void *arg, vl_log_level level, const char *msg); /* NULL: stderr */
    void *arg;
} vl_log_sink;

/* Formats a message (at most 1 KiB) and hands it to the sink. Without a
 * sink, errors and warnings go to stderr as one line; info is dropped. */
void vl__logf(const vl_log_sink *sink, vl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
