"""Who may do what: the one access policy every route of the web platform is to go through.

Pure policy, no I/O. A route describes what it touches as a ``Resource`` and asks ``decide``;
the answer says why, in Chinese and English, so that a refusal can be shown and logged.

The rules (issue 4):

- enterprise microdata (register rows, financials, classifications) is for ``statistics`` and
  ``admin`` only, because the Statistics Law forbids disclosing single respondents; statistics
  also approves there (it confirms or rejects identification decisions);
- a ``district`` user reads and writes only its own region's unpublished data;
- a ``department`` user reads and writes only the indicators it owns;
- ``leader`` reads every aggregate and writes nothing; ``office`` also approves and reads the
  audit log; only ``admin`` manages users;
- anything below 公开 never reaches ``public``, and 涉密 reaches only admin, office and leader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OFFICE = "office"  # 数字经济办
    STATISTICS = "statistics"  # 统计局
    DEPARTMENT = "department"
    DISTRICT = "district"
    LEADER = "leader"
    PUBLIC = "public"


class Level(StrEnum):
    """Data-classification level of what is read."""

    PUBLIC = "公开"
    INTERNAL = "内部"
    SECRET = "涉密"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"  # submit or import
    APPROVE = "approve"  # publish a submission as a new vintage
    ADMINISTER = "administer"  # users, tokens, settings


class Kind(StrEnum):
    MICRODATA = "microdata"
    AGGREGATE = "aggregate"  # indicators, accounts, progress
    SUBMISSION = "submission"
    AUDIT = "audit"
    USERS = "users"


@dataclass(frozen=True)
class Principal:
    role: Role
    username: str = "anonymous"
    region: str | None = None  # for district users
    indicators: frozenset[str] = field(default_factory=frozenset)  # owned by a department


@dataclass(frozen=True)
class Resource:
    kind: Kind
    level: Level = Level.INTERNAL
    region: str | None = None
    indicator: str | None = None
    published: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason_zh: str
    reason_en: str

    def __bool__(self) -> bool:
        return self.allowed


def _allow(zh: str, en: str) -> Decision:
    return Decision(True, zh, en)


def _deny(zh: str, en: str) -> Decision:
    return Decision(False, zh, en)


SECRET_READERS = frozenset({Role.ADMIN, Role.OFFICE, Role.LEADER})


def decide(principal: Principal, action: Action, resource: Resource) -> Decision:
    role = principal.role
    if role is Role.ADMIN:
        return _allow("管理员", "administrator")
    if resource.kind is Kind.USERS or action is Action.ADMINISTER:
        return _deny("仅管理员可管理用户与设置", "only an administrator manages users and settings")
    if resource.kind is Kind.MICRODATA:
        if role is Role.STATISTICS:
            return _allow("统计局可处理企业微观数据", "the statistics bureau handles microdata")
        return _deny(
            "企业微观数据仅限统计局（统计法）",
            "enterprise microdata is for the statistics bureau only (Statistics Law)",
        )
    if resource.kind is Kind.AUDIT:
        if role is Role.OFFICE and action is Action.READ:
            return _allow("数字经济办可查看审计日志", "the office reads the audit log")
        return _deny("审计日志仅限管理员和数字经济办", "the audit log is for admin and office")
    if resource.level is Level.SECRET and role not in SECRET_READERS:
        return _deny("涉密数据不对该角色开放", "classified data is not open to this role")
    if role is Role.PUBLIC:
        if action is Action.READ and resource.published and resource.level is Level.PUBLIC:
            return _allow("已公开数据", "published open data")
        return _deny("仅可查看已公开的公开级数据", "the public sees published open data only")
    if action is Action.APPROVE:
        if role is Role.OFFICE:
            return _allow("数字经济办审核发布", "the office approves")
        return _deny("仅数字经济办可审核", "only the office approves submissions")
    if role in (Role.OFFICE, Role.LEADER, Role.STATISTICS):
        if action is Action.READ:
            return _allow("可查看全部汇总数据", "reads every aggregate")
        if role is Role.LEADER:
            return _deny("领导只读", "leaders read only")
        return _allow("可填报与导入", "submits and imports")
    if role is Role.DISTRICT:
        own = resource.region is not None and resource.region == principal.region
        if own:
            return _allow("本区划数据", "own region's data")
        if action is Action.READ and resource.published:
            return _allow("其他区划的已发布数据", "another region's published data")
        return _deny(
            "只能查看和填报本区划未发布数据",
            "a district reads and writes only its own region's unpublished data",
        )
    if role is Role.DEPARTMENT:
        own = resource.indicator is not None and resource.indicator in principal.indicators
        if own:
            return _allow("本部门负责的指标", "an indicator this department owns")
        if action is Action.READ and resource.published:
            return _allow("已发布数据", "published data")
        return _deny(
            "只能查看和填报本部门负责的指标",
            "a department reads and writes only the indicators it owns",
        )
    return _deny("未定义的权限", "no rule allows this")
