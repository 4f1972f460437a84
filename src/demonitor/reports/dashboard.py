"""What the dashboard shows — the overview, the district comparison, an indicator's detail and
the alerts — as typed read models (Pydantic, so that the API documents them): a page renders
exactly what its API returns, and bulletins and exports read the same models.

Figures come from the accounts and progress reports; nothing here computes a statistic of its
own. The web caches these until the data change and then filters them for the reader: every
value of an indicator leaves through ``may_read_indicator``, the one gate (``visible_cards``,
``visible_overview``, ``visible_progress``, ``visible_district``; the indicator page, its CSV and
XLSX and the alerts read the filtered overview). A card or a row whose indicator the reader may
not see is left out, never blanked; the overview's share of GDP (the values of the indicator
whose source is the accounts) is blanked when that indicator's card is left out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.core.accounts import CORE_CATEGORIES, deflator_names
from demonitor.core.monitoring import IndicatorProgress, improving, time_label, trend
from demonitor.core.periods import Period
from demonitor.core.permissions import Action, Kind, Level, Principal, Resource, decide
from demonitor.reference.city import load_city
from demonitor.reference.digital_economy import CATEGORY_NAMES_EN, load_edition
from demonitor.reference.policy import load_tasks
from demonitor.reports.accounts import (
    UNALLOCATED,
    UNALLOCATED_EN,
    UNALLOCATED_ZH,
    RegionAccount,
    accounts_table,
    region_accounts,
)
from demonitor.reports.common import (
    RegionInfo,
    city_code,
    has_demo_data,
    latest_period,
    latest_year,
    period_label_en,
    period_label_zh,
    regions,
)
from demonitor.reports.progress import FROM_ACCOUNTS, indicator_series, progress_table
from demonitor.store.models import Indicator, Observation, Target

PILLAR_OF_GENERAL_TARGETS = "总"  # DE01 and the other 总体目标 tied to no key task


class Card(BaseModel):
    code: str
    name_zh: str
    name_en: str
    unit: str
    kind: str
    level: str
    pillar: str
    target: float
    comparator: str
    target_year: int
    wording_zh: str
    value: float | None
    period: str  # the period of ``value`` (may be earlier than the overview's as-of period)
    status: str
    time_elapsed: float | None  # 序时进度 as of the overview's period (base year → target year)
    completion: float | None  # CS: fraction of the way from base value to target
    ratio: float | None  # pace ratio R (Statistics Canada, or linear for counts)
    gap: float | None = None  # ESCAP anticipated gap (TV − projection) / (TV − base)
    projected: float | None  # the target-year value the status was based on
    trend: str | None  # up | down | flat, from the previous value
    method: str
    direction: int = 1  # +1 higher is better, −1 lower is better
    improving: bool | None = None  # the latest move is for the better (None: flat or unknown)
    method_code: str = ""  # escap | statcan | linear | milestone | baseline | one_point | no_data
    base_period: str = ""  # the period of the base value
    base_value: float | None = None  # what progress is measured from (0 for a count since base)


# The policy's six areas of key tasks (二、重点任务) in English, for the English pages.
PILLAR_EN = {
    "总": "General targets",
    "一": "Innovation: a digital technology innovation system",
    "二": "Integration: digital transformation of industry",
    "三": "Core growth: developing the digital industries",
    "四": "Reform: digital government",
    "五": "Foundations: digital infrastructure",
    "六": "Data: circulation of data as a factor of production",
}


def category_names(edition: str, lang: str) -> dict[str, str]:
    """The 大类 names of the core categories in the reader's language."""
    de = load_edition(edition)
    return {
        code: (CATEGORY_NAMES_EN.get(code, code) if lang == "en" else de.classes[code].name)
        for code in CORE_CATEGORIES
        if code in de.classes
    }


class PillarSummary(BaseModel):
    number: str
    name_zh: str
    name_en: str
    indicators: list[str]
    counts: dict[str, int]
    lagging: int


class SeriesPoint(BaseModel):
    period: str
    value: float | None


class Category(BaseModel):
    code: str
    name_zh: str
    name_en: str
    value_added: float  # 万元


