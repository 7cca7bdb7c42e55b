"""`csp-assess weights`, `--weights FILE` overrides and cost uprating (`--price-year`).

Hand figures: sample 2021/22 Shoplifting count 706, so a harm weight of 5 gives 706 x 5 = 3,530; Arson unit
cost £8,420 (Home Office, 2015/16 prices) x 63 offences = £530,460; uprated x 1.2 (index 120 / 100) the unit
cost is £10,104 and the total £636,552.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from tests.clirun import run

from csp_assess.errors import ConfigError
from csp_assess.reference.prices import fy_label, load_price_index, resolve_uprating

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "data" / "sample_offences.csv")
CONFIG = ROOT / "tests" / "fixtures" / "config"


def ok_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def row(rows: list[dict], category: str, key: str = "category") -> dict:
    hits = [r for r in rows if r[key] == category]
    assert len(hits) == 1
    return hits[0]


RANK = ("rank", SAMPLE, "--year", "2021/22", "--no-cache")


def test_weights_override_changes_rank_harm_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    base = ok_json(capsys, *RANK)
    assert row(base["rows"], "Shoplifting")["harm"] == 706.0  # CCHI 1 day
    data = ok_json(capsys, *RANK, "--weights", str(CONFIG / "shoplifting_harm.csv"))
    shop = row(data["rows"], "Shoplifting")
    assert shop["count"] == 706
    assert shop["harm"] == 3530.0
    assert shop["harm_weight"] == 5.0 and shop["harm_status"] == "user"
    assert "harm weight from shoplifting_harm.csv line 2" in shop["weight_note"]
    # other rows untouched
    assert row(data["rows"], "Arson")["harm"] == row(base["rows"], "Arson")["harm"]
    assert data["weights_file"].endswith("shoplifting_harm.csv")
    assert any("line 3: minor 'No Such Category' matches no category; ignored" in w for w in data["warnings"])


def test_weights_command_lists_sources_and_user_rows(capsys: pytest.CaptureFixture[str]) -> None:
    data = ok_json(
        capsys, "weights", "--scheme", "met-old", "--weights", str(CONFIG / "shoplifting_harm.csv")
    )
    shop = row(data["rows"], "Shoplifting", "minor")
    assert shop["harm_weight"] == 5.0
    assert shop["harm_status"] == "user"
    assert shop["harm_from"] == "ONS Crime Severity Score list (user copy)"
    assert data["warnings"] == [
        "shoplifting_harm.csv line 3: minor 'No Such Category' matches no category; ignored"
    ]


@pytest.mark.parametrize("scheme", ["met-old", "met-new", "met-pre2019", "police-uk"])
@pytest.mark.parametrize("harm", ["cchi", "css", "cost"])
def test_every_packaged_weight_shows_its_source(
    capsys: pytest.CaptureFixture[str], scheme: str, harm: str
) -> None:
    data = ok_json(capsys, "weights", "--scheme", scheme, "--harm", harm)
    assert data["rows"]
    statuses = {
        "confirmed",
        "transcribed",
        "inferred",
        "unverified",
        "unknown",
        "blended",
        "approx-confirmed",
        "not costed",
        "none-published",
        "confirmed-cannabis",
    }
    for r in data["rows"]:
        if r["harm_weight"] is not None:
            assert r["harm_source"], r
            assert r["harm_from"] != "-", r
        if r["unit_cost_gbp"] is not None:
            assert r["cost_source"] and "2015/16 prices" in r["cost_source"], r
        assert r["harm_status"] in statuses | {"not used"}, r
        assert r["cost_status"] in statuses, r


def test_weights_scheme_detected_from_files(capsys: pytest.CaptureFixture[str]) -> None:
    data = ok_json(capsys, "weights", SAMPLE, "--no-cache")
    assert data["scheme"] == "met-old"
    assert data["categories"] == 53
    arson = row(data["rows"], "Arson", "minor")
    assert arson["unit_cost_gbp"] == 8420.0 and arson["cost_status"] == "confirmed"


def test_weights_needs_a_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "weights")
    assert code == 2
    assert "give --scheme or extract FILES" in err


def test_price_index_uprates_costs(capsys: pytest.CaptureFixture[str]) -> None:
    base = ok_json(capsys, *RANK)
    assert row(base["rows"], "Arson")["cost_gbp"] == 530460.0
    args = ("--price-year", "2022/23", "--price-index", str(CONFIG / "price_index.csv"))
    data = ok_json(capsys, *RANK, *args)
    arson = row(data["rows"], "Arson")
    assert arson["unit_cost_gbp"] == pytest.approx(10104.0)
    assert arson["cost_gbp"] == pytest.approx(636552.0)
    assert data["cost_prices"] == "2022/23"
    assert data["cost_uprating"] == "2022/23 prices: 2015/16 costs x 1.2000 (test index, not real figures)"
    # uprating every cost by one factor leaves cost shares, and so scores and ranks, unchanged
    assert [r["category"] for r in data["rows"]] == [r["category"] for r in base["rows"]]


def test_uprate_factor_with_stated_source(capsys: pytest.CaptureFixture[str]) -> None:
    data = ok_json(
        capsys,
        "weights",
        "--scheme",
        "met-old",
        "--price-year",
        "2021-22",
        "--uprate",
        "1.1",
        "--price-source",
        "my board paper",
    )
    arson = row(data["rows"], "Arson", "minor")
    assert arson["unit_cost_gbp"] == pytest.approx(9262.0)
    assert arson["cost_source"].endswith("uprated to 2021/22 prices: 2015/16 costs x 1.1000 (my board paper)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--weights", str(CONFIG / "bad_number.csv")),
            f"Error: harm_weight 'abc' is not a number ({CONFIG / 'bad_number.csv'}:3)",
        ),
        (
            ("--weights", str(CONFIG / "bad_header.csv")),
            f"Error: weights file needs a 'minor' or 'prc_subgroup' column ({CONFIG / 'bad_header.csv'}:1)",
        ),
        (
            ("--price-year", "2022/23", "--price-index", str(CONFIG / "bad_price_index.csv")),
            f"Error: index '-3' for 2022/23 is not a positive number ({CONFIG / 'bad_price_index.csv'}:3)",
        ),
        (
            ("--price-year", "2022/23"),
            "Error: --price-year needs a stated index: --price-index FILE (year,index CSV, e.g. the HM Treasury "
            "GDP deflators) or --uprate FACTOR with --price-source; no index is packaged",
        ),
        (
            ("--price-year", "2030/31", "--price-index", str(CONFIG / "price_index.csv")),
            "Error: price index has no value for 2030/31 (has 2015/16, 2021/22, 2022/23) "
            f"({CONFIG / 'price_index.csv'})",
        ),
    ],
)
def test_malformed_inputs_give_one_line_errors(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    for cmd in (RANK, ("weights", "--scheme", "met-old")):
        code, out, err = run(capsys, *cmd, *args)
        assert code == 1
        assert err == message + "\n"
        assert out == ""


def test_price_helpers() -> None:
    assert fy_label("2022-23") == "2022/23" and fy_label("2022/2023") == "2022/23"
    with pytest.raises(ConfigError):
        fy_label("2022/24")
    values, source = load_price_index(CONFIG / "price_index.csv")
    assert values == {"2015/16": 100.0, "2021/22": 110.0, "2022/23": 120.0}
    assert source == "test index, not real figures"
    up = resolve_uprating("2021/22", CONFIG / "price_index.csv", None, None)
    assert math.isclose(up.factor, 1.1)
    assert resolve_uprating(None, None, None, None).factor == 1.0
    with pytest.raises(ConfigError, match="not both"):
        resolve_uprating("2021/22", CONFIG / "price_index.csv", 1.1, None)
    with pytest.raises(ConfigError, match="need price_year"):
        resolve_uprating(None, None, 1.1, None)
