"""The public Python API: ``load`` an extract, then one function per analysis.

Every function takes an ``Extract`` (or the paths to load) and keyword options, and returns a typed
result with ``.rows`` (the main table) and ``.to_dict()`` (the ``--format json`` document of the
matching command). The command line calls exactly these functions, so a notebook and a shell get the
same figures. Options are plain strings or the enums below; errors name these parameters.

    >>> import csp_assess as ca
    >>> ex = ca.load(["data/sample_offences.csv"])
    >>> ca.summary(ex, year="2021/22").total
    20516
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from csp_assess.analysis.scoring import ScoreWeights
from csp_assess.analysis.select import AreaArg, as_areas
from csp_assess.errors import SelectionError
from csp_assess.model import Extract
from csp_assess.reference.prices import Uprating, resolve_uprating
from csp_assess.reference.priorities import PrioritySet, load_priorities
from csp_assess.results import (
    BaselineResult,
    CompareResult,
    PrioritiesResult,
    QuarterlyResult,
    RankResult,
    ReportResult,
    SummaryResult,
    ThemeResult,
    TrendResult,
    ValidateResult,
    WeightsResult,
)

if TYPE_CHECKING:
    from csp_assess.analysis.rank import RankOptions

PathLike = str | Path
Data = Extract | PathLike | Sequence[PathLike]
Progress = Callable[[str, int, int], None]


class Level(StrEnum):
    minor = "minor"
    major = "major"


class HarmIndex(StrEnum):
    cchi = "cchi"
    css = "css"
    cost = "cost"
    none = "none"


class PeriodKind(StrEnum):
    year = "year"
    ytd = "ytd"
    rolling12 = "rolling12"


class Step(StrEnum):
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


E = TypeVar("E", bound=StrEnum)


def _choice(value: str | StrEnum, enum: type[E], param: str) -> str:
    """An option given as an enum member or its plain string; anything else names the parameter."""
    text = value.value if isinstance(value, StrEnum) else str(value)
    if text not in {m.value for m in enum}:
        allowed = ", ".join(m.value for m in enum)
        raise SelectionError(f"{{{param}}} must be one of {allowed}, not '{text}'", params=[param])
    return text


def _paths(paths: PathLike | Sequence[PathLike]) -> list[PathLike]:
    return [paths] if isinstance(paths, str | Path) else list(paths)


def load(
    paths: PathLike | Sequence[PathLike],
    *,
    mapping: Mapping[str, str] | None = None,
    map_file: PathLike | None = None,
    cache: bool = True,
    progress: Progress | None = None,
) -> Extract:
    """Read files, folders of monthly files or zip downloads into one table of counts.

    ``mapping`` names the columns of a long extract (canonical name -> column, e.g.
    ``{"month": "Committed Date"}``), over any ``map_file`` (TOML or CSV). Overlapping snapshots are
    resolved (the newer wins each month); ``.sources`` says which file supplied which months and
    ``.rejects`` every row not counted: rows read = counted + rejected.
    """
    from csp_assess.load import load_extract
    from csp_assess.load.long import mapping_from_file

    cols = mapping_from_file(map_file) if map_file is not None else {}
    cols.update(mapping or {})
    return load_extract(_paths(paths), mapping=cols, use_cache=cache, progress=progress)


def _extract(data: Data) -> Extract:
    return data if isinstance(data, Extract) else load(_paths(data))


def _priorities(priorities: PrioritySet | PathLike | None) -> PrioritySet:
    return priorities if isinstance(priorities, PrioritySet) else load_priorities(priorities)


def _score_weights(w_volume: float, w_harm: float, w_cost: float) -> ScoreWeights:
    import math

    for name, value in (("w_volume", w_volume), ("w_harm", w_harm), ("w_cost", w_cost)):
        if not math.isfinite(value) or value < 0:
            raise SelectionError(
                f"{{{name}}} must be a finite number of 0 or more, not {value}", params=[name]
            )
    if w_volume + w_harm + w_cost <= 0:
        raise SelectionError(
            "at least one of {w_volume}, {w_harm}, {w_cost} must be above 0",
            params=["w_volume", "w_harm", "w_cost"],
        )
    return ScoreWeights(w_volume, w_harm, w_cost)


def _uprating(
    price_year: str | None, price_index: PathLike | None, uprate: float | None, price_source: str | None
) -> Uprating:
    return resolve_uprating(price_year, Path(price_index) if price_index else None, uprate, price_source)


def summary(
    data: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    period: str | PeriodKind = PeriodKind.year,
    population: str | float | PathLike | None = None,
    fy_start: int = 4,
) -> SummaryResult:
    """Total offences for a period against the one before, by major category; ASB on its own.

    ``period``: ``year`` (a financial year), ``ytd`` (year to date, partial and labelled), ``rolling12``.
    ``population``: residents of the area (a number) or a CSV of area,population, for rates per 1,000.
    """
    from csp_assess.analysis.summary import build_summary

    kind = _choice(period, PeriodKind, "period")
    pop = None if population is None else str(population)
    return SummaryResult(build_summary(_extract(data), as_areas(area, area_name), year, kind, fy_start, pop))


def rank(
    data: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.minor,
    harm: str | HarmIndex = HarmIndex.cchi,
    priorities: PrioritySet | PathLike | None = None,
    w_volume: float = 1.0,
    w_harm: float = 1.0,
    w_cost: float = 1.0,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
    top_n: int | None = None,
    sensitivity: bool = False,
    fy_start: int = 4,
) -> RankResult:
    """Every offence category in the year ranked by volume, harm and cost; the recommended priorities.

    The score is the mean of each category's share (%) of the year's offences, harm and cost, weighted
    by ``w_volume``/``w_harm``/``w_cost``. ``priorities`` is a priority set or a TOML file (default:
    ./csp-assess.toml if present, else the packaged MOPAC set).
    """
    from csp_assess.analysis.rank import build_rank

    extract = _extract(data)
    opts, pset = _rank_options(
        area, area_name, year, baseline, level, harm, priorities, w_volume, w_harm, w_cost,
        weights_file, price_year, price_index, uprate, price_source, top_n, sensitivity, fy_start, extract,
    )  # fmt: skip
    return RankResult(build_rank(extract, opts, pset))


def _rank_options(
    area: AreaArg,
    area_name: str | None,
    year: str | None,
    baseline: str | None,
    level: str | Level,
    harm: str | HarmIndex,
    priorities: PrioritySet | PathLike | None,
    w_volume: float,
    w_harm: float,
    w_cost: float,
    weights_file: PathLike | None,
    price_year: str | None,
    price_index: PathLike | None,
    uprate: float | None,
    price_source: str | None,
    top_n: int | None,
    sensitivity: bool,
    fy_start: int,
    extract: Extract,
) -> tuple[RankOptions, PrioritySet]:
    """The ranking's options, checked, shared by ``rank`` and ``report``."""
    from csp_assess.analysis.rank import RankOptions
    from csp_assess.reference.weights import load_weight_overrides

    if top_n is not None and top_n < 0:
        raise SelectionError(f"{{top_n}} must be 0 or more, not {top_n}", params=["top_n"])
    weights = _score_weights(w_volume, w_harm, w_cost)
    pset = _priorities(priorities)
    overrides = None
    if weights_file is not None:
        overrides, override_warnings = load_weight_overrides(weights_file)
        extract.warnings.extend(w for w in override_warnings if w not in extract.warnings)
    opts = RankOptions(
        area=as_areas(area, area_name),
        year=year,
        baseline=baseline,
        level=_choice(level, Level, "level"),
        harm_index=_choice(harm, HarmIndex, "harm"),
        start_month=fy_start,
        score_weights=weights,
        weight_overrides=overrides,
        weights_file=str(weights_file) if weights_file else None,
        uprating=_uprating(price_year, price_index, uprate, price_source),
        top_n=top_n,
        sensitivity=sensitivity,
    )
    return opts, pset


