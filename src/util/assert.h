/*
 * assert.h -- assertions that stay on, and assertions for hot paths.
 *
 * Owns: VL_ASSERT, VL_DASSERT, vl__assert_fail. Threads: any thread.
 *
 * VL_ASSERT(expr) is always compiled in, whatever NDEBUG says: it guards
 * what must never happen (an illegal state transition, say), where going on
 * would corrupt data. It prints file, line and the expression to stderr and
 * aborts. VL_DASSERT(expr) is the same check in builds with VL_DEBUG (the
 * ASan+UBSan and TSan builds), and nothing in the default build: for checks
 * on a hot path (every request), whose cost the default build does not pay.
 */
#ifndef VL_UTIL_ASSERT_H
#define VL_UTIL_ASSERT_H

_Noreturn void vl__assert_fail(const char *file, int line, const char *expr);

#define VL_ASSERT(expr) \
    ((expr) ? (void)0 : vl__assert_fail(__FILE__, __LINE__, #expr))

#ifdef VL_DEBUG
#define VL_DASSERT(expr) VL_ASSERT(expr)
#else
#define VL_DASSERT(expr) ((void)0)
#endif

#endif
