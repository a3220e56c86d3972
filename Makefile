# quark - Linux process telemetry
#
#   make            build build/quark
#   make run        install missing packages, build, run `quark watch`
#   make check      install missing packages, build, run every test,
#                   the kernel matrix included (tests/vm/)
#   make check KERNELS=         the same without the kernel matrix
#   make check-kernels          the kernel matrix alone
#   make check-kernels KERNELS="5.10 sid" SCENARIOS=ebpf   part of it
#   make bench      benchmarks (prints figures)
#   make SANITIZE=1 BUILD=build/san ...   ASan+UBSan build
#   make static     static build/static/quark and helpers (the guests')
#   V=1             show the commands
# As a user, the steps that need root (apt-get install, loading BPF: quark
# watch and the tests) run under sudo, and say so; as root, no sudo.

.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/sbin
MANDIR	 = $(PREFIX)/share/man
# systemd looks in /usr/local/lib/systemd/system too (systemd.unit(5)).
UNITDIR	?= $(PREFIX)/lib/systemd/system
EXAMPLEDIR = $(PREFIX)/share/doc/quark/examples
BUILD	?= build
# BPF artefacts do not depend on the sanitizer: one copy for every build.
BPFOUT	 = build/bpf

CC	?= cc
BPF_CLANG ?= clang-19
BPFTOOL	?= bpftool
ARCH	:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

WARN	 = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	   -Wstrict-prototypes -Wpointer-arith -Wno-unused-parameter
CFLAGS	?= -O2 -g
CFLAGS	+= $(WARN) -std=gnu11 -D_GNU_SOURCE -Ilib -Ioutput -Ibpf -I$(BPFOUT)
LDLIBS	 = -lbpf -lelf -lz -ljansson -lbsd

ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

ifneq ($(V),1)
Q	 = @
msg	 = @printf '  %-8s %s\n' $(1) $(2);
else
Q	 =
msg	 =
endif

