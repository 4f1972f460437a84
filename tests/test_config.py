"""Settings from the environment: read in one module, at the time of use, all documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from demonitor import config

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "demonitor"


def test_only_the_config_module_reads_the_environment() -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "config.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.search(r"\benviron\b|\bgetenv\b", line)
    ]
    assert readers == []


def test_the_config_module_imports_nothing_of_demonitor() -> None:
    tree = ast.parse((SRC / "config.py").read_text("utf-8"))
    imported = [
        alias.name if isinstance(node, ast.Import) else (node.module or "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert imported  # the walk found the imports
    assert [name for name in imported if name.split(".")[0] == "demonitor"] == []


def test_the_readme_lists_every_variable_in_both_languages() -> None:
    chinese, english = (ROOT / "README.md").read_text("utf-8").split("\n---\n", 1)
    for part in (chinese, english):
        rows = re.findall(r"^\| `(DEMONITOR_[A-Z_]+)`", part, re.MULTILINE)
        assert sorted(rows) == sorted(config.VARIABLES)


def test_settings_are_read_when_asked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(config.DATABASE_URL, raising=False)
    assert config.database_url() == "sqlite:///demonitor.db"
    monkeypatch.setenv(config.DATABASE_URL, "sqlite:///other.db")
    assert config.database_url() == "sqlite:///other.db"
    monkeypatch.delenv(config.HOME)
    assert config.home() == Path.home() / ".local" / "share" / "demonitor"
    monkeypatch.setenv(config.HOME, str(tmp_path))
    assert config.home() == tmp_path
    monkeypatch.setenv(config.SERVE_SECURE_COOKIES, "")
    assert config.serve_secure_cookies() is None
    monkeypatch.setenv(config.SERVE_SECURE_COOKIES, "0")
    assert config.serve_secure_cookies() is False
    monkeypatch.setenv(config.INSECURE_COOKIES, "1")
    assert config.insecure_cookies() is True
