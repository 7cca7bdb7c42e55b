"""The recommended priority list, by stated rules. Every status carries its reason in words.

Rules (``Rules`` holds the numbers):
1. A priority with no measure in this extract is ``not measurable`` and says what data would measure it.
2. Mandatory and agreed high-volume priorities ``remain``. They are flagged for review (status
   ``remain (review)``) when they fell significantly on last year *and* are low harm (their share of the
   year's harm is below their share of its volume, i.e. each offence is less harmful than the average).
3. Local priorities ``remain`` while they are rising, above the pre-COVID baseline, or in the top N by score;
   otherwise their status is ``review``.
4. Categories outside the set that rank in the top N by composite score, or rose significantly above the
   pre-COVID baseline, are proposed as ``candidate``s.
"Significantly" means an exact conditional Poisson test (two-sided) whose p-value, Holm-adjusted across the
family tested together (the priorities' changes on last year; the candidates' changes on the baseline), is
below the rules' alpha, with at least 10 offences in the two periods combined (``stats.change_test``). So a
change on a small count is never called a rise or fall on its percentage alone, and testing forty categories
does not turn up two "significant" ones by chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp_assess.analysis.select import baseline_total, in_period, period_total
from csp_assess.analysis.stats import change_test, exact_poisson_test
from csp_assess.model import ASB_MAJOR
from csp_assess.periods import Period
from csp_assess.reference.priorities import Measure, PriorityDef, PrioritySet

PRIORITY_COLUMNS = ["name", "class", "status", "measure", "proxy", "count", "change_pct", "reason"]


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


def measure_mask(counts: pd.DataFrame, measure: Measure) -> pd.Series:
    """Rows of ``counts`` that the measure selects (case-insensitive names), narrowed by its flags.

    A flag measure alone selects every crime with the flag. A flag column missing from ``counts``
    selects nothing (``missing_flag`` says why); an indicator measure selects no crime rows."""
    if measure.indicator:
        return pd.Series(False, index=counts.index)
    majors = {_norm(m) for m in measure.majors}
    minors = {_norm(m) for m in measure.minors}
    # Normalise each distinct name once, not every row: the table has one row per area, month and category.
    major_hits = [m for m in counts["major"].unique() if _norm(m) in majors]
    minor_hits = [m for m in counts["minor"].unique() if _norm(m) in minors]
    if majors or minors:
        mask = counts["major"].isin(major_hits) | counts["minor"].isin(minor_hits)
    else:
        mask = counts["major"] != ASB_MAJOR
    for name, want in ((measure.flag, True), (measure.not_flag, False)):
        if name:
            col = f"flag_{name}"
            flags = counts[col].fillna(False).astype(bool) if col in counts.columns else None
            mask = mask & (flags == want) if flags is not None else pd.Series(False, index=counts.index)
    return mask


def missing_flag(counts: pd.DataFrame, measure: Measure) -> str | None:
    """Why a flag measure cannot be counted here (its flag column is not in the extract), else None."""
    for name in (measure.flag, measure.not_flag):
        if name and f"flag_{name}" not in counts.columns:
            return (
                f"the flag column flag_{name} is not in this extract (map it with --map flag_{name}=COLUMN)"
            )
    return None


def direction(a: float, b: float, alpha: float, ratio: float = 1.0) -> tuple[str, float]:
    """'rising' / 'falling' / 'no significant change' from count a to b, and the p-value."""
    if math.isnan(a) or math.isnan(b):
        return "unknown", float("nan")
    p = float(np.asarray(exact_poisson_test(round(a), round(b), ratio)).item())
    if p < alpha:
        return ("rising" if b > a else "falling"), p
    return "no significant change", p


def _fmt_change(new: float, old: float, label: str) -> str:
    if math.isnan(old):
        return f"no {label} figure"
    if old == 0:
        return f"none in {label}" if new == 0 else f"up from none in {label}"
    pct = (new - old) / old * 100
    word = "up" if new > old else "down" if new < old else "level"
    return f"{word} {abs(new - old):,.0f} ({pct:+.1f}%) on {label}"


def evaluate(
    pset: PrioritySet,
    scheme: str,
    counts: pd.DataFrame,
    period: Period,
    previous: Period | None,
    baseline: list[Period],
    baseline_label: str,
    ranked: pd.DataFrame,
    level: str,
    weights: pd.DataFrame,
    indicators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The priority table, then the candidates. ``counts`` is one area's rows *including* ASB incidents;
    ``indicators`` the area's partner indicator rows, for priorities measured by an indicator."""
    rules = pset.rules
    year_total = ranked["count"].sum()
    harm_total = ranked["harm"].sum(skipna=True)
    measured_cats: set[str] = set()
    prepared = [
        _prepare(pdef, scheme, counts, period, previous, baseline, measured_cats, level, indicators)
        for pdef in pset.priorities
    ]
    tests = _year_tests(prepared, rules.alpha)
    harm_weight = dict(
        zip(zip(weights["major"], weights["minor"], strict=True), weights["harm_weight"], strict=True)
    )
    ranked_norm = ranked["category"].map(_norm)
    rows: list[dict[str, object]] = []
    for pdef, prep, test in zip(pset.priorities, prepared, tests, strict=True):
        rows.append(
            _one(
                pdef,
                prep,
                test,
                period,
                previous,
                baseline_label,
                ranked,
                ranked_norm,
                rules.candidate_top_n,
                year_total,
                harm_total,
                level,
                harm_weight,
            )
        )
    rows.extend(
        _candidates(
            ranked, measured_cats, rules.candidate_top_n, rules.alpha, baseline_label, period, len(baseline)
        )
    )
    out = pd.DataFrame(rows)
    return out


