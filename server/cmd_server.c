/*
 * cmd_server.c -- the connection and server commands: PING, ECHO, INFO,
 * DBSIZE, COMMAND (COUNT INFO DOCS LIST HELP), HELLO, SELECT, CLIENT
 * (SETNAME GETNAME ID HELP), CONFIG (GET SET HELP), QUIT, SHUTDOWN,
 * FLUSHALL, FLUSHDB.
 *
 * Owns: nothing global. Threads: the connection's home shard, except
 * FLUSHALL's completion (the vl_clear callback, on a shard thread, which
 * only finishes its part).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_util.h"

size_t cmd_all(const srv_cmd **out, size_t cap);

/* ---- PING, ECHO, SELECT, DBSIZE, QUIT ------------------------------------------- */

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

static void dbsize_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    int64_t n = srv_dbsize(c->sh->srv);
    (void)vl_resp_write_int(conn_reply_buf(c), n < 0 ? 0 : n);
}

static void quit_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    reply_ok(conn_reply_buf(c));
    conn_close_after_replies(c);
}

static void info_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd;
    vl_buf text = {0};
    info_text(c->sh->srv, c, argv + 1, argc - 1, &text);
    (void)vl_resp_write_verbatim(conn_reply_buf(c), c->proto, "txt", text.data, text.len);
    vl_buf_free(&text);
}

/* ---- HELP texts ---------------------------------------------------------------------- */

static void reply_help(vl_buf *b, const char *const *lines) {
    size_t n = 0;
    while (lines[n]) n++;
    (void)vl_resp_write_array(b, n);
    for (size_t i = 0; i < n; i++) (void)vl_resp_write_simple(b, lines[i], strlen(lines[i]));
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

/* ---- CONFIG -------------------------------------------------------------------------------- */

typedef struct param {
    const char *name;
    char value[1300];
} param;

static size_t config_params(srv *s, param *p, size_t cap) {
    const srv_config *cfg = &s->cfg;
    char dur[32];
    size_t n = 0;
#define P(nm, ...)                                                                      \
    do {                                                                                \
        if (n < cap) {                                                                  \
            p[n].name = nm;                                                             \
            snprintf(p[n].value, sizeof p[n].value, __VA_ARGS__);                       \
            n++;                                                                        \
        }                                                                               \
    } while (0)
    P("bind", "%s", cfg->bind);
    P("port", "%u", (unsigned)s->port);
    P("maxclients", "%u", cfg->maxclients);
    P("maxmemory", "%llu", (unsigned long long)cfg->max_bytes);
    P("maxmemory-policy", "%s", cfg->evict_policy == VL_EVICT_S3FIFO ? "s3-fifo" : "allkeys-lru");
    P("maxmemory-samples", "%u", VL_EVICT_SAMPLES_DEFAULT);
    P("save", "%s", "");
    P("appendonly", "%s", "no");
    P("databases", "%d", 1);
    P("timeout", "%d", 0);
    P("dir", "%s", cfg->data_dir);
    P("hz", "%u", VL_EXPIRE_HZ_DEFAULT);
    P("proto-max-bulk-len", "%u", VL_RESP_BULK_MAX_DEFAULT);
    P("client-query-buffer-limit", "%u", VL_RESP_QUERY_MAX_DEFAULT);
    P("client-output-buffer-limit", "normal %llu %llu 0",
      (unsigned long long)cfg->output_limit, (unsigned long long)cfg->output_limit);
    P("vellir-durability", "%s", srv_durability_text(cfg, dur, sizeof dur));
    P("vellir-shards", "%u", s->nshards);
    P("vellir-upstream", "%s", s->upstream_desc);
    P("vellir-max-keys", "%llu", (unsigned long long)cfg->max_keys);
    P("vellir-max-value", "%u", cfg->value_max);
    P("vellir-flush", "%s", cfg->flush_enabled ? "yes" : "no");
#undef P
    return n;
}

static bool has_glob(const vl_resp_arg *a) {
    return memchr(a->p, '*', a->len) || memchr(a->p, '?', a->len) || memchr(a->p, '[', a->len);
}

/* CONFIG GET: a pattern without glob characters names one parameter, which
 * is answered under the name as given (as Redis 7.0 does); glob patterns
 * add every parameter they match. Each parameter is answered once. */
static void config_get_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                           size_t argc) {
    (void)cmd;
    param ps[32];
    size_t n = config_params(c->sh->srv, ps, 32);
    const vl_resp_arg *as[32] = {NULL}; /* the name to answer with, per parameter */
    bool hit[32] = {false};
    size_t order[32], hits = 0;
    for (size_t i = 2; i < argc; i++)
        for (size_t k = 0; k < n; k++) {
            if (hit[k]) continue;
            bool glob = has_glob(&argv[i]);
            if (!glob_match((const char *)argv[i].p, argv[i].len, ps[k].name, strlen(ps[k].name),
                            true))
                continue;
            hit[k] = true;
            as[k] = glob ? NULL : &argv[i];
            order[hits++] = k;
        }
    vl_buf *b = conn_reply_buf(c);
    (void)vl_resp_write_map(b, c->proto, hits);
    for (size_t j = 0; j < hits; j++) {
        size_t k = order[j];
        if (as[k]) (void)vl_resp_write_bulk(b, as[k]->p, as[k]->len);
        else (void)vl_resp_write_bulk(b, ps[k].name, strlen(ps[k].name));
        (void)vl_resp_write_bulk(b, ps[k].value, strlen(ps[k].value));
    }
}

