"""csp-assess: the crime and disorder strategic assessment from police offence extracts.

The public API: ``load`` files into an ``Extract``, then call one function per analysis; each returns a
typed result with ``.rows`` (a DataFrame) and ``.to_dict()`` (the command's JSON document)::

    import csp_assess as ca
    ex = ca.load(["data/sample_offences.csv"])
    ca.summary(ex, year="2021/22").total          # 20516
    ca.rank(ex, year="2021/22").rows               # every category, ranked
"""

# The ``load/`` and ``report/`` packages are imported first: importing a subpackage binds its name on
# this package, and ``csp_assess.load`` and ``csp_assess.report`` must stay the API functions below.
import csp_assess.load as _loaders  # noqa: F401
import csp_assess.report as _reports  # noqa: F401
from csp_assess.api import (
    Adjust,
    HarmIndex,
    Level,
    Method,
    PeriodKind,
    Step,
    Variance,
    baseline,
    compare,
    load,
    places,
    priorities,
    quarterly,
    rank,
    report,
    summary,
    templates,
    theme_pack,
    trend,
    validate,
    weights,
    write_scoring,
)
from csp_assess.errors import (
    ConfigError,
    CspAssessError,
    InputError,
    LayoutError,
    PeriodError,
    SelectionError,
)
from csp_assess.model import Extract
from csp_assess.reference.priorities import PrioritySet, load_priorities
from csp_assess.results import (
    AssessmentResult,
    BaselineResult,
    CompareResult,
    PlacesResult,
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

__version__ = "0.1.0"

__all__ = [
    "Adjust",
    "AssessmentResult",
    "BaselineResult",
    "CompareResult",
    "ConfigError",
    "CspAssessError",
    "Extract",
    "HarmIndex",
    "InputError",
    "LayoutError",
    "Level",
    "Method",
    "PeriodError",
    "PeriodKind",
    "PlacesResult",
    "PrioritiesResult",
    "PrioritySet",
    "QuarterlyResult",
    "RankResult",
    "ReportResult",
    "SelectionError",
    "Step",
    "SummaryResult",
    "ThemeResult",
    "TrendResult",
    "ValidateResult",
    "Variance",
    "WeightsResult",
    "__version__",
    "baseline",
    "compare",
    "load",
    "load_priorities",
    "places",
    "priorities",
    "quarterly",
    "rank",
    "report",
    "summary",
    "templates",
    "theme_pack",
    "trend",
    "validate",
    "weights",
    "write_scoring",
]

# Partnership evidence beyond the crime counts (issue 15), kept together so the list above stays as it was.
from csp_assess.api import load_indicators, load_stops, outcomes, stops  # noqa: E402
from csp_assess.results import OutcomesResult, StopsResult  # noqa: E402

__all__ += ["OutcomesResult", "StopsResult", "load_indicators", "load_stops", "outcomes", "stops"]

# Usage errors (exit 2 on the command line): a value the tool cannot read, options given apart that go together.
from csp_assess.errors import OptionError, PeriodFormatError, UsageError  # noqa: E402

__all__ += ["OptionError", "PeriodFormatError", "UsageError"]