@dataclass
class _Prepared:
    """A priority's measure and counts (``sel`` is None when it cannot be measured here)."""

    measure: Measure | None
    why_not: str = ""
    sel: pd.DataFrame | None = None
    count: float = float("nan")
    prev: float = float("nan")
    base_n: float = float("nan")
    describe: str = ""  # the measure in words where the data adds to it (an indicator's source)


def _prepare(
    pdef: PriorityDef,
    scheme: str,
    counts: pd.DataFrame,
    period: Period,
    previous: Period | None,
    baseline: list[Period],
    measured_cats: set[str],
    level: str,
    indicators: pd.DataFrame | None = None,
) -> _Prepared:
    measure = pdef.measure_for(scheme)
    if measure is None or measure.not_measurable:
        why = (
            measure.not_measurable
            if measure and measure.not_measurable
            else f"no measure defined for the {scheme} layout"
        )
        return _Prepared(None, why)
    if measure.indicator:
        return _prepare_indicator(measure, indicators, period, previous, baseline)
    no_flag = missing_flag(counts, measure)
    if no_flag:
        return _Prepared(measure, no_flag)
    sel = counts[measure_mask(counts, measure)]
    if not len(sel):
        return _Prepared(measure, f"its categories ({measure.describe()}) are not in this extract")
    for col in ("minor", "major"):
        measured_cats.update(_norm(v) for v in sel[col].unique())
    return _Prepared(
        measure,
        sel=sel,
        count=period_total(sel, period),
        prev=period_total(sel, previous) if previous else float("nan"),
        base_n=baseline_total(sel, baseline) if baseline else float("nan"),
    )


def _prepare_indicator(
    measure: Measure,
    indicators: pd.DataFrame | None,
    period: Period,
    previous: Period | None,
    baseline: list[Period],
) -> _Prepared:
    """A priority measured by a partner indicator: counted from the indicator's rows, its source named."""
    from csp_assess.analysis.indicators import indicator_counts

    name = measure.indicator or ""
    rows = indicators[indicators["indicator"].map(_norm) == _norm(name)] if indicators is not None else None
    if rows is None or rows.empty:
        return _Prepared(
            measure, f"the partner indicator '{name}' is not loaded (give it with --indicators FILE)"
        )
    sources = "; ".join(sorted(rows["source"].unique()))
    sel = indicator_counts(rows, name)
    have = set(sel["month"])
    short = [m for m in period.months if m not in have]
    if short:
        return _Prepared(
            measure,
            f"the partner indicator '{name}' has no figure for {len(short)} month(s) of {period.label}",
        )
    return _Prepared(
        measure,
        sel=sel,
        count=period_total(sel, period),
        prev=period_total(sel, previous)
        if previous and all(m in have for m in previous.months)
        else float("nan"),
        base_n=baseline_total(sel, baseline)
        if baseline and all(m in have for b in baseline for m in b.months)
        else float("nan"),
        describe=f"indicator: {name} (source: {sources})",
    )


