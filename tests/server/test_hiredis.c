/*
 * test_hiredis.c -- vellir-server through hiredis (Debian's libhiredis), a
 * C client nobody here wrote: binary-safe strings, a 20,000-command
 * pipeline answered in order, MSET/MGET/DEL over 1,000 keys spread across
 * shards, hashes, counters from four threads with their own connections,
 * error replies as REDIS_REPLY_ERROR with Redis's text, and an 8 MiB value.
 * (Debian 12's hiredis is 0.14, which has no RESP3: test_commands.py and
 * test_compare.py cover RESP3.)
 *
 * Usage: test_hiredis PORT
 * Owns: its connections. Threads: the main thread and 4 counter threads.
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port;
static int failures;

#define EXPECT(cond)                                                              \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                           \
        }                                                                         \
    } while (0)

static redisContext *connect_or_die(void) {
    redisContext *c = redisConnect("127.0.0.1", port);
    if (!c || c->err) {
        fprintf(stderr, "cannot connect to 127.0.0.1:%d: %s\n", port, c ? c->errstr : "?");
        exit(1);
    }
    return c;
}

static redisReply *cmd(redisContext *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r) {
        fprintf(stderr, "connection error: %s\n", c->errstr);
        exit(1);
    }
    return r;
}

static int is_str(const redisReply *r, const char *s, size_t n) {
    return r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, s, n) == 0;
}

static int is_status(const redisReply *r, const char *s) {
    return r->type == REDIS_REPLY_STATUS && strcmp(r->str, s) == 0;
}

static int is_error(const redisReply *r, const char *s) {
    return r->type == REDIS_REPLY_ERROR && strcmp(r->str, s) == 0;
}

static void test_binary_strings(redisContext *c) {
    static const char key[] = "bin\0key", val[] = "a\0b\r\nc\xff";
    redisReply *r = cmd(c, "SET %b %b", key, sizeof key - 1, val, sizeof val - 1);
    EXPECT(is_status(r, "OK"));
    freeReplyObject(r);
    r = cmd(c, "GET %b", key, sizeof key - 1);
    EXPECT(is_str(r, val, sizeof val - 1));
    freeReplyObject(r);
    r = cmd(c, "STRLEN %b", key, sizeof key - 1);
    EXPECT(r->type == REDIS_REPLY_INTEGER && r->integer == (long long)sizeof val - 1);
    freeReplyObject(r);
    puts("ok - binary strings");
}

static void test_pipeline(redisContext *c) {
    enum { N = 20000 };
    for (int i = 0; i < N; i++) {
        if (i % 2 == 0) redisAppendCommand(c, "SET pipe:%d %d", i, i * 7);
        else redisAppendCommand(c, "GET pipe:%d", i - 1);
    }
    for (int i = 0; i < N; i++) {
        redisReply *r;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) {
            fprintf(stderr, "pipeline: %s\n", c->errstr);
            exit(1);
        }
        char want[32];
        int n = snprintf(want, sizeof want, "%d", (i - 1) * 7);
        if (i % 2 == 0) EXPECT(is_status(r, "OK"));
        else EXPECT(is_str(r, want, (size_t)n));
        freeReplyObject(r);
    }
    puts("ok - 20000-command pipeline in order");
}

static void test_multikey(redisContext *c) {
    enum { K = 1000 };
    const char **argv = malloc(sizeof *argv * (2 * K + 1));
    size_t *lens = malloc(sizeof *lens * (2 * K + 1));
    char (*names)[16] = malloc(sizeof *names * K);
    argv[0] = "MSET";
    lens[0] = 4;
    for (int i = 0; i < K; i++) {
        snprintf(names[i], sizeof names[i], "mk:%d", i);
        argv[1 + 2 * i] = names[i];
        lens[1 + 2 * i] = strlen(names[i]);
        argv[2 + 2 * i] = names[i]; /* each key's value is its name */
        lens[2 + 2 * i] = strlen(names[i]);
    }
    redisReply *r = redisCommandArgv(c, 2 * K + 1, argv, lens);
    EXPECT(r && is_status(r, "OK"));
    freeReplyObject(r);
    argv[0] = "MGET";
    for (int i = 0; i < K; i++) {
        argv[1 + i] = names[i];
        lens[1 + i] = strlen(names[i]);
    }
    argv[K + 1] = "nokey";
    lens[K + 1] = 5;
    r = redisCommandArgv(c, K + 2, argv, lens);
    EXPECT(r && r->type == REDIS_REPLY_ARRAY && r->elements == K + 1);
    for (int i = 0; r && i < K; i++) EXPECT(is_str(r->element[i], names[i], strlen(names[i])));
    EXPECT(r && r->element[K]->type == REDIS_REPLY_NIL);
    freeReplyObject(r);
    argv[0] = "DEL";
    lens[0] = 3;
    r = redisCommandArgv(c, K + 2, argv, lens);
    EXPECT(r && r->type == REDIS_REPLY_INTEGER && r->integer == K);
    freeReplyObject(r);
    free(argv);
    free(lens);
    free(names);
    puts("ok - MSET/MGET/DEL over 1000 keys");
}

