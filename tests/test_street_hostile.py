"""Hostile police.uk inputs (tests/corpus/police_uk, written by its make.py; big ones made here at run time):
each gives one ``Error:`` line and exit 1, or figures checked by hand, quickly and in bounded memory.
Never a traceback, a hang, or one input's data counted twice."""

from __future__ import annotations

import json
import mmap
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from csp_assess.errors import InputError, LayoutError
from csp_assess.load import expand_paths, load_extract, police_uk, street_scan
from csp_assess.load.police_uk import read_police_uk_csv, read_police_uk_zip

CORPUS = Path(__file__).resolve().parent / "corpus" / "police_uk"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CITY_2017 = SHARED / "police_uk_city_of_london_2017_2020"


def command(*args: str | Path, timeout: float = 30, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The real command in its own process, killed (and the test failed) after ``timeout`` seconds."""
    return subprocess.run(
        [sys.executable, "-m", "csp_assess", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,  # type: ignore[arg-type]
    )


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single ``Error:`` line of a failed run (exit 1, nothing on stdout, no traceback)."""
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0]


# --- zips -------------------------------------------------------------------------------------------

ZIP_ERRORS = {
    "encrypted.zip": "zip member is encrypted (password-protected)",
    "bomb.zip": "zip member would expand 294x (57,131 -> 16,777,341 bytes)",
    "zip64_size_lie.zip": "zip member declares 5,368,709,120 bytes, more than the 1,073,741,824",
    "size_lie_small.zip": "corrupt or unreadable zip file: Bad CRC-32",
}


@pytest.mark.parametrize("name", sorted(ZIP_ERRORS))
def test_hostile_zip_is_one_clean_error(name: str) -> None:
    """Refused from the header (or the CRC), before anything is decompressed beyond what it declares."""
    started = time.perf_counter()
    line = one_error(command("summary", CORPUS / name, "--no-cache"))
    assert line.startswith(f"Error: {ZIP_ERRORS[name]}")
    assert time.perf_counter() - started < 30
    # the largest child so far (an upper bound for this one)
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_500_000


def test_members_with_the_same_name_are_each_their_own_input() -> None:
    """duplicate_names.zip holds January's file, then February's, both called test-street.csv: each is read
    from its own bytes (3 rows in January, 2 in February), never the last one twice."""
    names = [i.filename for i in zipfile.ZipFile(CORPUS / "duplicate_names.zip").infolist()]
    assert names == ["test-street.csv", "test-street.csv"]
    loads = read_police_uk_zip(CORPUS / "duplicate_names.zip")
    zip_path = CORPUS / "duplicate_names.zip"
    assert [ld.source.path for ld in loads] == [
        f"{zip_path}!test-street.csv",
        f"{zip_path}!test-street.csv#2",
    ]
    assert [(str(ld.source.first_month), ld.source.rows_counted) for ld in loads] == [
        ("2021-01", 3),
        ("2021-02", 2),
    ]
    extract = load_extract([zip_path], use_cache=False, subareas=False)
    by_month = extract.counts.groupby(extract.counts["month"].astype(str))["count"].sum().to_dict()
    assert by_month == {"2021-01": 3, "2021-02": 2}


# --- folders like zips --------------------------------------------------------------------------------


def download(tmp_path: Path) -> tuple[Path, Path]:
    """A download as a folder of month folders (street, stop-and-search and outcomes files) and as a zip."""
    if not CITY_2017.is_dir():
        pytest.skip(f"{CITY_2017} not available (../shared is beside the repo in CI)")
    folder = tmp_path / "download"
    for f in sorted(CITY_2017.glob("police_uk_2018-0[1-6]-*.csv")):
        month = f.name[10:17]
        (folder / month).mkdir(parents=True, exist_ok=True)
        (folder / month / f.name[10:]).write_bytes(f.read_bytes())
    (folder / "2018-01" / "2018-01-city-of-london-outcomes.csv").write_bytes(
        (CORPUS / "2021-01-test-outcomes.csv").read_bytes()
    )
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*.csv")):
            zf.write(f, str(f.relative_to(folder)))
    return folder, z


