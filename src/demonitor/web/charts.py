"""Chart payloads for ``static/js/charts.js``: the JSON a page embeds for each chart.

Money is turned into 亿元 here, where people read it; labels come in the reader's language.
"""

from __future__ import annotations

from typing import Any

from demonitor.reports.dashboard import Districts, IndicatorDetail, Overview
from demonitor.web.i18n import pick


def _yi(wan: float | None) -> float | None:
    return None if wan is None else round(wan / 10_000, 1)


def overview_charts(overview: Overview, lang: str) -> dict[str, Any]:
    return {
        "gauge": {
            "value": overview.share,
            "target": overview.share_target,
            "max": 20,
            "unit": "%",
            "label": pick(lang, "占GDP比重", "share of GDP"),
        },
        "trend": {
            "periods": [p.period for p in overview.share_series],
            "series": [
                {
                    "name": pick(lang, "核心产业增加值占比", "core share of GDP"),
                    "values": [p.value for p in overview.share_series],
                }
            ],
            "target": {
                "value": overview.share_target,
                "label": pick(lang, "2025年目标（左右）", "2025 target (approx.)"),
            },
            "projection": None,
            "unit": "%",
        },
        "categories": {
            "items": [
                {"name": pick(lang, c.name_zh, c.name_en), "value": _yi(c.value_added)}
                for c in overview.categories
            ],
            "unit": pick(lang, "亿元", "100m yuan"),
            "total": _yi(overview.core_value_added),
        },
    }


def districts_charts(data: Districts, lang: str) -> dict[str, Any]:
    rows = data.districts
    return {
        "share": {
            "categories": [r.name_zh for r in rows],
            "series": [
                {
                    "name": pick(lang, "核心产业增加值占GDP比重", "core share of GDP"),
                    "values": [None if r.share is None else round(r.share, 1) for r in rows],
                }
            ],
            "unit": "%",
            "horizontal": False,
            "target": 13.5,
        },
        "value_added": {
            "categories": [r.name_zh for r in rows],
            "series": [
                {
                    "name": pick(lang, "核心产业增加值", "core value added"),
                    "values": [_yi(r.core_value_added) for r in rows],
                }
            ],
            "unit": pick(lang, "亿元", "100m yuan"),
            "horizontal": False,
            "target": None,
        },
        "tiles": {
            "tiles": [
                {
                    "code": r.code,
                    "name": r.name_zh,
                    "x": r.tile[0],
                    "y": r.tile[1],
                    "value": None if r.share is None else round(r.share, 1),
                    "href": f"/districts/{r.code}",
                }
                for r in rows
                if r.tile is not None
            ],
            "unit": "%",
            "label": pick(lang, "核心产业占比", "core share"),
        },
    }


def indicator_chart(detail: IndicatorDetail, lang: str) -> dict[str, Any]:
    card = detail.card
    periods = [p.period for p in detail.series]
    projection = None
    if card.projected is not None and detail.series and periods[-1] != str(card.target_year):
        last = detail.series[-1]
        projection = {
            "periods": [last.period, str(card.target_year)],
            "values": [last.value, round(card.projected, 2)],
            "name": pick(lang, "判定所依据的预计值", "the projection the status rests on"),
        }
        periods = periods + [str(y) for y in range(int(periods[-1][:4]) + 1, card.target_year + 1)]
    return {
        "periods": list(dict.fromkeys(periods)),
        "series": [{"name": card.name_zh, "values": [p.value for p in detail.series]}],
        "target": {
            "value": card.target,
            "label": pick(lang, f"{card.target_year}年目标", f"{card.target_year} target"),
        },
        "projection": projection,
        "unit": card.unit,
    }
