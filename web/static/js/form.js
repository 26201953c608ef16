// The inspection form: the server rendered one control per observation of the category;
// this script judges the values live with the phone's evaluator (../standards.js), keeps
// the damage list and the photos, and saves through the outbox — the same path online
// and offline. `?asset=<id>` names the asset (looked up in IndexedDB, else fetched);
// `&entry=<outbox id>` reopens a queued record to correct it (saved again under its id).

import { pageAfterSave } from "./after-save.js";
import * as store from "./store.js";
import * as outbox from "./outbox.js";
import { refreshStandards } from "./api.js";
import { ownedBy } from "./sync.js";
import { judgeLive, parseNumber, verdictOf } from "./form-logic.js";
import { buildInspectionBody, isoWithOffset } from "./records.js";
import { observedDay, pickVersion } from "./standards-pick.js";
import { PhotoList } from "./photos.js";
import { pageLanguage, pageWords, watchGps } from "./gps.js";
import { lockEntry } from "./entry-lock.js";

const form = document.getElementById("inspection");
const words = pageWords();
const lang = pageLanguage();
const category = form.dataset.category;
const params = new URLSearchParams(location.search);
const saveButton = document.getElementById("save");
const alertBox = document.getElementById("form-alert");
const damageList = document.getElementById("damage-list");
const damageTemplate = document.getElementById("damage-template");

const MARKS = { pass: "✓", fail: "✗", exempt: "E", "n/a": "–", unknown: "?" };
const state = { doc: null, asset: null, entry: null, position: null, saving: false, nextUid: 1 };
const damagePhotos = new Map(); // damage <li> → its PhotoList
let inspectionPhotos = null;

function showAlert(text) {
  alertBox.textContent = text;
  alertBox.hidden = !text;
}

function photoList(block) {
  return new PhotoList(block, {
    words,
    getPosition: () => state.position,
    onChange: () => {},
    onError: (text) => showAlert(text),
  });
}

// ---- reading the form -------------------------------------------------------------

function readNumber(input) {
  return input.validity.badInput ? NaN : parseNumber(input.value);
}

function damageItems() {
  return damageList ? Array.from(damageList.children) : [];
}

function readDamage(li) {
  const type = li.querySelector(".damage-type").value || null;
  const damage = { type };
  if (type) {
    for (const input of li.querySelectorAll(`.damage-fields[data-type="${type}"] input[data-field]`)) {
      damage[input.dataset.field] = readNumber(input);
    }
  }
  return damage;
}

function readForm() {
  const observations = {};
  for (const input of form.querySelectorAll("#observations input[type=number][data-obs]")) {
    observations[input.dataset.obs] = readNumber(input);
  }
  for (const set of form.querySelectorAll("#observations fieldset.flag")) {
    const checked = set.querySelector("input:checked");
    observations[set.dataset.obs] = checked && checked.value !== "" ? checked.value === "true" : null;
  }
  return {
    observations,
    damages: damageItems().map(readDamage),
    notApplicable: Array.from(form.querySelectorAll("input[name=not_applicable]:checked"), (i) => i.value),
  };
}

// ---- showing results and errors ----------------------------------------------------

// The control an evaluator field path points at, e.g. "observations.rust_pct", "defects[1].depth_mm".
function controlFor(field) {
  const obs = field.match(/^observations\.(.+)$/);
  if (obs) return document.getElementById(`obs-${obs[1]}`);
  const dmg = field.match(/^defects\[(\d+)\]\.(.+)$/);
  const li = dmg && damageItems()[Number(dmg[1])];
  if (!li) return null;
  if (dmg[2] === "type") return li.querySelector(".damage-type");
  const type = li.querySelector(".damage-type").value;
  return li.querySelector(`.damage-fields[data-type="${type}"] input[data-field="${dmg[2]}"]`);
}

function errorText(error) {
  if (error.code === "bad_type") return words.notANumber;
  if (error.code === "missing_damage_type") return words.chooseType;
  return error.messages[lang] || error.messages.en;
}

function showFieldErrors(errors) {
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const controls = [];
  for (const error of errors) {
    const control = controlFor(error.field);
    const slot = control && document.getElementById(`${control.id}-error`);
    if (!slot) continue;
    slot.textContent = errorText(error);
    control.setAttribute("aria-invalid", "true");
    controls.push(control);
  }
  return controls;
}

