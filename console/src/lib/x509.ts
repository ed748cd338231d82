// A self-signed X.509 v3 certificate made in the browser (RFC 5280 4.1), for the Assertion Lab's
// generate mode: the key pair comes from WebCrypto with a non-extractable private key, so the
// certificate is signed with subtle.sign and only the public key (exportKey('spki')) leaves it.
//
// A minimal DER encoder (ITU-T X.690 8 and 10): definite lengths, minimal INTEGERs, SET OF with
// one member (so no sorting), nothing else. Pure TypeScript, no dependency.

/** The two key types the Lab offers, named by the JWS alg they sign with (RFC 7518 3.1). */
export type KeyAlg = 'RS256' | 'ES256';

/** WebCrypto's parameters for generating and signing with each key type. */
export function keyParams(alg: KeyAlg): {
  generate: RsaHashedKeyGenParams | EcKeyGenParams;
  sign: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
} {
  if (alg === 'RS256') {
    return {
      generate: {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      sign: { name: 'RSASSA-PKCS1-v1_5' },
    };
  }
  return {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  };
}

// ---- DER (X.690) ----

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** X.690 8.1.3: short form below 128, else the long form with the fewest length octets. */
export function derLength(n: number): Uint8Array {
  if (n < 0x80) return new Uint8Array([n]);
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v & 0xff);
  return new Uint8Array([0x80 | octets.length, ...octets]);
}

/** The bytes as an ArrayBuffer of their own, as WebCrypto takes them (a BufferSource). */
export function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** One tag-length-value. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(new Uint8Array([tag]), derLength(body.length), body);
}

export const sequence = (...items: Uint8Array[]) => tlv(0x30, ...items);
export const set = (...items: Uint8Array[]) => tlv(0x31, ...items);
export const derNull = () => new Uint8Array([0x05, 0x00]);
export const octetString = (bytes: Uint8Array) => tlv(0x04, bytes);
/** A BIT STRING of whole octets (no unused bits). */
export const bitString = (bytes: Uint8Array) => tlv(0x03, new Uint8Array([0]), bytes);
export const utf8String = (text: string) => tlv(0x0c, new TextEncoder().encode(text));
/** [n] EXPLICIT, constructed context-specific. */
export const explicit = (n: number, inner: Uint8Array) => tlv(0xa0 | n, inner);
export const boolean = (v: boolean) => new Uint8Array([0x01, 0x01, v ? 0xff : 0x00]);

/**
 * An INTEGER of a non-negative big-endian magnitude (X.690 8.3: two's complement, minimal):
 * leading zero octets dropped, one 0x00 put back when the top bit is set.
 */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = new Uint8Array([0]);
  if (body[0] & 0x80) body = concat(new Uint8Array([0]), body);
  return tlv(0x02, body);
}

export const smallInteger = (n: number) => unsignedInteger(new Uint8Array([n]));

/** An OBJECT IDENTIFIER from its dotted form (X.690 8.19). */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => Number.parseInt(a, 10));
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new Error(`not an object identifier: ${dotted}`);
  }
  const values = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  const out: number[] = [];
  for (const v of values) {
    const group: number[] = [v & 0x7f];
    for (let rest = Math.floor(v / 128); rest > 0; rest = Math.floor(rest / 128)) {
      group.unshift(0x80 | (rest & 0x7f));
    }
    out.push(...group);
  }
  return tlv(0x06, new Uint8Array(out));
}

/**
 * RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) through 2049, GeneralizedTime (YYYYMMDDHHMMSSZ)
 * from 2050; seconds always present, no fractions, always Zulu.
 */
export function time(date: Date): Uint8Array {
  const p = (n: number) => String(n).padStart(2, '0');
  const year = date.getUTCFullYear();
  const rest =
    p(date.getUTCMonth() + 1) +
    p(date.getUTCDate()) +
    p(date.getUTCHours()) +
    p(date.getUTCMinutes()) +
    p(date.getUTCSeconds()) +
    'Z';
  if (year >= 1950 && year < 2050) {
    return tlv(0x17, new TextEncoder().encode(p(year % 100) + rest));
  }
  return tlv(0x18, new TextEncoder().encode(String(year).padStart(4, '0') + rest));
}

