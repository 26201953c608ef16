// import-map.js: the preview of an import on a map (Leaflet, vendored; no tile server needed).
// The site's zones are outlines; the file's features are drawn coloured by what the import
// would do with them (created, updated, unchanged). The data is in #import-map's data-config.
(function () {
  const el = document.getElementById('import-map');
  if (!el || !window.L) return;
  const config = JSON.parse(el.dataset.config || '{}');
  const map = L.map(el, { preferCanvas: true });
  const colours = { created: '#1e7b34', updated: '#b7950b', unchanged: '#2e6da4' };
  const zones = L.geoJSON(config.zones, { style: { color: '#555', weight: 1.5, fill: false } }).addTo(map);
  const features = L.geoJSON(config.features, {
    style: (f) => ({ color: colours[f.properties.status] || '#333', weight: 2 }),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, {
      radius: 4, weight: 1, color: '#111', fillColor: colours[f.properties.status] || '#333', fillOpacity: 0.9,
    }),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.code),
  }).addTo(map);
  const bounds = features.getBounds().isValid() ? features.getBounds() : zones.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] }); else map.setView([0, 0], 2);
  el.dataset.drawn = String(features.getLayers().length);
})();
