"""`csp-assess places`: where crime concentrates, at the finest level the data has.

Places are the counts table's ``subarea`` (Met ward files: the ward; police.uk street files: the LSOA),
or, with a lookup, the ward or neighbourhood each LSOA belongs to. For one area and year, and all crime,
a category or a priority, each place gets its count, its share of the area's total, its change on the
previous year (the tool's change test, through ``place_change_test`` only), its rank, and its rate per
1,000 residents where a population is given (never otherwise). Then:

* **Concentration**: the share of the area's offences in its top 5% and 10% of places (the top
  ceil(5% of places), by count), and the fewest places that hold half of the offences.
* **Persistent hotspots**: places in the top 10% this year that were in the top 10% last year too.
  Ranks are competition ranks (ties share the better rank), so a place tied at the boundary is in.
* **Seasonality**: the month-of-year index of the subject and of each measurable priority.

The places known are those with any record in the area in the extract (any month, any offence): the
data cannot show a place with no record at all. Records with no place (a blank ward, or an LSOA the
lookup does not have) stay in the area's total and are listed, never ranked. Pure: no files read here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp_assess.analysis.seasonality import SEASON_COLUMNS, SEASON_DETAIL, seasonal_row, seasonality_frame
from csp_assess.analysis.select import AreaArg, comparison_period, resolve_year, select_area
from csp_assess.analysis.stats import change_test
from csp_assess.analysis.trend import TrendOptions
from csp_assess.analysis.trend import _select_rows as select_subject
from csp_assess.analysis.yearvar import YearVariance, breakdown_variances, default_for
from csp_assess.errors import ConfigError, OptionError, SelectionError
from csp_assess.load.place_files import PlaceLookup, PlacePopulation
from csp_assess.model import ASB_MAJOR, Extract, level_name, record_noun
from csp_assess.periods import Period
from csp_assess.reference.priorities import PrioritySet
from csp_assess.result import Result, Table, reconciliation, source_record

PLACE_COLUMNS = [
    "rank",
    "place",
    "code",
    "count",
    "share_pct",
    "previous_count",
    "change",
    "change_pct",
    "significant",
    "population",
    "rate_per_1000",
]
PLACE_DETAIL = [
    "previous_rank",
    "top_5pct",
    "top_10pct",
    "persistent_hotspot",
    "cumulative_share_pct",
    "rate_note",
    "z",
    "p_value",
    "p_adjusted",
]
NO_PLACE = "(no place recorded)"
NOT_IN_LOOKUP = "(not in the places lookup)"
UNPLACED = (NO_PLACE, NOT_IN_LOOKUP)
_CODED = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]+)\)$")


@dataclass(frozen=True)
class PlaceSelection:
    """What a map of the result must draw: the areas, months and categories the table counted, and the
    files they came from (a map reads coordinates, which the counts table does not carry)."""

    areas: tuple[str, ...]  # area names as loaded (the parts of a merged partnership)
    label: str
    subject: str
    measure: str
    year: str
    months: tuple[pd.Period, ...]
    categories: frozenset[str]  # the major categories counted (police.uk: crime types)
    level: str
    total: int
    files: tuple[tuple[str, str, tuple[pd.Period, ...]], ...]  # (path, layout, months used)
    noun: str = "offences"  # what the counted records are: "incidents" for ASB alone (model.record_noun)


@dataclass
class PlacesOptions:
    area: AreaArg = None
    year: str | None = None
    category: str | None = None
    priority: str | None = None
    top: int | None = None  # rows shown; every figure is still worked out on all places
    start_month: int = 4


def split_place(label: str) -> tuple[str, str | None]:
    """``"Camden Town (E05013655)"`` -> (``"Camden Town"``, ``"E05013655"``); a label without a code -> (label, None)."""
    m = _CODED.match(label.strip())
    return (m.group("name"), m.group("code").strip()) if m else (label.strip(), None)


def place_change_test(
    previous: pd.Series, current: pd.Series, sigma2: np.ndarray | None = None
) -> pd.DataFrame:
    """The change test of every place between the two years, adjusted across the places: the tool's
    over-dispersed test, with each place's usual year-to-year variance (``sigma2``) where it is known."""
    return change_test(previous, current, adjust="holm", year_var=None if sigma2 is None else 2.0 * sigma2)


