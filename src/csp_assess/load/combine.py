"""Combining files: overlapping snapshots resolved so that no month is ever counted twice.

Met files are monthly snapshots that overlap (a historical file and a "most recent 24 months" file).
Rule: within one scope (the Met, one police.uk force, long extracts), each month is taken from the single
file whose last month is latest among the files that cover it (ties broken by file name, and said).
Files of different category sets or levels are refused, never spliced into one series.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from csp_assess.errors import LayoutError
from csp_assess.model import Extract, FileLoad, Reject, frame_of
from csp_assess.periods import month_gaps, month_label, span_label

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


def combine(
    loads: list[FileLoad], *, subareas: bool = True, places_for: Collection[str] | None = None
) -> Extract:
    """Resolve overlapping months and stack the counts of every file.

    ``subareas=False`` sums the LSOA (``subarea``) rows of street-level files into their areas: an analysis
    that does not look at places then works on ~60,000 rows for five years of the Met, not ~2.2 million.
    ``places_for`` (the area names an analysis of places asked for) keeps the LSOAs of those areas only
    and sums every other area's into one row with a blank subarea: the same area totals, ~200,000 rows
    instead of ~2.2 million for one borough. A name matching no area (a force, ``all``, a typo) keeps
    every LSOA, so the selection and its messages are as without it. Ward files keep their wards either
    way (they are small)."""
    scheme, level = _check_compatible(loads)
    drop = not subareas and level == "lsoa"
    kept = _areas_meant(places_for, loads) if subareas and level == "lsoa" else None
    warnings: list[str] = []
    rejects: list[Reject] = []
    by_scope: dict[str, list[FileLoad]] = defaultdict(list)
    for ld in loads:
        by_scope[ld.source.scope].append(ld)
        rejects.extend(ld.rejects)

    chosen: list[tuple[FileLoad, list[pd.Period] | None]] = []  # each load, and the months it gives
    taken: list[str] = []  # one line per (file, newer snapshot that replaced some of its months)
    gap_notes: list[str] = []  # months no file of a scope covers, between its first and last
    repeats: list[tuple[str, str]] = []  # (file, the file holding exactly the same months that won)
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
        holes = month_gaps(owner)
        if len(group) > 1 and holes:  # one file's own gaps are said by its loader
            shown = ", ".join(month_label(m) for m in holes[:6]) + (" ..." if len(holes) > 6 else "")
            gap_notes.append(
                f"{len(holes)} month(s) inside the files' span {span_label(list(owner))} are in none of them "
                f"({shown}): a monthly file missing? A period holding them is partial"
            )
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
                taken.append(
                    f"{ld.source.path}: {len(months)} month(s) {span_label(months)} taken from the newer "
                    f"snapshot {winner} instead{tie}"
                )
                if w.months_covered == ld.source.months_covered:
                    repeats.append((ld.source.path, winner))
            if used == ld.source.months_covered:  # nothing superseded (the usual case): no filter
                chosen.append((ld, None))
            elif used:
                chosen.append((ld, used))

    # A file none of whose months is used adds nothing: its own notes ("49 rows with no location
    # counted") would count its rows twice, so only the files used speak.
    warnings = [
        w for ld in loads if ld.source.months_used or not ld.source.months_covered for w in ld.warnings
    ]
    warnings += _snapshot_notes(taken, repeats) + gap_notes
    warnings += _case_twins(sorted({a for ld in loads for a in ld.source.areas}))
    if drop:  # each street file's LSOAs summed into its areas first: the stacked table stays small
        chosen = [(_area_level(ld), months) for ld, months in chosen]
    elif kept is not None:  # LSOAs only where places are asked for
        chosen = [(_places_only(ld, kept), months) for ld, months in chosen]
    counts = _by_codes(chosen, drop) if chosen else None
    if counts is None:
        counts = _stacked(chosen) if chosen else _objects(loads[0].counts.iloc[0:0])
        for col in ("subarea", "ho_code"):  # files that lack the column: blank, never NaN
            if col in counts.columns:
                counts[col] = counts[col].fillna("")
        if drop and "subarea" in counts.columns:
            keys = [c for c in counts.columns if c not in ("subarea", "count")]
            counts = counts.groupby(keys, sort=False, dropna=False)["count"].sum().reset_index()
        sort_cols = [c for c in SORT_COLUMNS if c in counts.columns]
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


SORT_COLUMNS = ("area", "month", "major", "minor", "subarea", "ho_code", "force")


def _case_twins(areas: list[str]) -> list[str]:
    """Area names that differ only in case or spacing ('Barking and Dagenham', 'BARKING AND DAGENHAM'):
    probably one area spelt two ways, whose figures an exact ``--area`` would split without a word."""
    groups: dict[str, list[str]] = defaultdict(list)
    for a in areas:
        groups[" ".join(a.split()).casefold()].append(a)
    return [
        f"areas {' and '.join(repr(n) for n in names)} differ only in case or spacing: if they are one area, "
        "correct the file, or name both as the area to analyse them as one"
        for names in groups.values()
        if len(names) > 1
    ]


def _snapshot_notes(taken: list[str], repeats: list[tuple[str, str]], keep: int = 3) -> list[str]:
    """Which newer snapshot replaced which months, one line a file; but many files that only repeat
    another file given (a folder and its zip together) are one line saying so, not thirty-five."""
    if len(repeats) <= keep:
        return taken
    repeated = {f"{p}: " for p, _ in repeats}
    out = [t for t in taken if not any(t.startswith(r) for r in repeated)]
    path, winner = repeats[0]
    out.append(
        f"{len(repeats)} files hold exactly the months of another file given (a folder and its zip, or the "
        f"same download twice?): each month is counted once, from one of them (e.g. {path} gave way to "
        f"{winner}); csp-assess validate shows which file supplied each month"
    )
    return out


def _ordinals(months: Any) -> np.ndarray:
    """A PeriodArray's month ordinals (int64), without a copy."""
    return np.asarray(months.asi8)


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical text columns (street loads) as object columns, as every loader's counts are."""
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = pd.Series(np.asarray(frame[name], dtype=object), index=frame.index, dtype=object)
    return frame


