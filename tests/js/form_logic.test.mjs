// Pure helpers of the inspector pages under node's test runner:
//   STANDARDS_EXPORT=<export.json> node --test tests/js/form_logic.test.mjs
// (tests/test_js_form.py makes the export and runs this.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { judgeLive, parseNumber, verdictOf } from "../../web/static/js/form-logic.js";
import { buildAssetBody, buildInspectionBody, isoWithOffset, roundPosition } from "../../web/static/js/records.js";
import {
  distanceMetres, findAssets, formatDistance, matchesQuery, resolveScan, tokenFromScan,
} from "../../web/static/js/finder-logic.js";
import { fitWithin } from "../../web/static/js/photos.js";
import { evaluate } from "../../web/static/standards.js";

const doc = JSON.parse(readFileSync(process.env.STANDARDS_EXPORT, "utf8"));
const seating = (observations, notApplicable = []) =>
  judgeLive(doc, "seating", { observations, damages: [], notApplicable });

test("isoWithOffset writes local time with the phone's offset, to the second", () => {
  const date = new Date(Date.UTC(2026, 10, 22, 2, 15, 9, 600));
  const iso = isoWithOffset(date);
  assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  assert.equal(Date.parse(iso), Date.UTC(2026, 10, 22, 2, 15, 9));
  if (process.env.TZ === "Asia/Shanghai") assert.equal(iso, "2026-11-22T10:15:09+08:00");
});

test("isoWithOffset handles offsets with minutes and west of Greenwich", () => {
  // The offset is whatever the runtime's zone says; the instant must survive either way.
  for (const ms of [0, Date.UTC(2026, 0, 1, 23, 59, 59), Date.UTC(2026, 6, 1, 0, 0, 0)]) {
    assert.equal(Date.parse(isoWithOffset(new Date(ms))), ms);
  }
});

test("parseNumber: empty is null, text that is not a number is NaN, a decimal comma is read", () => {
  assert.equal(parseNumber(""), null);
  assert.equal(parseNumber("   "), null);
  assert.equal(parseNumber(" 10.5 "), 10.5);
  assert.equal(parseNumber("10,5"), 10.5);
  assert.ok(Number.isNaN(parseNumber("abc")));
  assert.ok(Number.isNaN(parseNumber("Infinity")));
});

test("verdictOf maps the evaluator's compliant to the record's verdict", () => {
  assert.equal(verdictOf(true), "compliant");
  assert.equal(verdictOf(false), "non_compliant");
  assert.equal(verdictOf(null), "undetermined");
});

test("seating SE-1: 10 % passes, 10.5 % fails, the exemption flag exempts", () => {
  assert.equal(seating({ damage_pct: 10, usable: true }).clauses["SE-1"], "pass");
  assert.equal(seating({ damage_pct: 10.5, usable: true }).clauses["SE-1"], "fail");
  assert.equal(seating({ damage_pct: 10.5, usable: true, minor_damage_no_hazard: true }).clauses["SE-1"], "exempt");
  assert.equal(seating({ damage_pct: 10.5 }).compliant, false);
  assert.equal(seating({}).clauses["SE-1"], "unknown");
});

test("a bad value is reported by field and left out; the other clauses are still judged", () => {
  const judged = seating({ damage_pct: 150, usable: true, tilt_affects_use: true, rust_pct: NaN });
  assert.deepEqual(judged.errors.map((e) => [e.field, e.code]), [
    ["observations.damage_pct", "out_of_range"],
    ["observations.rust_pct", "bad_type"],
  ]);
  assert.match(judged.errors[0].messages.zh, /超出范围/);
  assert.match(judged.errors[0].messages.en, /outside 0–100 %/);
  assert.equal(judged.clauses["SE-1"], "unknown");
  assert.equal(judged.clauses["SE-3"], "fail");
  assert.equal(judged.clauses["SE-4"], "unknown");
  assert.equal(judged.compliant, false);
});

