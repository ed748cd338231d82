#!/usr/bin/env bash
# Token-endpoint benchmark (loopback only, bounded): the jwt-bearer grant end to end, with the
# jti written on every request, against the machine's floor measured in the same run.
#
# Usage: bench/token_endpoint.sh BUILD_DIR
#
# For each access-token algorithm (RS256, then ES256) and each of BENCH_REPEAT rounds, it starts
# `tessera serve --threads 1` pinned to core 0 on a fresh SQLite data dir, registers a user, a
# resource app, a certificate and a client, and drives the server with bench/token_load pinned
# to core 1:
#   1. GET /health, closed loop: the server's own HTTP round trip (health_us: the server's CPU
#      time per answer, or 1 / the rate if less);
#   2. POST /oauth2/v1/token, closed loop (as fast as answered), for the peak req/s;
#   3. the token endpoint in open loop at BENCH_OPEN_FRACTION (default 0.5) of that peak (or at
#      BENCH_OPEN_RATE req/s if set: two builds then compare at the same load), for
#      p50/p99 (latency from the scheduled send time);
#   4. GET /health in open loop at that same rate: the bare exchange when the server sleeps
#      between requests, as it does in step 3.
# Each round also runs `openssl speed` pinned like the server, for the algorithms involved: the
# assertions are RS256 (one RSA-2048 verify), the tokens RS256 (one RSA-2048 sign) or ES256 (one
# P-256 sign). The floor is 1 / (crypto + health_us): what one core can do if everything but
# the cryptography and the bare HTTP exchange cost nothing; vs_floor is peak / floor. Every
# figure compared is measured in the same round, with the same pinning, so the load other work
# puts on a shared machine touches both sides alike; the median of the rounds is printed last.
# cpu_us: the server's CPU time (user + system, every thread) per token in the peak phase;
# cpu_floor: the floor's share of it (see the note printed at the end).
# batch: tokens per jti commit there. Under each round's row: the server's context switches
# per answer in each phase, and its CPU time per answer in steps 3 and 4.
# Environment: BENCH_SECONDS (per load phase, default 8), BENCH_REPEAT (rounds, default 3),
# BENCH_ALGS (default "RS256 ES256"), BENCH_OPEN_FRACTION, BENCH_OPEN_RATE,
# TESSERA_BENCH_DATABASE (a postgresql:// URL to run against instead of SQLite; the tables must
# be empty).
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
tessera="$build_dir/tessera"
load="$build_dir/bench/token_load"
seconds=${BENCH_SECONDS:-8}
repeat=${BENCH_REPEAT:-3}
open_fraction=${BENCH_OPEN_FRACTION:-0.5}
open_rate=${BENCH_OPEN_RATE:-}
case "$open_rate" in ''|[1-9]|[1-9][0-9]*) ;; *) echo "token_endpoint: BENCH_OPEN_RATE must be a positive whole number" >&2; exit 2 ;; esac
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

printf '\nToken endpoint, jwt-bearer grant (RS256 assertions), 1 server thread on core %s, load on core %s,\n' \
  "$server_cpu" "$load_cpu"
open_at="$open_fraction of the peak"
[ -n "$open_rate" ] && open_at="$open_rate req/s"
printf '%ss per phase, %s rounds; open loop at %s\n\n' "$seconds" "$repeat" "$open_at"
printf '%-6s %5s %8s %9s %9s %9s %8s %9s %7s %9s %6s %9s %9s %9s %7s\n' alg round crypto_us health_us \
  floor_rps peak_rps vs_floor vs_crypto cpu_us cpu_floor batch open_rps p50_open p99_open errors
