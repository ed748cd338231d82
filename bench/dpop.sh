#!/usr/bin/env bash
# DPoP benchmark (loopback only, bounded): what a DPoP proof costs at the token endpoint, in the
# same run as the same grant without one.
#
# Usage: bench/dpop.sh BUILD_DIR
#
# One `tessera serve --threads 1` (ES256 tokens) pinned to core 0 on a fresh SQLite data dir, the
# domain of bench/lib.sh with its client also allowed client_credentials, and bench/token_load on
# core 1, closed loop over 8 connections, for each phase in turn:
#   plain   client_credentials with Basic credentials: no proof, nothing written per token;
#   dpop    the same with an ES256 DPoP proof per request (a fresh jti each): one ECDSA verify
#           of the proof, and its jti recorded in the store (batched like assertion jtis).
# cpu_us: the server's CPU time (user + system) per token in that phase, the figure least
# sensitive to other work on a shared machine; extra_us: dpop's cpu_us minus plain's, set against
# one ECDSA P-256 verify (openssl speed ecdsap256, measured now on the server's core); x_verify:
# extra_us in units of that verify (the proof's own verify is one of them).
# Environment: BENCH_SECONDS (per phase, default 6).
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
tessera="$build_dir/tessera"
load="$build_dir/bench/token_load"
seconds=${BENCH_SECONDS:-6}
for bin in "$tessera" "$load"; do
  [ -x "$bin" ] || { echo "dpop: $bin not built (ninja -C $build_dir tessera token_load)" >&2; exit 2; }
done
for tool in curl python3 openssl taskset; do
  command -v "$tool" >/dev/null || { echo "dpop: $tool is required" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-dpopbench.XXXXXX")
bench_name=dpop
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # start_server, setup_domain, field
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

verify_per_s=$(taskset -c "$server_cpu" openssl speed -seconds 2 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $NF}')
verify_us=$(python3 -c "print(round(1e6 / $verify_per_s, 1))")

start_server ES256
setup_domain
admin_token=$(curl -sf -u "$TESSERA_ADMIN_CLIENT_ID:$TESSERA_ADMIN_CLIENT_SECRET" "$base/oauth2/v1/token" \
  -d grant_type=client_credentials -d scope=urn:opc:idm:__myscopes__ | json '["access_token"]')
h=(-H "Authorization: Bearer $admin_token" -H "Content-Type: application/json")
app_id=$(curl -sf "${h[@]}" "$base/admin/v1/Apps?filter=name%20eq%20%22$client_id%22" | json '["Resources"][0]["id"]')
curl -sf -X PATCH "${h[@]}" "$base/admin/v1/Apps/$app_id" -d '{"Operations":[{"op":"replace","path":"allowedGrants","value":["client_credentials","urn:ietf:params:oauth:grant-type:jwt-bearer"]}]}' >/dev/null
token_url=$(curl -sf "$base/.well-known/openid-configuration" | json '["token_endpoint"]')
"$tessera" keys generate --type ec --alias dpop --out-dir "$tmp/keys" >/dev/null

ticks_per_s=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
want=$(( 12000 * seconds ))

printf '\nToken endpoint, client_credentials with and without a DPoP proof: 1 server thread on core %s,\n' "$server_cpu"
printf 'load on core %s, %ss per phase, ES256 tokens, closed loop over 8 connections\n' "$load_cpu" "$seconds"
printf 'openssl speed ecdsap256: %s verify/s -> one verify = %s us\n\n' "$verify_per_s" "$verify_us"
printf '%-6s %9s %7s %9s %9s %9s %7s\n' phase rps cpu_us extra_us x_verify p99 errors
plain_cpu=""
for phase in plain dpop; do
  args=()
  [ "$phase" = dpop ] && args=(--dpop-key "$tmp/keys/dpop.key.pem" --dpop-url "$token_url")
  cpu0=$(cpu_ticks)
  out=$(taskset -c "$load_cpu" "$load" --port "$port" --key "$tmp/keys/bench.key.pem" --kid bench \
    --client-id "$client_id" --client-secret "$client_secret" --sub bench.user --scope "$bench_scope" \
    --grant client-credentials --count "$want" --rate 0 --connections 8 --duration "$seconds" \
    --sign-threads "$cores" "${args[@]}" || true)
  cpu1=$(cpu_ticks)
  ok=$(field "$out" ok)
  cpu_us=$(python3 -c "print(round(($cpu1 - $cpu0) * 1e6 / $ticks_per_s / max(1, ${ok:-0})))")
  [ -z "$plain_cpu" ] && plain_cpu=$cpu_us
  printf '%-6s %9s %7s %9s %9s %9s %7s\n' "$phase" "$(field "$out" rps)" "$cpu_us" \
    "$(( cpu_us - plain_cpu ))" "$(python3 -c "print(f'{($cpu_us - $plain_cpu) / $verify_us:.2f}')")" \
    "$(field "$out" p99_ms)ms" "$(field "$out" errors)"
  [ "$(field "$out" exhausted)" = 1 ] && echo "  (this phase used every pre-signed request; raise the count)"
done
cat <<'NOTE'

Target (issue: sender-constrained tokens): extra_us of dpop at most one ECDSA verify (the line
above) beyond the proof's own; x_verify <= 2.00. The proof's jti is also written to the store,
batched with the other jtis, before the token is answered (RFC 9449 11.1).
NOTE
