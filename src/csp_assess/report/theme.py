"""Assemble a theme pack: everything the tool knows about one priority or a named group of priorities.

The figures are the commands' own, so a pack agrees with them figure by figure:

- the judgment on last year and the pre-COVID baseline: ``rank``'s priorities table (for a group, each
  member's row, and the group's total tested on its own with the same ``change_test``);
- the series, the breakdown by minor category and the top places: ``trend --priority``;
- the quarterly view: ``quarterly``'s rows for the theme's priorities (a group's total as its own row);
- the expected count: ``baseline.expected_range``, the function ``baseline`` uses for its rows, with the
  measure's year-level variance (``yearvar.measure_variance``).

Pure: an Extract in, a ``ThemeData`` out; no printing and no files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from csp_assess import __version__
from csp_assess.analysis.baseline import expected_range, fit_window, variance_end
from csp_assess.analysis.priorities import UNCHANGED, measure_mask
from csp_assess.analysis.quarterly import QUARTERLY_COLUMNS, build_quarterly
from csp_assess.analysis.rank import RankOptions, build_rank
from csp_assess.analysis.select import (
    baseline_total,
    comparison_period,
    crime_only,
    period_total,
    resolve_baseline,
    resolve_year,
    select_area,
)
from csp_assess.analysis.stats import change_test
from csp_assess.analysis.trend import TrendOptions, build_trend
from csp_assess.analysis.yearvar import measure_variance, measure_variances
from csp_assess.errors import SelectionError
from csp_assess.model import Extract, record_noun
from csp_assess.periods import Period, month_label, span_label
from csp_assess.reference.priorities import Measure, PriorityDef, PrioritySet
from csp_assess.reference.themes import Theme
from csp_assess.report.build import STANDARD_CAVEATS
from csp_assess.result import Result, Table

MEMBER_COLUMNS = [
    "name",
    "class",
    "status",
    "count",
    "previous_count",
    "change_pct",
    "direction",
    "baseline_count",
    "baseline_change_pct",
    "measure",
    "reason",
]
SEASON_COLUMNS = ["month", "count", "previous_count", "baseline_mean", "vs_baseline_pct"]
NO_FLAGS = (
    "Outcomes and flags (domestic abuse, hate, knife-enabled): the extract carries none, so the pack "
    "counts offences by category only."
)


@dataclass
class ThemeHeadline:
    count: int
    previous_label: str | None
    previous_count: int | None
    change: int | None
    change_pct: float | None
    direction: str  # rising, falling, within usual range, unknown: as rank and quarterly say it
    p_adjusted: float | None
    test: str  # how the change was tested, in words
    baseline_label: str | None
    baseline_count: float | None  # a year's mean over the baseline years
    baseline_change_pct: float | None
    expected: float | None
    expected_low: float | None
    expected_high: float | None
    sentence: str
    baseline_sentence: str


@dataclass
class ThemeData:
    title: str
    subtitle: str
    date: str | None
    theme: Theme
    lead: str | None
    rotation_quarter: str | None
    area: str
    period: Period
    baseline: list[Period]
    headline: ThemeHeadline
    measure: str  # the categories counted, in words
    proxies: list[str]
    not_measurable: list[str]  # member: why
    members: Table  # rank's priorities rows for the theme's priorities
    monthly: pd.Series  # the theme's offences by month (Period index)
    baseline_monthly_mean: float | None
    years: Table  # trend by year
    season: Table  # each month of the year against a year earlier and the baseline's same month
    breakdown: Table  # trend's by minor category
    subareas: Table | None  # trend's top wards / LSOAs
    quarterly: Table
    quarter: str
    rank: Result
    trend: Result
    quarterly_result: Result
    sources: list[dict[str, Any]]
    caveats: list[str]
    options: dict[str, str] = field(default_factory=dict)
    noun: str = "offences"  # "incidents" for anti-social behaviour alone (model.record_noun)

    def tables(self) -> dict[str, Table]:
        """Every table of the pack, by sheet name (for Excel and tests)."""
        h = self.headline
        head = pd.DataFrame(
            [
                ("Theme", self.theme.name),
                ("Priorities", ", ".join(p.name for p in self.theme.members)),
                ("Counted as", self.measure),
                ("Area", self.area),
                ("Year", self.period.label),
                (self.noun.capitalize(), h.count),  # ASB alone is incidents, not offences
                (f"{self.noun.capitalize()} {h.previous_label}", h.previous_count),
                ("Change on previous year", h.change),
                ("Change on previous year %", h.change_pct),
                ("Direction", h.direction),
                ("Test", h.test),
                (f"Pre-COVID baseline ({h.baseline_label})", h.baseline_count),
                ("Change on baseline %", h.baseline_change_pct),
                ("Expected from pre-COVID trend and season", h.expected),
                ("Expected: 95% range low", h.expected_low),
                ("Expected: 95% range high", h.expected_high),
                ("Lead", self.lead),
                ("Rotation quarter", self.rotation_quarter),
                ("Headline", h.sentence),
            ],
            columns=["measure", "value"],
        )
        monthly = pd.DataFrame(
            {"month": [str(m) for m in self.monthly.index], "offences": self.monthly.to_numpy()}
        )
        out: dict[str, Table] = {
            "Headline": Table(head, ["measure", "value"], "Headline"),
            "Priorities": self.members,
            "Monthly": Table(monthly, ["month", "offences"], f"{self.noun.capitalize()} by month"),
            "Year by year": self.years,
            "Season": self.season,
            "By minor category": self.breakdown,
        }
        if self.subareas is not None:
            out["Places"] = self.subareas
        out["Quarterly"] = self.quarterly
        src = pd.DataFrame(self.sources)
        out["Files"] = Table(
            src,
            [
                c
                for c in (
                    "path",
                    "layout",
                    "rows_read",
                    "rows_counted",
                    "rows_rejected",
                    "first_month",
                    "last_month",
                )
                if c in src.columns
            ],
            "Files read",
        )
        out["Caveats"] = Table(pd.DataFrame({"caveat": self.caveats}), ["caveat"], "Caveats")
        return out


def _merged_measure(members: list[PriorityDef], scheme: str) -> tuple[Measure | None, list[str], list[str]]:
    """The union of the members' measures (each category once), their proxy notes, and who is not measurable."""
    majors: list[str] = []
    minors: list[str] = []
    proxies: list[str] = []
    missing: list[str] = []
    for p in members:
        m = p.measure_for(scheme)
        if m is None or m.not_measurable:
            missing.append(
                f"{p.name}: {m.not_measurable if m and m.not_measurable else f'no measure for the {scheme} layout'}"
            )
            continue
        majors += [x for x in m.majors if x not in majors]
        minors += [x for x in m.minors if x not in minors]
        if m.proxy:
            proxies.append(f"{p.name}: {m.proxy}")
    if not majors and not minors:
        return None, proxies, missing
    return Measure(tuple(majors), tuple(minors), "; ".join(proxies) or None), proxies, missing


