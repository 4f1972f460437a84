"""Synthetic demo enterprise register for Taizhou (泰州) — 演示数据（合成），不是真实企业。

Every row is made up. Names, credit codes and business scopes only *look* like those of a real
企业名录 so that the platform can be demonstrated and benchmarked without real data:

* ``credit_code`` — a unified social credit code (GB 32100-2015): ``91`` + the region code +
  a 9-character organisation code (8 characters and a GB 11714 check character) + the GB 32100
  check character. The organisation code is a bijection of the global row number, so codes are
  unique across the whole file except for the planned duplicates.
* ``name`` — region prefix + trade name + industry word + 有限公司 / 股份有限公司 / 有限责任公司.
* ``region_code`` — one of the seven county-level units of 泰州 (the 医药高新区 zone included).
* ``industry_code`` — a GB/T 4754-2017 class, about 30 % written with the section letter
  (``C3911``).
* ``business_scope`` — 经营范围 in the standard wording (经营范围规范表述): an optional
  ``许可项目：…`` segment, then ``一般项目：…`` items separated by ``；``, or the older style that
  ends with ``。（依法须经批准的项目，经相关部门批准后方可开展经营活动）``.

The industry mix follows the city's profile: shipbuilding in 靖江/高港, pharmaceuticals in the
医药高新区, chemicals in 泰兴, crab farming in 兴化, and so on. Scopes are built so that each path
of the classifier is exercised: classes that are wholly digital, partial classes with and
without a matching scope term (and with exclude terms such as 电力电缆), terms of the 05
category (智能制造, 智慧渔业, 在线教育 …), and units whose *first* scope item is a digital activity
although their class is not (review candidates).

About 3 % of the rows carry a deliberate defect, chosen per row and mutually exclusive; see
``DEFECT_SHARES``. Generation is vectorised with numpy and pyarrow and fully deterministic for a
given (rows, seed): batch ``b`` is generated from ``numpy.random.default_rng((seed, b))``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from demonitor.core.credit_code import CHARSET, WEIGHTS
from demonitor.reference.gbt4754 import load_industry_tree

__all__ = [
    "COLUMNS",
    "DEFAULT_BATCH_SIZE",
    "DEFECT_KINDS",
    "DEFECT_SHARES",
    "DEMO_METADATA_KEY",
    "DEMO_METADATA_VALUE",
    "GENERATOR_VERSION",
    "MAX_ROWS",
    "REGIONS",
    "SCHEMA",
    "XLSX_MAX_ROWS",
    "XLSX_SHEET",
    "generate_register",
    "iter_register_batches",
    "iter_register_batches_with_defects",
    "write_demo_register",
]

GENERATOR_VERSION: Final = "taizhou-demo-v1"
COLUMNS: Final = ("credit_code", "name", "region_code", "industry_code", "business_scope")
SCHEMA: Final = pa.schema([(column, pa.string()) for column in COLUMNS])
DEFAULT_BATCH_SIZE: Final = 200_000
DEMO_METADATA_KEY: Final = "demonitor.demo"
DEMO_METADATA_VALUE: Final = "演示数据（合成）/ synthetic demo data"
XLSX_SHEET: Final = "演示数据"
XLSX_MAX_ROWS: Final = 1_048_575  # one worksheet row is the header

# The county-level units of 泰州 (GB/T 2260, plus the NBS code of the 医药高新区 zone).
REGIONS: Final = {
    "321202": "海陵区",
    "321203": "高港区",
    "321204": "姜堰区",
    "321271": "泰州医药高新区",
    "321281": "兴化市",
    "321282": "靖江市",
    "321283": "泰兴市",
}
_REGION_CODES: Final = tuple(REGIONS)
# Codes that are not in the region table: a neighbouring city, the province, an invented one.
_UNKNOWN_REGION_CODES: Final = ("321299", "320000", "321100")
_REGION_PREFIXES: Final = (
    ("泰州市海陵区", "泰州", "泰州市", "江苏"),
    ("泰州市高港区", "泰州高港", "泰州", "江苏"),
    ("泰州市姜堰区", "姜堰", "泰州", "江苏姜堰"),
    ("泰州", "泰州市", "江苏", "江苏泰州"),
    ("兴化市", "兴化", "江苏兴化"),
    ("靖江市", "靖江", "江苏靖江"),
    ("泰兴市", "泰兴", "江苏泰兴"),
)

# Deliberate defects: kind number → (name, share of all rows). Kinds are mutually exclusive.
DEFECT_KINDS: Final = (
    "ok",
    "wrong_check_character",
    "unknown_region",
    "invalid_industry_code",
    "empty_name",
    "empty_credit_code",
    "duplicate_credit_code",
)
DEFECT_SHARES: Final = {
    "wrong_check_character": 0.006,
    "unknown_region": 0.005,
    "invalid_industry_code": 0.005,
    "empty_name": 0.004,
    "empty_credit_code": 0.004,
    "duplicate_credit_code": 0.006,
}
# Not GB/T 4754-2017 classes: an unused code, zeros, a division; the last variant is a valid
# class with the wrong section letter (A, or C for the agricultural classes).
_INVALID_INDUSTRY_CODES: Final = ("3999", "0000", "65")
_WRONG_SECTION_LETTERS: Final = ("A", "C")
# Half of the duplicate rows repeat the whole earlier row, the other half only its credit code.
_EXACT_DUPLICATE_SHARE: Final = 0.5
_SECTION_LETTER_SHARE: Final = 0.30
_OLD_STYLE_SHARE: Final = 0.20

_GENERAL_HEAD: Final = "一般项目："
_GENERAL_TAIL: Final = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
_LICENCE_HEAD: Final = "许可项目："
_LICENCE_TAIL: Final = (
    "（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以审批结果为准）"
)
_OLD_TAIL: Final = "。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"

_TRADE_FIRST: Final = (
    "华新恒瑞天金宏鼎盛泰润远丰明康德信晟嘉永国海鑫博聚宇辰亿佳凯东中联正通合安和鸿祥"
)
_TRADE_SECOND: Final = "信远丰达源诚兴辉昌宇瑞祥通凯锦成邦捷科创航力茂越迈泽泓峰弘隆腾"
_SUFFIXES: Final = (("有限公司", 0.86), ("股份有限公司", 0.06), ("有限责任公司", 0.08))

# First scope items that are digital activities (digital_activity_terms.csv); given to a few
# units whose class is not digital, which makes them review candidates.
_CANDIDATE_FIRST_ITEMS: Final = (
    "软件开发",
    "信息技术咨询服务",
    "物联网技术服务",
    "信息系统集成服务",
    "数据处理和存储支持服务",
    "网络技术服务",
    "人工智能应用软件开发",
)

_TECH_SERVICES: Final = "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广"
_G_MANUFACTURING: Final = (
    "货物进出口",
    "技术进出口",
    _TECH_SERVICES,
    "五金产品批发",
    "机械设备销售",
    "普通机械设备安装服务",
    "通用设备修理",
    "专用设备修理",
    "机械设备租赁",
)
_G_TRADE: Final = (
    "货物进出口",
    "技术进出口",
    "进出口代理",
    "国内贸易代理",
    "销售代理",
    "办公用品销售",
    "包装材料及制品销售",
)
_G_TECH: Final = (
    _TECH_SERVICES,
    "技术进出口",
    "货物进出口",
    "信息咨询服务（不含许可类信息咨询服务）",
    "会议及展览服务",
    "知识产权服务（专利代理服务除外）",
)
_G_SERVICE: Final = (
    "信息咨询服务（不含许可类信息咨询服务）",
    "会议及展览服务",
    "礼仪服务",
    "组织文化艺术交流活动",
    "日用品销售",
    "停车场服务",
    "家政服务",
)
_G_AGRICULTURE: Final = (
    "农业机械服务",
    "农业生产托管服务",
    "农业专业及辅助性活动",
    "休闲观光活动",
    _TECH_SERVICES,
    "农副产品销售",
)
_G_BUILDING: Final = (
    "建筑材料销售",
    "劳务服务（不含劳务派遣）",
    "工程管理服务",
    "建筑工程机械与设备租赁",
    "五金产品零售",
    _TECH_SERVICES,
)
# 05-category terms for manufacturing (050201-050204 include 智能制造, 数字化车间, 工业互联网 …).
_MANUFACTURING_05: Final = (
    "智能制造技术研发",
    "工业互联网数据服务",
    "数字化车间技术改造服务",
    "智能工厂规划设计服务",
)

#                         海陵 高港 姜堰 医药 兴化 靖江 泰兴
_BASE_REGION_WEIGHTS: Final = (22, 10, 15, 6, 17, 14, 16)


@dataclass(frozen=True)
class _Profile:
    """A kind of enterprise: its classes, where it is, what it is called and what it does."""

    key: str
    weight: float  # share of all rows, in percent (normalised)
    codes: tuple[tuple[str, float], ...]  # GB/T 4754-2017 classes with weights
    regions: tuple[float, ...]  # weights in the order of REGIONS
    words: tuple[str, ...]  # industry words of the name
    main: tuple[str, ...]  # the typical general items; the first scope item comes from here
    generic: tuple[str, ...]  # common general items, disjoint from ``main``
    licence: tuple[str, ...] = ()  # 许可项目 items
    licence_share: float = 0.0
    digital: tuple[str, ...] = ()  # items with a digital term, not the first item
    digital_share: float = 0.0
    candidate_share: float = 0.0  # first item replaced by a digital activity


_PROFILES: Final = (
    # --- agriculture: 兴化 rice and crabs -----------------------------------------------------
    _Profile(
        "agriculture_crops",
        1.5,
        (("0111", 0.6), ("0141", 0.4)),
        (5, 3, 15, 0, 55, 8, 14),
        ("农业科技", "农业发展", "生态农业", "农产品", "农业"),
        (
            "谷物种植",
            "蔬菜种植",
            "农作物栽培服务",
            "初级农产品收购",
            "食用农产品初加工",
            "农作物病虫害防治服务",
        ),
        _G_AGRICULTURE,
        licence=("农作物种子经营", "主要农作物种子生产", "粮食加工食品生产"),
        licence_share=0.15,
        digital=("智慧农业管理", "农业物联网技术应用服务", "数字农业技术服务"),
        digital_share=0.08,
    ),
    _Profile(
        "agriculture_aquaculture",
        3.5,
        (("0412", 1.0),),
        (2, 2, 8, 0, 70, 8, 10),
        ("水产养殖", "水产", "蟹业", "渔业", "生态农业", "水产科技"),
        (
            "大闸蟹养殖、销售",
            "水产品收购",
            "水产品批发",
            "水产品零售",
            "渔业专业及辅助性活动",
            "初级农产品收购",
            "鱼病防治服务",
        ),
        _G_AGRICULTURE,
        licence=("水产养殖", "水产苗种生产", "食品销售"),
        licence_share=0.6,
        digital=("智慧渔业技术服务", "养殖物联网技术应用", "水产养殖智能监控服务"),
        digital_share=0.08,
    ),
    # --- manufacturing --------------------------------------------------------------------------
    _Profile(
        "shipbuilding",
        3.0,
        (("3731", 0.6), ("3735", 0.2), ("3737", 0.2)),
        (3, 22, 3, 0, 2, 55, 15),
        ("船舶重工", "船舶工程", "造船", "船业", "海洋工程", "船舶制造"),
        (
            "船舶制造",
            "船舶修理",
            "船舶改装",
            "海洋工程装备制造",
            "船用配套设备制造",
            "金属结构制造",
            "船舶设计",
            "海洋工程装备研发",
        ),
        _G_MANUFACTURING,
        licence=("特种设备制造", "特种设备安装改造修理", "港口经营", "建设工程施工"),
        licence_share=0.3,
        digital=("智能船舶设计", "数字化造船技术研发", "船舶智能化系统研发"),
        digital_share=0.07,
    ),
    _Profile(
        "pharmaceuticals",
        4.0,
        (
            ("2710", 0.15),
            ("2720", 0.25),
            ("2730", 0.08),
            ("2740", 0.10),
            ("2761", 0.12),
            ("2762", 0.08),
            ("2770", 0.10),
            ("3581", 0.12),
        ),
        (10, 8, 6, 60, 4, 6, 6),
        ("医药", "生物医药", "药业", "制药", "生物科技", "医疗器械", "生物制药"),
        (
            "第一类医疗器械生产",
            "第一类医疗器械销售",
            "第二类医疗器械销售",
            "医学研究和试验发展",
            "生物化工产品技术研发",
            "专用化学产品销售（不含危险化学品）",
            "卫生用品和一次性使用医疗用品销售",
            "中草药收购",
        ),
        _G_TECH,
        licence=(
            "药品生产",
            "药品批发",
            "药品委托生产",
            "第二类医疗器械生产",
            "第三类医疗器械生产",
            "第三类医疗器械经营",
            "药品进出口",
        ),
        licence_share=0.7,
        digital=_MANUFACTURING_05,
        digital_share=0.03,
    ),
    _Profile(
        "chemicals",
        4.0,
        (
            ("2614", 0.25),
            ("2619", 0.15),
            ("2624", 0.10),
            ("2631", 0.10),
            ("2641", 0.20),
            ("2669", 0.20),
        ),
        (4, 10, 6, 3, 5, 7, 65),
        ("化工", "化学", "新材料", "精细化工", "化学工业", "涂料"),
        (
            "化工产品生产（不含许可类化工产品）",
            "化工产品销售（不含许可类化工产品）",
            "专用化学产品制造（不含危险化学品）",
            "专用化学产品销售（不含危险化学品）",
            "涂料制造（不含危险化学品）",
            "涂料销售（不含危险化学品）",
            "合成材料销售",
            "肥料销售",
            "新材料技术研发",
        ),
        _G_MANUFACTURING,
        licence=("危险化学品生产", "危险化学品经营", "农药生产", "肥料生产", "危险化学品仓储"),
        licence_share=0.55,
        digital=("工业互联网数据服务", "化工生产智能化改造技术服务", "数字化工厂建设服务"),
        digital_share=0.04,
    ),
    _Profile(
        "photovoltaics",
        2.0,
        (("3825", 0.8), ("3985", 0.2)),
        (35, 20, 25, 5, 5, 5, 5),
        ("光伏科技", "新能源", "光电科技", "光能", "太阳能科技", "电子材料"),
        (
            "光伏设备及元器件制造",
            "光伏设备及元器件销售",
            "太阳能发电技术服务",
            "电池制造",
            "电池销售",
            "电子专用材料制造",
            "电子专用材料销售",
            "电子专用材料研发",
            "合同能源管理",
        ),
        _G_MANUFACTURING,
        licence=("发电业务、输电业务、供（配）电业务", "建设工程施工"),
        licence_share=0.2,
    ),
    _Profile(
        "electronics",
        3.0,
        (
            ("3971", 0.03),
            ("3972", 0.08),
            ("3973", 0.06),
            ("3974", 0.04),
            ("3975", 0.05),
            ("3976", 0.07),
            ("3979", 0.04),
            ("3981", 0.06),
            ("3982", 0.10),
            ("3983", 0.07),
            ("3984", 0.03),
            ("3989", 0.08),
            ("3911", 0.03),
            ("3912", 0.04),
            ("3913", 0.03),
            ("3914", 0.03),
            ("3919", 0.02),
            ("3921", 0.04),
            ("3922", 0.04),
            ("3962", 0.05),
        ),
        (25, 15, 20, 10, 8, 12, 10),
        ("电子科技", "电子", "微电子", "半导体", "智能科技", "通信科技", "光电"),
        (
            "电子元器件制造",
            "电子元器件批发",
            "电子产品销售",
            "集成电路制造",
            "集成电路销售",
            "半导体分立器件制造",
            "光电子器件制造",
            "敏感元件及传感器制造",
            "计算机软硬件及外围设备制造",
            "通信设备制造",
            "移动终端设备制造",
            "智能车载设备制造",
            "电子电路制造",
        ),
        _G_MANUFACTURING,
        licence=("电线、电缆制造", "第二类增值电信业务"),
        licence_share=0.05,
    ),
    _Profile(
        "cables",
        2.0,
        (("3831", 1.0),),
        (8, 8, 8, 2, 20, 30, 24),
        ("电缆", "电线电缆", "线缆", "电气", "电工材料"),
        (
            "电力电缆制造",
            "电力电缆销售",
            "电线、电缆经营",
            "电工器材制造",
            "电工器材销售",
            "矿用电缆制造",
            "电缆附件制造",
            "金属材料销售",
        ),
        _G_MANUFACTURING,
        licence=("电线、电缆制造",),
        licence_share=0.5,
        digital=(
            "光缆制造",
            "光缆销售",
            "光纤制造",
            "通信电缆制造",
            "数据电缆制造",
            "射频电缆制造",
            "光电复合缆制造",
        ),
        digital_share=0.5,
    ),
    _Profile(
        "rice_milling",
        2.0,
        (("1311", 1.0),),
        (5, 5, 20, 0, 50, 8, 12),
        ("米业", "粮油", "粮食", "农业科技", "食品"),
        (
            "粮食收购",
            "谷物销售",
            "农副产品销售",
            "初级农产品收购",
            "食用农产品批发",
            "饲料原料销售",
        ),
        ("农业机械服务", "休闲观光活动", _TECH_SERVICES, "货物进出口", "技术进出口"),
        licence=("粮食加工食品生产", "食品生产", "食品销售"),
        licence_share=0.8,
        digital=_MANUFACTURING_05,
        digital_share=0.05,
    ),
    _Profile(
        "textiles",
        2.0,
        (("1713", 1.0),),
        (10, 5, 25, 0, 15, 10, 35),
        ("纺织", "印染", "服饰", "纺织科技", "针织"),
        (
            "面料印染加工",
            "面料纺织加工",
            "纺纱加工",
            "针纺织品及原料销售",
            "服装制造",
            "服装服饰批发",
            "产业用纺织制成品制造",
            "家用纺织制成品制造",
        ),
        _G_MANUFACTURING,
        digital=_MANUFACTURING_05,
        digital_share=0.08,
    ),
    _Profile(
        "metal_structures",
        3.0,
        (("3311", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("钢结构", "金属制品", "钢构", "重工", "机械"),
        (
            "金属结构制造",
            "金属结构销售",
            "钢压延加工",
            "金属材料销售",
            "建筑用钢筋产品销售",
            "金属制品销售",
            "金属切削加工服务",
            "喷涂加工",
        ),
        _G_MANUFACTURING[:6],
        licence=("建设工程施工", "特种设备制造"),
        licence_share=0.3,
        digital=_MANUFACTURING_05,
        digital_share=0.06,
    ),
    _Profile(
        "engines",
        1.5,
        (("3412", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("动力机械", "机械", "柴油机", "动力科技"),
        (
            "机械零件、零部件加工",
            "通用设备制造（不含特种设备制造）",
            "发电机及发电机组制造",
            "轴承、齿轮和传动部件制造",
            "发电机及发电机组销售",
        ),
        _G_MANUFACTURING,
        digital=(*_MANUFACTURING_05, "智能控制系统集成"),
        digital_share=0.1,
    ),
    _Profile(
        "auto_parts",
        3.0,
        (("3670", 1.0),),
        (15, 15, 25, 5, 10, 15, 15),
        ("汽车零部件", "汽车配件", "机电科技", "精密机械", "车业"),
        (
            "汽车零部件及配件制造",
            "汽车零部件研发",
            "汽车零配件批发",
            "汽车零配件零售",
            "模具制造",
            "机械零件、零部件加工",
            "橡胶制品制造",
            "塑料制品制造",
        ),
        _G_MANUFACTURING,
        digital=(*_MANUFACTURING_05, "智能网联汽车零部件研发"),
        digital_share=0.1,
    ),
    _Profile(
        "amusement_equipment",
        0.5,
        (("2462", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("游艺设备", "文体用品", "游乐设备", "体育用品"),
        (
            "游艺用品及室内游艺器材制造",
            "游艺用品及室内游艺器材销售",
            "游艺及娱乐用品销售",
            "体育用品及器材制造",
            "玩具制造",
            "玩具销售",
        ),
        _G_MANUFACTURING[:4],
        digital=("电子游艺设备制造", "体感游戏设备销售", "虚拟现实游戏设备制造"),
        digital_share=0.4,
    ),
    # --- software and information technology ----------------------------------------------------
    _Profile(
        "software_it",
        6.0,
        (
            ("6511", 0.08),
            ("6513", 0.30),
            ("6519", 0.07),
            ("6520", 0.05),
            ("6531", 0.15),
            ("6532", 0.08),
            ("6540", 0.07),
            ("6550", 0.06),
            ("6560", 0.14),
        ),
        (40, 10, 12, 20, 6, 6, 6),
        ("软件科技", "信息技术", "网络科技", "数字科技", "智能科技", "信息科技", "数据科技"),
        (
            "软件开发",
            "信息技术咨询服务",
            "信息系统集成服务",
            "物联网技术服务",
            "数据处理和存储支持服务",
            "网络技术服务",
            "人工智能应用软件开发",
            "计算机系统服务",
            "信息系统运行维护服务",
            "集成电路设计",
            "软件销售",
            "计算机软硬件及辅助设备零售",
            "网络与信息安全软件开发",
            "数字内容制作服务（不含出版发行）",
            "互联网数据服务",
        ),
        _G_TECH,
        licence=("第二类增值电信业务", "第一类增值电信业务", "互联网信息服务"),
        licence_share=0.2,
    ),
    _Profile(
        "research",
        3.0,
        (("7320", 1.0),),
        (25, 10, 12, 25, 8, 10, 10),
        ("科技", "技术研究院", "研究院", "新材料科技", "生物科技", "工程技术"),
        (
            "工程和技术研究和试验发展",
            "新材料技术研发",
            "新材料技术推广服务",
            "科技中介服务",
            "生物化工产品技术研发",
            "节能管理服务",
            "资源再生利用技术研发",
            "机械设备研发",
        ),
        _G_TECH,
        digital=(
            "人工智能基础资源与技术平台",
            "人工智能理论与算法软件开发",
            "集成电路芯片设计及服务",
            "大数据服务",
            "物联网技术研发",
            "云计算装备技术服务",
            "区块链技术相关软件和服务",
            "5G通信技术服务",
        ),
        digital_share=0.3,
    ),
    # --- construction ---------------------------------------------------------------------------
    _Profile(
        "construction",
        10.0,
        (("4790", 0.25), ("4851", 0.15), ("4910", 0.30), ("4999", 0.30)),
        _BASE_REGION_WEIGHTS,
        ("建设工程", "建筑工程", "建筑安装", "电气工程", "安装工程", "工程技术"),
        (
            "住宅水电安装维护服务",
            "园林绿化工程施工",
            "土石方工程施工",
            "金属门窗工程施工",
            "对外承包工程",
            "体育场地设施工程施工",
            "普通机械设备安装服务",
            "电气设备修理",
        ),
        _G_BUILDING,
        licence=(
            "建设工程施工",
            "建设工程设计",
            "输电、供电、受电电力设施的安装、维修和试验",
            "住宅室内装饰装修",
            "施工专业作业",
        ),
        licence_share=0.85,
        digital=(
            "智能化安装工程服务",
            "通信工程施工",
            "数据中心机房工程施工",
            "安防工程施工",
            "弱电工程施工",
            "建筑智能化系统设计",
            "通信线路和设备的安装",
        ),
        digital_share=0.15,
    ),
    # --- wholesale and retail -------------------------------------------------------------------
    _Profile(
        "machinery_electronics_trade",
        9.0,
        (("5179", 0.65), ("5279", 0.35)),
        _BASE_REGION_WEIGHTS,
        ("机电设备", "机电", "电器", "商贸", "贸易", "电子"),
        (
            "机械设备销售",
            "五金产品批发",
            "电气设备销售",
            "家用电器销售",
            "仪器仪表销售",
            "机械零件、零部件销售",
            "办公设备销售",
            "照明器具销售",
        ),
        _G_TRADE,
        digital=(
            "电子产品销售",
            "电子元器件批发",
            "电子元器件零售",
            "集成电路芯片及产品销售",
            "电子专用设备销售",
            "可穿戴智能设备销售",
            "物联网设备销售",
            "数字视频监控系统销售",
            "光通信设备销售",
            "互联网销售（除销售需要许可的商品）",
        ),
        digital_share=0.35,
    ),
    _Profile(
        "recycling",
        2.0,
        (("5191", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("再生资源", "物资回收", "资源回收", "环保科技"),
        (
            "再生资源回收（除生产性废旧金属）",
            "再生资源销售",
            "再生资源加工",
            "生产性废旧金属回收",
            "金属废料和碎屑加工处理",
            "非金属废料和碎屑加工处理",
        ),
        _G_TRADE,
        licence=("报废机动车回收",),
        licence_share=0.1,
        digital=("互联网销售（除销售需要许可的商品）",),
        digital_share=0.05,
    ),
    _Profile(
        "supermarkets",
        7.0,
        (("5212", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("超市", "商贸", "购物中心", "百货"),
        (
            "日用百货销售",
            "食品销售（仅销售预包装食品）",
            "针纺织品销售",
            "文具用品零售",
            "化妆品零售",
            "家居用品销售",
            "厨具卫具及日用杂品零售",
            "新鲜水果零售",
            "新鲜蔬菜零售",
            "礼品花卉销售",
            "母婴用品销售",
        ),
        ("五金产品零售", "办公用品销售", "家用电器销售", "日用家电零售"),
        licence=("食品销售", "酒类经营", "烟草制品零售", "药品零售"),
        licence_share=0.8,
        digital=(
            "互联网销售（除销售需要许可的商品）",
            "食品互联网销售（仅销售预包装食品）",
            "自动售货机销售",
        ),
        digital_share=0.1,
    ),
    _Profile(
        "internet_retail",
        4.5,
        (("5292", 1.0),),
        (30, 10, 15, 5, 20, 10, 10),
        ("电子商务", "网络科技", "电商", "商贸", "贸易"),
        (
            "互联网销售（除销售需要许可的商品）",
            "食品互联网销售（仅销售预包装食品）",
            "日用百货销售",
            "服装服饰零售",
            "农副产品销售",
            "化妆品零售",
            "工艺美术品及收藏品零售（象牙及其制品除外）",
        ),
        _G_TRADE,
        licence=("食品销售", "网络文化经营"),
        licence_share=0.3,
    ),
    _Profile(
        "internet_wholesale",
        1.5,
        (("5193", 1.0),),
        (30, 10, 15, 5, 15, 12, 13),
        ("电子商务", "供应链", "商贸", "贸易"),
        (
            "互联网销售（除销售需要许可的商品）",
            "农副产品销售",
            "服装服饰批发",
            "日用百货销售",
            "电子产品销售",
            "供应链管理服务",
        ),
        _G_TRADE,
    ),
    # --- transport and logistics ----------------------------------------------------------------
    _Profile(
        "bus_transport",
        1.0,
        (("5411", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("公交", "客运", "交通运输", "公共交通"),
        ("机动车修理和维护", "票务代理服务", "广告设计、代理", "小微型客车租赁经营服务"),
        _G_SERVICE,
        licence=("城市公共交通", "道路旅客运输经营"),
        licence_share=0.9,
        digital=("智慧公交系统运营服务", "智能交通系统运营服务"),
        digital_share=0.1,
    ),
    _Profile(
        "road_freight",
        2.0,
        (("5431", 1.0),),
        (12, 16, 12, 4, 16, 22, 18),
        ("物流", "运输", "货运", "供应链"),
        (
            "普通货物仓储服务（不含危险化学品等需许可审批的项目）",
            "国内货物运输代理",
            "装卸搬运",
            "运输货物打包服务",
            "汽车零配件零售",
        ),
        _G_TRADE,
        licence=("道路货物运输（不含危险货物）", "道路危险货物运输"),
        licence_share=0.9,
        digital=("网络货运信息服务", "车联网技术服务"),
        digital_share=0.08,
    ),
    _Profile(
        "multimodal",
        1.0,
        (("5810", 1.0),),
        (8, 30, 5, 2, 5, 35, 15),
        ("物流", "国际物流", "供应链", "多式联运"),
        (
            "国际货物运输代理",
            "国内货物运输代理",
            "国内集装箱货物运输代理",
            "无船承运业务",
            "港口货物装卸搬运活动",
            "供应链管理服务",
        ),
        _G_TRADE,
        licence=("道路货物运输（不含危险货物）", "水路普通货物运输"),
        licence_share=0.4,
        digital=("智慧物流信息服务", "多式联运信息服务"),
        digital_share=0.1,
    ),
    _Profile(
        "warehousing",
        1.0,
        (("5990", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("仓储", "物流", "仓储服务"),
        (
            "普通货物仓储服务（不含危险化学品等需许可审批的项目）",
            "装卸搬运",
            "低温仓储（不含危险化学品等需许可审批的项目）",
            "仓储设备租赁服务",
            "国内货物运输代理",
        ),
        _G_TRADE,
        licence=("危险化学品仓储",),
        licence_share=0.2,
        digital=("智能仓储装备销售", "智慧仓储管理服务"),
        digital_share=0.1,
    ),
    _Profile(
        "courier",
        2.0,
        (("6010", 0.25), ("6020", 0.75)),
        _BASE_REGION_WEIGHTS,
        ("快递", "速递", "物流", "邮政服务"),
        ("国内货物运输代理", "装卸搬运", "包装服务", "商务代理代办服务", "邮政代办业务"),
        _G_SERVICE,
        licence=("快递服务", "道路货物运输（不含危险货物）"),
        licence_share=0.9,
        digital=("智能快件箱运营服务", "即时配送平台运营"),
        digital_share=0.1,
    ),
    # --- business services ----------------------------------------------------------------------
    _Profile(
        "business_services",
        7.6,
        (("7212", 0.25), ("7239", 0.10), ("7299", 0.65)),
        _BASE_REGION_WEIGHTS,
        ("企业管理", "商务服务", "咨询服务", "投资管理", "信息咨询", "管理咨询", "实业"),
        (
            "企业管理咨询",
            "以自有资金从事投资活动",
            "自有资金投资的资产管理服务",
            "市场营销策划",
            "商务代理代办服务",
            "企业形象策划",
            "法律咨询（不含依法须律师事务所执业许可的业务）",
            "社会经济咨询服务",
            "财务咨询",
            "广告设计、代理",
            "广告制作",
            "人力资源服务（不含职业中介活动、劳务派遣服务）",
        ),
        _G_SERVICE,
        licence=("职业中介活动", "劳务派遣服务"),
        licence_share=0.05,
        # digital activities that are *not* the first item: not candidates
        digital=("软件开发", "信息系统集成服务", "数字营销服务", "网络营销策划"),
        digital_share=0.08,
        candidate_share=0.06,
    ),
    _Profile(
        "property_rights_exchange",
        0.4,
        (("7213", 1.0),),
        (40, 10, 10, 10, 10, 10, 10),
        ("产权交易", "交易中心", "资产管理", "数据科技"),
        (
            "资源与产权交易服务",
            "农村产权交易服务",
            "企业管理咨询",
            "社会经济咨询服务",
            "拍卖业务",
        ),
        _G_SERVICE,
        digital=("数据资源交易服务", "数据资产管理服务", "数据要素市场运营服务"),
        digital_share=0.5,
    ),
    # --- hotels, restaurants, education ---------------------------------------------------------
    _Profile(
        "hotels",
        2.0,
        (("6110", 1.0),),
        (30, 8, 15, 7, 15, 12, 13),
        ("大酒店", "酒店", "宾馆", "酒店管理"),
        ("酒店管理", "餐饮管理", "洗烫服务", "健身休闲活动", "棋牌室服务"),
        _G_SERVICE,
        licence=("住宿服务", "餐饮服务", "食品销售", "酒类经营", "烟草制品零售"),
        licence_share=0.9,
        digital=("智慧酒店管理服务", "酒店在线预订服务"),
        digital_share=0.06,
    ),
    _Profile(
        "restaurants",
        3.5,
        (("6210", 1.0),),
        _BASE_REGION_WEIGHTS,
        ("餐饮管理", "餐饮", "饭店", "酒楼", "食府"),
        (
            "餐饮管理",
            "外卖递送服务",
            "食品销售（仅销售预包装食品）",
            "农副产品销售",
            "餐饮器具集中消毒服务",
        ),
        _G_SERVICE,
        licence=("餐饮服务", "食品销售", "酒类经营"),
        licence_share=0.95,
        digital=("线上点餐服务", "网络订餐服务"),
        digital_share=0.05,
    ),
    _Profile(
        "education",
        2.5,
        (("8310", 0.40), ("8391", 0.25), ("8393", 0.20), ("8399", 0.15)),
        (28, 10, 14, 8, 14, 13, 13),
        ("教育科技", "教育咨询", "培训", "文化传播", "教育"),
        (
            "教育咨询服务（不含涉许可审批的教育培训活动）",
            "业务培训（不含教育培训、职业技能培训等需取得许可的培训）",
            "文艺创作",
            "体育赛事策划",
            "教学专用仪器销售",
            "图书管理服务",
        ),
        _G_SERVICE,
        licence=("托育服务", "出版物零售", "营利性民办职业技能培训机构"),
        licence_share=0.4,
        digital=("在线教育服务", "网络教育技术服务", "教育信息化系统集成"),
        digital_share=0.15,
    ),
)


# --- the tables the vectorised generator indexes into -------------------------------------------

# The items after the first are pre-rendered: for each profile and each possible first main item,
# this many random sequences of further main items; and for each profile, this many random
# sequences of generic items. A row picks one of each.
_FURTHER_VARIANTS: Final = 64
_GENERIC_VARIANTS: Final = 256
_FURTHER_MAIN_COUNTS: Final = (0.3, 0.4, 0.3)  # 0, 1, 2 further main items
_GENERIC_COUNTS: Final = (0.2, 0.35, 0.3, 0.15)  # 0 … 3 generic items
_LICENCE_PAIR_SHARE: Final = 0.4
_DIGITAL_EARLY_SHARE: Final = 0.5
_BINS: Final = 4096


@dataclass(frozen=True)
class _Pool:
    """Contiguous ranges of the text table, one per profile (or region)."""

    start: NDArray[np.int64]
    size: NDArray[np.int64]


class _Texts:
    """All strings in one pyarrow array; pools are contiguous ranges of it."""

    def __init__(self) -> None:
        self.items: list[str] = [""]  # index 0 is the empty string

    def add(self, items: Sequence[str]) -> tuple[int, int]:
        start = len(self.items)
        self.items.extend(items)
        return start, len(items)

    def pools(self, groups: Sequence[Sequence[str]]) -> _Pool:
        spans = [self.add(group) for group in groups]
        return _Pool(
            np.array([s for s, _ in spans], dtype=np.int64),
            np.array([n for _, n in spans], dtype=np.int64),
        )

    def constant(self, text: str) -> int:
        return self.add([text])[0]


class _WeightedChoice:
    """Weighted choice among the options of a group (profile, region …), vectorised over rows.

    A lookup table of ``_BINS`` bins per group replaces a binary search; weights are therefore
    rounded to multiples of 1/_BINS, which is plenty for demo data."""

    def __init__(self, groups: Sequence[Sequence[float]]) -> None:
        sizes = [len(group) for group in groups]
        self.offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        midpoints = (np.arange(_BINS) + 0.5) / _BINS
        tables = []
        for number, weights in enumerate(groups):
            w = np.asarray(weights, dtype=np.float64)
            if len(w) == 0 or w.sum() <= 0:
                raise ValueError("every group needs a positive weight")
            cumulative = np.cumsum(w) / w.sum()
            cumulative[-1] = 1.0
            option = np.searchsorted(cumulative, midpoints, side="right")
            tables.append(self.offsets[number] + np.minimum(option, len(w) - 1))
        self.table = np.concatenate(tables).astype(np.int64)

    def pick(self, group: NDArray[np.int64], u: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index among all options (``offsets[group]`` + the option within the group)."""
        return self.table[group * _BINS + (u * _BINS).astype(np.int64)]


