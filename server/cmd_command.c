/*
 * cmd_command.c -- COMMAND (COUNT INFO DOCS LIST HELP): the commands'
 * descriptions, from the index (command.h).
 *
 * Owns: nothing global. Threads: the connection's home shard.
 */
#include <string.h>

#include "cmd_util.h"

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

/* ---- the table ---------------------------------------------------------------------------------- */

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
    SRV_CMD_END,
};

const srv_cmd cmd_command_table[] = {
    NOKEY("command", -1, 0, command_run, "loading,stale", "@slow,@connection",
          "nondeterministic_output_order", "server", "2.8.13",
          "O(N) where N is the total number of commands", "Returns details about every command.",
          command_subs),
    SRV_CMD_END,
};
