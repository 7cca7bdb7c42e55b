"""Record-level extracts (one row per crime) through the streamed reader: counts per key, flags, wards,
reject rules with line numbers, the count column rules, and one-line errors for broken files.

Expected figures are worked out by hand on tiny files, or by a second method (the ``csv`` module) on the
larger ones, never taken from the reader itself."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.clirun import run

from csp_assess.errors import CspAssessError, InputError
from csp_assess.load import load_extract
from csp_assess.load.record_values import MAX_COUNT

HEADER = "Ref,Committed Date,Local Authority,Ward,Offence Group,Offence,DA Flag,Knife Flag\n"
RECORD_MAP = {
    "month": "Committed Date",
    "area": "Local Authority",
    "major": "Offence Group",
    "minor": "Offence",
    "subarea": "Ward",
    "flag_da": "DA Flag",
    "flag_knife": "Knife Flag",
}


def _write(tmp_path: Path, text: str, name: str = "extract.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _counts(extract: object) -> dict[tuple[object, ...], int]:
    c = extract.counts  # type: ignore[attr-defined]
    keys = [k for k in c.columns if k != "count"]
    return {
        tuple(str(v) if k == "month" else v for k, v in zip(keys, row, strict=True)): int(n)
        for *row, n in c[[*keys, "count"]].itertuples(index=False)
    }


def test_records_counted_per_area_month_offence_ward_and_flags(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "1,01/04/2021 10:00,Barnet,Ward A,Violence,Violence with Injury,Y,N\n"
        + "2,30/04/2021 23:59,Barnet,Ward A,Violence,Violence with Injury,yes,\n"
        + "3,01/05/2021 00:00,Barnet,Ward B,Violence,Violence with Injury,n,TRUE\n"
        + "4,2021-05-02,Barnet,Ward B,Theft,Shoplifting,1,t\n"
        + "5,02/05/2021,Barnet,Ward B,Theft,Shoplifting,0,x\n"
        + "6,2021-05-31T08:00:00,Camden,Ward C,Theft,Shoplifting, Y ,No\n",
    )
    extract = load_extract([path], mapping=RECORD_MAP, use_cache=False)
    # By hand: flag columns are truthy for Y/yes/1/TRUE/t (any case, spaces trimmed), else false.
    assert _counts(extract) == {
        ("Barnet", "2021-04", "Violence", "Violence with Injury", "Ward A", True, False): 2,
        ("Barnet", "2021-05", "Violence", "Violence with Injury", "Ward B", False, True): 1,
        ("Barnet", "2021-05", "Theft", "Shoplifting", "Ward B", True, True): 1,
        ("Barnet", "2021-05", "Theft", "Shoplifting", "Ward B", False, False): 1,
        ("Camden", "2021-05", "Theft", "Shoplifting", "Ward C", True, False): 1,
    }
    assert list(extract.counts.columns) == [
        "area", "month", "major", "minor", "count", "subarea", "flag_da", "flag_knife",
    ]  # fmt: skip
    assert extract.counts["flag_da"].dtype == bool
    (src,) = extract.sources
    assert (src.rows_read, src.rows_counted, src.rows_rejected, src.offences) == (6, 6, 0, 6)
    assert src.count_column == ""


def test_flags_from_parquet_booleans_and_xlsx_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "date": ["2022-03-01", "2022-03-02", "2022-03-03"],
            "minor": ["Burglary", "Burglary", "Burglary"],
            "hate": [True, None, False],
        }
    )
    pq_path = tmp_path / "f.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), pq_path)
    extract = load_extract([pq_path], mapping={"flag_hate": "hate"}, use_cache=False)
    assert _counts(extract) == {
        ("All areas", "2022-03", "Burglary", "Burglary", True): 1,
        ("All areas", "2022-03", "Burglary", "Burglary", False): 2,
    }
    xl = tmp_path / "f.xlsx"
    frame.assign(hate=["Yes", "", "N"]).to_excel(xl, index=False)
    extract = load_extract([xl], mapping={"flag_hate": "hate"}, use_cache=False)
    assert _counts(extract) == {
        ("All areas", "2022-03", "Burglary", "Burglary", True): 1,
        ("All areas", "2022-03", "Burglary", "Burglary", False): 2,
    }


def test_rejects_with_file_lines_and_reconciliation(tmp_path: Path) -> None:
    text = (
        "date,area,minor\n"  # line 1
        "31/03/2022,Camden,Burglary\n"  # 2 counted
        "\n"  # 3 blank: not a row
        "03/31/2022,Camden,Burglary\n"  # 4 month-first: never guessed
        '01/04/2022,Camden,"Theft\nfrom person"\n'  # 5-6 a quoted line break: counted
        "02/04/2022,Camden\n"  # 7 ragged
        "03/04/2022,,Burglary\n"  # 8 blank area
        "04/04/2022,Camden,\n"  # 9 blank category
        "2022-04-05 10:00,Camden,Robbery,extra\n"  # 10 ragged (extra cell)
        "tomorrow,Camden,Robbery\n"  # 11
    )
    path = _write(tmp_path, text)
    extract = load_extract([path], use_cache=False)
    got = [(r.line, r.reason.split(" (")[0]) for r in extract.rejects]
    assert got == [
        (4, "cannot read date '03/31/2022'"),
        (7, "row has 2 cells, header has 3"),
        (8, "area is blank"),
        (9, "offence category is blank"),
        (10, "row has 4 cells, header has 3"),
        (11, "cannot read date 'tomorrow'"),
    ]
    assert (extract.rows_read, extract.rows_counted, extract.rows_rejected) == (8, 2, 6)
    assert _counts(extract) == {
        ("Camden", "2022-03", "Burglary", "Burglary"): 1,
        ("Camden", "2022-04", "Theft\nfrom person", "Theft\nfrom person"): 1,
    }


def test_many_blocks_match_the_csv_module(tmp_path: Path) -> None:
    """~3 MB, so the reader goes through several blocks; counts and reject lines checked with ``csv``."""
    areas = ["Barnet", "Camden", "Ealing"]
    offences = ["Burglary", "Robbery", "Shoplifting", "Arson"]
    lines = ["Committed Date,Local Authority,Offence,Offences"]
    for i in range(60_000):
        day, month = i % 28 + 1, i % 12 + 1
        count = str(i % 5)
        if i % 9_973 == 0:
            count = "x"  # a reject now and then, in every block
        lines.append(f"{day:02d}/{month:02d}/2021 {i % 24:02d}:00,{areas[i % 3]},{offences[i % 4]},{count}")
    path = _write(tmp_path, "\n".join(lines) + "\n")
    assert path.stat().st_size > 2_000_000
    want: Counter[tuple[str, str, str]] = Counter()
    bad_lines = []
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if not row[3].isdigit():
                bad_lines.append(reader.line_num)
                continue
            d, m, y = row[0][:10].split("/")
            want[(row[1], f"{y}-{m}", row[2])] += int(row[3])
    extract = load_extract(
        [path], mapping={"month": "Committed Date", "minor": "Offence", "count": "Offences"}, use_cache=False
    )
    got = {(a, mo, mi): n for (a, mo, _, mi), n in _counts(extract).items()}
    assert got == {k: v for k, v in want.items() if v > 0}
    assert [r.line for r in extract.rejects] == bad_lines
    assert all(r.reason == "count 'x' is not a number" for r in extract.rejects)
    assert extract.rows_read == 60_000 == extract.rows_counted + extract.rows_rejected
    assert extract.sources[0].offences == sum(want.values())


@pytest.mark.parametrize(
    "cell, reason",
    [
        ("inf", "count 'inf' is not a number"),
        ("-inf", "count '-inf' is not a number"),
        ("NaN", "count 'NaN' is not a number"),
        ("9223372036854775807", "count '9223372036854775807' is too large"),
        ("9223372036854775808", "count '9223372036854775808' is too large"),
        ("18446744073709551615", "count '18446744073709551615' is too large"),
        ("-3", "count '-3' is negative"),
        ("2.5", "count '2.5' is not a whole number"),
        ("1,2", "count '1,2' is not a number"),
        ("1e3", "count '1e3' is not a number"),
        ("1_000", "count '1_000' is not a number"),
        ("²", "count '²' is not a number"),
        ("", "blank count"),
    ],
)
def test_hostile_counts_are_rejects_by_line(tmp_path: Path, cell: str, reason: str) -> None:
    path = _write(
        tmp_path,
        f'month,minor,count\n2022-01,Burglary,3\n2022-01,Burglary,"{cell}"\n2022-01,Burglary,1,234\n',
    )
    extract = load_extract([path], use_cache=False)
    (reject, ragged) = extract.rejects
    assert (reject.line, ragged.line) == (3, 4)
    assert reject.reason.startswith(reason)
    assert int(extract.counts["count"].sum()) == 3
    assert (extract.rows_read, extract.rows_counted, extract.rows_rejected) == (3, 1, 2)


def test_thousands_and_spreadsheet_counts_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path, 'month,minor,count\n2022-01,Burglary,"1,234"\n2022-01,Burglary,12.0\n2022-01,Burglary, 4 \n'
    )
    extract = load_extract([path], use_cache=False)
    assert int(extract.counts["count"].sum()) == 1234 + 12 + 4
    assert extract.rows_rejected == 0


def test_hostile_parquet_counts(tmp_path: Path) -> None:
    big = 2**64 - 1
    ints = pa.array([3, big, 2**63, 9223372036854775807, 5], pa.uint64())
    floats = pa.array([3.0, float("inf"), -1.0, 2.5, 1e19], pa.float64())
    months = pa.array(["2022-01"] * 5)
    minors = pa.array(["Burglary"] * 5)
    for name, counts, expected in [
        ("u64", ints, [(2, "too large"), (3, "too large"), (4, "too large")]),
        ("f64", floats, [(2, "is not a number"), (3, "is negative"), (4, "not a whole"), (5, "too large")]),
    ]:
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"month": months, "minor": minors, "count": counts}), path)
        extract = load_extract([path], use_cache=False)
        got = [(r.line, r.reason) for r in extract.rejects]
        assert [ln for ln, _ in got] == [ln for ln, _ in expected], got
        assert all(part in reason for (_, reason), (_, part) in zip(got, expected, strict=True))
        assert int(extract.counts["count"].sum()) == (8 if name == "u64" else 3)
        assert extract.rows_read == 5 == extract.rows_counted + extract.rows_rejected


def test_value_column_is_never_the_count(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,minor,Value\n2022-01-05,Burglary,1500\n2022-01-09,Burglary,250\n")
    extract = load_extract([path], use_cache=False)
    assert int(extract.counts["count"].sum()) == 2  # one per row, not 1,750
    assert extract.sources[0].count_column == ""
    assert any("column 'Value' was not taken as a count" in w for w in extract.warnings)
    mapped = load_extract([path], mapping={"count": "Value"}, use_cache=False)
    assert int(mapped.counts["count"].sum()) == 1750
    assert mapped.sources[0].count_column == "Value"
    assert any("sums to 1,750 over 2 rows" in w for w in mapped.warnings)  # dwarfs the rows: warned


def test_count_column_is_named_in_provenance(tmp_path: Path) -> None:
    from csp_assess.result import source_record

    path = _write(tmp_path, "month,minor,Offences\n2022-01,Burglary,3\n")
    extract = load_extract([path], use_cache=False)
    assert source_record(extract.sources[0])["count_column"] == "Offences"
    assert any("counts read from column 'Offences' (found by its name" in w for w in extract.warnings)
    mapped = load_extract([path], mapping={"count": "Offences"}, use_cache=False)
    assert not any("counts read from" in w for w in mapped.warnings)  # the user named it
    path = _write(tmp_path, "month,minor\n2022-01,Burglary\n", "rows.csv")
    record = source_record(load_extract([path], use_cache=False).sources[0])
    assert record["count_column"] == "(none: one offence per row)"


def test_mixed_encoding_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("month,area,minor\n2022-01,Ynys Môn,Burglary\n".encode() + b"2022-01,Caf\xe9,Burglary\n")
    with pytest.raises(InputError) as exc:
        load_extract([path], use_cache=False)
    assert "not UTF-8" in str(exc.value) and str(exc.value).endswith(f"({path}:3)")


def test_malformed_quote_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, 'month,minor\n2022-01,Burglary\n2022-02,"Rob"bery\n2022-03,"Theft\n')
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: CSV is malformed")
    assert "Arrow" not in err and "Traceback" not in err


def test_unknown_map_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "month,minor,x\n2022-01,Burglary,1\n")
    with pytest.raises(CspAssessError) as exc:
        load_extract([path], mapping={"flag-x": "x"}, use_cache=False)
    assert "flag_<name>" in str(exc.value)


def test_xlsx_streamed_with_real_dates_and_sheet_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    pd.DataFrame(
        {
            "date": [pd.Timestamp("2022-03-31 10:00"), "01/04/2022", None, pd.Timestamp("2022-04-30")],
            "minor": ["Burglary", "Burglary", "Burglary", "Robbery"],
            "count": [2, 3, 1, MAX_COUNT + 1],
        }
    ).to_excel(path, index=False)
    extract = load_extract([path], use_cache=False)
    assert [(r.line, r.reason.split(" (")[0]) for r in extract.rejects] == [
        (4, "cannot read date ''"),
        (5, f"count '{MAX_COUNT + 1}' is too large for a count of offences"),
    ]
    assert _counts(extract) == {
        ("All areas", "2022-03", "Burglary", "Burglary"): 2,
        ("All areas", "2022-04", "Burglary", "Burglary"): 3,
    }


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("month", pa.array([[2022, 1]])),
        # a key column (read as a dictionary) holding lists or records was an internal error (KeyError)
        ("minor", pa.array([["Burglary"]])),
        ("area", pa.array([{"name": "X"}])),
    ],
)
def test_parquet_column_of_an_odd_type_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, values: pa.Array
) -> None:
    path = tmp_path / "lists.parquet"
    table = {"month": pa.array(["2022-01"]), "area": pa.array(["X"]), "minor": pa.array(["Burglary"])}
    table[column] = values
    pq.write_table(pa.table(table), path)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 1
    assert err.strip().splitlines() == [
        f"Error: column '{column}' holds a list or record in each row, not one text, number or date: map "
        f"another column or flatten it when exporting ({path})"
    ]


@pytest.mark.parametrize("chunk", [64, 1000, 4096])
def test_small_pieces_with_quoted_line_breaks_match_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Pieces cut only where the quotes pair up: quoted line breaks and delimiters across piece edges,
    a quote-free stretch (parsed with quoting off), and no line break at the end."""
    from csp_assess.load import record_scan

    monkeypatch.setattr(record_scan, "CHUNK_BYTES", chunk)
    rows = ["date,area,minor,note"]
    for i in range(600):
        note = f'"line one\nline, two {i}"' if i % 7 == 0 and i < 300 else f"plain {i}"
        minor = '"Theft, other"' if i % 5 == 0 and i < 300 else ("Burglary" if i % 2 else "Robbery")
        rows.append(f"{i % 28 + 1:02d}/{i % 12 + 1:02d}/2022,Area {i % 3},{minor},{note}")
    path = _write(tmp_path, "\n".join(rows))  # no final line break
    want: Counter[tuple[str, str, str]] = Counter()
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for d, a, m, _ in reader:
            want[(a, f"2022-{d[3:5]}", m)] += 1
    extract = load_extract([path], use_cache=False)
    assert {(a, mo, mi): n for (a, mo, _, mi), n in _counts(extract).items()} == dict(want)
    assert extract.rows_read == 600 == extract.rows_counted