def test_folder_gives_the_zips_figures_and_names_what_it_skipped(tmp_path: Path) -> None:
    folder, z = download(tmp_path)
    from_folder = load_extract([folder], use_cache=False)
    from_zip = load_extract([z], use_cache=False)
    a, b = from_folder.counts, from_zip.counts
    assert a.equals(b) and int(a["count"].sum()) == from_folder.rows_counted > 1000
    assert (from_folder.rows_read, from_folder.rows_rejected) == (from_zip.rows_read, from_zip.rows_rejected)
    # 6 street files read, 7 other files skipped (6 stop-and-search, 1 outcomes), in one warning each
    assert len(from_folder.sources) == len(from_zip.sources) == 6
    note = [w for w in from_folder.warnings if "skipped" in w]
    assert note == [
        f"{folder}: skipped 7 files that hold no street-level crimes (1 outcomes, 6 stop-and-search): "
        "2018-01-city-of-london-outcomes.csv, 2018-01-city-of-london-stop-and-search.csv, "
        "2018-02-city-of-london-stop-and-search.csv, 2018-03-city-of-london-stop-and-search.csv, "
        "2018-04-city-of-london-stop-and-search.csv and 2 more"
    ]
    assert any(
        w.startswith(f"{z}: skipped 7 files that hold no street-level crimes (1 outcomes, 6 stop-and-search)")
        for w in from_zip.warnings
    )
    # the crime total by hand: rows of the street files, less repeated Crime IDs (each file on its own)
    expected = 0
    for f in sorted(folder.rglob("*-street.csv")):
        seen: set[str] = set()
        for line in f.read_text(encoding="utf-8").splitlines()[1:]:
            cid = line.split(",", 1)[0]
            if cid and cid in seen:
                continue
            seen.add(cid)
            expected += 1
    assert from_folder.rows_counted == expected


@pytest.mark.parametrize("name", ["2021-01-test-stop-and-search.csv", "2021-01-test-outcomes.csv"])
def test_a_stop_and_search_or_outcomes_file_alone_says_what_it_is(name: str, tmp_path: Path) -> None:
    """Never the advice to name an offence column with --map; with --map it is still not offences."""
    kind = "stop-and-search" if "stop" in name else "outcomes"
    for extra in ([], ["--map", "minor=Object of search"]):
        line = one_error(command("rank", CORPUS / name, *extra))
        assert "--map" not in line
        assert f"skipped 1 files that hold no street-level crimes (1 {kind})" in line
    # renamed, it is recognised by its header
    renamed = tmp_path / "searches.csv"
    renamed.write_bytes((CORPUS / name).read_bytes())
    assert f"(1 {kind})" in one_error(command("rank", renamed))


# --- files that are not what they say ----------------------------------------------------------------


def test_nul_byte_is_refused_naming_its_line() -> None:
    path = CORPUS / "nul_byte-street.csv"
    for fast in (True, False):
        with pytest.raises(InputError) as exc:
            read_police_uk_csv(path, path.name, fast=fast)
        assert str(exc.value) == (
            "NUL byte: not a text CSV (a binary, UTF-16 or sparse file): export it again (nul_byte-street.csv:3)"
        )


