# Helpers shared by the interop scripts. Source after `set -euo pipefail`; $TESSERA is the binary.

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# need TOOL WHY: a missing tool fails the test with a clear reason; it is never skipped.
need() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 is required for this test ($2) but is not on PATH"
}

# A fresh work directory, removed on exit; the caller cds into it.
make_workdir() {
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
}

# base64url without padding, of standard input.
b64url() { basenc --base64url -w0 | tr -d '='; }

# Decodes the base64url argument (adds the padding basenc wants).
b64url_decode() {
  local s=$1
  while (( ${#s} % 4 != 0 )); do s+='='; done
  printf '%s' "$s" | basenc --base64url -d
}

# An openssl fingerprint line ("SHA1 Fingerprint=AB:CD:...") as base64url of its bytes.
fingerprint_b64url() {
  local hex
  hex=$(sed 's/^.*=//; s/://g' <<<"$1")
  printf "$(sed 's/../\\x&/g' <<<"$hex")" | b64url
}

# jwt_part TOKEN N: the decoded JSON of part N (1 header, 2 claims).
jwt_part() { b64url_decode "$(cut -d. -f"$2" <<<"$1")"; }

# json_get JSON KEY: the value of a top-level string or number member (the JSON tessera writes
# is compact and flat, so a regex suffices and the test needs no JSON tool).
json_get() {
  grep -oE "\"$2\":(\"[^\"]*\"|[0-9]+)" <<<"$1" | head -1 | sed -E "s/^\"$2\"://; s/^\"//; s/\"$//"
}

# openssl_verifies_jwt TOKEN PUBKEY_PEM DGST_ARGS...: the JWT's signature checked by openssl.
openssl_verifies_jwt() {
  local token=$1 pub=$2
  shift 2
  printf '%s' "$(cut -d. -f1-2 <<<"$token")" >"$WORK/signing_input"
  b64url_decode "$(cut -d. -f3 <<<"$token")" >"$WORK/sig.bin"
  openssl dgst "$@" -verify "$pub" -signature "$WORK/sig.bin" "$WORK/signing_input" >/dev/null
}

# expect_failure SUBSTRING CMD...: CMD exits non-zero with exactly one stderr line, starting
# "tessera: " and containing SUBSTRING.
expect_failure() {
  local want=$1
  shift
  local rc=0
  "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  (( rc != 0 )) || fail "expected a failure from: $*"
  local lines
  lines=$(wc -l <"$WORK/err.txt")
  (( lines == 1 )) || fail "expected one stderr line from: $* -- got $lines: $(cat "$WORK/err.txt")"
  grep -q '^tessera: ' "$WORK/err.txt" || fail "stderr does not start with 'tessera: ': $(cat "$WORK/err.txt")"
  grep -qF -- "$want" "$WORK/err.txt" || fail "stderr lacks '$want': $(cat "$WORK/err.txt")"
  echo "ok (rc=$rc): $(cat "$WORK/err.txt")"
}