static void config_set_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                           size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    reply_error(conn_reply_buf(c),
                "ERR CONFIG SET is not supported by vellir-server: restart it with the option");
}

static void config_help_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                            size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern> [<pattern> ...]", "    The parameters matching the glob patterns and their values.",
        "HELP", "    This text.", NULL};
    reply_help(conn_reply_buf(c), lines);
}

/* ---- COMMAND ------------------------------------------------------------------------------------ */

/* Writes a comma-separated list as a set of simple strings (or bulks). */
static void write_list(vl_buf *b, int proto, const char *list, bool bulk) {
    size_t n = 0;
    for (const char *p = list; *p;) {
        n++;
        const char *comma = strchr(p, ',');
        p = comma ? comma + 1 : p + strlen(p);
    }
    (void)vl_resp_write_set(b, proto, n);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (bulk) (void)vl_resp_write_bulk(b, p, len);
        else (void)vl_resp_write_simple(b, p, len);
        p += len + (comma ? 1 : 0);
    }
}

static void write_str(vl_buf *b, const char *s) { (void)vl_resp_write_bulk(b, s, strlen(s)); }

static void write_keyspec(vl_buf *b, int proto, const srv_cmd *c) {
    if (!(c->flags & CMD_KEYS)) {
        (void)vl_resp_write_set(b, proto, 0);
        return;
    }
    (void)vl_resp_write_set(b, proto, 1);
    (void)vl_resp_write_map(b, proto, 3);
    write_str(b, "flags");
    write_list(b, proto, c->keyspec, false);
    write_str(b, "begin_search");
    (void)vl_resp_write_map(b, proto, 2);
    write_str(b, "type");
    write_str(b, "index");
    write_str(b, "spec");
    (void)vl_resp_write_map(b, proto, 1);
    write_str(b, "index");
    (void)vl_resp_write_int(b, c->first);
    write_str(b, "find_keys");
    (void)vl_resp_write_map(b, proto, 2);
    write_str(b, "type");
    write_str(b, "range");
    write_str(b, "spec");
    (void)vl_resp_write_map(b, proto, 3);
    write_str(b, "lastkey");
    (void)vl_resp_write_int(b, c->last == -1 ? -1 : 0);
    write_str(b, "keystep");
    (void)vl_resp_write_int(b, c->step);
    write_str(b, "limit");
    (void)vl_resp_write_int(b, 0);
}

static size_t sub_count(const srv_cmd *c) {
    size_t n = 0;
    for (const srv_cmd *s = c->subs; s && s->name; s++) n++;
    return n;
}

