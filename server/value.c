/*
 * value.c -- the server's value type (value.h): forms, CBOR encoding and
 * decoding, and the string helpers.
 *
 * Owns: the heap parts of values (sv_str, through vhash.c the hashes).
 * Threads: the thread of the shard that owns the key; the live counter is
 * thread-local.
 */
#include <stdlib.h>
#include <string.h>

#include "value.h"
#include "vellir_cbor.h"

static _Thread_local _Atomic int64_t *live_counter;

void sv_count_into(_Atomic int64_t *c) { live_counter = c; }

static void count(int64_t d) {
    if (live_counter)
        atomic_store_explicit(live_counter,
                              atomic_load_explicit(live_counter, memory_order_relaxed) + d,
                              memory_order_relaxed);
}

void sv_count_created(void) { count(1); }

/* ---- integers -------------------------------------------------------- */

bool sv_parse_ll(const void *vp, size_t n, int64_t *out) {
    const uint8_t *s = vp;
    if (n == 0 || n > 20) return false;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    bool neg = s[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == n || s[i] < '1' || s[i] > '9') return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

size_t sv_ll_text(int64_t v, sv_num *tmp) {
    char rev[24];
    size_t n = 0, o = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp->t[o++] = '-';
    while (n) tmp->t[o++] = rev[--n];
    tmp->t[o] = 0;
    return o;
}

/* ---- strings ---------------------------------------------------------- */

static uint8_t *inline_bytes(sv_value *v) { return (uint8_t *)v + 2; }
static const uint8_t *inline_cbytes(const sv_value *v) { return (const uint8_t *)v + 2; }

void sv_str_view(const sv_value *v, sv_num *tmp, const uint8_t **p, size_t *n) {
    switch (v->kind) {
    case SV_INLINE:
        *p = inline_cbytes(v);
        *n = v->ilen;
        return;
    case SV_INT:
        *n = sv_ll_text(v->u.i, tmp);
        *p = (const uint8_t *)tmp->t;
        return;
    case SV_STR:
        *p = v->u.s->d;
        *n = v->u.s->len;
        return;
    default:
        *p = (const uint8_t *)"";
        *n = 0;
    }
}

size_t sv_str_len(const sv_value *v) {
    sv_num t;
    const uint8_t *p;
    size_t n;
    if (v->kind == SV_STR) return v->u.s->len;
    sv_str_view(v, &t, &p, &n);
    return n;
}

void sv_set_int(sv_value *v, int64_t i) {
    memset(v, 0, sizeof *v);
    v->kind = SV_INT;
    v->u.i = i;
}

vl_status sv_set_str(sv_value *v, const void *p, size_t n) {
    int64_t i;
    memset(v, 0, sizeof *v);
    if (sv_parse_ll(p, n, &i)) {
        sv_set_int(v, i);
        return VL_OK;
    }
    if (n <= SV_INLINE_MAX) {
        v->kind = SV_INLINE;
        v->ilen = (uint8_t)n;
        if (n) memcpy(inline_bytes(v), p, n);
        return VL_OK;
    }
    if (n > UINT32_MAX) return VL_ENOMEM;
    sv_str *s = malloc(sizeof *s + n);
    if (!s) return VL_ENOMEM;
    s->len = s->cap = (uint32_t)n;
    memcpy(s->d, p, n);
    v->kind = SV_STR;
    v->u.s = s;
    return VL_OK;
}

void sv_set_hash(sv_value *v, sv_hash *h) {
    memset(v, 0, sizeof *v);
    v->kind = SV_HASH;
    v->u.h = h;
}

void sv_clear(sv_value *v) {
    if (v->kind == SV_STR) free(v->u.s);
    else if (v->kind == SV_HASH) vh_free(v->u.h);
    memset(v, 0, sizeof *v);
}

/* Turns an SV_INT or SV_INLINE into an SV_STR with room for `cap`. */
static bool to_heap(sv_value *v, size_t cap) {
    sv_num t;
    const uint8_t *p;
    size_t n;
    sv_str_view(v, &t, &p, &n);
    if (cap < n) cap = n;
    sv_str *s = malloc(sizeof *s + cap);
    if (!s) return false;
    memcpy(s->d, p, n);
    s->len = (uint32_t)n;
    s->cap = (uint32_t)cap;
    memset(v, 0, sizeof *v);
    v->kind = SV_STR;
    v->u.s = s;
    return true;
}

uint8_t *sv_str_resize(sv_value *v, size_t n) {
    if (n > UINT32_MAX) return NULL;
    if (v->kind != SV_STR && !to_heap(v, n)) return NULL;
    sv_str *s = v->u.s;
    if (n > s->cap) {
        size_t cap = n < ((size_t)1 << 20) ? n * 2 : n + ((size_t)1 << 20); /* APPEND grows */
        if (cap > UINT32_MAX) cap = UINT32_MAX;
        sv_str *g = realloc(s, sizeof *g + cap);
        if (!g) return NULL;
        s = v->u.s = g;
        s->cap = (uint32_t)cap;
    }
    if (n > s->len) memset(s->d + s->len, 0, n - s->len);
    s->len = (uint32_t)n;
    return s->d;
}

void sv_str_done(sv_value *v) {
    if (v->kind != SV_STR) return;
    sv_str *s = v->u.s;
    int64_t i;
    if (s->len <= SV_INLINE_MAX || sv_parse_ll(s->d, s->len, &i)) {
        sv_value nv;
        if (sv_set_str(&nv, s->d, s->len) != VL_OK) return; /* cannot fail: no heap */
        free(s);
        *v = nv;
    }
}

/* ---- sizes ------------------------------------------------------------ */

size_t sv_mem(const sv_value *v) {
    if (v->kind == SV_STR) return sizeof(sv_str) + v->u.s->cap;
    if (v->kind == SV_HASH) return (size_t)vh_mem(v->u.h);
    return 0;
}

static uint64_t int_enc(int64_t i) {
    uint64_t u = i < 0 ? (uint64_t)(-(i + 1)) : (uint64_t)i;
    return u < 24 ? 1 : u < 256 ? 2 : u < 65536 ? 3 : u <= UINT32_MAX ? 5 : 9;
}

uint64_t sv_enc_size(const sv_value *v) {
    switch (v->kind) {
    case SV_INT: return int_enc(v->u.i);
    case SV_HASH: return vh_enc(v->u.h);
    default: {
        size_t n = sv_str_len(v);
        return vh_cbor_head(n) + n;
    }
    }
}

/* ---- the vl_type ------------------------------------------------------ */

static void t_destroy(void *ctx, void *value) {
    (void)ctx;
    sv_clear(value);
    count(-1);
}

static vl_status t_encode(void *ctx, const void *value, vl_buf *out) {
    (void)ctx;
    const sv_value *v = value;
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    if (v->kind == SV_INT) {
        vl_cbor_int(&e, v->u.i);
    } else if (v->kind == SV_HASH) {
        const sv_hash *h = v->u.h;
        vl_cbor_map(&e, vh_count(h));
        for (uint32_t i = 0; i < vh_slots(h); i++) {
            const sv_field *x = vh_at(h, i);
            if (!x) continue;
            vl_cbor_bytes(&e, vf_name(x), x->flen);
            vl_cbor_bytes(&e, vf_value(x), x->vlen);
        }
    } else {
        sv_num t;
        const uint8_t *p;
        size_t n;
        sv_str_view(v, &t, &p, &n);
        vl_cbor_bytes(&e, p, n);
    }
    return vl_cbor_enc_finish(&e);
}

/* A byte or text string at the decoder. */
static bool read_string(vl_cbor_dec *d, const uint8_t **p, size_t *n) {
    if (vl_cbor_peek(d) == VL_CBOR_TEXT) return vl_cbor_read_text(d, (const char **)p, n);
    return vl_cbor_read_bytes(d, p, n);
}

/* A hash value: a string, or an integer read as its text. */
static bool read_hash_value(vl_cbor_dec *d, sv_num *t, const uint8_t **p, size_t *n) {
    vl_cbor_type ty = vl_cbor_peek(d);
    if (ty == VL_CBOR_UINT || ty == VL_CBOR_NEGINT) {
        int64_t i;
        if (!vl_cbor_read_int(d, &i)) return false;
        *n = sv_ll_text(i, t);
        *p = (const uint8_t *)t->t;
        return true;
    }
    return read_string(d, p, n);
}

static vl_status decode_hash(vl_cbor_dec *d, sv_value *v) {
    size_t pairs;
    if (!vl_cbor_read_map(d, &pairs) || pairs == 0) return VL_ECORRUPT;
    sv_hash *h = vh_new();
    if (!h) return VL_ENOMEM;
    for (size_t i = 0; i < pairs; i++) {
        const uint8_t *f, *val;
        size_t fn, vn;
        sv_num t;
        if (!read_string(d, &f, &fn) || !read_hash_value(d, &t, &val, &vn)) break;
        if (vh_set(h, f, fn, val, vn) < 0) {
            vh_free(h);
            return VL_ENOMEM;
        }
    }
    if (vl_cbor_dec_finish(d) != VL_OK) {
        vh_free(h);
        return VL_ECORRUPT;
    }
    sv_set_hash(v, h);
    return VL_OK;
}

static vl_status t_decode(void *ctx, const void *key, size_t key_len, const uint8_t *bytes,
                          size_t len, void *value) {
    (void)ctx, (void)key, (void)key_len;
    sv_value *v = value;
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, bytes, len);
    vl_status st;
    vl_cbor_type ty = vl_cbor_peek(&d);
    if (ty == VL_CBOR_MAP) {
        st = decode_hash(&d, v);
    } else if (ty == VL_CBOR_UINT || ty == VL_CBOR_NEGINT) {
        int64_t i;
        bool ok = vl_cbor_read_int(&d, &i);
        st = ok && vl_cbor_dec_finish(&d) == VL_OK ? VL_OK : VL_ECORRUPT;
        if (st == VL_OK) sv_set_int(v, i);
    } else if (ty == VL_CBOR_BYTES || ty == VL_CBOR_TEXT) {
        const uint8_t *p;
        size_t n;
        bool ok = read_string(&d, &p, &n);
        st = ok && vl_cbor_dec_finish(&d) == VL_OK ? sv_set_str(v, p, n) : VL_ECORRUPT;
    } else {
        st = VL_ECORRUPT;
    }
    if (st == VL_OK) count(1);
    else memset(v, 0, sizeof *v);
    return st;
}

static size_t t_mem(void *ctx, const void *value) {
    (void)ctx;
    return sv_mem(value);
}

const vl_type sv_type = {
    .name = "redis value",
    .size = sizeof(sv_value),
    .init = NULL, /* a key the upstream lacks is absent */
    .destroy = t_destroy,
    .encode = t_encode,
    .decode = t_decode,
    .mem_size = t_mem,
};
