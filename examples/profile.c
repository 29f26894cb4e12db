/*
 * profile.c -- a typed value: a user profile (name, age, score, tags) kept
 * as a C struct in the cache and stored in SQLite as a CBOR map, written
 * and read with vellir_cbor.h. It writes, updates, reopens and checks.
 *
 * Owns: its service and data file ($VELLIR_DATA_DIR, default ./data).
 * Threads: main, plus the shards and the SQLite upstream's workers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vellir.h"
#include "vellir_cbor.h"
#include "vellir_sqlite.h"

typedef struct profile {
    char name[32];
    int64_t age;
    double score;
    int ntags;
    char tags[4][16];
} profile;

/* {"name": text, "age": int, "score": float, "tags": [text...]} */
static vl_status p_encode(void *ctx, const void *v, vl_buf *out) {
    const profile *p = v;
    (void)ctx;
    vl_cbor_enc e;
    vl_cbor_enc_init(&e, out);
    vl_cbor_map(&e, 4);
    vl_cbor_text(&e, "name", 4), vl_cbor_text(&e, p->name, strlen(p->name));
    vl_cbor_text(&e, "age", 3), vl_cbor_int(&e, p->age);
    vl_cbor_text(&e, "score", 5), vl_cbor_double(&e, p->score);
    vl_cbor_text(&e, "tags", 4), vl_cbor_array(&e, (size_t)p->ntags);
    for (int i = 0; i < p->ntags; i++) vl_cbor_text(&e, p->tags[i], strlen(p->tags[i]));
    return vl_cbor_enc_finish(&e);
}

/* Reads a text into a fixed field; false if it is not one or does not fit. */
static bool read_str(vl_cbor_dec *d, char *dst, size_t cap) {
    const char *t;
    size_t n;
    if (!vl_cbor_read_text(d, &t, &n) || n >= cap) return false;
    memcpy(dst, t, n), dst[n] = 0;
    return true;
}
/* Reads a map key and checks it is `want`. */
static bool key(vl_cbor_dec *d, const char *want) {
    char k[8];
    return read_str(d, k, sizeof k) && strcmp(k, want) == 0;
}

/* Reads the fields in the order p_encode writes them. Any failure is sticky
 * in the decoder, so one check at the end catches truncated or bad bytes. */
static vl_status p_decode(void *ctx, const void *k, size_t kl, const uint8_t *b, size_t len,
                          void *v) {
    profile *p = v;
    (void)ctx, (void)k, (void)kl;
    memset(p, 0, sizeof *p);
    vl_cbor_dec d;
    vl_cbor_dec_init(&d, b, len);
    size_t n = 0, nt = 0;
    bool ok = vl_cbor_read_map(&d, &n) && n == 4 && key(&d, "name") &&
              read_str(&d, p->name, sizeof p->name) && key(&d, "age") &&
              vl_cbor_read_int(&d, &p->age) && key(&d, "score") &&
              vl_cbor_read_double(&d, &p->score) && key(&d, "tags") &&
              vl_cbor_read_array(&d, &nt) && nt <= 4;
    for (; ok && p->ntags < (int)nt; p->ntags++) ok = read_str(&d, p->tags[p->ntags], 16);
    return ok && vl_cbor_dec_finish(&d) == VL_OK ? VL_OK : VL_ECORRUPT;
}

static const vl_type profile_type = {.name = "profile", .size = sizeof(profile),
                                     .encode = p_encode, .decode = p_decode};

static vl_policy put(void *arg, vl_mut *m) {
    *(profile *)m->value = *(const profile *)arg, m->present = true;
    return vl_immediate(); /* completes once SQLite has it */
}
static vl_policy add_score(void *arg, vl_mut *m) {
    ((profile *)m->value)->score += *(const double *)arg;
    return vl_within(50);
}
static void get(void *arg, vl_status st, const vl_view *v) {
    if (st == VL_OK) *(profile *)arg = *(const profile *)v->value;
}

static vl_service *open_db(const char *path) {
    vl_sqlite_options so;
    vl_sqlite_options_init(&so);
    so.path = path, so.table = "profiles";
    vl_upstream up;
    vl_service *svc = NULL;
    if (vl_sqlite_upstream(&so, &up) == VL_OK && vl_open(NULL, &profile_type, &up, &svc) != VL_OK)
        up.release(up.ctx);
    return svc;
}

int main(void) {
    const char *dir = getenv("VELLIR_DATA_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/profile.db", dir && *dir ? dir : "./data");
    mkdir(dir && *dir ? dir : "./data", 0777);
    vl_service *svc = open_db(path);
    if (!svc) return 1;
    profile ada = {"Ada Lovelace", 36, 97.5, 2, {"math", "engines"}}, back = {0};
    double bonus = 1.25;
    vl_status st = vl_write_sync(svc, "user:ada", 8, put, &ada);
    if (st == VL_OK) st = vl_write_sync(svc, "user:ada", 8, add_score, &bonus);
    vl_close(svc, NULL);
    if (st != VL_OK || !(svc = open_db(path))) return 1; /* reopen: read from the file */
    st = vl_read_sync(svc, "user:ada", 8, get, &back);
    vl_buf b = {0};
    p_encode(NULL, &back, &b);
    printf("%s: %s, %lld, score %.2f, tags %s %s (%zu bytes of CBOR in %s)\n", vl_strerror(st),
           back.name, (long long)back.age, back.score, back.tags[0], back.tags[1], b.len, path);
    vl_buf_free(&b);
    vl_close(svc, NULL);
    bool ok = st == VL_OK && !strcmp(back.name, ada.name) && back.age == 36 &&
              back.score == 98.75 && back.ntags == 2 && !strcmp(back.tags[1], "engines");
    printf("%s\n", ok ? "ok: the profile came back from SQLite intact" : "FAILED");
    return ok ? 0 : 1;
}