def _norm(name: str) -> str:
    return " ".join(name.split()).lower()


def _areas_meant(names: Collection[str] | None, loads: list[FileLoad]) -> set[str] | None:
    """The areas whose LSOAs are kept for ``names``: every area equal to one of them ignoring case and
    spacing (a superset of what ``select_area`` picks); None (keep all) when a name is none of them."""
    if not names:
        return None
    by_norm: dict[str, set[str]] = defaultdict(set)
    for a in {a for ld in loads for a in ld.source.areas}:
        by_norm[_norm(a)].add(a)
    kept: set[str] = set()
    for name in names:
        found = by_norm.get(_norm(name))
        if not found:
            return None
        kept |= found
    return kept


def _places_only(load: FileLoad, areas: set[str]) -> FileLoad:
    """A street file's load with the LSOA rows of ``areas`` kept and every other area's summed into
    rows with a blank subarea (codes only, no strings touched)."""
    cols = load.columns
    if cols is None or "subarea" not in cols or not isinstance(cols.get("area"), pd.Categorical):
        return load
    area = cols["area"]
    inside = np.isin(area.codes, [i for i, a in enumerate(area.categories) if a in areas])
    if inside.all():
        return load
    outside = _area_level(FileLoad(columns={n: v[~inside] for n, v in cols.items()}, source=load.source))
    assert outside.columns is not None
    sub = cols["subarea"]
    if "" not in sub.categories:
        sub = sub.add_categories([""])
    blank = pd.Categorical.from_codes(
        np.full(len(outside.columns["count"]), sub.categories.get_loc(""), dtype=sub.codes.dtype),
        dtype=sub.dtype,
    )
    out: dict[str, Any] = {}
    for n, v in cols.items():
        here = sub[inside] if n == "subarea" else v[inside]
        there = blank if n == "subarea" else outside.columns[n]
        if isinstance(here, pd.Categorical):
            out[n] = pd.Categorical.from_codes(np.concatenate([here.codes, there.codes]), dtype=here.dtype)
        elif isinstance(here, pd.arrays.PeriodArray):
            out[n] = pd.arrays.PeriodArray(
                np.concatenate([_ordinals(here), _ordinals(there)]), dtype=here.dtype
            )
        else:
            out[n] = np.concatenate([np.asarray(here), np.asarray(there)])
    return FileLoad(columns=out, source=load.source, rejects=load.rejects, warnings=load.warnings)


