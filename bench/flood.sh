#!/usr/bin/env bash
# Bad input under load (loopback only, bounded): what refused token requests cost the server,
# and whether accepted traffic keeps its rate while they flood it.
#
# Usage: bench/flood.sh BUILD_DIR
#
# For each of BENCH_REPEAT rounds it starts `tessera serve --threads 1` pinned to core 0 on a
# fresh SQLite data dir (bench/lib.sh), and drives it with bench/token_load pinned to core 1:
#   1. accepted jwt-bearer requests, closed loop: the peak, and the server's CPU time per token
#      (cpu_ok_us);
#   2. accepted requests alone in open loop at BENCH_OPEN_FRACTION (default 0.5) of that peak:
#      the baseline rate and p99;
#   3. for each flood (bad-signature, replay, unknown-client; see bench/token_load.cc):
#      a. the flood alone, closed loop on 8 connections: the server's CPU time per refused
#         request (cpu_us, and cost = cpu_us / cpu_ok_us) and the jti commits it caused
#         (commits: tessera_jti_flushes_total over the phase; a refused request that reaches
#         the store's write transaction shows there);
#      b. the accepted open-loop traffic of step 2 again, with the flood closed loop on 8 more
#         connections (as fast as the server answers it: it takes whatever the accepted traffic
#         leaves): kept = accepted rate with the flood / the baseline rate, and the p99.
# Both sides of each ratio come from the same round, server and pinning, so other work on a
# shared machine touches them alike; the median of the rounds is printed last.
# Environment: BENCH_SECONDS (per phase, default 5), BENCH_REPEAT (default 3), BENCH_ALGS
# (access-token algorithms, default RS256), BENCH_OPEN_FRACTION.
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
tessera="$build_dir/tessera"
load="$build_dir/bench/token_load"
seconds=${BENCH_SECONDS:-5}
repeat=${BENCH_REPEAT:-3}
open_fraction=${BENCH_OPEN_FRACTION:-0.5}
floods="bad-signature replay unknown-client"
for bin in "$tessera" "$load"; do
  [ -x "$bin" ] || { echo "flood: $bin not built (ninja -C $build_dir tessera token_load)" >&2; exit 2; }
done
for tool in curl python3 openssl taskset; do
  command -v "$tool" >/dev/null || { echo "flood: $tool is required" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-flood.XXXXXX")
bench_name=flood
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # start_server, setup_domain, run_load, field
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

per_token_us() { python3 -c "print(round(($2 - $1) * 1e6 / $ticks_per_s / max(1, $3)))"; }

printf '\nFlood: 1 server thread on core %s, load and flood on core %s, %ss per phase, %s rounds\n\n' \
  "$server_cpu" "$load_cpu" "$seconds" "$repeat"
printf '%-6s %5s %-15s %9s %9s %7s %6s %7s %10s %6s %9s %9s\n' alg round flood refused_rps \
  cpu_us cost commits base_rps rate_w_flood kept p99_base p99_flood
results="$tmp/results"
: > "$results"
for alg in ${BENCH_ALGS:-RS256}; do
  for round in $(seq 1 "$repeat"); do
    start_server "$alg"
    setup_domain
    cpu0=$(cpu_ticks)
    peak=$(run_load 30000 0 8 || true)
    cpu1=$(cpu_ticks)
    cpu_ok=$(per_token_us "$cpu0" "$cpu1" "$(field "$peak" ok)")
    open_rps=$(python3 -c "print(int($(field "$peak" rps) * $open_fraction))")
    baseline=$(run_load $(( open_rps * seconds + 1000 )) "$open_rps" 8 || true)
    for kind in $floods; do
      flushes0=$(counter tessera_jti_flushes_total)
      cpu0=$(cpu_ticks)
      alone=$(run_load 1 0 0 --flood "$kind" --flood-connections 8 || true)
      cpu1=$(cpu_ticks)
      flushes1=$(counter tessera_jti_flushes_total)
      # The replay flood's one accepted request, before the run, made one commit.
      commits=$(python3 -c "print(int($flushes1 - $flushes0 - (1 if '$kind' == 'replay' else 0)))")
      cpu_refused=$(per_token_us "$cpu0" "$cpu1" "$(field "$alone" flood_requests)")
      with=$(run_load $(( open_rps * seconds + 1000 )) "$open_rps" 8 --flood "$kind" --flood-connections 8 || true)
      if [ "$(field "$alone" flood_ok)" != 0 ] || [ "$(field "$with" flood_ok)" != 0 ]; then
        echo "flood: a $kind request was answered 200" >&2
        exit 1
      fi
      cost=$(python3 -c "print(f'{$cpu_refused / max(1, $cpu_ok):.2f}')")
      kept=$(python3 -c "print(f'{$(field "$with" rps) / max(1, $(field "$baseline" rps)):.3f}')")
      printf '%-6s %5s %-15s %9s %9s %7s %6s %7s %10s %6s %8sms %8sms\n' "$alg" "$round" "$kind" \
        "$(field "$alone" flood_rps)" "$cpu_refused" "$cost" "$commits" "$(field "$baseline" rps)" \
        "$(field "$with" rps)" "$kept" "$(field "$baseline" p99_ms)" "$(field "$with" p99_ms)"
      echo "$alg/$kind $cost $kept $commits $(field "$baseline" p99_ms) $(field "$with" p99_ms) $cpu_refused $cpu_ok" >> "$results"
    done
    stop_server
  done
done
printf '\nMedian of %s rounds:\n' "$repeat"
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *values = line.split()
    rows.setdefault(name, []).append([float(v) for v in values])
for name, runs in rows.items():
    m = [statistics.median(col) for col in zip(*runs)]
    print(f"{name:22} cost {m[0]:.2f} of an accepted token ({m[5]:.0f} us / {m[6]:.0f} us), "
          f"kept {m[1]:.3f} (target >= 0.80), jti commits {m[2]:.0f}, p99 {m[3]:.2f} -> {m[4]:.2f} ms")
PY
cat <<'NOTE'

cost: the server's CPU time per refused request / per accepted token (target <= 1).
kept: accepted req/s with the flood / without it, at the same offered open-loop rate.
commits: jti store transactions during the flood alone (target 0: no refused request writes).
NOTE
