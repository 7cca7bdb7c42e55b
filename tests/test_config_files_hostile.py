"""The small files named beside the data (priorities, plan, rotation, scoring, weights, price index,
population, places lookup, column mapping) are read whole; a folder, a FIFO, a device, a huge file, a
nest thousands deep or bytes that are not UTF-8 is one ``Error:`` line naming the file, never a hang,
memory filled or an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import SAMPLE, Run

from csp_assess import smallfile
from csp_assess.errors import ConfigError
from csp_assess.smallfile import read_small_bytes, read_small_text

AREA = ["--area", "Barking and Dagenham"]
POLICE_UK = Path(__file__).parent / "fixtures" / "police_uk" / "repeated_ids.csv"

# option -> (the command line with {f} for the file, the file's name in messages)
OPTIONS = {
    "priorities": (["rank", SAMPLE, *AREA, "--priorities", "{f}"], "priorities"),
    "plan": (["quarterly", SAMPLE, *AREA, "--plan", "{f}"], "plan"),
    "rotation": (
        ["report", SAMPLE, *AREA, "--rotation", "{f}", "--quarter", "2021/22-Q2", "-o", "{o}"],
        "plan",
    ),
    "scoring": (["rank", SAMPLE, *AREA, "--scoring", "{f}"], "scoring"),
    "weights": (["rank", SAMPLE, *AREA, "--weights", "{f}"], "weights"),
    "price index": (
        ["rank", SAMPLE, *AREA, "--price-year", "2021/22", "--price-index", "{f}"],
        "price index",
    ),
    "population": (["summary", SAMPLE, *AREA, "--population", "{f}"], "population"),
    "places lookup": (["places", POLICE_UK, "--area", "all", "--places-lookup", "{f}"], "places lookup"),
}


def args_for(option: str, f: Path, tmp_path: Path) -> list[str]:
    return [
        str(a).replace("{f}", str(f)).replace("{o}", str(tmp_path / "out.md")) for a in OPTIONS[option][0]
    ]


def one_error(res: Run) -> str:
    assert res.code == 1, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.err
    return lines[0]


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_a_folder_or_a_device_is_refused_by_name(cli, tmp_path: Path, option: str) -> None:  # type: ignore[no-untyped-def]
    """A folder was '[Errno 21] Is a directory' in some and 'not found' in others; /dev/zero filled memory."""
    what = OPTIONS[option][1]
    folder = tmp_path / "folder"
    folder.mkdir()
    assert one_error(cli(*args_for(option, folder, tmp_path))) == (
        f"Error: the {what} file named is a folder: name the file itself ({folder})"
    )
    assert one_error(cli(*args_for(option, Path(os.devnull), tmp_path))) == (
        f"Error: the {what} file is not a regular file (a pipe, FIFO or device): save it to a file and name "
        f"that ({os.devnull})"
    )


@pytest.mark.parametrize("option", ["population", "places lookup", "priorities", "plan", "scoring"])
def test_bytes_not_utf8_name_their_line(cli, tmp_path: Path, option: str) -> None:  # type: ignore[no-untyped-def]
    """--population with a Latin-1 byte was an internal error (UnicodeDecodeError); every small file now
    says which line holds the byte."""
    what = OPTIONS[option][1]
    f = tmp_path / "latin1.csv"
    f.write_bytes(b"area,population\nBarking and Dagenh\xe9m,100\n")
    assert one_error(cli(*args_for(option, f, tmp_path))) == (
        f"Error: the {what} file is not UTF-8 (byte 0xe9): save it as UTF-8 ({f}:2)"
    )


@pytest.mark.parametrize("option", ["priorities", "plan", "rotation", "scoring"])
def test_toml_nested_thousands_deep_is_an_invalid_file(cli, tmp_path: Path, option: str) -> None:  # type: ignore[no-untyped-def]
    """tomllib recurses per level: 'a = [[[[...]]]]' 100,000 deep was an internal error (RecursionError)."""
    f = tmp_path / "deep.toml"
    f.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    assert one_error(cli(*args_for(option, f, tmp_path))) == (
        f"Error: invalid TOML: arrays or tables nested too deeply to be a hand-written file ({f})"
    )


def test_deep_mapping_file_is_an_invalid_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "map.toml"
    f.write_text("month = " + "{a = " * 50_000 + "1" + "}" * 50_000 + "\n", encoding="utf-8")
    line = one_error(cli("validate", SAMPLE, "--map-file", f))
    assert line.startswith("Error: mapping file is not valid TOML (") and line.endswith(f") ({f})")


def test_a_file_too_large_to_be_a_config_file_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smallfile, "MAX_BYTES", 1000)
    f = tmp_path / "extract.csv"
    f.write_bytes(b"x" * 1001)
    with pytest.raises(ConfigError) as info:
        read_small_bytes(f, "weights")
    assert str(info.value) == (
        f"the weights file is 1,001 bytes, more than a weights file can be (1,000): check that it is the right "
        f"file ({f})"
    )
    f.write_bytes(b"\xef\xbb\xbfname = 1\n")  # a BOM is not part of the text
    assert read_small_text(f, "plan") == "name = 1\n"


@pytest.mark.parametrize("option", ["--priorities", "--map-file", "--weights"])
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, option: str) -> None:
    """A FIFO with no writer (or ``<(...)`` read twice) blocked for ever."""
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "csp_assess", "rank", str(SAMPLE), *AREA, option, str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    line = done.stderr.strip()
    assert "not a regular file (a pipe, FIFO or device)" in line and line.endswith(f"({fifo})")
