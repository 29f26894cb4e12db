# vellir -- build with make.
#
#   make                 library (.a and .so), server, examples, benchmarks,
#                        test programs (build/default)
#   make test            build and run the unit and scenario tests
#   make ASAN=1 test     the same under AddressSanitizer + UBSan (build/asan)
#   make TSAN=1 test     the same under ThreadSanitizer (build/tsan)
#   make CC=clang        any of the above with clang
#   make fuzz            libFuzzer harnesses (clang; build/fuzz)
#   make fuzz-replay     replay every fuzz corpus through its harness (any CC)
#   make test-cassandra-cluster  the suites that need the three-node
#                        Cassandra cluster (scripts/cassandra-cluster.sh)
#   make server-test     vellir-server against redis-cli, redis-py, hiredis and
#                        redis-server (tests/server/run.sh); any mode
#   make server-test-pg  vellir-server in front of PostgreSQL (needs
#                        scripts/pg-node.sh start); any mode
#   make check-layers    the layering rules (scripts/check-layers.py)
#   make install         headers, libvellir.a, libvellir.so, vellir.pc and
#                        vellir-server under PREFIX (/usr/local); DESTDIR,
#                        LIBDIR, ... as usual; make uninstall removes them
#
# Each mode and compiler has its own build directory, so they never mix.
# Why a Makefile: the tree is small, pkg-config finds every dependency, and
# make is on every machine; see docs/build.md.

CC ?= cc
PKGS := libuv libcbor libxxhash sqlite3 libpq
# Linked besides PKGS (vellir.pc's Libs.private).
SYS_LIBS := -lm -pthread

# The version is written once, in include/vellir.h (VELLIR_VERSION_MAJOR,
# _MINOR, _PATCH); the shared library's names and vellir.pc take it from there.
VERSION := $(shell awk '$$2 ~ /^VELLIR_VERSION_(MAJOR|MINOR|PATCH)$$/ \
                        { printf "%s%s", sep, $$3; sep = "." }' include/vellir.h)
ifneq ($(words $(subst ., ,$(VERSION))),3)
$(error cannot read the version from include/vellir.h (got "$(VERSION)"))
endif
VERSION_MAJOR := $(firstword $(subst ., ,$(VERSION)))

ifeq ($(ASAN),1)
MODE := asan
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT := -O1 -DVL_DEBUG
else ifeq ($(TSAN),1)
MODE := tsan
SAN := -fsanitize=thread -fno-omit-frame-pointer
OPT := -O1 -DVL_DEBUG
else
MODE := default
SAN :=
OPT := -O2
endif

# V=1 shows the full commands.
Q := $(if $(filter 1,$(V)),,@)
CCNAME := $(notdir $(firstword $(CC)))
B := build/$(MODE)$(if $(filter cc gcc,$(CCNAME)),,-$(CCNAME))

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wvla -Wformat=2
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SAN) -pthread $(PKG_CFLAGS) $(EXTRA_CFLAGS)
# Who may see what (make check-layers keeps it): the library sees its own
# tree; the server and the examples only the public headers (and the server
# its own); tests and benchmarks look inside.
INC_src := -Iinclude -Isrc
INC_server := -Iinclude -Iserver
INC_examples := -Iinclude
INC_tests := -Iinclude -Isrc -Iserver -Itests/support -Ibench
INC_bench := -Iinclude -Isrc -Ibench
# The library's objects serve the static and the shared library alike:
# position independent, and exporting only what the public headers declare
# VL_API (vellir.h).
CFLAGS_src := -fPIC -fvisibility=hidden
LDFLAGS := $(SAN) -pthread
LDLIBS := $(PKG_LIBS) $(SYS_LIBS)

