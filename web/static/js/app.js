// app.js: loaded on every page. Registers the service worker; on inspector pages (those with
// the sync bar) starts the status bar and the sync triggers. The sync modules are imported
// only there, so other pages stay light.

import { PAGES_CACHE } from './cache-names.js';

if ('serviceWorker' in navigator) {
  // A module worker, so it can import the same sync code as the page (Chromium).
  navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' })
    .catch((err) => console.warn('fieldcheck: service worker not registered', err));
}

const bar = document.getElementById('fc-syncbar');
if (bar) {
  Promise.all([import('./status.js'), import('./sync.js')]).then(([status, sync]) => {
    status.mountStatusBar(bar);
    sync.startAutoSync();
  });
}

// The compact bar's menu (web/templates/inspect/_topbar.html): open and close, Escape closes.
const menuButton = document.getElementById('fc-menu-button');
if (menuButton) {
  const panel = document.getElementById('fc-menu');
  const setOpen = (open) => { menuButton.setAttribute('aria-expanded', String(open)); panel.dataset.open = open ? '1' : ''; };
  menuButton.addEventListener('click', () => setOpen(menuButton.getAttribute('aria-expanded') !== 'true'));
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') setOpen(false); });
}

// Back from a save (web/static/js/after-save.js): pages that do not handle "#saved" themselves
// (those whose note says data-saved-note) confirm it here.
const savedNote = document.querySelector('[data-saved-note]');
if (savedNote && location.hash === '#saved') {
  savedNote.hidden = false;
  history.replaceState(null, '', location.pathname + location.search);
}

// The cached pages show the data of the user they were rendered for: when another user is
// now signed in (the last session ended without signing out), they go, as on signing out.
// (What those pages save is tagged with their user: web/static/js/outbox.js.)
const userId = document.body.dataset.userId;
if (userId && self.caches && (bar || document.getElementById('wo-sync'))) {
  import('./store.js').then(async (store) => {
    const last = await store.getMeta('page_user');
    if (last === userId) return;
    if (last) await caches.delete(PAGES_CACHE);
    await store.setMeta('page_user', userId);
  });
}

// Signing out forgets the cached pages (they show this user's data). The outbox and the
// downloaded data stay: nothing captured is thrown away by a sign-out.
for (const form of document.querySelectorAll('form.signout')) {
  form.addEventListener('submit', (event) => {
    if (!self.caches || form.dataset.cleared) return;
    event.preventDefault();
    caches.delete(PAGES_CACHE).finally(() => { form.dataset.cleared = '1'; form.requestSubmit(); });
  });
}
