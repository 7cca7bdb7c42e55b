"""Hostile inputs that once gave silent wrong numbers: loose Met counts, Excel total rows, one stray cp1252
byte, a typo month years ahead. Expected figures are worked out by hand from the small corpus files (or
with the csv module), never taken from a previous run."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.conftest import Run

from csp_assess.errors import InputError
from csp_assess.load import load_extract

CORPUS = Path(__file__).resolve().parent / "corpus"


def test_met_counts_are_parsed_strictly() -> None:
    path = CORPUS / "met_loose_counts.csv"
    extract = load_extract([path], use_cache=False)
    reasons = {r.line: r.reason for r in extract.rejects}
    assert reasons == {
        3: "count '1,2' has a comma: Met files write counts as plain digits",
        4: "count '1,234' has a comma: Met files write counts as plain digits",
        5: "count '1e3' is not a number",
        6: "count '1_000' is not a number",
        7: "count 'NaN' is not a number",
        8: "count 'inf' is not a number",
        9: "count '²' is not a number",
        10: "count '99999999999999999999' in month column 2 is too large to be a count (over 1,000,000,000): "
        "check the cell",
        11: "count '9223372036854775808' in month column 3 is too large to be a count (over 1,000,000,000): "
        "check the cell",
        12: "count '3.0' is not a whole number",
        13: "count '٣' is not a number",
        14: "count '-0' is negative",
        15: "count '9223372036854775807' in month column 3 is too large to be a count (over 1,000,000,000): "
        "check the cell",
    }
    assert all(r.file == str(path) for r in extract.rejects)
    # line 2 is the only clean row: 1 + 2 (" 2 " with spaces) + 3
    assert (extract.rows_read, extract.rows_counted, extract.rows_rejected) == (14, 1, 13)
    assert int(extract.counts["count"].sum()) == 6


def test_met_loose_counts_through_the_cli(cli) -> None:  # type: ignore[no-untyped-def]
    res: Run = cli("validate", CORPUS / "met_loose_counts.csv", "--format", "json")
    assert res.code == 0
    assert "Traceback" not in res.err and "internal error" not in res.err
    assert res.out.count('"line":') == 13


def test_excel_total_rows_are_excluded_with_a_warning() -> None:
    path = CORPUS / "met_total_rows.csv"
    extract = load_extract([path], use_cache=False)
    # by hand: Camden 1+2+3 + 10+20+30 = 66, Islington 4+5+6 = 15; the three total rows add nothing
    assert extract.counts.groupby("area")["count"].sum().to_dict() == {"Camden": 66, "Islington": 15}
    assert [r.line for r in extract.rejects] == [4, 6, 7]
    assert all(r.reason.startswith("a total row (Excel-style)") for r in extract.rejects)
    assert extract.rows_read == 6 == extract.rows_counted + extract.rows_rejected
    assert f"{path}: 3 total row(s) left out (line 4, 6, 7)" in " ".join(extract.warnings)


def test_stray_cp1252_byte_in_a_long_file_is_refused_naming_its_line(cli) -> None:  # type: ignore[no-untyped-def]
    """The record-level reader refuses a long CSV that mixes encodings, naming the first odd line (the issue
    allows refusing or decoding per line; a Met file is decoded per line, below). Never a silent split."""
    path = CORPUS / "stray_cp1252_long.csv"
    raw = path.read_bytes().split(b"\n")
    assert raw[8].decode("cp1252") == "2022-07,Ynys Môn,Theft – Other,1"  # line 9 is the odd one
    with pytest.raises(InputError) as err:
        load_extract([path], use_cache=False)
    assert err.value.line == 9 and "re-save it as UTF-8" in str(err.value)
    run = cli("summary", path)
    assert run.code == 1 and run.err.startswith("Error: file mixes UTF-8 text") and run.err.count("\n") == 1


def test_stray_cp1252_byte_in_a_met_file() -> None:
    path = CORPUS / "stray_cp1252_met.csv"
    extract = load_extract([path], use_cache=False)
    assert extract.areas == ["Ynys Môn"]
    assert int(extract.counts["count"].sum()) == 45  # 1+2+3 + 4+5+6 + 7+8+9
    assert "Other Theft – Café" in set(extract.counts["minor"])
    assert any("(line 3;" in w for w in extract.warnings)


def test_whole_cp1252_file_is_still_cp1252() -> None:
    extract = load_extract([CORPUS / "cp1252_long.csv"], use_cache=False)
    assert extract.sources[0].encoding == "cp1252"
    assert not any("not UTF-8" in w for w in extract.warnings)


def test_byte_neither_utf8_nor_cp1252_names_its_line(cli) -> None:  # type: ignore[no-untyped-def]
    path = CORPUS / "undefined_byte_long.csv"
    res: Run = cli("rank", path)
    assert res.code == 1
    assert res.err.strip().splitlines() == [
        f"Error: byte 0x81 is neither UTF-8 nor cp1252: re-save the file as UTF-8 ({path}:3)"
    ]


def test_typo_month_far_ahead_does_not_become_the_default_year(cli) -> None:  # type: ignore[no-untyped-def]
    import json

    path = CORPUS / "typo_future_month_long.csv"
    res: Run = cli("summary", path, "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert doc["year"] == "2021/22"
    # by hand from the file's rule (Burglary 10+m, Robbery m in month m): Apr 2021-Mar 2022
    months = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    assert doc["total"] == sum(10 + m + m for m in months) == 276
    assert any(
        w.startswith(
            "1 month(s) with rows lie a year or more away from the rest of the data (Jan 2019–Dec 2022): 2032-03"
        )
        for w in doc["warnings"]
    )


def test_typo_month_named_even_when_a_year_is_asked_for(cli) -> None:  # type: ignore[no-untyped-def]
    res: Run = cli("summary", CORPUS / "typo_future_month_long.csv", "--year", "2020/21")
    assert res.code == 0
    assert "2032-03" in res.out


@pytest.mark.parametrize("name", ["met_loose_counts.csv", "met_total_rows.csv", "stray_cp1252_met.csv"])
def test_reconciles(name: str) -> None:
    """Rows read = counted + rejected, against a csv-module count of the data lines."""
    path = CORPUS / name
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        data_lines = sum(1 for row in csv.reader(fh) if row) - 1
    extract = load_extract([path], use_cache=False)
    assert extract.rows_read == data_lines == extract.rows_counted + extract.rows_rejected


@pytest.mark.parametrize(
    ("data", "text", "odd_lines"),
    [
        (b"a\n\xe9b\nc\xc3\xa9\nd\xe9", "a\néb\ncé\ndé", "line 2, 4;"),  # last line unterminated
        (b"\xe9\n\xc3\xa9\r\n\xe9\n", "é\né\r\né\n", "line 1, 3;"),  # first line odd, CRLF kept
        (b"\xef\xbb\xbfx\xc3\xa9\ny\x96z\n", "xé\ny–z\n", "line 2;"),  # after a BOM
    ],
)
def test_decode_names_each_odd_line(data: bytes, text: str, odd_lines: str) -> None:
    from csp_assess.load.textio import decode

    done = decode(data, "f.csv")
    assert done.text == text
    assert done.encoding == "utf-8+cp1252"
    (warning,) = done.warnings
    assert f"({odd_lines}" in warning


@pytest.mark.parametrize(
    ("period", "label", "total"),
    [
        # by hand: Burglary 10+m and Robbery m in month m
        (
            "ytd",
            "2022/23 year to date (Apr 2022–Dec 2022, 9 of 12 months: partial)",
            9 * 10 + 2 * sum(range(4, 13)),
        ),
        ("rolling12", "12 months to Dec 2022 (Jan 2022–Dec 2022, rolling)", 12 * 10 + 2 * sum(range(1, 13))),
    ],
)
def test_typo_month_is_not_the_latest_month(cli, period: str, label: str, total: int) -> None:  # type: ignore[no-untyped-def]
    import json

    res: Run = cli("summary", CORPUS / "typo_future_month_long.csv", "--period", period, "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert (doc["year"], doc["total"]) == (label, total)
    assert any("2032-03" in w for w in doc["warnings"])


def test_typo_month_is_not_the_latest_quarter(cli) -> None:  # type: ignore[no-untyped-def]
    res: Run = cli("quarterly", CORPUS / "typo_future_month_long.csv")
    assert res.code == 0, res.err
    assert res.out.startswith("Camden: priorities, 2022/23 Q3 (Oct 2022–Dec 2022), against a year earlier")
    assert "2032-03" in res.out


def test_met_count_with_thousands_of_digits_is_a_reject(tmp_path: Path) -> None:
    """int() refuses strings over 4,300 digits: the row is rejected by line, not an internal error."""
    path = tmp_path / "long_digits_met.csv"
    path.write_text(
        "MajorText,MinorText,LookUp_BoroughName,202201,202202\n"
        f"Burglary,Burglary In A Dwelling,Camden,1,{'9' * 5000}\n"
        "Robbery,Robbery Of Personal Property,Camden,2,3\n",
        encoding="utf-8",
    )
    extract = load_extract([path], use_cache=False)
    (reject,) = extract.rejects
    assert reject.line == 2 and "in month column 2 is too large to be a count" in reject.reason
    assert int(extract.counts["count"].sum()) == 5
