#!/usr/bin/env python3
"""check-layers.py -- keeps the layering that docs/architecture.md describes.

Run by `make check-layers` (and so by scripts/test.sh and CI). Four checks;
each failure prints the file and the rule, and the script exits 1.

  includes     A file in a layer's folder includes public headers
               (include/) and headers of its own layer or of the layers
               below it (LAYERS), never one above. server/ sees include/
               and server/ only; examples/ only include/.
  prototypes   No .c file declares a non-static prototype (or an extern
               variable) that it does not define itself: every function
               used across files is declared once, in a header.
  exports      Every global symbol the static and the shared library define
               starts with vl_ (the public API: declared in include/*.h) or
               vl__ (internal); the shared library exports only vl_ ones.
  calls        The file-level call graph (from nm: who references a symbol
               whom) has no circle, but for the pairs in ALLOWED_PAIRS, each
               one documented where it lives; and no internal call (vl__)
               goes from a layer to one above it.

Usage: check-layers.py --objs DIR [--lib libvellir.a] [--so libvellir.so]
DIR is the build's object folder (build/default/obj).
"""
import argparse
import collections
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each folder of src/ and what it may use, bottom to top (docs/architecture.md).
LAYERS = {
    "util": set(),
    "codec": {"util"},
    "runtime": {"util"},
    "cql": {"util"},
    "upstream": {"util", "codec", "cql"},
    "cache": {"util", "runtime"},
    "service": {"util", "runtime", "cache"},
}

# Files that are one unit in two, and call each other; documented in place.
ALLOWED_PAIRS = [
    ({"src/upstream/pg_conn", "src/upstream/pg_ops"}, "src/upstream/pg_int.h"),
]

failures = []


def fail(check, where, msg):
    failures.append(f"check-layers: {check}: {where}: {msg}")


def tracked(*patterns):
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    return [p for p in out if os.path.exists(os.path.join(ROOT, p))]


PUBLIC = {os.path.basename(p) for p in tracked("include/*.h")}

# ---- includes ----------------------------------------------------------------

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def check_includes():
    for path in tracked("src/*.c", "src/*.h", "server/*.c", "server/*.h", "examples/*.c"):
        top = path.split("/")[0]
        text = open(os.path.join(ROOT, path), encoding="utf-8", errors="replace").read()
        for inc in INCLUDE_RE.findall(text):
            if inc in PUBLIC:
                continue
            if top == "examples":
                fail("includes", path, f'"{inc}": an example sees the public headers only')
            elif top == "server":
                if "/" in inc or not os.path.exists(os.path.join(ROOT, "server", inc)):
                    fail("includes", path, f'"{inc}": the server sees include/ and server/ only')
            else:
                layer = path.split("/")[1]
                dep = inc.split("/")[0] if "/" in inc else None
                if dep is None:
                    fail("includes", path, f'"{inc}": name the layer ("{layer}/{inc}")')
                elif dep not in LAYERS:
                    fail("includes", path, f'"{inc}": no such layer')
                elif dep != layer and dep not in LAYERS[layer]:
                    fail("includes", path,
                         f'"{inc}": {layer}/ may include {sorted(LAYERS[layer]) or "nothing"} '
                         f"and itself, not {dep}/ (a layer above, or beside it)")


# ---- prototypes --------------------------------------------------------------


