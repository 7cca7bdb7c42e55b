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


AREA = "Barking and Dagenham"


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (
            "-5",
            "--population '-5' is not a whole number of residents above 0 (or an area,population CSV file)",
        ),
        (
            "1e308",
            "--population '1e308' is not a whole number of residents above 0 (or an area,population CSV file)",
        ),
        ("2000000000", "--population 2000000000 is more than any area's (at most 1,000,000,000)"),
    ],
)
def test_population_number_out_of_range(cli, spec: str, error: str) -> None:  # type: ignore[no-untyped-def]
    """'-5' and '1e308' were 'population file not found'."""
    assert one_error(cli("summary", SAMPLE, "--population", spec)) == f"Error: {error}"


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        # inf was an internal error (OverflowError); 1e308 gave every rate as 0.0
        (
            f"{AREA},inf\n",
            "population 'inf' is not a whole number of residents above 0 (at most 1,000,000,000)",
        ),
        (
            f"{AREA},1e308\n",
            "population '1e308' is not a whole number of residents above 0 (at most 1,000,000,000)",
        ),
        (
            f"{AREA},1.5\n",
            "population '1.5' is not a whole number of residents above 0 (at most 1,000,000,000)",
        ),
        # the second row silently won
        (
            f"{AREA},100\n{AREA},200000\n",
            f"area '{AREA}' is given twice (line 2 and this one): keep one row per area",
        ),
    ],
)
def test_population_file_rows_out_of_range(cli, tmp_path: Path, rows: str, error: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "population.csv"
    path.write_text("area,population\n" + rows, encoding="utf-8")
    line = 3 if rows.count("\n") == 2 else 2
    assert one_error(cli("summary", SAMPLE, "--population", path)) == f"Error: {error} ({path}:{line})"


def test_population_as_excel_saves_it_is_read(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "population.csv"
    path.write_text(f'area,population\n{AREA},"218,900.0"\n', encoding="utf-8")
    res: Run = cli("summary", SAMPLE, "--population", path, "--format", "json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["population"] == 218_900
