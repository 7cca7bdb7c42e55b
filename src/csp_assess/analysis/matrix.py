"""The prioritisation matrix: every candidate issue scored 1-5 on stated scales, then weighted and ordered.

Partnerships do not choose priorities on volume, harm and cost alone: a board workshop adds public
concern, vulnerability, capacity and risk (MoRiLE-style scoring). So the matrix has two halves. The
computed half (volume, harm and cost shares, the trend against each issue's usual year-to-year variation,
the rate where a population is given) comes from the same figures as ``rank``; the workshop half comes from the scoring
file. A computed score the file changes is used but shown as an override, with the computed value beside
it, so nobody can quietly move an issue up the list. Scales and rules live in ``reference.scoring_file``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from csp_assess.analysis.priorities import measure_mask
from csp_assess.analysis.rank_options import RankOptions, resolve_weights
from csp_assess.analysis.select import comparison_period, crime_only, resolve_year, select_area
from csp_assess.analysis.usual_change import rule, signature, unusual_changes, words
from csp_assess.analysis.yearvar import (
    YearVariance,
    category_variances,
    default_for,
    measure_variances,
    summary_words,
)
from csp_assess.errors import SelectionError
from csp_assess.model import ASB_MAJOR, Extract
from csp_assess.periods import Period
from csp_assess.reference.ho_codes import code_mix
from csp_assess.reference.priorities import PrioritySet
from csp_assess.reference.scoring_file import (
    CHART_RULE,
    COMPUTED_KEYS,
    DIMENSION_KEYS,
    DIMENSIONS,
    RATE_BANDS,
    SHARE_BANDS,
    TOTAL_RULE,
    WORKSHOP_KEYS,
    ScoringFile,
    band,
)
from csp_assess.result import Result, Table

MATRIX_COLUMNS = ["order", "issue", "kind", *DIMENSION_KEYS, "total", "likelihood", "impact", "overrides"]
# What a narrow terminal sheds first (render.table.fit_columns): the overrides text (the warnings repeat
# it) and the kind, then capacity and reputational risk (they count in the total only), then the scores
# the likelihood and impact means summarise, workshop scores after computed ones; likelihood, impact and
# the harm score go last, and the order, issue and total stay.
MATRIX_DROP_ORDER = [
    "overrides",
    "kind",
    "reputational_risk",
    "capacity",
    "rate",
    "trend",
    "volume",
    "cost",
    "vulnerability",
    "public_concern",
    "likelihood",
    "impact",
    "harm",
]
MATRIX_DETAIL = [
    "computed_total",
    "computed_order",
    "count",
    "previous_count",
    "change_pct",
    "volume_share",
    "harm_share",
    "cost_share",
    "rate_per_1000",
    "trend_p_value",
    "trend_p_adjusted",
    "year_sd",
    "measure",
    "horizon",
    "note",
]


@dataclass
class Computed:
    """The computed half for one area and year: one row per candidate issue, and what it rests on."""

    frame: pd.DataFrame
    area: str
    year: str
    previous: str | None
    population: float | None
    alpha: float
    priorities: str = ""
    warnings: list[str] = field(default_factory=list)
    variance: str = "data"  # where the trend test's year-level variance came from (yearvar.VARIANCE_SOURCES)
    variance_method: str = ""  # that in one sentence, for the methods notes
    tested: int = 0  # distinct measures in the trend test's Holm family


def _norm(s: str) -> str:
    return " ".join(str(s).split()).casefold()


def _sum_weighted(sel: pd.DataFrame, weight: dict[tuple[str, str], float]) -> float:
    """Sum of count x weight over the selection's categories; NaN when none has a weight."""
    by = sel.groupby(["major", "minor"], sort=True)["count"].sum()
    w = np.array([weight.get(k, np.nan) for k in by.index], dtype=float)
    if not len(w) or np.isnan(w).all():
        return float("nan") if len(w) else 0.0
    return float(np.nansum(by.to_numpy(dtype=float) * w))


