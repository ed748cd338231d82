// What the Dashboard shows, computed from the admin API's answers (no request here): the
// active signing key, the certificates expiring soon, the inactive apps, and the token failures
// as bar widths.

export interface SigningKey {
  kid: string;
  alg: string;
  state: string; // active | retired | revoked | expired
  createdAt: number; // seconds since the epoch
}

export interface Certificate {
  certificateAlias: string;
  notAfter: string; // RFC 3339
  notBefore?: string;
  subject?: string;
}

export interface App {
  id: string;
  name?: string; // a confidential app's client id
  displayName: string;
  active: boolean;
  isOAuthResource?: boolean;
}

export interface FailureReason {
  reason: string;
  count: number;
  rule?: number;
}

export interface TokenFailureSummary {
  since: number;
  until: number;
  total: number;
  reasons: FailureReason[];
}

export const DAY = 24 * 3600;
// Certificates expiring within this many days are listed.
export const EXPIRY_WINDOW_DAYS = 30;

export interface ExpiringCertificate {
  kind: 'client' | 'partner';
  alias: string;
  notAfter: string;
  // Whole days from now to notAfter, rounded down; negative once expired.
  daysLeft: number;
}

export function activeKey(keys: SigningKey[]): SigningKey | undefined {
  return keys.find((k) => k.state === 'active');
}

// The certificates of either kind that expire within EXPIRY_WINDOW_DAYS of `now` (seconds) or
// have expired, soonest first.
export function expiringCertificates(
  client: Certificate[],
  partner: Certificate[],
  now: number,
): ExpiringCertificate[] {
  const out: ExpiringCertificate[] = [];
  const add = (kind: 'client' | 'partner', certs: Certificate[]) => {
    for (const c of certs) {
      const end = Date.parse(c.notAfter) / 1000;
      if (Number.isNaN(end)) continue;
      if (end - now <= EXPIRY_WINDOW_DAYS * DAY) {
        const daysLeft = Math.floor((end - now) / DAY);
        out.push({ kind, alias: c.certificateAlias, notAfter: c.notAfter, daysLeft });
      }
    }
  };
  add('client', client);
  add('partner', partner);
  return out.sort((a, b) => a.daysLeft - b.daysLeft || a.alias.localeCompare(b.alias));
}

export function daysLeftText(days: number): string {
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  if (days === 0) return 'expires today';
  return `${days} day${days === 1 ? '' : 's'} left`;
}

export function inactiveApps(apps: App[]): App[] {
  return apps.filter((a) => !a.active).sort((a, b) => a.displayName.localeCompare(b.displayName));
}

// A bar's width class: bar-0 .. bar-20, in steps of 5 % of the largest count (at least one step
// for a count above zero, so that every failure shows).
export function barClass(count: number, max: number): string {
  if (max <= 0 || count <= 0) return 'bar-0';
  return `bar-${Math.max(1, Math.round((count / max) * 20))}`;
}

// The Audit screen filtered to one reason's refusals.
export function auditLinkFor(reason: string): string {
  return `/console/audit?${new URLSearchParams({ reason, outcome: 'rejected' }).toString()}`;
}
