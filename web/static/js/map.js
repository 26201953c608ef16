// map.js: the supervisor's defect map (Leaflet, vendored; no CDN, no tile server needed).
// Zone outlines and asset points are the base map; defects are points coloured by
// severity and marked by status, drawn on one canvas so 10,000 of them stay smooth.
// The map shows the same filter as the list beside it (the page's query string); clicking
// a point opens the defect in the side panel (htmx) and ticks it in the list, so it can be
// put on a work order. The points are one canvas layer (point-layer.js), not 10,000 Leaflet
// markers. When the defects are first drawn, #map gets data-drawn-ms (time
// since navigation start) and data-count: bench/map_page.py and the tests read them.

import { pointLayerClass } from './point-layer.js';

const el = document.getElementById('map');
const side = document.getElementById('map-side');
const status = document.getElementById('map-status');
// The filters swap the list (#map-results, inside #order-form) in place with htmx: what is in
// it is looked up each time, never kept from the first load.
const formEl = () => document.getElementById('order-form');
const results = () => document.getElementById('map-results');
const config = JSON.parse(el.dataset.config || '{}');

// Marks by status: open solid, ordered with a heavy ring, fixed hollow and dashed,
// closed and dismissed small and grey. Selected points get a blue ring on top.
const STATUS_STYLE = {
  open: { radius: 6, width: 1.5, stroke: '#111', alpha: 0.9 },
  ordered: { radius: 7, width: 3.5, stroke: '#111', alpha: 0.9 },
  fixed: { radius: 6, width: 2, alpha: 0.25, dash: [3, 2] },
  closed: { radius: 4, width: 1, stroke: '#888', fill: '#bbb', alpha: 0.8 },
  dismissed: { radius: 4, width: 1, stroke: '#888', fill: '#ddd', alpha: 0.8 },
};

function severityColours() {
  const css = getComputedStyle(document.documentElement);
  const pick = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    urgent: pick('--urgent', '#b00020'), high: pick('--high', '#d35400'),
    normal: pick('--normal', '#b7950b'), low: pick('--low', '#2e6da4'),
  };
}

