"""The record scan-ahead: a mapped CSV named on the command line is counted in the background, and the
loader uses that count only if the file, header, delimiter and column roles are still the same."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from csp_assess.load import load_extract, record_ahead

MAPPING = {"month": "When", "minor": "What"}
ARGV_MAP = ["--map", "month=When", "--map-file"]


def _write(path: Path, rows: list[str]) -> None:
    path.write_text("When,What\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8")


@pytest.fixture(autouse=True)
def _small_files_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_ahead, "MIN_BYTES", 0)


def _argv(path: Path, tmp_path: Path) -> list[str]:
    map_file = tmp_path / "map.toml"
    map_file.write_text('minor = "What"\n', encoding="utf-8")
    return ["rank", str(path), *ARGV_MAP, str(map_file), "--no-cache"]


def test_background_count_is_used(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    _write(path, ["2022-01-03,Burglary", "2022-01-09,Burglary", "2022-02-01,Robbery"])
    record_ahead.start_from_argv(_argv(path, tmp_path))
    slot = record_ahead._slots[str(path)]
    slot.done.wait(30)
    assert slot.value is not None  # the scan ran and kept its result
    extract = load_extract([path], mapping=MAPPING, use_cache=False)
    assert str(path) not in record_ahead._slots  # taken
    c = extract.counts
    assert dict(zip(c["month"].astype(str) + " " + c["minor"], c["count"], strict=True)) == {
        "2022-01 Burglary": 2,
        "2022-02 Robbery": 1,
    }


def test_file_changed_after_the_scan_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    _write(path, ["2022-01-03,Burglary"])
    record_ahead.start_from_argv(_argv(path, tmp_path))
    record_ahead._slots[str(path)].done.wait(30)
    _write(path, ["2022-01-03,Robbery", "2022-01-04,Robbery"])  # same size? no matter: new mtime/ctime
    os.utime(path, ns=(1, 1))
    extract = load_extract([path], mapping=MAPPING, use_cache=False)
    assert extract.counts["minor"].tolist() == ["Robbery"] and int(extract.counts["count"].sum()) == 2


def test_other_roles_are_not_served(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("When,What,Other\n2022-01-03,Burglary,Robbery\n", encoding="utf-8")
    record_ahead.start_from_argv(_argv(path, tmp_path))
    record_ahead._slots[str(path)].done.wait(30)
    extract = load_extract([path], mapping={"month": "When", "minor": "Other"}, use_cache=False)
    assert extract.counts["minor"].tolist() == ["Robbery"]


def test_commands_without_a_mapping_start_nothing(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    _write(path, ["2022-01-03,Burglary"])
    record_ahead.start_from_argv(["rank", str(path)])
    record_ahead.start_from_argv(["weights", str(path), "--map", "month=When"])
    assert str(path) not in record_ahead._slots
