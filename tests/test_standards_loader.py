"""The loader refuses broken data, naming file, line and key. Each test breaks a copy
of the real data in tmp_path in one way."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from standards import NoStandardInForce, StandardsFileError, load_standards

DATA = Path(__file__).resolve().parent.parent / "standards" / "data"
VERSION = "2026-01-01"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The first version alone (the tests add and break versions of their own)."""
    shutil.copytree(DATA / VERSION, tmp_path / "data" / VERSION)
    return tmp_path / "data"


def edit(data: Path, name: str, old: str, new: str) -> str:
    """Replace the first `old` in a data file with `new`; return the new text."""
    path = data / VERSION / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, marker: str | tuple[str, int]) -> int:
    """The line holding `marker`, which must be unique unless given as (marker, nth)."""
    marker, nth = marker if isinstance(marker, tuple) else (marker, None)
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    if nth is None:
        assert len(hits) == 1, (marker, hits)
        return hits[0]
    return hits[nth]


def load_error(data: Path) -> StandardsFileError:
    with pytest.raises(StandardsFileError) as caught:
        load_standards(data)
    return caught.value


def assert_names(error: StandardsFileError, name: str, line: int, key: str) -> None:
    assert error.path.endswith(f"{VERSION}/{name}"), error.path
    assert (error.line, error.key) == (line, key), str(error)
    prefix = f"{error.path}:{line}: {key}: " if key else f"{error.path}:{line}: "
    assert str(error).startswith(prefix), str(error)
    assert isinstance(error, ValueError)


def test_the_real_data_loads() -> None:
    standards = load_standards()
    assert [s.version for s in standards.versions] == ["2026.1", "2027.1"]
    assert standards.for_date(dt.date(2026, 1, 1)).version == "2026.1"
    assert standards.for_date(dt.date(2026, 12, 31)).version == "2026.1"
    assert standards.for_date(dt.date(2027, 1, 1)).version == "2027.1"