@dataclass(frozen=True)
class _Tables:
    texts: pa.Array
    profile_choice: _WeightedChoice
    region_choice: _WeightedChoice
    code_choice: _WeightedChoice  # option index = index into the plain codes
    codes: pa.Array  # column values: plain codes, lettered codes, invalid ones, wrong letters
    code_count: int
    invalid_code_start: int
    wrong_letter_start: int
    regions: pa.Array  # the 7 codes of REGIONS, then the unknown ones
    region_digits: NDArray[np.int64]  # (regions, 6)
    prefixes: _Pool  # per region
    trades: tuple[int, int]
    suffix_choice: _WeightedChoice
    word_suffixes: _Pool  # per profile: word × suffix, suffix varying fastest
    first_headed: _Pool  # per profile: "一般项目：" + main item
    first_plain: _Pool  # per profile: main item (older style)
    following: _Pool  # per profile: "；" + main item (after a candidate first item)
    further: _Pool  # per profile: main size × _FURTHER_VARIANTS, "；…" or ""
    generic: _Pool  # per profile: _GENERIC_VARIANTS, "；…" or ""
    digital: _Pool  # per profile: "；" + digital item
    licence_singles: _Pool  # per profile: "许可项目：A（…）"
    licence_pairs: _Pool  # per profile: "许可项目：A；B（…）"
    candidate_headed: tuple[int, int]
    candidate_plain: tuple[int, int]
    general_tail: int
    old_tail: int
    licence_share: NDArray[np.float64]
    digital_share: NDArray[np.float64]
    candidate_share: NDArray[np.float64]


