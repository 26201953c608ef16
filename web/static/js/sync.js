// sync.js: sends the outbox to the server (docs/sync.md). The core, runSync(), has no page
// dependencies so the service worker imports it for Background Sync; startAutoSync() and
// syncNow() are the page's triggers. Only a definite, explained refusal moves an entry to
// "needs attention"; network errors, 5xx and 429 keep it queued with backoff. Nothing is
// deleted until the server has confirmed the record and every one of its photos. A batch
// answered 5xx again and again is sent in halves, then one by one (sync-batches.js), so one
// bad record cannot hold up the others.
// A run sends only the entries of the user the server says is signed in (GET
// /api/offline/me): on a shared phone another user's entries wait for their owner.

import { announce, done, getAll, transaction } from './store.js';
import { apiFetch, AuthRequired, jsonOf, NetworkError, refreshStandards, signedInUser } from './api.js';
import { errorOf, jsonInit, pick, retryOutcome, sendPhotos } from './sync-photos.js';
import { afterServerError, batches, countsAgainstBatch } from './sync-batches.js';

export const SYNC_TAG = 'fieldcheck-outbox';
const LOCK = 'fieldcheck-sync';
const MAX_ROUNDS = 5; // a run repeats while entries are due (e.g. after a 428), at most this often
const REFUSED = new Set([400, 403, 404, 409, 410, 413, 415, 422]); // definite: needs attention

/**
 * Wait before attempt number `attempts + 1`: 1 s, 2 s, 4 s … capped at 5 min, ±20 % jitter
 * so phones that lost the network together do not all come back in the same second.
 * @param {number} attempts attempts made so far (≥ 1)
 * @returns {number} milliseconds
 */
export function backoffMs(attempts) {
  const base = Math.min(300, 2 ** Math.max(0, attempts - 1)) * 1000;
  return Math.round(Math.min(300000, Math.max(1000, base * (0.8 + Math.random() * 0.4))));
}

/** Whether `entry` is sent under user `userId`'s session. Entries saved before entries had
 * an owner belong to whoever signs in next, as they always did. */
export function ownedBy(entry, userId) {
  return !entry.user_id || entry.user_id === userId;
}

/**
 * One sync run under the Web Lock `fieldcheck-sync` (so two tabs, or a tab and the service
 * worker, never send at once; a second caller waits, then usually finds nothing due).
 * @param {{force?: boolean}} [options] force: ignore backoff times (the "Sync now" button,
 *   the `online` event)
 * @returns {Promise<{synced: number, needsAttention: number, retryLater: boolean,
 *   authRequired: boolean, remaining: number}>}
 */
export function runSync(options = {}) {
  const run = () => syncUnlocked(!!options.force);
  if (self.navigator && navigator.locks) return navigator.locks.request(LOCK, run);
  return run();
}

async function syncUnlocked(force) {
  const summary = { synced: 0, needsAttention: 0, retryLater: false, authRequired: false, remaining: 0, userId: null };
  const mine = (e) => !summary.userId || ownedBy(e, summary.userId);
  let started = false;
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let due = await dueEntries(force && round === 0);
      if (!due.length) break;
      if (!summary.userId) {
        await refreshStandards(); // also proves the session is alive (401 → AuthRequired)
        summary.userId = (await signedInUser()).id;
      }
      due = due.filter(mine);
      if (!due.length) break;
      if (!started) {
        started = true;
        announce('sync-state', { state: 'running' });
      }
      await syncRound(due, summary);
    }
  } catch (err) {
    if (err instanceof AuthRequired) summary.authRequired = true;
    else if (err instanceof NetworkError) summary.retryLater = true;
    else throw err;
    // Whatever was in flight goes back to the queue: with backoff after a network error,
    // untouched when the session expired (signing in again is the fix, not waiting).
    const inFlight = (await getAll('outbox')).filter((e) => e.state === 'sending' && mine(e));
    for (const e of inFlight) await settle(e, summary.authRequired ? { kind: 'requeue' } : retryOutcome({ code: 'network' }));
  } finally {
    // Other users' entries are not this session's to send: they do not keep it retrying.
    const left = (await getAll('outbox')).filter(mine);
    summary.remaining = left.filter((e) => e.state !== 'needs_attention').length;
    summary.retryLater = summary.retryLater || summary.remaining > 0;
    if (started || summary.authRequired) announce('sync-state', { state: 'idle', ...summary });
  }
  return summary;
}

/** Entries to send now: queued and due, plus any left "sending" by a run that died. */
async function dueEntries(ignoreBackoff) {
  const now = Date.now();
  const all = await getAll('outbox');
  return all
    .filter((e) => e.state === 'sending' || (e.state === 'queued' && (ignoreBackoff || (e.next_attempt_at || 0) <= now)))
    .sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}