# (file, old text, new text, marker of the reported line, reported key, words in the message)
BREAKAGES = [
    ("green_space.yaml", "group: landscaping\n", "group: landscaping\ncolour: green\n",
     "colour: green", "colour", "unknown key 'colour'"),
    ("green_space.yaml", "  - id: GS-2\n", "  - id: GS-2\n    weight: 3\n",
     "weight: 3", "clauses[1].weight", "unknown key 'weight'"),
    ("green_space.yaml", "  dead_foliage_pct:\n", "  dead_foliage_pct:\n    colour: red\n",
     "colour: red", "observations.dead_foliage_pct.colour", "unknown key 'colour'"),
    ("green_space.yaml", 'value: "100/3"}', 'value: "100/3", unit: "%"}',
     'unit: "%"}', "clauses[0].pass_when.unit", "unknown key 'unit'"),
    ("green_space.yaml", 'op: "<=", value: 20}', 'op: "≤", value: 20}',
     'op: "≤"', "clauses[1].pass_when.op", "unknown operator '≤'"),
    ("green_space.yaml", "value: 20}", 'value: "twenty"}',
     '"twenty"', "clauses[1].pass_when.value", "not a number"),
    ("green_space.yaml", 'value: "100/3"}', 'value: "100/0"}',
     '"100/0"', "clauses[0].pass_when.value", "divides by zero"),
    ("green_space.yaml", '{obs: topiary_shape_kept, op: "==", value: true}', '{obs: topiary_shape_kept, op: "<", value: true}',
     "topiary_shape_kept, op", "clauses[4].pass_when.op", "only with '=='"),
    ("green_space.yaml", '{obs: topiary_shape_kept, op: "==", value: true}', '{obs: topiary_shape_kept, op: "==", value: 1}',
     "topiary_shape_kept, op", "clauses[4].pass_when.value", "boolean"),
    ("green_space.yaml", "value: 20}", "value: true}",
     "shrub_pest_area_m2, op", "clauses[1].pass_when.value", "boolean"),
    ("green_space.yaml", "value: 15}", "value: 150}",
     "value: 150}", "clauses[2].pass_when.value", "outside the physical range"),
    ("green_space.yaml", "{obs: dead_foliage_pct,", "{obs: dead_leaf_pct,",
     "dead_leaf_pct", "clauses[0].pass_when.obs", "undefined observation 'dead_leaf_pct'"),
    ("green_space.yaml", "    severity: normal\n", "    severity: normal\n    severity: urgent\n",
     "severity: urgent", "clauses[0].severity", "duplicate key 'severity'"),
    ("green_space.yaml", "    severity: high\n", "    severity: critical\n",
     "severity: critical", "clauses[7].severity", "'critical' is not one of"),
    ("green_space.yaml", "  - id: GS-2\n", "  - id: GS-1\n",
     ("id: GS-1", 1), "clauses[1].id", "duplicate clause id 'GS-1'"),
    ("green_space.yaml", "label: {zh: 绿地, en: Green space}", "label: {zh: 绿地}",
     "label: {zh: 绿地}", "label", "missing key 'en'"),
    ("green_space.yaml", "label: {zh: 枯枝枯叶, en: Dead foliage}", "label: {zh: 枯枝枯叶, en: ''}",
     "en: ''", "clauses[0].label.en", "non-empty"),
    ("green_space.yaml", "    min: 0\n    max: 100\n", "    min: 60\n    max: 40\n",
     "min: 60", "observations.dead_foliage_pct.min", "greater than max"),
    ("green_space.yaml", "    min: 0\n    max: 100\n", "    min: 0\n    max: 130\n",
     "max: 130", "observations.dead_foliage_pct.max", "physical bound"),
    ("green_space.yaml", "category: green_space", "category: lawn",
     "category: lawn", "category", "does not match the file name"),
    ("green_space.yaml", "group: landscaping\n", "group: landscaping\nbad: [unclosed\n",
     "label: {zh: 绿地, en: Green space}", "", "invalid YAML"),
    ("green_space.yaml", 'source: "枯枝枯叶≤树冠面积的1/3"', 'source: ""',
     'source: ""', "clauses[0].source", "non-empty"),
    ("road_asphalt.yaml", '{field: depth_mm, op: ">", value: 20}', '{field: depth, op: ">", value: 20}',
     "field: depth,", "damage_types.pothole.counts_when.field", "undefined field 'depth'"),
    ("road_asphalt.yaml", "pass_when: {damage_area: {op: \"<=\", value: 1}}", "pass_when: {damage_area: {op: \">\", value: 1}}",
     "damage_area", "clauses[0].pass_when.damage_area.op", "not allowed here"),
    ("road_asphalt.yaml", "    fields:\n      area_m2: {type: number, unit: m2, min: 0, max: 10000, step: 0.01, label: {zh: 破损面积, en: Damaged area}}\n    counts_when: always",
     "    fields: {}\n    counts_when: always", "fields: {}", "damage_types.pumping.fields", "needs an 'area_m2' field"),
    ("heritage_tree.yaml", "exempt_when: {obs: guard_minor_damage_functional,", "exempt_when: {obs: nameplate_usable,",
     "exempt_when", "clauses[3].exempt_when.obs", "only use exemption flags"),
    ("sculpture.yaml", "    unit: deg\n", "    unit: degrees\n",
     "unit: degrees", "observations.tilt_deg.unit", "'degrees' is not one of"),
    ("manifest.yaml", 'version: "2026.1"', "version: 2026.1",
     "version: 2026.1", "version", "must be a non-empty string"),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "marker", "key", "words"), BREAKAGES,
    ids=[f"{b[0]}:{b[4] or 'yaml'}:{b[5]}" for b in BREAKAGES],
)
def test_breakage_is_reported_with_file_line_and_key(
    data: Path, name: str, old: str, new: str, marker: str | tuple[str, int], key: str, words: str
) -> None:
    text = edit(data, name, old, new)
    error = load_error(data)
    assert_names(error, name, line_of(text, marker), key)
    assert words in error.detail, str(error)


def test_unknown_operator_message_is_exact(data: Path) -> None:
    text = edit(data, "green_space.yaml", 'op: "<=", value: "100/3"', 'op: "=<", value: "100/3"')
    error = load_error(data)
    line = line_of(text, '"=<"')
    assert str(error) == (
        f"{error.path}:{line}: clauses[0].pass_when.op: "
        "unknown operator '=<' (expected one of <=, <, >=, >, ==)"
    )


def test_duplicate_clause_id_across_files(data: Path) -> None:
    text = edit(data, "tree_guard.yaml", "  - id: TG-1\n", "  - id: GS-1\n")
    error = load_error(data)
    assert_names(error, "tree_guard.yaml", line_of(text, "id: GS-1"), "clauses[0].id")
    assert "duplicate clause id 'GS-1'" in error.detail and "green_space.yaml:" in error.detail


