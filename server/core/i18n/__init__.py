"""Chinese (zh-CN) and English for the UI: one catalogue, a translator per request.

Messages live in `messages.py` as key → {zh, en}. Templates call `t("key", name=...)`;
services raise errors carrying a key, so the message is chosen in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from server.core.i18n.messages import MESSAGES

LANGUAGES = ("zh", "en")
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

Translator = Callable[..., str]


def translate(lang: str, key: str, **params: Any) -> str:
    """The message `key` in `lang`, with `{name}` placeholders filled from params."""
    entry = MESSAGES.get(key)
    if entry is None:
        # Missing keys show up in tests (test_i18n) rather than as blank UI.
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**params) if params else text


def translator(lang: str) -> Translator:
    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    return t


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