def _year_tests(prepared: list[_Prepared], alpha: float) -> list[tuple[str, float]]:
    """Direction on last year and Holm-adjusted p for every measurable priority, tested as one family."""
    out: list[tuple[str, float]] = [("unknown", float("nan"))] * len(prepared)
    idx = [i for i, p in enumerate(prepared) if p.sel is not None and not math.isnan(p.prev)]
    if not idx:
        return out
    res = change_test(
        [prepared[i].prev for i in idx], [prepared[i].count for i in idx], adjust="holm", alpha=alpha
    )
    sig_flags = res["significant"].to_numpy(dtype=bool)
    p_adjusted = res["p_adjusted"].to_numpy(dtype=float)
    for j, i in enumerate(idx):
        sig = bool(sig_flags[j])
        p_adj = float(p_adjusted[j])
        if sig:
            d = "rising" if prepared[i].count > prepared[i].prev else "falling"
        else:
            d = "no significant change"
        out[i] = (d, p_adj)
    return out


def _one(
    pdef: PriorityDef,
    prep: _Prepared,
    test: tuple[str, float],
    period: Period,
    previous: Period | None,
    baseline_label: str,
    ranked: pd.DataFrame,
    ranked_norm: pd.Series,
    top_n: int,
    year_total: float,
    harm_total: float,
    level: str,
    harm_weight: dict[tuple[str, str], float],
) -> dict[str, object]:
    base: dict[str, object] = {
        "name": pdef.name,
        "class": pdef.klass,
        "set_by": pdef.set_by,
        "status": "",
        "measure": "",
        "proxy": False,
        "proxy_note": "",
        "count": None,
        "previous_count": None,
        "change_pct": None,
        "baseline_count": None,
        "baseline_change_pct": None,
        "harm": None,
        "direction": "",
        "p_value": None,
        "reason": "",
    }
    measure, sel = prep.measure, prep.sel
    if measure is None or sel is None:
        base.update(
            status="not measurable",
            measure=measure.describe() if measure else "not measurable from this extract",
            reason=f"{pdef.klass} priority; not measurable from this extract: {prep.why_not}",
        )
        return base
    count, prev, base_n = prep.count, prep.prev, prep.base_n
    cats = ranked[
        ranked_norm.isin({_norm(c) for c in sel["minor" if level == "minor" else "major"].unique()})
    ]
    harm = _harm_of(sel, period, harm_weight)
    dir_prev, p = test
    vol_share = count / year_total * 100 if year_total else 0.0
    harm_share = harm / harm_total * 100 if harm_total and not math.isnan(harm) else float("nan")
    low_harm = not math.isnan(harm_share) and harm_share < vol_share
    best_rank = int(cats["rank"].min()) if len(cats) else None
    facts = f"{count:,.0f} in {period.label}, {_fmt_change(count, prev, previous.fy.label if previous else 'last year')}"
    facts += f", {_fmt_change(count, base_n, baseline_label)}"
    sig = f"(Holm-adjusted p{_p(p)})"
    if pdef.klass in ("mandatory", "high-volume"):
        kind = "mandatory" if pdef.klass == "mandatory" else "agreed high-volume"
        if dir_prev == "falling" and low_harm:
            status = "remain (review)"
            why = (
                f"{kind} priority, stays; flagged: falling significantly on last year {sig} and lower harm "
                f"per offence than average ({harm_share:.1f}% of harm vs {vol_share:.1f}% of volume)"
            )
        else:
            status = "remain"
            why = f"{kind} priority ({pdef.set_by})" if pdef.set_by else f"{kind} priority"
            if dir_prev in ("rising", "falling"):
                why += f"; {dir_prev} significantly on last year {sig}"
    else:
        reasons = []
        if dir_prev == "rising":
            reasons.append(f"rising significantly on last year {sig}")
        if not math.isnan(base_n) and count > base_n:
            reasons.append(f"above the {baseline_label} baseline")
        if best_rank is not None and best_rank <= top_n:
            reasons.append(f"ranked #{best_rank} by composite score (top {top_n})")
        who = f" ({pdef.set_by})" if pdef.set_by else ""
        if reasons:
            status, why = "remain", f"local priority{who}; " + "; ".join(reasons)
        else:
            status = "review"
            why = (
                f"local priority{who}; not rising significantly on last year, not above the "
                f"{baseline_label} baseline and not in the top {top_n} by composite score: consider whether "
                "it is still a priority"
            )
    base.update(
        status=status,
        measure=prep.describe or measure.describe(),
        proxy=bool(measure.proxy),
        proxy_note=measure.proxy or "",
        count=int(count),
        previous_count=None if math.isnan(prev) else int(prev),
        change_pct=None if math.isnan(prev) or prev == 0 else round((count - prev) / prev * 100, 1),
        baseline_count=None if math.isnan(base_n) else round(base_n, 1),
        baseline_change_pct=None
        if math.isnan(base_n) or base_n == 0
        else round((count - base_n) / base_n * 100, 1),
        harm=None if math.isnan(harm) else round(harm, 2),
        direction=dir_prev,
        p_value=None if math.isnan(p) else round(p, 4),
        reason=f"{why}. {facts}" + (f". Proxy: {measure.proxy}" if measure.proxy else ""),
    )
    return base


