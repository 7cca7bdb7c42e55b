"""How a Markdown report shows its charts.

Common Markdown viewers (GitHub, GitLab, VS Code's preview, most wikis) do not show images given as
``data:`` URIs, so when the report is written to a file each chart is an SVG file beside it, linked by a
relative path (``assessment.md`` -> ``assessment_charts/01-monthly.svg``). Rendered to a string with no
file, charts stay inline as data URIs (the only choice with nowhere to put them).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from csp_assess.errors import InputError
from csp_assess.safetext import printable

#: (svg text, alt text, short name) -> the Markdown image.
ImageLink = Callable[[str, str, str], str]


def alt_text(text: str) -> str:
    """Alt text safe inside ``![...]``: no brackets, newlines or backslashes to break the link, and no
    HTML-significant characters."""
    text = re.sub(r"[\[\]\\\r\n]+", " ", printable(text)).strip()
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_image(svg: str, alt: str, name: str = "") -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"![{alt_text(alt)}](data:image/svg+xml;base64,{data})"


class ChartFiles:
    """Writes each chart as ``<stem>_charts/NN-name.svg`` beside ``output`` and links it relatively."""

    def __init__(self, output: Path) -> None:
        self.folder = output.parent / f"{output.stem}_charts"
        self.written: list[Path] = []

    def __call__(self, svg: str, alt: str, name: str) -> str:
        if not self.written:  # first chart: clear this report's charts of an earlier run, and only those
            if self.folder.exists() and not self.folder.is_dir():
                raise InputError(
                    "a Markdown report's charts go in this folder, but a file has its name: move the file or "
                    "name the report otherwise",
                    file=str(self.folder),
                )
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.glob("[0-9][0-9]-*.svg"):
                old.unlink()
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "chart"
        path = self.folder / f"{len(self.written) + 1:02d}-{slug}.svg"
        path.write_text(svg, encoding="utf-8", newline="")
        self.written.append(path)
        return f"![{alt_text(alt)}]({quote(self.folder.name)}/{quote(path.name)})"
