"""Scan-ahead (load/scan_ahead.py): files scanned in the background while the command imports pandas.

What must hold: the figures are the same with and without it; it guesses from the raw command line
only what it may; a file that changes after its scan is read again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from tests.conftest import shared

from csp_assess.load import scan_ahead, street_scan

pytestmark = pytest.mark.skipif(not street_scan.available(), reason="C scanner not built (no compiler)")

CITY = "police_uk_2021-09-city-of-london-street.csv"


def big_street_file(path: Path, copies: int = 9) -> Path:
    """A street-level file over scan_ahead.MIN_BYTES: a real month (765 rows, 12 of them repeating an
    earlier Crime ID) copied ``copies`` times, each copy's IDs renamed consistently, so the repeats
    within a copy stay and none cross copies. Blank IDs (ASB rows) stay blank."""
    lines = shared(CITY).read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    out = [header]
    for k in range(copies):
        for row in rows:
            crime_id, rest = row.split(",", 1)
            if crime_id:
                crime_id = hashlib.sha256(f"{k}-{crime_id}".encode()).hexdigest()
            out.append(f"{crime_id},{rest}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    assert path.stat().st_size >= scan_ahead.MIN_BYTES
    return path


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    folder = tmp_path / "street"
    folder.mkdir()
    big_street_file(folder / "2021-09-city-of-london-street.csv")
    return folder


def record_takes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the loader then takes from the scan-ahead (a list that fills as it does)."""
    taken: list[str] = []
    real_take = scan_ahead.take

    def spy(path: str) -> street_scan.RawScan | None:
        got = real_take(path)
        if got is not None:
            taken.append(path)
        return got

    monkeypatch.setattr(scan_ahead, "take", spy)
    return taken


def test_rank_output_is_the_same_with_and_without_scan_ahead(
    cli, extract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same bytes out, whether the loader takes the background scans or scans each file itself."""
    args = ("rank", extract, "--area", "City of London", "--year", "2021/22", "--format", "csv", "--no-cache")
    taken = record_takes(monkeypatch)
    with_ahead = cli(*args)
    assert taken == [str(extract / "2021-09-city-of-london-street.csv")]

    monkeypatch.setattr(scan_ahead, "start", lambda *a, **k: None)
    without = cli(*args)
    assert with_ahead.code == without.code == 0
    assert with_ahead.out == without.out
    # 9 copies of 765 rows, 12 repeats each (test_streetscan checks the 12 on the real file)
    assert "Read 6,885 rows from 1 file: 6,777 counted + 108 rejected" in with_ahead.err


def test_argv_guess(extract: Path, tmp_path: Path) -> None:
    """Only loading commands, never with a column mapping; existing paths only; --no-cache is honoured."""
    file = str(extract / "2021-09-city-of-london-street.csv")
    for argv in (
        ["weights", str(extract)],
        ["rank", str(extract), "--map", "month=Month"],
        ["rank", str(extract), "--map-file=m.toml"],
        ["rank", str(tmp_path / "missing")],
    ):
        scan_ahead.start_from_argv(argv)
        assert scan_ahead.take(file) is None, argv
    scan_ahead.start_from_argv(["rank", str(extract), "--no-cache"])
    got = scan_ahead.take(file)
    assert got is not None and got == street_scan.scan_path(file)
    assert scan_ahead.take(file) is None  # handed over once
    # an option's value written with '=' (compare --against=DIR) is scanned too
    other = tmp_path / "other"
    other.mkdir()
    (other / "small.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    scan_ahead.start_from_argv(["compare", str(other), f"--against={extract}", "--no-cache"])
    assert scan_ahead.take(file) == got


def test_a_file_changed_after_its_scan_is_read_again(extract: Path) -> None:
    file = extract / "2021-09-city-of-london-street.csv"
    scan_ahead.start_from_argv(["summary", str(file), "--no-cache"])
    active = scan_ahead._active
    assert active is not None
    active.slots[str(file)].done.wait(10)
    with file.open("a", encoding="utf-8") as fh:
        fh.write(",2021-09,City of London Police,City of London Police,,,,,,Burglary,,\n")
    assert scan_ahead.take(str(file)) is None


def test_the_command_starts_scanning_before_it_imports_typer_or_pandas(extract: Path) -> None:
    """``csp-assess`` (launch.console_main) starts the scan first, once, and the figures still come out."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from csp_assess.load import scan_ahead\n"
        "real = scan_ahead.start_from_argv\n"
        "def spy(argv):\n"
        "    print('start', 'typer' in sys.modules, 'pandas' in sys.modules, file=sys.stderr)\n"
        "    real(argv)\n"
        "scan_ahead.start_from_argv = spy\n"
        "from csp_assess.launch import console_main\n"
        "console_main()\n"
    )
    args = ["rank", str(extract), "--area", "City of London", "--year", "2021/22", "--format", "csv"]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args, "--no-cache", "--debug"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [ln for ln in done.stderr.splitlines() if ln.startswith("start")] == ["start False False"]
    # 765 rows a copy, 9 copies; 12 repeats a copy are not counted
    assert "Read 6,885 rows from 1 file: 6,777 counted + 108 rejected" in done.stderr
    assert done.stdout.lstrip("\ufeff").startswith("rank,")


