"""The plan cycle: progress against a plan file with RAG statuses by the stated rule, and the decision log.

The RAG statuses on data/sample_offences.csv are checked by hand: counts summed from the CSV's month
columns here, the test of each change done here with scipy's exact binomial test (conditional on the
total, which is the exact Poisson comparison of two equal periods), Holm's adjustment written out, and
the stated rule applied in the test.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from scipy.stats import binomtest
from tests.conftest import SAMPLE

PLAN = """\
# The board's plan, with a table this reader does not know (board papers read it).
[plan]
name = "Community Safety Plan 2020-23"
start_year = "2019/20"

[[priority]]
name = "Robbery of Personal Property"
target = -10
reason = "ranked in the top 5"

[[priority]]
name = "Non-Domestic Abuse Violence With Injury"
target = -5

[[priority]]
name = "Violence Against Women and Girls"
target = 0
target_year = "2020/21"

[[priority]]
name = "Knife Crime"
target = -5

[[priority]]
name = "Gun Crime"

[[priority]]
name = "Anti-Social Behaviour"

[[rotation]]
quarter = "Q1"
theme = "knife crime"
lead = "police"
"""

PREVIOUS = """\
[plan]
start_year = "2018/19"

[[priority]]
name = "Knife Crime"
target = -10

[[priority]]
name = "Arson"
reason = "deliberate fires in 2018"

[[priority]]
name = "Gun Crime"
"""

MEASURES = {  # the packaged MOPAC set's met-old measures: (major, minor) pairs, None = every minor
    "Robbery of Personal Property": [(None, "Robbery of Personal Property")],
    "Non-Domestic Abuse Violence With Injury": [(None, "Violence with Injury")],
    "Violence Against Women and Girls": [("Sexual Offences", None)],
    "Knife Crime": [(None, "Possession of Article with Blade or Point"), (None, "Other Knife Offences")],
    "Gun Crime": [
        (None, "Possession of Firearms Offences"),
        (None, "Possession of Firearm with Intent"),
        (None, "Other Firearm Offences"),
    ],
}


def _months(first: str, n: int) -> list[str]:
    y, m = int(first[:4]), int(first[4:])
    out = []
    for _ in range(n):
        out.append(f"{y}{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def _count(name: str, months: list[str]) -> int:
    total = 0
    with SAMPLE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for major, minor in MEASURES[name]:
                if (major is None or row["MajorText"] == major) and (
                    minor is None or row["MinorText"] == minor
                ):
                    total += sum(int(row[m]) for m in months)
    return total


def _holm(p: dict[str, float]) -> dict[str, float]:
    order = sorted(p, key=lambda k: p[k])
    out, running = {}, 0.0
    for i, k in enumerate(order):
        running = max(running, min(1.0, (len(order) - i) * p[k]))
        out[k] = running
    return out


@pytest.fixture
def plan_files(tmp_path: Path) -> tuple[Path, Path]:
    plan, previous = tmp_path / "plan.toml", tmp_path / "previous.toml"
    plan.write_text(PLAN, encoding="utf-8")
    previous.write_text(PREVIOUS, encoding="utf-8")
    return plan, previous


def test_rag_statuses_follow_the_stated_rule(plan_files: tuple[Path, Path], cli) -> None:  # type: ignore[no-untyped-def]
    plan, previous = plan_files
    run = cli("quarterly", SAMPLE, "--plan", plan, "--previous-plan", previous, "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    rows = {r["priority"]: r for r in doc["plan"]}
    # The data end in Feb 2023: the latest complete quarter is 2022/23 Q3, so the latest 12 months are
    # Jan-Dec 2022; each target's year is the plan's start (2019/20) unless it names another.
    latest = _months("202201", 12)
    years = {name: _months("201904", 12) for name in MEASURES}
    years["Violence Against Women and Girls"] = _months("202004", 12)
    base = {name: _count(name, years[name]) for name in MEASURES}
    now = {name: _count(name, latest) for name in MEASURES}
    p = {name: binomtest(now[name], base[name] + now[name], 0.5).pvalue for name in MEASURES}
    beyond = {name: q < 0.05 and base[name] + now[name] >= 10 for name, q in _holm(p).items()}
    for name in MEASURES:
        assert rows[name]["target_year_count"] == base[name], name
        assert rows[name]["latest_12m_count"] == now[name], name
        assert rows[name]["beyond_usual"] == beyond[name], name
    # The figures the rule is applied to, by hand:
    #   Robbery      1,000 -> 576: fell beyond chance variation, below the target 900  -> green
    #   VWI          2,149 -> 2,068: within chance variation, above the target 2,041.5 -> amber (not met)
    #   VAWG         562 (2020/21) -> 754: rose beyond chance variation, aim reduce     -> red
    #   Knife        61 -> 57: at or below the target 57.95, but within chance variation -> amber (met on count)
    #   Gun          32 -> 36: no numeric target, within chance variation               -> amber
    #   ASB          the Met files hold no ASB                                          -> not measurable
    assert (base["Robbery of Personal Property"], now["Robbery of Personal Property"]) == (1000, 576)
    assert (base["Violence Against Women and Girls"], now["Violence Against Women and Girls"]) == (562, 754)
    assert beyond == {
        "Robbery of Personal Property": True,
        "Non-Domestic Abuse Violence With Injury": False,
        "Violence Against Women and Girls": True,
        "Knife Crime": False,
        "Gun Crime": False,
    }
    assert now["Knife Crime"] <= base["Knife Crime"] * 0.95
    assert (
        now["Non-Domestic Abuse Violence With Injury"]
        > base["Non-Domestic Abuse Violence With Injury"] * 0.95
    )
    assert {name: r["rag"] for name, r in rows.items()} == {
        "Robbery of Personal Property": "green",
        "Non-Domestic Abuse Violence With Injury": "amber",
        "Violence Against Women and Girls": "red",
        "Knife Crime": "amber",
        "Gun Crime": "amber",
        "Anti-Social Behaviour": "not measurable",
    }
    assert rows["Robbery of Personal Property"]["target"] == "reduce by 10% on 2019/20"
    assert rows["Robbery of Personal Property"]["target_count"] == 900.0
    assert doc["plan_start"] == "2019/20"
    decisions = {r["priority"]: (r["decision"], r["previous_target"], r["target"]) for r in doc["decisions"]}
    assert decisions == {
        "Robbery of Personal Property": ("added", "", "reduce by 10% on 2019/20"),
        "Non-Domestic Abuse Violence With Injury": ("added", "", "reduce by 5% on 2019/20"),
        "Violence Against Women and Girls": ("added", "", "no increase on 2020/21"),
        "Knife Crime": ("kept, target changed", "reduce by 10% on 2018/19", "reduce by 5% on 2019/20"),
        "Gun Crime": ("kept", "reduce (no numeric target)", "reduce (no numeric target)"),
        "Anti-Social Behaviour": ("added", "", "reduce (no numeric target)"),
        "Arson": ("dropped", "reduce (no numeric target)", ""),
    }
    table = cli("quarterly", SAMPLE, "--plan", plan)
    assert "RAG: red = moved against the plan's aim beyond chance variation" in table.out.replace("\n", " ")


def _line(text: str, starts: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), start=1) if ln.startswith(starts))


@pytest.mark.parametrize(
    ("change", "message", "line_of"),
    [
        (
            ("target = -10\n", "target = -110\n"),
            "priority 'Robbery of Personal Property': key 'target' must be a % change above -100",
            "target = -110",
        ),
        (("target = -5\n", "targt = -5\n"), "[[priority]]: unknown key 'targt'", "targt"),
        (
            ('start_year = "2019/20"', 'start_year = "2019/21"'),
            "[plan]: key 'start_year': year '2019/21' does not run over two consecutive years",
            "start_year",
        ),
        (
            ('name = "Gun Crime"', 'name = "Gun Crme"'),
            "priority 'Gun Crme': key 'name' is not a priority of packaged MOPAC priorities",
            'name = "Gun Crme"',
        ),
        (
            ("target = 0\n", 'target = 5\naim = "reduce"\n'),
            "priority 'Violence Against Women and Girls': key 'target' (+5%) goes against aim = \"reduce\"",
            "target = 5",
        ),
    ],
)
def test_a_malformed_plan_is_one_line_naming_file_line_and_key(
    tmp_path: Path,
    cli,  # type: ignore[no-untyped-def]
    change: tuple[str, str],
    message: str,
    line_of: str,
) -> None:
    text = PLAN.replace(*change, 1)
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    run = cli("quarterly", SAMPLE, "--plan", path)
    assert run.code == 1
    assert run.err.count("\n") == 1
    assert run.err.startswith("Error: " + message)
    assert run.err.rstrip().endswith(f"({path}:{_line(text, line_of)})")


def test_previous_plan_needs_a_plan_and_plan_start_must_agree(plan_files: tuple[Path, Path], cli) -> None:  # type: ignore[no-untyped-def]
    plan, previous = plan_files
    run = cli("quarterly", SAMPLE, "--previous-plan", previous)
    assert run.err.strip() == "Error: --previous-plan needs --plan"
    run = cli("quarterly", SAMPLE, "--plan", plan, "--plan-start", "2020/21")
    assert run.code == 1
    assert "--plan-start 2020/21 differs from the plan's start_year 2019/20" in run.err


def test_plan_template_sets_the_priority_set(tmp_path: Path) -> None:
    import csp_assess as ca

    path = tmp_path / "plan.toml"
    path.write_text(
        '[plan]\nstart_year = "2020/21"\ntemplate = "police-crime-plan"\n\n'
        '[[priority]]\nname = "Neighbourhood Crime"\ntarget = -5\n',
        encoding="utf-8",
    )
    r = ca.quarterly(SAMPLE, plan=path)
    assert r.meta["priorities_source"] == "packaged template police-crime-plan"
    row = r.table("plan").iloc[0]
    assert row["priority"] == "Neighbourhood Crime" and row["rag"] in ("green", "amber", "red")


def test_a_target_year_before_the_data_is_no_data(tmp_path: Path) -> None:
    import csp_assess as ca

    path = tmp_path / "plan.toml"
    path.write_text(
        '[plan]\nstart_year = "2019/20"\n\n[[priority]]\nname = "Knife Crime"\ntarget = -5\n'
        'target_year = "2009/10"\n',
        encoding="utf-8",
    )
    row = ca.quarterly(SAMPLE, plan=path).table("plan").iloc[0]  # the sample starts in April 2010
    assert (row["rag"], row["reason"]) == ("no data", "2009/10 is not fully in the data")
