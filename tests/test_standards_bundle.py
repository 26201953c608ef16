"""An operator's version given as YAML texts or a zip: validated with file:line:key, diffed."""

from __future__ import annotations

import io
import zipfile

import pytest

from standards.bundle import MAX_FILE_BYTES, diff_versions, load_bundle, read_zip
from standards.errors import StandardsFileError
from standards.loader import DATA_DIR, load_standards

SHIPPED = DATA_DIR / "2027-01-01"


def _files() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in SHIPPED.glob("*.yaml")}


def _bump(files: dict[str, str]) -> dict[str, str]:
    files["manifest.yaml"] = (files["manifest.yaml"].replace("2027-01-01", "2027-07-01")
                              .replace("2027.1", "2027.2"))
    return files


def test_shipped_files_load_as_a_bundle() -> None:
    standard = load_bundle(_bump(_files()))
    assert standard.version == "2027.2" and str(standard.effective_from) == "2027-07-01"


def test_error_names_the_uploaded_file_line_and_key() -> None:
    files = _bump(_files())
    files["railing.yaml"] = files["railing.yaml"].replace("max: 5\n", "max: five\n", 1)
    with pytest.raises(StandardsFileError) as err:
        load_bundle(files)
    assert err.value.path == "railing.yaml" and err.value.line is not None
    assert "max" in err.value.key


def test_missing_manifest_and_bad_names() -> None:
    with pytest.raises(StandardsFileError, match="manifest.yaml is missing"):
        load_bundle({"railing.yaml": "x: 1"})
    with pytest.raises(StandardsFileError, match="plain .yaml"):
        load_bundle({"manifest.yaml": "", "../evil.yaml": ""})


def test_zip_round_trip_and_refusals() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in _bump(_files()).items():
            archive.writestr(f"2027-07-01/{name}", text)
    assert load_bundle(read_zip(buf.getvalue())).version == "2027.2"
    with pytest.raises(StandardsFileError, match="not a zip"):
        read_zip(b"plain text")
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.yaml", "#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(StandardsFileError, match="larger than"):
        read_zip(big.getvalue())


def test_diff_lists_categories_clauses_and_limits() -> None:
    old = load_standards().get("2027.1")
    files = _bump(_files())
    files["railing.yaml"] = files["railing.yaml"].replace("max: 5\n", "max: 6\n", 1)
    diff = diff_versions(old, load_bundle(files))
    assert diff["limits_changed"] == [
        {"observation": "railing/height_m", "changes": {"max": {"old": 5, "new": 6}}}]
    assert diff["categories_added"] == [] and diff["clauses_removed"] == []
    previous = load_standards().get("2026.1")
    forward = diff_versions(previous, old)
    assert {"street_light", "railing", "play_equipment", "public_toilet"} <= set(forward["categories_added"])


def test_cli_diff_of_a_folder_and_a_bad_zip(tmp_path, capsys) -> None:
    import json

    from standards.cli import main

    files = _bump(_files())
    files["railing.yaml"] = files["railing.yaml"].replace("max: 5\n", "max: 6\n", 1)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["diff", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["against"] == "2027.1" and out["limits_changed"][0]["observation"] == "railing/height_m"
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"nope")
    assert main(["diff", str(bad)]) == 1
    assert "not a zip" in capsys.readouterr().err
