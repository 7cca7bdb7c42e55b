"""Terminal output with rich: the tables people read, then provenance and warnings beneath."""

from __future__ import annotations

import os
import re
import sys
from pathlib import PurePath
from typing import IO, Any

import pandas as pd
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from csp_assess.periods import month_label
from csp_assess.render.values import human, printable
from csp_assess.result import Result

HEADERS = {
    "count": "Count",
    "previous_count": "Prev",
    "from_count": "From",  # compare: the facts line above the table says what From and To are
    "to_count": "To",
    "change": "Change",
    "change_pct": "Change %",
    "contribution_pct": "Share of change %",
    "share_pct": "Share %",
    "searches": "Searches",
    "outcome_linked": "Linked",
    "outcome_linked_pct": "Linked %",
    "crimes": "Crimes",
    "charged_summonsed_pct": "Charged %",
    "out_of_court_pct": "Out of court %",
    "no_suspect_pct": "No suspect %",
    "unable_to_prosecute_pct": "Unable to prosecute %",
    "under_investigation_pct": "Under invest. %",
    "baseline_count": "Baseline",
    "baseline_change_pct": "vs base %",
    "harm": "Harm",
    "cost_gbp": "Cost",
    "score": "Score",
    "rank": "#",
    "major": "Major",
    "category": "Category",
    "name": "Priority",
    "class": "Class",
    "status": "Status",
    "measure": "Measure",
    "proxy": "Proxy",
    "reason": "Reason",
    # the prioritisation matrix (analysis.matrix): short, so the issue names keep their width
    "issue": "Issue",
    "public_concern": "Concern",
    "vulnerability": "Vuln",
    "capacity": "Capacity",
    "reputational_risk": "Risk",
    "likelihood": "Likelihood",
    # quarterly
    "priority": "Priority",
    "year_ago_count": "Year ago",
    "direction": "Direction",
    "plan_start_count": "Plan start",
    "plan_change_pct": "vs plan start %",
    "plan_direction": "Plan direction",
}
# Columns left out first when a table is wider than the terminal (a number is never cut: whole columns go,
# named in a note). The identity and headline columns are never dropped; below them the table is stacked.
DROP_ORDER = (
    "major",
    "proxy",
    "baseline_count",
    "baseline_change_pct",
    "previous_count",
    "contribution_pct",
    "plan_start_count",
    "plan_change_pct",
    "plan_direction",
    "z",
    "p_value",
    "class",
    "harm",
    "cost_gbp",
    "year_ago_count",
    "change_pct",
    "share_pct",
    "measure",
)
KEEP = {
    "rank", "category", "name", "issue", "priority", "place", "count", "change", "score", "status", "reason",
    "direction", "significant",
    "scheme",  # the layout a priority's measure row is for: without it the rows repeat one another
    "total",  # the matrix's weighted total, which sets its order
}  # fmt: skip
FOLDABLE = {
    "category", "major", "name", "issue", "priority", "place", "reason", "proxy", "measure", "class", "status",
    "direction", "plan_direction",
}  # fmt: skip
TEXT_MIN = 12  # the narrowest a folded text column gets: a word or two per line, not a letter


