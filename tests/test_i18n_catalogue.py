"""The word catalogues (server/core/i18n/zh.json, en.json; docs/i18n.md) against the code.

Every key the code names — in Python, the Jinja2 templates and the phone's JS — is in both
languages with the same placeholders; a counted entry has every plural form each language
needs (Babel's CLDR rules); and every key in the catalogue is used. A key built at run time
(f"severity.{s}", 'role.' ~ r, `due.state_${s}`) is counted through its family, listed in
server/core/i18n/families.json; a construction whose family is not listed fails here.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from server.core.i18n import (
    CATALOGUE_DIR,
    COUNT_PARAM,
    LANGUAGES,
    PHONE_FAMILIES,
    catalogue,
    phone_words,
    plural_forms,
    translate,
)

ROOT = Path(__file__).resolve().parent.parent
# Where words are used: the server, the sync protocol, the tools, the pages and the phone.
SOURCES = {
    "server": ("*.py",),
    "sync": ("*.py",),
    "tools": ("*.py",),
    "web/templates": ("*.html",),
    "web/static/js": ("*.js",),
}
KEY = r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+"
# A quoted key: "nav.main", 'offline.records', `due.left`.
LITERAL = re.compile(rf"""(?<![\w.$])(["'`])({KEY})\1(?!\s*[~+])""")
# A key built at run time from a prefix: f"role.{r}", "scoring.status_" + s, 'severity.' ~ s,
# `due.state_${s}`.
DYNAMIC = re.compile(
    r"""\bf(["'])([a-z][a-z0-9_]*\.[a-z0-9_.]*)\{"""
    r"""|(?<![\w.])(["'])([a-z][a-z0-9_]*\.[a-z0-9_.]*)\3\s*[+~]"""
    r"""|`([a-z][a-z0-9_]*\.[a-z0-9_.]*)\$\{"""
)
# In Python a dotted string may name other things (audit actions "defect.closed", columns
# "sites.id"), so there a key is checked where it is passed as one: t("k"), translate(lang,
# "k"), both("k"), title_key="k", detail="k", AppError(status, "code", "k"), a key after a
# code, an exception's first argument, a form error. In the templates and the phone's JS
# every quoted key of a catalogue namespace is a key.
PYTHON_KEY_USES = [
    re.compile(rf"""\b(?:t|both)\(\s*(["'])({KEY})\1(?!\s*[~+])"""),
    re.compile(rf"""\btranslate\(\s*[^,()]+,\s*(["'])({KEY})\1(?!\s*[~+])"""),
    re.compile(rf"""\b\w*_key\s*=\s*(["'])({KEY})\1(?!\s*[~+])"""),
    re.compile(rf"""\bdetail\s*=\s*(["'])({KEY})\1(?!\s*[~+])"""),
    re.compile(rf"""\bAppError\(\s*[^,()]+,\s*(["'])[a-z0-9_]*\1\s*,\s*(["'])({KEY})\2(?!\s*[~+])"""),
    # A key after another string argument: the message of a refusal or a form error, as in
    # RecordRefused(428, "photos_missing", "sync.photos_missing"), form.add("code", "adminf.x").
    re.compile(rf"""(["'])[a-z0-9_./]*\1\s*,\s*(["'])({KEY})\2(?!\s*[~+])"""),
    # The first argument of an exception or refusal: ImportProblem("imports.no_crs", ...)
    # (not sync's Problem(field, code, key), whose first argument is a field).
    re.compile(rf"""\b(?:\w+Problem|\w*Error|\w*Exception|\w*Refused)\(\s*(["'])({KEY})\1(?!\s*[~+])"""),
    # A form error: form.add(name, "adminf.bad_date"), errors["crs"] = "imports.bad_crs_field", error="k".
    re.compile(rf"""\.add\(\s*\w+\s*,\s*(["'])({KEY})\1(?!\s*[~+])"""),
    re.compile(rf"""\berrors\[[^\]]+\]\s*=\s*(["'])({KEY})\1(?!\s*[~+])"""),
    re.compile(rf"""\berror=(["'])({KEY})\1(?!\s*[~+])"""),
]
FAMILIES_FILE = CATALOGUE_DIR / "families.json"


def source_files() -> Iterator[Path]:
    for folder, patterns in SOURCES.items():
        for pattern in patterns:
            yield from sorted((ROOT / folder).rglob(pattern))


@cache
def namespaces() -> frozenset[str]:
    return frozenset(key.split(".", 1)[0] for key in catalogue("en"))


@cache
def scan() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """For the catalogue's namespaces: (key → files naming it as a key, quoted string that
    could be a key → files, prefix → files building keys from it at run time)."""
    named: dict[str, set[str]] = {}
    literal: dict[str, set[str]] = {}
    dynamic: dict[str, set[str]] = {}
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        for match in LITERAL.finditer(text):
            key = match.group(2)
            if key.split(".", 1)[0] in namespaces():
                literal.setdefault(key, set()).add(where)
                if path.suffix != ".py":
                    named.setdefault(key, set()).add(where)
        if path.suffix == ".py":
            for pattern in PYTHON_KEY_USES:
                for match in pattern.finditer(text):
                    named.setdefault(match.group(match.lastindex or 0), set()).add(where)
        for match in DYNAMIC.finditer(text):
            prefix = match.group(2) or match.group(4) or match.group(5)
            if any(key.startswith(prefix) for key in catalogue("en")):
                dynamic.setdefault(prefix, set()).add(where)
    return named, literal, dynamic


@cache
def families() -> dict[str, list[str]]:
    data = json.loads(FAMILIES_FILE.read_text(encoding="utf-8"))
    assert all(set(entry) == {"built", "keys"} and entry["built"] for entry in data.values())
    return {prefix: entry["keys"] for prefix, entry in data.items()}


def placeholders(text: str | dict[str, str]) -> set[str]:
    forms = text.values() if isinstance(text, dict) else [text]
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def test_both_languages_hold_the_same_keys() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert sorted(set(zh) - set(en)) == [] and sorted(set(en) - set(zh)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_files_are_sorted_and_plain(lang: str) -> None:
    """One key per line, sorted, so that merges of new words stay trivial (tools/i18n.py sorts)."""
    raw = (CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8")
    entries = json.loads(raw)
    assert list(entries) == sorted(entries)
    for key, text in entries.items():
        assert re.fullmatch(KEY, key), key
        if isinstance(text, dict):
            assert all(isinstance(form, str) and form.strip() for form in text.values()), key
        else:
            assert isinstance(text, str) and text.strip(), key


def test_every_key_has_the_same_placeholders_in_both_languages() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    differ = {key: (placeholders(zh[key]), placeholders(en[key])) for key in en if key in zh
              and placeholders(zh[key]) != placeholders(en[key])}
    assert differ == {}


def test_counted_entries_have_every_plural_form_and_are_counted_by_n() -> None:
    assert plural_forms("en") == ("one", "other") and plural_forms("zh") == ("other",)
    problems = []
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            if not isinstance(text, dict):
                continue
            if set(text) != set(plural_forms(lang)):
                problems.append((lang, key, sorted(text), plural_forms(lang)))
            if COUNT_PARAM not in placeholders(text):
                problems.append((lang, key, f"no {{{COUNT_PARAM}}}"))
        plural_keys = {key for key, text in catalogue(lang).items() if isinstance(text, dict)}
        other = "zh" if lang == "en" else "en"
        assert plural_keys == {key for key, text in catalogue(other).items() if isinstance(text, dict)}
    assert problems == []


def test_plural_forms_are_chosen_by_count() -> None:
    assert translate("en", "offline.records", n=1) == "1 record"
    assert translate("en", "offline.records", n=2) == "2 records"
    assert translate("en", "offline.records", n=0) == "0 records"
    assert translate("zh", "offline.records", n=1) == "1 条记录"
    assert translate("en", "map.showing", shown=1, n=1) == "Listing 1 of 1 defect"
    assert translate("en", "map.showing", shown=70, n=70) == "Listing 70 of 70 defects"
    assert translate("en", "imports.progress", done=0, n="?") == "0 of ? features read"


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    named, _, _ = scan()
    assert len(named) > 500  # the scan finds the keys at all
    missing = {key: sorted(files) for key, files in named.items() if key not in catalogue("en")}
    assert missing == {}


def test_every_key_built_at_run_time_belongs_to_a_listed_family() -> None:
    _, _, dynamic = scan()
    unlisted = {prefix: sorted(files) for prefix, files in dynamic.items() if prefix not in families()}
    assert unlisted == {}, f"list these families in {FAMILIES_FILE.name}"
    stale = sorted(set(families()) - set(dynamic))
    assert stale == [], "families no code builds any more"
    for prefix, keys in families().items():
        assert keys, prefix
        assert [k for k in keys if not k.startswith(prefix)] == [], prefix
        assert [k for k in keys if k not in catalogue("en")] == [], prefix


def test_every_key_in_the_catalogue_is_used() -> None:
    _, literal, _ = scan()
    used = set(literal) | {key for keys in families().values() for key in keys}
    assert sorted(set(catalogue("en")) - used) == []


def test_the_phone_gets_every_key_its_scripts_name() -> None:
    """The scripts read their words from the page (#fc-words): only the phone families go there."""
    named, _, dynamic = scan()
    js_keys = {key for key, files in named.items() if any(f.startswith("web/static/js/") for f in files)}
    js_keys |= {key for prefix, files in dynamic.items() if any(f.startswith("web/static/js/") for f in files)
                for key in families()[prefix]}
    for lang in LANGUAGES:
        words = phone_words(lang)
        assert sorted(js_keys - set(words)) == [], f"name them under {PHONE_FAMILIES}"
        assert words and all(key.startswith(PHONE_FAMILIES) for key in words)


def load_tool() -> ModuleType:  # tools/ is not a package: load tools/i18n.py by its path
    import importlib.util

    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tool_adds_words_in_both_languages_and_refuses_mismatches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = load_tool()
    for lang in LANGUAGES:
        (tmp_path / f"{lang}.json").write_text('{"a.b": "x"}\n', encoding="utf-8")
    monkeypatch.setattr(tool, "CATALOGUE_DIR", tmp_path)
    assert tool.main(["add", "a.items", "--zh", "{n} 项", "--en-one", "{n} item", "--en", "{n} items"]) == 0
    assert tool.load("en")["a.items"] == {"one": "{n} item", "other": "{n} items"}
    assert tool.load("zh")["a.items"] == {"other": "{n} 项"}
    assert list(tool.load("zh")) == ["a.b", "a.items"]
    assert tool.add("a.items", "x", "y", None) == "a.items exists already"
    assert tool.add("a.c", "{a}", "{b}", None) is not None and "a.c" not in tool.load("en")
    assert tool.add("a.d", "项", "{n} items", "one item") is not None


@pytest.mark.usefixtures("node_required")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_phone_words_read_as_the_server_writes_them(tmp_path: Path, lang: str) -> None:
    """Each phone word, every plural form through Intl.PluralRules, as translate() gives it."""
    import shutil
    import subprocess

    words = phone_words(lang)
    cases: list[tuple[str, dict[str, object]]] = []
    for key, text in words.items():
        params: dict[str, object] = {name: f"<{name}>" for name in placeholders(text)}
        if isinstance(text, dict):
            cases += [(key, {**params, COUNT_PARAM: n}) for n in (0, 1, 2, 11, 21)]
        else:
            cases.append((key, params))
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"lang": lang, "html_lang": "zh-CN" if lang == "zh" else "en",
                                "words": words, "cases": cases}, ensure_ascii=False), encoding="utf-8")
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run([node, str(ROOT / "tests" / "js" / "i18n_words.mjs"), str(path)],
                          capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(proc.stdout) == [translate(lang, key, **params) for key, params in cases]
