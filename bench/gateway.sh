#!/usr/bin/env bash
# Gateway benchmark (loopback only, bounded): req/s and latency of GET /health on a Tessera
# server called directly, and the same through `tessera gateway` with a valid bearer token
# (full verification against the JWKS, then forwarding), printed side by side with the added
# latency. Load from wrk, 1 thread, 8 connections, BENCH_SECONDS (default 5) per run.
#
# Usage: bench/gateway.sh BUILD_DIR
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
tessera="$build_dir/tessera"
seconds=${BENCH_SECONDS:-5}
[ -x "$tessera" ] || { echo "gateway: $tessera not built" >&2; exit 2; }
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "gateway: $tool is required (apt-get install $tool)" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-gwbench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_banner() {  # $1 = file
  for _ in $(seq 1 500); do
    grep -q "listening on" "$1" 2>/dev/null && break
    sleep 0.02
  done
  sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$1" | head -1
}

"$tessera" serve --listen 127.0.0.1:0 --demo --data-dir "$tmp/data" --log-level warn > "$tmp/serve.out" 2> "$tmp/serve.err" &
pids+=($!)
base=$(wait_banner "$tmp/serve.out")
[ -n "$base" ] || { echo "gateway: the server did not start" >&2; exit 1; }
creds=$(python3 -c "import json; d=json.load(open('$tmp/data/demo/client.json')); print(d['clientId']+':'+d['clientSecret'])")
token=$(curl -sf -u "$creds" "$base/oauth2/v1/token" -d grant_type=client_credentials |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

"$tessera" gateway --listen 127.0.0.1:0 --upstream "$base" --jwks-url "$base/admin/v1/SigningCert/jwk" \
  --issuer "$base" --audience https://demo.example.com:443 > "$tmp/gw.out" 2> "$tmp/gw.err" &
pids+=($!)
gw=$(wait_banner "$tmp/gw.out")
[ -n "$gw" ] || { echo "gateway: the gateway did not start" >&2; cat "$tmp/gw.err" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$gw/health")
[ "$status" = 200 ] || { echo "gateway: a valid token got $status through the gateway" >&2; exit 1; }

measure() {  # $1 = url, rest = wrk args; prints "rps avg_ms p99_ms"
  local url=$1
  shift
  wrk -t1 -c8 -d"${seconds}s" --latency "$@" "$url" | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
avg = re.search(r"Latency\s+([\d.]+)(us|ms|s)", text)
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(rps, ms(*avg.groups()), ms(*p99.groups()), bad.group(1) if bad else 0)'
}
read -r d_rps d_avg d_p99 d_bad < <(measure "$base/health")
read -r g_rps g_avg g_p99 g_bad < <(measure "$gw/health" -H "Authorization: Bearer $token")
printf '\nGET /health: direct vs through tessera gateway (RS256 token verified per request)\n'
printf '%-9s %10s %10s %10s %8s\n' path req/s avg_ms p99_ms non2xx
printf '%-9s %10s %10.3f %10.3f %8s\n' direct "$d_rps" "$d_avg" "$d_p99" "$d_bad"
printf '%-9s %10s %10.3f %10.3f %8s\n' gateway "$g_rps" "$g_avg" "$g_p99" "$g_bad"
python3 -c "print(f'added latency (avg): {$g_avg - $d_avg:.3f} ms; gateway/direct req/s: {$g_rps / $d_rps:.2f}')"
