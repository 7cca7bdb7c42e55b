"""Outputs never destroy an input, are written atomically, and stdout never crashes or lies.

Each refusal is checked twice: the one-line error, and the input's bytes unchanged (hashed before and
after), so a test cannot pass while the input was overwritten.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import SAMPLE, Run

from csp_assess import output
from csp_assess.errors import InputError


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """in.csv, a symlink and a hard link to it, and a folder holding a copy."""
    shutil.copy(SAMPLE, tmp_path / "in.csv")
    (tmp_path / "link.csv").symlink_to(tmp_path / "in.csv")
    os.link(tmp_path / "in.csv", tmp_path / "hard.csv")
    (tmp_path / "folder").mkdir()
    shutil.copy(SAMPLE, tmp_path / "folder" / "a.csv")
    return tmp_path


@pytest.mark.parametrize("out", ["in.csv", "link.csv", "hard.csv", "./folder/../in.csv"])
@pytest.mark.parametrize(
    "command",
    [
        ["rank", "{in}"],
        ["rank", "{in}", "--format", "csv"],
        ["summary", "{in}", "--format", "json"],
        ["report", "{in}", "--format", "html"],
        ["validate", "{in}"],
    ],
)
def test_output_naming_an_input_is_refused(cli, inputs: Path, out: str, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    before = digest(inputs / "in.csv")
    args = [a.replace("{in}", str(inputs / "in.csv")) for a in command]
    res: Run = cli(*args, "-o", str(inputs / out))
    assert res.code == 1
    (line,) = res.err.strip().splitlines()
    assert line.startswith("Error: the output is the input file ")
    assert line.endswith(f"({inputs / out})")
    assert digest(inputs / "in.csv") == before
    assert (inputs / "link.csv").is_symlink()


def test_output_inside_an_input_folder_is_refused(cli, inputs: Path) -> None:  # type: ignore[no-untyped-def]
    target = inputs / "folder" / "ranked.csv"
    res: Run = cli("rank", inputs / "folder", "-o", target)
    assert res.code == 1
    assert res.err.startswith("Error: the output is inside the input folder ")
    assert not target.exists()
    res = cli("report", inputs / "folder", "-o", inputs / "folder" / "r.html")
    assert res.code == 1 and not (inputs / "folder" / "r.html").exists()


def test_zip_member_source_resolves_to_its_zip(tmp_path: Path) -> None:
    z = tmp_path / "d.zip"
    z.write_bytes(b"PK")
    with pytest.raises(InputError, match="the output is the input file"):
        output.check_not_input(z, [f"{z}!2021-05/2021-05-x-street.csv"])
    output.check_not_input(tmp_path / "other.csv", [f"{z}!2021-05/2021-05-x-street.csv"])


def test_a_separate_output_is_written(cli, inputs: Path) -> None:  # type: ignore[no-untyped-def]
    res: Run = cli("rank", inputs / "in.csv", "-o", inputs / "out.json")
    assert res.code == 0
    assert (inputs / "out.json").read_text(encoding="utf-8").startswith("{")
    assert not [p for p in inputs.iterdir() if p.name.endswith(".tmp")]


def test_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk at fsync: the old report stays byte for byte, no temporary file is left behind."""
    target = tmp_path / "report.html"
    target.write_text("the good report of last month", encoding="utf-8")

    def full_disk(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full_disk)
    with pytest.raises(InputError) as err:
        output.write_atomic(target, "x" * 100_000)
    assert str(err.value) == (
        f"cannot write output: No space left on device; the previous file (if any) is unchanged ({target})"
    )
    assert target.read_text(encoding="utf-8") == "the good report of last month"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_failed_report_keeps_the_previous_report(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for name in ("r.xlsx", "r.md"):
        target = tmp_path / name
        target.write_bytes(b"previous")

        def broken_replace(_src: str, _dst: str) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(output.os, "replace", broken_replace)
        res: Run = cli("report", SAMPLE, "-o", target)
        monkeypatch.undo()
        assert res.code == 1
        assert res.err.startswith("Error: cannot write output: No space left on device")
        assert target.read_bytes() == b"previous"
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_keeps_permissions_and_symlinked_outputs(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    output.write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert (real.stat().st_mode & 0o777) == 0o640


def test_dash_is_stdout(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    expected: Run = cli("rank", SAMPLE, "--format", "json")
    res: Run = cli("rank", SAMPLE, "--format", "json", "-o", "-")
    assert res.code == 0 and res.out == expected.out and res.out.startswith("{")
    res = cli("validate", SAMPLE, "--format", "json", "-o", "-")
    assert res.code == 0 and res.out.startswith("{")
    assert not (tmp_path / "-").exists()


def command(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "csp_assess", *map(str, args)],
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_table_piped_to_a_closed_reader_exits_0_quietly() -> None:
    """``rank ... | head``: head reads a few lines and leaves; the table (rich) exits 0, as CSV/JSON do."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "csp_assess", "rank", str(SAMPLE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert first.startswith(b"Barking and Dagenham")
    assert err == ""


CORPUS = Path(__file__).resolve().parent / "corpus"


def test_non_utf8_stdout_never_crashes() -> None:
    """A cp1252 console or redirect: machine formats are written as UTF-8 bytes (the same bytes as
    ``-o file``), the terminal table replaces the characters cp1252 lacks."""
    names = CORPUS / "hostile_names_met.csv"
    cp = {"PYTHONIOENCODING": "cp1252"}
    for fmt in ("csv", "json", "markdown"):
        done = command("rank", names, "--format", fmt, env=cp)
        assert done.returncode == 0, done.stderr
        assert done.stdout == command("rank", names, "--format", fmt).stdout
    csv_out = command("rank", names, "--format", "csv", env=cp).stdout
    assert csv_out.startswith("\ufeff".encode()) and "Łódź → ✓".encode() in csv_out
    table = command("rank", names, env=cp)
    assert table.returncode == 0, table.stderr
    text = table.stdout.decode("cp1252")
    assert "Łódź" not in text and "=HYPERLINK(" in text  # the Ł replaced, the rest of the name shown
    assert b"Traceback" not in table.stderr


def test_device_output_is_written_in_place(cli) -> None:  # type: ignore[no-untyped-def]
    """``-o /dev/null`` writes to the device; an atomic rename would replace the device itself."""
    import stat

    res: Run = cli("rank", SAMPLE, "--format", "csv", "-o", "/dev/null")
    assert res.code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("second", ["out.json", "link.json"])
def test_two_outputs_naming_one_file_is_a_usage_error(cli, tmp_path: Path, second: str) -> None:  # type: ignore[no-untyped-def]
    """``rank --matrix-chart out.json -o out.json`` wrote the JSON and then replaced it with the chart's
    SVG (exit 0, the JSON lost). Now refused before anything is read or written."""
    scoring = tmp_path / "workshop.toml"
    assert cli("priorities", SAMPLE, "--write-scoring", scoring).code == 0
    (tmp_path / "link.json").symlink_to(tmp_path / "out.json")
    res: Run = cli(
        "rank", SAMPLE, "--scoring", scoring, "-o", tmp_path / "out.json", "--matrix-chart", tmp_path / second
    )
    assert res.code == 2
    assert res.err.strip().splitlines()[-1] == (
        f"Error: Invalid value: --output and --matrix-chart name the same file {tmp_path / second}: one would "
        "overwrite the other; give each its own file"
    )
    assert not (tmp_path / "out.json").exists()
    # /dev/null takes any number of outputs
    assert (
        cli(
            "rank", SAMPLE, "--scoring", scoring, "-f", "json", "-o", os.devnull, "--matrix-chart", os.devnull
        ).code
        == 0
    )


def test_output_into_a_missing_folder_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Was 'cannot write output: No such file or directory', which reads as if an input were missing."""
    out = tmp_path / "no-such-folder" / "rank.csv"
    res: Run = cli("rank", SAMPLE, "-o", out)
    assert res.code == 1
    assert res.err.strip().splitlines() == [
        f"Error: cannot write output: the folder {out.parent} does not exist: create it or write elsewhere ({out})"
    ]
    assert not out.parent.exists()


def test_markdown_report_whose_charts_folder_is_a_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Was 'cannot write report: File exists (report.md)', naming the wrong path; the file is kept."""
    (tmp_path / "report_charts").write_text("mine", encoding="utf-8")
    res: Run = cli("report", SAMPLE, "-o", tmp_path / "report.md")
    assert res.code == 1
    assert res.err.strip().splitlines() == [
        "Error: a Markdown report's charts go in this folder, but a file has its name: move the file or name "
        f"the report otherwise ({tmp_path / 'report_charts'})"
    ]
    assert (tmp_path / "report_charts").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "report.md").exists()


NOT_UTF8 = "the file name holds bytes that are not UTF-8 text: rename the file (or its folder) and try again"


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["rank", "--format", "json"],
        ["report", "-o", "{tmp}/r.html"],
        ["summary", "--format", "csv"],
    ],
)
def test_input_name_not_utf8_is_one_line(cli, tmp_path: Path, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A Latin-1 file name (b'donn\\xe9es.csv') was an internal error (UnicodeEncodeError) in validate and
    report, and rank --format json crashed writing it out."""
    name = os.fsdecode(b"donn\xe9es.csv")
    shutil.copy(SAMPLE, tmp_path / name)
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    res: Run = cli(args[0], tmp_path / name, *args[1:])
    assert res.code == 1
    assert res.err.strip().splitlines()[0] == f"Error: {NOT_UTF8} ({tmp_path}/donn\\xe9es.csv)"
    assert "internal error" not in res.err


def test_output_text_with_a_lone_surrogate_is_escaped_not_a_crash(tmp_path: Path) -> None:
    output.write_atomic(tmp_path / "o.json", '{"path": "donn\udce9es.csv"}')
    assert (tmp_path / "o.json").read_text(encoding="utf-8") == '{"path": "donn\\udce9es.csv"}'
