/*
 * cmd_conn.c -- the connection commands: PING, ECHO, HELLO, SELECT, CLIENT
 * (SETNAME GETNAME ID HELP), QUIT.
 *
 * Owns: nothing global. Threads: the connection's home shard.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"

/* ---- PING, ECHO, SELECT, QUIT ------------------------------------------- */

static void ping_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    vl_buf *b = conn_reply_buf(c);
    if (argc > 2) reply_arity(b, cmd->name);
    else if (argc == 2) (void)vl_resp_write_bulk(b, argv[1].p, argv[1].len);
    else (void)vl_resp_write_simple(b, "PONG", 4);
}

static void echo_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd, (void)argc;
    (void)vl_resp_write_bulk(conn_reply_buf(c), argv[1].p, argv[1].len);
}

static void select_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd, (void)argc;
    int64_t db;
    vl_buf *b = conn_reply_buf(c);
    if (!arg_ll(&argv[1], &db)) reply_not_int(b);
    else if (db != 0) reply_error(b, "ERR DB index is out of range");
    else reply_ok(b);
}

static void quit_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    reply_ok(conn_reply_buf(c));
    conn_close_after_replies(c);
}

/* ---- CLIENT ------------------------------------------------------------------------------ */

static bool valid_name(const vl_resp_arg *a) {
    for (size_t i = 0; i < a->len; i++)
        if (a->p[i] < '!' || a->p[i] > '~') return false;
    return true;
}

/* Sets the connection's name; false after replying the error. */
static bool set_name(srv_conn *c, const vl_resp_arg *a, vl_buf *b) {
    if (!valid_name(a)) {
        reply_error(b, "ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
    }
    free(c->name);
    c->name = NULL;
    if (a->len) {
        c->name = malloc(a->len + 1);
        if (c->name) {
            memcpy(c->name, a->p, a->len);
            c->name[a->len] = 0;
        }
    }
    return true;
}

static void client_setname_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                               size_t argc) {
    (void)cmd, (void)argc;
    vl_buf *b = conn_reply_buf(c);
    if (set_name(c, &argv[2], b)) reply_ok(b);
}

static void client_getname_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                               size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    vl_buf *b = conn_reply_buf(c);
    if (c->name) (void)vl_resp_write_bulk(b, c->name, strlen(c->name));
    else (void)vl_resp_write_null(b, c->proto);
}

static void client_id_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    (void)vl_resp_write_int(conn_reply_buf(c), (long long)c->id);
}

static void client_help_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                            size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    static const char *const lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME", "    The name of this connection, or nil.",
        "ID", "    The id of this connection.",
        "SETNAME <name>", "    Names this connection (\"\" removes the name).",
        "HELP", "    This text.",
        NULL};
    reply_help(conn_reply_buf(c), lines);
}

/* ---- HELLO --------------------------------------------------------------------------------- */

static void hello_reply(srv_conn *c, vl_buf *b) {
    (void)vl_resp_write_map(b, c->proto, 7);
    (void)vl_resp_write_bulk(b, "server", 6);
    (void)vl_resp_write_bulk(b, "redis", 5);
    (void)vl_resp_write_bulk(b, "version", 7);
    (void)vl_resp_write_bulk(b, "7.0.15", 6);
    (void)vl_resp_write_bulk(b, "proto", 5);
    (void)vl_resp_write_int(b, c->proto);
    (void)vl_resp_write_bulk(b, "id", 2);
    (void)vl_resp_write_int(b, (long long)c->id);
    (void)vl_resp_write_bulk(b, "mode", 4);
    (void)vl_resp_write_bulk(b, "standalone", 10);
    (void)vl_resp_write_bulk(b, "role", 4);
    (void)vl_resp_write_bulk(b, "master", 6);
    (void)vl_resp_write_bulk(b, "modules", 7);
    (void)vl_resp_write_array(b, 0);
}

static void hello_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd;
    vl_buf *b = conn_reply_buf(c);
    int64_t ver = c->proto;
    if (argc >= 2) {
        if (!arg_ll(&argv[1], &ver)) {
            reply_error(b, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(b, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const vl_resp_arg *user = NULL, *name = NULL;
    for (size_t j = 2; j < argc; j++) {
        size_t more = argc - 1 - j;
        if (arg_is(&argv[j], "AUTH") && more >= 2) {
            user = &argv[j + 1];
            j += 2;
        } else if (arg_is(&argv[j], "SETNAME") && more >= 1) {
            name = &argv[++j];
        } else {
            size_t n = argv[j].len;
            const void *z = memchr(argv[j].p, 0, n);
            if (z) n = (size_t)((const uint8_t *)z - argv[j].p);
            reply_errorf(b, "ERR Syntax error in HELLO option '%.*s'", (int)n,
                         (const char *)argv[j].p);
            return;
        }
    }
    if (user && !arg_is(user, "default")) { /* no passwords: the default user only */
        reply_error(b, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    if (name && !set_name(c, name, b)) return;
    c->proto = (uint8_t)ver;
    hello_reply(c, b);
}

/* ---- the tables ---------------------------------------------------------------------------------- */

static const srv_cmd client_subs[] = {
    NOKEY("client|setname", 3, 0, client_setname_run, "noscript,loading,stale",
          "@slow,@connection", "", "connection", "2.6.9", "O(1)", "Names the connection.", NULL),
    NOKEY("client|getname", 2, 0, client_getname_run, "noscript,loading,stale",
          "@slow,@connection", "", "connection", "2.6.9", "O(1)",
          "Returns the name of the connection.", NULL),
    NOKEY("client|id", 2, 0, client_id_run, "noscript,loading,stale", "@slow,@connection", "",
          "connection", "5.0.0", "O(1)", "Returns the id of the connection.", NULL),
    NOKEY("client|help", 2, 0, client_help_run, "loading,stale", "@slow,@connection", "",
          "connection", "5.0.0", "O(1)", "Describes the CLIENT subcommands.", NULL),
    SRV_CMD_END,
};

const srv_cmd cmd_conn_table[] = {
    NOKEY("ping", -1, 0, ping_run, "fast", "@fast,@connection",
          "request_policy:all_shards,response_policy:all_succeeded", "connection", "1.0.0",
          "O(1)", "Returns PONG, or the argument.", NULL),
    NOKEY("echo", 2, 0, echo_run, "loading,stale,fast", "@fast,@connection", "", "connection",
          "1.0.0", "O(1)", "Returns the argument.", NULL),
    NOKEY("hello", -1, 0, hello_run, "noscript,loading,stale,fast,no_auth,allow_busy",
          "@fast,@connection", "", "connection", "6.0.0", "O(1)",
          "Chooses the protocol (RESP2 or RESP3) and describes the server.", NULL),
    NOKEY("select", 2, 0, select_run, "loading,stale,fast", "@fast,@connection", "",
          "connection", "1.0.0", "O(1)", "Selects database 0 (the only one).", NULL),
    NOKEY("client", -2, 0, NULL, "", "@slow", "", "connection", "2.4.0",
          "Depends on subcommand.", "A container for connection commands.", client_subs),
    NOKEY("quit", -1, 0, quit_run, "noscript,loading,stale,fast,no_auth,allow_busy",
          "@fast,@connection", "", "connection", "1.0.0", "O(1)", "Closes the connection.",
          NULL),
    SRV_CMD_END,
};
