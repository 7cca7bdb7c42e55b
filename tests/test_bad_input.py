"""Every file in tests/corpus/ gives either one clean ``Error:`` line (exit 1) or counted rejects with line
numbers: never a traceback, and never rows silently lost (rows read = counted + rejected)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.clirun import run

from csp_assess.cli import main
from csp_assess.errors import CspAssessError
from csp_assess.load import load_extract

CORPUS = Path(__file__).resolve().parent / "corpus"

# file -> the start of its one-line error
UNUSABLE = {
    "empty.csv": "file is empty",
    "blank_lines_only.csv": "file is empty",
    "header_only_met.csv": "file has a header but no data rows",
    "header_only_long.csv": "file has a header but no data rows",
    "unknown_layout.csv": "unknown layout: header starts 'foo,bar,baz'",
    "wrong_delimiter_met.csv": "Met file uses ';' as delimiter",
    "wrong_delimiter_unknown.csv": "unknown layout (read with delimiter ';'",
    "duplicate_header_met.csv": "duplicate header column '202202'",
    "duplicate_header_long.csv": "duplicate header column 'minor'",
    "bad_month_column_met.csv": "column 'Total' is not a month",
    "utf16.csv": "file looks binary or UTF-16",
    "not_text.csv": "file looks binary or UTF-16",
    "mapped_long.csv": "unknown layout",  # usable only with --map / --map-file
    "corrupt.zip": "corrupt or unreadable zip file",
    "no_csv_dir": "folder holds no .csv, .zip, .xlsx or .parquet files",
    "does_not_exist.csv": "no such file or folder",
}

# file -> (rows read, rows counted, [(line, reason start)])
REJECTS = {
    "nonnumeric_count_met.csv": (3, 2, [(3, "count 'x' is not a number")]),
    "negative_count_met.csv": (2, 1, [(2, "count '-2' is negative")]),
    "blank_count_met.csv": (2, 1, [(2, "blank count")]),
    "fractional_count_met.csv": (2, 1, [(2, "count '2.5' is not a whole number")]),
    "truncated_last_line_met.csv": (2, 1, [(3, "row has 5 cells, header has 6 (truncated?)")]),
    "extra_cells_met.csv": (2, 1, [(2, "row has 7 cells, header has 6")]),
    "duplicate_row_met.csv": (2, 1, [(3, "duplicate of line 2")]),
    "unterminated_quote_met.csv": (2, 1, [(3, "row has 1 cells")]),
    "truncated_last_line_long.csv": (2, 1, [(3, "row has 3 cells, header has 4 (truncated?)")]),
    "bad_counts_long.csv": (
        6,
        2,
        [
            (3, "count 'abc' is not a number"),
            (4, "count '-1' is negative"),
            (5, "blank count"),
            (6, "count '1.5' is not a whole number"),
        ],
    ),
    "bad_dates_long.csv": (
        5,
        2,
        [
            (3, "cannot read date '2022-13-01'"),
            (4, "cannot read date 'yesterday'"),
            (5, "cannot read date ''"),
        ],
    ),
    "all_rejected_long.csv": (2, 0, [(2, "cannot read date 'nope'"), (3, "count 'x' is not a number")]),
    "hostile_counts_long.csv": (
        7,
        2,
        [
            (3, "count 'inf' is not a number"),
            (4, "count '9223372036854775807' is too large"),
            (5, "count '18446744073709551615' is too large"),
            (6, "count '1e3' is not a number"),
            (7, "count '1,2' is not a number"),
        ],
    ),
}

# file -> (layout, encoding, offences)
CLEAN = {
    "bom_met.csv": ("met-borough-old", "utf-8-sig", 21),
    "crlf_met.csv": ("met-borough-old", "utf-8", 6),
    "cp1252_long.csv": ("long-csv", "cp1252", 11),
    "semicolon_long.csv": ("long-csv", "utf-8", 7),
    "mixed_dates_long.csv": ("long-csv", "utf-8", 6),
    "value_column_long.csv": ("long-csv", "utf-8", 2),  # one offence a row: a Value column is not a count
}


def test_corpus_is_fully_covered() -> None:
    names = {
        p.name for p in CORPUS.iterdir() if p.name not in ("maps", "police_uk")
    }  # police_uk: test_street_hostile
    tested = set(UNUSABLE) | set(REJECTS) | set(CLEAN) | {"truncated_police_uk.csv"}
    others = [t.read_text(encoding="utf-8") for t in Path(__file__).parent.glob("test_*.py")]
    tested |= {n for n in names if any(f'"{n}"' in text for text in others)}  # tested in its own module
    assert names - tested == set(), "every corpus file needs a test"


@pytest.mark.parametrize("name", sorted(UNUSABLE))
def test_unusable_file_is_one_line_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(CORPUS / name)
    with pytest.raises(CspAssessError) as exc:
        load_extract([path], use_cache=False)
    assert str(exc.value).startswith(UNUSABLE[name])
    assert str(exc.value).endswith(f"({path})") or str(exc.value).endswith(f"({path}:1)")
    code, out, err = run(capsys, "rank", path, "--area", "all")
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert lines == [f"Error: {exc.value}"]
    assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(REJECTS))
def test_bad_rows_are_counted_rejects(name: str) -> None:
    read, counted, expected = REJECTS[name]
    extract = load_extract([CORPUS / name], use_cache=False)
    assert extract.rows_read == read
    assert extract.rows_counted == counted
    assert extract.rows_rejected == read - counted == len(expected)
    got = [(r.line, r.reason) for r in extract.rejects]
    assert [ln for ln, _ in got] == [ln for ln, _ in expected]
    for (_, reason), (_, start) in zip(got, expected, strict=True):
        assert reason.startswith(start), reason
    assert all(r.file == str(CORPUS / name) for r in extract.rejects)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_variants_load(name: str) -> None:
    layout, encoding, offences = CLEAN[name]
    extract = load_extract([CORPUS / name], use_cache=False)
    (src,) = extract.sources
    assert (src.layout, src.encoding, src.offences) == (layout, encoding, offences)
    assert extract.rows_rejected == 0
    assert int(extract.counts["count"].sum()) == offences


def test_cp1252_text_is_decoded() -> None:
    extract = load_extract([CORPUS / "cp1252_long.csv"], use_cache=False)
    assert extract.areas == ["Café Quarter"]
    assert set(extract.counts["minor"]) == {"Theft – Other"}


def test_bom_does_not_leak_into_header() -> None:
    extract = load_extract([CORPUS / "bom_met.csv"], use_cache=False)
    assert extract.sources[0].layout == "met-borough-old"
    assert extract.areas == ["Camden"]


def test_truncated_last_line_warns() -> None:
    for name in ("truncated_last_line_met.csv", "truncated_last_line_long.csv"):
        extract = load_extract([CORPUS / name], use_cache=False)
        assert any("does not end with a line break" in w for w in extract.warnings), name
    clean = load_extract([CORPUS / "crlf_met.csv"], use_cache=False)
    assert not any("line break" in w for w in clean.warnings)


def test_truncated_police_uk_row_is_counted_reject() -> None:
    extract = load_extract([CORPUS / "truncated_police_uk.csv"], use_cache=False)
    assert extract.rows_read == 2
    assert extract.rows_counted == 1
    assert extract.rows_rejected == 1


def test_rank_on_rejecting_file_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rank", str(CORPUS / "nonnumeric_count_met.csv"), "--format", "json")
    obj = json.loads(out) if code == 0 else None
    # Whether rank can run on three months or refuses the period, rejected rows are never silent.
    if obj is not None:
        (src,) = obj["sources"]
        assert (src["rows_read"], src["rows_counted"], src["rows_rejected"]) == (3, 2, 1)
    else:
        assert code == 1 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1


def test_debug_shows_traceback() -> None:
    with pytest.raises(CspAssessError):
        main(["rank", str(CORPUS / "empty.csv"), "--debug"])


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", "--format", "yaml", str(CORPUS / "bom_met.csv"))
    assert code == 2
    assert "Traceback" not in err
