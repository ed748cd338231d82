// The Assertion Lab's DER encoder and JWS helpers (console/src/lib/x509.ts, jws.ts) without a
// browser: compiled with the console's own TypeScript, run on Node's WebCrypto, and checked
// against fixed encodings (X.690) and against openssl. The generate-mode browser test
// (lab.test.mjs) covers the same code in Chromium end to end; this one pins the edge cases a
// random key only sometimes reaches (leading zero octets, top bits set, long lengths, 2050).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CONSOLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'console');
if (!globalThis.crypto) globalThis.crypto = webcrypto; // Node 18 has no global WebCrypto

let x509;
let jws;

// Compiles the two modules with the console's TypeScript into a temporary directory.
before(async () => {
  const ts = createRequire(join(CONSOLE, 'package.json'))('typescript');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-lab-lib-'));
  try {
    for (const name of ['x509', 'jws']) {
      const source = readFileSync(join(CONSOLE, 'src', 'lib', `${name}.ts`), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(dir, `${name}.mjs`), outputText.replace(/from '\.\/x509'/g, "from './x509.mjs'"));
    }
    x509 = await import(pathToFileURL(join(dir, 'x509.mjs')).href);
    jws = await import(pathToFileURL(join(dir, 'jws.mjs')).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const hex = (bytes) => Buffer.from(bytes).toString('hex');

test('DER lengths, INTEGERs, OIDs and times are X.690 encodings', () => {
  assert.equal(hex(x509.derLength(0)), '00');
  assert.equal(hex(x509.derLength(127)), '7f');
  assert.equal(hex(x509.derLength(128)), '8180');
  assert.equal(hex(x509.derLength(256)), '820100');
  assert.equal(hex(x509.derLength(70000)), '83011170');
  // Minimal two's complement of a magnitude: zeros dropped, one put back before a top bit.
  assert.equal(hex(x509.unsignedInteger(Uint8Array.of(0, 0, 1))), '020101');
  assert.equal(hex(x509.unsignedInteger(Uint8Array.of(0x80))), '02020080');
  assert.equal(hex(x509.unsignedInteger(Uint8Array.of(0, 0xff, 1))), '020300ff01');
  assert.equal(hex(x509.unsignedInteger(Uint8Array.of(0, 0))), '020100');
  assert.equal(hex(x509.smallInteger(2)), '020102');
  // Known object identifiers (RFC 4055, RFC 5758, X.520).
  assert.equal(hex(x509.oid('1.2.840.113549.1.1.11')), '06092a864886f70d01010b');
  assert.equal(hex(x509.oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
  assert.equal(hex(x509.oid('2.5.4.3')), '0603550403');
  assert.throws(() => x509.oid('1'));
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  assert.equal(Buffer.from(x509.time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59)))).toString('latin1'), '\x17\x0d491231235959Z');
  assert.equal(Buffer.from(x509.time(new Date(Date.UTC(2050, 0, 1, 0, 0, 0)))).toString('latin1'), '\x18\x0f20500101000000Z');
  // A long content gets a long-form length.
  const long = x509.octetString(new Uint8Array(300));
  assert.equal(hex(long.subarray(0, 4)), '0482012c');
  assert.equal(long.length, 304);
});

test('ECDSA r||s becomes SEQUENCE { INTEGER r, INTEGER s }', () => {
  const r = new Uint8Array(32).fill(0x11);
  r[0] = 0x00; // a leading zero octet: dropped
  const s = new Uint8Array(32).fill(0x22);
  s[0] = 0x80; // the top bit set: a zero octet in front
  const der = x509.ecdsaRawToDer(new Uint8Array([...r, ...s]));
  assert.equal(hex(der), '3044' + '021f' + '11'.repeat(31) + '022100' + '80' + '22'.repeat(31));
  assert.throws(() => x509.ecdsaRawToDer(new Uint8Array(63)));
});

for (const alg of ['RS256', 'ES256']) {
  test(`a self-signed ${alg} certificate openssl reads and verifies; a JWS Node verifies`, async () => {
    const keyPair = await crypto.subtle.generateKey(x509.keyParams(alg).generate, false, ['sign', 'verify']);
    assert.equal(keyPair.privateKey.extractable, false);
    await assert.rejects(crypto.subtle.exportKey('pkcs8', keyPair.privateKey));
    const notBefore = new Date(Date.UTC(2026, 0, 1));
    const notAfter = new Date(Date.UTC(2051, 0, 1)); // GeneralizedTime
    const der = await x509.selfSignedCertificate({
      alg,
      keyPair,
      commonName: 'lab tést',
      notBefore,
      notAfter,
      serial: Uint8Array.of(0x00, 0x9a, 0x01),
    });
    const dir = mkdtempSync(join(tmpdir(), 'tessera-lab-cert-'));
    try {
      const pem = join(dir, 'c.pem');
      writeFileSync(pem, x509.toPem(der));
      const text = execFileSync('openssl', ['x509', '-in', pem, '-noout', '-text', '-nameopt', 'utf8']).toString();
      assert.match(text, /Version: 3 \(0x2\)/);
      assert.match(text, /Serial Number: 39425 \(0x9a01\)|Serial Number:\s+00:9a:01|Serial Number:\s+9a:01/);
      assert.match(text, alg === 'RS256' ? /sha256WithRSAEncryption/ : /ecdsa-with-SHA256/);
      assert.match(text, alg === 'RS256' ? /Public-Key: \(2048 bit\)/ : /Public-Key: \(256 bit\)/);
      assert.match(text, /Issuer: CN ?= ?lab tést/);
      assert.match(text, /Subject: CN ?= ?lab tést/);
      assert.match(text, /Not Before: Jan +1 00:00:00 2026 GMT/);
      assert.match(text, /Not After : Jan +1 00:00:00 2051 GMT/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature/);
      assert.match(text, /CA:FALSE/);
      execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', pem, pem]);
      // The thumbprints are those openssl computes.
      const { x5t, x5tS256 } = await x509.thumbprints(der);
      const sha1 = execFileSync('openssl', ['x509', '-in', pem, '-noout', '-fingerprint', '-sha1']).toString();
      const sha256 = execFileSync('openssl', ['x509', '-in', pem, '-noout', '-fingerprint', '-sha256']).toString();
      const fp = (line) => line.trim().split('=')[1].replace(/:/g, '').toLowerCase();
      assert.equal(Buffer.from(x5t, 'base64url').toString('hex'), fp(sha1));
      assert.equal(Buffer.from(x5tS256, 'base64url').toString('hex'), fp(sha256));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // A test assertion: the header and claims as the Lab signs them, verified by Node.
    const claims = jws.assertionClaims({ clientId: 'client-1', userName: 'alice', audience: 'https://issuer.example', now: 1000, lifetime: 300 });
    assert.deepEqual(Object.keys(claims), ['iss', 'sub', 'aud', 'iat', 'exp', 'jti']);
    assert.equal(claims.exp, 1300);
    const token = await jws.signJwt(alg, 'alias-1', claims, keyPair.privateKey);
    const [h, p, sig] = token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url')), { alg, typ: 'JWT', kid: 'alias-1' });
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', keyPair.publicKey));
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, Buffer.from(sig, 'base64url'));
    assert.ok(ok, 'the JWS signature verifies');
    const decoded = jws.decodeJwt(`${token}\n`);
    assert.equal(decoded.ok, true);
    assert.deepEqual(decoded.claims, claims);
  });
}

test('decodeJwt says why a text is no JWS, never throwing', () => {
  assert.deepEqual(jws.decodeJwt('a.b'), { ok: false, problem: 'a compact JWS has 3 parts separated by dots, not 2' });
  assert.equal(jws.decodeJwt('a+b.c.d').problem, 'the header is not base64url');
  assert.equal(jws.decodeJwt(`${jws.base64url('[1]')}.e30.`).problem, 'the header is not a JSON object');
  assert.equal(jws.decodeJwt(`${jws.base64url(Uint8Array.of(0xff))}.e30.`).problem, 'the header is not UTF-8 JSON');
  assert.equal(jws.decodeJwt('e30.e30.A').problem, 'the signature is not base64url');
  assert.deepEqual(jws.decodeJwt('e30.e30.'), { ok: true, header: {}, claims: {}, signatureBytes: 0 });
  assert.equal(jws.base64urlDecode('YQ=='), null); // padding is not base64url (RFC 7515 2)
  assert.equal(Buffer.from(jws.base64urlDecode('_-8')).toString('hex'), 'ffef');
});
