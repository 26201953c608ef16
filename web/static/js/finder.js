// The asset finder: nearest first from the phone's position, search by name or code as
// typed, and QR labels scanned with the camera (BarcodeDetector) or typed in by hand.
// Works offline from the assets downloaded to IndexedDB; without them, from the list
// the server rendered (and the search form then goes to the server).

import * as store from "./store.js";
import { findAssets, formatDistance, resolveScan, tokenFromScan } from "./finder-logic.js";
import { pageWords, watchGps } from "./gps.js";

const words = pageWords();
const list = document.getElementById("asset-list");
const count = document.getElementById("result-count");
const search = document.getElementById("finder-q");
const scanNote = document.getElementById("scan-note");
const categoryNames = Object.fromEntries(
  Array.from(document.querySelectorAll("#category-names li"), (li) => [li.dataset.category, li.textContent]),
);

let assets = Array.from(list.children, (li) => ({
  id: li.dataset.id, code: li.dataset.code, name: li.dataset.name, category: li.dataset.category,
  lat: Number(li.dataset.lat), lon: Number(li.dataset.lon), active: true,
}));
let downloaded = false;
let serverQuery = search.value;
let serverTotal = Number(count.dataset.total) || 0;
let here = null;

// "#reassign=<outbox id>&category=<c>": choosing another asset for a record refused because
// its asset was retired (from the outbox). Only assets of its category are listed, and each
// opens the form on that record with the new asset.
const reassign = (() => {
  const p = new URLSearchParams(location.hash.slice(1));
  return p.get("reassign") && p.get("category") ? { entry: p.get("reassign"), category: p.get("category") } : null;
})();

/** Where an asset opens: its page, or the form for a new one not yet on the server. */
function assetHref(asset) {
  if (reassign) {
    return `/inspect/form/${encodeURIComponent(reassign.category)}?asset=${encodeURIComponent(asset.id)}&entry=${encodeURIComponent(reassign.entry)}`;
  }
  return asset.local
    ? `/inspect/form/${asset.category}?asset=${encodeURIComponent(asset.id)}`
    : `/inspect/assets/${encodeURIComponent(asset.id)}`;
}

function item({ asset, distance }) {
  const li = document.createElement("li");
  li.dataset.id = asset.id;
  li.dataset.code = asset.code || "";
  const a = document.createElement("a");
  a.href = assetHref(asset);
  const code = document.createElement("span");
  code.className = "asset-code";
  code.textContent = asset.code || words.newLocal;
  const name = document.createElement("span");
  name.className = "asset-name";
  name.textContent = asset.name;
  const meta = document.createElement("span");
  meta.className = "asset-meta";
  meta.textContent = categoryNames[asset.category] || asset.category;
  if (distance !== null) {
    const dist = document.createElement("span");
    dist.className = "asset-dist";
    dist.textContent = formatDistance(distance);
    meta.append(dist);
  }
  a.append(code, " ", name, meta);
  li.append(a);
  return li;
}

function render() {
  const pool = reassign ? assets.filter((a) => a.category === reassign.category) : assets;
  const found = findAssets(pool, search.value, here);
  const { shown } = found;
  // Without a download the list is the server's first page: its total is the server's.
  const total = !downloaded && search.value === serverQuery ? Math.max(found.total, serverTotal) : found.total;
  list.replaceChildren(...shown.map(item));
  count.textContent = shown.length
    ? words.showing.replace("{n}", String(shown.length)).replace("{total}", String(total))
    : words.none;
}

/** Without a download, the page holds only the server's first page (by code): ask the server
 * for the nearest over all the inspector's assets instead (/api/offline/nearest). */
