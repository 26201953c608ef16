// status.js: the sync status bar on every inspector page — what is waiting (records,
// photos, bytes), what needs attention, a progress bar while syncing, online/offline, the
// "Sync now" button, storage used / quota — plus the "Download for offline" panel.

import { counts } from './outbox.js';
import { syncNow } from './sync.js';
import { getMeta, setMeta } from './store.js';
import { apiFetch, jsonOf, refreshStandards } from './api.js';
import { formatBytes, t } from './i18n.js';

/**
 * Bring the bar (web/templates/inspect/_syncbar.html) to life. Idempotent per element.
 * @param {HTMLElement} root the #fc-syncbar element
 */
export function mountStatusBar(root) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = '1';
  const $ = (sel) => root.querySelector(sel);
  const net = $('[data-net]');
  const waiting = $('[data-waiting]');
  const attention = $('[data-attention]');
  const others = $('[data-others]');
  const progressRow = $('[data-progress]');
  const bar = $('[data-progress-bar]');
  const progressText = $('[data-progress-text]');
  const auth = $('[data-auth]');
  const button = $('[data-sync-now]');

  const showNetwork = () => {
    net.textContent = navigator.onLine ? t('offline.online') : t('offline.offline');
    net.dataset.state = navigator.onLine ? 'online' : 'offline';
  };

  let pending = null; // coalesce bursts of change notices into one IndexedDB read
  const refresh = () => {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      const c = await counts();
      waiting.textContent = c.records
        ? `${t('offline.waiting')}: ${t('offline.records', { n: c.records })} · ${t('offline.photos', { n: c.photos })} · ${formatBytes(c.bytes)}`
        : t('offline.all_synced');
      waiting.dataset.records = c.records;
      waiting.dataset.photos = c.photos;
      waiting.dataset.bytes = c.bytes;
      attention.hidden = !c.needsAttention;
      attention.textContent = t('offline.needs_attention', { n: c.needsAttention });
      attention.dataset.count = c.needsAttention;
      // Another user's records on this phone: shown, never sent under this user's account.
      others.hidden = !c.others.length;
      others.textContent = c.others.map((o) => t('offline.others_waiting', { n: o.records, user: o.name })).join(' · ');
      others.dataset.records = c.others.reduce((n, o) => n + o.records, 0);
      auth.hidden = !(await getMeta('auth_required'));
    }, 50);
  };

  const showProgress = (detail) => {
    progressRow.hidden = false;
    if (!detail || !detail.total) {
      bar.removeAttribute('value'); // indeterminate until the first figures arrive
      progressText.textContent = t('offline.syncing');
      return;
    }
    bar.value = Math.min(1, detail.done / detail.total);
    progressText.textContent = detail.phase === 'photos'
      ? t('offline.sending_photos', { done: formatBytes(detail.done), total: formatBytes(detail.total) })
      : t('offline.sending_records', { done: detail.done, total: detail.total });
  };

  window.addEventListener('online', showNetwork);
  window.addEventListener('offline', showNetwork);
  window.addEventListener('fieldcheck:outbox-changed', refresh);
  window.addEventListener('fieldcheck:sync-progress', (e) => showProgress(e.detail));
  window.addEventListener('fieldcheck:sync-state', (e) => {
    const running = e.detail && e.detail.state === 'running';
    root.dataset.syncing = running ? '1' : '';
    if (running) showProgress(null);
    else { progressRow.hidden = true; showStorage(root); }
    refresh();
  });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try { await syncNow({ force: true }); } finally { button.disabled = false; refresh(); }
  });

  showNetwork();
  refresh();
  recheckSession().then(refresh);
  askForPersistence().then(() => showStorage(root));
  const panel = root.querySelector('details.sb-offline');
  // The download code is fetched when the panel is first opened, not with every page.
  if (panel) {
    panel.addEventListener('toggle', () => {
      if (panel.open) showEstimate(panel);
      if (!panel.open || panel.dataset.mounted) return;
      panel.dataset.mounted = '1';
      const download = panel.querySelector('[data-download]');
      download.disabled = true; // until its code has arrived
      import('./offline.js').then((m) => {
        m.mountOfflineDownload(panel, () => showStorage(root));
        download.disabled = false;
        panel.dataset.ready = '1';
      });
    });
  }
}

/** The size of "download for offline", shown beside the button before it is tapped (asked of
 * the server each time the panel opens: /api/offline/estimate, with the same `since` the
 * download will send, so an update shows the size of the update). */
export async function showEstimate(panel) {
  const el = panel.querySelector('[data-download-size]');
  if (!el || !navigator.onLine) return;
  try {
    const since = await getMeta('bundle_generated_at');
    const r = await apiFetch(`/api/offline/estimate${since ? `?since=${encodeURIComponent(since)}` : ''}`);
    if (!r.ok) return;
    const e = await jsonOf(r);
    el.textContent = t(since ? 'offline.update_size' : 'offline.download_size', {
      size: formatBytes(e.bytes), assets: e.assets, defects: e.open_defects, pages: e.pages,
    });
    el.dataset.bytes = String(e.bytes);
  } catch {
    // offline or signed out: the size is shown after the download instead
  }
}

/** After "sign in again", the old warning goes as soon as the session is seen to work. */
async function recheckSession() {
  if (navigator.onLine && (await getMeta('auth_required'))) await refreshStandards().catch(() => {});
}

/** Ask once for storage the browser will not evict under pressure (the outbox lives there). */
async function askForPersistence() {
  if (!navigator.storage || !navigator.storage.persist) return;
  if (await navigator.storage.persisted()) return;
  if (await getMeta('persist_requested')) return;
  await setMeta('persist_requested', new Date().toISOString());
  await navigator.storage.persist().catch(() => false);
}

/** "Storage on this phone: 3.1 MB of 1.2 GB (kept persistently)". */
export async function showStorage(root) {
  const el = root.querySelector('[data-storage]');
  if (!el || !navigator.storage || !navigator.storage.estimate) return;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const kept = navigator.storage.persisted ? await navigator.storage.persisted() : false;
  el.textContent = `${t('offline.storage', { used: formatBytes(usage), quota: formatBytes(quota) })} ${t(kept ? 'offline.persistent' : 'offline.not_persistent')}`;
  el.dataset.usage = usage;
}
