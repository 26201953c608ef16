// order-map.js: the contractor's small map of one work order's defects (contractor/order.html).
// No tile server needed: the points alone, coloured by severity, fitted to the window; a
// point's tap scrolls to its defect in the list. A tile URL is used when one is configured.

const el = document.getElementById('order-map');
const COLOURS = { urgent: '#b00020', high: '#d35400', normal: '#b7950b', low: '#2e6da4' };

function draw() {
  const L = window.L;
  if (!el || !L) return;
  const items = Array.from(document.querySelectorAll('.fix-item[data-lat]'));
  const points = items.map((li) => ({ li, lat: Number(li.dataset.lat), lon: Number(li.dataset.lon), severity: li.dataset.severity }))
    .filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
  if (!points.length) { el.hidden = true; return; }
  const map = L.map(el, { attributionControl: false, zoomSnap: 0.5 });
  const tiles = el.dataset.tiles;
  if (tiles) L.tileLayer(tiles, { maxZoom: 20 }).addTo(map);
  const layer = L.featureGroup(points.map((p, i) => L.circleMarker([p.lat, p.lon], {
    radius: 10, weight: 3, color: '#111', fillColor: COLOURS[p.severity] || '#555', fillOpacity: 0.9,
  }).bindTooltip(String(i + 1), { permanent: true, direction: 'center', className: 'order-map-label' })
    .on('click', () => p.li.scrollIntoView({ behavior: 'smooth', block: 'start' })))).addTo(map);
  map.fitBounds(layer.getBounds().pad(0.3), { maxZoom: 18 });
  el.dataset.drawn = String(points.length);
}

if (document.readyState === 'complete') draw();
else window.addEventListener('load', draw);
