// How the phone cuts its outbox into batches (web/static/js/sync-batches.js) under node's
// test runner: node --test tests/js/sync_batches.test.mjs (tests/test_js_form.py runs it).
import { test } from "node:test";
import assert from "node:assert/strict";

import { afterServerError, batches, countsAgainstBatch, RECORDS_PER_BATCH } from "../../web/static/js/sync-batches.js";

const entries = (n, extra = {}) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, body: { n: i }, ...extra }));
const sizes = (list) => [...batches(list)].map((b) => b.length);

test("without caps: batches of the server's 200", () => {
  assert.deepEqual(sizes(entries(450)), [200, 200, 50]);
});

test("a cap limits the batch its entry is in", () => {
  assert.deepEqual(sizes(entries(200, { batch_cap: 100 })), [100, 100]);
  assert.deepEqual(sizes([...entries(3), ...entries(4, { batch_cap: 1 })]), [3, 1, 1, 1, 1]);
  assert.deepEqual(sizes(entries(5, { batch_cap: "x" })), [5]); // nonsense reads as no cap
});

test("the first 5xx only retries; from the second the batch is halved, down to one", () => {
  const e = { id: "a", body: {} };
  const once = afterServerError(e, 200);
  assert.deepEqual(once, { server_errors: 1 });
  const twice = afterServerError({ ...e, ...once }, 200);
  assert.deepEqual(twice, { server_errors: 2, batch_cap: 100 });
  assert.equal(afterServerError({ ...e, server_errors: 5, batch_cap: 2 }, 2).batch_cap, 1);
  assert.equal(afterServerError({ ...e, server_errors: 9, batch_cap: 1 }, 1).batch_cap, 1); // never 0
});

test("503 (unavailable, come back later) never splits; other 5xx do", () => {
  assert.equal(countsAgainstBatch(500), true);
  assert.equal(countsAgainstBatch(502), true);
  assert.equal(countsAgainstBatch(503), false);
  assert.equal(countsAgainstBatch(429), false);
});

test("a server that fails any batch holding one poison record: the rest go through, none is dropped", () => {
  // The outbox as the sync loop keeps it: failing batches' entries get afterServerError, synced ones go.
  let outbox = entries(RECORDS_PER_BATCH);
  const poison = "r137";
  const synced = new Set();
  let runs = 0;
  while (outbox.length > 1 && runs < 20) {
    runs += 1;
    const next = [];
    for (const batch of batches(outbox)) {
      if (batch.some((e) => e.id === poison)) next.push(...batch.map((e) => ({ ...e, ...afterServerError(e, batch.length) })));
      else batch.forEach((e) => synced.add(e.id));
    }
    outbox = next;
  }
  assert.equal(synced.size, RECORDS_PER_BATCH - 1);
  assert.deepEqual(outbox.map((e) => e.id), [poison]); // still queued, on its own
  assert.equal(outbox[0].batch_cap, 1);
  assert.ok(runs <= 10, `took ${runs} runs`); // one retry, then about log2(200) halvings
});
