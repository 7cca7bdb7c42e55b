"""`csp-assess outcomes`: what happened to the crimes recorded, per category and per priority.

police.uk gives each crime its *last* outcome as at the file's publication. The outcomes are grouped
(``OUTCOME_GROUPS``, every police.uk outcome text named; an unknown text goes to ``other`` and is named in a
warning) and each group's share of the period's crimes is given. Shares are of crimes (anti-social
behaviour has no outcome). Pure: no printing.

Caveat, said in every output: outcomes of recent months are not final. A crime recorded last month is
often still "under investigation" or "awaiting court outcome" and its outcome will change in later files,
so a recent year shows fewer charges than it will in the end; compare years at the same age.
"""

from __future__ import annotations

import difflib

import pandas as pd

from csp_assess.analysis.indicators import side_source
from csp_assess.analysis.select import ALL_AREAS, AreaArg, Areas
from csp_assess.errors import SelectionError
from csp_assess.load.outcomes import NOT_RECORDED, Outcomes
from csp_assess.periods import (
    Period,
    latest_complete_year,
    month_label,
    months_present,
    parse_year,
    span_label,
)
from csp_assess.reference.priorities import PrioritySet
from csp_assess.result import Result, Table

# police.uk "Last outcome category" texts by group. A group is a column of shares.
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "charged_summonsed": (
        "Awaiting court outcome",
        "Court result unavailable",
        "Court case unable to proceed",
        "Defendant found not guilty",
        "Defendant sent to Crown Court",
        "Offender sent to prison",
        "Offender given suspended prison sentence",
        "Offender given community sentence",
        "Offender fined",
        "Offender given conditional discharge",
        "Offender given absolute discharge",
        "Offender ordered to pay compensation",
        "Offender deprived of property",
        "Offender otherwise dealt with",
        "Suspect charged as part of another case",
    ),
    "out_of_court": (
        "Local resolution",
        "Offender given a caution",
        "Offender given a drugs possession warning",
        "Offender given penalty notice",
    ),
    "no_suspect": ("Investigation complete; no suspect identified",),
    "unable_to_prosecute": ("Unable to prosecute suspect",),
    "not_in_public_interest": (
        "Formal action is not in the public interest",
        "Further investigation is not in the public interest",
        "Further action is not in the public interest",
    ),
    "other_organisation": ("Action to be taken by another organisation",),
    "under_investigation": ("Under investigation",),
    "status_unavailable": ("Status update unavailable",),
    "not_recorded": (NOT_RECORDED,),
}
OTHER = "other"
GROUPS = [*OUTCOME_GROUPS, OTHER]
GROUP_OF = {text.lower(): g for g, texts in OUTCOME_GROUPS.items() for text in texts}
SHARE_COLUMNS = [f"{g}_pct" for g in GROUPS]
CAVEAT = (
    "Outcomes are each crime's last outcome when the file was published. Recent months' outcomes are not "
    "final: many crimes are still under investigation or awaiting court, so a recent period shows fewer "
    "charges than it will; compare periods of the same age"
)


def group_of(outcome: str) -> str:
    return GROUP_OF.get(outcome.strip().lower(), OTHER)


def _norm(s: str) -> str:
    return " ".join(str(s).split()).lower()


def _names(area: AreaArg) -> tuple[list[str] | None, str | None]:
    """The area names asked for (None: not given) and the label for several."""
    if area is None:
        return None, None
    if isinstance(area, Areas):
        return list(area.names), area.label
    if isinstance(area, str):
        return [area], None
    return list(area), None