static void test_hash(redisContext *c) {
    redisReply *r = cmd(c, "DEL hh");
    freeReplyObject(r);
    r = cmd(c, "HSET hh a 1 b 2 c 3");
    EXPECT(r->type == REDIS_REPLY_INTEGER && r->integer == 3);
    freeReplyObject(r);
    r = cmd(c, "HGETALL hh");
    EXPECT(r->type == REDIS_REPLY_ARRAY && r->elements == 6);
    EXPECT(is_str(r->element[0], "a", 1) && is_str(r->element[5], "3", 1));
    freeReplyObject(r);
    r = cmd(c, "HINCRBY hh a 41");
    EXPECT(r->type == REDIS_REPLY_INTEGER && r->integer == 42);
    freeReplyObject(r);
    puts("ok - hashes");
}

static void *counter_thread(void *arg) {
    (void)arg;
    redisContext *c = connect_or_die();
    for (int i = 0; i < 5000; i++) redisAppendCommand(c, "INCR shared:counter");
    for (int i = 0; i < 5000; i++) {
        redisReply *r;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) exit(1);
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

static void test_threads(redisContext *c) {
    redisReply *r = cmd(c, "DEL shared:counter");
    freeReplyObject(r);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, counter_thread, NULL);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    r = cmd(c, "GET shared:counter");
    EXPECT(is_str(r, "20000", 5));
    freeReplyObject(r);
    puts("ok - 4 threads x 5000 INCR");
}

static void test_errors(redisContext *c) {
    redisReply *r = cmd(c, "SET s v");
    freeReplyObject(r);
    r = cmd(c, "HGET s f");
    EXPECT(is_error(r, "WRONGTYPE Operation against a key holding the wrong kind of value"));
    freeReplyObject(r);
    r = cmd(c, "GET");
    EXPECT(is_error(r, "ERR wrong number of arguments for 'get' command"));
    freeReplyObject(r);
    r = cmd(c, "FOO bar");
    EXPECT(is_error(r, "ERR unknown command 'FOO', with args beginning with: 'bar' "));
    freeReplyObject(r);
    r = cmd(c, "INCR s");
    EXPECT(is_error(r, "ERR value is not an integer or out of range"));
    freeReplyObject(r);
    puts("ok - error replies");
}

static void test_big_value(redisContext *c) {
    size_t n = 8u << 20;
    char *v = malloc(n);
    for (size_t i = 0; i < n; i++) v[i] = (char)(i * 31);
    redisReply *r = cmd(c, "SET big %b", v, n);
    EXPECT(is_status(r, "OK"));
    freeReplyObject(r);
    r = cmd(c, "GET big");
    EXPECT(is_str(r, v, n));
    freeReplyObject(r);
    r = cmd(c, "GETRANGE big 1000 1009");
    EXPECT(is_str(r, v + 1000, 10));
    freeReplyObject(r);
    free(v);
    puts("ok - an 8 MiB value");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_hiredis PORT\n");
        return 2;
    }
    port = atoi(argv[1]);
    redisContext *c = connect_or_die();
    test_binary_strings(c);
    test_pipeline(c);
    test_multikey(c);
    test_hash(c);
    test_threads(c);
    test_errors(c);
    test_big_value(c);
    redisFree(c);
    if (failures) fprintf(stderr, "%d hiredis expectations failed\n", failures);
    else puts("all hiredis tests passed");
    return failures ? 1 : 0;
}
