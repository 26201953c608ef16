// nearby-data.js: the data the likely-duplicate warnings judge (duplicates.js). The bundle
// "Download for offline" stored on the phone when there is one (the same answer online and
// offline); else the server's slice of it around the point (GET /api/offline/nearby, the
// bundle's shapes). The phone's own new assets, not yet sent, count in both cases.

import * as store from './store.js';
import { apiFetch } from './api.js';

/**
 * A loader of the data around a point: `load({lat, lon}, category)` resolves to
 * {radius, assets, defects}, or null when neither the bundle nor the server is at hand.
 * The bundle is read once; the server is asked again only when the category changes or
 * the point moves by about a metre (GPS fixes come every second).
 */
export function nearbyLoader() {
  let bundle = null;
  let last = { key: '', data: null };
  return async (here, category) => {
    bundle = bundle || readBundle();
    const kept = await bundle;
    if (kept) return kept;
    const key = `${category}|${here.lat.toFixed(5)}|${here.lon.toFixed(5)}`;
    if (last.key !== key) last = { key, data: fetchSlice(here, category) };
    return last.data;
  };
}

/** The stored bundle, or null when none was downloaded (by a version that keeps the distance). */
async function readBundle() {
  try {
    const radius = await store.getMeta('duplicate_distance_m');
    if (!Number.isFinite(radius)) return null;
    const [assets, defects] = await Promise.all([store.getAll('assets'), store.getAll('defects')]);
    return { radius, assets, defects };
  } catch {
    return null;
  }
}

async function fetchSlice(here, category) {
  try {
    const query = new URLSearchParams({ lat: String(here.lat), lon: String(here.lon), category });
    const response = await apiFetch(`/api/offline/nearby?${query}`);
    if (!response.ok) return null;
    const slice = await response.json();
    const local = (await store.getAll('assets')).filter((a) => a.local);
    return { radius: slice.duplicate_distance_m, assets: [...slice.assets, ...local], defects: slice.open_defects };
  } catch {
    return null; // offline with nothing downloaded, or signed out: no warning can be given
  }
}
