# quark - Linux process telemetry
#
#   make            build build/quark
#   sudo make run   install missing packages, build, run `quark watch`
#   sudo make check install missing packages, build, run every test
#   make bench      benchmarks (prints figures)
#   make SANITIZE=1 BUILD=build/san ...   ASan+UBSan build
#   V=1             show the commands

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
	   procps zsh fish rsyslog logrotate systemd

.PHONY: all deps run check tests lint bench install clean

all: $(QUARK)

# Install what is missing when root; otherwise say how, and fail.
deps:
	$(Q)missing=$$(for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "missing packages: $$missing" >&2; \
		echo "run: sudo apt-get install -y" $$missing >&2; exit 1; \
	fi; \
	echo "installing:" $$missing >&2; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q >/dev/null && apt-get install -y -q $$missing >&2

# stdout carries only records (`sudo make run | jq` works): the rest to stderr.
run:
	@$(MAKE) --no-print-directory deps all >&2
	@./$(QUARK) watch

# -s: no "Nothing to be done" between the test lines (V=1 shows all).
SUBMAKE	 = $(MAKE) --no-print-directory $(if $(filter 1,$(V)),,-s)

check: deps
	$(Q)$(SUBMAKE) all
	$(Q)$(SUBMAKE) BUILD=build/san SANITIZE=1 tests
	$(Q)$(SUBMAKE) tests
	$(Q)tests/run.sh $(BUILD) build/san

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
	$(Q)$(CC) $(CFLAGS) -o $@ $< -lpthread

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
