"""NBS 《数字经济及其核心产业统计分类(2021)》 as versioned editions.

The default edition is a reconstruction (the official table was not reachable when the
platform was built; see ``data/PROVENANCE-reference.md``). Users load other editions, such as
the official table, with ``demonitor reference load-de``; every classification result names the
edition that produced it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from demonitor import config
from demonitor.reference._files import data_path
from demonitor.reference.gbt4754 import IndustryTree, load_industry_tree

DEFAULT_EDITION = "nbs-de-2021-reconstructed"
LEVEL_ALIASES = {
    "大类": "大类", "division": "大类",
    "中类": "中类", "group": "中类",
    "小类": "小类", "class": "小类",
}  # fmt: skip
CODE_LENGTH = {"大类": 2, "中类": 4, "小类": 6}
PARENT_LEVEL = {"中类": "大类", "小类": "中类"}
CATEGORY_NAMES_EN = {
    "01": "Digital product manufacturing",
    "02": "Digital product services",
    "03": "Digital technology application",
    "04": "Digital factor-driven industries",
    "05": "Digital efficiency improvement",
}
REQUIRED_COLUMNS = ("de_code", "de_name", "level", "parent", "industry_codes")
_EDITION_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_INDUSTRY_TOKEN = re.compile(r"^([A-Za-z]?)(\d{2,4})\s*(\*?)$")


@dataclass(frozen=True)
class IndustryRef:
    """One GB/T 4754 code listed on a 小类 row; ``partial`` is the ``*`` mark."""

    code: str
    partial: bool


@dataclass(frozen=True)
class DEClass:
    code: str
    name: str
    level: str
    parent: str
    industry_codes: tuple[IndustryRef, ...]
    core: bool
    confidence: str = ""
    remark: str = ""

    @property
    def category(self) -> str:
        return self.code[:2]


@dataclass(frozen=True)
class ClassMapping:
    """What one GB/T 4754 class maps to: a whole 小类, or 小类 it belongs to only partly."""

    full: str | None
    partial: tuple[str, ...] = ()


@dataclass
class Edition:
    name: str
    classes: dict[str, DEClass]
    description: str = ""
    reconstruction: bool = False
    source: str = ""
    _mapping: dict[str, ClassMapping] = field(default_factory=dict, repr=False)

    def small_classes(self) -> list[DEClass]:
        return [c for c in self.classes.values() if c.level == "小类"]

    def partial_classes(self) -> list[DEClass]:
        return [c for c in self.small_classes() if any(r.partial for r in c.industry_codes)]

    def label(self) -> str:
        """How results name the edition; a reconstruction says so."""
        if self.reconstruction:
            return f"{self.name}（重构版，非官方表 / reconstruction, not the official table）"
        return self.name

    def industry_mapping(self, tree: IndustryTree | None = None) -> dict[str, ClassMapping]:
        """GB/T class → mapping. Explicit class codes beat division/group scopes.

        The reconstructed 05 rows list whole divisions; a class that a core 小类 takes in full
        is not also "partly 05" (NBS assigns a unit to one class).
        """
        if self._mapping:
            return self._mapping
        tree = tree or load_industry_tree()
        full: dict[str, str] = {}
        partial: dict[str, list[str]] = {}
        for de_class in self.small_classes():
            for ref in de_class.industry_codes:
                if not ref.partial and len(ref.code) == 4:
                    full[ref.code] = de_class.code
        for de_class in self.small_classes():
            for ref in de_class.industry_codes:
                for gbt_class in tree.classes_under(ref.code):
                    if gbt_class in full:
                        continue
                    if ref.partial or len(ref.code) < 4:
                        partial.setdefault(gbt_class, []).append(de_class.code)
                    else:  # a whole division or group listed without *
                        full[gbt_class] = de_class.code

        def priority(de_code: str) -> tuple[int, str]:
            # Core classes first: a cable maker is 010606 before it is "digitalised 05".
            return (0 if self.classes[de_code].core else 1, de_code)

        mapping = {code: ClassMapping(full=de) for code, de in full.items()}
        for code, candidates in partial.items():
            if code not in mapping:
                mapping[code] = ClassMapping(None, tuple(sorted(set(candidates), key=priority)))
        self._mapping = mapping
        return mapping


class EditionError(ValueError):
    """An edition file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = (
            f"\n  … 另有 {len(problems) - 50} 处 / {len(problems) - 50} more"
            if len(problems) > 50
            else ""
        )
        super().__init__(f"{source}: 分类表无效 / invalid classification table:\n{shown}{more}")


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"true", "1", "yes", "y", "是", "t"}


