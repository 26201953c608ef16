// point-layer.js: many points on one canvas, drawn in one pass per style, for Leaflet.
// Ten thousand L.circleMarker objects take seconds to build on a cheap machine; this layer
// keeps the points in flat arrays, draws them grouped by style (a handful of fill/stroke
// calls in all) and finds the point under a click by a scan of the projected positions.
// Leaflet positions the canvas through element.style from script, which the page's CSP
// (style-src 'self') allows: it forbids only style attributes and <style> in the HTML.

/**
 * @param {typeof L} L the Leaflet namespace
 * @returns a Leaflet layer class: new PointLayer(points, {styleOf, onClick, pane})
 *   points: [{lat, lon, ...anything}]; styleOf(point) → {key, radius, fill, stroke, width, dash, alpha}
 *   (points sharing a key are drawn together); onClick(point) for a click within reach.
 */
export function pointLayerClass(L) {
  return L.Layer.extend({
    initialize(points, options) {
      this._points = points;
      this._styleOf = options.styleOf;
      this._onClick = options.onClick || null;
      L.setOptions(this, { pane: options.pane || 'overlayPane' });
      this._xy = new Float32Array(points.length * 2);
    },

    onAdd(map) {
      this._map = map;
      this._canvas = L.DomUtil.create('canvas', 'leaflet-zoom-hide point-layer');
      map.getPane(this.options.pane).appendChild(this._canvas);
      map.on('moveend zoomend resize viewreset', this.redraw, this);
      map.on('move', this._throttledRedraw, this);
      if (this._onClick) map.on('click', this._click, this);
      if (this._onClick) map.on('mousemove', this._hover, this);
      this.redraw();
    },

    onRemove(map) {
      map.off('moveend zoomend resize viewreset', this.redraw, this);
      map.off('move', this._throttledRedraw, this);
      map.off('click', this._click, this);
      map.off('mousemove', this._hover, this);
      L.DomUtil.remove(this._canvas);
    },

    /** Styles changed (e.g. a point was selected): draw again. */
    refresh() { this.redraw(); },

    _throttledRedraw() {
      if (this._frame) return;
      this._frame = requestAnimationFrame(() => { this._frame = null; this.redraw(); });
    },

    redraw() {
      const map = this._map;
      if (!map) return;
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      const canvas = this._canvas;
      if (canvas.width !== size.x * ratio || canvas.height !== size.y * ratio) {
        canvas.width = size.x * ratio;
        canvas.height = size.y * ratio;
        canvas.style.width = `${size.x}px`;
        canvas.style.height = `${size.y}px`;
      }
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      const ctx = canvas.getContext('2d');
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      // Project every point once (container pixels), then draw style by style.
      const origin = map.getPixelOrigin();
      const topLeft = map.containerPointToLayerPoint([0, 0]);
      const zoom = map.getZoom();
      const groups = new Map();
      const xy = this._xy;
      for (let i = 0; i < this._points.length; i++) {
        const p = this._points[i];
        const px = map.project([p.lat, p.lon], zoom);
        const x = px.x - origin.x - topLeft.x;
        const y = px.y - origin.y - topLeft.y;
        xy[2 * i] = x;
        xy[2 * i + 1] = y;
        if (x < -20 || y < -20 || x > size.x + 20 || y > size.y + 20) continue;
        const style = this._styleOf(p);
        let group = groups.get(style.key);
        if (!group) groups.set(style.key, (group = { style, at: [] }));
        group.at.push(x, y);
      }
      // Plain points first, emphasised ones (higher `order`) on top.
      const ordered = [...groups.values()].sort((a, b) => (a.style.order || 0) - (b.style.order || 0));
      for (const { style, at } of ordered) {
        ctx.beginPath();
        for (let j = 0; j < at.length; j += 2) {
          ctx.moveTo(at[j] + style.radius, at[j + 1]);
          ctx.arc(at[j], at[j + 1], style.radius, 0, Math.PI * 2);
        }
        ctx.globalAlpha = style.alpha ?? 1;
        if (style.fill) { ctx.fillStyle = style.fill; ctx.fill(); }
        ctx.globalAlpha = 1;
        if (style.stroke && style.width) {
          ctx.setLineDash(style.dash || []);
          ctx.lineWidth = style.width;
          ctx.strokeStyle = style.stroke;
          ctx.stroke();
        }
      }
      ctx.setLineDash([]);
    },

    /** The nearest point within `reach` pixels of a container point, or null. */
    pointAt(containerPoint, reach = 9) {
      const xy = this._xy;
      let best = null;
      let bestD = reach * reach;
      for (let i = 0; i < this._points.length; i++) {
        const dx = xy[2 * i] - containerPoint.x;
        const dy = xy[2 * i + 1] - containerPoint.y;
        const d = dx * dx + dy * dy;
        if (d <= bestD) { bestD = d; best = this._points[i]; }
      }
      return best;
    },

    _click(event) {
      const point = this.pointAt(event.containerPoint);
      if (point) this._onClick(point);
    },

    _hover(event) {
      this._map.getContainer().classList.toggle('over-point', !!this.pointAt(event.containerPoint));
    },
  });
}
