"""The deep-dive rotation of a plan file: which theme the board looks at in which quarter, and its lead.

A plan file is TOML. This module reads only its ``[[rotation]]`` entries and any ``[[theme]]`` groups it
defines; every other table (``[plan]``, ``[[target]]``, ...) belongs to other readers and is left alone::

    [[rotation]]
    quarter = "2023/24-Q2"        # financial year and quarter (also "2023/24 Q2")
    theme = "Violence Against Women and Girls"   # a priority, or a named theme
    lead = "VAWG strategic lead"  # optional: who presents it

    [[theme]]                     # optional: the plan's own groups (see reference/themes.toml)
    name = "Night-time economy"
    priorities = ["Non-Domestic Abuse Violence With Injury", "Sexual Offences"]

Quarters are financial quarters: Q1 is the first three months of the financial year.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from csp_assess.errors import ConfigError, OptionError, PeriodError, PeriodFormatError, SelectionError
from csp_assess.periods import FinancialYear, parse_year
from csp_assess.reference.themes import ThemeGroup, parse_groups
from csp_assess.reference.tomlfile import TOO_DEEP
from csp_assess.smallfile import read_small_text

_QUARTER_RE = re.compile(r"^\s*(.+?)\s*[- ]\s*Q([1-4])\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RotationEntry:
    quarter: str  # normalised, e.g. "2023/24 Q2"
    fy: FinancialYear
    q: int
    theme: str
    lead: str | None
    line: int | None


@dataclass(frozen=True)
class Rotation:
    source: str
    entries: list[RotationEntry]
    groups: list[ThemeGroup]

    def entry(self, quarter: str, start_month: int = 4) -> RotationEntry:
        """The entry for ``quarter``; an unknown quarter names the ones the plan has."""
        fy, q = parse_quarter(quarter, start_month, param="quarter")
        for e in self.entries:
            if e.fy == fy and e.q == q:
                return e
        have = ", ".join(e.quarter for e in self.entries) or "none"
        raise SelectionError(
            f"the rotation in {self.source} has no entry for {fy.label} Q{q}; its quarters: {have}",
            params=["quarter"],
        )


def parse_quarter(text: str, start_month: int = 4, param: str | None = None) -> tuple[FinancialYear, int]:
    """``2023/24-Q2`` or ``2023/24 Q2`` as (financial year, quarter number)."""
    m = _QUARTER_RE.match(text)
    if not m:
        msg = f"cannot read quarter '{text}': write it as 2023/24-Q2"
        if param:
            raise OptionError(msg.replace("quarter '", f"{{{param}}} '", 1), params=[param])
        raise PeriodFormatError(msg)
    try:
        fy = parse_year(m.group(1), start_month)
    except PeriodError as err:
        if not param:
            raise
        # Name the option and the quarter's form, not the year's alone.
        raise OptionError(
            f"{{{param}}} '{text}': {err.message.split(': ')[0]}: write it as 2023/24-Q2 (also 2023-24-Q2)",
            params=[param],
        ) from err
    return fy, int(m.group(2))


def _line_of(text: str, value: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if value in line:
            return i
    return None


def read_rotation(path: str | Path, start_month: int = 4) -> Rotation:
    """Read a plan file's rotation. Errors name the file and, where it can be found, the line."""
    p = Path(path)
    source = str(path)
    text = read_small_text(p, "plan")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"plan file is not valid TOML: {err}", file=source) from err
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=source) from None
    raw = doc.get("rotation")
    if raw is None:
        raise ConfigError("plan file has no [[rotation]] entries (quarter, theme, lead)", file=source)
    if not isinstance(raw, list):
        raise ConfigError("'rotation' must be an array of tables ([[rotation]])", file=source)
    entries: list[RotationEntry] = []
    seen: dict[tuple[FinancialYear, int], str] = {}
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ConfigError(f"[[rotation]] number {i} must be a table", file=source)
        quarter, theme, lead = item.get("quarter"), item.get("theme"), item.get("lead")
        if not isinstance(quarter, str):
            raise ConfigError(f'[[rotation]] number {i} needs quarter = "2023/24-Q2"', file=source)
        line = _line_of(text, quarter)
        if not isinstance(theme, str) or not theme.strip():
            raise ConfigError(
                f'rotation {quarter} needs theme = "..." (a priority or a named theme)',
                file=source,
                line=line,
            )
        if lead is not None and not isinstance(lead, str):
            raise ConfigError(f"rotation {quarter}: lead must be a string", file=source, line=line)
        try:
            fy, q = parse_quarter(quarter, start_month)
        except PeriodError as err:
            raise ConfigError(f"rotation: {err.message}", file=source, line=line) from None
        label = f"{fy.label} Q{q}"
        if (fy, q) in seen:
            raise ConfigError(
                f"rotation names {label} twice ({seen[(fy, q)]} and {theme})", file=source, line=line
            )
        seen[(fy, q)] = theme
        entries.append(RotationEntry(label, fy, q, theme.strip(), lead.strip() if lead else None, line))
    return Rotation(source, entries, parse_groups(doc.get("theme"), source))
