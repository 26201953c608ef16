// i18n.js: the phone's words in the page's language, from the server's catalogue
// (server/core/i18n/zh.json, en.json; docs/i18n.md). Every page embeds the families the
// scripts use (offline.*, due.*) as JSON in <script id="fc-words">, so the words are
// there offline too: they come with the page the service worker cached.

let words = null;
let plurals = null;

/**
 * The message `key` with `{name}` placeholders filled from `params`. A counted message holds
 * CLDR plural forms ({one, other} in English, {other} in Chinese); `params.n` picks one with
 * Intl.PluralRules, the rules Babel applies on the server.
 * @param {string} key e.g. 'offline.records'
 * @param {Object<string, string|number>} [params]
 */
export function t(key, params = {}) {
  if (!words) {
    const el = document.getElementById('fc-words');
    words = el ? JSON.parse(el.textContent || '{}') : {};
    plurals = new Intl.PluralRules(locale());
  }
  let text = words[key];
  if (text && typeof text === 'object') {
    text = typeof params.n === 'number' ? (text[plurals.select(params.n)] || text.other) : text.other;
  }
  if (typeof text !== 'string') return key;
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
