"""Every command writes a real workbook for ``-o x.xlsx`` (one sheet per table, the JSON's rows), and an
extension it cannot write is refused instead of getting a terminal table under that name."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from tests.conftest import SAMPLE


def test_rank_xlsx_holds_the_json_rows(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "rank.xlsx"
    run = cli("rank", SAMPLE, "--year", "2021/22", "-o", out)
    assert run.code == 0, run.err
    assert f"Wrote {out} (xlsx)" in run.err
    doc = json.loads(cli("rank", SAMPLE, "--year", "2021/22", "-f", "json").out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["rank", "priorities"]
    ws = wb["rank"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert len(rows) == len(doc["rows"])
    for got, want in zip(rows, doc["rows"], strict=True):
        assert (got["category"], got["count"], got["rank"]) == (want["category"], want["count"], want["rank"])
        assert got["score"] == want["score"]
    assert sum(r["count"] for r in rows) == 20516  # the year's total, summed from the workbook
    again = tmp_path / "again.xlsx"
    cli("rank", SAMPLE, "--year", "2021/22", "-o", again)
    assert again.read_bytes() == out.read_bytes()  # byte-identical


def test_summary_and_compare_write_workbooks(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for command, extra in (("summary", ["--year", "2021/22"]), ("compare", ["--from", "2020/21"])):
        out = tmp_path / f"{command}.xlsx"
        run = cli(command, SAMPLE, *extra, "-o", out)
        assert run.code == 0, run.err
        assert openpyxl.load_workbook(out).sheetnames[0] == command


def test_an_extension_it_cannot_write_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "rank.docx"
    run = cli("rank", SAMPLE, "-o", out)
    assert run.code == 2 and "cannot tell the format from 'rank.docx'" in run.err
    assert not out.exists()
