/*
 * scanall.c -- the whole-scan helper of scanall.h.
 *
 * Owns: nothing global. Threads: the calling thread; the page callback runs
 * on a shard thread while the caller waits in vl_scan_sync.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "check.h"
#include "scanall.h"

typedef struct page_ctx {
    scan_keys *out;
    scan_order order;
    uint32_t count;
    size_t first;   /* index of this page's first key in out */
    uint8_t *next;
    size_t next_len;
    bool end;
} page_ctx;

static int memcmp_order(const void *a, size_t alen, const void *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (alen > blen) - (alen < blen);
}

int scan_hashed_order(const void *a, size_t alen, const void *b, size_t blen) {
    uint64_t ha = XXH3_64bits(a, alen), hb = XXH3_64bits(b, blen);
    if (ha != hb) return ha < hb ? -1 : 1;
    return memcmp_order(a, alen, b, blen);
}

static int by_key(const void *a, const void *b, void *ctx) {
    const scan_keys *s = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    return memcmp_order(s->key[i], s->len[i], s->key[j], s->len[j]);
}

static void push(scan_keys *s, const void *k, size_t len) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->key = realloc(s->key, s->cap * sizeof *s->key);
        s->len = realloc(s->len, s->cap * sizeof *s->len);
        CHECK(s->key && s->len);
    }
    char *c = malloc(len + 1);
    CHECK(c);
    if (len) memcpy(c, k, len);
    c[len] = 0;
    s->key[s->n] = c;
    s->len[s->n++] = len;
}

static void on_page(void *arg, vl_status st, const vl_scan_page *page) {
    page_ctx *p = arg;
    if (st != VL_OK) return;
    CHECK(page->count <= p->count);
    p->first = p->out->n;
    for (uint32_t i = 0; i < page->count; i++) {
        const vl_scan_key *k = &page->keys[i];
        size_t prev = p->out->n;
        if (prev > 0) /* ascending, also across pages */
            CHECK(p->order(p->out->key[prev - 1], p->out->len[prev - 1], k->key, k->len) < 0);
        push(p->out, k->key, k->len);
    }
    p->end = page->end;
    free(p->next);
    p->next = NULL;
    if (!page->end) {
        /* Every key of the page comes before where the next one starts
         * (where keys are their own positions). */
        if (page->count && p->order == memcmp_order)
            CHECK(p->order(page->keys[page->count - 1].key, page->keys[page->count - 1].len,
                           page->next, page->next_len) <= 0);
        p->next = malloc(page->next_len ? page->next_len : 1);
        CHECK(p->next);
        if (page->next_len) memcpy(p->next, page->next, page->next_len);
        p->next_len = page->next_len;
    }
    p->out->pages++;
}

vl_status scan_all(vl_service *svc, uint32_t count, scan_order order, scan_keys *out) {
    memset(out, 0, sizeof *out);
    page_ctx p = {out, order ? order : memcmp_order, count, 0, NULL, 0, false};
    bool first = true;
    while (first || !p.end) {
        vl_status st = vl_scan_sync(svc, first ? NULL : p.next, first ? 0 : p.next_len, count,
                                    on_page, &p);
        if (st != VL_OK) {
            free(p.next);
            return st;
        }
        first = false;
        CHECK(out->pages < 10000000);
    }
    free(p.next);
    /* As a set, in memcmp order: no key twice. */
    size_t *idx = malloc((out->n + 1) * sizeof *idx);
    CHECK(idx);
    for (size_t i = 0; i < out->n; i++) idx[i] = i;
    qsort_r(idx, out->n, sizeof *idx, by_key, out);
    char **k = malloc((out->n + 1) * sizeof *k);
    size_t *l = malloc((out->n + 1) * sizeof *l);
    CHECK(k && l);
    for (size_t i = 0; i < out->n; i++) {
        k[i] = out->key[idx[i]];
        l[i] = out->len[idx[i]];
        if (i > 0) CHECK(memcmp_order(k[i - 1], l[i - 1], k[i], l[i]) < 0);
    }
    free(idx);
    free(out->key);
    free(out->len);
    out->key = k;
    out->len = l;
    return VL_OK;
}

bool scan_has(const scan_keys *s, const char *key) {
    size_t len = strlen(key), lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp_order(s->key[mid], s->len[mid], key, len);
        if (c == 0) return true;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

void scan_keys_free(scan_keys *s) {
    for (size_t i = 0; i < s->n; i++) free(s->key[i]);
    free(s->key);
    free(s->len);
    memset(s, 0, sizeof *s);
}
