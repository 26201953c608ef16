// Likely duplicates, judged on the phone: a new asset close to one of the same category, a
// failing clause close to an open defect of the same clause. The data is the offline
// bundle's (or the server's slice of it around one point: the same shapes, nearby-data.js),
// so online and offline give the same answer. Plain ES module; runs in the browser and
// under node (tests/js/duplicates.test.mjs). Distances are metres on the ground.

import { distanceMetres } from "./finder-logic.js";

const placed = (p) => p && Number.isFinite(p.lat) && Number.isFinite(p.lon);

/**
 * Active assets of `category` within `radius` metres of `here`, nearest first (then by
 * code), each as {asset, distance}; `exceptId` (the asset being corrected) left out.
 * @param {object[]} assets the bundle's assets (and the phone's own new ones)
 * @param {{lat: number, lon: number}} here
 * @param {string} category
 * @param {number} radius metres
 * @param {string|null} [exceptId]
 */
export function nearbyAssets(assets, here, category, radius, exceptId = null) {
  if (!placed(here)) return [];
  return assets
    .filter((a) => a.active !== false && a.category === category && a.id !== exceptId && placed(a))
    .map((asset) => ({ asset, distance: distanceMetres(here.lat, here.lon, asset.lat, asset.lon) }))
    .filter((n) => n.distance <= radius)
    .sort((x, y) => x.distance - y.distance || String(x.asset.code).localeCompare(String(y.asset.code)));
}

/**
 * What failing `clauseId` on `asset` would duplicate: the open defect the asset already has
 * for it (the failure then adds evidence to that defect), and the open defects of the same
 * clause and category on other assets within `radius` metres of the asset, nearest first.
 * A defect's position is where it was raised, else its asset's.
 * @param {{assets: object[], defects: object[]}} data
 * @param {{id: string, category: string, lat: number, lon: number}} asset
 * @param {string} clauseId
 * @param {number} radius metres
 * @returns {{own: object|null, nearby: {defect: object, asset: object|null, distance: number}[]}}
 */
export function defectDuplicates(data, asset, clauseId, radius) {
  const byId = new Map(data.assets.map((a) => [a.id, a]));
  const own = data.defects.find((d) => d.asset_id === asset.id && d.clause_id === clauseId) || null;
  const nearby = [];
  if (placed(asset)) {
    for (const defect of data.defects) {
      if (defect.asset_id === asset.id || defect.clause_id !== clauseId) continue;
      const on = byId.get(defect.asset_id) || null;
      if ((defect.category || (on && on.category)) !== asset.category) continue;
      const at = placed(defect) ? defect : on;
      if (!placed(at)) continue;
      const distance = distanceMetres(asset.lat, asset.lon, at.lat, at.lon);
      if (distance <= radius) nearby.push({ defect, asset: on, distance });
    }
  }
  nearby.sort((x, y) => x.distance - y.distance);
  return { own, nearby };
}
