"""How much a category usually varies from year to year, estimated from the extract's own earlier years.

Recorded crime in one area moves from year to year by far more than counting noise (a year-level effect of
roughly 7-20% by category in London boroughs). A change is "unusual" only against that variation, so every
change test in csp-assess adds the category's year-level variance ``sigma^2`` (``stats.log_ratio_z``).

Where ``sigma^2`` comes from, per category:

1. Year-on-year pairs of the *same months* as the comparison (a whole year, a year to date, a quarter), in
   every area of the extract, ending no later than the comparison's earlier period, leaving out windows
   that hold COVID-restriction months. ``stats.estimate_year_variance`` turns them into one pooled estimate.
2. That estimate is shrunk toward the packaged default (``reference/year_variance.csv``, estimated the same
   way from 32 London boroughs' pre-COVID years, source stated in the file) with weight ``PRIOR_PAIRS``:
   with many areas the data dominate; a single-area extract leans on the default; no history at all gives
   the default alone, and a category missing from the table gets the generic default. The basis is stated.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from csp_assess.analysis.stats import PRIOR_PAIRS, estimate_year_variance, shrink_year_variance

#: Months under COVID-19 restrictions in England, first lockdown (23 March 2020) to the last legal
#: limits on social contact (step 4 of the roadmap, 19 July 2021). Windows holding any of them are left
#: out of the variance estimate and named where they are used as a comparison year.
COVID_FIRST = pd.Period("2020-03", freq="M")
COVID_LAST = pd.Period("2021-07", freq="M")
#: Generic year-level sd for a category in no packaged table (a middling value among London categories).
GENERIC_SD = 0.15
GENERIC_SOURCE = f"generic default (sd {GENERIC_SD:.0%}): category not in the packaged table"
#: The category name under which the all-crime total's variance is packaged (level "total").
ALL_CRIME = "All crime"
PACKAGED = "year_variance.csv"


def covid_months(months: list[pd.Period] | tuple[pd.Period, ...]) -> list[pd.Period]:
    """The months of ``months`` under COVID restrictions."""
    return [m for m in months if COVID_FIRST <= m <= COVID_LAST]


def covid_note(label: str, months: list[pd.Period] | tuple[pd.Period, ...]) -> str | None:
    """A note naming ``label`` as COVID-affected (fully or in part), or None when it is not."""
    hit = covid_months(months)
    if not hit:
        return None
    if len(hit) == len(months):
        return f"{label} was under COVID-19 restrictions throughout: a change on it is not a normal year's change"
    return (
        f"{label} includes {len(hit)} month(s) under COVID-19 restrictions ({hit[0]:%b %Y}"
        + (f" to {hit[-1]:%b %Y}" if len(hit) > 1 else "")
        + "): read a change on it with that in mind"
    )


@dataclass(frozen=True)
class Default:
    sigma2: float
    source: str


@cache
def packaged_defaults() -> dict[tuple[str, str, str], Default]:
    """(scheme, level, category lower-case) -> packaged year-level variance and its source."""
    text = resources.files("csp_assess.reference").joinpath(PACKAGED).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    out: dict[tuple[str, str, str], Default] = {}
    for row in csv.DictReader(lines):
        out[(row["scheme"], row["level"], row["category"].lower())] = Default(
            float(row["sigma2"]), row["source"]
        )
    return out


def default_for(scheme: str, level: str, category: str) -> Default:
    """The packaged variance for a category, or the generic default (and says which)."""
    hit = packaged_defaults().get((scheme, level, " ".join(category.split()).lower()))
    return hit if hit is not None else Default(GENERIC_SD**2, GENERIC_SOURCE)


def history_pairs(
    monthly: pd.DataFrame, window: list[pd.Period] | tuple[pd.Period, ...], last_later: pd.Period
) -> tuple[pd.DataFrame, list[str]]:
    """Year-on-year pairs of ``window``'s months in earlier years, per row of ``monthly``.

    ``monthly``: one row per (area, key), one column per month (counts; absent months are NaN or missing).
    A pair is the window shifted back ``k + 1`` years (``a``) and ``k`` years (``b``), for every ``k >= 1``
    whose later window ends no later than ``last_later``, whose months are all in ``monthly`` and none under
    COVID restrictions. Returns a long frame (the row index levels + ``a``, ``b``) and the pairs' labels.
    """
    window = sorted(window)
    cols: set[pd.Period] = {pd.Period(c, freq="M") for c in monthly.columns}
    frames: list[pd.DataFrame] = []
    labels: list[str] = []
    if not cols:
        return pd.DataFrame(columns=["a", "b"], index=monthly.index[:0]), labels
    first = min(cols)
    k = 1
    while True:
        later = [m - 12 * k for m in window]
        earlier = [m - 12 * (k + 1) for m in window]
        if min(earlier) < first:  # the earlier window starts before the data: no older pairs
            break
        k += 1
        if max(later) > last_later:
            continue
        if any(m not in cols for m in later + earlier) or covid_months(later + earlier):
            continue
        a = monthly[earlier].sum(axis=1, min_count=len(earlier))
        b = monthly[later].sum(axis=1, min_count=len(later))
        frames.append(pd.DataFrame({"a": a, "b": b}).dropna())
        labels.append(f"{min(earlier):%Y-%m}->{min(later):%Y-%m}")
    if not frames:
        return pd.DataFrame(columns=["a", "b"], index=monthly.index[:0]), labels
    return pd.concat(frames), labels


@dataclass(frozen=True)
class YearVariance:
    """The year-level variance used for one category, and what it rests on (for JSON and methods text)."""

    sigma2: float
    sigma2_data: float | None
    pairs: int
    areas: int
    sigma2_default: float
    default_source: str

    @property
    def sd(self) -> float:
        return math.sqrt(self.sigma2)

    @property
    def basis(self) -> str:
        if self.pairs == 0:
            return f"no earlier years in the extract: {self.default_source}"
        where = f"{self.areas} area{'s' if self.areas != 1 else ''}"
        return (
            f"{self.pairs} earlier year-on-year pair(s) in {where} (sd {math.sqrt(self.sigma2_data or 0):.1%}), "
            f"shrunk toward {self.default_source} (sd {math.sqrt(self.sigma2_default):.1%}, weight {PRIOR_PAIRS} pairs)"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "sd": round(self.sd, 4),
            "sigma2": round(self.sigma2, 6),
            "sigma2_data": None if self.sigma2_data is None else round(self.sigma2_data, 6),
            "pairs": self.pairs,
            "areas": self.areas,
            "sigma2_default": round(self.sigma2_default, 6),
            "default_source": self.default_source,
            "basis": self.basis,
        }


def total_variance(
    crimes: pd.DataFrame,
    scheme: str,
    window: list[pd.Period] | tuple[pd.Period, ...],
    last_later: pd.Period,
    source: str = "data",
) -> tuple[YearVariance, list[str]]:
    """Year-level variance of the all-crime total (``crimes``: every area's crime rows)."""
    total = crimes[["area", "month", "count"]].assign(major=ALL_CRIME)
    out, labels = category_variances(total, ["major"], scheme, window, last_later, source, level="total")
    if ALL_CRIME not in out:  # no rows at all: the default alone
        d = default_for(scheme, "total", ALL_CRIME)
        return YearVariance(d.sigma2, None, 0, 0, d.sigma2, d.source), labels
    return out[ALL_CRIME], labels


def monthly_matrix(counts: pd.DataFrame, key: str | list[str]) -> pd.DataFrame:
    """Counts as (area, key...) rows by month columns; months the extract covers but a row lacks are 0."""
    keys = [key] if isinstance(key, str) else list(key)
    wide = counts.groupby(["area", *keys, "month"], observed=True)["count"].sum().unstack("month")
    return wide.fillna(0.0)


def year_variances(
    monthly: pd.DataFrame,
    window: list[pd.Period] | tuple[pd.Period, ...],
    last_later: pd.Period,
    defaults: dict[object, Default],
) -> tuple[dict[object, YearVariance], list[str]]:
    """Year-level variance per category (the non-area index levels of ``monthly``), and the pairs used.

    ``defaults`` maps each category key to its packaged (or generic) default.
    """
    pairs, labels = history_pairs(monthly, window, last_later)
    cat_levels = [n for n in monthly.index.names if n != "area"]
    out: dict[object, YearVariance] = {}
    by = cat_levels[0] if len(cat_levels) == 1 else cat_levels  # scalar keys for one level
    # positions of each category's pairs, not a DataFrame per category: a breakdown by LSOA has thousands
    rows: dict[object, Any] = pairs.groupby(level=by, observed=True).indices if len(pairs) else {}
    a_all = pairs["a"].to_numpy(dtype=np.float64)
    b_all = pairs["b"].to_numpy(dtype=np.float64)
    area_codes = pd.factorize(pairs.index.get_level_values("area"))[0]
    for key, default in defaults.items():
        at = rows.get(key)
        if at is None or not len(at):
            out[key] = YearVariance(default.sigma2, None, 0, 0, default.sigma2, default.source)
            continue
        a, b = a_all[at], b_all[at]
        fit = estimate_year_variance(a, b)
        seen = area_codes[at][a + b >= 10]
        areas = len(np.unique(seen[seen >= 0]))  # as nunique: a missing area is not one
        data = None if fit.pairs == 0 else fit.sigma2
        out[key] = YearVariance(
            shrink_year_variance(fit.sigma2, fit.pairs, default.sigma2),
            data,
            fit.pairs,
            areas,
            default.sigma2,
            default.source,
        )
    return out, labels


def summary_words(variances: list[YearVariance], labels: list[str]) -> str:
    """One methods sentence: what year-level variation was assumed and where it came from."""
    if not variances:
        return "No categories tested"
    sds = sorted(v.sd for v in variances)
    with_data = sum(1 for v in variances if v.pairs)
    span = f"{labels[-1].split('->')[0][:4]}-{labels[0].split('->')[1][:4]}" if labels else ""
    generic = sum(1 for v in variances if v.default_source == GENERIC_SOURCE)
    table = "the packaged table" + (
        f" (the generic sd {GENERIC_SD:.0%} for {generic} categor{'y' if generic == 1 else 'ies'} it lacks)"
        if generic
        else ""
    )
    src = (
        f"estimated from {len(labels)} earlier year-on-year pair(s) of the same months ({span}, COVID months "
        f"left out) pooled over the extract's areas and shrunk toward {table}"
        if with_data
        else f"taken from {table} alone (the extract has no earlier years of the same months)"
    )
    if len(sds) == 1:
        spread = f"year-level sd {sds[0]:.1%}"
    elif f"{sds[0]:.1%}" == f"{sds[-1]:.1%}":
        spread = f"year-level sd {sds[0]:.1%} for all {len(variances)} categories"
    else:
        spread = (
            f"year-level sd {sds[0]:.1%} to {sds[-1]:.1%} across the {len(variances)} categories, median "
            f"{float(np.median(sds)):.1%}"
        )
    no_history = len(variances) - with_data
    return (
        f"Changes are tested against counting noise plus each category's usual year-to-year variation "
        f"({spread}), {src}"
        + (
            f"; {no_history} {'category' if no_history == 1 else 'categories'} had no history and "
            f"{'uses' if no_history == 1 else 'use'} the default alone"
            if with_data and with_data < len(variances)
            else ""
        )
    )


#: Where the year-level variance comes from: the extract's earlier years shrunk toward the packaged table
#: ("data", the default), the packaged table alone ("packaged"), or none at all ("none": counting noise
#: only, the exact or z test; kept for comparison, it flags a third of unchanged real categories).
VARIANCE_SOURCES = ("data", "packaged", "none")


def category_variances(
    counts: pd.DataFrame,
    keys: list[str],
    scheme: str,
    window: list[pd.Period] | tuple[pd.Period, ...],
    last_later: pd.Period,
    source: str = "data",
    level: str | None = None,
) -> tuple[dict[object, YearVariance], list[str]]:
    """Year-level variance per category of ``counts`` (all areas of the extract, crime rows), by ``keys``.

    Keys are scalars for one key column and tuples for several, like ``period_counts``' index. The packaged
    default is looked up by the last key at ``level`` (default: minor when the last key is the minor name,
    else major; "total" for all crime).
    """
    if source not in VARIANCE_SOURCES:
        raise ValueError(f"variance source must be one of {', '.join(VARIANCE_SOURCES)}, not {source!r}")
    level = level or ("minor" if keys[-1] == "minor" else "major")
    cats = counts[keys].drop_duplicates()
    defaults: dict[object, Default] = {}
    for row in cats.itertuples(index=False):
        key = tuple(row) if len(keys) > 1 else row[0]
        defaults[key] = default_for(scheme, level, str(row[-1]))
    if source == "packaged" or not len(counts):
        return {k: YearVariance(d.sigma2, None, 0, 0, d.sigma2, d.source) for k, d in defaults.items()}, []
    return year_variances(monthly_matrix(counts, keys), window, last_later, defaults)


def usual_range(earlier: float, sigma2: float, z: float = 1.96) -> str:
    """The change (in %) a category at ``earlier`` offences shows in 95% of ordinary years.

    Log-scale sd ``sqrt(2 / (earlier + 1/2) + 2 sigma^2)``: counting noise at the earlier level in both years
    plus one year-level effect per year.
    """
    sd = math.sqrt(2.0 / (earlier + 0.5) + 2.0 * sigma2)
    lo, hi = (math.exp(-z * sd) - 1.0) * 100.0, (math.exp(z * sd) - 1.0) * 100.0
    return f"{lo:+.0f}% to {hi:+.0f}%"


def measure_variances(
    counts: pd.DataFrame,
    masks: dict[str, pd.Series],
    scheme: str,
    window: list[pd.Period] | tuple[pd.Period, ...],
    last_later: pd.Period,
    source: str = "data",
) -> tuple[dict[str, YearVariance], list[str]]:
    """Year-level variance of each named measure (a union of categories: ``masks`` select its rows of
    ``counts``, every area). The default for a measure is the count-weighted mean of its minor categories'
    packaged values (the generic default where none is packaged)."""
    if source not in VARIANCE_SOURCES:
        raise ValueError(f"variance source must be one of {', '.join(VARIANCE_SOURCES)}, not {source!r}")
    frames: list[pd.DataFrame] = []
    defaults: dict[object, Default] = {}
    for name, mask in masks.items():
        rows = counts.loc[mask, ["area", "month", "minor", "count"]]
        by_minor = rows.groupby("minor", observed=True)["count"].sum()
        picks = [(default_for(scheme, "minor", str(m)), float(n)) for m, n in by_minor.items()]
        packaged = [(d, n) for d, n in picks if d.source != GENERIC_SOURCE]
        weight = sum(n for _, n in packaged)
        if packaged and weight > 0:
            sigma2 = sum(d.sigma2 * n for d, n in packaged) / weight
            defaults[name] = Default(
                sigma2, f"count-weighted packaged values of its categories ({packaged[0][0].source})"
            )
        else:
            defaults[name] = Default(GENERIC_SD**2, GENERIC_SOURCE)
        frames.append(rows.assign(measure=name))
    if source == "packaged" or not frames:
        return {
            str(k): YearVariance(d.sigma2, None, 0, 0, d.sigma2, d.source) for k, d in defaults.items()
        }, []
    # every month of the extract is a column: a month in which no measure has an offence is 0, not a gap
    # (a gap would drop the year pair of a sparse measure, such as gun crime, tested on its own)
    months = sorted(counts["month"].unique())
    wide = monthly_matrix(pd.concat(frames), "measure").reindex(columns=months, fill_value=0.0)
    out, labels = year_variances(wide, window, last_later, defaults)
    return {str(k): v for k, v in out.items()}, labels


def breakdown_variances(
    all_counts: pd.DataFrame,
    rows: pd.DataFrame,
    key: str,
    scheme: str,
    window: list[pd.Period] | tuple[pd.Period, ...],
    last_later: pd.Period,
) -> dict[object, YearVariance]:
    """Year-level variances for a breakdown of ``rows`` (one area's selected rows) by ``key``.

    Minor categories pool over every area of the extract (``all_counts``); subareas (wards, LSOAs) have
    only their own history, shrunk toward the generic default.
    """
    if key == "minor":
        pool = all_counts[all_counts["minor"].isin(rows["minor"].unique())]
        return category_variances(pool, ["minor"], scheme, window, last_later)[0]
    return category_variances(rows, [key], scheme, window, last_later)[0]


def single_category(counts: pd.DataFrame, mask: pd.Series) -> tuple[list[str], str] | None:
    """The category a measure is, when ``mask`` selects exactly one whole category of ``counts``:
    (key columns, level) for ``category_variances``, else None (the measure spans categories or parts)."""
    rows = counts.loc[mask]
    if not len(rows):
        return None
    majors = rows["major"].unique()
    if len(majors) == 1 and int(mask.sum()) == int((counts["major"] == majors[0]).sum()):
        return ["major"], "major"
    minors = rows["minor"].unique()
    if len(minors) == 1 and int(mask.sum()) == int((counts["minor"] == minors[0]).sum()):
        return ["minor"], "minor"
    return None


def measure_variance(
    counts: pd.DataFrame,
    mask: pd.Series,
    scheme: str,
    window: list[pd.Period] | tuple[pd.Period, ...],
    last_later: pd.Period,
    source: str = "data",
) -> YearVariance | None:
    """The year-level variance of one measure: its own pooled variance (``mask`` selects its rows of
    ``counts``, every area's crime rows), as ``measure_variances`` estimates it, with two differences:

    - a measure that is exactly one category is shrunk toward that category's own packaged value, as
      ``category_variances`` does (same pooled pairs), so it gets the variance ``baseline`` gives the
      category;
    - a month of ``counts`` in which the measure has no offences counts as 0, not as a gap: a sparse
      measure (a few firearms offences a month) keeps its year-on-year pairs.

    None when the measure selects no rows."""
    if source not in VARIANCE_SOURCES:
        raise ValueError(f"variance source must be one of {', '.join(VARIANCE_SOURCES)}, not {source!r}")
    rows = counts.loc[mask, ["area", "month", "count"]]
    if not len(rows):
        return None
    one = single_category(counts, mask)
    if one is not None:
        keys, level = one
        name = str(counts.loc[mask, keys[0]].iloc[0])
        default = default_for(scheme, level, name)
    else:
        found, _ = measure_variances(counts, {"measure": mask}, scheme, window, last_later, "packaged")
        default = Default(found["measure"].sigma2_default, found["measure"].default_source)
    if source == "packaged":
        return YearVariance(default.sigma2, None, 0, 0, default.sigma2, default.source)
    months = sorted(counts["month"].unique())
    wide = monthly_matrix(rows.assign(measure="measure"), "measure").reindex(columns=months, fill_value=0.0)
    out, _ = year_variances(wide, window, last_later, {"measure": default})
    return out["measure"]
