"""The scoring matrix as CSV, for workshops that score in a spreadsheet.

The same content as the TOML file (``scoring_file``): ``#`` comment lines stating the scales, a header
row, then rows whose ``kind`` says what they are: ``matrix`` rows carry the file's area, year, priority set
and population (the key in ``name``, the value in ``measure``), one ``weights`` row carries each
dimension's weight, and every other row is an issue. ``computed_from`` says what each computed score rests
on and is not read back. Errors name the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from csp_assess.errors import ConfigError
from csp_assess.reference.scoring_file import (
    COMPUTED_KEYS,
    DIMENSION_KEYS,
    DIMENSIONS,
    KINDS,
    MATRIX_KEYS,
    TOTAL_RULE,
    IssueScores,
    ScoringFile,
)
from csp_assess.safetext import SPREADSHEET_TRIGGERS, neutralise, printable

COLUMNS = ["name", "kind", "measure", *DIMENSION_KEYS, "horizon", "computed_from"]


def scoring_csv(
    area: str,
    year: str,
    priorities_source: str,
    population: float | None,
    issues: list[dict[str, Any]],
    weights: dict[str, float] | None = None,
) -> str:
    """The CSV a workshop fills in (written UTF-8 with BOM by the caller, for Excel)."""
    w = weights or dict.fromkeys(DIMENSION_KEYS, 1.0)
    buf = io.StringIO()
    buf.write(  # one comment line whatever the area's name holds (a line break would start a data row)
        f"# csp-assess scoring matrix: {printable(area)}, {year}. Scores are whole numbers 1-5; leave a cell empty if not scored.\n"
    )
    for d in DIMENSIONS:
        buf.write(f"# {d.key}: {d.scale}\n")
    buf.write("# Computed scores you change are used but shown as overrides beside the computed value.\n")
    buf.write(f"# {TOTAL_RULE}.\n")
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(COLUMNS)
    meta = {"area": area, "year": year, "priorities": priorities_source}
    if population is not None:
        meta["population"] = f"{population:g}"
    for key, value in meta.items():
        out.writerow([key, "matrix", neutralise(value)] + [""] * (len(COLUMNS) - 3))
    out.writerow(["weights", "weights", ""] + [f"{w[k]:g}" for k in DIMENSION_KEYS] + ["", ""])
    for issue in issues:
        basis = "; ".join(f"{k}: {issue[f'{k}_why']}" for k in COMPUTED_KEYS if issue.get(f"{k}_why"))
        scores = ["" if issue.get(k) is None else str(issue[k]) for k in DIMENSION_KEYS]
        out.writerow(
            [
                neutralise(issue["name"]),
                issue["kind"],
                neutralise(issue.get("measure", "")),
                *scores,
                "",
                basis,
            ]
        )
    return buf.getvalue()


def parse_scoring_csv(text: str, source: str) -> ScoringFile:
    """Parse and check a scoring CSV; every error names the line and the column."""
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])))
    header = reader.fieldnames or []
    missing = [c for c in ("name", "kind") if c not in header]
    if missing:
        raise ConfigError(f"no '{missing[0]}' column in the header", file=source, line=skipped + 1)
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise ConfigError(
            f"unknown column '{unknown[0]}' (allowed: {', '.join(COLUMNS)})", file=source, line=skipped + 1
        )
    out = ScoringFile(source, [], dict.fromkeys(DIMENSION_KEYS, 1.0))
    seen: set[str] = set()
    for row in reader:
        line = skipped + reader.line_num
        name = _text(row, "name")
        kind = (row.get("kind") or "").strip()
        if kind == "matrix":
            _matrix_row(out, name, _text(row, "measure"), source, line)
        elif kind == "weights":
            for key in DIMENSION_KEYS:
                raw = (row.get(key) or "").strip()
                if raw:
                    out.weights[key] = _weight(raw, key, source, line)
        else:
            out.issues.append(_issue(row, name, kind, source, line, seen))
    if not out.issues:
        raise ConfigError("no issue rows: list at least one issue", file=source)
    return out


def _matrix_row(out: ScoringFile, key: str, value: str, source: str, line: int) -> None:
    if key not in MATRIX_KEYS:
        raise ConfigError(
            f"column 'name': unknown matrix key '{key}' (one of {', '.join(MATRIX_KEYS)})",
            file=source,
            line=line,
        )
    if key == "population" and value:
        try:
            pop = float(value.replace(",", ""))
        except ValueError:
            pop = math.nan
        if not pop > 0:
            raise ConfigError(
                f"column 'measure': population must be a number above 0, not {value!r}",
                file=source,
                line=line,
            )
        out.population = pop
    elif key == "area":
        out.area = value or None
    elif key == "year":
        out.year = value or None
    elif key == "priorities":
        out.priorities = value or None


def _weight(raw: str, key: str, source: str, line: int) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(
            f"weights: column '{key}' must be a number of 0 or more, not {raw!r}", file=source, line=line
        )
    return value


def _issue(row: dict[str, Any], name: str, kind: str, source: str, line: int, seen: set[str]) -> IssueScores:
    if not name:
        raise ConfigError("column 'name': an issue needs a name", file=source, line=line)
    kind = kind or "added"
    if kind not in KINDS:
        raise ConfigError(
            f"issue '{name}': column 'kind' must be one of {', '.join(KINDS + ('matrix', 'weights'))}, not {kind!r}",
            file=source,
            line=line,
        )
    if name.casefold() in seen:
        raise ConfigError(f"issue '{name}' is listed twice", file=source, line=line)
    seen.add(name.casefold())
    scores: dict[str, int | None] = {}
    for key in DIMENSION_KEYS:
        raw = (row.get(key) or "").strip()
        if not raw:
            scores[key] = None
        elif raw.removesuffix(".0") in {"1", "2", "3", "4", "5"}:  # a spreadsheet may save 3 as 3.0
            scores[key] = int(raw.removesuffix(".0"))
        else:
            raise ConfigError(
                f"issue '{name}': column '{key}' must be a whole number from 1 to 5, or empty if not scored, "
                f"not {raw!r}",
                file=source,
                line=line,
            )
    return IssueScores(name, kind, line, scores, _text(row, "horizon"), _text(row, "measure"))


def _text(row: dict[str, Any], column: str) -> str:
    """A text cell as written before ``neutralise`` guarded it: a name such as ``=HYPERLINK(...)`` is written
    ``'=HYPERLINK(...)`` so a spreadsheet shows it rather than runs it, and read back as itself."""
    text = (row.get(column) or "").strip()
    if text.startswith("'") and text[1:].startswith(SPREADSHEET_TRIGGERS):
        return text[1:].strip()
    return text
