// The outside-issuer trust form's text fields turned into the fields of
// /admin/v1/IdentityPropagationTrusts (docs/federation.md, "A trust, field by field"). Only what
// the operator filled in is sent: the server applies its defaults to the rest and validates the
// whole trust, answering the first fault by the field's name.

export type KeySource = 'jwks' | 'discovery' | 'certificate';

export interface TrustFormValues {
  name: string;
  issuer: string;
  keySource: KeySource;
  publicKeyEndpoint: string;
  publicCertificate: string;
  audiences: string;
  subjectType: 'User' | 'App';
  oauthClients: string;
  subjectClaimName: string;
  subjectMappingAttribute: 'userName' | 'email' | 'id';
  active: boolean;
  clientClaimName: string;
  clientClaimValues: string;
  conditions: string;
  allowedScopes: string;
  clockSkewSeconds: string;
  maxTokenLifetime: string;
  jti: 'required' | 'reuse-until-exp';
  allowImpersonation: boolean;
  impersonationServiceUsers: string;
}

export const EMPTY_TRUST_FORM: TrustFormValues = {
  name: '',
  issuer: '',
  keySource: 'jwks',
  publicKeyEndpoint: '',
  publicCertificate: '',
  audiences: '',
  subjectType: 'User',
  oauthClients: '',
  subjectClaimName: '',
  subjectMappingAttribute: 'userName',
  active: false,
  clientClaimName: '',
  clientClaimValues: '',
  conditions: '',
  allowedScopes: '',
  clockSkewSeconds: '',
  maxTokenLifetime: '',
  jti: 'required',
  allowImpersonation: false,
  impersonationServiceUsers: '',
};

// Values of a list field: one per line (commas also separate, as none of these values holds one).
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

// "claim in a, b" or "claim like glob*", one condition per line.
export function parseConditions(text: string): unknown[] {
  return lines(text).map((line, i) => {
    const m = /^(\S+)\s+(in|like)\s+(.+)$/.exec(line);
    if (m === null) {
      throw new Error(`Conditions, line ${i + 1}: write "claim in value1, value2" or "claim like pattern*"`);
    }
    return m[2] === 'in'
      ? {
          claim: m[1],
          in: m[3]
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v !== ''),
        }
      : { claim: m[1], like: m[3].trim() };
  });
}

// "<user id> <rule>", one service user per line: the rule is `claim eq "value"` joined by `and`.
export function parseImpersonation(text: string): { value: string; rule: string }[] {
  return lines(text).map((line, i) => {
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (m === null)
      throw new Error(
        `Impersonation service users, line ${i + 1}: write the user id, a space, then the rule`,
      );
    return { value: m[1], rule: m[2] };
  });
}

function integer(label: string, text: string): number | undefined {
  if (text.trim() === '') return undefined;
  if (!/^\d+$/.test(text.trim())) throw new Error(`${label}: a whole number of seconds`);
  return Number(text.trim());
}

// The POST body for the form's values; throws an Error naming the field the operator must fix.
export function trustBody(v: TrustFormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {
    schemas: ['urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust'],
    name: v.name.trim(),
    type: 'JWT',
    issuer: v.issuer.trim(),
    active: v.active,
    audiences: splitList(v.audiences),
    subjectType: v.subjectType,
    subjectMappingAttribute: v.subjectMappingAttribute,
    oauthClients: splitList(v.oauthClients),
    jti: v.jti,
  };
  if (v.keySource === 'jwks') body.publicKeyEndpoint = v.publicKeyEndpoint.trim();
  if (v.keySource === 'certificate') body.publicCertificate = v.publicCertificate.trim();
  if (v.subjectClaimName.trim() !== '') body.subjectClaimName = v.subjectClaimName.trim();
  if (v.clientClaimName.trim() !== '') body.clientClaimName = v.clientClaimName.trim();
  const clientValues = splitList(v.clientClaimValues);
  if (clientValues.length > 0) body.clientClaimValues = clientValues;
  const conditions = parseConditions(v.conditions);
  if (conditions.length > 0) body.conditions = conditions;
  const scopes = lines(v.allowedScopes);
  if (scopes.length > 0) body.allowedScopes = scopes;
  const skew = integer('Clock skew', v.clockSkewSeconds);
  if (skew !== undefined) body.clockSkewSeconds = skew;
  const lifetime = integer('Maximum token lifetime', v.maxTokenLifetime);
  if (lifetime !== undefined) body.maxTokenLifetime = lifetime;
  if (v.allowImpersonation) {
    body.allowImpersonation = true;
    body.impersonationServiceUsers = parseImpersonation(v.impersonationServiceUsers);
  }
  return body;
}