let asking = null;
async function askServerNearest() {
  if (downloaded || !here || !navigator.onLine) return;
  const q = search.value.trim();
  const params = new URLSearchParams({ lat: String(here.lat), lon: String(here.lon) });
  if (q) params.set("q", q);
  const ticket = (asking = {});
  try {
    const r = await fetch(`/api/offline/nearest?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok || ticket !== asking || downloaded) return;
    const answer = await r.json();
    // Added to what the page holds (a typed code still opens an asset it listed), re-sorted here.
    const known = new Map(assets.map((a) => [a.id, a]));
    for (const a of answer.assets) known.set(a.id, { ...a, active: true });
    assets = [...known.values()];
    serverQuery = search.value;
    serverTotal = answer.total;
    list.dataset.source = "server-nearest";
    render();
  } catch {
    // no network after all: the local sort of what the page holds stands
  }
}

// Re-sort when the position moves by more than a few metres, not on every GPS jitter.
function moved(fix) {
  if (!here) return true;
  const d = Math.hypot((fix.lat - here.lat) * 111000, (fix.lon - here.lon) * 111000 * Math.cos(fix.lat * Math.PI / 180));
  return d > 5;
}

/** Opens the asset a label or a typed code names; false when none is known here. */
function open(text, { scanned = false } = {}) {
  const asset = resolveScan(assets, text);
  if (asset) {
    location.assign(assetHref(asset));
    return true;
  }
  const token = scanned && tokenFromScan(text);
  if (token && (!downloaded || navigator.onLine)) {
    location.assign(`/inspect/qr/${encodeURIComponent(token)}`); // the server knows every label
    return true;
  }
  return false;
}

document.getElementById("finder-form").addEventListener("submit", (event) => {
  // A typed label code opens its asset; otherwise the list already shows the matches.
  if (open(search.value)) event.preventDefault();
  else if (downloaded) event.preventDefault();
});
search.addEventListener("input", render);
let typing = null;
search.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(askServerNearest, 300); });

// ---- QR scanning ------------------------------------------------------------------------

let stream = null;

async function stopScan() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  document.getElementById("scan-video").hidden = true;
  document.getElementById("scan-stop").hidden = true;
  document.getElementById("scan-start").hidden = false;
}

async function startScan(detector) {
  const video = document.getElementById("scan-video");
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch {
    scanNote.textContent = words.cameraUnavailable;
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  document.getElementById("scan-stop").hidden = false;
  document.getElementById("scan-start").hidden = true;
  await video.play();
  while (stream) {
    try {
      const codes = await detector.detect(video);
      if (codes.length) {
        const text = codes[0].rawValue;
        await stopScan();
        if (!open(text, { scanned: true })) scanNote.textContent = words.scanNotFound;
        return;
      }
    } catch {
      // a frame not ready yet: try the next one
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function setUpScanner() {
  const supported = "BarcodeDetector" in window && navigator.mediaDevices &&
    (await window.BarcodeDetector.getSupportedFormats().catch(() => [])).includes("qr_code");
  if (!supported) {
    scanNote.textContent = words.scanUnsupported;
    return;
  }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const start = document.getElementById("scan-start");
  start.hidden = false;
  start.addEventListener("click", () => { scanNote.textContent = ""; startScan(detector); });
  document.getElementById("scan-stop").addEventListener("click", stopScan);
  window.addEventListener("pagehide", stopScan);
}

// ---- start -------------------------------------------------------------------------------

async function start() {
  if (reassign) document.getElementById("reassign-note").hidden = false;
  if (location.hash === "#saved") { // back from saving an inspection of a new asset
    document.getElementById("saved-note").hidden = false;
    history.replaceState(null, "", location.pathname + location.search);
  }
  try {
    const kept = await store.getAll("assets");
    if (kept && kept.length) {
      assets = kept;
      downloaded = true;
    }
  } catch (error) {
    console.warn("no downloaded assets", error);
  }
  render();
  watchGps(document.getElementById("gps-status"), words, (fix) => {
    if (!moved(fix)) return;
    here = fix;
    render();
    askServerNearest();
  });
  setUpScanner();
}

start();
