// The phone's position, watched while a page is open, with its accuracy shown.

/**
 * Watches the position and shows its accuracy in `statusEl` (words from the page's
 * #words element: gpsWaiting, gpsAccuracy with "{m}", gpsUnavailable, gpsDenied).
 * Calls `onFix({lat, lon, accuracy_m})` on every fix. Returns a function that stops.
 */
export function watchGps(statusEl, words, onFix) {
  const show = (text, state) => {
    if (statusEl.textContent !== text) statusEl.textContent = text;
    statusEl.dataset.state = state;
  };
  if (!("geolocation" in navigator)) {
    show(words.gpsUnavailable, "none");
    return () => {};
  }
  let fixed = false;
  const id = navigator.geolocation.watchPosition(
    (pos) => {
      fixed = true;
      const fix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy };
      show(words.gpsAccuracy.replace("{m}", String(Math.round(fix.accuracy_m))), "fix");
      onFix(fix);
    },
    (error) => {
      // A timeout after a fix keeps the last one on screen; a refusal is always said.
      if (error.code === error.PERMISSION_DENIED) show(words.gpsDenied, "denied");
      else if (!fixed) show(words.gpsUnavailable, "none");
    },
    { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 },
  );
  return () => navigator.geolocation.clearWatch(id);
}

/** The page's words (the hidden #words element's data-* attributes). */
export function pageWords() {
  const el = document.getElementById("words");
  return el ? el.dataset : {};
}

/** "zh" or "en", from the page's lang attribute. */
export function pageLanguage() {
  return document.documentElement.lang.toLowerCase().startsWith("zh") ? "zh" : "en";
}
