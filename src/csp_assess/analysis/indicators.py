"""Partner indicators beside crime: the period's count of each indicator against the same months a year
earlier, as its own table. Never added to crime totals, never ranked with crime categories. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from csp_assess.load.indicators import Indicators
from csp_assess.model import SourceFile
from csp_assess.periods import span_label
from csp_assess.result import Result, Table, source_record

INDICATOR_TABLE_COLUMNS = ["indicator", "source", "count", "previous_count", "change", "change_pct"]
BESIDE_NOTE = "Partner indicators ({names}) are shown beside crime and are never added to crime totals"


def _norm(s: str) -> str:
    return " ".join(str(s).split()).lower()


def select_indicators(
    ind: Indicators, label: str, parts: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """The indicator rows of the area analysed (each part of a merged partnership; ``All areas``: all)."""
    if _norm(label) == "all areas":
        return ind.counts, []
    wanted = {_norm(n) for n in (parts or (label,))}
    rows = ind.counts[ind.counts["area"].map(_norm).isin(wanted)]
    warnings = []
    if rows.empty:
        areas = ", ".join(sorted(ind.counts["area"].unique())[:12])
        warnings.append(f"{ind.path}: no partner indicator rows for {label} (its areas: {areas})")
    return rows, warnings


def indicator_counts(rows: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """One indicator's rows as a counts table (area, month, major = minor = the indicator, count), so a
    priority measured by it is counted with the same period functions as crime."""
    sel = rows[rows["indicator"].map(_norm) == _norm(indicator)]
    out = sel.groupby(["area", "month"], as_index=False, sort=True).agg(count=("count", "sum"))
    out["major"] = indicator
    out["minor"] = indicator
    return out[["area", "month", "major", "minor", "count"]]


def indicator_table(
    rows: pd.DataFrame, months: Sequence[pd.Period], previous: Sequence[pd.Period] | None
) -> pd.DataFrame:
    """Each indicator's count in ``months`` and in ``previous``, with how many of the months it covers."""
    out = []
    for (name, source), g in rows.groupby(["indicator", "source"], sort=True):
        have = set(g["month"])
        now = int(g.loc[g["month"].isin(list(months)), "count"].sum())
        row: dict[str, object] = {
            "indicator": name,
            "source": source,
            "count": now,
            "months_covered": sum(m in have for m in months),
            "months": len(months),
        }
        if previous is not None and all(m in have for m in previous):
            prev = int(g.loc[g["month"].isin(list(previous)), "count"].sum())
            row.update(
                previous_count=prev,
                change=now - prev,
                change_pct=round((now - prev) / prev * 100, 1) if prev else None,
            )
        else:
            row.update(previous_count=None, change=None, change_pct=None)
        out.append(row)
    frame = pd.DataFrame(out, columns=[*INDICATOR_TABLE_COLUMNS, "months_covered", "months"])
    frame["change_pct"] = frame["change_pct"].astype("float64")
    return frame


def attach_indicators(
    result: Result,
    ind: Indicators,
    months: Sequence[pd.Period],
    previous: Sequence[pd.Period] | None,
    parts: Sequence[str] = (),
) -> None:
    """Add the ``indicators`` table (and its note, warnings and provenance) to a command's result."""
    label = str(result.meta.get("area", "All areas"))
    rows, warnings = select_indicators(ind, label, parts)
    table = indicator_table(rows, months, previous)
    span = span_label(list(months))
    result.tables["indicators"] = Table(
        table,
        INDICATOR_TABLE_COLUMNS,
        f"Partner indicators, {label}, {span} (not in crime totals)",
        ["months_covered", "months"],
    )
    short = table[table["months_covered"] < table["months"]]
    for r in short.itertuples():
        warnings.append(
            f"partner indicator '{r.indicator}' covers {r.months_covered} of the {r.months} months of {span}"
        )
    for rej in ind.rejects[:5]:  # every reject is counted in the note below; the first five are named
        warnings.append(f"partner indicators: rejected {rej.file}:{rej.line}: {rej.reason}")
    if len(ind.rejects) > 5:
        warnings.append(f"partner indicators: {len(ind.rejects) - 5} more rejected row(s) in {ind.path}")
    result.warnings.extend(warnings)
    names = ", ".join(table["indicator"].tolist()) or "none for this area"
    result.notes.append(BESIDE_NOTE.format(names=names))
    result.notes.append(
        f"Partner indicators: read {ind.rows_read:,} rows from {ind.path}: {ind.rows_counted:,} counted + "
        f"{ind.rows_rejected:,} rejected"
    )
    result.meta["indicator_names"] = table["indicator"].tolist()
    result.sources.append(
        side_source(ind.path, "partner-indicators", ind.rows_read, ind.rows_counted, ind.rows_rejected,
                    sorted(set(ind.counts["month"])), ind.encoding)
    )  # fmt: skip


def side_source(
    path: str,
    layout: str,
    read: int,
    counted: int,
    rejected: int,
    months: list[pd.Period],
    encoding: str = "",
) -> dict[str, object]:
    """The provenance record of a file read beside the crime counts (indicators, outcomes), with the same
    keys as a crime file's, so every renderer shows it the same way."""
    s = SourceFile(
        path=path,
        layout=layout,
        scheme="partner" if layout == "partner-indicators" else "police-uk",
        level="area",
        encoding=encoding,
        rows_read=read,
        rows_counted=counted,
        rows_rejected=rejected,
        offences=0,  # none of these rows is an offence in the crime totals
        first_month=months[0] if months else None,
        last_month=months[-1] if months else None,
        scope=layout,
        months_covered=months,
        months_used=months,
    )
    return source_record(s)
