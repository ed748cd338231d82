#!/usr/bin/env bash
# Federation benchmark (loopback only, bounded): what an outside token costs at the token
# endpoint against the jwt-bearer grant with an uploaded certificate, in the same run.
#
# Usage: bench/federation.sh BUILD_DIR
#
# One `tessera serve --threads 1` (RS256 tokens) pinned to core 0 on a fresh SQLite data dir, the
# domain of bench/lib.sh, and a federation trust whose keys come from a JWK Set served on
# 127.0.0.1 (the same RSA-2048 key as the client certificate, so every grant does the same
# crypto: one RSA verify of what it is given, one RSA sign of the token). bench/token_load on
# core 1 drives, closed loop, each grant in turn, every request with a fresh jti recorded in the
# store:
#   cert       jwt-bearer, the assertion verified by the client's uploaded certificate;
#   outside    jwt-bearer, the assertion an outside issuer's token (contract section 10);
#   exchange   RFC 8693 token exchange of the same kind of outside token.
# The trust's keys are fetched once, before the runs (cached keys: the issue's case).
# cpu_us: the server's CPU time (user + system) per token in that phase, the figure least
# sensitive to other work on a shared machine; vs_cert: cpu_us / cpu_us of the cert phase (the
# target: exchange <= 1.00 within noise), rps_vs_cert: req/s over the cert phase's.
# The phases take turns in BENCH_ROUNDS rounds (default 3) of BENCH_SECONDS / BENCH_ROUNDS each,
# and each phase's figures add up its rounds. p99: the worst round's.
# Environment: BENCH_SECONDS (per phase, default 6), BENCH_ROUNDS (default 3).
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
tessera="$build_dir/tessera"
load="$build_dir/bench/token_load"
seconds=${BENCH_SECONDS:-6}
for bin in "$tessera" "$load"; do
  [ -x "$bin" ] || { echo "federation: $bin not built (ninja -C $build_dir tessera token_load)" >&2; exit 2; }
