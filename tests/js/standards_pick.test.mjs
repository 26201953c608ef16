// The phone picks the standards version in force on the day observed (web/static/js/standards-pick.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeVersions, observedDay, pickVersion } from "../../web/static/js/standards-pick.js";

const v = (version, effective_from, cats) => ({ version, effective_from, categories: Object.fromEntries(cats.map((c) => [c, {}])) });
const OLD = v("2026.1", "2026-01-01", ["seating"]);
const NEW = v("2026.5", "2026-12-20", ["seating", "street_light"]);

test("the version in force on the day observed", () => {
  assert.equal(pickVersion([NEW, OLD], "2026-12-19").version, "2026.1");
  assert.equal(pickVersion([NEW, OLD], "2026-12-20").version, "2026.5");
  assert.equal(observedDay("2026-12-20T00:30:00+08:00"), "2026-12-20");
  assert.equal(pickVersion([OLD, NEW], observedDay("2026-12-19T23:59:59+08:00")).version, "2026.1");
});

test("a category only a scheduled version has opens with that version; none is null", () => {
  assert.equal(pickVersion([OLD, NEW], "2026-12-19", "street_light").version, "2026.5");
  assert.equal(pickVersion([OLD, NEW], "2026-12-21", "seating").version, "2026.5");
  assert.equal(pickVersion([OLD], "2026-12-21", "street_light"), null);
  assert.equal(pickVersion(null, "2026-12-21"), null);
});

test("kept versions: the server's, plus a dropped one while its successor is recent", () => {
  assert.deepEqual(mergeVersions([OLD], [NEW], "2027-01-05").map((x) => x.version), ["2026.1", "2026.5"]);
  assert.deepEqual(mergeVersions([OLD], [NEW], "2027-06-01").map((x) => x.version), ["2026.5"]);
  assert.deepEqual(mergeVersions(null, [OLD, NEW], "2026-12-10").map((x) => x.version), ["2026.1", "2026.5"]);
});
