"""What each data-collection template holds: columns, Chinese headers, types and units.

The specs are used both to write the Excel templates and to validate what comes back, so the
two can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONEY_UNITS = {"元": 0.0001, "万元": 1.0, "亿元": 10_000.0}  # factor to 万元, the internal unit
# No amount of a unit or of the city comes near 10^12 万元 (10^16 元, some hundred times China's
# GDP): beyond it the money unit of the header is wrong, or the cell is.
MAX_AMOUNT_WAN = 1e12
MAX_EMPLOYEES = 1_000_000  # 从业人员 of one enterprise; beyond it the cell is wrong
_UNIT_IN_HEADER = re.compile(r"[（(]\s*(元|万元|亿元|%|人|家|个|项|上年=100)\s*[)）]\s*$")
INDEX_BASE = "上年=100"  # the unit of a price or volume index: the previous period = 100


@dataclass(frozen=True)
class Column:
    name: str
    header_zh: str
    kind: str  # text | code | period | number | money | flag
    required: bool
    explanation_zh: str
    choices: str = ""  # regions | indicators | periods | flag | industries | categories: dropdown
    unit: str = ""  # default unit shown in the template header (money: 亿元)


@dataclass(frozen=True)
class TemplateSpec:
    kind: str
    title_zh: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


SPECS: dict[str, TemplateSpec] = {
    "gdp": TemplateSpec(
        "gdp",
        "地区生产总值填报表",
        (
            Column(
                "region_code",
                "行政区划代码",
                "code",
                True,
                "6位区划代码，从下拉列表选择",
                "regions",
            ),
            Column("period", "期别", "period", True, "2024、2024Q3或2024M09", "periods"),
            Column(
                "gdp",
                "地区生产总值",
                "money",
                True,
                "现价；产业行填该产业增加值；单位见表头，可改为元/万元/亿元",
                unit="亿元",
            ),
            Column("growth", "可比价增速", "number", False, "按可比价格计算的增长率，%", unit="%"),
            Column(
                "deflator",
                "价格指数",
                "number",
                False,
                "上年=100；填写后作为平减指数；可不填",
                unit=INDEX_BASE,
            ),
            Column(
                "cumulative",
                "是否累计",
                "flag",
                True,
                "季度、月度数据须注明：是=累计，否=当期",
                "flag",
            ),
            # Added after the original columns, so files made from the older template still fit.
            Column(
                "industry",
                "产业",
                "text",
                False,
                "空=地区生产总值；第一产业、第二产业或第三产业=该产业增加值",
                "industries",
            ),
            Column(
                "volume_index",
                "可比价指数",
                "number",
                False,
                "上年=100，即100+可比价增速；与可比价增速填一个即可",
                unit=INDEX_BASE,
            ),
        ),
    ),
    "core_deflator": TemplateSpec(
        "core_deflator",
        "数字经济核心产业价格指数表",
        (
            Column("region_code", "行政区划代码", "code", True, "6位区划代码", "regions"),
            Column("period", "期别", "period", True, "2024、2024Q3（累计）", "periods"),
            Column(
                "category",
                "核心产业大类",
                "text",
                False,
                "01～04；空或“全部”=整个核心产业",
                "categories",
            ),
            Column(
                "price_index",
                "价格指数",
                "number",
                True,
                "上年=100；用于该大类（或全部核心产业）增加值的平减",
                unit=INDEX_BASE,
            ),
            Column(
                "cumulative",
                "是否累计",
                "flag",
                True,
                "季度数据须注明：是=累计，否=当期",
                "flag",
            ),
        ),
    ),
    "observations": TemplateSpec(
        "observations",
        "指标数据填报表",
        (
            Column(
                "indicator_code", "指标代码", "code", True, "如DE05，从下拉列表选择", "indicators"
            ),
            Column("region_code", "行政区划代码", "code", True, "6位区划代码", "regions"),
            Column("period", "期别", "period", True, "2024、2024Q3或2024M09", "periods"),
            Column("value", "数值", "number", True, "按指标计量单位填写（%不带百分号）"),
            Column("note", "备注", "text", False, "数据来源或口径说明"),
        ),
    ),
    "financials": TemplateSpec(
        "financials",
        "企业财务数据填报表",
        (
            Column("credit_code", "统一社会信用代码", "code", True, "18位，须已在名录中"),
            Column("period", "期别", "period", True, "年度，如2024", "periods"),
            Column(
                "revenue", "营业收入", "money", True, "单位见表头，可改为元/万元/亿元", unit="万元"
            ),
            Column(
                "value_added",
                "增加值",
                "money",
                False,
                "企业报送的增加值；不填则按增加值率估算；不得超过营业收入（超过即拒收，多为单位填错）；"
                "为负（亏损单位少见的情形）时照常导入并提示核实",
                unit="万元",
            ),
            Column(
                "employees", "从业人员", "number", False, "期末人数，0～1000000的整数", unit="人"
            ),
        ),
    ),
    "varates": TemplateSpec(
        "varates",
        "行业增加值率表",
        (
            Column("industry_code", "行业代码", "code", True, "GB/T 4754-2017小类(4位)或大类(2位)"),
            Column("year", "年份", "period", True, "适用年份，如2024"),
            Column("rate", "增加值率", "number", True, "增加值占营业收入的百分比", unit="%"),
            Column("source", "来源", "text", True, "如投入产出表、经普资料"),
        ),
    ),
    "register": TemplateSpec(
        "register",
        "企业名录表",
        (
            Column("credit_code", "统一社会信用代码", "code", True, "18位，含校验码"),
            Column("name", "单位名称", "text", True, "营业执照上的名称"),
            Column("region_code", "行政区划代码", "code", True, "6位区划代码", "regions"),
            Column("industry_code", "行业代码", "code", True, "GB/T 4754-2017小类，如3911或C3911"),
            Column("business_scope", "经营范围", "text", True, "营业执照上的经营范围全文"),
        ),
    ),
    "recognitions": TemplateSpec(
        "recognitions",
        "认定名单表",
        (
            Column("list_name", "名单", "text", True, "如高新技术企业、智能制造示范工厂"),
            Column("credit_code", "统一社会信用代码", "code", True, "18位，须已在名录中"),
            Column("year", "认定年份", "period", True, "如2024"),
            Column(
                "recognised_on",
                "认定日期",
                "text",
                False,
                "如2024-11-28，须在认定年份内；不填则自当年年末起计数",
            ),
            Column("level", "级别", "text", True, "国家、省或市"),
            Column("note", "备注", "text", False, "文件文号等"),
        ),
    ),
}

# 产业 of a GDP row: blank (or one of the words for the whole) is GDP itself.
INDUSTRY_VALUES = {
    "第一产业": "primary",
    "第二产业": "secondary",
    "第三产业": "tertiary",
    "primary": "primary",
    "secondary": "secondary",
    "tertiary": "tertiary",
}
WHOLE_VALUES = ("", "全部", "合计", "地区生产总值", "GDP", "gdp")
CORE_CATEGORY_VALUES = ("01", "02", "03", "04")

FLAG_VALUES = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
}


def split_header(header: str) -> tuple[str, str]:
    """('地区生产总值', '亿元') from '地区生产总值（亿元）'; the unit is '' when none is given."""
    text = header.strip()
    match = _UNIT_IN_HEADER.search(text)
    if not match:
        return text, ""
    return text[: match.start()].strip(), match.group(1)


def template_header(column: Column) -> str:
    return f"{column.header_zh}（{column.unit}）" if column.unit else column.header_zh


IMPORT_KINDS = tuple(SPECS)  # what `demonitor import` takes
