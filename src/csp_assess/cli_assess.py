"""Assessment commands: summary, baseline, compare, trend, quarterly. Thin: parse, load, analyse, emit."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from csp_assess.cli_options import (
    AreaOpt,
    BaselineOpt,
    FilesArg,
    FormatOpt,
    Level,
    MapOpt,
    NoCacheOpt,
    OutputOpt,
    PrioritiesOpt,
    StartMonthOpt,
    YearOpt,
    emit_result,
    load_files,
)


class PeriodKind(StrEnum):
    year = "year"
    ytd = "ytd"
    rolling12 = "rolling12"


class By(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


class Method(StrEnum):
    exact = "exact"
    z = "z"


class Adjust(StrEnum):
    holm = "holm"
    bh = "bh"
    none = "none"


PeriodOpt = Annotated[
    PeriodKind,
    typer.Option(
        "--period",
        "-p",
        help="year: a financial year against the one before (a partial year against the same months). "
        "ytd: financial year to date against the same months last year. rolling12: the 12 months to the "
        "latest month against the 12 before. Partial periods are always labelled partial.",
    ),
]
PopulationOpt = Annotated[
    str | None,
    typer.Option(
        "--population",
        help="Residents for rates per 1,000: a number for the area, or a CSV file with columns area,population.",
    ),
]
LevelOpt = Annotated[Level, typer.Option("--level", "-l", help="Major or minor categories.")]
MethodOpt = Annotated[
    Method, typer.Option("--method", help="exact: conditional binomial test; z: variance-stabilised z test.")
]
AdjustOpt = Annotated[
    Adjust, typer.Option("--adjust", help="Correction for testing many categories: holm, bh or none.")
]
AlphaOpt = Annotated[float, typer.Option("--alpha", min=0.0001, max=0.5, help="Significance level.")]


def summary(
    files: FilesArg,
    area: AreaOpt = None,
    year: YearOpt = None,
    period: PeriodOpt = PeriodKind.year,
    population: PopulationOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Headline: total offences, change on the previous year, and the same by major category.

    Crime totals leave out anti-social behaviour, which is shown in its own table where present. With
    --population, rates per 1,000 residents; for a multi-borough file, the area beside all areas and its
    rank among boroughs (pseudo-areas such as Unknown and the airports are not ranked).

    Example: csp-assess summary data/sample_offences.csv --year 2021/22 --format json

    Example: csp-assess summary data/sample_offences.csv --period ytd
    """
    from csp_assess.analysis.summary import build_summary

    extract = load_files(files, map_, no_cache)
    emit_result(build_summary(extract, area, year, period.value, fy_start, population), fmt, output)


