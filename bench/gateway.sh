#!/usr/bin/env bash
# Gateway benchmark (loopback only, bounded): req/s and latency of GET /health on a Tessera
# server called directly, and the same through `tessera gateway` with a valid bearer token
# (full verification against the JWKS, then forwarding), printed side by side with the added
# latency. Load from wrk, 1 thread, 8 connections, BENCH_SECONDS (default 5) per run.
#
# Then the DPoP phase (RFC 9449 7): the gateway verifying a DPoP-bound token with a fresh ES256
# proof per request (signature, htm/htu, iat window, ath, cnf.jkt, the proof's jti recorded in
# the replay cache) against the same gateway with a plain bearer token, one connection each, so
# that the latency is the work of one request and not the queue of eight. Proofs are made
# before the phase (python3's cryptography package), one per request, each used once. Printed:
# the median latency of each, round by round, and the gateway's CPU time per request of each.
#
# Last the paired phase, the figure for DPoP's added latency (target: under 100 us at the
# median): one client alternates the two kinds of request on one keep-alive connection, in a
# random order within each pair, for BENCH_SECONDS, and times each round trip. Both kinds meet
# the same machine at the same moment, so the difference of their medians is DPoP's own cost,
# not a change in other work between rounds (which moves the round-by-round figure by tens of
# microseconds on a shared 2-core machine). Environment: BENCH_ROUNDS (default 5); GATEWAY_ARGS,
# more options for `tessera gateway` (e.g. "--threads 1", "--max-upstream-requests 8");
# BENCH_GATEWAY_WRAP, a command put before the gateway's, to profile it (e.g. "valgrind
# --tool=callgrind --callgrind-out-file=/tmp/gw.callgrind": the rates then measure the profiler).
#
# Usage: bench/gateway.sh BUILD_DIR
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
tessera="$build_dir/tessera"
seconds=${BENCH_SECONDS:-5}
[ -x "$tessera" ] || { echo "gateway: $tessera not built" >&2; exit 2; }
for tool in wrk curl python3 openssl; do
  command -v "$tool" >/dev/null || { echo "gateway: $tool is required (apt-get install $tool)" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-gwbench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_banner() {  # $1 = file; up to 60 s (a profiler slows the start)
  for _ in $(seq 1 3000); do
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

read -r -a gateway_args <<< "${GATEWAY_ARGS:-}"
read -r -a gateway_wrap <<< "${BENCH_GATEWAY_WRAP:-}"
"${gateway_wrap[@]}" "$tessera" gateway "${gateway_args[@]}" --listen 127.0.0.1:0 --upstream "$base" --jwks-url "$base/admin/v1/SigningCert/jwk" \
  --issuer "$base" --audience https://demo.example.com:443 > "$tmp/gw.out" 2> "$tmp/gw.err" &
pids+=($!)
gw_pid=$!
gw=$(wait_banner "$tmp/gw.out")
[ -n "$gw" ] || { echo "gateway: the gateway did not start" >&2; cat "$tmp/gw.err" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$gw/health")
[ "$status" = 200 ] || { echo "gateway: a valid token got $status through the gateway" >&2; exit 1; }

measure() {  # $1 = url, rest = wrk options [-- script args]; prints "rps avg_ms p99_ms non2xx p50_ms"
  local url=$1 opts=() script_args=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; script_args=("$@"); }
  wrk -t1 -c8 -d"${wrk_seconds:-$seconds}s" --latency "${opts[@]}" "$url" "${script_args[@]}" | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
avg = re.search(r"Latency\s+([\d.]+)(us|ms|s)", text)
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", text)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(rps, ms(*avg.groups()), ms(*p99.groups()), bad.group(1) if bad else 0, ms(*p50.groups()))'
}
read -r d_rps d_avg d_p99 d_bad _ < <(measure "$base/health")
read -r g_rps g_avg g_p99 g_bad _ < <(measure "$gw/health" -H "Authorization: Bearer $token")
printf '\nGET /health: direct vs through tessera gateway (RS256 token verified per request)\n'
printf '%-9s %10s %10s %10s %8s\n' path req/s avg_ms p99_ms non2xx
printf '%-9s %10s %10.3f %10.3f %8s\n' direct "$d_rps" "$d_avg" "$d_p99" "$d_bad"
printf '%-9s %10s %10.3f %10.3f %8s\n' gateway "$g_rps" "$g_avg" "$g_p99" "$g_bad"
python3 -c "print(f'added latency (avg): {$g_avg - $d_avg:.3f} ms; gateway/direct req/s: {$g_rps / $d_rps:.2f}')"

# The DPoP phase. A P-256 key, a token bound to it (a proof at the token endpoint), then one
# proof per request for GET $gw/health with the token's ath.
python3 -c 'import cryptography' 2>/dev/null ||
  { echo "gateway: the DPoP phase needs python3's cryptography (apt-get install python3-cryptography)" >&2; exit 2; }
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$tmp/dpop.key.pem"
proofs() {  # $1 = method, $2 = url, $3 = count, $4 = access token or "" -> one proof a line
  python3 - "$tmp/dpop.key.pem" "$@" <<'PY'
import base64, hashlib, json, sys, time, uuid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
key_file, method, url, count, token = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = serialization.load_pem_private_key(open(key_file, "rb").read(), None)
pub = key.public_key().public_numbers()
jwk = {"kty": "EC", "crv": "P-256", "x": b64(pub.x.to_bytes(32, "big")), "y": b64(pub.y.to_bytes(32, "big"))}
header = b64(json.dumps({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}, separators=(",", ":")).encode())
now = int(time.time())
out = []
for _ in range(count):
    claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": now}
    if token:
        claims["ath"] = b64(hashlib.sha256(token.encode()).digest())
    signing_input = header + "." + b64(json.dumps(claims, separators=(",", ":")).encode())
    r, s = utils.decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    out.append(signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
print("\n".join(out))
PY
}
token_url=$(curl -sf "$base/.well-known/openid-configuration" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_endpoint"])')
dpop_token=$(curl -sf -u "$creds" -H "DPoP: $(proofs POST "$token_url" 1 "")" "$token_url" -d grant_type=client_credentials |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["token_type"] == "DPoP", d; print(d["access_token"])')
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: DPoP $dpop_token" \
  -H "DPoP: $(proofs GET "$gw/health" 1 "$dpop_token")" "$gw/health")
[ "$status" = 200 ] || { echo "gateway: a DPoP-bound token with its proof got $status through the gateway" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $dpop_token" "$gw/health")
[ "$status" = 401 ] || { echo "gateway: a DPoP-bound token sent as Bearer got $status, not 401" >&2; exit 1; }

# wrk sends request i with proof i of the file; past the last one it stops sending proofs (a
# replay would be refused, and counted as non-2xx). With "bearer" for a file, it sends the
# bearer token alone: both sides build each request in the same script, so the client's own
# cost per request is the same on both.
cat > "$tmp/dpop.lua" <<'LUA'
local proofs, i, token, bearer = {}, 0, nil, false
function init(args)
  bearer = args[1] == "bearer"
  if not bearer then
    for line in io.lines(args[1]) do proofs[#proofs + 1] = line end
  end
  token = io.open(args[2]):read("*l")
end
function request()
  i = i + 1
  if bearer then return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. token}) end
  return wrk.format("GET", nil, {["Authorization"] = "DPoP " .. token, ["DPoP"] = proofs[i] or "exhausted"})
end
LUA
echo "$dpop_token" > "$tmp/dpop.token"
echo "$token" > "$tmp/bearer.token"
# The two take turns over BENCH_ROUNDS rounds (default 5) of BENCH_SECONDS / rounds each, so that
# the shared machine's changing load weighs on both alike; the figure is the median over the
# rounds of (dpop p50 - bearer p50). Closed loop over one connection: a request takes more than
# 200 us through the gateway (its verification and the upstream call), so 5000 proofs a second
# are enough; a proof missing would show as non-2xx.
rounds=${BENCH_ROUNDS:-5}
wrk_seconds=$(( seconds / rounds > 0 ? seconds / rounds : 1 ))
for r in $(seq 1 "$rounds"); do
  proofs GET "$gw/health" $(( 5000 * wrk_seconds )) "$dpop_token" > "$tmp/dpop.proofs.$r"
done
printf '\nGET /health through tessera gateway, one connection: bearer token vs DPoP-bound token + ES256 proof\n'
printf '%s rounds of %ss each in turn\n' "$rounds" "$wrk_seconds"
printf '%-5s %-7s %10s %10s %10s %10s %8s\n' round token req/s p50_ms avg_ms p99_ms non2xx
added=()
ticks=(0 0)  # the gateway's CPU time (user + system) over the bearer rounds, the DPoP rounds
served=(0 0)
gw_ticks() { awk '{print $14 + $15}' "/proc/$gw_pid/stat"; }
for r in $(seq 1 "$rounds"); do
  t0=$(gw_ticks)
  read -r b_rps b_avg b_p99 b_bad b_p50 < <(measure "$gw/health" -c1 -s "$tmp/dpop.lua" -- bearer "$tmp/bearer.token")
  t1=$(gw_ticks)
  read -r p_rps p_avg p_p99 p_bad p_p50 < <(measure "$gw/health" -c1 -s "$tmp/dpop.lua" -- "$tmp/dpop.proofs.$r" "$tmp/dpop.token")
  t2=$(gw_ticks)
  ticks=($(( ticks[0] + t1 - t0 )) $(( ticks[1] + t2 - t1 )))
  read -r -a served < <(python3 -c "print(round(${served[0]} + $b_rps * $wrk_seconds), round(${served[1]} + $p_rps * $wrk_seconds))")
  printf '%-5s %-7s %10s %10.3f %10.3f %10.3f %8s\n' "$r" bearer "$b_rps" "$b_p50" "$b_avg" "$b_p99" "$b_bad"
  printf '%-5s %-7s %10s %10.3f %10.3f %10.3f %8s\n' "$r" dpop "$p_rps" "$p_p50" "$p_avg" "$p_p99" "$p_bad"
  added+=("$(python3 -c "print(($p_p50 - $b_p50) * 1000)")")
done
python3 -c "import statistics; a=[${added[*]/%/,}]; print(f'median of the rounds\' p50 differences: {statistics.median(a):.0f} us; rounds: ' + ' '.join(f'{x:.0f}' for x in a))"
# CPU time per request, the figure least sensitive to other work on a shared machine.
python3 -c "
tck = $(getconf CLK_TCK); b = ${ticks[0]} * 1e6 / tck / max(1, ${served[0]}); d = ${ticks[1]} * 1e6 / tck / max(1, ${served[1]})
print(f'gateway CPU per request: bearer {b:.0f} us, dpop {d:.0f} us, added {d - b:.0f} us')"

# The paired phase. Proofs for a client doing at most 4000 pairs a second; past the last one the
# phase ends early and says so.
proofs GET "$gw/health" $(( 4000 * seconds )) "$dpop_token" > "$tmp/dpop.proofs.paired"
printf '\nGET /health through tessera gateway, one connection, the two kinds alternating (%ss)\n' "$seconds"
python3 - "$gw" "$token" "$dpop_token" "$tmp/dpop.proofs.paired" "$seconds" <<'PY'
import random, re, socket, statistics, sys, time
gw, bearer_token, dpop_token, proofs_file, seconds = sys.argv[1:6]
host_port = gw.split("://", 1)[1]
host, port = host_port.rsplit(":", 1)
proofs = open(proofs_file).read().split()

def request(authorization, proof=None):
    lines = ["GET /health HTTP/1.1", "Host: " + host_port, "Authorization: " + authorization]
    if proof:
        lines.append("DPoP: " + proof)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()

length = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.I)
sock = socket.create_connection((host, int(port)))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

def round_trip(data):  # -> (nanoseconds, status)
    start = time.perf_counter_ns()
    sock.sendall(data)
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("gateway: the gateway closed the connection")
        buf += chunk
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            m = length.search(buf, 0, end + 2)
            if len(buf) >= end + 4 + (int(m.group(1)) if m else 0):
                break
    return time.perf_counter_ns() - start, int(buf[9:12])

bearer = request("Bearer " + bearer_token)
times = {"bearer": [], "dpop": []}
bad = 0
warm_up = 200
deadline = time.monotonic() + float(seconds)
i = 0
while i < len(proofs) and time.monotonic() < deadline:
    kinds = [("bearer", bearer), ("dpop", request("DPoP " + dpop_token, proofs[i]))]
    random.shuffle(kinds)
    for kind, data in kinds:
        ns, status = round_trip(data)
        bad += status != 200
        if i >= warm_up:
            times[kind].append(ns / 1000.0)
    i += 1
exhausted = i >= len(proofs)

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]

print(f"{'token':7} {'requests':>9} {'p50_us':>8} {'p90_us':>8} {'p99_us':>8}")
for kind in ("bearer", "dpop"):
    v = times[kind]
    print(f"{kind:7} {len(v):9} {pct(v, 50):8.0f} {pct(v, 90):8.0f} {pct(v, 99):8.0f}")
added = statistics.median(times["dpop"]) - statistics.median(times["bearer"])
half = len(times["dpop"]) // 2
halves = [statistics.median(times["dpop"][a:b]) - statistics.median(times["bearer"][a:b])
          for a, b in ((0, half), (half, None))]
print(f"DPoP added latency (difference of the medians): {added:.0f} us (target: under 100 us); "
      f"first half {halves[0]:.0f} us, second half {halves[1]:.0f} us; non-200: {bad}"
      + ("; proofs exhausted, the phase ended early" if exhausted else ""))
if bad:
    sys.exit(1)
PY
