"""Copy the reference, policy and classification tables from ../shared into the package.

The installed package must work without ../shared, so its data files are copies. This script
is the only way they are made: it records, for every copied file, where it came from and its
SHA-256, in ``src/demonitor/reference/data/MANIFEST.json``. ``tests/test_reference.py`` fails
when a copy drifts from its source.

The indicator catalogue of the Taizhou city profile (``cities/taizhou/indicators.csv``) is
*derived*: its first columns are ``policy/targets.csv`` row for row, and the columns the
platform adds (direction, base year, level, source …) are kept from the catalogue as it is, so
they are edited there and survive a sync. A target new in ../shared gets the platform columns'
defaults (see ``platform_defaults``) and is printed, to be reviewed in the catalogue. A row of
the catalogue whose code is no longer in the policy is dropped and printed.

Usage: python tools/sync_reference.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import shutil
import tomllib
from pathlib import Path

# The columns the platform adds to the policy's, in the catalogue's order: one list, the loader's.
from demonitor.reference.city import PLATFORM_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "demonitor" / "reference" / "data"

# (source relative to shared/, destination relative to the package data folder, what it is)
COPIES = [
    ("reference/gbt4754_2017.csv", "gbt4754_2017.csv", "GB/T 4754-2017 code tree (1381 classes)"),
    (
        "reference/digital_economy_2021_reconstructed.csv",
        "de/nbs-de-2021-reconstructed.csv",
        "NBS 数字经济及其核心产业统计分类(2021), RECONSTRUCTION (not the official table)",
    ),
    (
        "reference/digital_economy_2021.csv",
        "de/nbs-de-2021-verified-divisions-groups.csv",
        "NBS 2021 大类 and 中类 only (verified; no 小类)",
    ),
    ("reference/README.md", "PROVENANCE-reference.md", "provenance of the classification tables"),
    ("policy/targets.csv", "policy/targets.csv", "the policy's 23 quantified targets"),
    ("policy/tasks.csv", "policy/tasks.csv", "the policy's 18 key tasks"),
    ("policy/published-figures.csv", "policy/published-figures.csv", "real published figures"),
    ("policy/README.md", "policy/PROVENANCE.md", "provenance of the policy data"),
    ("policy/guiding-opinions.zh.txt", "policy/guiding-opinions.zh.txt", "the policy text"),
]


# (policy source relative to shared/, derived catalogue relative to the package data, what it is)
DERIVED = [
    (
        "policy/targets.csv",
        "cities/taizhou/indicators.csv",
        "indicator catalogue of the Taizhou profile: the 23 targets plus the platform's columns",
    ),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def platform_defaults(target: dict[str, str], base_year: int, pillar: str) -> dict[str, str]:
    """The platform's columns of a target new in the policy: review them in the catalogue."""
    counted = target["kind"] == "count_cumulative"
    return {
        "direction": "higher",
        "base_year": str(base_year),
        "missing_base": "zero" if target["kind"] != "ratio" else "no_assessment",
        "natural_limit": "100" if target["unit"] == "%" else "",
        "tolerance": "0.3" if target["comparator"] == "approx" else "0",
        "level": "内部",
        "collected_by": "department",
        "owner_zh": target["suggested_owner_zh"],
        "frequency": "A",
        "measure": "count_since_base" if counted else "stock",
        "source": "observations",
        "pillar": pillar,
    }


def derive_catalogue(source: Path, catalogue: Path, tasks: Path) -> list[str]:
    """Rewrite the catalogue from the policy's targets; returns what needs a reviewer's eye."""
    policy_columns, targets = read_rows(source)
    kept: dict[str, dict[str, str]] = {}
    if catalogue.is_file():
        kept = {row["code"]: row for row in read_rows(catalogue)[1]}
    city = tomllib.loads((catalogue.parent / "city.toml").read_text(encoding="utf-8"))
    pillars: dict[str, str] = {}
    for task in read_rows(tasks)[1]:
        for code in filter(None, task["related_targets"].split(";")):
            pillars.setdefault(code, task["pillar_no"])
    notes = []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*policy_columns, *PLATFORM_COLUMNS])
    for target in targets:
        previous = kept.pop(target["code"], None)
        if previous is None:
            previous = platform_defaults(
                target, int(city["city"]["base_year"]), pillars.get(target["code"], "")
            )
            notes.append(f"new indicator {target['code']}: review its platform columns")
        writer.writerow(
            [target[c] for c in policy_columns] + [previous.get(c, "") for c in PLATFORM_COLUMNS]
        )
    notes.extend(f"dropped {code}: no longer a target of the policy" for code in kept)
    catalogue.write_text(out.getvalue(), encoding="utf-8")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    manifest = []
    for source, destination, what in COPIES:
        src = args.shared / source
        dst = DATA / destination
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        manifest.append(
            {"file": destination, "source": f"shared/{source}", "sha256": sha256(dst), "what": what}
        )
    for source, destination, what in DERIVED:
        src = args.shared / source
        dst = DATA / destination
        for note in derive_catalogue(src, dst, args.shared / "policy" / "tasks.csv"):
            print(f"{destination}: {note}")
        manifest.append(
            {
                "file": destination,
                "source": f"shared/{source}",
                "sha256": sha256(dst),
                "source_sha256": sha256(src),
                "derived": "the source's columns row for row, then the platform's columns",
                "what": what,
            }
        )
    (DATA / "MANIFEST.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"copied {len(manifest)} files into {DATA.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