@pytest.mark.parametrize("chunk", [64, 16 << 20])
def test_quote_left_open_in_an_unread_column_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """An unclosed quote in a column that is not read would swallow every line after it: refused."""
    from csp_assess.load import record_scan

    monkeypatch.setattr(record_scan, "CHUNK_BYTES", chunk)
    rows = ["date,minor,note"] + [f"2022-01-{i % 28 + 1:02d},Burglary,fine {i}" for i in range(100)]
    rows[40] = '2022-01-05,Burglary,"left open'
    path = _write(tmp_path, "\n".join(rows) + "\n")
    with pytest.raises(InputError) as exc:
        load_extract([path], use_cache=False)
    assert str(exc.value).startswith("CSV is malformed: a double quote is not closed")


@pytest.mark.parametrize("chunk", [64, 16 << 20])
def test_stray_inch_marks_do_not_stop_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A lone quote inside an unquoted field is text (pyarrow and the csv module agree): every row counts,
    whether the file is read in pieces or, once the quotes stop pairing up, as one stream."""
    from csp_assess.load import record_scan

    monkeypatch.setattr(record_scan, "CHUNK_BYTES", chunk)
    rows = ["date,minor,note"] + [f"2022-01-{i % 28 + 1:02d},Burglary,fine {i}" for i in range(100)]
    rows[10] = '2022-02-05,Robbery,a 5" screen'
    path = _write(tmp_path, "\n".join(rows) + "\n")
    extract = load_extract([path], use_cache=False)
    assert _counts(extract) == {
        ("All areas", "2022-01", "Burglary", "Burglary"): 99,
        ("All areas", "2022-02", "Robbery", "Robbery"): 1,
    }


def test_header_without_a_line_break_has_no_data_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "month,minor")
    with pytest.raises(InputError) as exc:
        load_extract([path], mapping={"month": "month"}, use_cache=False)
    assert str(exc.value) == f"file has a header but no data rows ({path})"


def test_duplicate_columns_in_xlsx_are_refused(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "dup.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["month", "minor", "minor"])
    ws.append(["2022-01", "Burglary", "Robbery"])
    wb.save(path)
    with pytest.raises(CspAssessError) as exc:
        load_extract([path], use_cache=False)
    assert str(exc.value).startswith("duplicate header column 'minor'")


def test_parquet_in_several_batches_matches_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Text keys are read as Parquet dictionaries, batch by batch (each batch has its own dictionary);
    the counts equal a pandas group-by of the same table, blanks and nulls rejected by row."""
    from csp_assess.load import record

    monkeypatch.setattr(record, "PARQUET_BATCH_ROWS", 1000)
    n = 5000
    areas = ["Barnet", "Camden", " Ealing ", None, ""]
    table = pa.table(
        {
            "Committed Date": [f"{i % 28 + 1:02d}/{i % 12 + 1:02d}/2022 {i % 24:02d}:00" for i in range(n)],
            "Local Authority": [areas[(i * 7) % 5] if i % 97 else "Barnet" for i in range(n)],
            "Offence": [["Burglary", "Robbery", "Shoplifting"][i % 3] for i in range(n)],
            "DA Flag": [i % 4 == 0 for i in range(n)],
        }
    )
    path = tmp_path / "extract.parquet"
    pq.write_table(table, path)
    frame = table.to_pandas()
    frame["area"] = frame["Local Authority"].fillna("").str.strip()
    good = frame[frame["area"] != ""]
    want = good.groupby(
        ["area", good["Committed Date"].str[6:10] + "-" + good["Committed Date"].str[3:5], "Offence"]
    ).size()
    extract = load_extract(
        [path],
        mapping={
            "month": "Committed Date",
            "area": "Local Authority",
            "minor": "Offence",
            "flag_da": "DA Flag",
        },
        use_cache=False,
    )
    got = Counter()
    for (a, mo, _, mi, _flag), count in _counts(extract).items():
        got[(a, mo, mi)] += count
    assert got == {k: int(v) for k, v in want.items()}
    assert extract.rows_read == n == extract.rows_counted + extract.rows_rejected
    assert extract.rows_rejected == len(frame) - len(good)


