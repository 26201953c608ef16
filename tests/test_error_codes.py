"""The one table of error codes (server/core/error_codes.py) against the code that raises them.

The source is read with `ast`: every `AppError`, `RecordRefused`, `InstallRefused` and
`Problem`, and every fault a checker notes (`check.add(field, code, key)`, a form's
`form.add(field, key)`), with its code and message key where they are written out, named
constants or module-level tables. Every code raised must be in the table (and worded by one
of its keys), and every code in the table must be raised somewhere; docs/errors.md must be
the table's.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from server.admin.fields import form_code
from server.core.error_codes import CODES, HEADLINES, markdown
from server.core.errors import AppError
from server.core.i18n import LANGUAGES, catalogue
from server.scoring.access import UNKNOWN
from server.workorders.proof import REFUSAL_CODES

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("server", "sync")

PASSWORD = {(form_code(k), k) for k in ("password.too_short", "password.contains_username", "password.needs_mix")}

# Where a code or key is passed on rather than written out, and what may arrive there.
PASSED_ON: dict[tuple[str, str], tuple[str, set[tuple[str, str | None]]]] = {
    ("server/core/validation.py", "problem"): ("the mechanism: its callers' codes", set()),
    ("sync/fields.py", "add"): ("BodyChecker.add: its callers' codes", set()),
    ("server/admin/fields.py", "add"): ("Form.add: its callers' keys", set()),
    ("server/workorders/completion.py", "add"): ("Refusal.add: its callers' codes", set()),
    ("server/workorders/completion.py", "raise_if_any"): (
        "the completion's first fault, or invalid_record for several", set()),
    ("server/workorders/completion.py", "_check_photos_held"): (
        "proof of fix (server/workorders/proof.py)", {(c, f"completion.{c}") for c in REFUSAL_CODES.values()}),
    ("server/workorders/completion.py", "_place_photos"): (
        "proof of fix (server/workorders/proof.py)", {(c, f"completion.{c}") for c in REFUSAL_CODES.values()}),
    ("server/workorders/sync_completion.py", "_refusal"): ("a completion's AppError as a refused record", set()),
    ("server/inspections/service.py", "engine_problem"): (
        "the standards engine's codes (docs/standards-format.md)", set()),
    ("server/scoring/access.py", "not_found"): ("UNKNOWN, by the scope's kind", set(UNKNOWN.values())),
    ("server/admin/people.py", "save_user"): ("the password rule broken (server/accounts/passwords.py)", PASSWORD),
    ("server/admin/people.py", "reset_password"): ("the password rule broken", PASSWORD),
    ("server/admin/geometry.py", "parse_outline"): (
        "the outline's fault, named by the ValueError of _geometry_of", {("outline_not_polygon", None)}),
}


@dataclass(frozen=True)
class Raise:
    path: str
    line: int
    code: str
    key: str | None  # None: the code's own, or not written out


def _constants(tree: ast.Module) -> dict[str, object]:
    """Module-level names bound to a string, or to a dict of strings."""
    out: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out[node.targets[0].id] = value.value
            elif isinstance(value, ast.Dict) and all(isinstance(v, ast.Constant) for v in value.values):
                out[node.targets[0].id] = {ast.literal_eval(k): v.value for k, v in zip(value.keys, value.values)
                                           if k is not None}
    return out


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _module_path(module: str) -> str:
    return module.replace(".", "/") + ".py"


class Scan:
    """Every raise of a code in the server and the sync protocol."""

    def __init__(self) -> None:
        trees = dict(_sources())
        self.constants = {path: _constants(tree) for path, tree in trees.items()}
        self.raises: list[Raise] = []
        self.unresolved: list[str] = []
        self.passed_on_used: set[tuple[str, str]] = set()
        for path, tree in trees.items():
            names = dict(self.constants[path])
            for node in tree.body:  # `from server.core.text import CODE as TEXT_CODE`
                if isinstance(node, ast.ImportFrom) and node.module:
                    theirs = self.constants.get(_module_path(node.module), {})
                    for alias in node.names:
                        if alias.name in theirs:
                            names[alias.asname or alias.name] = theirs[alias.name]
            self._walk(path, tree, names, "", False)

    def _walk(self, path: str, node: ast.AST, names: dict[str, object], function: str, refusal: bool) -> None:
        """`refusal`: inside a class that is an AppError (its `super().__init__` raises a code)."""
        for child in ast.iter_child_nodes(node):
            inner, inner_refusal = function, refusal
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name
            elif isinstance(child, ast.ClassDef):
                inner_refusal = any(isinstance(b, ast.Name) and b.id == "AppError" for b in child.bases)
            if isinstance(child, ast.Call):
                self._call(path, child, names, inner, refusal)
            self._walk(path, child, names, inner, inner_refusal)

    def _values(self, node: ast.expr | None, names: dict[str, object]) -> set[str] | None:
        """The strings an expression can be, or None when it is not written out."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            a, b = self._values(node.body, names), self._values(node.orelse, names)
            return a | b if a is not None and b is not None else None
        if isinstance(node, ast.Name) and isinstance(names.get(node.id), str):
            return {names[node.id]}  # type: ignore[arg-type]
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            table = names.get(node.value.id)
            if isinstance(table, dict) and all(isinstance(v, str) for v in table.values()):
                return set(table.values())
        return None

    def _call(self, path: str, call: ast.Call, names: dict[str, object], function: str, refusal: bool) -> None:
        func = call.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        args = call.args
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        is_super = name == "__init__" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
        if name in ("AppError", "RecordRefused") or (is_super and refusal):
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, int):
                self.unresolved.append(f"{path}:{call.lineno}: a status given to {name}: the table has it")
            code, key = (args[0] if args else None), keywords.get("key")
        elif name == "InstallRefused":
            code, key = (args[0] if args else None), keywords.get("key")
        elif name == "Problem" or (name in ("add", "problem") and len(args) >= 3):
            code, key = args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else keywords.get("key")
        elif name == "add" and len(args) == 2 and isinstance(func, ast.Attribute):
            keys = self._values(args[1], names)
            if keys is not None and not all("." in k for k in keys):
                return  # not a form's problem
            if keys is None:
                self._passed_on(path, call, function, "form key")
                return
            for k in keys:
                self.raises.append(Raise(path, call.lineno, form_code(k), k))
            return
        else:
            return
        codes = self._values(code, names)
        if codes is None:
            self._passed_on(path, call, function, "code")
            return
        keys = self._values(key, names) if key is not None else {None}
        for c in codes:
            for k in keys or {None}:  # a key not written out: only the code is checked
                self.raises.append(Raise(path, call.lineno, c, k))

    def _passed_on(self, path: str, call: ast.Call, function: str, what: str) -> None:
        if (path, function) in PASSED_ON:
            self.passed_on_used.add((path, function))
        else:
            self.unresolved.append(f"{path}:{call.lineno}: the {what} is not written out ({ast.unparse(call)[:80]})")

    def raised(self) -> set[tuple[str, str | None]]:
        """Every (code, key) raised; the framework raises its own refusals by status (`generic`)."""
        found = {(r.code, r.key) for r in self.raises} | {(c, None) for c, e in CODES.items() if e.generic}
        for path_function in self.passed_on_used:
            found |= PASSED_ON[path_function][1]
        return found


