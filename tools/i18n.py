"""Add, show and tidy the UI words in server/core/i18n/zh.json and en.json (docs/i18n.md).

    .venv/bin/python tools/i18n.py add inspect.photo_hint --zh "请拍摄全景" --en "Take a wide photo"
    .venv/bin/python tools/i18n.py add offline.items --zh "{n} 项" --en-one "{n} item" --en "{n} items"
    .venv/bin/python tools/i18n.py show offline.records
    .venv/bin/python tools/i18n.py tidy        # rewrite both files sorted, one key per line

`add` refuses a key that exists or placeholders that differ between the languages; a
counted word (with --en-one) becomes a plural entry chosen by its `{n}`. Whether every key is
used and every used key exists is checked by tests/test_i18n_catalogue.py.
"""

from __future__ import annotations

import argparse
import json
import string
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_DIR = ROOT / "server" / "core" / "i18n"
LANGUAGES = ("zh", "en")


def load(lang: str) -> dict[str, str | dict[str, str]]:
    data: dict[str, str | dict[str, str]] = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def save(lang: str, entries: dict[str, str | dict[str, str]]) -> None:
    text = json.dumps({key: entries[key] for key in sorted(entries)}, ensure_ascii=False, indent=1)
    (CATALOGUE_DIR / f"{lang}.json").write_text(text + "\n", encoding="utf-8")


def placeholders(text: str | dict[str, str]) -> set[str]:
    forms = text.values() if isinstance(text, dict) else [text]
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def add(key: str, zh: str, en: str, en_one: str | None) -> str | None:
    """Add `key` to both catalogues; the reason it cannot be, else None."""
    catalogues = {lang: load(lang) for lang in LANGUAGES}
    if any(key in entries for entries in catalogues.values()):
        return f"{key} exists already"
    texts: dict[str, str | dict[str, str]] = {"zh": zh, "en": en}
    if en_one is not None:
        texts = {"zh": {"other": zh}, "en": {"one": en_one, "other": en}}
        if "n" not in placeholders(texts["en"]) or "n" not in placeholders(texts["zh"]):
            return "a counted word needs its {n} in both languages"
    if placeholders(texts["zh"]) != placeholders(texts["en"]):
        return f"placeholders differ: zh {sorted(placeholders(texts['zh']))}, en {sorted(placeholders(texts['en']))}"
    for lang, entries in catalogues.items():
        entries[key] = texts[lang]
        save(lang, entries)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="add a key in both languages")
    adding.add_argument("key")
    adding.add_argument("--zh", required=True)
    adding.add_argument("--en", required=True, help="the English text (the plural form if --en-one is given)")
    adding.add_argument("--en-one", help="the English singular: makes a counted (plural) entry")
    showing = commands.add_parser("show", help="print a key in both languages")
    showing.add_argument("key")
    commands.add_parser("tidy", help="rewrite both files sorted")
    args = parser.parse_args(argv)
    if args.command == "add":
        problem = add(args.key, args.zh, args.en, args.en_one)
        if problem:
            print(problem, file=sys.stderr)
            return 1
    elif args.command == "show":
        for lang in LANGUAGES:
            print(f"{lang}: {json.dumps(load(lang).get(args.key), ensure_ascii=False)}")
    else:
        for lang in LANGUAGES:
            save(lang, load(lang))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
