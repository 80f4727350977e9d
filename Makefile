# klptop: build, lab and tests.
#
#   make            build/klptop (static, runs in the lab and on any x86-64 host)
#   make deps       install every Debian package the build, lab and tests need
#   make kmod       scenario modules for every lab kernel (build/kmod/REL/*.ko)
#   make check      unit tests + lab tests; ends with "N passed, N failed"
#   make demo       boot the lab with a stuck transition and show klptop's view
#   make unit       host unit tests only
#   make lab        lab tests only (LAB_KERNELS="REL ..." and SCENARIOS="a b";
#                   LAB_JOBS=N VMs at once, default: one per CPU)
#   make fuzz       libFuzzer targets: the recording reader, the patch module reader
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

# Lab kernels: discovered once per make run, never hard-coded
# (scripts/kernels.sh prints newest first, on the host and in the sid chroot).
# vmlinux.h comes from the oldest lab kernel, whatever LAB_KERNELS selects:
# types that only a newer kernel has must never compile in by mistake (see
# docs/kernels.md).
# Exported, so that the sub-makes (asan, the dynamic build) reuse them.
ifndef KERNELS_FOUND
KERNELS_FOUND := $(shell scripts/kernels.sh)
export KERNELS_FOUND
endif
LAB_KERNELS   ?= $(KERNELS_FOUND)
BTF_KERNEL    ?= $(lastword $(KERNELS_FOUND))
ifndef BTF_IMAGE
BTF_IMAGE     := $(if $(BTF_KERNEL),$(shell scripts/kernels.sh --image $(BTF_KERNEL)))
export BTF_IMAGE
endif

# Target architecture, in the kernel's spelling (x86, arm64, ...), and the
# Debian multiarch include directory for the BPF compile.
ARCH      ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

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

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -I$(BUILD) $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))

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
SHADOW_OBJS := $(patsubst %,$(BUILD)/obj/live/shadow_%.o,fill hooks users)
LIVE_BPF_OBJS := $(patsubst %,$(BUILD)/obj/live/%.o,$(BPF_NAMES)) $(BUILD)/obj/live/sampler.o \
		 $(BUILD)/obj/live/checkenv.o $(SHADOW_OBJS)
CORE_OBJS := $(filter-out $(BUILD)/obj/cmd/% $(LIVE_BPF_OBJS),$(OBJS))
CORE_LIB  := $(BUILD)/libklptop-core.a
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all deps kmod check unit unit-bins asan lab demo vmlinux clean bench install uninstall
all: $(BUILD)/klptop

deps:
	$(Q)scripts/deps.sh

# --- BPF -------------------------------------------------------------------
$(BUILD)/vmlinux.h:
	$(call msg,VMLINUX,$@ from $(BTF_KERNEL))
	$(Q)test -n "$(BTF_KERNEL)" || { echo "no CONFIG_LIVEPATCH kernel image installed: run 'make deps'" >&2; exit 1; }
	$(Q)mkdir -p $(BUILD)
	$(Q)scripts/extract-vmlinux.sh $(BTF_IMAGE) $(BUILD)/vmlinux.elf
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
$(SHADOW_OBJS): $(BUILD)/shadow.skel.h

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

# The recording reader and the patch module reader under libFuzzer +
# ASan/UBSan (tests/fuzz.sh runs them). The recording's: the one reader,
# the report model and its renderers, the replay's frames, and what they
# stand on (output.c names what a missing attach point loses).
FUZZ_CC := $(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=gnu11 -D_GNU_SOURCE \
	-Iinclude -I$(BUILD) -Isrc
FUZZ_SRCS := tests/fuzz/fuzz_recfile.c $(wildcard src/recording/*.c src/model/*.c) \
	src/render/output.c src/render/blockers.c src/render/report.c src/render/report_text.c \
	src/render/report_json.c src/render/report_chrome.c src/render/transition_cost.c \
	src/lib/util.c src/lib/log.c src/lib/buildinfo.c src/live/attach.c \
	src/live/kallsyms.c
FUZZ_ELF_SRCS := tests/fuzz/fuzz_patchelf.c src/check/patchelf.c src/check/relf.c \
	src/check/modcode.c src/check/x86insn.c src/lib/util.c
.PHONY: fuzz
fuzz: $(BUILD)/fuzz_recfile $(BUILD)/fuzz_patchelf
$(BUILD)/fuzz_recfile: $(FUZZ_SRCS) $(BUILD)/build_info.h $(wildcard src/*/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_SRCS) -o $@ -lbpf -ljson-c -lz
$(BUILD)/fuzz_patchelf: $(FUZZ_ELF_SRCS) $(wildcard src/check/*.h) src/lib/util.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_ELF_SRCS) -o $@ -lelf -lz

# --- kernel modules ----------------------------------------------------------
# Each kernel's modules are built by its own kbuild tree, on the host or in
# the sid chroot (scripts/kbuild.sh), into build/kmod/REL/.
kmod:
	$(Q)for rel in $(LAB_KERNELS); do \
		printf '  %-8s %s\n' KMOD $(BUILD)/kmod/$$rel; \
		scripts/kbuild.sh $$rel kmod $(BUILD)/kmod/$$rel $(if $(filter 1,$(V)),V=1) || exit 1; \
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
LAB_HELPERS := $(BUILD)/bench/thread-churn $(BUILD)/bench/threads $(BUILD)/bench/bpf-hook
$(BUILD)/bench/thread-churn: tests/vm/thread-churn.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -O2 -pthread -Wall -Wextra -Werror $< -o $@
$(BUILD)/bench/threads: bench/threads.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -O2 -pthread -Wall -Wextra -Werror $< -o $@
# bpf-hook: BPF fentry/fexit programs on a function, as a tracing tool puts
# them (the conflict scenarios).
$(BUILD)/lab/bpf-hook.bpf.o: tests/vm/bpf-hook.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/lab/bpf-hook.skel.h: $(BUILD)/lab/bpf-hook.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bpf_hook_bpf > $@
$(BUILD)/bench/bpf-hook: tests/vm/bpf-hook.c $(BUILD)/lab/bpf-hook.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror -I$(BUILD)/lab $< -o $@ $(LDLIBS)

lab: all kmod $(LAB_HELPERS)
	$(Q)mkdir -p $(RESULTS) && rm -f $(RESULTS)/lab-*.txt
	$(Q)tests/vm/lab.sh --results $(RESULTS) $(LAB_ARGS) $(SCENARIOS)

# Kernels are passed only when chosen: with none, lab.sh runs every lab
# kernel and says in the results which one could not run (the sid chroot).
LAB_ARGS = $(if $(filter command line environment,$(origin LAB_KERNELS)),$(foreach k,$(LAB_KERNELS),--kernel $(k))) \
	   $(if $(LAB_JOBS),-j $(LAB_JOBS))

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
	$(Q)tests/demo-pty.sh $(RESULTS) || true
	$(Q)tests/vm/lab.sh --results $(RESULTS) $(LAB_ARGS) $(SCENARIOS) || true
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
