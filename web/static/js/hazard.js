// A hazard no clause covers (docs/sync.md "hazard"): category, severity, note, photos and
// the phone's position go to the outbox as a `hazard` record, offline too; the sync loop
// sends it like an inspection. `?asset=<id>&category=<key>` (from an asset page) files it
// under that asset; otherwise the server takes the nearest asset of the inspector's zones.

import * as outbox from "./outbox.js";
import { isoWithOffset, roundPosition } from "./records.js";
import { pageWords, watchGps } from "./gps.js";
import { preparePhoto } from "./photos.js";

const words = pageWords();
const form = document.getElementById("hazard-form");
const errorBox = document.getElementById("hz-error");
const button = document.getElementById("hz-save");
const params = new URLSearchParams(location.search);
let position = null;
let saving = false;

if (params.get("category")) {
  const wanted = params.get("category");
  if ([...form.elements.category.options].some((o) => o.value === wanted)) form.elements.category.value = wanted;
}
watchGps(document.getElementById("gps-status"), words, (fix) => { position = fix; });

function refuse(text, control) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
  if (control) control.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (saving) return;
  const notes = form.elements.notes.value.trim();
  if (!notes) return refuse(words.needNote, form.elements.notes);
  if (!position) return refuse(words.needFix, null);
  saving = true;
  button.disabled = true;
  try {
    const photos = [];
    for (const file of form.elements.photos.files) photos.push(await preparePhoto(file, position));
    const body = {
      observed_at: isoWithOffset(new Date()), category: form.elements.category.value,
      severity: form.elements.severity.value, notes, position: roundPosition(position),
      photos: photos.map((p) => ({ sha256: p.sha256 })),
    };
    if (params.get("asset")) body.asset_id = params.get("asset");
    await outbox.enqueue({ kind: "hazard", body, photos });
    location.assign("/inspect/outbox");
  } catch (error) {
    console.error(error);
    refuse(`${words.saveFailed}${error && error.message ? error.message : error}`, null);
    saving = false;
    button.disabled = false;
  }
});
