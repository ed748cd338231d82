// The Applications screen's data: the app and certificate shapes the admin API answers
// (docs/http-api.md section 6), the request bodies the screen sends, and the fully qualified
// scope rule (section 4). No rendering here.

/** One scope of a resource app, as GET /admin/v1/Apps renders it. */
export interface ResourceScope {
  value: string;
  fqs: string;
}

/** An app as the admin API renders it (confidential and resource fields both optional). */
export interface App {
  id: string;
  displayName: string;
  description?: string;
  active: boolean;
  isOAuthClient?: boolean;
  isOAuthResource?: boolean;
  accessTokenExpiry?: number;
  // Resource apps.
  audience?: string;
  scopes?: ResourceScope[];
  // Confidential apps.
  name?: string;
  allowedGrants?: string[];
  allowedScopes?: { fqs: string }[];
  certificates?: { certAlias: string }[];
  allowedOperations?: string[];
  isAdmin?: boolean;
  dpopBoundAccessTokens?: boolean;
  tlsClientCertificateBoundAccessTokens?: boolean;
  tlsClientAuthSubjectDn?: string;
  tlsClientAuthSanDns?: string;
}

/** The answer to a creation: a confidential app carries its client secret, this once. */
export interface CreatedApp extends App {
  clientSecret?: string;
}

/** The answer of POST /admin/v1/AppClientSecretRegenerator. */
export interface RegeneratedSecret {
  appId: string;
  name: string;
  clientSecret: string;
}

/** A client certificate apps attach by alias (GET /admin/v1/OAuthClientCertificates). */
export interface ClientCertificate {
  certificateAlias: string;
  notAfter: string;
  x5t: string;
  'x5t#S256': string;
}

/** A client id and secret to show once; only ever held in component state. */
export interface OneTimeSecret {
  appName: string;
  clientId: string;
  clientSecret: string;
}

export const APPS_PATH = '/admin/v1/Apps';
export const CLIENT_CERTIFICATES_PATH = '/admin/v1/OAuthClientCertificates';

export const GRANTS: readonly { value: string; label: string }[] = [
  { value: 'client_credentials', label: 'Client credentials' },
  {
    value: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    label: 'JWT bearer assertion (RFC 7523)',
  },
  {
    value: 'urn:ietf:params:oauth:grant-type:token-exchange',
    label: 'Token exchange (RFC 8693)',
  },
];

export const OPERATIONS: readonly { value: string; label: string }[] = [
  { value: 'introspect', label: 'Introspect any token' },
  { value: 'trustToken', label: 'Mint trust tokens' },
];

/** The short name of a grant for the list ("jwt-bearer" for the URN). */
export function grantLabel(grant: string): string {
  const prefix = 'urn:ietf:params:oauth:grant-type:';
  return grant.startsWith(prefix) ? grant.slice(prefix.length) : grant;
}

/**
 * The fully qualified scope: the audience followed directly by the value, concatenated as
 * given, with nothing trimmed or inserted (contract section 4; the server renders `fqs` so).
 */
export function fullyQualifiedScope(audience: string, value: string): string {
  return audience + value;
}

export function isResource(app: App): boolean {
  return app.isOAuthResource === true;
}

export function kindLabel(app: App): string {
  return isResource(app) ? 'Resource' : 'Confidential client';
}

/**
 * Every scope the resource apps define, by fqs: what a confidential app may be allowed. Two
 * resource apps may form the same fqs; it is one choice then, naming both.
 */
export function availableScopes(apps: readonly App[]): { fqs: string; app: string }[] {
  const byFqs = new Map<string, string[]>();
  for (const a of apps) {
    if (!isResource(a)) continue;
    for (const s of a.scopes ?? []) byFqs.set(s.fqs, [...(byFqs.get(s.fqs) ?? []), a.displayName]);
  }
  return Array.from(byFqs, ([fqs, names]) => ({ fqs, app: names.join(', ') }));
}

/** The URL of one app in this screen (the deep link the list and the detail panel share). */
export function appLink(id: string | null): string {
  return id === null ? '/console/apps' : `/console/apps?id=${encodeURIComponent(id)}`;
}

/** The URL of a creation form: `client` (confidential) or `resource`. */
export function newAppLink(kind: 'client' | 'resource'): string {
  return `/console/apps?new=${kind}`;
}

/** `/admin/v1/Apps/{id}` with the id escaped (ids are UUIDs, escaped anyway). */
export function appPath(id: string): string {
  return `${APPS_PATH}/${encodeURIComponent(id)}`;
}

/** A SCIM PatchOp (RFC 7644 3.5.2) replacing top-level attributes of an app. */
export function replacePatch(value: Record<string, unknown>): object {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', value }],
  };
}

/**
 * A lifetime field's text: undefined when empty (the server's default), the number when it is
 * a whole number, else the text itself, so that the server's answer names the rule it breaks.
 */
export function parseSeconds(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^[0-9]{1,10}$/.test(t) ? Number(t) : t;
}
