#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# transition-bench.sh [-k REL] [-n N]... : what klptop costs around a stalled
# transition with N pending tasks, in the lab (docs/perf.md, "Transitions").
# Builds klptop, the lab modules and the static helpers bench/threads.c and
# bench/klpt-bench.c into a private copy of the build (mkinitramfs.sh copies
# its bench/ to the guest's /bin, with bench-params saying N), boots
# tests/vm/scenarios/bench-transitions.sh once per N (default 10000; half
# user threads, half kthreads) and prints, as ratios within one run:
#   1. one walk of every task: klptop's pass and procfs vs a bare BPF pass;
#   2. a round with the per-task checks watched vs not (alternating windows),
#      and the same for the kernel's pr_debug lines (dynamic debug);
#   3. rounds while klptop --batch -d 1 runs vs after it; its CPU time per
#      second vs one bare iterator pass; its first frame; one frame's cost;
#      its memory with N pending vs 10.
# -k REL: lab kernel (default: the first 6.1 one the lab lists).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD:-$root/build}
kernels=$(scripts/kernels.sh)
rel=
ns=()
while getopts k:n: o; do
	case $o in
	k) rel=$OPTARG ;;
	n) ns+=("$OPTARG") ;;
	*) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[ ${#ns[@]} -gt 0 ] || ns=(10000)
[ -n "$rel" ] || rel=$(grep -m1 '^6\.1\.' <<<"$kernels" || head -n 1 <<<"$kernels")
[ -n "$rel" ] || { echo "transition-bench: no lab kernel (make deps)" >&2; exit 1; }

make -s all build/bench/threads
make -s kmod LAB_KERNELS="$rel"
mkdir -p "$build/bench"
# klptop's objects as an archive: only what klpt-bench uses is linked
# (transition.o is left out: klpt-bench includes transition.c).
rm -f "$build/bench/libklptop.a"
objs=()
for o in "$build"/obj/*/*.o; do
	case $o in */cmd/* | */live/transition.o) ;; *) objs+=("$o") ;; esac
done
ar rcs "$build/bench/libklptop.a" "${objs[@]}"
gcc -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-format-truncation -D_GNU_SOURCE \
	-Iinclude -I"$build" -Isrc bench/klpt-bench.c \
	"$build/bench/libklptop.a" -o "$build/bench/klpt-bench" \
	-lbpf -lelf -lz -lzstd -ljson-c -lncursesw -ltinfo -lm
rm -f "$build/bench/libklptop.a"

results=$(mktemp -d "${TMPDIR:-/tmp}/klpt-bench.XXXXXX")

