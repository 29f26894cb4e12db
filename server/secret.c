/*
 * secret.c -- an upstream's password from a file or the environment
 * (secret.h).
 *
 * Owns: nothing. Threads: the main thread, at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

void secret_wipe(void *p, size_t n) { explicit_bzero(p, n); }

static bool refuse(const char *opt, const char *path, const char *why) {
    fprintf(stderr, "vellir-server: %s '%s': %s\n", opt, path, why);
    return false;
}

/* Reads the file's one line into out. */
static bool read_file(const char *opt, const char *path, char *out, size_t cap) {
    char why[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return refuse(opt, path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return refuse(opt, path, "not a regular file");
    }
    if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        snprintf(why, sizeof why,
                 "permissions %04o are too open: a password file must be readable by its owner "
                 "only (chmod 600 '%s')",
                 (unsigned)(sb.st_mode & 07777), path);
        return refuse(opt, path, why);
    }
    size_t n = 0;
    ssize_t r;
    while (n < cap && (r = read(fd, out + n, cap - n)) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            secret_wipe(out, cap);
            return refuse(opt, path, strerror(e));
        }
        n += (size_t)r;
    }
    close(fd);
    const char *why_not = NULL;
    char *nl = memchr(out, '\n', n);
    size_t len = nl ? (size_t)(nl - out) : n;
    if (n == cap) why_not = "longer than a password may be";
    else if (nl && (size_t)(nl - out) + 1 != n) why_not = "holds more than one line: put the password alone on the first";
    else if (len && out[len - 1] == '\r') len--;
    if (!why_not && len == 0) why_not = "is empty";
    if (!why_not && memchr(out, 0, len)) why_not = "holds a NUL byte";
    if (why_not) {
        secret_wipe(out, cap);
        return refuse(opt, path, why_not);
    }
    secret_wipe(out + len, cap - len);
    return true;
}

bool secret_get(const char *opt, const char *path, const char *env, char *out, size_t cap,
                secret_source *src) {
    const char *ev = getenv(env);
    bool from_env = ev && ev[0];
    *src = SECRET_NONE;
    out[0] = 0;
    if (path[0] && from_env) {
        fprintf(stderr, "vellir-server: both %s and the environment variable %s give a "
                        "password; give it one way\n", opt, env);
        return false;
    }
    if (path[0]) {
        if (!read_file(opt, path, out, cap)) return false;
        *src = SECRET_FILE;
        return true;
    }
    if (from_env) {
        if (strlen(ev) >= cap) {
            fprintf(stderr, "vellir-server: the environment variable %s is longer than a "
                            "password may be\n", env);
            return false;
        }
        snprintf(out, cap, "%s", ev);
        *src = SECRET_ENV;
    }
    return true;
}