class AlertOut(BaseModel):
    code: str
    name_zh: str
    reasons_zh: list[str]
    reasons_en: list[str]


class Overview(BaseModel):
    as_of: str
    demo: bool
    share_year: int | None  # the latest full year: the gauge, the categories, the trend
    share: float | None
    # The latest year-to-date (累计) share, when the data reach into a year not yet complete.
    share_ytd_period: str | None = None  # 2025Q2
    share_ytd_label_zh: str | None = None  # 2025年1—6月
    share_ytd_label_en: str | None = None
    share_ytd: float | None = None
    share_ytd_year_before: float | None = None  # the same months a year earlier
    share_target: float | None
    # The indicator whose values the share, its series, the core value added and the
    # categories are (source ``accounts``, DE01): shown only to those who may read it.
    share_code: str | None = None
    share_series: list[SeriesPoint]
    core_value_added: float | None  # 万元
    categories: list[Category]
    cards: list[Card]
    pillars: list[PillarSummary]
    alerts: int
    alert_list: list[AlertOut]


class DistrictRow(BaseModel):
    code: str
    name_zh: str
    name_en: str
    level: str
    core_value_added: float  # 万元
    gdp: float | None  # 万元
    share: float | None
    nominal_growth: float | None
    real_growth: float | None
    contribution_rate: float | None
    pull: float | None
    by_category: dict[str, float]
    tile: tuple[int, int] | None


class Districts(BaseModel):
    year: int
    demo: bool
    city: DistrictRow
    districts: list[DistrictRow]
    # Units registered at the city (or a zone no district holds): in the city total, in no
    # district's (city = Σ districts + unallocated).
    unallocated: DistrictRow | None = None
    deflator_source: str = ""  # the price index real growth and 贡献率 were computed with
    deflator_zh: str = ""
    deflator_en: str = ""