class _Console(Console):
    """rich exits with status 1 when the reader of a pipe goes away (``rank ... | head``); the CSV and
    JSON outputs treat that as success, and so does the table."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # later flushes of stdout go nowhere, quietly
        raise SystemExit(0)


def terminal_console(
    file: IO[str] | None = None, width: int | None = None, no_color: bool = False
) -> Console:
    """A console that never reads markup or emoji codes in what it prints: data names are shown literally."""
    return _Console(file=file, width=width, no_color=no_color, highlight=False, markup=False, emoji=False)


def _text(value: str, style: str = "") -> Text:
    """Data text for the terminal: never markup, control characters and escape sequences made visible."""
    return Text(printable(value), style=style)


def render_table(result: Result, console: Console) -> None:
    """The result's tables, then provenance and warnings. Every string from the data goes in as ``Text``
    (rich reads markup such as ``[bold]`` or ``[/]`` in plain strings: a name could crash or restyle it)."""
    meta = result.meta
    console.print(_text(result.title or result.command, style="bold"))
    facts = [
        f"{k.replace('_', ' ')}: {meta[k]}"
        for k in ("from", "to", "previous_year", "baseline", "harm_index", "level")
        if meta.get(k) is not None
    ]
    if facts:
        console.print(_text("  ".join(facts), style="dim"))
    for name, table in result.tables.items():
        cols = table.shown_columns()
        if name == "priorities":
            cols = [c for c in cols if c != "proxy"]
        people = table.people_frame()
        cells = {c: [human(v, c) for v in people[c]] for c in cols}
        n_rows = len(table.frame)  # rows after these are the Total row
        heads = table.headers
        once = _place_once(cols, cells)
        shown, left_out = fit_columns(cols, once or cells, console.width, table.drop_order, heads)
        if once is not None:
            if shown is not None and "code" not in shown:  # the code column did not fit: the name keeps it
                shown, left_out = fit_columns(cols, cells, console.width, table.drop_order, heads)
            if shown is None or "code" in shown:
                cells = once  # the code is in its own column (or its own line): the name need not repeat it
        if shown is None:
            _stacked(table.title if name != "rows" else None, cols, cells, console, heads)
            continue
        rt = RichTable(
            title=_text(table.title) if name != "rows" and table.title else None,
            title_justify="left",
            show_lines=False,
            header_style="bold",
            expand=False,
        )
        widths = column_widths(shown, cells, console.width, heads)
        for c in shown:
            numeric = table.frame[c].dtype.kind in "iuf" and c not in ("rank",)
            rt.add_column(
                _header(c, table.headers),
                justify="right" if numeric else "left",
                overflow="fold",
                no_wrap=c not in FOLDABLE,
                width=widths[c],
            )
        for i in range(len(people)):
            total = i >= n_rows
            rt.add_row(
                *[_text(cells[c][i], style="bold" if total else "") for c in shown],
                end_section=i == n_rows - 1 and len(people) > n_rows,  # a rule above the Total row
            )
        console.print(rt)
        if left_out:
            console.print(
                _text(
                    f"Columns left out to fit {console.width} characters: "
                    f"{', '.join(_header(c, table.headers) for c in left_out)}. A wider terminal or "
                    "--format csv/json shows every column.",
                    style="dim",
                )
            )
    if result.meta.get("harm_index") and result.meta.get("cost_prices"):
        console.print(
            _text(
                f"Harm: {meta.get('harm_index_description', '')}. Cost: Home Office unit costs, "
                f"{meta['cost_prices']} prices."
                + (
                    f" Score = mean share (%) of volume, harm and cost ({meta['score_weights']})."
                    if meta.get("score_weights")
                    else ""
                ),
                style="dim",
            )
        )
    singles, folders = group_sources(result.sources)
    for line in folders:
        console.print(_text(line, style="dim"))
    for s in singles:
        sup = "; ".join(
            f"{x['months']} month(s) {x['span']} superseded by {x['by']}" for x in s["superseded"]
        )
        console.print(
            _text(
                f"Source: {s['path']} [{s['layout']}, {s['encoding']}] months used "
                f"{s['months_used_span']}" + (f"; {sup}" if sup else ""),
                style="dim",
            )
        )
    for n in result.notes:
        console.print(_text(n, style="dim"))
    for w in result.warnings:
        console.print(_text(f"Warning: {w}", style="yellow"))


def _header(column: str, own: dict[str, str] | None = None) -> str:
    """The heading people read: the table's own (``Table.headers``), else the usual one, else the column's
    name in words; always starting with a capital, so no table mixes "order" with "Issue" (CSV and JSON
    keep the column names as they are)."""
    text = (own or {}).get(column) or HEADERS.get(column, column.replace("_", " "))
    return text[:1].upper() + text[1:]


_CODED = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]+)\)$")


def _place_once(cols: list[str], cells: dict[str, list[str]]) -> dict[str, list[str]] | None:
    """The cells with each place's name shown without the code in brackets that its ``code`` column
    already shows ("Charnwood 001A (E01025...)" -> "Charnwood 001A"); None for a table without both
    columns. A label whose bracket is not its code (a place with no code, "(no place recorded)") stays."""
    if "place" not in cols or "code" not in cols:
        return None
    names = []
    for place, code in zip(cells["place"], cells["code"], strict=True):
        m = _CODED.match(place)
        names.append(m.group("name") if m and m.group("name") and m.group("code").strip() == code else place)
    return {**cells, "place": names}


def _natural(column: str, cells: list[str], headers: dict[str, str] | None = None) -> int:
    """The width a column needs to show its header and every cell on one line."""
    return max([len(_header(column, headers)), *(len(printable(v)) for v in cells)])


def _min_width(column: str, cells: list[str], headers: dict[str, str] | None = None) -> int:
    """The narrowest a text column may be folded to: its longest word, at least TEXT_MIN (or its
    natural width if smaller): names break between words, not inside them."""
    words = [len(w) for v in cells for w in printable(v).split()] + [len(_header(column, headers))]
    return min(_natural(column, cells, headers), max(TEXT_MIN, *words))


def _table_width(widths: list[int]) -> int:
    """rich's width for these column widths: one space of padding each side, a rule between and around."""
    return sum(widths) + 3 * len(widths) + 1