def _select(counts: pd.DataFrame, area: AreaArg) -> tuple[pd.DataFrame, str]:
    names, label = _names(area)
    areas = sorted(counts["area"].unique().tolist())
    if names is None:
        if len(areas) == 1:
            return counts, areas[0]
        raise SelectionError(
            f"the files hold {len(areas)} areas; choose one with {{area}} NAME (or {{area}} all)",
            params=["area"],
        )
    if len(names) == 1 and _norm(names[0]) == ALL_AREAS:
        return counts, "All areas"
    chosen: list[str] = []
    for n in names:
        if n in areas:
            chosen.append(n)
            continue
        folded = [a for a in areas if _norm(a) == _norm(n)]
        if len(folded) == 1:
            chosen.append(folded[0])
            continue
        close = difflib.get_close_matches(n, areas, n=1, cutoff=0.6)
        hint = f": did you mean '{close[0]}'?" if close else ""
        raise SelectionError(f"area '{n}' is not in the files{hint}", params=["area"])
    return counts[counts["area"].isin(chosen)], label or " + ".join(chosen)


def _period(months: list[pd.Period], year: str | None, start_month: int) -> Period:
    fy = parse_year(year, start_month, "year") if year else latest_complete_year(months, start_month)
    present = months_present(fy, months)
    if not present:
        raise SelectionError(
            f"{fy.label} is not in the files, which cover {span_label(months)}", params=["year"]
        )
    return Period(fy, tuple(present))


def shares(frame: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """Crimes and each outcome group's share (%), by ``key`` (or one row for all when None)."""
    g = frame.assign(group=frame["outcome"].map(group_of))
    if key:
        wide = g.pivot_table(index=key, columns="group", values="count", aggfunc="sum", fill_value=0)
    else:
        wide = pd.DataFrame([g.groupby("group")["count"].sum().to_dict()])
    wide = wide.reindex(columns=GROUPS, fill_value=0)
    crimes = wide.sum(axis=1)
    out = pd.DataFrame({"crimes": crimes.astype("int64")})
    for grp in GROUPS:
        out[f"{grp}_pct"] = (wide[grp] / crimes * 100).round(1).where(crimes > 0)
        out[f"{grp}_n"] = wide[grp].astype("int64")
    out = out.reset_index() if key else out.reset_index(drop=True)
    if key:
        out = out.sort_values(["crimes", key], ascending=[False, True], kind="mergesort").reset_index(
            drop=True
        )
    return out


def _by_priority(sel: pd.DataFrame, pset: PrioritySet) -> tuple[pd.DataFrame, list[str]]:
    """Each priority measurable from police.uk categories, with its outcome shares."""
    from csp_assess.analysis.priorities import measure_mask

    rows: list[pd.DataFrame] = []
    notes: list[str] = []
    cats = sel.assign(major=sel["category"], minor=sel["category"])
    for pdef in pset.priorities:
        m = pdef.measure_for("police-uk")
        if m is None or m.not_measurable or not (m.majors or m.minors):
            notes.append(f"{pdef.name}: not measurable from police.uk categories")
            continue
        part = cats[measure_mask(cats, m)]
        if not len(part):
            continue
        row = shares(part, None)
        row.insert(0, "proxy", m.proxy or "")
        row.insert(0, "measure", m.describe())
        row.insert(0, "priority", pdef.name)
        rows.append(row.drop(columns=["index"], errors="ignore"))
    frame = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["priority", "measure", "crimes"])
    )
    return frame, notes


