import { ApiError } from '../shared/errors.ts';
import { CSRF_HEADER, type SessionInfo } from '../shared/session.ts';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A browser stand-in for the gateway tests: keeps the session cookie, sends the CSRF token on
 * state-changing requests as the SPA does, and decodes JSON.
 */
export class GatewayClient {
  cookie = '';
  csrf = '';

  constructor(readonly base: string) {}

  async login(address: string, password: string): Promise<ApiResponse<SessionInfo>> {
    const response = await this.request<SessionInfo>('POST', '/api/session', { address, password });
    if (response.status === 201) this.csrf = response.body.csrfToken;
    return response;
  }

  async request<T = any>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.cookie) headers.cookie = this.cookie;
    if (method !== 'GET' && this.csrf && !(CSRF_HEADER in extraHeaders)) headers[CSRF_HEADER] = this.csrf;
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) payload = new Blob([new Uint8Array(body)]);
    else if (body !== undefined) {
      headers['content-type'] ??= 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(this.base + path, { method, headers, body: payload, redirect: 'manual' });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0]!;
      this.cookie = /=$/.test(pair) || /Max-Age=0/i.test(setCookie) ? '' : pair;
    }
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('application/json') ? await response.json() : await response.text();
    // Every JSON failure must be the typed error shape from shared/, whatever went wrong.
    if (response.status >= 400 && type.includes('application/json')) ApiError.parse(parsed);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
}

export function folderUrl(folder: string): string {
  return `/api/folders/${encodeURIComponent(folder)}`;
}
