"""Assemble the report's figures from the same analyses the commands run, so every number agrees with them.

- headline and the table by major category: ``summary`` (``analysis.summary.build_summary``);
- the ranked table and the priorities: ``rank`` (``analysis.rank.build_rank``), unchanged;
- the pre-COVID table: ``baseline`` (``analysis.baseline.build_baseline``); all crime's expected count uses
  its fit window and range (``baseline.fit_window``, ``baseline.expected_range``);
- deep dives: ``trend`` (``analysis.trend.build_trend``) for each measurable priority and candidate;
- with a scoring file, the prioritisation matrix: ``rank --scoring`` (``report.sections.report_matrix``);
- with a plan file, progress against it and the decision log: ``quarterly --plan`` (``report_plan``).

Pure: an Extract in, a ``ReportData`` out; no printing and no files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from csp_assess import __version__
from csp_assess.analysis.baseline import build_baseline, expected_range, fit_window
from csp_assess.analysis.priorities import measure_mask
from csp_assess.analysis.rank import RankOptions, build_rank
from csp_assess.analysis.select import (
    baseline_counts,
    comparison_period,
    crime_only,
    period_counts,
    resolve_baseline,
    resolve_year,
    select_area,
)
from csp_assess.analysis.summary import build_summary
from csp_assess.analysis.trend import TrendOptions, build_trend
from csp_assess.analysis.yearvar import total_variance
from csp_assess.errors import PeriodError
from csp_assess.model import Extract, record_noun
from csp_assess.periods import FinancialYear, Period, month_gaps, month_label, span_label, year_of
from csp_assess.reference.ho_codes import code_mix
from csp_assess.reference.priorities import PrioritySet
from csp_assess.reference.weights import weights_for
from csp_assess.report.places import PlaceSection, place_section
from csp_assess.report.sections import Section, report_matrix, report_plan
from csp_assess.result import Result, Table

if TYPE_CHECKING:
    from csp_assess.reference.plan import Plan
    from csp_assess.reference.scoring_file import ScoringFile

#: Financial years shown in each deep dive's table of annual totals.
DEEP_DIVE_YEARS = 6


STANDARD_CAVEATS = [
    "Police recorded crime counts what is reported to and recorded by the police: a change can reflect "
    "reporting, recording practice or police activity (e.g. drugs and weapons possession) as well as crime.",
    "A change is called larger than usual only when it exceeds the category's usual year-to-year variation "
    "(estimated from earlier years of the data; counting noise alone understates it several-fold), adjusted "
    "for the many categories tested at once (Holm), and the two counts add up to at least 10; percentages "
    "on small counts are shown but not relied on. Drug and weapon possession counts measure police "
    "activity as much as crime.",
    "2020/21 was shaped by COVID-19 restrictions: the pre-COVID baseline, not last year alone, is the "
    "fairer comparison for most offences.",
    "Harm weights and unit costs are national averages for each offence group, not the harm or cost of the "
    "local offences; costs are in the price year stated and are not a budget.",
    "Published extracts are snapshots: counts for past months are revised between issues, so figures can "
    "differ slightly from an earlier or later extract.",
]


@dataclass
class ReportOptions:
    rank: RankOptions = field(default_factory=RankOptions)
    date: str | None = None  # printed on the report only when given, so output is reproducible
    title: str | None = None
    scoring: ScoringFile | None = None  # a workshop's scoring file: adds the prioritisation matrix
    population: str | float | None = None  # the matrix's rate (default: the scoring file's population)
    plan: Plan | None = None  # adds progress against the plan (RAG)
    previous_plan: Plan | None = None  # adds the decision log (with ``plan``)
    alpha: float = 0.05  # the plan's change test, as quarterly's default


@dataclass
class Headline:
    area: str
    year: str
    year_complete: bool
    total: int
    previous_label: str | None
    previous_total: int | None
    change: int | None
    change_pct: float | None
    change_p: float | None
    baseline_label: str | None
    baseline_total: float | None
    baseline_change: float | None
    baseline_change_pct: float | None
    expected: float | None
    expected_low: float | None
    expected_high: float | None
    expected_model: str | None
    sentence: str
    baseline_sentence: str = ""
    asb_incidents: int | None = None

    @property
    def change_significant(self) -> bool | None:
        if self.change_p is None or math.isnan(self.change_p):
            return None
        return self.change_p < 0.05 and (self.total + (self.previous_total or 0)) >= 10


@dataclass
class DeepDive:
    name: str
    klass: str
    status: str
    reason: str
    measure: str
    count: int
    monthly: pd.Series  # crimes by month over the months covered (Period index)
    breakdown: Table  # the trend command's table by minor category
    years: pd.DataFrame  # year, count, complete
    baseline_monthly_mean: float | None = None
    subareas: Table | None = None  # top wards / LSOAs, for ward or LSOA data
    noun: str = "offences"  # "incidents" for anti-social behaviour alone (model.record_noun)


@dataclass
class ReportData:
    title: str
    subtitle: str
    date: str | None
    headline: Headline
    period: Period
    previous: Period | None
    baseline: list[Period]
    monthly: pd.Series  # all crime by month (Period index), NaN for months not covered
    baseline_monthly_mean: float | None
    rank: Result
    summary: Result
    baseline_result: Result | None
    by_major: Table
    baseline_table: Table | None
    deep_dives: list[DeepDive]
    sources: list[dict[str, Any]]
    snapshots: list[str]
    gaps: list[str]
    rejects: pd.DataFrame  # reason, rows, examples
    rows_read: int
    rows_counted: int
    rows_rejected: int
    weights: pd.DataFrame  # measure, status, source, categories, offences
    caveats: list[str]
    options: dict[str, str]
    places: PlaceSection | None = None  # where crime concentrates, for ward or LSOA data
    matrix: Section | None = None  # the prioritisation matrix, given a scoring file
    plan: Section | None = None  # progress against the plan and the decision log, given a plan file

    def tables(self) -> dict[str, Table]:
        """Every table in the report, by sheet name (for Excel and tests)."""
        h = self.headline
        head = pd.DataFrame(
            [
                ("Area", h.area),
                ("Year", h.year),
                ("Offences", h.total),
                (f"Offences {h.previous_label}", h.previous_total),
                ("Change on previous year", h.change),
                ("Change on previous year %", h.change_pct),
                (f"Pre-COVID baseline ({h.baseline_label})", h.baseline_total),
                ("Change on baseline %", h.baseline_change_pct),
                ("Expected from pre-COVID trend", h.expected),
                ("Expected: 95% range low", h.expected_low),
                ("Expected: 95% range high", h.expected_high),
                ("Headline", h.sentence),
            ],
            columns=["measure", "value"],
        )
        monthly = pd.DataFrame(
            {
                "month": [str(m) for m in self.monthly.index],
                "offences": self.monthly.to_numpy(),
                "financial_year": [year_of(m, self.period.fy.start_month).label for m in self.monthly.index],
            }
        )
        out: dict[str, Table] = {
            "Headline": Table(head, ["measure", "value"], "Headline"),
            "Monthly": Table(monthly, ["month", "financial_year", "offences"], "Offences by month"),
            "By major category": self.by_major,
            **({"Baseline": self.baseline_table} if self.baseline_table is not None else {}),
            "Ranked": self.rank.tables["rows"],
            "Priorities": self.rank.tables["priorities"],
        }
        if self.matrix is not None:
            out["Matrix"] = self.matrix.tables[0]
        if self.plan is not None:
            for t, name in zip(self.plan.tables, ("Plan", "Decisions"), strict=False):
                out[name] = t
        for i, dd in enumerate(self.deep_dives, 1):
            out[sheet_name(f"{i} {dd.name}")] = dd.breakdown
        if self.places is not None:  # the HTML and Markdown packs' place section, as a workbook sheet
            out["Places"] = self.places.result.result.tables["rows"]
            out["Place seasonality"] = self.places.result.result.tables["seasonality"]
        src = pd.DataFrame(self.sources)
        out["Files"] = Table(
            src,
            [
                c
                for c in (
                    "path",
                    "layout",
                    "categories",
                    "encoding",
                    "rows_read",
                    "rows_counted",
                    "rows_rejected",
                    "offences",
                    "first_month",
                    "last_month",
                    "months_used_span",
                )
                if c in src.columns
            ],
            "Files read",
        )
        out["Rejects"] = Table(self.rejects, ["reason", "rows", "examples"], "Rows not counted")
        out["Weights"] = Table(
            self.weights, ["measure", "status", "categories", "offences", "source"], "Weight sources"
        )
        cav = pd.DataFrame({"caveat": self.caveats})
        out["Caveats"] = Table(cav, ["caveat"], "Caveats")
        return out


def sheet_name(text: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31].strip()


def _pct(new: float, old: float | None) -> float | None:
    if old is None or old == 0 or math.isnan(old):
        return None
    return round((new - old) / old * 100.0, 1)


def _monthly(counts: pd.DataFrame, covered: list[pd.Period]) -> pd.Series:
    """Counts by month over every month from the first covered to the last; NaN where not covered."""
    if not covered:
        return pd.Series(dtype="float64")
    full = pd.period_range(min(covered), max(covered), freq="M")
    by = counts.groupby("month", observed=True)["count"].sum()
    s = by.reindex(full).astype("float64")
    cov = set(covered)
    s[[m in cov for m in full]] = s[[m in cov for m in full]].fillna(0.0)
    return s


def _expected(
    monthly: pd.Series,
    baseline: list[Period],
    covered: list[pd.Period],
    period: Period,
    extract: Extract | None = None,
) -> tuple[float | None, float | None, float | None, str | None]:
    """All crime's expected count for the year: ``baseline.expected_range`` over the baseline command's fit
    window, its interval including all crime's year-level variance (from ``extract``'s earlier years)."""
    window = fit_window(baseline, covered)
    if window is None or monthly.empty:
        return None, None, None, None
    year_var = 0.0
    if extract is not None:
        var, _ = total_variance(crime_only(extract.counts), extract.scheme, list(period.months), window[1])
        year_var = var.sigma2
    found = expected_range(monthly, window, period, covered, year_var)  # the range `baseline` gives
    if "expected" not in found:  # too few offences, or a trend that would not fit: no projection
        return None, None, None, str(found["model"]) if "model" in found else None
    return (
        float(found["expected"]),  # type: ignore[arg-type]
        float(found["expected_low"]),  # type: ignore[arg-type]
        float(found["expected_high"]),  # type: ignore[arg-type]
        str(found["model"]),
    )


def _years(sel: pd.DataFrame, period: Period, covered: list[pd.Period]) -> pd.DataFrame:
    """Annual totals for the last DEEP_DIVE_YEARS financial years up to the one analysed."""
    cov = set(covered)
    rows = []
    for k in range(DEEP_DIVE_YEARS - 1, -1, -1):
        fy: FinancialYear = period.fy.shift(-k)
        months = [m for m in period.same_months_in(fy).months if m in cov]
        if not months:
            continue
        n = int(sel[sel["month"].isin(pd.PeriodIndex(months, freq="M"))]["count"].sum())
        # A partial year is compared on the same months of each year: say which, and call none complete.
        label = fy.label if period.complete else f"{fy.label} ({span_label(months)})"
        rows.append(
            {"year": label, "count": n, "complete": period.complete and len(months) == len(period.months)}
        )
    return pd.DataFrame(rows, columns=["year", "count", "complete"])


def _deep_dives(
    rank: Result,
    pset: PrioritySet,
    extract: Extract,
    counts: pd.DataFrame,
    ropts: RankOptions,
    period: Period,
    baseline: list[Period],
) -> list[DeepDive]:
    """One per measurable priority and candidate: the ``trend`` command's deep dive of it, plus the
    baseline's monthly mean for the chart and the last few years' totals."""
    covered = extract.months_covered
    defs = {p.name: p for p in pset.priorities}
    out: list[DeepDive] = []
    for row in rank.tables["priorities"].frame.to_dict("records"):
        count = row.get("count")
        if (
            row.get("status") == "not measurable"
            or count is None
            or (isinstance(count, float) and math.isnan(count))
        ):
            continue
        name = str(row["name"])
        pdef = defs.get(name)
        measure = pdef.measure_for(extract.scheme) if pdef is not None else None
        is_priority = measure is not None and not measure.not_measurable
        trend = build_trend(
            extract,
            TrendOptions(
                area=ropts.area,
                category=None if is_priority else name,
                priority=name if is_priority else None,
                by="month",
                year=ropts.year,
                start_month=ropts.start_month,
            ),
            pset,
        )
        series = trend.tables["rows"].frame
        monthly = pd.Series(
            series["count"].to_numpy(dtype="float64"),
            index=pd.PeriodIndex([pd.Period(p, freq="M") for p in series["period"]], freq="M"),
        )
        if measure is not None and is_priority:
            sel = counts[measure_mask(counts, measure)]
        else:  # a candidate: one ranked category at the ranking level
            sel = counts[counts["minor" if ropts.level == "minor" else "major"] == name]
        base_mean = (
            float(baseline_counts(sel.assign(k=1), baseline, ["k"]).sum()) / len(period.months)
            if baseline
            else None
        )
        out.append(
            DeepDive(
                name=name,
                klass=str(row.get("class", "")),
                status=str(row.get("status", "")),
                reason=str(row.get("reason", "")),
                measure=str(row.get("measure", "")),
                count=int(trend.meta["year_total"]),
                monthly=monthly,
                breakdown=trend.tables["by_minor"],
                years=_years(sel, period, covered),
                baseline_monthly_mean=base_mean,
                subareas=trend.tables.get("top_subareas"),
                noun=record_noun(sel["major"].unique()),
            )
        )
    return out


def breakdown_note(dd: DeepDive) -> str:
    """Which family a deep dive's "larger than usual" judgment was made in: it can differ from
    ``compare``'s, which tests every category of the data together."""
    n = len(dd.breakdown.frame)
    family = (
        "judged on this one sub-category alone"
        if n == 1
        else f"judged among these {n} sub-categories (Holm-adjusted within the group)"
    )
    return (
        f"Larger than usual: {family}, so it can differ from compare, which judges every category of the "
        "data together."
    )


