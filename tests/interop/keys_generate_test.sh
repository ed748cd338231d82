#!/usr/bin/env bash
# `tessera keys generate` for rsa, ec and ed25519: openssl reads every file, keytool lists the
# PKCS#12, the key file is private, the printed thumbprints are openssl's, assertions signed with
# the generated key verify with openssl (RSA, Ed25519) and with tessera (EC, whose JWS signature
# is raw R||S rather than openssl's DER).
set -euo pipefail
TESSERA=$1
source "$(dirname "$0")/lib.sh"
need keytool "the PKCS#12 must be listable by keytool; install openjdk-17-jdk-headless"
need openssl "openssl is the reference implementation here"
need basenc "base64url encoding (coreutils)"
make_workdir
cd "$WORK"
mkdir out

check_generated() {
  local alias=$1
  shift
  echo "== keys generate --alias $alias $*"
  "$TESSERA" keys generate --alias "$alias" --out-dir out --p12-password 'pw with space' "$@" \
    >gen.txt
  cat gen.txt
  local f
  for f in key.pem cert.pem cer p12; do [[ -s out/$alias.$f ]] || fail "out/$alias.$f missing"; done
  [[ $(stat -c %a "out/$alias.key.pem") == 600 ]] || fail "key file mode is not 0600"
  [[ $(stat -c %a "out/$alias.p12") == 600 ]] || fail "PKCS#12 file mode is not 0600"
  grep -q -- '-----BEGIN PRIVATE KEY-----' "out/$alias.key.pem" || fail "key is not PKCS#8 PEM"
  openssl pkey -in "out/$alias.key.pem" -noout || fail "openssl pkey rejects the key"
  openssl x509 -in "out/$alias.cert.pem" -noout -subject | grep -q "CN = $alias" ||
    fail "subject is not CN=$alias"
  openssl x509 -inform DER -in "out/$alias.cer" -outform DER -out der_again.cer
  cmp der_again.cer "out/$alias.cer" || fail ".cer is not exactly a DER certificate"
  openssl x509 -in "out/$alias.cert.pem" -outform DER | cmp - "out/$alias.cer" ||
    fail ".cert.pem and .cer hold different certificates"
  # The certificate is of the generated key.
  openssl pkey -in "out/$alias.key.pem" -pubout >pub.pem
  openssl x509 -in "out/$alias.cert.pem" -pubkey -noout | cmp - pub.pem ||
    fail "certificate and key do not match"
  openssl pkcs12 -info -in "out/$alias.p12" -passin 'pass:pw with space' -nodes >p12.txt 2>&1 ||
    fail "openssl pkcs12 -info rejects the PKCS#12 file: $(cat p12.txt)"
  grep -q "friendlyName: $alias" p12.txt || fail "PKCS#12 friendly name is not the alias"
  keytool -list -keystore "out/$alias.p12" -storetype PKCS12 -storepass 'pw with space' >list.txt ||
    fail "keytool cannot list the PKCS#12 file: $(cat list.txt)"
  grep -q "^$alias, .*PrivateKeyEntry" list.txt || fail "keytool does not list $alias: $(cat list.txt)"
  local x5t
  x5t=$(fingerprint_b64url "$(openssl x509 -in "out/$alias.cert.pem" -noout -fingerprint -sha1)")
  grep -qx "x5t: $x5t" gen.txt || fail "printed x5t is not openssl's ($x5t)"
  "$TESSERA" keys thumbprint "out/$alias.p12" --p12-password 'pw with space' | grep -qx "x5t: $x5t" ||
    fail "thumbprint of the PKCS#12 differs"
}

check_generated rsa1
grep -qx 'key: RSA 2048, signs RS256' gen.txt || fail "default RSA size"
openssl x509 -in out/rsa1.cert.pem -noout -enddate >end.txt
jwt=$("$TESSERA" assert --client-id c --sub u --p12 out/rsa1.p12 --p12-password 'pw with space')
openssl_verifies_jwt "$jwt" pub.pem -sha256 || fail "openssl rejects the RS256 assertion"
jwt=$("$TESSERA" assert --client-id c --sub u --key out/rsa1.key.pem --kid rsa1 --alg PS256)
openssl_verifies_jwt "$jwt" pub.pem -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 ||
  fail "openssl rejects the PS256 assertion"
