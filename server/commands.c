/*
 * commands.c -- the command table: lookup, arity and subcommand checks,
 * dispatch, and starting a key op for the command families.
 *
 * Owns: the lookup index over the family tables (built once by cmd_init on
 * the main thread before any shard dispatches; read-only afterwards).
 * Threads: cmd_dispatch and the helpers run on a connection's home shard.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"

/* ---- the index ------------------------------------------------------------ */

#define INDEX_SLOTS 256u /* a power of two, well above the number of commands */

static const srv_cmd *index_slots[INDEX_SLOTS];
static size_t ncommands;

/* FNV-1a over the lowercased name: a command name is a few bytes. */
static uint64_t name_hash(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
        h = (h ^ c) * 0x100000001b3ull;
    }
    return h;
}

static bool name_eq(const char *name, const uint8_t *p, size_t n) {
    if (strlen(name) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (name[i] != tolower(p[i])) return false;
    return true;
}

void cmd_init(void);
void cmd_init(void) {
    if (ncommands) return;
    const srv_cmd *tables[] = {cmd_string_table, cmd_counter_table, cmd_keys_table,
                               cmd_hash_table, cmd_server_table};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const srv_cmd *c = tables[t]; c->name; c++) {
            size_t n = strlen(c->name);
            uint64_t i = name_hash((const uint8_t *)c->name, n) & (INDEX_SLOTS - 1);
            while (index_slots[i]) i = (i + 1) & (INDEX_SLOTS - 1);
            index_slots[i] = c;
            ncommands++;
        }
    }
}

size_t cmd_count(void) { return ncommands; }

const srv_cmd *cmd_lookup(const uint8_t *p, size_t n) {
    if (n == 0 || n >= 32) return NULL;
    for (uint64_t i = name_hash(p, n) & (INDEX_SLOTS - 1); index_slots[i];
         i = (i + 1) & (INDEX_SLOTS - 1))
        if (name_eq(index_slots[i]->name, p, n)) return index_slots[i];
    return NULL;
}

const srv_cmd *cmd_sub_lookup(const srv_cmd *parent, const uint8_t *p, size_t n) {
    for (const srv_cmd *c = parent->subs; c && c->name; c++) {
        const char *bar = strchr(c->name, '|');
        if (bar && name_eq(bar + 1, p, n)) return c;
    }
    return NULL;
}

/* Every top-level command, in table order (COMMAND, COMMAND LIST). */
size_t cmd_all(const srv_cmd **out, size_t cap);
size_t cmd_all(const srv_cmd **out, size_t cap) {
    const srv_cmd *tables[] = {cmd_string_table, cmd_counter_table, cmd_keys_table,
                               cmd_hash_table, cmd_server_table};
    size_t n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const srv_cmd *c = tables[t]; c->name && n < cap; c++) out[n++] = c;
    return n;
}

/* ---- unknown commands and arity ------------------------------------------------ */

/* Bytes of a C-string argument as Redis's "%.*s" would print them: up to
 * `max` bytes, stopping at a NUL. */
static size_t printable_len(const vl_resp_arg *a, size_t max) {
    size_t n = a->len < max ? a->len : max;
    const void *z = memchr(a->p, 0, n);
    return z ? (size_t)((const uint8_t *)z - a->p) : n;
}

static void reply_unknown(vl_buf *b, const vl_resp_arg *argv, size_t argc) {
    char args[160];
    size_t al = 0;
    for (size_t i = 1; i < argc && al < 128; i++) {
        size_t n = printable_len(&argv[i], 128 - al);
        args[al++] = '\'';
        memcpy(args + al, argv[i].p, n);
        al += n;
        args[al++] = '\'';
        args[al++] = ' ';
    }
    reply_errorf(b, "ERR unknown command '%.*s', with args beginning with: %.*s",
                 (int)printable_len(&argv[0], 128), (const char *)argv[0].p, (int)al, args);
}

static void reply_unknown_sub(vl_buf *b, const srv_cmd *parent, const vl_resp_arg *sub) {
    char up[32];
    size_t n = strlen(parent->name);
    for (size_t i = 0; i < n && i < sizeof up - 1; i++) up[i] = (char)toupper(parent->name[i]);
    up[n < sizeof up - 1 ? n : sizeof up - 1] = 0;
    reply_errorf(b, "ERR unknown subcommand '%.*s'. Try %s HELP.", (int)printable_len(sub, 128),
                 (const char *)sub->p, up);
}

static bool arity_ok(const srv_cmd *c, size_t argc) {
    return c->arity >= 0 ? argc == (size_t)c->arity : argc >= (size_t)-c->arity;
}

/* ---- dispatch ------------------------------------------------------------------ */

bool cmd_dispatch(srv_conn *c, const vl_resp_arg *argv, size_t argc) {
    const srv_cmd *cmd = cmd_lookup(argv[0].p, argv[0].len);
    if (!cmd) {
        reply_unknown(conn_reply_buf(c), argv, argc);
        return true;
    }
    if (cmd->subs && argc >= 2) {
        const srv_cmd *sub = cmd_sub_lookup(cmd, argv[1].p, argv[1].len);
        if (!sub) {
            reply_unknown_sub(conn_reply_buf(c), cmd, &argv[1]);
            return true;
        }
        cmd = sub;
    }
    if (!arity_ok(cmd, argc)) {
        reply_arity(conn_reply_buf(c), cmd->name); /* a subcommand's name reads "parent|sub" */
        return true;
    }
    if ((cmd->flags & CMD_BARRIER) && c->head) return false;
    cmd->run(c, cmd, argv, argc);
    return true;
}

/* ---- starting ops ------------------------------------------------------------------- */

srv_op *new_key_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                   srv_keyfn fn) {
    srv_op *op = op_new(c, cmd, argv, argc);
    if (!op || op_parts(op, 1) != VL_OK) {
        if (op) op_free(op);
        reply_status_error(conn_reply_buf(c), VL_ENOMEM);
        return NULL;
    }
    op->fn = fn;
    return op;
}

srv_op *start_key_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                     srv_keyfn fn, int64_t n1, int64_t n2, uint32_t flags) {
    srv_op *op = new_key_op(c, cmd, argv, argc, fn);
    if (!op) return NULL;
    op->n1 = n1;
    op->n2 = n2;
    op->flags = flags;
    op_start(op);
    return op;
}

srv_op *start_multi_op(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc,
                       srv_keyfn fn, uint32_t nkeys, uint32_t flags) {
    srv_op *op = op_new(c, cmd, argv, argc);
    if (op) op->multi = true;
    if (!op || op_parts(op, nkeys) != VL_OK) {
        if (op) op_free(op);
        reply_status_error(conn_reply_buf(c), VL_ENOMEM);
        return NULL;
    }
    op->fn = fn;
    op->flags = flags;
    op->multi = true;
    op->blind = flags & MULTI_BLIND;
    if (cmd->flags & CMD_BARRIER) {
        op->is_barrier = true;
        c->barrier = true;
    }
    op_start(op);
    return op;
}
