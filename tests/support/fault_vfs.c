/*
 * fault_vfs.c -- "vl_fault", an SQLite VFS for tests that wraps the default
 * (unix) VFS and fails writes or syncs, or opens the database read-only, on
 * demand (sqlite_help.h). The portable way to make a disk fail: no root, no
 * small file system.
 *
 * Owns: the VFS object and its fault switches (atomics).
 * Threads: SQLite calls the file methods on whichever thread uses the
 * connection (the upstream's writer and readers); tests flip the switches
 * from their own thread. Registration is once per process, under a mutex.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "sqlite_help.h"

typedef struct ffile {
    sqlite3_file base;   /* methods: fault_io */
    int faulty;          /* main database or WAL: faults apply */
    sqlite3_file real[]; /* the wrapped file, szOsFile of the real VFS */
} ffile;

static sqlite3_vfs fault_vfs;
static sqlite3_vfs *real_vfs;
static _Atomic int write_n, write_rc, sync_n, sync_rc, readonly_on;
static _Atomic uint64_t syncs_seen;

#define REAL(f) (((ffile *)(f))->real)

/* Consumes one fault from a counter (n < 0: unlimited). */
static int take_fault(_Atomic int *n, _Atomic int *rc) {
    int cur = atomic_load(n);
    while (cur != 0) {
        if (cur < 0) return atomic_load(rc);
        if (atomic_compare_exchange_weak(n, &cur, cur - 1)) return atomic_load(rc);
    }
    return SQLITE_OK;
}

static int f_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off) {
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off) {
    int rc = ((ffile *)f)->faulty ? take_fault(&write_n, &write_rc) : SQLITE_OK;
    return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags) {
    atomic_fetch_add(&syncs_seen, 1);
    int rc = ((ffile *)f)->faulty ? take_fault(&sync_n, &sync_rc) : SQLITE_OK;
    return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size) {
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int f_reserved(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int f_fcntl(sqlite3_file *f, int op, void *arg) {
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int f_devchar(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp) {
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags) {
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int f_shm_unmap(sqlite3_file *f, int del) {
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) {
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fault_io = {
    3,         f_close,   f_read,      f_write,      f_truncate, f_sync,
    f_size,    f_lock,    f_unlock,    f_reserved,   f_fcntl,    f_sector,
    f_devchar, f_shm_map, f_shm_lock,  f_shm_barrier, f_shm_unmap, f_fetch,
    f_unfetch,
};

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out) {
    (void)vfs;
    ffile *f = (ffile *)file;
    f->base.pMethods = NULL;
    f->faulty = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0;
    if ((flags & SQLITE_OPEN_MAIN_DB) && atomic_load(&readonly_on))
        flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
    /* The real file's methods are set even on some failures; ours only if it
     * opened, so SQLite closes what needs closing. */
    if (rc == SQLITE_OK) f->base.pMethods = &fault_io;
    return rc;
}

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;

void sqt_fault_register(void) {
    pthread_mutex_lock(&reg_mu);
    if (!real_vfs) {
        real_vfs = sqlite3_vfs_find(NULL);
        CHECK(real_vfs != NULL);
        /* The unix VFS's other methods ignore their vfs argument, so a copy
         * with our name, size and xOpen serves. */
        fault_vfs = *real_vfs;
        fault_vfs.zName = SQT_FAULT_VFS;
        fault_vfs.szOsFile = (int)sizeof(ffile) + real_vfs->szOsFile;
        fault_vfs.xOpen = f_open;
        fault_vfs.pNext = NULL;
        CHECK(sqlite3_vfs_register(&fault_vfs, 0) == SQLITE_OK);
    }
    pthread_mutex_unlock(&reg_mu);
}

void sqt_fault_writes(int n, int rc) {
    atomic_store(&write_rc, rc);
    atomic_store(&write_n, n);
}

void sqt_fault_syncs(int n, int rc) {
    atomic_store(&sync_rc, rc);
    atomic_store(&sync_n, n);
}

void sqt_fault_readonly(int on) { atomic_store(&readonly_on, on); }

void sqt_fault_clear(void) {
    atomic_store(&write_n, 0);
    atomic_store(&sync_n, 0);
    atomic_store(&readonly_on, 0);
}

uint64_t sqt_fault_sync_count(void) { return atomic_load(&syncs_seen); }