/** The server's refusal of a reopened entry: each problem listed in words above the form,
 * and shown at its field (body.observations.x, body.damages[i].f) until the field is edited. */
function showRefusal(error) {
  const problems = (error && error.errors) || [];
  const list = document.getElementById("entry-problems");
  list.replaceChildren(...problems.map((fe) => {
    const li = document.createElement("li");
    li.dataset.field = fe.field || "";
    li.textContent = fe.label ? `${fe.label}${lang === "zh" ? "：" : ": "}${fe.text}` : fe.message;
    return li;
  }));
  list.hidden = !problems.length;
  for (const fe of problems) {
    const path = String(fe.field || "").replace(/^body\./, "").replace(/^damages\[/, "defects[");
    const control = controlFor(path);
    const slot = control && document.getElementById(`${control.id}-error`);
    if (!slot) continue;
    slot.textContent = fe.text || fe.message;
    control.setAttribute("aria-invalid", "true");
  }
}

/** Judges the form as it stands and shows every clause's result and the verdict. */
function update({ onSave = false } = {}) {
  if (!state.doc) return null;
  const values = readForm();
  const judged = judgeLive(state.doc, category, values);
  for (const [clauseId, result] of Object.entries(judged.clauses)) {
    const out = document.getElementById(`result-${clauseId}`);
    if (!out) continue;
    out.dataset.result = result;
    out.textContent = words[result === "n/a" ? "na" : result];
    const chip = document.querySelector(`#clause-chips li[data-clause="${clauseId}"]`);
    if (chip) {
      chip.dataset.result = result;
      chip.querySelector(".chip-mark").textContent = MARKS[result];
      chip.querySelector(".chip-word").textContent = out.textContent;
    }
  }
  warnDuplicates(judged.clauses);
  const verdict = verdictOf(judged.compliant);
  const overall = document.getElementById("overall");
  overall.dataset.verdict = verdict;
  overall.textContent = words[verdict];
  // A damage just added has no type yet: say so only when saving.
  const errors = onSave ? judged.errors : judged.errors.filter((e) => e.code !== "missing_damage_type");
  return { values, errors, controls: showFieldErrors(errors) };
}

// ---- likely duplicates ---------------------------------------------------------------

let duplicates = null; // resolves to the warning's show(); its code is fetched when a clause first fails

function warnDuplicates(clauses) {
  const failing = Object.keys(clauses).filter((id) => clauses[id] === "fail");
  if (!duplicates && (!failing.length || !state.asset)) return;
  duplicates = duplicates || import("./form-duplicates.js")
    .then((m) => m.duplicateWarning(state.asset, document.getElementById("duplicates"), words))
    .catch((error) => { console.warn("no duplicate warning", error); return () => {}; });
  duplicates.then((show) => show(failing));
}

// ---- damage instances --------------------------------------------------------------

function showDamageType(li) {
  const type = li.querySelector(".damage-type").value;
  for (const group of li.querySelectorAll(".damage-fields")) group.hidden = group.dataset.type !== type;
}

function addDamage(values = null) {
  const uid = state.nextUid++;
  const li = damageTemplate.content.firstElementChild.cloneNode(true);
  const rename = (v) => v.replaceAll("dmg-N-", `dmg-${uid}-`);
  for (const el of li.querySelectorAll("[id]")) el.id = rename(el.id);
  for (const el of li.querySelectorAll("label[for]")) el.htmlFor = rename(el.htmlFor);
  for (const el of li.querySelectorAll("[aria-describedby]")) {
    el.setAttribute("aria-describedby", rename(el.getAttribute("aria-describedby")));
  }
  const select = li.querySelector(".damage-type");
  select.addEventListener("change", () => { showDamageType(li); update(); });
  li.querySelector(".remove-damage").addEventListener("click", () => removeDamage(li));
  damageList.append(li);
  damagePhotos.set(li, photoList(li.querySelector(".photos")));
  if (values) {
    select.value = values.type || "";
    showDamageType(li);
    for (const [key, value] of Object.entries(values)) {
      const input = li.querySelector(`.damage-fields[data-type="${values.type}"] input[data-field="${key}"]`);
      if (input && value !== null && value !== undefined) input.value = String(value);
    }
  }
  renumberDamages();
  return li;
}

function removeDamage(li) {
  damagePhotos.get(li)?.clear();
  damagePhotos.delete(li);
  li.remove();
  renumberDamages();
  update();
  document.getElementById("add-damage").focus();
}

function renumberDamages() {
  damageItems().forEach((li, i) => { li.querySelector(".damage-no").textContent = String(i + 1); });
}

// ---- loading the standards, the asset and a queued entry ------------------------------

/** The version that judges this form: in force on the day observed, among the phone's versions. */
function versionFor(versions, observedAt) {
  return pickVersion(versions, observedDay(observedAt), category);
}

/** The standards of the day `observedAt`: from the phone's versions, else fetched (and kept, through api.js). */
async function loadStandards(observedAt) {
  const kept = versionFor(await store.getMeta("standards_set").catch(() => null), observedAt);
  if (kept) return kept;
  try {
    await refreshStandards();
    const fetched = versionFor(await store.getMeta("standards_set"), observedAt);
    if (fetched) return fetched;
  } catch (error) {
    console.warn("standards not refreshed", error);
  }
  const response = await fetch("/api/standards/set", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`GET /api/standards/set: ${response.status}`);
  const doc = versionFor((await response.json()).versions, observedAt);
  if (!doc) throw new Error(`no standards version has ${category}`);
  return doc;
}

async function loadAsset(id) {
  try {
    const kept = await store.get("assets", id);
    if (kept) return kept;
  } catch (error) {
    console.warn("asset not in IndexedDB", error);
  }
  try {
    const response = await fetch(`/inspect/assets/${encodeURIComponent(id)}/summary`, {
      headers: { Accept: "application/json" },
    });
    return response.ok ? response.json() : null;
  } catch {
    return null; // offline and not downloaded
  }
}

function setFlag(key, value) {
  const suffix = value === true ? "yes" : value === false ? "no" : "unset";
  const radio = document.getElementById(`obs-${key}-${suffix}`);
  if (radio) radio.checked = true;
}

/** Puts a queued record's body back into the form, photos included. */
async function fillFromBody(body) {
  for (const [key, value] of Object.entries(body.observations || {})) {
    const input = document.getElementById(`obs-${key}`);
    if (input && input.type === "number") input.value = value === null ? "" : String(value);
    else setFlag(key, value);
  }
  const items = (body.damages || []).map((d) => addDamage(d));
  for (const id of body.not_applicable || []) {
    const box = document.getElementById(`na-${id}`);
    if (box) box.checked = true;
  }
  document.getElementById("notes").value = body.notes || "";
  for (const ref of body.photos || []) {
    const kept = (await store.get("photos", ref.sha256).catch(() => null)) || { sha256: ref.sha256 };
    const target = ref.damage_index === null || ref.damage_index === undefined
      ? inspectionPhotos : damagePhotos.get(items[ref.damage_index]);
    (target || inspectionPhotos).add(kept);
  }
}

async function loadEntry(id) {
  const entry = await (outbox.entry || outbox.get)(id);
  // Another user's record is theirs to correct, when they are signed in.
  if (!entry || entry.kind !== "inspection" || !ownedBy(entry, outbox.pageUser()?.id)) {
    showAlert(words.entryMissing);
    return null;
  }
  if (!(await lockEntry(id))) {
    showAlert(words.entryLocked);
    return null;
  }
  const note = document.getElementById("entry-note");
  note.hidden = false;
  const reason = entry.last_error && (entry.last_error.message || entry.last_error);
  document.getElementById("entry-reason").textContent = reason ? String(reason) : "";
  return entry;
}

// ---- saving --------------------------------------------------------------------------

/** Every photo of the form with the damage instance it belongs to (null: the inspection). */
function collectPhotos() {
  const photos = inspectionPhotos.items.map((p) => ({ ...p, damageIndex: null }));
  damageItems().forEach((li, index) => {
    for (const p of damagePhotos.get(li).items) photos.push({ ...p, damageIndex: index });
  });
  return photos;
}

// The photos the outbox entry carries: each once, with its blob (kept ones were reloaded
// from the photos store; one missing there cannot be carried, the server may have it).
function withBlobs(photos) {
  const seen = new Set();
  return photos.filter((p) => p.blob && !seen.has(p.sha256) && seen.add(p.sha256))
    .map(({ sha256, blob, type, size, taken_at, lat, lon }) => ({ sha256, blob, type, size, taken_at, lat, lon }));
}

async function save() {
  const kept = state.entry && state.entry.body;
  const observedAt = kept ? kept.observed_at : isoWithOffset(new Date());
  // The form may have stayed open past midnight into a new version: judge by the day observed.
  const due = versionFor(await store.getMeta("standards_set").catch(() => null), observedAt);
  if (due && due.version !== state.doc.version) state.doc = due;
  const checked = update({ onSave: true });
  if (checked.errors.length) {
    showAlert(words.fixErrors);
    checked.controls[0]?.focus();
    return;
  }
  const photos = collectPhotos();
  // A failing clause marked photo_on_fail (an operator's version) needs a photo; the server checks too.
  const needPhoto = state.doc.categories[category].clauses
    .filter((c) => c.photo_on_fail && document.getElementById(`result-${c.id}`)?.dataset.result === "fail")
    .map((c) => c.id);
  if (needPhoto.length && !photos.length) {
    showAlert(`${words.photoRequired}${needPhoto.join(", ")}`);
    return;
  }
  const body = buildInspectionBody({
    assetId: state.asset.id,
    observedAt,
    position: kept ? kept.position : state.position,
    observations: checked.values.observations,
    damages: checked.values.damages,
    notApplicable: checked.values.notApplicable,
    notes: document.getElementById("notes").value,
    photos,
    standardsVersion: state.doc.version,
  });
  // A corrected entry is enqueued again under its own id: the outbox replaces it, body and
  // photos together, and queues it again (outbox.retry would keep the old photo list).
  const id = state.entry ? state.entry.id : crypto.randomUUID();
  await outbox.enqueue({ kind: "inspection", id, body, photos: withBlobs(photos) });
  // Back to the asset's page (a new asset made on this phone has none yet: the finder), or to
  // a page the phone has; with none at all, the form confirms the save itself.
  const next = await pageAfterSave(state.asset.local ? "/inspect/assets" : `/inspect/assets/${state.asset.id}`);
  if (next) {
    location.assign(next);
    return;
  }
  form.hidden = true;
  const here = document.getElementById("saved-here");
  here.hidden = false;
  here.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (state.saving || !state.doc || !state.asset) return;
  state.saving = true;
  saveButton.disabled = true;
  const label = saveButton.textContent;
  saveButton.textContent = words.saving;
  try {
    await save();
  } catch (error) {
    console.error(error);
    showAlert(`${words.saveFailed}${error && error.message ? error.message : error}`);
  } finally {
    state.saving = false;
    saveButton.disabled = false;
    saveButton.textContent = label;
  }
});

