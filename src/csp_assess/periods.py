"""Financial years ("2021/22"), baseline ranges and completeness of periods.

A financial year starts in ``start_month`` (April by default, as police and council years do) and is
labelled by its two calendar years, ``2021/22``. A year is *complete* only when every one of its twelve
months is covered by the extract; anything else is *partial* and is labelled so wherever it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral

import pandas as pd

from csp_assess.errors import PeriodError, PeriodFormatError

DEFAULT_START_MONTH = 4
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True, order=True)
class FinancialYear:
    """Twelve months from ``start_year``-``start_month``."""

    start_year: int
    start_month: int = DEFAULT_START_MONTH

    def __post_init__(self) -> None:
        # A month outside 1-12 made pandas roll the start over (13 -> January of the next year), so
        # ``fy_start=13`` in Python gave calendar-year figures under a financial-year label.
        check_start_month(self.start_month)

    @property
    def label(self) -> str:
        if self.start_month == 1:
            return f"{self.start_year}"
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def first(self) -> pd.Period:
        return pd.Period(year=self.start_year, month=self.start_month, freq="M")

    @property
    def last(self) -> pd.Period:
        return self.first + 11

    @property
    def months(self) -> list[pd.Period]:
        return [self.first + i for i in range(12)]

    def shift(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year + years, self.start_month)

    def __str__(self) -> str:
        return self.label


def check_start_month(start_month: object) -> int:
    """``start_month`` as a month number 1-12, or a ``PeriodError`` naming ``fy_start``."""
    if (
        isinstance(start_month, Integral)
        and not isinstance(start_month, bool)
        and 1 <= int(start_month) <= 12
    ):
        return int(start_month)
    raise PeriodFormatError(
        "{fy_start} is the month the financial year starts in, a number from 1 to 12 (4 = April), "
        f"not {start_month!r}",
        params=["fy_start"],
    )


_FY_RE = re.compile(r"^\s*(?:fy\s*)?(\d{4})\s*(?:[/\-]\s*(\d{2}|\d{4}))?\s*$", re.IGNORECASE)


def _forms(start: int = 2021) -> str:
    """The accepted ways of writing a financial year, for error messages."""
    end = (start + 1) % 100
    return f"write it as {start}/{end:02d} (also {start}-{end:02d} or FY{start}/{end:02d})"


def parse_year(
    text: str | int, start_month: int = DEFAULT_START_MONTH, param: str | None = None
) -> FinancialYear:
    """Read ``2021/22``, ``2021-22``, ``2021/2022``, ``FY2021/22`` (or ``2021`` for calendar years).

    ``param``: the option the text came from (``baseline``, ``plan_start``...): errors name it as
    ``{param}``, the API keyword in Python and the flag on the command line (``errors``)."""
    what = f"{{{param}}}" if param else "year"
    params = [param] if param else []
    if isinstance(text, Integral) and not isinstance(text, bool):
        text = str(text)  # year=2021 from Python: read as the text "2021" (a calendar year, or ambiguous)
    if not isinstance(text, str):
        raise PeriodFormatError(f"cannot read {what} {text!r}: {_forms()}", params=params)
    m = _FY_RE.match(text)
    if not m:
        raise PeriodFormatError(f"cannot read {what} '{text}': {_forms()}", params=params)
    start = int(m.group(1))
    if m.group(2):
        end = int(m.group(2))
        expected = start + 1 if len(m.group(2)) == 4 else (start + 1) % 100
        if end != expected:
            raise PeriodFormatError(
                f"{what} '{text}' does not run over two consecutive years: {_forms(start)}", params=params
            )
    elif start_month != 1:
        raise PeriodFormatError(
            f"{what} '{text}' is ambiguous for financial years: {_forms(start)}", params=params
        )
    return FinancialYear(start, start_month)


def parse_year_range(
    text: str, start_month: int = DEFAULT_START_MONTH, param: str | None = None
) -> list[FinancialYear]:
    """Read one year (``2019/20``) or an inclusive range (``2017/18-2019/20``, also with ``..`` or ``:``).

    ``param``: the option the text came from, named in errors (``parse_year``)."""
    what = f"{{{param}}}" if param else "year range"
    params = [param] if param else []
    parts = re.split(r"\s*(?:\.\.|:|\bto\b)\s*|(?<=\d{2})-(?=\s*(?:fy)?\d{4})", text.strip(), flags=re.I)
    parts = [p for p in parts if p]
    if len(parts) == 1:
        return [parse_year(parts[0], start_month, param)]
    if len(parts) != 2:
        raise PeriodFormatError(
            f"cannot read {what} '{text}': write one year as 2019/20 or a range as 2017/18-2019/20",
            params=params,
        )
    a, b = parse_year(parts[0], start_month, param), parse_year(parts[1], start_month, param)
    if b < a:
        raise PeriodFormatError(f"{what} '{text}' runs backwards", params=params)
    return [FinancialYear(y, start_month) for y in range(a.start_year, b.start_year + 1)]


def year_of(month: pd.Period, start_month: int = DEFAULT_START_MONTH) -> FinancialYear:
    """The financial year a month falls in."""
    start_month = check_start_month(start_month)
    year = month.year if month.month >= start_month else month.year - 1
    return FinancialYear(year, start_month)


def months_present(fy: FinancialYear, covered: Iterable[pd.Period]) -> list[pd.Period]:
    """The months of ``fy`` that the extract covers, in order."""
    cov = set(covered)
    return [m for m in fy.months if m in cov]


def is_complete(fy: FinancialYear, covered: Iterable[pd.Period]) -> bool:
    return len(months_present(fy, covered)) == 12


def complete_years(
    covered: Iterable[pd.Period], start_month: int = DEFAULT_START_MONTH
) -> list[FinancialYear]:
    """Every financial year whose twelve months are all covered, oldest first."""
    cov = set(covered)
    years = sorted({year_of(m, start_month) for m in cov})
    return [fy for fy in years if all(m in cov for m in fy.months)]


def latest_complete_year(
    covered: Iterable[pd.Period],
    start_month: int = DEFAULT_START_MONTH,
    with_rows: Iterable[pd.Period] | None = None,
) -> FinancialYear:
    """The latest complete year. Given ``with_rows`` (the months holding at least one row), a year with a
    month that no file has a single row for is not complete: a typo month years ahead (2032-03 among
    2019-2022) stretches a long extract's span, but the empty years it adds are not data."""
    cov = list(covered)
    years = complete_years(cov, start_month)
    if with_rows is not None:
        rows = set(with_rows)
        years = [fy for fy in years if all(m in rows for m in fy.months)]
    if not years:
        span = f"{month_label(min(cov))} to {month_label(max(cov))}" if cov else "no months"
        raise PeriodError(
            f"the data holds no complete financial year ({span}); name the partial year you want ({{year}}, "
            "or {to_year} for compare)",
            params=["year", "to_year"],
        )
    return years[-1]


