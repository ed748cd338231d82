// The validity badge of a certificate: valid, expires in N days (under 30), expired, not yet
// valid. The times are the admin API's RFC 3339 strings.

import type { Tone } from '../ui';

export interface Validity {
  tone: Tone;
  text: string;
}

// A certificate expiring within this many days is flagged (the dashboard uses the same span).
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86400 * 1000;

export function certificateValidity(notBefore: string, notAfter: string, nowMs: number): Validity {
  const end = Date.parse(notAfter);
  const start = Date.parse(notBefore);
  if (Number.isNaN(end) || Number.isNaN(start)) return { tone: 'muted', text: 'validity unknown' };
  if (nowMs < start) return { tone: 'warn', text: 'not yet valid' };
  if (end <= nowMs) return { tone: 'bad', text: 'expired' };
  // Whole days left, rounded up: a certificate made with -days 10 shows "10 days" all day.
  const days = Math.ceil((end - nowMs) / DAY_MS);
  if (days < EXPIRY_WARNING_DAYS)
    return { tone: 'warn', text: `expires in ${days} ${days === 1 ? 'day' : 'days'}` };
  return { tone: 'ok', text: 'valid' };
}
