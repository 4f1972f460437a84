"""The monitoring dashboard: overview, districts, indicators, alerts — each a page and an API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, RootModel
from sqlalchemy.orm import Session

from demonitor.core.periods import Period, PeriodError, vintage_moment
from demonitor.core.permissions import Action, Kind, Level, Resource
from demonitor.core.progress import RATE_METHODS
from demonitor.engine.safe_tables import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_text, xlsx_bytes
from demonitor.reports.common import city_code, latest_period, latest_year
from demonitor.reports.dashboard import (
    AlertOut,
    Card,
    DistrictDetail,
    DistrictIndicator,
    DistrictRow,
    Districts,
    IndicatorDetail,
    Overview,
    ProgressOut,
    build_overview,
    category_names,
    compute_districts,
    compute_indicator,
    compute_progress,
    district_indicators,
    may_read_indicator,
    visible_district,
    visible_overview,
    visible_progress,
)
from demonitor.web.cache import ResultCache
from demonitor.web.charts import districts_charts, indicator_chart, overview_charts
from demonitor.web.guard import Ctx, Denied, authorize, needs
from demonitor.web.render import shared_page

router = APIRouter()
# Anyone may open the overview and the indicator list: the public sees what is 公开 there.
READ_PUBLISHED = needs(Action.READ, Kind.AGGREGATE, Level.PUBLIC)
READ_INTERNAL = needs(Action.READ, Kind.AGGREGATE, Level.INTERNAL)


def _edition(ctx: Ctx) -> str:
    return str(ctx.request.app.state.settings.edition)


def _cache(ctx: Ctx) -> ResultCache:
    cache: ResultCache = ctx.request.app.state.cache
    return cache


def _city(ctx: Ctx) -> str:
    return str(_cache(ctx).get("city", lambda: city_code(ctx.db), ctx.db))


def full_overview(cache: ResultCache, db: Session, edition: str) -> Overview:
    """The overview of everything, before filtering for a reader; computed once per data version."""

    def compute() -> Overview:
        return build_overview(db, edition)

    return cache.get("overview", compute, db)


def overview_for(ctx: Ctx) -> Overview:
    # What a reader sees depends on the role only (levels and publication, never the region).
    def visible() -> Overview:
        full = full_overview(_cache(ctx), ctx.db, _edition(ctx))
        return visible_overview(full, ctx.principal, _city(ctx))

    result: Overview = _cache(ctx).get(f"overview:{ctx.principal.role}", visible, ctx.db)
    return result


def as_json(ctx: Ctx, key: str, model: Callable[[], BaseModel]) -> Response:
    """The JSON of a model, serialised once per data version and role (after the access checks
    the caller has made)."""

    def serialise() -> bytes:
        return model().model_dump_json().encode()

    body: bytes = _cache(ctx).get(f"json:{key}:{ctx.principal.role}", serialise, ctx.db)
    return Response(body, media_type="application/json")


def _period(text: str) -> Period:
    """A period of the query string; a malformed one is refused with 400, in both languages."""
    try:
        return Period.parse(text)
    except PeriodError as error:
        zh, _, en = str(error).partition(" / ")
        raise Denied(400, zh, en or zh) from error


def districts_for(ctx: Ctx, year: int | None) -> Districts:
    if year:
        _period(str(year))  # a year the accounts can be computed for (not 22050, not -1)
    year = year or _cache(ctx).get("latest_year", lambda: latest_year(ctx.db), ctx.db)

    def compute() -> Districts:
        return compute_districts(ctx.db, _edition(ctx), year)

    result: Districts = _cache(ctx).get(f"districts:{year}", compute, ctx.db)
    return result


def indicator_for(ctx: Ctx, code: str) -> IndicatorDetail:
    overview = overview_for(ctx)
    card = next((c for c in overview.cards if c.code == code), None)
    if card is None:
        # Unknown and hidden look alike: a refusal must not tell that an indicator exists.
        if ctx.user is None:
            raise Denied(401, "请先登录", "please sign in")
        raise Denied(403, f"无权查看指标{code}或指标不存在", f"no indicator {code} you may read")
    city = _city(ctx)

    def compute() -> IndicatorDetail | None:
        return compute_indicator(ctx.db, _edition(ctx), code, overview.cards, city)

    detail: IndicatorDetail | None = _cache(ctx).get(f"indicator:{code}", compute, ctx.db)
    if detail is None:
        raise Denied(403, f"指标{code}没有目标", f"indicator {code} has no target")
    return detail


def alerts_for(ctx: Ctx) -> list[AlertOut]:
    return overview_for(ctx).alert_list


# Pages ------------------------------------------------------------------------------------------


@router.get("/")
def overview_page(ctx: Annotated[Ctx, READ_PUBLISHED], changed: int = 0) -> Response:
    overview = overview_for(ctx)
    return shared_page(
        ctx,
        "overview.html",
        lambda: {
            "overview": overview,
            "charts": overview_charts(overview, ctx.lang),
            "changed": bool(changed),
        },
    )


@router.get("/districts")
def districts_page(ctx: Annotated[Ctx, READ_INTERNAL], year: int | None = None) -> Response:
    data = districts_for(ctx, year)
    return shared_page(
        ctx, "districts.html", lambda: {"data": data, "charts": districts_charts(data, ctx.lang)}
    )


@router.get("/districts/{code}")
def district_page(
    ctx: Annotated[Ctx, READ_INTERNAL], code: str, year: int | None = None
) -> Response:
    detail = district_detail(ctx, code, year)
    return shared_page(
        ctx,
        "district.html",
        lambda: {
            "detail": detail,
            "row": detail.account,
            "data": detail,
            "category_names": category_names(_edition(ctx), ctx.lang),
        },
    )


def district_detail(ctx: Ctx, code: str, year: int | None) -> DistrictDetail:
    data = districts_for(ctx, year)
    row = _district(ctx, data, code)

    def compute() -> list[DistrictIndicator]:
        return district_indicators(ctx.db, code)

    found: list[DistrictIndicator] = _cache(ctx).get(f"district:{code}", compute, ctx.db)
    detail = DistrictDetail(year=data.year, account=row, city=data.city, indicators=found)
    # The values leave through the one gate of indicator values, as the cards do.
    return visible_district(detail, ctx.principal, _city(ctx))


def _district(ctx: Ctx, data: Districts, code: str) -> DistrictRow:
    row = next((r for r in data.districts if r.code == code), None)
    if row is None:
        raise Denied(403, f"区划{code}不是本市县级单位", f"{code} is not a county-level unit here")
    # Accounts are published aggregates; the fine check still applies the reader's scope.
    authorize(
        ctx, Action.READ, Resource(Kind.AGGREGATE, Level.INTERNAL, region=code, published=True)
    )
    return row


@router.get("/indicators")
def indicators_page(ctx: Annotated[Ctx, READ_PUBLISHED]) -> Response:
    overview = overview_for(ctx)
    return shared_page(ctx, "indicators.html", lambda: {"overview": overview})


@router.get("/indicators/{code}")
def indicator_page(ctx: Annotated[Ctx, READ_PUBLISHED], code: str) -> Response:
    detail = indicator_for(ctx, code)
    return shared_page(
        ctx,
        "indicator.html",
        lambda: {"detail": detail, "chart": indicator_chart(detail, ctx.lang)},
    )


def _rows(detail: IndicatorDetail) -> list[list[object]]:
    header: list[object] = [
        "指标代码 code",
        "区划 region",
        "期别 period",
        "版本 vintage",
        "数值 value",
        "单位 unit",
        "记录时间 recorded_at",
        "记录人 recorded_by",
        "原因 reason",
        "备注 note",
    ]
    rows = [header]
    for v in detail.vintages:
        rows.append(
            [
                detail.card.code,
                detail.region,
                v.period,
                v.vintage,
                v.value,
                detail.card.unit,
                v.recorded_at.isoformat(),
                v.recorded_by,
                v.reason,
                v.note,
            ]
        )
    return rows


@router.get("/indicators/{code}/data.csv")
def indicator_csv(ctx: Annotated[Ctx, READ_PUBLISHED], code: str) -> Response:
    detail = indicator_for(ctx, code)
    return Response(
        csv_text(_rows(detail)),  # text that begins like a formula is neutralised
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{code}.csv"'},
    )


@router.get("/indicators/{code}/data.xlsx")
def indicator_xlsx(ctx: Annotated[Ctx, READ_PUBLISHED], code: str) -> Response:
    detail = indicator_for(ctx, code)
    return Response(
        xlsx_bytes(code, _rows(detail)),  # strings as string cells, never formulas
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{code}.xlsx"'},
    )


@router.get("/alerts")
def alerts_page(ctx: Annotated[Ctx, READ_INTERNAL]) -> Response:
    found, overview = alerts_for(ctx), overview_for(ctx)
    return shared_page(ctx, "alerts.html", lambda: {"alerts": found, "overview": overview})


# API --------------------------------------------------------------------------------------------


@router.get("/api/v1/overview", response_model=Overview, tags=["dashboard"])
def api_overview(ctx: Annotated[Ctx, READ_PUBLISHED]) -> Response:
    """Core share of GDP against its target, value added by category, the indicator cards the
    reader may see and a status summary per policy pillar."""
    return as_json(ctx, "overview", lambda: overview_for(ctx))


@router.get("/api/v1/districts", response_model=Districts, tags=["dashboard"])
def api_districts(ctx: Annotated[Ctx, READ_INTERNAL], year: int | None = None) -> Response:
    """Core-industry accounts of the city and each county-level unit for a year (万元, %)."""
    data = districts_for(ctx, year)
    return as_json(ctx, f"districts:{data.year}", lambda: data)


@router.get("/api/v1/districts/{code}", response_model=DistrictDetail, tags=["dashboard"])
def api_district(
    ctx: Annotated[Ctx, READ_INTERNAL], code: str, year: int | None = None
) -> DistrictDetail:
    """A county-level unit's accounts and the latest values it reported for itself."""
    return district_detail(ctx, code, year)