results="$tmp/results"
: > "$results"
for alg in ${BENCH_ALGS:-RS256 ES256}; do
  for round in $(seq 1 "$repeat"); do
    # The crypto of one token, now, on the server's core: the assertion's RSA verify and the
    # token's signature.
    crypto_us=$(taskset -c "$server_cpu" openssl speed -seconds 2 rsa2048 ecdsap256 2>/dev/null | awk -v alg="$alg" '
      /^rsa 2048 bits/ { rsa_sign = $6; rsa_verify = $7 }
      /ecdsa \(nistp256\)/ { ec_sign = $(NF - 1) }
      END { sign = alg == "ES256" ? ec_sign : rsa_sign; printf "%.1f", 1e6 / rsa_verify + 1e6 / sign }')
    start_server "$alg"
    setup_domain
    cpu0=$(cpu_ticks); sw0=$(switches)
    health=$(run_load $(( 60000 * seconds )) 0 8 --grant health || true)
    cpu1=$(cpu_ticks); sw1=$(switches)
    sw_health=$(python3 -c "print(f'{($sw1 - $sw0) / max(1, $(field "$health" ok)):.2f}')")
    # The server's own CPU time per /health exchange, or the wall time per answer if that is
    # less: with the load generator on one core, the rate alone may be the generator's limit.
    health_us=$(python3 -c "print(f'{min(1e6 / max(1, $(field "$health" rps)), ($cpu1 - $cpu0) * 1e6 / $ticks_per_s / max(1, $(field "$health" ok))):.1f}')")
    health_cpu_us=$(python3 -c "print(f'{($cpu1 - $cpu0) * 1e6 / $ticks_per_s / max(1, $(field "$health" ok)):.1f}')")
    floor=$(python3 -c "print(round(1e6 / ($crypto_us + $health_us)))")
    want=$(python3 -c "print(round($floor * $seconds * 1.5) + 1000)")
    cpu0=$(cpu_ticks); sw0=$(switches)
    peak=$(run_load "$want" 0 8 || true)
    cpu1=$(cpu_ticks); sw1=$(switches)
    sw_token=$(python3 -c "print(f'{($sw1 - $sw0) / max(1, $(field "$peak" ok)):.2f}')")
    peak_rps=$(field "$peak" rps)
    cpu_us=$(python3 -c "print(round(($cpu1 - $cpu0) * 1e6 / $ticks_per_s / max(1, $(field "$peak" ok))))")
    batch=$(python3 -c "print(f'{$(counter tessera_jti_flushed_requests_total) / max(1, $(counter tessera_jti_flushes_total)):.1f}')")
    open_rps=${open_rate:-$(python3 -c "print(int(${peak_rps%.*} * $open_fraction))")}
    cpu0=$(cpu_ticks); sw0=$(switches)
    open=$(run_load $(( open_rps * seconds + 1000 )) "$open_rps" 16 || true)
    cpu1=$(cpu_ticks); sw1=$(switches)
    cpu_open_us=$(python3 -c "print(round(($cpu1 - $cpu0) * 1e6 / $ticks_per_s / max(1, $(field "$open" ok))))")
    sw_open=$(python3 -c "print(f'{($sw1 - $sw0) / max(1, $(field "$open" ok)):.2f}')")
    # The bare exchange at the same open rate: what the server's sleeping and waking between
    # requests costs when nothing else does (the closed-loop /health above never sleeps).
    cpu0=$(cpu_ticks); sw0=$(switches)
    health_open=$(run_load $(( open_rps * seconds + 1000 )) "$open_rps" 16 --grant health || true)
    cpu1=$(cpu_ticks); sw1=$(switches)
    health_open_us=$(python3 -c "print(round(($cpu1 - $cpu0) * 1e6 / $ticks_per_s / max(1, $(field "$health_open" ok))))")
    sw_health_open=$(python3 -c "print(f'{($sw1 - $sw0) / max(1, $(field "$health_open" ok)):.2f}')")
    errors=$(( $(field "$peak" errors) + $(field "$open" errors) ))
    vs_floor=$(python3 -c "print(f'{$peak_rps / $floor:.3f}')")
    vs_crypto=$(python3 -c "print(f'{$peak_rps * $crypto_us / 1e6:.3f}')")
    cpu_floor=$(python3 -c "print(f'{($crypto_us + $health_cpu_us) / max(1, $cpu_us):.3f}')")
    printf '%-6s %5s %8s %9s %9s %9s %8s %9s %7s %9s %6s %9s %8sms %8sms %7s\n' "$alg" "$round" "$crypto_us" \
      "$health_us" "$floor" "$peak_rps" "$vs_floor" "$vs_crypto" "$cpu_us" "$cpu_floor" "$batch" "$open_rps" \
      "$(field "$open" p50_ms)" "$(field "$open" p99_ms)" "$errors"
    printf '       switches per answer: /health %s, token %s (closed loop); at %s req/s open: token %s (%s us CPU), /health %s (%s us CPU)\n' \
      "$sw_health" "$sw_token" "$open_rps" "$sw_open" "$cpu_open_us" "$sw_health_open" "$health_open_us"
    [ "$(field "$peak" exhausted)" = 1 ] && echo "  (peak run used every pre-signed assertion; raise the count)"
    echo "$alg $vs_floor $vs_crypto $(field "$open" p99_ms) $cpu_us $peak_rps $floor $cpu_floor $sw_token $cpu_open_us $health_open_us $sw_open $sw_health_open" >> "$results"
    stop_server
  done
done
printf '\nMedian of %s rounds:\n' "$repeat"
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    alg, *values = line.split()
    rows.setdefault(alg, []).append([float(v) for v in values])
targets = {"RS256": 0.90, "ES256": 0.70}
for alg, runs in rows.items():
    med = [statistics.median(col) for col in zip(*runs)]
    print(f"{alg:6} vs_floor {med[0]:.3f} (target >= {targets.get(alg, 0):.2f}), vs_crypto {med[1]:.3f}, "
          f"p99 at the open rate {med[2]:.2f} ms (target < 5 ms), cpu_us {med[3]:.0f}, "
          f"peak {med[4]:.0f} req/s against a floor of {med[5]:.0f}; cpu_floor {med[6]:.3f}")
    print(f"{'':6} switches per token {med[7]:.2f} at the peak; at the open rate {med[10]:.2f} per token "
          f"({med[8]:.0f} us CPU) and {med[11]:.2f} per /health ({med[9]:.0f} us CPU)")
PY
cat <<'NOTE'

vs_floor: peak req/s / floor, floor = 1 / (crypto_us + health_us), both measured in the round.
vs_crypto: peak req/s / (1 / crypto_us). The machine may be shared: compare ratios, not rates.
cpu_floor: (crypto_us + the server's CPU time per /health) / its CPU time per token: the same
ratio in CPU time, which holds when other work takes the server's core from it part of the time
(openssl speed counts CPU time too); on an idle machine it and vs_floor agree.
switches per answer: context switches of the server's threads (voluntary and not) per answer.
Each is a thread going to sleep and another (or the same, later) being woken: at the open rate
the server sleeps between requests, and the /health run at that rate shows what that alone
costs per answer; the token path adds the hand-offs to the jti and audit writer threads.
NOTE
