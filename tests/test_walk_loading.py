"""Defects found walking the loaders as a tired analyst would: a header row pasted into the middle of a Met
file, a folder and its zip given together, an Excel-resaved police.uk file, areas that differ only in case.
Every expected figure is worked out by hand from the tiny files written here, never from a previous run."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.conftest import Run

import csp_assess as ca
from csp_assess.load import load_extract

MET_HEADER = "MajorText,MinorText,LookUp_BoroughName,202104,202105\n"
STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context\n"
)


def _street_row(crime_id: str, month: str, lsoa: str, crime_type: str) -> str:
    code = "E01000001" if lsoa else ""
    where = "-0.1,51.5,On or near X" if lsoa else ",,No location"
    return f"{crime_id},{month},Test Police,Test Police,{where},{code},{lsoa},{crime_type},,\n"


def test_a_header_row_pasted_into_a_met_file_is_rejected_not_counted(tmp_path: Path) -> None:
    """Before: the repeated header was counted as area 'LookUp_BoroughName' with 202,104 + 202,105
    offences. After: rejected by line; only the two data rows count."""
    path = tmp_path / "pasted.csv"
    path.write_text(
        MET_HEADER
        + "Burglary,Domestic Burglary,Camden,1,2\n"
        + MET_HEADER  # line 3: a second copy pasted below the first
        + "Theft,Shoplifting,Camden,3,4\n",
        encoding="utf-8",
    )
    ex = load_extract([path], use_cache=False)
    assert ex.areas == ["Camden"]
    assert int(ex.counts["count"].sum()) == 1 + 2 + 3 + 4
    assert (ex.rows_read, ex.rows_counted, ex.rows_rejected) == (3, 2, 1)
    assert [(r.line, r.reason) for r in ex.rejects] == [
        (3, "a repeated header row (files pasted together?): not counted")
    ]


def _street_folder(root: Path) -> Path:
    """Four monthly files, each 2 crimes in Testham 001A, 1 crime with no location and 1 ASB incident."""
    folder = root / "download"
    for month in ("2021-04", "2021-05", "2021-06", "2021-07"):
        (folder / month).mkdir(parents=True)
        (folder / month / f"{month}-test-street.csv").write_text(
            STREET_HEADER
            + _street_row(f"a{month}", month, "Testham 001A", "Burglary")
            + _street_row(f"b{month}", month, "Testham 001A", "Shoplifting")
            + _street_row(f"c{month}", month, "", "Robbery")
            + _street_row("", month, "Testham 001A", "Anti-social behaviour"),
            encoding="utf-8",
        )
    return folder


def _zip_of(folder: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(folder.rglob("*.csv")):
            zf.write(f, f.relative_to(folder).as_posix())
    return path


def test_a_folder_and_its_zip_together_count_once_and_say_so_once(tmp_path: Path) -> None:
    """Before: 4 'taken from the newer snapshot' lines, one a file, and 'No location' warned as 8 rows
    (each file's note counted, though the folder's files supply nothing). After: one line about the
    repeated files, and the 4 no-location rows that are in the figures."""
    folder = _street_folder(tmp_path)
    zipped = _zip_of(folder, tmp_path / "download.zip")
    ex = load_extract([folder, zipped], use_cache=False)
    assert ex.rows_read == 2 * 4 * 4
    crimes = ex.counts[ex.counts["minor"] != "Anti-social behaviour"]
    assert int(crimes["count"].sum()) == 4 * 3  # 3 crimes a month, once
    assert int(crimes[crimes["area"] == "No location"]["count"].sum()) == 4
    no_location = [w for w in ex.warnings if "no location" in w]
    assert no_location == ["4 files: 4 rows with no location counted under area 'No location' (in total)"]
    snapshot = [w for w in ex.warnings if "snapshot" in w or "exactly the months" in w]
    assert len(snapshot) == 1
    assert snapshot[0].startswith("4 files hold exactly the months of another file given")


def test_met_snapshots_still_say_which_file_supplied_which_months(tmp_path: Path) -> None:
    """Overlapping Met snapshots (not repeats) keep one line a file: 202104 is taken from the newer one."""
    old = tmp_path / "old.csv"
    old.write_text("MajorText,MinorText,LookUp_BoroughName,202103,202104\nTheft,Shoplifting,Camden,5,6\n")
    new = tmp_path / "new.csv"
    new.write_text("MajorText,MinorText,LookUp_BoroughName,202104,202105\nTheft,Shoplifting,Camden,7,8\n")
    ex = load_extract([old, new], use_cache=False)
    assert int(ex.counts["count"].sum()) == 5 + 7 + 8
    assert [w for w in ex.warnings if "snapshot" in w] == [
        f"{old}: 1 month(s) Apr 2021–Apr 2021 taken from the newer snapshot {new} instead"
    ]


def test_folder_source_line_says_wholly_superseded(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Before: 'months used from 0, 4 superseded in part' for a folder none of whose months was used."""
    folder = _street_folder(tmp_path)
    zipped = _zip_of(folder, tmp_path / "download.zip")
    res: Run = cli("summary", folder, zipped, "--area", "Testham", "--year", "2021/22")
    assert res.code == 0, res.err
    assert "months used from 0, 4 wholly superseded" in " ".join(res.out.split())


