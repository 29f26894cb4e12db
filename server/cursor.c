/*
 * cursor.c -- SCAN's cursors and options (cursor.h): Redis's parsing, and
 * the per-shard table from integer cursors to scan positions.
 *
 * Owns: each srv_cursors and the positions it holds. Threads: the parsers
 * any thread; a table its shard's thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "reply.h"
#include "vellir_limits.h"

/* ---- parsing ----------------------------------------------------------------- */

static bool blank(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool scan_cursor_parse(const uint8_t *p, size_t n, uint64_t *out) {
    const uint8_t *z = memchr(p, 0, n);
    if (z) n = (size_t)(z - p); /* strtoul reads a C string */
    if (n && blank(p[0])) return false;
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
    if (i == n) { /* no digits: strtoul leaves its end at the start */
        *out = 0;
        return n == 0;
    }
    uint64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        unsigned d = p[i] - '0';
        if (v > (UINT64_MAX - d) / 10) return false; /* ERANGE */
        v = v * 10 + d;
    }
    *out = neg ? 0 - v : v; /* strtoul negates in unsigned arithmetic */
    return true;
}

void scan_opts_parse(const vl_resp_arg *argv, size_t argc, size_t first, bool with_type,
                     scan_opts *o) {
    *o = (scan_opts){10, 0, 0, SCAN_OPT_OK};
    for (size_t i = first; i < argc; i += 2) {
        bool has_value = argc - i >= 2;
        if (has_value && arg_is(&argv[i], "count")) {
            if (!arg_ll(&argv[i + 1], &o->count)) {
                o->error = SCAN_OPT_NOT_INT;
                return;
            }
            if (o->count < 1) {
                o->error = SCAN_OPT_SYNTAX;
                return;
            }
        } else if (has_value && arg_is(&argv[i], "match")) {
            bool all = argv[i + 1].len == 1 && argv[i + 1].p[0] == '*';
            o->match = all ? 0 : i + 1;
        } else if (has_value && with_type && arg_is(&argv[i], "type")) {
            o->type = i + 1;
        } else {
            o->error = SCAN_OPT_SYNTAX;
            return;
        }
    }
}

void scan_opts_error(vl_buf *b, const scan_opts *o) {
    if (o->error == SCAN_OPT_NOT_INT) reply_not_int(b);
    else reply_syntax(b);
}

/* ---- the table ------------------------------------------------------------------ */

typedef struct slot {
    uint32_t tag; /* 0: free */
    uint32_t len;
    uint8_t *pos;
} slot;

struct srv_cursors {
    slot s[VL_SRV_SCAN_CURSORS];
    uint32_t hand;  /* the next slot to (re)use */
    uint64_t bytes; /* held by positions */
    uint64_t rng;
};

_Static_assert(VL_SRV_SCAN_CURSORS <= 65536, "a slot is 16 bits of the cursor");
_Static_assert(VL_SHARDS_MAX <= 256, "a shard is 8 bits of the cursor");

srv_cursors *cursors_new(uint64_t seed) {
    srv_cursors *t = calloc(1, sizeof *t);
    if (t) t->rng = seed | 1;
    return t;
}

static void slot_clear(srv_cursors *t, slot *x) {
    t->bytes -= x->len;
    free(x->pos);
    *x = (slot){0, 0, NULL};
}

void cursors_free(srv_cursors *t) {
    if (!t) return;
    for (uint32_t i = 0; i < VL_SRV_SCAN_CURSORS; i++) free(t->s[i].pos);
    free(t);
}

static uint32_t next_tag(srv_cursors *t) {
    uint32_t tag;
    do { /* xorshift64* */
        t->rng ^= t->rng >> 12;
        t->rng ^= t->rng << 25;
        t->rng ^= t->rng >> 27;
        tag = (uint32_t)((t->rng * 0x2545f4914f6cdd1dull) >> 32);
    } while (tag == 0);
    return tag;
}

uint64_t cursors_mint(srv_cursors *t, uint32_t shard, const void *pos, size_t len) {
    if (len > VL_SRV_SCAN_CURSOR_BYTES) return 0;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return 0;
    if (len) memcpy(copy, pos, len);
    uint32_t at = t->hand;
    slot_clear(t, &t->s[at]);
    t->hand = (at + 1) % VL_SRV_SCAN_CURSORS;
    /* Within the byte budget: the oldest positions go first. */
    while (t->bytes + len > VL_SRV_SCAN_CURSOR_BYTES) {
        slot_clear(t, &t->s[t->hand]);
        t->hand = (t->hand + 1) % VL_SRV_SCAN_CURSORS;
    }
    slot *x = &t->s[at];
    *x = (slot){next_tag(t), (uint32_t)len, copy};
    t->bytes += len;
    return (uint64_t)x->tag << 24 | (uint64_t)shard << 16 | at;
}

uint32_t cursor_shard(uint64_t cursor) {
    return cursor >> 56 ? UINT32_MAX : (uint32_t)(cursor >> 16) & 0xff;
}

bool cursors_find(const srv_cursors *t, uint64_t cursor, const uint8_t **pos, size_t *len) {
    uint32_t at = (uint32_t)(cursor & 0xffff), tag = (uint32_t)(cursor >> 24);
    if (!t || cursor >> 56 || at >= VL_SRV_SCAN_CURSORS || tag == 0) return false;
    const slot *x = &t->s[at];
    if (x->tag != tag) return false;
    *pos = x->pos;
    *len = x->len;
    return true;
}
