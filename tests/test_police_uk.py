"""data.police.uk street-level loader: values checked against counts made independently with ``csv``."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.police_uk import (
    NO_LOCATION,
    POLICE_UK_COLUMNS,
    area_of_lsoa,
    is_police_uk_header,
    read_police_uk_csv,
    read_police_uk_files,
    read_police_uk_zip,
)
from csp_assess.model import ASB_MAJOR

FIXTURES = Path(__file__).parent / "fixtures" / "police_uk"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CITY = sorted(SHARED.glob("police_uk_*-city-of-london-street.csv"))
needs_city = pytest.mark.skipif(len(CITY) != 13, reason="shared/data police.uk files not present")


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def counted_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The documented rule, done by hand: a repeated non-blank Crime ID counts once (its first row)."""
    seen: set[str] = set()
    out = []
    for r in rows:
        cid = r["Crime ID"]
        if cid:
            if cid in seen:
                continue
            seen.add(cid)
        out.append(r)
    return out


def table(load) -> dict[tuple[str, str, str], int]:
    """Counts per (area, month, type), summed over the LSOAs (subareas) of each area."""
    c = load.counts
    out: Counter[tuple[str, str, str]] = Counter()
    for a, m, t, n in zip(c["area"], c["month"], c["major"], c["count"], strict=True):
        out[(a, str(m), t)] += int(n)
    return dict(out)


# --- real files --------------------------------------------------------------------------------------


@needs_city
@pytest.mark.parametrize("path", CITY, ids=[p.name[10:17] for p in CITY])
def test_counts_per_month_and_type_equal_csv_count(path: Path) -> None:
    rows = csv_rows(path)
    kept = counted_rows(rows)
    expected = Counter((r["Month"], r["Crime type"]) for r in kept)
    load = read_police_uk_csv(path, path.name)
    got = load.counts.groupby([load.counts["month"].astype(str), "major"])["count"].sum().to_dict()
    assert got == dict(expected)
    # and per local authority
    by_area = Counter(
        (r["LSOA name"].rsplit(" ", 1)[0] if r["LSOA name"] else NO_LOCATION, r["Month"], r["Crime type"])
        for r in kept
    )
    assert table(load) == dict(by_area)
    src = load.source
    assert src.rows_read == len(rows)
    assert src.rows_counted == len(kept) == src.offences
    assert src.rows_read == src.rows_counted + src.rows_rejected
    assert src.layout == "police-uk-street" and src.scheme == "police-uk" and src.level == "lsoa"
    assert src.scope == "police-uk:City of London Police"
    assert src.encoding == "utf-8"
    month = pd.Period(rows[0]["Month"], freq="M")
    assert src.first_month == src.last_month == month
    assert src.gaps == []
    assert src.areas == sorted(src.areas) and "City of London" in src.areas
    assert set(load.counts["force"]) == {"City of London Police"}
    assert load.counts["minor"].tolist() == load.counts["major"].tolist()
    assert load.counts["count"].dtype == "int64"
    assert isinstance(load.counts["month"].dtype, pd.PeriodDtype)


@needs_city
def test_asb_kept_apart_and_no_location_counted() -> None:
    path = CITY[0]
    kept = counted_rows(csv_rows(path))
    load = read_police_uk_csv(path, path.name)
    c = load.counts
    asb = sum(1 for r in kept if r["Crime type"] == "Anti-social behaviour")
    assert asb > 0
    assert int(c.loc[c["major"] == ASB_MAJOR, "count"].sum()) == asb
    no_loc = sum(1 for r in kept if not r["LSOA name"])
    assert no_loc == 49
    assert int(c.loc[c["area"] == NO_LOCATION, "count"].sum()) == no_loc
    assert any(f"{no_loc} rows with no location" in w for w in load.warnings)


@needs_city
def test_repeated_ids_in_real_file_are_rejects_with_lines() -> None:
    path = SHARED / "police_uk_2021-08-city-of-london-street.csv"
    rows = csv_rows(path)
    first_line: dict[str, int] = {}
    repeats = []
    for i, r in enumerate(rows, start=2):
        if r["Crime ID"]:
            if r["Crime ID"] in first_line:
                repeats.append((i, first_line[r["Crime ID"]]))
            else:
                first_line[r["Crime ID"]] = i
    load = read_police_uk_csv(path, path.name)
    assert len(repeats) == 12
    assert [(rj.line, rj.reason) for rj in load.rejects] == [
        (line, f"repeated Crime ID, counted once at line {first}") for line, first in repeats
    ]
    assert any("12 rows repeat an earlier Crime ID" in w for w in load.warnings)


