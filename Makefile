# libami — build, test, install.  `make test` is what CI runs.
#
# Sources are found by wildcard: every lib/**/*.c goes into libami, every
# cli/<prog>/*.c makes one program, every tests/unit/<area>/test_*.c is one
# test program (linked statically, with tests/lib/*.c helpers).

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
DESTDIR     ?=
CC          ?= cc
LD          ?= ld
AR          ?= ar
OBJCOPY     ?= objcopy
B           ?= build
SAN         ?=

ifeq ($(filter clean distclean help,$(MAKECMDGOALS)),)
ifeq ($(AMI_DEPS_CHECKED),)
_deps := $(shell scripts/deps.sh 1>&2; echo $$?)
ifneq ($(_deps),0)
$(error missing build dependencies; see the message above)
endif
export AMI_DEPS_CHECKED := 1
endif
endif

PKGS        := sqlite3 jansson libcurl openssl libmicrohttpd libwebsockets
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT         ?= -O2
ifneq ($(SAN),)
OPT         := -O1
SANFLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(SAN),fuzz)
SANFLAGS    := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

DUKDIR      := $(B)/duktape
BASE_CFLAGS := -std=gnu11 $(OPT) -g -fPIC -fvisibility=hidden -pthread $(SANFLAGS) \
               -Iinclude -Ilib -I$(DUKDIR) $(PKG_CFLAGS) -DAMI_VERSION_STRING='"$(VERSION)"'
WARN        := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS_AMI  := $(BASE_CFLAGS) $(WARN) $(CFLAGS)
LDLIBS_AMI  := $(PKG_LIBS) -lm -pthread $(SANFLAGS)

LIB_SRCS    := $(shell find lib -name '*.c' | sort)
LIB_OBJS    := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS))
# Duktape comes in with the runtime, which supplies its exec-timeout hook.
ifneq ($(wildcard lib/runtime/*.c),)
LIB_OBJS    += $(DUKDIR)/duktape.o
endif
HDRS        := $(shell find include lib -name '*.h')
# JavaScript shipped inside libami (the runtime prelude, the lowering's
# helpers): lib/runtime/js/*.js become C data at build time (scripts/js2c.sh).
RT_JS       := $(sort $(wildcard lib/runtime/js/*.js))
ifneq ($(RT_JS),)
LIB_OBJS    += $(B)/obj/$(B)/gen/js_data.o
$(B)/gen/js_data.c: $(RT_JS) scripts/js2c.sh
	@mkdir -p $(dir $@)
	$(Q)scripts/js2c.sh $@ $(RT_JS)
endif
# Built-in worker templates: lib/templates/*.js become C data at build time, by
# the same generator, with a table of their "@key value" metadata.
TPL_JS      := $(sort $(wildcard lib/templates/*.js))
ifneq ($(TPL_JS),)
LIB_OBJS    += $(B)/obj/$(B)/gen/templates_data.o
$(B)/gen/templates_data.c: $(TPL_JS) scripts/js2c.sh
	@mkdir -p $(dir $@)
	$(Q)scripts/js2c.sh --prefix template_ --table ami__templates ami__template_def templates/templates_internal.h \
	    "title category executionMode priority mode description" $@ $(TPL_JS)
endif

PROGS       := $(notdir $(patsubst %/,%,$(dir $(wildcard cli/*/main.c))))
PROG_BINS   := $(addprefix $(B)/,$(PROGS))