async function syncRound(due, summary) {
  // Mark them "sending" so every tab's status bar can say so.
  await transaction(['outbox'], 'readwrite', async (s) => {
    for (const e of due) {
      const cur = await done(s.outbox.get(e.id));
      if (cur && cur.rev === e.rev) s.outbox.put({ ...cur, state: 'sending' });
    }
  });
  announce('outbox-changed', { reason: 'sending' });

  const photoTrouble = await sendPhotos(due); // sha256 → outcome for photos that failed
  const ready = [];
  for (const e of due) {
    const trouble = e.photos.map((sha) => photoTrouble.get(sha)).find(Boolean);
    if (trouble) await settle(e, trouble, summary);
    else ready.push(e);
  }

  const progress = { recordsDone: 0, recordsTotal: ready.length };
  for (const batch of batches(ready)) {
    const outcomes = await sendRecords(batch);
    for (let j = 0; j < batch.length; j++) {
      const o = outcomes[j];
      // The whole batch got a 5xx: each entry remembers it, and the batch's size.
      if (o.kind === 'retry' && o.wholeBatch && countsAgainstBatch(o.error && o.error.status)) o.batchSize = batch.length;
      await settle(batch[j], o, summary);
    }
    progress.recordsDone += batch.length;
    announce('sync-progress', { phase: 'records', done: progress.recordsDone, total: progress.recordsTotal });
  }
}

// ---- records --------------------------------------------------------------------------

/** POST one batch; one outcome per entry, in order. */
async function sendRecords(batch) {
  const records = batch.map((e) => ({ kind: e.kind, id: e.id, body: e.body }));
  const r = await apiFetch('/api/sync', jsonInit('POST', { records }));
  if (r.ok) {
    const results = (await jsonOf(r)).results || [];
    return batch.map((e, i) => {
      const res = results[i] && results[i].id === e.id ? results[i] : results.find((x) => x.id === e.id);
      return res ? recordOutcome(res) : retryOutcome({ code: 'no_result' });
    });
  }
  const refusal = await jsonOf(r);
  if (isTransient(r, refusal)) {
    const error = await errorOf(r, refusal);
    return batch.map(() => ({ ...retryOutcome(error), wholeBatch: true }));
  }
  // The whole batch was refused (malformed, too large…): send each record alone so one bad
  // record is named and the others still go through.
  const outcomes = [];
  for (const e of batch) {
    const one = await apiFetch(`/api/sync/${encodeURIComponent(e.kind)}/${encodeURIComponent(e.id)}`, jsonInit('PUT', e.body));
    const body = await jsonOf(one);
    if (body.outcome || body.status) outcomes.push(recordOutcome({ status: one.status, ...body }));
    else if (isTransient(one, body)) outcomes.push(retryOutcome(await errorOf(one, body)));
    else outcomes.push({ kind: 'attention', error: await errorOf(one, body) });
  }
  return outcomes;
}

function recordOutcome(res) {
  const status = Number(res.status);
  if (status === 200 || status === 201) return { kind: 'synced', result: res.result };
  if (status === 428) return { kind: 'photos_missing', missing: res.missing || [], error: pick(res, status) };
  if (REFUSED.has(status)) return { kind: 'attention', error: pick(res, status) };
  return retryOutcome(pick(res, status));
}

/** Not a verdict on the records: the server is down or busy, the endpoint missing (a 404
 * or 405 with no record outcome: a deploy in progress), or the CSRF cookie still stale. */
function isTransient(r, body) {
  if (r.status >= 500 || r.status === 429 || r.status === 408) return true;
  if ((r.status === 404 || r.status === 405) && !body.outcome) return true;
  return r.status === 403 && body.code === 'csrf_failed';
}

// ---- applying an outcome to the stored entry ------------------------------------------

/**
 * Write the outcome of sending `sent` (the snapshot taken before sending). If the entry was
 * changed meanwhile (retry with a corrected body, or deleted), the outcome is stale: the
 * newer version stays as it is and goes out on the next run.
 */
