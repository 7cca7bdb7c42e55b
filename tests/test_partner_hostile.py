"""Hostile partner indicator files (--indicators): every row counted or rejected at its true line, and a
file that cannot be used is one ``Error:`` line naming it; figures checked against a plain csv-module
reading written here."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from tests.conftest import SAMPLE, Run

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.indicators import read_indicators

AREA = "Barking and Dagenham"


def write(tmp_path: Path, text: str, name: str = "ind.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rejects_name_their_true_line_after_blank_lines_and_quoted_breaks(tmp_path: Path) -> None:
    """pandas skipped the blank line and joined the quoted break without saying: the three rejects were
    named lines 3, 4, 5 instead of 4, 5, 7."""
    path = write(
        tmp_path,
        "month,area,indicator,count\n"
        "2021-04,Barnet,Fires,1\n"
        "\n"
        "2021-05,Barnet,Fires,x\n"
        '2021-06,"Bar\nnet",Fires,y\n'
        "2021-07,Barnet,Fires,z\n"
        "2021-08,Barnet,Fires\n",
    )
    ind = read_indicators(path)
    assert [(r.line, r.reason) for r in ind.rejects] == [
        (4, "column 'count': count 'x' is not a number"),
        (5, "column 'count': count 'y' is not a number"),
        (7, "column 'count': count 'z' is not a number"),
        (8, "row has 3 cells, header has 4"),
    ]
    assert (ind.rows_read, ind.rows_counted, ind.rows_rejected) == (5, 1, 4)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "file is empty: export the data again with its header row"),
        ("\n\n", "file is empty: export the data again with its header row"),
        ("month,area,indicator,count\n", "file has a header but no data rows"),
        ("month,area,indicator,count,count\n2021-04,X,Fires,1,2\n", "duplicate header column 'count'"),
        (
            "month,area,indicator,count,Count\n2021-04,X,Fires,1,2\n",
            "columns 'count' and 'Count' differ only in case or spaces",
        ),
    ],
)
def test_unusable_file_is_one_error(tmp_path: Path, text: str, error: str) -> None:
    """Header only was accepted as an indicator file with no rows (a warning at most); 'count' beside
    'Count' read the second and ignored the first; an exact duplicate read the first."""
    path = write(tmp_path, text)
    with pytest.raises((InputError, LayoutError)) as info:
        read_indicators(path)
    assert str(info.value).startswith(error) and info.value.file == str(path)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_damaged_binary_file_is_one_line(cli, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """A damaged .xlsx was an internal error (CalamineError); a damaged Parquet file printed arrow's own
    message with a raw line break and no file name."""
    path = tmp_path / f"ind{suffix}"
    path.write_bytes(b"PAR1" + b"\x00" * 64)
    res: Run = cli("summary", SAMPLE, "--area", AREA, "--indicators", path)
    kind = "Excel" if suffix == ".xlsx" else "Parquet"
    assert res.code == 1
    assert res.err.strip().splitlines() == [
        f"Error: cannot read the partner indicators file as {kind} (damaged, or not {kind}?): re-save it ({path})"
    ]


def reference(path: Path) -> tuple[dict[tuple[str, str, str], int], list[tuple[int, str]]]:
    """Counts per (month, area, indicator) and (line, kind of reject), by the csv module row by row."""
    counts: dict[tuple[str, str, str], int] = {}
    rejects: list[tuple[int, str]] = []
    seen: set[tuple[str, str, str]] = set()
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            month, area, name, count = row["month"], row["area"], row["indicator"], row["count"]
            if month == "bad":
                rejects.append((line, "month"))
            elif not area:
                rejects.append((line, "area"))
            elif not count.isdigit():
                rejects.append((line, "count"))
            elif (month, area, name) in seen:
                rejects.append((line, "duplicate"))
            else:
                seen.add((month, area, name))
                key = (f"{month[:7]}", area, name)
                counts[key] = counts.get(key, 0) + int(count)
    return counts, rejects


def test_many_rows_with_every_kind_of_reject_match_a_plain_reading(tmp_path: Path) -> None:
    """The reasons are worked out for all rows at once (a per-row loop took ~30 s for 300,000 rows);
    each row still gets the first reason that applies, and each duplicate the line it repeats."""
    rnd = random.Random(7)
    lines = ["month,area,indicator,count"]
    for _ in range(3000):
        month = rnd.choice(["2021-04", "2021-05", "2021-06", "bad"])
        area = rnd.choice(["Barnet", "Brent", ""])
        count = rnd.choice(["1", "2", "17", "-1", "x"])
        lines.append(f"{month},{area},{rnd.choice(['Fires', 'ASB'])},{count}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    want_counts, want_rejects = reference(path)
    ind = read_indicators(path)
    got = {(str(r.month), r.area, r.indicator): int(r.count) for r in ind.counts.itertuples()}
    assert got == want_counts
    kind = {
        "cannot read month": "month",
        "blank area": "area",
        "count ": "count",
        "duplicate of": "duplicate",
    }
    got_rejects = [(r.line, next(v for k, v in kind.items() if k in r.reason)) for r in ind.rejects]
    assert got_rejects == want_rejects
    assert ind.rows_read == 3000 == ind.rows_counted + ind.rows_rejected
    first = {}
    for r in ind.rejects:  # a duplicate names the first counted row with its key
        if r.reason.startswith("duplicate of line "):
            first[r.line] = int(r.reason.split()[3])
    rows = list(csv.reader(path.open(encoding="utf-8")))
    for line, earlier in first.items():
        assert rows[line - 1][:3] == rows[earlier - 1][:3] and earlier < line


def test_bad_indicator_map_names_its_own_flag(cli) -> None:  # type: ignore[no-untyped-def]
    """Was "Error: --map 'Measure' is not of the form ...": the user gave --indicator-map."""
    res: Run = cli("summary", SAMPLE, "--area", AREA, "--indicators", SAMPLE, "--indicator-map", "Measure")
    assert res.code == 1
    assert res.err.strip().splitlines() == [
        "Error: --indicator-map 'Measure' is not of the form name=\"Column\""
    ]


def test_a_folder_or_device_as_indicators_file_is_named_for_what_it_is(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Both were 'partner indicators file not found'."""
    import os

    for path, what in (
        (tmp_path, "the partner indicators file named is a folder: name the file itself"),
        (
            Path(os.devnull),
            "the partner indicators file is not a regular file (a pipe, FIFO or device): save it "
            "to a file and name that",
        ),
    ):
        res: Run = cli("summary", SAMPLE, "--area", AREA, "--indicators", path)
        assert res.code == 1
        assert res.err.strip().splitlines() == [f"Error: {what} ({path})"]
