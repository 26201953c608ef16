// sync-photos.js: the photos half of a sync run (docs/sync.md §1): ask which photos the
// server lacks, upload only those — PUT whole, or PATCH pieces resumed from where the server
// got to for photos over 1 MB — and say, per photo, what failed and whether to retry.

import { announce, done, transaction } from './store.js';
import { apiFetch, jsonOf } from './api.js';

const HASHES_PER_ASK = 500; // the server's limit per POST /api/photos/missing
const RESUMABLE_ABOVE = 1024 * 1024; // photos larger than this go in PATCH chunks
const CHUNK = 512 * 1024;

/**
 * Make sure the server has every photo of `entries`.
 * @param {object[]} entries outbox entries being sent
 * @returns {Promise<Map<string, {kind: 'attention'|'retry', error: object}>>} sha256 → outcome
 *   for the photos that did not get there (their entries wait or need attention)
 */
export async function sendPhotos(entries) {
  const trouble = new Map();
  const wanted = [...new Set(entries.flatMap((e) => e.photos))];
  if (!wanted.length) return trouble;

  const missing = [];
  for (let i = 0; i < wanted.length; i += HASHES_PER_ASK) {
    const r = await apiFetch('/api/photos/missing', jsonInit('POST', { sha256: wanted.slice(i, i + HASHES_PER_ASK) }));
    if (!r.ok) {
      // No definite answer about any photo: every entry with photos waits and retries.
      for (const sha of wanted) trouble.set(sha, retryOutcome(await errorOf(r)));
      return trouble;
    }
    missing.push(...((await jsonOf(r)).missing || []));
  }

  const photos = await transaction(['photos'], 'readonly', (s) =>
    Promise.all(missing.map((sha) => done(s.photos.get(sha)))));
  const bytesTotal = photos.reduce((n, p) => n + (p ? p.blob.size : 0), 0);
  let bytesDone = 0;
  const report = (n) => {
    bytesDone += n;
    announce('sync-progress', { phase: 'photos', done: bytesDone, total: bytesTotal });
  };
  for (let i = 0; i < missing.length; i++) {
    const photo = photos[i];
    if (!photo) {
      trouble.set(missing[i], { kind: 'attention', error: { code: 'photo_not_on_phone', sha256: missing[i] } });
      continue;
    }
    const outcome = await uploadPhoto(photo, report);
    if (outcome) trouble.set(photo.sha256, outcome);
  }
  return trouble;
}

/** Upload one photo; undefined when the server has it, else the outcome for its entries. */
async function uploadPhoto(photo, report) {
  const { sha256, blob } = photo;
  const type = photo.type || blob.type || 'image/jpeg';
  if (blob.size <= RESUMABLE_ABOVE) {
    const r = await apiFetch(`/api/photos/${sha256}`, { method: 'PUT', body: blob, headers: { 'Content-Type': type } });
    if (r.ok) { report(blob.size); return undefined; }
    return photoRefusal(r);
  }
  // Resumable: ask where the server got to, then append the rest in chunks.
  let offset = 0;
  const status = await apiFetch(`/api/photos/${sha256}/upload`);
  if (status.ok) {
    const s = await jsonOf(status);
    if (s.complete) { report(blob.size); return undefined; }
    offset = Number(s.offset) || 0;
  }
  report(offset);
  for (let mismatches = 0; offset < blob.size;) {
    const chunk = blob.slice(offset, offset + CHUNK);
    const r = await apiFetch(`/api/photos/${sha256}?offset=${offset}&total=${blob.size}`, {
      method: 'PATCH', body: chunk, headers: { 'Content-Type': type },
    });
    if ((r.status === 409 || r.status === 422) && mismatches < 3) {
      const body = await jsonOf(r);
      let expected = NaN;
      if (body.code === 'upload_total_mismatch') expected = 0; // old pieces of another size: start over
      else if (body.code === 'upload_offset_mismatch') expected = Number(body.expected_offset ?? -1);
      else if (body.code === 'upload_offset_invalid' || body.code === 'upload_exceeds_total') expected = -1;
      if (!Number.isNaN(expected)) {
        // The server holds more (or less) than we thought: continue from where it is.
        mismatches++;
        if (!Number.isFinite(expected) || expected < 0) {
          expected = Number((await jsonOf(await apiFetch(`/api/photos/${sha256}/upload`))).offset) || 0;
        }
        report(expected - offset);
        offset = expected;
        continue;
      }
    }
    if (!r.ok) return photoRefusal(r);
    report(chunk.size);
    offset += chunk.size;
    const body = await jsonOf(r); // 202 {offset, complete: false}; the last piece answers like PUT
    if (body.sha256) { report(blob.size - offset); return undefined; }
    if (Number.isFinite(body.offset) && body.offset !== offset) { report(body.offset - offset); offset = body.offset; }
  }
  return undefined;
}

async function photoRefusal(r) {
  const error = await errorOf(r);
  // 413/415/422 say the bytes themselves are refused; 507 (disk full), 5xx, 429, a missing
  // endpoint and anything else say "not now".
  if ([413, 415, 422].includes(r.status)) return { kind: 'attention', error: { ...error, photo: true } };
  return retryOutcome(error);
}

// ---- shared with sync.js ----------------------------------------------------------------

/** The parts of a refusal kept in an entry's last_error. */
export function pick(res, status) {
  return { status, code: res.code || res.outcome || null, message: res.message || '', errors: res.errors || [], field: res.field || null };
}

/** The refusal carried by response `r` (its JSON body, or `body` when already read). */
export async function errorOf(r, body) {
  return pick(body || (await jsonOf(r)), r.status);
}

/** Keep the entry queued, with backoff, remembering `error`. */
export function retryOutcome(error) {
  return { kind: 'retry', error };
}

/** fetch() options sending `value` as JSON. */
export function jsonInit(method, value) {
  return { method, body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } };
}
