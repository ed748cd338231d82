// The console's one way to the server: same-origin fetch with the session cookie.
//
// Contract (used by every screen):
//   api<T>(method, path, body?)  resolves to the parsed JSON answer (undefined for 204), or
//                                rejects with ApiError {status, detail, body}. Every request other
//                                than GET and HEAD carries X-Tessera-CSRF: 1, which the server
//                                requires of a session request (a page of another site cannot
//                                send it). A 401 (no live session) sends the browser to
//                                /console/login, which comes back here after signing in.
//   apiList<T>(path)             the Resources of a SCIM ListResponse.
// Nothing is ever stored in the browser: the session is the HttpOnly cookie alone.

export class ApiError extends Error {
  readonly status: number;
  // The SCIM `detail`, the console's `detail`, or OAuth's `error_description`: a sentence for
  // the operator.
  readonly detail: string;
  // The parsed JSON body of the answer, when it had one.
  readonly body: unknown;

  constructor(status: number, detail: string, body: unknown) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

export interface ListResponse<T> {
  totalResults: number;
  startIndex?: number;
  itemsPerPage?: number;
  Resources?: T[];
}

const LOGIN_PATH = '/console/login';

// The page to come back to after signing in: a console path only (never another site).
export function safeNext(next: string | null): string {
  if (next && next.startsWith('/console/') && !next.startsWith('//') && !next.includes('\\')) {
    return next;
  }
  return '/console/';
}

export function loginUrl(): string {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname === LOGIN_PATH) return LOGIN_PATH + window.location.search;
  return `${LOGIN_PATH}?next=${encodeURIComponent(safeNext(here))}`;
}

function detailOf(status: number, body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const key of ['detail', 'error_description', 'error']) {
      const v = b[key];
      if (typeof v === 'string' && v !== '') return v;
    }
  }
  return fallback || `The server answered ${status}.`;
}

async function parseBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface RequestOptions {
  // A 401 goes to the sign-in page unless this is false (the sign-in form itself).
  redirectOn401?: boolean;
  // Extra request headers.
  headers?: Record<string, string>;
}

// The general form of api(): the sign-in page uses it to see its own 401.
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Tessera-CSRF'] = '1';
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'The server could not be reached.', undefined);
  }
  const parsed = await parseBody(response);
  if (response.status === 401 && options.redirectOn401 !== false) {
    window.location.assign(loginUrl());
  }
  if (!response.ok) {
    throw new ApiError(response.status, detailOf(response.status, parsed, response.statusText), parsed);
  }
  return (response.status === 204 ? undefined : parsed) as T;
}

export function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body);
}

export async function apiList<T>(path: string): Promise<T[]> {
  const list = await api<ListResponse<T>>('GET', path);
  return list?.Resources ?? [];
}

// The signed-in operator (GET /console/api/session).
export interface Session {
  id: string;
  userName: string;
  role: string;
  expiresAt: number;
  idleExpiresAt: number;
}
