"""suite.py -- how a server test file runs its tests: @test adds a
function to the suite, in file order; run() calls each, prints "ok - NAME
(seconds)" or "FAIL - NAME: why" and a count, and exits 1 if any failed.

Owns: the list of one process's tests. Threads: one.
"""
import sys
import time

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def run(what, finally_=None):
    """Runs the tests; then finally_() if given (clean-up that may fail the run)."""
    failed = 0
    for fn in TESTS:
        t0 = time.time()
        try:
            fn()
            print("ok - %s (%.2f s)" % (fn.__name__, time.time() - t0))
        except Exception as e:  # report and go on
            failed += 1
            print("FAIL - %s: %s: %s" % (fn.__name__, type(e).__name__, e))
    if finally_:
        finally_()
    print("%d of %d %s passed" % (len(TESTS) - failed, len(TESTS), what))
    sys.exit(1 if failed else 0)
