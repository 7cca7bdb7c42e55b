"""Warnings from many monthly files are summed into one line, never lost."""

from __future__ import annotations

from csp_assess.load.combine import collapse_warnings


def test_collapse_sums_the_same_warning_across_files() -> None:
    ws = [
        f"d/2021-0{i}-x-street.csv: {n} rows with no location counted"
        for i, n in zip(range(1, 6), [3, 4, 5, 6, 7], strict=True)
    ]
    ws.append("other warning")
    assert collapse_warnings(ws) == ["5 files: 25 rows with no location counted (in total)", "other warning"]


def test_few_warnings_are_kept_as_they_are() -> None:
    ws = ["a.csv: 3 rows repeat", "b.csv: 4 rows repeat"]
    assert collapse_warnings(ws) == ws
