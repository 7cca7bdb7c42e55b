"""The partnership plan file: its start year, its priorities and their targets.

A plan closes the yearly cycle: the assessment recommends, the board adopts a plan, the quarterly
reports measure progress against it, and next year's assessment compares the new plan with the old.
The file is TOML::

    [plan]
    name = "Community Safety Plan 2023-26"   # optional
    start_year = "2022/23"                    # progress is measured from this year
    template = "police-crime-plan"            # optional: the priority set that measures the priorities,
    # priorities = "csp-assess.toml"          #   or a priorities file (relative to this file)

    [[priority]]
    name = "Neighbourhood Crime"              # a priority of that set
    target = -5                               # optional: % change on target_year (negative = reduce)
    target_year = "2022/23"                   # optional: default start_year
    aim = "reduce"                            # optional: reduce (default) or increase (e.g. reporting)
    reason = "top of the 2022 assessment"     # optional: shown in the decision log

Tables it does not know (for example the board papers' ``[[rotation]]``) are left alone for the tools
that read them; unknown keys inside ``[plan]`` and ``[[priority]]`` are errors, because there they are
typos. Every error names the file, the line and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csp_assess.errors import ConfigError, PeriodError
from csp_assess.periods import FinancialYear, parse_year
from csp_assess.reference.tomlfile import block_lines, first_line, key_line, reject_unknown_keys, toml_loads
from csp_assess.smallfile import read_small_text

PLAN_KEYS = ("name", "start_year", "template", "priorities")
PRIORITY_KEYS = ("name", "target", "target_year", "aim", "reason")
AIMS = ("reduce", "increase")


@dataclass(frozen=True)
class PlanPriority:
    name: str
    target: float | None  # % change on target_year; None = no numeric target
    target_year: FinancialYear
    aim: str
    reason: str = ""
    line: int | None = None  # of its name key, for errors about it

    def describe(self) -> str:
        """The target in words, as a plan states it: 'reduce by 5% on 2022/23'."""
        if self.target is None:
            return f"{self.aim} (no numeric target)"
        if self.target == 0:
            return f"no increase on {self.target_year.label}"
        word = "reduce" if self.target < 0 else "increase"
        return f"{word} by {abs(self.target):g}% on {self.target_year.label}"


@dataclass
class Plan:
    source: str
    start_year: FinancialYear
    name: str = ""
    template: str | None = None
    priorities_file: Path | None = None
    priorities: list[PlanPriority] = field(default_factory=list)
    start_line: int | None = None


def _year(value: Any, where: str, source: str, line: int | None, start_month: int) -> FinancialYear:
    if not isinstance(value, str):
        raise ConfigError(f'{where} must be a financial year such as "2022/23"', file=source, line=line)
    try:
        return parse_year(value, start_month)
    except PeriodError as err:
        raise ConfigError(f"{where}: {err.message}", file=source, line=line) from err


def parse_plan(text: str, source: str, start_month: int = 4, base: Path | None = None) -> Plan:
    """Parse and check a plan file (``base``: the folder a relative ``priorities`` path is read from)."""
    data = toml_loads(text, source)
    head_line = first_line(block_lines(text, r"\[plan\]"))
    head = data.get("plan")
    if not isinstance(head, dict):
        raise ConfigError("no [plan] table: give at least start_year", file=source, line=head_line)
    reject_unknown_keys(head, PLAN_KEYS, "[plan]", source, lambda key: key_line(text, head_line, key))
    if "start_year" not in head:
        raise ConfigError(
            "[plan]: key 'start_year' is missing (e.g. start_year = \"2022/23\")", file=source, line=head_line
        )
    start = _year(
        head["start_year"],
        "[plan]: key 'start_year'",
        source,
        key_line(text, head_line, "start_year"),
        start_month,
    )
    for key in ("name", "template", "priorities"):
        if key in head and not isinstance(head[key], str):
            raise ConfigError(
                f"[plan]: key '{key}' must be a string", file=source, line=key_line(text, head_line, key)
            )
    if "template" in head and "priorities" in head:
        raise ConfigError(
            "[plan]: give 'template' or 'priorities', not both",
            file=source,
            line=key_line(text, head_line, "priorities"),
        )
    pfile = None
    if "priorities" in head:
        pfile = Path(head["priorities"])
        if not pfile.is_absolute() and base is not None:
            pfile = base / pfile
    plan = Plan(source, start, head.get("name", ""), head.get("template"), pfile, start_line=head_line)
    raw = data.get("priority", [])
    if not isinstance(raw, list) or not raw:
        raise ConfigError("no [[priority]] tables: list the plan's priorities", file=source)
    starts = block_lines(text, r"\[\[priority\]\]")
    seen: set[str] = set()
    for i, item in enumerate(raw):
        p = _priority(item, text, source, starts[i] if i < len(starts) else None, start)
        if p.name.casefold() in seen:
            raise ConfigError(f"priority '{p.name}' is listed twice", file=source, line=p.line)
        seen.add(p.name.casefold())
        plan.priorities.append(p)
    return plan


def _priority(item: Any, text: str, source: str, line: int | None, start: FinancialYear) -> PlanPriority:
    if not isinstance(item, dict):
        raise ConfigError("[[priority]] must be a table", file=source, line=line)
    reject_unknown_keys(item, PRIORITY_KEYS, "[[priority]]", source, lambda key: key_line(text, line, key))
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            "[[priority]] needs a 'name' string", file=source, line=key_line(text, line, "name")
        )
    target = item.get("target")
    if target is not None and (
        isinstance(target, bool)
        or not isinstance(target, int | float)
        or not math.isfinite(target)
        or target <= -100
    ):
        raise ConfigError(
            f"priority '{name}': key 'target' must be a % change above -100 (e.g. -5 to reduce by 5%), not {target!r}",
            file=source,
            line=key_line(text, line, "target"),
        )
    year = start
    if "target_year" in item:
        year = _year(
            item["target_year"],
            f"priority '{name}': key 'target_year'",
            source,
            key_line(text, line, "target_year"),
            start.start_month,
        )
    aim = item.get("aim", "increase" if target is not None and target > 0 else "reduce")
    if aim not in AIMS:
        raise ConfigError(
            f"priority '{name}': key 'aim' must be reduce or increase, not {aim!r}",
            file=source,
            line=key_line(text, line, "aim"),
        )
    if target is not None and ((aim == "reduce" and target > 0) or (aim == "increase" and target < 0)):
        raise ConfigError(
            f"priority '{name}': key 'target' ({target:+g}%) goes against aim = \"{aim}\"",
            file=source,
            line=key_line(text, line, "target"),
        )
    reason = item.get("reason", "")
    if not isinstance(reason, str):
        raise ConfigError(
            f"priority '{name}': key 'reason' must be a string",
            file=source,
            line=key_line(text, line, "reason"),
        )
    name_at = key_line(text, line, "name")
    return PlanPriority(name.strip(), None if target is None else float(target), year, aim, reason, name_at)


def read_plan(path: str | Path, start_month: int = 4) -> Plan:
    p = Path(path)
    text = read_small_text(p, "plan")
    return parse_plan(text, str(p), start_month, p.parent)
