// The asset finder's logic without the page: distances, search, scanned labels.
// Plain ES module, runs in the browser and under node (tests/js/form_logic.test.mjs).

const EARTH_RADIUS_M = 6371008.8; // mean radius (IUGG)

/** Great-circle distance in metres between two WGS 84 points (haversine). */
export function distanceMetres(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** "35 m", "1.2 km" (metres under a kilometre, to the metre). */
export function formatDistance(metres) {
  if (!Number.isFinite(metres)) return "";
  if (metres < 1000) return `${Math.round(metres)} m`;
  return `${(metres / 1000).toFixed(metres < 10000 ? 1 : 0)} km`;
}

/** Whether an asset's code or name contains every word of `query` (any case). */
export function matchesQuery(asset, query) {
  const words = String(query || "").trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const text = `${asset.code || ""} ${asset.name || ""}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/**
 * The assets matching `query`, nearest first when `here` ({lat, lon}) is known, else by
 * code; each as {asset, distance} (distance null without a position). Inactive assets
 * are left out.
 */
export function findAssets(assets, query, here, limit = 100) {
  const found = assets
    .filter((a) => a.active !== false && matchesQuery(a, query))
    .map((asset) => ({
      asset,
      distance: here && Number.isFinite(asset.lat) && Number.isFinite(asset.lon)
        ? distanceMetres(here.lat, here.lon, asset.lat, asset.lon) : null,
    }));
  found.sort((x, y) => (here ? x.distance - y.distance : 0) || String(x.asset.code).localeCompare(String(y.asset.code)));
  return { total: found.length, shown: found.slice(0, limit) };
}

/**
 * The QR token in what a scanner read: the label encodes `<base>/inspect/qr/<token>`;
 * a bare token is accepted too. Null when it is neither.
 */
export function tokenFromScan(text) {
  const value = String(text || "").trim();
  const match = value.match(/\/inspect\/qr\/([A-Za-z0-9_-]{4,64})\/?(?:[?#].*)?$/);
  if (match) return match[1];
  return /^[A-Za-z0-9_-]{4,64}$/.test(value) ? value : null;
}

/** The asset a scanned label or typed code names: by QR token, then by exact code (any case). */
export function resolveScan(assets, text) {
  const token = tokenFromScan(text);
  const code = String(text || "").trim().toLowerCase();
  return assets.find((a) => token && a.qr_token === token) ||
    assets.find((a) => String(a.code || "").toLowerCase() === code) || null;
}
