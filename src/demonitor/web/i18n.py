"""Chinese first, English on request; numbers as officials write them.

Texts are written in place as pairs, ``t("仪表盘", "Dashboard")``: a page reads in Chinese and
its English sits beside it, with no catalogue to drift out of step.
"""

from __future__ import annotations

import datetime as dt
import math

from demonitor.store.observations import as_utc

LANGUAGES = ("zh", "en")


def pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def yi(wan: float | None) -> str:
    """万元 → 亿元 with one decimal (the unit people read)."""
    if wan is None or (isinstance(wan, float) and math.isnan(wan)):
        return "—"
    return f"{wan / 10_000:,.1f}"


def number(value: float | None, digits: int = 1, fixed: bool = False) -> str:
    """One decimal by default; whole numbers (counts) without one unless ``fixed``, as in a
    column of rates that must line up."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if not fixed and float(value).is_integer() and digits <= 1 and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def points(difference: float | None, lang: str = "zh") -> str:
    """A difference of two percentages, in 百分点 (percentage points), signed."""
    if difference is None:
        return "—"
    unit = "个百分点" if lang != "en" else " pp"
    return f"{difference:+.1f}{unit}"


# Taizhou reads 北京时间 (UTC+8, no daylight saving); the database keeps UTC.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "UTC+8")


def in_china_time(moment: dt.datetime | None, seconds: bool = True) -> str:
    if moment is None:
        return "—"
    return (
        as_utc(moment)
        .astimezone(CHINA_TIME)
        .strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))
    )
