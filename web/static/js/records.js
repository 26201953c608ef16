// The record bodies of docs/sync.md, built from what the phone recorded. Plain ES module
// without dependencies (the new-asset page needs it without the standards evaluator);
// runs in the browser and under node (tests/js/form_logic.test.mjs).

/** "2026-11-22T10:15:00+08:00": local time with the phone's offset, to the second. */
export function isoWithOffset(date) {
  const pad = (n) => String(Math.trunc(Math.abs(n))).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/** The values without the unset ones (the record carries only what was observed). */
function observed(values) {
  return Object.fromEntries(Object.entries(values || {}).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * The `inspection` record body of docs/sync.md.
 * @param {object} form
 * @param {string} form.assetId
 * @param {string} form.observedAt       ISO 8601 with offset (isoWithOffset)
 * @param {{lat: number, lon: number, accuracy_m: number}|null} form.position
 * @param {object} form.observations      key → number | boolean | null
 * @param {object[]} form.damages         [{type, field: number | null, …}]
 * @param {string[]} form.notApplicable
 * @param {string} form.notes
 * @param {{sha256: string, damageIndex: (number|null)}[]} form.photos
 * @param {string} form.standardsVersion
 */
export function buildInspectionBody(form) {
  return {
    asset_id: form.assetId,
    observed_at: form.observedAt,
    position: form.position ? roundPosition(form.position) : null,
    observations: observed(form.observations),
    damages: (form.damages || []).map((d) => ({ type: d.type, ...observed(Object.fromEntries(
      Object.entries(d).filter(([k]) => k !== "type"))) })),
    not_applicable: [...new Set(form.notApplicable || [])],
    notes: (form.notes || "").trim(),
    photos: (form.photos || []).map((p) => ({ sha256: p.sha256, damage_index: p.damageIndex ?? null })),
    standards_version: form.standardsVersion,
  };
}

/** The `asset` record body of docs/sync.md (a new asset where the inspector stands). */
export function buildAssetBody({ category, name, position, notes }) {
  return { category, name: name.trim(), position: roundPosition(position), notes: (notes || "").trim() };
}

/** A position from the Geolocation API, rounded to what the GPS can tell (~1 cm, 0.1 m). */
export function roundPosition(p) {
  const round = (v, digits) => Math.round(v * 10 ** digits) / 10 ** digits;
  return {
    lat: round(p.lat, 7),
    lon: round(p.lon, 7),
    accuracy_m: p.accuracy_m === null || p.accuracy_m === undefined ? null : round(p.accuracy_m, 1),
  };
}
