"""Themes for theme packs: one priority, or a named group of priorities (packaged ``themes.toml``, or the
``[[theme]]`` tables of a rotation plan).

A theme is resolved against the active priority set, so a group always counts what its priorities count
in that set; the packaged groups name priorities of the packaged MOPAC set.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from csp_assess.errors import ConfigError, SelectionError
from csp_assess.reference.priorities import PriorityDef, PrioritySet

PACKAGED = "themes.toml"


@dataclass(frozen=True)
class ThemeGroup:
    """A named group of priorities, as written in a themes table."""

    name: str
    priorities: tuple[str, ...]
    about: str = ""
    source: str = PACKAGED


@dataclass(frozen=True)
class Theme:
    """A theme resolved against a priority set: its member priorities (in the set's order)."""

    name: str
    kind: str  # "priority" or "group"
    members: list[PriorityDef]
    about: str = ""
    missing: list[str] = field(default_factory=list)  # group members the priority set does not have
    source: str = ""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def parse_groups(raw: Any, source: str) -> list[ThemeGroup]:
    """The ``[[theme]]`` array of a parsed TOML document (absent: none). Errors name the file and entry."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError("'theme' must be an array of tables ([[theme]])", file=source)
    out = []
    for i, item in enumerate(raw, 1):
        where = f"[[theme]] number {i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} must be a table", file=source)
        name = item.get("name")
        members = item.get("priorities")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where} needs a name (a string)", file=source)
        if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
            raise ConfigError(
                f"theme '{name}' needs priorities = [\"...\", ...] (names of priorities)", file=source
            )
        about = item.get("about", "")
        if not isinstance(about, str):
            raise ConfigError(f"theme '{name}': about must be a string", file=source)
        out.append(ThemeGroup(name.strip(), tuple(m.strip() for m in members), about, source))
    return out


def packaged_groups() -> list[ThemeGroup]:
    text = resources.files("csp_assess.reference").joinpath(PACKAGED).read_text(encoding="utf-8")
    return parse_groups(tomllib.loads(text).get("theme"), PACKAGED)


def resolve_theme(name: str, pset: PrioritySet, groups: list[ThemeGroup] | None = None) -> Theme:
    """The theme called ``name``: a priority of ``pset`` first, then a group (the plan's before the
    packaged ones). Unknown names fail with the names that would work."""
    want = _norm(name)
    for p in pset.priorities:
        if _norm(p.name) == want:
            return Theme(p.name, "priority", [p], source=pset.source)
    all_groups = list(groups or []) + packaged_groups()
    for g in all_groups:
        if _norm(g.name) == want:
            by_name = {_norm(p.name): p for p in pset.priorities}
            wanted = {_norm(m) for m in g.priorities}
            members = [p for p in pset.priorities if _norm(p.name) in wanted]
            missing = [m for m in g.priorities if _norm(m) not in by_name]
            if not members:
                raise SelectionError(
                    f"theme '{g.name}' ({g.source}) names no priority of {pset.source}: "
                    f"{', '.join(g.priorities)}",
                    params=["theme"],
                )
            return Theme(g.name, "group", members, g.about, missing, g.source)
    themes = ", ".join(dict.fromkeys(g.name for g in all_groups))
    known = ", ".join(p.name for p in pset.priorities)
    raise SelectionError(
        f"theme '{name}' is neither a priority nor a named theme; themes: {themes}; priorities: {known}",
        params=["theme"],
    )