"$TESSERA" jwt verify "$jwt" --cert out/rsa1.cer --alg PS256 >/dev/null

check_generated rsa3 --type rsa --bits 3072 --subject "CN=rsa3,O=Example Org" --days 30
grep -qx 'key: RSA 3072, signs RS256' gen.txt || fail "--bits 3072"
openssl x509 -in out/rsa3.cert.pem -noout -subject | grep -q "O = Example Org" || fail "--subject"
start=$(date -d "$(openssl x509 -in out/rsa3.cert.pem -noout -startdate | cut -d= -f2)" +%s)
end=$(date -d "$(openssl x509 -in out/rsa3.cert.pem -noout -enddate | cut -d= -f2)" +%s)
(( end - start == 30 * 86400 )) || fail "--days 30 gives $(( (end - start) / 86400 )) days"

check_generated ec1 --type ec
grep -qx 'key: EC P-256, signs ES256' gen.txt || fail "default EC curve"
openssl pkey -in out/ec1.key.pem -noout -text | grep -q 'NIST CURVE: P-256' || fail "curve P-256"
jwt=$("$TESSERA" assert --client-id c --sub u --key out/ec1.key.pem --kid ec1)
[[ $(json_get "$(jwt_part "$jwt" 1)" alg) == ES256 ]] || fail "EC assertion alg"
(( $(b64url_decode "$(cut -d. -f3 <<<"$jwt")" | wc -c) == 64 )) || fail "ES256 signature not 64 bytes"
"$TESSERA" jwt verify "$jwt" --cert out/ec1.cert.pem >/dev/null

check_generated ec3 --type ec --bits 384
grep -qx 'key: EC P-384, signs ES384' gen.txt || fail "--bits 384"

check_generated ed1 --type ed25519
grep -qx 'key: Ed25519, signs EdDSA' gen.txt || fail "Ed25519"
jwt=$("$TESSERA" assert --client-id c --sub u --p12 out/ed1.p12 --p12-password 'pw with space')
[[ $(json_get "$(jwt_part "$jwt" 1)" alg) == EdDSA ]] || fail "Ed25519 assertion alg"
printf '%s' "$(cut -d. -f1-2 <<<"$jwt")" >input
b64url_decode "$(cut -d. -f3 <<<"$jwt")" >sig.bin
openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in input -sigfile sig.bin >/dev/null ||
  fail "openssl rejects the EdDSA assertion"

echo "== no PKCS#12 without a password; no silent overwrite"
"$TESSERA" keys generate --alias nop12 --out-dir out >/dev/null
[[ ! -e out/nop12.p12 ]] || fail "a PKCS#12 was written without --p12-password"
cp out/rsa1.key.pem before.pem
expect_failure "already exists" "$TESSERA" keys generate --alias rsa1 --out-dir out
cmp before.pem out/rsa1.key.pem || fail "the existing key was changed"
"$TESSERA" keys generate --alias rsa1 --out-dir out --force >/dev/null
! cmp -s before.pem out/rsa1.key.pem || fail "--force did not replace the key"
[[ $(stat -c %a out/rsa1.key.pem) == 600 ]] || fail "replaced key file mode is not 0600"
expect_failure "--bits for an ec key" "$TESSERA" keys generate --alias e9 --type ec --bits 2048 --out-dir out
expect_failure "RSA keys need at least 2048 bits" "$TESSERA" keys generate --alias r1 --bits 1024 --out-dir out
expect_failure "--alias" "$TESSERA" keys generate --alias ../evil --out-dir out
expect_failure "--type" "$TESSERA" keys generate --alias t --type dsa
# A missing --out-dir is made (owner only); one that cannot be made is refused.
"$TESSERA" keys generate --alias nd --out-dir new/dir >/dev/null
[[ -f new/dir/nd.key.pem ]] || fail "--out-dir new/dir was not made"
[[ $(stat -c %a new/dir) == 700 ]] || fail "a made --out-dir is not mode 0700"
touch plainfile
expect_failure "cannot create --out-dir" "$TESSERA" keys generate --alias t --out-dir plainfile/dir
ls out | grep -q tmp && fail "temporary files left behind"
echo PASS