def _snapshots(extract: Extract) -> list[str]:
    lines = []
    for s in extract.sources:
        used = span_label(s.months_used) if s.months_used else "no months"
        line = f"{s.path}: months used {used}"
        for by, months in s.superseded_by.items():
            line += f"; {len(months)} month(s) ({span_label(months)}) taken from the newer snapshot {by}"
        lines.append(line)
    return lines


def _gaps(extract: Extract) -> list[str]:
    out = []
    missing = month_gaps(extract.months_covered)
    if missing:
        out.append(
            f"{len(missing)} month(s) inside the data's span are in no file: "
            + ", ".join(month_label(m) for m in missing[:24])
            + (" ..." if len(missing) > 24 else "")
        )
    for s in extract.sources:
        if s.gaps:
            out.append(f"{s.path}: no rows for {', '.join(month_label(m) for m in s.gaps[:24])}")
    return out


def _rejects(extract: Extract) -> pd.DataFrame:
    rows: dict[str, list[str]] = {}
    for r in extract.rejects:
        rows.setdefault(r.reason, []).append(f"{r.file}:{r.line}" if r.line is not None else r.file)
    frame = pd.DataFrame(
        [
            {"reason": reason, "rows": len(where), "examples": ", ".join(where[:3])}
            for reason, where in sorted(rows.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ],
        columns=["reason", "rows", "examples"],
    )
    frame["rows"] = frame["rows"].astype("int64")
    return frame


def _weights(
    crimes: pd.DataFrame, period: Period, scheme: str, harm_index: str, ho_codes: pd.DataFrame | None
) -> pd.DataFrame:
    """Each weight source and status, with how many categories and offences of the year rest on it."""
    cats = crimes[["major", "minor"]].drop_duplicates().sort_values(["major", "minor"])
    w = weights_for(cats, scheme, harm_index, ho_codes)
    n = period_counts(crimes, period, ["major", "minor"]).rename("offences").reset_index()
    w = w.merge(n, on=["major", "minor"], how="left").fillna({"offences": 0})
    rows = []
    for measure, status_col, source_col in (
        (f"harm ({harm_index})", "harm_status", "harm_source"),
        ("cost", "cost_status", "cost_source"),
    ):
        grouped = w.assign(
            _status=w[status_col].fillna("unknown").astype(str),
            _source=w[source_col].fillna("").astype(str).replace("nan", ""),
        ).groupby(["_status", "_source"], dropna=False)
        for (status, source), sub in grouped:
            rows.append(
                {
                    "measure": measure,
                    "status": status,
                    "source": source or "none: no weight for these categories",
                    "categories": len(sub),
                    "offences": int(sub["offences"].sum()),
                }
            )
    frame = pd.DataFrame(rows, columns=["measure", "status", "source", "categories", "offences"])
    return frame.sort_values(["measure", "offences"], ascending=[False, False], kind="mergesort").reset_index(
        drop=True
    )


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if not (x in seen or seen.add(x))]  # type: ignore[func-returns-value]