def _further_items(profile: _Profile) -> list[str]:
    """For each main item, ``_FURTHER_VARIANTS`` sequences of other main items (fixed seed)."""
    rng = np.random.default_rng((1, *profile.key.encode()))
    bounds = np.cumsum(_FURTHER_MAIN_COUNTS)
    rendered: list[str] = []
    for first in range(len(profile.main)):
        others = [item for i, item in enumerate(profile.main) if i != first]
        for _ in range(_FURTHER_VARIANTS):
            count = min(int(np.searchsorted(bounds, rng.random(), side="right")), len(others))
            rendered.append("".join("；" + others[i] for i in rng.permutation(len(others))[:count]))
    return rendered


def _generic_items(profile: _Profile) -> list[str]:
    """``_GENERIC_VARIANTS`` sequences of the profile's generic items (fixed seed)."""
    rng = np.random.default_rng((2, *profile.key.encode()))
    bounds = np.cumsum(_GENERIC_COUNTS)
    pool = profile.generic
    rendered: list[str] = []
    for _ in range(_GENERIC_VARIANTS):
        count = min(int(np.searchsorted(bounds, rng.random(), side="right")), len(pool))
        rendered.append("".join("；" + pool[i] for i in rng.permutation(len(pool))[:count]))
    return rendered


