#!/usr/bin/env bash
# The token-endpoint benchmark on the embedded SQLite store and on PostgreSQL, in one invocation,
# printed side by side (the jti INSERT on every request; target: PostgreSQL at least 80% of
# SQLite's req/s on one server core).
#
# Usage: bench/store_compare.sh BUILD_DIR
# PostgreSQL is a throwaway server on 127.0.0.1 started by tests/postgres/pg_ctl_env (fsync off,
# as for the tests: this compares the stores' request paths, not disks). ES256 access tokens,
# so the crypto is small next to the storage work. BENCH_SECONDS as for token_endpoint.sh.
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pg_env="$here/../tests/postgres/pg_ctl_env"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-storecmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export BENCH_REPEAT=1
BENCH_ALGS=ES256 "$here/token_endpoint.sh" "$build_dir" > "$tmp/sqlite.txt"
"$pg_env" bash -c 'TESSERA_BENCH_DATABASE="$TESSERA_TEST_PG_URL" BENCH_ALGS=ES256 "$0" "$1"' \
  "$here/token_endpoint.sh" "$build_dir" > "$tmp/postgres.txt"

row() { grep '^ES256 ' "$1" | head -1; }  # the first round
printf '\nToken endpoint by store (ES256 access tokens, 1 server thread)\n'
printf '%-10s %s\n' store "$(grep '^alg ' "$tmp/sqlite.txt" | sed 's/^alg *//')"
printf '%-10s %s\n' sqlite "$(row "$tmp/sqlite.txt" | sed 's/^ES256 *//')"
printf '%-10s %s\n' postgres "$(row "$tmp/postgres.txt" | sed 's/^ES256 *//')"
sqlite_rps=$(row "$tmp/sqlite.txt" | awk '{print $6}')
pg_rps=$(row "$tmp/postgres.txt" | awk '{print $6}')
python3 -c "print(f'postgres / sqlite peak req/s: {$pg_rps / $sqlite_rps:.2f} (target >= 0.80)')"
