"""The recommended priority list, by stated rules. Every status carries its reason in words.

Rules (``Rules`` holds the numbers):
1. A priority with no measure in this extract is ``not measurable`` and says what data would measure it.
2. Mandatory and agreed high-volume priorities ``remain``. They are flagged for review (status
   ``remain (review)``) when they fell on last year by more than their usual year-to-year variation *and*
   are low harm (their share of the year's harm is below their share of its volume, i.e. each offence is
   less harmful than the average).
3. Local priorities ``remain`` while they are rising, above the pre-COVID baseline, or in the top N by score;
   otherwise their status is ``review``.
4. Categories outside the set that rank in the top N by composite score, or rose above the pre-COVID
   baseline by more than their usual year-to-year variation, are proposed as ``candidate``s, provided they
   hold at least the rules' minimum share of the year's volume or harm (a handful of offences is no priority).
"Rising"/"falling"/"above the baseline by more than usual variation" means the over-dispersed change test
(``stats.log_ratio_z``: counting noise plus the measure's year-level variance, estimated from earlier years
of the extract pooled over its areas, ``analysis.yearvar``), Holm-adjusted across the family tested together
(the distinct priority measures' changes on last year, each measure once however many priorities share it;
the candidates' changes on the baseline), below the rules' alpha, with at least 10 offences in the two
periods combined. The JSON holds both ``p_value`` (raw) and ``p_adjusted``.
Drug and weapon possession offences are counted as police activity indicators: they rise when police
search more, so their reasons say so and they are never read as a crime-level signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csp_assess.analysis.ranking import ACTIVITY_NOTE, is_activity_indicator
from csp_assess.analysis.select import baseline_total, in_period, period_total
from csp_assess.analysis.stats import change_test
from csp_assess.analysis.yearvar import (
    YearVariance,
    category_variances,
    covid_note,
    default_for,
    measure_variances,
    usual_range,
)
from csp_assess.errors import on_command_line, option
from csp_assess.model import ASB_MAJOR
from csp_assess.periods import Period
from csp_assess.reference.priorities import Measure, PriorityDef, PrioritySet, Rules

PRIORITY_COLUMNS = ["name", "class", "status", "measure", "proxy", "count", "change_pct", "reason"]
UNCHANGED = "within usual range"


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
            return f"the flag column flag_{name} is not in this extract (map it with " + (
                f"--map flag_{name}=COLUMN)" if on_command_line() else f'mapping={{"flag_{name}": COLUMN}})'
            )
    return None


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
    all_counts: pd.DataFrame | None = None,
    variance: str = "data",
    indicators: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The priority table, then the candidates. ``counts`` is one area's rows *including* ASB incidents.

    ``all_counts`` (every area's rows; default ``counts``) is where the usual year-to-year variation of each
    measure is estimated; ``variance`` says from what (``analysis.yearvar.VARIANCE_SOURCES``).
    ``indicators`` are the area's partner indicator rows, for priorities measured by an indicator.
    """
    rules = pset.rules
    every = counts if all_counts is None else all_counts
    year_total = ranked["count"].sum()
    harm_total = ranked["harm"].sum(skipna=True)
    measured_cats: set[str] = set()
    prepared = [
        _prepare(pdef, scheme, counts, every, period, previous, baseline, measured_cats, level, indicators)
        for pdef in pset.priorities
    ]
    names = [pdef.name for pdef in pset.priorities]
    tests = _year_tests(prepared, names, rules.alpha, every, scheme, period, previous, variance)
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
            ranked,
            measured_cats,
            rules,
            baseline_label,
            period,
            baseline,
            _candidate_variances(every, scheme, level, period, baseline, variance),
            scheme,
        )
    )
    return pd.DataFrame(rows)


@dataclass
class _Prepared:
    """A priority's measure and counts (``sel`` is None when it cannot be measured here)."""

    measure: Measure | None
    why_not: str = ""
    sel: pd.DataFrame | None = None
    every: pd.Series | None = None  # the measure's rows in every area
    signature: tuple[tuple[str, str], ...] = ()  # the categories it selects, to test a measure once
    count: float = float("nan")
    prev: float = float("nan")
    base_n: float = float("nan")
    describe: str = ""  # the measure in words where the data adds to it (an indicator's source)


