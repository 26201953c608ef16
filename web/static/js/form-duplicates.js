// form-duplicates.js: the inspection form's likely-duplicate warning, loaded the first time a
// clause fails (the form's first load stays light). For each failing clause: the asset's own
// open defect of that clause (the failure adds evidence to it), or open defects of the same
// clause on other assets of the category within the configured distance, with a link to
// open that asset instead. Never blocks saving.

import { nearbyLoader } from './nearby-data.js';
import { defectDuplicates } from './duplicates.js';
import { formatDistance } from './finder-logic.js';

const SHOWN_PER_CLAUSE = 3;

const fill = (text, params) => text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
const label = (asset) => (asset ? `${asset.code || ''} ${asset.name || ''}`.trim() : '—');

/**
 * Loads the data around `asset` once and returns `show(failingClauseIds)`, which fills `box`
 * (a role="status" region that stays in the page, empty when there is nothing to say).
 * @param {{id: string, category: string, lat: number, lon: number}} asset
 * @param {HTMLElement} box
 * @param {DOMStringMap} words the page's words (dupOwn, dupNear, dupOpen)
 */
export async function duplicateWarning(asset, box, words) {
  const data = await nearbyLoader()(asset, asset.category);
  let shown = '';
  return (failing) => {
    if (!data) return;
    const found = failing.map((clause) => [clause, defectDuplicates(data, asset, clause, data.radius)]);
    const key = JSON.stringify(found.map(([c, f]) => [c, f.own && f.own.id, f.nearby.map((n) => n.defect.id)]));
    if (key === shown) return; // every keystroke re-judges; say it again only when it changes
    shown = key;
    const lines = [];
    for (const [clause, { own, nearby }] of found) {
      if (own) lines.push(line(fill(words.dupOwn, { clause })));
      for (const n of nearby.slice(0, SHOWN_PER_CLAUSE)) {
        const text = fill(words.dupNear, { clause, asset: label(n.asset), distance: formatDistance(n.distance) });
        lines.push(line(text, n.asset && { href: `/inspect/assets/${encodeURIComponent(n.asset.id)}`,
          text: fill(words.dupOpen, { asset: label(n.asset) }) }));
      }
    }
    box.replaceChildren(...lines);
  };
}

function line(text, link) {
  const p = document.createElement('p');
  p.textContent = text;
  if (link) {
    const a = document.createElement('a');
    a.href = link.href;
    a.textContent = link.text;
    p.append(' ', a);
  }
  return p;
}