def test_5_gb_sparse_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A header and then 5 GB of holes: refused at the first NUL, in seconds, in little memory; the same
    file with no header at all is refused from its first bytes."""
    for header in (b"", (CORPUS / "jan-street.csv").read_bytes().split(b"\n")[0] + b"\n"):
        path = tmp_path / "big-street.csv"
        with open(path, "wb") as fh:
            fh.write(header)
            fh.truncate(5 << 30)
        started = time.perf_counter()
        line = one_error(command("rank", path, "--no-cache"))
        assert time.perf_counter() - started < 30
        assert "NUL byte" in line or "looks binary" in line
        assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_500_000
        path.unlink()


def test_fifo_and_process_substitution_are_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "street.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        expand_paths([fifo])
    assert "not a regular file (a pipe, FIFO or device)" in one_error(command("rank", fifo, timeout=30))
    with pytest.raises(InputError, match="not a regular file"):  # a FIFO inside a folder too
        expand_paths([tmp_path])
    # <(cat file): a pipe with a writer, named /dev/fd/N
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m csp_assess rank <(cat "{CORPUS / "jan-street.csv"}")'],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "not a regular file" in one_error(done)


def test_file_truncated_under_the_scanner_is_an_error_not_sigbus(tmp_path: Path) -> None:
    """The scanner reads a mapping of the file; pages past a new, shorter end raise SIGBUS, which it turns
    into a reason. Done deterministically: map, truncate, then scan the mapping."""
    scanner = pytest.importorskip("csp_assess.load._csvscan")
    data = (CORPUS / "jan-street.csv").read_bytes()
    path = tmp_path / "street.csv"
    path.write_bytes(data + data.split(b"\n", 1)[1] * 4000)  # ~1 MB: many pages
    head = path.read_bytes()[:65536]
    start = head.index(b"\n") + 1
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        os.truncate(path, 8192)  # a page boundary: the pages after it are gone, not zero-filled
        assert scanner.street(mm, start, 12, (0, 1, 3, 7, 8, 9)) == street_scan.CHANGED
    # and the process carries on: the next scan of a whole file works
    path.write_bytes(data)
    assert read_police_uk_csv(path, "street.csv").source.rows_counted == 3


def test_a_change_seen_by_the_scanner_is_one_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "street.csv"
    path.write_bytes((CORPUS / "jan-street.csv").read_bytes())
    monkeypatch.setattr(street_scan, "scan", lambda *_args: street_scan.CHANGED)
    with pytest.raises(InputError, match="the file changed while it was read"):
        read_police_uk_csv(path, "street.csv")


def test_unreadable_month_folder_is_named_not_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """(Run as root, permissions do not bite: the listing is made to fail as it would for a user.)"""
    good, bad = tmp_path / "2021-01", tmp_path / "2021-02"
    good.mkdir()
    bad.mkdir()
    (good / "2021-01-test-street.csv").write_bytes((CORPUS / "jan-street.csv").read_bytes())
    (bad / "2021-02-test-street.csv").write_bytes((CORPUS / "feb-street.csv").read_bytes())
    real = os.scandir

    def scandir(path: object = ".") -> object:
        if str(path) == str(bad):
            raise PermissionError(13, "Permission denied", str(bad))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InputError) as exc:
        expand_paths([tmp_path])
    assert str(exc.value) == (
        "cannot read folder: Permission denied (its files would be left out): fix its permissions or move it "
        f"out of the extract ({bad})"
    )


def test_validate_on_10000_tiny_files_is_fast(tmp_path: Path) -> None:
    """Each file read on its own, the weight tables asked once: ~1 ms a file, not ~6."""
    header = (CORPUS / "jan-street.csv").read_bytes().split(b"\n")[0].decode()
    for i in range(10_000):
        y, m = 1900 + (i // 12) % 200, i % 12 + 1  # months from 1900 on (years past 2100 are refused)
        row = f"id{i},{y}-{m:02d},Test Police,Test Police,0,0,X,E01000001,Dover 001A,Burglary,,"
        (tmp_path / f"{y}-{m:02d}-{i}-street.csv").write_text(f"{header}\n{row}\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = command("validate", tmp_path, "--format", "json", timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr[-500:]
    files = json.loads(done.stdout)["files"]
    assert len(files) == 10_000 and sum(f["rows_counted"] for f in files) == 10_000
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 30, f"validate took {cpu:.1f} CPU seconds"  # ~8 s now; ~55 s before


def test_police_uk_module_reads_only_regular_files(tmp_path: Path) -> None:
    fifo = tmp_path / "f-street.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        police_uk.read_police_uk_csv(fifo, str(fifo))
    with pytest.raises(LayoutError, match="stop-and-search file, not street-level crimes"):
        read_police_uk_csv(CORPUS / "2021-01-test-stop-and-search.csv", "sas.csv")