def _p(p: float) -> str:
    if math.isnan(p):
        return " n/a"
    return f"={p:.3f}" if p >= 0.001 else "<0.001"


def _harm_of(sel: pd.DataFrame, period: Period, harm_weight: dict[tuple[str, str], float]) -> float:
    """Harm of the priority's offences in the period: sum of count x harm weight over its minor categories
    (in (major, minor) order; NaN if none of them has a weight; categories without one add nothing)."""
    mask = in_period(sel, period)
    by_cat: dict[tuple[str, str], int] = {}
    for key in zip(
        sel["major"].to_numpy()[mask],
        sel["minor"].to_numpy()[mask],
        sel["count"].to_numpy()[mask].tolist(),
        strict=True,
    ):
        by_cat[key[:2]] = by_cat.get(key[:2], 0) + key[2]
    if not by_cat:
        return 0.0
    cats = sorted(by_cat)
    w = np.array([harm_weight.get(c, np.nan) for c in cats], dtype=np.float64)
    if np.isnan(w).all():
        return float("nan")
    products = np.array([by_cat[c] for c in cats], dtype=np.int64) * w
    return float(np.where(np.isnan(products), 0.0, products).sum())


def _candidates(
    ranked: pd.DataFrame,
    measured: set[str],
    top_n: int,
    alpha: float,
    baseline_label: str,
    period: Period,
    baseline_years: int,
) -> list[dict[str, object]]:
    """Categories outside the set: top N by score, or significantly above the baseline (Holm across them)."""
    outside = ranked[~ranked["category"].map(lambda c: _norm(str(c)) in measured)]
    above: dict[int, float] = {}
    tested = outside[outside["baseline_count"].notna()] if baseline_years else outside.iloc[0:0]
    if len(tested):
        # The baseline is a mean over ``baseline_years`` years: test its total against one year's count,
        # with the exposure ratio 1 / years.
        totals = (tested["baseline_count"].astype(float) * baseline_years).round()
        res = change_test(
            totals,
            tested["count"].astype(float),
            adjust="holm",
            alpha=alpha,
            ratio=1.0 / baseline_years,
        )
        counts_now = tested["count"].to_numpy(dtype=float)
        means = tested["baseline_count"].to_numpy(dtype=float)
        flags = res["significant"].to_numpy(dtype=bool)
        p_adj = res["p_adjusted"].to_numpy(dtype=float)
        for j, i in enumerate(tested.index):
            if flags[j] and counts_now[j] > means[j]:
                above[int(i)] = float(p_adj[j])
    family = len(tested)
    rows: list[dict[str, object]] = []
    for i, r in zip(outside.index, outside.to_dict("records"), strict=True):
        reasons = []
        if int(r["rank"]) <= top_n:
            reasons.append(
                f"ranked #{int(r['rank'])} by composite score (top {top_n}; score {r['score']:.1f})"
            )
        b = float(r["baseline_count"]) if pd.notna(r["baseline_count"]) else float("nan")
        if i in above:
            reasons.append(
                f"significantly above the {baseline_label} baseline ({r['baseline_change_pct']:+.1f}%, "
                f"Holm-adjusted p{_p(above[i])} across {family} categories tested)"
            )
        if not reasons:
            continue
        rows.append(
            {
                "name": str(r["category"]),
                "class": "candidate",
                "set_by": "",
                "status": "candidate",
                "measure": str(r["category"]),
                "proxy": False,
                "proxy_note": "",
                "count": int(r["count"]),
                "previous_count": None if pd.isna(r["previous_count"]) else int(r["previous_count"]),
                "change_pct": None if pd.isna(r["change_pct"]) else float(r["change_pct"]),
                "baseline_count": None if math.isnan(b) else round(b, 1),
                "baseline_change_pct": None
                if pd.isna(r["baseline_change_pct"])
                else float(r["baseline_change_pct"]),
                "harm": None if pd.isna(r["harm"]) else float(r["harm"]),
                "direction": "rising on baseline" if i in above else "",
                "p_value": round(above[i], 4) if i in above else None,
                "reason": "not in the priority set; " + "; ".join(reasons) + f" in {period.label}",
            }
        )
    return rows