def test_zip_members_scanned_ahead_give_the_same_output(
    cli, extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A police.uk download zip: its street members are scanned ahead (by the name the loader gives them),
    the other members are not, and the output is the same as without scan-ahead, rejects' lines included
    (a blank Month in the second member: its line is found by decompressing that member only then)."""
    import zipfile

    month = (extract / "2021-09-city-of-london-street.csv").read_text(encoding="utf-8")
    lines = month.splitlines()
    bad = lines[:5] + [",,City of London Police,City of London Police,,,,,,Burglary,,"] + lines[5:100]
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2021-09/2021-09-city-of-london-street.csv", month)
        zf.writestr("2021-09/2021-09-city-of-london-outcomes.csv", "Crime ID,Month\n")
        zf.writestr(
            "2021-10/2021-10-city-of-london-street.csv", "\n".join(bad).replace("2021-09", "2021-10") + "\n"
        )
    monkeypatch.setattr(scan_ahead, "MIN_BYTES", 0)
    args = (
        "rank",
        download,
        "--area",
        "City of London",
        "--year",
        "2021/22",
        "--format",
        "json",
        "--no-cache",
    )
    taken = record_takes(monkeypatch)
    with_ahead = cli(*args)
    listed_ahead = cli("validate", download, "--format", "json")
    members = [f"{download}!2021-09/2021-09-city-of-london-street.csv"]
    members.append(f"{download}!2021-10/2021-10-city-of-london-street.csv")
    assert sorted(taken) == sorted(members + members)  # by rank, then by validate (threads: any order)
    monkeypatch.setattr(scan_ahead, "start", lambda *a, **k: None)
    without = cli(*args)
    listed = cli("validate", download, "--format", "json")
    assert with_ahead.code == without.code == listed_ahead.code == listed.code == 0
    assert (with_ahead.out, with_ahead.err) == (without.out, without.err)
    assert listed_ahead.out == listed.out
    rejects = json.loads(listed.out)["rejects"]
    assert {"file": members[1], "line": 6, "reason": "blank Month"} in rejects  # header, 4 rows, then it


def test_member_buffer_is_reused_and_grows_past_the_stated_size() -> None:
    """Zip members are decompressed into one buffer a thread: the second read reuses it; a member longer
    than its stated size (never from zipfile, which checks) still comes back whole."""
    import io

    first = street_scan._read_all(io.BytesIO(b"a" * 1000), 1000)
    assert bytes(first) == b"a" * 1000
    buf = street_scan._thread_buffer.buf
    second = street_scan._read_all(io.BytesIO(b"b" * 900), 900)
    assert bytes(second) == b"b" * 900 and street_scan._thread_buffer.buf is buf
    data = bytes(range(256)) * 12_000  # 3 MB, in three 1 MB chunks
    assert bytes(street_scan._read_all(io.BytesIO(data), 10)) == data
