// after-save.js: where the inspection form goes once a record is in the outbox. Its own
// page (the asset's) when the phone can show it: kept in the page cache, or reachable now;
// otherwise a page the phone does have (the finder, the outbox, home), with "#saved" so it
// confirms the save. When the phone has none of them, the form confirms the save itself.

import { PAGES_CACHE, pageCacheKey } from './cache-names.js';

const FALLBACKS = ['/inspect/assets', '/inspect/outbox', '/inspect'];
const PROBE_MS = 4000;

async function cached(path) {
  if (!('caches' in self)) return false;
  try {
    return !!(await caches.match(pageCacheKey(path), { cacheName: PAGES_CACHE, ignoreVary: true }));
  } catch {
    return false;
  }
}

/** Does the server answer for `path` now (a page, not a redirect to sign-in)? */
async function reachable(path) {
  if (!navigator.onLine) return false;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), PROBE_MS);
  try {
    const r = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'text/html' }, signal: stop.signal,
                                  cache: 'no-store' });
    return r.ok && !r.redirected;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The page to open after a save, with "#saved", or null when the phone has no page to go to.
 * @param {string} wanted the page the form would return to (path only)
 * @returns {Promise<string|null>}
 */
export async function pageAfterSave(wanted) {
  if ((await cached(wanted)) || (await reachable(wanted))) return `${wanted}#saved`;
  for (const path of FALLBACKS) if (path !== wanted && (await cached(path))) return `${path}#saved`;
  return null;
}
