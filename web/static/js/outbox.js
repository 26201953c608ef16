// outbox.js: the one capture path. Every save — online or offline — becomes one outbox
// entry plus its photo blobs, written in one IndexedDB transaction; sync.js sends them.
// Entry: {id, kind, body, photos: [sha256], state, attempts, last_error, next_attempt_at,
//         created_at, updated_at, rev, bytes, user_id, user_name}  (docs/sync.md §4)
// Each entry belongs to the user who captured it: on a shared phone the sync loop sends only
// the signed-in user's entries (sync.js), and the others wait for their owner to sign in.

import { announce, deviceId, done, getAll, transaction } from './store.js';
import { ownedBy, syncNow } from './sync.js';

// The kinds the sync API takes (docs/sync.md): inspections, new assets, and contractors'
// work-order completions.
const KINDS = new Set(['inspection', 'asset', 'completion', 'hazard']);
const SHA256 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WAITING = new Set(['queued', 'sending']);

/** The user this page was rendered for, {id, name} (base.html), or null on a signed-out page. */
export function pageUser() {
  const data = typeof document !== 'undefined' && document.body ? document.body.dataset : {};
  return data.userId ? { id: data.userId, name: data.userName || '' } : null;
}

/**
 * Save a record for sending. Photos are stored under their SHA-256 in the `photos` store and
 * the entry (state "queued") in `outbox`, in ONE transaction: both or neither. Then every tab
 * hears `fieldcheck:outbox-changed` and the sync loop is asked to run.
 * Enqueueing an id that is already in the outbox replaces that entry (same id, new body and
 * photos: how a corrected entry is saved again); photos no entry names any more are dropped.
 * The entry belongs to the page's signed-in user (a corrected one to whoever captured it).
 * @param {{kind: 'inspection'|'asset'|'completion', id?: string, body: object,
 *   photos?: Array<{sha256: string, blob: Blob, type?: string, size?: number,
 *   taken_at?: string, lat?: number|null, lon?: number|null}>}} record
 *   id: the record's UUID (made here when absent); photos: the blobs the body names.
 * @returns {Promise<{id: string, state: 'queued'}>}
 */
export async function enqueue({ kind, id, body, photos = [] }) {
  if (!KINDS.has(kind)) throw new TypeError(`unknown record kind: ${kind}`);
  const owner = pageUser();
  if (!owner) throw new Error('no signed-in user on this page: nothing can be saved for sending');
  id = id || crypto.randomUUID();
  if (!UUID.test(id)) throw new TypeError(`record id must be a UUID: ${id}`);
  if (!body || typeof body !== 'object') throw new TypeError('body must be an object');
  for (const p of photos) {
    if (!SHA256.test(p.sha256 || '')) throw new TypeError(`photo sha256 must be 64 lowercase hex: ${p.sha256}`);
    if (!(p.blob instanceof Blob)) throw new TypeError(`photo ${p.sha256} has no blob`);
  }
  await deviceId(); // made now, not in the middle of a sync
  const now = new Date().toISOString();
  const shas = [...new Set(photos.map((p) => p.sha256))];
  const bytes = jsonBytes(body) + photos.reduce((n, p) => n + p.blob.size, 0);
  await transaction(['outbox', 'photos'], 'readwrite', async (s) => {
    const prev = await done(s.outbox.get(id));
    for (const p of photos) {
      s.photos.put({
        sha256: p.sha256, blob: p.blob, type: p.type || p.blob.type || 'image/jpeg', size: p.size || p.blob.size,
        taken_at: p.taken_at || now, lat: p.lat ?? null, lon: p.lon ?? null,
      });
    }
    s.outbox.put({
      id, kind, body, photos: shas, state: 'queued', attempts: 0, last_error: null, next_attempt_at: 0,
      created_at: prev ? prev.created_at : now, updated_at: now, rev: prev ? (prev.rev || 0) + 1 : 1, bytes,
      user_id: (prev && prev.user_id) || owner.id, user_name: (prev && prev.user_name) || owner.name,
    });
    if (prev) await dropUnusedPhotos(s, prev.photos.filter((sha) => !shas.includes(sha)), id);
  });
  announce('outbox-changed', { reason: 'enqueue', id });
  syncNow().catch(() => {});
  return { id, state: 'queued' };
}