async function getJson(url) {
  // Same URL, mode and credentials as the page's <link rel=preload>, so the preloaded answer is used.
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** The list's checkbox of a defect, or a hidden input standing in for one not listed. */
function selectionInput(id) {
  return formEl().querySelector(`input[name="defect"][value="${id}"]`);
}

function isSelected(id) {
  const input = selectionInput(id);
  return !!input && (input.type === 'hidden' || input.checked);
}

function showCount() {
  const n = formEl().querySelectorAll('input[name="defect"][type="hidden"], input[name="defect"]:checked').length;
  const countEl = document.getElementById('selected-count');
  countEl.textContent = countEl.dataset.template.replace('{n}', String(n));
}

function start() {
  const PointLayer = pointLayerClass(L);
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  map.createPane('assets').style.zIndex = 390;
  if (config.tile_url) L.tileLayer(config.tile_url, { maxZoom: 21 }).addTo(map);
  const colours = severityColours();
  const styles = new Map();
  const styleOf = (p) => {
    const key = `${p.status}|${p.severity}|${p.selected ? 1 : 0}`;
    let style = styles.get(key);
    if (!style) {
      const base = STATUS_STYLE[p.status] || STATUS_STYLE.open;
      const colour = colours[p.severity] || '#666';
      style = { key, fill: colour, stroke: colour, ...base, order: p.selected ? 2 : base.radius > 5 ? 1 : 0 };
      if (p.selected) Object.assign(style, { stroke: '#0b57d0', width: 4, dash: [] });
      styles.set(key, style);
    }
    return style;
  };
  let defects = null;
  const byId = new Map();

  const zonesReady = getJson(el.dataset.zones).then((zones) => L.geoJSON(zones, {
    style: { color: '#1f6f43', weight: 2, fillColor: '#1f6f43', fillOpacity: 0.04 },
    interactive: false,
    onEachFeature: (f, l) => l.bindTooltip(f.properties.code, { permanent: true, direction: 'center', className: 'zone-label' }),
  }));

  let assetsLayer = null;
  let drawn = null;  // the GeoJSON address the points on the map come from

  /** Draw the defects of `url` (the list's own selection), replacing those drawn before. */
  function draw(url, assetsUrl) {
    drawn = url;
    const ready = Promise.all([getJson(url), zonesReady.catch(() => null)]).then(([collection, zones]) => {
      if (url !== drawn) return 0;  // a newer filter was applied meanwhile
      const form = formEl();
      // The ticked boxes, looked up once (a query per point would cost more than the drawing).
      const ticked = new Set([...form.querySelectorAll('input[name="defect"]')]
        .filter((i) => i.type === 'hidden' || i.checked).map((i) => i.value));
      byId.clear();
      const points = collection.features.map((f) => {
        const [lon, lat] = f.geometry.coordinates;
        const point = { id: f.id, lat, lon, status: f.properties.status, severity: f.properties.severity,
                        selected: ticked.has(f.id) };
        byId.set(f.id, point);
        return point;
      });
      // The selection decides the view (a filter on one zone shows that zone); no match: every zone.
      let bounds = null;
      if (points.length) {
        let [s, w, n, e] = [90, 180, -90, -180];
        for (const p of points) {
          if (p.lat < s) s = p.lat;
          if (p.lat > n) n = p.lat;
          if (p.lon < w) w = p.lon;
          if (p.lon > e) e = p.lon;
        }
        bounds = L.latLngBounds([s, w], [n, e]).pad(0.05);
      } else if (zones && zones.getLayers().length) {
        bounds = zones.getBounds();
      }
      if (bounds) map.fitBounds(bounds, { padding: [12, 12], maxZoom: 18, animate: false });
      else map.setView([0, 0], 2);
      if (zones && !map.hasLayer(zones)) zones.addTo(map);
      if (defects) map.removeLayer(defects);
      defects = new PointLayer(points, { styleOf, onClick: choose }).addTo(map);
      // Two frames: the canvas has painted, not just been asked to.
      requestAnimationFrame(() => requestAnimationFrame(() => {
        el.dataset.drawnMs = String(Math.round(performance.now()));
        el.dataset.count = String(points.length);
        el.dataset.open = String(points.filter((p) => p.status === 'open').length);
        el.dataset.source = url;
        status.textContent = '';
      }));
      return points.length;
    });
    ready.catch((err) => { status.textContent = String(err.message || err); });
    // Assets are the background: fetched after the defects are drawn, never in their way.
    ready.finally(() => {
      if (assetsUrl === el.dataset.assetsDrawn) return;
      getJson(assetsUrl).then((assets) => {
        const points = assets.features.map((f) => ({ lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0] }));
        const asset = { key: 'asset', radius: 2.5, fill: '#555', alpha: 0.45 };
        if (assetsLayer) map.removeLayer(assetsLayer);
        assetsLayer = new PointLayer(points, { styleOf: () => asset, pane: 'assets' }).addTo(map);
        el.dataset.assetsDrawn = assetsUrl;
      }).catch(() => {});
    });
  }

  draw(el.dataset.defects, el.dataset.assets);

  // The filters swapped the list in place: draw the points of its selection. A defect closed
  // or dismissed in the panel: its point and its row in the list take the new status.
  document.body.addEventListener('htmx:afterSettle', () => {
    const r = results();
    if (r && r.dataset.defects && r.dataset.defects !== drawn) {
      draw(r.dataset.defects, r.dataset.assets);
      showCount();
    }
    const detail = document.querySelector('#detail article.defect-detail');
    if (detail) followStatus(detail.dataset.defect, detail.dataset.status, detail.querySelector('.status'));
  });

  function followStatus(id, newStatus, label) {
    const point = byId.get(id);
    const row = document.querySelector(`tr[data-defect="${id}"]`);
    if ((!point || point.status === newStatus) && (!row || row.dataset.status === newStatus)) return;
    if (point) {
      if (point.status === 'open') el.dataset.open = String(Number(el.dataset.open || 0) - 1);
      if (newStatus === 'open') el.dataset.open = String(Number(el.dataset.open || 0) + 1);
      point.status = newStatus;
    }
    if (row) {
      row.dataset.status = newStatus;
      const cell = row.querySelector('.status');
      if (cell && label) cell.parentElement.replaceChildren(label.cloneNode(true));
    }
    if (newStatus !== 'open') {
      const input = selectionInput(id);
      if (input && input.type === 'checkbox') {
        input.checked = false;
        input.disabled = true;
      } else if (input) input.remove();
    }
    restyle(id);
    showCount();
    if (defects) defects.refresh();
  }

  function restyle(id) {
    const point = byId.get(id);
    if (point) point.selected = isSelected(id);
    const row = document.querySelector(`tr[data-defect="${id}"]`);
    if (row) row.classList.toggle('selected', isSelected(id));
  }

  /** A point clicked: its detail in the panel; an open defect is (un)ticked for an order. */
  function choose(point) {
    const id = point.id;
    if (window.htmx) window.htmx.ajax('GET', `${el.dataset.detailBase}${id}`, { target: '#detail', swap: 'innerHTML' });
    for (const r of document.querySelectorAll('tr.focused')) r.classList.remove('focused');
    const row = document.querySelector(`tr[data-defect="${id}"]`);
    if (row) {
      row.classList.add('focused');
      row.scrollIntoView({ block: 'nearest' });
    }
    if (point.status === 'open') {
      const input = selectionInput(id);
      if (input && input.type === 'checkbox') input.checked = !input.checked;
      else if (input) input.remove();
      else {
        const hidden = document.createElement('input');
        hidden.type = 'hidden';
        hidden.name = 'defect';
        hidden.value = id;
        formEl().append(hidden);
      }
      restyle(id);
      showCount();
      if (defects) defects.refresh();
    }
  }

  // On #map-side, which the swaps leave in place (the list inside it is replaced).
  side.addEventListener('change', (event) => {
    const box = event.target;
    if (!box.closest('#order-form')) return;
    if (box.id === 'select-all') {
      for (const input of formEl().querySelectorAll('input[name="defect"][type="checkbox"]:not(:disabled)')) {
        input.checked = box.checked;
        restyle(input.value);
      }
    } else if (box.name === 'defect') {
      restyle(box.value);
    }
    showCount();
    if (defects) defects.refresh();
  });
  showCount();
}

// A shared link carries only the filters in use: empty fields are left out of the URL.
const filters = document.querySelector('form.filters');
if (filters) {
  filters.addEventListener('submit', () => {
    for (const field of filters.querySelectorAll('input, select')) {
      if (field.name && field.value === '' && field.type !== 'checkbox') field.disabled = true;
    }
  });
  const enable = () => { for (const f of filters.querySelectorAll(':disabled')) if (f.name) f.disabled = false; };
  // Coming back with the back button, the fields must be usable again (bfcache); after an
  // htmx swap they stay on the page and must be usable too.
  window.addEventListener('pageshow', enable);
  filters.addEventListener('htmx:beforeRequest', () => { status.textContent = status.dataset.updating || ''; });
  filters.addEventListener('htmx:afterRequest', (event) => {
    enable();
    // On a phone the filters fold over the map: fold them away once applied.
    const panel = document.getElementById('filter-panel');
    if (event.detail.successful && panel && window.matchMedia('(max-width: 59.99rem)').matches) panel.open = false;
  });
}

// leaflet.js is a deferred classic script before this module: L exists by now.
if (window.L) start();
else window.addEventListener('DOMContentLoaded', start, { once: true });
