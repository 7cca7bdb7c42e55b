"""The C scanner's stretch of a record-level CSV (``record_plain``) against pyarrow, the reference.

Every file here is read twice, with the scanner and without it (pyarrow alone), and the two loads must be
identical: counts per key, rejects with their lines and reasons, rows read and the warnings. The files
are plain record extracts with hostile lines put in at chosen places (a quote, a ragged line, blank and
whitespace lines, CRLF, a BOM, bytes that are not UTF-8, dates the scanner must not key by their date
part), read in small pieces so that each case falls at a piece's start, middle and end. A clean file is
also counted by the ``csv`` module, and a spy checks the scanner really read pieces, so no case passes
by the scanner quietly standing aside.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from csp_assess.errors import CspAssessError, InputError
from csp_assess.load import load_extract, record_plain

pytestmark = pytest.mark.skipif(record_plain._csvscan is None, reason="the C scanner is not built")

HEADER = "Ref,Committed Date,Local Authority,Ward,Offence Group,Offence,DA Flag,Count\n"
MAPPING = {
    "month": "Committed Date",
    "area": "Local Authority",
    "major": "Offence Group",
    "minor": "Offence",
    "subarea": "Ward",
    "flag_da": "DA Flag",
}
AREAS = ["Barnet", "Camden", "Ealing", "Hackney"]
OFFENCES = [
    ("Violence Against the Person", "Violence with Injury"),
    ("Theft", "Shoplifting"),
    ("Burglary", "Burglary - Residential"),
    ("Robbery", "Robbery of Personal Property"),
]


def _row(i: int) -> str:
    major, minor = OFFENCES[i % 4]
    day, month, year = i % 28 + 1, (i // 7) % 12 + 1, 2020 + (i // 97) % 3
    date = f"{day:02d}/{month:02d}/{year} {i % 24:02d}:{i % 60:02d}"
    if i % 11 == 0:
        date = f"{year}-{month:02d}-{day:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}"
    elif i % 13 == 0:
        date = f"{day:02d}/{month:02d}/{year}"
    ward = "" if i % 17 == 0 else f"Ward {i % 9}"
    flag = "Y" if i % 3 == 0 else "N"
    return f"{i},{date},{AREAS[i % 4]},{ward},{major},{minor},{flag},1\n"


def _lines(n: int) -> list[str]:
    return [HEADER] + [_row(i) for i in range(n)]


def _write(
    tmp_path: Path, lines: list[str] | str, name: str = "extract.csv", raw: bytes | None = None
) -> Path:
    path = tmp_path / name
    path.write_bytes(
        raw if raw is not None else ("".join(lines) if isinstance(lines, list) else lines).encode()
    )
    return path


def _snapshot(extract: Any) -> dict[str, Any]:
    counts = extract.counts.copy()
    counts["month"] = counts["month"].astype(str)
    return {
        "counts": sorted(map(tuple, counts.astype(str).to_numpy().tolist())),
        "rejects": [(r.line, r.reason) for r in extract.rejects],
        "read": extract.rows_read,
        "counted": extract.rows_counted,
        "warnings": list(extract.warnings),
    }


class _Spy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pieces = 0
        real = record_plain._csvscan.fields

        def fields(*args: Any) -> Any:
            out = real(*args)
            if not isinstance(out, str):
                self.pieces += 1
            return out

        monkeypatch.setattr(record_plain._csvscan, "fields", fields)


def _both(
    path: Path, monkeypatch: pytest.MonkeyPatch, mapping: dict[str, str] | None = None
) -> tuple[Any, Any, int]:
    """(with the scanner, pyarrow alone, pieces the scanner read)."""
    mapping = MAPPING if mapping is None else mapping
    spy = _Spy(monkeypatch)
    fast = _load(path, mapping)
    with monkeypatch.context() as m:
        m.setattr(record_plain.PlainScan, "of", classmethod(lambda cls, *a: None))
        slow = _load(path, mapping)
    return fast, slow, spy.pieces


def _load(path: Path, mapping: dict[str, str]) -> dict[str, Any]:
    """The load's figures, or the one-line error it gives (both readers must give the same)."""
    try:
        return _snapshot(load_extract([path], mapping=mapping, use_cache=False))
    except CspAssessError as err:
        return {"error": str(err)}