def baseline(
    files: FilesArg,
    area: AreaOpt = None,
    year: YearOpt = None,
    baseline: BaselineOpt = None,
    level: LevelOpt = Level.major,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Each category against the pre-COVID baseline, and against a count projected from its pre-COVID trend.

    The baseline is one year or the mean of a range. The expected count continues the trend and season
    fitted to the monthly counts of the baseline years (at least three years where the data has them),
    with a 95% prediction interval.

    Example: csp-assess baseline data/sample_offences.csv --year 2021/22 --baseline 2019/20

    Example: csp-assess baseline data/sample_offences.csv --baseline 2017/18-2019/20 --level minor
    """
    from csp_assess.analysis.baseline import build_baseline

    extract = load_files(files, map_, no_cache)
    emit_result(build_baseline(extract, area, year, baseline, level.value, fy_start), fmt, output)


def compare(
    files: FilesArg,
    from_: Annotated[
        str | None, typer.Option("--from", help="Earlier financial year (default: the year before --to).")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Later financial year (default: the latest complete year)."),
    ] = None,
    against: Annotated[
        list[Path] | None,
        typer.Option(
            "--against",
            help="Compare FILES with another extract of the same period (repeatable): shows what data "
            "revisions changed.",
        ),
    ] = None,
    area: AreaOpt = None,
    level: LevelOpt = Level.minor,
    method: MethodOpt = Method.exact,
    adjust: AdjustOpt = Adjust.holm,
    alpha: AlphaOpt = 0.05,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Change in each category between two years, with a Poisson test adjusted for many categories.

    A change is flagged significant only when its adjusted p-value is below --alpha and the two counts
    add up to at least 10: small counts are never called significant on percentage alone. With
    --against, the same year in two extracts is compared, to show what revisions changed.

    Example: csp-assess compare data/sample_offences.csv --from 2020/21 --to 2021/22 --level major

    Example: csp-assess compare old_snapshot.csv --against new_snapshot.csv --to 2021/22
    """
    from csp_assess.analysis.compare import CompareOptions, build_compare

    extract = load_files(files, map_, no_cache)
    other = load_files(against, map_, no_cache) if against else None
    opts = CompareOptions(
        area=area,
        from_year=from_,
        to_year=to,
        level=level.value,
        method=method.value,
        adjust=adjust.value,
        alpha=alpha,
        start_month=fy_start,
    )
    emit_result(build_compare(extract, opts, other), fmt, output)


def trend(
    files: FilesArg,
    category: Annotated[
        str | None,
        typer.Option(
            "--category", "-c", help="Major or minor category (case-insensitive). Default: all crime."
        ),
    ] = None,
    priority: Annotated[
        str | None, typer.Option("--priority", help="A priority by name, counted by its measure.")
    ] = None,
    by: Annotated[
        By, typer.Option("--by", help="Series step: month, quarter (financial) or year.")
    ] = By.month,
    area: AreaOpt = None,
    year: YearOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many wards/LSOAs to list.")] = 10,
    priorities: PrioritiesOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Deep dive: the series with a sparkline, the minor categories and, for ward or LSOA data, the top areas.

    The breakdowns are for --year (default: the latest complete year) against the year before.

    Example: csp-assess trend data/sample_offences.csv --category Burglary --by quarter

    Example: csp-assess trend ward_file.csv --priority "Violence Against Women and Girls" --by year
    """
    from csp_assess.analysis.trend import TrendOptions, build_trend
    from csp_assess.reference.priorities import load_priorities

    if category and priority:
        raise typer.BadParameter("give --category or --priority, not both")
    pset = load_priorities(priorities) if priority else None
    extract = load_files(files, map_, no_cache, subareas=True)
    opts = TrendOptions(
        area=area, category=category, priority=priority, by=by.value, year=year, top=top, start_month=fy_start
    )
    emit_result(build_trend(extract, opts, pset), fmt, output)


def quarterly(
    files: FilesArg,
    plan_start: Annotated[
        str | None,
        typer.Option("--plan-start", help="First financial year of the plan, e.g. 2023/24."),
    ] = None,
    area: AreaOpt = None,
    priorities: PrioritiesOpt = None,
    alpha: AlphaOpt = 0.05,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fy_start: StartMonthOpt = 4,
    map_: MapOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Quarterly oversight: each priority's latest complete quarter against a year earlier and the plan start.

    Quarters are financial (Q1 = the first three months of the financial year). Direction of travel is
    'rising' or 'falling' only when an exact Poisson test, Holm-adjusted across priorities, says the
    change is beyond noise; otherwise 'no significant change'.

    Example: csp-assess quarterly data/sample_offences.csv --plan-start 2020/21
    """
    from csp_assess.analysis.quarterly import build_quarterly
    from csp_assess.reference.priorities import load_priorities

    pset = load_priorities(priorities)
    extract = load_files(files, map_, no_cache)
    emit_result(build_quarterly(extract, pset, area, plan_start, alpha, fy_start), fmt, output)


def register(app: typer.Typer) -> None:
    for fn in (summary, baseline, compare, trend, quarterly):
        app.command(name=fn.__name__)(fn)