/**
 * What is waiting on this phone, for the status bar.
 * @param {string|undefined} [userId] the signed-in user (the page's, by default)
 * @returns {Promise<{records: number, photos: number, bytes: number, needsAttention: number,
 *   others: {userId: string, name: string, records: number}[]}>}
 *   records/photos/bytes: the user's entries still to send (queued or sending) and their
 *   photos; needsAttention: the user's entries the server refused, kept until fixed or
 *   deleted; others: entries of other users, waiting for them to sign in.
 */
export async function counts(userId = pageUser()?.id) {
  const entries = await getAll('outbox');
  const mine = entries.filter((e) => ownedBy(e, userId));
  const waiting = mine.filter((e) => WAITING.has(e.state));
  const others = new Map();
  for (const e of entries) {
    if (ownedBy(e, userId)) continue;
    const o = others.get(e.user_id) || { userId: e.user_id, name: e.user_name || e.user_id, records: 0 };
    o.records += 1;
    others.set(e.user_id, o);
  }
  return {
    records: waiting.length,
    photos: waiting.reduce((n, e) => n + e.photos.length, 0),
    bytes: waiting.reduce((n, e) => n + (e.bytes || 0), 0),
    needsAttention: mine.filter((e) => e.state === 'needs_attention').length,
    others: [...others.values()],
  };
}

/** @returns {Promise<object[]>} every outbox entry, oldest first (no photo blobs). */
export async function list() {
  const entries = await getAll('outbox');
  return entries.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}

/** @returns {Promise<object|undefined>} one outbox entry (e.g. to reload a body to fix). */
export async function entry(id) {
  return transaction(['outbox'], 'readonly', (s) => done(s.outbox.get(id)));
}

/**
 * Delete an entry and the photos only it names. Irreversible: the UI asks first.
 * @param {string} id
 */
export async function remove(id) {
  await transaction(['outbox', 'photos'], 'readwrite', async (s) => {
    const cur = await done(s.outbox.get(id));
    if (!cur) return;
    s.outbox.delete(id);
    await dropUnusedPhotos(s, cur.photos, id);
  });
  announce('outbox-changed', { reason: 'remove', id });
}

/**
 * Send an entry again — typically one under "needs attention", with a corrected body. The id
 * stays the same (it is the idempotency key); attempts and the error are reset.
 * @param {string} id
 * @param {object} [newBody] the corrected body; the stored one when omitted
 */
export async function retry(id, newBody) {
  await transaction(['outbox'], 'readwrite', async (s) => {
    const cur = await done(s.outbox.get(id));
    if (!cur) throw new Error(`no outbox entry ${id}`);
    const body = newBody || cur.body;
    s.outbox.put({
      ...cur, body, state: 'queued', attempts: 0, last_error: null, next_attempt_at: 0,
      updated_at: new Date().toISOString(), rev: (cur.rev || 0) + 1,
      bytes: cur.bytes - jsonBytes(cur.body) + jsonBytes(body),
    });
  });
  announce('outbox-changed', { reason: 'retry', id });
  syncNow({ force: true }).catch(() => {});
}

/**
 * The entry as a downloadable file: JSON with the record and its photos in base64, so
 * nothing is lost even if the phone is wiped before the entry can be sent.
 * @param {string} id
 * @returns {Promise<Blob>} application/json
 */
export async function exportEntry(id) {
  const { cur, photos } = await transaction(['outbox', 'photos'], 'readonly', async (s) => {
    const e = await done(s.outbox.get(id));
    if (!e) throw new Error(`no outbox entry ${id}`);
    return { cur: e, photos: await Promise.all(e.photos.map((sha) => done(s.photos.get(sha)))) };
  });
  const files = [];
  for (const p of photos.filter(Boolean)) {
    const { blob, ...meta } = p;
    files.push({ ...meta, base64: await toBase64(blob) });
  }
  const doc = {
    format: 'fieldcheck-outbox-entry/1', exported_at: new Date().toISOString(), device_id: await deviceId(),
    entry: cur, photos: files,
  };
  return new Blob([JSON.stringify(doc, null, 1)], { type: 'application/json' });
}

async function dropUnusedPhotos(s, shas, exceptId) {
  if (!shas.length) return;
  const others = (await done(s.outbox.getAll())).filter((e) => e.id !== exceptId);
  const used = new Set(others.flatMap((e) => e.photos));
  for (const sha of shas) if (!used.has(sha)) s.photos.delete(sha);
}

function jsonBytes(value) {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

async function toBase64(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
