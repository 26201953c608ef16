// Which standards version judges a record: the one in force on the day it was observed.
// The phone keeps several (GET /api/standards/set: the one in force and every scheduled one,
// docs/standards-format.md "Versions on the phone"); plain ES module, runs under node too.

/** The local date "YYYY-MM-DD" of an ISO time with offset ("2026-12-21T09:30:00+08:00"). */
export function observedDay(iso) {
  return String(iso).slice(0, 10);
}

/**
 * The version in force on `day` ("YYYY-MM-DD"): the latest with effective_from <= day,
 * else (a clock before every version) the earliest. With `category`, only versions that
 * have it count, so a category a scheduled version adds opens with that version.
 * @param {object[]} versions export documents
 * @returns {object|null}
 */
export function pickVersion(versions, day, category = null) {
  const usable = (versions || []).filter((v) => v && v.categories && (!category || v.categories[category]))
    .sort((a, b) => (a.effective_from < b.effective_from ? -1 : 1));
  if (!usable.length) return null;
  const inForce = usable.filter((v) => v.effective_from <= day);
  return inForce.length ? inForce[inForce.length - 1] : usable[0];
}

/**
 * The versions to keep: what the server sent, plus kept ones it no longer sends that were
 * in force within the last `keepDays` (a queued record of that time may be corrected).
 */
export function mergeVersions(kept, received, today, keepDays = 62) {
  const byVersion = new Map((kept || []).map((v) => [v.version, v]));
  for (const v of received) byVersion.set(v.version, v);
  const all = [...byVersion.values()].sort((a, b) => (a.effective_from < b.effective_from ? -1 : 1));
  const cutoff = new Date(Date.parse(`${today}T00:00:00Z`) - keepDays * 86400000).toISOString().slice(0, 10);
  const sent = new Set(received.map((v) => v.version));
  // A version the server dropped is kept while its successor came into force after the cutoff.
  return all.filter((v, i) => sent.has(v.version) || (all[i + 1] && all[i + 1].effective_from > cutoff));
}