class DistrictIndicator(BaseModel):
    """The latest approved value of an indicator the district reports for itself."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    level: str  # 公开 | 内部 | 涉密: who may read these values (``may_read_indicator``)
    period: str | None
    value: float | None
    city_value: float | None  # the city's value of the same period, for comparison


class DistrictDetail(BaseModel):
    year: int
    account: DistrictRow
    city: DistrictRow
    indicators: list[DistrictIndicator]


class Vintage(BaseModel):
    period: str
    vintage: int
    value: float | None
    recorded_at: dt.datetime
    recorded_by: str
    reason: str
    note: str


class IndicatorDetail(BaseModel):
    card: Card
    region: str
    series: list[SeriesPoint]
    vintages: list[Vintage]
    owner_zh: str
    frequency: str
    source_note: str
    base_year: int
    base_value: float | None


def pillars_of_indicators() -> dict[str, str]:
    """Indicator → pillar number (一至六) through the key tasks that name it."""
    pillar: dict[str, str] = {}
    for task in load_tasks():
        for code in task.related_targets:
            pillar.setdefault(code, task.pillar_no)
    return pillar


def _period_label(time: float | None) -> str:
    return "—" if time is None else time_label(time)


def _card(
    p: IndicatorProgress,
    indicator: Indicator,
    pillar: str,
    wording: str,
    values: dict[float, float],
) -> Card:
    a = p.assessment
    return Card(
        code=p.code,
        name_zh=p.name_zh,
        name_en=indicator.name_en,
        unit=p.unit,
        kind=p.kind,
        level=indicator.level,
        pillar=pillar,
        target=p.target,
        comparator=p.comparator,
        target_year=p.target_year,
        wording_zh=wording,
        value=p.current_value,
        period=_period_label(p.current_year),
        status=p.category,
        time_elapsed=p.schedule,
        completion=a.current_status if a else None,
        ratio=a.ratio if a else None,
        gap=a.gap if a else None,
        projected=p.projection,
        trend=trend(values),
        method=p.method,
        direction=p.direction,
        improving=improving(values, p.direction),
        method_code=p.method_code,
        base_period=_period_label(p.base_time),
        base_value=p.base_value,
    )


class ProgressOut(BaseModel):
    """Every indicator's card as of a period and a vintage date (what ``demonitor progress``
    prints, as the API serves it)."""

    as_of: str
    vintage_date: str | None
    method: str  # how rates were judged: escap | statcan
    cards: list[Card]
    alerts: list[AlertOut]


def compute_progress(
    session: Session,
    edition: str,
    as_of: Period,
    known_at: dt.datetime | None = None,
    method: str | None = None,
) -> ProgressOut:
    cards, found, used = _cards_and_alerts(session, edition, as_of, known_at, method)
    return ProgressOut(
        as_of=str(as_of),
        vintage_date=known_at.date().isoformat() if known_at else None,
        method=used,
        cards=cards,
        alerts=found,
    )


def compute_cards(
    session: Session, edition: str, as_of: Period
) -> tuple[list[Card], list[AlertOut]]:
    """The indicator cards and the alerts, from one progress report."""
    cards, found, _ = _cards_and_alerts(session, edition, as_of)
    return cards, found


def _cards_and_alerts(
    session: Session,
    edition: str,
    as_of: Period,
    known_at: dt.datetime | None = None,
    method: str | None = None,
) -> tuple[list[Card], list[AlertOut], str]:
    city = city_code(session)
    table = progress_table(session, edition, as_of, city, known_at, method)
    indicators = {i.code: i for i in session.scalars(select(Indicator))}
    targets = {
        t.indicator_code: t
        for t in session.scalars(select(Target).where(Target.region_code == city))
    }
    pillar = pillars_of_indicators()
    cards = []
    for p in table.rows:
        cards.append(
            _card(
                p,
                indicators[p.code],
                pillar.get(p.code, PILLAR_OF_GENERAL_TARGETS),
                targets[p.code].wording_zh,
                table.series[p.code],
            )
        )
    found = [
        AlertOut(
            code=a.code,
            name_zh=a.name_zh,
            reasons_zh=list(a.reasons_zh),
            reasons_en=list(a.reasons_en),
        )
        for a in table.alerts
    ]
    return cards, found, table.method


def build_overview(session: Session, edition: str) -> Overview:
    """The overview of everything, before it is filtered for a reader."""
    return compute_overview(session, edition, has_demo_data(session))


def compute_overview(session: Session, edition: str, demo: bool) -> Overview:
    as_of = latest_period(session)
    year = latest_year(session)
    city = city_code(session)
    cards, found = compute_cards(session, edition, as_of)
    share_series = []
    latest_account: RegionAccount | None = None
    for y in range(year - 4, year + 1):
        account = region_accounts(session, edition, y, [city])[0]
        share_series.append(SeriesPoint(period=str(y), value=account.share))
        latest_account = account
    de = load_edition(edition)
    categories = []
    if latest_account is not None:
        categories = [
            Category(
                code=code,
                name_zh=de.classes[code].name if code in de.classes else code,
                name_en=CATEGORY_NAMES_EN.get(code, code),
                value_added=latest_account.by_category.get(code, 0.0),
            )
            for code in CORE_CATEGORIES
        ]
    ytd = _year_to_date_share(session, edition, as_of, city)
    share_indicator = session.execute(
        select(Target.indicator_code, Target.target)
        .join(Indicator, Indicator.code == Target.indicator_code)
        .where(Indicator.source == FROM_ACCOUNTS, Target.region_code == city)
        .order_by(Target.indicator_code)
    ).first()
    share_code, share_target = share_indicator if share_indicator else (None, None)
    return Overview(
        as_of=str(as_of),
        demo=demo,
        share_year=year,
        share=latest_account.share if latest_account else None,
        share_ytd_period=str(ytd[0]) if ytd else None,
        share_ytd_label_zh=period_label_zh(ytd[0]) if ytd else None,
        share_ytd_label_en=period_label_en(ytd[0]) if ytd else None,
        share_ytd=ytd[1] if ytd else None,
        share_ytd_year_before=ytd[2] if ytd else None,
        share_target=share_target,
        share_code=share_code,
        share_series=share_series,
        core_value_added=latest_account.core_value_added if latest_account else None,
        categories=categories,
        cards=cards,
        pillars=summarise_pillars(cards),
        alerts=len(found),
        alert_list=found,
    )


def _year_to_date_share(
    session: Session, edition: str, as_of: Period, city: str
) -> tuple[Period, float, float | None] | None:
    """The newest year-to-date share of the year not yet complete, and that of the same months
    a year earlier; None when the data end with a full year or no unit has figures for it."""
    if as_of.frequency == "A" or as_of.year_fraction == 1:
        return None
    for period in as_of.within_year_up_to():
        account = region_accounts(session, edition, period, [city])[0]
        if account.share is not None and account.reported + account.estimated > 0:
            before = region_accounts(session, edition, period.same_period_last_year(), [city])[0]
            earlier = before.share if before.reported + before.estimated > 0 else None
            return period, account.share, earlier
    return None


def summarise_pillars(cards: list[Card]) -> list[PillarSummary]:
    names = {task.pillar_no: task.pillar_zh for task in load_tasks()}
    names[PILLAR_OF_GENERAL_TARGETS] = "总体目标"
    order = [PILLAR_OF_GENERAL_TARGETS, *dict.fromkeys(t.pillar_no for t in load_tasks())]
    summaries = []
    for number in order:
        members = [c for c in cards if c.pillar == number]
        counts = Counter(c.status for c in members)
        summaries.append(
            PillarSummary(
                number=number,
                name_zh=names[number],
                name_en=PILLAR_EN.get(number, names[number]),
                indicators=[c.code for c in members],
                counts=dict(counts),
                lagging=sum(counts[s] for s in ("acceleration_needed", "limited", "deterioration")),
            )
        )
    return summaries


def may_read_indicator(principal: Principal, indicator_level: str, region: str) -> bool:
    """The one gate of an indicator's values: may this reader see the published values of an
    indicator of this level (公开, 内部, 涉密) for this region? Every read model that carries
    indicator values is filtered through it before it leaves (``visible_*`` below)."""
    try:
        level = Level(indicator_level)
    except ValueError:  # an unknown level in the catalogue: the strictest
        level = Level.SECRET
    resource = Resource(Kind.AGGREGATE, level, region=region, published=True)
    return bool(decide(principal, Action.READ, resource))


def visible_cards(cards: list[Card], principal: Principal, city: str) -> list[Card]:
    """The cards (the city's values of each indicator) this reader may see."""
    return [c for c in cards if may_read_indicator(principal, c.level, city)]


def visible_progress(progress: ProgressOut, principal: Principal, city: str) -> ProgressOut:
    cards = visible_cards(progress.cards, principal, city)
    visible = {c.code for c in cards}
    return progress.model_copy(
        update={"cards": cards, "alerts": [a for a in progress.alerts if a.code in visible]}
    )


def visible_overview(overview: Overview, principal: Principal, city: str) -> Overview:
    cards = visible_cards(overview.cards, principal, city)
    visible = {c.code for c in cards}
    found = [a for a in overview.alert_list if a.code in visible]
    update: dict[str, object] = {
        "cards": cards,
        "pillars": summarise_pillars(cards),
        "alerts": len(found),
        "alert_list": found,
    }
    if overview.share_code is not None and overview.share_code not in visible:
        # The gauge, its trend and the categories are that indicator's values.
        update |= {
            "share_code": None,  # that it exists is not told either
            "share": None,
            "share_ytd_period": None,
            "share_ytd_label_zh": None,
            "share_ytd_label_en": None,
            "share_ytd": None,
            "share_ytd_year_before": None,
            "share_target": None,
            "share_series": [],
            "core_value_added": None,
            "categories": [],
        }
    return overview.model_copy(update=update)


def visible_district(detail: DistrictDetail, principal: Principal, city: str) -> DistrictDetail:
    """The district's own indicators this reader may see (the district's value, through the
    gate for that district; the city's value beside it, through the gate for the city)."""
    region = detail.account.code
    shown = []
    for row in detail.indicators:
        if not may_read_indicator(principal, row.level, region):
            continue
        if row.city_value is not None and not may_read_indicator(principal, row.level, city):
            row = row.model_copy(update={"city_value": None})
        shown.append(row)
    return detail.model_copy(update={"indicators": shown})


def _district_row(account: RegionAccount, region: RegionInfo) -> DistrictRow:
    c = account.contribution
    return DistrictRow(
        code=region.code,
        name_zh=region.name_zh,
        name_en=region.name_en,
        level=region.level,
        core_value_added=account.core_value_added,
        gdp=account.gdp,
        share=account.share,
        nominal_growth=account.nominal_growth,
        real_growth=account.real_growth,
        contribution_rate=c.contribution_rate if c else None,
        pull=c.pull if c else None,
        by_category=account.by_category,
        tile=load_city().tile_positions().get(region.code),
    )


def compute_districts(session: Session, edition: str, year: int) -> Districts:
    known = {r.code: r for r in regions(session)}
    known[UNALLOCATED] = RegionInfo(UNALLOCATED, UNALLOCATED_ZH, UNALLOCATED_EN, UNALLOCATED)
    accounts = accounts_table(session, edition, year).rows
    rows = [_district_row(a, known[a.region]) for a in accounts]
    city = next(r for r in rows if r.level == "city")
    city_account = next(a for a in accounts if a.region == city.code)
    return Districts(
        year=year,
        demo=has_demo_data(session),
        city=city,
        districts=[r for r in rows if r.level not in ("city", UNALLOCATED)],
        unallocated=next((r for r in rows if r.level == UNALLOCATED), None),
        deflator_source=city_account.deflator_source,
        deflator_zh=deflator_names(city_account.deflator_source)[0],
        deflator_en=deflator_names(city_account.deflator_source)[1],
    )


def compute_indicator(
    session: Session, edition: str, code: str, cards: list[Card], region: str
) -> IndicatorDetail | None:
    card = next((c for c in cards if c.code == code), None)
    indicator = session.get(Indicator, code)
    target = session.scalars(
        select(Target).where(Target.indicator_code == code, Target.region_code == region)
    ).first()
    if card is None or indicator is None or target is None:
        return None
    as_of = latest_period(session)
    values = indicator_series(
        session, indicator, region, edition, range(target.base_year - 2, as_of.year + 1), as_of
    )
    series = [SeriesPoint(period=_period_label(t), value=v) for t, v in sorted(values.items())]
    rows = session.scalars(
        select(Observation)
        .where(Observation.series == code, Observation.region_code == region)
        .order_by(Observation.period, Observation.vintage)
    )
    vintages = [
        Vintage(
            period=o.period,
            vintage=o.vintage,
            value=o.value,
            recorded_at=o.recorded_at,
            recorded_by=o.recorded_by,
            reason=o.reason,
            note=o.note,
        )
        for o in rows
    ]
    return IndicatorDetail(
        card=card,
        region=region,
        series=series,
        vintages=vintages,
        owner_zh=indicator.owner_zh,
        frequency=indicator.frequency,
        source_note=indicator.note,
        base_year=target.base_year,
        base_value=card.base_value,
    )


def district_collected(session: Session) -> list[Indicator]:
    """The indicators each district reports for its own region (the catalogue's collected_by)."""
    return list(
        session.scalars(
            select(Indicator).where(Indicator.collected_by == "district").order_by(Indicator.code)
        )
    )


def district_indicators(session: Session, region: str) -> list[DistrictIndicator]:
    """The indicators districts report for themselves, latest approved period first found."""
    city = city_code(session)
    found = []
    for indicator in district_collected(session):
        code = indicator.code
        latest = session.scalars(
            select(Observation)
            .where(Observation.series == code, Observation.region_code == region)
            .order_by(Observation.period.desc(), Observation.vintage.desc())
            .limit(1)
        ).first()
        city_value = None
        if latest is not None:
            city_row = session.scalars(
                select(Observation)
                .where(
                    Observation.series == code,
                    Observation.region_code == city,
                    Observation.period == latest.period,
                )
                .order_by(Observation.vintage.desc())
                .limit(1)
            ).first()
            city_value = city_row.value if city_row else None
        found.append(
            DistrictIndicator(
                code=code,
                name_zh=indicator.name_zh,
                name_en=indicator.name_en,
                unit=indicator.unit,
                level=indicator.level,
                period=latest.period if latest else None,
                value=latest.value if latest else None,
                city_value=city_value,
            )
        )
    return found
