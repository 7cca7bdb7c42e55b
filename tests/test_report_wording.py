"""Report wording when the data has no pre-COVID baseline: no "Baseline baseline" heading, and no caption
describing a dashed baseline line that is not drawn (#19 item 8)."""

from __future__ import annotations

import csv
from pathlib import Path

import csp_assess as ca


def test_no_baseline_no_dashed_caption_and_no_doubled_heading(tmp_path: Path) -> None:
    src = tmp_path / "long.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["month", "area", "major", "minor", "count"])
        for y, m in [(2021 + (i + 3) // 12, (i + 3) % 12 + 1) for i in range(24)]:  # Apr 2021 - Mar 2023
            w.writerow([f"{y}-{m:02d}", "Testshire", "Theft", "Shoplifting", 10 + m])
            w.writerow([f"{y}-{m:02d}", "Testshire", "Burglary", "Burglary in a dwelling", 5])
    out = tmp_path / "r.html"
    ca.report([src], output=out, year="2022/23")
    html = out.read_text(encoding="utf-8")
    assert "Baseline baseline" not in html
    assert "dashed:" not in html and "dashed line" not in html  # no baseline year: no baseline line drawn
