// store.js: the phone's IndexedDB database `fieldcheck` (docs/sync.md §4).
// One object store per kind of thing, so the page and the service worker each write small
// records and never rewrite one big shared key. Works in a page and in the service worker.

const DB_NAME = 'fieldcheck';
const DB_VERSION = 1;

// store name → key path. `meta` holds {key, value} pairs (standards, bundle time, device id).
const STORES = {
  outbox: 'id',
  photos: 'sha256',
  assets: 'id',
  zones: 'id',
  defects: 'id',
  meta: 'key',
};

let dbPromise = null;

/**
 * Open (and create or upgrade) the database. The connection is shared per page/worker.
 * @returns {Promise<IDBDatabase>}
 */
export function openDb() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const [name, keyPath] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(name)) {
          const store = db.createObjectStore(name, { keyPath });
          if (name === 'outbox') store.createIndex('state', 'state');
          if (name === 'assets') store.createIndex('zone_id', 'zone_id');
          if (name === 'defects') store.createIndex('asset_id', 'asset_id');
        }
      }
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab or a new service worker wants a newer schema: let it, reopen next time.
      db.onversionchange = () => { db.close(); dbPromise = null; };
      resolve(db);
    };
    req.onerror = () => { dbPromise = null; reject(req.error); };
    req.onblocked = () => console.warn('fieldcheck: database upgrade waits for other tabs to close');
  });
  return dbPromise;
}

/** A request's result as a promise. */
export function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Run `fn(stores)` inside one transaction over `names`; resolves with fn's result once the
 * transaction has committed (so callers never report success for a write that rolled back).
 * @param {string[]} names object store names
 * @param {'readonly'|'readwrite'} mode
 * @param {(stores: Object<string, IDBObjectStore>, tx: IDBTransaction) => any} fn
 */
export async function transaction(names, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: 'strict' });
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    Promise.resolve()
      .then(() => fn(stores, tx))
      .then((r) => { result = r; }, (err) => { try { tx.abort(); } catch { /* already done */ } reject(err); });
  });
}

/** @returns {Promise<any>} the record under `key` in `store`, or undefined. */
export function get(store, key) {
  return transaction([store], 'readonly', (s) => done(s[store].get(key)));
}

/** @returns {Promise<any[]>} every record of `store`, in key order. */
export function getAll(store) {
  return transaction([store], 'readonly', (s) => done(s[store].getAll()));
}

/** Insert or replace `value` (its key is inside it: see STORES). */
export function put(store, value) {
  return transaction([store], 'readwrite', (s) => done(s[store].put(value)));
}

/** Delete the record under `key` (no error when absent). */
export function del(store, key) {
  return transaction([store], 'readwrite', (s) => done(s[store].delete(key)));
}

/** @returns {Promise<any>} the value kept in `meta` under `key`, or undefined. */
export async function getMeta(key) {
  const row = await get('meta', key);
  return row ? row.value : undefined;
}

/** Keep `value` in `meta` under `key`. */
export function setMeta(key, value) {
  return put('meta', { key, value });
}

/**
 * This phone's id for the X-Device-Id header: random, created once, kept in `meta`.
 * Read-then-create happens in one transaction so two tabs cannot make two ids.
 * @returns {Promise<string>}
 */
let knownDeviceId = null;
export async function deviceId() {
  if (knownDeviceId) return knownDeviceId;
  knownDeviceId = await transaction(['meta'], 'readwrite', async (s) => {
    const row = await done(s.meta.get('device_id'));
    if (row) return row.value;
    const id = crypto.randomUUID();
    s.meta.put({ key: 'device_id', value: id });
    return id;
  });
  return knownDeviceId;
}

// ---- change notices ------------------------------------------------------------------
// Every tab and the service worker share one BroadcastChannel; a page turns the notices it
// receives into `fieldcheck:<type>` window events (e.g. `fieldcheck:outbox-changed`).

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('fieldcheck') : null;
const inPage = typeof window !== 'undefined' && typeof window.dispatchEvent === 'function';

function dispatchLocal(type, detail) {
  if (inPage) window.dispatchEvent(new CustomEvent(`fieldcheck:${type}`, { detail }));
}

/**
 * Tell this page, other tabs and the service worker that something happened.
 * @param {'outbox-changed'|'sync-progress'|'sync-state'|'offline-changed'} type
 * @param {object} [detail]
 */
export function announce(type, detail = {}) {
  dispatchLocal(type, detail);
  if (channel) channel.postMessage({ type, detail });
}

if (channel && inPage) channel.onmessage = (e) => dispatchLocal(e.data.type, e.data.detail);
