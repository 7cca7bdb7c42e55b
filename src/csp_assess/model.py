"""The tidy counts table and its provenance: what every loader returns and every analysis reads.

The counts table (``Extract.counts``) is a DataFrame with one row per (area, month, major, minor[, subarea]):

    area     str          borough, local authority, force or pseudo-area ("Unknown", airports)
    month    Period[M]    calendar month
    major    str          major category (Met MajorText, police.uk crime type, ...)
    minor    str          minor category (Met MinorText; equals major when the layout has one level)
    count    int64        offences (or ASB incidents, see ``major == ASB_MAJOR``)
    subarea  str          optional: ward name + code, or LSOA, for deep dives
    flag_*   bool         optional (record-level extracts): one column per --map flag_<name>=COLUMN

Nothing after loading ever sees a source layout, only this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

COUNT_COLUMNS = ["area", "month", "major", "minor", "count"]

# police.uk anti-social behaviour rows are incidents, not crimes: kept in the table under this major
# category so the ASB priority can use them, and excluded from every crime total.
ASB_MAJOR = "Anti-social behaviour"


def level_name(level: str) -> str:
    """How a place level is written in sentences: ``lsoa`` -> ``LSOA``; others as they are."""
    return {"lsoa": "LSOA", "msoa": "MSOA"}.get(level.lower(), level)


def record_noun(majors: Iterable[str]) -> str:
    """What the counted records are called: ASB alone is incidents (not crimes), crime alone offences,
    both together offences and incidents (a group such as hate crime and ASB)."""
    kinds = {m == ASB_MAJOR for m in majors}
    if kinds == {True}:
        return "incidents"
    return "offences and incidents" if kinds == {True, False} else "offences"


@dataclass(frozen=True)
class Reject:
    """One input row that was not counted, and why."""

    file: str
    line: int | None
    reason: str


@dataclass
class SourceFile:
    """What one input file contributed, for the provenance section of every output."""

    path: str
    layout: str  # e.g. "met-borough-old", "met-ward-new", "police-uk-street", "long"
    scheme: str  # category set: "met-old", "met-new", "met-pre2019", "police-uk", "custom"
    level: str  # "borough", "ward", "lsoa", "record"
    encoding: str
    rows_read: int
    rows_counted: int
    rows_rejected: int
    offences: int  # sum of the counts read from the counted rows
    first_month: pd.Period | None
    last_month: pd.Period | None
    scope: str  # months overlap only within one scope (the Met, or one police.uk force)
    areas: list[str] = field(default_factory=list)
    months_covered: list[pd.Period] = field(default_factory=list)  # every month the file reports on
    months_used: list[pd.Period] = field(default_factory=list)  # filled by snapshot resolution
    superseded_by: dict[str, list[pd.Period]] = field(default_factory=dict)  # winner path -> months
    gaps: list[pd.Period] = field(default_factory=list)  # months inside [first, last] with no rows
    count_column: str = ""  # long files: the column read as the count ("" = one offence per row)


# A counts table as plain arrays, column name -> values: object arrays of str, int64 counts, and
# ``pd.arrays.PeriodArray`` months. Cheaper than a DataFrame by ~1 ms a file, which matters when a
# 60-month extract is loaded: ``combine`` stacks the arrays of every file into one DataFrame.
CountColumns = dict[str, Any]


class FileLoad:
    """One file, read: its counts (all its months), its provenance and its rejected rows.

    A loader gives ``counts`` as a DataFrame, or as ``columns`` (``CountColumns``); then the DataFrame
    is made only when something asks for ``counts``.
    """

    __slots__ = ("_counts", "columns", "source", "rejects", "warnings")

    def __init__(
        self,
        counts: pd.DataFrame | None = None,
        source: SourceFile | None = None,
        rejects: list[Reject] | None = None,
        warnings: list[str] | None = None,
        *,
        columns: CountColumns | None = None,
    ) -> None:
        if (counts is None) == (columns is None) or source is None:
            raise TypeError("FileLoad needs a source and exactly one of counts and columns")
        self._counts = counts
        self.columns = columns
        self.source = source
        self.rejects = rejects if rejects is not None else []
        self.warnings = warnings if warnings is not None else []

    @property
    def counts(self) -> pd.DataFrame:
        if self._counts is None:
            assert self.columns is not None
            self._counts = frame_of(self.columns)
        return self._counts

    def __repr__(self) -> str:
        return f"FileLoad({self.source.path!r}, {self.source.rows_counted} rows counted)"


def frame_of(columns: CountColumns) -> pd.DataFrame:
    """The DataFrame of ``columns``; str columns stay object dtype, as every loader gives them."""
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object)
            if isinstance(values, np.ndarray) and values.dtype == object
            else values
            for name, values in columns.items()
        }
    )


@dataclass
class Extract:
    """Several files combined, overlapping snapshots resolved: the input to every analysis."""

    counts: pd.DataFrame
    sources: list[SourceFile]
    rejects: list[Reject]
    warnings: list[str]
    scheme: str
    level: str

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sources)

    @property
    def rows_counted(self) -> int:
        return sum(s.rows_counted for s in self.sources)

    @property
    def rows_rejected(self) -> int:
        return sum(s.rows_rejected for s in self.sources)

    @property
    def months_covered(self) -> list[pd.Period]:
        """Every month some file reports on (after snapshot resolution): a month with no rows is a zero."""
        return sorted({m for s in self.sources for m in s.months_used})

    @property
    def months_with_rows(self) -> list[pd.Period]:
        """The months holding at least one counted row (a long file's span may have empty months)."""
        return sorted(self.counts["month"].unique().tolist()) if len(self.counts) else []

    @property
    def areas(self) -> list[str]:
        return sorted(self._area_codes()[1])

    def _memoised(self, name: str, make: Any) -> Any:
        """``make()``, kept while ``counts`` is the same object (not a dataclass field: not compared, not
        required of an Extract made elsewhere): the report runs a dozen analyses over one extract of ~2
        million LSOA rows, each of which would otherwise redo it."""
        memo: dict[str, tuple[pd.DataFrame, Any]] = self.__dict__.setdefault("_memo", {})
        hit = memo.get(name)
        if hit is None or hit[0] is not self.counts:
            hit = memo[name] = (self.counts, make())
        return hit[1]

    def _area_codes(self) -> tuple[np.ndarray, list[str]]:
        """Each row's index into the distinct areas (first-seen order), and those areas."""

        def make() -> tuple[np.ndarray, list[str]]:
            codes, uniques = pd.factorize(self.counts["area"].to_numpy(dtype=object))
            return codes, uniques.tolist()

        result: tuple[np.ndarray, list[str]] = self._memoised("area_codes", make)
        return result

    def area_mask(self, area: str) -> np.ndarray:
        """``counts["area"] == area`` as a numpy array, from integer codes (no string comparisons)."""
        codes, uniques = self._area_codes()
        return codes == (uniques.index(area) if area in uniques else -2)

    def without_subareas(self) -> Extract:
        """The same extract summed over ``subarea`` (wards, LSOAs), rows in first-seen order; itself when it
        has none. Every analysis but the place breakdowns gives the same figures from it, on a table a
        hundred times smaller than five years of LSOAs."""
        if "subarea" not in self.counts.columns:
            return self

        def make() -> Extract:
            keys = [c for c in self.counts.columns if c not in ("subarea", "count")]
            summed = self.counts.groupby(keys, sort=False, dropna=False, observed=True)["count"].sum()
            counts = summed.reset_index()[[c for c in self.counts.columns if c != "subarea"]]
            counts = counts.astype({c: self.counts[c].dtype for c in counts.columns})  # object stays object
            return Extract(counts, self.sources, self.rejects, self.warnings, self.scheme, self.level)

        result: Extract = self._memoised("without_subareas", make)
        return result


def empty_counts() -> pd.DataFrame:
    """A counts table with the right columns and dtypes and no rows."""
    return pd.DataFrame(
        {
            "area": pd.Series([], dtype="object"),
            "month": pd.Series([], dtype="period[M]"),
            "major": pd.Series([], dtype="object"),
            "minor": pd.Series([], dtype="object"),
            "count": pd.Series([], dtype="int64"),
        }
    )
