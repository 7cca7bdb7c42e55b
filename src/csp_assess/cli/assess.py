"""The assessment commands: rank, summary, baseline, compare, trend, quarterly.

Each is parse -> api -> present: the options arrive in shared groups, the API function does the work,
``emit`` writes the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from csp_assess import api
from csp_assess.api import Adjust, Level, Method, PeriodKind, Step, Variance
from csp_assess.cli.options import (
    Inputs,
    LevelOpt,
    Output,
    Partner,
    PlanOpt,
    PopulationOpt,
    PreviousPlanOpt,
    PrioritiesOpt,
    Scope,
    ScoringOpt,
    TemplateOpt,
    VarianceOpt,
    Weighting,
    Where,
    command,
    file_arg,
)
from csp_assess.cli.output import emit, write_matrix_chart

app = typer.Typer()

AlphaOpt = Annotated[float, typer.Option("--alpha", min=0.0001, max=0.5, help="Significance level.")]


@command(app)
def rank(
    inputs: Inputs,
    scope: Scope,
    weighting: Weighting,
    out: Output,
    partner: Partner,
    scoring: ScoringOpt = None,
    population: PopulationOpt = None,
    matrix_chart: Annotated[
        Path | None,
        typer.Option(
            "--matrix-chart", help="With --scoring: write the impact-against-likelihood chart (SVG)."
        ),
    ] = None,
) -> None:
    """Rank offence categories by volume, harm and cost, and recommend priorities.

    Example: csp-assess rank data/sample_offences.csv --year 2021/22 --format json

    Example: csp-assess rank data/sample_offences.csv --weights my_weights.csv --sensitivity --top-n 10

    Example: csp-assess rank leics/ --area Blaby --area "Oadby and Wigston" --area-name "Blaby and Oadby"

    Example: csp-assess rank data/sample_offences.csv --scoring workshop.toml --matrix-chart matrix.svg
    """
    if matrix_chart is not None and scoring is None:
        raise typer.BadParameter("--matrix-chart needs --scoring")
    result = api.rank(
        inputs.load(),
        **scope.kwargs(),
        **weighting.kwargs(),
        **partner.kwargs(),
        scoring=scoring,
        population=population,
    )
    emit(result, out)
    if matrix_chart is not None:
        write_matrix_chart(result.result, matrix_chart)


@command(app)
def summary(
    inputs: Inputs,
    scope: Scope,
    out: Output,
    partner: Partner,
    period: Annotated[
        PeriodKind,
        typer.Option(
            "--period",
            "-p",
            help="year: a financial year against the one before (a partial year against the same months). "
            "ytd: financial year to date against the same months last year. rolling12: the 12 months to the "
            "latest month against the 12 before. Partial periods are always labelled partial.",
        ),
    ] = PeriodKind.year,
    population: PopulationOpt = None,
) -> None:
    """Headline: total offences, change on the previous year, and the same by major category.

    Crime totals leave out anti-social behaviour, which is shown in its own table where present. With
    --population, rates per 1,000 residents; for a multi-borough file, the area beside all areas and its
    rank among boroughs (pseudo-areas such as Unknown and the airports are not ranked).

    Example: csp-assess summary data/sample_offences.csv --year 2021/22 --format json

    Example: csp-assess summary data/sample_offences.csv --period ytd
    """
    result = api.summary(
        inputs.load(), **scope.kwargs(), period=period, population=population, **partner.kwargs()
    )
    emit(result, out)


@command(app)
def baseline(
    inputs: Inputs,
    scope: Scope,
    out: Output,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Pre-COVID baseline year or range (2019/20 or 2017/18-2019/20). Default 2019/20.",
        ),
    ] = None,
    level: LevelOpt = Level.major,
    variance: VarianceOpt = Variance.data,
) -> None:
    """Each category against the pre-COVID baseline, and against a count projected from its pre-COVID trend.

    The baseline is one year or the mean of a range. The expected count continues the trend and season
    fitted to the monthly counts of the baseline years (at least three years where the data has them),
    with a 95% prediction interval.

    Example: csp-assess baseline data/sample_offences.csv --year 2021/22 --baseline 2019/20

    Example: csp-assess baseline data/sample_offences.csv --baseline 2017/18-2019/20 --level minor
    """
    emit(
        api.baseline(inputs.load(), **scope.kwargs(), baseline=baseline, level=level, variance=variance), out
    )


@command(app)
def compare(
    inputs: Inputs,
    scope: Scope,
    out: Output,
    from_: Annotated[
        str | None, typer.Option("--from", help="Earlier financial year (default: the year before --to).")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Later financial year (default: the latest complete year, or --year)."),
    ] = None,
    against: Annotated[
        list[Path] | None,
        typer.Option(
            "--against",
            help="Compare FILES with another extract of the same period (repeatable): shows what data "
            "revisions changed.",
            parser=file_arg,
            metavar="<path>",
        ),
    ] = None,
    level: LevelOpt = Level.minor,
    method: Annotated[
        Method,
        typer.Option("--method", help="exact: conditional binomial test; z: variance-stabilised z test."),
    ] = Method.exact,
    adjust: Annotated[
        Adjust, typer.Option("--adjust", help="Correction for testing many categories: holm, bh or none.")
    ] = Adjust.holm,
    alpha: AlphaOpt = 0.05,
    variance: VarianceOpt = Variance.data,
) -> None:
    """Change in each category between two years, with a test adjusted for many categories.

    A change is flagged only when its adjusted p-value is below --alpha and the two counts add up to at
    least 10: small counts are never flagged on percentage alone. With --against, the same year in two
    extracts is compared, to show what revisions changed. The table ends with a Total row (crime only;
    JSON keeps the totals in from_total, to_total and change); anti-social behaviour, where the data
    holds it, is in its own table, not in the total.

    Example: csp-assess compare data/sample_offences.csv --from 2020/21 --to 2021/22 --level major

    Example: csp-assess compare old_snapshot.csv --against new_snapshot.csv --to 2021/22
    """
    extract = inputs.load()
    other = Inputs(against, inputs.mapping, inputs.cache).load() if against else None
    kw = scope.kwargs(year=False)
    result = api.compare(
        extract,
        against=other,
        from_year=from_,
        to_year=to or scope.year,
        level=level,
        method=method,
        adjust=adjust,
        alpha=alpha,
        variance=variance,
        **kw,
    )
    emit(result, out)


@command(app)
def trend(
    inputs: Inputs,
    scope: Scope,
    out: Output,
    partner: Partner,
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
        Step, typer.Option("--by", help="Series step: month, quarter (financial) or year.")
    ] = Step.month,
    top: Annotated[
        int | None,
        typer.Option(
            "--top", min=1, help="How many wards/LSOAs to list (default 10; ward or LSOA data only)."
        ),
    ] = None,
    priorities: PrioritiesOpt = None,
    template: TemplateOpt = None,
) -> None:
    """Deep dive: the series with a sparkline, the minor categories and, for ward or LSOA data, the top areas.

    The breakdowns are for --year (default: the latest complete year) against the year before.

    Example: csp-assess trend data/sample_offences.csv --category Burglary --by quarter

    Example: csp-assess trend ward_file.csv --priority "Violence Against Women and Girls" --by year
    """
    if category and priority:
        raise typer.BadParameter("give --category or --priority, not both")
    result = api.trend(
        inputs.load(places=True, areas=scope.area),
        **scope.kwargs(),
        category=category,
        priority=priority,
        priorities=priorities,
        template=template,
        by=by,
        top=top,
        **partner.kwargs(),
    )
    emit(result, out)


@command(app)
def quarterly(
    inputs: Inputs,
    where: Where,
    out: Output,
    partner: Partner,
    plan_start: Annotated[
        str | None, typer.Option("--plan-start", help="First financial year of the plan, e.g. 2023/24.")
    ] = None,
    plan: PlanOpt = None,
    previous_plan: PreviousPlanOpt = None,
    priorities: PrioritiesOpt = None,
    template: TemplateOpt = None,
    alpha: AlphaOpt = 0.05,
    variance: VarianceOpt = Variance.data,
) -> None:
    """Quarterly oversight: each priority's latest complete quarter against a year earlier and the plan start.

    Quarters are financial (Q1 = the first three months of the financial year); the latest complete
    quarter in the data is reported. The plan-start columns appear with --plan-start or --plan (JSON
    always has them, null without a plan). With --plan, progress is the 12 months to the end of that
    quarter against each target's year, and the RAG rule is printed beneath.

    Example: csp-assess quarterly data/sample_offences.csv --plan-start 2020/21

    Example: csp-assess quarterly data/sample_offences.csv --plan plan-2023.toml --previous-plan plan-2022.toml
    """
    kw = where.kwargs()
    result = api.quarterly(
        inputs.load(),
        priorities=priorities,
        template=template,
        plan_start=plan_start,
        plan=plan,
        previous_plan=previous_plan,
        alpha=alpha,
        variance=variance,
        **kw,
        **partner.kwargs(),
    )
    emit(result, out)