def _licence_segment(items: Sequence[str]) -> str:
    return _LICENCE_HEAD + "；".join(items) + _LICENCE_TAIL


@cache
def _tables() -> _Tables:
    tree = load_industry_tree()
    texts = _Texts()
    profiles = _PROFILES

    codes: list[str] = []
    for profile in profiles:
        for code, _ in profile.codes:
            industry = tree.get(code)
            if industry is None or industry.level != "class":
                raise ValueError(f"{profile.key}: {code} is not a GB/T 4754-2017 class")
            codes.append(code)
    lettered = [tree.section_of(code) + code for code in codes]
    wrong_letter = [
        (_WRONG_SECTION_LETTERS[0] if tree.section_of(code) != "A" else _WRONG_SECTION_LETTERS[1])
        + code
        for code in codes
    ]
    code_values = codes + lettered + list(_INVALID_INDUSTRY_CODES) + wrong_letter
    region_values = list(_REGION_CODES) + list(_UNKNOWN_REGION_CODES)
    suffixes = [suffix for suffix, _ in _SUFFIXES]

    return _Tables(
        profile_choice=_WeightedChoice([[p.weight for p in profiles]]),
        region_choice=_WeightedChoice([p.regions for p in profiles]),
        code_choice=_WeightedChoice([[w for _, w in p.codes] for p in profiles]),
        codes=pa.array(code_values, type=pa.string()),
        code_count=len(codes),
        invalid_code_start=2 * len(codes),
        wrong_letter_start=2 * len(codes) + len(_INVALID_INDUSTRY_CODES),
        regions=pa.array(region_values, type=pa.string()),
        region_digits=np.array([[int(c) for c in code] for code in region_values], np.int64),
        prefixes=texts.pools(_REGION_PREFIXES),
        trades=texts.add([a + b for a in _TRADE_FIRST for b in _TRADE_SECOND if a != b]),
        suffix_choice=_WeightedChoice([[w for _, w in _SUFFIXES]]),
        word_suffixes=texts.pools([[w + s for w in p.words for s in suffixes] for p in profiles]),
        first_headed=texts.pools([[_GENERAL_HEAD + item for item in p.main] for p in profiles]),
        first_plain=texts.pools([p.main for p in profiles]),
        following=texts.pools([["；" + item for item in p.main] for p in profiles]),
        further=texts.pools([_further_items(p) for p in profiles]),
        generic=texts.pools([_generic_items(p) for p in profiles]),
        digital=texts.pools([["；" + item for item in p.digital] for p in profiles]),
        licence_singles=texts.pools(
            [[_licence_segment([item]) for item in p.licence] for p in profiles]
        ),
        licence_pairs=texts.pools(
            [
                [_licence_segment([a, b]) for a in p.licence for b in p.licence if a != b]
                for p in profiles
            ]
        ),
        candidate_headed=texts.add([_GENERAL_HEAD + item for item in _CANDIDATE_FIRST_ITEMS]),
        candidate_plain=texts.add(_CANDIDATE_FIRST_ITEMS),
        general_tail=texts.constant(_GENERAL_TAIL),
        old_tail=texts.constant(_OLD_TAIL),
        licence_share=np.array([p.licence_share for p in profiles]),
        digital_share=np.array([p.digital_share for p in profiles]),
        candidate_share=np.array([p.candidate_share for p in profiles]),
        texts=pa.array(texts.items, type=pa.string()),  # last: after every pool is added
    )


