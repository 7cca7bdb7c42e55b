"""Every heading of every table on screen starts with a capital letter (CSV and JSON keys stay as they
are): no table mixes "order", "kind" or "significant" with "Issue" and "Count"."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from tests.conftest import SAMPLE, SHARED_DATA


def _first_header_lines(out: str) -> list[list[str]]:
    """The first header line of each table: the line after each top border."""
    lines = out.splitlines()
    return [
        [h.strip() for h in lines[i + 1].strip("┃").split("┃")]
        for i, line in enumerate(lines)
        if line.startswith("┏") and i + 1 < len(lines)
    ]


def _commands(tmp_path: Path) -> list[tuple[str | Path, ...]]:
    from tests.test_matrix import DATA, PSET, workshop_file

    leics = (
        SHARED_DATA / "police_uk_leicestershire"
    )  # ../shared beside the repo; places is left out without it
    return [
        ("rank", SAMPLE),
        ("rank", DATA, "--priorities", PSET, "--scoring", workshop_file(tmp_path)),
        ("summary", SAMPLE),
        ("compare", SAMPLE),
        ("quarterly", SAMPLE, "--plan-start", "2019/20"),
        ("priorities", SAMPLE),
    ] + ([("places", leics, "--area", "Charnwood")] if leics.exists() else [])


@pytest.mark.parametrize("width", [80, 160])
def test_no_heading_on_screen_starts_lower_case(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(width))
    for args in _commands(tmp_path):
        run = cli(*args)
        assert run.code == 0, (args[0], run.err)
        tables = _first_header_lines(run.out)
        assert tables, args[0]
        for headers in tables:
            lower = [h for h in headers if h[:1].islower()]
            assert not lower, (args[0], headers)


def test_csv_keys_keep_their_names(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The capitals are for people only: the CSV header is the column names, lower-case as before."""
    from tests.test_matrix import DATA, PSET, workshop_file

    run = cli("rank", DATA, "--priorities", PSET, "--scoring", workshop_file(tmp_path), "--format", "csv")
    header = next(csv.reader(io.StringIO(run.out.lstrip("\ufeff"))))
    assert header[:3] == ["order", "issue", "kind"] and "likelihood" in header
