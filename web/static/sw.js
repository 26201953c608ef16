// sw.js: fieldcheck's service worker (a module worker, scope /), served by server/pwa.py.
// In the manner of the GoogleChrome "custom offline page" sample: versioned caches, the app
// shell precached on install, pages network-first with the cached copy (or an offline page)
// as fallback, static files cache-first, only GETs cached, old caches deleted on activate.
// It also runs the outbox sync when Background Sync wakes it.

import { CACHES, OFFLINE_URL, PAGES_CACHE, STATIC_CACHE, isAssetPage, isOfflinePage, pageCacheKey } from '/static/js/cache-names.js';
import { runSync, SYNC_TAG } from '/static/js/sync.js';

// server/pwa.py replaces this line with a digest of web/static and the list of its files,
// so changing any static file changes this script and the browser installs the update.
const BUILD = { id: 'dev', files: [] };

const SLOW_NETWORK_MS = 5000; // weak signal: serve the cached page rather than wait longer

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

/** Download the shell (bypassing the HTTP cache); write only once every file has arrived. */
async function precache({ onlyMissing = false } = {}) {
  const cache = await caches.open(STATIC_CACHE);
  const urls = [...BUILD.files, OFFLINE_URL];
  const todo = onlyMissing ? (await Promise.all(urls.map(async (u) => ((await cache.match(u)) ? null : u)))).filter(Boolean) : urls;
  const responses = await Promise.all(todo.map(async (url) => {
    const response = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
    if (!response.ok) throw new Error(`precache ${url}: HTTP ${response.status}`);
    return [url, response];
  }));
  await Promise.all(responses.map(([url, response]) => cache.put(url, response)));
  // Files no longer in the app go; pages in PAGES_CACHE are left alone.
  for (const request of await cache.keys()) {
    if (!urls.includes(new URL(request.url).pathname)) await cache.delete(request);
  }
  return todo.length;
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (!CACHES.includes(name)) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return; // writes always go to the network, untouched
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // API answers and photos are never cached here: the phone's data lives in IndexedDB.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/photos/')) return;
  if (BUILD.files.includes(url.pathname) || url.pathname.startsWith('/static/')) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === 'navigate' && !request.headers.has('HX-Request')) {
    // htmx fragment requests are left to the network: a cached fragment must never be
    // served as a whole page (the back-button trap).
    event.respondWith(networkFirst(event, url));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: STATIC_CACHE, ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') {
    const copy = response.clone();
    caches.open(STATIC_CACHE).then((c) => c.put(request, copy));
  }
  return response;
}

async function networkFirst(event, url) {
  const key = pageCacheKey(url);
  // An asset page seen online is not kept: offline, the shell shows the asset from the
  // stored bundle instead (one page for thousands of assets: see offline.js).
  const keep = isOfflinePage(url.pathname) && !isAssetPage(url.pathname);
  const fromNetwork = fetch(event.request).then((response) => {
    // Keep only whole, successful inspector pages: never a redirect to /login or an error.
    if (keep && response.ok && !response.redirected && response.type === 'basic') {
      const copy = response.clone();
      event.waitUntil(caches.open(PAGES_CACHE).then((c) => c.put(key, copy)));
    }
    return response;
  });
  const cached = await caches.match(key, { cacheName: PAGES_CACHE, ignoreVary: true });
  try {
    const response = await (cached ? Promise.race([fromNetwork, timeout(SLOW_NETWORK_MS)]) : fromNetwork);
    if (response && !(response.status >= 500 && cached)) return response;
  } catch { /* offline: fall through to the copies */ }
  return cached || (await caches.match(OFFLINE_URL, { ignoreVary: true })) ||
    new Response('offline', { status: 503, headers: { 'Content-Type': 'text/plain' } });
}

function timeout(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

// Background Sync: the browser wakes us when the network is back. Entries still in their
// backoff wait (a struggling server is not hit twice as hard); a rejected promise asks the
// browser to try again later (its own backoff) while entries wait.
self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(runSync().then((summary) => {
    if (summary.retryLater && !summary.authRequired) throw new Error('outbox not empty; retry later');
  }));
});

// "Download for offline" asks for any shell file that is missing to be fetched now.
self.addEventListener('message', (event) => {
  if (!event.data || event.data.type !== 'precache-missing') return;
  const reply = (msg) => event.ports[0] && event.ports[0].postMessage(msg);
  event.waitUntil(precache({ onlyMissing: true }).then(
    (fetched) => reply({ ok: true, fetched, files: BUILD.files.length + 1 }),
    (err) => reply({ ok: false, error: String(err) }),
  ));
});