LIB_SRC := $(sort $(wildcard src/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
LIB := $(B)/libvellir.a
# The shared library, libvellir.so.0.1.0 with soname libvellir.so.0, and its
# two links. Only programs outside the tree link it; the tests, benchmarks
# and the server link libvellir.a, since they use internals.
SONAME := libvellir.so.$(VERSION_MAJOR)
SO := $(B)/libvellir.so.$(VERSION)
SO_LINKS := $(B)/$(SONAME) $(B)/libvellir.so
# -z defs: every symbol the library uses comes from a library it names
# (not under a sanitizer: the program brings the sanitizer's runtime).
SO_LDFLAGS := -shared -Wl,-soname,$(SONAME) $(if $(SAN),,-Wl,-z,defs)

# The server's code, less its main(), is a library too, so tests link it.
SRV_SRC := $(filter-out server/main.c,$(sort $(wildcard server/*.c)))
SRV_OBJ := $(SRV_SRC:%.c=$(B)/obj/%.o)
SRV_LIB := $(if $(SRV_OBJ),$(B)/libvellir-server.a)
SERVER := $(if $(wildcard server/main.c),$(B)/vellir-server)

TEST_SRC := $(sort $(wildcard tests/unit/test_*.c tests/scenario/test_*.c tests/sqlite/test_*.c))
TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRC))
# Suites that need a server running (scripts/pg-node.sh, scripts/cassandra-node.sh).
PG_TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(sort $(wildcard tests/pg/test_*.c)))
CASS_TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(sort $(wildcard tests/cassandra/test_*.c)))
# Suites that need the three-node cluster (scripts/cassandra-cluster.sh).
CLUSTER_TEST_BIN := $(patsubst tests/%.c,$(B)/tests/%,$(sort $(wildcard tests/cassandra-cluster/test_*.c)))
TEST_HELP_SRC := $(sort $(wildcard tests/support/*.c))
TEST_HELP_OBJ := $(TEST_HELP_SRC:%.c=$(B)/obj/%.o)

EX_SRC := $(sort $(wildcard examples/*.c))
EX_BIN := $(patsubst examples/%.c,$(B)/examples/%,$(EX_SRC))

BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

# Keep objects that pattern rules chain through (make would delete them).
.SECONDARY:

.PHONY: test-pg test-cassandra test-cassandra-cluster all lib test examples bench clean fuzz \
        fuzz-replay print-builddir server-test server-test-pg check-layers install uninstall FORCE
all: lib $(SERVER) examples bench $(TEST_BIN) $(PG_TEST_BIN) $(CASS_TEST_BIN) $(CLUSTER_TEST_BIN)

lib: $(LIB) $(SO) $(SO_LINKS)

# The top directory of the source being compiled (src, server, tests, ...).
top = $(firstword $(subst /, ,$<))

# Objects depend on the flags they were built with, written to $(B)/flags:
# a change of flags (a merge that adds -fPIC, say) rebuilds them, which make
# would not notice by itself.
FLAGS_FILE := $(B)/flags
FLAGS_NOW := $(CC) $(CFLAGS) $(CFLAGS_src) $(INC_src) $(INC_server) $(INC_tests)
ifneq ($(file < $(FLAGS_FILE)),$(FLAGS_NOW))
$(shell mkdir -p $(B))
$(file > $(FLAGS_FILE),$(FLAGS_NOW))
endif

$(B)/obj/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) $(INC_$(top)) $(CFLAGS_$(top)) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(SO): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(SO_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/$(SONAME): $(SO)
	$(Q)ln -sf $(notdir $<) $@

$(B)/libvellir.so: $(B)/$(SONAME)
	$(Q)ln -sf $(notdir $<) $@

$(B)/libvellir-server.a: $(SRV_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(B)/vellir-server: $(B)/obj/server/main.o $(SRV_LIB) $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(SRV_LIB) $(LIB) $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/%.o $(TEST_HELP_OBJ) $(SRV_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(TEST_HELP_OBJ) $(SRV_LIB) $(LIB) $(LDLIBS)

$(B)/examples/%: $(B)/obj/examples/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(B)/bench/%: $(B)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

examples: $(EX_BIN)
bench: $(BENCH_BIN)

# Runs every test binary; prints one line per binary and fails if any failed.
# TSan needs the old address-space layout on kernels with high mmap
# randomisation; setarch -R gives it that.
RUN_PREFIX := $(if $(filter tsan,$(MODE)),$(shell command -v setarch >/dev/null && echo "setarch $$(uname -m) -R"))

test: $(TEST_BIN)
	@$(RUN_PREFIX) scripts/run-tests.sh $(TEST_BIN)

# Fuzzing. Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput and
# keeps its corpus in tests/fuzz/corpus/NAME/. `make fuzz` builds libFuzzer
# binaries with clang into build/fuzz; `make fuzz-replay` links each harness
# with a plain main (tests/fuzz/replay.c) under the current mode and compiler
# and runs every corpus file through it, so CI replays corpora everywhere.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Iinclude -Isrc -Iserver $(PKG_CFLAGS) \
               -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
FUZZ_ALL_SRC := $(LIB_SRC) $(SRV_SRC)

fuzz: $(FUZZ_NAMES:%=build/fuzz/fuzz_%)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_ALL_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_ALL_SRC) $(PKG_LIBS) -lm -pthread

$(B)/fuzz-replay/fuzz_%: $(B)/obj/tests/fuzz/fuzz_%.o $(B)/obj/tests/fuzz/replay.o $(SRV_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz-replay: $(FUZZ_NAMES:%=$(B)/fuzz-replay/fuzz_%)
	@for n in $(FUZZ_NAMES); do \
	  $(B)/fuzz-replay/fuzz_$$n tests/fuzz/corpus/$$n || exit 1; \
	done

# Need a PostgreSQL instance: scripts/pg-node.sh start (sets up VELLIR_PG_DSN).
test-pg: $(PG_TEST_BIN)
	@$(RUN_PREFIX) scripts/run-tests.sh $(PG_TEST_BIN)

# Need a Cassandra node: scripts/cassandra-node.sh start.
test-cassandra: $(CASS_TEST_BIN)
	@$(RUN_PREFIX) scripts/run-tests.sh $(CASS_TEST_BIN)

# Need the three-node cluster: scripts/cassandra-cluster.sh start.
test-cassandra-cluster: $(CLUSTER_TEST_BIN)
	@$(RUN_PREFIX) scripts/run-tests.sh $(CLUSTER_TEST_BIN)

# vellir-server's end-to-end tests (tests/server/run.sh): the built server
# against real clients (redis-cli, redis-py, hiredis) and redis-server.
HIREDIS_TEST := $(B)/tests/server/test_hiredis

$(HIREDIS_TEST): tests/server/test_hiredis.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SAN) -pthread -o $@ $< -lhiredis

server-test: $(SERVER) $(HIREDIS_TEST)
	@VELLIR_SERVER_PREFIX="$(RUN_PREFIX)" tests/server/run.sh $(B)

# vellir-server in front of a real PostgreSQL (tests/server/test_pg_server.py):
# redis-py through the server, psql and cbor2 on the table. Needs the
# instance of scripts/pg-node.sh start (VELLIR_PG_DSN, as for test-pg).
server-test-pg: $(SERVER)
	@$(RUN_PREFIX) /usr/bin/python3 tests/server/test_pg_server.py $(SERVER)

# The layering of docs/architecture.md, kept: includes by folder, no
# hand-copied prototypes, exported symbols (vl_ public, vl__ internal), and a
# file-level call graph without circles (scripts/check-layers.py says how).
check-layers: $(LIB) $(SO) $(SERVER)
	@scripts/check-layers.py --objs $(B)/obj --lib $(LIB) --so $(SO)

print-builddir:
	@echo $(B)

# ---- make install / make uninstall --------------------------------------------
# Installs what the current mode built (build/default unless ASAN=1, CC=...).
# Run ldconfig after installing into a system directory outside DESTDIR.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
HEADERS := $(sort $(wildcard include/*.h))

# vellir.pc is made anew on every install, as PREFIX and LIBDIR may change.
$(B)/vellir.pc: vellir.pc.in FORCE
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	        -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	        -e 's|@REQUIRES_PRIVATE@|$(PKGS)|' -e 's|@LIBS_PRIVATE@|$(SYS_LIBS)|' $< > $@

install: lib $(SERVER) $(B)/vellir.pc
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(LIB) $(SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SO)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvellir.so
	install -m 644 $(B)/vellir.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(if $(SERVER),install -d $(DESTDIR)$(BINDIR))
	$(if $(SERVER),install -m 755 $(SERVER) $(DESTDIR)$(BINDIR)/)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(HEADERS)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libvellir.a $(notdir $(SO)) $(SONAME) libvellir.so)
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/vellir.pc $(DESTDIR)$(BINDIR)/vellir-server

clean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
