"""The docs keep up with the code: every setting is documented in .env.example and the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


SETTINGS_FILES = [ROOT / "server" / "core" / "config.py", ROOT / "server" / "core" / "workorder_settings.py",
                  *sorted((ROOT / "server").glob("*/settings.py"))]


def _settings_source() -> str:
    return "\n".join(path.read_text() for path in SETTINGS_FILES)


def _setting_variables() -> set[str]:
    """Every environment variable a settings dataclass reads (server/core/config.py and each
    domain's settings.py)."""
    names = set(re.findall(r'_env(?:_bool|_int|_float)?\("([A-Z_]+)"', _settings_source()))
    assert len(names) >= 10
    return names


def test_every_setting_is_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    assert documented == _setting_variables()


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    in_table = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert in_table == _setting_variables()


def test_settings_dataclasses_document_each_variable() -> None:
    source = _settings_source()
    for name in _setting_variables():
        assert f'"""{name}: ' in source, f"{name} has no docstring in its settings dataclass"


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_cli_help_lists_the_documented_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "server", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("serve", "migrate", "demo"):
        assert command in out
        assert f"fieldcheck {command}" in (ROOT / "README.md").read_text()
