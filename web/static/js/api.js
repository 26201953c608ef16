// api.js: calls to the server's JSON API with the headers docs/sync.md asks for.
// Used by the page and by the service worker, so no `document` at import time.

import { deviceId, getMeta, setMeta } from './store.js';
import { isoWithOffset } from './records.js';
import { mergeVersions, observedDay, pickVersion } from './standards-pick.js';

const CSRF_COOKIE = 'fc_csrf';

/** The sync run cannot go on: the session is gone (401). Everything stays queued. */
export class AuthRequired extends Error {}

/** The network (or the server) did not answer: retry later, nothing definite. */
export class NetworkError extends Error {}

async function csrfToken() {
  // Pages can read the cookie directly; the service worker has the Cookie Store API.
  if (typeof document !== 'undefined') {
    const m = document.cookie.match(/(?:^|;\s*)fc_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : null;
  }
  if (self.cookieStore) {
    const c = await self.cookieStore.get(CSRF_COOKIE);
    return c ? c.value : null;
  }
  return null;
}

async function forgetCsrfCookie() {
  if (typeof document !== 'undefined') document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/`;
  else if (self.cookieStore) await self.cookieStore.delete(CSRF_COOKIE);
}

/**
 * fetch() for the API: same-origin cookies, no HTTP cache, X-Device-Id always, X-CSRFToken
 * on writes. A missing or stale CSRF cookie (the server's secret changed) is renewed once
 * with a GET, which makes the server set a fresh one. Throws NetworkError when no answer
 * came, AuthRequired on 401; otherwise returns the Response whatever its status.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function apiFetch(path, init = {}) {
  const method = (init.method || 'GET').toUpperCase();
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(init.headers || {});
    headers.set('X-Device-Id', await deviceId());
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    if (method !== 'GET' && method !== 'HEAD') {
      let token = await csrfToken();
      if (!token) { await refreshCsrf(); token = await csrfToken(); }
      if (token) headers.set('X-CSRFToken', token);
    }
    let response;
    try {
      response = await fetch(path, { ...init, method, headers, credentials: 'same-origin', cache: 'no-store' });
    } catch (err) {
      throw new NetworkError(err && err.message ? err.message : 'network error');
    }
    if (response.status === 401) {
      await setMeta('auth_required', true);
      throw new AuthRequired('sign in again');
    }
    if (response.status === 403 && attempt === 0 && method !== 'GET') {
      const body = await response.clone().json().catch(() => ({}));
      if (body.code === 'csrf_failed') { await forgetCsrfCookie(); await refreshCsrf(); continue; }
    }
    return response;
  }
}

/** Any GET makes the server set a CSRF cookie when there is none; this one is cheap (304). */
async function refreshCsrf() {
  await refreshStandards().catch(() => {});
}

/**
 * Fetch the standards versions the phone keeps (If-None-Match the stored ETag): the one in
 * force and every scheduled one (`GET /api/standards/set`). Kept in `meta` as
 * `standards_set` (every version, merged with those kept before), `standards` (the one in
 * force today on this phone) and `standards_set_etag`. Also tells whether the session is alive.
 * @returns {Promise<boolean>} true when a new set was stored
 */
export async function refreshStandards() {
  const etag = await getMeta('standards_set_etag');
  const headers = etag ? { 'If-None-Match': etag } : {};
  const response = await apiFetch('/api/standards/set', { headers });
  if (response.status !== 304 && !response.ok) throw new NetworkError(`standards: HTTP ${response.status}`);
  if ((await getMeta('auth_required')) !== false) await setMeta('auth_required', false);
  if (response.status === 304) return false;
  const { versions } = await response.json();
  const today = observedDay(isoWithOffset(new Date()));
  const kept = mergeVersions(await getMeta('standards_set'), versions, today);
  await setMeta('standards_set', kept);
  await setMeta('standards', pickVersion(kept, today));
  await setMeta('standards_set_etag', response.headers.get('ETag'));
  return true;
}

/**
 * Who the server says is signed in on this phone now: the only user whose outbox entries
 * may be sent under this session. AuthRequired when nobody is.
 * @returns {Promise<{id: string, username: string, display_name: string, role: string}>}
 */
export async function signedInUser() {
  const response = await apiFetch('/api/offline/me');
  if (!response.ok) throw new NetworkError(`who is signed in: HTTP ${response.status}`);
  return response.json();
}

/** The JSON body of a response, or {} when it has none or is not JSON. */
export async function jsonOf(response) {
  try { return await response.json(); } catch { return {}; }
}
