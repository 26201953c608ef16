"""Chinese (zh-CN) and English for the UI: one catalogue per language, a translator per request.

The words are data: `zh.json` and `en.json` beside this file, key → text (docs/i18n.md).
A text is a string, or — for a word that counts something — an object of CLDR plural forms
(`{"one": "{n} photo", "other": "{n} photos"}` in English, `{"other": "{n} 张照片"}` in
Chinese), chosen by Babel's plural rules from the parameter `n`. Templates call
`t("key", name=...)`, services raise errors carrying a key, and the phone's scripts get the
same words from `phone_words` (web/static/js/i18n.js).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.plural import PluralRule

LANGUAGES = ("zh", "en")
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
CATALOGUE_DIR = Path(__file__).parent
COUNT_PARAM = "n"
"""The parameter a plural entry is chosen by."""

# The key families the phone's scripts read (web/static/js/*.js through i18n.js's `t`):
# embedded in the pages and the offline shell that load those scripts, so they work offline.
PHONE_FAMILIES = ("offline.", "due.")

Text = str | dict[str, str]
Translator = Callable[..., str]


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, Text]:
    """Every key of `lang` (zh.json or en.json), read once."""
    with (CATALOGUE_DIR / f"{lang}.json").open(encoding="utf-8") as f:
        entries: dict[str, Text] = json.load(f)
    return entries


@lru_cache(maxsize=len(LANGUAGES))
def _plural_rule(lang: str) -> PluralRule:
    return Locale.parse(lang).plural_form


def plural_forms(lang: str) -> tuple[str, ...]:
    """The CLDR plural categories `lang` distinguishes, e.g. ("one", "other") for English."""
    return tuple(sorted(_plural_rule(lang).tags)) + ("other",)


def plural_form(lang: str, count: Any) -> str:
    """The CLDR category of `count` in `lang` ("one" for 1 in English); "other" for a non-number."""
    if isinstance(count, bool) or not isinstance(count, int | float):
        return "other"
    return str(_plural_rule(lang)(count))


def has_key(key: str) -> bool:
    """Whether `key` is in the catalogue (it is in both languages: tests/test_i18n_catalogue.py)."""
    return key in catalogue("en")


def translate(lang: str, key: str, **params: Any) -> str:
    """The message `key` in `lang`, its plural form chosen by `n`, `{name}` placeholders filled."""
    lang = lang if lang in LANGUAGES else "en"
    entry = catalogue(lang).get(key)
    if entry is None:
        # Every key used is checked by tests/test_i18n_catalogue.py; show the key, not a blank.
        return key
    if isinstance(entry, dict):
        form = plural_form(lang, params.get(COUNT_PARAM))
        text = entry.get(form) or entry["other"]
    else:
        text = entry
    return text.format(**params) if params else text


def translator(lang: str) -> Translator:
    """`t(key, **params)` in `lang`, as templates and pages call it."""

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    return t


@lru_cache(maxsize=len(LANGUAGES))
def phone_words(lang: str, families: tuple[str, ...] = PHONE_FAMILIES) -> dict[str, Text]:
    """The words the phone's scripts use, plural forms kept (the script picks one with
    `Intl.PluralRules`, the same CLDR rules), for embedding in a page as JSON. Read-only."""
    return {key: text for key, text in catalogue(lang).items() if key.startswith(families)}


def pick(lang: str, labels: Mapping[str, str] | None) -> str:
    """The label in `lang` from a {zh, en} mapping (standards data, names)."""
    if not labels:
        return ""
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()), "")


def negotiate(accept_language: str | None, default: str) -> str:
    """The UI language a browser asks for: the highest-weighted of zh*/en*, else `default`."""
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for order, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        weight = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and weight > 0:
            choices.append((-weight, order, primary))
    return min(choices)[2] if choices else default
