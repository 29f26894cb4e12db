/*
 * cmd_server.c -- the server commands: INFO, CONFIG (GET SET HELP),
 * SHUTDOWN, FLUSHALL, FLUSHDB, MEMORY (USAGE HELP). (DBSIZE counts the
 * keyspace: cmd_keyspace.c.)
 *
 * Owns: nothing global. Threads: the connection's home shard, except
 * FLUSHALL's completion (the vl_clear callback, on a shard thread, which
 * only finishes its part).
 */
#include <stdio.h>
#include <string.h>

#include "cmd_util.h"
#include "info.h"

/* ---- INFO ------------------------------------------------------------------------ */

static void info_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv, size_t argc) {
    (void)cmd;
    vl_buf text = {0};
    info_text(c->sh->srv, argv + 1, argc - 1, &text);
    (void)vl_resp_write_verbatim(conn_reply_buf(c), c->proto, "txt", text.data, text.len);
    vl_buf_free(&text);
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
                     srv_upstream_name(&s->cfg));
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

/* ---- MEMORY USAGE, MEMORY HELP ---------------------------------------------------------------------- */

/* vellir's own accounting of a key: its entry (8-byte header, the key and
 * the 16-byte value, each rounded to 8 bytes), what the value holds on the
 * heap, and about 12 bytes of the shard's table slot. Redis counts its own
 * structures; the numbers differ (docs/server.md). */
static void memory_usage_rd(void *arg, vl_status st, const vl_view *v) {
    srv_part *p = arg;
    vl_buf *b = part_buf(p);
    if (st == VL_ENOTFOUND) {
        (void)vl_resp_write_null(b, p->op->proto);
    } else if (st != VL_OK) {
        part_fail(p, st);
        return;
    } else {
        size_t k = (v->key_len + 7) & ~(size_t)7;
        (void)vl_resp_write_int(b, (long long)(8 + k + sizeof(sv_value) + sv_mem(v->value) + 12));
    }
    part_done(p);
}

/* MEMORY USAGE key [SAMPLES count]: SAMPLES is checked as Redis does, and
 * then has no use (the count is exact). */
static void memory_usage_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                             size_t argc) {
    for (size_t j = 3; j < argc; j++) {
        int64_t samples;
        if (!arg_is(&argv[j], "samples") || j + 1 >= argc) {
            reply_syntax(conn_reply_buf(c));
            return;
        }
        if (!arg_ll(&argv[++j], &samples)) {
            reply_not_int(conn_reply_buf(c));
            return;
        }
        if (samples < 0) {
            reply_syntax(conn_reply_buf(c));
            return;
        }
    }
    srv_op *op = new_key_op(c, cmd, argv, argc, (srv_keyfn){memory_usage_rd, NULL});
    if (op) op_start(op);
}

static void memory_help_run(srv_conn *c, const srv_cmd *cmd, const vl_resp_arg *argv,
                            size_t argc) {
    (void)cmd, (void)argv, (void)argc;
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value (vellir's accounting).",
        "HELP", "    This text.", NULL};
    reply_help(conn_reply_buf(c), lines);
}

/* ---- the tables ---------------------------------------------------------------------------------- */

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
    SRV_CMD_END,
};

static const srv_cmd memory_subs[] = {
    {"memory|usage", -3, CMD_KEYS, 2, 2, 1, memory_usage_run, NULL, "readonly",
     "@read,@slow", "", "RO", "server", "4.0.0", "O(1)",
     "Returns the bytes vellir holds in memory for a key and its value.", NULL},
    NOKEY("memory|help", 2, 0, memory_help_run, "loading,stale", "@slow", "", "server", "4.0.0",
          "O(1)", "Describes the MEMORY subcommands.", NULL),
    SRV_CMD_END,
};

const srv_cmd cmd_server_table[] = {
    NOKEY("info", -1, 0, info_run, "loading,stale", "@slow,@dangerous",
          "nondeterministic_output,request_policy:all_shards,response_policy:special", "server",
          "1.0.0", "O(1)", "Returns information and statistics about the server.", NULL),
    NOKEY("config", -2, 0, NULL, "", "@slow", "", "server", "2.0.0", "Depends on subcommand.",
          "A container for configuration commands.", config_subs),
    NOKEY("memory", -2, 0, NULL, "", "@slow", "", "server", "4.0.0", "Depends on subcommand.",
          "A container for memory diagnostics commands.", memory_subs),
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
    SRV_CMD_END,
};
