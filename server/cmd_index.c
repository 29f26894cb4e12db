/*
 * cmd_index.c -- the index of commands by name (command.h): an open
 * addressing table over the families' tables, filled once at start.
 *
 * Owns: the index. Threads: cmd_index_add on the main thread before any
 * shard dispatches; lookups on any thread afterwards (read-only).
 */
#include <ctype.h>
#include <string.h>

#include "command.h"

#define INDEX_SLOTS 256u /* a power of two, well above the number of commands */
#define TABLES_MAX 16u   /* command families */

static const srv_cmd *index_slots[INDEX_SLOTS];
static const srv_cmd *tables[TABLES_MAX];
static size_t ntables, ncommands;

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

bool cmd_index_add(const srv_cmd *table) {
    size_t n = 0;
    for (const srv_cmd *c = table; c->name; c++) n++;
    if (ntables == TABLES_MAX || (ncommands + n) * 2 > INDEX_SLOTS) return false;
    tables[ntables++] = table;
    for (const srv_cmd *c = table; c->name; c++) {
        uint64_t i = name_hash((const uint8_t *)c->name, strlen(c->name)) & (INDEX_SLOTS - 1);
        while (index_slots[i]) i = (i + 1) & (INDEX_SLOTS - 1);
        index_slots[i] = c;
        ncommands++;
    }
    return true;
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

size_t cmd_all(const srv_cmd **out, size_t cap) {
    size_t n = 0;
    for (size_t t = 0; t < ntables; t++)
        for (const srv_cmd *c = tables[t]; c->name && n < cap; c++) out[n++] = c;
    return n;
}
