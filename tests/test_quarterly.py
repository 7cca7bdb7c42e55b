"""quarterly: each priority's latest complete financial quarter against a year earlier and the plan start."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from csp_assess.analysis.quarterly import latest_complete_quarter, quarter_months
from csp_assess.periods import FinancialYear
from independent import met_wide_monthly

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_offences.csv"
AREA = "Barking and Dagenham"


def test_financial_quarters() -> None:
    fy = FinancialYear(2021)
    assert [str(m) for m in quarter_months(fy, 1)] == ["2021-04", "2021-05", "2021-06"]
    assert [str(m) for m in quarter_months(fy, 4)] == ["2022-01", "2022-02", "2022-03"]
    covered = list(pd.period_range("2021-04", "2023-02", freq="M"))
    assert latest_complete_quarter(covered, 4) == (FinancialYear(2022), 3)


def test_sample_quarter_against_oracle(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("quarterly", SAMPLE, "--plan-start", "2019/20", "--format", "json")
    assert run.code == 0, run.err
    obj = json.loads(run.out)
    assert obj["quarter"].startswith("2022/23 Q3")
    assert obj["plan_start"] == "2019/20"
    monthly = met_wide_monthly([SAMPLE], AREA)

    def sexual(lo: str, hi: str) -> int:
        return sum(c for (m, mj, _), c in monthly.items() if lo <= m <= hi and mj == "Sexual Offences")

    rows = {r["priority"]: r for r in obj["rows"]}
    vawg = rows["Violence Against Women and Girls"]
    assert vawg["count"] == sexual("202210", "202212")
    assert vawg["year_ago_count"] == sexual("202110", "202112")
    assert vawg["plan_start_count"] == sexual("201910", "201912")
    assert vawg["direction"] in ("rising", "falling", "within usual range")
    assert vawg["proxy"] is True
    assert rows["Adult and Juvenile Reoffending"]["direction"] == "not measurable"
    # VAWG's proxy and Sexual Offences are the same categories: one test, one member of the Holm family.
    so = rows["Sexual Offences"]
    assert (so["p_value"], so["p_adjusted"]) == (vawg["p_value"], vawg["p_adjusted"])
    assert "same categories as Violence Against Women and Girls: tested once" in so["note"]
    distinct = [r for r in obj["rows"] if r["p_value"] is not None and r["priority"] != "Sexual Offences"]
    assert len(distinct) == 7
    ps = [r["p_value"] for r in distinct]
    order = sorted(range(7), key=lambda i: ps[i])
    running = 0.0
    for k, i in enumerate(order):  # Holm by its definition over the 7 distinct measures
        running = max(running, min(1.0, (7 - k) * ps[i]))
        assert distinct[i]["p_adjusted"] == pytest.approx(running, rel=1e-9)
    for r in obj["rows"]:
        if r["direction"] in ("rising", "falling"):
            assert r["significant"] is True and r["p_adjusted"] < 0.05
        if (
            r["count"] is not None
            and r["year_ago_count"] is not None
            and r["count"] + r["year_ago_count"] < 10
        ):
            assert r["direction"] in ("within usual range", "not measurable")


def test_without_plan_start_and_errors(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("quarterly", SAMPLE, "--format", "json")
    assert run.code == 0
    obj = json.loads(run.out)
    assert obj["plan_start"] is None
    # JSON keeps the plan keys (a stable schema), empty: no plan, no plan figures and no "unknown".
    plan_keys = ("plan_start_count", "plan_change_pct", "plan_direction", "plan_start_quarter")
    assert all(all(k in r and r[k] is None for k in plan_keys) for r in obj["rows"])
    assert cli("quarterly", SAMPLE, "--plan-start", "2030/31").code == 1
    assert cli("quarterly", SAMPLE, "--plan-start", "2005/06", "--format", "json").code == 0


def _vawg(monthly: dict[tuple[str, str, str], int], lo: str, hi: str) -> int:
    """Sexual offences (the MOPAC VAWG proxy on Met data) between two months, from the oracle."""
    return sum(c for (m, mj, _), c in monthly.items() if lo <= m <= hi and mj == "Sexual Offences")


def test_no_plan_means_no_plan_columns_in_any_format(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """#19: without --plan or --plan-start the plan columns are left out of the screen, CSV, Markdown and
    workbook (they were filled with 'unknown'); with a plan start they are there, holding its figures."""
    import csv
    import io

    from openpyxl import load_workbook

    monthly = met_wide_monthly([SAMPLE], AREA)
    screen = cli("quarterly", SAMPLE).out
    header = next(line for line in screen.splitlines() if line.startswith("┃"))
    assert "Priority" in header and "plan" not in header.lower()
    assert "unknown" not in screen and "plan start" not in screen and "Columns left out" not in screen
    rows = list(csv.DictReader(io.StringIO(cli("quarterly", SAMPLE, "--format", "csv").out.lstrip("\ufeff"))))
    assert not any(k.startswith("plan_") for k in rows[0])
    vawg = next(r for r in rows if r["priority"] == "Violence Against Women and Girls")
    assert int(vawg["count"]) == _vawg(monthly, "202210", "202212")  # Q3 2022/23, by hand from the file
    md = cli("quarterly", SAMPLE, "--format", "markdown").out
    assert "plan_" not in md and "| unknown |" not in md
    book = tmp_path / "q.xlsx"
    assert cli("quarterly", SAMPLE, "-o", book).code == 0
    heads = [c.value for c in next(load_workbook(book).worksheets[0].iter_rows(max_row=1))]
    assert "priority" in heads and not any(str(h).startswith("plan_") for h in heads)

    with_plan = list(
        csv.DictReader(
            io.StringIO(
                cli("quarterly", SAMPLE, "--plan-start", "2019/20", "--format", "csv").out.lstrip("\ufeff")
            )
        )
    )
    vawg = next(r for r in with_plan if r["priority"] == "Violence Against Women and Girls")
    start = _vawg(monthly, "201910", "201912")
    assert int(vawg["plan_start_count"]) == start
    now = _vawg(monthly, "202210", "202212")
    assert float(vawg["plan_change_pct"]) == round((now - start) / start * 100, 1)
    planned = cli("quarterly", SAMPLE, "--plan-start", "2019/20").out
    assert "Plan start" in planned
