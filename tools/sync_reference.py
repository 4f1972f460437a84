"""Copy the reference, policy and classification tables from ../shared into the package.

The installed package must work without ../shared, so its data files are copies. This script
is the only way they are made: it records, for every copied file, where it came from and its
SHA-256, in ``src/demonitor/reference/data/MANIFEST.json``. ``tests/test_packaged_data.py``
fails when a copy drifts from its source.

Usage: python tools/sync_reference.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    (DATA / "MANIFEST.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"copied {len(manifest)} files into {DATA.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
