// Compact JWS (RFC 7515 7.1) for the Assertion Lab: signing a test assertion with a WebCrypto
// key, and decoding a pasted one for display. The decoded parts are never trusted: the server's
// AssertionChecks is the judge; this only shows what the token says.

import type { KeyAlg } from './x509';
import { keyParams, toBase64 } from './x509';

/** base64url without padding (RFC 7515 2). */
export function base64url(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Strict base64url (no padding, no other characters); null when the text is not that. */
export function base64urlDecode(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  let binary: string;
  try {
    binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  } catch {
    return null;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export type JsonObject = Record<string, unknown>;

/** What a pasted token says, or why it cannot be read; for display only. */
export type Decoded =
  | { ok: true; header: JsonObject; claims: JsonObject; signatureBytes: number }
  | { ok: false; problem: string };

function decodePart(part: string, what: string): JsonObject | string {
  const bytes = base64urlDecode(part);
  if (bytes === null) return `the ${what} is not base64url`;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return `the ${what} is not UTF-8 JSON`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `the ${what} is not a JSON object`;
  }
  return value as JsonObject;
}

/** The header and claims of a compact JWS, unverified. Surrounding whitespace is ignored here. */
export function decodeJwt(token: string): Decoded {
  const parts = token.trim().split('.');
  if (parts.length !== 3) {
    return { ok: false, problem: `a compact JWS has 3 parts separated by dots, not ${parts.length}` };
  }
  const header = decodePart(parts[0], 'header');
  if (typeof header === 'string') return { ok: false, problem: header };
  const claims = decodePart(parts[1], 'payload');
  if (typeof claims === 'string') return { ok: false, problem: claims };
  const signature = base64urlDecode(parts[2]);
  if (signature === null) return { ok: false, problem: 'the signature is not base64url' };
  return { ok: true, header, claims, signatureBytes: signature.length };
}

/** The claims holding NumericDate values (RFC 7519 4.1.4-4.1.6), shown as dates too. */
export const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/**
 * Signs `claims` as a compact JWS with `key` (RS256: RSASSA-PKCS1-v1_5 SHA-256; ES256: ECDSA
 * P-256 SHA-256, whose WebCrypto output r||s is already the JWS form, RFC 7518 3.4). The header
 * is {alg, typ: "JWT", kid} in that order.
 */
export async function signJwt(
  alg: KeyAlg,
  kid: string,
  claims: JsonObject,
  key: CryptoKey,
): Promise<string> {
  const signingInput =
    base64url(JSON.stringify({ alg, typ: 'JWT', kid })) + '.' + base64url(JSON.stringify(claims));
  const signature = await crypto.subtle.sign(
    keyParams(alg).sign,
    key,
    new TextEncoder().encode(signingInput),
  );
  return signingInput + '.' + base64url(new Uint8Array(signature));
}

export interface AssertionInput {
  clientId: string;
  userName: string;
  audience: string;
  /** Seconds since the epoch. */
  now: number;
  /** Lifetime in seconds (the Lab uses 5 minutes). */
  lifetime: number;
}

/** RFC 7523 3 user assertion claims: iss = client id, sub = user, aud, iat, exp, a random jti. */
export function assertionClaims(a: AssertionInput): JsonObject {
  return {
    iss: a.clientId,
    sub: a.userName,
    aud: a.audience,
    iat: a.now,
    exp: a.now + a.lifetime,
    jti: crypto.randomUUID(),
  };
}
