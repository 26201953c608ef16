// orders.js: the contractor's pages, on a phone that may have no signal.
// - Every contractor page: what waits on this phone to be sent, a "Sync now" button and the
//   sync triggers (the same outbox and sync loop as the inspector's pages).
// - The orders list: each assigned order's page is stored for reading offline.
// - An order's page: "after" photos from the camera with the phone's position and time,
//   checked against the defects' positions before saving; completing writes one outbox
//   entry of kind `completion` (docs/sync.md; server/workorders/completion.py judges it).

import * as outbox from './outbox.js';
import { syncNow, startAutoSync } from './sync.js';
import { PAGES_CACHE, pageCacheKey } from './cache-names.js';
import { distanceMetres } from './finder-logic.js';
import { isoWithOffset } from './records.js';
import { PhotoList } from './photos.js';
import { pageWords, watchGps } from './gps.js';
import { t } from './i18n.js';

const bar = document.getElementById('wo-sync');
const words = pageWords();

// ---- what waits to be sent --------------------------------------------------------------

async function showWaiting() {
  if (!bar) return;
  const net = bar.querySelector('[data-net]');
  net.textContent = navigator.onLine ? t('offline.online') : t('offline.offline');
  net.dataset.state = navigator.onLine ? 'online' : 'offline';
  const c = await outbox.counts();
  const parts = [];
  if (c.records) parts.push(t('offline.wo_waiting', { n: c.records }));
  if (c.needsAttention) parts.push(t('offline.wo_attention', { n: c.needsAttention }));
  for (const o of c.others) parts.push(t('offline.others_waiting', { n: o.records, user: o.name }));
  bar.querySelector('[data-waiting]').textContent = parts.join(' · ') || t('offline.wo_all_synced');
}

if (bar) {
  bar.querySelector('[data-sync-now]').addEventListener('click', () => syncNow({ force: true }));
  for (const type of ['online', 'offline']) window.addEventListener(type, showWaiting);
  window.addEventListener('fieldcheck:outbox-changed', showWaiting);
  showWaiting();
  startAutoSync();
}

// ---- the orders list: keep each order's page for offline reading ---------------------------

async function keepOrderPages() {
  const links = [...document.querySelectorAll('a[data-offline-page]')];
  if (!links.length || !self.caches || !navigator.onLine) return;
  const cache = await caches.open(PAGES_CACHE);
  let kept = 0;
  for (const url of [location.pathname, ...links.map((a) => a.getAttribute('href'))]) {
    try {
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-cache' });
      if (response.ok && !response.redirected) {
        await cache.put(pageCacheKey(new URL(url, location.origin)), response);
        kept += 1;
      }
    } catch { return; } // the network went: keep what we have
  }
  const note = bar && bar.querySelector('[data-cached]');
  if (note) note.textContent = t('offline.wo_readable', { n: kept - 1 });
}

keepOrderPages();

// ---- one order: completing it with proof of fix --------------------------------------------

const form = document.getElementById('complete-form');
const stateBox = document.getElementById('completion-state');
const defects = [...document.querySelectorAll('.fix-item')].map((li) => ({
  id: li.dataset.defect, lat: Number(li.dataset.lat), lon: Number(li.dataset.lon), el: li,
}));

/** The nearest defect of the order to a point, and how far it is in metres. */
export function nearestDefect(lat, lon) {
  let best = null;
  for (const d of defects) {
    const m = distanceMetres(lat, lon, d.lat, d.lon);
    if (!best || m < best.m) best = { defect: d, m };
  }
  return best;
}

function fill(template, values) {
  return Object.entries(values).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, String(v)), template || '');
}

async function showEntryState() {
  const orderId = stateBox && stateBox.dataset.orderId;
  if (!orderId) return;
  const mine = (await outbox.list()).filter((e) => e.kind === 'completion' && e.body.work_order_id === orderId);
  const last = mine[mine.length - 1];
  if (!last) {
    if (stateBox.dataset.entry) {
      stateBox.textContent = words.entrySynced;
      stateBox.dataset.state = 'synced';
      stateBox.hidden = false;
    }
    return;
  }
  stateBox.dataset.entry = last.id;
  stateBox.dataset.state = last.state;
  stateBox.textContent = last.state === 'needs_attention'
    ? fill(words.entryAttention, { reason: (last.last_error && (last.last_error.message || last.last_error.code)) || '?' })
    : words.entryQueued;
  stateBox.hidden = false;
  if (form && last.state !== 'needs_attention') form.hidden = true;
}

if (form) {
  const limit = Number(form.dataset.limitM);
  const issuedAt = new Date(form.dataset.issuedAt);
  const errorBox = document.getElementById('complete-error');
  const checks = document.getElementById('photo-checks');
  let position = null;

  watchGps(document.getElementById('gps-status'), words, (fix) => {
    position = fix;
    for (const d of defects) {
      const out = d.el.querySelector('[data-distance]');
      if (out) out.textContent = fill(words.metresAway, { m: Math.round(distanceMetres(fix.lat, fix.lon, d.lat, d.lon)) });
    }
  });

  /** Why a photo would be refused, or null: no position, too far, or older than the order. */
  const problemOf = (p) => {
    if (p.lat == null || p.lon == null) return words.noPosition;
    const near = nearestDefect(p.lat, p.lon);
    if (near && near.m > limit) return fill(words.tooFar, { m: Math.round(near.m), limit });
    if (new Date(p.taken_at) <= issuedAt) return words.beforeOrder;
    return null;
  };

  const photos = new PhotoList(form.querySelector('.photos'), {
    getPosition: () => position,
    words,
    onError: (text) => { errorBox.textContent = text; errorBox.hidden = false; },
    onChange: () => {
      checks.replaceChildren(...photos.items.map((p, i) => {
        const li = document.createElement('li');
        const problem = problemOf(p);
        const near = p.lat != null ? nearestDefect(p.lat, p.lon) : null;
        li.dataset.ok = String(!problem);
        li.textContent = `${words.photo} ${i + 1}: ${problem || fill(words.nearEnough, { m: Math.round(near ? near.m : 0) })}`;
        return li;
      }));
    },
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    if (!photos.items.length) {
      errorBox.textContent = words.needPhoto;
      errorBox.hidden = false;
      return;
    }
    const problems = photos.items.map(problemOf).filter(Boolean);
    if (problems.length) {
      errorBox.textContent = problems[0];
      errorBox.hidden = false;
      return;
    }
    const button = document.getElementById('complete');
    button.disabled = true;
    const body = {
      work_order_id: form.dataset.orderId,
      completed_at: isoWithOffset(new Date()),
      notes: form.elements.notes.value.trim(),
      photos: photos.items.map((p) => ({ sha256: p.sha256, lat: p.lat, lon: p.lon, taken_at: p.taken_at })),
      position: position ? { lat: position.lat, lon: position.lon, accuracy_m: position.accuracy_m } : null,
    };
    try {
      await outbox.enqueue({ kind: 'completion', id: crypto.randomUUID(), body, photos: photos.items });
      photos.clear();
      form.hidden = true;
      stateBox.dataset.entry = 'new';
      await showEntryState();
    } catch (error) {
      console.error(error);
      errorBox.textContent = `${words.saveFailed}${error && error.message ? error.message : error}`;
      errorBox.hidden = false;
      button.disabled = false;
    }
  });
}

if (stateBox) {
  window.addEventListener('fieldcheck:outbox-changed', showEntryState);
  showEntryState();
}