def parse_edition_rows(
    rows: list[dict[str, str]], source: str, tree: IndustryTree | None = None
) -> dict[str, DEClass]:
    """Validate the rows of an edition table and build its classes, or raise EditionError."""
    tree = tree or load_industry_tree()
    problems: list[str] = []
    if not rows:
        raise EditionError(source, ["文件没有数据行 / the file has no data rows"])
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise EditionError(source, [f"缺少列 / missing columns: {', '.join(missing)}"])
    classes: dict[str, DEClass] = {}
    for number, row in enumerate(rows, start=2):  # the header is row 1
        where = f"第{number}行 / row {number}"
        code = row["de_code"].strip()
        level = LEVEL_ALIASES.get(row["level"].strip(), "")
        if not level:
            problems.append(
                f"{where}: level「{row['level']}」应为大类/中类/小类 / must be 大类/中类/小类"
            )
            continue
        if not code.isdigit() or len(code) != CODE_LENGTH[level]:
            problems.append(
                f"{where}: 代码「{code}」应为{CODE_LENGTH[level]}位数字 / "
                f"de_code must be {CODE_LENGTH[level]} digits for a {level}"
            )
            continue
        if code in classes:
            problems.append(f"{where}: 代码{code}重复 / duplicate de_code {code}")
            continue
        if not row["de_name"].strip():
            problems.append(f"{where}: 名称为空 / de_name is empty")
        row_partial = _truthy(row.get("partial", ""))
        refs: list[IndustryRef] = []
        for token in re.split(r"[;；,，、\s]+", row["industry_codes"].strip()):
            if not token:
                continue
            match = _INDUSTRY_TOKEN.match(token)
            if not match:
                problems.append(f"{where}: 行业代码「{token}」格式无效 / malformed industry code")
                continue
            gbt = match.group(2)
            industry = tree.get(gbt)
            if industry is None or (len(gbt) == 4 and industry.level != "class"):
                problems.append(
                    f"{where}: 行业代码{gbt}不在GB/T 4754-2017中 / "
                    f"industry code {gbt} is not in GB/T 4754-2017"
                )
                continue
            refs.append(IndustryRef(gbt, row_partial or match.group(3) == "*"))
        core_default = code[:2] != "05"
        core_text = row.get("core", "").strip()
        core = _truthy(core_text) if core_text else core_default
        if core != core_default:
            problems.append(
                f"{where}: core={core_text}与大类{code[:2]}不符（01–04为核心产业）/ "
                "core flag contradicts the division (01–04 are core)"
            )
        if level != "小类" and refs and core:
            problems.append(
                f"{where}: 核心产业的{level}行不应列行业代码（会重复计算）/ "
                "core division/group rows must not list industry codes (double counting)"
            )
        if level == "小类" and not refs:
            problems.append(f"{where}: 小类{code}没有行业代码 / class {code} has no industry codes")
        classes[code] = DEClass(
            code=code,
            name=row["de_name"].strip(),
            level=level,
            parent=row["parent"].strip(),
            industry_codes=tuple(refs),
            core=core,
            confidence=row.get("confidence", "").strip(),
            remark=row.get("remark", "").strip(),
        )
    problems.extend(_tree_problems(classes))
    problems.extend(_double_counting(classes))
    if problems:
        raise EditionError(source, problems)
    return classes


def _tree_problems(classes: dict[str, DEClass]) -> list[str]:
    problems: list[str] = []
    children: dict[str, int] = {}
    for de in classes.values():
        if de.level == "大类":
            if de.parent:
                problems.append(f"{de.code}: 大类不应有上级 / a division has no parent")
            continue
        parent = classes.get(de.parent)
        if parent is None or parent.level != PARENT_LEVEL[de.level]:
            problems.append(
                f"{de.code}: 上级「{de.parent}」不存在或层级不对 / "
                f"parent {de.parent or '(empty)'} missing or not a {PARENT_LEVEL[de.level]}"
            )
        elif not de.code.startswith(de.parent):
            problems.append(f"{de.code}: 代码应以上级{de.parent}开头 / code must start with parent")
        children[de.parent] = children.get(de.parent, 0) + 1
    for de in classes.values():
        if de.level in ("大类", "中类") and not children.get(de.code):
            below = "中类" if de.level == "大类" else "小类"
            problems.append(f"{de.code}: {de.level}下没有{below}（树不完整）/ tree incomplete")
    if not any(de.level == "大类" for de in classes.values()):
        problems.append("没有大类 / no division rows")
    return problems


