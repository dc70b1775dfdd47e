// One fetch wrapper for both apps. The session lives in the server's
// HttpOnly cookie, so requests carry credentials and never store a token on disk.

const BASE = '/api/v1/';

/** An error answer from the server, decoded from application/problem+json. */
export class ApiError extends Error {
  constructor(status, problem = {}, retryAfter = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || '';
    this.detail = problem.detail || '';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.requestId = problem.request_id || '';
    this.retryAfter = retryAfter;
  }

  /** Field errors as {field: message}, ready to show beside form fields. */
  fieldErrors() {
    const out = {};
    for (const e of this.errors) if (e && e.field && !out[e.field]) out[e.field] = e.message;
    return out;
  }
}

let unauthorizedHandler = null;
/** Called when any request (other than login itself) answers 401. */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/** Builds /api/v1/PATH?query, leaving out empty values so filters stay optional. */
export function apiUrl(path, query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    qs.append(k, String(v));
  }
  const s = qs.toString();
  return BASE + path.replace(/^\/+/, '') + (s ? `?${s}` : '');
}

/**
 * Calls the API. Resolves with the decoded JSON (null for 204), rejects with ApiError.
 * opts: {query, body, contentType, quiet401}
 */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.body !== undefined) {
    if (typeof Blob !== 'undefined' && opts.body instanceof Blob) {
      // Raw bytes (photos): sent as they are, typed by the file itself.
      body = opts.body;
      headers['Content-Type'] = opts.contentType || opts.body.type || 'application/octet-stream';
    } else if (typeof opts.body === 'string') {
      body = opts.body;
      headers['Content-Type'] = opts.contentType || 'text/plain; charset=utf-8';
    } else {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
  }
  let res;
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
    });
  } catch (e) {
    // Network failure: make it look like a problem answer so callers have one path.
    throw new ApiError(0, { detail: '' });
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (type.includes('json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  } else {
    data = await res.text();
  }
  if (!res.ok) {
    const retry = res.headers.get('Retry-After');
    const err = new ApiError(res.status, data && typeof data === 'object' ? data : {}, retry ? Number(retry) : null);
    if (res.status === 401 && !opts.quiet401 && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  return data;
}

export const get = (path, query, opts = {}) => api('GET', path, { ...opts, query });
export const post = (path, body, opts = {}) => api('POST', path, { ...opts, body });
export const patch = (path, body, opts = {}) => api('PATCH', path, { ...opts, body });
export const put = (path, body, opts = {}) => api('PUT', path, { ...opts, body });

/** Lists come as {items,next_cursor,total}; a few endpoints answer a bare array. */
export function listOf(data) {
  if (Array.isArray(data)) return { items: data, next_cursor: null, total: data.length };
  if (data && Array.isArray(data.items)) {
    return {
      items: data.items,
      next_cursor: data.next_cursor ?? null,
      total: typeof data.total === 'number' ? data.total : null,
    };
  }
  return { items: [], next_cursor: null, total: 0 };
}
