#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# transition-bench.sh [-k REL] [-n N]... : the transition benchmarks in the lab
# (docs/perf.md, "Transitions"). Builds klptop, the lab modules and the
# static helpers bench/threads.c and bench/klpt-bench.c (into build/bench/,
# which mkinitramfs.sh copies to the guest's /bin), boots the scenario
# tests/vm/scenarios/bench-transitions.sh once per N (default 10000 threads)
# and prints the figures:
#   1. one snapshot of every task's patch_state: BPF task iterator vs procfs,
#      per task, and their ratio;
#   2. klp_try_complete_transition with N pending tasks, timed by a tracefs
#      kprobe/kretprobe pair, without and with klptop's probes (and klptop's
#      own round_ns), and the overhead;
#   3. klptop --batch -d 1's CPU time over 30 s (utime+stime).
# -k REL: lab kernel (default: the first 6.1 one scripts/kernels.sh lists).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD:-$root/build}
rel=
ns=()
while getopts k:n: o; do
	case $o in
	k) rel=$OPTARG ;;
	n) ns+=("$OPTARG") ;;
	*) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[ ${#ns[@]} -gt 0 ] || ns=(10000)
[ -n "$rel" ] || rel=$(scripts/kernels.sh | grep -m1 '^6\.1\.' || scripts/kernels.sh | head -n 1)
[ -n "$rel" ] || { echo "transition-bench: no lab kernel (make deps)" >&2; exit 1; }

make -s all
make -s kmod LAB_KERNELS="$rel"
mkdir -p "$build/bench"
gcc -static -O2 -pthread -Wall -Wextra -Werror -o "$build/bench/threads" bench/threads.c
# klptop's objects as an archive: only what klpt-bench uses is linked
# (transition.o is left out: klpt-bench includes transition.c).
rm -f "$build/bench/libklptop.a"
objs=()
for o in "$build"/obj/*/*.o; do
	case $o in */cmd/main.o | */live/transition.o) ;; *) objs+=("$o") ;; esac
done
ar rcs "$build/bench/libklptop.a" "${objs[@]}"
gcc -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-format-truncation -D_GNU_SOURCE \
	-Iinclude -I"$build" -Isrc -DKLPTOP_VERSION='"bench"' bench/klpt-bench.c \
	"$build/bench/libklptop.a" -o "$build/bench/klpt-bench" \
	-lbpf -lelf -lz -lzstd -ljson-c -lncursesw -ltinfo -lm
rm -f "$build/bench/libklptop.a"

# Boot from a private copy (BUILD=$lab below): the shared build/lab
# initramfs is left alone, and later rebuilds in the tree do not change a
# running benchmark.
results=$(mktemp -d "${TMPDIR:-/tmp}/klpt-bench.XXXXXX")
lab=$results/build
mkdir -p "$lab/kmod" "$lab/bench"
cp "$build/klptop" "$lab/"
cp -r "$build/kmod/$rel" "$lab/kmod/"
cp "$build/bench/threads" "$build/bench/klpt-bench" "$lab/bench/"
tmp_scen=()
trap 'rm -f "${tmp_scen[@]}"' EXIT

