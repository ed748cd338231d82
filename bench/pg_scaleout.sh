#!/usr/bin/env bash
# The PostgreSQL scale-out figure (loopback only, bounded): how many one-core token nodes one
# PostgreSQL core carries, measured, and checked with two and three nodes on one database.
#
# Usage: bench/pg_scaleout.sh BUILD_DIR
#
# PostgreSQL 15 is a throwaway server on 127.0.0.1 started (and stopped, and deleted) by
# tests/postgres/pg_ctl_env, pinned to core 1; the nodes are `tessera serve --threads 1` pinned
# to core 0 (bench/lib.sh), their load (bench/token_load, ES256 access tokens, so that the
# database's share is as large as it gets) on core 1 beside PostgreSQL. For each of BENCH_REPEAT
# rounds:
#   1. nodes: for N = 1, 2, 3 nodes on one fresh database, each driven closed loop on 4
#      connections for BENCH_SECONDS: tokens/s in total, the nodes' CPU time per token
#      (node_us), PostgreSQL's (every process of the server: backends, WAL writer,
#      checkpointer; pg_us) and the jti batch (tokens per commit). The model's figure is their
#      ratio: nodes = node_us / pg_us, how many nodes of one core one PostgreSQL core carries.
#      With N nodes it should stay the same (the database work per token does not grow with
#      the nodes) while the batch is what each node's own traffic makes it;
#   2. commits: the jti write alone, as the server batches it (one INSERT ... SELECT of the
#      batch, ON CONFLICT DO NOTHING RETURNING the new pairs) from pgbench on core 0, 3 clients,
#      batches of 1 and of 8: jti/s one PostgreSQL core sustains, and its CPU time per jti;
#   3. purge: PostgreSQL's CPU time per expired jti deleted (the purger's DELETE), which every
#      recorded jti costs once, later.
# Then the next limits: pg_test_fsync's fdatasync rate on the data disk (pg_ctl_env runs with
# fsync off, like the tests: this measures CPU, not the disk; with fsync on, each commit waits
# for one WAL flush, so tokens/s <= flushes/s x tokens per commit), and the connections each
# node holds (pg_stat_activity) against max_connections.
# The machine may be shared and has 2 cores: the figures compared are ratios of CPU times from
# the same round; the medians of the rounds are printed last.
# Environment: BENCH_SECONDS (per phase, default 5), BENCH_REPEAT (default 3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${TESSERA_TEST_PG_URL:-}" ]; then
  build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
  for tool in psql pgbench taskset curl python3 openssl; do
    command -v "$tool" >/dev/null || { echo "pg_scaleout: $tool is required" >&2; exit 2; }
  done
  # PostgreSQL on core 1: every process it starts inherits the affinity.
  exec taskset -c 1 "$here/../tests/postgres/pg_ctl_env" "$0" "$build_dir"
fi

