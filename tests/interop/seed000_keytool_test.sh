#!/usr/bin/env bash
# Seed 000's workflow, verbatim but for -dname (keytool would otherwise prompt), then tessera on
# its outputs: thumbprints equal across DER, PEM and PKCS#12 and equal to openssl's fingerprints;
# assertions signed from the "Bag Attributes" PEM and from the PKCS#12 verify with openssl; a JWT
# signed by openssl verifies with tessera, and a tampered one does not.
set -euo pipefail
TESSERA=$1
source "$(dirname "$0")/lib.sh"
need keytool "seed 000 creates the key pair with keytool; install openjdk-17-jdk-headless"
need openssl "openssl is the reference implementation here"
need basenc "base64url encoding (coreutils)"
make_workdir
cd "$WORK"

keytool -genkey -keyalg RSA -alias assert -keystore sampleKeystore.jks -storepass samplePasswd \
  -validity 365 -keysize 2048 -dname "CN=assert" 2>/dev/null
keytool -exportcert -alias assert -file assert.cer -keystore sampleKeystore.jks \
  -storepass samplePasswd
keytool -importkeystore -srckeystore sampleKeystore.jks -srcstorepass samplePasswd \
  -srckeypass samplePasswd -srcalias assert -destalias assert -destkeystore assert.p12 \
  -deststoretype PKCS12 -deststorepass samplePasswd -destkeypass samplePasswd
openssl pkcs12 -in assert.p12 -nodes -nocerts -out private_key.pem -passin pass:samplePasswd
grep -q '^Bag Attributes' private_key.pem || fail "openssl did not write Bag Attributes"
openssl x509 -inform DER -in assert.cer -out assert.pem
openssl x509 -inform DER -in assert.cer -pubkey -noout >pub.pem

echo "== thumbprints"
"$TESSERA" keys thumbprint assert.cer >tp.der
"$TESSERA" keys thumbprint assert.pem >tp.pem
"$TESSERA" keys thumbprint assert.p12 --p12-password samplePasswd >tp.p12
cat tp.der
cmp tp.der tp.pem || fail "DER and PEM thumbprints differ"
cmp tp.der tp.p12 || fail "DER and PKCS#12 thumbprints differ"
[[ $(wc -l <tp.der) -eq 2 ]] || fail "thumbprint output is not two lines"
x5t=$(fingerprint_b64url "$(openssl x509 -inform DER -in assert.cer -noout -fingerprint -sha1)")
x5t256=$(fingerprint_b64url "$(openssl x509 -inform DER -in assert.cer -noout -fingerprint -sha256)")
printf 'x5t: %s\nx5t#S256: %s\n' "$x5t" "$x5t256" | cmp - tp.der ||
  fail "thumbprints differ from openssl's fingerprints ($x5t, $x5t256)"

