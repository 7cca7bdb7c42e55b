"""The documentation cannot drift: the CLI reference is regenerated and compared, every command has an
example in its help and a section in the reference, and the Python API page's examples run."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

from csp_assess.cli import app

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import cli_reference  # noqa: E402


def test_cli_reference_is_up_to_date() -> None:
    current = (REPO / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert current == cli_reference.render(), "run: python scripts/cli_reference.py"


def test_every_command_is_documented_with_an_example() -> None:
    reference = (REPO / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = [p for p in cli_reference.command_paths() if p]
    assert {p[0] for p in names} >= {"rank", "summary", "baseline", "compare", "trend", "quarterly"}
    for path in names:
        title = " ".join(["csp-assess", *path])
        assert f"## `{title}`" in reference
        text = cli_reference._help(path)
        assert "Example: csp-assess " + " ".join(path) in text, f"{title} --help has no example"
        assert f"`{path[0]}" in readme, f"README does not mention {path[0]}"
    assert len(app.registered_commands) + len(app.registered_groups) == len({p[0] for p in names})


def test_python_api_page_examples_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("CSP_ASSESS_CACHE_DIR", str(tmp_path / "cache"))
    result = doctest.testfile(
        str(REPO / "docs" / "python-api.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted >= 15 and result.failed == 0


def test_the_script_check_mode_agrees() -> None:
    env = dict(os.environ)
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr
