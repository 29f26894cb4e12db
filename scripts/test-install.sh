#!/usr/bin/env bash
# Installs vellir into a temporary root, as a package build would
# (make install DESTDIR=ROOT PREFIX=/usr), and uses it the way a program
# outside this tree does: examples/quickstart.c built with
# `pkg-config --cflags --libs vellir` against the installed headers and
# libvellir.so (run with LD_LIBRARY_PATH, and ldd must show that library),
# and again with `pkg-config --static` against libvellir.a. Checks the
# soname, that the .so exports exactly the VL_API functions of the installed
# headers (all vl_*), that the library's version is the headers' and
# vellir.pc's, and that make uninstall leaves no file behind. Any failure
# ends the run with a message and a non-zero status; the temporary root is
# removed either way.
#
# Usage: scripts/test-install.sh     (builds what is missing; CC and JOBS
#                                     from the environment, as make has them)
set -Eeuo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'echo "test-install: FAIL at line $LINENO: $BASH_COMMAND" >&2' ERR
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
say() { echo "test-install: $*"; }

root=$tmp/root
libdir=$root/usr/lib

say "make install DESTDIR=$root PREFIX=/usr"
if ! make -j"$JOBS" install DESTDIR="$root" PREFIX=/usr >"$tmp/make.log" 2>&1; then
  cat "$tmp/make.log" >&2
  fail "make install failed"
fi

export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
pkg-config --exists vellir || fail "pkg-config does not find the installed vellir.pc"
cflags=$(pkg-config --cflags vellir)
libs=$(pkg-config --libs vellir)
static_libs=$(pkg-config --static --libs vellir)
case " $cflags " in *" -I$root/usr/include "*) ;; *) fail "cflags without the installed headers: $cflags" ;; esac
case " $libs " in *" -L$libdir "*"-lvellir "*) ;; *) fail "libs without -L$libdir -lvellir: $libs" ;; esac

# A program that prints the headers' version and the library's.
cat >"$tmp/version.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "vellir.h"
int main(void) {
    printf("%s %s %u\n", VELLIR_VERSION, vl_version(), vl_version_number());
    return strcmp(VELLIR_VERSION, vl_version()) != 0 || vl_version_number() != VELLIR_VERSION_NUMBER;
}
EOF
build() { # OUT SOURCE LIBS...: compile against the installed tree only
  local out=$1 src=$2
  shift 2
  # shellcheck disable=SC2086  # pkg-config's flags are meant to split
  "$CC" -std=c11 -Wall -Wextra -Werror $cflags -o "$out" "$src" "$@"
}
# shellcheck disable=SC2086
build "$tmp/version" "$tmp/version.c" $libs
vout=$(LD_LIBRARY_PATH=$libdir "$tmp/version") ||
  fail "the headers' version and the library's differ: $vout"
read -r header_version lib_version lib_number <<<"$vout"
[ "$lib_version" = "$header_version" ] || fail "library $lib_version, headers $header_version"
[ "$(pkg-config --modversion vellir)" = "$header_version" ] ||
  fail "vellir.pc says $(pkg-config --modversion vellir), the headers $header_version"
version=$header_version
major=${version%%.*}
so=$libdir/libvellir.so.$version
say "version $version ($lib_number), headers, library and vellir.pc agree"

# Every file, and the links.
for f in usr/include/vellir.h usr/include/vellir_upstream.h usr/include/vellir_limits.h \
  usr/lib/libvellir.a "usr/lib/libvellir.so.$version" usr/lib/pkgconfig/vellir.pc \
  usr/bin/vellir-server; do
  [ -f "$root/$f" ] || fail "not installed: /$f"
done
[ "$(readlink "$libdir/libvellir.so.$major")" = "libvellir.so.$version" ] ||
  fail "libvellir.so.$major does not point to libvellir.so.$version"
[ "$(readlink "$libdir/libvellir.so")" = "libvellir.so.$major" ] ||
  fail "libvellir.so does not point to libvellir.so.$major"

# The soname.
soname=$(readelf -d "$so" | grep SONAME) || fail "no SONAME in $so"
say "readelf -d: ${soname#"${soname%%[! ]*}"}"
[[ "$soname" == *"[libvellir.so.$major]"* ]] || fail "soname is not libvellir.so.$major"

# Exports: exactly the functions the installed headers declare (each line at
# the margin that declares a vl_ function, inline ones aside), each VL_API.
nm -D --defined-only "$so" | awk '{print $NF}' | sort >"$tmp/exported"
grep -hE '^[A-Za-z].*\bvl_[a-z0-9_]+\(' "$root"/usr/include/*.h |
  grep -vE '^(static|typedef)\b' >"$tmp/declarations"
if grep -v '^VL_API ' "$tmp/declarations" >&2; then fail "declared without VL_API (above)"; fi
sed -E 's/^[^(]*\b(vl_[a-z0-9_]+)\(.*/\1/' "$tmp/declarations" | sort >"$tmp/declared"
if grep -v '^vl_' "$tmp/exported" >"$tmp/foreign"; then
  cat "$tmp/foreign" >&2
  fail "libvellir.so exports symbols that are not vl_*"
fi
diff -u "$tmp/declared" "$tmp/exported" >&2 ||
  fail "libvellir.so's exports differ from the headers' functions (- declared, + exported)"
say "nm -D: $(wc -l <"$tmp/exported") symbols exported, all vl_*, each declared VL_API"

check_quickstart() { # BINARY: runs it (environment from the caller), checks its output
  local out
  out=$("$1") || fail "${1##*/} exited with status $?"
  printf '%s\n' "$out" | sed 's/^/    /'
  grep -q '^page:home = 10000 after 30000 increments over 3 keys$' <<<"$out" ||
    fail "${1##*/}: unexpected output"
  grep -q '^closed (ok)' <<<"$out" || fail "${1##*/}: did not close cleanly"
}

# Shared: libvellir.so.MAJOR from the temporary root.
# shellcheck disable=SC2086
build "$tmp/quickstart-shared" examples/quickstart.c $libs
ldd_out=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/quickstart-shared")
grep -qF "libvellir.so.$major => $libdir/libvellir.so.$major " <<<"$ldd_out" ||
  { printf '%s\n' "$ldd_out" >&2; fail "quickstart-shared does not load $libdir/libvellir.so.$major"; }
say "quickstart, shared (ldd: libvellir.so.$major => $libdir/libvellir.so.$major)"
LD_LIBRARY_PATH=$libdir check_quickstart "$tmp/quickstart-shared"

# Static: libvellir.a. `pkg-config --static --libs vellir` is the list for a
# fully static program: libvellir, its Libs.private, and every
# Requires.private package with its own private libraries. Check that it
# names them all. It cannot link here: Debian's libpq.pc lists libpgcommon
# and libpgport there, which only postgresql-server-dev ships. So, as a
# program that wants libvellir.a and the system's shared libraries does,
# link -lvellir statically, vellir's own private libraries (libs_private),
# and the Requires.private packages' plain --libs.
deps=$(pkg-config --print-requires-private vellir)
own=$(pkg-config --variable=libs_private vellir)
for w in -lvellir $own $(pkg-config --static --libs $deps); do
  case " $static_libs " in *" $w "*) ;; *) fail "pkg-config --static --libs vellir lacks $w: $static_libs" ;; esac
done
# shellcheck disable=SC2086
build "$tmp/quickstart-static" examples/quickstart.c -L"$libdir" -Wl,-Bstatic -lvellir -Wl,-Bdynamic \
  $own $(pkg-config --libs $deps)
if readelf -d "$tmp/quickstart-static" | grep -q 'NEEDED.*libvellir'; then
  fail "quickstart-static needs libvellir.so"
fi
say "quickstart, static (no libvellir.so needed)"
check_quickstart "$tmp/quickstart-static"

say "make uninstall DESTDIR=$root PREFIX=/usr"
make uninstall DESTDIR="$root" PREFIX=/usr >"$tmp/make.log" 2>&1 ||
  { cat "$tmp/make.log" >&2; fail "make uninstall failed"; }
left=$(find "$root" ! -type d)
[ -z "$left" ] || fail "left after make uninstall: $left"

say "all passed"