def _pct(new: float, old: float | None) -> float | None:
    if old is None or old == 0 or math.isnan(old):
        return None
    return round((new - old) / old * 100.0, 1)


def _p_text(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    return f"={p:.3f}" if p >= 0.001 else "<0.001"


def _sentence(area: str, theme: str, year: str, h: ThemeHeadline, noun: str = "offences") -> str:
    text = f"In {year} there were {h.count:,} {theme} {noun} in {area}"
    if h.previous_count is None or h.change is None:
        return text + f" ({h.previous_label or 'the previous year'} is not in the data to compare)."
    if h.change == 0:
        moved = f"level with {h.previous_label}"
    else:
        pct = f" ({h.change_pct:+.1f}%)" if h.change_pct is not None else ""
        moved = f"{'up' if h.change > 0 else 'down'} {abs(h.change):,}{pct} on {h.previous_label}"
    if h.direction in ("rising", "falling"):
        judged = (
            f"{h.direction} on last year by more than its usual year-to-year variation "
            f"(p{_p_text(h.p_adjusted)}, {h.test})"
        )
    elif h.direction == UNCHANGED:
        judged = f"within its usual year-to-year range on last year ({h.test})"
    else:
        judged = "not tested"
    return f"{text}, {moved} ({h.previous_count:,}): {judged}."


def _baseline_sentence(h: ThemeHeadline, year: str) -> str:
    parts = []
    if h.baseline_count is not None and h.baseline_label:
        pct = (
            f"{h.baseline_change_pct:+.1f}%"
            if h.baseline_change_pct is not None
            else "no percentage (none then)"
        )
        parts.append(
            f"Against the pre-COVID baseline ({h.baseline_label}, {h.baseline_count:,.1f} a year): {pct}."
        )
    if h.expected is not None and h.expected_low is not None and h.expected_high is not None:
        where = (
            "above the expected range"
            if h.count > h.expected_high
            else "below the expected range"
            if h.count < h.expected_low
            else "within the expected range"
        )
        parts.append(
            f"Had the pre-COVID trend and season continued, about {h.expected:,.0f} were expected "
            f"(95% range {h.expected_low:,.0f}–{h.expected_high:,.0f}): {year} is {where}."
        )
    return " ".join(parts)


def _season(monthly: pd.Series, period: Period, baseline: list[Period]) -> pd.DataFrame:
    """Each month of the year assessed against the same month a year earlier and the baseline years' mean."""
    rows = []
    for m in period.months:
        prev = monthly.get(m - 12)
        found = [monthly.get(b) for p in baseline for b in p.months if b.month == m.month]
        base = [float(b) for b in found if b is not None and not math.isnan(b)]
        mean = round(sum(base) / len(base), 1) if base else None
        count = int(monthly.get(m, 0))
        rows.append(
            {
                "month": month_label(m),
                "count": count,
                "previous_count": int(prev) if prev is not None and not math.isnan(prev) else None,
                "baseline_mean": mean,
                "vs_baseline_pct": _pct(count, mean),
            }
        )
    frame = pd.DataFrame(rows, columns=SEASON_COLUMNS)
    frame["previous_count"] = frame["previous_count"].astype("Int64")
    frame["baseline_mean"] = frame["baseline_mean"].astype("float64")
    frame["vs_baseline_pct"] = frame["vs_baseline_pct"].astype("float64")
    return frame


def _expected_year_var(
    extract: Extract, measure: Measure, period: Period, last_base: pd.Period, source: str
) -> float:
    """The measure's year-level variance for its expected-count interval (``yearvar.measure_variance``:
    its own pooled variance; for a measure that is one category, that category's, as ``baseline`` uses),
    from the years up to the baseline's end: without it the interval is counting noise alone, far too
    narrow, and an ordinary year reads as "outside the expected range"."""
    if source == "none":
        return 0.0
    crimes = crime_only(extract.counts)
    found = measure_variance(
        crimes, measure_mask(crimes, measure), extract.scheme, list(period.months), last_base, source
    )
    return found.sigma2 if found is not None else 0.0


def build_theme(
    extract: Extract,
    ropts: RankOptions,
    pset: PrioritySet,
    theme: Theme,
    *,
    lead: str | None = None,
    rotation_quarter: str | None = None,
    date: str | None = None,
    title: str | None = None,
) -> ThemeData:
    scheme = extract.scheme
    measure, proxies, missing = _merged_measure(theme.members, scheme)
    if measure is None:
        raise SelectionError(
            f"theme '{theme.name}' is not measurable from this extract ({scheme} layout): "
            + "; ".join(missing),
            params=["theme"],
        )
    group = theme.kind == "group"
    # A group is counted as one priority of its own (its members' categories, each once); a priority as itself.
    own = (
        PrioritySet(
            [PriorityDef(theme.name, "theme", "", {scheme: measure})], pset.rules, theme.source or pset.source
        )
        if group
        else pset
    )
    # The trends' top places read the LSOAs or wards; every other figure is the same from the counts
    # summed over them (a table ~100x smaller for a police.uk extract).
    places_extract, extract = extract, extract.without_subareas()
    rank = build_rank(extract, ropts, pset)
    topts = dict(area=ropts.area, priority=theme.name, year=ropts.year, start_month=ropts.start_month)
    trend = build_trend(places_extract, TrendOptions(by="month", **topts), own)  # type: ignore[arg-type]
    by_year = build_trend(places_extract, TrendOptions(by="year", **topts), own)  # type: ignore[arg-type]
    quarterly = build_quarterly(extract, pset, ropts.area, None, pset.rules.alpha, ropts.start_month)

    sel = select_area(extract, ropts.area)
    covered = extract.months_covered
    period, _ = resolve_year(ropts.year, covered, ropts.start_month)
    previous, _ = comparison_period(period, period.fy.shift(-1), covered, "previous year")
    baseline, baseline_label, _ = resolve_baseline(ropts.baseline, period, covered, ropts.start_month)
    rows = sel.counts[measure_mask(sel.counts, measure)]

    names = [p.name for p in theme.members]
    pri = rank.tables["priorities"].frame
    members = pri[pri["name"].isin(names)].reset_index(drop=True)
    if group:
        count = int(period_total(rows, period))
        prev = int(period_total(rows, previous)) if previous else None
        year_var: list[float] | None = None
        if prev is not None:
            if ropts.variance != "none" and previous is not None:
                every = measure_mask(extract.counts, measure)
                found, _ = measure_variances(
                    extract.counts, {"group": every}, extract.scheme, list(period.months),
                    max(previous.months), ropts.variance,
                )  # fmt: skip
                if "group" in found:
                    year_var = [2.0 * found["group"].sigma2]
            t = change_test([prev], [count], adjust="holm", alpha=pset.rules.alpha, year_var=year_var).iloc[0]
            direction = ("rising" if count > prev else "falling") if bool(t["significant"]) else UNCHANGED
            p_adj = float(t["p_adjusted"]) if not pd.isna(t["p_adjusted"]) else None
        else:
            direction, p_adj = "unknown", None
        base = baseline_total(rows, baseline) if baseline else None
        base_pct = _pct(count, base)
        test = (
            "no change test: the previous year is not in the data"
            if prev is None
            else "the group's total tested on its own against its usual year-to-year variation"
            if year_var is not None
            else "the group's total tested on its own, counting noise only"
        )
    else:
        row = members.iloc[0]
        count = int(row["count"])
        prev = int(row["previous_count"]) if pd.notna(row["previous_count"]) else None
        direction = str(row["direction"] or "unknown")
        p_adj = float(row["p_adjusted"]) if pd.notna(row["p_adjusted"]) else None
        base = float(row["baseline_count"]) if pd.notna(row["baseline_count"]) else None
        base_pct = float(row["baseline_change_pct"]) if pd.notna(row["baseline_change_pct"]) else None
        tested = int(pri["direction"].isin(["rising", "falling", UNCHANGED]).sum())
        test = (
            "no change test: the previous year is not in the data"
            if prev is None
            else f"change against usual year-to-year variation, Holm-adjusted across the {tested} priorities "
            "measured, as in rank"
        )

    series = trend.tables["rows"].frame
    monthly = pd.Series(
        series["count"].to_numpy(dtype="float64"),
        index=pd.PeriodIndex([pd.Period(p[:7], freq="M") for p in series["period"]], freq="M"),
    )
    expected = low = high = None
    window = fit_window(baseline, covered)
    if window is not None:
        # The same function and variance as ``baseline``'s rows: one measure, one expected range.
        range_var = _expected_year_var(extract, measure, period, variance_end(baseline), ropts.variance)
        projected = expected_range(monthly, window, period, covered, range_var)
        if "expected" in projected:
            expected = float(projected["expected"])  # type: ignore[arg-type]
            low, high = float(projected["expected_low"]), float(projected["expected_high"])  # type: ignore[arg-type]
    headline = ThemeHeadline(
        count=count,
        previous_label=previous.label if previous else None,
        previous_count=prev,
        change=count - prev if prev is not None else None,
        change_pct=_pct(count, prev),
        direction=direction,
        p_adjusted=p_adj,
        test=test,
        baseline_label=baseline_label if baseline else None,
        baseline_count=round(base, 1) if base is not None else None,
        baseline_change_pct=base_pct,
        expected=expected,
        expected_low=low,
        expected_high=high,
        sentence="",
        baseline_sentence="",
    )
    headline.sentence = _sentence(
        sel.label, theme.name, period.label, headline, record_noun(rows["major"].unique())
    )
    headline.baseline_sentence = _baseline_sentence(headline, period.label)

    qframe = quarterly.tables["rows"].frame
    qrows = qframe[qframe["priority"].isin(names)]
    if group:
        own_q = build_quarterly(extract, own, ropts.area, None, pset.rules.alpha, ropts.start_month)
        qrows = pd.concat([own_q.tables["rows"].frame, qrows], ignore_index=True)
    qtable = Table(
        qrows.reset_index(drop=True),
        QUARTERLY_COLUMNS,
        f"Quarterly view, {quarterly.meta['quarter']}",
        json_only=quarterly.tables["rows"].json_only,  # no plan here: no plan columns
    )

    caveats = list(
        dict.fromkeys(
            rank.warnings
            + trend.warnings
            + trend.notes
            + quarterly.notes
            # The quarterly view's comparison quarter may be a COVID one: name it, as quarterly does.
            + [w for w in quarterly.warnings if "COVID" in w]
            + [NO_FLAGS]
            + STANDARD_CAVEATS
        )
    )
    kind = "priority" if not group else f"theme of {len(names)} priorities"
    files = len(extract.sources)
    options = {
        "Theme": f"{theme.name} ({kind}{': ' + ', '.join(names) if group else ''})",
        "Counted as": measure.describe(),
        "Area": sel.label,
        "Year": period.label,
        "Previous year": previous.label if previous else "not in the data",
        "Pre-COVID baseline": baseline_label if baseline else "not in the data",
        "Priorities from": pset.source,
        **({"Theme defined in": theme.source} if group else {}),
        "Quarter (quarterly view)": str(quarterly.meta["quarter"]),
        **(
            {
                "Rotation": f"{rotation_quarter}, lead: {lead or 'not named'} (the plan's quarter picks the theme; "
                "the figures are the latest complete year and quarter in the data)"
            }
            if rotation_quarter
            else {}
        ),
        "Change test": test,
    }
    return ThemeData(
        noun=record_noun(rows["major"].unique()),
        title=title or f"Theme pack: {theme.name}, {sel.label}, {period.label}",
        subtitle=(
            f"Deep dive from {files} police extract file{'s' if files != 1 else ''} ({span_label(covered)}), "
            f"made with csp-assess {__version__}"
        ),
        date=date,
        theme=theme,
        lead=lead,
        rotation_quarter=rotation_quarter,
        area=sel.label,
        period=period,
        baseline=baseline,
        headline=headline,
        measure=measure.describe(),
        proxies=proxies,
        not_measurable=missing,
        members=Table(members, MEMBER_COLUMNS, "The theme's priorities, as rank judges them"),
        monthly=monthly,
        baseline_monthly_mean=(base / len(period.months) if base is not None else None),
        years=trend_table(by_year),
        season=Table(
            _season(monthly, period, baseline), SEASON_COLUMNS, f"Season: each month of {period.label}"
        ),
        breakdown=trend.tables["by_minor"],
        subareas=trend.tables.get("top_subareas"),
        quarterly=qtable,
        quarter=str(quarterly.meta["quarter"]),
        rank=rank,
        trend=trend,
        quarterly_result=quarterly,
        sources=rank.sources,
        caveats=caveats,
        options=options,
    )


def trend_table(res: Result) -> Table:
    t = res.tables["rows"]
    return Table(t.frame, t.columns, "Year by year (financial years)", t.detail_columns)
