# klptop: build, lab and tests.
#
#   make            build/klptop (static, runs in the lab and on any x86-64 host)
#   make deps       install every Debian package the build, lab and tests need
#   make kmod       scenario modules for every lab kernel (build/kmod/REL/*.ko)
#   make check      unit tests + lab tests; ends with "N passed, N failed"
#   make demo       boot the lab with a stuck transition and show klptop's view
#   make unit       host unit tests only
#   make lab        lab tests only (LAB_KERNELS="REL ..." and SCENARIOS="a b")
#   make fuzz       libFuzzer target of the recording reader (build/fuzz_recfile)
#   make vmlinux    regenerate build/vmlinux.h from the lab kernel's BTF
#   make install    klptop, man page, bash completion, exporter unit, docs,
#                   the magic(5) entry of recordings
#                   (PREFIX=/usr/local, DESTDIR); make uninstall removes them
#   V=1             show every command
#
# vmlinux.h is generated at build time from the BTF inside the oldest installed
# CONFIG_LIVEPATCH kernel image (/boot/vmlinuz-*): published vmlinux.h files
# lack the klp_* types, and a generated one never goes stale. CO-RE relocations
# make the resulting objects work on other kernels (see docs/architecture.md).

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Lab kernels: discovered, never hard-coded (kernels.sh prints newest first).
# vmlinux.h comes from the oldest installed lab kernel, whatever LAB_KERNELS
# selects: types that only a newer kernel has must never compile in by mistake
# (see docs/kernels.md).
LAB_KERNELS ?= $(shell tests/vm/kernels.sh)
BTF_KERNEL  ?= $(lastword $(shell tests/vm/kernels.sh))

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	    -Wno-format-truncation
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD) \
	    \
	    -DKLPTOP_STATIC=$(STATIC) -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS  += $(EXTRA_CFLAGS)
