"""Progress against the plan, with a stated RAG rule, and the decision log between two plans.

Progress compares the latest 12 months (to the end of the latest complete quarter) with the target year
(12 months each, so no exposure adjustment), for each priority of the plan, counted by the priority set's
measure. The RAG rule, stated once in ``rag_rule`` and printed with the table:

- red: the count moved against the plan's aim by more than the measure's usual year-to-year variation (the
  calibrated change test of ``usual_change``);
- green: the target is met (at or beyond the target count) and, for a target that asks for a change (or
  no numeric target), the move in the aim's direction is larger than usual year-to-year variation; a target
  of 0% ("no increase") is green when met, since holding steady needs no significant move;
- amber: anything else: not yet met, or met by a change within usual variation.

Why the test matters: a 6% fall on a few hundred offences is within a year's usual wobble, so calling it
"target met" would tell the board a priority is done when the data cannot say so. The year-level variance
is estimated per measure from the same 12 months in earlier years, up to the end of the target year (so the
change tested never informs its own yardstick), shrunk toward the packaged table.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from csp_assess.analysis.priorities import measure_mask
from csp_assess.analysis.quarterly import latest_complete_quarter, quarter_months
from csp_assess.analysis.select import AreaArg, select_area
from csp_assess.analysis.usual_change import rule, signature, unusual_changes, words
from csp_assess.analysis.yearvar import (
    VARIANCE_SOURCES,
    YearVariance,
    covid_note,
    default_for,
    measure_variances,
    summary_words,
)
from csp_assess.errors import ConfigError, SelectionError
from csp_assess.model import Extract
from csp_assess.periods import span_label
from csp_assess.reference.plan import Plan
from csp_assess.reference.priorities import PrioritySet
from csp_assess.result import Result, Table

PLAN_COLUMNS = [
    "priority",
    "target",
    "target_year_count",
    "latest_12m_count",
    "change_pct",
    "target_count",
    "rag",
    "reason",
]
PLAN_DETAIL = [
    "target_year",
    "latest_12m",
    "aim",
    "target_pct",
    "p_value",
    "p_adjusted",
    "beyond_usual",
    "year_sd",
    "measure",
    "note",
]
DECISION_COLUMNS = ["priority", "decision", "previous_target", "target", "reason"]


def rag_rule(variance: str = "data") -> str:
    """The RAG rule in words, with the change test's wording for this variance source."""
    beyond, within = words(variance)
    return (
        f"RAG: red = moved against the plan's aim by a change {beyond}; green = target met and (for a "
        f"target of a change, or no numeric target) moved in the aim's direction by a change {beyond}, or a "
        f"0% 'no increase' target met; amber = anything else (not yet met, or met by a change {within}); "
        "no data = the target year or the latest 12 months not fully in the data"
    )


RAG_RULE = rag_rule()


def _rag(
    aim: str, target_pct: float | None, base: float, now: float, beyond: bool, variance: str = "data"
) -> tuple[str, str]:
    """The status and its reason in words (see ``rag_rule``)."""
    beyond_w, within_w = words(variance)
    up = now > base
    against = (aim == "reduce" and up) or (aim == "increase" and now < base)
    moved = "rose" if up else "fell" if now < base else "held level"
    if beyond and against:
        return "red", f"{moved}, a change {beyond_w}, against the aim to {aim}"
    if target_pct is None:
        if beyond:
            return "green", f"{moved}, a change {beyond_w}, as the plan aims (no numeric target)"
        return "amber", f"{moved}, a change {within_w} (no numeric target)"
    target = base * (1 + target_pct / 100)
    met = now <= target if aim == "reduce" else now >= target
    if met and (target_pct == 0 or beyond):
        why = "no increase target met" if target_pct == 0 else f"target met: {moved}, a change {beyond_w}"
        return "green", why
    if met:
        return "amber", f"target met on the count, but the change is {within_w}"
    return "amber", f"target not yet met ({now:,.0f} against a target of {target:,.0f})"


def _variances(
    extract: Extract,
    tests: dict[Hashable, tuple[str, pd.Series, list[pd.Period]]],
    latest: list[pd.Period],
    variance: str,
) -> tuple[dict[Hashable, YearVariance], list[str]]:
    """Year-level variance per distinct test (measure, target year): the same 12 months as the latest in
    earlier years ending no later than the target year, so the change tested is not in its own yardstick."""
    out: dict[Hashable, YearVariance] = {}
    history: list[str] = []
    if variance == "none":
        return out, history
    by_year: dict[pd.Period, dict[str, Hashable]] = {}
    for key, (name, _, months) in tests.items():
        by_year.setdefault(max(months), {})[name] = key
    for last, names in sorted(by_year.items()):
        masks = {name: tests[key][1] for name, key in names.items()}
        found, labels = measure_variances(extract.counts, masks, extract.scheme, latest, last, variance)
        history = sorted(set(history) | set(labels), reverse=True)
        out.update({names[name]: v for name, v in found.items()})
    return out, history


