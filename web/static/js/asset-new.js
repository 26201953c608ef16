// A new asset where the inspector stands: category, name and the phone's position go to
// the outbox as an `asset` record (docs/sync.md); the asset is also kept in the phone's
// assets store so it can be inspected at once, offline too. Its inspections are queued
// after it, so the server receives the asset first.
// `?entry=<outbox id>` reopens a refused asset record to correct it (saved again under its id).
// Once the position is known and a category chosen, assets of that category already recorded
// within the configured distance are named as likely duplicates, with links to open them
// instead (a warning only: saving stays possible).

import * as store from "./store.js";
import * as outbox from "./outbox.js";
import { buildAssetBody } from "./records.js";
import { pageWords, watchGps } from "./gps.js";
import { lockEntry } from "./entry-lock.js";
import { ownedBy } from "./sync.js";
import { nearbyLoader } from "./nearby-data.js";
import { nearbyAssets } from "./duplicates.js";
import { formatDistance } from "./finder-logic.js";

const words = pageWords();
const form = document.getElementById("new-asset");
const errorBox = document.getElementById("na-error");
const button = document.getElementById("na-save");
let position = null;
let entry = null;
let saving = false;

watchGps(document.getElementById("gps-status"), words, (fix) => { position = fix; warnDuplicates(); });

function refuse(text, control) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
  if (control) control.focus();
}

/** The position to record: where the phone is, or for a correction the one recorded unless replaced. */
function chosenPosition() {
  if (entry && !document.getElementById("na-new-position").checked) return entry.body.position;
  return position;
}

// ---- likely duplicates ------------------------------------------------------------------

const loadNearby = nearbyLoader();
const duplicateBox = document.getElementById("na-duplicates");
let duplicatesShown = "";
let duplicateRun = 0;

async function warnDuplicates() {
  const run = ++duplicateRun;
  const category = form.elements.category.value;
  const here = chosenPosition();
  const data = category && here ? await loadNearby(here, category) : null;
  if (run !== duplicateRun) return; // a newer fix or choice is being judged
  const found = data ? nearbyAssets(data.assets, here, category, data.radius, entry && entry.id) : [];
  const key = found.map((n) => n.asset.id).join();
  if (key === duplicatesShown) return; // the status region speaks only when the answer changes
  duplicatesShown = key;
  if (!found.length) {
    duplicateBox.replaceChildren();
    return;
  }
  const intro = document.createElement("p");
  intro.textContent = words.dupAssets.replace("{distance}", formatDistance(data.radius));
  const list = document.createElement("ul");
  for (const { asset, distance } of found) {
    const link = document.createElement("a");
    link.href = asset.local
      ? `/inspect/form/${encodeURIComponent(asset.category)}?asset=${encodeURIComponent(asset.id)}`
      : `/inspect/assets/${encodeURIComponent(asset.id)}`;
    link.textContent = `${asset.code || words.newLocal} ${asset.name}`;
    const li = document.createElement("li");
    li.append(link, ` · ${formatDistance(distance)}`);
    list.append(li);
  }
  duplicateBox.replaceChildren(intro, list);
}

form.elements.category.addEventListener("change", warnDuplicates);
document.getElementById("na-new-position").addEventListener("change", warnDuplicates);

// ---- saving -----------------------------------------------------------------------------

async function save(category, name) {
  const id = entry ? entry.id : crypto.randomUUID();
  const body = buildAssetBody({ category, name, position: chosenPosition(), notes: form.elements.notes.value });
  await outbox.enqueue({ kind: "asset", id, body, photos: [] });
  const kept = (await store.get("assets", id)) || {};
  await store.put("assets", {
    zone_id: null, code: "", qr_token: null, last_inspected_at: null, last_verdict: null, ...kept,
    id, category, name: body.name, lat: body.position.lat, lon: body.position.lon, active: true, local: true,
  });
  // A correction goes back to the outbox it came from; a new asset straight into its inspection.
  location.assign(entry ? "/inspect/outbox" : `/inspect/form/${category}?asset=${id}`);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (saving) return;
  const category = form.elements.category.value;
  const name = form.elements.name.value.trim();
  if (!category) return refuse(words.needCategory, form.elements.category);
  if (!name) return refuse(words.needName, form.elements.name);
  if (!chosenPosition()) return refuse(words.needFix, null);
  saving = true;
  button.disabled = true;
  try {
    await save(category, name);
  } catch (error) {
    console.error(error);
    refuse(`${words.saveFailed}${error && error.message ? error.message : error}`, null);
    saving = false;
    button.disabled = false;
  }
});

async function loadEntry(id) {
  const found = await outbox.entry(id);
  if (!found || found.kind !== "asset" || !ownedBy(found, outbox.pageUser()?.id)) return refuse(words.entryMissing, null);
  if (!(await lockEntry(id))) return refuse(words.entryLocked, null);
  entry = found;
  form.elements.category.value = found.body.category || "";
  form.elements.name.value = found.body.name || "";
  form.elements.notes.value = found.body.notes || "";
  const p = found.body.position;
  document.getElementById("na-entry-position").textContent =
    p ? `${p.lat.toFixed(6)}, ${p.lon.toFixed(6)}${p.accuracy_m != null ? ` (±${Math.round(p.accuracy_m)} m)` : ""}` : "—";
  const reason = found.last_error && (found.last_error.message || found.last_error);
  document.getElementById("na-entry-reason").textContent = reason ? String(reason) : "";
  document.getElementById("na-entry").hidden = false;
  warnDuplicates();
}

const entryId = new URLSearchParams(location.search).get("entry");
if (entryId) loadEntry(entryId).finally(() => { if (!errorBox.textContent) button.disabled = false; });
else button.disabled = false; // the page's script is running: saving works
