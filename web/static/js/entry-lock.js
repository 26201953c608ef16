// One editor per outbox entry: a Web Lock held while a page corrects a queued record, so
// two tabs never edit the same entry at once (released when the page goes away).

/** Resolves true when this page now holds the entry's lock, false when another tab has it. */
export function lockEntry(id) {
  if (!navigator.locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.locks.request(`fieldcheck-entry-${id}`, { ifAvailable: true }, (lock) => {
      resolve(Boolean(lock));
      return lock ? new Promise(() => {}) : undefined;
    });
  });
}
