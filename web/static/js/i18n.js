// i18n.js: the status bar's and outbox's words in the page's language. The server puts them
// in the sync bar's data-strings attribute (server/core/i18n/messages.py, keys "offline.*").

let strings = null;

/**
 * The message `key` with `{name}` placeholders filled from `params`.
 * @param {string} key e.g. 'records'
 * @param {Object<string, string|number>} [params]
 */
export function t(key, params = {}) {
  if (!strings) {
    const bar = document.getElementById('fc-syncbar');
    strings = bar ? JSON.parse(bar.dataset.strings || '{}') : {};
  }
  const text = strings[key] || key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

const locale = () => document.documentElement.lang || 'zh-CN';

/** 1234567 → "1.2 MB" (decimal units, as phones show storage). */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: i ? 1 : 0 }).format(n)} ${units[i]}`;
}

/** An ISO time or epoch ms as the phone's local date and time. */
export function formatTime(value) {
  if (!value) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'short' }).format(new Date(value));
}
