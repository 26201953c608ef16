// rounds-logic.js: what is due on the phone — the same computation as server/rounds/due.py,
// checked against the same vectors (tests/rounds_vectors/, run by tests/test_rounds_schedule.py
// under node). Plain ES module without dependencies; runs in the browser and under node.
// Days are the site's days (Intl with the site's time zone), never the phone's.

const METRES_PER_DEGREE = 111195.0;
const DAY_MS = 86400000;
const formatters = new Map();

function formatter(timeZone) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const QUARTER_MS = 900000;
const offsets = new Map();

/** The zone's UTC offset (ms) in a quarter hour: one Intl call per quarter hour, not per record. */
function offsetMs(timeZone, bucket) {
  let byBucket = offsets.get(timeZone);
  if (!byBucket) { byBucket = new Map(); offsets.set(timeZone, byBucket); }
  let off = byBucket.get(bucket);
  if (off === undefined) {
    const p = {};
    const at = bucket * QUARTER_MS;
    for (const part of formatter(timeZone).formatToParts(new Date(at))) p[part.type] = part.value;
    off = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute) - at;
    byBucket.set(bucket, off);
  }
  return off;
}

const HHMM = [];
for (let m = 0; m < 1440; m++) HHMM.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);

/** The local day number (days since 1970-01-01) and time "HH:MM" of an instant (ms): arithmetic, no Date object. */
function localDayTime(ms, timeZone) {
  const here = Math.floor(ms / 60000) * 60000 + offsetMs(timeZone, Math.floor(ms / QUARTER_MS));
  const day = Math.floor(here / DAY_MS);
  return [day, HHMM[Math.floor((here - day * DAY_MS) / 60000)]];
}

/** The local day "YYYY-MM-DD" and time "HH:MM" of an instant (ms) in `timeZone`. */
export function localParts(ms, timeZone) {
  const [day, at] = localDayTime(ms, timeZone);
  return [new Date(day * DAY_MS).toISOString().slice(0, 10), at];
}

// Days as integers (days since 1970-01-01) so arithmetic has no time zone in it.
const dayNumber = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS;
const dayText = (n) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const isoWeekday = (n) => ((new Date(n * DAY_MS).getUTCDay() + 6) % 7) + 1;
const daysInMonth = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate(); // m: 1..12
const monthlyStart = (y, m, d) => dayNumber(`${y}-${String(m).padStart(2, '0')}-${String(Math.min(d, daysInMonth(y, m))).padStart(2, '0')}`);
function addMonth(y, m, months) {
  const index = y * 12 + (m - 1) + months;
  return [Math.floor(index / 12), (index % 12) + 1];
}

/** The round of one schedule version that `day` (a day number) falls in: [first, next], or null. */
export function roundOn(schedule, day) {
  const startDay = dayNumber(schedule.effective_from);
  if (day < startDay || schedule.kind === 'off') return null;
  if (schedule.kind === 'every_days') {
    const n = schedule.every_days;
    const first = startDay + Math.floor((day - startDay) / n) * n;
    return [first, first + n];
  }
  if (schedule.kind === 'weekdays') {
    const days = new Set(schedule.weekdays);
    let first = day;
    while (!days.has(isoWeekday(first))) first -= 1;
    if (first < startDay) return null;
    let next = first + 1;
    while (!days.has(isoWeekday(next))) next += 1;
    return [first, next];
  }
  if (schedule.kind === 'monthly') {
    const d = schedule.day_of_month;
    const text = dayText(day);
    let [y, m] = [+text.slice(0, 4), +text.slice(5, 7)];
    let first = monthlyStart(y, m, d);
    if (first > day) { [y, m] = addMonth(y, m, -1); first = monthlyStart(y, m, d); }
    if (first < startDay) return null;
    const [ny, nm] = addMonth(y, m, 1);
    return [first, monthlyStart(ny, nm, d)];
  }
  throw new Error(`unknown schedule kind ${schedule.kind}`);
}

/** The version in force on `day` and the day number the next one takes effect (or null). */
export function inForce(versions, day) {
  let current = null;
  let following = null;
  for (const v of versions) {
    const eff = dayNumber(v.effective_from);
    if (eff <= day && (current === null || eff > dayNumber(current.effective_from))) current = v;
    if (eff > day && (following === null || eff < following)) following = eff;
  }
  return [current, following];
}

const inWindow = (window, at) => !window || (window.from <= at && at < window.to);

/**
 * The inspector's due list, as server/rounds/due.py's due_list.
 * @param {{now: string, timezone: string, schedules: object[], emergencies?: object[],
 *   assets: object[], inspections?: {asset_id: string, observed_at: string}[],
 *   position?: {lat: number, lon: number}|null}} data
 */
