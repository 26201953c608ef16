// offline.js: "Download for offline" (docs/sync.md §3). Stores the bundle of the inspector's
// zones (assets, zones, open defects) and the standards in IndexedDB, and the few pages needed
// to find and inspect assets in the service worker's page cache. Later downloads ask only
// for what changed since the last bundle (?since=) and drop what was removed.

import { announce, done, getMeta, setMeta, transaction } from './store.js';
import { apiFetch, jsonOf, refreshStandards } from './api.js';
import { ASSET_SHELL_URL, PAGES_CACHE, pageCacheKey } from './cache-names.js';
import { formatBytes, formatTime, t } from './i18n.js';

const PAGE_FETCHES_AT_ONCE = 4;
const PAGE_BYTES_GUESS = 15000; // until the first page is measured

/**
 * Download (or update) everything the inspector's zones need offline.
 * @param {{onProgress?: (p: {phase: 'estimate'|'pages', done?: number, total?: number,
 *   estimateBytes?: number, assets?: number, pages?: number, usageBefore?: number}) => void}} [options]
 * @returns {Promise<{incremental: boolean, assets: number, zones: number, defects: number,
 *   pages: number, pagesFailed: number, usageBefore: number, usageAfter: number,
 *   generatedAt: string}>}
 */
export async function downloadForOffline({ onProgress = () => {} } = {}) {
  const usageBefore = await storageUsage();
  const since = await getMeta('bundle_generated_at');
  const response = await apiFetch(`/api/offline/bundle${since ? `?since=${encodeURIComponent(since)}` : ''}`);
  if (!response.ok) {
    const err = await jsonOf(response);
    throw new Error(err.message || `HTTP ${response.status}`);
  }
  const text = await response.text();
  const bundle = JSON.parse(text);
  const incremental = !!since;

  // Where each asset's form lives: every category needs its form page once.
  const { assetCount, defectCount, categories } = await storeBundle(bundle, incremental);
  const pages = bundle.pages || pagesFor(bundle, categories);
  const estimateBytes = new Blob([text]).size + pages.length * PAGE_BYTES_GUESS;
  onProgress({ phase: 'estimate', estimateBytes, assets: (bundle.assets || []).length, pages: pages.length, usageBefore });

  await refreshStandards();
  const { saved, failed } = await cachePages(pages, (n) => onProgress({ phase: 'pages', done: n, total: pages.length }));
  await precacheShell();

  const summary = {
    incremental, assets: assetCount, zones: (bundle.zones || []).length, defects: defectCount,
    pages: saved, pagesFailed: failed, usageBefore, usageAfter: await storageUsage(), generatedAt: bundle.generated_at,
  };
  await setMeta('offline_download', { ...summary, at: new Date().toISOString() });
  announce('offline-changed', summary);
  return summary;
}

/** Write the bundle in one transaction: a full download replaces, a `since` one merges. */
function storeBundle(bundle, incremental) {
  return transaction(['assets', 'zones', 'defects', 'meta'], 'readwrite', async (s) => {
    if (!incremental) { s.assets.clear(); s.zones.clear(); s.defects.clear(); }
    for (const z of bundle.zones || []) s.zones.put(z);
    for (const a of bundle.assets || []) {
      if (a.active === false) s.assets.delete(a.id);
      else s.assets.put(a);
    }
    for (const d of bundle.open_defects || []) s.defects.put(d);
    const removed = bundle.removed || {};
    for (const id of removed.assets || []) s.assets.delete(id);
    for (const id of removed.defects || []) s.defects.delete(id);
    s.meta.put({ key: 'bundle_generated_at', value: bundle.generated_at });
    s.meta.put({ key: 'bundle_standards_version', value: bundle.standards_version });
    // How close counts as a likely duplicate: the phone warns from this data, offline too.
    s.meta.put({ key: 'duplicate_distance_m', value: bundle.duplicate_distance_m });
    // The rounds data (schedules, emergency rounds, recent inspections): the due list (rounds-page.js).
    if (bundle.rounds) s.meta.put({ key: 'rounds', value: bundle.rounds });
    const assets = await done(s.assets.getAll());
    const categories = new Map();
    for (const a of assets) if (!categories.has(a.category)) categories.set(a.category, a.id);
    return { assetCount: assets.length, defectCount: await done(s.defects.count()), categories };
  });
}

