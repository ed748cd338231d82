// Reading the few fields of an X.509 certificate (RFC 5280 section 4.1) the console shows when
// the admin API does not answer them: the subject and the validity period. DER only (X.690
// section 10); anything malformed yields undefined rather than a guess.

interface Tlv {
  tag: number;
  start: number; // first byte of the contents
  end: number; // one past the last byte of the contents
}

function readTlv(b: Uint8Array, pos: number, limit: number): Tlv | undefined {
  if (pos + 2 > limit) return undefined;
  const tag = b[pos];
  let len = b[pos + 1];
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // DER lengths of a certificate fit in 4 bytes; 0x80 (indefinite) is not DER.
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end };
}

// The elements of a constructed value, in order.
function children(b: Uint8Array, t: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let pos = t.start; pos < t.end;) {
    const c = readTlv(b, pos, t.end);
    if (c === undefined) return undefined;
    out.push(c);
    pos = c.end;
  }
  return out;
}

function oid(b: Uint8Array, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function text(b: Uint8Array, t: Tlv): string {
  const bytes = b.subarray(t.start, t.end);
  // BMPString (0x1e) is UTF-16BE; the other string types are ASCII subsets or UTF-8.
  if (t.tag === 0x1e) {
    let s = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
    return s;
  }
  return new TextDecoder().decode(bytes);
}

// A Name as RFC 4514 text, as the admin API answers it (and `openssl x509 -noout -subject
// -nameopt RFC2253` prints it): the RDNs last first, joined by ","; the attributes of one RDN by
// "+". Unknown attributes by their OID. For display only: special characters are not escaped.
function name(b: Uint8Array, t: Tlv): string | undefined {
  const rdns = children(b, t);
  if (rdns === undefined) return undefined;
  const out: string[] = [];
  for (const rdn of rdns) {
    const atvs: string[] = [];
    for (const atv of children(b, rdn) ?? []) {
      const kv = children(b, atv);
      if (kv === undefined || kv.length !== 2 || kv[0].tag !== 0x06) return undefined;
      const key = oid(b, kv[0]);
      atvs.push(`${NAMES[key] ?? key}=${text(b, kv[1])}`);
    }
    out.push(atvs.join('+'));
  }
  return out.reverse().join(',');
}

// UTCTime (YYMMDDHHMMSSZ, RFC 5280 4.1.2.5.1: YY < 50 is 20YY) or GeneralizedTime
// (YYYYMMDDHHMMSSZ), as an RFC 3339 text.
function time(b: Uint8Array, t: Tlv): string | undefined {
  const s = new TextDecoder().decode(b.subarray(t.start, t.end));
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return undefined;
  let year = m[1];
  if (t.tag === 0x17) year = (Number(year) < 50 ? '20' : '19') + year;
  return `${year}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

export interface CertificateFields {
  subject?: string;
  notBefore?: string;
  notAfter?: string;
}

// The subject and validity of a base64 DER certificate; empty when it cannot be read.
export function certificateFields(base64Der: string): CertificateFields {
  let b: Uint8Array;
  try {
    b = Uint8Array.from(atob(base64Der), (c) => c.charCodeAt(0));
  } catch {
    return {};
  }
  const cert = readTlv(b, 0, b.length);
  const tbs = cert && readTlv(b, cert.start, cert.end);
  const fields = tbs && children(b, tbs);
  if (fields === undefined) return {};
  // version [0] is optional (absent in v1 certificates).
  const i = fields.length > 0 && fields[0].tag === 0xa0 ? 1 : 0;
  // serialNumber, signature, issuer, validity, subject
  if (fields.length < i + 5) return {};
  const validity = children(b, fields[i + 3]);
  return {
    subject: name(b, fields[i + 4]),
    notBefore: validity?.[0] && time(b, validity[0]),
    notAfter: validity?.[1] && time(b, validity[1]),
  };
}
