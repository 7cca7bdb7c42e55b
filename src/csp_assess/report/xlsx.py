"""The report as an Excel workbook: one sheet per table, frozen header row, number formats, autofilter.

Numbers stay numbers (so analysts can re-sort and sum them); text that a spreadsheet would run as a formula
is neutralised. The workbook's created/modified dates are fixed so the same input gives the same content.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from csp_assess.output import write_atomic
from csp_assess.render.values import neutralise, plain
from csp_assess.report.build import ReportData
from csp_assess.report.theme import ThemeData
from csp_assess.result import Table

INT_FORMAT = "#,##0"
DEC_FORMAT = "#,##0.0"
PCT_FORMAT = '+0.0"%";-0.0"%";0.0"%"'
SIGNED_FORMAT = "+#,##0;-#,##0;0"
GBP_FORMAT = '"£"#,##0'
P_FORMAT = "0.0000"
FIXED_TIME = dt.datetime(2000, 1, 1)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # every part of the workbook's zip gets this date, not the time of saving
# Characters XML 1.0 cannot hold (openpyxl refuses them): C0 controls other than tab, LF and CR.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(text: str) -> str:
    """A control character in a name is written out (``\\x07``) rather than failing the workbook."""
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def number_format(column: str, value: Any) -> str | None:
    if column.endswith("_pct"):
        return PCT_FORMAT
    if column in ("change", "baseline_change"):
        return SIGNED_FORMAT
    if column.endswith("_gbp"):
        return GBP_FORMAT
    if column in ("p_value", "p_adjusted"):
        return P_FORMAT
    if column in ("score", "z") or column.endswith("_share") or column == "baseline_count":
        return DEC_FORMAT
    if isinstance(value, int):
        return INT_FORMAT
    if isinstance(value, float):
        return INT_FORMAT if column in ("expected", "expected_low", "expected_high", "harm") else DEC_FORMAT
    return None


def _value(v: Any) -> Any:
    v = plain(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, list | dict):
        v = str(v)
    if isinstance(v, str):
        v = _xml_safe(v)
    return neutralise(v)


def write_xlsx(data: ReportData | ThemeData, output: Path) -> None:
    """The report (or theme pack) as a workbook, one sheet per table."""
    write_tables_xlsx(data.tables(), data.title, output)


def write_tables_xlsx(tables: dict[str, Table], title: str, output: Path) -> None:
    """Named tables as a workbook, one sheet each (what ``report`` and every command's ``-o x.xlsx``
    write): numbers stay numbers with formats, formula-like text is neutralised, dates are fixed."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "csp-assess"
    wb.properties.title = _xml_safe(title)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    for name, table in tables.items():
        ws = wb.create_sheet(title=_ILLEGAL.sub(" ", name)[:31])
        cols = table.shown_columns(detail=True)
        ws.append(cols)
        for c in ws[1]:
            c.font = bold
            c.fill = fill
            c.alignment = Alignment(wrap_text=True, vertical="top")
        widths = [max(8, len(c) + 2) for c in cols]
        for row in table.people_frame(detail=True)[cols].itertuples(index=False):
            values = [_value(v) for v in row]
            ws.append(values)
            r = ws.max_row
            for j, (col, v) in enumerate(zip(cols, values, strict=True)):
                fmt = (
                    number_format(col, v) if isinstance(v, int | float) and not isinstance(v, bool) else None
                )
                if fmt:
                    ws.cell(row=r, column=j + 1).number_format = fmt
                widths[j] = min(60, max(widths[j], len(str(v)) + 2 if v is not None else 0))
        for j, w in enumerate(widths):
            ws.column_dimensions[get_column_letter(j + 1)].width = w
        ws.freeze_panes = "A2"
        if ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions
    write_atomic(output, _fixed_dates(_workbook_bytes(wb)))


def _workbook_bytes(wb: Any) -> bytes:
    """``wb.save`` without its one line that stamps the modified date with the time of saving (openpyxl's
    ``save_workbook`` is this plus that line): the properties keep ``FIXED_TIME``."""
    from openpyxl.writer.excel import ExcelWriter

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return buf.getvalue()


def _fixed_dates(workbook: bytes) -> bytes:
    """The same workbook with every zip entry dated ``ZIP_TIME``: openpyxl stamps entries with the time
    of saving, so two runs on the same input would differ in bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
