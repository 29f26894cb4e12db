/*
 * commands.c -- the command table: the list of the families, indexed once
 * by cmd_init, and the dispatch of a request: lookup, subcommand and arity
 * checks, unknown-command errors, barriers, then the command's handler.
 *
 * Owns: the list of families (commands.h). Threads: cmd_init on the main
 * thread before any shard dispatches; cmd_dispatch on a connection's home
 * shard.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"
#include "commands.h"

/* ---- the table ------------------------------------------------------------ */

/* Every family, in the order COMMAND lists them. */
static const srv_cmd *const families[] = {
    cmd_string_table, cmd_counter_table, cmd_keys_table,    cmd_keyspace_table,
    cmd_hash_table,   cmd_conn_table,    cmd_server_table,  cmd_command_table,
};

void cmd_init(void) {
    if (cmd_count()) return;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (!cmd_index_add(families[i])) abort(); /* the index is sized for far more */
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
