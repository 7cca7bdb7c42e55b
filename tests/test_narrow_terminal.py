"""Narrow terminals (issue #19): at 80, 100 and 160 columns every number ``rank`` prints is the JSON's
value for that cell, never cut, and every category name is shown whole; columns that do not fit are
left out whole, and a note names them."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console
from tests.conftest import SAMPLE

from csp_assess.render.table import fit_columns

# header -> JSON key and how many decimals the terminal shows (None: a money amount, £1.2m or £830k)
COLUMNS = {
    "#": ("rank", 0),
    "Count": ("count", 0),
    "Prev": ("previous_count", 0),
    "Change": ("change", 0),
    "Change %": ("change_pct", 1),
    "Baseline": ("baseline_count", 0),
    "Vs base %": ("baseline_change_pct", 1),
    "Harm": ("harm", 0),
    "Cost": ("cost_gbp", None),
    "Score": ("score", 1),
}


def _number(cell: str) -> tuple[float, float]:
    """(value, half of the last shown digit's unit) of a printed number, read independently of the code."""
    text = cell.replace(",", "").replace("£", "").replace("%", "").replace("+", "")
    scale = {"m": 1e6, "k": 1e3}.get(text[-1], 1.0)
    text = text.rstrip("mk")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text) * scale, 0.5 * 10**-decimals * scale


def _parse(out: str, anchor: str = "#") -> tuple[list[str], list[list[str]]]:
    """The first table's headers and rows; a folded row's continuation lines (empty in the ``anchor``
    column, a number every row has) are joined to it."""
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("┃"))
    headers = [h.strip() for h in lines[head].strip("┃").split("┃")]
    rows: list[list[str]] = []
    for line in lines[head + 2 :]:
        if not line.startswith("│"):
            break
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[headers.index(anchor)]:
            rows.append(cells)
        else:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return headers, rows


@pytest.mark.parametrize("width", [80, 100, 160])
def test_rank_numbers_and_names_survive_any_width(cli, monkeypatch: pytest.MonkeyPatch, width: int) -> None:  # type: ignore[no-untyped-def]
    expected = json.loads(cli("rank", SAMPLE, "--format", "json").out)["rows"]
    monkeypatch.setenv("COLUMNS", str(width))
    out = cli("rank", SAMPLE).out
    assert all(len(line) <= width for line in out.splitlines())
    headers, rows = _parse(out)
    assert {"#", "Category", "Count", "Score"} <= set(headers)
    assert len(rows) == len(expected)
    checked = 0
    for row, want in zip(rows, expected, strict=True):
        got = dict(zip(headers, row, strict=True))
        assert got["Category"] == want["category"]  # whole, only folded between words
        for header, cell in got.items():
            if header not in COLUMNS:
                continue
            key, _ = COLUMNS[header]
            if want[key] is None:
                assert cell == "-"
                continue
            value, tolerance = _number(cell)
            assert abs(value - want[key]) <= tolerance + 1e-9, (header, cell, want[key])
            checked += 1
    assert checked >= len(expected) * 5
    left_out = [h for h, (k, _) in COLUMNS.items() if h not in headers and k in expected[0]]
    if left_out:
        note = next(line for line in out.splitlines() if line.startswith("Columns left out"))
        assert str(width) in note and "--format csv/json" in out
        for h in left_out:
            assert h in out.split("Columns left out", 1)[1]
    else:
        assert "Columns left out" not in out
    if width >= 160:
        assert "Major" in headers and not left_out


def test_too_narrow_for_any_fit_is_stacked() -> None:
    cells = {"category": ["Violence with Injury"], "count": ["2,101"], "score": ["23.8"]}
    shown, left_out = fit_columns(list(cells), cells, 30)
    assert shown is None and left_out == []
    shown, left_out = fit_columns(list(cells), cells, 80)
    assert shown == ["category", "count", "score"] and left_out == []


def test_stacked_rows_show_every_value() -> None:
    from csp_assess.render.table import _stacked

    console = Console(width=30, record=True, no_color=True)
    cells = {"category": ["Violence with Injury", "Rape"], "count": ["2,101", "267"]}
    _stacked(None, list(cells), cells, console)
    text = console.export_text()
    assert re.search(r"Count: 2,101", text) and "Count: 267" in text and "Category: Rape" in text


COMPARE = {
    "From": ("from_count", 0),
    "To": ("to_count", 0),
    "Change": ("change", 0),
    "Change %": ("change_pct", 1),
    "Z": ("z", 1),
    "P value": ("p_value", 3),
    "P adjusted": ("p_adjusted", 3),
}


@pytest.mark.parametrize("width", [80, 100, 160])
def test_compare_numbers_survive_any_width(cli, monkeypatch: pytest.MonkeyPatch, width: int) -> None:  # type: ignore[no-untyped-def]
    expected = json.loads(cli("compare", SAMPLE, "--format", "json").out)["rows"]
    monkeypatch.setenv("COLUMNS", str(width))
    out = cli("compare", SAMPLE).out
    assert all(len(line) <= width for line in out.splitlines())
    headers, rows = _parse(out, "From")
    assert {"Category", "From", "To", "Significant"} <= set(headers)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        got = dict(zip(headers, row, strict=True))
        assert got["Category"] == want["category"]
        assert got["Significant"] == ("yes" if want["significant"] else "no")
        for header, (key, _) in COMPARE.items():
            if header in got and want[key] is not None:
                value, tolerance = _number(got[header])
                assert abs(value - want[key]) <= tolerance + 1e-9, (header, got[header], want[key])