report() { # report LOG
	tr -d '\r' <"$1" | sed -n 's/^KLPTB //p' | awk '
	function sort(arr, n,   i, j, t) { # sorts arr[1..n]
		for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
	}
	function median(arr, n) { sort(arr, n); return n ? (n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2) : 0 }
	function add(k, v) { c[k]++; r[k, c[k]] = v }
	function med_of(k,   j, a) { for (j = 1; j <= c[k]; j++) a[j] = r[k, j]; return median(a, c[k]) }
	# Rounds of a phase classified by the windows a tool printed: a round
	# counts if it starts inside a window and ends before the next switch.
	function windows(ph, tool, on_key, off_key,   i, j, wend) {
		for (i = 1; i <= nr[ph]; i++) {
			for (j = nm[tool]; j >= 1 && mt[tool, j] > rs[ph, i]; j--) ;
			if (j < 1) continue
			wend = j < nm[tool] ? mt[tool, j + 1] : tend[tool]
			if (rs[ph, i] + rd[ph, i] / 1e6 > wend) continue
			add(mo[tool, j] == "on" ? on_key : off_key, rd[ph, i])
		}
	}
	$1 == "n" { n = $2 }
	$1 == "threads_created_s" { created = $2 }
	$1 == "tasks_total" { total = $2 }
	($1 == "idle" || $1 == "pending") && $2 == "snap" { snap[$1, $3] = $11; tasks[$1, $3] = $5 }
	$1 == "round" { nr[$2]++; rd[$2, nr[$2]] = $3; rs[$2, nr[$2]] = $4 }
	($1 == "bench" || $1 == "dyndbg") && $2 == "mode" { nm[$1]++; mt[$1, nm[$1]] = $4 / 1e9; mo[$1, nm[$1]] = $3 }
	($1 == "bench" || $1 == "dyndbg") && $2 == "detached" { tend[$1] = $4 / 1e9 }
	$1 == "fill" { fill = $0 }
	$1 == "cpu" { cpu[$2] = $4 / 100; wall[$2] = $6 }
	$1 == "rss" { rss[$3] = $5 }
	$1 == "klptop_first_frame_ms" { ff = $2 }
	$1 == "frame" { frame = frame "   " $0 "\n" }
	END {
		printf "N=%d pending (half user threads, half kthreads), %d tasks in all\n", n, total
		for (w = 0; w < 2; w++) {
			m = w ? "pending" : "idle"
			if (!((m, "bpf_bare") in snap)) continue
			printf "1. one walk (%s, %d tasks), median us/task: bare BPF pass %.2f; klptop pass %.2f (%.1fx); procfs loop %.1f (%.1fx)\n",
				m, tasks[m, "bpf_bare"], snap[m, "bpf_bare"], snap[m, "bpf_iter"], snap[m, "bpf_iter"] / snap[m, "bpf_bare"],
				snap[m, "procfs"], snap[m, "procfs"] / snap[m, "bpf_bare"]
			if (m == "pending") bare_ms = snap[m, "bpf_bare"] * tasks[m, "bpf_bare"] / 1000
		}
		windows("alt", "bench", "watched", "plain")
		windows("dyn", "dyndbg", "dyndbg_on", "dyndbg_off")
		mw = med_of("watched"); mp = med_of("plain"); dn = med_of("dyndbg_on"); df = med_of("dyndbg_off")
		printf "2. round, median of windows: plain %.1f ms (%d), watched %.1f ms (%d): a watched round %+.0f%%\n", mp / 1000, c["plain"], mw / 1000, c["watched"], mp ? (mw / mp - 1) * 100 : 0
		printf "   dynamic debug (the alternative): off %.1f ms (%d), on %.1f ms (%d): %+.0f%%\n", df / 1000, c["dyndbg_off"], dn / 1000, c["dyndbg_on"], df ? (dn / df - 1) * 100 : 0
		for (i = 1; i <= nr["klptop"]; i++) add("klptop", rd["klptop", i])
		for (i = 1; i <= nr["off2"]; i++) add("off2", rd["off2", i])
		mk = med_of("klptop"); mo2 = med_of("off2")
		printf "3. round while klptop --batch -d 1 runs %.1f ms (%d rounds) vs after it %.1f ms (%d): %.2fx\n", mk / 1000, c["klptop"], mo2 / 1000, c["off2"], mo2 ? mk / mo2 : 0
		if ("transition" in cpu)
			printf "   klptop CPU during the stall: %.2f s in %d s = %.1f%% of a core = %.2fx one bare pass (%.1f ms) per second\n",
				cpu["transition"], wall["transition"], cpu["transition"] / wall["transition"] * 100,
				bare_ms ? cpu["transition"] / wall["transition"] * 1000 / bare_ms : 0, bare_ms
		if ("idle" in cpu)
			printf "   klptop CPU with no transition: %.2f s in %d s = %.1f%% of a core\n", cpu["idle"], wall["idle"], cpu["idle"] / wall["idle"] * 100
		if (ff != "") printf "   first frame %d ms after start\n", ff
		if (fill != "") printf "   one frame: %s\n", fill
		if ((10 in rss) && (n in rss)) printf "   memory (VmHWM): %d KiB with 10 pending, %d KiB with %d: %.2fx\n", rss[10], rss[n], n, rss[n] / rss[10]
		printf "%s", frame
	}'
}

rc=0
for n in "${ns[@]}"; do
	# A private copy of the build: the shared build/lab initramfs is left
	# alone, and later rebuilds in the tree do not change a running run.
	lab=$results/build-$n
	mkdir -p "$lab/kmod" "$lab/bench"
	cp "$build/klptop" "$lab/"
	cp -r "$build/kmod/$rel" "$lab/kmod/"
	cp "$build/bench/threads" "$build/bench/klpt-bench" "$lab/bench/"
	printf '#!/bin/sh\necho N=%d\n' "$n" >"$lab/bench/bench-params"
	chmod +x "$lab/bench/bench-params"
	echo "== $rel, N=$n: BUILD=$lab tests/vm/lab.sh --results $results --kernel $rel bench-transitions"
	BUILD=$lab tests/vm/lab.sh --results "$results" --kernel "$rel" bench-transitions || rc=1
	cp "$lab/lab/$rel/bench-transitions.log" "$results/bench-transitions-$n.log"
	echo "log: $results/bench-transitions-$n.log"
	report "$results/bench-transitions-$n.log"
done
exit $rc
