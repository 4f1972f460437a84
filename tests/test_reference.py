"""Reference standards shipped with the package."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.reference import (
    DEFAULT_EDITION,
    load_edition,
    load_industry_tree,
    load_regions,
    load_targets,
    load_tasks,
)
from demonitor.reference._files import data_path
from demonitor.reference.city import PLATFORM_COLUMNS, CityProfileError

runner = CliRunner()


def test_packaged_copies_are_identical_to_shared_sources(shared: Path) -> None:
    manifest = json.loads(data_path("MANIFEST.json").read_text(encoding="utf-8"))
    assert len(manifest) >= 9
    for entry in manifest:
        source = shared / entry["source"].removeprefix("shared/")
        packaged = data_path(entry["file"])
        if "derived" in entry:
            continue  # the next test
        digest = hashlib.sha256(packaged.read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{entry['file']} changed since it was copied"
        assert source.read_bytes() == packaged.read_bytes(), (
            f"{entry['file']} drifted from {entry['source']}: run tools/sync_reference.py"
        )


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_indicator_catalogue_is_the_policy_targets_plus_the_platform_columns(
    shared: Path,
) -> None:
    """The Taizhou catalogue is derived from shared/policy/targets.csv: same rows, same values
    in the policy's columns; only the platform's columns are its own (edited in the catalogue,
    kept by tools/sync_reference.py)."""
    manifest = json.loads(data_path("MANIFEST.json").read_text(encoding="utf-8"))
    derived = [e for e in manifest if "derived" in e]
    assert [e["file"] for e in derived] == ["cities/taizhou/indicators.csv"]
    for entry in derived:
        source = shared / entry["source"].removeprefix("shared/")
        policy = read_table(source)
        catalogue = read_table(data_path(entry["file"]))
        assert [r["code"] for r in catalogue] == [r["code"] for r in policy], (
            f"{entry['file']} lists other indicators than {entry['source']}: "
            "run tools/sync_reference.py"
        )
        for mine, theirs in zip(catalogue, policy, strict=True):
            assert {c: mine[c] for c in theirs} == theirs, (
                f"{entry['file']} {mine['code']} drifted from {entry['source']}: "
                "run tools/sync_reference.py"
            )
        assert set(catalogue[0]) - set(policy[0]) == set(PLATFORM_COLUMNS)
        packaged = data_path(entry["file"]).read_bytes()
        assert hashlib.sha256(packaged).hexdigest() == entry["sha256"], (
            f"{entry['file']} changed since the last sync: run tools/sync_reference.py"
        )
        assert hashlib.sha256(source.read_bytes()).hexdigest() == entry["source_sha256"]


def test_gbt4754_tree_has_the_published_counts() -> None:
    tree = load_industry_tree()
    levels = Counter(i.level for i in tree.by_code.values())
    assert levels == {"section": 20, "division": 97, "group": 473, "class": 1381}
    assert [i.code for i in tree.lineage("3911")] == ["C", "39", "391", "3911"]
    assert tree.section_of("6513") == "I"
    assert len(tree.classes_under("39")) == 36


def test_default_edition_is_the_labelled_reconstruction() -> None:
    edition = load_edition()
    assert edition.name == DEFAULT_EDITION == "nbs-de-2021-reconstructed"
    assert edition.reconstruction
    assert "重构" in edition.label() and "not the official" in edition.label()
    levels = Counter(c.level for c in edition.classes.values())
    assert levels == {"大类": 5, "中类": 32, "小类": 157}


def test_mapping_of_whole_and_partial_codes() -> None:
    mapping = load_edition().industry_mapping()
    assert mapping["3911"].full == "010101" and mapping["3911"].partial == ()
    # 3831 is partly 专用电线、电缆 (core) and partly digitalised electrical machinery (05).
    assert mapping["3831"].full is None
    assert mapping["3831"].partial == ("010606", "050203")
    # 7441 is taken whole by a core class, so the division-level 05 scope does not claim it.
    assert mapping["7441"].full == "030407" and mapping["7441"].partial == ()
    # Core footprint as the README of the reconstruction counts it: 126 classes, 11 partial.
    core_classes = {c for c, m in mapping.items() if m.full and m.full[:2] != "05"}
    core_partial = {c for c, m in mapping.items() if any(p[:2] != "05" for p in m.partial)}
    assert len(core_classes | core_partial) == 126
    assert core_partial == {
        "2462",
        "3831",
        "4790",
        "4851",
        "4910",
        "4999",
        "5179",
        "5279",
        "7213",
        "7310",
        "7320",
    }


def test_taizhou_regions_with_the_zone_under_gaogang() -> None:
    regions = load_regions()
    assert regions.city().code == "321200"
    assert {r.code for r in regions.county_level()} == {
        "321202",
        "321203",
        "321204",
        "321281",
        "321282",
        "321283",
    }
    zone = regions.get("321271")
    assert zone is not None and zone.level == "zone" and zone.county_level_code == "321203"


def test_a_region_table_is_read_from_a_file_or_from_the_city_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "yangzhou.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name_zh", "name_en", "level", "parent", "administered_with"])
        writer.writerow(["321000", "扬州市", "Yangzhou", "city", "", ""])
        writer.writerow(["321002", "广陵区", "Guangling", "district", "321000", ""])
    regions = load_regions(str(path))
    assert regions.city().name_zh == "扬州市"
    assert [r.code for r in regions.county_level()] == ["321002"]
    assert load_regions().city().code == "321200"  # the profile's, without a file
    # DEMONITOR_REGIONS is folded into the city profile: set, it is refused, not ignored.
    monkeypatch.setenv("DEMONITOR_REGIONS", str(path))
    with pytest.raises(CityProfileError, match="DEMONITOR_CITY"):
        load_regions()


def test_policy_targets_and_tasks() -> None:
    targets = load_targets()
    assert len(targets) == 23
    de01 = next(t for t in targets if t.code == "DE01")
    assert (de01.target, de01.comparator, de01.target_year) == (13.5, "approx", 2025)
    tasks = load_tasks()
    assert [t.number for t in tasks] == list(range(1, 19))
    assert "DE01" in next(t for t in tasks if t.number == 7).related_targets


def test_reference_show_explains_a_partial_gbt_code() -> None:
    result = runner.invoke(app, ["reference", "show", "C3831"])
    assert result.exit_code == 0, result.output
    assert "电线、电缆制造" in result.output
    assert "010606 专用电线、电缆制造" in result.output
    assert "部分归入" in result.output and "通信电缆" in result.output


def test_reference_show_explains_a_de_class() -> None:
    result = runner.invoke(app, ["reference", "show", "030103"])
    assert result.exit_code == 0, result.output
    assert "应用软件开发" in result.output
    assert "0301 软件开发" in result.output and "6513" in result.output
    assert "重构" in result.output


def test_reference_show_refuses_an_unknown_code() -> None:
    result = runner.invoke(app, ["reference", "show", "999999"])
    assert result.exit_code == 2
