#!/usr/bin/env bash
# `tessera jwt verify` with each key source (JWK Set file, JWK Set over HTTP, certificate, HMAC
# secret file) on tokens tessera and openssl signed, and `tessera jwt decode` output.
set -euo pipefail
TESSERA=$1
source "$(dirname "$0")/lib.sh"
need openssl "openssl signs the HS256 token"
need basenc "base64url encoding (coreutils)"
need python3 "python3 -m http.server serves the JWK Set for --jwks-url"
make_workdir
cd "$WORK"
SERVER_PID=
trap '[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

"$TESSERA" keys generate --alias k1 >/dev/null
"$TESSERA" keys generate --alias k2 --type ec >/dev/null
"$TESSERA" keys jwk k1.cer --kid k1 >k1.jwks
"$TESSERA" keys jwk k2.cert.pem --kid k2 >k2.jwks
# One set with both keys, joined by hand: {"keys":[k1, k2]}.
{
  printf '{"keys":['
  sed -n '/^    {/,/^    }/p' k1.jwks
  printf ','
  sed -n '/^    {/,/^    }/p' k2.jwks
  printf ']}\n'
} >both.jwks
t1=$("$TESSERA" assert --client-id c1 --sub alice --key k1.key.pem --kid k1)
t2=$("$TESSERA" assert --client-id c2 --sub bob --key k2.key.pem --kid k2)
t2x=$("$TESSERA" assert --client-id c2 --sub bob --key k2.key.pem --x5t --cert k2.cer)

echo "== JWK Set file: key chosen by kid, or by x5t"
"$TESSERA" jwt verify "$t1" --jwks both.jwks | grep -q '"sub": "alice"' || fail "t1 via JWKS"
"$TESSERA" jwt verify "$t2" --jwks both.jwks | grep -q '"sub": "bob"' || fail "t2 via JWKS"
"$TESSERA" jwt verify "$t2x" --jwks both.jwks | grep -q '"sub": "bob"' || fail "t2 via JWKS x5t"
expect_failure 'no key with kid "k1"' "$TESSERA" jwt verify "$t1" --jwks k2.jwks
# The kid names k2's entry, but the token was signed by k1: a forged kid does not help.
forged="$(printf '{"alg":"RS256","kid":"k2"}' | b64url).$(cut -d. -f2- <<<"$t1")"
expect_failure "alg not allowed" "$TESSERA" jwt verify "$forged" --jwks both.jwks
"$TESSERA" keys generate --alias k3 >/dev/null
forged=$("$TESSERA" assert --client-id c1 --sub alice --key k3.key.pem --kid k1)
expect_failure "signature does not verify" "$TESSERA" jwt verify "$forged" --jwks both.jwks
expect_failure "is not accepted" \
  "$TESSERA" jwt verify "$t1" --jwks both.jwks --aud https://other.example/
"$TESSERA" jwt verify "$t1" --jwks both.jwks --aud https://identity.oraclecloud.com/ --iss c1 \
  >/dev/null || fail "--aud/--iss that match"

echo "== JWK Set over HTTP"
mkdir www
cp both.jwks www/jwks.json
head -c 2000000 /dev/zero >www/big.json
python3 -u -m http.server 0 --bind 127.0.0.1 --directory www >server.log 2>&1 &
SERVER_PID=$!
port=
for _ in $(seq 50); do
  port=$(grep -oE 'port [0-9]+' server.log | head -1 | cut -d' ' -f2 || true)
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || fail "the HTTP server did not start: $(cat server.log)"
"$TESSERA" jwt verify "$t2" --jwks-url "http://127.0.0.1:$port/jwks.json" | grep -q '"sub": "bob"' ||
  fail "t2 via --jwks-url"
expect_failure "HTTP status 404" "$TESSERA" jwt verify "$t2" --jwks-url "http://127.0.0.1:$port/none.json"
expect_failure "larger than 1048576 bytes" \
  "$TESSERA" jwt verify "$t2" --jwks-url "http://127.0.0.1:$port/big.json"
expect_failure "only http:// and https://" "$TESSERA" jwt verify "$t2" --jwks-url "file://$WORK/both.jwks"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
expect_failure "cannot fetch" "$TESSERA" jwt verify "$t2" --jwks-url "http://127.0.0.1:$port/jwks.json"

echo "== HS256 with a secret file (token signed by openssl)"
printf 'a-shared-secret-of-at-least-32-bytes!!\n' >secret.txt
now=$(date +%s)
h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
p=$(printf '{"iss":"fusion","prn":"alice","sub":"alice","iat":%d,"exp":%d}' "$now" $((now + 600)) | b64url)
sig=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac 'a-shared-secret-of-at-least-32-bytes!!' -binary | b64url)
"$TESSERA" jwt verify "$h.$p.$sig" --secret-file secret.txt | grep -q '"prn": "alice"' ||
  fail "HS256 token"
printf 'another-secret-that-is-32-bytes-long!!\n' >wrong.txt
expect_failure "signature does not verify" "$TESSERA" jwt verify "$h.$p.$sig" --secret-file wrong.txt
printf 'short\n' >short.txt
expect_failure "key too weak" "$TESSERA" jwt verify "$h.$p.$sig" --secret-file short.txt
# An RSA certificate never verifies an HMAC token (RFC 8725 2.1).
expect_failure "alg not allowed" "$TESSERA" jwt verify "$h.$p.$sig" --cert k1.cer
# Not yet valid, then issued in the future (beyond the 30 s skew).
pn=$(printf '{"sub":"a","nbf":%d,"exp":%d}' $((now + 300)) $((now + 600)) | b64url)
sn=$(printf '%s' "$h.$pn" | openssl dgst -sha256 -hmac 'a-shared-secret-of-at-least-32-bytes!!' -binary | b64url)
expect_failure "not yet valid" "$TESSERA" jwt verify "$h.$pn.$sn" --secret-file secret.txt
pf=$(printf '{"sub":"a","iat":%d,"exp":%d}' $((now + 300)) $((now + 600)) | b64url)
sf=$(printf '%s' "$h.$pf" | openssl dgst -sha256 -hmac 'a-shared-secret-of-at-least-32-bytes!!' -binary | b64url)
expect_failure "issued in the future" "$TESSERA" jwt verify "$h.$pf.$sf" --secret-file secret.txt
# Within the skew is accepted.
ps=$(printf '{"sub":"a","exp":%d}' $((now - 10)) | b64url)
ss=$(printf '%s' "$h.$ps" | openssl dgst -sha256 -hmac 'a-shared-secret-of-at-least-32-bytes!!' -binary | b64url)
"$TESSERA" jwt verify "$h.$ps.$ss" --secret-file secret.txt >/dev/null || fail "30 s skew"

echo "== jwt decode"
"$TESSERA" jwt decode "$t1" >decoded.txt
cat decoded.txt
grep -q '^header (unverified):' decoded.txt || fail "decode: header label"
grep -q '^claims (unverified):' decoded.txt || fail "decode: claims label"
grep -q '"kid": "k1"' decoded.txt || fail "decode: kid"
grep -qE '^  exp: [0-9]+ = [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \(in [0-9]m [0-9]+s\)$' decoded.txt ||
  fail "decode: readable exp"
printf '%s\n' "$t1" | "$TESSERA" jwt decode - | grep -q '"sub": "alice"' || fail "decode from stdin"
echo PASS
