"""Checking extract files before analysing them: what each file is, what was read, counted and rejected.

``validate_paths`` never stops at the first bad file: every path is tried, an unusable file is reported
with its one-line error, and the usable ones are combined (per category set and level) so the report can
say which snapshot won which months. Pure: no printing.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csp_assess.errors import CspAssessError, on_command_line
from csp_assess.model import FileLoad, Reject, SourceFile
from csp_assess.periods import span_label
from csp_assess.result import Result

UNRECOGNISED_NOTE = "not in the category map"


@dataclass
class FileReport:
    """One file (or one member of a zip), usable or not."""

    path: str
    error: str | None = None  # the one-line error when the file is unusable
    source: SourceFile | None = None
    unrecognised: list[tuple[str, str]] = field(default_factory=list)  # (major, minor) with no weights

    @property
    def usable(self) -> bool:
        return self.error is None

    def record(self) -> dict[str, Any]:
        """The JSON contract: path, layout, encoding, rows_read/counted/rejected, months, gaps, areas."""
        s = self.source
        if s is None:
            return {
                "path": self.path,
                "usable": False,
                "error": self.error,
                "layout": None,
                "encoding": None,
                "rows_read": None,
                "rows_counted": None,
                "rows_rejected": None,
                "first_month": None,
                "last_month": None,
                "gaps": [],
                "areas": [],
            }
        return {
            "path": s.path,
            "usable": True,
            "error": None,
            "layout": s.layout,
            "encoding": s.encoding,
            "rows_read": s.rows_read,
            "rows_counted": s.rows_counted,
            "rows_rejected": s.rows_rejected,
            "first_month": str(s.first_month) if s.first_month is not None else None,
            "last_month": str(s.last_month) if s.last_month is not None else None,
            "gaps": [str(m) for m in s.gaps],
            "areas": list(s.areas),
            "categories": s.scheme,
            "level": s.level,
            "offences": s.offences,
            "months_used": [str(m) for m in s.months_used],
            "months_used_span": span_label(s.months_used) if s.months_used else "none",
            "superseded": [
                {"by": by, "months": [str(m) for m in ms], "span": span_label(ms)}
                for by, ms in s.superseded_by.items()
            ],
            "unrecognised_categories": [{"major": a, "minor": b} for a, b in self.unrecognised],
        }


@dataclass
class Validation:
    files: list[FileReport]
    rejects: list[Reject]
    warnings: list[str]

    @property
    def unusable(self) -> list[FileReport]:
        return [f for f in self.files if not f.usable]


def _expand(path: str | Path) -> tuple[list[Path], str | None]:
    from csp_assess.load import expand_paths

    try:
        return expand_paths([path]), None
    except CspAssessError as err:
        return [], str(err)


def _read(path: Path, mapping: dict[str, str]) -> tuple[list[FileLoad], str | None]:
    from csp_assess.load import load_file

    try:
        # validate reports files, never places: street files' LSOAs are summed into areas as they are read
        # (the same rows, rejects and notes; 60 months of the Met combined in ~170 MB, not ~550 MB)
        return load_file(path, mapping, subareas=False), None
    except CspAssessError as err:
        return [], str(err)
    except OSError as err:
        return [], f"cannot read file: {err.strerror or err} ({path})"


def _unrecognised(loads: list[FileLoad], scheme: str) -> dict[str, list[tuple[str, str]]]:
    """Per file, the (major, minor) pairs the weight tables do not know. The tables are asked once, for
    the pairs of all files together (once per file took ~50 s over 10,000 tiny files)."""
    import pandas as pd

    from csp_assess.reference.ho_codes import HO_CODE, code_mix
    from csp_assess.reference.weights import weights_for

    pairs_of: dict[str, set[tuple[str, str]]] = {}
    coded: list[pd.DataFrame] = []  # rows with Home Office offence codes: categories weighted by code
    for ld in loads:
        cols = ld.columns if ld.columns is not None else ld.counts
        pairs_of.setdefault(ld.source.path, set()).update(zip(cols["major"], cols["minor"], strict=True))
        if HO_CODE in cols:
            keys = ["major", "minor", HO_CODE, "count"]
            coded.append(pd.DataFrame({k: cols[k] for k in keys}))
    union = sorted(set().union(*pairs_of.values()))
    unknown: set[tuple[str, str]] = set()
    mix = code_mix(pd.concat(coded, ignore_index=True)) if coded else None
    if union:
        cats = pd.DataFrame(union, columns=["major", "minor"], dtype=object)
        try:
            weighted = weights_for(cats, scheme, ho_codes=mix)
        except CspAssessError:
            weighted = cats.assign(note=UNRECOGNISED_NOTE)
        miss = weighted[weighted["note"] == UNRECOGNISED_NOTE]
        unknown = set(zip(miss["major"], miss["minor"], strict=True))
    return {
        path: [(str(a), str(b)) for a, b in sorted(pairs) if (a, b) in unknown]
        for path, pairs in pairs_of.items()
    }


def _stop_search(path: Path, reports: list[FileReport], rejects: list[Reject]) -> bool:
    """A police.uk stop-and-search file (or a partner indicators file) is reported (rows read/counted/
    rejected, months) from its own reader; False for any other file."""
    from csp_assess.load.indicators import is_indicators_file, read_indicators, source_of_file
    from csp_assess.load.stop_search import is_stop_search_file, read_stop_search

    if is_indicators_file(path):  # a partner indicators file: its own reader too
        try:
            ind = read_indicators(path)
        except CspAssessError as err:
            reports.append(FileReport(path=str(path), error=str(err)))
            return True
        reports.append(FileReport(path=ind.path, source=source_of_file(ind)))
        rejects.extend(ind.rejects)
        return True
    if not is_stop_search_file(path):
        return False
    try:
        loads = read_stop_search(path)
    except CspAssessError as err:
        reports.append(FileReport(path=str(path), error=str(err)))
        return True
    for ld in loads:
        reports.append(FileReport(path=ld.source.path, source=ld.source))
        rejects.extend(ld.rejects)
    return True


def validate_paths(paths: Sequence[str | Path], mapping: dict[str, str] | None = None) -> Validation:
    """Read every file named (folders and zips expanded), each on its own, then resolve snapshots."""
    from csp_assess.load.combine import SCHEME_NAMES, combine

    mapping = mapping or {}
    reports: list[FileReport] = []
    loads: list[FileLoad] = []
    report_of: dict[str, FileReport] = {}
    warnings: list[str] = []
    stop_rejects: list[Reject] = []
    for p in paths:
        files, error = _expand(p)
        if error is not None:  # shown as the user typed it; a name not valid UTF-8 with its bytes escaped
            shown = os.fsencode(p).decode("utf-8", "backslashreplace")
            reports.append(FileReport(path=shown, error=error))
            continue
        for f in files:
            if _stop_search(f, reports, stop_rejects):  # read by its own reader, never combined with crime
                continue
            got, error = _read(f, mapping)
            if error is not None:
                reports.append(FileReport(path=str(f), error=error))
                continue
            for ld in got:
                rep = FileReport(path=ld.source.path, source=ld.source)
                reports.append(rep)
                report_of[ld.source.path] = rep
                loads.append(ld)

    rejects = [r for ld in loads for r in ld.rejects] + stop_rejects
    groups: dict[tuple[str, str], list[FileLoad]] = defaultdict(list)
    for ld in loads:
        groups[(ld.source.scheme, ld.source.level)].append(ld)
    for (scheme, _level), group in sorted(groups.items()):
        # One group at a time: combine sets months_used / superseded_by on each source, and warns.
        warnings.extend(combine(group).warnings)
        for path, pairs in _unrecognised(group, scheme).items():
            report_of[path].unrecognised = pairs
            if pairs:
                shown = "; ".join(f"{a} / {b}" if a != b else a for a, b in pairs[:8])
                more = f" (+{len(pairs) - 8} more)" if len(pairs) > 8 else ""
                warnings.append(
                    f"{path}: {len(pairs)} categor{'y' if len(pairs) == 1 else 'ies'} not recognised by "
                    f"the weight tables (no harm or cost weight): {shown}{more}"
                )
    if len(groups) > 1:
        parts = "; ".join(
            f"{len(g)} file(s) with {SCHEME_NAMES.get(s, s)} at {lv} level"
            for (s, lv), g in sorted(groups.items())
        )
        warnings.append(
            f"these files cannot be analysed in one call ({parts}): they count differently, "
            "so run them separately"
        )
    for rep in reports:
        s = rep.source
        if s is not None and s.rows_read != s.rows_counted + s.rows_rejected:  # pragma: no cover - invariant
            warnings.append(
                f"{s.path}: rows read ({s.rows_read}) != counted ({s.rows_counted}) + rejected "
                f"({s.rows_rejected}): please report this"
            )
        if s is not None and s.rows_read and not s.rows_counted:
            warnings.append(f"{s.path}: every row was rejected; the file contributes nothing")
    return Validation(files=reports, rejects=rejects, warnings=warnings)


def files_frame(v: Validation) -> pd.DataFrame:
    """One row per file for the terminal, Markdown and CSV outputs (lists shown as short text)."""
    rows: list[dict[str, Any]] = []
    for rep in v.files:
        s = rep.source
        if s is None:
            rows.append({"path": rep.path, "status": "unusable", "error": rep.error})
            continue
        sup = "; ".join(f"{span_label(ms)} from {by}" for by, ms in s.superseded_by.items())
        rows.append(
            {
                "path": s.path,
                "status": "ok",
                "layout": s.layout,
                "encoding": s.encoding,
                "rows_read": s.rows_read,
                "rows_counted": s.rows_counted,
                "rows_rejected": s.rows_rejected,
                "first_month": str(s.first_month) if s.first_month is not None else "",
                "last_month": str(s.last_month) if s.last_month is not None else "",
                "gaps": len(s.gaps),
                "gap_months": ", ".join(str(m) for m in s.gaps),
                "areas": len(s.areas),
                "area_names": "; ".join(s.areas),
                "months_used": span_label(s.months_used) if s.months_used else "none",
                "superseded": sup,
                "unrecognised": len(rep.unrecognised),
                "error": "",
            }
        )
    return pd.DataFrame(rows)


def rejects_frame(v: Validation) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": [r.file for r in v.rejects],
            "line": pd.array([r.line for r in v.rejects], dtype="Int64"),
            "reason": [r.reason for r in v.rejects],
        }
    )


def _totals(v: Validation) -> tuple[int, int, int, int]:
    """(usable files, rows read, counted, rejected) over the files that could be read."""
    usable = [f.source for f in v.files if f.source is not None]
    return (
        len(usable),
        sum(s.rows_read for s in usable),
        sum(s.rows_counted for s in usable),
        sum(s.rows_rejected for s in usable),
    )


def validation_document(v: Validation) -> dict[str, Any]:
    """The ``validate --format json`` document: rows read = counted + rejected over the usable files (as
    the terminal's "Read ..." line; before, a script had to add up the files), every file, every rejected
    row, warnings, unusable files."""
    _, read, counted, rejected = _totals(v)
    return {
        "rows_read": read,
        "rows_counted": counted,
        "rows_rejected": rejected,
        "files": [f.record() for f in v.files],
        "rejects": [{"file": r.file, "line": r.line, "reason": r.reason} for r in v.rejects],
        "warnings": v.warnings,
        "unusable": [{"path": f.path, "error": f.error} for f in v.unusable],
    }


VALIDATE_COLUMNS = [
    "path",
    "status",
    "layout",
    "encoding",
    "rows_read",
    "rows_counted",
    "rows_rejected",
    "first_month",
    "last_month",
    "gaps",
    "areas",
    "unrecognised",
]
VALIDATE_DETAIL = ["months_used", "superseded", "gap_months", "area_names", "error"]


def more_rejects_note(more: int, cli: bool | None = None) -> str:
    """The note for rejected rows left out of the table: the API keyword in Python, the flags on the
    command line (a library result never tells a Python user about a flag; ``cli`` None: whichever runs)."""
    cli = on_command_line() if cli is None else cli
    how = (
        "use --all-rejects or --format json"
        if cli
        else "call validate with max_rejects=None, or use to_dict()"
    )
    return f"{more:,} more rejected row(s): {how}"


def validation_result(v: Validation, max_rejects: int | None = None) -> Result:
    """The files and rejects tables, with the reconciliation over the usable files."""
    from csp_assess.result import Table, source_record

    files = files_frame(v)
    rejects = rejects_frame(v)
    shown = rejects if max_rejects is None else rejects.head(max_rejects)
    usable = [f.source for f in v.files if f.source is not None]
    n_usable, read, counted, rejected = _totals(v)
    notes = [
        f"Read {read:,} rows from {n_usable} usable file{'s' if n_usable != 1 else ''}: "
        f"{counted:,} counted + {rejected:,} rejected"
    ]
    if len(shown) < len(rejects):
        notes.append(more_rejects_note(len(rejects) - len(shown)))
    if v.unusable:
        notes.append(f"{len(v.unusable)} file(s) unusable: see the errors below")
    tables = {
        "files": Table(files, [c for c in VALIDATE_COLUMNS if c in files.columns], "Files", VALIDATE_DETAIL)
    }
    if len(rejects):
        tables["rejects"] = Table(shown, ["file", "line", "reason"], "Rejected rows")
    return Result(
        command="validate",
        meta={"files": len(v.files), "unusable": len(v.unusable)},
        tables=tables,
        sources=[source_record(s) for s in usable],
        warnings=v.warnings,
        title="Validate: what was read, counted and rejected",
        notes=notes,
        primary="files",
    )
