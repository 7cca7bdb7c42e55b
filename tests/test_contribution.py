"""Contribution to change: each category's share of the net change, in summary (JSON, table) and the report."""

from __future__ import annotations

import json
from pathlib import Path

from csp_assess.analysis.contribution import add_contribution, contribution_shares
from independent import fy_totals_met_wide

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_offences.csv"
AREA = "Barking and Dagenham"


def test_barking_and_dagenham_2021_22_from_the_sample(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("summary", SAMPLE, "--year", "2021/22", "--format", "json")
    assert run.code == 0, run.err
    rows = {r["category"]: r for r in json.loads(run.out)["by_major"]}
    oracle = fy_totals_met_wide([SAMPLE], AREA)

    def total(fy: str, major: str | None = None) -> int:
        return sum(c for (y, m, _), c in oracle.items() if y == fy and (major is None or m == major))

    net = total("2021/22") - total("2020/21")
    assert net == 1_948
    vap = "Violence Against the Person"
    assert total("2021/22", vap) - total("2020/21", vap) == 709
    assert rows[vap]["contribution_pct"] == round(709 / 1_948 * 100, 1) == 36.4
    for cat, row in rows.items():
        exact = (total("2021/22", cat) - total("2020/21", cat)) / net * 100
        assert abs(row["contribution_pct"] - exact) <= 0.1  # rounded to 0.1 by largest remainder
    assert round(sum(r["contribution_pct"] for r in rows.values()), 1) == 100.0


def test_table_and_note_say_how_opposite_moves_read(cli) -> None:  # type: ignore[no-untyped-def]
    run = cli("summary", SAMPLE, "--year", "2021/22")
    assert run.code == 0, run.err
    assert "Share of change %" in run.out
    assert "+36.4%" in run.out
    text = " ".join(run.out.split())
    assert "share of the net change (+1,948); the shares add up to 100%" in text
    assert "a negative share offset the net change" in text


def test_shares_sum_to_exactly_100_and_read_in_opposite_directions() -> None:
    assert contribution_shares([150, -50]) == [150.0, -50.0]
    shares = contribution_shares([1, 1, 1])
    assert shares == [33.4, 33.3, 33.3] and round(sum(shares), 1) == 100.0
    assert contribution_shares([-30, -10]) == [75.0, 25.0]  # a net fall: both drove it
    assert contribution_shares([5, -5]) == [None, None]


def test_no_previous_period_gives_no_share() -> None:
    import pandas as pd

    frame, note = add_contribution(pd.DataFrame({"category": ["A"], "change": [None]}))
    assert note is None and frame["contribution_pct"].isna().all()