def competition_rank(counts: pd.Series) -> pd.Series:
    """1 for the largest count; ties share the better rank (1, 2, 2, 4)."""
    return counts.rank(method="min", ascending=False).astype("int64")


def top_k(n_places: int, fraction: float) -> int:
    """How many places make the top ``fraction`` of ``n_places`` (at least one when there are any)."""
    return math.ceil(round(n_places * fraction, 9)) if n_places else 0


def _place_labels(subareas: list[str], lookup: PlaceLookup | None) -> tuple[dict[str, str], list[str]]:
    """Each subarea's place (itself, or its lookup place) and the subareas the lookup does not have."""
    out: dict[str, str] = {}
    missing: list[str] = []
    for s in subareas:
        if not s.strip():
            out[s] = NO_PLACE
            continue
        if lookup is None:
            out[s] = s
            continue
        _, code = split_place(s)
        place = lookup.place_of.get((code or "").upper())
        if place is None:
            missing.append(s)
            out[s] = NOT_IN_LOOKUP
        else:
            out[s] = place
    return out, missing


def _concentration(ranked: pd.Series, total: int) -> dict[str, object]:
    """Top 5% / 10% shares and the fewest places holding half of ``total``, from counts by place."""
    ordered = np.sort(ranked.to_numpy(dtype=np.int64))[::-1]
    n = len(ordered)
    out: dict[str, object] = {}
    for pct, frac in (("5", 0.05), ("10", 0.10)):
        k = top_k(n, frac)
        out[f"top_{pct}pct_places"] = k
        out[f"top_{pct}pct_count"] = int(ordered[:k].sum())
        out[f"top_{pct}pct_share"] = round(float(ordered[:k].sum()) / total * 100, 1) if total else None
    cum = np.cumsum(ordered)
    half = int(np.searchsorted(cum, total / 2.0, side="left")) + 1 if total else None
    if half is not None and (half > n or cum[half - 1] * 2 < total):
        half = None  # the unplaced records hold more than half
    out["half_offences_places"] = half
    out["half_offences_places_pct"] = round(half / n * 100, 1) if half and n else None
    return out