def computed_issues(
    extract: Extract,
    opts: RankOptions,
    pset: PrioritySet,
    ranked: pd.DataFrame,
    candidates: list[str],
    population: float | None,
) -> Computed:
    """Each priority of the set, then each top-N or candidate category no priority counts, with shares,
    the trend test (one Holm family of the distinct measures, calibrated for each one's year-level variance,
    through ``usual_change``) and the 1-5 computed scores."""
    sel = select_area(extract, opts.area)
    covered = extract.months_covered
    period, _ = resolve_year(opts.year, covered, opts.start_month)
    previous, _ = comparison_period(period, period.fy.shift(-1), covered, "previous year")
    counts = sel.counts
    crimes = crime_only(counts)
    cats = crimes[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
    weights, _ = resolve_weights(
        cats,
        extract.scheme,
        opts.harm_index,
        opts.weight_overrides,
        opts.uprating,
        ho_codes=code_mix(extract.counts),
    )
    keys = list(zip(weights["major"], weights["minor"], strict=True))
    harm_w = dict(zip(keys, weights["harm_weight"], strict=True))
    cost_w = dict(zip(keys, weights["unit_cost_gbp"], strict=True))
    totals = {
        "count": float(ranked["count"].sum()),
        "harm": float(ranked["harm"].sum(skipna=True)),
        "cost": float(ranked["cost_gbp"].sum(skipna=True)),
    }
    months = set(period.months)
    prev_months = set(previous.months) if previous else set()
    rows: list[dict[str, Any]] = []
    measured: set[str] = set()
    masks: dict[str, pd.Series] = {}  # every-area rows of each distinct priority measure, by test key
    for pdef in pset.priorities:
        measure = pdef.measure_for(extract.scheme)
        row: dict[str, Any] = {"issue": pdef.name, "kind": "priority", "class": pdef.klass}
        if measure is None or measure.not_measurable:
            why = (
                measure.not_measurable if measure and measure.not_measurable else "no measure for this layout"
            )
            rows.append({**row, "measure": "", "note": f"not measurable from this extract: {why}"})
            continue
        s = counts[measure_mask(counts, measure)]
        now = s[s["month"].isin(months)]
        asb_only = len(s) > 0 and bool((s["major"] == ASB_MAJOR).all())
        row.update(
            measure=measure.describe(),
            note=f"proxy: {measure.proxy}" if measure.proxy else "",
            count=float(now["count"].sum()),
            previous_count=float(s.loc[s["month"].isin(prev_months), "count"].sum())
            if previous
            else math.nan,
            harm=math.nan if asb_only else _sum_weighted(now, harm_w),
            cost=math.nan if asb_only else _sum_weighted(now, cost_w),
            asb=asb_only,
        )
        if not len(s):
            row["note"] = f"its categories ({measure.describe()}) are not in this extract"
        every = measure_mask(extract.counts, measure)
        row["test_key"] = repr(signature(extract.counts, every, measure))
        masks.setdefault(row["test_key"], every)
        measured.update(_norm(v) for col in ("major", "minor") for v in s[col].unique())
        rows.append(row)
    # A category a priority already counts is that priority's issue, not a second one.
    listed = {_norm(r["issue"]) for r in rows} | measured
    for r in ranked.to_dict("records"):
        if r["category"] not in candidates or _norm(r["category"]) in listed:
            continue
        listed.add(_norm(r["category"]))
        rows.append(
            {
                "issue": str(r["category"]),
                "kind": "category",
                "class": "",
                "measure": str(r["category"]),
                "note": "",
                "count": float(r["count"]),
                "previous_count": float(r["previous_count"]) if previous else math.nan,
                "harm": float(r["harm"]) if pd.notna(r["harm"]) else math.nan,
                "cost": float(r["cost_gbp"]) if pd.notna(r["cost_gbp"]) else math.nan,
                "asb": False,
                "test_key": f"category: {r['category']}",
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("count", "previous_count", "harm", "cost"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame else math.nan
    frame["asb"] = frame["asb"].fillna(False).astype(bool) if "asb" in frame else False
    if "test_key" not in frame:
        frame["test_key"] = None
    variances: dict[str, YearVariance] = {}
    history: list[str] = []
    if previous is not None and opts.variance != "none":
        window, last = list(period.months), max(previous.months)
        variances, history = measure_variances(
            extract.counts, masks, extract.scheme, window, last, opts.variance
        )
        cat_names = [
            str(k)[len("category: ") :] for k in frame["test_key"] if str(k).startswith("category: ")
        ]
        if cat_names:
            crimes = crime_only(extract.counts)
            found, labels = category_variances(
                crimes[crimes[opts.level].isin(cat_names)],
                [opts.level],
                extract.scheme,
                window,
                last,
                opts.variance,
            )
            variances.update({f"category: {k}": v for k, v in found.items()})
            history = history or labels
    generic = default_for(extract.scheme, "all", "").sigma2
    sigma2 = (
        None
        if opts.variance == "none"
        else [variances[k].sigma2 if k in variances else generic for k in frame["test_key"]]
    )
    tested = _score(frame, totals, period, population, pset.rules.alpha, sigma2, opts.variance)
    frame["year_sd"] = [round(variances[k].sd, 3) if k in variances else math.nan for k in frame["test_key"]]
    if variances:
        method = summary_words(list(variances.values()), history)
    elif opts.variance == "none":
        method = "Counting noise only (variance none, exact test): year-to-year variation is not allowed for"
    else:
        method = "No trend tested (no previous year in the data)"
    return Computed(
        frame,
        sel.label,
        period.label,
        previous.label if previous else None,
        population,
        pset.rules.alpha,
        pset.source,
        variance=opts.variance,
        variance_method=method,
        tested=tested,
    )


def _share(value: float, total: float) -> float:
    return value / total * 100.0 if total and not math.isnan(value) else math.nan


def _score(
    frame: pd.DataFrame,
    totals: dict[str, float],
    period: Period,
    pop: float | None,
    alpha: float,
    sigma2: list[float] | None = None,
    variance: str = "data",
) -> int:
    """Fill the shares, rate, trend test and the 1-5 computed scores (with a short 'why' for each);
    returns how many distinct measures the trend test's Holm family held."""
    crime = ~frame["asb"]
    for key, col in (("volume", "count"), ("harm", "harm"), ("cost", "cost")):
        frame[f"{key}_share"] = [
            _share(v, totals[col]) if c else math.nan for v, c in zip(frame[col], crime, strict=True)
        ]
    per_year = 12.0 / len(period.months)
    frame["rate_per_1000"] = frame["count"] * per_year / pop * 1000.0 if pop else math.nan
    beyond, within = words(variance)
    keys = [
        str(k) if k is not None and not pd.isna(k) else f"row {i}" for i, k in enumerate(frame["test_key"])
    ]
    tests = unusual_changes(
        frame["previous_count"].to_numpy(), frame["count"].to_numpy(), alpha, sigma2=sigma2, groups=keys
    )
    frame["trend_p_value"] = tests["p_value"].to_numpy()
    frame["trend_p_adjusted"] = tests["p_adjusted"].to_numpy()
    sig = tests["significant"].to_numpy(dtype=bool)
    prev = frame["previous_count"].to_numpy(dtype=float)
    now = frame["count"].to_numpy(dtype=float)
    frame["change_pct"] = np.where(
        prev > 0, np.round((now - prev) / np.where(prev > 0, prev, 1) * 100, 1), np.nan
    )
    for key in ("volume", "harm", "cost"):
        frame[key] = [band(v, SHARE_BANDS) for v in frame[f"{key}_share"]]
        frame[f"{key}_why"] = [
            f"{v:.1f}% of the year's {'crimes' if key == 'volume' else key}" if not math.isnan(v) else ""
            for v in frame[f"{key}_share"]
        ]
    frame["rate"] = [band(v, RATE_BANDS) for v in frame["rate_per_1000"]]
    frame["rate_why"] = [
        f"{v:.2f} per 1,000 residents" if not math.isnan(v) else "" for v in frame["rate_per_1000"]
    ]
    trend: list[int | None] = []
    why: list[str] = []
    for a, b, s, pct in zip(prev, now, sig, frame["change_pct"], strict=True):
        if math.isnan(a) or math.isnan(b):
            trend.append(None)
            why.append("")
            continue
        word = f"{pct:+.1f}%" if not math.isnan(pct) else f"{a:,.0f} to {b:,.0f}"
        if s:
            trend.append(5 if b > a else 1)
            why.append(f"{word} on last year: {'rose' if b > a else 'fell'}, a change {beyond}")
        else:
            trend.append(3)
            why.append(f"{word} on last year: a change {within}")
    frame["trend"] = trend
    frame["trend_why"] = why
    for key in COMPUTED_KEYS:
        frame[key] = frame[key].astype("Int64")
    return len({k for k, t in zip(keys, tests["tested_with"], strict=True) if t >= 0})


def scoring_issues(computed: Computed) -> list[dict[str, Any]]:
    """The computed rows as the scoring file writes them, each score with what it rests on."""
    out = []
    for r in computed.frame.to_dict("records"):
        item: dict[str, Any] = {"name": r["issue"], "kind": r["kind"], "measure": r.get("measure") or ""}
        for key in COMPUTED_KEYS:
            v = r[key]
            item[key] = None if pd.isna(v) else int(v)
            item[f"{key}_why"] = r.get(f"{key}_why") or ""
        note = str(r.get("note") or "")
        if note.startswith(("not measurable", "its categories")):
            item["volume_why"] = note
        elif r.get("asb"):
            item["volume_why"] = "ASB incidents are not crimes: no crime, harm or cost share"
        out.append(item)
    return out


def _mean(values: list[int | None]) -> float:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 2) if known else math.nan


def weighted_total(scores: dict[str, int | None], weights: dict[str, float]) -> float:
    """sum(weight x score) / sum(weights of the scored dimensions); NaN when nothing is scored."""
    num = sum(weights[k] * s for k, s in scores.items() if s is not None)
    den = sum(weights[k] for k, s in scores.items() if s is not None)
    return round(num / den, 2) if den else math.nan


def _order(totals: list[float], names: list[str]) -> list[int]:
    """1 = highest total; ties broken by name, so the order is the same on every run."""
    idx = sorted(
        range(len(totals)), key=lambda i: (-(totals[i] if not math.isnan(totals[i]) else -1), names[i])
    )
    out = [0] * len(totals)
    for pos, i in enumerate(idx, start=1):
        out[i] = pos
    return out


def build_matrix(computed: Computed, scoring: ScoringFile | None) -> tuple[pd.DataFrame, list[str]]:
    """The matrix: the file's issues (or the computed ones), every dimension, the totals and the order."""
    weights = scoring.weights if scoring else dict.fromkeys(DIMENSION_KEYS, 1.0)
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in computed.frame.to_dict("records")
    ]
    by_name = {_norm(r["issue"]): r for r in records}
    warnings: list[str] = []
    rows: list[dict[str, Any]] = []
    entries = scoring.issues if scoring else []
    seen = set()
    for issue in entries:
        seen.add(_norm(issue.name))
        comp = by_name.get(_norm(issue.name))
        scores = dict(issue.scores)
        overrides = []
        if comp is not None:
            for key in COMPUTED_KEYS:
                c = None if pd.isna(comp[key]) else int(comp[key])
                if scores[key] != c:
                    shown = "empty" if scores[key] is None else str(scores[key])
                    overrides.append(f"{key} {shown} (computed {'none' if c is None else c})")
        note = (
            comp.get("note", "") if comp else "not computed from this extract: scores as entered in the file"
        )
        rows.append(
            _row(
                issue.name,
                comp["kind"] if comp else issue.kind,
                scores,
                comp,
                weights,
                overrides,
                note,
                issue.horizon,
            )
        )
        if overrides:
            warnings.append(
                f"{issue.name}: computed score overridden in {scoring.source if scoring else ''}: "
                + "; ".join(overrides)
            )
    missing = [r for r in records if _norm(r["issue"]) not in seen]
    if scoring and missing:
        warnings.append(
            f"{len(missing)} candidate issue(s) not in {scoring.source}, scored on computed dimensions only: "
            + ", ".join(str(r["issue"]) for r in missing)
        )
    for comp in missing:
        scores = {k: (None if pd.isna(comp[k]) else int(comp[k])) for k in COMPUTED_KEYS}
        scores.update(dict.fromkeys(WORKSHOP_KEYS))
        rows.append(_row(comp["issue"], comp["kind"], scores, comp, weights, [], comp.get("note", ""), ""))
    if scoring:
        for label, value in (
            ("area", computed.area),
            ("year", computed.year),
            ("priorities", computed.priorities),
        ):
            given = getattr(scoring, label)
            if given is not None and given != value:
                warnings.append(
                    f"{scoring.source} was written for {label} {given}, this matrix is for {value}"
                )
    frame = pd.DataFrame(rows)
    names = frame["issue"].tolist()
    frame["order"] = _order(frame["total"].tolist(), names)
    frame["computed_order"] = _order(frame["computed_total"].tolist(), names)
    frame = frame.sort_values("order").reset_index(drop=True)
    for key in DIMENSION_KEYS:
        frame[key] = frame[key].astype("Int64")
    return frame, warnings


def _row(
    name: str,
    kind: str,
    scores: dict[str, int | None],
    comp: dict[str, Any] | None,
    weights: dict[str, float],
    overrides: list[str],
    note: str,
    horizon: str,
) -> dict[str, Any]:
    computed_scores = {k: (None if comp is None or pd.isna(comp[k]) else int(comp[k])) for k in COMPUTED_KEYS}
    axis = {d.key: d.axis for d in DIMENSIONS}
    c = comp or {}
    return {
        "issue": name,
        "kind": kind,
        **scores,
        "total": weighted_total(scores, weights),
        "likelihood": _mean([scores[k] for k in DIMENSION_KEYS if axis[k] == "likelihood"]),
        "impact": _mean([scores[k] for k in DIMENSION_KEYS if axis[k] == "impact"]),
        "overrides": "; ".join(overrides),
        "computed_total": weighted_total(computed_scores, weights),
        "count": c.get("count", math.nan),
        "previous_count": c.get("previous_count", math.nan),
        "change_pct": c.get("change_pct", math.nan),
        "volume_share": _round(c.get("volume_share")),
        "harm_share": _round(c.get("harm_share")),
        "cost_share": _round(c.get("cost_share")),
        "rate_per_1000": _round(c.get("rate_per_1000")),
        "trend_p_value": _round(c.get("trend_p_value"), 4),
        "trend_p_adjusted": _round(c.get("trend_p_adjusted"), 4),
        "year_sd": _round(c.get("year_sd"), 3),
        "measure": c.get("measure", ""),
        "horizon": horizon,
        "note": note,
    }


def _round(v: Any, nd: int = 2) -> float:
    return math.nan if v is None or pd.isna(v) else round(float(v), nd)


def matrix_notes(computed: Computed, weights: dict[str, float]) -> list[str]:
    """The methods text: every scale, the trend rule, the total and the chart axes."""
    notes = [f"Matrix scale, {d.label}: {d.scale}" for d in DIMENSIONS]
    notes.append(
        f"Trend: {computed.year} against {computed.previous or 'no previous year'}; a change is "
        f"'{words(computed.variance)[0]}' by the {rule(computed.variance)} (alpha {computed.alpha:g}; "
        f"{computed.tested} distinct measures tested)"
    )
    notes.append(f"Trend year-level variance: {computed.variance_method}")
    if computed.population is None:
        notes.append("Rate: not scored (no population given)")
    else:
        notes.append(f"Rate: per 1,000 of a population of {computed.population:,.0f}")
    notes.append(
        "Anti-social behaviour incidents are not crimes: no crime, harm or cost share is scored for them"
    )
    notes.append(f"Matrix weights: {', '.join(f'{k} {weights[k]:g}' for k in DIMENSION_KEYS)}")
    notes.append(f"Matrix {TOTAL_RULE}; computed_total and computed_order use the computed scores alone")
    notes.append(f"Matrix {CHART_RULE}")
    return notes


def add_matrix(result: Result, computed: Computed, scoring: ScoringFile | None) -> None:
    """Put the matrix on a ranking's result: the table, its notes and any overrides as warnings."""
    frame, warnings = build_matrix(computed, scoring)
    weights = scoring.weights if scoring else dict.fromkeys(DIMENSION_KEYS, 1.0)
    source = f" ({scoring.source})" if scoring else ""
    result.tables["matrix"] = Table(
        frame,
        MATRIX_COLUMNS,
        f"Prioritisation matrix{source}: scores 1-5, weighted total",
        MATRIX_DETAIL,
        drop_order=MATRIX_DROP_ORDER,
    )
    result.notes.extend(matrix_notes(computed, weights))
    result.warnings.extend(computed.warnings + warnings)
    result.meta["scoring_file"] = scoring.source if scoring else None
    result.primary = "matrix"  # with a matrix, it is what the command is for: CSV writes it


def matrix_candidates(result: Result) -> list[str]:
    """The ranking's top-N categories, then its candidates (categories outside the set)."""
    ranked = result.tables["rows"].frame
    top_n = int(result.meta["candidate_top_n"])
    names = [str(c) for c in ranked.loc[ranked["rank"] <= top_n, "category"]]
    pri = result.tables["priorities"].frame
    if len(pri) and "class" in pri:
        names += [str(n) for n in pri.loc[pri["class"] == "candidate", "name"] if str(n) not in names]
    return names


def matrix_for(
    result: Result, extract: Extract, opts: RankOptions, pset: PrioritySet, population: str | float | None
) -> Computed:
    """The computed half of the matrix for a ranking already built with the same options."""
    from csp_assess.analysis.rates import population_for

    warnings: list[str] = []
    pop: float | None = None
    if isinstance(population, int | float) and not isinstance(population, bool):
        if not population > 0:
            raise SelectionError(f"{{population}} must be above 0, not {population}", params=["population"])
        pop = float(population)
    elif population is not None:
        found, warnings = population_for(str(population), str(result.meta["area"]))
        pop = float(found) if found else None
    computed = computed_issues(
        extract, opts, pset, result.tables["rows"].frame, matrix_candidates(result), pop
    )
    computed.warnings += warnings
    return computed