done
for tool in curl python3 openssl taskset; do
  command -v "$tool" >/dev/null || { echo "federation: $tool is required" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-fedbench.XXXXXX")
bench_name=federation
jwks_pid=""
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # start_server, setup_domain, field
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$jwks_pid" ]; then kill "$jwks_pid" 2>/dev/null || true; wait "$jwks_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

start_server RS256
setup_domain

# The outside issuer: its JWK Set on loopback (python's http.server on a port it picks).
issuer="https://ci.bench.example"
audience="https://tessera.bench.example"
mkdir -p "$tmp/jwks"
"$tessera" keys jwk --kid outside-1 "$tmp/keys/bench.cert.pem" > "$tmp/jwks/jwks.json"
python3 - "$tmp/jwks" > "$tmp/jwks.port" 2> "$tmp/jwks.err" <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
handler.log_message = lambda *a: None
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
jwks_pid=$!
for _ in $(seq 1 200); do [ -s "$tmp/jwks.port" ] && break; sleep 0.02; done
jwks_port=$(head -1 "$tmp/jwks.port")
[ -n "$jwks_port" ] || { echo "federation: the JWK Set server did not start" >&2; cat "$tmp/jwks.err" >&2; exit 1; }

admin_token=$(curl -sf -u "$TESSERA_ADMIN_CLIENT_ID:$TESSERA_ADMIN_CLIENT_SECRET" "$base/oauth2/v1/token" \
  -d grant_type=client_credentials -d scope=urn:opc:idm:__myscopes__ | json '["access_token"]')
h=(-H "Authorization: Bearer $admin_token" -H "Content-Type: application/json")
app_id=$(curl -sf "${h[@]}" "$base/admin/v1/Apps?filter=name%20eq%20%22$client_id%22" | json '["Resources"][0]["id"]')
curl -sf -X PATCH "${h[@]}" "$base/admin/v1/Apps/$app_id" -d '{"Operations":[{"op":"replace","path":"allowedGrants","value":["urn:ietf:params:oauth:grant-type:jwt-bearer","urn:ietf:params:oauth:grant-type:token-exchange"]}]}' >/dev/null
curl -sf "${h[@]}" "$base/admin/v1/IdentityPropagationTrusts" -d "{\"name\":\"bench\",\"type\":\"JWT\",\"issuer\":\"$issuer\",\"active\":true,\"publicKeyEndpoint\":\"http://127.0.0.1:$jwks_port/jwks.json\",\"audiences\":[\"$audience\"],\"subjectType\":\"User\",\"subjectMappingAttribute\":\"userName\",\"oauthClients\":[\"$client_id\"]}" >/dev/null

# One exchange first: the trust is read and its keys fetched and cached before any phase counts.
warm=$(taskset -c "$load_cpu" "$load" --port "$port" --key "$tmp/keys/bench.key.pem" --kid outside-1 \
  --client-id "$client_id" --client-secret "$client_secret" --sub bench.user --scope "$bench_scope" \
  --issuer "$issuer" --aud "$audience" --grant token-exchange --count 20 --rate 0 --connections 1 \
  --duration 2 --sign-threads 1 || true)
[ "$(field "$warm" ok)" -ge 1 ] 2>/dev/null || { echo "federation: the warm-up exchange failed: $warm" >&2; exit 1; }

ticks_per_s=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
rounds=${BENCH_ROUNDS:-3}
round_seconds=$(( seconds / rounds > 0 ? seconds / rounds : 1 ))
want=$(( 4000 * round_seconds ))

printf '\nToken endpoint, outside tokens against an uploaded certificate: 1 server thread on core %s,\n' "$server_cpu"
printf 'load on core %s, %s rounds of %ss per phase in turn, RS256 in and out, closed loop over 8 connections\n\n' \
  "$load_cpu" "$rounds" "$round_seconds"
printf '%-9s %9s %7s %12s %9s %9s %7s\n' grant rps cpu_us rps_vs_cert vs_cert p99 errors
declare -A ok_sum ticks_sum errors_sum p99_max
for phase in cert outside exchange; do ok_sum[$phase]=0 ticks_sum[$phase]=0 errors_sum[$phase]=0 p99_max[$phase]=0; done
# The phases take turns, round after round, so that a change in the machine's other load weighs
# on each alike rather than on whichever phase ran while it lasted.
for _ in $(seq 1 "$rounds"); do
  for phase in cert outside exchange; do
    case $phase in
      cert) args=(--kid bench) ;;
      outside) args=(--kid outside-1 --issuer "$issuer" --aud "$audience") ;;
      exchange) args=(--kid outside-1 --issuer "$issuer" --aud "$audience" --grant token-exchange) ;;
    esac
    cpu0=$(cpu_ticks)
    out=$(taskset -c "$load_cpu" "$load" --port "$port" --key "$tmp/keys/bench.key.pem" \
      --client-id "$client_id" --client-secret "$client_secret" --sub bench.user --scope "$bench_scope" \
      --count "$want" --rate 0 --connections 8 --duration "$round_seconds" --sign-threads "$cores" \
      "${args[@]}" || true)
    cpu1=$(cpu_ticks)
    n=$(field "$out" ok) e=$(field "$out" errors) p99=$(field "$out" p99_ms)
    ok_sum[$phase]=$(( ${ok_sum[$phase]} + ${n:-0} ))
    ticks_sum[$phase]=$(( ${ticks_sum[$phase]} + cpu1 - cpu0 ))
    errors_sum[$phase]=$(( ${errors_sum[$phase]} + ${e:-0} ))
    p99_max[$phase]=$(python3 -c "print(max(${p99_max[$phase]}, ${p99:-0}))")
    [ "$(field "$out" exhausted)" = 1 ] && echo "  ($phase used every pre-signed token; raise the count)"
  done
done
cert_rps=""
cert_cpu=""
for phase in cert outside exchange; do
  ok=${ok_sum[$phase]}
  rps=$(python3 -c "print(round($ok / ($rounds * $round_seconds)))")
  cpu_us=$(python3 -c "print(round(${ticks_sum[$phase]} * 1e6 / $ticks_per_s / max(1, $ok)))")
  [ -z "$cert_rps" ] && { cert_rps=$rps; cert_cpu=$cpu_us; }
  printf '%-9s %9s %7s %12s %9s %9s %7s\n' "$phase" "$rps" "$cpu_us" \
    "$(python3 -c "print(f'{$rps/max(1,$cert_rps):.2f}')")" \
    "$(python3 -c "print(f'{$cpu_us/max(1,$cert_cpu):.2f}')")" "${p99_max[$phase]}ms" "${errors_sum[$phase]}"
done
cat <<'NOTE'

Target (issue: federation): an exchange with cached keys costs no more than a jwt-bearer grant
with an uploaded certificate: vs_cert of exchange <= 1.00 (within the noise of one run).
NOTE
