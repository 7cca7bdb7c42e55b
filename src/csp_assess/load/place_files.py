"""The two small files a place analysis can take: a lookup from LSOA to a larger place, and populations.

Both are CSV with a header row (UTF-8, a BOM allowed). Every bad line is an error naming the file, the
line and the column, and what to do, so a wrong file is never half-used.

* ``--places-lookup``: ``lsoa_code,place[,place_code]``, matched by position (the header names are free:
  the second column's name, e.g. ``ward`` or ``neighbourhood``, names the level of the places).
* ``--population``: columns ``code``, ``population`` and optionally ``year`` (the year of the estimate,
  e.g. a mid-year estimate ``2021``), matched by name; one row per code (and year).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from csp_assess.errors import ConfigError
from csp_assess.smallfile import read_small_text


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _rows(path: Path, what: str) -> list[list[str]]:
    """All rows of a small CSV, header first; an unreadable or empty file is an error."""
    text = read_small_text(path, what)
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(c.strip() for c in rows[0]):
        raise ConfigError(f"the {what} file is empty: it needs a header row", file=str(path), line=1)
    return rows


@dataclass(frozen=True)
class PlaceLookup:
    """LSOA code (upper case) -> place label ``"Name (CODE)"`` or ``"Name"``; ``level`` names the places."""

    path: str
    level: str
    place_of: dict[str, str]


def read_place_lookup(path: str | Path) -> PlaceLookup:
    """Read ``lsoa_code,place[,place_code]``; an LSOA given two different places is an error."""
    p = Path(path)
    rows = _rows(p, "places lookup")
    header = [c.strip() for c in rows[0]]
    if len(header) < 2 or not header[1]:
        raise ConfigError(
            "the places lookup needs columns lsoa_code,place[,place_code] (e.g. E01025701,Loughborough "
            "Hastings,E05005415): the header has fewer than two columns",
            file=str(p),
            line=1,
        )
    level = _norm(header[1]) or "place"
    place_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = [c.strip() for c in row] + ["", ""]
        code, name, place_code = cells[0].upper(), cells[1], cells[2]
        for col, value in ((header[0] or "column 1", code), (header[1], name)):
            if not value:
                raise ConfigError(
                    f"column '{col}' is blank: every row needs an LSOA code and a place",
                    file=str(p),
                    line=line,
                )
        label = f"{name} ({place_code})" if place_code else name
        if code in place_of and place_of[code] != label:
            raise ConfigError(
                f"LSOA {code} is given two places, '{place_of[code]}' (line {first_line[code]}) and "
                f"'{label}': keep one row per LSOA",
                file=str(p),
                line=line,
            )
        place_of[code] = label
        first_line.setdefault(code, line)
    if not place_of:
        raise ConfigError("the places lookup has a header but no rows", file=str(p), line=2)
    return PlaceLookup(str(p), level, place_of)


@dataclass(frozen=True)
class PlacePopulation:
    """Residents by place code (upper case) and estimate year (None when the file gives no year)."""

    path: str
    by_code: dict[str, dict[int | None, int]] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return sorted({y for v in self.by_code.values() for y in v if y is not None})

    def denominator_year(self, fy_start_year: int) -> int | None:
        """The estimate to divide by for a financial year starting in ``fy_start_year``: that year's
        (a mid-year estimate sits inside the financial year), else the latest before it, else the earliest."""
        years = self.years
        if not years:
            return None
        before = [y for y in years if y <= fy_start_year]
        return before[-1] if before else years[0]

    def for_year(self, year: int | None) -> dict[str, int]:
        """Code -> residents in ``year`` (codes without an estimate for that year are left out)."""
        return {code: v[year] for code, v in self.by_code.items() if year in v}


def read_place_population(path: str | Path) -> PlacePopulation:
    """Read ``code,population[,year]`` (columns by name); populations must be whole numbers above 0."""
    p = Path(path)
    rows = _rows(p, "population")
    header = [_norm(c) for c in rows[0]]
    if "code" not in header or "population" not in header:
        raise ConfigError(
            "the population file needs columns code,population[,year] (code: the LSOA, ward or lookup "
            f"place code); its header is {','.join(rows[0])}",
            file=str(p),
            line=1,
        )
    ci, pi = header.index("code"), header.index("population")
    yi = header.index("year") if "year" in header else None
    by_code: dict[str, dict[int | None, int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = [c.strip() for c in row] + [""] * len(header)
        code = cells[ci].upper()
        if not code:
            raise ConfigError("column 'code' is blank: give the place's code", file=str(p), line=line)
        raw = cells[pi].replace(",", "")
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(
                f"column 'population' is '{cells[pi]}', not a whole number of residents",
                file=str(p),
                line=line,
            ) from None
        if value <= 0:
            raise ConfigError(
                f"column 'population' is {value}: residents must be above 0 (leave the place out instead)",
                file=str(p),
                line=line,
            )
        year: int | None = None
        if yi is not None:
            ytext = cells[yi]
            if not re.fullmatch(r"\d{4}", ytext):
                raise ConfigError(
                    f"column 'year' is '{ytext}', not a year such as 2021 (the year of the estimate)",
                    file=str(p),
                    line=line,
                )
            year = int(ytext)
        per = by_code.setdefault(code, {})
        if year in per:
            raise ConfigError(
                f"code {code} has two populations for {year if year is not None else 'the same year'}: "
                "keep one row per code and year",
                file=str(p),
                line=line,
            )
        per[year] = value
    if not by_code:
        raise ConfigError("the population file has a header but no rows", file=str(p), line=2)
    return PlacePopulation(str(p), by_code)