def build_report(extract: Extract, opts: ReportOptions, pset: PrioritySet) -> ReportData:
    ropts = opts.rank
    # The places section and the deep dives' top places read the LSOAs or wards; every other figure is
    # the same from the counts summed over them (a table ~100x smaller for a police.uk extract).
    places_extract, extract = extract, extract.without_subareas()
    rank = build_rank(extract, ropts, pset)
    sel = select_area(extract, ropts.area)
    covered = extract.months_covered
    period, _ = resolve_year(ropts.year, covered, ropts.start_month, extract.months_with_rows)
    previous, _ = comparison_period(period, period.fy.shift(-1), covered, "previous year")
    baseline, baseline_label, _ = resolve_baseline(ropts.baseline, period, covered, ropts.start_month)
    crimes = crime_only(sel.counts)
    monthly = _monthly(crimes, covered)
    warnings = list(rank.warnings)
    notes = list(rank.notes)

    # Headline, by-major and baseline tables: the summary and baseline commands' own figures.
    summary = build_summary(extract, ropts.area, ropts.year, "year", ropts.start_month)
    bres: Result | None = None
    try:
        bres = build_baseline(extract, ropts.area, ropts.year, ropts.baseline, "major", ropts.start_month)
    except PeriodError as err:  # e.g. a recent extract with no pre-COVID years: the rest still stands
        warnings.append(f"no pre-COVID comparison: {err}")
    warnings += summary.warnings + (bres.warnings if bres else [])
    notes += summary.notes + (bres.notes if bres else [])
    sm, bm = summary.meta, (bres.meta if bres else {})
    total = int(sm["total"])
    prev_total = sm.get("previous_total")
    baseline_total = bm.get("baseline_total")
    expected, low, high, model = _expected(monthly, baseline, covered, period, extract)
    headline = Headline(
        area=sel.label,
        year=period.label,
        year_complete=period.complete,
        total=total,
        previous_label=sm.get("previous_year"),
        previous_total=int(prev_total) if prev_total is not None else None,
        change=sm.get("change"),
        change_pct=sm.get("change_pct"),
        change_p=sm.get("change_p_value"),
        baseline_label=baseline_label if baseline else None,
        baseline_total=baseline_total,
        baseline_change=(total - baseline_total) if baseline_total is not None else None,
        baseline_change_pct=bm.get("change_pct"),
        expected=expected,
        expected_low=low,
        expected_high=high,
        expected_model=model,
        sentence=str(sm.get("headline", "")),
        baseline_sentence=str(bm.get("headline", "")),
        asb_incidents=sm.get("asb_incidents"),
    )
    base_mean = float(baseline_total) / len(period.months) if baseline_total is not None else None
    title = opts.title or f"Strategic assessment: {sel.label}, {period.label}"
    files = len(extract.sources)
    subtitle = (
        f"Crime and disorder evidence pack from {files} police extract file{'s' if files != 1 else ''} "
        f"({span_label(covered)}), made with csp-assess {__version__}"
    )
    matrix = (
        report_matrix(rank, extract, ropts, pset, opts.scoring, opts.population)
        if opts.scoring is not None
        else None
    )
    plan = (
        report_plan(extract, pset, opts.plan, opts.previous_plan, ropts, opts.alpha)
        if opts.plan is not None
        else None
    )
    for section in (matrix, plan):
        if section is not None:  # their rules belong in the methods text, their warnings with the rest
            warnings += section.warnings
            notes += section.notes
    r = rank.meta
    options = {
        "Area": sel.label,
        "Year": period.label,
        "Previous year": str(previous.label if previous else "not in the data"),
        "Pre-COVID baseline": baseline_label if baseline else "not in the data",
        "Ranked at": f"{ropts.level} category level",
        "Harm index": str(r.get("harm_index_description", ropts.harm_index)),
        "Cost prices": str(r.get("cost_uprating") or r.get("cost_prices", "")),
        "Score": f"mean share of {r.get('score_weights', '')}",
        "Priorities from": str(r.get("priorities_in_use") or r.get("priorities_source", "")),
        "Financial year starts": month_label(pd.Period(year=2000, month=ropts.start_month, freq="M")).split()[
            0
        ],
    }
    if opts.scoring is not None:
        options["Scoring file"] = opts.scoring.source
    if opts.plan is not None:
        options["Plan file"] = opts.plan.source + (
            f" (previous: {opts.previous_plan.source})" if opts.previous_plan is not None else ""
        )
    return ReportData(
        title=title,
        subtitle=subtitle,
        date=opts.date,
        headline=headline,
        period=period,
        previous=previous,
        baseline=baseline,
        monthly=monthly,
        baseline_monthly_mean=base_mean,
        rank=rank,
        summary=summary,
        baseline_result=bres,
        by_major=summary.tables["by_major"],
        baseline_table=bres.tables[bres.primary] if bres else None,
        deep_dives=_deep_dives(rank, pset, places_extract, sel.counts, ropts, period, baseline),
        sources=rank.sources,
        snapshots=_snapshots(extract),
        gaps=_gaps(extract),
        rejects=_rejects(extract),
        rows_read=extract.rows_read,
        rows_counted=extract.rows_counted,
        rows_rejected=extract.rows_rejected,
        weights=_weights(crimes, period, extract.scheme, ropts.harm_index, code_mix(extract.counts)),
        caveats=_dedupe(warnings + notes + STANDARD_CAVEATS),
        options=options,
        places=place_section(
            places_extract, area=ropts.area, year=ropts.year, priorities=pset, fy_start=ropts.start_month
        ),
        matrix=matrix,
        plan=plan,
    )