def strip_c(text):
    """Drops comments, strings and preprocessor lines, keeping line count."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])*'", "''", text)
    lines = text.split("\n")
    out, cont = [], False
    for line in lines:
        is_pp = cont or line.lstrip().startswith("#")
        cont = is_pp and line.rstrip().endswith("\\")
        out.append("" if is_pp else line)
    return "\n".join(out)


def top_level_statements(text):
    """(statement, line, is_definition) for each file-scope declaration."""
    stmts, depth, paren, buf, line, start, empty = [], 0, 0, [], 1, 1, True
    for ch in text:
        if ch == "\n":
            line += 1
        if depth == 0 and empty and not ch.isspace():
            start, empty = line, False
        if ch == "(":
            paren += 1
        elif ch == ")":
            paren -= 1
        if ch == "{":
            if depth == 0 and paren == 0:
                stmts.append(("".join(buf), start, True))
            depth += 1
            if depth == 1:
                buf, empty = [], True
            continue
        if ch == "}":
            depth -= 1
            continue
        if depth == 0:
            if ch == ";" and paren == 0:
                stmts.append(("".join(buf), start, False))
                buf, empty = [], True
            else:
                buf.append(ch)
    return stmts


FUNC_NAME_RE = re.compile(r"\b([A-Za-z_]\w*)\s*\((?:[^()]|\([^()]*\))*\)\s*(?:__attribute__\s*\(\(.*\)\)\s*)?$",
                          re.S)


def check_prototypes():
    for path in tracked("src/*.c", "server/*.c", "tests/*.c", "bench/*.c", "examples/*.c"):
        text = strip_c(open(os.path.join(ROOT, path), encoding="utf-8", errors="replace").read())
        stmts = top_level_statements(text)
        defined = set()
        for s, _, is_def in stmts:
            m = FUNC_NAME_RE.search(s.strip())
            if is_def and m:
                defined.add(m.group(1))
        for s, line, is_def in stmts:
            s = " ".join(s.split())
            if is_def or not s or s.startswith(("typedef", "static", "_Static_assert")):
                continue
            if re.match(r"^(struct|union|enum)\s+\w+\s*$", s):
                continue  # a forward declaration or an empty tag
            if s.startswith("extern ") and "(" not in s:
                fail("prototypes", f"{path}:{line}",
                     f"extern variable `{s}`: declare it in the header of the file that defines it")
                continue
            if "=" in s.split("(")[0]:
                continue  # a variable with an initializer
            m = FUNC_NAME_RE.search(s)
            if m and m.group(1) not in defined:
                fail("prototypes", f"{path}:{line}",
                     f"`{m.group(1)}` is declared here but defined elsewhere: include its header")


# ---- exports -----------------------------------------------------------------

PUBLIC_DECL_RE = re.compile(r"\b(vl_[a-z0-9_]+)\s*\(")


def public_names():
    names = set()
    for p in tracked("include/*.h"):
        names |= set(PUBLIC_DECL_RE.findall(open(os.path.join(ROOT, p)).read()))
    return names


def defined_globals(path, dynamic=False):
    args = ["nm", "-g", "--defined-only"] + (["-D"] if dynamic else []) + [path]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return sorted({l.split()[2] for l in out.splitlines() if len(l.split()) == 3})


def check_exports(lib, so):
    public = public_names()
    for path, dynamic in ((lib, False), (so, True)):
        if not path:
            continue
        if not os.path.exists(path):
            fail("exports", path, "missing (build it first)")
            continue
        for sym in defined_globals(path, dynamic):
            if dynamic and sym.startswith("vl__"):
                fail("exports", path, f"{sym}: an internal symbol is exported (hidden visibility?)")
            elif sym.startswith("vl__"):
                continue
            elif not sym.startswith("vl_"):
                if dynamic and sym in ("_init", "_fini", "_edata", "_end", "__bss_start"):
                    continue
                fail("exports", path, f"{sym}: not vl_ (public) nor vl__ (internal)")
            elif sym not in public:
                fail("exports", path, f"{sym}: vl_ is the public prefix, but include/ does not "
                     "declare it (internal names take vl__)")


# ---- calls -------------------------------------------------------------------


def layer_of(unit):
    parts = unit.split("/")
    return parts[1] if parts[0] == "src" else parts[0]


def check_calls(objdir):
    objs = []
    for top in ("src", "server"):
        for dirpath, _, files in os.walk(os.path.join(objdir, top)):
            objs += [os.path.join(dirpath, f) for f in files if f.endswith(".o")]
    if not objs:
        fail("calls", objdir, "no objects (build first)")
        return
    sources = set(tracked("src/*.c", "server/*.c"))
    unit = {}
    for o in objs:
        u = os.path.relpath(o, objdir)[:-2]
        if u + ".c" in sources:  # an object whose source is gone is stale
            unit[o] = u
    defs, uses = {}, collections.defaultdict(set)
    for o, u in unit.items():
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for l in out.splitlines():
            p = l.split()
            if len(p) == 3 and p[1] in "TDBRCV":
                defs[p[2]] = u
            elif len(p) == 2 and p[0] == "U":
                uses[u].add(p[1])
    edges = collections.defaultdict(dict)
    for u, syms in uses.items():
        for s in syms:
            if s in defs and defs[s] != u:
                edges[u].setdefault(defs[s], set()).add(s)
    # Internal calls go down, never up.
    for u, targets in edges.items():
        for t, syms in targets.items():
            if not u.startswith("src/") or not t.startswith("src/"):
                continue
            lu, lt = layer_of(u), layer_of(t)
            internal = sorted(s for s in syms if s.startswith("vl__"))
            if lu != lt and lt not in LAYERS.get(lu, set()) and internal:
                fail("calls", u, f"calls {t} ({', '.join(internal[:3])}): {lt}/ is not below {lu}/")
    # No circle among files (Tarjan's strongly connected components).
    index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            sccs.append(comp)

    for v in sorted(unit.values()):
        if v not in index:
            visit(v)
    for comp in sccs:
        if len(comp) > 1 and not any(comp == pair for pair, _ in ALLOWED_PAIRS):
            fail("calls", " ".join(sorted(comp)), "these files call each other in a circle")
    return len(unit), sum(len(t) for t in edges.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objs", required=True)
    ap.add_argument("--lib")
    ap.add_argument("--so")
    a = ap.parse_args()
    check_includes()
    check_prototypes()
    check_exports(a.lib, a.so)
    counts = check_calls(a.objs)
    for f in failures:
        print(f, file=sys.stderr)
    if failures:
        print(f"check-layers: {len(failures)} failure(s)", file=sys.stderr)
        return 1
    files, edges = counts
    print(f"check-layers: ok (includes, prototypes, exports; {files} files, {edges} file-to-file "
          "call edges, no circle but the documented pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
