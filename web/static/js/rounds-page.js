// rounds-page.js: the due list on /inspect (docs/rounds.md). Computed on the phone by
// rounds-logic.js from the offline bundle (assets, and its `rounds` section kept in meta
// `rounds`) plus this phone's own inspections — those in the outbox, and those synced since
// the rounds data was fetched — so an inspection saved offline counts at once. Online, the
// rounds data is fetched fresh first (how a new emergency round reaches the phone); with no
// downloaded data the server's list (/api/rounds/due, the same computation) is shown.

import { dueList } from './rounds-logic.js';
import { getAll, getMeta, setMeta, transaction } from './store.js';
import { t } from './i18n.js';

const REFRESH_MS = 60000;
const section = document.getElementById('due-list');

if (section) {
  const list = section.querySelector('[data-due-items]');
  const left = section.querySelector('[data-due-left]');
  const source = section.querySelector('[data-due-source]');
  let position = null;
  let running = false;

  const render = (result, from) => {
    list.replaceChildren(...result.items.map((item) => {
      const li = document.createElement('li');
      li.className = `due-item due-${item.state}`;
      li.dataset.asset = item.asset_id;
      li.dataset.state = item.state;
      li.dataset.code = item.code;
      const a = document.createElement('a');
      a.href = `/inspect/assets/${item.asset_id}`;
      a.textContent = item.code;
      const tag = document.createElement('span');
      tag.className = 'due-state';
      tag.textContent = t(`due.state_${item.state}`);
      li.append(a, ' ', tag);
      if (item.window) li.append(` ${item.window.from}–${item.window.to}`);
      return li;
    }));
    if (!result.items.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = t('due.none');
      list.append(li);
    }
    left.textContent = t('due.left', { n: result.counts.left });
    section.dataset.left = String(result.counts.left);
    section.dataset.today = result.today;
    source.textContent = t(from === 'from_server' ? 'due.from_server' : 'due.from_bundle');
    section.dataset.ready = from;
  };

  /** Fetch the rounds data afresh when online; keep what we had otherwise. */
  const refresh = async () => {
    if (!navigator.onLine) return;
    try {
      const r = await fetch('/api/rounds/state', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!r.ok || r.redirected) return;
      const state = await r.json();
      await setMeta('rounds', state);
      // What the fresh data holds no longer needs remembering from this phone's syncs.
      const known = new Set(state.inspections.map((i) => `${i.asset_id}|${Date.parse(i.observed_at)}`));
      await transaction(['meta'], 'readwrite', async (s) => {
        for (const row of await getAll('meta')) {
          if (!row.key.startsWith('synced_inspection:')) continue;
          if (known.has(`${row.value.asset_id}|${Date.parse(row.value.observed_at)}`)) s.meta.delete(row.key);
        }
      });
    } catch { /* offline after all: the stored data serves */ }
  };

  const compute = async () => {
    if (running) return;
    running = true;
    try {
      const rounds = await getMeta('rounds');
      if (!rounds) {
        if (!navigator.onLine) { source.textContent = t('due.unavailable'); return; }
        const q = position ? `?lat=${position.lat}&lon=${position.lon}` : '';
        const r = await fetch(`/api/rounds/due${q}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (r.ok) render(await r.json(), 'from_server');
        return;
      }
      const [assets, outbox, meta] = await Promise.all([getAll('assets'), getAll('outbox'), getAll('meta')]);
      const mine = document.body.dataset.userId;
      const inspections = [...rounds.inspections];
      for (const e of outbox) {
        if (e.kind === 'inspection' && (!mine || e.user_id === mine)) inspections.push({ asset_id: e.body.asset_id, observed_at: e.body.observed_at });
      }
      for (const row of meta) if (row.key.startsWith('synced_inspection:')) inspections.push(row.value);
      const started = performance.now();
      const result = dueList({ ...rounds, now: new Date().toISOString(), assets, inspections, position });
      section.dataset.ms = (performance.now() - started).toFixed(1);
      render(result, 'from_bundle');
    } finally {
      running = false;
    }
  };

  const again = () => compute().catch((err) => console.warn('fieldcheck: due list', err));
  refresh().finally(again);
  for (const type of ['outbox-changed', 'offline-changed', 'sync-state']) window.addEventListener(`fieldcheck:${type}`, again);
  window.addEventListener('online', () => refresh().finally(again));
  setInterval(() => refresh().finally(again), REFRESH_MS);
  if ('geolocation' in navigator) {
    navigator.geolocation.getCurrentPosition((p) => {
      position = { lat: p.coords.latitude, lon: p.coords.longitude };
      again();
    }, () => {}, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
}
