// SCIM list paging (RFC 7644 section 3.4.2.4) for screens that need every record of a kind.
import { api } from '../api';

interface ListResponse<T> {
  totalResults?: number;
  itemsPerPage?: number;
  Resources?: T[];
}

// The server's largest page (count); asking for more is refused.
const PAGE = 1000;
// A domain with more records than this is not listed whole in a browser.
const MAX_PAGES = 20;

// Every record under path (which has no query of its own), page by page.
export async function listAll<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const list = await api<ListResponse<T>>('GET', `${path}?startIndex=${out.length + 1}&count=${PAGE}`);
    const got = list.Resources ?? [];
    out.push(...got);
    if (got.length < PAGE) break;
  }
  return out;
}

// A SCIM PatchOp replacing one top-level attribute (RFC 7644 section 3.5.2.3).
export function replaceOp(path: string, value: unknown) {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', path, value }],
  };
}

// A filter "attribute eq value" as the admin API reads it: the value between double quotes,
// taken literally (the server has no escapes, so a value holding '"' cannot be filtered on).
export function eqFilter(attribute: string, value: string): string {
  return `filter=${encodeURIComponent(`${attribute} eq "${value}"`)}`;
}
