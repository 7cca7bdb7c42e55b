"""Hostile headers in long extracts (CSV, Parquet, .xlsx): each is one ``Error:`` line naming the file and
line 1, never a column silently chosen over another."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import Run

HEADER = ["month", "area", "Major", "MAJOR ", "minor", "count"]
ROW = ["2021-04", "X", "Theft", "Burglary", "Shoplifting", "1"]


def write(tmp_path: Path, suffix: str, header: list[str], rows: list[list[str]]) -> Path:
    path = tmp_path / f"extract{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    elif suffix == ".parquet":
        pq.write_table(pa.table([pa.array(col) for col in zip(*rows, strict=True)], names=header), path)
    else:
        wb = openpyxl.Workbook()
        for r in [header, *rows]:
            wb.active.append(r)
        wb.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_columns_differing_only_in_case_are_refused_not_one_picked(cli, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """'Major' and 'MAJOR ' both match major: the last one was read (Burglary) and the other ignored."""
    path = write(tmp_path, suffix, HEADER, [ROW])
    res: Run = cli("validate", path)
    assert res.code == 1
    second = "MAJOR " if suffix == ".parquet" else "MAJOR"  # CSV and Excel header cells are stripped
    assert res.err.strip().splitlines() == [
        f"Error: columns 'Major' and '{second}' differ only in case or spaces, and columns are matched whatever "
        f"their case: rename one of them ({path}:1)"
    ]


def test_unused_columns_differing_in_case_are_fine(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(
        tmp_path,
        ".csv",
        ["month", "area", "minor", "count", "Notes", "NOTES"],
        [ROW[:2] + ROW[4:] + ["a", "b"]],
    )
    res: Run = cli("validate", path, "--format", "json")
    assert res.code == 0, res.err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_duplicate_at_the_end_of_a_100000_column_header_is_named(cli, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """The duplicate check counted each cell with list.count: a 1M-column header took minutes (see
    bench_hardening.py header); the same answer, in one pass."""
    header = ["month", "area", "minor", "count"] + [f"c{i}" for i in range(100_000)] + ["c7"]
    path = tmp_path / f"wide{suffix}"
    if suffix == ".csv":
        path.write_text(
            ",".join(header) + "\n" + ",".join(["2021-04", "X", "Theft", "1"] + ["0"] * 100_001) + "\n"
        )
    else:
        pq.write_table(pa.table([pa.array(["x"])] * len(header), names=header), path)
    res: Run = cli("validate", path)
    assert res.code == 1
    assert (
        res.err.strip().splitlines()[-1]
        == f"Error: duplicate header column 'c7': remove or rename it ({path}:1)"
    )