def _excel_resaved(folder: Path) -> Path:
    """A police.uk file as Excel re-saves it: Month '2021-05' shown and saved as 'May-21', CRLF."""
    path = folder / "2021-05-test-street.csv"
    rows = (
        _street_row("a", "May-21", "Testham 001A", "Burglary")
        + _street_row("b", "May-21", "Testham 001A", "Burglary")
        + _street_row("c", "May-21", "", "Shoplifting")
    )
    path.write_bytes((STREET_HEADER + rows).replace("\n", "\r\n").encode("cp1252"))
    return path


def test_an_excel_resaved_street_file_is_read_in_its_month(tmp_path: Path) -> None:
    """Before: every row rejected ("unparseable Month 'May-21'") and the file contributed nothing.
    After: 3 crimes in May 2021 (2 burglaries in Testham, 1 shoplifting with no location), with a note."""
    path = _excel_resaved(tmp_path)
    ex = load_extract([path], use_cache=False)
    assert (ex.rows_read, ex.rows_counted, ex.rows_rejected) == (3, 3, 0)
    by = ex.counts.groupby(["area", "minor"])["count"].sum().to_dict()
    assert by == {("Testham", "Burglary"): 2, ("No location", "Shoplifting"): 1}
    assert {str(m) for m in ex.counts["month"]} == {"2021-05"}
    assert (
        f"{path}: Month written as 'May-21' (the file was re-saved by Excel): read as May 2021" in ex.warnings
    )


def test_outcomes_of_an_excel_resaved_file(tmp_path: Path) -> None:
    """Before: 'the data holds no complete financial year (no months)'. After: the 2 Testham burglaries."""
    path = _excel_resaved(tmp_path)
    res = ca.outcomes(path, area="Testham", year="2021/22")
    assert res.to_dict()["by_category"][0]["crimes"] == 2


def test_month_that_is_not_a_month_is_still_rejected(tmp_path: Path) -> None:
    """Only a month abbreviation and a year are read the Excel way: 'Foo-21' and '21-May' stay rejects."""
    path = tmp_path / "2021-05-test-street.csv"
    path.write_text(
        STREET_HEADER
        + _street_row("a", "Foo-21", "Testham 001A", "Burglary")
        + _street_row("b", "21-May", "Testham 001A", "Burglary")
        + _street_row("c", "2021-05", "Testham 001A", "Burglary"),
        encoding="utf-8",
    )
    ex = load_extract([path], use_cache=False)
    assert (ex.rows_counted, ex.rows_rejected) == (1, 2)
    assert [r.reason for r in ex.rejects] == ["unparseable Month 'Foo-21'", "unparseable Month '21-May'"]


