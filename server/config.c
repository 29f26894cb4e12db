/*
 * config.c -- vellir-server's command line, from the table of options
 * (options.h): the defaults (srv_config_init), the parsing with range
 * checks and messages (srv_config_parse), and the rules of the upstreams'
 * groups (an option of one upstream refused with another; a required one
 * missing); --help is config_help.c's.
 *
 * Owns: nothing but functions over srv_config. Threads: the main thread,
 * before anything starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "vellir.h"

static void *field(srv_config *c, const option *o) { return (char *)c + o->offset; }

/* Stores v into the option's integer field, whatever its width. */
static void store_int(srv_config *c, const option *o, int64_t v) {
    void *f = field(c, o);
    if (o->size == sizeof(int64_t)) {
        memcpy(f, &v, sizeof v);
    } else if (o->size == sizeof(int32_t)) {
        int32_t x = (int32_t)v;
        memcpy(f, &x, sizeof x);
    } else {
        bool b = v != 0;
        memcpy(f, &b, sizeof b);
    }
}

static void store_str(srv_config *c, const option *o, const char *v) {
    snprintf(field(c, o), o->size, "%s", v);
}

void srv_config_init(srv_config *c) {
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < srv_noptions; i++) {
        const option *o = &srv_options[i];
        if (o->kind == OPT_STR) store_str(c, o, option_sdefault(o));
        else if (o->kind != OPT_HELP && o->kind != OPT_VERSION) store_int(c, o, option_default(o));
    }
}

const char *srv_durability_text(const srv_config *c, char *buf, size_t cap) {
    if (c->durability_immediate) snprintf(buf, cap, "immediate");
    else snprintf(buf, cap, "within:%u", c->within_ms);
    return buf;
}

/* ---- parsing --------------------------------------------------------------------- */

/* Parses "123", "64k", "16m", "1g" (powers of 1024), with an optional b. */
static bool parse_size(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-' || s[0] == '+' || s[0] == ' ') return false;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K') mul = 1ull << 10;
    else if (*end == 'm' || *end == 'M') mul = 1ull << 20;
    else if (*end == 'g' || *end == 'G') mul = 1ull << 30;
    if (mul != 1) end++;
    if ((*end == 'b' || *end == 'B') && end[1] == 0) end++;
    if (*end || v > UINT64_MAX / mul) return false;
    *out = v * mul;
    return true;
}

static void bad(const option *o, const char *v, const char *why) {
    fprintf(stderr, "vellir-server: bad value '%s' for --%s: %s (see --help)\n", v, o->name, why);
}

/* The number at s, in the option's range, into *n; false after a message
 * about the value v (s, or the end of it). */
static bool parse_number(const option *o, const char *v, const char *s, uint64_t *n) {
    char why[128], lo[32], hi[32];
    if (!parse_size(s, n)) {
        bad(o, v, "not a number (k, m, g suffixes are powers of 1024)");
        return false;
    }
    if (*n >= o->min && *n <= o->max) return true;
    option_show(lo, sizeof lo, o, o->min);
    option_show(hi, sizeof hi, o, o->max);
    if (o->max == UINT64_MAX) snprintf(why, sizeof why, "out of range: at least %s", lo);
    else snprintf(why, sizeof why, "out of range: from %s to %s", lo, hi);
    bad(o, v, why);
    return false;
}

static bool parse_enum(srv_config *c, const option *o, const char *v) {
    for (const choice *ch = o->choices; ch->name; ch++)
        if (!strcmp(v, ch->name)) {
            store_int(c, o, ch->value);
            return true;
        }
    char why[128];
    size_t n = (size_t)snprintf(why, sizeof why, "not one of:");
    for (const choice *ch = o->choices; ch->name && n < sizeof why; ch++)
        n += (size_t)snprintf(why + n, sizeof why - n, "%s %s", ch == o->choices ? "" : ",",
                              ch->name);
    bad(o, v, why);
    return false;
}

static bool parse_durability(srv_config *c, const option *o, const char *v) {
    uint64_t ms;
    if (!strcmp(v, "immediate")) {
        c->durability_immediate = true;
        return true;
    }
    if (strncmp(v, "within:", 7)) {
        bad(o, v, "neither immediate nor within:MS");
        return false;
    }
    if (!parse_number(o, v, v + 7, &ms)) return false;
    c->durability_immediate = false;
    store_int(c, o, (int64_t)ms);
    return true;
}

