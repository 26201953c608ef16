// The phone's t() (web/static/js/i18n.js) on the page's embedded words, under node:
// node tests/js/i18n_words.mjs CASES.json prints each case's text (tests/test_i18n_catalogue.py
// compares them with the server's). CASES.json: {lang, html_lang, words, cases: [[key, params]]}.
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(process.argv[2], "utf-8"));
globalThis.document = {
  documentElement: { lang: input.html_lang },
  getElementById: (id) => (id === "fc-words" ? { textContent: JSON.stringify(input.words) } : null),
};
const { t } = await import("../../web/static/js/i18n.js");
process.stdout.write(JSON.stringify(input.cases.map(([key, params]) => t(key, params))));