@pytest.mark.parametrize("width", [80, 100])
def test_folded_tables_never_overrun_the_terminal(cli, monkeypatch: pytest.MonkeyPatch, width: int) -> None:  # type: ignore[no-untyped-def]
    """Folded text columns are narrowed by the renderer to fit: every table line is whole (both borders)
    and no wider than the terminal (rich's own shrinking overran 80 columns for quarterly --plan-start)."""
    monkeypatch.setenv("COLUMNS", str(width))
    for args in (("quarterly", SAMPLE, "--plan-start", "2019/20"), ("rank", SAMPLE), ("summary", SAMPLE)):
        out = cli(*args).out
        table = [line for line in out.splitlines() if line[:1] in "┏┃┡│├└"]
        assert table, args
        assert all(len(line) <= width and line[-1] in "┓┃┩│┤┘" for line in table), args


def _table_after(out: str, title: str, anchor: str) -> tuple[list[str], list[list[str]]]:
    """The headers and rows of the table under the line starting with ``title``."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    return _parse("\n".join(lines[start:]), anchor)


# The matrix's screen headings -> JSON keys; every one is a 1-5 score or a mean of them.
MATRIX = {
    "Order": "order",
    "Volume": "volume",
    "Harm": "harm",
    "Cost": "cost",
    "Trend": "trend",
    "Rate": "rate",
    "Concern": "public_concern",
    "Vuln": "vulnerability",
    "Capacity": "capacity",
    "Risk": "reputational_risk",
    "Total": "total",
    "Likelihood": "likelihood",
    "Impact": "impact",
}
# Worked by hand in tests/test_matrix.py (workshop_file): harm share scores; likelihood = mean of volume,
# trend and rate scored; impact = mean of harm, cost, public concern and vulnerability scored.
MATRIX_BY_HAND = {
    "Burglary at home": {"harm": 5, "likelihood": (4 + 5) / 2, "impact": (5 + 5 + 1 + 2) / 4},
    "Violence with Injury": {"harm": 5, "likelihood": (2 + 3) / 2, "impact": (5 + 5 + 5 + 5) / 4},
    "Other Theft": {"harm": 4, "likelihood": (5 + 1) / 2, "impact": (4 + 5 + 1) / 3},
}


@pytest.mark.parametrize("width", [80, 100, 160])
def test_matrix_keeps_its_harm_score_on_a_narrow_terminal(
    cli, tmp_path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:  # type: ignore[no-untyped-def]
    """The matrix sheds overrides, kind and the scores its means summarise before the harm score, the
    likelihood and the impact (the ranking's own drop order, where harm goes early, is not used)."""
    from tests.test_matrix import DATA, PSET, workshop_file

    scoring = workshop_file(tmp_path)
    args = ("rank", DATA, "--priorities", PSET, "--scoring", scoring)
    expected = json.loads(cli(*args, "--format", "json").out)["matrix"]
    monkeypatch.setenv("COLUMNS", str(width))
    out = cli(*args).out
    assert all(len(line) <= width for line in out.splitlines())
    headers, rows = _table_after(out, "Prioritisation matrix", "Order")
    assert {"Order", "Issue", "Total", "Likelihood", "Impact", "Harm"} <= set(headers), headers
    assert len(rows) == len(expected) == 3
    for row, want in zip(rows, expected, strict=True):
        got = dict(zip(headers, row, strict=True))
        assert got["Issue"] == want["issue"]
        for header, cell in got.items():
            if header not in MATRIX:
                continue
            key = MATRIX[header]
            if want[key] is None:
                assert cell == "-", (header, cell)
                continue
            value, tolerance = _number(cell)
            assert abs(value - want[key]) <= tolerance + 1e-9, (header, cell, want[key])
        hand = MATRIX_BY_HAND[want["issue"]]
        assert int(got["Harm"]) == hand["harm"]
        assert float(got["Likelihood"]) == pytest.approx(hand["likelihood"], abs=0.005)
        assert float(got["Impact"]) == pytest.approx(hand["impact"], abs=0.005)
    left_out = [h for h in MATRIX if h not in headers]
    if width == 80:
        assert left_out and "Columns left out to fit 80 characters" in out
    if width >= 160:
        assert set(MATRIX) <= set(headers) and "Kind" in headers


def test_a_table_without_its_own_drop_order_sheds_the_usual_columns_first() -> None:
    cells = {
        "category": ["Burglary"],
        "count": ["1,000"],
        "harm": ["123,456"],
        "cost_gbp": ["£1.2m"],
        "change_pct": ["+5.0%"],
    }
    # Usual order: harm before cost and change %; the table's own order: change % first, then cost.
    assert fit_columns(list(cells), cells, 36) == (["category", "count", "change_pct"], ["harm", "cost_gbp"])
    shown, left_out = fit_columns(list(cells), cells, 36, ["change_pct", "cost_gbp"])
    assert shown == ["category", "count", "harm"] and left_out == ["cost_gbp", "change_pct"]
