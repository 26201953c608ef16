// The likely-duplicate logic of the phone (web/static/js/duplicates.js) under node's test
// runner: node --test tests/js/duplicates.test.mjs (tests/test_js_form.py runs it).
import { test } from "node:test";
import assert from "node:assert/strict";

import { defectDuplicates, nearbyAssets } from "../../web/static/js/duplicates.js";
import { distanceMetres } from "../../web/static/js/finder-logic.js";

const HERE = { lat: 32.1049062, lon: 118.7075114 };
const NORTH_PER_M = 1 / 111195.08; // degrees of latitude per metre on the mean sphere
const EAST_PER_M = NORTH_PER_M / Math.cos((HERE.lat * Math.PI) / 180);

/** A point `north` and `east` metres from HERE. */
const at = (north, east = 0) => ({ lat: HERE.lat + north * NORTH_PER_M, lon: HERE.lon + east * EAST_PER_M });
const asset = (id, code, category, place, extra = {}) => ({
  id, code, name: `Asset ${code}`, category, ...place, active: true, ...extra,
});

test("the helper's points are where they say, on the ground", () => {
  assert.ok(Math.abs(distanceMetres(HERE.lat, HERE.lon, at(10).lat, at(10).lon) - 10) < 0.01);
  assert.ok(Math.abs(distanceMetres(HERE.lat, HERE.lon, at(0, 10).lat, at(0, 10).lon) - 10) < 0.01);
});

test("nearbyAssets: the same category within the distance, nearest first", () => {
  const assets = [
    asset("a", "Z1-SE-003", "seating", at(9.9)),
    asset("b", "Z1-SE-001", "seating", at(0, 3)),
    asset("c", "Z1-SE-002", "seating", at(10.1)), // just beyond
    asset("d", "Z1-PL-001", "planter", at(1)), // another category
    asset("e", "Z1-SE-004", "seating", at(2), { active: false }), // taken out of use
    asset("f", "", "seating", at(0, -6), { local: true }), // added on this phone, not yet sent
  ];
  const found = nearbyAssets(assets, HERE, "seating", 10);
  assert.deepEqual(found.map((n) => n.asset.id), ["b", "f", "a"]);
  assert.ok(Math.abs(found[0].distance - 3) < 0.01);
  // Metres, not degrees: 10 m east is as near as 10 m north though the degrees differ.
  const eastAndNorth = [asset("n", "N", "seating", at(9.5)), asset("e", "E", "seating", at(0, 9.5))];
  assert.equal(nearbyAssets(eastAndNorth, HERE, "seating", 10).length, 2);
  assert.equal(nearbyAssets(eastAndNorth, HERE, "seating", 9).length, 0);
});

test("nearbyAssets: the asset being corrected is not its own duplicate; no position, no answer", () => {
  const assets = [asset("me", "", "seating", at(0)), asset("other", "Z1-SE-001", "seating", at(1))];
  assert.deepEqual(nearbyAssets(assets, HERE, "seating", 10, "me").map((n) => n.asset.id), ["other"]);
  assert.deepEqual(nearbyAssets(assets, null, "seating", 10), []);
  assert.deepEqual(nearbyAssets(assets, { lat: NaN, lon: 118.7 }, "seating", 10), []);
});

test("defectDuplicates: the asset's own open defect of the clause is named first", () => {
  const bench = asset("bench", "Z1-SE-001", "seating", at(0));
  const data = {
    assets: [bench],
    defects: [
      { id: "d1", asset_id: "bench", category: "seating", clause_id: "SE-1", ...at(0) },
      { id: "d2", asset_id: "bench", category: "seating", clause_id: "SE-2", ...at(0) },
    ],
  };
  const found = defectDuplicates(data, bench, "SE-1", 10);
  assert.equal(found.own.id, "d1");
  assert.deepEqual(found.nearby, []);
  assert.equal(defectDuplicates(data, bench, "SE-4", 10).own, null);
});

test("defectDuplicates: open defects of the same clause and category on other assets nearby", () => {
  const bench = asset("bench", "Z1-SE-001", "seating", at(0));
  const near = asset("near", "Z1-SE-002", "seating", at(6));
  const far = asset("far", "Z1-SE-003", "seating", at(15));
  const planter = asset("planter", "Z1-PL-001", "planter", at(2));
  const data = {
    assets: [bench, near, far, planter],
    defects: [
      { id: "near-se1", asset_id: "near", category: "seating", clause_id: "SE-1", ...at(6) },
      { id: "near-se2", asset_id: "near", category: "seating", clause_id: "SE-2", ...at(6) }, // another clause
      { id: "far-se1", asset_id: "far", category: "seating", clause_id: "SE-1", ...at(15) }, // too far
      { id: "pl", asset_id: "planter", category: "planter", clause_id: "SE-1", ...at(2) }, // another category
      // A defect from a bundle without positions: judged where its asset stands.
      { id: "asset-pos", asset_id: "near", clause_id: "SE-1" },
    ],
  };
  const found = defectDuplicates(data, bench, "SE-1", 10);
  assert.equal(found.own, null);
  assert.deepEqual(found.nearby.map((n) => n.defect.id), ["near-se1", "asset-pos"]);
  assert.equal(found.nearby[0].asset.code, "Z1-SE-002");
  assert.ok(Math.abs(found.nearby[0].distance - 6) < 0.01);
  // The configured distance decides: at 20 m the far bench's defect counts too.
  assert.deepEqual(defectDuplicates(data, bench, "SE-1", 20).nearby.map((n) => n.defect.id),
    ["near-se1", "asset-pos", "far-se1"]);
});

test("defectDuplicates: a defect where it was raised, even if its asset is not on this phone", () => {
  const bench = asset("bench", "Z1-SE-001", "seating", at(0));
  const data = { assets: [bench], defects: [{ id: "x", asset_id: "elsewhere", category: "seating", clause_id: "SE-1", ...at(4) }] };
  const [only] = defectDuplicates(data, bench, "SE-1", 10).nearby;
  assert.equal(only.defect.id, "x");
  assert.equal(only.asset, null);
});