// A field's Enter key ("Go" on a phone keyboard) must not save half a form.
form.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target instanceof HTMLInputElement) event.preventDefault();
});
form.addEventListener("input", () => update());
form.addEventListener("change", () => update());

// ---- start -----------------------------------------------------------------------------

async function start() {
  saveButton.disabled = true;
  inspectionPhotos = photoList(document.querySelector('[data-photos="inspection-photo"]'));
  document.getElementById("add-damage")?.addEventListener("click", () => {
    const li = addDamage();
    li.querySelector(".damage-type").focus();
    update();
  });
  watchGps(document.getElementById("gps-status"), words, (fix) => { state.position = fix; });

  const entryId = params.get("entry");
  if (entryId) {
    state.entry = await loadEntry(entryId);
    if (!state.entry) return;
  }
  try {
    // A reopened entry is judged by the version of the day it was observed, a new one by today's.
    state.doc = await loadStandards(state.entry ? state.entry.body.observed_at : isoWithOffset(new Date()));
  } catch (error) {
    console.error(error);
    showAlert(words.standardsMissing);
    return;
  }
  form.dataset.standardsVersion = state.doc.version;
  const assetId = params.get("asset") || (state.entry && state.entry.body.asset_id);
  const asset = assetId ? await loadAsset(assetId) : null;
  const line = document.getElementById("asset-line");
  if (!asset) {
    line.textContent = words.assetMissing;
    update();
    return;
  }
  line.textContent = `${asset.code || words.newLocal} · ${asset.name}`;
  if (asset.category !== category) {
    showAlert(words.assetWrongCategory);
    return;
  }
  state.asset = asset;
  if (state.entry) await fillFromBody(state.entry.body);
  update();
  if (state.entry) showRefusal(state.entry.last_error);
  saveButton.disabled = false;
  form.dataset.ready = "true"; // for tests and for people: the form is live
}

start();