test("not applicable clauses read n/a whatever the values", () => {
  const judged = seating({ damage_pct: 50, usable: false }, ["SE-1", "SE-2"]);
  assert.equal(judged.clauses["SE-1"], "n/a");
  assert.equal(judged.clauses["SE-2"], "n/a");
});

test("judgeLive agrees with evaluate on a valid case", () => {
  const observations = { damage_pct: 3, usable: true, missing_pct: 12, tilt_affects_use: false, rust_pct: 9 };
  const judged = seating(observations, ["SE-4"]);
  const expected = evaluate(doc, { category: "seating", observations, not_applicable: ["SE-4"] });
  assert.deepEqual(judged.clauses, expected.clauses);
  assert.equal(judged.compliant, expected.compliant);
  assert.deepEqual(judged.errors, []);
});

test("road_asphalt: the areas of counting damage instances add up to a fail over 1 m²", () => {
  const road = (damages) => judgeLive(doc, "road_asphalt", { observations: {}, damages, notApplicable: [] });
  assert.equal(road([{ type: "pothole", depth_mm: 25, area_m2: 0.6 }]).clauses["RA-1"], "pass");
  assert.equal(road([
    { type: "pothole", depth_mm: 25, area_m2: 0.6 },
    { type: "rutting", depth_mm: 20, area_m2: 0.5 },
  ]).clauses["RA-1"], "fail");
  // A shallow pothole does not count as damage, however large.
  assert.equal(road([{ type: "pothole", depth_mm: 10, area_m2: 5 }]).clauses["RA-1"], "pass");
  // An instance without a type is reported and left out; a bad field too.
  const judged = road([{ type: null }, { type: "pothole", depth_mm: -1, area_m2: 2 }]);
  assert.deepEqual(judged.errors.map((e) => [e.field, e.code]), [
    ["defects[0].type", "missing_damage_type"],
    ["defects[1].depth_mm", "out_of_range"],
  ]);
  assert.equal(judged.clauses["RA-1"], "unknown");
});

test("buildInspectionBody is the record body of docs/sync.md", () => {
  const body = buildInspectionBody({
    assetId: "a1",
    observedAt: "2026-11-22T10:15:00+08:00",
    position: { lat: 32.100123456, lon: 118.70021234, accuracy_m: 6.54 },
    observations: { damage_pct: 5, usable: true, rust_pct: null },
    damages: [{ type: "pothole", depth_mm: 25, area_m2: null }],
    notApplicable: ["SE-4", "SE-4"],
    notes: "  bench wobbles ",
    photos: [{ sha256: "ab", damageIndex: null, blob: {} }, { sha256: "cd", damageIndex: 0 }],
    standardsVersion: "2026.1",
  });
  assert.deepEqual(body, {
    asset_id: "a1",
    observed_at: "2026-11-22T10:15:00+08:00",
    position: { lat: 32.1001235, lon: 118.7002123, accuracy_m: 6.5 },
    observations: { damage_pct: 5, usable: true },
    damages: [{ type: "pothole", depth_mm: 25 }],
    not_applicable: ["SE-4"],
    notes: "bench wobbles",
    photos: [{ sha256: "ab", damage_index: null }, { sha256: "cd", damage_index: 0 }],
    standards_version: "2026.1",
  });
  assert.equal(buildInspectionBody({ assetId: "a", observedAt: "x", position: null, standardsVersion: "v" }).position, null);
});

test("buildAssetBody is the asset record body", () => {
  assert.deepEqual(
    buildAssetBody({ category: "seating", name: " 长椅 ", position: { lat: 32.1, lon: 118.7, accuracy_m: 5 }, notes: "" }),
    { category: "seating", name: "长椅", position: { lat: 32.1, lon: 118.7, accuracy_m: 5 }, notes: "" },
  );
  assert.equal(roundPosition({ lat: 1, lon: 2, accuracy_m: undefined }).accuracy_m, null);
});

