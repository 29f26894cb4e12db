/*
 * slab.h -- a shard's allocator for entries.
 *
 * Owns: pages of memory carved into fixed-size chunks, per size class.
 * Threads: the owning shard's thread only (so: no locks).
 *
 * Entries are small (an 8-byte header, a short key, a value struct) and a
 * cache holds millions of them, so malloc's per-chunk header and its
 * rounding to 16 bytes are a large share of each one: a 56-byte entry costs
 * 64 through glibc and 56 here. Sizes are rounded to 8 bytes; each class
 * takes chunks from 64 KiB pages and keeps a free list threaded through the
 * free chunks. Pages are kept until the shard ends (a cache that was once
 * full will be again). Entries larger than VL_SLAB_MAX go to malloc.
 * Under AddressSanitizer free chunks are poisoned, so a use after free is
 * still caught.
 */
#ifndef VL_SLAB_H
#define VL_SLAB_H

#include <stddef.h>

#define VL_SLAB_MAX 512u                  /* larger: malloc */
#define VL_SLAB_CLASSES (VL_SLAB_MAX / 8) /* 8, 16, ..., 512 bytes */
#define VL_SLAB_PAGE (64u << 10)

typedef struct vl_slab {
    void *free[VL_SLAB_CLASSES];   /* free chunks, by class */
    char *cur[VL_SLAB_CLASSES];    /* the class's current page */
    size_t left[VL_SLAB_CLASSES];  /* chunks not yet handed out in it */
    void **pages;
    size_t npages, pages_cap;
} vl_slab;

void vl__slab_init(vl_slab *s);
/* Frees every page (chunks still in use with them; large ones are the
 * caller's to free with vl__slab_free first). */
void vl__slab_destroy(vl_slab *s);
void *vl__slab_alloc(vl_slab *s, size_t size);
void vl__slab_free(vl_slab *s, void *p, size_t size);

#endif
