"""Access to the data files shipped inside the package."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources
from pathlib import Path


def data_path(relative: str) -> Path:
    """Path of a packaged data file (the package is installed unzipped)."""
    return Path(str(resources.files("demonitor.reference") / "data" / relative))


def read_csv_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a UTF-8 CSV as dicts of strings (codes keep their leading zeros)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {key.strip(): (value or "").strip() for key, value in row.items() if key}