/** The pages to keep when the bundle does not list them: the inspector's pages, the one
 * asset page filled from the stored assets (the shell: see pageCacheKey), and one inspection
 * form per category (kept without its ?asset= query, it serves every asset of the category). */
function pagesFor(bundle, categories) {
  const pages = ['/inspect', '/inspect/assets', '/inspect/assets/new', '/inspect/outbox', ASSET_SHELL_URL, '/standards'];
  for (const [category, assetId] of categories) pages.push(`/inspect/form/${category}?asset=${assetId}`);
  return pages;
}

async function cachePages(urls, progress) {
  const cache = await caches.open(PAGES_CACHE);
  // Pages kept per asset by an older version: the shell stands for them now.
  for (const request of await cache.keys()) {
    if (/^\/inspect\/assets\/[0-9a-f-]{36}$/i.test(new URL(request.url).pathname)) await cache.delete(request);
  }
  let saved = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++];
      try {
        const r = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' } });
        // Redirects (an expired session going to /login) and errors are not pages to keep.
        if (r.ok && !r.redirected) { await cache.put(pageCacheKey(url), r); saved++; } else failed++;
      } catch { failed++; }
      progress(saved + failed);
    }
  };
  await Promise.all(Array.from({ length: PAGE_FETCHES_AT_ONCE }, worker));
  return { saved, failed };
}

/** Ask the service worker to fetch any shell file it lacks (it owns the static cache). */
async function precacheShell() {
  if (!navigator.serviceWorker) return;
  const reg = await navigator.serviceWorker.getRegistration();
  const worker = reg && (reg.active || reg.waiting || reg.installing);
  if (!worker) return;
  await new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(resolve, 30000);
    channel.port1.onmessage = () => { clearTimeout(timer); resolve(); };
    worker.postMessage({ type: 'precache-missing' }, [channel.port2]);
  });
}

async function storageUsage() {
  if (!navigator.storage || !navigator.storage.estimate) return NaN;
  return (await navigator.storage.estimate()).usage || 0;
}

/**
 * The "Offline data" panel of the sync bar: the button, progress, before/after sizes.
 * @param {HTMLElement} panel the <details> in the sync bar
 * @param {() => void} [onDone] called after a download (e.g. to refresh the storage line)
 */
export function mountOfflineDownload(panel, onDone = () => {}) {
  const button = panel.querySelector('[data-download]');
  const bar = panel.querySelector('[data-download-progress]');
  const status = panel.querySelector('[data-download-status]');
  const last = panel.querySelector('[data-last-download]');

  const showLast = async () => {
    const d = await getMeta('offline_download');
    last.textContent = d ? t('offline.last_download', { time: formatTime(d.at) }) : t('offline.never_downloaded');
  };

  button.addEventListener('click', async () => {
    if (!navigator.onLine) { status.textContent = t('offline.need_online'); return; }
    button.disabled = true;
    bar.hidden = false;
    bar.removeAttribute('value');
    panel.dataset.state = 'running';
    let estimate = '';
    try {
      const s = await downloadForOffline({
        onProgress: (p) => {
          if (p.phase === 'estimate') {
            estimate = t('offline.download_estimate', {
              size: formatBytes(p.estimateBytes), assets: p.assets, pages: p.pages, used: formatBytes(p.usageBefore),
            });
            status.textContent = estimate;
          } else {
            bar.value = p.total ? p.done / p.total : 1;
            status.textContent = `${estimate} ${t('offline.downloading_pages', { done: p.done, total: p.total })}`;
          }
        },
      });
      status.textContent = t('offline.download_done', {
        assets: s.assets, defects: s.defects, pages: s.pages, before: formatBytes(s.usageBefore), after: formatBytes(s.usageAfter),
      }) + (s.pagesFailed ? ` ${t('offline.download_pages_failed', { n: s.pagesFailed })}` : '');
      panel.dataset.state = 'done';
    } catch (err) {
      status.textContent = t('offline.download_failed', { reason: err.message || String(err) });
      panel.dataset.state = 'failed';
    } finally {
      button.disabled = false;
      bar.hidden = true;
      showLast();
      onDone();
    }
  });
  showLast();
}
