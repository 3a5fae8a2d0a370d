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
# Built-in worker templates: lib/templates/*.js become C data at build time.
TPL_JS      := $(sort $(wildcard lib/templates/*.js))
ifneq ($(TPL_JS),)
LIB_OBJS    += $(B)/obj/$(B)/gen/templates_data.o
$(B)/gen/templates_data.c: $(TPL_JS) scripts/gen_templates.sh
	@mkdir -p $(dir $@)
	$(Q)scripts/gen_templates.sh $@ $(TPL_JS)
endif

PROGS       := $(notdir $(patsubst %/,%,$(dir $(wildcard cli/*/main.c))))
PROG_BINS   := $(addprefix $(B)/,$(PROGS))

TEST_LIB_SRCS := $(wildcard tests/lib/*.c)
TEST_LIB_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(TEST_LIB_SRCS))
UNIT_SRCS   := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BINS   := $(patsubst tests/%.c,$(B)/tests/%,$(UNIT_SRCS))
INTEG_SRCS  := $(shell find tests/integration -name 'test_*.c' 2>/dev/null | sort)
INTEG_BINS  := $(patsubst tests/%.c,$(B)/tests/%,$(INTEG_SRCS))
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

.PHONY: all lib progs tests test unit integration asan bench install uninstall clean help run
.DEFAULT_GOAL := all

all: lib progs $(B)/libami.pc

help:
	@echo "make            build libami.so/.a, amictl, amid"
	@echo "make test       build with -Werror, run every suite, then unit tests under ASan+UBSan"
	@echo "make run        start a demo node on ./data (see README)"
	@echo "make bench      print benchmark figures with ratios against raw baselines"
	@echo "make install    install under PREFIX (default /usr/local), honours DESTDIR"

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
$(DUKDIR)/duktape.c: $(DUK_SRC)/duktape.c
	@mkdir -p $(DUKDIR)
	cp $< $@
$(DUKDIR)/duktape.o: $(DUKDIR)/duktape.c $(DUKDIR)/duktape.h $(DUKDIR)/duk_config.h
	$(QCC)$(CC) $(BASE_CFLAGS) -w -c $< -o $@

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
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# Programs link the static library so they run from the build tree.
define PROG_RULE
$(B)/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard cli/$(1)/*.c)) $(B)/libami.a
	$$(QLD)$$(CC) $$(CFLAGS_AMI) -o $$@ $$(filter %.o,$$^) $(B)/libami.a $$(LDLIBS_AMI)
endef
$(foreach p,$(PROGS),$(eval $(call PROG_RULE,$(p))))

$(B)/tests/%: tests/%.c $(TEST_LIB_OBJS) $(B)/obj/libami-internal.a $(HDRS) $(wildcard tests/lib/*.h cli/amid/http.[ch])
	@mkdir -p $(dir $@)
	$(QLD)$(CC) $(CFLAGS_AMI) -Itests/lib -o $@ $< $(TEST_LIB_OBJS) $(B)/obj/libami-internal.a $(LDLIBS_AMI)

tests: $(UNIT_BINS) $(INTEG_BINS) $(PROG_BINS)

unit: $(UNIT_BINS)
	@tests/run --build $(B) --name unit$(if $(SAN),-asan) $(UNIT_BINS)

integration: $(INTEG_BINS) $(PROG_BINS) lib
	@tests/run --build $(B) --name integration $(INTEG_BINS) $(wildcard tests/integration/test_*.sh)

asan:
	$(MAKE) B=build/asan SAN=1 unit

# Every suite, then the unit tests again under AddressSanitizer + UBSan.
# The runner prints one closing "N passed, N failed" line over all suites.
test: all tests
	@rm -f $(B)/results.txt build/asan/results.txt
	@rc=0; \
	 $(MAKE) --no-print-directory unit || rc=1; \
	 $(MAKE) --no-print-directory integration || rc=1; \
	 $(MAKE) --no-print-directory B=build/asan SAN=1 unit || rc=1; \
	 tests/run --summary $(B)/results.txt build/asan/results.txt || rc=1; \
	 exit $$rc

bench: all $(BENCH_BINS)
	@AMI_WANT_BENCH=1 scripts/deps.sh
	@tests/bench/run $(B) $(BENCH_BINS)

# The Python binding (pure Python over libami.so.0) goes to PREFIX's site-packages: Debian's
# python3 reads PREFIX/lib/python3.X/dist-packages, other builds PREFIX/lib/python3.X/site-packages.
PYTHON      ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
PYVER       := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYSITE      ?= $(PREFIX)/lib/python$(PYVER)/$(if $(wildcard /usr/lib/python3/dist-packages),dist,site)-packages

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/ami/sys $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/ami.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/ami/*.h $(DESTDIR)$(PREFIX)/include/ami/
	install -m 644 include/ami/sys/*.h $(DESTDIR)$(PREFIX)/include/ami/sys/
	install -m 644 $(B)/libami.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libami.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libami.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libami.so.$(SOVERSION)
	ln -sf libami.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libami.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' pkgconfig/libami.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libami.pc
	$(if $(PROG_BINS),install -m 755 $(PROG_BINS) $(DESTDIR)$(PREFIX)/bin/)
	install -d $(DESTDIR)$(PYSITE)/ami
	install -m 644 bindings/python/ami/*.py $(DESTDIR)$(PYSITE)/ami/
	@if [ -d docs/man ]; then install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8; \
	  for m in docs/man/*.1; do [ -f $$m ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done; \
	  for m in docs/man/*.8; do [ -f $$m ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/; done; true; fi

# A demo node on ./data (scripts/demo.sh): a parallel ticker writer and a leader aggregator.
run: all
	@scripts/demo.sh $(B)

clean:
	rm -rf build
