"""Reference standards as versioned data: GB/T 4754-2017, the NBS 2021 digital-economy
classification, the city profile (its regions, indicator catalogue, tile map and demo
settings), and the policy's targets and tasks."""

from demonitor.reference.city import (
    CityProfile,
    CityProfileError,
    IndicatorSpec,
    load_city,
)
from demonitor.reference.digital_economy import (
    DEFAULT_EDITION,
    DEClass,
    Edition,
    EditionError,
    load_edition,
)
from demonitor.reference.gbt4754 import IndustryTree, load_industry_tree
from demonitor.reference.policy import load_targets, load_tasks
from demonitor.reference.regions import RegionTable, load_regions

__all__ = [
    "DEFAULT_EDITION",
    "CityProfile",
    "CityProfileError",
    "DEClass",
    "Edition",
    "EditionError",
    "IndicatorSpec",
    "IndustryTree",
    "RegionTable",
    "load_city",
    "load_edition",
    "load_industry_tree",
    "load_regions",
    "load_targets",
    "load_tasks",
]