# --- credit codes --------------------------------------------------------------------------------

_CHARSET_BYTES: Final = np.frombuffer(CHARSET.encode("ascii"), dtype=np.uint8)
_X_INDEX: Final = CHARSET.index("X")
# GB 11714 (organisation code) weights, and the values of the CHARSET characters there:
# digits as themselves, letters A=10 … Z=35.
_GB11714_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_GB11714_VALUES: Final = np.array(
    [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in CHARSET], dtype=np.int64
)
# The organisation code (9 characters) is two leading characters, six that are a bijection of
# the global row number, and the GB 11714 check character. Uniqueness rests on the six alone.
_TRIPLE: Final = 31**3
_ORG_BODY_MODULUS: Final = _TRIPLE**2
MAX_ROWS: Final = _ORG_BODY_MODULUS  # 887,503,681 rows with unique codes
# Most enterprises registered since 2015 have an organisation code beginning with MA; older
# ones keep the code they had (here: a few typical two-digit beginnings).
_ORG_LEADS: Final = (
    ("MA", 0.76),
    ("13", 0.02),
    ("14", 0.02),
    ("25", 0.02),
    ("31", 0.02),
    ("55", 0.02),
    ("66", 0.02),
    ("70", 0.03),
    ("72", 0.03),
    ("73", 0.02),
    ("75", 0.02),
    ("76", 0.02),
    ("79", 0.02),
)


