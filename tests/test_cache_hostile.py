"""The cache never serves stale or damaged counts: a same-size edit with the mtime put back, a file
replaced while it is read, one flipped bit in an entry. Expected counts come from the csv module."""

from __future__ import annotations

import csv
import importlib
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from csp_assess.load import cache, load_extract

load = importlib.import_module("csp_assess.load")  # the package (csp_assess.load is the API's function)

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context"
)
TYPES = ["Other theft", "Burglary", "Drugs", "Robbery", "Shoplifting", "Public order"]
ROWS = 26_000  # about 4.3 MB: above the size from which a plain CSV is cached


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("CSP_ASSESS_CACHE_DIR", str(d))
    return d


def street_lines(rows: int = ROWS, first_type: str = "Other theft") -> list[str]:
    lines = [HEADER]
    for i in range(rows):
        kind = first_type if i == 0 else TYPES[i % len(TYPES)]
        lines.append(
            f"{i:064x},2021-08,City of London Police,City of London Police,-0.107054,51.521463,"
            f"On or near Saffron Street,E01000916,Camden 027B,{kind},Status update unavailable,"
        )
    return lines


@pytest.fixture
def street(tmp_path: Path) -> Path:
    path = tmp_path / "input" / "2021-08-city-of-london-street.csv"
    path.parent.mkdir()
    path.write_text("\n".join(street_lines()) + "\n", encoding="utf-8")
    assert path.stat().st_size >= 4_000_000
    return path


def by_type(path: Path) -> dict[str, int]:
    """Offences per crime type, counted by the csv module (the independent reference)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return dict(Counter(row["Crime type"] for row in csv.DictReader(fh)))


def loaded_by_type(path: Path) -> tuple[dict[str, int], list[str]]:
    extract = load_extract([path])
    counts = extract.counts.groupby("minor")["count"].sum()
    return {str(k): int(v) for k, v in counts.items()}, extract.warnings


def test_same_size_edit_with_mtime_restored_is_read_again(cache_home: Path, street: Path) -> None:
    first, _ = loaded_by_type(street)
    assert first == by_type(street)
    assert list(cache_home.glob("*.json"))
    before = street.stat()
    data = street.read_bytes()
    middle = data.index(b"Other theft", len(data) // 2)  # far from the first and last 64 KiB
    street.write_bytes(data[:middle] + b"Other crime" + data[middle + len(b"Other theft") :])
    os.utime(street, ns=(before.st_atime_ns, before.st_mtime_ns))  # as cp -p / rsync -t leave it
    assert street.stat().st_size == before.st_size and street.stat().st_mtime_ns == before.st_mtime_ns
    second, _ = loaded_by_type(street)
    assert second == by_type(street)
    assert second["Other crime"] == 1
    assert second["Other theft"] == first["Other theft"] - 1


@pytest.mark.parametrize("damage", ["parquet-bit", "json-digit", "json-reconciliation"])
def test_damaged_entry_is_discarded_and_the_file_reread(cache_home: Path, street: Path, damage: str) -> None:
    expected = by_type(street)
    assert loaded_by_type(street)[0] == expected
    (meta_path,) = cache_home.glob("*.json")
    parquet = meta_path.with_suffix(".parquet")
    if damage == "parquet-bit":
        raw = bytearray(parquet.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        parquet.write_bytes(bytes(raw))
    elif damage == "json-digit":  # still valid JSON, one figure changed: only a checksum can tell
        text = meta_path.read_text()
        at = text.index('"offences":') + len('"offences":')
        digit = text[at]
        meta_path.write_text(text[:at] + str((int(digit) + 1) % 10) + text[at + 1 :])
    else:  # the checksum recomputed too (a bug, not bit rot): the reconciliation still fails
        meta = json.loads(meta_path.read_text())
        meta["loads"][0]["source"]["rows_read"] += 1
        meta["checksum"] = cache._meta_checksum(meta)
        meta_path.write_text(json.dumps(meta))
    got, warnings = loaded_by_type(street)
    assert got == expected
    (warning,) = [w for w in warnings if "cache entry was corrupt" in w]
    assert warning.startswith(str(street))
    assert "re-read" in warning
    # the entry was replaced by a good one: the next run is a clean hit, with no warning
    again, warnings = loaded_by_type(street)
    assert again == expected and not any("corrupt" in w for w in warnings)


def test_file_replaced_while_read_is_not_cached(
    cache_home: Path, street: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = by_type(street)
    real_load_file = load.load_file
    replacement = street.with_name("new.tmp")
    replacement.write_text("\n".join(street_lines(first_type="Other crime")) + "\n", encoding="utf-8")
    assert replacement.stat().st_size == street.stat().st_size

    def load_then_replace(path: Path, mapping: dict[str, str] | None = None, subareas: bool = True) -> list:  # type: ignore[type-arg]
        loads = real_load_file(path, mapping, subareas)
        os.replace(replacement, street)  # a download finishing while the file is read
        return loads

    monkeypatch.setattr(load, "load_file", load_then_replace)
    _, warnings = loaded_by_type(street)
    assert any("changed while it was read" in w for w in warnings)
    assert not list(cache_home.glob("*.json"))  # neither the old nor the new identity holds old counts
    monkeypatch.setattr(load, "load_file", real_load_file)
    got, _ = loaded_by_type(street)
    assert got == by_type(street)  # the new file's counts, not the old ones
    assert (got["Other crime"], got["Other theft"]) == (1, old["Other theft"] - 1)


def test_fifo_is_never_opened_by_the_cache(tmp_path: Path) -> None:
    """Taking a FIFO's identity would block forever on open: it is simply not cacheable."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert cache.identity(fifo) is None
    assert cache.has_entry(fifo) is False


def test_cache_clear_in_a_user_folder_deletes_only_cache_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], street: Path
) -> None:
    """CSP_ASSESS_CACHE_DIR pointed at a project folder: ``cache clear`` used to delete every .json and
    .parquet file in it (the analyst's extract and outputs); now only the cache's own entries go."""
    from tests.clirun import run

    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("CSP_ASSESS_CACHE_DIR", str(project))
    theirs = {
        "extract.parquet": b"PAR1 the analyst's extract PAR1",
        "results.json": b'{"mine": true}',
        "notes.tmp": b"draft",
        "a" * 40 + ".json.bak": b"backup",
    }
    for name, data in theirs.items():
        (project / name).write_bytes(data)
    load_extract([street])  # caches the street file: one entry (.json + .parquet)
    ours = sorted(p.name for p in project.iterdir() if p.name not in theirs)
    assert len(ours) == 2 and {Path(n).suffix for n in ours} == {".json", ".parquet"}
    (project / (ours[0] + ".x1y2.tmp")).write_bytes(b"interrupted write")  # the cache's own leftover

    assert (
        run(capsys, "cache", "info")[1]
        .splitlines()[1]
        .startswith("1 cached input file(s) in 3 cache file(s)")
    )
    code, out, _ = run(capsys, "cache", "clear")
    assert code == 0 and out.startswith("Removed 3 cached file(s)")
    assert {p.name: p.read_bytes() for p in project.iterdir()} == theirs