def _xlsx_snapshot(path: Path, mapping: dict[str, str]) -> dict[str, object]:
    extract = load_extract([path], mapping=mapping, use_cache=False)
    return {
        "counts": _counts(extract),
        "rejects": [(r.line, r.reason) for r in extract.rejects],
        "read": extract.rows_read,
        "counted": extract.rows_counted,
    }


def test_xlsx_calamine_and_openpyxl_agree_cell_by_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine reads .xlsx whole and fast; openpyxl streams a sheet too large to hold. Both must give the
    same figures and reject lines on every kind of cell: real dates and date-times, text dates, whole
    numbers stored as floats, true/false, blanks, rows blank in the middle and at the end."""
    import datetime as dt

    import openpyxl

    from csp_assess.load import record

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Area", "Offence", "Count", "Flag"])
    cells = [
        [dt.datetime(2021, 4, 1, 10, 0), "Barnet", "Burglary", 5, True],
        [dt.date(2021, 5, 2), " Barnet ", "Burglary", 5.0, False],
        ["01/06/2021", "Camden", "Theft", 2.5, None],  # a fraction: rejected
        [None, None, None, None, None],  # blank: skipped, but its row number is kept
        ["2021-06-30", "Camden", None, 1, "Y"],  # blank offence: rejected
        [None, "Camden", "Theft", 1, "Y"],  # no date: rejected
        ["30/06/2021", "Camden", "Theft", "1,200", "yes"],
        [44300, "Camden", "Theft", 1, "N"],  # a date typed as a plain number: not a date
        ["2021-07", 7, 8.0, 3, 1],  # numbers as names
    ]
    for row in cells:
        ws.append(row)
    ws.append([None] * 5)
    ws.append([None] * 5)
    path = tmp_path / "cells.xlsx"
    wb.save(path)
    mapping = {"month": "Date", "area": "Area", "minor": "Offence", "count": "Count", "flag_x": "Flag"}
    fast = _xlsx_snapshot(path, mapping)
    monkeypatch.setattr(record, "CALAMINE_MAX_XML_BYTES", -1)
    slow = _xlsx_snapshot(path, mapping)
    assert fast == slow
    # by hand: rows 2-10 are data (row 5 blank, skipped)
    assert [line for line, _ in fast["rejects"]] == [4, 6, 7, 9]
    assert fast["read"] == 8 and fast["counted"] == 4
    counted = Counter()
    for (area, month, _, minor, _flag), n in fast["counts"].items():  # type: ignore[attr-defined]
        counted[(area, month, minor)] += n
    assert counted == {
        ("Barnet", "2021-04", "Burglary"): 5,
        ("Barnet", "2021-05", "Burglary"): 5,
        ("Camden", "2021-06", "Theft"): 1200,
        ("7", "2021-07", "8"): 3,
    }


def test_xlsx_header_below_blank_rows_keeps_sheet_row_numbers(tmp_path: Path) -> None:
    """A sheet whose table starts lower down (blank rows above the header): rows are still named by
    their number in the sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"], ws["C3"] = "Date", "Offence"
    ws["B4"], ws["C4"] = "2021-04-01", "Burglary"
    ws["B5"], ws["C5"] = "not a date", "Burglary"
    path = tmp_path / "low.xlsx"
    wb.save(path)
    extract = load_extract([path], mapping={"month": "Date", "minor": "Offence"}, use_cache=False)
    assert [r.line for r in extract.rejects] == [5]
    assert extract.rows_counted == 1
