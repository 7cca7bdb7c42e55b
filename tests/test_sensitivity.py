"""`rank --sensitivity`: how the top N moves between CCHI, CSS and cost harm weighting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csp_assess.analysis.sensitivity import verdict
from csp_assess.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "data" / "sample_offences.csv")
CONFIG = ROOT / "tests" / "fixtures" / "config"


def rank_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    with pytest.raises(SystemExit) as exc:
        main(["rank", SAMPLE, "--year", "2021/22", "--no-cache", "--format", "json", "--sensitivity", *extra])
    out, err = capsys.readouterr()
    assert exc.value.code == 0, err
    return json.loads(out)


def test_sensitivity_table_on_sample(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys)
    sens = {r["category"]: r for r in data["sensitivity"]}
    # rank_cchi is the main (CCHI) ranking
    main_rank = {r["category"]: r["rank"] for r in data["rows"]}
    for cat, r in sens.items():
        assert r["rank_cchi"] == main_rank[cat]
    # every category in the CCHI top 5 is listed
    assert {c for c, k in main_rank.items() if k <= 5} <= set(sens)
    vwi = sens["Violence with Injury"]
    assert (vwi["rank_cchi"], vwi["top_n_under"]) == (1, "CCHI, CSS, cost")
    assert vwi["priority"] == "Non-Domestic Abuse Violence With Injury"
    assert vwi["verdict"] == "top 5 under every weighting: does not depend on the choice of harm weights"
    theft = sens["Other Theft"]
    assert theft["top_n_under"] == "cost"
    assert theft["verdict"] == "top 5 only under cost weighting: depends on that choice"
    assert theft["priority"] == "not in the set"
    rape = sens["Rape"]
    assert rape["priority"] == "Violence Against Women and Girls; Sexual Offences"


def test_cost_ranking_recomputed_by_hand(capsys: pytest.CaptureFixture[str]) -> None:
    """Under cost weighting the harm column is the cost, so score = (volume% + 2 x cost%) / 3 where a cost is
    known, else volume% alone. Re-rank the main table's counts and costs that way and compare."""
    data = rank_json(capsys)
    rows = data["rows"]
    n_total = sum(r["count"] for r in rows)
    c_total = sum(r["cost_gbp"] for r in rows if r["cost_gbp"] is not None)
    scores = {}
    for r in rows:
        v = r["count"] / n_total * 100
        scores[r["category"]] = (
            (v + 2 * r["cost_gbp"] / c_total * 100) / 3 if r["cost_gbp"] is not None else v
        )
    order = sorted(
        scores, key=lambda c: (-round(scores[c], 9), -next(x["count"] for x in rows if x["category"] == c))
    )
    by_hand = {c: i + 1 for i, c in enumerate(order)}
    for r in data["sensitivity"]:
        assert r["rank_cost"] == by_hand[r["category"]], r["category"]


def test_sensitivity_honours_top_n_and_harm_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    data = rank_json(capsys, "--top-n", "3")
    assert all(min(r["rank_cchi"], r["rank_css"], r["rank_cost"]) <= 3 for r in data["sensitivity"])
    # A harm override given for CCHI (the run's --harm) moves the CCHI column only.
    big = rank_json(capsys, "--weights", str(CONFIG / "shoplifting_harm.csv"))
    base = rank_json(capsys)
    assert {r["category"] for r in big["sensitivity"]} == {r["category"] for r in base["sensitivity"]}
    for b, o in zip(base["sensitivity"], big["sensitivity"], strict=True):
        assert (b["rank_css"], b["rank_cost"]) == (o["rank_css"], o["rank_cost"])
    assert row_harm(big, "Shoplifting") == 3530.0 and row_harm(base, "Shoplifting") == 706.0


def row_harm(data: dict, category: str) -> float:
    return next(r["harm"] for r in data["rows"] if r["category"] == category)


def test_sensitivity_notes_in_terminal_output(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rank", SAMPLE, "--year", "2021/22", "--no-cache", "--sensitivity"])
    out, _ = capsys.readouterr()
    assert "Sensitivity: top 5 by composite score under each harm weighting" in out
    assert "Sensitivity: 2 of 8 categories in a top 5 stay there under CCHI, CSS and cost weighting" in out


def test_verdict_words() -> None:
    assert verdict(["cchi", "css", "cost"], 5).startswith("top 5 under every weighting")
    assert verdict(["css"], 10) == "top 10 only under CSS weighting: depends on that choice"
    assert verdict(["cchi", "cost"], 5) == "top 5 under CCHI and cost, not under CSS"