@router.get("/api/v1/indicators", response_model=list[Card], tags=["dashboard"])
def api_indicators(ctx: Annotated[Ctx, READ_PUBLISHED]) -> list[Card]:
    """Every indicator the reader may see, with its latest value, target and status."""
    return overview_for(ctx).cards


@router.get("/api/v1/indicators/{code}", response_model=IndicatorDetail, tags=["dashboard"])
def api_indicator(ctx: Annotated[Ctx, READ_PUBLISHED], code: str) -> Response:
    """An indicator's status, series, every vintage and its metadata."""
    detail = indicator_for(ctx, code)  # checks the reader may see it
    return as_json(ctx, f"indicator:{code}", lambda: detail)


@router.get("/api/v1/progress", response_model=ProgressOut, tags=["dashboard"])
def api_progress(
    ctx: Annotated[Ctx, READ_PUBLISHED],
    as_of: str | None = None,
    vintage_date: str | None = None,
    method: str | None = None,
) -> Response:
    """Every indicator the reader may see as of a data period (default: the latest) and as known
    on a vintage date (default: the latest vintages) — the figures of ``demonitor progress``."""
    period = _period(as_of) if as_of else None
    try:
        known_at = vintage_moment(vintage_date) if vintage_date else None
    except PeriodError as error:
        zh, _, en = str(error).partition(" / ")
        raise Denied(400, zh, en or zh) from error
    if method is not None and method not in RATE_METHODS:
        raise Denied(
            400,
            f"method应为{'或'.join(RATE_METHODS)}",
            f"method is one of {', '.join(RATE_METHODS)}",
        )
    city = _city(ctx)

    def compute() -> ProgressOut:
        chosen = period or latest_period(ctx.db)
        full = compute_progress(ctx.db, _edition(ctx), chosen, known_at, method)
        return visible_progress(full, ctx.principal, city)

    # as_json keeps the bytes per data version, role and these parameters.
    return as_json(ctx, f"progress:{period}:{vintage_date}:{method}", compute)


class AlertList(RootModel[list[AlertOut]]):
    pass


@router.get("/api/v1/alerts", response_model=list[AlertOut], tags=["dashboard"])
def api_alerts(ctx: Annotated[Ctx, READ_INTERNAL]) -> Response:
    """Lagging indicators and why."""
    return as_json(ctx, "alerts", lambda: AlertList(alerts_for(ctx)))


__all__ = ["may_read_indicator", "router"]