def fit_columns(
    cols: list[str],
    cells: dict[str, list[str]],
    width: int,
    drop_order: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[list[str] | None, list[str]]:
    """(columns to show, columns left out) so that no number is cut at ``width``: text columns fold, whole
    low-priority columns go (the table's own ``drop_order`` if it has one, else DROP_ORDER; then any other
    not in KEEP, rightmost first). None to show means the table cannot fit even so, and is stacked a row at
    a time."""

    def need(shown: list[str]) -> int:
        return _table_width(
            [
                _min_width(c, cells[c], headers) if c in FOLDABLE else _natural(c, cells[c], headers)
                for c in shown
            ]
        )

    shown = list(cols)
    order = DROP_ORDER if drop_order is None else tuple(drop_order)
    # A column that is "-" on every row says nothing: it goes before any column with a figure in it.
    empty = [c for c in cols if c not in KEEP and cells[c] and all(v == "-" for v in cells[c])]
    droppable = (
        empty
        + [c for c in order if c in cols and c not in empty]
        + [c for c in reversed(cols) if c not in KEEP and c not in order and c not in empty]
    )
    left_out: list[str] = []
    while need(shown) > width and droppable:
        c = droppable.pop(0)
        if c in shown and len(shown) > 1:
            shown.remove(c)
            left_out.append(c)
    if need(shown) > width:
        return None, []
    return shown, [c for c in cols if c in left_out]


REASON_MAX = 70  # a reason wider than this folds even on a wide terminal: a paragraph, not a line


def column_widths(
    shown: list[str], cells: dict[str, list[str]], width: int, headers: dict[str, str] | None = None
) -> dict[str, int]:
    """Each column's width: its natural width, text columns narrowed a character at a time (the one with
    most room above its narrowest first) until the table fits ``width``. Set here rather than left to
    rich, whose proportional shrinking can overrun the terminal by a character or two."""
    want = {c: _natural(c, cells[c], headers) for c in shown}
    if "reason" in want:
        want["reason"] = min(want["reason"], max(REASON_MAX, _min_width("reason", cells["reason"], headers)))
    floor = {c: _min_width(c, cells[c], headers) if c in FOLDABLE else want[c] for c in shown}
    excess = _table_width(list(want.values())) - width
    while excess > 0:
        room = [c for c in shown if want[c] > floor[c]]
        if not room:
            break
        c = max(room, key=lambda k: (want[k] - floor[k], want[k]))
        want[c] -= 1
        excess -= 1
    return want


def _stacked(
    title: str | None,
    cols: list[str],
    cells: dict[str, list[str]],
    console: Console,
    headers: dict[str, str] | None = None,
) -> None:
    """A table too wide for any fit: each row as its own block of 'Header: value' lines."""
    if title:
        console.print(_text(title, style="bold"))
    n = len(next(iter(cells.values()))) if cells else 0
    for i in range(n):
        for j, c in enumerate(cols):
            console.print(_text(f"{'  ' if j else '- '}{_header(c, headers)}: {cells[c][i]}"))


FOLDER_MIN = 3  # this many files from one folder (or zip) are summarised in one Source line
_MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")


def _folder_of(path: str) -> str:
    """The folder (or zip) a file was read from; police.uk's month subfolders count as their parent."""
    head, sep, _member = path.partition("!")
    if sep and head.lower().endswith(".zip"):
        return head
    parent = PurePath(path).parent
    return str(parent.parent if _MONTH_DIR.match(parent.name) else parent)


def group_sources(sources: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(sources shown one line each, one summary line per folder of many files): a 35-month folder is one
    'Source:' line on the terminal; each file stays in the JSON's sources and in ``validate``."""
    by_folder: dict[str, list[dict[str, Any]]] = {}
    for s in sources:
        by_folder.setdefault(f"{s.get('role', '')}|{_folder_of(str(s['path']))}", []).append(s)
    singles: list[dict[str, Any]] = []
    lines: list[str] = []
    for key, group in by_folder.items():
        if len(group) < FOLDER_MIN:
            singles += group
            continue
        role, folder = key.split("|", 1)
        firsts = [s["first_month"] for s in group if s.get("first_month")]
        lasts = [s["last_month"] for s in group if s.get("last_month")]
        cover = (
            f", months {month_label(pd.Period(min(firsts), 'M'))}–{month_label(pd.Period(max(lasts), 'M'))}"
            if firsts and lasts
            else ""
        )
        used = sum(1 for s in group if s.get("months_used"))
        superseded = sum(1 for s in group if s.get("superseded") and s.get("months_used"))
        replaced = sum(1 for s in group if s.get("superseded") and not s.get("months_used"))
        kinds = ", ".join(sorted({str(s["layout"]) for s in group} | {str(s["encoding"]) for s in group}))
        lines.append(
            f"Source: {folder}{' (' + role + ')' if role else ''}: {len(group)} files [{kinds}]{cover}; "
            f"months used from {used}"
            + (f", {superseded} superseded in part" if superseded else "")
            + (f", {replaced} wholly superseded" if replaced else "")
            + " (each file: csp-assess validate or --format json)"
        )
    return singles, lines
