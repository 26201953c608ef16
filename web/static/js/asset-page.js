// The asset page: says "saved, waiting to sync" after a save (#saved), and lists this
// asset's records still in the phone's outbox, with a way to correct a refused one.

import * as outbox from "./outbox.js";
import { pageWords } from "./gps.js";

const words = pageWords();
const section = document.getElementById("pending");
const assetId = section.dataset.assetId;

if (location.hash === "#saved") {
  document.getElementById("saved-note").hidden = false;
  history.replaceState(null, "", location.pathname + location.search); // a reload does not say it again
}

function entryItem(entry) {
  const li = document.createElement("li");
  li.dataset.entry = entry.id;
  li.dataset.state = entry.state;
  const when = document.createElement("time");
  when.dateTime = entry.body.observed_at;
  when.textContent = entry.body.observed_at.slice(0, 16).replace("T", " ");
  const state = document.createElement("span");
  state.className = `entry-state state-${entry.state}`;
  state.textContent = words[`state-${entry.state}`.replace(/-(\w)/g, (_, c) => c.toUpperCase())] || entry.state;
  li.append(when, " ", state);
  if (entry.state === "needs_attention") {
    const reason = entry.last_error && (entry.last_error.message || entry.last_error);
    if (reason) li.append(" — ", String(reason));
    const fix = document.createElement("a");
    fix.className = "button secondary";
    fix.href = `/inspect/form/${words.category}?asset=${encodeURIComponent(assetId)}&entry=${encodeURIComponent(entry.id)}`;
    fix.textContent = words.fix;
    li.append(" ", fix);
  }
  return li;
}

async function showPending() {
  let entries = [];
  try {
    entries = (await outbox.list()).filter(
      (e) => e.kind === "inspection" && e.body && e.body.asset_id === assetId && e.state !== "synced",
    );
  } catch (error) {
    console.warn("outbox not readable", error);
  }
  document.getElementById("pending-list").replaceChildren(...entries.map(entryItem));
  section.hidden = entries.length === 0;
}

showPending();
setInterval(showPending, 5000); // the sync loop works in the background; show its progress