def _area_level(load: FileLoad) -> FileLoad:
    """A street file's load with its LSOA rows summed into areas (codes only, no strings touched). Its
    rows are sorted by (area, month, type, subarea, force): with one force, the rows to sum are adjacent."""
    cols = load.columns
    if cols is None or "subarea" not in cols or not isinstance(cols.get("area"), pd.Categorical):
        return load
    names = [n for n in cols if n not in ("subarea", "count")]
    keys = [_ordinals(cols[n]) if n == "month" else np.asarray(cols[n].codes, dtype=np.int64) for n in names]
    n_rows = len(cols["count"])
    if not n_rows:
        return load
    change = np.zeros(n_rows, dtype=bool)
    change[0] = True
    for k in keys:
        change[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(change)
    if len(starts) and len(np.unique(np.stack([k[starts] for k in keys]), axis=1)[0]) != len(starts):
        # several forces in the file: equal rows are not all adjacent
        order = np.lexsort(keys[::-1])
        sorted_cols = {
            n: (v[order] if not isinstance(v, pd.Categorical) else v.take(order)) for n, v in cols.items()
        }
        return _area_level(FileLoad(columns=sorted_cols, source=load.source))
    out = {n: cols[n][starts] for n in names}
    out["count"] = np.add.reduceat(np.asarray(cols["count"]), starts)
    ordered = {n: out[n] for n in cols if n in out}
    return FileLoad(columns=ordered, source=load.source, rejects=load.rejects, warnings=load.warnings)


def _by_codes(
    chosen: list[tuple[FileLoad, list[pd.Period] | None]], drop_subarea: bool
) -> pd.DataFrame | None:
    """The stacked, sorted table when every load holds its text columns as categoricals (street files,
    and their cache entries): sorted by integer codes into the union of each column's values, never by
    string (pandas' sort of object columns takes seconds over the ~2.2 million LSOA rows of five years of
    the Met). With ``drop_subarea`` rows equal but for their subarea are summed. None when some load is
    not like that (the caller stacks DataFrames instead)."""
    columns = [ld.columns for ld, _ in chosen]
    if any(c is None for c in columns) or len({tuple(c) for c in columns if c is not None}) != 1:
        return None
    cols = [c for c in columns if c is not None]
    names = [n for n in cols[0] if not (drop_subarea and n == "subarea")]
    text = [n for n in names if isinstance(cols[0][n], pd.Categorical)]
    if not text or any(not isinstance(c[n], pd.Categorical) for c in cols for n in text):
        return None
    keep = [
        None if months is None else np.isin(_ordinals(c["month"]), [m.ordinal for m in months])
        for (_, months), c in zip(chosen, cols, strict=True)
    ]

    def part(values: Any, kept: np.ndarray | None) -> np.ndarray:
        arr = _ordinals(values) if isinstance(values, pd.arrays.PeriodArray) else np.asarray(values)
        return arr if kept is None else arr[kept]

    codes: dict[str, np.ndarray] = {}
    uniques: dict[str, list[str]] = {}
    for n in text:
        # loads of one extract share their dtypes (police_uk caches them): each distinct one is mapped once
        dtypes = {id(c[n].dtype): c[n].dtype for c in cols}
        union = sorted({v for d in dtypes.values() for v in d.categories.tolist()})
        where = pd.Index(union, dtype=object)
        to_union = {key: where.get_indexer(d.categories) for key, d in dtypes.items()}
        pieces = [to_union[id(c[n].dtype)][part(c[n].codes, k)] for c, k in zip(cols, keep, strict=True)]
        codes[n] = np.concatenate(pieces).astype(np.int64)
        uniques[n] = union
    plain = {
        n: np.concatenate([part(c[n], k) for c, k in zip(cols, keep, strict=True)])
        for n in names
        if n not in text
    }
    key = np.zeros(len(plain["count"]), dtype=np.int64)
    span = 1.0
    for n in SORT_COLUMNS:
        if n in codes:
            size, values = len(uniques[n]), codes[n]
        elif n in plain:
            lo = int(plain[n].min()) if len(plain[n]) else 0
            size, values = (int(plain[n].max()) - lo + 1 if len(plain[n]) else 1), plain[n] - lo
        else:
            continue
        span *= max(size, 1)
        if span >= 2.0**62:  # pragma: no cover - needs millions of distinct values in every column
            return None
        key = key * max(size, 1) + values
    order = np.argsort(key, kind="stable")
    if drop_subarea and len(order):  # one row per distinct key: its first row's values, counts summed
        ordered = key[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        plain["count"] = np.add.reduceat(plain["count"][order], starts)
        order = order[starts]
    del key
    out: dict[str, Any] = {}
    for n in names:
        if n in codes:
            out[n] = np.array(uniques.pop(n), dtype=object)[codes.pop(n)[order]]
        elif n == "count" and drop_subarea:
            out[n] = plain.pop(n)
        elif isinstance(cols[0][n], pd.arrays.PeriodArray):
            out[n] = pd.arrays.PeriodArray(plain.pop(n)[order], dtype=cols[0][n].dtype)
        else:
            out[n] = plain.pop(n)[order]
    return frame_of(out)


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
                if isinstance(arr, pd.Categorical):
                    arr = np.asarray(arr, dtype=object)
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
        _objects(ld.counts)
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
