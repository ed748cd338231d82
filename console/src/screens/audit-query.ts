// The Audit screen's filters and the URL query that keeps them (so that a link opens a filtered
// view): clientId, outcome, reason, since, until (seconds) and count, the names the admin API's
// GET /admin/v1/AuditEvents takes.

export interface AuditFilters {
  clientId: string;
  outcome: string;
  reason: string;
  since: string; // seconds since the epoch, as text; '' when open
  until: string;
  count: string;
}

export const COUNTS = ['25', '50', '100', '200'];
export const DEFAULT_COUNT = '50';

const KEYS: (keyof AuditFilters)[] = ['clientId', 'outcome', 'reason', 'since', 'until', 'count'];

export function filtersFrom(search: URLSearchParams): AuditFilters {
  const get = (k: string) => (search.get(k) ?? '').trim();
  const epoch = (k: string) => (/^\d{1,10}$/.test(get(k)) ? get(k) : '');
  const count = get('count');
  return {
    clientId: get('clientId'),
    outcome: get('outcome'),
    reason: get('reason'),
    since: epoch('since'),
    until: epoch('until'),
    count: COUNTS.includes(count) ? count : DEFAULT_COUNT,
  };
}

// The query of the filters, without the empty ones nor the default count ('' when none).
export function queryOf(f: AuditFilters): string {
  const q = new URLSearchParams();
  for (const k of KEYS) {
    if (f[k] !== '' && !(k === 'count' && f[k] === DEFAULT_COUNT)) q.set(k, f[k]);
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

// The admin API's listing for the filters (the count always given).
export function apiPathOf(f: AuditFilters): string {
  const q = new URLSearchParams();
  for (const k of KEYS) if (f[k] !== '') q.set(k, f[k]);
  if (!q.has('count')) q.set('count', DEFAULT_COUNT);
  return `/admin/v1/AuditEvents?${q.toString()}`;
}

// A datetime-local value (read as UTC, the time every screen shows) to seconds, and back.
export function epochOfLocal(value: string): string {
  if (value === '') return '';
  const ms = Date.parse(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(ms) ? '' : String(Math.floor(ms / 1000));
}

export function localOfEpoch(epoch: string): string {
  if (epoch === '') return '';
  const d = new Date(Number(epoch) * 1000);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 19);
}

// The code part of an event's reason ("assertion_expired: assertion expired at ..."), and the
// detail after it.
export function splitReason(reason: string): { code: string; detail: string } {
  const i = reason.indexOf(':');
  if (i < 0) return { code: reason, detail: '' };
  return { code: reason.slice(0, i), detail: reason.slice(i + 1).trim() };
}