def build_places(
    extract: Extract,
    opts: PlacesOptions,
    pset: PrioritySet | None = None,
    lookup: PlaceLookup | None = None,
    population: PlacePopulation | None = None,
) -> tuple[Result, PlaceSelection]:
    """The places table, concentration and seasonality (a ``Result``), and what a map of it must draw."""
    if opts.category and opts.priority:
        raise OptionError("give {category} or {priority}, not both", params=["category", "priority"])
    if opts.top is not None and opts.top < 1:
        raise SelectionError(f"{{top}} must be 1 or more, not {opts.top}", params=["top"])
    sel = select_area(extract, opts.area)
    if "subarea" not in sel.counts.columns:
        raise SelectionError(
            f"the data has no level below the area (it is {extract.level}-level): places needs Met ward "
            "files or police.uk street files"
        )
    warnings = list(extract.warnings) + sel.warnings
    counts = sel.counts.assign(subarea=sel.counts["subarea"].astype(str))
    labels, missing = _place_labels(sorted(counts["subarea"].unique().tolist()), lookup)
    counts = counts.assign(place=counts["subarea"].map(labels))
    level = lookup.level if lookup is not None else extract.level
    name = level_name(level)
    data_level = level_name(extract.level)
    if lookup is not None:
        if len(missing) == len(labels):
            raise ConfigError(
                f"none of the {len(labels)} {data_level} codes of {sel.label} is in the {{places_lookup}} "
                f"file: its first column must hold {extract.level.upper()} codes such as "
                f"{split_place(missing[0])[1] or missing[0]}",
                file=lookup.path,
                params=["places_lookup"],
            )
        if missing:
            listed = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            warnings.append(
                f"{len(missing)} {data_level}(s) of {sel.label} are not in {lookup.path}; their records "
                f"are counted as '{NOT_IN_LOOKUP}': {listed}"
            )

    covered = extract.months_covered
    rows, what, measure, w = select_subject(
        counts, TrendOptions(category=opts.category, priority=opts.priority), pset, extract.scheme
    )
    warnings += w
    period, w = resolve_year(opts.year, covered, opts.start_month)
    warnings += w
    prev, w = comparison_period(period, period.fy.shift(-1), covered, "previous year")
    warnings += w

    universe = sorted(p for p in counts["place"].unique().tolist() if p not in UNPLACED)
    this = _by_place(rows, period)
    before = _by_place(rows, prev) if prev is not None else None
    total = int(this.sum())
    noun = record_noun(rows["major"].unique())  # ASB is incidents, never offences
    variances = (
        breakdown_variances(rows, rows, "place", extract.scheme, period.months, max(prev.months))
        if prev is not None
        else None
    )
    frame, conc = _place_table(universe, this, before, total, variances)
    notes = [reconciliation(extract)]
    if variances:
        notes.append(
            "Change tests allow for each place's usual year-to-year variation, estimated from its own "
            "earlier years and shrunk toward a generic default (places have little history)"
        )
    pop_meta = _rates(frame, population, period, name, notes)

    seasons = _seasonality(counts, covered, what, measure, opts, pset, extract.scheme, notes)
    shown = frame if opts.top is None else frame.head(opts.top)
    n = len(universe)
    unplaced = frame[frame["place"].isin(UNPLACED)]
    if len(unplaced):
        notes.append(f"{int(unplaced['count'].sum()):,} {noun} have no {name}: in the total, not ranked")
    if opts.top is not None and opts.top < len(frame):
        notes.append(f"Showing the top {opts.top} of {len(frame)} rows; every figure uses all {n} places")
    if what != "All crime" and (rows["major"] == ASB_MAJOR).any():
        notes.append("This measure includes anti-social behaviour incidents, which are not crimes")
    notes.append(
        f"Places are the {n} {name}s with any record in {sel.label} in the data; a place with no record "
        "at all cannot be seen. Ranks are competition ranks: tied places share the better rank"
    )
    persistent = frame[frame["persistent_hotspot"].fillna(False).astype(bool)]["place"].tolist()
    tables = {
        "rows": Table(
            shown.reset_index(drop=True),
            PLACE_COLUMNS,
            f"{what} by {name}, {period.label}",
            PLACE_DETAIL,
        ),
        "seasonality": Table(
            seasons, SEASON_COLUMNS, "Month of year (100 = an average month)", SEASON_DETAIL
        ),
    }
    headline = _headline(sel.label, what, period, name, n, total, conc, noun, int(unplaced["count"].sum()))
    meta: dict[str, object] = {
        "area": sel.label,
        "subject": what,
        "measure": measure,
        "year": period.label,
        "previous_year": prev.fy.label if prev else None,
        "level": level,
        "places": n,
        "total": total,
        "counted_as": noun,
        "previous_total": int(before.sum()) if before is not None else None,
        **conc,
        "persistent_hotspots": len(persistent) if prev is not None else None,
        "persistent_hotspot_places": persistent if prev is not None else None,
        **pop_meta,
        "places_lookup": lookup.path if lookup is not None else None,
        "rows_shown": len(shown),
        "headline": headline,
    }
    result = Result(
        command="places",
        meta=meta,
        tables=tables,
        sources=[source_record(s) for s in extract.sources],
        warnings=warnings,
        title=headline,
        notes=notes,
    )
    in_year = rows[rows["month"].isin(pd.PeriodIndex(list(period.months), freq="M"))]
    selection = PlaceSelection(
        areas=sel.parts or tuple(str(a) for a in counts["area"].unique().tolist()),
        label=sel.label,
        subject=what,
        measure=measure,
        year=period.label,
        months=period.months,
        categories=frozenset(str(m) for m in in_year["major"].unique().tolist()),
        level=name,
        total=total,
        noun=noun,
        files=tuple((s.path, s.layout, tuple(s.months_used)) for s in extract.sources),
    )
    return result, selection