def baseline(
    data: Data,
    *,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.major,
    fy_start: int = 4,
) -> BaselineResult:
    """Each category against the pre-COVID baseline (a year, or a range averaged) and against the count
    expected from its pre-COVID trend and season, with a prediction interval."""
    from csp_assess.analysis.baseline import build_baseline

    return BaselineResult(
        build_baseline(
            _extract(data),
            as_areas(area, area_name),
            year,
            baseline,
            _choice(level, Level, "level"),
            fy_start,
        )
    )


def compare(
    data: Data,
    *,
    against: Data | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    from_year: str | None = None,
    to_year: str | None = None,
    level: str | Level = Level.minor,
    method: str | Method = Method.exact,
    adjust: str | Adjust = Adjust.holm,
    alpha: float = 0.05,
    fy_start: int = 4,
) -> CompareResult:
    """Each category's change between two years of one extract, or the same year in two extracts
    (``against``: what data revisions changed), with a test adjusted for many categories."""
    from csp_assess.analysis.compare import CompareOptions, build_compare

    if not 0 < alpha < 1:
        raise SelectionError(f"{{alpha}} must be between 0 and 1, not {alpha}", params=["alpha"])
    opts = CompareOptions(
        area=as_areas(area, area_name),
        from_year=from_year,
        to_year=to_year,
        level=_choice(level, Level, "level"),
        method=_choice(method, Method, "method"),
        adjust=_choice(adjust, Adjust, "adjust"),
        alpha=alpha,
        start_month=fy_start,
    )
    other = _extract(against) if against is not None else None
    return CompareResult(build_compare(_extract(data), opts, other))