async function settle(sent, outcome, summary = {}) {
  await transaction(['outbox', 'photos', 'meta'], 'readwrite', async (s) => {
    const cur = await done(s.outbox.get(sent.id));
    if (!cur || cur.rev !== sent.rev) return;
    const now = Date.now();
    if (outcome.kind === 'synced') {
      s.outbox.delete(cur.id);
      // The due list still counts it until the next rounds data has it (rounds-page.js):
      // one small meta row per record, never one shared list.
      if (cur.kind === 'inspection') {
        s.meta.put({ key: `synced_inspection:${cur.id}`, value: { asset_id: cur.body.asset_id, observed_at: cur.body.observed_at } });
      }
      // Photos go too, unless another entry still names them.
      const others = (await done(s.outbox.getAll())).filter((e) => e.id !== cur.id);
      const kept = new Set(others.flatMap((e) => e.photos));
      for (const sha of cur.photos) if (!kept.has(sha)) s.photos.delete(sha);
      summary.synced = (summary.synced || 0) + 1;
    } else if (outcome.kind === 'attention') {
      s.outbox.put({ ...cur, state: 'needs_attention', attempts: cur.attempts + 1, last_error: outcome.error, last_attempt_at: now });
      summary.needsAttention = (summary.needsAttention || 0) + 1;
    } else if (outcome.kind === 'requeue') {
      s.outbox.put({ ...cur, state: 'queued' });
    } else if (outcome.kind === 'photos_missing' && !(await photosOnPhone(s, outcome.missing))) {
      // The body names a photo this phone does not have: waiting will not help.
      s.outbox.put({ ...cur, state: 'needs_attention', attempts: cur.attempts + 1, last_attempt_at: now,
        last_error: { ...outcome.error, code: 'photo_not_on_phone' } });
      summary.needsAttention = (summary.needsAttention || 0) + 1;
    } else {
      // retry, or 428: photos the server lacks go up on the next round, straight away the
      // first times, then with backoff so a server that keeps losing them is not hammered.
      const attempts = cur.attempts + 1;
      const soon = outcome.kind === 'photos_missing' && attempts <= 3;
      // Photos the server asks for go up with the entry next time, even if it did not list them.
      const photos = outcome.kind === 'photos_missing' ? [...new Set([...cur.photos, ...outcome.missing])] : cur.photos;
      const split = outcome.batchSize ? afterServerError(cur, outcome.batchSize) : {};
      s.outbox.put({
        ...cur, ...split, photos, state: 'queued', attempts, last_error: outcome.error || null, last_attempt_at: now,
        next_attempt_at: soon ? 0 : now + backoffMs(attempts),
      });
    }
  });
  announce('outbox-changed', { reason: outcome.kind, id: sent.id });
}

async function photosOnPhone(s, shas) {
  const keys = await Promise.all(shas.map((sha) => done(s.photos.getKey(sha))));
  return keys.every((k) => k !== undefined);
}

// ---- page triggers --------------------------------------------------------------------

let inFlight = null;
let again = null; // options of the run asked for while one was in flight
let timer = null;

/**
 * Sync now from a page: coalesces calls (one run at a time, one more if asked meanwhile),
 * registers Background Sync when something is left to send, and sets a timer for the
 * earliest retry. Safe to call often.
 * @param {{force?: boolean}} [options]
 * @returns {Promise<object>} the run's summary ({offline: true} when offline)
 */
export async function syncNow(options = {}) {
  if (!navigator.onLine) {
    await registerBackgroundSync();
    return { offline: true };
  }
  if (inFlight) {
    again = { force: !!(options.force || (again && again.force)) };
    return inFlight;
  }
  inFlight = (async () => {
    let summary;
    try {
      summary = await runSync(options);
      while (again) { const next = again; again = null; summary = await runSync(next); }
    } catch (err) {
      console.error('fieldcheck sync failed', err);
      summary = { error: String(err) };
    } finally {
      inFlight = null;
    }
    // Signed out: waiting will not help, signing in will (the page load after it syncs).
    if (!summary.authRequired) {
      if (summary.retryLater) await registerBackgroundSync();
      await scheduleRetry(summary.userId);
    }
    return summary;
  })();
  return inFlight;
}

/** Ask the browser to wake the service worker for a sync once it is online (Chromium). */
export async function registerBackgroundSync() {
  try {
    const reg = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration());
    if (reg && reg.sync) await reg.sync.register(SYNC_TAG);
  } catch { /* not supported or not allowed: the page's own triggers still run */ }
}

async function scheduleRetry(userId) {
  clearTimeout(timer);
  const queued = (await getAll('outbox')).filter((e) => e.state === 'queued' && (!userId || ownedBy(e, userId)));
  if (!queued.length) return;
  const next = Math.min(...queued.map((e) => e.next_attempt_at || 0));
  const wait = Math.max(250, next - Date.now());
  if (wait < 60000) timer = setTimeout(() => syncNow(), wait); // the 60 s tick covers the rest
}

let autoSyncStarted = false;

/**
 * Start the page's triggers: now, when the network comes back, when the page becomes
 * visible again and every `periodMs` while open (outbox.enqueue() calls syncNow itself).
 * @param {{periodMs?: number}} [options]
 */
export function startAutoSync({ periodMs = 60000 } = {}) {
  if (autoSyncStarted) return; // several scripts of one page may ask; one set of triggers is enough
  autoSyncStarted = true;
  window.addEventListener('online', () => syncNow({ force: true }));
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') syncNow(); });
  setInterval(() => syncNow(), periodMs);
  syncNow();
}
