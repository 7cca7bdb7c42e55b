"""Uprating unit costs from the Home Office report's 2015/16 prices to a later year's prices.

No price index is packaged: the exact HM Treasury GDP deflator figures could not be transcribed from a
trustworthy copy, and an index is never invented. The user states the index instead, either

* ``--price-index FILE --price-year 2022/23``: a CSV of financial years and index values (columns
  ``year,index``; optional ``source`` column or ``# source:`` comment line), for example the HM Treasury
  "GDP deflators at market prices" table; the factor is ``index[price_year] / index[2015/16]``; or
* ``--uprate FACTOR --price-year 2022/23 [--price-source TEXT]``: a factor worked out elsewhere.

Either way the factor, the years and the source are carried in every output.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from csp_assess.errors import ConfigError
from csp_assess.smallfile import read_small_text

BASE_YEAR = "2015/16"
_YEAR = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$")


@dataclass(frozen=True)
class Uprating:
    """Multiply 2015/16 unit costs by ``factor`` to get ``to_year`` prices."""

    factor: float = 1.0
    to_year: str = BASE_YEAR
    source: str = ""

    @property
    def prices(self) -> str:
        return self.to_year

    def describe(self) -> str:
        if self.factor == 1.0 and self.to_year == BASE_YEAR:
            return f"{BASE_YEAR} prices (as published)"
        return (
            f"{self.to_year} prices: 2015/16 costs x {self.factor:.4f} ({self.source or 'source not stated'})"
        )


NO_UPRATING = Uprating()


def fy_label(text: str) -> str:
    """'2022/23', '2022-23' or '2022/2023' -> '2022/23'; anything else raises ``ConfigError``."""
    m = _YEAR.match(str(text))
    if not m:
        raise ConfigError(f"financial year {text!r} is not like 2022/23")
    start, end = int(m.group(1)), m.group(2)
    end2 = int(end[-2:])
    if end2 != (start + 1) % 100:
        raise ConfigError(f"financial year {text!r} is not like 2022/23 (the years must follow on)")
    return f"{start}/{end2:02d}"


def load_price_index(path: str | Path) -> tuple[dict[str, float], str]:
    """Read a user price index CSV: ``year,index`` (header required), optional ``source`` column.

    Returns ``({'2015/16': 100.0, ...}, source)``. Errors name the file and line.
    """
    p = Path(path)
    text = read_small_text(p, "price index")
    source = ""
    lines: list[tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            m = re.match(r"#\s*source\s*:\s*(.+)", stripped, flags=re.I)
            if m:
                source = m.group(1).strip()
            continue
        if stripped:
            lines.append((n, line))
    if not lines:
        raise ConfigError("price index file is empty", file=str(p))
    header_line, header = lines[0]
    names = [h.strip().lower() for h in next(csv.reader([header]))]
    if "year" not in names or "index" not in names:
        raise ConfigError("price index file needs 'year' and 'index' columns", file=str(p), line=header_line)
    values: dict[str, float] = {}
    sources: set[str] = set()
    for n, line in lines[1:]:
        try:
            cells = next(csv.reader(io.StringIO(line)))
        except csv.Error as err:
            raise ConfigError(f"not valid CSV: {err}", file=str(p), line=n) from err
        row = {k: c.strip() for k, c in zip(names, cells, strict=False)}
        try:
            year = fy_label(row.get("year", ""))
        except ConfigError as err:
            raise ConfigError(err.message, file=str(p), line=n) from err
        raw = row.get("index", "")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"index {raw!r} for {year} is not a positive number", file=str(p), line=n)
        if year in values:
            raise ConfigError(f"year {year} appears twice", file=str(p), line=n)
        values[year] = value
        if row.get("source"):
            sources.add(row["source"])
    if not source and sources:
        source = "; ".join(sorted(sources))
    return values, source or f"user price index {p.name}"


def uprating_from_index(
    values: dict[str, float], price_year: str, source: str, file: str | None = None
) -> Uprating:
    """The factor from 2015/16 to ``price_year`` prices; both years must be in the index."""
    year = fy_label(price_year)
    for needed in (BASE_YEAR, year):
        if needed not in values:
            raise ConfigError(
                f"price index has no value for {needed} (has {', '.join(sorted(values)) or 'none'})",
                file=file,
            )
    return Uprating(_checked(values[year] / values[BASE_YEAR], file), year, source)


def resolve_uprating(
    price_year: str | None,
    price_index: Path | None,
    factor: float | None,
    price_source: str | None,
) -> Uprating:
    """Turn the CLI options into an ``Uprating`` (or none), with clear errors for incomplete choices."""
    if price_index is not None and factor is not None:
        raise ConfigError("give {price_index} or {uprate}, not both", params=["price_index", "uprate"])
    if price_year is None:
        if price_index is not None or factor is not None:
            raise ConfigError(
                "{price_index} and {uprate} need {price_year} (the year the costs are uprated to)",
                params=["price_index", "uprate", "price_year"],
            )
        return NO_UPRATING
    year = fy_label(price_year)
    if year == BASE_YEAR and price_index is None and factor is None:
        return NO_UPRATING
    if price_index is not None:
        values, source = load_price_index(price_index)
        if price_source:
            source = price_source
        return uprating_from_index(values, year, source, file=str(price_index))
    if factor is None:
        raise ConfigError(
            "{price_year} needs a stated index: {price_index} FILE (year,index CSV, e.g. the HM Treasury GDP "
            "deflators) or {uprate} FACTOR with {price_source}; no index is packaged",
            params=["price_year", "price_index", "uprate", "price_source"],
        )
    if not math.isfinite(factor) or factor <= 0:
        raise ConfigError(f"{{uprate}} must be a positive number, not {factor}", params=["uprate"])
    return Uprating(_checked(factor), year, price_source or "factor given with --uprate (source not stated)")


#: Prices move by tens of percent between financial years, never 100-fold: a factor outside this range is
#: a typo (``--uprate 1e308`` made every cost inf, shown as '£infm', and wrote Infinity into the JSON).
UPRATE_RANGE = (0.01, 100.0)


def _checked(factor: float, file: str | None = None) -> float:
    low, high = UPRATE_RANGE
    if not low <= factor <= high:
        what = "the price index's factor from 2015/16" if file else "{uprate}"
        raise ConfigError(
            f"{what} is {factor:g}, outside {low:g}-{high:g}: a price uprating factor is near 1 (prices move by "
            "tens of percent over years, not 100-fold); check it",
            file=file,
            params=[] if file else ["uprate"],
        )
    return factor