build_dir=$1
tessera="$build_dir/tessera"
load="$build_dir/bench/token_load"
seconds=${BENCH_SECONDS:-5}
repeat=${BENCH_REPEAT:-3}
for bin in "$tessera" "$load"; do
  [ -x "$bin" ] || { echo "pg_scaleout: $bin not built (ninja -C $build_dir tessera token_load)" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-pgscale.XXXXXX")
bench_name=pg_scaleout
# shellcheck source=bench/lib.sh
source "$here/lib.sh"  # start_server, setup_domain, run_load, field, cpu_ticks, counter
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

admin_url=$TESSERA_TEST_PG_URL
pg_port=$(echo "$admin_url" | sed 's/.*:\([0-9]*\)\/postgres$/\1/')
postmaster=$(pgrep -f -- "-p $pg_port " | head -1)
[ -n "$postmaster" ] || { echo "pg_scaleout: PostgreSQL's postmaster not found" >&2; exit 1; }
pg_ticks() {  # the CPU time of the server and every process it runs or ran, in ticks
  # The postmaster's own, and its ended children's (cutime, cstime: a backend's session ends
  # with its client, pgbench's and psql's before this is read), then the live children's.
  local total p t
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
  for p in $(pgrep -P "$postmaster"); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$(( total + t ))
  done
  echo "$total"
}
ticks_of() { local total=0 p; for p in "$@"; do total=$(( total + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done; echo "$total"; }
us_per() { python3 -c "print(f'{$1 * 1e6 / $ticks_per_s / max(1, $2):.1f}')"; }

results="$tmp/results"
: > "$results"
printf '\nPostgreSQL scale-out: PostgreSQL on core 1, nodes on core 0, ES256 tokens, %ss per phase\n\n' "$seconds"
printf '%5s %5s %9s %8s %8s %7s %6s %6s %s\n' round nodes tokens/s node_us pg_us nodes/pg batch conns \
  'per token: xacts rows_read rows_written'

for round in $(seq 1 "$repeat"); do
  for n in 1 2 3; do
    db="bench_r${round}_n${n}"
    psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
    export TESSERA_BENCH_DATABASE=${admin_url%/postgres}/$db
    pids=(); ports=(); bases=()
    for _ in $(seq 1 "$n"); do
      start_server ES256
      pids+=("$server_pid"); ports+=("$port"); bases+=("$base")
    done
    base=${bases[0]}; port=${ports[0]}
    setup_domain
    sleep 1  # the other nodes' directory caches
    stats() {  # transactions, rows read, rows written in the database so far
      psql -Atq -F ' ' "$admin_url" -c "SELECT pg_stat_force_next_flush()" \
        -c "SELECT xact_commit, tup_returned + tup_fetched, tup_inserted + tup_updated + tup_deleted
            FROM pg_stat_database WHERE datname = '$db'" | tail -1
    }
    stats0=$(stats)
    node0=$(ticks_of "${pids[@]}"); pg0=$(pg_ticks)
    outs=()
    for i in $(seq 0 $(( n - 1 ))); do
      port=${ports[$i]}
      run_load $(( 9000 * seconds / n + 1000 )) 0 4 > "$tmp/load-$i" 2>/dev/null &
      outs+=($!)
    done
    sleep "$(python3 -c "print($seconds / 2)")"
    conns=$(psql -Atq "$admin_url" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'")
    for o in "${outs[@]}"; do wait "$o" || true; done
    node1=$(ticks_of "${pids[@]}"); pg1=$(pg_ticks)
    sleep 1  # the statistics of the last transactions
    stats1=$(stats)
    tokens=0; rps=0; flushes=0; flushed=0
    for i in $(seq 0 $(( n - 1 ))); do
      line=$(cat "$tmp/load-$i")
      tokens=$(( tokens + $(field "$line" ok) ))
      rps=$(python3 -c "print(round($rps + $(field "$line" rps)))")
      base=${bases[$i]}
      flushes=$(python3 -c "print($flushes + $(counter tessera_jti_flushes_total))")
      flushed=$(python3 -c "print($flushed + $(counter tessera_jti_flushed_requests_total))")
    done
    node_us=$(us_per $(( node1 - node0 )) "$tokens")
    pg_us=$(us_per $(( pg1 - pg0 )) "$tokens")
    ratio=$(python3 -c "print(f'{$node_us / max(0.1, $pg_us):.1f}')")
    per_token=$(python3 -c "a = '$stats0'.split(); b = '$stats1'.split(); print(' '.join(f'{(int(y) - int(x)) / max(1, $tokens):.2f}' for x, y in zip(a, b)))")
    batch=$(python3 -c "print(f'{$flushed / max(1, $flushes):.1f}')")
    printf '%5s %5s %9s %8s %8s %7s %6s %6s %s\n' "$round" "$n" "$rps" "$node_us" "$pg_us" "$ratio" "$batch" "$conns" "$per_token"
    echo "nodes$n $rps $node_us $pg_us $ratio $batch $conns $per_token" >> "$results"
    for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
    pids=(); server_pid=""
    # Purge: every recorded jti is deleted once it expires; its cost, on this database.
    rows=$(psql -Atq "$TESSERA_BENCH_DATABASE" -c "SELECT count(*) FROM used_jtis")
    pg0=$(pg_ticks)
    psql -q "$TESSERA_BENCH_DATABASE" -c "DELETE FROM used_jtis WHERE expires_at < 9000000000" >/dev/null
    pg1=$(pg_ticks)
    echo "purge $(us_per $(( pg1 - pg0 )) "$rows")" >> "$results"
  done
  # The jti commit alone, batched as the server does, from pgbench (3 clients, as 3 nodes).
  psql -q "$TESSERA_BENCH_DATABASE" -c "TRUNCATE used_jtis" >/dev/null
  for b in 1 8; do
    echo "INSERT INTO used_jtis (issuer, jti, expires_at) SELECT 'bench', gen_random_uuid()::text, 2000000000 FROM generate_series(1, $b) ON CONFLICT DO NOTHING RETURNING issuer, jti;" \
      > "$tmp/jti-$b.sql"
    pg0=$(pg_ticks)
    tps=$(taskset -c "$server_cpu" pgbench -n -M prepared -c 3 -j 1 -T "$seconds" -f "$tmp/jti-$b.sql" \
      "$TESSERA_BENCH_DATABASE" 2>/dev/null | awk '/^tps = / {print $3}')
    pg1=$(pg_ticks)
    jtis=$(python3 -c "print(round($tps * $b))")
    pg_us=$(us_per $(( pg1 - pg0 )) "$(python3 -c "print(round($tps * $b * $seconds))")")
    printf '      commit batch %s: %s commits/s, %s jti/s, pg_us per jti %s\n' "$b" "${tps%.*}" "$jtis" "$pg_us"
    echo "batch$b $jtis $pg_us" >> "$results"
  done
done
fsync=$("${PG_BIN:-/usr/lib/postgresql/15/bin}/pg_test_fsync" -s 1 -f "$tmp/fsync.test" 2>/dev/null |
  awk '$1 == "fdatasync" && $3 == "ops/sec" {print $2; exit}' || true)
max_conns=$(psql -Atq "$admin_url" -c "SHOW max_connections")
printf '\nMedians of %s rounds (the machine is shared; ratios of CPU times from one round):\n' "$repeat"
python3 - "$results" "${fsync:-0}" "$max_conns" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *values = line.split()
    rows.setdefault(name, []).append([float(v) for v in values])
med = {k: [statistics.median(c) for c in zip(*v)] for k, v in rows.items()}
for n in (1, 2, 3):
    r = med.get(f"nodes{n}")
    if r:
        print(f"{n} node(s): {r[0]:.0f} tokens/s, node {r[1]:.1f} us/token, PostgreSQL {r[2]:.1f} us/token "
              f"-> one PostgreSQL core carries {r[3]:.1f} one-core nodes; batch {r[4]:.1f}; {r[5]:.0f} connections; "
              f"per token {r[6]:.2f} transactions, {r[7]:.1f} rows read, {r[8]:.2f} rows written")
purge = med.get("purge", [0])[0]
print(f"purge: PostgreSQL {purge:.1f} us per expired jti deleted")
for b in (1, 8):
    r = med.get(f"batch{b}")
    if r:
        print(f"jti commit alone, batches of {b}: {r[0]:.0f} jti/s on one PostgreSQL core, {r[1]:.1f} us per jti")
one = med.get("nodes1")
fsync, max_conns = float(sys.argv[2]), int(sys.argv[3])
if one:
    with_purge = one[2] + purge
    print(f"model: nodes per PostgreSQL core = node_us / (pg_us + purge) = {one[1]:.1f} / {with_purge:.1f} "
          f"= {one[1] / max(0.1, with_purge):.1f}")
    if fsync > 0:
        print(f"WAL flushes (fsync on): {fsync:.0f} fdatasync/s on this disk -> at most {fsync * one[4]:.0f} tokens/s "
              f"at batch {one[4]:.1f} per node commit (more with group commit across nodes)")
    if one[5] > 0:
        print(f"connections: {one[5]:.0f} per node -> {max_conns // max(1, int(one[5]))} nodes within "
              f"max_connections {max_conns}")
PY