def _by_place(rows: pd.DataFrame, period: Period) -> pd.Series:
    months = pd.PeriodIndex(list(period.months), freq="M")
    sel = rows[rows["month"].isin(months)]
    return sel.groupby("place", observed=True)["count"].sum().astype("int64")


def _place_table(
    universe: list[str],
    this: pd.Series,
    before: pd.Series | None,
    total: int,
    variances: dict[object, YearVariance] | None = None,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """One row per place (ranked places first, by count), and the concentration figures."""
    now = this.reindex(universe).fillna(0).astype("int64")
    frame = pd.DataFrame({"place": universe, "count": now.to_numpy()})
    split = [split_place(p) for p in universe]
    frame["code"] = [c for _, c in split]
    frame["rank"] = competition_rank(frame["count"]).to_numpy() if len(frame) else []
    conc = _concentration(frame["count"], total)
    frame["top_5pct"] = frame["rank"] <= conc["top_5pct_places"]
    frame["top_10pct"] = frame["rank"] <= conc["top_10pct_places"]
    if before is not None:
        prev = before.reindex(universe).fillna(0).astype("int64")
        frame["previous_count"] = prev.to_numpy()
        frame["previous_rank"] = competition_rank(frame["previous_count"]).to_numpy() if len(frame) else []
        frame["change"] = frame["count"] - frame["previous_count"]
        frame["change_pct"] = [
            round((c - p) / p * 100, 1) if p else None
            for c, p in zip(frame["count"], frame["previous_count"], strict=True)
        ]
        sigma2 = (
            np.array([variances[p].sigma2 if p in variances else np.nan for p in universe], dtype=np.float64)
            if variances
            else None
        )
        if sigma2 is not None and np.isnan(sigma2).any():
            sigma2 = np.where(np.isnan(sigma2), default_for("", "", "").sigma2, sigma2)
        tests = place_change_test(frame["previous_count"], frame["count"], sigma2).reset_index(drop=True)
        for col in ("z", "p_value", "p_adjusted", "significant"):
            frame[col] = tests[col].to_numpy()
        frame["z"] = frame["z"].round(2)
        frame["persistent_hotspot"] = frame["top_10pct"] & (
            frame["previous_rank"] <= conc["top_10pct_places"]
        )
    else:
        for col in ("previous_count", "previous_rank", "change", "change_pct", "z", "p_value", "p_adjusted"):
            frame[col] = None
        frame["significant"] = None
        frame["persistent_hotspot"] = None
    frame = frame.sort_values(["count", "place"], ascending=[False, True], kind="mergesort")
    # Records with no place: in the total, listed after the places, never ranked.
    extra: list[dict[str, object]] = []
    for p in UNPLACED:
        now_p = int(this.get(p, 0))
        before_p = int(before.get(p, 0)) if before is not None else None
        if now_p or before_p:
            row: dict[str, object] = {"place": p, "count": now_p, "code": None}
            if before_p is not None:
                row.update(previous_count=before_p, change=now_p - before_p)
            extra.append(row)
    if extra:
        frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    frame["share_pct"] = (frame["count"] / total * 100).round(1) if total else None
    frame["cumulative_share_pct"] = (frame["count"].cumsum() / total * 100).round(1) if total else None
    frame.loc[frame["place"].isin(UNPLACED), "cumulative_share_pct"] = None
    for col in ("rank", "previous_count", "previous_rank", "change"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    for col in ("change_pct", "share_pct", "cumulative_share_pct", "z", "p_value", "p_adjusted"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in ("top_5pct", "top_10pct", "significant", "persistent_hotspot"):
        frame[col] = pd.array(
            [None if v is None or (isinstance(v, float) and math.isnan(v)) else bool(v) for v in frame[col]],
            dtype="boolean",
        )
    return frame.reset_index(drop=True), conc


def _rates(
    frame: pd.DataFrame, population: PlacePopulation | None, period: Period, level: str, notes: list[str]
) -> dict[str, object]:
    """Fill population and rate_per_1000 where the file has the place; say which year and which have none."""
    frame["population"] = pd.array([None] * len(frame), dtype="Int64")
    frame["rate_per_1000"] = np.nan
    frame["rate_note"] = None
    if population is None:
        frame["rate_note"] = "no population file"
        return {"population_file": None, "population_year": None}
    year = population.denominator_year(period.fy.start_year)
    pops = population.for_year(year)
    placed = ~frame["place"].isin(UNPLACED)
    keys = [
        (code or name).upper() for name, code in (split_place(p) for p in frame["place"])
    ]  # a place with no code (a lookup without place codes) is matched by its name
    values = [pops.get(k) if ok else None for k, ok in zip(keys, placed, strict=True)]
    frame["population"] = pd.array(values, dtype="Int64")
    frame["rate_per_1000"] = [
        round(c / v * 1000, 2) if v else np.nan for c, v in zip(frame["count"], values, strict=True)
    ]
    year_text = f"{year} estimate" if year is not None else "year not given in the file"
    frame["rate_note"] = [
        f"population {year_text}" if v else ("not a place" if not ok else "no population in the file")
        for v, ok in zip(values, placed, strict=True)
    ]
    without = [p for p, v, ok in zip(frame["place"], values, placed, strict=True) if ok and not v]
    with_pop = int(placed.sum()) - len(without)
    notes.append(
        f"Rates per 1,000 residents use {population.path} ({year_text}) for {with_pop} {level}s"
        + (
            f"; {len(without)} {level}(s) have no population there and so no rate: "
            + ", ".join(without[:5])
            + (" ..." if len(without) > 5 else "")
            if without
            else ""
        )
    )
    used = set(keys)
    unused = sorted(set(pops) - used)
    if unused:
        notes.append(f"{len(unused)} code(s) in {population.path} are not places of this area: not used")
    return {
        "population_file": population.path,
        "population_year": year,
        "places_with_population": with_pop,
        "places_without_population": len(without),
    }


def _seasonality(
    counts: pd.DataFrame,
    covered: list[pd.Period],
    what: str,
    measure: str,
    opts: PlacesOptions,
    pset: PrioritySet | None,
    scheme: str,
    notes: list[str],
) -> pd.DataFrame:
    """The subject's month-of-year index; for all crime, also every priority measurable here."""
    subject_rows, _, _, _ = select_subject(
        counts, TrendOptions(category=opts.category, priority=opts.priority), pset, scheme
    )
    out = [seasonal_row(subject_rows, covered, what, measure)]
    if not opts.category and not opts.priority and pset is not None:
        skipped = []
        for p in pset.priorities:
            m = p.measure_for(scheme)
            if m is None or m.not_measurable:
                skipped.append(p.name)
                continue
            rows, name, desc, _ = select_subject(counts, TrendOptions(priority=p.name), pset, scheme)
            out.append(seasonal_row(rows, covered, name, desc))
        if skipped:
            notes.append(f"No seasonality for priorities this data cannot measure: {', '.join(skipped)}")
    frame = seasonality_frame(out)
    if frame["peak_months"].isna().any():
        notes.append("Peak months need every calendar month in the data: not named where some are missing")
    return frame


def _headline(
    area: str,
    what: str,
    period: Period,
    level: str,
    n: int,
    total: int,
    conc: dict[str, object],
    noun: str = "offences",
    unplaced: int = 0,
) -> str:
    if not total:
        return f"{area}: no {what.lower()} {noun} recorded in {period.label} in its {n} {level}s"
    half = conc["half_offences_places"]

    def places(k: object) -> str:
        return f"{k} {level}" + ("" if k == 1 else "s")

    half_text = f"; half of them in {places(half)}" if half else ""
    # Records with no place are in the total but in none of the places: never imply they are placed.
    where = (
        f", {total - unplaced:,} of them in {n} {level}s and {unplaced:,} with no {level}"
        if unplaced
        else f" in {n} {level}s"
    )
    return (
        f"{area}, {what.lower()}, {period.label}: {total:,} {noun}{where}; the top 10% "
        f"({places(conc['top_10pct_places'])}) hold {conc['top_10pct_share']}%{half_text}"
    )
