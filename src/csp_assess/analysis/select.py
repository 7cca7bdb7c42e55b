"""Choosing what to analyse: one area (or all), crime rows only, and the periods asked for."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp_assess.errors import PeriodError, SelectionError
from csp_assess.model import ASB_MAJOR, Extract
from csp_assess.periods import (
    FinancialYear,
    Period,
    detached_months,
    detached_warning,
    latest_complete_year,
    months_present,
    parse_year,
    parse_year_range,
    span_label,
)

ALL_AREAS = "all"
NO_LOCATION = "No location"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class AreaSelection:
    counts: pd.DataFrame
    label: str
    warnings: list[str]
    parts: tuple[str, ...] = ()  # the areas summed, for a merged partnership of several


@dataclass(frozen=True)
class Areas:
    """Several areas analysed as one (a merged CSP of several local authorities), with an optional name."""

    names: tuple[str, ...]
    label: str | None = None


AreaArg = str | Sequence[str] | Areas | None


def as_areas(area: AreaArg, name: str | None = None) -> AreaArg:
    """The API's ``area``/``area_name`` pair as one value the analysis takes."""
    if isinstance(area, Areas):
        return Areas(area.names, name or area.label)
    if area is None or isinstance(area, str):
        return Areas((area,), name) if (name and area is not None) else area
    names = tuple(area)
    if not names:
        return None
    return Areas(names, name) if (len(names) > 1 or name) else names[0]


def select_area(extract: Extract, area: AreaArg) -> AreaSelection:
    """Rows for one area, several summed as one (labelled with their parts), or ``all``.

    An exact name wins; otherwise a case-insensitive match, which must be unique (``CAMDEN`` when both
    ``Camden`` and ``CAMDEN`` exist is an error, never a silent choice); a near miss is suggested.
    """
    if isinstance(area, Areas) or (area is not None and not isinstance(area, str)):
        spec = area if isinstance(area, Areas) else Areas(tuple(area))
        if len(spec.names) == 1 and spec.label is None:
            return select_area(extract, spec.names[0])
        return _merged(extract, spec)
    counts = extract.counts
    areas = extract.areas
    warnings: list[str] = []
    if not areas:
        raise SelectionError(
            f"no rows were counted ({extract.rows_rejected:,} of {extract.rows_read:,} rejected): run "
            "validate on the files to see each rejected row and why"
        )
    if area is None:
        if len(areas) == 1:
            return AreaSelection(counts, areas[0], warnings)
        shown = ", ".join(areas[:40]) + (f" (+{len(areas) - 40} more)" if len(areas) > 40 else "")
        raise SelectionError(
            f"the data holds {len(areas)} areas; choose one with {{area}} NAME (or {{area}} all to sum them, "
            f"or name several to sum them as one partnership): {shown}",
            params=["area"],
        )
    if _norm(area) == ALL_AREAS:
        return AreaSelection(counts, "All areas", warnings)
    name = _match_area(area, areas)
    if name is not None:
        sel = counts[extract.area_mask(name)]
        if "force" in counts.columns:
            nolo = counts[
                extract.area_mask(NO_LOCATION) & counts["force"].isin(sel["force"].unique()).to_numpy()
            ]
            if len(nolo):
                forces = ", ".join(f"'{f}'" for f in sorted(sel["force"].unique()))
                warnings.append(
                    f"{int(nolo['count'].sum()):,} record(s) from the same force(s) have no location and cannot "
                    f"be placed in {name}; they are not in its figures (select the force to include them: "
                    f"area {forces})"
                )
        return AreaSelection(sel, name, warnings)
    if "force" in counts.columns:
        force = _match_area(area, sorted(counts["force"].unique()), kind="force")
        if force is not None:
            return AreaSelection(counts[counts["force"] == force], force, warnings)
    raise SelectionError(f"area '{area}' is not in the data{_area_hint(area, areas)}")


def _area_hint(area: str, areas: list[str]) -> str:
    """The names meant: those with a word starting with what was typed ('oadby' -> 'Oadby and Wigston'),
    else the closest spelling, else the list. Before, spelling alone answered 'oadby' with 'Blaby' and
    'north' with 'Wandsworth'."""
    want = _norm(area)
    words = [a for a in areas if want and f" {want}" in f" {_norm(a)}"]
    if len(words) == 1:
        return f": did you mean '{words[0]}'?"
    if words:
        shown = ", ".join(f"'{a}'" for a in words[:8]) + (
            f" and {len(words) - 8} more" if len(words) > 8 else ""
        )
        return f": did you mean one of {shown}?"
    by_norm = {_norm(a): a for a in areas}
    close = difflib.get_close_matches(want, list(by_norm), n=1, cutoff=0.6)
    return f": did you mean '{by_norm[close[0]]}'?" if close else f"; areas are: {', '.join(areas[:40])}"


def _match_area(wanted: str, names: list[str], kind: str = "area") -> str | None:
    """The one name meant: exact first, then case- and space-insensitive if that is unambiguous."""
    if wanted in names:
        return wanted
    folded = [n for n in names if _norm(n) == _norm(wanted)]
    if len(folded) > 1:
        raise SelectionError(
            f"{kind} '{wanted}' matches {len(folded)} names that differ only in case or spacing "
            f"({', '.join(repr(n) for n in folded)}): give the exact name"
        )
    return folded[0] if folded else None


