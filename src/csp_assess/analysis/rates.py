"""Rates and context: offences per 1,000 residents, and an area beside all areas and its rank among them.

``--population`` is either a number (the selected area's residents) or a CSV file with columns
``area,population`` (case-insensitive area names; extra columns ignored). Pseudo-areas that are not
boroughs (``Unknown``, the airports, Aviation Security) count towards the all-areas total but are never
ranked, and the output says so.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csp_assess.analysis.select import crime_only, period_counts
from csp_assess.errors import ConfigError
from csp_assess.model import Extract
from csp_assess.periods import Period
from csp_assess.smallfile import read_small_text

PSEUDO_AREAS = frozenset(
    {
        "unknown",
        "london heathrow and london city airports",
        "aviation security (so18)",
        "no location",
    }
)
CONTEXT_COLUMNS = ["area", "count", "rank", "rate_per_1000", "rate_rank", "ranked"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def is_pseudo_area(name: str) -> bool:
    return _norm(name) in PSEUDO_AREAS


def per_thousand(count: int | float, population: int) -> float | None:
    if population <= 0:
        return None
    return round(float(count) / population * 1000.0, 2)


#: No area has more residents than this (the UK has ~68 million): a larger figure is a typo, and 1e308 or
#: inf made every rate 0.0 or an internal error (OverflowError).
MAX_POPULATION = 1_000_000_000


def _residents(raw: str) -> int | None:
    """A whole number of residents from ``215,000``, ``215000`` or ``215000.0`` (as Excel may save it);
    None if it is not one, or is 0, negative or beyond ``MAX_POPULATION``."""
    text = raw.replace(",", "").replace("_", "").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or not value.is_integer() or not 0 < value <= MAX_POPULATION:
        return None
    return int(value)


def read_populations(path: Path) -> dict[str, int]:
    """{normalised area: population} from a CSV with ``area`` and ``population`` columns; an area given
    twice is an error (the second row silently won)."""
    text = read_small_text(path, "population")
    reader = csv.DictReader(text.splitlines())
    fields = {(_norm(f) if f else ""): f for f in (reader.fieldnames or [])}
    if "area" not in fields or "population" not in fields:
        raise ConfigError("population file needs columns 'area' and 'population'", file=str(path), line=1)
    out: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, row in enumerate(reader, start=2):
        raw = (row.get(fields["population"]) or "").strip()
        value = _residents(raw)
        if value is None:
            raise ConfigError(
                f"population '{raw}' is not a whole number of residents above 0 (at most {MAX_POPULATION:,})",
                file=str(path),
                line=i,
            )
        area = _norm(row.get(fields["area"]) or "")
        if area in first:
            raise ConfigError(
                f"area '{(row.get(fields['area']) or '').strip()}' is given twice (line {first[area]} and this "
                "one): keep one row per area",
                file=str(path),
                line=i,
            )
        first[area] = i
        out[area] = value
    return out


def parse_population(spec: str) -> int | dict[str, int]:
    """A number (``215,000`` or ``215000``) or the path of an area,population CSV."""
    raw = spec.replace(",", "").replace("_", "").strip()
    if raw.isdigit():
        value = int(raw)
        if value <= 0:
            raise ConfigError("{population} must be above 0", params=["population"])
        if value > MAX_POPULATION:
            raise ConfigError(
                f"{{population}} {spec} is more than any area's (at most {MAX_POPULATION:,})",
                params=["population"],
            )
        return value
    if not Path(spec).exists() and re.fullmatch(
        r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|nan)", raw, re.I
    ):
        raise ConfigError(
            f"{{population}} {spec!r} is not a whole number of residents above 0 (or an area,population CSV file)",
            params=["population"],
        )
    return read_populations(Path(spec))


def population_for(spec: str, area: str) -> tuple[int | None, list[str]]:
    pops = parse_population(spec)
    if isinstance(pops, int):
        return pops, []
    if _norm(area) in pops:
        return pops[_norm(area)], []
    if _norm(area) == "all areas":
        return None, ["no single population for all areas: rates are shown per area in the boroughs table"]
    return None, [f"the population file has no row for {area}: no rate shown"]


@dataclass
class RateContext:
    meta: dict[str, Any]
    table: pd.DataFrame
    columns: list[str] = field(default_factory=lambda: list(CONTEXT_COLUMNS))
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


SPILL_OVER_SHARE = 0.005  # an area with under 0.5% of a police.uk extract's offences is not one of its own


def borough_context(
    extract: Extract, area: str, period: Period, population: str | None = None
) -> RateContext | None:
    """For a multi-area extract and one chosen area: all areas' totals, and the area's rank among boroughs."""
    areas = extract.areas
    if len(areas) < 2 or area not in areas:
        return None
    totals = (
        period_counts(crime_only(extract.counts), period, ["area"]).reindex(areas).fillna(0).astype("int64")
    )
    frame = pd.DataFrame({"area": totals.index, "count": totals.to_numpy()})
    frame["ranked"] = ~frame["area"].map(is_pseudo_area)
    # A police force's file names the local authority of each LSOA, so a few crimes recorded just over the
    # boundary make "areas" that are not the force's own: they are not ranked beside its districts.
    spill = pd.Series(False, index=frame.index)
    if not extract.scheme.startswith("met") and int(frame["count"].sum()):
        spill = frame["ranked"] & (frame["count"] < SPILL_OVER_SHARE * frame["count"].sum())
        frame.loc[spill, "ranked"] = False
    spill_names = set(frame.loc[spill, "area"])
    real = frame[frame["ranked"]]
    frame["rank"] = real["count"].rank(ascending=False, method="min").astype("Int64")
    frame["rank"] = frame["rank"].astype("Int64")
    pops = parse_population(population) if population is not None else None
    frame["rate_per_1000"] = None
    frame["rate_rank"] = pd.Series([pd.NA] * len(frame), dtype="Int64")
    warnings: list[str] = []
    if isinstance(pops, dict):
        frame["rate_per_1000"] = [
            per_thousand(c, pops[_norm(a)]) if _norm(a) in pops else None
            for a, c in zip(frame["area"], frame["count"], strict=True)
        ]
        frame["rate_per_1000"] = frame["rate_per_1000"].astype("float64")
        rated = frame["ranked"] & frame["rate_per_1000"].notna()
        frame.loc[rated, "rate_rank"] = (
            frame.loc[rated, "rate_per_1000"].rank(ascending=False, method="min").astype("Int64")
        )
        no_pop = frame.loc[frame["ranked"] & frame["rate_per_1000"].isna(), "area"].tolist()
        if no_pop:
            warnings.append(f"no population for {', '.join(no_pop[:10])}: not ranked by rate")
    frame = frame.sort_values(["ranked", "count"], ascending=[False, False], kind="mergesort").reset_index(
        drop=True
    )
    excluded = frame.loc[~frame["ranked"] & ~frame["area"].isin(spill_names), "area"].tolist()
    spilled = frame.loc[frame["area"].isin(spill_names), "area"].tolist()
    row = frame[frame["area"] == area].iloc[0]
    all_total = int(frame["count"].sum())
    london = extract.scheme.startswith("met")
    label = "London (all areas in the extract)" if london else "all areas in the extract"
    meta: dict[str, Any] = {
        "all_areas_label": label,
        "all_areas_total": all_total,
        "area_share_pct": round(int(row["count"]) / all_total * 100, 1) if all_total else None,
        "rank_among_boroughs": int(row["rank"]) if bool(row["ranked"]) else None,
        "boroughs_ranked": int(frame["ranked"].sum()),
        "excluded_from_rank": excluded,
        "spill_over_areas": spilled,
    }
    if isinstance(pops, dict) and frame["rate_per_1000"].notna().any():
        known = frame[frame["rate_per_1000"].notna()]
        pop_sum = sum(pops[_norm(a)] for a in known["area"])
        rate = per_thousand(int(known["count"].sum()), pop_sum)
        # Only a rate over every ranked area is the all-areas rate: before, with populations for 3 of 9
        # Leicestershire districts, all_areas_rate_per_1000 was the rate of those 3 alone.
        missing = frame["ranked"] & frame["rate_per_1000"].isna()
        meta["all_areas_rate_per_1000"] = None if missing.any() else rate
        meta["rated_areas_rate_per_1000"] = rate
        meta["rated_areas"] = known["area"].tolist()
        if missing.any():  # said on the "no population for ..." warning
            warnings[-1] += (
                f"; so no all-areas rate (the {len(known)} area(s) with a population: {rate} offences per "
                "1,000 together)"
            )
        meta["rate_rank_among_boroughs"] = None if pd.isna(row["rate_rank"]) else int(row["rate_rank"])
    notes = []
    rank_text = (
        f"ranked {meta['rank_among_boroughs']} of {meta['boroughs_ranked']} by offences"
        if meta["rank_among_boroughs"] is not None
        else "not ranked (not a borough)"
    )
    notes.append(
        f"{area}: {int(row['count']):,} of {all_total:,} offences in {label} ({meta['area_share_pct']}%), "
        f"{rank_text}"
    )
    if excluded:
        notes.append(
            f"Left out of ranks (not boroughs): {', '.join(excluded)}; their offences are in the total"
        )
    if spilled:
        shown = ", ".join(spilled[:8]) + (f" and {len(spilled) - 8} more" if len(spilled) > 8 else "")
        notes.append(
            f"Ranked: the {meta['boroughs_ranked']} areas holding at least {SPILL_OVER_SHARE:.1%} of the "
            f"extract's offences. Not ranked: {len(spilled)} spill-over area(s) with fewer (crimes the force "
            f"recorded just outside its own districts: {shown}); their offences are in the total"
        )
    return RateContext(meta=meta, table=frame, notes=notes, warnings=warnings)