static void write_info(vl_buf *b, int proto, const srv_cmd *c) {
    (void)vl_resp_write_array(b, 10);
    write_str(b, c->name);
    (void)vl_resp_write_int(b, c->arity);
    write_list(b, proto, c->rflags, false);
    (void)vl_resp_write_int(b, c->first);
    (void)vl_resp_write_int(b, c->last);
    (void)vl_resp_write_int(b, c->step);
    write_list(b, proto, c->acl, false);
    write_list(b, proto, c->tips, true);
    write_keyspec(b, proto, c);
    size_t subs = sub_count(c);
    if (subs == 0) {
        (void)vl_resp_write_set(b, proto, 0);
        return;
    }
    (void)vl_resp_write_array(b, subs);
    for (const srv_cmd *s = c->subs; s->name; s++) write_info(b, proto, s);
}

/* A command or "container|sub" by name; NULL if unknown. */
static const srv_cmd *find_any(const vl_resp_arg *a) {
    const uint8_t *bar = memchr(a->p, '|', a->len);
    if (!bar) return cmd_lookup(a->p, a->len);
    const srv_cmd *parent = cmd_lookup(a->p, (size_t)(bar - a->p));
    return parent ? cmd_sub_lookup(parent, bar + 1, a->len - (size_t)(bar - a->p) - 1) : NULL;
}

static void command_all(srv_conn *c, vl_buf *b) {
    const srv_cmd *all[128];
    size_t n = cmd_all(all, 128);
    (void)vl_resp_write_array(b, n);
    for (size_t i = 0; i < n; i++) write_info(b, c->proto, all[i]);
}

static void command_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    command_all(c, conn_reply_buf(c));
}

static void command_count_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                              size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    (void)vl_resp_write_int(conn_reply_buf(c), (long long)cmd_count());
}

static void command_info_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                             size_t argc) {
    (void)cmd;
    vl_buf *b = conn_reply_buf(c);
    if (argc == 2) {
        command_all(c, b);
        return;
    }
    (void)vl_resp_write_array(b, argc - 2);
    for (size_t i = 2; i < argc; i++) {
        const srv_cmd *x = find_any(&argv[i]);
        if (x) write_info(b, c->proto, x);
        else (void)vl_resp_write_null(b, c->proto);
    }
}

static void write_docs(vl_buf *b, int proto, const srv_cmd *c) {
    write_str(b, c->name);
    (void)vl_resp_write_map(b, proto, 4);
    write_str(b, "summary");
    write_str(b, c->summary);
    write_str(b, "since");
    write_str(b, c->since);
    write_str(b, "group");
    write_str(b, c->group);
    write_str(b, "complexity");
    write_str(b, c->complexity);
}

static void command_docs_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                             size_t argc) {
    (void)cmd;
    vl_buf *b = conn_reply_buf(c);
    const srv_cmd *found[128];
    size_t n = 0;
    if (argc == 2) {
        n = cmd_all(found, 128);
    } else {
        for (size_t i = 2; i < argc && n < 128; i++) {
            const srv_cmd *x = find_any(&argv[i]);
            if (x) found[n++] = x;
        }
    }
    (void)vl_resp_write_map(b, c->proto, n);
    for (size_t i = 0; i < n; i++) write_docs(b, c->proto, found[i]);
}

static void command_list_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                             size_t argc) {
    (void)cmd, (void)argv;
    vl_buf *b = conn_reply_buf(c);
    if (argc > 2) {
        reply_syntax(b);
        return;
    }
    const srv_cmd *all[128];
    size_t n = cmd_all(all, 128), total = n;
    for (size_t i = 0; i < n; i++) total += sub_count(all[i]);
    (void)vl_resp_write_array(b, total);
    for (size_t i = 0; i < n; i++) {
        write_str(b, all[i]->name);
        for (const srv_cmd *s = all[i]->subs; s && s->name; s++) write_str(b, s->name);
    }
}

static void command_help_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                             size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    static const char *const lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)", "    Every command's details.",
        "COUNT", "    The number of commands.",
        "DOCS [<command-name> ...]", "    Documentation of the commands (all by default).",
        "INFO [<command-name> ...]", "    Details of the commands (all by default).",
        "LIST", "    The names of every command.",
        "HELP", "    This text.", NULL};
    reply_help(conn_reply_buf(c), lines);
}

