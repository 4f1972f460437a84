"""Excel data-collection templates: Chinese headers, an explanation row, dropdown lists of codes
and number formats. What a template asks for is ``demonitor.ingest.specs``.

Every cell is written through ``engine.safe_tables.set_cell``: names from the database (regions,
indicators) are text, never formulas."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from demonitor.engine.safe_tables import set_cell
from demonitor.engine.sources import EXPLANATION_MARK
from demonitor.ingest.specs import CORE_CATEGORY_VALUES, SPECS, template_header
from demonitor.store.models import Indicator, Region

FIRST_DATA_ROW = 3
LAST_DATA_ROW = 2000
NUMBER_FORMATS = {"money": "#,##0.00", "number": "0.00"}


def period_choices(first_year: int = 2020, last_year: int = 2026) -> list[str]:
    codes: list[str] = []
    for year in range(first_year, last_year + 1):
        codes.append(str(year))
        codes.extend(f"{year}Q{q}" for q in range(1, 5))
    return codes


def write_template(kind: str, path: Path, session: Session) -> Path:
    spec = SPECS[kind]
    choices = {
        "regions": [f"{r.code}" for r in session.scalars(select(Region).order_by(Region.code))],
        "indicators": [i.code for i in session.scalars(select(Indicator).order_by(Indicator.code))],
        "periods": period_choices(),
        "flag": ["是", "否"],
        "industries": ["第一产业", "第二产业", "第三产业"],
        "categories": ["全部", *CORE_CATEGORY_VALUES],
    }
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = spec.title_zh
    lists = workbook.create_sheet("代码表")
    for index, (name, values) in enumerate(choices.items(), start=1):
        lists.cell(row=1, column=index, value=name)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=index, value=value)
    names = {
        r.code: r.name_zh for r in session.scalars(select(Region))
    }  # shown beside the codes for people who do not know them by heart
    for row, code in enumerate(choices["regions"], start=2):
        set_cell(lists, row, len(choices) + 1, names[code])
    lists.sheet_state = "hidden"
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        cell = set_cell(sheet, 1, index, template_header(column))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        note = column.explanation_zh + ("（必填）" if column.required else "（选填）")
        if index == 1:
            note = f"{EXPLANATION_MARK}{note}"
        explanation = set_cell(sheet, 2, index, note)
        explanation.font = Font(italic=True, color="808080")
        explanation.alignment = Alignment(wrap_text=True)
        sheet.column_dimensions[letter].width = 22
        if column.choices:
            source_column = get_column_letter(list(choices).index(column.choices) + 1)
            count = len(choices[column.choices]) + 1
            validation = DataValidation(
                type="list",
                formula1=f"='代码表'!${source_column}$2:${source_column}${count}",
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="无效代码",
                error="请从下拉列表中选择 / choose from the list",
            )
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_DATA_ROW}")
            sheet.add_data_validation(validation)
        if column.kind in NUMBER_FORMATS:
            for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 200):
                sheet.cell(row=row, column=index).number_format = NUMBER_FORMATS[column.kind]
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    workbook.save(path)
    return path