@needs_city
def test_zip_equals_folder(tmp_path: Path) -> None:
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in CITY:
            month = p.name[10:17]
            zf.write(p, f"{month}/{p.name[10:]}")
        zf.writestr("2021-05/2021-05-city-of-london-outcomes.csv", "Crime ID,Month\n")
        zf.writestr("2021-05/2021-05-city-of-london-stop-and-search.csv", "Type,Date\n")
    from_zip = read_police_uk_zip(z)
    from_folder = read_police_uk_files(CITY)
    assert len(from_zip) == len(from_folder) == 13
    for a, b in zip(from_zip, from_folder, strict=True):
        pd.testing.assert_frame_equal(a.counts, b.counts)
        assert a.source.rows_read == b.source.rows_read
        assert a.source.rows_rejected == b.source.rows_rejected
        assert a.source.path.startswith(f"{z}!")
    assert (
        f"{z}: skipped 2 files that hold no street-level crimes (1 outcomes, 1 stop-and-search): "
        in (from_zip[0].warnings[-1])
    )


@needs_city
def test_parallel_reader_equals_serial() -> None:
    serial = [read_police_uk_csv(p, str(p)) for p in CITY[:4]]
    parallel = read_police_uk_files(CITY[:4], workers=2)
    for a, b in zip(serial, parallel, strict=True):
        pd.testing.assert_frame_equal(a.counts, b.counts)
        assert a.source == b.source and a.rejects == b.rejects and a.warnings == b.warnings


# --- hand-made fixtures ------------------------------------------------------------------------------


def test_repeated_id_rule_on_hand_known_fixture() -> None:
    path = FIXTURES / "repeated_ids.csv"
    load = read_police_uk_csv(path, "repeated_ids.csv")
    assert table(load) == {
        ("Barking and Dagenham", "2021-05", "Burglary"): 1,  # line 2; line 3 repeats it (other place)
        ("Barking and Dagenham", "2021-05", ASB_MAJOR): 2,  # blank IDs: identical rows count one each
        (NO_LOCATION, "2021-05", "Vehicle crime"): 1,  # line 6; line 7 repeats it
        ("Havering", "2021-05", "Robbery"): 1,  # line 11: ccc's row at line 8 was rejected, so this is first
        ("Havering", "2021-05", "Drugs"): 1,  # line 13; line 12 repeats aaa with another type: not counted
    }
    src = load.source
    assert (src.rows_read, src.rows_counted, src.rows_rejected) == (12, 6, 6)
    assert [(r.line, r.reason) for r in load.rejects] == [
        (3, "repeated Crime ID, counted once at line 2"),
        (7, "repeated Crime ID, counted once at line 6"),
        (8, "blank Month"),
        (9, "unparseable Month '2021-13'"),
        (10, "blank Crime type"),
        (12, "repeated Crime ID, counted once at line 2"),
    ]
    assert all(r.file == "repeated_ids.csv" for r in load.rejects)
    assert "repeated_ids.csv: 3 rows repeat an earlier Crime ID and were counted once (first row kept)" in (
        load.warnings
    )
    assert any("1 rows with no location" in w for w in load.warnings)
    assert src.scope == "police-uk:Test Police"
    assert src.areas == ["Barking and Dagenham", "Havering", NO_LOCATION]


def test_quoted_fields_and_multiline_values_keep_exact_line_numbers() -> None:
    load = read_police_uk_csv(FIXTURES / "quoted.csv", "quoted.csv")
    assert table(load) == {
        ("Barking and Dagenham", "2021-06", "Burglary"): 1,
        ("Barking and Dagenham", "2021-06", "Other theft"): 1,
        ("Barking and Dagenham", "2021-06", "Drugs"): 1,
    }
    assert [(r.line, r.reason) for r in load.rejects] == [(6, "blank Month")]
    assert load.source.rows_read == 4


def test_bytes_and_file_object_sources_equal_path() -> None:
    path = FIXTURES / "repeated_ids.csv"
    data = path.read_bytes()
    a = read_police_uk_csv(path, "x")
    b = read_police_uk_csv(data, "x")
    c = read_police_uk_csv(io.BytesIO(data), "x")
    for other in (b, c):
        pd.testing.assert_frame_equal(a.counts, other.counts)
        assert a.source == other.source and a.rejects == other.rejects


def test_encodings_detected(tmp_path: Path) -> None:
    text = (FIXTURES / "repeated_ids.csv").read_text(encoding="utf-8")
    text = text.replace("Test Police", "Test Police Café")
    sig = tmp_path / "sig.csv"
    sig.write_bytes(text.encode("utf-8-sig"))
    win = tmp_path / "win.csv"
    win.write_bytes(text.encode("cp1252"))
    plain = read_police_uk_csv(FIXTURES / "repeated_ids.csv", "plain")
    for path, enc in ((sig, "utf-8-sig"), (win, "cp1252")):
        load = read_police_uk_csv(path, path.name)
        assert load.source.encoding == enc
        assert load.source.scope == "police-uk:Test Police Café"
        assert load.counts["count"].tolist() == plain.counts["count"].tolist()
    assert any("cp1252" in w for w in read_police_uk_csv(win, "win").warnings)


def test_several_forces_in_one_file_warn(tmp_path: Path) -> None:
    lines = (FIXTURES / "repeated_ids.csv").read_text().splitlines()
    lines[-1] = lines[-1].replace("Test Police,Test Police", "Other Police,Other Police")
    p = tmp_path / "two.csv"
    p.write_text("\n".join(lines) + "\n")
    load = read_police_uk_csv(p, "two.csv")
    assert load.source.scope == "police-uk:Test Police"
    assert set(load.counts["force"]) == {"Test Police", "Other Police"}
    assert any("2 forces" in w for w in load.warnings)


