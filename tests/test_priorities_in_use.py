"""The priority set in use is always named (issue #19): rank, quarterly, trend --priority and report say
which set and which file, in JSON meta and the terminal notes; a file naming a major or category the
extract lacks is a warning with the nearest names, not a silent 'not measurable'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import SAMPLE

PACKAGED = "Priorities: packaged MOPAC set"
LOCAL = "Priorities: ./csp-assess.toml (found in the working folder)"
MISSPELT = """
[[priority]]
name = "Burglary"
class = "local"
[priority.measure.met-old]
majors = ["Burglery"]

[[priority]]
name = "Knives"
class = "local"
[priority.measure.met-old]
minors = ["Possession of Article with Blade or Point", "Zebra crossings"]
"""
COMMANDS = [["rank"], ["quarterly"], ["trend", "--priority", "Knives"]]


@pytest.mark.parametrize("command", [["rank"], ["quarterly"], ["trend", "--priority", "Gun Crime"]])
def test_packaged_set_is_named(cli, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    shown = cli(*command, SAMPLE)
    assert shown.code == 0
    assert PACKAGED in shown.out
    meta = json.loads(cli(*command, SAMPLE, "--format", "json").out)
    assert meta["priorities_in_use"].startswith("packaged MOPAC set")


@pytest.mark.parametrize("command", COMMANDS)
def test_working_folder_file_is_named_and_misspellings_warned(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "csp-assess.toml").write_text(MISSPELT)
    monkeypatch.chdir(tmp_path)
    shown = cli(*command, SAMPLE)
    assert shown.code == 0, shown.err
    flat = " ".join(shown.out.split())
    assert LOCAL in flat
    assert "names the major 'Burglery', which is not in this extract; did you mean 'Burglary'?" in flat
    assert "names the category 'Zebra crossings'" in flat and "no close match" in flat
    data = json.loads(cli(*command, SAMPLE, "--format", "json").out)
    assert data["priorities_in_use"] == "./csp-assess.toml (found in the working folder)"
    assert any("did you mean 'Burglary'" in w for w in data["warnings"])


def test_a_named_file_is_named_and_a_correct_one_gives_no_warning(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "ours.toml"
    good.write_text(MISSPELT.replace("Burglery", "Burglary").replace(', "Zebra crossings"', ""))
    data = json.loads(cli("rank", SAMPLE, "--priorities", good, "--format", "json").out)
    assert data["priorities_in_use"] == str(good)
    assert not any("not in this extract" in w for w in data["warnings"])
    assert f"Priorities: {good}" in " ".join(cli("rank", SAMPLE, "--priorities", good).out.split())


def test_report_names_the_set(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pack.md"
    made = cli("report", SAMPLE, "-o", out)
    assert made.code == 0
    assert PACKAGED in made.err
    assert PACKAGED in out.read_text(encoding="utf-8")
