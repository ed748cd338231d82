# Shared by bench/token_endpoint.sh and bench/soak (sourced, not run; not executable, so
# bench/run does not take it for a benchmark): the server on loopback and the identity domain
# the token-endpoint load runs against.
#
# The sourcing script sets, before calling these functions:
#   bench_name    prefix of its error messages
#   tessera, load the tessera and bench/token_load binaries
#   tmp           its scratch directory (removed by its own EXIT trap)
#   seconds       the duration of each run_load
# Environment: TESSERA_BENCH_DATABASE (a postgresql:// URL to run against instead of SQLite; the
# tables must be empty); BENCH_SERVER_WRAP, words put before the server's command to profile it,
# e.g. "perf record -e cpu-clock --call-graph dwarf -o /tmp/serve.perf" (the CPU figures then
# count the wrapper's process, not the server's: read the profile, not them).

export TESSERA_ADMIN_CLIENT_ID=bench-admin
export TESSERA_ADMIN_CLIENT_SECRET=bench-admin-secret-0123456789
cores=$(nproc)
server_cpu=0
load_cpu=$(( cores > 1 ? 1 : 0 ))
server_pid=""
bench_scope="https://bench.example.com:443urn:opc:resource:consumer::all"

ticks_per_s=$(getconf CLK_TCK)

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# field LINE KEY: the value of KEY=value in a line of token_load's output.
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# start_server ALG: `tessera serve --threads 1` pinned to core 0 on a fresh data dir (a new one
# at each call), signing tokens with ALG. Sets server_pid, base, port, ready_ms (spawn to /ready
# 200), reported_ms (as the server reports it) and rss_kb (VmRSS half a second after ready).
start_server() {
  server_starts=$(( ${server_starts:-0} + 1 ))  # a fresh data dir for each start
  local data="$tmp/data-$1-$server_starts" db_args=()
  [ -n "${TESSERA_BENCH_DATABASE:-}" ] && db_args=(--database "$TESSERA_BENCH_DATABASE")
  local t0 t1 wrap=()
  [ -n "${BENCH_SERVER_WRAP:-}" ] && read -r -a wrap <<< "$BENCH_SERVER_WRAP"
  t0=$(date +%s%N)
  taskset -c "$server_cpu" "${wrap[@]}" "$tessera" serve --listen 127.0.0.1:0 --threads 1 --data-dir "$data" \
    --signing-alg "$1" --log-level warn "${db_args[@]}" > "$tmp/server.out" 2> "$tmp/server.err" &
  server_pid=$!
  for _ in $(seq 1 3000); do  # up to 30 s: a loaded machine starts it slowly
    if grep -q "listening on" "$tmp/server.out" 2>/dev/null; then break; fi
    sleep 0.01
  done
  base=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/server.out" | head -1)
  [ -n "$base" ] || { echo "$bench_name: the server did not start" >&2; cat "$tmp/server.err" >&2; exit 1; }
  for _ in $(seq 1 500); do
    if curl -sf "$base/ready" >/dev/null; then break; fi
    sleep 0.002
  done
  t1=$(date +%s%N)
  ready_ms=$(( (t1 - t0) / 1000000 ))
  reported_ms=$(sed -n 's/.*ready in \([0-9]*\) ms.*/\1/p' "$tmp/server.out" | head -1)
  sleep 0.5
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
  port=${base##*:}
}

# cpu_ticks: the server's CPU time so far (user + system, every thread), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

# switches: the context switches of the server's threads so far (voluntary and not), summed.
switches() { cat "/proc/$server_pid/task/"*/status | awk '/ctxt_switches/ {n += $2} END {print n}'; }

# counter NAME: the value of an unlabelled counter in the server's /metrics.
counter() { curl -sf "$base/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# setup_domain: a user (bench.user), a resource app with one scope, and an active confidential
# client allowed the jwt-bearer grant with a certificate (alias bench, key in
# $tmp/keys/bench.key.pem). Sets client_id and client_secret.
setup_domain() {
  local admin_token cert_b64 client
  # Retried: on a loaded machine the first answers of a fresh server can be slow to come.
  admin_token=$(curl -sf --retry 5 --retry-all-errors --retry-delay 1 --max-time 20 \
    -u "$TESSERA_ADMIN_CLIENT_ID:$TESSERA_ADMIN_CLIENT_SECRET" "$base/oauth2/v1/token" \
    -d grant_type=client_credentials -d scope=urn:opc:idm:__myscopes__ | json '["access_token"]') || {
    echo "$bench_name: no administrator token from $base" >&2; cat "$tmp/server.err" >&2; exit 1; }
  local h=(-H "Authorization: Bearer $admin_token" -H "Content-Type: application/json")
  curl -sf "${h[@]}" "$base/admin/v1/Users" -d '{"userName":"bench.user","active":true}' >/dev/null
  local resource_id
  resource_id=$(curl -sf "${h[@]}" "$base/admin/v1/Apps" -d '{"displayName":"Bench resource","isOAuthResource":true,"audience":"https://bench.example.com:443","scopes":[{"value":"urn:opc:resource:consumer::all"}]}' | json '["id"]')
  # An inactive resource app grants no scope.
  curl -sf -X PUT "${h[@]}" "$base/admin/v1/AppStatusChanger/$resource_id" -d '{"active":true}' >/dev/null
  mkdir -p "$tmp/keys"
  [ -f "$tmp/keys/bench.key.pem" ] || "$tessera" keys generate --alias bench --out-dir "$tmp/keys" >/dev/null
  cert_b64=$(openssl x509 -in "$tmp/keys/bench.cert.pem" -outform DER | base64 -w0)
  client=$(curl -sf "${h[@]}" "$base/admin/v1/Apps" -d "{\"displayName\":\"Bench client\",\"isOAuthClient\":true,\"clientType\":\"confidential\",\"allowedGrants\":[\"urn:ietf:params:oauth:grant-type:jwt-bearer\"],\"allowedScopes\":[{\"fqs\":\"$bench_scope\"}],\"certificates\":[{\"certAlias\":\"bench\",\"x509Base64Certificate\":\"$cert_b64\"}]}")
  client_id=$(echo "$client" | json '["name"]')
  client_secret=$(echo "$client" | json '["clientSecret"]')
  local app_id
  app_id=$(echo "$client" | json '["id"]')
  curl -sf -X PUT "${h[@]}" "$base/admin/v1/AppStatusChanger/$app_id" -d '{"active":true}' >/dev/null
}

# run_load COUNT RATE CONNECTIONS [ARGS...]: bench/token_load pinned to core 1 for $seconds with
# COUNT pre-signed assertions, at RATE req/s in total (0 = closed loop); ARGS go to token_load.
run_load() {
  local count=$1 rate=$2 connections=$3
  shift 3
  taskset -c "$load_cpu" "$load" --port "$port" --key "$tmp/keys/bench.key.pem" --kid bench \
    --client-id "$client_id" --client-secret "$client_secret" --sub bench.user --scope "$bench_scope" \
    --count "$count" --rate "$rate" --connections "$connections" --duration "$seconds" --sign-threads "$cores" "$@"
}
