#!/usr/bin/env bash
# Token-endpoint benchmark (loopback only, bounded): the jwt-bearer grant end to end, with the
# jti written on every request.
#
# Usage: bench/token_endpoint.sh BUILD_DIR
#
# For each access-token algorithm (RS256, then ES256) it starts `tessera serve --threads 1`
# pinned to core 0 on a fresh SQLite data dir, registers a user, a resource app, a certificate
# and a client, and drives POST /oauth2/v1/token with bench/token_load pinned to core 1:
#   1. closed loop (as fast as answered) for the peak req/s;
#   2. open loop at 80% of that peak for p50/p99 (latency from the scheduled send time).
# It also prints the start-to-ready time, the idle RSS, and, measured in the same run with
# `openssl speed rsa2048`, the crypto bound 1 / (RSA-2048 sign + verify) and the ratio to it
# (the RS256 path does one RSA verify of the assertion and one RSA sign of the token).
# cpu_us: the server's CPU time (user + system, every thread) per token in the peak phase: less
# sensitive than req/s to other work on a shared machine. batch: tokens per jti commit there.
# Environment: BENCH_SECONDS (per load phase, default 8), TESSERA_BENCH_DATABASE (a
# postgresql:// URL to run against instead of SQLite; the tables must be empty).
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
tessera="$build_dir/tessera"
load="$build_dir/bench/token_load"
seconds=${BENCH_SECONDS:-8}
for bin in "$tessera" "$load"; do
  [ -x "$bin" ] || { echo "token_endpoint: $bin not built (ninja -C $build_dir tessera token_load)" >&2; exit 2; }
done
for tool in curl python3 openssl taskset; do
  command -v "$tool" >/dev/null || { echo "token_endpoint: $tool is required" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-tokbench.XXXXXX")
bench_name=token_endpoint
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # start_server, setup_domain, run_load, field
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The crypto bound, measured now on this machine.
speed=$(taskset -c "$server_cpu" openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6, $7}')
sign_per_s=${speed%% *}
verify_per_s=${speed##* }
bound=$(python3 -c "print(round(1/(1/$sign_per_s + 1/$verify_per_s)))")

printf '\nToken endpoint, jwt-bearer grant, 1 server thread on core %s, load on core %s, %ss per phase\n' \
  "$server_cpu" "$load_cpu" "$seconds"
printf 'openssl speed rsa2048: %s sign/s, %s verify/s -> crypto bound %s req/s\n\n' "$sign_per_s" "$verify_per_s" "$bound"
printf '%-6s %9s %9s %7s %6s %9s %9s %11s %11s %10s %10s %8s\n' alg peak_rps vs_bound cpu_us batch p99_peak rate80 \
  p50_at_80 p99_at_80 ready_ms idle_rss errors
ticks_per_s=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
counter() { curl -sf "$base/metrics" | awk -v name="$1" '$1 == name {print $2}'; }
for alg in ${BENCH_ALGS:-RS256 ES256}; do
  start_server "$alg"
  setup_domain
  if [ "$alg" = RS256 ]; then want=$(( bound * seconds * 3 / 2 + 1000 )); else want=$(( 40000 * seconds )); fi
  cpu0=$(cpu_ticks)
  peak=$(run_load "$want" 0 8 || true)
  cpu1=$(cpu_ticks)
  peak_rps=$(field "$peak" rps)
  cpu_us=$(python3 -c "print(round(($cpu1 - $cpu0) * 1e6 / $ticks_per_s / max(1, $(field "$peak" ok))))")
  batch=$(python3 -c "print(f'{$(counter tessera_jti_flushed_requests_total) / max(1, $(counter tessera_jti_flushes_total)):.1f}')")
  rate80=$(( ${peak_rps%.*} * 8 / 10 ))
  at80=$(run_load $(( rate80 * seconds + 1000 )) "$rate80" 16 || true)
  errors=$(( $(field "$peak" errors) + $(field "$at80" errors) ))
  ratio=$(python3 -c "print(f'{$peak_rps/$bound:.2f}')")
  printf '%-6s %9s %9s %7s %6s %9s %9s %11s %11s %10s %8sMB %8s\n' "$alg" "$peak_rps" "$ratio" "$cpu_us" "$batch" \
    "$(field "$peak" p99_ms)ms" \
    "$rate80" "$(field "$at80" p50_ms)ms" "$(field "$at80" p99_ms)ms" "${ready_ms}/${reported_ms}" \
    "$(( rss_kb / 1024 ))" "$errors"
  [ "$(field "$peak" exhausted)" = 1 ] && echo "  (peak run used every pre-signed assertion; raise the count)"
  stop_server
done
cat <<'NOTE'

vs_bound: peak req/s / crypto bound (target >= 0.90 for RS256). ES256 target: >= 15000 req/s on
one core. p99 targets: < 5 ms at 80% of peak. ready_ms: spawn to /ready 200 (as measured by
this script, including process start) / as the server reports it. Idle RSS target < 30 MB.
NOTE
