// cache-names.js: the Cache Storage names and page keys shared by the service worker and
// the page (offline.js), so both write to the same caches. Bump VERSION only when the way
// things are cached changes: every cache not named here is deleted when the SW activates.
// (Static file *contents* need no bump: server/pwa.py stamps sw.js with their digest.)

export const VERSION = 'v1';
/** The app shell: every file under /static plus the manifest and the offline page. */
export const STATIC_CACHE = `fieldcheck-static-${VERSION}`;
/** Inspector pages, kept as last seen online or fetched by "Download for offline". */
export const PAGES_CACHE = `fieldcheck-pages-${VERSION}`;
export const CACHES = [STATIC_CACHE, PAGES_CACHE];
/** Shown for a page that is neither reachable nor cached. */
export const OFFLINE_URL = '/offline';

/** Pages the service worker keeps as they are visited: the field pages of inspectors and
 * contractors. (Any page a script puts in PAGES_CACHE is served offline too.) */
export function isOfflinePage(pathname) {
  return ['/inspect', '/contractor'].some((p) => pathname === p || pathname.startsWith(`${p}/`)) || pathname === '/standards';
}

/** The one page kept for every asset: filled on the phone from the stored bundle. */
export const ASSET_SHELL_URL = '/inspect/assets/shell';
const ASSET_PAGE = /^\/inspect\/assets\/[0-9a-f-]{36}\/?$/i;

/** An asset's own page (`/inspect/assets/<id>`): offline it is the shell, never a copy. */
export function isAssetPage(pathname) {
  return ASSET_PAGE.test(pathname);
}

/**
 * The cache key of a page URL: path and query, except that the inspection form of a
 * category is one page whatever the asset (`/inspect/form/<category>?asset=…`): it is kept
 * and looked up without its query string; and every asset page is looked up as the shell.
 * @param {string|URL} url
 * @returns {string}
 */
export function pageCacheKey(url) {
  const u = new URL(url, self.location.origin);
  if (u.pathname.startsWith('/inspect/form/')) return u.pathname;
  if (isAssetPage(u.pathname)) return ASSET_SHELL_URL;
  return u.pathname + u.search;
}