def test_clause_listed_in_manifest_but_missing_from_its_file(data: Path) -> None:
    path = data / VERSION / "green_space.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  - id: GS-8")], encoding="utf-8")
    manifest = (data / VERSION / "manifest.yaml").read_text(encoding="utf-8")
    error = load_error(data)
    assert_names(error, "manifest.yaml", line_of(manifest, "green_space: [GS-1"), "categories.green_space[7]")
    assert "GS-8" in error.detail and "green_space.yaml" in error.detail


def test_clause_in_file_but_not_in_manifest(data: Path) -> None:
    edit(data, "manifest.yaml", "GS-7, GS-8]", "GS-7]")
    text = (data / VERSION / "green_space.yaml").read_text(encoding="utf-8")
    error = load_error(data)
    assert_names(error, "green_space.yaml", line_of(text, "id: GS-8"), "clauses[7].id")
    assert "not listed in manifest.yaml" in error.detail


def test_clause_listed_twice_in_manifest(data: Path) -> None:
    text = edit(data, "manifest.yaml", "[TG-1]", "[TG-1, TG-1]")
    error = load_error(data)
    assert_names(error, "manifest.yaml", line_of(text, "tree_guard:"), "categories.tree_guard[1]")


def test_missing_category_file(data: Path) -> None:
    (data / VERSION / "tree_guard.yaml").unlink()
    manifest = (data / VERSION / "manifest.yaml").read_text(encoding="utf-8")
    error = load_error(data)
    assert_names(error, "manifest.yaml", line_of(manifest, "tree_guard:"), "categories.tree_guard")
    assert "tree_guard.yaml is missing" in error.detail


def test_category_file_not_in_manifest(data: Path) -> None:
    shutil.copy(data / VERSION / "planter.yaml", data / VERSION / "benches.yaml")
    error = load_error(data)
    assert error.path.endswith("benches.yaml")
    assert "not listed in manifest.yaml" in str(error)


def test_manifest_missing(data: Path) -> None:
    (data / VERSION / "manifest.yaml").unlink()
    error = load_error(data)
    assert error.path.endswith(f"{VERSION}/manifest.yaml") and "not found" in str(error)


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(StandardsFileError, match="no version folders"):
        load_standards(tmp_path)


def _add_version(data: Path, folder: str, version: str, effective: str) -> None:
    shutil.copytree(data / VERSION, data / folder)
    manifest = data / folder / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace('version: "2026.1"', f'version: "{version}"').replace(
        "effective_from: 2026-01-01", f"effective_from: {effective}")
    manifest.write_text(text, encoding="utf-8")


def test_versions_are_picked_by_date(data: Path) -> None:
    _add_version(data, "2027-01-01", "2027.1", "2027-01-01")
    standards = load_standards(data)
    assert [s.version for s in standards.versions] == ["2026.1", "2027.1"]
    assert standards.for_date(dt.date(2026, 12, 31)).version == "2026.1"
    assert standards.for_date(dt.date(2027, 1, 1)).version == "2027.1"
    assert standards.get("2027.1").effective_from == dt.date(2027, 1, 1)
    assert standards.current() is standards.for_date(dt.date.today())
    with pytest.raises(NoStandardInForce):
        standards.for_date(dt.date(2025, 12, 31))
    with pytest.raises(KeyError):
        standards.get("2028.1")


def test_folder_must_be_named_by_its_effective_date(data: Path) -> None:
    _add_version(data, "2027-01-01", "2027.1", "2027-02-01")
    error = load_error(data)
    assert error.key == "effective_from" and "2027-01-01" in error.detail


def test_two_folders_with_the_same_version_clash(data: Path) -> None:
    _add_version(data, "2027-01-01", "2026.1", "2027-01-01")
    assert "clashes" in str(load_error(data))


def test_a_single_version_folder_loads_directly(data: Path) -> None:
    standards = load_standards(data / VERSION)
    assert standards.get("2026.1").clause("TG-1").severity == "normal"


def test_error_path_is_relative_to_the_repo_for_the_real_data() -> None:
    from standards.loader import display_path

    assert display_path(DATA / VERSION / "green_space.yaml") == f"standards/data/{VERSION}/green_space.yaml"
