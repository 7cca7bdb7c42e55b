"""Numbers from options and weight files that overflowed every cost to inf (shown '£infm', written as
Infinity, which is not JSON) are refused with the option or file line; sane values still work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import SAMPLE, Run

BASE = ["rank", SAMPLE, "--format", "json"]


def one_error(res: Run) -> str:
    assert res.code == 1, res.err
    (line,) = res.err.strip().splitlines()
    return line


def test_uprate_far_from_one_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    assert one_error(cli(*BASE, "--price-year", "2021/22", "--uprate", "1e308")) == (
        "Error: --uprate is 1e+308, outside 0.01-100: a price uprating factor is near 1 (prices move by tens "
        "of percent over years, not 100-fold); check it"
    )
    res: Run = cli(*BASE, "--price-year", "2021/22", "--uprate", "1.3")
    assert res.code == 0 and "Infinity" not in res.out
    costs = [r["cost_gbp"] for r in json.loads(res.out)["rows"] if r["cost_gbp"] is not None]
    assert costs and all(0 < c < 1e12 for c in costs)


def test_price_index_giving_an_absurd_factor_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index = tmp_path / "deflators.csv"
    index.write_text("year,index\n2015/16,1e-300\n2021/22,1e300\n", encoding="utf-8")
    assert one_error(cli(*BASE, "--price-year", "2021/22", "--price-index", index)) == (
        "Error: the price index's factor from 2015/16 is inf, outside 0.01-100: a price uprating factor is near "
        f"1 (prices move by tens of percent over years, not 100-fold); check it ({index})"
    )


@pytest.mark.parametrize(
    ("column", "why"),
    [
        ("harm_weight", "at most 1,000,000; homicide's CCHI weight is 5,475 days"),
        ("unit_cost_gbp", "at most 1,000,000,000; homicide's unit cost is £3,217,740"),
    ],
)
def test_weight_override_beyond_any_offence_is_refused(cli, tmp_path: Path, column: str, why: str) -> None:  # type: ignore[no-untyped-def]
    weights = tmp_path / "weights.csv"
    weights.write_text(f"minor,{column}\nArson,1e308\n", encoding="utf-8")
    assert one_error(cli(*BASE, "--weights", weights)) == (
        f"Error: {column} '1e308' is more than any offence's could be ({why}) ({weights}:2)"
    )
