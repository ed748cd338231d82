// Helpers shared by the browser tests of the Applications, Certificates, Users, Signing keys,
// Issuers and Assertion Lab screens: the admin API expecting success, certificates made by
// openssl, their thumbprints as openssl computes them, polling.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminApi } from './harness.mjs';

// The admin API with the administrator's bearer token, for setting up and checking state
// without the browser: the parsed answer of a 2xx, anything else fails the test.
export async function admin(server, method, path, body) {
  const r = await adminApi(server, method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// A temporary directory removed by the returned cleanup.
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// A self-signed RSA certificate made by `openssl req -x509`: {pem, derPath, pemPath, keyPath}.
// subj is openssl's "/attr=value/..." form.
export function makeCertificate(dir, name, { days = 365, subj = `/CN=${name}` } = {}) {
  const keyPath = join(dir, `${name}.key`);
  const pemPath = join(dir, `${name}.pem`);
  const derPath = join(dir, `${name}.der`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      pemPath,
      '-days',
      String(days),
      '-subj',
      subj,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  execFileSync('openssl', ['x509', '-in', pemPath, '-outform', 'der', '-out', derPath]);
  return { pem: readFileSync(pemPath, 'utf8'), pemPath, derPath, keyPath };
}

// The subject as `openssl x509 -noout -subject -nameopt RFC2253` prints it (RFC 4514 text).
export function opensslSubject(pemPath) {
  const out = execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', pemPath]);
  return out
    .toString()
    .trim()
    .replace(/^subject=\s*/, '');
}

// `openssl x509 -noout -fingerprint -<alg>` as base64url without padding: what x5t (sha1) and
// x5t#S256 (sha256) hold (RFC 7515 sections 4.1.7 and 4.1.8).
export function opensslThumbprint(pemPath, alg) {
  const out = execFileSync('openssl', [
    'x509',
    '-noout',
    '-fingerprint',
    `-${alg}`,
    '-in',
    pemPath,
  ]).toString();
  const hex = out
    .slice(out.indexOf('=') + 1)
    .trim()
    .replaceAll(':', '');
  return Buffer.from(hex, 'hex').toString('base64url');
}

// Polls fn until it returns a truthy value (returned) or the time is up (throws with the last
// value or error, so that the failure says what was seen).
export async function waitFor(fn, what, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A name unique to this run, so that a failed run leaves nothing a rerun trips over.
export function unique(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
