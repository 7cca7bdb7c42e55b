"""`csp-assess stops`: stop and search as context for drug and weapon possession trends.

Drug and weapon possession offences are mostly found by police activity, much of it stop and search: a
rise in possession offences can mean more searching, not more carrying. So the searches (by month,
legislation, object of search and outcome, and the share whose outcome was linked to the object searched
for) are shown beside the possession trends when crime files are given too. Searches are counted by force
(the files carry no area) and are never added to crime totals. Pure: no printing.
"""

from __future__ import annotations

import pandas as pd

from csp_assess.analysis.select import AreaArg, select_area
from csp_assess.errors import PeriodError, SelectionError, option
from csp_assess.load.stop_search import MONTH_RULE, NOT_RECORDED, StopSearchData
from csp_assess.model import Extract
from csp_assess.periods import month_label, months_present, parse_year, span_label
from csp_assess.result import Result, Table, reconciliation, source_record

# Possession offences by category set (compared case- and space-insensitively).
DRUG_MAJORS = {"drugs", "drug offences"}
WEAPON_MAJORS = {"possession of weapons"}
MONTH_COLUMNS = ["month", "searches", "outcome_linked", "outcome_linked_pct", "complete"]
BREAKDOWN_COLUMNS = ["searches", "share_pct", "outcome_linked", "outcome_linked_pct"]
ACTIVITY_NOTE = (
    "Drug and weapon possession offences mostly measure police activity (much of it stop and search), "
    "not how much is carried: read their trend beside the searches"
)


def _norm(s: str) -> str:
    return " ".join(str(s).split()).lower()