def trend(
    data: Data,
    *,
    category: str | None = None,
    priority: str | None = None,
    priorities: PrioritySet | PathLike | None = None,
    by: str | Step = Step.month,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    top: int = 10,
    fy_start: int = 4,
) -> TrendResult:
    """A deep dive: the series of all crime, a category or a priority, its minor categories and (for
    ward or LSOA data) its top places."""
    from csp_assess.analysis.trend import TrendOptions, build_trend

    if category and priority:
        raise SelectionError("give {category} or {priority}, not both", params=["category", "priority"])
    pset = _priorities(priorities) if priority else None
    opts = TrendOptions(
        area=as_areas(area, area_name),
        category=category,
        priority=priority,
        by=_choice(by, Step, "by"),
        year=year,
        top=top,
        start_month=fy_start,
    )
    return TrendResult(build_trend(_extract(data), opts, pset))


def quarterly(
    data: Data,
    *,
    priorities: PrioritySet | PathLike | None = None,
    plan_start: str | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    alpha: float = 0.05,
    fy_start: int = 4,
) -> QuarterlyResult:
    """Each priority's latest complete quarter against the same quarter a year earlier and the plan's start."""
    from csp_assess.analysis.quarterly import build_quarterly

    if not 0 < alpha < 1:
        raise SelectionError(f"{{alpha}} must be between 0 and 1, not {alpha}", params=["alpha"])
    return QuarterlyResult(
        build_quarterly(
            _extract(data), _priorities(priorities), as_areas(area, area_name), plan_start, alpha, fy_start
        )
    )


def validate(
    paths: PathLike | Sequence[PathLike],
    *,
    mapping: Mapping[str, str] | None = None,
    map_file: PathLike | None = None,
    max_rejects: int | None = None,
) -> ValidateResult:
    """Check files one by one: layout, encoding, rows read/counted/rejected (each reject with file, line
    and reason), months and gaps, areas, unrecognised categories, and which snapshot won each month."""
    from csp_assess.analysis.validate import validate_paths, validation_result
    from csp_assess.load.long import mapping_from_file

    cols = mapping_from_file(map_file) if map_file is not None else {}
    cols.update(mapping or {})
    v = validate_paths(_paths(paths), cols)
    return ValidateResult(validation_result(v, max_rejects), v)


def weights(
    data: Data | None = None,
    *,
    scheme: str | None = None,
    harm: str | HarmIndex = HarmIndex.cchi,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
) -> WeightsResult:
    """Every category's harm and cost weight, with its source and status: of the extract's categories,
    or of a whole category ``scheme`` (met-old, met-new, met-pre2019, police-uk, custom)."""
    from csp_assess.analysis.configuration import check_scheme, weights_result
    from csp_assess.reference.weights import load_weight_overrides

    check_scheme(scheme)
    harm_index = _choice(harm, HarmIndex, "harm")
    uprating = _uprating(price_year, price_index, uprate, price_source)
    overrides, override_warnings = (
        load_weight_overrides(weights_file) if weights_file is not None else (None, [])
    )
    extract = _extract(data) if data is not None else None
    return WeightsResult(
        weights_result(
            extract,
            scheme,
            harm_index,
            overrides,
            override_warnings,
            str(weights_file) if weights_file else None,
            uprating,
        )
    )


def priorities(
    priorities: PrioritySet | PathLike | None = None, *, scheme: str | None = None
) -> PrioritiesResult:
    """The active priority set: each priority's class, who set it, and how each layout measures it."""
    from csp_assess.analysis.configuration import priorities_result

    return PrioritiesResult(priorities_result(_priorities(priorities), scheme))