def _merged(extract: Extract, spec: Areas) -> AreaSelection:
    """Several areas summed as one: each part resolved as a single area, rows relabelled with the name."""
    parts: list[AreaSelection] = []
    for name in spec.names:
        if _norm(name) == ALL_AREAS:
            raise SelectionError("{area} all cannot be combined with named areas", params=["area"])
        part = select_area(extract, name)
        if part.label in [p.label for p in parts]:
            raise SelectionError(f"area '{part.label}' is named twice")
        parts.append(part)
    label = spec.label or " + ".join(p.label for p in parts)
    counts = pd.concat([p.counts for p in parts], ignore_index=True).assign(area=label)
    warnings = [w for p in parts for w in p.warnings]
    warnings.append(f"{label} is {len(parts)} areas summed: {', '.join(p.label for p in parts)}")
    return AreaSelection(counts, label, warnings, tuple(p.label for p in parts))


def crime_only(counts: pd.DataFrame) -> pd.DataFrame:
    """Anti-social behaviour incidents are not crimes: every crime total leaves them out."""
    return counts[counts["major"] != ASB_MAJOR]


def resolve_year(
    requested: str | None,
    covered: list[pd.Period],
    start_month: int,
    with_rows: list[pd.Period] | None = None,
    param: str = "year",
) -> tuple[Period, list[str]]:
    """The year to analyse: the one asked for (partial allowed, and labelled), else the latest complete one
    (``with_rows``: the months holding rows; a year with an empty month is not complete). ``param``: the
    option ``requested`` came from, named in errors."""
    warnings: list[str] = []
    if with_rows is not None:
        outliers, bulk = detached_months(with_rows)
        if outliers:
            warnings.append(detached_warning(outliers, bulk))
    if requested is None:
        fy = latest_complete_year(covered, start_month, with_rows)
    else:
        fy = parse_year(requested, start_month, param)
    present = months_present(fy, covered)
    if not present:
        raise PeriodError(
            f"{fy.label} is not in the data, which covers {span_label(covered)}: choose another with {{{param}}}",
            params=[param],
        )
    period = Period(fy, tuple(present))
    if not period.complete:
        warnings.append(
            f"{fy.label} is partial ({span_label(present)}, {len(present)} of 12 months): it is compared with "
            "the same months of other years, not with whole years"
        )
    return period, warnings


def comparison_period(
    period: Period, other: FinancialYear, covered: list[pd.Period], role: str
) -> tuple[Period | None, list[str]]:
    """The same months as ``period`` in year ``other``, if the data covers all of them."""
    same = period.same_months_in(other)
    missing = [m for m in same.months if m not in set(covered)]
    if missing:
        return None, [
            f"{role} {other.label} is not fully in the data ({len(missing)} month(s) missing): not shown"
        ]
    return same, []


def resolve_baseline(
    requested: str | None,
    period: Period,
    covered: list[pd.Period],
    start_month: int,
    default: str = "2019/20",
) -> tuple[list[Period], str, list[str]]:
    """Baseline years (one, or a range averaged), each restricted to the same months as ``period``."""
    years = parse_year_range(requested or default, start_month, "baseline")
    label = years[0].label if len(years) == 1 else f"{years[0].label}-{years[-1].label}"
    out: list[Period] = []
    warnings: list[str] = []
    for fy in years:
        p, w = comparison_period(period, fy, covered, "baseline year")
        warnings += w
        if p is not None:
            out.append(p)
    if out and len(out) < len(years):
        warnings.append(f"baseline {label} is averaged over {len(out)} of its {len(years)} years")
    if not period.complete and out:
        label += f" (same {len(period.months)} months)"
    return out, label, warnings


def in_period(counts: pd.DataFrame, period: Period) -> np.ndarray:
    """Which rows fall in the period's months (compared as month ordinals: the analysis asks this ~20 times
    a run, and ``Series.isin`` on periods costs ~1 ms a call)."""
    months = counts["month"]
    if isinstance(months.dtype, pd.PeriodDtype):
        return np.isin(months.array.asi8, np.array([m.ordinal for m in period.months], dtype=np.int64))
    return months.isin(pd.PeriodIndex(list(period.months), freq="M")).to_numpy()  # pragma: no cover


def period_counts(counts: pd.DataFrame, period: Period | None, keys: list[str]) -> pd.Series:
    """Sum of counts over the period's months, by ``keys``."""
    if period is None:
        return pd.Series(dtype="float64")
    sel = counts[in_period(counts, period)]
    return sel.groupby(keys, observed=True)["count"].sum()


def period_total(counts: pd.DataFrame, period: Period) -> float:
    """Sum of counts over the period's months (0 when it has none)."""
    return float(counts["count"].to_numpy()[in_period(counts, period)].sum())


def baseline_total(counts: pd.DataFrame, periods: list[Period]) -> float:
    """Mean over the baseline years of the yearly totals (a single year is its own total)."""
    return float(np.mean([period_total(counts, p) for p in periods])) if periods else 0.0


def baseline_counts(counts: pd.DataFrame, periods: list[Period], keys: list[str]) -> pd.Series:
    """Mean per year over the baseline years (a single year is its own total)."""
    if not periods:
        return pd.Series(dtype="float64")
    totals = [period_counts(counts, p, keys) for p in periods]
    joined = pd.concat(totals, axis=1).fillna(0)
    return joined.mean(axis=1)