def test_a_partner_row_pasted_twice_is_rejected_not_summed(tmp_path: Path) -> None:
    """Before: a duplicated indicator row was summed (12 + 12 fires). After: the repeat is rejected by
    line; rows a day apart in one month still add up (2 + 3), and read = counted + rejected."""
    path = tmp_path / "fires.csv"
    path.write_text(
        "month,area,indicator,count,source\n"
        "2021-04,Testham,Deliberate fires,12,FRS\n"  # line 2
        "2021-04,Testham,Deliberate fires,12,FRS\n"  # line 3: pasted twice
        "01/05/2021,Testham,Deliberate fires,2,FRS\n"
        "02/05/2021,Testham,Deliberate fires,3,FRS\n",
        encoding="cp1252",
    )
    ind = ca.load_indicators(path)
    assert (ind.rows_read, ind.rows_counted, ind.rows_rejected) == (4, 3, 1)
    assert [(r.line, r.reason) for r in ind.rejects] == [
        (3, "duplicate of line 2 (same month, area, indicator and source): not counted twice")
    ]
    assert {str(m): int(c) for m, c in zip(ind.counts["month"], ind.counts["count"], strict=True)} == {
        "2021-04": 12,
        "2021-05": 5,
    }
    assert ind.encoding == "utf-8"  # plain ASCII reads as UTF-8 (before: the Source line showed no encoding)


