"""The counts cache: a hit equals a fresh read; a changed file, a new loader or a corrupt entry misses."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from csp_assess.load import cache
from csp_assess.load.police_uk import read_police_uk_csv, read_police_uk_zip
from csp_assess.model import FileLoad

FIXTURES = Path(__file__).parent / "fixtures" / "police_uk"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("CSP_ASSESS_CACHE_DIR", str(d))
    return d


@pytest.fixture
def street(tmp_path: Path) -> Path:
    src = SHARED / "police_uk_2021-08-city-of-london-street.csv"
    if not src.exists():
        src = FIXTURES / "repeated_ids.csv"
    dst = tmp_path / "input" / "2021-08-street.csv"
    dst.parent.mkdir()
    shutil.copy(src, dst)
    return dst


def assert_same(a: FileLoad, b: FileLoad) -> None:
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert a.source == b.source
    assert a.rejects == b.rejects
    assert a.warnings == b.warnings


def test_round_trip_equals_fresh_read(cache_home: Path, street: Path) -> None:
    fresh = read_police_uk_csv(street, str(street))
    assert cache.get(street) is None
    assert cache.put(street, fresh)
    hit = cache.get(street)
    assert hit is not None
    assert_same(hit, fresh)
    assert hit.rejects  # the real file has repeated IDs: the rejects survive the round trip
    # stored outside the input folder, as parquet + json, with no temporary files left behind
    names = sorted(p.suffix for p in cache_home.iterdir())
    assert names == [".json", ".parquet"]
    assert not any(p.name.endswith(".tmp") for p in street.parent.iterdir())
    assert list(street.parent.iterdir()) == [street]


def test_changed_mtime_or_loader_version_misses(cache_home: Path, street: Path) -> None:
    cache.put(street, read_police_uk_csv(street, str(street)))
    assert cache.get(street) is not None
    assert cache.get(street, version="some-other-loader") is None
    st = street.stat()
    os.utime(street, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert cache.get(street) is None


def test_grown_file_with_same_mtime_misses(cache_home: Path, street: Path) -> None:
    # The key is (path, size, mtime_ns, version): an edit that grows the file misses.
    cache.put(street, read_police_uk_csv(street, str(street)))
    st = street.stat()
    with open(street, "ab") as fh:
        fh.write(b"\n")
    os.utime(street, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.get(street) is None


@pytest.mark.parametrize("which", [".json", ".parquet"])
@pytest.mark.parametrize("damage", [b"", b"garbage", b'{"format": 1}'])
def test_corrupt_entry_is_ignored_and_rewritten(
    cache_home: Path, street: Path, which: str, damage: bytes
) -> None:
    fresh = read_police_uk_csv(street, str(street))
    cache.put(street, fresh)
    (entry,) = [p for p in cache_home.iterdir() if p.suffix == which]
    entry.write_bytes(damage)
    assert cache.get(street) is None  # no exception
    assert cache.put(street, fresh)
    hit = cache.get(street)
    assert hit is not None
    assert_same(hit, fresh)


def test_mismatched_pair_misses(cache_home: Path, street: Path, tmp_path: Path) -> None:
    """A valid parquet of another file beside this file's JSON fails the JSON's SHA-256 of its parquet."""
    fresh = read_police_uk_csv(street, str(street))
    cache.put(street, fresh)
    (parquet,) = cache_home.glob("*.parquet")
    other = tmp_path / "other.csv"
    shutil.copy(FIXTURES / "repeated_ids.csv", other)
    cache.put(other, read_police_uk_csv(other, str(other)))
    (other_parquet,) = [p for p in cache_home.glob("*.parquet") if p != parquet]
    parquet.write_bytes(other_parquet.read_bytes())
    assert cache.get(street) is None


def test_zip_loads_round_trip(cache_home: Path, tmp_path: Path) -> None:
    z = tmp_path / "d.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "repeated_ids.csv", "2021-05/2021-05-test-street.csv")
        zf.write(FIXTURES / "quoted.csv", "2021-06/2021-06-test-street.csv")
    loads = read_police_uk_zip(z)
    assert cache.put_all(z, loads)
    hit = cache.get_all(z)
    assert hit is not None and len(hit) == 2
    for a, b in zip(hit, loads, strict=True):
        assert_same(a, b)
    assert cache.get(z) is None  # two loads: not a one-load entry


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CSP_ASSESS_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("CSP_ASSESS_CACHE_DIR")
    assert cache.cache_dir() == tmp_path / "x" / "csp-assess"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "csp-assess"


def test_unwritable_cache_is_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, street: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    monkeypatch.setenv("CSP_ASSESS_CACHE_DIR", str(blocker / "sub"))
    assert cache.put(street, read_police_uk_csv(street, str(street))) is False
    assert cache.get(street) is None


def test_missing_file_misses(cache_home: Path, tmp_path: Path) -> None:
    assert cache.get(tmp_path / "nope.csv") is None


def test_load_extract_reads_a_zip_from_the_cache_the_second_time(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    load = importlib.import_module("csp_assess.load")  # the package (csp_assess.load is the API function)

    months = ["2021-05", "2021-06"]
    files = [SHARED / f"police_uk_{m}-city-of-london-street.csv" for m in months]
    if not all(f.exists() for f in files):
        pytest.skip("../shared/data not available")
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for m, f in zip(months, files, strict=True):
            zf.write(f, f"{m}/{m}-city-of-london-street.csv")
    first = load.load_extract([z])

    def no_reading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the zip was read again instead of taken from the cache")

    monkeypatch.setattr(load, "load_file", no_reading)
    second = load.load_extract([z])
    pd.testing.assert_frame_equal(first.counts, second.counts)
    assert second.rows_read == first.rows_read == 428 + 570