TEST_LIB_SRCS := $(wildcard tests/lib/*.c)
TEST_LIB_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(TEST_LIB_SRCS))
UNIT_SRCS   := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BINS   := $(patsubst tests/%.c,$(B)/tests/%,$(UNIT_SRCS))
INTEG_SRCS  := $(shell find tests/integration -name 'test_*.c' 2>/dev/null | sort)
INTEG_BINS  := $(patsubst tests/%.c,$(B)/tests/%,$(INTEG_SRCS))
INTEG_SH    := $(sort $(wildcard tests/integration/test_*.sh))

# Which tests `make test` (and `unit`, `integration`) runs: T=NAMES (file names,
# with or without "test_", separated by commas or spaces), AREA=DIR (a directory
# of tests/unit, or "integration"); J=N tests at a time (default 2).
J           ?= 2
comma       := ,
T_NAMES     := $(subst $(comma), ,$(T))
T_NAMES     := $(T_NAMES) $(addprefix test_,$(T_NAMES))
pick_t       = $(if $(T),$(foreach f,$(1),$(if $(filter $(T_NAMES),$(basename $(notdir $(f)))),$(f))),$(1))
pick_area    = $(if $(AREA),$(if $(filter integration,$(AREA)),$(2),$(filter $(B)/tests/unit/$(AREA)/% tests/unit/$(AREA)/%,$(1))),$(1) $(2))
UNIT_SEL    := $(strip $(call pick_t,$(call pick_area,$(UNIT_BINS),)))
INTEG_SEL   := $(strip $(call pick_t,$(call pick_area,,$(INTEG_BINS) $(INTEG_SH))))
INTEG_SEL_BINS := $(filter-out %.sh,$(INTEG_SEL))
ifneq ($(AREA),)
ifeq ($(UNIT_SEL)$(INTEG_SEL),)
$(error AREA=$(AREA): no such test area (a directory of tests/unit, or integration))
endif
endif

BENCH_SRCS  := $(shell find tests/bench -name 'bench_*.c' 2>/dev/null | sort)
BENCH_BINS  := $(patsubst tests/%.c,$(B)/tests/%,$(BENCH_SRCS))

# Quiet by default; V=1 shows full commands.
ifeq ($(V),)
Q := @
QCC = @echo "  CC      $<";
QLD = @echo "  LD      $@";
endif

# Keep objects of every build (test helpers look intermediate to make).
.SECONDARY:

.PHONY: all lib progs tests test unit integration asan bench install uninstall clean help run torture torture-etcd fuzz fuzz-build fuzz-prebuild clang-check cluster
.DEFAULT_GOAL := all

all: lib progs $(B)/libami.pc

help:
	@echo "make            build libami.so/.a, amictl, amid"
	@echo "make test       build with -Werror, run every suite, then unit tests under ASan+UBSan, then a clang build"
	@echo "make test T=test_lease      one test by name (T=a,b for several)"
	@echo "make test AREA=store        the tests of one area (a directory of tests/unit, or integration)"
	@echo "make test J=4               four tests at a time (default 2)"
	@echo "make CC=clang B=build/clang build with clang in its own directory"
	@echo "make run        start a demo node on ./data (see README)"
	@echo "make cluster    three etcd members + three amid nodes on loopback with the demo workers"
	@echo "make bench      print benchmark figures with ratios against raw baselines"
	@echo "make install    install under PREFIX (default /usr/local; LIBDIR, BINDIR, SYSCONFDIR…), honours DESTDIR"
	@echo "make uninstall  remove what make install put there (same PREFIX and DESTDIR)"

lib: $(B)/libami.a $(B)/libami.so.$(VERSION)
progs: $(PROG_BINS)

# --- Duktape: the Debian package's own source, with a generated config that
# turns on the interrupt counter and the exec-timeout hook (how a runaway
# script is stopped) and keeps every duk_* symbol hidden.
DUK_SRC := /usr/share/duktape
$(DUKDIR)/duk_config.h: $(DUK_SRC)/duk_config.h scripts/gen_duk_config.sh
	@mkdir -p $(DUKDIR)
	scripts/gen_duk_config.sh $< $@
$(DUKDIR)/duktape.h: $(DUK_SRC)/duktape.h
	@mkdir -p $(DUKDIR)
	cp $< $@
$(DUKDIR)/duktape.c: $(DUK_SRC)/duktape.c scripts/duk_lean.patch scripts/duk_interrupt_now.c scripts/duk_lean.c scripts/duk_promise.c scripts/duk_sync_done.c scripts/duk_record.c scripts/duk_shared_strings.c
	@mkdir -p $(DUKDIR)
	patch --quiet --force -r - -o $@.tmp $(DUK_SRC)/duktape.c scripts/duk_lean.patch
	cat $(filter %.c,$(wordlist 3,99,$^)) >> $@.tmp
	mv $@.tmp $@
# Under the sanitizers Duktape's own NULL + 0 (an empty property table) is not
# a finding: clang's UBSan reports it at the first heap (seen by fuzz_webfix).
$(DUKDIR)/duktape.o: $(DUKDIR)/duktape.c $(DUKDIR)/duktape.h $(DUKDIR)/duk_config.h
	$(QCC)$(CC) $(BASE_CFLAGS) $(if $(SAN),-fno-sanitize=pointer-overflow) -w -c $< -o $@

$(B)/obj/%.o: %.c $(HDRS) $(DUKDIR)/duk_config.h $(DUKDIR)/duktape.h
	@mkdir -p $(dir $@)
	$(QCC)$(CC) $(CFLAGS_AMI) -c $< -o $@

# libami.a exports only ami_*, like the .so: the objects (Duktape included) are
# linked into one relocatable object whose hidden symbols (duk_*, ami__*) are
# then made local, so a host's own Duktape can neither replace ours nor clash.
# Tests reach internals through the plain archive of the same objects.
$(B)/libami.a: $(LIB_OBJS)
	@rm -f $@ $(B)/obj/libami-all.o
	$(QLD)$(LD) -r -o $(B)/obj/libami-all.o $^
	$(Q)$(OBJCOPY) --localize-hidden $(B)/obj/libami-all.o
	$(Q)$(AR) rcs $@ $(B)/obj/libami-all.o

$(B)/obj/libami-internal.a: $(LIB_OBJS)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/libami.so.$(VERSION): $(LIB_OBJS) scripts/libami.map
	$(QLD)$(CC) -shared -o $@ $(LIB_OBJS) -Wl,-soname,libami.so.$(SOVERSION) \
	    -Wl,--version-script=scripts/libami.map -Wl,-z,defs $(LDLIBS_AMI)
	ln -sf libami.so.$(VERSION) $(B)/libami.so.$(SOVERSION)
	ln -sf libami.so.$(SOVERSION) $(B)/libami.so

$(B)/libami.pc: pkgconfig/libami.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(or $(LIBDIR),$(PREFIX)/lib)|g' \
	    -e 's|@INCLUDEDIR@|$(or $(INCLUDEDIR),$(PREFIX)/include)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# Programs link the static library so they run from the build tree.
# amid tells systemd it is ready (sd_notify, Type=notify units).
PROG_LIBS_amid := $(shell pkg-config --libs libsystemd 2>/dev/null)
define PROG_RULE
$(B)/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard cli/$(1)/*.c)) $(B)/libami.a
	$$(QLD)$$(CC) $$(CFLAGS_AMI) -o $$@ $$(filter %.o,$$^) $(B)/libami.a $$(LDLIBS_AMI) $$(PROG_LIBS_$(1))
endef
$(foreach p,$(PROGS),$(eval $(call PROG_RULE,$(p))))

$(B)/tests/%: tests/%.c $(TEST_LIB_OBJS) $(B)/obj/libami-internal.a $(HDRS) $(wildcard tests/lib/*.h cli/amid/http.[ch] cli/amid/console.[ch])
	@mkdir -p $(dir $@)
	$(QLD)$(CC) $(CFLAGS_AMI) -Itests/lib -o $@ $< $(TEST_LIB_OBJS) $(B)/obj/libami-internal.a $(LDLIBS_AMI)

tests: $(UNIT_BINS) $(INTEG_BINS) $(PROG_BINS)

unit: $(UNIT_SEL)
	@tests/run --build $(B) --name unit$(if $(SAN),-asan) -j $(J) $(UNIT_SEL)

integration: $(INTEG_SEL_BINS) $(PROG_BINS) lib
	@tests/run --build $(B) --name integration -j $(J) $(INTEG_SEL)

asan:
	$(MAKE) B=build/asan SAN=1 unit

# libFuzzer targets (tests/fuzz/fuzz_*.c, seeds in tests/fuzz/corpus/<target>/),
# built with clang, ASan and UBSan into build/fuzz; each runs FUZZ_SECONDS.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := $(notdir $(basename $(wildcard tests/fuzz/fuzz_*.c)))
ifeq ($(SAN),fuzz)
$(B)/fuzz/%: tests/fuzz/%.c $(B)/obj/libami-internal.a $(B)/obj/cli/amid/config.o
	@mkdir -p $(dir $@)
	$(QLD)$(CC) $(CFLAGS_AMI) -fsanitize=fuzzer -o $@ $< $(B)/obj/cli/amid/config.o $(B)/obj/libami-internal.a $(LDLIBS_AMI)
fuzz-build: $(addprefix $(B)/fuzz/,$(FUZZ_TARGETS))
endif
# Built before the integration suite runs, so test_fuzz_short's time limit is
# spent fuzzing, not compiling the tree a fourth time (a failure shows in that test).
fuzz-prebuild:
	@if command -v clang >/dev/null 2>&1; then \
	   $(MAKE) --no-print-directory -s CC=clang SAN=fuzz B=build/fuzz fuzz-build >build/fuzz-build.log 2>&1 || true; fi

fuzz:
	@$(MAKE) --no-print-directory CC=clang SAN=fuzz B=build/fuzz fuzz-build
	@mkdir -p build/fuzz/work
	@for t in $(FUZZ_TARGETS); do \
	   mkdir -p build/fuzz/work/$$t && \
	   echo "fuzz $$t: $(FUZZ_SECONDS) s" && \
	   build/fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	     -artifact_prefix=build/fuzz/work/$$t- build/fuzz/work/$$t tests/fuzz/corpus/$$t 2>build/fuzz/work/$$t.log \
	     || { tail -40 build/fuzz/work/$$t.log; exit 1; }; \
	   grep -E "^Done [0-9]+ runs" build/fuzz/work/$$t.log; \
	 done

# Long runs of the fault harnesses (CI runs them short inside `make integration`).
DURATION    ?= 600
TORTURE     := test_leader_torture test_registry_race test_store_damage test_webfix_sweep test_node_hostile
torture: $(addprefix $(B)/tests/integration/,$(TORTURE)) $(PROG_BINS)
	@set -e; for t in $(TORTURE); do echo "torture $$t: $(DURATION) s"; \
	   AMI_TORTURE_SECONDS=$(DURATION) $(B)/tests/integration/$$t; done

# The leader torture on a real three-member etcd cluster (no shared write lock there).
torture-etcd: $(B)/tests/integration/test_leader_torture $(PROG_BINS)
	@echo "torture test_leader_torture on etcd: $(DURATION) s"
	@AMI_BUILD=$(B) AMI_TORTURE_SECONDS=$(DURATION) tests/lib/etcd.sh run 3 -- $(B)/tests/integration/test_leader_torture

# Every suite, then the unit tests again under AddressSanitizer + UBSan.
# The runner prints one closing "N passed, N failed" line over all suites.
# A full run (no T or AREA) also compiles the tree with clang at -Werror (into
# build/clang; compile only), counted in the summary as "build/clang".
test: all $(UNIT_SEL) $(INTEG_SEL_BINS)
	@rm -f $(B)/results.txt build/asan/results.txt
	@rc=0; \
	 $(if $(UNIT_SEL),$(MAKE) --no-print-directory unit || rc=1;) \
	 $(if $(filter %test_fuzz_short.sh,$(INTEG_SEL)),$(MAKE) --no-print-directory fuzz-prebuild;) \
	 $(if $(INTEG_SEL),$(MAKE) --no-print-directory integration || rc=1;) \
	 $(if $(UNIT_SEL),$(MAKE) --no-print-directory B=build/asan SAN=1 unit || rc=1;) \
	 $(if $(T)$(AREA),,$(MAKE) --no-print-directory clang-check || rc=1;) \
	 tests/run --summary $(B)/results.txt build/asan/results.txt || rc=1; \
	 exit $$rc

# Compile everything (library, programs, tests) with clang; skipped with a note when clang is missing.
clang-check:
	@if command -v clang >/dev/null 2>&1; then \
	   if $(MAKE) --no-print-directory -s CC=clang B=build/clang all tests >build/clang.log 2>&1; then \
	     echo "clang: builds warning-free"; echo "PASS build:clang" >>$(B)/results.txt; \
	   else echo "clang: FAILED (build/clang.log)"; tail -n 20 build/clang.log; echo "FAIL build:clang" >>$(B)/results.txt; exit 1; fi; \
	 else echo "clang: not installed, clang build skipped"; fi

bench: all $(BENCH_BINS)
	@AMI_WANT_BENCH=1 scripts/deps.sh
	@tests/bench/run $(B) $(BENCH_BINS)

# The Python binding (pure Python over libami.so.0) goes to PREFIX's site-packages: Debian's
# python3 reads PREFIX/lib/python3.X/dist-packages, other builds PREFIX/lib/python3.X/site-packages.
PYTHON      ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
PYVER       := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYSITE      ?= $(PREFIX)/lib/python$(PYVER)/$(if $(wildcard /usr/lib/python3/dist-packages),dist,site)-packages

# Where `make install` puts things (all under DESTDIR when given).
LIBDIR      ?= $(PREFIX)/lib
BINDIR      ?= $(PREFIX)/bin
INCLUDEDIR  ?= $(PREFIX)/include
SYSCONFDIR  ?= $(PREFIX)/etc
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man

# Installed programs link libami.so.0 (found in LIBDIR through their run path);
# the build tree's programs stay static so they run from here.
INST_BINS   := $(addprefix $(B)/inst/,$(PROGS))
define INST_RULE
$(B)/inst/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard cli/$(1)/*.c)) $(B)/libami.so.$(VERSION)
	@mkdir -p $$(dir $$@)
	$$(QLD)$$(CC) $$(CFLAGS_AMI) -o $$@ $$(filter %.o,$$^) -L$(B) -lami -Wl,-rpath,$(LIBDIR) $$(LDLIBS_AMI) $$(PROG_LIBS_$(1))
endef
$(foreach p,$(PROGS),$(eval $(call INST_RULE,$(p))))

install: all $(INST_BINS)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/ami/sys $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/ami $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/site-functions
	install -m 644 include/ami.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 include/ami/*.h $(DESTDIR)$(INCLUDEDIR)/ami/
	install -m 644 include/ami/sys/*.h $(DESTDIR)$(INCLUDEDIR)/ami/sys/
	install -m 644 $(B)/libami.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/libami.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libami.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libami.so.$(SOVERSION)
	ln -sf libami.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libami.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' pkgconfig/libami.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libami.pc
	$(if $(INST_BINS),install -m 755 $(INST_BINS) $(DESTDIR)$(BINDIR)/)
	@# an edited configuration is kept; the shipped one is always there as amid.conf.dist
	install -m 644 docs/amid.conf $(DESTDIR)$(SYSCONFDIR)/ami/amid.conf.dist
	[ -e $(DESTDIR)$(SYSCONFDIR)/ami/amid.conf ] || install -m 644 docs/amid.conf $(DESTDIR)$(SYSCONFDIR)/ami/amid.conf
	$(B)/amictl completion bash > $(DESTDIR)$(DATADIR)/bash-completion/completions/amictl
	$(B)/amictl completion zsh > $(DESTDIR)$(DATADIR)/zsh/site-functions/_amictl
	install -d $(DESTDIR)$(PYSITE)/ami
	install -m 644 bindings/python/ami/*.py $(DESTDIR)$(PYSITE)/ami/
	install -d $(DESTDIR)$(DATADIR)/ami/console
	install -m 644 $(wildcard console/*.html console/*.js console/*.css console/*.svg) $(DESTDIR)$(DATADIR)/ami/console/
	install -m 644 docs/amid.service $(DESTDIR)$(DATADIR)/ami/
	@if [ -d docs/man ]; then install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8; \
	  for m in docs/man/*.1; do [ -f $$m ] && install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done; \
	  for m in docs/man/*.8; do [ -f $$m ] && install -m 644 $$m $(DESTDIR)$(MANDIR)/man8/; done; true; fi

# Removes what `make install` put there (same PREFIX/DESTDIR); an edited amid.conf stays.
uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/ami.h $(addprefix $(DESTDIR)$(INCLUDEDIR)/ami/,$(notdir $(wildcard include/ami/*.h))) \
	    $(addprefix $(DESTDIR)$(INCLUDEDIR)/ami/sys/,$(notdir $(wildcard include/ami/sys/*.h)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/ami/sys $(DESTDIR)$(INCLUDEDIR)/ami 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libami.a $(DESTDIR)$(LIBDIR)/libami.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libami.so.$(SOVERSION) \
	    $(DESTDIR)$(LIBDIR)/libami.so $(DESTDIR)$(LIBDIR)/pkgconfig/libami.pc
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(PROGS))
	rm -f $(DESTDIR)$(SYSCONFDIR)/ami/amid.conf.dist
	cmp -s docs/amid.conf $(DESTDIR)$(SYSCONFDIR)/ami/amid.conf 2>/dev/null && rm -f $(DESTDIR)$(SYSCONFDIR)/ami/amid.conf || true
	-rmdir $(DESTDIR)$(SYSCONFDIR)/ami 2>/dev/null
	rm -f $(DESTDIR)$(DATADIR)/bash-completion/completions/amictl $(DESTDIR)$(DATADIR)/zsh/site-functions/_amictl
	rm -rf $(DESTDIR)$(PYSITE)/ami $(DESTDIR)$(DATADIR)/ami
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard docs/man/*.1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard docs/man/*.8)))

# A demo node on ./data (scripts/demo.sh): a parallel ticker writer and a leader aggregator.
run: all
	@scripts/demo.sh $(B)

# Three etcd members and three amid nodes on loopback with the demo workers (scripts/cluster.sh).
cluster: all
	@scripts/cluster.sh $(B)

clean:
	rm -rf build