def _prepare(
    pdef: PriorityDef,
    scheme: str,
    counts: pd.DataFrame,
    every: pd.DataFrame,
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
    mask = measure_mask(every, measure)
    signature = tuple(sorted(set(zip(every.loc[mask, "major"], every.loc[mask, "minor"], strict=True))))
    signature += tuple(
        (kind, name) for kind, name in (("flag", measure.flag), ("not_flag", measure.not_flag)) if name
    )
    return _Prepared(
        measure,
        sel=sel,
        every=mask,
        signature=signature,
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
            measure,
            f"the partner indicator '{name}' is not loaded (give it with {option('indicators', placeholder='FILE')})",
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
        signature=(("indicator", _norm(name)),),
    )


@dataclass
class _Test:
    """A priority's change on last year: direction, raw and Holm-adjusted p, and what it was tested against."""

    direction: str = "unknown"
    p_value: float = float("nan")
    p_adjusted: float = float("nan")
    variance: YearVariance | None = None
    same_as: str = ""  # the priority whose identical measure carried the test


def _year_tests(
    prepared: list[_Prepared],
    names: list[str],
    alpha: float,
    every: pd.DataFrame,
    scheme: str,
    period: Period,
    previous: Period | None,
    variance: str,
) -> list[_Test]:
    """Direction on last year for every measurable priority: one Holm family of the *distinct* measures.

    Two priorities counted by the same categories (VAWG's proxy is all sexual offences in the old Met
    categories) are one measure: tested once, so the family is not padded and one change is not two findings.
    """
    out = [_Test() for _ in prepared]
    idx = [i for i, p in enumerate(prepared) if p.sel is not None and not math.isnan(p.prev)]
    if not idx or previous is None:
        return out
    first: dict[tuple[tuple[str, str], ...], int] = {}
    for i in idx:
        first.setdefault(prepared[i].signature, i)
    uniq = list(first.values())
    masks = {str(i): prepared[i].every for i in uniq}
    variances: dict[str, YearVariance] = {}
    if variance != "none":
        variances, _ = measure_variances(
            every,
            {k: m for k, m in masks.items() if m is not None},
            scheme,
            list(period.months),
            max(previous.months),
            variance,
        )
    res = change_test(
        [prepared[i].prev for i in uniq],
        [prepared[i].count for i in uniq],
        adjust="holm",
        alpha=alpha,
        year_var=None if not variances else [2.0 * _measure_sigma2(variances, str(i), scheme) for i in uniq],
    )
    by_first: dict[int, _Test] = {}
    for j, i in enumerate(uniq):
        sig = bool(res["significant"].iloc[j])
        d = ("rising" if prepared[i].count > prepared[i].prev else "falling") if sig else UNCHANGED
        by_first[i] = _Test(
            d, float(res["p_value"].iloc[j]), float(res["p_adjusted"].iloc[j]), variances.get(str(i))
        )
    for i in idx:
        j = first[prepared[i].signature]
        t = by_first[j]
        out[i] = _Test(t.direction, t.p_value, t.p_adjusted, t.variance, "" if j == i else names[j])
    return out


def _measure_sigma2(variances: dict[str, YearVariance], key: str, scheme: str) -> float:
    """The measure's year-level variance; a measure with no estimate (a partner indicator) takes the
    generic packaged default, never Poisson noise alone."""
    found = variances.get(key)
    return found.sigma2 if found is not None else default_for(scheme, "all", "").sigma2


def _one(
    pdef: PriorityDef,
    prep: _Prepared,
    test: _Test,
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
        "activity_indicator": False,
        "count": None,
        "previous_count": None,
        "change_pct": None,
        "usual_range": None,
        "baseline_count": None,
        "baseline_change_pct": None,
        "harm": None,
        "direction": "",
        "p_value": None,
        "p_adjusted": None,
        "year_sd": None,
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
    dir_prev = test.direction
    vol_share = count / year_total * 100 if year_total else 0.0
    harm_share = harm / harm_total * 100 if harm_total and not math.isnan(harm) else float("nan")
    low_harm = not math.isnan(harm_share) and harm_share < vol_share
    best_rank = int(cats["rank"].min()) if len(cats) else None
    activity = all(is_activity_indicator(str(a), str(b)) for a, b in prep.signature)
    prev_label = previous.fy.label if previous else "last year"
    facts = f"{count:,.0f} in {period.label}, {_fmt_change(count, prev, prev_label)}"
    usual = (
        usual_range(prev, test.variance.sigma2)
        if test.variance is not None and not math.isnan(prev)
        else None
    )
    if usual:
        facts += f" (usual year-to-year range {usual})"
    facts += f", {_fmt_change(count, base_n, baseline_label)}"
    sig = f"(Holm-adjusted p{_p(test.p_adjusted)})"
    unusual = "by more than its usual year-to-year variation"
    if activity:
        unusual += f" ({ACTIVITY_NOTE})"
    if pdef.klass in ("mandatory", "high-volume"):
        kind = "mandatory" if pdef.klass == "mandatory" else "agreed high-volume"
        if dir_prev == "falling" and low_harm:
            status = "remain (review)"
            why = (
                f"{kind} priority, stays; flagged: fell on last year {unusual} {sig} and lower harm "
                f"per offence than average ({harm_share:.1f}% of harm vs {vol_share:.1f}% of volume)"
            )
        else:
            status = "remain"
            why = f"{kind} priority ({pdef.set_by})" if pdef.set_by else f"{kind} priority"
            if dir_prev in ("rising", "falling"):
                verb = "rose" if dir_prev == "rising" else "fell"
                why += f"; {verb} on last year {unusual} {sig}"
    else:
        reasons = []
        if dir_prev == "rising":
            reasons.append(f"rose on last year {unusual} {sig}")
        if not math.isnan(base_n) and count > base_n:
            reasons.append(f"above the {baseline_label} baseline")
        if best_rank is not None and best_rank <= top_n:
            reasons.append(f"ranked #{best_rank} by composite score (top {top_n})")
        who = f" ({pdef.set_by})" if pdef.set_by else ""
        if reasons:
            status, why = "remain", f"local priority{who}; " + "; ".join(reasons)
        else:
            status = "review"
            # Say only what was checked: with no last year or no baseline in the data, say so instead.
            checks = [
                "no last year to compare"
                if math.isnan(prev)
                else "no rise on last year beyond its usual year-to-year variation",
                f"no {baseline_label} baseline in the data"
                if math.isnan(base_n)
                else f"not above the {baseline_label} baseline",
                f"not in the top {top_n} by composite score",
            ]
            why = (
                f"local priority{who}; {checks[0]}, {checks[1]} and {checks[2]}: consider whether it is still a "
                "priority"
            )
    extra = ""
    if test.same_as:
        extra += f". Counted by the same categories as {test.same_as}: one measure, tested once (one finding, not two)"
    if activity:
        extra += f". Activity indicator: {ACTIVITY_NOTE}"
    covid = covid_note(prev_label, previous.months) if previous is not None else None
    if covid:
        extra += f". {covid}"
    base.update(
        status=status,
        measure=prep.describe or measure.describe(),
        proxy=bool(measure.proxy),
        proxy_note=measure.proxy or "",
        activity_indicator=activity,
        count=int(count),
        previous_count=None if math.isnan(prev) else int(prev),
        change_pct=None if math.isnan(prev) or prev == 0 else round((count - prev) / prev * 100, 1),
        usual_range=usual,
        baseline_count=None if math.isnan(base_n) else round(base_n, 1),
        baseline_change_pct=None
        if math.isnan(base_n) or base_n == 0
        else round((count - base_n) / base_n * 100, 1),
        harm=None if math.isnan(harm) else round(harm, 2),
        direction=dir_prev,
        p_value=None if math.isnan(test.p_value) else round(test.p_value, 4),
        p_adjusted=None if math.isnan(test.p_adjusted) else round(test.p_adjusted, 4),
        year_sd=None if test.variance is None else round(test.variance.sd, 3),
        reason=f"{why}. {facts}" + (f". Proxy: {measure.proxy}" if measure.proxy else "") + extra,
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


def _candidate_variances(
    every: pd.DataFrame,
    scheme: str,
    level: str,
    period: Period,
    baseline: list[Period],
    variance: str,
) -> dict[object, YearVariance] | None:
    """Year-level variance per ranked category (keyed by its name), for the test against the baseline."""
    if variance == "none" or not baseline:
        return None
    crimes = every[every["major"] != ASB_MAJOR]
    key = "minor" if level == "minor" else "major"
    last = max(max(p.months) for p in baseline)
    out, _ = category_variances(crimes, [key], scheme, list(period.months), last, variance)
    return out


def _sigma2(variances: dict[object, YearVariance], category: object, scheme: str, level: str) -> float:
    """A ranked category's year-level variance (the packaged or generic default if it had no rows)."""
    hit = variances.get(category)
    return hit.sigma2 if hit is not None else default_for(scheme, level, str(category)).sigma2


def _candidates(
    ranked: pd.DataFrame,
    measured: set[str],
    rules: Rules,
    baseline_label: str,
    period: Period,
    baseline: list[Period],
    variances: dict[object, YearVariance] | None,
    scheme: str = "custom",
) -> list[dict[str, object]]:
    """Categories outside the set: top N by score, or above the baseline by more than usual variation (Holm
    across them), and holding at least the rules' minimum share of the year's volume or harm."""
    top_n, alpha, years = rules.candidate_top_n, rules.alpha, len(baseline)
    level = "minor" if (ranked["category"] != ranked["major"]).any() else "major"
    outside = ranked[~ranked["category"].map(lambda c: _norm(str(c)) in measured)]
    above: dict[int, tuple[float, float]] = {}
    tested = outside[outside["baseline_count"].notna()] if years else outside.iloc[0:0]
    if len(tested):
        # The baseline is a mean over ``years`` years: test its total against one year's count, with the
        # exposure ratio 1 / years and year-level variance sigma^2 (1 + 1/years): the year's own effect
        # plus that of the baseline mean.
        totals = (tested["baseline_count"].astype(float) * years).round()
        year_var = None
        if variances is not None:
            year_var = [
                _sigma2(variances, c, scheme, level) * (1.0 + 1.0 / years) for c in tested["category"]
            ]
        res = change_test(
            totals,
            tested["count"].astype(float),
            adjust="holm",
            alpha=alpha,
            ratio=1.0 / years,
            year_var=year_var,
        )
        counts_now = tested["count"].to_numpy(dtype=float)
        means = tested["baseline_count"].to_numpy(dtype=float)
        flags = res["significant"].to_numpy(dtype=bool)
        p_adj = res["p_adjusted"].to_numpy(dtype=float)
        p_raw = res["p_value"].to_numpy(dtype=float)
        for j, i in enumerate(tested.index):
            if flags[j] and counts_now[j] > means[j]:
                above[int(i)] = (float(p_raw[j]), float(p_adj[j]))
    family = len(tested)
    rows: list[dict[str, object]] = []
    for i, r in zip(outside.index, outside.to_dict("records"), strict=True):
        vol, harm_sh = float(r["volume_share"]), float(r["harm_share"]) if pd.notna(r["harm_share"]) else 0.0
        if max(vol, harm_sh) < rules.candidate_min_share_pct:
            continue  # too small a part of the year's crime or harm to be a partnership priority
        reasons = []
        if int(r["rank"]) <= top_n:
            reasons.append(
                f"ranked #{int(r['rank'])} by composite score (top {top_n}; score {r['score']:.1f})"
            )
        b = float(r["baseline_count"]) if pd.notna(r["baseline_count"]) else float("nan")
        if i in above:
            reasons.append(
                f"above the {baseline_label} baseline by more than its usual year-to-year variation "
                f"({r['baseline_change_pct']:+.1f}%, Holm-adjusted p{_p(above[i][1])} across {family} "
                "categories tested)"
            )
        if not reasons:
            continue
        activity = is_activity_indicator(str(r["major"]), str(r["category"]))
        reason = "not in the priority set; " + "; ".join(reasons) + f" in {period.label}"
        reason += f" ({vol:.1f}% of volume, {harm_sh:.1f}% of harm)"
        if activity:
            reason += f". Activity indicator: {ACTIVITY_NOTE}"
        var = variances.get(r["category"]) if variances is not None else None
        rows.append(
            {
                "name": str(r["category"]),
                "class": "candidate",
                "set_by": "",
                "status": "candidate",
                "measure": str(r["category"]),
                "proxy": False,
                "proxy_note": "",
                "activity_indicator": activity,
                "count": int(r["count"]),
                "previous_count": None if pd.isna(r["previous_count"]) else int(r["previous_count"]),
                "change_pct": None if pd.isna(r["change_pct"]) else float(r["change_pct"]),
                "usual_range": None,
                "baseline_count": None if math.isnan(b) else round(b, 1),
                "baseline_change_pct": None
                if pd.isna(r["baseline_change_pct"])
                else float(r["baseline_change_pct"]),
                "harm": None if pd.isna(r["harm"]) else float(r["harm"]),
                "direction": "rising on baseline" if i in above else "",
                "p_value": round(above[i][0], 4) if i in above else None,
                "p_adjusted": round(above[i][1], 4) if i in above else None,
                "year_sd": None if var is None else round(var.sd, 3),
                "reason": reason,
            }
        )
    return rows


def priorities_in_use(pset: PrioritySet, scheme: str, counts: pd.DataFrame) -> tuple[str, list[str]]:
    """('Priorities: ...' note, warnings): the set and its file are always named, and a major or category
    a chosen file names that is nowhere in the extract is a warning with the nearest names (difflib),
    not a silent 'not measurable'. The packaged sets name every scheme's categories, so are not checked."""
    note = f"Priorities: {pset.describe()}"
    if pset.origin == "packaged":
        return note, []
    import difflib

    known = {
        "major": {_norm(v): v for v in counts["major"].dropna().unique()},
        "category": {_norm(v): v for v in counts["minor"].dropna().unique()},
    }
    warnings: list[str] = []
    for pdef in pset.priorities:
        measure = pdef.measure_for(scheme)
        if measure is None or measure.not_measurable or measure.indicator:
            continue
        for kind, names in (("major", measure.majors), ("category", measure.minors)):
            for name in names:
                if _norm(name) in known[kind]:
                    continue
                close = difflib.get_close_matches(name, list(known[kind].values()), n=3, cutoff=0.6)
                hint = (
                    f"; did you mean {' or '.join(repr(c) for c in close)}?"
                    if close
                    else f"; no close match among its {len(known[kind])} {kind} names"
                )
                warnings.append(
                    f"{pset.source}: priority '{pdef.name}' names the {kind} '{name}', which is not in "
                    f"this extract{hint}"
                )
    return note, warnings
