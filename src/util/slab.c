/*
 * slab.c -- the per-shard entry allocator of slab.h.
 *
 * Owns: its pages and free lists. Threads: the owning shard's thread only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/slab.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

void vl__slab_init(vl_slab *s) { memset(s, 0, sizeof *s); }

void vl__slab_destroy(vl_slab *s) {
    for (size_t i = 0; i < s->npages; i++) {
        UNPOISON(s->pages[i], VL_SLAB_PAGE);
        free(s->pages[i]);
    }
    free(s->pages);
    vl__slab_init(s);
}

static size_t class_of(size_t size) { return (size + 7) / 8 - 1; }

static int new_page(vl_slab *s, size_t c) {
    if (s->npages == s->pages_cap) {
        size_t cap = s->pages_cap ? s->pages_cap * 2 : 16;
        void **pages = realloc(s->pages, cap * sizeof *pages);
        if (!pages) return -1;
        s->pages = pages;
        s->pages_cap = cap;
    }
    char *page = malloc(VL_SLAB_PAGE);
    if (!page) return -1;
    POISON(page, VL_SLAB_PAGE);
    s->pages[s->npages++] = page;
    s->cur[c] = page;
    s->left[c] = VL_SLAB_PAGE / ((c + 1) * 8);
    return 0;
}

void *vl__slab_alloc(vl_slab *s, size_t size) {
    if (size == 0 || size > VL_SLAB_MAX) return malloc(size ? size : 1);
    size_t c = class_of(size), chunk = (c + 1) * 8;
    void *p = s->free[c];
    if (p) {
        UNPOISON(p, chunk);
        memcpy(&s->free[c], p, sizeof(void *)); /* the next free chunk */
        return p;
    }
    if (s->left[c] == 0 && new_page(s, c) != 0) return NULL;
    p = s->cur[c];
    s->cur[c] += chunk;
    s->left[c]--;
    UNPOISON(p, chunk);
    return p;
}

void vl__slab_free(vl_slab *s, void *p, size_t size) {
    if (!p) return;
    if (size == 0 || size > VL_SLAB_MAX) {
        free(p);
        return;
    }
    size_t c = class_of(size);
    memcpy(p, &s->free[c], sizeof(void *));
    s->free[c] = p;
    POISON(p, (c + 1) * 8);
}
