// asset-shell.js: the asset page with no network. The service worker serves this one page
// (/inspect/assets/shell) for every /inspect/assets/<id> it cannot fetch; here the asset,
// its zone and its open defects are read from the stored bundle (IndexedDB: store.js) and
// written into the page, then asset-page.js adds what is waiting in the outbox as online.

import * as store from "./store.js";
import { formatTime } from "./i18n.js";

const labels = JSON.parse(document.getElementById("shell-labels").textContent);
const pick = (label) => (label ? label[labels.lang] || label.zh || label.en || "" : "");
const fill = (name, text) => { document.querySelector(`[data-fill="${name}"]`).textContent = text; };

/** The asset id of this URL (/inspect/assets/<id>), or null on the shell's own URL. */
function assetIdOfUrl() {
  const m = location.pathname.match(/^\/inspect\/assets\/([0-9a-f-]{36})\/?$/i);
  return m ? m[1].toLowerCase() : null;
}

function defectItem(d) {
  const li = document.createElement("li");
  li.dataset.clause = d.clause_id;
  li.dataset.status = d.status;
  const clause = document.createElement("strong");
  clause.textContent = d.clause_id;
  const severity = document.createElement("span");
  severity.className = `sev-${d.severity}`;
  severity.textContent = labels.severity[d.severity] || d.severity;
  const state = document.createElement("span");
  state.className = "badge";
  state.textContent = labels.status[d.status] || d.status;
  const opened = document.createElement("time");
  opened.dateTime = d.opened_at;
  opened.textContent = formatTime(d.opened_at);
  li.append(clause, ` ${pick(labels.clauses[d.clause_id])} `, severity, " · ", state, ` · ${labels.opened} `, opened);
  return li;
}

async function render() {
  const id = assetIdOfUrl();
  const asset = id ? await store.get("assets", id).catch(() => undefined) : undefined;
  if (!asset) {
    document.getElementById("shell-missing").hidden = false;
    document.body.dataset.shell = "missing";
    return;
  }
  const [zone, defects] = await Promise.all([
    store.get("zones", asset.zone_id).catch(() => undefined),
    store.transaction(["defects"], "readonly", (s) => store.done(s.defects.index("asset_id").getAll(asset.id))),
  ]);
  document.title = `${asset.code} ${asset.name} · fieldcheck`;
  fill("code", asset.code);
  fill("name", asset.name);
  fill("category", pick(labels.categories[asset.category]) || asset.category);
  fill("zone", zone ? `${zone.code} · ${labels.lang === "zh" ? zone.name_zh : zone.name_en}` : "");
  fill("position", `${Number(asset.lat).toFixed(6)}, ${Number(asset.lon).toFixed(6)}`);
  document.getElementById("inspect-link").href = `/inspect/form/${encodeURIComponent(asset.category)}?asset=${encodeURIComponent(asset.id)}`;
  defects.sort((a, b) => String(b.opened_at).localeCompare(String(a.opened_at)));
  document.getElementById("shell-defects").replaceChildren(...defects.map(defectItem));
  document.getElementById("shell-no-defects").hidden = defects.length > 0;
  const last = document.getElementById("shell-last");
  if (asset.last_inspected_at) {
    const when = document.createElement("time");
    when.dateTime = asset.last_inspected_at;
    when.textContent = formatTime(asset.last_inspected_at);
    const verdict = document.createElement("span");
    verdict.className = `verdict verdict-${asset.last_verdict}`;
    verdict.textContent = labels.verdict[asset.last_verdict] || asset.last_verdict || "";
    last.replaceChildren(when, " ", verdict);
  }
  document.getElementById("shell-no-inspections").hidden = !!asset.last_inspected_at;
  document.getElementById("pending").dataset.assetId = asset.id;
  document.getElementById("words").dataset.category = asset.category;
  document.getElementById("shell-asset").hidden = false;
  document.body.dataset.shell = "ready";
  await import("./asset-page.js"); // the outbox list and the #saved note, as on the online page
}

render();