def _pct(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def _breakdown(counts: pd.DataFrame, key: str, label: str) -> pd.DataFrame:
    """Searches by one field, largest first, with the share whose outcome was linked to the object."""
    total = int(counts["count"].sum())
    g = counts.groupby(key, sort=True)
    searches = g["count"].sum()
    linked = (
        counts[counts["linked"] == "true"].groupby(key)["count"].sum().reindex(searches.index, fill_value=0)
    )
    frame = pd.DataFrame(
        {
            label: searches.index.astype(str),
            "searches": searches.to_numpy(dtype="int64"),
            "share_pct": [_pct(int(n), total) for n in searches],
            "outcome_linked": linked.to_numpy(dtype="int64"),
            "outcome_linked_pct": [_pct(int(a), int(b)) for a, b in zip(linked, searches, strict=True)],
        }
    )
    return frame.sort_values(["searches", label], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )


def _months(
    stops: StopSearchData, force: str, year: str | None, start_month: int
) -> tuple[list[pd.Period], str]:
    """The months analysed: a financial year (``year``), or every month in the files."""
    have = sorted(set(stops.counts.loc[stops.counts["area"] == force, "month"]))
    if not have:
        raise PeriodError(f"no stop-and-search rows for {force}")
    if year is None:
        return [m for m in pd.period_range(have[0], have[-1], freq="M")], span_label(have)
    fy = parse_year(year, start_month, "year")
    present = months_present(fy, have)
    if not present:
        raise PeriodError(
            f"{fy.label} is not in the stop-and-search files, which cover {span_label(have)}",
            params=["year"],
        )
    label = (
        fy.label
        if len(present) == 12
        else f"{fy.label} (partial: {span_label(present)}, {len(present)} of 12 months)"
    )
    # A partial year is the months the files hold, as everywhere else: the months outside them are not
    # months of no searches (before, Dec 2020-Mar 2021 of a 2020/21 ending in Nov 2020 were rows of 0
    # searches and the JSON said last_month 2021-03).
    return [m for m in fy.months if present[0] <= m <= present[-1]], label


def _possession(
    crime: Extract, area: AreaArg, months: list[pd.Period], force: str
) -> tuple[pd.DataFrame, str, list[str]]:
    """Drug and weapon possession offences by month in the crime files, for the area chosen (default the
    area named like the force, else every area)."""
    warnings: list[str] = []
    if area is None:
        area = force if force in crime.areas else "all"
        warnings.append(
            f"stop and search is counted for the whole force ({force}); possession offences are shown for "
            f"{'the area ' + force if area == force else 'all areas in the crime files'} (choose with {option('area')})"
        )
    sel = select_area(crime, area)
    warnings += sel.warnings
    c = sel.counts
    majors = c["major"].map(_norm)
    out = pd.DataFrame({"month": months})
    covered = set(crime.months_covered)
    for col, names in (("drug_offences", DRUG_MAJORS), ("weapon_possession", WEAPON_MAJORS)):
        s = c[majors.isin(names)].groupby("month")["count"].sum()
        out[col] = pd.array([int(s.get(m, 0)) if m in covered else None for m in months], dtype="Int64")
    if not c[majors.isin(DRUG_MAJORS | WEAPON_MAJORS)].shape[0]:
        warnings.append("the crime files hold no drug or weapon possession categories")
    return out, sel.label, warnings


def build_stops(
    stops: StopSearchData,
    crime: Extract | None = None,
    area: AreaArg = None,
    force: str | None = None,
    year: str | None = None,
    start_month: int = 4,
) -> Result:
    """Searches by month, legislation, object and outcome for one force, beside possession offences."""
    forces = sorted(stops.counts["area"].unique().tolist())
    if not forces:
        first = stops.rejects[0] if stops.rejects else None
        why = (
            f": all {stops.rows_rejected:,} rows were rejected, e.g. {first.file}:{first.line}: {first.reason}"
            if first
            else ""
        )
        raise SelectionError(f"the stop-and-search files hold no searches{why}")
    if force is None:
        if len(forces) > 1:
            raise SelectionError(
                f"the stop-and-search files cover {len(forces)} forces ({', '.join(forces)}): choose one with {{force}}",
                params=["force"],
            )
        force = forces[0]
    elif force not in forces:
        raise SelectionError(
            f"force '{force}' is not in the stop-and-search files ({', '.join(forces)})", params=["force"]
        )
    months, label = _months(stops, force, year, start_month)
    sel = stops.counts[(stops.counts["area"] == force) & stops.counts["month"].isin(months)]
    file_months = stops.file_months(force)
    by_month_n = sel.groupby("month")["count"].sum()
    linked_n = sel[sel["linked"] == "true"].groupby("month")["count"].sum()
    complete = [m in file_months for m in months]
    # A month with no file and no row at all is unknown, not 0 searches (as the possession columns
    # beside it are); a loaded file with no search in it is 0.
    known = [m in file_months or m in by_month_n.index for m in months]
    by_month = pd.DataFrame(
        {
            "month": [str(m) for m in months],
            "searches": pd.array(
                [int(by_month_n.get(m, 0)) if k else None for m, k in zip(months, known, strict=True)],
                dtype="Int64",
            ),
            "outcome_linked": pd.array(
                [int(linked_n.get(m, 0)) if k else None for m, k in zip(months, known, strict=True)],
                dtype="Int64",
            ),
        }
    )
    by_month["outcome_linked_pct"] = [
        _pct(int(a), int(b)) if k else None
        for a, b, k in zip(by_month["outcome_linked"], by_month["searches"], known, strict=True)
    ]
    by_month["complete"] = complete
    warnings: list[str] = []
    notes = [MONTH_RULE]
    partial = [m for m, ok in zip(months, complete, strict=True) if not ok]
    if partial:
        warnings.append(
            f"{len(partial)} month(s) are incomplete ({', '.join(month_label(m) for m in partial[:6])}"
            f"{'...' if len(partial) > 6 else ''}): their own file, or the file of the month before (whose late "
            "evening searches fall in them in UK time), is not loaded"
        )
    columns = list(MONTH_COLUMNS)
    crime_area = None
    if crime is not None:
        poss, crime_area, w = _possession(crime, area, months, force)
        warnings += w
        by_month["drug_offences"] = poss["drug_offences"].array
        by_month["weapon_possession"] = poss["weapon_possession"].array
        columns += ["drug_offences", "weapon_possession"]
        notes.append(ACTIVITY_NOTE)
        notes.append(f"Crime files, for the possession offences: {reconciliation(crime)}")
    total = int(sel["count"].sum())
    linked = int(sel.loc[sel["linked"] == "true", "count"].sum())
    not_recorded = int(sel.loc[sel["linked"] == NOT_RECORDED, "count"].sum())
    notes.append(
        f"Outcome linked to object: {linked:,} of {total:,} searches ({_pct(linked, total)}%); "
        f"{not_recorded:,} have no linked-outcome value and count as not linked"
    )
    read = stops.rows_read
    notes.append(
        f"Read {read:,} stop-and-search rows from {len(stops.loads)} file(s): {stops.rows_counted:,} counted + "
        f"{stops.rows_rejected:,} rejected; searches are never added to crime totals"
    )
    tables = {
        "by_month": Table(by_month, columns, f"Stop and search by month, {force}, {label}"),
        "by_legislation": Table(
            _breakdown(sel, "legislation", "legislation"),
            ["legislation", *BREAKDOWN_COLUMNS],
            "By legislation",
        ),
        "by_object": Table(
            _breakdown(sel, "object", "object"), ["object", *BREAKDOWN_COLUMNS], "By object of search"
        ),
        "by_outcome": Table(
            _breakdown(sel, "outcome", "outcome"), ["outcome", *BREAKDOWN_COLUMNS], "By outcome"
        ),
    }
    headline = (
        f"{total:,} stop and searches by {force} police in {label}; the outcome was linked to the object "
        f"searched for in {linked:,} ({_pct(linked, total)}%)."
    )
    meta: dict[str, object] = {
        "force": force,
        "period": label,
        "first_month": str(months[0]),
        "last_month": str(months[-1]),
        "searches": total,
        "outcome_linked": linked,
        "outcome_linked_pct": _pct(linked, total),
        "linked_not_recorded": not_recorded,
        "month_rule": "UK local time (Europe/London) of the UTC Date",
        "crime_area": crime_area,
        "rows_read": read,
        "rows_counted": stops.rows_counted,
        "rows_rejected": stops.rows_rejected,
        "headline": headline,
    }
    sources = [source_record(s) for s in stops.sources]
    if crime is not None:
        sources += [source_record(s) for s in crime.sources]
        warnings = list(crime.warnings) + warnings
    return Result(
        command="stops",
        meta=meta,
        tables=tables,
        sources=sources,
        warnings=warnings,
        title=headline,
        notes=notes,
        primary="by_month",
    )
