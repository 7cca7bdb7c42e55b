"""Every reader of a police.uk zip takes a member's bytes the bounded way (load/zipmember.py): outcomes
and stop-and-search zips too, not only street counts. Before, ``stops`` decompressed a 0.5 MB bomb to
500 MB (59 s, 2.5 GB of memory) and ``outcomes`` an encrypted zip was an internal error (RuntimeError)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from tests.conftest import Run

CORPUS = Path(__file__).resolve().parent / "corpus" / "police_uk"
STOPS = (
    Path(__file__).resolve().parent
    / "fixtures"
    / "stop_search"
    / "2019-06-synthetic-force-stop-and-search.csv"
)


def bomb(tmp_path: Path, member: str, head: bytes) -> Path:
    """``head`` then 48 MB of line breaks: ~50 KB compressed, ~1000x."""
    path = tmp_path / "download.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open(member, "w") as fh:
        fh.write(head)
        for _ in range(48):
            fh.write(b"\n" * (1 << 20))
    return path


def one_error(res: Run) -> str:
    assert res.code == 1, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    return lines[0]


def test_stop_and_search_zip_bomb_is_refused_from_its_header(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    member = "2019-06/2019-06-synthetic-force-stop-and-search.csv"
    path = bomb(tmp_path, member, STOPS.read_bytes())
    line = one_error(cli("stops", path))
    assert line.startswith("Error: zip member would expand ")
    assert line.endswith(
        f"more than the 100x of any real export: a zip bomb or a corrupt zip ({path}!{member})"
    )


def test_outcomes_zip_bomb_is_refused_from_its_header(cli) -> None:  # type: ignore[no-untyped-def]
    path = CORPUS / "bomb.zip"
    line = one_error(cli("outcomes", path, "--area", "Dover"))
    assert line == (
        "Error: zip member would expand 294x (57,131 -> 16,777,341 bytes), more than the 100x of any real "
        f"export: a zip bomb or a corrupt zip ({path}!2021-01/2021-01-test-street.csv)"
    )


def test_outcomes_of_an_encrypted_zip_is_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    path = CORPUS / "encrypted.zip"
    assert one_error(cli("outcomes", path, "--area", "Dover")) == (
        "Error: zip member is encrypted (password-protected): unzip it with its password and name the folder "
        f"({path}!2021-01-test-street.csv)"
    )


@pytest.mark.parametrize("command", [["stops"], ["outcomes", "--area", "Dover"]])
def test_a_zip_cut_short_is_one_line(cli, tmp_path: Path, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    whole = (CORPUS / "feb-street.csv").read_bytes()
    path = tmp_path / "2021-02.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2021-02/2021-02-test-street.csv", whole)
        zf.writestr("2021-02/2021-02-test-stop-and-search.csv", STOPS.read_bytes())
    path.write_bytes(path.read_bytes()[:-30])  # the end of the central directory is gone
    line = one_error(cli(command[0], path, *command[1:]))
    assert line.startswith("Error: ") and line.endswith(f"({path})") and "internal error" not in line


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "the file is empty: it holds no header row"),
        (
            "Type,Date\nPerson search,2019-06-01T08:00:00+00:00\n",
            "not a police.uk stop-and-search file: no column",
        ),
    ],
)
def test_a_damaged_stop_and_search_file_is_named(cli, tmp_path: Path, text: str, error: str) -> None:  # type: ignore[no-untyped-def]
    """Named *-stop-and-search.csv but empty or cut: was passed over as a crime file, so stops said 'no
    police.uk stop-and-search files among the files given' without naming it."""
    path = tmp_path / "2019-06-test-force-stop-and-search.csv"
    path.write_text(text, encoding="utf-8")
    line = one_error(cli("stops", path))
    assert line.startswith(f"Error: {error}") and line.endswith(f"({path}:1)")
