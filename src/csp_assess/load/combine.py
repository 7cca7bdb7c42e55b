"""Combining files: overlapping snapshots resolved so that no month is ever counted twice.

Met files are monthly snapshots that overlap (a historical file and a "most recent 24 months" file).
Rule: within one scope (the Met, one police.uk force, long extracts), each month is taken from the single
file whose last month is latest among the files that cover it (ties broken by file name, and said).
Files of different category sets or levels are refused, never spliced into one series.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from csp_assess.errors import LayoutError
from csp_assess.model import Extract, FileLoad, Reject, frame_of
from csp_assess.periods import span_label

SCHEME_NAMES = {
    "met-old": "Met old categories (Title Case)",
    "met-new": "Met new categories (UPPER CASE)",
    "met-pre2019": "Met pre-2019 categories",
    "police-uk": "data.police.uk crime types",
    "custom": "custom categories",
}


def _check_compatible(loads: list[FileLoad]) -> tuple[str, str]:
    schemes = sorted({ld.source.scheme for ld in loads})
    if len(schemes) > 1:
        example = {ld.source.scheme: ld.source.path for ld in loads}
        parts = "; ".join(f"{example[s]} has {SCHEME_NAMES.get(s, s)}" for s in schemes)
        raise LayoutError(
            f"cannot combine files with different category sets ({parts}): they count differently, "
            "so run them in separate calls"
        )
    levels = sorted({ld.source.level for ld in loads})
    if len(levels) > 1:
        example = {ld.source.level: ld.source.path for ld in loads}
        parts = "; ".join(f"{example[lv]} is {lv}-level" for lv in levels)
        raise LayoutError(
            f"cannot combine files of different levels ({parts}): ward sums differ from borough totals, "
            "so run them in separate calls"
        )
    return schemes[0], levels[0]


def combine(loads: list[FileLoad]) -> Extract:
    """Resolve overlapping months and stack the counts of every file."""
    scheme, level = _check_compatible(loads)
    warnings: list[str] = []
    rejects: list[Reject] = []
    by_scope: dict[str, list[FileLoad]] = defaultdict(list)
    for ld in loads:
        by_scope[ld.source.scope].append(ld)
        warnings.extend(ld.warnings)
        rejects.extend(ld.rejects)

    chosen: list[tuple[FileLoad, list[pd.Period] | None]] = []  # each load, and the months it gives
    for _scope, group in sorted(by_scope.items()):
        # Newest snapshot first: latest last month, then file name (deterministic on ties).
        ranked = sorted(
            group,
            key=lambda ld: (ld.source.last_month or pd.Period("1900-01", "M"), ld.source.path),
            reverse=True,
        )
        owner: dict[pd.Period, FileLoad] = {}
        for ld in ranked:
            for m in ld.source.months_covered:
                owner.setdefault(m, ld)
        for ld in ranked:
            used = sorted(m for m in ld.source.months_covered if owner[m] is ld)
            ld.source.months_used = used
            lost: dict[str, list[pd.Period]] = defaultdict(list)
            for m in ld.source.months_covered:
                if owner[m] is not ld:
                    lost[owner[m].source.path].append(m)
            ld.source.superseded_by = {k: sorted(v) for k, v in sorted(lost.items())}
            for winner, months in ld.source.superseded_by.items():
                w = owner[months[0]].source
                tie = (
                    " (both end in the same month: the later file name wins)"
                    if (w.last_month == ld.source.last_month)
                    else ""
                )
                warnings.append(
                    f"{ld.source.path}: {len(months)} month(s) {span_label(months)} taken from the newer "
                    f"snapshot {winner} instead{tie}"
                )
            if used == ld.source.months_covered:  # nothing superseded (the usual case): no filter
                chosen.append((ld, None))
            elif used:
                chosen.append((ld, used))

    counts = _stacked(chosen) if chosen else loads[0].counts.iloc[0:0]
    if "subarea" in counts.columns:
        counts["subarea"] = counts["subarea"].fillna("")
    sort_cols = [c for c in ("area", "month", "major", "minor", "subarea", "force") if c in counts.columns]
    counts = counts.sort_values(sort_cols, kind="mergesort").reset_index(drop=True)
    sources = sorted((ld.source for ld in loads), key=lambda s: s.path)
    return Extract(
        counts=counts,
        sources=sources,
        rejects=rejects,
        warnings=collapse_warnings(warnings),
        scheme=scheme,
        level=level,
    )


def _ordinals(months: Any) -> np.ndarray:
    """A PeriodArray's month ordinals (int64), without a copy."""
    return np.asarray(months.asi8)


def _stacked(chosen: list[tuple[FileLoad, list[pd.Period] | None]]) -> pd.DataFrame:
    """One table of the chosen loads' rows (only the given months of each, where a list is given).

    Loads that came as arrays (police.uk street files, cached loads) are stacked as arrays into one
    DataFrame: one construction, not one a file. Otherwise their DataFrames are concatenated.
    """
    columns = [ld.columns for ld, _ in chosen]
    names = {tuple(c) for c in columns if c is not None}
    if all(c is not None for c in columns) and len(names) == 1:
        parts: dict[str, list[Any]] = {name: [] for name in next(iter(names))}
        for (_, months), cols in zip(chosen, columns, strict=True):
            assert cols is not None
            keep = None if months is None else np.isin(_ordinals(cols["month"]), [m.ordinal for m in months])
            for name, values in cols.items():
                arr = _ordinals(values) if isinstance(values, pd.arrays.PeriodArray) else values
                parts[name].append(arr if keep is None else arr[keep])
        first = columns[0]
        assert first is not None
        stacked = {
            name: pd.arrays.PeriodArray(np.concatenate(arrs), dtype=first[name].dtype)
            if isinstance(first[name], pd.arrays.PeriodArray)
            else np.concatenate(arrs)
            for name, arrs in parts.items()
        }
        return frame_of(stacked)
    frames = []
    for ld, months in chosen:
        if months is None:
            frames.append(ld.counts)
        else:
            frames.append(ld.counts[ld.counts["month"].isin(pd.PeriodIndex(months, freq="M"))])
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else chosen[0][0].counts.iloc[0:0]


_NUMBER = re.compile(r"\d[\d,]*")
_PER_FILE = re.compile(r"^(?P<path>[^:]+\.(?:csv|zip|xlsx|parquet|pq)(?:!\S+)?): (?P<rest>.+)$", re.I)


def collapse_warnings(warnings: list[str], keep: int = 3) -> list[str]:
    """The same per-file warning from many monthly files becomes one line with the total, not sixty lines."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    order: list[str] = []
    for w in warnings:
        m = _PER_FILE.match(w)
        key = _NUMBER.sub("#", m.group("rest")) if m else w
        if key not in groups:
            order.append(key)
        groups[key].append((m.group("path") if m else "", m.group("rest") if m else w))
    out: list[str] = []
    for key in order:
        items = groups[key]
        if len(items) <= keep or not items[0][0] or "#" not in key:
            out.extend(f"{p}: {r}" if p else r for p, r in items)
            continue
        total = sum(int(_NUMBER.findall(r)[0].replace(",", "")) for _, r in items)
        out.append(f"{len(items)} files: {key.replace('#', f'{total:,}', 1)} (in total)")
    return out
