// sync-batches.js: how the outbox is cut into POST /api/sync batches (pure: no storage, no
// network, so node's test runner checks it — tests/js/sync_batches.test.mjs).
//
// One bad record must not hold up the rest. A batch the server answers with a 5xx may be a
// passing hiccup, so the first time it is only retried (with backoff). Answered 5xx again,
// its entries get a cap of half that batch's size: next time they go in two halves, the
// half without the culprit goes through, the other is halved again, and so on down to one
// record at a time. A record that fails even alone stays queued and is retried with
// backoff, like any 5xx: nothing is ever dropped. A 503 (the server says it is unavailable
// and when to come back) is the server's state, not the batch's, so it never splits one.

export const RECORDS_PER_BATCH = 200; // the server's limit per POST /api/sync
export const BATCH_BYTES = 4 * 1024 * 1024; // the server refuses batches over 5 MB

/**
 * Entries in batches the server takes: at most 200 records, well under its 5 MB, and no
 * more records than the smallest `batch_cap` of the entries in the batch.
 * @param {Array<{body: any, batch_cap?: number}>} entries in sending order
 */
export function* batches(entries) {
  let batch = [];
  let bytes = 0;
  let cap = RECORDS_PER_BATCH;
  for (const e of entries) {
    const size = JSON.stringify(e.body).length;
    const own = capOf(e);
    if (batch.length && (batch.length >= Math.min(cap, own) || bytes + size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
      cap = RECORDS_PER_BATCH;
    }
    batch.push(e);
    bytes += size;
    cap = Math.min(cap, own);
  }
  if (batch.length) yield batch;
}

function capOf(entry) {
  const cap = Number(entry.batch_cap);
  return Number.isInteger(cap) && cap >= 1 ? Math.min(cap, RECORDS_PER_BATCH) : RECORDS_PER_BATCH;
}

/** Whether a whole-batch answer with this status counts against the batch (a 5xx but 503). */
export function countsAgainstBatch(status) {
  return Number(status) >= 500 && Number(status) !== 503;
}

/**
 * The entry's fields after its batch of `batchSize` records was answered 5xx: the count of
 * such answers, and from the second on a cap of half the batch (at least one).
 * @returns {{server_errors: number, batch_cap?: number}}
 */
export function afterServerError(entry, batchSize) {
  const serverErrors = (Number(entry.server_errors) || 0) + 1;
  if (serverErrors < 2) return { server_errors: serverErrors };
  const half = Math.max(1, Math.ceil(Math.min(batchSize, capOf(entry)) / 2));
  return { server_errors: serverErrors, batch_cap: half };
}