DETACHED_GAP = 12  # months with no rows at all that cut a month off from the rest of the data


def detached_months(
    with_rows: Iterable[pd.Period], gap: int = DETACHED_GAP
) -> tuple[list[pd.Period], list[pd.Period]]:
    """(months cut off from the bulk of the data by ``gap`` or more empty months, the bulk's months).

    The months with rows are split into runs wherever ``gap`` empty months lie between two of them; the
    run with the most months is the data, the others are outliers (a mistyped year, most likely)."""
    ms = sorted(set(with_rows))
    if not ms:
        return [], []
    runs: list[list[pd.Period]] = [[ms[0]]]
    for prev, cur in zip(ms, ms[1:], strict=False):
        if (cur - prev).n > gap:
            runs.append([])
        runs[-1].append(cur)
    bulk = max(runs, key=len)
    return [m for run in runs if run is not bulk for m in run], bulk


def trusted_coverage(
    covered: Iterable[pd.Period], with_rows: Iterable[pd.Period]
) -> tuple[list[pd.Period], list[str]]:
    """``covered`` without the stretch a detached month adds (a typo 2032-03 after 2019-2022 data makes a
    long file "cover" 2023-2032 with no rows), and the warning naming the outliers (none if there are
    none). For the analyses that start from the latest month: quarters, year to date, rolling 12 months."""
    cov = sorted(set(covered))
    outliers, bulk = detached_months(with_rows)
    if not outliers:
        return cov, []
    lo, hi = min(bulk), max(bulk)
    return [m for m in cov if lo <= m <= hi], [detached_warning(outliers, bulk)]


def detached_warning(outliers: list[pd.Period], bulk: list[pd.Period]) -> str:
    """Names the outlier months, so a typo can be found and fixed in the source file."""
    shown = ", ".join(str(m) for m in outliers[:6]) + (" ..." if len(outliers) > 6 else "")
    return (
        f"{len(outliers)} month(s) with rows lie a year or more away from the rest of the data "
        f"({span_label(bulk)}): {shown}; a mistyped date? The years they stretch over are not complete "
        "and are never the default year"
    )


def month_label(month: pd.Period) -> str:
    return f"{_MONTH_NAMES[month.month - 1]} {month.year}"


def span_label(months: list[pd.Period]) -> str:
    """``Apr 2022–Feb 2023`` for a run of months."""
    if not months:
        return "no months"
    return f"{month_label(min(months))}–{month_label(max(months))}"


def month_gaps(months: Iterable[pd.Period]) -> list[pd.Period]:
    """Months missing between the first and last of ``months``."""
    ms = sorted(set(months))
    if not ms:
        return []
    have = set(ms)
    return [m for m in pd.period_range(ms[0], ms[-1], freq="M") if m not in have]


@dataclass(frozen=True)
class Period:
    """A financial year as used in one analysis: possibly partial, then restricted to ``months``."""

    fy: FinancialYear
    months: tuple[pd.Period, ...]

    @property
    def complete(self) -> bool:
        return len(self.months) == 12

    @property
    def label(self) -> str:
        if self.complete:
            return self.fy.label
        return f"{self.fy.label} (partial: {span_label(list(self.months))}, {len(self.months)} of 12 months)"

    def same_months_in(self, other: FinancialYear) -> Period:
        """The same calendar months, ``other`` year: so a partial year is compared like for like."""
        offset = (other.start_year - self.fy.start_year) * 12
        return Period(other, tuple(m + offset for m in self.months))