/* ---- SHUTDOWN, FLUSHALL ------------------------------------------------------------------------ */

static void shutdown_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd;
    bool nosave = false, save = false, abort_ = false;
    size_t other = 0;
    for (size_t i = 1; i < argc; i++) {
        if (arg_is(&argv[i], "NOSAVE")) nosave = true;
        else if (arg_is(&argv[i], "SAVE")) save = true;
        else if (arg_is(&argv[i], "NOW") || arg_is(&argv[i], "FORCE")) other++;
        else if (arg_is(&argv[i], "ABORT")) abort_ = true;
        else {
            reply_syntax(conn_reply_buf(c));
            return;
        }
    }
    if ((nosave && save) || (abort_ && (nosave || save || other))) {
        reply_syntax(conn_reply_buf(c));
        return;
    }
    if (abort_) {
        reply_error(conn_reply_buf(c), "ERR No shutdown in progress.");
        return;
    }
    /* No reply, as Redis: the connection closes when the server stops. Every
     * dirty key is flushed whatever the options (docs/server.md). */
    conn_close_after_replies(c);
    srv_request_shutdown(c->sh->srv);
}

static void flush_done(void *arg, vl_status st) {
    srv_part *p = arg;
    if (st == VL_OK) reply_ok(part_buf(p));
    else reply_status_error(part_buf(p), st);
    part_done(p);
}

static vl_status flush_submit(srv_op *op, uint32_t i) {
    (void)i;
    srv *s = op->home->srv;
    vl_status st = vl_clear(s->svc, flush_done, &op->parts[0]);
    if (st == VL_EINVAL) { /* the upstream cannot be emptied */
        reply_errorf(&op->reply, "ERR FLUSHALL is not supported by this server's upstream (%s)",
                     s->cfg.upstream);
        part_done(&op->parts[0]);
        return VL_OK;
    }
    return st;
}

static void flush_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    if (argc > 2 || (argc == 2 && !arg_is(&argv[1], "ASYNC") && !arg_is(&argv[1], "SYNC"))) {
        reply_syntax(conn_reply_buf(c));
        return;
    }
    if (!c->sh->srv->cfg.flush_enabled) {
        reply_errorf(conn_reply_buf(c), "ERR %s is disabled on this server (--disable-flush)",
                     cmd->name[5] == 'a' ? "FLUSHALL" : "FLUSHDB");
        return;
    }
    srv_op *op = new_key_op(c, cmd, argv, 1, (srv_keyfn){NULL, NULL});
    if (!op) return;
    op->submit = flush_submit;
    op->is_barrier = true;
    c->barrier = true;
    op_start(op);
}

/* ---- the tables ---------------------------------------------------------------------------------- */

#define NOKEY(n, a, f, fn, fl, acl, tips, grp, since, cx, sum, subs)                          \
    {n, a, f, 0, 0, 0, fn, NULL, fl, acl, tips, "", grp, since, cx, sum, subs}

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
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

