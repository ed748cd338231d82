#!/usr/bin/env bash
# Failure paths: every one exits non-zero with exactly one line on stderr naming the cause; every
# command and subcommand answers --help with status 0.
set -euo pipefail
TESSERA=$1
source "$(dirname "$0")/lib.sh"
need openssl "openssl makes the PKCS#12 fixtures"
make_workdir
cd "$WORK"

"$TESSERA" keys generate --alias a --p12-password right >/dev/null
head -c 600 /dev/urandom >garbage.cer
printf 'this is not a certificate\n' >text.cer
printf -- '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' >bad.pem
openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -subj /CN=weak -days 1 -out weak.pem \
  2>/dev/null

echo "== --help everywhere"
for cmd in "" "keys" "keys generate" "keys thumbprint" "keys jwk" "assert" "jwt" "jwt decode" \
  "jwt verify"; do
  # shellcheck disable=SC2086
  "$TESSERA" $cmd --help >help.txt || fail "tessera $cmd --help failed"
  grep -q 'Usage:' help.txt || fail "tessera $cmd --help prints no usage"
done

echo "== missing files"
expect_failure "cannot read key file missing.pem: No such file or directory" \
  "$TESSERA" assert --client-id c --sub u --key missing.pem --kid k
expect_failure "cannot read certificate file missing.cer: No such file or directory" \
  "$TESSERA" keys thumbprint missing.cer
expect_failure "cannot read PKCS#12 file missing.p12: No such file or directory" \
  "$TESSERA" assert --client-id c --sub u --p12 missing.p12 --p12-password x
token=$("$TESSERA" assert --client-id c --sub u --key a.key.pem --kid a)
expect_failure "cannot read JWK Set file missing.json: No such file or directory" \
  "$TESSERA" jwt verify "$token" --jwks missing.json
expect_failure "cannot read certificate file missing.cer: No such file or directory" \
  "$TESSERA" jwt verify "$token" --cert missing.cer
expect_failure "Is a directory" "$TESSERA" keys thumbprint .

echo "== wrong PKCS#12 password"
expect_failure "wrong PKCS#12 password" "$TESSERA" keys thumbprint a.p12 --p12-password wrong
expect_failure "wrong PKCS#12 password" \
  "$TESSERA" assert --client-id c --sub u --p12 a.p12 --p12-password wrong
expect_failure "give its password with --p12-password" "$TESSERA" keys thumbprint a.p12
expect_failure "--p12 needs --p12-password" "$TESSERA" assert --client-id c --sub u --p12 a.p12
expect_failure "it is a PKCS#12 file" "$TESSERA" assert --client-id c --sub u --key a.p12 --kid k

echo "== garbage certificates and keys"
expect_failure "cannot load certificate garbage.cer: invalid certificate" \
  "$TESSERA" keys thumbprint garbage.cer
expect_failure "cannot load certificate text.cer: invalid certificate" "$TESSERA" keys thumbprint text.cer
expect_failure "cannot load certificate bad.pem" "$TESSERA" keys thumbprint bad.pem
expect_failure "cannot load key file garbage.cer" \
  "$TESSERA" assert --client-id c --sub u --key garbage.cer --kid k
expect_failure "key too weak" "$TESSERA" assert --client-id c --sub u --key weak.key --kid k
expect_failure "cannot load certificate garbage.cer" "$TESSERA" jwt verify "$token" --cert garbage.cer
expect_failure "cannot load certificate garbage.cer" \
  "$TESSERA" assert --client-id c --sub u --key a.key.pem --x5t --cert garbage.cer

echo "== bad options"
expect_failure "not expected" "$TESSERA" keys thumbprint a.cer --frobnicate
expect_failure "--client-id is required" "$TESSERA" assert --sub u --key a.key.pem
expect_failure "unknown command \"nosuchverb\"" "$TESSERA" nosuchverb
expect_failure "subcommand" "$TESSERA"
expect_failure "subcommand" "$TESSERA" keys
expect_failure "--sub USER is required" "$TESSERA" assert --client-id c --key a.key.pem --kid k
expect_failure "exactly one of --key FILE or --p12 FILE" \
  "$TESSERA" assert --client-id c --sub u --key a.key.pem --p12 a.p12 --p12-password right --kid k
expect_failure "give --kid ALIAS" "$TESSERA" assert --client-id c --sub u --key a.key.pem
expect_failure "does not suit this RSA 2048 key" \
  "$TESSERA" assert --client-id c --sub u --key a.key.pem --kid k --alg HS256
expect_failure "unknown algorithm" "$TESSERA" assert --client-id c --sub u --key a.key.pem --kid k --alg none
expect_failure "--ttl must be a positive" \
  "$TESSERA" assert --client-id c --sub u --key a.key.pem --kid k --ttl 0
expect_failure "give exactly one of --jwks-url" "$TESSERA" jwt verify a.b.c
expect_failure "give exactly one of --jwks-url" "$TESSERA" jwt verify a.b.c --cert a.cer --jwks x

echo "== a certificate of another key is refused for --x5t"
"$TESSERA" keys generate --alias other >/dev/null
expect_failure "is not the certificate of the signing key" \
  "$TESSERA" assert --client-id c --sub u --key a.key.pem --x5t --cert other.cer

echo "== malformed tokens"
expect_failure "cannot decode the token" "$TESSERA" jwt decode not-a-jwt
expect_failure "invalid token" "$TESSERA" jwt verify not-a-jwt --cert a.cer
none=$(printf '{"alg":"none"}' | b64url).$(printf '{"sub":"x"}' | b64url).AAAA
expect_failure "alg none is never accepted" "$TESSERA" jwt verify "$none" --cert a.cer
echo PASS
