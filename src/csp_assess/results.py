"""The typed results the public API returns: the main table as ``.rows``, and ``.to_dict()``.

Each wraps the ``Result`` an analysis builds. ``.to_dict()`` is exactly the document ``--format json``
writes for the matching command (the CLI renders the same object), so a notebook and a script get the
same figures. Typed properties name the figures people reach for most; ``.meta`` holds the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from csp_assess.result import Result

if TYPE_CHECKING:
    from csp_assess.analysis.places import PlaceSelection
    from csp_assess.analysis.validate import Validation
    from csp_assess.report.build import ReportData
    from csp_assess.report.theme import ThemeData


@dataclass(frozen=True)
class AssessmentResult:
    """One command's result. ``rows`` is the main table; ``tables`` every table by name."""

    result: Result

    @property
    def command(self) -> str:
        return self.result.command

    @property
    def rows(self) -> pd.DataFrame:
        """The main table with its contract columns (then detail columns), as in the JSON: every column
        whatever the layout (the CSV leaves out a ``major`` that repeats ``category``, and adds any Total
        row, whose figures are in ``meta`` here)."""
        return self.table(self.result.primary)

    def table(self, name: str) -> pd.DataFrame:
        """One named table (e.g. ``"priorities"`` of a ranking), contract columns first. A name the result
        does not hold is a ``SelectionError`` listing the ones it does (a table such as ``asb`` or
        ``indicators`` exists only when the data has it)."""
        if name not in self.result.tables:
            from csp_assess.errors import SelectionError

            have = ", ".join(self.result.tables) or "none"
            raise SelectionError(f"this {self.command} result has no table '{name}'; its tables: {have}")
        t = self.result.tables[name]
        cols = [c for c in t.columns + t.detail_columns if c in t.frame.columns]
        return t.frame[cols].reset_index(drop=True)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.table(name) for name in self.result.tables}

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.result.meta)

    @property
    def headline(self) -> str:
        return self.result.title

    @property
    def notes(self) -> list[str]:
        return list(self.result.notes)

    @property
    def warnings(self) -> list[str]:
        return list(self.result.warnings)

    @property
    def sources(self) -> list[dict[str, Any]]:
        return list(self.result.sources)

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` document of the matching command."""
        from csp_assess.render.export import to_json_obj

        return to_json_obj(self.result)

    def _repr_html_(self) -> str:  # notebooks show the headline and the main table
        from html import escape

        return f"<p>{escape(self.headline)}</p>" + self.rows.to_html(index=False, max_rows=60)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.command}: {self.headline!r}, {len(self.rows)} rows>"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class SummaryResult(AssessmentResult):
    """Headline totals for a period against the one before; ``rows`` by major category."""

    @property
    def total(self) -> int:
        return int(self.result.meta["total"])

    @property
    def previous_total(self) -> int | None:
        return _int(self.result.meta.get("previous_total"))

    @property
    def change(self) -> int | None:
        return _int(self.result.meta.get("change"))

    @property
    def change_pct(self) -> float | None:
        value = self.result.meta.get("change_pct")
        return None if value is None else float(value)


class RankResult(AssessmentResult):
    """Every category ranked by the composite score; ``priorities`` the recommended priority list."""

    @property
    def priorities(self) -> pd.DataFrame:
        return self.table("priorities")


class BaselineResult(AssessmentResult):
    """Each category against the pre-COVID baseline and the count expected from its pre-COVID trend."""


class CompareResult(AssessmentResult):
    """Each category's change between two periods (or two extracts), with its test."""


class TrendResult(AssessmentResult):
    """A category's or priority's series, its minor categories and its top places."""


class QuarterlyResult(AssessmentResult):
    """Each priority's latest complete quarter against a year earlier and the plan's start."""


@dataclass(frozen=True)
class ValidateResult(AssessmentResult):
    """Per file: layout, encoding, rows read/counted/rejected, months, gaps; ``rejects`` the rejected rows."""

    validation: Validation | None = None

    @property
    def usable(self) -> bool:
        """False when a file could not be read at all (the command exits 1)."""
        return not self.result.meta.get("unusable")

    def to_dict(self) -> dict[str, Any]:
        """The ``validate --format json`` document: every file and every rejected row."""
        from csp_assess.analysis.validate import validation_document

        if self.validation is None:
            return super().to_dict()
        return validation_document(self.validation)


class WeightsResult(AssessmentResult):
    """Every category's harm and cost weight with its source and status."""


class PrioritiesResult(AssessmentResult):
    """The active priority set and how each layout measures each priority."""


@dataclass(frozen=True)
class _Pack:
    """What the evidence pack and a theme pack share: every table by sheet name, and writing the file."""

    data: Any

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the pack, by its Excel sheet name."""
        return {
            name: t.frame[[c for c in t.columns + t.detail_columns if c in t.frame.columns]]
            for name, t in self.data.tables().items()
        }

    def write(self, output: str | Path, format: str | None = None) -> Path:
        """Write the pack; the format is ``format`` or the one ``output``'s extension implies."""
        from csp_assess.report import report_format, write_report

        path = Path(output)
        write_report(self.data, report_format(path, format), path)
        return path


@dataclass(frozen=True)
class ReportResult(_Pack):
    """The evidence pack's figures, ready to be written as HTML, Markdown or Excel."""

    data: ReportData

    @property
    def rows(self) -> pd.DataFrame:
        """The ranking table of the pack (the same as ``rank``'s rows)."""
        return RankResult(self.data.rank).rows

    def to_dict(self) -> dict[str, Any]:
        """The pack's headline and its ranking, summary and baseline documents (as their commands' JSON)."""
        from csp_assess.render.values import plain

        out: dict[str, Any] = {
            "title": self.data.title,
            "headline": {k: plain(v) for k, v in vars(self.data.headline).items()},
            "rank": RankResult(self.data.rank).to_dict(),
            "summary": SummaryResult(self.data.summary).to_dict(),
        }
        if self.data.baseline_result is not None:
            out["baseline"] = BaselineResult(self.data.baseline_result).to_dict()
        for key, section in (("matrix", self.data.matrix), ("plan", self.data.plan)):
            if section is None:
                continue
            for name, t in zip((key, "decisions"), section.tables, strict=False):
                cols = [c for c in t.columns + t.detail_columns if c in t.frame.columns]
                out[name] = [{c: plain(v) for c, v in r.items()} for r in t.frame[cols].to_dict("records")]
            out[f"{key}_notes"] = section.notes
        return out


class StopsResult(AssessmentResult):
    """Stop and search for one force by month (beside possession offences), legislation, object, outcome."""

    @property
    def searches(self) -> int:
        return int(self.result.meta["searches"])


class OutcomesResult(AssessmentResult):
    """police.uk last outcomes of an area's crimes: shares by category, outcome, month and priority."""


@dataclass(frozen=True)
class PlacesResult(AssessmentResult):
    """Places (wards, LSOAs or lookup places) ranked by count, with concentration and seasonality."""

    selection: PlaceSelection | None = None

    def map_svg(self) -> str:
        """The place map as SVG text: a point-density map of police.uk offences (coordinates read from
        the files again), else a ranked bar chart of the places."""
        from csp_assess.report.places import map_svg

        if self.selection is None:
            raise ValueError("this result carries no selection to map")
        return map_svg(self.selection, self.rows)

    @property
    def seasonality(self) -> pd.DataFrame:
        """The month-of-year index of the subject (and, for all crime, of each measurable priority)."""
        return self.table("seasonality")

    @property
    def concentration(self) -> dict[str, Any]:
        """Top 5%/10% shares, the places holding half the offences and the persistent hotspots."""
        keys = [k for k in self.result.meta if k.startswith(("top_", "half_", "persistent_"))]
        return {k: self.result.meta[k] for k in keys}


@dataclass(frozen=True)
class ThemeResult(_Pack):
    """A theme pack's figures (one priority or a named group), ready to be written in any report format."""

    data: ThemeData

    @property
    def rows(self) -> pd.DataFrame:
        """The theme's priorities as ``rank`` judges them (the same rows as ``rank``'s priorities)."""
        t = self.data.members
        return t.frame[[c for c in t.columns if c in t.frame.columns]]

    def to_dict(self) -> dict[str, Any]:
        """The pack's headline, and the rank, trend and quarterly documents its figures come from."""
        from csp_assess.render.values import plain

        d = self.data
        return {
            "title": d.title,
            "theme": d.theme.name,
            "kind": d.theme.kind,
            "priorities": [p.name for p in d.theme.members],
            "counted_as": d.measure,
            "lead": d.lead,
            "rotation_quarter": d.rotation_quarter,
            "headline": {k: plain(v) for k, v in vars(d.headline).items()},
            "rank": RankResult(d.rank).to_dict(),
            "trend": TrendResult(d.trend).to_dict(),
            "quarterly": QuarterlyResult(d.quarterly_result).to_dict(),
        }
