/*
 * log.c -- messages a status cannot carry (which key, which upstream, why),
 * and the report of a failed assertion.
 *
 * Owns: vl__logf, vl_key_repr, vl__assert_fail. Threads: any thread; the
 * default sink is a single fprintf to stderr per message, which stdio keeps
 * whole.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/assert.h"
#include "util/log.h"
#include "vellir_upstream.h"

static const char *level_name(vl_log_level l) {
    return l == VL_LOG_ERROR ? "error" : l == VL_LOG_WARN ? "warning" : "info";
}

void vl__logf(const vl_log_sink *sink, vl_log_level level, const char *fmt, ...) {
    if (!sink->fn && level > VL_LOG_WARN) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sink->fn) sink->fn(sink->arg, level, msg);
    else fprintf(stderr, "vellir: %s: %s\n", level_name(level), msg);
}

_Noreturn void vl__assert_fail(const char *file, int line, const char *expr) {
    fprintf(stderr, "vellir: %s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}

const char *vl_key_repr(const void *key, size_t len, char *out, size_t cap) {
    static const char hex[] = "0123456789abcdef";
    const uint8_t *k = key;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (o + 8 >= cap) {
            memcpy(out + o, "...", 4);
            return out;
        }
        if (k[i] >= 0x20 && k[i] < 0x7f && k[i] != '\\' && k[i] != '\'') {
            out[o++] = (char)k[i];
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[k[i] >> 4];
            out[o++] = hex[k[i] & 15];
        }
    }
    out[o] = 0;
    return out;
}
