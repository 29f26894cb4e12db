/*
 * command.h -- what a command is (srv_cmd: its name, arity, flags, key
 * positions, handlers and COMMAND's descriptions) and the index that finds
 * one by name (cmd_index.c).
 *
 * Owns: srv_cmd and the index over the families' tables.
 * Threads: the index is filled once, on the main thread before any shard
 * dispatches (commands.c: cmd_init), and only read afterwards, by any
 * thread.
 *
 * Layer: above the protocol (resp.h); below the connections and ops
 * (conn.h), which keep the command they run. The handlers are called
 * through these pointers by the layers above: cmd_dispatch (commands.c)
 * runs `run`, an op's return home (op.c) runs `home`.
 */
#ifndef VL_SERVER_COMMAND_H
#define VL_SERVER_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

struct srv_conn;
struct srv_op;
struct srv_cmd;

/* Command flags. */
enum {
    CMD_WRITE = 1,    /* changes keys (denied nothing; for COMMAND INFO) */
    CMD_BARRIER = 2,  /* runs alone: after every earlier command of the
                         connection answered, before any later one starts */
    CMD_KEYS = 4      /* takes keys at first..last by step */
};

/* A command's home-side handler: checks and parses the arguments, then
 * answers at once (conn_reply_buf) or starts an op. argv[0] is the name. */
typedef void (*srv_cmd_fn)(struct srv_conn *c, const struct srv_cmd *cmd,
                           const vl_resp_arg *argv, size_t argc);
/* Home: an op's parts are all done; builds the reply into op->reply and
 * returns true, or starts another phase and returns false. NULL: the
 * single part already wrote op->reply. */
typedef bool (*srv_home_fn)(struct srv_op *op);

typedef struct srv_cmd {
    const char *name;      /* lowercase */
    int arity;             /* Redis's: n exact, -n at least n */
    uint32_t flags;        /* CMD_* */
    int first, last, step; /* key positions (COMMAND INFO) */
    srv_cmd_fn run;
    srv_home_fn home;
    const char *rflags;    /* COMMAND INFO flags, e.g. "readonly,fast" */
    const char *acl;       /* "@read,@string,@fast" */
    const char *tips;      /* "" or "nondeterministic_output,..." */
    const char *keyspec;   /* key-spec flags "RO,access"; "" without keys */
    const char *group, *since, *complexity, *summary; /* COMMAND DOCS */
    const struct srv_cmd *subs; /* subcommands, NULL-name terminated */
} srv_cmd;

/* The end of a table of commands. */
#define SRV_CMD_END {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL}

/* Main thread, before any lookup: adds a family's table (ended by
 * SRV_CMD_END) to the index. False if the index is full. */
bool cmd_index_add(const srv_cmd *table);
/* The command named n bytes at p (any case), or NULL. */
const srv_cmd *cmd_lookup(const uint8_t *p, size_t n);
/* The subcommand of `parent` named p[0..n), or NULL. */
const srv_cmd *cmd_sub_lookup(const srv_cmd *parent, const uint8_t *p, size_t n);
/* Every top-level command, in the order the tables were added (at most
 * cap of them into out); returns how many. */
size_t cmd_all(const srv_cmd **out, size_t cap);
/* Number of top-level commands. */
size_t cmd_count(void);

#endif