/**
 * An ECDSA signature as WebCrypto and JWS give it (r || s, each the curve's size: RFC 7518 3.4)
 * in the DER form X.509 wants (RFC 3279 2.2.3: SEQUENCE { r INTEGER, s INTEGER }).
 */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new Error(`an ECDSA signature r||s has an even length, not ${raw.length}`);
  }
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

// ---- The certificate ----

const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11'; // RFC 4055 5
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'; // RFC 5758 3.2
const OID_COMMON_NAME = '2.5.4.3';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';

/** RFC 4055 5: NULL parameters for RSA; RFC 5758 3.2: absent parameters for ECDSA. */
export function signatureAlgorithm(alg: KeyAlg): Uint8Array {
  return alg === 'RS256'
    ? sequence(oid(OID_SHA256_WITH_RSA), derNull())
    : sequence(oid(OID_ECDSA_WITH_SHA256));
}

/** A Name with one RDN, CN = `cn` as UTF8String (RFC 5280 4.1.2.4). */
export function commonNameName(cn: string): Uint8Array {
  return sequence(set(sequence(oid(OID_COMMON_NAME), utf8String(cn))));
}

export interface CertificateRequest {
  alg: KeyAlg;
  keyPair: CryptoKeyPair;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** The serial's magnitude; random 16 octets when absent (RFC 5280 4.1.2.2: at most 20). */
  serial?: Uint8Array;
}

/** 16 random octets, positive and without a leading zero octet. */
export function randomSerial(): Uint8Array {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] & 0x7f) | 0x40;
  return serial;
}

/**
 * The DER of a self-signed v3 certificate: issuer = subject = CN, the public key's SPKI exported
 * by WebCrypto, extensions basicConstraints (not a CA) and keyUsage digitalSignature (critical),
 * signed with the private key by subtle.sign. The private key is only used, never exported.
 */
export async function selfSignedCertificate(req: CertificateRequest): Promise<Uint8Array> {
  if (req.notAfter.getTime() <= req.notBefore.getTime()) {
    throw new Error('the certificate must end after it begins');
  }
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', req.keyPair.publicKey));
  const algorithm = signatureAlgorithm(req.alg);
  const name = commonNameName(req.commonName);
  const extensions = sequence(
    sequence(oid(OID_BASIC_CONSTRAINTS), octetString(sequence())),
    // KeyUsage ::= BIT STRING; digitalSignature is bit 0: one octet 0x80, 7 unused bits.
    sequence(oid(OID_KEY_USAGE), boolean(true), octetString(new Uint8Array([0x03, 0x02, 0x07, 0x80]))),
  );
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(req.serial ?? randomSerial()),
    algorithm,
    name,
    sequence(time(req.notBefore), time(req.notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const params = keyParams(req.alg);
  let signature: Uint8Array = new Uint8Array(
    await crypto.subtle.sign(params.sign, req.keyPair.privateKey, arrayBuffer(tbs)),
  );
  if (req.alg === 'ES256') signature = ecdsaRawToDer(signature);
  return sequence(tbs, algorithm, bitString(signature));
}

// ---- Encodings and thumbprints ----

/** Standard base64 (RFC 4648 4), as x509Base64Certificate and PEM carry it. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** RFC 7468 5: the PEM text of a certificate, lines of 64 characters. */
export function toPem(der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** x5t and x5t#S256 (RFC 7515 4.1.7 and 4.1.8): base64url SHA-1 / SHA-256 of the DER. */
export async function thumbprints(der: Uint8Array): Promise<{ x5t: string; x5tS256: string }> {
  const b64url = (buf: ArrayBuffer) =>
    toBase64(new Uint8Array(buf)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const [sha1, sha256] = await Promise.all([
    crypto.subtle.digest('SHA-1', arrayBuffer(der)),
    crypto.subtle.digest('SHA-256', arrayBuffer(der)),
  ]);
  return { x5t: b64url(sha1), x5tS256: b64url(sha256) };
}
