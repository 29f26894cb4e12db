/*
 * test_status.c -- the statuses' stable numbers, names, sentences and
 * retryable flags (VL_STATUS_LIST in vellir.h), and the library's version.
 *
 * Owns: nothing. Threads: the test thread.
 *
 * The numbers below are written out by hand on purpose: they are the ABI.
 * A status may be appended here with the next number; a line here must
 * never change.
 */
#include "check.h"

#define PIN(name, number, retryable) {name, number, retryable, #name}

static const struct {
    vl_status status;
    int number;
    bool retryable;
    const char *name;
} pinned[] = {
    PIN(VL_OK, 0, false),
    PIN(VL_ENOTFOUND, 1, false),
    PIN(VL_ENOTCACHED, 2, false),
    PIN(VL_EBUSY, 3, false),
    PIN(VL_EFULL, 4, false),
    PIN(VL_ECLOSED, 5, false),
    PIN(VL_EINVAL, 6, false),
    PIN(VL_ENOMEM, 7, true),
    PIN(VL_ETOOBIG, 8, false),
    PIN(VL_ECORRUPT, 9, false),
    PIN(VL_EENCODE, 10, false),
    PIN(VL_EPENDING, 11, false),
    PIN(VL_EUNCOMMITTED, 12, false),
    PIN(VL_EUNAVAILABLE, 13, true),
    PIN(VL_ETIMEOUT, 14, true),
    PIN(VL_EOVERLOADED, 15, true),
    PIN(VL_EIO, 16, true),
    PIN(VL_ENOSPACE, 17, true),
    PIN(VL_ECONFLICT, 18, true),
    PIN(VL_ESCHEMA, 19, false),
    PIN(VL_EAUTH, 20, false),
    PIN(VL_EQUERY, 21, false),
    PIN(VL_EUPSTREAM, 22, false),
    PIN(VL_EINTERNAL, 23, false),
};
#define NPINNED (sizeof pinned / sizeof pinned[0])

/* Every status has the number it always had, and nothing was added to the
 * list without being pinned here. */
static void test_numbers_are_pinned(void) {
    CHECK_EQ(VL_STATUS_COUNT, NPINNED);
    for (size_t i = 0; i < NPINNED; i++) {
        CHECK_EQ(pinned[i].status, pinned[i].number);
        CHECK_EQ(pinned[i].number, i);
    }
}

/* The name of each status is its identifier, and names are unique, so a
 * name leads back to its status. */
static void test_names_round_trip(void) {
    for (size_t i = 0; i < NPINNED; i++) {
        const char *name = vl_status_name(pinned[i].status);
        if (strcmp(name, pinned[i].name) != 0) {
            fprintf(stderr, "status %d is named %s, want %s\n", pinned[i].number, name,
                    pinned[i].name);
            exit(1);
        }
    }
    for (int s = 0; s < VL_STATUS_COUNT; s++) {
        int found = -1, times = 0;
        for (int t = 0; t < VL_STATUS_COUNT; t++)
            if (!strcmp(vl_status_name((vl_status)t), vl_status_name((vl_status)s))) {
                found = t;
                times++;
            }
        CHECK_EQ(times, 1);
        CHECK_EQ(found, s);
    }
}

/* Every sentence says something, and no two say the same. */
static void test_sentences(void) {
    for (int s = 0; s < VL_STATUS_COUNT; s++) {
        const char *text = vl_strerror((vl_status)s);
        CHECK(text != NULL);
        CHECK(text[0] != '\0');
        CHECK(strcmp(text, "unknown status") != 0);
        for (int t = 0; t < s; t++) CHECK(strcmp(text, vl_strerror((vl_status)t)) != 0);
    }
    CHECK(!strcmp(vl_strerror(VL_OK), "ok"));
}

static void test_retryable(void) {
    for (size_t i = 0; i < NPINNED; i++) {
        if (vl_status_retryable(pinned[i].status) != pinned[i].retryable) {
            fprintf(stderr, "%s: retryable %d, want %d\n", pinned[i].name,
                    vl_status_retryable(pinned[i].status), pinned[i].retryable);
            exit(1);
        }
    }
}

/* Numbers outside the list get answers, never NULL. */
static void test_unknown_numbers(void) {
    vl_status bad[] = {VL_STATUS_COUNT, (vl_status)(VL_STATUS_COUNT + 100), (vl_status)-1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!strcmp(vl_strerror(bad[i]), "unknown status"));
        CHECK(!strcmp(vl_status_name(bad[i]), "VL_E?"));
        CHECK(!vl_status_retryable(bad[i]));
    }
}

/* The library's version is the headers' (this test links the library it
 * was built with), and the string and the number agree. */
static void test_version(void) {
    CHECK(!strcmp(vl_version(), VELLIR_VERSION));
    CHECK_EQ(vl_version_number(), VELLIR_VERSION_NUMBER);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", VELLIR_VERSION_MAJOR, VELLIR_VERSION_MINOR,
             VELLIR_VERSION_PATCH);
    CHECK(!strcmp(VELLIR_VERSION, want));
    CHECK_LE(VELLIR_VERSION_MINOR, 99);
    CHECK_LE(VELLIR_VERSION_PATCH, 99);
    CHECK_EQ(VELLIR_VERSION_NUMBER,
             VELLIR_VERSION_MAJOR * 10000 + VELLIR_VERSION_MINOR * 100 + VELLIR_VERSION_PATCH);
}

int main(void) {
    RUN(test_numbers_are_pinned);
    RUN(test_names_round_trip);
    RUN(test_sentences);
    RUN(test_retryable);
    RUN(test_unknown_numbers);
    RUN(test_version);
    return 0;
}
