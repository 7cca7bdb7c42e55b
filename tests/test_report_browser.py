"""The HTML report opened in a real browser (headless Chromium): it loads without errors and shows the
headline figures. Skipped when Chromium is not installed (.ci/run installs Debian's chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import SAMPLE

from csp_assess.cli import main

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "assessment.html"
    try:
        main(["report", str(SAMPLE), "--output", str(path)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return path


def test_report_loads_in_chromium_and_shows_the_headline(report: Path, tmp_path: Path) -> None:
    proc = _chromium(tmp_path, "--dump-dom", report.as_uri())
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "<h1>Strategic assessment: Barking and Dagenham, 2021/22</h1>" in dom
    assert "20,516" in dom and "18,568" in dom  # 2021/22 and 2020/21, as counted independently
    assert "In 2021/22 there were 20,516 offences in Barking and Dagenham, up 1,948 (+10.5%)" in dom
    errors = [
        line
        for line in proc.stderr.splitlines()
        if "Uncaught" in line or "CONSOLE" in line and ("ERROR" in line or "WARNING" in line)
    ]
    assert errors == []
    assert "net::ERR" not in proc.stderr  # nothing failed to load


def test_report_renders_to_a_screenshot(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    proc = _chromium(
        tmp_path, "--hide-scrollbars", "--window-size=1200,2000", f"--screenshot={shot}", report.as_uri()
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a page with charts, not a blank one
