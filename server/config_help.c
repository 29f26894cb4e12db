/*
 * config_help.c -- --help, made from the table of options (options.h):
 * each option's names, help, default and range, wrapped at 79 columns,
 * and each group's text.
 *
 * Owns: nothing. Threads: the main thread.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "vellir_limits.h"

#define HELP_COL 29   /* where the help text starts */
#define HELP_WIDTH 79 /* where it wraps */

/* Prints text wrapped at HELP_WIDTH, every line after `col` (the first
 * line's first `col` columns are already printed). '\n' starts a line. */
static void wrap(FILE *f, const char *text, int col) {
    int at = col;
    for (const char *p = text; *p;) {
        size_t w = strcspn(p, " \n");
        if (at > col && at + 1 + (int)w > HELP_WIDTH) {
            fprintf(f, "\n%*s", col, "");
            at = col;
        } else if (at > col) {
            fputc(' ', f);
            at++;
        }
        fprintf(f, "%.*s", (int)w, p);
        at += (int)w;
        p += w;
        if (*p == '\n') {
            fprintf(f, "\n%*s", col, "");
            at = col;
        }
        while (*p == ' ' || *p == '\n') p++;
    }
    fputc('\n', f);
}

/* "(default D; from MIN to MAX)", or what fits the option's kind. */
static void trailer(char *buf, size_t cap, const option *o) {
    char d[128], lo[32], hi[32];
    size_t n = 0;
    if (o->def_text) snprintf(d, sizeof d, "%s", o->def_text);
    else if (o->kind == OPT_STR) snprintf(d, sizeof d, "%s", option_sdefault(o));
    else if (o->kind == OPT_ENUM)
        snprintf(d, sizeof d, "%s", option_choice_name(o->choices, option_default(o)));
    else if (o->kind == OPT_DURABILITY)
        snprintf(d, sizeof d, "within:%lld", (long long)option_default(o));
    else option_show(d, sizeof d, o, (uint64_t)option_default(o));
    buf[0] = 0;
    if (o->required) {
        snprintf(buf, cap, "(required)");
        return;
    }
    if (o->kind == OPT_ENUM) {
        n += snprintf(buf + n, cap - n, "(");
        for (const choice *ch = o->choices; ch->name; ch++)
            n += snprintf(buf + n, cap - n, "%s%s", ch == o->choices ? "" : " | ", ch->name);
        n += snprintf(buf + n, cap - n, "; default %s)", d);
        return;
    }
    if (o->kind == OPT_FLAG || o->kind == OPT_HELP || o->kind == OPT_VERSION) return;
    n += snprintf(buf + n, cap - n, "(default %s", d);
    option_show(lo, sizeof lo, o, o->min);
    option_show(hi, sizeof hi, o, o->max);
    if (o->kind == OPT_DURABILITY) snprintf(buf + n, cap - n, "; MS from %s to %s)", lo, hi);
    else if (o->kind == OPT_STR || (o->min == 0 && o->max == UINT64_MAX)) snprintf(buf + n, cap - n, ")");
    else if (o->max == UINT64_MAX) snprintf(buf + n, cap - n, "; at least %s)", lo);
    else snprintf(buf + n, cap - n, "; from %s to %s)", lo, hi);
}

static void usage_option(FILE *f, const option *o) {
    char left[64], tail[256], text[1024];
    int n = o->short_name ? snprintf(left, sizeof left, "  -%c, --%s", o->short_name, o->name)
                          : snprintf(left, sizeof left, "      --%s", o->name);
    if (o->arg) n += snprintf(left + n, sizeof left - (size_t)n, " %s", o->arg);
    if (n > HELP_COL - 2) fprintf(f, "%s\n%*s", left, HELP_COL, "");
    else fprintf(f, "%-*s", HELP_COL, left);
    trailer(tail, sizeof tail, o);
    snprintf(text, sizeof text, "%s%s%s", o->help, tail[0] ? " " : "", tail);
    wrap(f, text, HELP_COL);
}

void srv_config_usage(FILE *f) {
    fprintf(f, "Usage: vellir-server [options]\n\n");
    char intro[512];
    snprintf(intro, sizeof intro,
             "A Redis-protocol server (RESP2, and RESP3 through HELLO 3) on libvellir: a "
             "write-back, read-through cache in front of a database table. Any Redis client "
             "talks to it, e.g.  redis-cli -p %u SET greeting hello\n"
             "Options take their value as --name VALUE or --name=VALUE; N and BYTES take k, m, "
             "g suffixes (powers of 1024).",
             VL_SRV_PORT_DEFAULT);
    wrap(f, intro, 0);
    for (int g = 0; g < G_COUNT; g++) {
        fprintf(f, "\n%s:\n", srv_option_groups[g].title);
        for (size_t i = 0; i < srv_noptions; i++)
            if (srv_options[i].group == g) usage_option(f, &srv_options[i]);
        if (srv_option_groups[g].text) {
            fprintf(f, "%*s", HELP_COL, "");
            wrap(f, srv_option_groups[g].text, HELP_COL);
        }
    }
}

