"""Command line: evaluate JSON lines, print the export document, check the data.

    python -m standards evaluate [--date YYYY-MM-DD | --version V] [--dir D] < cases.jsonl
    python -m standards export   [--date YYYY-MM-DD | --version V] [--dir D]
    python -m standards check    [--dir D]

`evaluate` answers every non-blank input line with one output line, in order: the
verdict, or {"error": "..."} for a line that is malformed JSON or bad input; the run
always goes on and exits 0. Text is read and written as UTF-8 whatever the locale.
Without --date or --version the version in force today is used (the earliest, with a
warning on stderr, if none is in force yet). A data set that fails to load, or a
version or date with no standards, exits 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO

from .engine import evaluate
from .errors import EvaluationError, StandardsFileError
from .loader import load_standards
from .model import NoStandardInForce, Standard


def _strict_constant(name: str) -> Any:
    # JSON has no NaN or Infinity; Python's json would accept them, JavaScript would not.
    raise ValueError(f"{name} is not valid JSON")


def judge_line(standard: Standard, line: bytes) -> dict[str, Any]:
    """The output object for one input line."""
    try:
        case = json.loads(line.decode("utf-8"), parse_constant=_strict_constant)
    except UnicodeDecodeError:
        return {"error": "line is not valid UTF-8"}
    except ValueError as exc:
        return {"error": f"malformed JSON: {exc}"}
    try:
        return evaluate(standard, case)
    except EvaluationError as exc:
        return {"error": str(exc)}


def run_evaluate(standard: Standard, source: BinaryIO, sink: BinaryIO) -> None:
    """Judge each non-blank line of `source` and write one JSON line per case to `sink`."""
    for line in source:
        if not line.strip():
            continue
        result = judge_line(standard, line)
        sink.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
        sink.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m standards", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("evaluate", "judge JSON lines from stdin"), ("export", "print the export document")):
        sub = commands.add_parser(name, help=text)
        pick = sub.add_mutually_exclusive_group()
        pick.add_argument("--date", type=dt.date.fromisoformat, help="the version in force on YYYY-MM-DD")
        pick.add_argument("--version", help="a version by name, e.g. 2026.1")
        sub.add_argument("--dir", help="load the standards from this directory")
    check = commands.add_parser("check", help="validate the data and summarise it")
    check.add_argument("--dir", help="load the standards from this directory")
    diff = commands.add_parser("diff", help="validate a new version (folder or zip) and print its diff")
    diff.add_argument("path", help="a version folder or a zip of its YAML files")
    diff.add_argument("--dir", help="load the standards to compare with from this directory")
    return parser


def _diff(path: str, directory: str | None) -> dict[str, Any]:
    """The structured diff of the version at `path` against the one in force before it."""
    from pathlib import Path

    from .bundle import diff_versions, load_bundle, read_zip

    source = Path(path)
    if source.is_dir():
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted(source.glob("*.y*ml"))}
    else:
        files = read_zip(source.read_bytes())
    new = load_bundle(files)
    older = [s for s in load_standards(directory) if s.effective_from < new.effective_from]
    if not older:
        raise NoStandardInForce(f"no version in force before {new.effective_from}")
    return {"version": new.version, "effective_from": new.effective_from.isoformat(),
            "against": older[-1].version, **diff_versions(older[-1], new)}


def _pick(args: argparse.Namespace) -> Standard:
    standards = load_standards(args.dir)
    if args.version is not None:
        return standards.get(args.version)
    if args.date is not None:
        return standards.for_date(args.date)
    try:
        return standards.current()
    except NoStandardInForce:
        # A wrong clock should not stop a pipeline; say which version was used instead.
        earliest = standards.versions[0]
        print(f"warning: no version in force today; using {earliest.version} "
              f"(from {earliest.effective_from})", file=sys.stderr)
        return earliest


def _check(directory: str | None) -> None:
    for standard in load_standards(directory):
        print(f"version {standard.version} (from {standard.effective_from}), etag {standard.etag[:12]}")
        for key, category in standard.categories.items():
            damage = f", {len(category.damage_types)} damage types" if category.damage_types else ""
            n = len(category.clauses)
            print(f"  {key}: {n} clause{'' if n == 1 else 's'} "
                  f"({', '.join(c.id for c in category.clauses)}), "
                  f"{len(category.observations)} observations{damage}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            _check(args.dir)
            return 0
        if args.command == "diff":
            print(json.dumps(_diff(args.path, args.dir), ensure_ascii=False, indent=2, default=str))
            return 0
        standard = _pick(args)
    except (StandardsFileError, NoStandardInForce, KeyError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 1
    if args.command == "export":
        sys.stdout.buffer.write(json.dumps(standard.export(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
        return 0
    run_evaluate(standard, sys.stdin.buffer, sys.stdout.buffer)
    return 0