echo "== assert with --key (Bag Attributes PEM) and --kid"
jwt1=$("$TESSERA" assert --client-id myclient --sub alice --key private_key.pem --kid assert)
openssl_verifies_jwt "$jwt1" pub.pem -sha256 || fail "openssl rejects the --key assertion"
h1=$(jwt_part "$jwt1" 1)
c1=$(jwt_part "$jwt1" 2)
echo "$h1"
echo "$c1"
[[ $(json_get "$h1" alg) == RS256 ]] || fail "alg is not RS256"
[[ $(json_get "$h1" kid) == assert ]] || fail "kid is not the alias"
[[ $(json_get "$c1" iss) == myclient ]] || fail "iss is not the client id"
[[ $(json_get "$c1" sub) == alice ]] || fail "sub is not the user"
[[ $(json_get "$c1" aud) == https://identity.oraclecloud.com/ ]] || fail "default aud"
iat=$(json_get "$c1" iat)
exp=$(json_get "$c1" exp)
(( exp - iat == 300 )) || fail "default ttl is not 300 s"
(( iat >= $(date +%s) - 60 && iat <= $(date +%s) )) || fail "iat is not now"
[[ $(json_get "$c1" jti) =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] ||
  fail "jti is not a random UUID"

echo "== assert with --p12 (x5t from the certificate inside)"
jwt2=$("$TESSERA" assert --client-id myclient --sub alice --p12 assert.p12 \
  --p12-password samplePasswd --x5t --aud https://idcs.example.com/ --ttl 120 --scope s1)
openssl_verifies_jwt "$jwt2" pub.pem -sha256 || fail "openssl rejects the --p12 assertion"
h2=$(jwt_part "$jwt2" 1)
c2=$(jwt_part "$jwt2" 2)
[[ $(json_get "$h2" x5t) == "$x5t" ]] || fail "x5t header is not the certificate's thumbprint"
[[ $(json_get "$c2" aud) == https://idcs.example.com/ ]] || fail "--aud not used"
[[ $(json_get "$c2" scope) == s1 ]] || fail "--scope not used"
(( $(json_get "$c2" exp) - $(json_get "$c2" iat) == 120 )) || fail "--ttl not used"
[[ $(json_get "$c1" jti) != $(json_get "$c2" jti) ]] || fail "jti repeated"

echo "== assert with --x5t --cert and a client assertion"
jwt3=$("$TESSERA" assert --client-id myclient --client-assertion --key private_key.pem --x5t \
  --cert assert.cer)
openssl_verifies_jwt "$jwt3" pub.pem -sha256 || fail "openssl rejects the client assertion"
c3=$(jwt_part "$jwt3" 2)
[[ $(json_get "$c3" iss) == myclient && $(json_get "$c3" sub) == myclient ]] ||
  fail "client assertion needs iss = sub = client id"
[[ $(json_get "$(jwt_part "$jwt3" 1)" x5t) == "$x5t" ]] || fail "--x5t --cert"

echo "== a JWT signed by openssl verifies with tessera jwt verify --cert"
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT","kid":"assert"}' | b64url)
payload=$(printf '{"sub":"alice","iss":"myclient","aud":"https://identity.oraclecloud.com/","iat":%d,"exp":%d,"jti":"j-1"}' \
  "$now" $((now + 300)) | b64url)
printf '%s' "$header.$payload" >input
openssl dgst -sha256 -sign private_key.pem -out sig.bin input
token="$header.$payload.$(b64url <sig.bin)"
"$TESSERA" jwt verify "$token" --cert assert.cer --iss myclient \
  --aud https://identity.oraclecloud.com/ >verified.json
grep -q '"sub": "alice"' verified.json || fail "verified claims not printed"
"$TESSERA" jwt verify "$token" --cert assert.pem >/dev/null || fail "PEM certificate"

echo "== tampered tokens fail"
evil=$(printf '{"sub":"admin","iss":"myclient","aud":"https://identity.oraclecloud.com/","iat":%d,"exp":%d,"jti":"j-1"}' \
  "$now" $((now + 300)) | b64url)
expect_failure "signature does not verify" "$TESSERA" jwt verify "$header.$evil.$(b64url <sig.bin)" \
  --cert assert.cer
printf '\x01' | dd of=sig.bin bs=1 seek=10 conv=notrunc status=none
expect_failure "signature does not verify" "$TESSERA" jwt verify "$header.$payload.$(b64url <sig.bin)" \
  --cert assert.cer
expect_failure "iss" "$TESSERA" jwt verify "$token" --cert assert.cer --iss someone-else

echo "== an expired openssl-signed JWT fails on time"
old=$(printf '{"sub":"alice","iss":"myclient","iat":%d,"exp":%d}' $((now - 600)) $((now - 300)) | b64url)
printf '%s' "$header.$old" >input_old
openssl dgst -sha256 -sign private_key.pem -out sig_old.bin input_old
expect_failure "token expired" "$TESSERA" jwt verify "$header.$old.$(b64url <sig_old.bin)" \
  --cert assert.cer
echo PASS