def build_outcomes(
    outcomes: Outcomes,
    area: AreaArg = None,
    year: str | None = None,
    start_month: int = 4,
    pset: PrioritySet | None = None,
) -> Result:
    """Outcome shares for the area's crimes in a financial year, by category, outcome, month and priority."""
    months = outcomes.months
    if not months and outcomes.rejects:  # nothing counted: say why, not "no complete financial year"
        first = outcomes.rejects[0]
        raise SelectionError(
            f"no crimes were counted ({len(outcomes.rejects):,} of {outcomes.rows_read:,} rows rejected, e.g. "
            f"{first.file}:{first.line}: {first.reason}): run validate on the files to see each rejected row"
        )
    period = _period(months, year, start_month)
    sel, label = _select(outcomes.counts, area)
    sel = sel[sel["month"].isin(period.months)]
    warnings: list[str] = []
    unknown = sorted({o for o in sel["outcome"].unique() if group_of(o) == OTHER})
    if unknown:
        warnings.append(
            f"{len(unknown)} outcome text(s) not in the outcome groups, counted as other: {'; '.join(unknown)}"
        )
    if not period.complete:
        warnings.append(f"{period.label}: a partial year")
    by_category = shares(sel, "category")
    by_outcome = sel.groupby("outcome", as_index=False).agg(crimes=("count", "sum"))
    total = int(by_outcome["crimes"].sum())
    by_outcome["group"] = by_outcome["outcome"].map(group_of)
    by_outcome["share_pct"] = (by_outcome["crimes"] / total * 100).round(1) if total else None
    by_outcome = by_outcome.sort_values(
        ["crimes", "outcome"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    by_month = (
        shares(sel.assign(month=sel["month"].astype(str)), "month")
        .sort_values("month")
        .reset_index(drop=True)
    )
    overall = shares(sel, None).iloc[0] if total else None
    latest = max(months)
    notes = [
        CAVEAT
        + f" (the files run to {month_label(latest)}; each holds outcomes as of when it was downloaded)",
        f"Read {outcomes.rows_read:,} rows from {len(outcomes.files)} file(s): {outcomes.crimes:,} crimes + "
        f"{outcomes.asb_rows:,} anti-social behaviour incidents (no outcome) + {len(outcomes.rejects):,} rejected",
        "Groups: charged_summonsed = charged or summonsed, whatever the court result (incl. awaiting court); "
        "out_of_court = caution, penalty notice, drugs warning, local resolution",
    ]
    shown = ["crimes", "charged_summonsed_pct", "out_of_court_pct", "no_suspect_pct", "unable_to_prosecute_pct",
             "under_investigation_pct"]  # fmt: skip
    detail = [c for c in by_category.columns if c not in shown and c != "category"]
    tables = {
        "by_category": Table(
            by_category, ["category", *shown], f"Outcomes by category, {label}, {period.label}", detail
        ),
        "by_outcome": Table(
            by_outcome, ["outcome", "group", "crimes", "share_pct"], "Last outcome (police.uk)"
        ),
        "by_month": Table(
            by_month, ["month", *shown], "Outcomes by month recorded (recent months not final)", detail
        ),
    }
    if pset is not None:
        by_priority, pnotes = _by_priority(sel, pset)
        tables["by_priority"] = Table(
            by_priority,
            ["priority", "measure", *shown],
            "Outcomes by priority",
            ["proxy", *[c for c in detail if c in by_priority.columns]],
        )
        notes += pnotes
    headline = f"{total:,} crimes in {label} in {period.label}" + (
        f": {overall['charged_summonsed_pct']:.1f}% charged or summonsed, {overall['no_suspect_pct']:.1f}% closed "
        f"with no suspect identified, {overall['under_investigation_pct']:.1f}% still under investigation "
        f"(last outcomes as published in files running to {month_label(latest)}; recent months' outcomes "
        "are not final)."
        if overall is not None
        else "."
    )
    meta: dict[str, object] = {
        "area": label,
        "year": period.label,
        "year_complete": period.complete,
        "crimes": total,
        "files_run_to": str(latest),
        "rows_read": outcomes.rows_read,
        "crimes_read": outcomes.crimes,
        "asb_rows": outcomes.asb_rows,
        "rows_rejected": len(outcomes.rejects),
        "headline": headline,
    }
    if overall is not None:
        for c in SHARE_COLUMNS:
            meta[c] = None if pd.isna(overall[c]) else float(overall[c])
    sources = [
        side_source(
            f.path, "police-uk-street (outcomes)", f.rows_read, f.crimes + f.asb_rows, f.rows_rejected, months
        )
        for f in outcomes.files
    ]
    return Result(
        command="outcomes",
        meta=meta,
        tables=tables,
        sources=sources,
        warnings=warnings,
        title=headline,
        notes=notes,
        primary="by_category",
    )
