// outbox-page.js: /inspect/outbox. Lists the entries stored on this phone — refused ones
// under "needs attention" with the server's reason, the rest under "waiting" — with retry,
// export (JSON with the photos), delete (after a confirm dialog) and, for a refused record
// that can be corrected (422), a link back to its form with the entry id. Another user's
// entries are listed as waiting for that user to sign in, with no actions: they are theirs.

import { exportEntry, list, pageUser, remove, retry } from './outbox.js';
import { ownedBy } from './sync.js';
import { get } from './store.js';
import { formatTime, t } from './i18n.js';

const attentionList = document.getElementById('ob-attention');
const waitingList = document.getElementById('ob-waiting');
const template = document.getElementById('ob-entry');
const dialog = document.getElementById('ob-confirm');
const ASSET_GONE = new Set(['asset_inactive', 'unknown_asset']);
const lang = (document.documentElement.lang || 'zh').startsWith('zh') ? 'zh' : 'en';
const FIXABLE = new Set([400, 422]); // a corrected body can pass; 409/403/404 cannot
const me = pageUser();

async function render() {
  const entries = await list();
  const rows = await Promise.all(entries.map(async (e) => [e, await describe(e, entries)]));
  fill(attentionList, rows.filter(([e]) => e.state === 'needs_attention'));
  fill(waitingList, rows.filter(([e]) => e.state !== 'needs_attention'));
}

function fill(ul, rows) {
  ul.replaceChildren(...rows.map(([e, info]) => item(e, info)));
  if (!rows.length) {
    const li = document.createElement('li');
    li.className = 'muted ob-empty';
    li.textContent = ul.dataset.empty;
    ul.append(li);
  }
}

/** What the entry is about: its asset's code and name, and its category for the form link. */
async function describe(e, entries) {
  if (e.kind === 'asset') return { title: `${t('offline.kind_asset')} · ${e.body.name || ''}`, category: e.body.category };
  if (e.kind !== 'inspection') return { title: t(`offline.kind_${e.kind}`) };
  const assetId = e.body && e.body.asset_id;
  const asset = assetId ? (await get('assets', assetId)) || (await assetSummary(assetId)) : undefined;
  const created = entries.find((x) => x.kind === 'asset' && x.id === assetId); // made offline, not yet sent
  const name = asset ? `${asset.code} ${asset.name}` : created ? created.body.name : assetId;
  return {
    title: `${t('offline.kind_inspection')} · ${t('offline.asset_label', { name: name || '?' })}`,
    category: asset ? asset.category : created && created.body.category,
  };
}

/** Not downloaded for offline: ask the server (when online) for the asset's code and category. */
const summaries = new Map(); // asset id → promise, so re-renders do not ask again
function assetSummary(id) {
  if (!summaries.has(id)) {
    summaries.set(id, fetch(`/inspect/assets/${encodeURIComponent(id)}/summary`, { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : undefined), () => undefined));
  }
  return summaries.get(id);
}

function item(e, info) {
  const li = template.content.firstElementChild.cloneNode(true);
  li.dataset.id = e.id;
  li.dataset.state = e.state;
  li.querySelector('[data-title]').textContent = info.title;
  li.querySelector('[data-state]').textContent = t(`offline.state_${e.state}`);
  const meta = [t('offline.saved_at', { time: formatTime(e.created_at) }), t('offline.photos', { n: e.photos.length })];
  if (e.attempts) meta.push(t('offline.attempts', { n: e.attempts }));
  if (e.state === 'queued' && e.next_attempt_at > Date.now()) meta.push(t('offline.next_attempt', { time: formatTime(e.next_attempt_at) }));
  li.querySelector('[data-meta]').textContent = meta.join(' · ');
  if (!ownedBy(e, me && me.id)) {
    li.dataset.owner = e.user_id;
    li.querySelector('[data-state]').textContent = t('offline.owner_waiting', { user: e.user_name || e.user_id });
    li.querySelector('.ob-actions').hidden = true;
    return li;
  }

  if (e.last_error) {
    li.querySelector('[data-reason-box]').hidden = false;
    li.querySelector('[data-reason]').textContent = reason(e.last_error);
    const errors = li.querySelector('[data-errors]');
    for (const fe of e.last_error.errors || []) {
      const row = document.createElement('li');
      // The field in words, once ("设施：该设施已停用。"); the bare message when it has no name.
      row.textContent = fe.label ? `${fe.label}${lang === 'zh' ? '：' : ': '}${fe.text}` : fe.message;
      row.dataset.field = fe.field || '';
      errors.append(row);
    }
  }
  const fix = li.querySelector('[data-fix]');
  if (e.state === 'needs_attention' && e.last_error && FIXABLE.has(e.last_error.status)) {
    const href = e.kind === 'asset'
      ? `/inspect/assets/new?entry=${encodeURIComponent(e.id)}`
      : info.category && `/inspect/form/${encodeURIComponent(info.category)}?asset=${encodeURIComponent(e.body.asset_id)}&entry=${encodeURIComponent(e.id)}`;
    if (href) { fix.href = href; fix.hidden = false; }
  }
  // Its asset retired (or gone from the inspector's zones): the record can go to another asset
  // of the same category; the finder picks it and reopens the form on this entry.
  const choose = li.querySelector('[data-choose-asset]');
  const assetGone = (e.last_error && e.last_error.errors || []).some((fe) => ASSET_GONE.has(fe.code));
  if (choose && e.kind === 'inspection' && e.state === 'needs_attention' && assetGone && info.category) {
    choose.href = `/inspect/assets#reassign=${encodeURIComponent(e.id)}&category=${encodeURIComponent(info.category)}`;
    choose.hidden = false;
  }
  li.querySelector('[data-retry]').hidden = e.state === 'sending';
  li.querySelector('[data-retry]').addEventListener('click', () => retry(e.id));
  li.querySelector('[data-export]').addEventListener('click', () => download(e.id));
  li.querySelector('[data-delete]').addEventListener('click', () => confirmDelete(e.id));
  return li;
}

/** The refusal in words: the server's own message (already in the user's language) first. */
function reason(err) {
  if (err.code === 'photo_not_on_phone') return t('offline.err_photo_not_on_phone');
  if (err.photo && err.message) return t('offline.err_photo', { message: err.message });
  if (err.message) return err.code ? `${err.message} (${err.code})` : err.message;
  if (err.code === 'network' || !err.status) return t('offline.err_network');
  if (err.status >= 500 || err.status === 429) return t('offline.err_server', { status: err.status });
  return t('offline.err_refused', { status: err.status });
}

async function download(id) {
  const url = URL.createObjectURL(await exportEntry(id));
  const a = document.createElement('a');
  a.href = url;
  a.download = `fieldcheck-${id}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function confirmDelete(id) {
  dialog.returnValue = '';
  dialog.onclose = () => { if (dialog.returnValue === 'delete') remove(id); };
  dialog.showModal();
}

window.addEventListener('fieldcheck:outbox-changed', render);
render();