export function dueList(data) {
  const tz = data.timezone;
  const today = localDayTime(Date.parse(data.now), tz)[0];
  const seen = new Map();
  for (const rec of data.inspections || []) {
    const ms = Date.parse(rec.observed_at);
    const [d, at] = localDayTime(ms, tz);
    let list = seen.get(rec.asset_id);
    if (!list) { list = []; seen.set(rec.asset_id, list); }
    list.push([d, at, ms]);
  }
  const versionsByKey = new Map();
  for (const s of data.schedules || []) {
    const key = `${s.zone_id}\u0000${s.category}`;
    if (!versionsByKey.has(key)) versionsByKey.set(key, []);
    versionsByKey.get(key).push(s);
  }
  const rounds = new Map();
  for (const [key, versions] of versionsByKey) {
    const [version, following] = inForce(versions, today);
    const span = version ? roundOn(version, today) : null;
    if (!span) { rounds.set(key, null); continue; }
    let [start, next] = span;
    if (following !== null && following < next) next = following;
    rounds.set(key, [version, start, next - 1]);
  }
  const emergencies = [...(data.emergencies || [])]
    .sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((e) => [e, Date.parse(e.started_at)]);

  const left = [];
  const done = [];
  const counts = { emergency: 0, due_today: 0, overdue: 0, done: 0, left: 0 };
  for (const asset of data.assets || []) {
    const records = seen.get(asset.id) || [];
    let item = null;
    let emDone = false;
    for (const [e, started] of emergencies) {
      if (e.zone_ids.includes(asset.zone_id) && (!e.categories.length || e.categories.includes(asset.category))) {
        if (records.some((r) => r[2] >= started)) emDone = true;
        else item = { state: 'emergency', emergency_id: e.id, due_on: null, round_ends: null, window: null };
        break;
      }
    }
    const current = rounds.get(`${asset.zone_id}\u0000${asset.category}`);
    if (current) {
      const [version, start, end] = current;
      const window = version.window || null;
      const hit = records.some(([d, at]) => start <= d && d <= today && inWindow(window, at));
      const state = hit ? 'done' : (start === today ? 'due_today' : 'overdue');
      if (!item) item = { state, emergency_id: null, due_on: dayText(start), round_ends: dayText(end), window };
    }
    if (!item && emDone) item = { state: 'done', emergency_id: null, due_on: null, round_ends: null, window: null };
    if (!item) continue;
    item = { asset_id: asset.id, code: asset.code, ...item };
    counts[item.state] += 1;
    (item.state === 'done' ? done : left).push([item, asset]);
  }
  counts.left = left.length;
  const [route, last] = walkingOrder(left.filter((p) => p[0].state === 'emergency'), data.position || null);
  const [more] = walkingOrder(left.filter((p) => p[0].state !== 'emergency'), last);
  const doneItems = done.map((p) => p[0]).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return { today: dayText(today), counts, items: [...route, ...more, ...doneItems] };
}

/** Nearest neighbour from `start`, exactly as server/rounds/due.py's walking_order. */
export function walkingOrder(pairs, start) {
  if (!pairs.length) return [[], start ? { lat: start.lat, lon: start.lon } : null];
  pairs = [...pairs].sort((a, b) => (a[0].code < b[0].code ? -1 : a[0].code > b[0].code ? 1 : 0));
  if (!start) start = { lat: pairs[0][1].lat, lon: pairs[0][1].lon };
  const lat0 = start.lat;
  const lon0 = start.lon;
  const cos0 = Math.cos(lat0 * Math.PI / 180);
  const n = pairs.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let minX = Infinity; let maxX = -Infinity; let minY = Infinity; let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const a = pairs[i][1];
    xs[i] = Math.floor((a.lon - lon0) * METRES_PER_DEGREE * cos0 * 100 + 0.5);
    ys[i] = Math.floor((a.lat - lat0) * METRES_PER_DEGREE * 100 + 0.5);
    minX = Math.min(minX, xs[i]); maxX = Math.max(maxX, xs[i]);
    minY = Math.min(minY, ys[i]); maxY = Math.max(maxY, ys[i]);
  }
  const span = Math.max(maxX - minX, maxY - minY, 100.0);
  const cell = Math.max(Math.floor(span / Math.sqrt(n)), 100);
  // A dense array of cells over the points' extent (small integer indexes, no hashing).
  const gx0 = Math.floor(minX / cell); const gy0 = Math.floor(minY / cell);
  const gw = Math.floor(maxX / cell) - gx0 + 1; const gh = Math.floor(maxY / cell) - gy0 + 1;
  const cells = new Array(gw * gh);
  const cellAt = (gx, gy) => (gx < gx0 || gy < gy0 || gx >= gx0 + gw || gy >= gy0 + gh ? undefined : cells[(gx - gx0) * gh + (gy - gy0)]);
  for (let i = 0; i < n; i++) {
    const k = (Math.floor(xs[i] / cell) - gx0) * gh + (Math.floor(ys[i] / cell) - gy0);
    if (!cells[k]) cells[k] = [];
    cells[k].push(i);
  }
  const alive = new Set();
  for (let i = 0; i < n; i++) alive.add(i);
  let hx = 0; let hy = 0;
  const order = [];
  let best = -1;
  while (alive.size) {
    const cx = Math.floor(hx / cell); const cy = Math.floor(hy / cell);
    best = -1;
    let bestD = 0;
    const consider = (i) => {
      const dx = xs[i] - hx; const dy = ys[i] - hy;
      const d = dx * dx + dy * dy;
      if (best < 0 || d < bestD || (d === bestD && i < best)) { best = i; bestD = d; }
    };
    for (let ring = 0; ; ring++) {
      if ((2 * ring + 1) ** 2 > 4 * alive.size) { for (const i of alive) consider(i); break; }
      for (let gx = cx - ring; gx <= cx + ring; gx++) {
        const step = Math.abs(gx - cx) === ring ? 1 : 2 * ring;
        for (let gy = cy - ring; gy <= cy + ring; gy += Math.max(step, 1)) {
          const bucket = cellAt(gx, gy);
          if (bucket) for (const i of bucket) consider(i);
        }
      }
      const reach = ring * cell;
      if (best >= 0 && bestD < reach * reach) break;
    }
    const bucket = cellAt(Math.floor(xs[best] / cell), Math.floor(ys[best] / cell));
    bucket.splice(bucket.indexOf(best), 1);
    alive.delete(best);
    order.push(pairs[best][0]);
    hx = xs[best]; hy = ys[best];
  }
  const lastAsset = pairs[best][1];
  return [order, { lat: lastAsset.lat, lon: lastAsset.lon }];
}
