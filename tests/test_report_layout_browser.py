"""The reports at 1280 px in a real browser (headless Chromium): no table is wider than its container, and
the chart of a 35-month series labels each year once. A script added to a copy of the report measures the
laid-out page and writes the result into the DOM, which Chromium dumps. Skipped without Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.conftest import SAMPLE, shared
from tests.test_report_browser import CHROMIUM, _chromium

from csp_assess.cli import main

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)

MEASURE = """<script>
window.addEventListener('load', function () {
  var tables = [];
  document.querySelectorAll('table').forEach(function (t) {
    var box = t.parentElement;
    tables.push({section: (t.closest('section') || {}).id || '', caption: t.caption ? t.caption.textContent : '',
                 width: t.scrollWidth, container: box.clientWidth,
                 right: t.getBoundingClientRect().right, page: document.documentElement.clientWidth});
  });
  var axes = [];
  document.querySelectorAll('img[src^="data:image/svg+xml;base64,"]').forEach(function (img) {
    var svg = new DOMParser().parseFromString(atob(img.src.split(',')[1]), 'image/svg+xml');
    var axis = svg.getElementById('matplotlib.axis_1');
    axes.push(axis ? Array.from(axis.querySelectorAll('text')).map(function (t) { return t.textContent.trim(); }) : null);
  });
  var pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify({tables: tables, axes: axes});
  document.body.appendChild(pre);
});
</script>"""


def _report(path: Path, *args: str) -> Path:
    try:
        main(["report", *args, "--output", str(path)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return path


def _measure(report: Path, tmp: Path) -> dict:  # type: ignore[type-arg]
    probe = tmp / f"{report.stem}-probe.html"
    probe.write_text(
        report.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8"
    )
    proc = _chromium(tmp, "--window-size=1280,900", "--dump-dom", probe.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'<pre id="measure">(.*?)</pre>', proc.stdout, flags=re.S)
    assert found, "the measuring script did not run"
    from html import unescape

    return json.loads(unescape(found.group(1)))


def _no_wide_tables(result: dict) -> None:  # type: ignore[type-arg]
    tables = result["tables"]
    assert tables
    wide = [t for t in tables if t["width"] > t["container"] or t["right"] > t["page"]]
    assert wide == []


def test_full_report_tables_fit_at_1280(tmp_path: Path) -> None:
    result = _measure(_report(tmp_path / "full.html", str(SAMPLE)), tmp_path)
    _no_wide_tables(result)
    sections = {t["section"] for t in result["tables"]}
    assert {"ranking", "baseline", "priorities"} <= sections  # the ones that used to be cut off


def test_theme_pack_tables_fit_at_1280(tmp_path: Path) -> None:
    result = _measure(_report(tmp_path / "sv.html", str(SAMPLE), "--theme", "Serious violence"), tmp_path)
    _no_wide_tables(result)
    assert result["axes"] and all(a and len(a) == len(set(a)) for a in result["axes"])


def test_35_month_series_axis_labels_each_year_once(tmp_path: Path) -> None:
    folder = shared("police_uk_leicestershire")
    report = _report(tmp_path / "leics.html", str(folder), "--area", "Charnwood", "--year", "2021/22")
    result = _measure(report, tmp_path)
    _no_wide_tables(result)
    axes = result["axes"]
    assert axes[0] == ["2020", "2021", "2022"]  # Dec 2019 to Oct 2022: each January once
    dated = [a for a in axes if a]  # the place maps (hexbin of coordinates) draw no axis labels
    assert len(dated) >= 2 and all(len(a) == len(set(a)) for a in dated)  # the deep dives' charts too
