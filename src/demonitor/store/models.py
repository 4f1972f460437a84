"""What the platform keeps: SQLAlchemy 2 models (SQLite by default, PostgreSQL in production).

Observations are never overwritten: a corrected value is a new row with the next ``vintage`` and
who, when and why. Every write also goes to ``audit_log``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16))  # city | district | county_city | zone
    parent: Mapped[str | None] = mapped_column(String(6))
    administered_with: Mapped[str | None] = mapped_column(String(6))


class Period(Base):
    __tablename__ = "periods"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)  # 2024, 2024Q3, 2024M09
    frequency: Mapped[str] = mapped_column(String(1))  # A | Q | M
    year: Mapped[int] = mapped_column(Integer)
    index: Mapped[int] = mapped_column(Integer)


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = _now()


class Enterprise(Base):
    """An enterprise of the register (microdata: statistics role only)."""

    __tablename__ = "enterprises"

    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    industry_code: Mapped[str] = mapped_column(String(4))
    business_scope: Mapped[str] = mapped_column(Text, default="")


class Classification(Base):
    """The result of unit identification for an enterprise, under one edition."""

    __tablename__ = "classifications"
    __table_args__ = (UniqueConstraint("credit_code", "edition", "vintage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(ForeignKey("enterprises.credit_code"))
    edition: Mapped[str] = mapped_column(String(64))
    de_code: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    vintage: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[dt.datetime] = _now()
    recorded_by: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class Indicator(Base):
    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    section: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256))
    unit: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # ratio | count_cumulative | milestone
    owner_zh: Mapped[str] = mapped_column(String(128))
    frequency: Mapped[str] = mapped_column(String(1), default="A")
    direction: Mapped[int] = mapped_column(Integer, default=1)
    level: Mapped[str] = mapped_column(String(8), default="内部")  # 公开 | 内部 | 涉密
    # From the city profile's catalogue (reference/city.py IndicatorSpec), since 0006:
    # no_assessment | first_value | zero — what stands in for a missing base-year value
    missing_base: Mapped[str] = mapped_column(
        String(16), default="no_assessment", server_default="no_assessment"
    )
    natural_limit: Mapped[float | None] = mapped_column(Float)  # 100 for a coverage rate
    collected_by: Mapped[str] = mapped_column(  # department | district
        String(16), default="department", server_default="department"
    )
    measure: Mapped[str] = mapped_column(  # stock | count_since_base
        String(16), default="stock", server_default="stock"
    )
    # observations | accounts | recognitions:<list name>[:digital_only]
    source: Mapped[str] = mapped_column(
        String(128), default="observations", server_default="observations"
    )
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class Target(Base):
    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("indicator_code", "region_code", "target_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    # From the catalogue (the city profile's base and target years), never a literal here.
    base_year: Mapped[int] = mapped_column(Integer)
    target_year: Mapped[int] = mapped_column(Integer)
    target: Mapped[float] = mapped_column(Float)
    comparator: Mapped[str] = mapped_column(String(8))  # approx | ge | gt | eq
    tolerance: Mapped[float] = mapped_column(Float, default=0.0)
    aspirational: Mapped[bool] = mapped_column(Boolean, default=False)  # 力争
    wording_zh: Mapped[str] = mapped_column(Text, default="")
    # 触警阈值: a value on the wrong side of it raises an alert whatever the pace.
    alarm_threshold: Mapped[float | None] = mapped_column(Float)


class Observation(Base):
    """A value of an indicator or aggregate for a region and period, as one vintage.

    ``series`` names what is observed: an indicator code (DE02 …), or an aggregate such as
    ``GDP``, ``GDP_growth``; ``cumulative`` marks year-to-date (累计) values.
    """

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("series", "region_code", "period", "cumulative", "vintage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    series: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    cumulative: Mapped[bool] = mapped_column(Boolean, default=False)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    vintage: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # synthetic demo data
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    # The accounts ask for the newest change of the microdata (entity in …) on every read.
    __table_args__ = (Index("ix_audit_log_entity_id", "entity", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # insert | revise | import | …
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(256))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")


class Financial(Base):
    """An enterprise's financial figures for a period, as one vintage (microdata). Money in 万元."""

    __tablename__ = "financials"
    __table_args__ = (UniqueConstraint("credit_code", "period", "vintage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(ForeignKey("enterprises.credit_code"), index=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    revenue: Mapped[float | None] = mapped_column(Float)  # 营业收入
    value_added: Mapped[float | None] = mapped_column(Float)  # 增加值, when reported
    employees: Mapped[int | None] = mapped_column(Integer)
    vintage: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class ValueAddedRate(Base):
    """增加值率 of an industry (a GB/T class, or a division as fallback), loaded by users."""

    __tablename__ = "va_rates"
    __table_args__ = (UniqueConstraint("industry_code", "year", "vintage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    industry_code: Mapped[str] = mapped_column(String(4))  # 4-digit class or 2-digit division
    year: Mapped[int] = mapped_column(Integer)
    rate: Mapped[float] = mapped_column(Float)  # fraction of revenue
    source: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    vintage: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64))


class Recognition(Base):
    """An enterprise on a recognition list (高新技术企业, 智能制造示范工厂 …) in a year."""

    __tablename__ = "recognitions"
    __table_args__ = (UniqueConstraint("list_name", "credit_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_name: Mapped[str] = mapped_column(String(64), index=True)
    credit_code: Mapped[str] = mapped_column(ForeignKey("enterprises.credit_code"))
    year: Mapped[int] = mapped_column(Integer)
    # 认定日期 (since 0008): a count as of a date takes what was recognised by then; without a
    # date a recognition counts from the end of its year, never earlier.
    recognised_on: Mapped[dt.date | None] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(8))  # 国家 | 省 | 市
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    """A person (or machine client's owner) who signs in to the web platform."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16))  # web.permissions.Role
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))  # district
    department: Mapped[str | None] = mapped_column(String(128))  # department users
    indicators: Mapped[str] = mapped_column(Text, default="")  # owned codes, comma-separated
    password_hash: Mapped[str] = mapped_column(String(256))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Failed sign-ins in a row, from anywhere; counted atomically (services.users.sign_in).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on password change, reset or disable: older session cookies stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = _now()
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A revocable bearer token for machine clients; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown so a person can tell tokens apart
    created_at: Mapped[dt.datetime] = _now()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser session. The cookie names it by a random secret (only its SHA-256 is
    kept); signing out deletes the row, so that a copy of the cookie no longer works."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class SignInFailures(Base):
    """Failed sign-ins under one key (an address, or an account at an address) in a window that
    starts with the first of them. Counted with one upsert returning the count, so that parallel
    attempts never lose one."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class Submission(Base):
    """A department's or district's data for one period (填报): draft → submitted → approved
    (published as new vintages) or returned with a comment."""

    __tablename__ = "submissions"
    # One open submission (draft, submitted, returned) per submitter and period (migration 0009).
    __table_args__ = (
        Index(
            "uq_submissions_open",
            "owner",
            "period",
            unique=True,
            sqlite_where=text("status IN ('draft', 'submitted', 'returned')"),
            postgresql_where=text("status IN ('draft', 'submitted', 'returned')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    owner: Mapped[str] = mapped_column(String(64))  # username of the submitting user
    scope: Mapped[str] = mapped_column(String(128))  # department name or region code
    status: Mapped[str] = mapped_column(String(16), default="draft")
    comment: Mapped[str] = mapped_column(Text, default="")  # the reviewer's, when returned
    created_at: Mapped[dt.datetime] = _now()
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SubmissionItem(Base):
    __tablename__ = "submission_items"
    __table_args__ = (UniqueConstraint("submission_id", "indicator_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    # The vintage this item became when approved (None while pending or when unchanged).
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"))


class AccountCell(Base):
    """Materialised value added of one county-level region × DE class × period (万元), computed
    from the microdata of one data version; the accounts read these instead of the microdata.
    Period '' holds the units with no financials of any period (every unit missing)."""

    __tablename__ = "account_cells"
    __table_args__ = (
        UniqueConstraint("edition", "data_version", "period", "region_code", "de_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    edition: Mapped[str] = mapped_column(String(64))
    data_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))
    region_code: Mapped[str] = mapped_column(String(6))
    de_code: Mapped[str] = mapped_column(String(6))
    value_added: Mapped[float] = mapped_column(Float)
    units: Mapped[int] = mapped_column(Integer)
    reported: Mapped[int] = mapped_column(Integer)
    estimated: Mapped[int] = mapped_column(Integer)
    missing: Mapped[int] = mapped_column(Integer)


class AccountBuild(Base):
    """Which data version the materialised cells of an edition reflect."""

    __tablename__ = "account_builds"

    edition: Mapped[str] = mapped_column(String(64), primary_key=True)
    data_version: Mapped[int] = mapped_column(Integer)
    periods: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    built_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