def test_areas_differing_only_in_case_are_named_in_a_warning(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Before: no word; --area 'Camden' silently gave 1 + 2 and left out CAMDEN's 3 + 4. After: a warning
    names both spellings, and naming both analyses them as one (10)."""
    path = tmp_path / "twins.csv"
    path.write_text(
        MET_HEADER + "Theft,Shoplifting,Camden,1,2\nTheft,Shoplifting,CAMDEN,3,4\n", encoding="utf-8"
    )
    ex = load_extract([path], use_cache=False)
    assert (
        "areas 'CAMDEN' and 'Camden' differ only in case or spacing: if they are one area, correct the file, "
        "or name both as the area to analyse them as one"
    ) in ex.warnings
    both = ca.summary(ex, area=["Camden", "CAMDEN"], year="2021/22")
    assert both.total == 1 + 2 + 3 + 4
    res: Run = cli("summary", path, "--area", "Camden", "--year", "2021/22")
    assert res.code == 0
    assert "differ only in case" in " ".join((res.out + res.err).split())


def test_a_zip_cut_short_or_holding_a_met_file_says_what_to_do(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Before: 'corrupt or unreadable zip file: File is not a zip file' and 'zip holds no *-street.csv
    file' with no next step. After: one line each, exit 1, saying what to do."""
    folder = _street_folder(tmp_path)
    whole = _zip_of(folder, tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    met = tmp_path / "met.zip"
    with zipfile.ZipFile(met, "w") as zf:
        zf.writestr("borough.csv", MET_HEADER + "Theft,Shoplifting,Camden,1,2\n")
    for path, says in (
        (cut, "a download cut short looks like this; download it again"),
        (met, "a .zip is read as a data.police.uk download: unzip any other extract and name its files"),
    ):
        res: Run = cli("summary", path)
        assert res.code == 1
        assert res.err.startswith("Error: ") and res.err.count("\n") == 1 and "Traceback" not in res.err
        assert says in res.err and str(path) in res.err


def test_outcomes_with_every_row_rejected_says_why(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """Before: 'the data holds no complete financial year (no months)'. After: how many rows were rejected
    and the first one's file, line and reason."""
    path = tmp_path / "2021-05-test-street.csv"
    path.write_text(
        STREET_HEADER + _street_row("a", "May 2021x", "Testham 001A", "Burglary"), encoding="utf-8"
    )
    res: Run = cli("outcomes", path, "--area", "Testham")
    assert res.code == 1 and res.err.count("\n") == 1
    assert res.err == (
        f"Error: no crimes were counted (1 of 1 rows rejected, e.g. {path}:2: Month 'May 2021x' is not YYYY-MM): "
        "run validate on the files to see each rejected row\n"
    )


def test_a_pasted_header_with_other_months_or_a_bom_is_rejected_too(tmp_path: Path) -> None:
    """The second file's header names other months, and carries the byte-order mark Excel wrote."""
    path = tmp_path / "pasted.csv"
    path.write_text(
        MET_HEADER
        + "Burglary,Domestic Burglary,Camden,1,2\n"
        + "\ufeffMajorText,MinorText,LookUp_BoroughName,202106,202107\n"
        + "Theft,Shoplifting,Camden,3,4\n",
        encoding="utf-8",
    )
    ex = load_extract([path], use_cache=False)
    assert ex.areas == ["Camden"] and int(ex.counts["count"].sum()) == 10
    assert [r.line for r in ex.rejects] == [3]


def test_met_file_with_reformatted_month_headers_says_what_to_do(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """A spreadsheet turned 202104 into 'Apr-21'. Before: no next step. After: what the columns must be."""
    path = tmp_path / "met.csv"
    path.write_text("MajorText,MinorText,LookUp_BoroughName,Apr-21,May-21\nTheft,Shoplifting,Camden,1,2\n")
    res: Run = cli("validate", path)
    assert res.code == 1
    assert (
        f"Error: column 'Apr-21' is not a month (YYYYMM) in a Met wide file: the London Datastore writes months as "
        f"202104; use the file as downloaded, or rename the month columns that way ({path})"
    ) in res.err


def test_a_month_missing_between_monthly_files_is_named(tmp_path: Path) -> None:
    """Before: April, May and July files loaded with no word that June is missing (each file alone has no
    gap). After: one warning naming June 2021."""
    folder = _street_folder(tmp_path)
    for f in (folder / "2021-06").iterdir():
        f.unlink()
    ex = load_extract([folder], use_cache=False)
    assert sorted({str(m) for m in ex.counts["month"]}) == ["2021-04", "2021-05", "2021-07"]
    assert (
        "1 month(s) inside the files' span Apr 2021–Jul 2021 are in none of them (Jun 2021): a monthly file "
        "missing? A period holding them is partial"
    ) in ex.warnings
    complete = load_extract([_street_folder(tmp_path / "all")], use_cache=False)
    assert not [w for w in complete.warnings if "in none of them" in w]


def test_cache_info_counts_cached_inputs(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Before: '2 file(s)' for one cached zip (its .json and .parquet). After: 1 cached input in 2 files.
    A zip changed after caching is read again: its figures follow the file, never the cache."""
    monkeypatch.setenv("CSP_ASSESS_CACHE_DIR", str(tmp_path / "cache"))
    zipped = _zip_of(_street_folder(tmp_path), tmp_path / "download.zip")
    assert ca.load([zipped]).rows_read == 16
    res: Run = cli("cache", "info")
    assert res.code == 0
    assert "1 cached input file(s) in 2 cache file(s)" in res.out
    with zipfile.ZipFile(zipped, "a") as zf:  # a fifth month added to the same zip
        zf.writestr(
            "2021-08/2021-08-test-street.csv",
            STREET_HEADER + _street_row("z", "2021-08", "Testham 001A", "Robbery"),
        )
    assert ca.load([zipped]).rows_read == 17


def test_met_file_with_a_total_column_says_delete_it(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "met.csv"
    path.write_text(
        "MajorText,MinorText,LookUp_BoroughName,202104,202105,Total\nTheft,Shoplifting,Camden,1,2,3\n"
    )
    res: Run = cli("summary", path)
    assert res.code == 1 and res.err.count("\n") == 1
    assert res.err.startswith(
        "Error: column 'Total' is not a month but a total, in a Met wide file: delete it"
    )


def test_reconciliation_says_which_counted_rows_are_not_in_the_figures(tmp_path: Path) -> None:
    """Folder and zip of 4 files of 4 rows each. Before: 'Read 32 rows from 8 files: 32 counted + 0
    rejected' beside figures made of 16 rows. After: the 16 rows of the 4 idle files are named."""
    folder = _street_folder(tmp_path)
    zipped = _zip_of(folder, tmp_path / "download.zip")
    s = ca.summary([folder, zipped], area="all", year="2021/22")
    assert s.total + s.to_dict()["asb_incidents"] == 16
    assert (
        "Read 32 rows from 8 files: 32 counted + 0 rejected; 16 of the rows counted are in 4 file(s) whose "
        "months all come from newer snapshots, so they are not in the figures"
    ) in s.notes
