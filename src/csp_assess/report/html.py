"""The report as one self-contained HTML file: inline CSS, charts embedded as SVG data, no scripts, no fonts,
no network. Every piece of text is escaped. The same input gives the same bytes (no timestamp unless a
date is passed in), so a report can be checked into a repository and diffed.
"""

from __future__ import annotations

import base64
import math
from html import escape
from typing import Any

import pandas as pd

from csp_assess.render.values import human
from csp_assess.report.build import ReportData, breakdown_note
from csp_assess.report.charts import deep_dive_chart, monthly_chart
from csp_assess.report.places import place_section_html
from csp_assess.report.section_layout import section_html
from csp_assess.result import SOURCE_SUMMARY_COLUMNS, Table

CSS = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #c8c8c8; --band: #f3f5f8; --accent: #1f4e79; }
* { box-sizing: border-box; }
html { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
  color: var(--ink); font-size: 15px; line-height: 1.45; }
body { margin: 0 auto; max-width: 66rem; padding: 1.5rem 1.5rem 4rem; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; color: var(--accent); }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.08rem; margin: 1.6rem 0 .4rem; }
p, li { max-width: 48rem; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .7rem; margin: 1rem 0; }
.card { border: 1px solid var(--rule); border-top: 4px solid var(--accent); padding: .6rem .8rem; background: #fff; }
.card .label { font-size: .82rem; color: var(--muted); }
.card .figure { font-size: 1.7rem; font-weight: 700; line-height: 1.2; }
.card .detail { font-size: .85rem; }
.lead { font-size: 1.05rem; }
nav ol { columns: 2; font-size: .9rem; padding-left: 1.2rem; }
figure { margin: .8rem 0; break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: .82rem; color: var(--muted); }
.wide { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .8rem; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .4rem; vertical-align: top; text-align: left; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; } /* headings wrap, figures never: a wide table fits at 1280 px */
td:not(.num) { overflow-wrap: anywhere; min-width: 6rem; } /* long names and paths break, not widen the table; words stay whole */
tr.priority td:first-child { font-weight: 600; }
.status { font-weight: 600; white-space: nowrap; }
.deep-dive { border-top: 1px solid var(--rule); margin-top: 1.5rem; }
.small { font-size: .85rem; color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; font-size: .88rem; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
footer { margin-top: 3rem; font-size: .8rem; color: var(--muted); border-top: 1px solid var(--rule); padding-top: .5rem; }
@media print {
  @page { size: A4; margin: 15mm 13mm; }
  html { font-size: 10.5pt; }
  body { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-before: page; break-after: avoid; }
  h2.keep { break-before: auto; }
  h3 { break-after: avoid; }
  table, figure, .card, .deep-dive { break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .card { border-top-color: #000; }
}
"""

RANK_SHOWN = [
    "rank",
    "category",
    "count",
    "change",
    "change_pct",
    "baseline_count",
    "baseline_change_pct",
    "harm",
    "cost_gbp",
    "score",
]
BASELINE_SHOWN = [
    "category",
    "count",
    "baseline_count",
    "change",
    "change_pct",
    "expected",
    "expected_low",
    "expected_high",
    "vs_expected",
]
BASELINE_HEADS = {
    "change": "Change on baseline",
    "change_pct": "Change on baseline %",
    "significant": "Larger than usual",
    "vs_expected": "Against expected",
}
PRIORITY_SHOWN = ["name", "class", "status", "measure", "count", "change_pct", "reason"]
WEIGHT_SHOWN = ["measure", "status", "categories", "offences", "source"]
#: The weight-source table's own headings: its measure is a weight (harm or cost), its status the
#: weight's (confirmed, transcribed...), not a priority's measure and recommendation.
WEIGHT_HEADS = {"measure": "Weight", "status": "Status", "categories": "Categories"}


def labels(data: ReportData) -> dict[str, str]:
    """Column headings for people, naming the actual years."""
    h = data.headline
    year = h.year.split(" ")[0]
    prev = (h.previous_label or "previous year").split(" ")[0]
    base = h.baseline_label or "baseline"
    harm = data.rank.meta.get("harm_index", "cchi")
    harm_label = {"cchi": "Harm (CCHI days)", "css": "Harm (CSS)", "cost": "Harm (cost)"}.get(
        str(harm), "Harm"
    )
    return {
        "rank": "Rank",
        "category": "Category",
        "major": "Major category",
        "name": "Priority",
        "class": "Kind",
        "status": "Recommendation",
        "measure": "Measured by",
        "reason": "Reason",
        "count": year,
        "previous_count": prev,
        "change": "Change",
        "change_pct": f"Change on {prev}",
        "contribution_pct": "Share of the net change",
        "baseline_count": f"Baseline {base}" if h.baseline_label else "Baseline",
        "baseline_change": "Change on baseline",
        "baseline_change_pct": f"Change on {base}",
        "above_baseline": "Above baseline",
        "significant": "Larger than usual",  # the calibrated test's wording, never bare "significant"
        "expected": "Expected (trend)",
        "expected_low": "Low (95%)",
        "expected_high": "High (95%)",
        "harm": harm_label,
        "cost_gbp": "Cost (£, 2015/16 prices)",
        "score": "Score",
        "share_pct": "Share %",
        "year": "Year",
        "complete": "Complete year",
        "reason_": "Reason",
        "rows": "Rows",
        "examples": "Examples (file:line)",
        "source": "Source",
        "categories": "Categories",
        "offences": f"Offences {year}",
        "path": "File",
        "layout": "Layout",
        "encoding": "Encoding",
        "rows_read": "Rows read",
        "rows_counted": "Counted",
        "rows_rejected": "Rejected",
        "months_used_span": "Months used",
    }


def _is_num(frame: pd.DataFrame, col: str) -> bool:
    return col in frame.columns and frame[col].dtype.kind in "iuf"


def cell(value: Any, column: str) -> str:
    if column == "share_pct" and isinstance(value, float) and not math.isnan(value):
        return f"{value:.1f}%"
    if column in ("baseline_count", "expected") and isinstance(value, float) and not math.isnan(value):
        return f"{value:,.0f}" if float(value).is_integer() or column == "expected" else f"{value:,.1f}"
    return human(value, column)


def table_html(
    frame: pd.DataFrame, columns: list[str], heads: dict[str, str], caption: str = "", row_class: str = ""
) -> str:
    cols = [c for c in columns if c in frame.columns]
    out = ['<div class="wide"><table>']
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>")
    out.append("<thead><tr>")
    for c in cols:
        cls = ' class="num"' if _is_num(frame, c) else ""
        out.append(f'<th scope="col"{cls}>{escape(heads.get(c, c.replace("_", " ")))}</th>')
    out.append("</tr></thead><tbody>")
    for row in frame[cols].itertuples(index=False):
        rc = f' class="{row_class}"' if row_class else ""
        out.append(f"<tr{rc}>")
        for c, v in zip(cols, row, strict=True):
            cls = ' class="num"' if _is_num(frame, c) else (' class="status"' if c == "status" else "")
            out.append(f"<td{cls}>{escape(cell(v, c))}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _table(t: Table, heads: dict[str, str], columns: list[str] | None = None) -> str:
    return table_html(t.frame, columns or t.columns, heads, t.title)


def figure(svg: str, alt: str, caption: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _signed(n: float | None, pct: float | None) -> str:
    if n is None:
        return "not in the data"
    text = f"{n:+,.0f}"
    return text + (f" ({pct:+.1f}%)" if pct is not None else "")


def _cards(data: ReportData) -> str:
    h = data.headline
    cards = [
        ("Offences recorded, " + h.year, f"{h.total:,}", f"{h.area}; crime only, not anti-social behaviour")
    ]
    if h.previous_total is not None:
        sig = h.change_significant
        note = (
            "larger than usual year-to-year variation"
            if sig
            else "within usual year-to-year variation"
            if sig is False
            else ""
        )
        cards.append(
            (
                f"Change on {h.previous_label}",
                _signed(h.change, h.change_pct),
                f"from {h.previous_total:,}; {note}",
            )
        )
    if h.baseline_total is not None:
        cards.append(
            (
                f"Against pre-COVID ({h.baseline_label})",
                _signed(h.baseline_change, h.baseline_change_pct),
                f"baseline {h.baseline_total:,.0f}",
            )
        )
    if h.expected is not None and h.expected_low is not None and h.expected_high is not None:
        where = (
            "above the expected range"
            if h.total > h.expected_high
            else "below the expected range"
            if h.total < h.expected_low
            else "within the expected range"
        )
        cards.append(
            (
                "Expected had the pre-COVID trend continued",
                f"{h.expected:,.0f}",
                f"95% range {h.expected_low:,.0f}–{h.expected_high:,.0f}: {h.year} is {where}",
            )
        )
    return cards_html(cards)


def cards_html(cards: list[tuple[str, str, str]]) -> str:
    """Headline cards (label, figure, detail), escaped: the report's and a theme pack's."""
    out = ['<div class="cards">']
    for label, fig, detail in cards:
        out.append(
            f'<div class="card"><div class="label">{escape(label)}</div>'
            f'<div class="figure">{escape(fig)}</div><div class="detail">{escape(detail)}</div></div>'
        )
    out.append("</div>")
    return "".join(out)


def _priority_list(data: ReportData) -> str:
    frame = data.rank.tables["priorities"].frame
    items = []
    for row in frame.to_dict("records"):
        items.append(f"<li><strong>{escape(str(row['name']))}</strong>: {escape(str(row['status']))}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _slug(i: int) -> str:
    return f"dd{i}"


def render_html(data: ReportData) -> str:
    h = data.headline
    heads = labels(data)
    base_label = h.baseline_label
    parts: list[str] = []
    add = parts.append
    add('<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f'<meta name="generator" content="csp-assess"><title>{escape(data.title)}</title>')
    add(f"<style>{CSS}</style></head><body>")
    add(f'<header><h1>{escape(data.title)}</h1><p class="subtitle">{escape(data.subtitle)}')
    if data.date:
        add(f"<br>Produced {escape(data.date)}")
    add("</p></header>")
    sections = [
        ("headline", "Headline"),
        ("series", "Offences by month"),
        ("categories", "Offences by major category"),
        ("baseline", "Against pre-COVID levels"),
        ("ranking", "Ranking by volume, harm and cost"),
        ("priorities", "Recommended priorities"),
        ("matrix", "Prioritisation matrix"),
        ("plan", "Progress against the plan"),
        ("deep-dives", "Deep dives"),
        ("places", "Where crime concentrates"),
        ("methods", "Data and methods"),
    ]
    absent = {
        "baseline": data.baseline_table is None,
        "places": data.places is None,
        "matrix": data.matrix is None,
        "plan": data.plan is None,
    }
    shown = [(sid, name) for sid, name in sections if not absent.get(sid, False)]
    add("<nav><strong>Contents</strong><ol>")
    for sid, name in shown:
        add(f'<li><a href="#{sid}">{escape(name)}</a></li>')
    add("</ol></nav>")
    # The priorities' section number as the contents number it (it moves when a section is absent).
    priorities_no = 1 + [sid for sid, _ in shown].index("priorities")

    # Headline
    add('<section id="headline"><h2 class="keep">Headline</h2>')
    add(f'<p class="lead" id="headline-text">{escape(h.sentence)}</p>')
    if h.baseline_sentence:
        add(f'<p class="lead">{escape(h.baseline_sentence)}</p>')
    add(_cards(data))
    if h.asb_incidents:
        add(
            f"<p>Anti-social behaviour: {h.asb_incidents:,} incidents in {escape(h.year)}, kept out of crime totals.</p>"
        )
    add(
        f'<p><strong>Recommended priorities</strong> (reasons in <a href="#priorities">section {priorities_no}</a>):</p>'
    )
    add(_priority_list(data))
    add("</section>")

    # Series
    add('<section id="series"><h2>Offences by month</h2>')
    svg = monthly_chart(
        data.monthly,
        data.period,
        data.baseline,
        data.baseline_monthly_mean,
        base_label,
        f"{h.area}: offences recorded per month",
    )
    cap = (
        f"Offences per month, {data.monthly.index.min()} to {data.monthly.index.max()}, with the 12-month "
        f"average. Shaded: {h.year} (blue)"
        + (
            f" and the pre-COVID baseline {base_label} (orange); dashed line: the baseline's monthly average "
            f"({data.baseline_monthly_mean:,.0f})."
            if data.baseline_monthly_mean is not None
            else "."
        )
    )
    add(figure(svg, f"Line chart of offences per month in {h.area}", cap))
    add("</section>")

    # Categories
    add('<section id="categories"><h2>Offences by major category</h2>')
    add(
        _table(
            data.by_major,
            heads,
            ["category", "count", "previous_count", "change", "change_pct", "contribution_pct", "share_pct"],
        )
    )
    add(
        '<p class="small">A change is flagged only when it is larger than the category&#8217;s usual '
        "year-to-year variation (Holm-adjusted across categories).</p>"
    )
    add("</section>")

    if data.baseline_table is not None:
        add('<section id="baseline"><h2>Against pre-COVID levels</h2>')
        if h.baseline_sentence:
            add(f"<p>{escape(h.baseline_sentence)}</p>")
        add(_table(data.baseline_table, {**heads, **BASELINE_HEADS}, BASELINE_SHOWN))
        add(
            '<p class="small">Expected: the count had the pre-COVID trend and season continued, with a 95% '
            "prediction interval; a count outside the range is unusual against the old trend.</p>"
        )
        add("</section>")

    # Ranking
    r = data.rank.meta
    add('<section id="ranking"><h2>Ranking by volume, harm and cost</h2>')
    add(
        f"<p>Each {escape(str(r.get('level', 'minor')))} category ranked by its composite score: the mean of its "
        f"shares of the year's volume, harm and cost ({escape(str(r.get('score_weights', '')))}). Harm: "
        f"{escape(str(r.get('harm_index_description', '')))}. Cost: Home Office unit costs, "
        f"{escape(str(r.get('cost_prices', '2015/16')))} prices.</p>"
    )
    add(_table(data.rank.tables["rows"], heads, RANK_SHOWN))
    add("</section>")

    # Priorities
    add('<section id="priorities"><h2>Recommended priorities</h2>')
    add(
        f"<p>Priorities from {escape(str(r.get('priorities_in_use') or r.get('priorities_source', '')))}, each with the rule that set its "
        "recommendation; candidates are categories outside the set that rank highly or rose above the "
        "pre-COVID baseline by more than their usual year-to-year variation.</p>"
    )
    add(table_html(data.rank.tables["priorities"].frame, PRIORITY_SHOWN, heads, row_class="priority"))
    add("</section>")

    # The decisions: the workshop's matrix and the plan's progress, only when their files are given
    if data.matrix is not None:
        add(section_html("matrix", data.matrix, table_html, figure, heads))
    if data.plan is not None:
        add(section_html("plan", data.plan, table_html, figure, heads))

    # Deep dives
    add('<section id="deep-dives"><h2>Deep dives</h2>')
    add("<ol>")
    for i, dd in enumerate(data.deep_dives, 1):
        add(f'<li><a href="#{_slug(i)}">{escape(dd.name)}</a> ({escape(dd.status)})</li>')
    add("</ol>")
    for i, dd in enumerate(data.deep_dives, 1):
        add(f'<div class="deep-dive" id="{_slug(i)}"><h3>{i}. {escape(dd.name)}</h3>')
        add(
            f"<p><strong>{escape(dd.status.capitalize())}</strong> ({escape(dd.klass)}). "
            f'{escape(dd.reason)}</p><p class="small">Measured by: {escape(dd.measure)}. '
            f"{dd.count:,} {dd.noun} in {escape(h.year)}.</p>"
        )
        svg = deep_dive_chart(
            dd.monthly,
            data.period,
            data.baseline,
            dd.baseline_monthly_mean,
            base_label,
            f"{dd.name}: {dd.noun} per month",
            noun=dd.noun,
        )
        add(
            figure(
                svg,
                f"Line chart of {dd.name} {dd.noun} per month",
                "Last six years by month, with the 12-month average"
                + (
                    "; dashed: the baseline's monthly average."
                    if dd.baseline_monthly_mean is not None
                    else "."
                ),
            )
        )
        add(
            table_html(
                dd.years,
                ["year", "count", "complete"],
                {**heads, "count": dd.noun.capitalize()},
                "Year by year",
            )
        )
        add(table_html(dd.breakdown.frame, dd.breakdown.columns, heads, dd.breakdown.title))
        add(f'<p class="small">{escape(breakdown_note(dd))}</p>')
        if dd.subareas is not None:
            add(
                table_html(
                    dd.subareas.frame,
                    dd.subareas.columns,
                    {**heads, **dd.subareas.headers},
                    dd.subareas.title,
                )
            )
        add("</div>")
    add("</section>")

    if data.places is not None:
        add(place_section_html(data.places, figure, table_html, heads))

    # Data and methods
    add('<section id="methods"><h2>Data and methods</h2>')
    add('<h3>Options</h3><dl class="meta">')
    for k, v in data.options.items():
        add(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>")
    add("</dl>")
    add("<h3>Files</h3>")
    add(
        f"<p>Read {data.rows_read:,} rows: {data.rows_counted:,} counted + {data.rows_rejected:,} rejected.</p>"
    )
    src = pd.DataFrame(data.sources)
    add(
        table_html(
            src,
            SOURCE_SUMMARY_COLUMNS,
            heads,
        )
    )
    add("<h3>Snapshots</h3><ul>" + "".join(f"<li>{escape(s)}</li>" for s in data.snapshots) + "</ul>")
    add("<h3>Coverage gaps</h3>")
    add(
        "<ul>" + "".join(f"<li>{escape(g)}</li>" for g in data.gaps) + "</ul>"
        if data.gaps
        else "<p>None: every month from the first to the last is covered.</p>"
    )
    add("<h3>Rejected rows</h3>")
    add(
        table_html(data.rejects, ["reason", "rows", "examples"], heads)
        if len(data.rejects)
        else "<p>None: every row read was counted.</p>"
    )
    add("<h3>Weight sources and their status</h3>")
    add(table_html(data.weights, WEIGHT_SHOWN, {**heads, **WEIGHT_HEADS}))
    add("<h3>Caveats</h3><ul>" + "".join(f"<li>{escape(c)}</li>" for c in data.caveats) + "</ul>")
    add("</section>")
    add(
        "<footer>Made with csp-assess from police recorded crime extracts. Figures agree with the "
        "<code>summary</code>, <code>baseline</code> and <code>rank</code> commands for the same files and "
        "options.</footer>"
    )
    add("</body></html>\n")
    return "".join(parts)