def test_header_detection_and_layout_error(tmp_path: Path) -> None:
    assert is_police_uk_header(POLICE_UK_COLUMNS)
    assert is_police_uk_header(["\ufeffCrime ID", *POLICE_UK_COLUMNS[1:-1]])  # BOM, no Context column
    assert not is_police_uk_header(["MajorText", "MinorText", "BoroughName", "202101"])
    bad = tmp_path / "bad.csv"
    bad.write_text("MajorText,MinorText,BoroughName,202101\nA,B,C,1\n")
    with pytest.raises(LayoutError, match="not a data.police.uk street-level file"):
        read_police_uk_csv(bad, "bad.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_police_uk_csv(empty, "empty.csv")


def test_area_of_lsoa() -> None:
    assert area_of_lsoa("Barking and Dagenham 001A") == "Barking and Dagenham"
    assert area_of_lsoa("City of London 001F") == "City of London"
    assert area_of_lsoa("Somewhere") == "Somewhere"


def test_corrupt_zip_raises_input_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip file at all")
    with pytest.raises(InputError) as err:
        read_police_uk_zip(junk)
    assert str(junk) in str(err.value) and "\n" not in str(err.value)
    # a real zip, truncated
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "repeated_ids.csv", "2021-05/2021-05-test-street.csv")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(InputError, match="zip"):
        read_police_uk_zip(cut)
    # a member whose bytes were damaged fails its CRC
    raw = bytearray(good.read_bytes())
    raw[60] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(InputError):
        read_police_uk_zip(damaged)


def test_blank_lines_and_malformed_rows_keep_line_numbers() -> None:
    lines = (FIXTURES / "repeated_ids.csv").read_text().splitlines()
    lines.insert(3, "")  # a blank line 4: skipped, not a row
    lines.insert(5, "zzz,2021-05,too,few")  # line 6: 4 fields
    data = ("\n".join(lines) + "\n").encode()
    load = read_police_uk_csv(data, "x.csv")
    assert (load.source.rows_read, load.source.rows_counted, load.source.rows_rejected) == (13, 6, 7)
    assert [(r.line, r.reason) for r in load.rejects] == [
        (3, "repeated Crime ID, counted once at line 2"),
        (6, "malformed row: 4 fields, expected 12"),
        (9, "repeated Crime ID, counted once at line 8"),
        (10, "blank Month"),
        (11, "unparseable Month '2021-13'"),
        (12, "blank Crime type"),
        (14, "repeated Crime ID, counted once at line 2"),
    ]
    assert "x.csv: 1 malformed rows skipped" in load.warnings


def test_undecodable_bytes_raise_input_error(tmp_path: Path) -> None:
    data = (FIXTURES / "repeated_ids.csv").read_bytes().replace(b"Test Police", b"Test \x81\xff Police")
    p = tmp_path / "bad-bytes.csv"
    p.write_bytes(data)
    with pytest.raises(InputError, match="cannot decode"):
        read_police_uk_csv(p, "bad-bytes.csv")


def test_header_only_file_counts_nothing_and_says_so() -> None:
    header = (FIXTURES / "repeated_ids.csv").read_bytes().split(b"\n")[0] + b"\n"
    load = read_police_uk_csv(header, "header-only.csv")
    assert load.counts.empty
    assert list(load.counts.columns) == ["area", "month", "major", "minor", "count", "subarea", "force"]
    assert (load.source.rows_read, load.source.first_month) == (0, None)
    assert any("no rows counted" in w for w in load.warnings)


CITY_2017 = SHARED / "police_uk_city_of_london_2017_2020"


@pytest.mark.skipif(not CITY_2017.is_dir(), reason="shared/data City 2017-2020 folder not present")
def test_trend_places_are_lsoas_counted_like_the_csv_module(cli) -> None:  # type: ignore[no-untyped-def]
    """Places survive loading, caching and combining: ``trend``'s top LSOAs for 2019/20 equal a count made
    with the csv module (crimes only, a repeated Crime ID once per file, subarea = 'name (code)')."""
    import json

    expected: Counter[str] = Counter()
    for path in sorted(CITY_2017.glob("*-street.csv")):
        month = path.name[10:17]
        if not "2019-04" <= month <= "2020-03":
            continue
        for r in counted_rows(csv_rows(path)):
            if r["Crime type"] != ASB_MAJOR and r["LSOA name"].startswith("City of London "):
                expected[f"{r['LSOA name']} ({r['LSOA code']})"] += 1
    run = cli("trend", CITY_2017, "--area", "City of London", "--year", "2019/20", "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["subarea_level"] == "lsoa"
    top = {r["category"]: r["count"] for r in doc["top_subareas"]}
    assert top and all(top[k] == expected[k] for k in top)
    assert list(top) == [k for k, _ in sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))][: len(top)]
    assert top["City of London 001F (E01032739)"] == 5666