def plan_progress(
    extract: Extract,
    pset: PrioritySet,
    plan: Plan,
    area: AreaArg,
    alpha: float,
    start_month: int,
    variance: str = "data",
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The plan table, its notes and its warnings."""
    if variance not in VARIANCE_SOURCES:
        raise SelectionError(
            f"{{variance}} must be one of {', '.join(VARIANCE_SOURCES)}, not '{variance}'",
            params=["variance"],
        )
    sel = select_area(extract, area)
    covered = extract.months_covered
    have = set(covered)
    fy, q = latest_complete_quarter(covered, start_month)
    end = quarter_months(fy, q)[-1]
    latest = [end - i for i in range(11, -1, -1)]
    latest_ok = all(m in have for m in latest)
    by_name = {p.name.casefold(): p for p in pset.priorities}
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    overlap: dict[str, list[str]] = {}
    tests: dict[Hashable, tuple[str, pd.Series, list[pd.Period]]] = {}  # key -> (first name, mask, year)
    for pp in plan.priorities:
        pdef = by_name.get(pp.name.casefold())
        if pdef is None:
            raise ConfigError(
                f"priority '{pp.name}': key 'name' is not a priority of {pset.source} "
                f"({', '.join(p.name for p in pset.priorities)})",
                file=plan.source,
                line=pp.line,
            )
        row: dict[str, Any] = {
            "priority": pdef.name,
            "target": pp.describe(),
            "target_year": pp.target_year.label,
            "latest_12m": span_label(latest),
            "aim": pp.aim,
            "target_pct": pp.target,
        }
        measure = pdef.measure_for(extract.scheme)
        if measure is None or measure.not_measurable:
            why = (
                measure.not_measurable if measure and measure.not_measurable else "no measure for this layout"
            )
            rows.append(
                {**row, "rag": "not measurable", "reason": f"not measurable from this extract: {why}"}
            )
            continue
        year_ok = all(m in have for m in pp.target_year.months)
        if not (year_ok and latest_ok):
            missing = pp.target_year.label if not year_ok else f"the 12 months to {end.strftime('%b %Y')}"
            rows.append(
                {
                    **row,
                    "rag": "no data",
                    "reason": f"{missing} is not fully in the data",
                    "measure": measure.describe(),
                }
            )
            continue
        if set(pp.target_year.months) & set(latest):
            overlap.setdefault(pp.target_year.label, []).append(pdef.name)
        every = measure_mask(extract.counts, measure)
        key = (signature(extract.counts, every, measure), pp.target_year.label)
        tests.setdefault(key, (pdef.name, every, list(pp.target_year.months)))
        mask = measure_mask(sel.counts, measure)
        counts = sel.counts[mask]
        base = float(counts.loc[counts["month"].isin(pp.target_year.months), "count"].sum())
        now = float(counts.loc[counts["month"].isin(latest), "count"].sum())
        notes_row = [f"proxy: {measure.proxy}"] if measure.proxy else []
        if tests[key][0] != pdef.name:
            notes_row.append(f"same measure and target year as {tests[key][0]}: tested once")
        rows.append(
            {
                **row,
                "measure": measure.describe(),
                "note": "; ".join(notes_row),
                "test_key": key,
                "target_year_count": base,
                "latest_12m_count": now,
                "change_pct": round((now - base) / base * 100, 1) if base else math.nan,
                "target_count": round(base * (1 + pp.target / 100), 1) if pp.target is not None else math.nan,
            }
        )
    for label, names in overlap.items():
        warnings.append(
            f"the 12 months to {end.strftime('%b %Y')} overlap the target year {label} ({', '.join(names)}): the "
            "shared months dilute the change, so progress is understated"
        )
    frame = pd.DataFrame(rows)
    for col in ("target_year_count", "latest_12m_count", "change_pct", "target_count", "measure", "note"):
        if col not in frame:
            frame[col] = math.nan if col not in ("measure", "note") else ""
    if "test_key" not in frame:
        frame["test_key"] = None
    tested = frame["latest_12m_count"].notna()
    variances, history = _variances(extract, tests, latest, variance)
    generic = default_for(extract.scheme, "all", "").sigma2
    frame["year_sd"] = [
        round(variances[k].sd, 3) if t and k in variances else math.nan
        for k, t in zip(frame["test_key"], tested, strict=True)
    ]
    frame["p_value"] = math.nan
    frame["p_adjusted"] = math.nan
    frame["beyond_usual"] = False
    if tested.any():
        keys = list(frame.loc[tested, "test_key"])
        res = unusual_changes(
            frame.loc[tested, "target_year_count"].to_numpy(),
            frame.loc[tested, "latest_12m_count"].to_numpy(),
            alpha,
            sigma2=None
            if variance == "none"
            else np.array([variances[k].sigma2 if k in variances else generic for k in keys]),
            groups=keys,
        )
        frame.loc[tested, "p_value"] = res["p_value"].to_numpy()
        frame.loc[tested, "p_adjusted"] = res["p_adjusted"].to_numpy()
        frame.loc[tested, "beyond_usual"] = res["significant"].to_numpy(dtype=bool)
        for i in frame.index[tested]:
            r = frame.loc[i]
            tp = None if pd.isna(r["target_pct"]) else float(r["target_pct"])
            status, why = _rag(
                str(r["aim"]),
                tp,
                float(r["target_year_count"]),
                float(r["latest_12m_count"]),
                bool(r["beyond_usual"]),
                variance,
            )
            frame.loc[i, "rag"] = status
            frame.loc[i, "reason"] = why
    frame = frame.drop(columns="test_key")
    for col in ("target_year_count", "latest_12m_count"):
        frame[col] = frame[col].astype("Int64")
    frame["beyond_usual"] = frame["beyond_usual"].astype(bool)
    for label, months in {str(k[1]): tests[k][2] for k in tests if isinstance(k, tuple)}.items():
        note = covid_note(f"The target year {label}", months)
        if note:
            warnings.append(note)
    notes = [
        f"Plan: {plan.name or plan.source}, from {plan.start_year.label}; progress = the 12 months to the end of "
        f"{fy.label} Q{q} ({span_label(latest)}) against each target's year",
        rag_rule(variance),
        f"Usual variation: {rule(variance)} (alpha {alpha:g}), across the {len(tests)} distinct "
        f"measure{'s' if len(tests) != 1 else ''} tested",
    ]
    if variances:
        notes.append(
            "Plan year-level variance: "
            + summary_words(list(variances.values()), history)
            + "; a target year several years back is tested with the same year-to-year variance, which "
            "understates drift over several years"
        )
    return frame, notes, warnings


def decision_log(previous: Plan, current: Plan) -> pd.DataFrame:
    """Each priority of either plan: kept, kept with a new target, added or dropped, with the reason given."""
    before = {p.name.casefold(): p for p in previous.priorities}
    now = {p.name.casefold(): p for p in current.priorities}
    rows = []
    for key, p in now.items():
        old = before.get(key)
        if old is None:
            decision = "added"
        elif old.describe() != p.describe():
            decision = "kept, target changed"
        else:
            decision = "kept"
        rows.append(
            {
                "priority": p.name,
                "decision": decision,
                "previous_target": old.describe() if old else "",
                "target": p.describe(),
                "reason": p.reason,
            }
        )
    for key, old in before.items():
        if key not in now:
            rows.append(
                {
                    "priority": old.name,
                    "decision": "dropped",
                    "previous_target": old.describe(),
                    "target": "",
                    "reason": old.reason and f"was in the plan for: {old.reason}",
                }
            )
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


def add_plan(
    result: Result,
    extract: Extract,
    pset: PrioritySet,
    plan: Plan,
    previous: Plan | None,
    area: AreaArg,
    alpha: float,
    start_month: int,
    variance: str = "data",
) -> None:
    """Put the plan's progress (and the decision log, given the previous plan) on a quarterly result."""
    frame, notes, warnings = plan_progress(extract, pset, plan, area, alpha, start_month, variance)
    result.tables["plan"] = Table(
        frame, PLAN_COLUMNS, f"Progress against the plan ({plan.source})", PLAN_DETAIL
    )
    if previous is not None:
        result.tables["decisions"] = Table(
            decision_log(previous, plan),
            DECISION_COLUMNS,
            f"Decision log: {previous.source} ({previous.start_year.label}) to {plan.source} ({plan.start_year.label})",
        )
        notes.append(f"Decision log: priorities of {previous.source} against {plan.source}")
    result.notes.extend(notes)
    result.warnings.extend(warnings)
    result.meta["plan"] = plan.source
    result.meta["previous_plan"] = previous.source if previous else None
