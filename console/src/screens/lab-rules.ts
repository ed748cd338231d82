// The rules POST /admin/v1/AssertionChecks reports, by the number its answers carry in "rule"
// (contract section 2 for 1 to 9, section 10 for outside tokens, section 11 for DPoP). The Lab
// renders each as an element with id "rule-<number>": the Audit screen links a refused request
// to /console/lab#rule-<number>.

export interface RuleInfo {
  rule: number;
  title: string;
  // The names the check's answers give this rule's entries.
  names: string[];
  checks: string;
}

export const RULES: RuleInfo[] = [
  {
    rule: 0,
    title: 'Client',
    names: ['client', 'client active', 'grant'],
    checks:
      'The client named by the client ID is a confidential app that exists and is active, and ' +
      'its allowed grants include urn:ietf:params:oauth:grant-type:jwt-bearer.',
  },
  {
    rule: 1,
    title: 'Syntax',
    names: ['syntax', 'trust'],
    checks:
      'One compact JWS (header.payload.signature) in strict base64url without padding or ' +
      'surrounding whitespace, whose header and payload are JSON objects without repeated ' +
      'members, of bounded size (RFC 7515 7.1). For an outside token: the federation trust of ' +
      'its issuer, active and listing the client.',
  },
  {
    rule: 2,
    title: 'Header',
    names: ['header', 'algorithm', 'typ'],
    checks:
      'The header alg is one the app allows (RS256 by default; never none or an HMAC alg), typ ' +
      'is absent or JWT, no unknown crit, and no jwk, jku, x5u or x5c: keys come only from the ' +
      'store.',
  },
  {
    rule: 3,
    title: 'Key and signature',
    names: ['key', 'signature'],
    checks:
      'The certificate named by x5t, x5t#S256 or kid (the certificate alias), in that order, ' +
      'among the certificates attached to the app, then among the trusted partner ' +
      'certificates; not expired; and the signature verifies with its key.',
  },
  {
    rule: 4,
    title: 'Issuer',
    names: ['issuer', 'subject'],
    checks: 'iss is the client ID of the app (RFC 7523 3).',
  },
  {
    rule: 5,
    title: 'Audience',
    names: ['audience', 'outside token signature'],
    checks:
      'aud (a string or an array) contains an accepted audience: by default the issuer URL, ' +
      'the token endpoint URL or https://identity.oraclecloud.com/. For an outside token: its ' +
      "signature, by a key of the issuer's JWK Set.",
  },
  {
    rule: 6,
    title: 'Time',
    names: ['time', 'outside token'],
    checks:
      'exp is present and in the future; nbf, if present, is reached; iat, if present, is not ' +
      'in the future (with 30 seconds of clock skew by default); and the lifetime is at most ' +
      'the maximum assertion lifetime (1 hour by default). For an outside token: the ' +
      "trust's other checks.",
  },
  {
    rule: 7,
    title: 'JWT ID',
    names: ['jti', 'jti unused'],
    checks:
      'jti is a string of at most 256 characters (required unless the app waives it) that was ' +
      'never accepted before for this client until its exp. A check only looks: it never uses ' +
      'the jti up.',
  },
  {
    rule: 8,
    title: 'User',
    names: ['user', "condition on claim '…'"],
    checks:
      "sub (or, absent, prn) is the userName of an active user. For an outside token: each of the trust's conditions on the token's claims.",
  },
  {
    rule: 9,
    title: 'Scope',
    names: ['scope'],
    checks:
      "The requested scopes are fully qualified scopes (resource audience + scope value) listed in the app's allowed scopes.",
  },
  {
    rule: 10,
    title: 'Subject mapping',
    names: ['mapping'],
    checks:
      "Outside tokens only: the outside subject names an active user by the trust's subject " +
      'mapping attribute, or a service user by an impersonation rule.',
  },
  {
    rule: 11,
    title: 'DPoP proof',
    names: ['DPoP proof', 'DPoP header', 'DPoP alg', 'DPoP htu', 'DPoP jti unused', '…'],
    checks:
      'When the app requires DPoP-bound tokens, or a proof is given: each check of RFC 9449 4.3 ' +
      'in order, then that the proof was not used before.',
  },
  {
    rule: 12,
    title: 'Outside token use',
    names: ['jti'],
    checks:
      "Outside tokens only: the trust's jti policy (single use, or reusable until exp).",
  },
];