report() { # report LOG
	tr -d '\r' <"$1" | sed -n 's/^KLPTB //p' | awk '
	function sort(arr, n,   i, j, t) { # sorts arr[1..n]
		for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
	}
	function median(arr, n) { sort(arr, n); return n ? (n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2) : 0 }
	function add(k, v) { c[k]++; r[k, c[k]] = v }
	function stats(k, label,   j, a, m) {
		for (j = 1; j <= c[k]; j++) a[j] = r[k, j]
		m = median(a, c[k]); med[k] = m; lo[k] = a[1]; q1[k] = a[int((c[k] + 3) / 4)]
		printf "2. round (tracefs) %-22s %2d rounds: min %.0f, 25%% %.0f, median %.0f ms\n", label, c[k], a[1] / 1000, q1[k] / 1000, m / 1000
	}
	$1 == "n" { n = $2 }
	$1 == "threads_created_s" { created = $2 }
	$1 == "tasks_total" { total = $2 }
	$1 == "dsleepers" { dsl = $2; dsl_s = $4 }
	($1 == "idle" || $1 == "pending") && $2 == "snap" { snap[$1, $3] = $11; smin[$1, $3] = $9 / $5; tasks[$1, $3] = $5 }
	$1 == "round" && $2 == "alt" { na++; as[na] = $4; ad[na] = $3 }
	$1 == "round" && $2 != "alt" { add($2, $3) }
	$1 == "bench" && $2 == "mode" { nm++; mt[nm] = $4 / 1e9; mo[nm] = $3 }
	$1 == "bench" && $2 == "round" { bc++; b[bc] = $15 / 1000; bts[bc] = $5 / 1e9 }
	$1 == "bench" && $2 == "detached" { dropped = $6 " events, " $8 " blockers dropped"; tend = $4 / 1e9 }
	$1 == "fill" { fill = $0 }
	$1 == "cpu" { cpu[$2] = $4 / 100; wall[$2] = $6 }
	$1 == "klptop_first_frame_s" { ff = $2 }
	$1 == "release_s" { rel_s = $2 }
	END {
		printf "threads: %d (created in %d s), %d tasks in all; %d D sleepers (%d s)\n", n, created, total, dsl, dsl_s
		for (w = 0; w < 2; w++) {
			m = w ? "pending" : "idle"
			if (!((m, "bpf_iter") in snap)) continue
			printf "1. snapshot (%s, %d tasks), median [best] us/task: BPF iterator %.2f [%.2f]; procfs loop %.1f [%.1f] = %.1fx [%.1fx]; procscan (--no-bpf) %.1f [%.1f] = %.1fx [%.1fx]\n",
				m, tasks[m, "bpf_iter"], snap[m, "bpf_iter"], smin[m, "bpf_iter"],
				snap[m, "procfs"], smin[m, "procfs"], snap[m, "procfs"] / snap[m, "bpf_iter"], smin[m, "procfs"] / smin[m, "bpf_iter"],
				snap[m, "procscan"], smin[m, "procscan"], snap[m, "procscan"] / snap[m, "bpf_iter"], smin[m, "procscan"] / smin[m, "bpf_iter"]
		}
		# alternating windows: a round counts if it starts inside a window
		# (after its switch) and ends before the next switch
		for (i = 1; i <= na; i++) {
			for (j = nm; j >= 1 && mt[j] > as[i]; j--) ;
			if (j < 1) continue
			wend = j < nm ? mt[j + 1] : tend
			if (as[i] + ad[i] / 1e6 > wend) continue
			add(mo[j], ad[i])
		}
		stats("off", "probes detached (alt)")
		stats("on", "probes attached (alt)")
		stats("klptop", "klptop --batch -d 1")
		stats("off2", "no probes, after")
		if (med["off"] > 0)
			printf "2. overhead of the probes: median %+.1f%%, min %+.1f%%, 25%% %+.1f%%; klptop --batch vs off2: median %+.1f%%\n",
				(med["on"] / med["off"] - 1) * 100, (lo["on"] / lo["off"] - 1) * 100, (q1["on"] / q1["off"] - 1) * 100,
				med["off2"] > 0 ? (med["klptop"] / med["off2"] - 1) * 100 : 0
		if (bc) { for (i = 1; i <= bc; i++) bb[i] = b[i]; sort(bb, bc)
			printf "2. klptop round_ns (KLPT_EV_ROUND, probes included): min %.0f, median %.0f ms over %d rounds; %s\n", bb[1] / 1000, median(bb, bc) / 1000, bc, dropped }
		for (k in cpu) printf "3. klptop --batch -d 1 CPU (%s): %.2f s in %d s = %.1f%% of a core\n", k, cpu[k], wall[k], cpu[k] / wall[k] * 100
		if (fill != "") printf "3. one --batch frame: %s\n", fill
		if (ff != "") printf "   klptop first frame after %d s; release of the sleepers %d s\n", ff, rel_s
	}'
}

rc=0
for n in "${ns[@]}"; do
	s=bench-transitions
	if [ "$n" != 10000 ]; then
		s=bench-transitions-$n
		cp tests/vm/scenarios/bench-transitions.sh "tests/vm/scenarios/$s.sh"
		tmp_scen+=("tests/vm/scenarios/$s.sh")
	fi
	echo "== $rel, N=$n: BUILD=$lab tests/vm/lab.sh --results $results --kernel $rel $s"
	BUILD=$lab tests/vm/lab.sh --results "$results" --kernel "$rel" "$s" || rc=1
	cp "$lab/lab/$rel/$s.log" "$results/"
	echo "log: $results/$s.log"
	report "$results/$s.log"
done
exit $rc