@dataclass(frozen=True)
class _CodeTables:
    """Digits and partial weighted sums, so that no row needs a loop or a matrix product."""

    leads: NDArray[np.uint8]  # (leads, 2) CHARSET indices
    lead_choice: _WeightedChoice
    triples: NDArray[np.uint8]  # (31**3, 3) base-31 digits of 0 … 31**3 - 1
    # GB 11714 sums over positions 9-10, 11-13 and 14-16 (1-based within the credit code)
    lead_11714: NDArray[np.int64]
    high_11714: NDArray[np.int64]
    low_11714: NDArray[np.int64]
    # GB 32100 sums over the same positions
    lead_32100: NDArray[np.int64]
    high_32100: NDArray[np.int64]
    low_32100: NDArray[np.int64]


@cache
def _code_tables() -> _CodeTables:
    numbers = np.arange(_TRIPLE)
    triples = np.stack([(numbers // 31**k) % 31 for k in (2, 1, 0)], axis=1)
    leads = np.array([[CHARSET.index(c) for c in lead] for lead, _ in _ORG_LEADS])
    w11714 = np.array(_GB11714_WEIGHTS, dtype=np.int64)
    w32100 = np.array(WEIGHTS, dtype=np.int64)
    return _CodeTables(
        leads=leads.astype(np.uint8),
        lead_choice=_WeightedChoice([[w for _, w in _ORG_LEADS]]),
        triples=triples.astype(np.uint8),
        lead_11714=_GB11714_VALUES[leads] @ w11714[0:2],
        high_11714=_GB11714_VALUES[triples] @ w11714[2:5],
        low_11714=_GB11714_VALUES[triples] @ w11714[5:8],
        lead_32100=leads @ w32100[8:10],
        high_32100=triples @ w32100[10:13],
        low_32100=triples @ w32100[13:16],
    )


@cache
def _code_mapping(seed: int) -> tuple[int, int]:
    """An affine bijection row → six characters, ``(a * row + b) mod 31**6``, per seed; ``a``
    is a large fraction of the modulus, so that consecutive rows get unrelated codes."""
    rng = np.random.default_rng((*_seed_words(seed), 2))
    a = int(_ORG_BODY_MODULUS * rng.uniform(0.3, 0.7))
    if a % 31 == 0:
        a += 1
    b = int(rng.integers(0, _ORG_BODY_MODULUS))
    return a, b


def _credit_code_values(
    rows: NDArray[np.int64],
    region_digits: NDArray[np.int64],
    region: NDArray[np.int64],
    seed: int,
    lead_u: NDArray[np.float64],
) -> NDArray[np.uint8]:
    """(n, 18) CHARSET indices of valid codes for the global row numbers ``rows``;
    ``region_digits`` is the (regions, 6) table and ``region`` each row's index into it."""
    c = _code_tables()
    a, b = _code_mapping(seed)
    body = (rows * a + b) % _ORG_BODY_MODULUS  # a, b, rows < 31**6, so no overflow in int64
    high, low = np.divmod(body, _TRIPLE)
    lead = c.lead_choice.pick(np.zeros(len(rows), dtype=np.int64), lead_u)
    values = np.empty((len(rows), 18), dtype=np.uint8)
    values[:, 0] = 9  # registration authority: 市场监督管理 (9)
    values[:, 1] = 1  # organisation type: enterprise (1)
    values[:, 2:8] = region_digits[region]
    values[:, 8:10] = c.leads[lead]
    values[:, 10:13] = c.triples[high]
    values[:, 13:16] = c.triples[low]
    org_total = c.lead_11714[lead] + c.high_11714[high] + c.low_11714[low]
    org_check = 11 - org_total % 11  # 1 … 11; 10 is written X and 11 is written 0
    values[:, 16] = np.where(org_check == 10, _X_INDEX, org_check % 11)
    region_sums = region_digits @ np.array(WEIGHTS[2:8], dtype=np.int64)
    total = (
        9 * WEIGHTS[0]
        + 1 * WEIGHTS[1]
        + region_sums[region]
        + c.lead_32100[lead]
        + c.high_32100[high]
        + c.low_32100[low]
        + values[:, 16].astype(np.int64) * WEIGHTS[16]
    )
    values[:, 17] = (31 - total % 31) % 31
    return values


def _credit_code_array(values: NDArray[np.uint8], empty: NDArray[np.bool_]) -> pa.Array:
    """Build the string column directly from the character matrix (empty where ``empty``)."""
    n = len(values)
    lengths = np.where(empty, 0, 18).astype(np.int32)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = np.ascontiguousarray(_CHARSET_BYTES[values[~empty]])
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


# --- one batch --------------------------------------------------------------------------------


def _seed_words(seed: int) -> tuple[int, int, int]:
    """Non-negative entropy words for any Python int seed."""
    magnitude = abs(seed)
    return magnitude & 0xFFFFFFFFFFFFFFFF, magnitude >> 64, int(seed < 0)


def _uniform(
    u: NDArray[np.float64], start: NDArray[np.int64] | int, size: NDArray[np.int64] | int
) -> NDArray[np.int64]:
    """``start + floor(u * size)``: a uniform choice from each row's pool."""
    return start + (u * size).astype(np.int64)


def _take(values: pa.Array, index: NDArray[np.int64]) -> pa.Array:
    """``values[index]``, null where the index is negative."""
    negative = index < 0
    if negative.any():
        return values.take(pa.array(index, mask=negative))
    return values.take(pa.array(index))


def _concat(texts: pa.Array, slots: Sequence[NDArray[np.int64]]) -> pa.Array:
    """Concatenate the texts of each row's slots, skipping slots that are -1. Some slot of
    every row must be set: pyarrow (26) drops a row in which every part is null."""
    parts = [_take(texts, slot) for slot in slots]
    joined = pc.binary_join_element_wise(*parts, "", null_handling="skip")
    if len(joined) != len(slots[0]):
        raise RuntimeError("binary_join_element_wise dropped rows")
    return joined


def _batch(
    seed: int, batch_index: int, first_row: int, n: int
) -> tuple[pa.RecordBatch, NDArray[np.int8]]:
    t = _tables()
    rng = np.random.default_rng((*_seed_words(seed), 1, batch_index))
    zeros = np.zeros(n, dtype=np.int64)
    none = np.full(n, -1, dtype=np.int64)

    # what, where, which class
    profile = t.profile_choice.pick(zeros, rng.random(n))
    region = t.region_choice.pick(profile, rng.random(n)) - t.region_choice.offsets[profile]
    code = t.code_choice.pick(profile, rng.random(n))
    lettered = rng.random(n) < _SECTION_LETTER_SHARE
    code_column = code + np.where(lettered, t.code_count, 0)

    # name: prefix + trade name + industry word and suffix
    suffix = t.suffix_choice.pick(zeros, rng.random(n))
    word = (rng.random(n) * (t.word_suffixes.size[profile] // len(_SUFFIXES))).astype(np.int64)
    name_slots = [
        _uniform(rng.random(n), t.prefixes.start[region], t.prefixes.size[region]),
        _uniform(rng.random(n), t.trades[0], t.trades[1]),
        t.word_suffixes.start[profile] + word * len(_SUFFIXES) + suffix,
    ]

    # business scope: [许可项目：…（…）] 一般项目：first[；following][；digital]；…[；digital]（…）
    old_style = rng.random(n) < _OLD_STYLE_SHARE
    candidate = rng.random(n) < t.candidate_share[profile]
    licensed = (rng.random(n) < t.licence_share[profile]) & ~old_style & ~candidate
    pair = (rng.random(n) < _LICENCE_PAIR_SHARE) & (t.licence_pairs.size[profile] > 0)
    digital = (rng.random(n) < t.digital_share[profile]) & ~candidate
    digital &= t.digital.size[profile] > 0
    early = rng.random(n) < _DIGITAL_EARLY_SHARE
    main = (rng.random(n) * t.first_plain.size[profile]).astype(np.int64)
    first_main = np.where(old_style, t.first_plain.start[profile], t.first_headed.start[profile])
    candidate_item = (rng.random(n) * t.candidate_plain[1]).astype(np.int64)
    first_candidate = np.where(old_style, t.candidate_plain[0], t.candidate_headed[0])
    licence = np.where(
        pair,
        _uniform(rng.random(n), t.licence_pairs.start[profile], t.licence_pairs.size[profile]),
        _uniform(rng.random(n), t.licence_singles.start[profile], t.licence_singles.size[profile]),
    )
    digital_item = _uniform(rng.random(n), t.digital.start[profile], t.digital.size[profile])
    further = (
        t.further.start[profile]
        + main * _FURTHER_VARIANTS
        + (rng.random(n) * _FURTHER_VARIANTS).astype(np.int64)
    )
    generic = _uniform(rng.random(n), t.generic.start[profile], t.generic.size[profile])
    scope_slots = [
        np.where(licensed, licence, none),
        np.where(candidate, first_candidate + candidate_item, first_main + main),
        np.where(candidate, t.following.start[profile] + main, none),
        np.where(digital & early, digital_item, none),
        further,
        generic,
        np.where(digital & ~early, digital_item, none),
        np.where(old_style, t.old_tail, t.general_tail),
    ]

    # defects
    u = rng.random(n)
    variant = rng.random(n)
    bounds = np.cumsum(list(DEFECT_SHARES.values()))
    kind = (np.searchsorted(bounds, u, side="right") + 1).astype(np.int8)
    kind[kind > len(DEFECT_SHARES)] = 0
    region_column = region.copy()
    unknown = kind == 2
    region_column[unknown] = len(_REGION_CODES) + (
        variant[unknown] * len(_UNKNOWN_REGION_CODES)
    ).astype(np.int64)
    invalid = np.flatnonzero(kind == 3)
    variant_index = (variant[invalid] * (len(_INVALID_INDUSTRY_CODES) + 1)).astype(np.int64)
    code_column[invalid] = np.where(
        variant_index < len(_INVALID_INDUSTRY_CODES),
        t.invalid_code_start + variant_index,
        t.wrong_letter_start + code[invalid],
    )
    empty_name = kind == 4
    for slot in name_slots:
        slot[empty_name] = 0  # the empty string

    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    code_values = _credit_code_values(rows, t.region_digits, region_column, seed, rng.random(n))
    wrong = kind == 1
    shift = 1 + (variant[wrong] * 30).astype(np.int64)
    code_values[wrong, 17] = (code_values[wrong, 17] + shift) % 31

    good = np.flatnonzero(kind == 0)
    duplicate = np.flatnonzero(kind == 6)
    earlier = np.searchsorted(good, duplicate)
    kind[duplicate[earlier == 0]] = 0  # no earlier good row in this batch: leave it good
    duplicate, earlier = duplicate[earlier > 0], earlier[earlier > 0]
    source = good[(variant[duplicate] * earlier).astype(np.int64)]
    code_values[duplicate] = code_values[source]
    region_column[duplicate] = region_column[source]
    exact = rng.random(len(duplicate)) < _EXACT_DUPLICATE_SHARE
    exact_rows, exact_sources = duplicate[exact], source[exact]
    for array in [code_column, *name_slots, *scope_slots]:
        array[exact_rows] = array[exact_sources]

    batch = pa.RecordBatch.from_arrays(
        [
            _credit_code_array(code_values, kind == 5),
            _concat(t.texts, name_slots),
            t.regions.take(pa.array(region_column)),
            t.codes.take(pa.array(code_column)),
            _concat(t.texts, scope_slots),
        ],
        schema=SCHEMA,
    )
    return batch, kind


# --- public API ---------------------------------------------------------------------------------


def iter_register_batches_with_defects(
    rows: int, seed: int, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[tuple[pa.RecordBatch, NDArray[np.int8]]]:
    """Like ``iter_register_batches``, with each row's planned defect (an index of
    ``DEFECT_KINDS``; 0 is a good row)."""
    if not 0 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be between 0 and {MAX_ROWS:,}")
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    for batch_index in range(math.ceil(rows / batch_size)):
        first_row = batch_index * batch_size
        yield _batch(seed, batch_index, first_row, min(batch_size, rows - first_row))


def iter_register_batches(
    rows: int, seed: int, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[pa.RecordBatch]:
    """The synthetic register as record batches of string columns ``COLUMNS``.

    Deterministic for (rows, seed, batch_size); batch ``b`` is seeded from (seed, b).
    """
    for batch, _ in iter_register_batches_with_defects(rows, seed, batch_size):
        yield batch


def generate_register(rows: int, seed: int) -> pa.Table:
    """The whole synthetic register in memory (use ``write_demo_register`` for large sizes)."""
    return pa.Table.from_batches(list(iter_register_batches(rows, seed)), schema=SCHEMA)


def _metadata(rows: int, seed: int) -> dict[str, str]:
    return {
        DEMO_METADATA_KEY: DEMO_METADATA_VALUE,
        f"{DEMO_METADATA_KEY}.rows": str(rows),
        f"{DEMO_METADATA_KEY}.seed": str(seed),
        f"{DEMO_METADATA_KEY}.generator": GENERATOR_VERSION,
    }


def write_demo_register(path: Path, rows: int, seed: int) -> int:
    """Write the synthetic register to ``.parquet``, ``.csv`` (UTF-8) or ``.xlsx``, streaming
    batch by batch. Returns the number of rows written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv", ".xlsx"):
        raise ValueError(f"不支持的文件类型 / unsupported file type: {path.suffix or path.name}")
    if rows < 0:
        raise ValueError("rows must not be negative")
    if suffix == ".xlsx" and rows > XLSX_MAX_ROWS:
        raise ValueError(
            f"Excel工作表最多{XLSX_MAX_ROWS:,}行数据 / an .xlsx sheet holds at most "
            f"{XLSX_MAX_ROWS:,} data rows; use .parquet or .csv"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    batches = iter_register_batches(rows, seed)
    if suffix == ".parquet":
        return _write_parquet(path, batches, rows, seed)
    if suffix == ".csv":
        return _write_csv(path, batches)
    return _write_xlsx(path, batches)


def _write_parquet(path: Path, batches: Iterator[pa.RecordBatch], rows: int, seed: int) -> int:
    import pyarrow.parquet as pq

    schema = SCHEMA.with_metadata(_metadata(rows, seed))
    written = 0
    with pq.ParquetWriter(
        path,
        schema,
        compression="zstd",
        use_dictionary=["name", "region_code", "industry_code"],
    ) as writer:
        for batch in batches:
            writer.write_batch(batch)
            written += batch.num_rows
        if written == 0:
            writer.write_table(schema.empty_table())
    return written


def _write_csv(path: Path, batches: Iterator[pa.RecordBatch]) -> int:
    import pyarrow.csv as pacsv

    written = 0
    with pacsv.CSVWriter(path, SCHEMA) as writer:
        for batch in batches:
            writer.write_batch(batch)
            written += batch.num_rows
    return written


def _write_xlsx(path: Path, batches: Iterator[pa.RecordBatch]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.properties.title = DEMO_METADATA_VALUE
    workbook.properties.description = f"{DEMO_METADATA_VALUE}; {GENERATOR_VERSION}"
    sheet: Any = workbook.create_sheet(XLSX_SHEET)
    sheet.append(list(COLUMNS))
    written = 0
    for batch in batches:
        columns = [column.to_pylist() for column in batch.columns]
        for row in zip(*columns, strict=True):
            sheet.append(list(row))
        written += batch.num_rows
    workbook.save(path)
    return written
