/*
 * options.c -- applying an options table (options.h) to a struct.
 *
 * Owns: vl__opt_defaults, vl__opt_check. Threads: any thread.
 */
#include <stdio.h>
#include <string.h>

#include "util/options.h"

static uint64_t get(const vl_opt_row *r, const void *opts) {
    const char *p = (const char *)opts + r->offset;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    bool b;
    switch ((vl_opt_kind)r->kind) {
    case OPT_U16: memcpy(&u16, p, sizeof u16); return u16;
    case OPT_U32: memcpy(&u32, p, sizeof u32); return u32;
    case OPT_U64: memcpy(&u64, p, sizeof u64); return u64;
    case OPT_BOOL: memcpy(&b, p, sizeof b); return b;
    case OPT_STR: break;
    }
    return 0;
}

static void set(const vl_opt_row *r, void *opts, uint64_t v) {
    char *p = (char *)opts + r->offset;
    uint16_t u16 = (uint16_t)v;
    uint32_t u32 = (uint32_t)v;
    bool b = v != 0;
    switch ((vl_opt_kind)r->kind) {
    case OPT_U16: memcpy(p, &u16, sizeof u16); break;
    case OPT_U32: memcpy(p, &u32, sizeof u32); break;
    case OPT_U64: memcpy(p, &v, sizeof v); break;
    case OPT_BOOL: memcpy(p, &b, sizeof b); break;
    case OPT_STR: memcpy(p, &r->def_str, sizeof r->def_str); break;
    }
}

static bool is_unset_str(const vl_opt_row *r, const void *opts) {
    const char *s;
    memcpy(&s, (const char *)opts + r->offset, sizeof s);
    return s == NULL;
}

void vl__opt_defaults(const vl_opt_row *t, size_t n, void *opts) {
    for (size_t i = 0; i < n; i++) set(&t[i], opts, t[i].zero == OPT_ZERO_AUTO ? 0 : t[i].def);
}

bool vl__opt_check(const vl_opt_row *t, size_t n, void *opts, char *why, size_t cap) {
    for (size_t i = 0; i < n; i++) {
        const vl_opt_row *r = &t[i];
        if (r->kind == OPT_STR) {
            if (is_unset_str(r, opts)) set(r, opts, 0);
            continue;
        }
        uint64_t v = get(r, opts);
        if (v == 0 && r->zero == OPT_ZERO_DEFAULT) set(r, opts, v = r->def);
        if (v == 0 && r->zero == OPT_ZERO_AUTO) continue;
        if (v >= r->min && v <= r->max) continue;
        if (why)
            snprintf(why, cap, "%s = %llu is outside [%llu, %llu]: %s", r->name,
                 (unsigned long long)v, (unsigned long long)r->min,
                 (unsigned long long)r->max, r->why);
        return false;
    }
    return true;
}