@pytest.fixture(params=[2048, 8 << 20], ids=["small-pieces", "one-piece"])
def piece(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    from csp_assess.load import record_scan

    monkeypatch.setattr(record_plain, "PIECE_BYTES", request.param)
    monkeypatch.setattr(record_scan, "CHUNK_BYTES", max(request.param, 4096))
    return int(request.param)


def test_clean_extract_matches_the_csv_module_and_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    path = _write(tmp_path, _lines(3000))
    want: Counter[tuple[str, str, str, str]] = Counter()
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            d = row["Committed Date"]
            ym = d[:7] if d[4] == "-" else f"{d[6:10]}-{d[3:5]}"
            want[(row["Local Authority"], ym, row["Offence"], row["DA Flag"])] += 1
    fast, slow, pieces = _both(path, monkeypatch)
    assert pieces >= (10 if piece == 2048 else 1)
    assert fast == slow
    extract = load_extract([path], mapping=MAPPING, use_cache=False)
    got: Counter[tuple[str, str, str, str]] = Counter()
    for r in extract.counts.itertuples(index=False):
        got[(r.area, str(r.month), r.minor, "Y" if r.flag_da else "N")] += int(r.count)
    assert got == want
    assert extract.rows_read == 3000 == extract.rows_counted


HOSTILE = {
    "quote": 'x,01/05/2021 10:00,Barnet,"Ward, quoted",Theft,Shoplifting,N,1\n',
    "quoted-line-break": 'x,01/05/2021 10:00,Barnet,"Ward\nsplit",Theft,Shoplifting,N,1\n',
    "ragged-short": "x,01/05/2021 10:00,Barnet\n",
    "ragged-long": "x,01/05/2021 10:00,Barnet,W,Theft,Shoplifting,N,1,extra\n",
    "blank": "\n",
    "blank-crlf": "\r\n",
    "spaces": "   \n",
    "commas-only": ",,,,,,,\n",
    "crlf": "x,01/05/2021 10:00,Barnet,W,Theft,Shoplifting,N,1\r\n",
    "lone-cr": "x,01/05/2021 10:00,Barnet,W,Theft,Shoplifting,N,1\rx,02/05/2021,Camden,W,Theft,Shoplifting,N,1\n",
    "bad-date": "x,31/02/2021 10:00,Barnet,W,Theft,Shoplifting,N,1\n",
    "bad-time": "x,01/05/2021 25:61,Barnet,W,Theft,Shoplifting,N,1\n",
    "garbage-time": "x,01/05/2021 noonish,Barnet,W,Theft,Shoplifting,N,1\n",
    "month-first-us": "x,05/31/2021 10:00,Barnet,W,Theft,Shoplifting,N,1\n",
    "iso-seconds": "x,2021-05-31 23:59:59,Barnet,W,Theft,Shoplifting,N,1\n",
    "blank-area": "x,01/05/2021 10:00,,W,Theft,Shoplifting,N,1\n",
    "blank-offence": "x,01/05/2021 10:00,Barnet,W,,,N,1\n",
    "spaced-names": "x,01/05/2021 10:00, Barnet ,W, Theft , Shoplifting ,N,1\n",
    "nul": "x,01/05/2021 10:00,Bar\x00net,W,Theft,Shoplifting,N,1\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("where", [0, 700, 2999])
def test_hostile_lines_give_the_reference_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int, case: str, where: int
) -> None:
    lines = _lines(3000)
    lines.insert(1 + where, HOSTILE[case])
    fast, slow, _ = _both(_write(tmp_path, lines), monkeypatch)
    assert fast == slow


def test_bad_dates_quote_the_whole_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    """The scanner keys dates by their date part; a rejected date is read again whole, by pyarrow."""
    lines = _lines(3000)
    lines.insert(500, "x,31/13/2021 10:00,Barnet,W,Theft,Shoplifting,N,1\n")
    fast, slow, _ = _both(_write(tmp_path, lines), monkeypatch)
    assert fast == slow
    assert fast["rejects"] == [
        (501, "cannot read date '31/13/2021 10:00' (use 31/03/2022, 2022-03-31 or 2022-03)")
    ]


def test_impossible_days_are_rejected_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """Arrow's strptime rolls 31/02/2021 over to 3 March, and the general parser once read it as February:
    a day its month lacks is a corrupt cell, rejected with its line by either path; 29/02 of a leap year
    is a date."""
    rows = [HEADER]
    rows += [f"{i},{i % 28 + 1:02d}/03/2021 10:00,Barnet,W,Theft,Shoplifting,N,1\n" for i in range(5)]
    rows += [
        "a,31/02/2021 10:00,Barnet,W,Theft,Shoplifting,N,1\n",  # line 7
        "b,29/02/2020 10:00,Barnet,W,Theft,Shoplifting,N,1\n",
        "c,2021-04-31,Barnet,W,Theft,Shoplifting,N,1\n",  # line 9
        "d,00/05/2021,Barnet,W,Theft,Shoplifting,N,1\n",  # line 10
        "e,29/02/2021,Barnet,W,Theft,Shoplifting,N,1\n",  # line 11
    ]
    fast, slow, _ = _both(
        _write(tmp_path, rows), monkeypatch, {"month": "Committed Date", "minor": "Offence"}
    )
    assert fast == slow
    months = Counter()
    for row in fast["counts"]:
        months[row[1]] += int(row[-1])
    assert months == {"2020-02": 1, "2021-03": 5}
    fix = "correct or remove the row"
    assert fast["rejects"] == [
        (7, f"no such date '31/02/2021 10:00' (February 2021 has 28 days): {fix}"),
        (9, f"no such date '2021-04-31' (April 2021 has 30 days): {fix}"),
        (10, f"no such date '00/05/2021' (May 2021 has 31 days): {fix}"),
        (11, f"no such date '29/02/2021' (February 2021 has 28 days): {fix}"),
    ]


def test_bom_no_final_line_break_and_windows_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    text = "".join(_lines(3000))
    for name, raw in {
        "bom": b"\xef\xbb\xbf" + text.encode(),
        "no-final-break": text.rstrip("\n").encode(),
        "cp1252": text.replace("Ward 3", "Ward Ã©3").encode().replace(b"\xc3\x83\xc2\xa9", b"\xe9"),
    }.items():
        fast, slow, _ = _both(_write(tmp_path, [], name=f"{name}.csv", raw=raw), monkeypatch)
        assert fast == slow, name


def test_count_column_and_no_optional_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    lines = _lines(3000)
    lines[40] = lines[40].rsplit(",", 1)[0] + ",7\n"
    lines[41] = lines[41].rsplit(",", 1)[0] + ",x\n"
    path = _write(tmp_path, lines)
    for mapping in (
        {"month": "Committed Date", "minor": "Offence", "count": "Count"},
        {"month": "Committed Date", "minor": "Offence"},
    ):
        fast, slow, pieces = _both(path, monkeypatch, mapping)
        assert pieces > 0
        assert fast == slow


def test_date_key_keeps_only_certain_times() -> None:
    """The scanner drops a time only when it is valid: the date part of what it keys equals the cell's."""
    scan = record_plain._csvscan
    body = (
        b"01/05/2021 10:00\n01/05/2021 23:59:59\n2021-05-01T00:00:00\n2021-05-01 10:00\n"
        b"01/05/2021 24:00\n01/05/2021 10:60\n2021-05-01T10:00\n1/5/2021 10:00\n01/05/2021\n01/05/2021 10:00:60\n"
    )
    out = scan.fields(body, 0, 1, [0], 0)
    assert not isinstance(out, str)
    _, [(codes, values)] = out
    assert values == [
        b"01/05/2021",
        b"2021-05-01",
        b"01/05/2021 24:00",
        b"01/05/2021 10:60",
        b"2021-05-01T10:00",
        b"1/5/2021 10:00",
        b"01/05/2021 10:00:60",
    ]


def test_pieces_memory_is_released_and_file_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file read by the scanner is unchanged and can be removed at once (the map is closed)."""
    monkeypatch.setattr(record_plain, "PIECE_BYTES", 4096)
    path = _write(tmp_path, _lines(3000))
    before = path.read_bytes()
    load_extract([path], mapping=MAPPING, use_cache=False)
    assert path.read_bytes() == before
    path.unlink()


def test_file_truncated_under_the_scanner_is_an_error_not_sigbus(tmp_path: Path) -> None:
    """The scanner reads a mapping of the file; pages past a new, shorter end raise SIGBUS, which it turns
    into a one-line error. Done deterministically: map, truncate, then scan the mapping."""
    import mmap
    import os

    path = _write(tmp_path, _lines(20_000))  # ~1.5 MB: many pages
    header = HEADER.rstrip("\n").split(",")
    from csp_assess.load.record_tally import Roles

    roles = Roles(month="Committed Date", area="Local Authority", minor="Offence")
    scan = record_plain.PlainScan.of(header, ",", roles, "utf8")
    assert scan is not None
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        os.truncate(path, 8192)  # a page boundary: the pages after it are gone, not zero-filled
        with pytest.raises(InputError, match="the file changed while it was read"):
            scan.piece(mm, len(HEADER), len(mm))
    # and the process carries on: the next read of a whole file works
    path = _write(tmp_path, _lines(100), name="again.csv")
    assert load_extract([path], mapping=MAPPING, use_cache=False).rows_counted == 100


def test_many_distinct_unpadded_date_times_are_all_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """Unpadded date-times ('1/5/2021 10:07') are keyed whole, so the month memo fills up across pieces;
    when it is cleared, every text of the batch in hand is read again (none is lost)."""
    from csp_assess.load import record_values

    monkeypatch.setattr(record_values, "MEMO_TEXTS", 500)
    rows = [HEADER] + [
        f"{i},{i % 28 + 1}/{i % 12 + 1}/2021 {i % 24}:{i % 60:02d},Barnet,W,Theft,Shoplifting,N,1\n"
        for i in range(3000)
    ]
    fast, slow, _ = _both(
        _write(tmp_path, rows), monkeypatch, {"month": "Committed Date", "minor": "Offence"}
    )
    assert fast == slow
    months = Counter()
    for row in fast["counts"]:
        months[row[1]] += int(row[-1])
    assert months == Counter(f"2021-{i % 12 + 1:02d}" for i in range(3000))