@pytest.fixture(scope="module")
def scan() -> Scan:
    return Scan()


def test_every_code_raised_is_written_out_or_passed_on_from_a_known_place(scan: Scan) -> None:
    assert scan.unresolved == []
    assert len(scan.raises) > 150  # the scan sees the raises (not an empty walk)
    unused = set(PASSED_ON) - scan.passed_on_used
    assert unused == set(), f"PASSED_ON names places that no longer pass a code on: {unused}"


def test_every_code_raised_is_in_the_table_with_one_of_its_keys(scan: Scan) -> None:
    unknown = sorted({f"{r.path}:{r.line}: {r.code}" for r in scan.raises if r.code not in CODES})
    assert unknown == []
    wrong_key = sorted(f"{r.path}:{r.line}: {r.code} worded by {r.key}" for r in scan.raises
                       if r.key is not None and r.code in CODES and not CODES[r.code].allows(r.key)
                       and r.key not in HEADLINES)
    assert wrong_key == []


def test_every_code_in_the_table_is_raised_somewhere(scan: Scan) -> None:
    raised = {code for code, _ in scan.raised()}
    assert sorted(set(CODES) - raised) == []


def test_every_message_key_of_the_table_is_in_both_languages() -> None:
    keys = {k for entry in CODES.values() for k in (entry.key, *entry.keys)} | HEADLINES
    missing = sorted(k for k in keys if not all(k in catalogue(lang) for lang in LANGUAGES))
    assert missing == []


def test_docs_errors_md_is_the_table() -> None:
    """Regenerate with `python -m server.core.error_codes > docs/errors.md`."""
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == markdown()
    for code in CODES:
        assert f"| `{code}` |" in markdown()


def test_a_code_takes_its_status_and_message_from_the_table() -> None:
    refused = AppError("defect_not_open")
    assert (refused.status_code, refused.key) == (409, "wo.defect_not_open")
    assert AppError("defect_not_open", key="defect.dismiss_not_open").status_code == 409
    with pytest.raises(ValueError, match="not in server/core/error_codes.py"):
        AppError("no_such_code")
    with pytest.raises(ValueError, match="is not worded by"):
        AppError("defect_not_open", key="wo.not_found")
