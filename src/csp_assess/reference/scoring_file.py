"""The scoring-matrix file: its dimensions and scales, and the TOML a workshop edits.

``priorities --write-scoring`` writes it with the computed dimensions filled in; the workshop fills the
qualitative ones; ``rank --scoring`` reads it back. Reading is strict (every error names the file, the
line and the key) because a typo in a hand-edited score would otherwise silently change the order.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csp_assess.errors import ConfigError
from csp_assess.reference.tomlfile import block_lines, first_line, key_line, reject_unknown_keys, toml_loads
from csp_assess.smallfile import read_small_text

# The 1-5 scales, stated once: the file's comments, the methods notes and the scoring all read these.
SHARE_BANDS = (1.0, 2.5, 5.0, 10.0)  # % of the year's crimes / harm / cost: 1 below 1%, ..., 5 at 10% or more
RATE_BANDS = (1.0, 2.5, 5.0, 10.0)  # offences per 1,000 residents a year


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    scale: str  # what 1 and 5 mean, for the file's comments and the methods text
    computed: bool
    axis: str  # "likelihood", "impact" or "" (in the total but not on the chart)


def _bands(unit: str, bands: tuple[float, ...]) -> str:
    b = [f"{x:g}" for x in bands]
    return (
        f"1 under {b[0]}{unit}, 2 {b[0]} to under {b[1]}{unit}, 3 {b[1]} to under {b[2]}{unit}, "
        f"4 {b[2]} to under {b[3]}{unit}, 5 {b[3]}{unit} or more"
    )


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("volume", "volume share", "share of the year's recorded crimes: " + _bands("%", SHARE_BANDS), True, "likelihood"),
    Dimension("harm", "harm share", "share of the year's crime harm (the ranking's harm index): " + _bands("%", SHARE_BANDS), True, "impact"),
    Dimension("cost", "cost share", "share of the year's cost of crime (Home Office unit costs): " + _bands("%", SHARE_BANDS), True, "impact"),
    Dimension("trend", "trend", "change on last year against the issue's usual year-to-year variation (the calibrated change test, Holm-adjusted; counting noise only with --variance none): 1 fell by more than usual variation, 3 within it, 5 rose by more than it", True, "likelihood"),
    Dimension("rate", "rate", "offences per 1,000 residents a year (only with a population): " + _bands(" per 1,000", RATE_BANDS), True, "likelihood"),
    Dimension("public_concern", "public concern", "workshop: 1 little public concern, 5 a top concern (surveys, councillors, consultation)", False, "impact"),
    Dimension("vulnerability", "vulnerability / threat", "workshop: 1 victims rarely vulnerable and low threat, 5 high risk to vulnerable people or high threat (e.g. exploitation, serious harm)", False, "impact"),
    Dimension("capacity", "partnership capacity", "workshop: 1 the partnership can change little, 5 it has the levers and resources to make a clear difference", False, ""),
    Dimension("reputational_risk", "organisational / reputational risk", "workshop: 1 low risk to the partners if not prioritised, 5 high (statutory duty, inspection, public confidence)", False, ""),
)  # fmt: skip
DIMENSION_KEYS = tuple(d.key for d in DIMENSIONS)
COMPUTED_KEYS = tuple(d.key for d in DIMENSIONS if d.computed)
WORKSHOP_KEYS = tuple(d.key for d in DIMENSIONS if not d.computed)
KINDS = ("priority", "category", "added")
ISSUE_TEXT_KEYS = ("name", "kind", "measure", "horizon")
MATRIX_KEYS = ("area", "year", "population", "priorities")

TOTAL_RULE = (
    "weighted total = sum(weight x score) / sum(weights of the dimensions scored), on the 1-5 scale: an "
    "unscored dimension is left out of an issue's total, never counted as 0"
)
CHART_RULE = (
    "chart: likelihood = mean of the volume, trend and rate scores; impact = mean of the harm, cost, "
    "public concern and vulnerability scores (those scored); capacity and reputational risk count in the "
    "total only"
)


def band(value: float, bands: tuple[float, ...]) -> int | None:
    """The 1-5 score of a value on a banded scale (None when unknown)."""
    if value is None or math.isnan(value):
        return None
    return 1 + sum(value >= b for b in bands)


@dataclass
class IssueScores:
    """One [[issue]] as read: scores are ints 1-5, or None where left empty ("")."""

    name: str
    kind: str
    line: int | None
    scores: dict[str, int | None] = field(default_factory=dict)
    horizon: str = ""
    measure: str = ""


@dataclass
class ScoringFile:
    source: str
    issues: list[IssueScores]
    weights: dict[str, float]
    area: str | None = None
    year: str | None = None
    population: float | None = None
    priorities: str | None = None


def parse_scoring(text: str, source: str) -> ScoringFile:
    """Parse and check a scoring file; every error names the line and the key."""
    data = toml_loads(text, source)
    extra = sorted(set(data) - {"matrix", "weights", "issue"})
    if extra:
        raise ConfigError(
            f"unknown key '{extra[0]}' (expected [matrix], [weights] and [[issue]] tables)",
            file=source,
            line=first_line(block_lines(text, rf"\[+\s*{re.escape(extra[0])}\s*\]"))
            or key_line(text, 0, extra[0])
            or None,
        )
    out = ScoringFile(source, [], _parse_weights(data.get("weights", {}), text, source))
    matrix = data.get("matrix", {})
    mline = first_line(block_lines(text, r"\[matrix\]"))
    if not isinstance(matrix, dict):
        raise ConfigError("[matrix] must be a table", file=source, line=mline)
    reject_unknown_keys(matrix, MATRIX_KEYS, "[matrix]", source, lambda key: key_line(text, mline, key))
    pop = matrix.get("population")
    if pop is not None and (isinstance(pop, bool) or not isinstance(pop, int | float) or pop <= 0):
        raise ConfigError(
            f"[matrix]: key 'population' must be a number above 0, not {pop!r}",
            file=source,
            line=key_line(text, mline, "population"),
        )
    out.area, out.year, out.priorities = matrix.get("area"), matrix.get("year"), matrix.get("priorities")
    out.population = float(pop) if pop is not None else None
    raw = data.get("issue", [])
    if not isinstance(raw, list) or not raw:
        raise ConfigError("no [[issue]] tables: list at least one issue", file=source)
    starts = block_lines(text, r"\[\[issue\]\]")
    seen: set[str] = set()
    for i, item in enumerate(raw):
        issue = _parse_issue(item, text, source, starts[i] if i < len(starts) else None)
        if issue.name.casefold() in seen:
            raise ConfigError(
                f"issue '{issue.name}' is listed twice", file=source, line=key_line(text, issue.line, "name")
            )
        seen.add(issue.name.casefold())
        out.issues.append(issue)
    return out


def _parse_weights(raw: Any, text: str, source: str) -> dict[str, float]:
    line = first_line(block_lines(text, r"\[weights\]"))
    if not isinstance(raw, dict):
        raise ConfigError("[weights] must be a table", file=source, line=line)
    weights = dict.fromkeys(DIMENSION_KEYS, 1.0)
    reject_unknown_keys(raw, DIMENSION_KEYS, "[weights]", source, lambda key: key_line(text, line, key))
    for key, value in raw.items():
        at = key_line(text, line, key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ConfigError(
                f"[weights]: key '{key}' must be a number of 0 or more, not {value!r}", file=source, line=at
            )
        weights[key] = float(value)
    return weights


def _parse_issue(item: Any, text: str, source: str, line: int | None) -> IssueScores:
    if not isinstance(item, dict):
        raise ConfigError("[[issue]] must be a table", file=source, line=line)
    allowed = ISSUE_TEXT_KEYS + DIMENSION_KEYS
    reject_unknown_keys(item, allowed, "[[issue]]", source, lambda key: key_line(text, line, key))
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("[[issue]] needs a 'name' string", file=source, line=key_line(text, line, "name"))
    kind = item.get("kind", "added")
    if kind not in KINDS:
        raise ConfigError(
            f"issue '{name}': key 'kind' must be one of {', '.join(KINDS)}, not {kind!r}",
            file=source,
            line=key_line(text, line, "kind"),
        )
    for key in ("measure", "horizon"):
        if not isinstance(item.get(key, ""), str):
            raise ConfigError(
                f"issue '{name}': key '{key}' must be a string", file=source, line=key_line(text, line, key)
            )
    scores: dict[str, int | None] = {}
    for key in DIMENSION_KEYS:
        value = item.get(key, "")
        if value == "":
            scores[key] = None
        elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
            scores[key] = value
        else:
            raise ConfigError(
                f"issue '{name}': key '{key}' must be a whole number from 1 to 5, or \"\" if not scored, "
                f"not {value!r}",
                file=source,
                line=key_line(text, line, key),
            )
    return IssueScores(name.strip(), kind, line, scores, item.get("horizon", ""), item.get("measure", ""))


def read_scoring(path: str | Path) -> ScoringFile:
    """A scoring file: CSV when its name ends .csv, else TOML."""
    p = Path(path)
    text = read_small_text(p, "scoring")
    if p.suffix.lower() == ".csv":
        from csp_assess.reference.scoring_csv import parse_scoring_csv

        return parse_scoring_csv(text, str(p))
    return parse_scoring(text, str(p))


def _q(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def scoring_text(
    area: str,
    year: str,
    priorities_source: str,
    population: float | None,
    issues: list[dict[str, Any]],
    weights: dict[str, float] | None = None,
) -> str:
    """The commented TOML for a workshop. ``issues`` carry name, kind, measure, each computed score (int or
    None) and ``why`` (one comment per computed score saying what it rests on)."""
    w = weights or dict.fromkeys(DIMENSION_KEYS, 1.0)
    head = [
        f"# csp-assess scoring matrix: {area}, {year}",
        "#",
        "# Every candidate issue: each priority of the set and each top-ranked or candidate category.",
        "# Computed dimensions are filled in from the data and scored 1-5:",
        *(f"#   {d.key:<18} {d.scale}" for d in DIMENSIONS if d.computed),
        "# `csp-assess rank --scoring FILE` recomputes them from the data: a value you change here is used, but",
        "# it is shown as an override with the computed value beside it (never silently).",
        '# Workshop dimensions: a whole number 1-5, or "" if not scored:',
        *(f"#   {d.key:<18} {d.scale}" for d in DIMENSIONS if not d.computed),
        "#   horizon            PESTELO horizon scanning (political, economic, social, technological,",
        "#                      environmental, legal, organisational): notes, shown beside the issue, not scored",
        f"# {TOTAL_RULE}.",
        f"# The {CHART_RULE}.",
        '# An issue you add by hand needs name, kind = "added" and the scores you give it.',
        "",
        "[matrix]",
        f"area = {_q(area)}",
        f"year = {_q(year)}",
        f"priorities = {_q(priorities_source)}",
    ]
    if population is not None:
        head.append(f"population = {population:g}")
    head += ["", "[weights]   # how much each dimension counts in the total (0 leaves it out)"]
    head += [f"{k} = {w[k]:g}" for k in DIMENSION_KEYS]
    body: list[str] = []
    for issue in issues:
        body += ["", "[[issue]]", f"name = {_q(str(issue['name']))}", f"kind = {_q(str(issue['kind']))}"]
        if issue.get("measure"):
            body.append(f"measure = {_q(str(issue['measure']))}")
        for key in COMPUTED_KEYS:
            score = issue.get(key)
            value = '""' if score is None else str(score)
            why = issue.get(f"{key}_why", "")
            body.append(f"{key} = {value}" + (f"   # {why}" if why else ""))
        body += [f'{key} = ""' for key in WORKSHOP_KEYS]
        body.append('horizon = ""')
    return "\n".join(head + body) + "\n"
