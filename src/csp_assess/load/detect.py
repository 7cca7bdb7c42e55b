"""Which layout a file is in, from its header alone.

Each layout has one loader module; this is the only place that knows how to tell them apart.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.textio import first_line

MONTH_COLUMN = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])$")

# Met wide layouts: the leading key columns (normalised to lower case) -> (layout, level).
MET_WIDE_KEYS: dict[tuple[str, ...], tuple[str, str]] = {
    ("majortext", "minortext", "lookup_boroughname"): ("met-borough", "borough"),
    ("majortext", "minortext", "boroughname"): ("met-borough", "borough"),
    ("group", "subgroup", "bocu"): ("met-borough-group", "borough"),
    ("borough", "major category", "minor category"): ("met-borough-pre2019", "borough"),
    ("majortext", "minortext", "wardname", "wardcode", "lookup_boroughname"): ("met-ward", "ward"),
    ("majortext", "minortext", "wardname", "wardcode", "boroughname"): ("met-ward", "ward"),
}


@dataclass(frozen=True)
class Detected:
    layout: str  # "met-borough", "met-borough-group", "met-borough-pre2019", "met-ward", "police-uk", "long"
    level: str
    header: list[str]
    delimiter: str


def _norm(cell: str) -> str:
    return cell.strip().strip('"').lower()


def header_of(head_text: str, name: str) -> tuple[list[str], str]:
    """Parse the first line of a text; returns (cells, delimiter). Refuses empty files."""
    line = first_line(head_text) if head_text.strip() else ""
    if not line.strip():
        raise InputError("file is empty: export the data again with its header row", file=name)
    delim = ","
    if line.count(",") == 0:
        for cand in (";", "\t", "|"):
            if line.count(cand) > 0:
                delim = cand
                break
    cells = next(csv.reader(io.StringIO(line), delimiter=delim))
    return [c.strip() for c in cells], delim


def detect_header(cells: list[str], delim: str, name: str, known_extra: tuple[str, ...] = ()) -> Detected:
    """Name the layout of a header, or raise a LayoutError that says what was expected."""
    from csp_assess.load.street_scan import is_police_uk_header

    norm = [_norm(c) for c in cells]
    for keys, (layout, level) in MET_WIDE_KEYS.items():
        if tuple(norm[: len(keys)]) == keys:
            _check_wide_months(cells[len(keys) :], name)
            if delim != ",":
                raise LayoutError(
                    f"Met file uses '{delim}' as delimiter; Met files are comma-separated", file=name
                )
            return Detected(layout, level, cells, delim)
    if is_police_uk_header(cells):
        return Detected("police-uk", "lsoa", cells, delim)
    if "month" in norm or "date" in norm or known_extra:
        return Detected("long", "record", cells, delim)
    shown = delim.join(cells[:6]) + ("..." if len(cells) > 6 else "")
    hint = ""
    if delim != ",":
        hint = f" (read with delimiter {delim!r}; Met and police.uk files are comma-separated)"
    raise LayoutError(
        f"unknown layout{hint}: header starts '{shown}'; expected a Met borough/ward file, a data.police.uk "
        "street file, or a long file with month,area,major,minor[,count] (use --map to name other columns)",
        file=name,
    )


def _check_wide_months(month_cells: list[str], name: str) -> None:
    if not month_cells:
        raise LayoutError("Met file has no month columns (expected YYYYMM after the key columns)", file=name)
    for c in month_cells:
        if not MONTH_COLUMN.match(c.strip()) and c.strip().lower() in (
            "total",
            "totals",
            "grand total",
            "sum",
        ):
            raise LayoutError(
                f"column '{c}' is not a month but a total, in a Met wide file: delete it (it would count every "
                "offence twice), or use the file as downloaded",
                file=name,
            )
        if not MONTH_COLUMN.match(c.strip()):
            raise LayoutError(
                f"column '{c}' is not a month (YYYYMM) in a Met wide file: the London Datastore writes "
                "months as 202104; use the file as downloaded, or rename the month columns that way",
                file=name,
            )


def sniff(path: Path) -> Detected:
    """Detect the layout of a CSV file from its first line."""
    from csp_assess.load.textio import decode_bytes, read_head

    head = read_head(path)
    # A cut multi-byte character at the end of the head is harmless: only the first line is used.
    first = head.split(b"\n", 1)[0]
    text, _ = decode_bytes(first, str(path))
    cells, delim = header_of(text, str(path))
    return detect_header(cells, delim, str(path))