STATIC   ?= 1
LDLIBS   := -lbpf -lelf -lz -lzstd -ljson-c -lncursesw -ltinfo -lm
# The static binary links a libmicrohttpd built without TLS from Debian's
# source package (scripts/libmicrohttpd-notls.sh: Debian's own .a needs a
# static GnuTLS, which Debian cannot give); dynamic builds use the system's.
ifeq ($(STATIC),1)
LDFLAGS  += -static
MHD_LIB  := $(BUILD)/libmicrohttpd/libmicrohttpd.a
else
MHD_LDLIBS := -lmicrohttpd
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	      -Iinclude -I$(BUILD) -I/usr/include/x86_64-linux-gnu

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
SRCS      := $(wildcard src/*/*.c)
OBJS      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
# The core: model, renderers, recordings, preflight, sysfs/procfs readers and
# helpers. It needs no BPF toolchain, so the unit tests link it alone. The
# live probes' halves (which include skeletons), the sampler that drives
# them and the commands are the rest of the binary.
BPF_NAMES := $(patsubst bpf/%.bpf.c,%,$(BPF_SRCS))
LIVE_BPF_OBJS := $(patsubst %,$(BUILD)/obj/live/%.o,$(BPF_NAMES)) $(BUILD)/obj/live/sampler.o
CORE_OBJS := $(filter-out $(BUILD)/obj/cmd/% $(LIVE_BPF_OBJS),$(OBJS))
CORE_LIB  := $(BUILD)/libklptop-core.a
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps kmod check unit unit-bins asan lab demo vmlinux clean bench install uninstall
all: $(BUILD)/klptop

deps:
	$(Q)tests/deps.sh

# --- BPF -------------------------------------------------------------------
$(BUILD)/vmlinux.h:
	$(call msg,VMLINUX,$@ from $(BTF_KERNEL))
	$(Q)test -n "$(BTF_KERNEL)" || { echo "no CONFIG_LIVEPATCH kernel image installed: run 'make deps'" >&2; exit 1; }
	$(Q)mkdir -p $(BUILD)
	$(Q)tests/vm/extract-vmlinux.sh /boot/vmlinuz-$(BTF_KERNEL) $(BUILD)/vmlinux.elf
	$(Q)$(BPFTOOL) btf dump file $(BUILD)/vmlinux.elf format c > $@.tmp
	$(Q)rm -f $(BUILD)/vmlinux.elf
	$(Q)mv $@.tmp $@

vmlinux:
	$(Q)rm -f $(BUILD)/vmlinux.h
	$(Q)$(MAKE) --no-print-directory $(BUILD)/vmlinux.h

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# klptop --version lists the BPF programs built in: their sections, read
# from the objects themselves so the list cannot go stale.
$(BUILD)/bpf_programs.h: $(BPF_OBJS)
	$(call msg,GEN,$@)
	$(Q)for o in $(sort $(BPF_OBJS)); do \
		printf '"  %s:' "$$(basename $$o .bpf.o)"; \
		readelf -SW $$o | awk '{ for (i = 1; i <= NF; i++) if ($$i ~ /^(kprobe|kretprobe|raw_tp|iter|fentry|fexit|tp_btf|tracepoint)(\/|$$)/) print $$i }' | \
			sort -u | tr '\n' ' ' | sed 's/ $$//; s/^/ /'; \
		printf '\\n"\n'; \
	done > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/cmd/version.o: $(BUILD)/bpf_programs.h

# The build's facts, rewritten only when they change: only buildinfo.o then
# recompiles, and no object can carry a stale version.
$(BUILD)/build_info.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#define KLPTOP_VERSION "%s"\n#define KLPTOP_BTF_KERNEL "%s"\n' \
		'$(VERSION)' '$(BTF_KERNEL)' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/lib/buildinfo.o: $(BUILD)/build_info.h
.PHONY: FORCE
FORCE:

# --- userspace -------------------------------------------------------------
# Each probe family's userspace half waits for its own skeleton only.
$(foreach b,$(BPF_NAMES),$(eval $(BUILD)/obj/live/$(b).o: $(BUILD)/$(b).skel.h))
$(BUILD)/obj/live/shadow_fill.o: $(BUILD)/shadow.skel.h

$(BUILD)/obj/%.o: src/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/klptop: $(filter-out $(CORE_OBJS),$(OBJS)) $(CORE_LIB) $(MHD_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(MHD_LDLIBS)

# Built once per libmicrohttpd-dev version (its header's mtime changes with
# it): the source comes through apt-get source, the build takes a minute.
$(BUILD)/libmicrohttpd/libmicrohttpd.a: scripts/libmicrohttpd-notls.sh $(wildcard /usr/include/microhttpd.h)
	$(Q)scripts/libmicrohttpd-notls.sh $(@D)

# Unit tests link the core library dynamically, with cmocka: no clang, bpftool
# or kernel image needed.
$(BUILD)/tests/%: tests/unit/%.c $(CORE_LIB)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(filter-out %.a,$^) $(filter %.a,$^) -o $@ -lcmocka \
		$(filter-out -static,$(LDLIBS)) -lmicrohttpd

# The recording reader under libFuzzer + ASan/UBSan (tests/fuzz.sh runs it):
# the reader, the report model and renderers, the replay's frames, and what
# they stand on (output.c names what a missing attach point loses).
FUZZ_SRCS := tests/fuzz/fuzz_recfile.c $(wildcard src/recording/*.c src/model/*.c) \
	src/render/output.c src/render/blockers.c src/render/report.c src/render/report_text.c \
	src/render/report_json.c src/render/report_chrome.c src/render/transition_cost.c \
	src/lib/util.c src/lib/log.c src/lib/buildinfo.c src/live/attach.c \
	src/live/kallsyms.c
.PHONY: fuzz
fuzz: $(BUILD)/fuzz_recfile
$(BUILD)/fuzz_recfile: $(FUZZ_SRCS) $(BUILD)/build_info.h $(wildcard src/*/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
		-Iinclude -I$(BUILD) -Isrc $(FUZZ_SRCS) -o $@ \
		-lbpf -ljson-c -lz

# --- kernel modules ----------------------------------------------------------
kmod:
	$(Q)for rel in $(LAB_KERNELS); do \
		mkdir -p $(BUILD)/kmod/$$rel && cp kmod/*.c kmod/*.h kmod/Kbuild $(BUILD)/kmod/$$rel/ 2>/dev/null; \
		$(MAKE) -s -C /lib/modules/$$rel/build M=$(CURDIR)/$(BUILD)/kmod/$$rel modules \
			$(if $(filter 1,$(V)),V=1) || exit 1; \
	done

# --- tests -----------------------------------------------------------------
RESULTS := $(BUILD)/results

unit-bins: $(UNIT_BINS)

# The same userspace under ASan + UBSan, dynamically linked, in build/asan:
# unit tests and the host smoke test run on it in make check.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan STATIC=0 EXTRA_CFLAGS="$(SAN_FLAGS)" \
		$(BUILD)/asan/klptop unit-bins

unit: $(UNIT_BINS)
	$(Q)mkdir -p $(RESULTS) && rm -f $(RESULTS)/unit-*.txt
	$(Q)tests/run-unit.sh $(RESULTS) $(UNIT_BINS)

# Static helpers the lab scenarios run in the guest (mkinitramfs.sh copies
# build/bench/* into /bin).
LAB_HELPERS := $(BUILD)/bench/thread-churn $(BUILD)/bench/threads
$(BUILD)/bench/thread-churn: tests/vm/thread-churn.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -O2 -pthread -Wall -Wextra -Werror $< -o $@
$(BUILD)/bench/threads: bench/threads.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -O2 -pthread -Wall -Wextra -Werror $< -o $@

lab: all kmod $(LAB_HELPERS)
	$(Q)mkdir -p $(RESULTS) && rm -f $(RESULTS)/lab-*.txt
	$(Q)tests/vm/lab.sh --results $(RESULTS) $(foreach k,$(LAB_KERNELS),--kernel $(k)) $(SCENARIOS)

check: deps
	$(Q)$(MAKE) --no-print-directory all kmod $(UNIT_BINS) $(LAB_HELPERS)
	$(Q)rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	$(Q)tests/run-unit.sh $(RESULTS) $(UNIT_BINS) || true
	$(Q)tests/host-smoke.sh $(RESULTS) $(BUILD)/klptop || true
	$(Q)tests/replay-tty.sh $(RESULTS) $(BUILD)/klptop || true
	$(Q)tests/metrics-check.sh $(RESULTS) $(BUILD)/klptop || true
	$(Q)tests/exporter-check.sh $(RESULTS) $(BUILD)/klptop || true
	$(Q)tests/fuzz.sh $(RESULTS) || true
	$(Q)tests/man-check.sh $(RESULTS) $(BUILD)/klptop || true
	$(Q)tests/cli.sh $(RESULTS) $(BUILD)/klptop || true
	$(Q)tests/install-check.sh $(RESULTS) || true
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/dyn STATIC=0 $(BUILD)/dyn/klptop && \
		tests/valgrind.sh $(RESULTS) $(BUILD)/dyn/klptop || \
		echo "FAIL valgrind/build: the dynamic build failed" >> $(RESULTS)/valgrind-build.txt
	$(Q)$(MAKE) --no-print-directory asan && tests/sanitized.sh $(RESULTS) $(BUILD)/asan || \
		echo "FAIL asan/build: the sanitized build failed" >> $(RESULTS)/asan-build.txt
	$(Q)tests/vm/lab.sh --results $(RESULTS) $(foreach k,$(LAB_KERNELS),--kernel $(k)) $(SCENARIOS) || true
	$(Q)tests/summary.sh $(RESULTS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all kmod
	$(Q)tests/vm/lab.sh --demo --kernel $(BTF_KERNEL) demo

bench: all kmod
	$(Q)bench/run.sh

# --- install ---------------------------------------------------------------
PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR := $(PREFIX)/sbin
MANDIR  := $(PREFIX)/share/man/man8
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
SYSTEMDDIR  := $(PREFIX)/lib/systemd/system
DOCDIR  := $(PREFIX)/share/doc/klptop
MAGICDIR := $(PREFIX)/share/misc
DOCS    := $(filter-out docs/klptop.8,$(wildcard docs/*.md)) docs/klptop-alerts.yml
# Where the alerts' runbook_url annotations point: the installed docs, or
# your own copy of docs/ (RUNBOOK_BASE=https://wiki.example.org/klptop).
RUNBOOK_BASE ?= file://$(DOCDIR)
INSTALLED := $(SBINDIR)/klptop $(MANDIR)/klptop.8 $(BASHCOMPDIR)/klptop \
	$(SYSTEMDDIR)/klptop-exporter.service $(addprefix $(DOCDIR)/,$(notdir $(DOCS))) \
	$(MAGICDIR)/klptop.magic

# The exporter unit names the binary where this install puts it, the alert
# rules the docs.
install: $(BUILD)/klptop
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(MAGICDIR)
	$(Q)install -m 0755 $(BUILD)/klptop $(DESTDIR)$(SBINDIR)/klptop
	$(Q)install -m 0644 docs/klptop.8 $(DESTDIR)$(MANDIR)/klptop.8
	$(Q)install -m 0644 docs/klptop.bash-completion $(DESTDIR)$(BASHCOMPDIR)/klptop
	$(Q)sed -e 's|/usr/local/sbin/klptop|$(SBINDIR)/klptop|g' \
		-e 's|/usr/local/share/doc/klptop|$(DOCDIR)|g' docs/klptop-exporter.service \
		> $(DESTDIR)$(SYSTEMDDIR)/klptop-exporter.service
	$(Q)chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/klptop-exporter.service
	$(Q)install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)sed -e 's|file:///usr/local/share/doc/klptop|$(RUNBOOK_BASE)|g' docs/klptop-alerts.yml \
		> $(DESTDIR)$(DOCDIR)/klptop-alerts.yml
	$(Q)install -m 0644 docs/klptop.magic $(DESTDIR)$(MAGICDIR)/klptop.magic

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(BPF_OBJS:.o=.d)