def _double_counting(classes: dict[str, DEClass]) -> list[str]:
    owners: dict[str, list[str]] = {}
    for de in classes.values():
        for ref in de.industry_codes:
            if not ref.partial:
                owners.setdefault(ref.code, []).append(de.code)
    return [
        f"行业代码{code}完整地属于多个小类 {'/'.join(des)}（应标*）/ "
        f"industry code {code} belongs wholly to several classes (mark it partial with *)"
        for code, des in owners.items()
        if len(des) > 1
    ]


def read_edition_file(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [
                {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(handle)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise EditionError(str(path), [f"无法读取 / cannot read: {error}"]) from error


# --- the registry of editions -------------------------------------------------------------

BUILTIN = {
    DEFAULT_EDITION: {
        "file": "de/nbs-de-2021-reconstructed.csv",
        "description": "国家统计局令第33号分类的重构版（157个小类），官方表无法获取时的替代 / "
        "reconstruction of NBS Order No. 33 (157 classes); replace with the official table",
        "reconstruction": True,
    }
}


def home() -> Path:
    """Where the platform keeps user-loaded data (``DEMONITOR_HOME``)."""
    return config.home()


def _user_dir() -> Path:
    return home() / "editions"


def list_editions() -> list[dict[str, object]]:
    editions: list[dict[str, object]] = [
        {"name": name, "builtin": True, **meta} for name, meta in BUILTIN.items()
    ]
    directory = _user_dir()
    if directory.is_dir():
        for meta_file in sorted(directory.glob("*.json")):
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            editions.append({"name": meta_file.stem, "builtin": False, **meta})
    return editions


def load_edition(name: str | None = None) -> Edition:
    """The edition ``name``; by default ``DEMONITOR_DE_EDITION``, else the city profile's."""
    if not name and not config.de_edition():
        from demonitor.reference.city import load_city

        name = load_city().edition
    name = name or config.de_edition() or DEFAULT_EDITION
    return _load_edition_cached(name, str(_user_dir()))


@cache
def _load_edition_cached(name: str, user_dir: str) -> Edition:
    if name in BUILTIN:
        meta = BUILTIN[name]
        path = data_path(str(meta["file"]))
        classes = parse_edition_rows(read_edition_file(path), str(path))
        return Edition(
            name,
            classes,
            description=str(meta["description"]),
            reconstruction=bool(meta["reconstruction"]),
            source=f"packaged {meta['file']}",
        )
    path = Path(user_dir) / f"{name}.csv"
    if not path.is_file():
        known = ", ".join(str(e["name"]) for e in list_editions())
        raise KeyError(f"未知的分类版本 / unknown edition: {name} (known: {known})")
    meta_data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    classes = parse_edition_rows(read_edition_file(path), str(path))
    return Edition(
        name,
        classes,
        description=str(meta_data.get("description", "")),
        reconstruction=bool(meta_data.get("reconstruction", False)),
        source=str(meta_data.get("source", "")),
    )


def register_edition(
    source: Path, name: str, description: str = "", reconstruction: bool = False
) -> Edition:
    """Validate ``source`` and keep it as a named edition. Existing editions are never replaced."""
    if not _EDITION_NAME.match(name):
        raise EditionError(
            str(source), [f"版本名「{name}」无效（小写字母、数字、.-_）/ invalid edition name"]
        )
    if name in BUILTIN or (_user_dir() / f"{name}.csv").exists():
        raise EditionError(
            str(source),
            [f"版本{name}已存在，版本不可覆盖，请换名 / edition {name} exists; use a new name"],
        )
    classes = parse_edition_rows(read_edition_file(source), str(source))
    directory = _user_dir()
    directory.mkdir(parents=True, exist_ok=True)
    content = source.read_bytes()
    (directory / f"{name}.csv").write_bytes(content)
    meta = {
        "description": description,
        "reconstruction": reconstruction,
        "source": str(source.resolve()),
        "sha256": hashlib.sha256(content).hexdigest(),
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "classes": sum(1 for c in classes.values() if c.level == "小类"),
    }
    (directory / f"{name}.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    _load_edition_cached.cache_clear()
    return load_edition(name)