def report(
    data: Data,
    *,
    output: PathLike | None = None,
    format: str | None = None,
    title: str | None = None,
    date: str | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.minor,
    harm: str | HarmIndex = HarmIndex.cchi,
    priorities: PrioritySet | PathLike | None = None,
    w_volume: float = 1.0,
    w_harm: float = 1.0,
    w_cost: float = 1.0,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
    top_n: int | None = None,
    sensitivity: bool = False,
    fy_start: int = 4,
    theme: str | None = None,
    rotation: PathLike | None = None,
    quarter: str | None = None,
) -> ReportResult | ThemeResult:
    """The evidence pack (headline, charts, ranking, priorities, deep dives, data and methods), with the
    figures of ``summary``, ``baseline`` and ``rank`` for the same options; written when ``output`` is given.

    With ``theme`` (a priority or a named group) or ``rotation`` and ``quarter`` (a plan file's deep dive for
    that quarter), the theme pack instead: see ``theme_pack``.
    """
    from csp_assess.report import report_format
    from csp_assess.report.build import ReportOptions, build_report

    if theme is not None or rotation is not None or quarter is not None:
        return theme_pack(
            data, theme=theme, rotation=rotation, quarter=quarter, output=output, format=format, title=title,
            date=date, area=area, area_name=area_name, year=year, baseline=baseline, level=level, harm=harm,
            priorities=priorities, w_volume=w_volume, w_harm=w_harm, w_cost=w_cost, weights_file=weights_file,
            price_year=price_year, price_index=price_index, uprate=uprate, price_source=price_source,
            top_n=top_n, fy_start=fy_start,
        )  # fmt: skip
    if output is not None:
        report_format(Path(output), format)  # an unknown format fails before the work
    extract = _extract(data)
    ropts, pset = _rank_options(
        area, area_name, year, baseline, level, harm, priorities, w_volume, w_harm, w_cost,
        weights_file, price_year, price_index, uprate, price_source, top_n, sensitivity, fy_start, extract,
    )  # fmt: skip
    result = ReportResult(build_report(extract, ReportOptions(rank=ropts, date=date, title=title), pset))
    if output is not None:
        result.write(output, format)
    return result


def theme_pack(
    data: Data,
    *,
    theme: str | None = None,
    rotation: PathLike | None = None,
    quarter: str | None = None,
    output: PathLike | None = None,
    format: str | None = None,
    title: str | None = None,
    date: str | None = None,
    area: AreaArg = None,
    area_name: str | None = None,
    year: str | None = None,
    baseline: str | None = None,
    level: str | Level = Level.minor,
    harm: str | HarmIndex = HarmIndex.cchi,
    priorities: PrioritySet | PathLike | None = None,
    w_volume: float = 1.0,
    w_harm: float = 1.0,
    w_cost: float = 1.0,
    weights_file: PathLike | None = None,
    price_year: str | None = None,
    price_index: PathLike | None = None,
    uprate: float | None = None,
    price_source: str | None = None,
    top_n: int | None = None,
    fy_start: int = 4,
) -> ThemeResult:
    """A deep dive on one theme: a priority, or a named group of priorities (``reference/themes.toml``,
    or the plan's ``[[theme]]``s). Its headline and judgments are ``rank``'s, its series, sub-categories
    and places ``trend --priority``'s, its quarterly view ``quarterly``'s, for the same options.

    ``rotation`` (a plan file) with ``quarter`` (e.g. ``"2023/24-Q2"``) picks the theme and lead that the
    plan's ``[[rotation]]`` names for that quarter; ``theme`` then must not be given.
    """
    from csp_assess.reference.themes import resolve_theme
    from csp_assess.report import report_format
    from csp_assess.report.theme import build_theme
    from csp_assess.rotation import read_rotation

    if output is not None:
        report_format(Path(output), format)
    groups = []
    lead = rotation_quarter = None
    if rotation is not None or quarter is not None:
        if rotation is None or quarter is None:
            raise SelectionError("{rotation} and {quarter} go together", params=["rotation", "quarter"])
        if theme is not None:
            raise SelectionError(
                "give {theme} or {rotation} with {quarter}, not both", params=["theme", "rotation", "quarter"]
            )
        plan = read_rotation(rotation, fy_start)
        entry = plan.entry(quarter, fy_start)
        theme, lead, rotation_quarter, groups = entry.theme, entry.lead, entry.quarter, plan.groups
    if theme is None:
        raise SelectionError("a theme pack needs {theme}, or {rotation} with {quarter}", params=["theme"])
    extract = _extract(data)
    ropts, pset = _rank_options(
        area, area_name, year, baseline, level, harm, priorities, w_volume, w_harm, w_cost,
        weights_file, price_year, price_index, uprate, price_source, top_n, False, fy_start, extract,
    )  # fmt: skip
    resolved = resolve_theme(theme, pset, groups)
    result = ThemeResult(
        build_theme(
            extract,
            ropts,
            pset,
            resolved,
            lead=lead,
            rotation_quarter=rotation_quarter,
            date=date,
            title=title,
        )
    )
    if output is not None:
        result.write(output, format)
    return result
