"""``csp-assess validate``: per-file report, JSON contract, unusable files listed and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.clirun import run

from csp_assess.analysis.validate import validate_paths

CORPUS = Path(__file__).resolve().parent / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FILE_KEYS = {
    "path",
    "layout",
    "encoding",
    "rows_read",
    "rows_counted",
    "rows_rejected",
    "first_month",
    "last_month",
    "gaps",
    "areas",
}


def test_good_file_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "met_old_excerpt.csv")
    code, out, err = run(capsys, "validate", path, "--format", "json")
    assert code == 0, err
    obj = json.loads(out)
    assert {"files", "rejects", "warnings"} <= set(obj)
    (f,) = obj["files"]
    assert set(f) >= FILE_KEYS
    assert f["path"] == path
    assert f["layout"] == "met-borough-old"
    assert f["encoding"] == "utf-8"
    assert f["rows_read"] == f["rows_counted"] + f["rows_rejected"]
    assert f["gaps"] == []
    assert obj["rejects"] == []


def test_rejects_have_file_line_reason(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(CORPUS / "bad_counts_long.csv")
    code, out, _ = run(capsys, "validate", path, "-f", "json")
    assert code == 0
    obj = json.loads(out)
    assert obj["rejects"][0] == {"file": path, "line": 3, "reason": "count 'abc' is not a number"}
    (f,) = obj["files"]
    assert (f["rows_read"], f["rows_counted"], f["rows_rejected"]) == (6, 2, 4)
    assert f["gaps"] == ["2022-02"]
    assert any("2022-02" in w for w in obj["warnings"])


def test_unusable_files_reported_then_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    good = str(CORPUS / "bom_met.csv")
    bad = [str(CORPUS / n) for n in ("empty.csv", "corrupt.zip", "unknown_layout.csv")] + ["no/such.csv"]
    code, out, err = run(capsys, "validate", bad[0], good, *bad[1:], "--format", "json")
    assert code == 1
    obj = json.loads(out)
    paths = [f["path"] for f in obj["files"]]
    assert paths == [bad[0], good, *bad[1:]]
    assert [f["usable"] for f in obj["files"]] == [False, True, False, False, False]
    assert obj["files"][1]["encoding"] == "utf-8-sig"
    lines = err.strip().splitlines()
    assert len(lines) == 4
    assert all(line.startswith("Error: ") for line in lines)
    assert lines[0] == f"Error: file is empty: export the data again with its header row ({bad[0]})"
    assert lines[-1] == "Error: no such file or folder: check the path (no/such.csv)"
    assert [u["path"] for u in obj["unusable"]] == [bad[0], *bad[1:]]


def test_whole_corpus_table_never_crashes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(CORPUS))
    assert code == 1
    assert "Traceback" not in err and "internal error" not in err
    assert "Files" in out and "Rejected rows" in out
    assert err.count("Error: ") == len(err.strip().splitlines())


def test_unrecognised_categories() -> None:
    v = validate_paths([CORPUS / "nonnumeric_count_met.csv"])
    (rep,) = v.files
    # "Burglary In A Dwelling" is not an old-category Met name (the real one is "Domestic Burglary").
    assert rep.unrecognised == [("Burglary", "Burglary In A Dwelling")]
    assert any("not recognised by the weight tables" in w for w in v.warnings)


def test_known_categories_are_recognised() -> None:
    v = validate_paths([FIXTURES / "met_old_excerpt.csv"])
    assert v.files[0].unrecognised == []


def test_mixed_category_sets_are_warned_not_combined() -> None:
    v = validate_paths([FIXTURES / "met_old_excerpt.csv", FIXTURES / "met_new_excerpt.csv"])
    assert not v.unusable
    assert any("cannot be analysed in one call" in w for w in v.warnings)


def test_overlap_winner_in_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    head = "MajorText,MinorText,LookUp_BoroughName"
    old = tmp_path / "old.csv"
    new = tmp_path / "new.csv"
    old.write_text(f"{head},202201,202202\nBurglary,Domestic Burglary,Camden,1,2\n", encoding="utf-8")
    new.write_text(f"{head},202202,202203\nBurglary,Domestic Burglary,Camden,5,6\n", encoding="utf-8")
    out_file = tmp_path / "report.csv"
    code, _, err = run(capsys, "validate", str(old), str(new), "--output", str(out_file))
    assert code == 0, err
    text = out_file.read_text(encoding="utf-8-sig")
    assert f"Feb 2022–Feb 2022 from {new}" in text
    v = validate_paths([old, new])
    o = next(f for f in v.files if f.path == str(old))
    assert o.source is not None
    assert [str(m) for m in o.source.months_used] == ["2022-01"]
    assert any("taken from the newer snapshot" in w for w in v.warnings)


def test_json_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "v.json"
    code, out, _ = run(capsys, "validate", str(CORPUS / "semicolon_long.csv"), "-o", str(out_file))
    assert code == 0
    assert out == ""
    assert json.loads(out_file.read_text(encoding="utf-8"))["files"][0]["rows_counted"] == 2


def test_help_has_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--help")
    assert code == 0
    assert "Example: csp-assess validate" in out
    assert "--map-file" in out