test("distanceMetres is the haversine distance", () => {
  assert.equal(distanceMetres(32.1, 118.7, 32.1, 118.7), 0);
  // One degree of latitude on the mean sphere: 6371008.8 × π / 180.
  assert.ok(Math.abs(distanceMetres(32, 118.7, 33, 118.7) - 111195.08) < 0.05);
  // 100 m east at 32° N.
  const east = 100 / (6371008.8 * Math.cos(32 * Math.PI / 180) * Math.PI / 180);
  assert.ok(Math.abs(distanceMetres(32, 118.7, 32, 118.7 + east) - 100) < 0.01);
  assert.equal(formatDistance(35.4), "35 m");
  assert.equal(formatDistance(1234), "1.2 km");
  assert.equal(formatDistance(23456), "23 km");
});

const ASSETS = [
  { id: "1", code: "Z1-SE-001", name: "石凳 Stone seat", lat: 32.1000, lon: 118.7000, qr_token: "tok111", active: true },
  { id: "2", code: "Z1-SE-002", name: "木质长椅 Wooden bench", lat: 32.1010, lon: 118.7000, qr_token: "tok222", active: true },
  { id: "3", code: "Z2-GS-001", name: "草坪 Lawn", lat: 32.1002, lon: 118.7000, qr_token: "tok333", active: true },
  { id: "4", code: "Z2-GS-002", name: "Gone", lat: 32.1, lon: 118.7, qr_token: "tok444", active: false },
];

test("findAssets: nearest first with a position, by code without; inactive left out", () => {
  const near = findAssets(ASSETS, "", { lat: 32.1011, lon: 118.7 });
  assert.deepEqual(near.shown.map((f) => f.asset.id), ["2", "3", "1"]);
  assert.ok(Math.abs(near.shown[0].distance - 11.1) < 0.1);
  const byCode = findAssets(ASSETS, "", null);
  assert.deepEqual(byCode.shown.map((f) => f.asset.id), ["1", "2", "3"]);
  assert.equal(byCode.shown[0].distance, null);
  assert.equal(findAssets(ASSETS, "", null, 2).total, 3);
  assert.equal(findAssets(ASSETS, "", null, 2).shown.length, 2);
});

test("search matches code or name, any case, every word", () => {
  assert.ok(matchesQuery(ASSETS[0], "z1-se"));
  assert.ok(matchesQuery(ASSETS[1], "长椅"));
  assert.ok(matchesQuery(ASSETS[1], "wooden Z1"));
  assert.ok(!matchesQuery(ASSETS[1], "wooden Z2"));
  assert.deepEqual(findAssets(ASSETS, "bench", null).shown.map((f) => f.asset.id), ["2"]);
});

test("a scanned label's URL gives its token; a typed code or token finds the asset", () => {
  assert.equal(tokenFromScan("https://fc.example.org/inspect/qr/8be19af0c3adb9ef"), "8be19af0c3adb9ef");
  assert.equal(tokenFromScan("http://127.0.0.1:8000/inspect/qr/tok222/"), "tok222");
  assert.equal(tokenFromScan("tok222"), "tok222");
  assert.equal(tokenFromScan("https://evil.example/other/tok222?x"), null);
  assert.equal(resolveScan(ASSETS, "http://x/inspect/qr/tok333").id, "3");
  assert.equal(resolveScan(ASSETS, " z1-se-002 ").id, "2");
  assert.equal(resolveScan(ASSETS, "Z9-XX-001"), null);
});

test("photos are fitted within 1600 px on the long side, never enlarged", () => {
  assert.deepEqual(fitWithin(4000, 3000), { width: 1600, height: 1200 });
  assert.deepEqual(fitWithin(3000, 4000), { width: 1200, height: 1600 });
  assert.deepEqual(fitWithin(800, 600), { width: 800, height: 600 });
});