LIB_SRC	 = $(sort $(wildcard lib/*.c))
OUT_SRC	 = $(sort $(wildcard output/*.c))
CMD_SRC	 = $(sort $(wildcard cmd/*.c))
TEST_SRC = $(sort $(wildcard tests/t_*.c))
BENCH_SRC= $(sort $(wildcard bench/*.c))
# Small programs the bats tests run as workloads (no libquark).
HELP_SRC = $(sort $(wildcard tests/helpers/*.c))
BPF_SRC	 = bpf/quark.bpf.c

LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o)
OUT_OBJ	 = $(OUT_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ	 = $(CMD_SRC:%.c=$(BUILD)/%.o)
TESTS	 = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCHES	 = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
HELPERS	 = $(HELP_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

LIBQUARK = $(BUILD)/libquark.a
LIBOUT	 = $(BUILD)/liboutput.a
QUARK	 = $(BUILD)/quark
SKEL	 = $(BPFOUT)/quark.skel.h

# Debian packages quark needs to build and test.
DEPS	 = make gcc clang-19 llvm-19 bpftool libbpf-dev libelf-dev \
	   zlib1g-dev libjansson-dev libbsd-dev pkg-config bats bats-assert \
	   bats-support jq mandoc python3-jsonschema libbpf-tools util-linux \
	   procps zsh fish rsyslog logrotate systemd nodejs strace
# npm is its own Debian package, or comes with a nodejs build that
# provides it: asked for only when there is no npm command.
NPM_DEP	:= $(if $(shell command -v npm 2>/dev/null),,npm)
# What the kernel matrix needs (tests/vm/): qemu, a static busybox for the
# guests, cpio for their initramfs, the key that signs Debian's archive
# (the kernels come from it).
VMDEPS	 = qemu-system-x86 busybox-static cpio debian-archive-keyring \
	   binutils gzip
# The kernels (names of tests/vm/kernels, or "all") and the scenarios (of
# tests/vm/scenarios, or "all") of the matrix.  KERNELS= (empty) skips the
# matrix in `make check`.  Kernels are cached in $$QUARK_KERNEL_CACHE
# (default /var/cache/quark/kernels): see tests/vm/fetch-kernels.sh.
KERNELS	?= all
SCENARIOS ?= all
STATIC	 = build/static

# Root for the steps that need it: sudo when not root.
ifeq ($(shell id -u),0)
ASROOT	 =
else
ASROOT	 = sudo
endif
# as-root WHY: a recipe line that, when not root, says WHY (a sentence
# saying what needs root) and that sudo runs it, or fails when sudo is
# missing; nothing as root.
define as-root
	@[ -z "$(ASROOT)" ] || { command -v sudo >/dev/null || { \
	    echo "$(1), and sudo is not installed: run this as root" >&2; \
	    exit 1; }; echo "$(1): running it with sudo" >&2; }
endef

.PHONY: all deps run check tests lint bench install clean
.PHONY: vm-deps check-kernels static helpers

all: $(QUARK)

# apt-install PACKAGES: install those of PACKAGES that are missing (as
# root, or with sudo, saying so).
define apt-install
	$(Q)missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ -n "$(ASROOT)" ]; then \
		command -v sudo >/dev/null || { \
		echo "missing packages: $$missing" >&2; \
		echo "installing them needs root and sudo is not installed;" \
		    "run as root: apt-get install -y" $$missing >&2; exit 1; }; \
		echo "installing needs root: sudo apt-get install" $$missing >&2; \
	else \
		echo "installing:" $$missing >&2; \
	fi; \
	$(ASROOT) env DEBIAN_FRONTEND=noninteractive sh -c \
	    'apt-get update -q >/dev/null && apt-get install -y -q "$$@"' \
	    sh $$missing >&2
endef

deps:
	$(call apt-install,$(DEPS) $(NPM_DEP))

vm-deps:
	$(call apt-install,$(VMDEPS))

# stdout carries only records (`make run | jq` works): the rest to stderr.
run:
	@$(MAKE) --no-print-directory deps all >&2
	$(call as-root,quark watch needs root)
	@$(ASROOT) ./$(QUARK) watch

# The unit tests run as the user; the bats suites and the matrix load BPF
# and watch processes: as root (sudo when not root).
# -s: no "Nothing to be done" between the test lines (V=1 shows all).
SUBMAKE	 = $(MAKE) --no-print-directory $(if $(filter 1,$(V)),,-s)

check: deps $(if $(strip $(KERNELS)),vm-deps)
	$(Q)$(SUBMAKE) all
	$(Q)$(SUBMAKE) BUILD=build/san SANITIZE=1 tests
	$(Q)$(SUBMAKE) tests
	$(if $(strip $(KERNELS)),$(Q)$(SUBMAKE) static)
	$(call as-root,the tests need root (they load BPF and watch every process))
	$(Q)$(ASROOT) env KERNELS='$(strip $(KERNELS))' \
	    SCENARIOS='$(SCENARIOS)' tests/run.sh $(BUILD) build/san

# Every scenario of tests/vm/scenarios on every kernel of tests/vm/kernels,
# each in a qemu guest (tests/vm/matrix.sh).  qemu needs no root.
check-kernels: deps vm-deps
	$(Q)$(SUBMAKE) static
	$(Q)KERNELS='$(strip $(KERNELS))' SCENARIOS='$(SCENARIOS)' \
	    tests/vm/matrix.sh $(STATIC)

# The guests' quark and workload programs: static (the initramfs has no
# libc).  glibc's warnings about NSS in static programs are expected: the
# guest has no user database, and quark leaves user names out then.
static:
	$(Q)$(SUBMAKE) BUILD=$(STATIC) \
	    LDFLAGS='-static -Wl,--no-warnings' all helpers

helpers: $(HELPERS)

tests: $(TESTS) $(HELPERS) $(QUARK)

lint:
	$(Q)mandoc -Tlint -Wwarning man/*.[0-9]

bench: $(BENCHES) $(QUARK)
	$(Q)bench/run.sh $(BUILD)

# --- user space -------------------------------------------------------

$(BUILD)/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The skeleton: the eBPF backend loads it, btfmember.c reads the object
# it embeds (quark btf).
$(BUILD)/lib/ebpf.o $(BUILD)/lib/btfmember.o: $(SKEL)


$(LIBQUARK): $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBOUT): $(OUT_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(QUARK): $(CMD_OBJ) $(LIBOUT) $(LIBQUARK)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIBOUT) $(LIBQUARK) $(LDLIBS)

# Not intermediate: make would delete them after the first build (before
# their .d files exist) and compile them all again on the next run.
.SECONDARY: $(TESTS:=.o) $(BENCHES:=.o)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBOUT) $(LIBQUARK)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBOUT) $(LIBQUARK) $(LDLIBS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBOUT) $(LIBQUARK)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBOUT) $(LIBQUARK) $(LDLIBS)

# --- BPF ----------------------------------------------------------------

$(BPFOUT)/vmlinux.h:
	$(call msg,BTF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BPFOUT)/quark.bpf.o: $(BPF_SRC) bpf/wire.h $(wildcard bpf/*.h) $(BPFOUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(BPF_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) \
	    -Wall -Werror -I$(BPFOUT) -Ibpf -c $< -o $@

$(SKEL): $(BPFOUT)/quark.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name quark_bpf > $@

# --- install ------------------------------------------------------------

install: $(QUARK)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
	    $(DESTDIR)$(PREFIX)/share/quark $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(EXAMPLEDIR)
	install -m 0755 $(QUARK) $(DESTDIR)$(BINDIR)/quark
	install -m 0644 man/quark.8 $(DESTDIR)$(MANDIR)/man8/quark.8
	install -m 0644 man/quark-schema.7 $(DESTDIR)$(MANDIR)/man7/quark-schema.7
	install -m 0644 completions/quark.bash \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/quark
	install -m 0644 completions/_quark \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_quark
	install -m 0644 completions/quark.fish \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/quark.fish
	install -m 0644 schema/quark.schema.json \
	    $(DESTDIR)$(PREFIX)/share/quark/quark.schema.json
	sed 's|@BINDIR@|$(BINDIR)|g' dist/quark.service.in \
	    >$(DESTDIR)$(UNITDIR)/quark.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/quark.service
	install -m 0644 dist/rsyslog-quark.conf dist/logrotate-quark \
	    $(DESTDIR)$(EXAMPLEDIR)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(OUT_OBJ:.o=.d) $(CMD_OBJ:.o=.d) \
	$(TESTS:=.d) $(BENCHES:=.d)