/* Applies the option's value; false after a message. */
static bool apply(srv_config *c, const option *o, const char *v) {
    uint64_t n;
    switch (o->kind) {
    case OPT_NUM:
    case OPT_SIZE:
        if (!parse_number(o, v, v, &n)) return false;
        store_int(c, o, (int64_t)n);
        return true;
    case OPT_STR: {
        char why[256];
        if (!*v || strlen(v) >= o->size) {
            bad(o, v, *v ? "too long" : "empty");
            return false;
        }
        if (o->check && o->check(v, why, sizeof why)) {
            /* The value may be a connection string with a password: the
             * message names the option, not the value. */
            fprintf(stderr, "vellir-server: bad value for --%s: %s (see --help)\n", o->name, why);
            return false;
        }
        store_str(c, o, v);
        return true;
    }
    case OPT_ENUM:
        return parse_enum(c, o, v);
    case OPT_DURABILITY:
        return parse_durability(c, o, v);
    default:
        return false;
    }
}

/* The option argument a names ("-p", "--port", "--port=V": *val is V). */
static const option *find(const char *a, const char **val) {
    *val = NULL;
    size_t len = strlen(a);
    bool is_long = !strncmp(a, "--", 2);
    if (is_long) {
        a += 2;
        const char *eq = strchr(a, '=');
        len = eq ? (size_t)(eq - a) : strlen(a);
        if (eq) *val = eq + 1;
    }
    for (size_t i = 0; i < srv_noptions; i++) {
        const option *o = &srv_options[i];
        if (is_long ? strlen(o->name) == len && !strncmp(a, o->name, len)
                    : len == 2 && a[0] == '-' && o->short_name && a[1] == o->short_name)
            return o;
    }
    return NULL;
}

/* One argument at argv[*i] (and its value after it); 0 to go on, 1 after
 * --help or --version, -1 after a message. The option's row goes to *row. */
static int parse_one(srv_config *c, int argc, char **argv, int *i, const option **row) {
    const char *a = argv[*i], *val;
    const option *o = *row = find(a, &val);
    if (!o) {
        fprintf(stderr, "vellir-server: unknown %s '%s' (see --help)\n",
                strncmp(a, "--", 2) ? "argument" : "option", a);
        return -1;
    }
    if (!o->arg && val) {
        fprintf(stderr, "vellir-server: option '--%s' takes no value\n", o->name);
        return -1;
    }
    if (o->kind == OPT_HELP) srv_config_usage(stdout);
    if (o->kind == OPT_VERSION)
        printf("vellir-server %s (Redis protocol of redis 7.0)\n", VELLIR_VERSION);
    if (o->kind == OPT_HELP || o->kind == OPT_VERSION) return 1;
    if (o->kind == OPT_FLAG) {
        store_int(c, o, !o->def);
        return 0;
    }
    if (!val && *i + 1 >= argc) {
        fprintf(stderr, "vellir-server: option '%s' needs a value\n", a);
        return -1;
    }
    if (!val) val = argv[++*i];
    return apply(c, o, val) ? 0 : -1;
}

/* The rules of the groups of one upstream: their options only with it, and
 * the required ones given. False after a message. */
static bool check_upstream_groups(const srv_config *c, const bool *given) {
    const char *up = srv_upstream_name(c);
    for (size_t i = 0; i < srv_noptions; i++) {
        const option *o = &srv_options[i];
        const char *mine = srv_option_groups[o->group].upstream;
        if (!mine) continue;
        if (given[i] && strcmp(mine, up)) {
            fprintf(stderr, "vellir-server: --%s is an option of --upstream %s, and this "
                            "server's upstream is %s\n", o->name, mine, up);
            return false;
        }
        if (o->required && !given[i] && !strcmp(mine, up)) {
            fprintf(stderr, "vellir-server: --upstream %s needs --%s %s (see --help)\n", mine,
                    o->name, o->arg);
            return false;
        }
    }
    return true;
}

int srv_config_parse(srv_config *c, int argc, char **argv) {
    bool *given = calloc(srv_noptions, sizeof *given);
    if (!given) {
        fprintf(stderr, "vellir-server: out of memory\n");
        return -1;
    }
    int r = 0;
    for (int i = 1; i < argc && r == 0; i++) {
        const option *o;
        r = parse_one(c, argc, argv, &i, &o);
        if (o) given[o - srv_options] = true;
    }
    if (r == 0 && !SRV_HAVE_SQLITE && c->upstream == SRV_UPSTREAM_SQLITE) {
        fprintf(stderr, "vellir-server: this binary was built without the SQLite upstream\n");
        r = -1;
    }
    if (r == 0 && !check_upstream_groups(c, given)) r = -1;
    free(given);
    return r;
}