static const srv_cmd config_subs[] = {
    NOKEY("config|get", -3, 0, config_get_run, "admin,noscript,loading,stale",
          "@admin,@slow,@dangerous", "", "server", "2.0.0",
          "O(N) when N is the number of configuration parameters provided",
          "Returns the values of configuration parameters.", NULL),
    NOKEY("config|set", -4, 0, config_set_run, "admin,noscript,loading,stale",
          "@admin,@slow,@dangerous", "", "server", "2.0.0", "O(1)",
          "Refused: vellir-server is configured by its command line.", NULL),
    NOKEY("config|help", 2, 0, config_help_run, "loading,stale", "@slow", "", "server", "5.0.0",
          "O(1)", "Describes the CONFIG subcommands.", NULL),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

static const srv_cmd command_subs[] = {
    NOKEY("command|count", 2, 0, command_count_run, "loading,stale", "@slow,@connection", "",
          "server", "2.8.13", "O(1)", "Returns the number of commands.", NULL),
    NOKEY("command|info", -2, 0, command_info_run, "loading,stale", "@slow,@connection",
          "nondeterministic_output_order", "server", "2.8.13",
          "O(N) where N is the number of commands to look up",
          "Returns details about commands.", NULL),
    NOKEY("command|docs", -2, 0, command_docs_run, "loading,stale", "@slow,@connection",
          "nondeterministic_output_order", "server", "7.0.0",
          "O(N) where N is the number of commands to look up",
          "Returns documentary information about commands.", NULL),
    NOKEY("command|list", -2, 0, command_list_run, "loading,stale", "@slow,@connection",
          "nondeterministic_output_order", "server", "7.0.0",
          "O(N) where N is the total number of commands", "Returns the names of commands.", NULL),
    NOKEY("command|help", 2, 0, command_help_run, "loading,stale", "@slow,@connection", "",
          "server", "5.0.0", "O(1)", "Describes the COMMAND subcommands.", NULL),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

const srv_cmd cmd_server_table[] = {
    NOKEY("ping", -1, 0, ping_run, "fast", "@fast,@connection",
          "request_policy:all_shards,response_policy:all_succeeded", "connection", "1.0.0",
          "O(1)", "Returns PONG, or the argument.", NULL),
    NOKEY("echo", 2, 0, echo_run, "loading,stale,fast", "@fast,@connection", "", "connection",
          "1.0.0", "O(1)", "Returns the argument.", NULL),
    NOKEY("info", -1, 0, info_run, "loading,stale", "@slow,@dangerous",
          "nondeterministic_output,request_policy:all_shards,response_policy:special", "server",
          "1.0.0", "O(1)", "Returns information and statistics about the server.", NULL),
    NOKEY("dbsize", 1, 0, dbsize_run, "readonly,fast", "@keyspace,@read,@fast",
          "request_policy:all_shards,response_policy:agg_sum", "server", "1.0.0", "O(1)",
          "Returns the number of keys held in memory.", NULL),
    NOKEY("command", -1, 0, command_run, "loading,stale", "@slow,@connection",
          "nondeterministic_output_order", "server", "2.8.13",
          "O(N) where N is the total number of commands", "Returns details about every command.",
          command_subs),
    NOKEY("hello", -1, 0, hello_run, "noscript,loading,stale,fast,no_auth,allow_busy",
          "@fast,@connection", "", "connection", "6.0.0", "O(1)",
          "Chooses the protocol (RESP2 or RESP3) and describes the server.", NULL),
    NOKEY("select", 2, 0, select_run, "loading,stale,fast", "@fast,@connection", "",
          "connection", "1.0.0", "O(1)", "Selects database 0 (the only one).", NULL),
    NOKEY("client", -2, 0, NULL, "", "@slow", "", "connection", "2.4.0",
          "Depends on subcommand.", "A container for connection commands.", client_subs),
    NOKEY("config", -2, 0, NULL, "", "@slow", "", "server", "2.0.0", "Depends on subcommand.",
          "A container for configuration commands.", config_subs),
    NOKEY("quit", -1, 0, quit_run, "noscript,loading,stale,fast,no_auth,allow_busy",
          "@fast,@connection", "", "connection", "1.0.0", "O(1)", "Closes the connection.",
          NULL),
    NOKEY("shutdown", -1, CMD_BARRIER, shutdown_run,
          "admin,noscript,loading,stale,no_multi,allow_busy", "@admin,@slow,@dangerous", "",
          "server", "1.0.0", "O(N) when saving, where N is the number of dirty keys",
          "Flushes every dirty key to the upstream and stops the server.", NULL),
    NOKEY("flushall", -1, CMD_WRITE | CMD_BARRIER, flush_run, "write",
          "@keyspace,@write,@slow,@dangerous",
          "request_policy:all_shards,response_policy:all_succeeded", "server", "1.0.0",
          "O(N) where N is the total number of keys",
          "Deletes every key, in memory and in the upstream table.", NULL),
    NOKEY("flushdb", -1, CMD_WRITE | CMD_BARRIER, flush_run, "write",
          "@keyspace,@write,@slow,@dangerous",
          "request_policy:all_shards,response_policy:all_succeeded", "server", "1.0.0",
          "O(N) where N is the number of keys",
          "Deletes every key of database 0 (the only one), in memory and upstream.", NULL),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
