"""Loading another edition of the NBS classification, and refusing a bad one."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demonitor.cli import app
from demonitor.engine.rules import load_classification_rules
from demonitor.reference._files import data_path
from demonitor.reference.digital_economy import EditionError, list_editions, load_edition

runner = CliRunner()


def reconstructed_rows() -> list[dict[str, str]]:
    with data_path("de/nbs-de-2021-reconstructed.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def official_style(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The official table's style: no partial column, ``*`` after each partial code."""
    styled = []
    for row in rows:
        row = dict(row)
        if row["partial"] == "true" and row["level"] == "小类":
            row["industry_codes"] = ";".join(f"{c}*" for c in row["industry_codes"].split(";"))
        styled.append(row)
    return styled


def test_an_edition_with_star_marks_loads_and_is_used(tmp_path: Path) -> None:
    rows = official_style(reconstructed_rows())
    # A different decision: 3831 counted wholly as 010606.
    for row in rows:
        if row["de_code"] == "010606":
            row["industry_codes"] = "3831"
    path = write_rows(
        tmp_path / "official.csv", rows, ["de_code", "de_name", "level", "parent", "industry_codes"]
    )
    result = runner.invoke(
        app, ["reference", "load-de", str(path), "--edition", "nbs-de-2021-test"]
    )
    assert result.exit_code == 0, result.output
    assert "157" in result.output
    assert "nbs-de-2021-test" in {e["name"] for e in list_editions()}
    edition = load_edition("nbs-de-2021-test")
    assert not edition.reconstruction
    assert edition.industry_mapping()["3831"].full == "010606"
    assert edition.industry_mapping()["4999"].full is None  # the star marks were read
    rules = load_classification_rules("nbs-de-2021-test")
    assert rules.edition_name == "nbs-de-2021-test"


def test_an_existing_edition_is_never_replaced(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "e.csv", reconstructed_rows())
    assert (
        runner.invoke(app, ["reference", "load-de", str(path), "--edition", "copy-1"]).exit_code
        == 0
    )
    again = runner.invoke(app, ["reference", "load-de", str(path), "--edition", "copy-1"])
    assert again.exit_code == 2
    assert "已存在" in again.output
    builtin = runner.invoke(
        app, ["reference", "load-de", str(path), "--edition", "nbs-de-2021-reconstructed"]
    )
    assert builtin.exit_code == 2


def broken(rows: list[dict[str, str]], code: str, **changes: str) -> list[dict[str, str]]:
    return [dict(r, **changes) if r["de_code"] == code else r for r in rows]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda rows: [*rows, dict(rows[2])], "重复"),  # duplicate 小类 code
        (lambda rows: broken(rows, "010101", industry_codes="3999"), "3999"),  # not a GB/T class
        (lambda rows: broken(rows, "010101", industry_codes="39x1"), "格式无效"),
        (lambda rows: [r for r in rows if r["parent"] != "0205"], "0205"),  # 中类 without 小类
        (lambda rows: broken(rows, "010101", parent="0199"), "0199"),  # parent missing
        (lambda rows: broken(rows, "010102", industry_codes="3911"), "3911"),  # counted twice
        (lambda rows: broken(rows, "010101", level="小小类"), "level"),
        (lambda rows: broken(rows, "010101", core="false"), "core"),
        (lambda rows: broken(rows, "0101", industry_codes="3911"), "double counting"),
    ],
    ids=[
        "duplicate",
        "unknown-gbt",
        "malformed",
        "tree-incomplete",
        "no-parent",
        "double-counted",
        "bad-level",
        "core-flag",
        "core-group-codes",
    ],
)
def test_a_bad_edition_is_refused_with_its_reasons(tmp_path: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write_rows(tmp_path / "bad.csv", mutate(reconstructed_rows()))
    result = runner.invoke(app, ["reference", "load-de", str(path), "--edition", "bad-one"])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "bad-one" not in {e["name"] for e in list_editions()}  # nothing half-loaded


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "bad.csv", reconstructed_rows(), ["de_code", "de_name", "level"])
    with pytest.raises(EditionError) as error:
        from demonitor.reference.digital_economy import register_edition

        register_edition(path, "x-1")
    assert "industry_codes" in str(error.value)


def test_unknown_edition_name_is_an_error_for_classify(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["classify", str(tmp_path / "r.csv"), "-o", str(tmp_path / "o.csv"), "--edition", "nope"],
    )
    assert result.exit_code == 2
    assert "nope" in result.output


def test_the_dashboard_uses_the_edition_the_command_line_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    from fastapi.testclient import TestClient

    from demonitor.core.permissions import Role
    from demonitor.services.users import add_user
    from demonitor.store.catalogue import seed_reference
    from demonitor.store.db import make_engine, session_scope, upgrade
    from demonitor.web.app import app_from_environment

    path = write_rows(tmp_path / "local.csv", reconstructed_rows())
    loaded = runner.invoke(app, ["reference", "load-de", str(path), "--edition", "local-de-1"])
    assert loaded.exit_code == 0, loaded.output
    monkeypatch.setenv("DEMONITOR_DE_EDITION", "local-de-1")

    shown = runner.invoke(app, ["reference", "show", "010606"])
    assert shown.exit_code == 0, shown.output
    assert "local-de-1" in shown.output  # the command line's edition

    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        seed_reference(session, "tester")
        add_user(
            session,
            "tester",
            "stats",
            Role.STATISTICS,
            password="A-long-pass-2025",
            must_change_password=False,
        )
    engine.dispose()
    monkeypatch.setenv("DEMONITOR_DATABASE_URL", url)
    monkeypatch.setenv("DEMONITOR_SERVE_SECURE_COOKIES", "0")  # serve on loopback: plain HTTP
    web = app_from_environment()  # as each worker of `demonitor serve` builds it
    try:
        client = TestClient(web)
        login = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token is not None
        answer = client.post(
            "/login",
            data={"username": "stats", "password": "A-long-pass-2025", "csrf_token": token[1]},
        )
        assert answer.status_code == 200, answer.text
        page = client.get("/identification")
        assert page.status_code == 200
        assert "local-de-1" in page.text
        assert "nbs-de-2021-reconstructed" not in page.text
    finally:
        web.state.engine.dispose()
