"""Priority definitions: the packaged MOPAC set, or a partnership's own TOML file.

The file format is documented at the top of ``priorities.toml`` (``csp-assess priorities --write-default``
writes it out). Errors name the file, the line and the key, so a hand-edited file is easy to fix.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from csp_assess.errors import ConfigError

CLASSES = ("mandatory", "high-volume", "local")
SCHEMES = ("met-old", "met-new", "met-pre2019", "police-uk", "custom")
LOCAL_FILE = "csp-assess.toml"
PACKAGED = "priorities.toml"


@dataclass(frozen=True)
class Measure:
    """How a priority is counted in one category set."""

    majors: tuple[str, ...] = ()
    minors: tuple[str, ...] = ()
    proxy: str | None = None
    not_measurable: str | None = None

    def describe(self) -> str:
        parts = [f"{m} (all)" for m in self.majors] + list(self.minors)
        return " + ".join(parts)


@dataclass(frozen=True)
class PriorityDef:
    name: str
    klass: str
    set_by: str
    measures: dict[str, Measure] = field(default_factory=dict)

    def measure_for(self, scheme: str) -> Measure | None:
        return self.measures.get(scheme)


@dataclass(frozen=True)
class Rules:
    """Stated recommendation rules (see analysis.priorities)."""

    candidate_top_n: int = 5
    alpha: float = 0.05


@dataclass(frozen=True)
class PrioritySet:
    priorities: list[PriorityDef]
    rules: Rules
    source: str


def default_text() -> str:
    return resources.files("csp_assess.reference").joinpath(PACKAGED).read_text(encoding="utf-8")


def _line_of(text: str, needle: str, start: int = 0) -> int | None:
    idx = text.find(needle, start)
    return text.count("\n", 0, idx) + 1 if idx >= 0 else None


def _nth_priority_line(text: str, n: int) -> int | None:
    hits = [m.start() for m in re.finditer(r"^\s*\[\[priority\]\]", text, flags=re.M)]
    return text.count("\n", 0, hits[n]) + 1 if n < len(hits) else None


def parse_priorities(text: str, source: str) -> PrioritySet:
    """Parse and validate a priorities file; every error names the line and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line = getattr(err, "lineno", None)
        msg = getattr(err, "msg", str(err))
        raise ConfigError(f"invalid TOML: {msg}", file=source, line=line) from err
    unknown_top = sorted(set(data) - {"priority", "rules"})
    if unknown_top:
        raise ConfigError(
            f"unknown key '{unknown_top[0]}' (expected [[priority]] tables and an optional [rules] table)",
            file=source,
            line=_line_of(text, unknown_top[0]),
        )
    raw = data.get("priority")
    if not isinstance(raw, list) or not raw:
        raise ConfigError("no [[priority]] tables: define at least one priority", file=source)
    out: list[PriorityDef] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        line = _nth_priority_line(text, i)
        out.append(_parse_one(item, source, line))
        if out[-1].name.lower() in names:
            raise ConfigError(f"priority '{out[-1].name}' is defined twice", file=source, line=line)
        names.add(out[-1].name.lower())
    rules = _parse_rules(data.get("rules", {}), text, source)
    return PrioritySet(out, rules, source)


def _parse_one(item: Any, source: str, line: int | None) -> PriorityDef:
    if not isinstance(item, dict):
        raise ConfigError("[[priority]] must be a table", file=source, line=line)
    allowed = {"name", "class", "set_by", "measure"}
    extra = sorted(set(item) - allowed)
    if extra:
        raise ConfigError(
            f"unknown key '{extra[0]}' in [[priority]] (allowed: {', '.join(sorted(allowed))})",
            file=source,
            line=line,
        )
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("[[priority]] needs a 'name' string", file=source, line=line)
    klass = item.get("class")
    if klass not in CLASSES:
        raise ConfigError(
            f"priority '{name}': key 'class' must be one of {', '.join(CLASSES)}, not {klass!r}",
            file=source,
            line=line,
        )
    set_by = item.get("set_by", "")
    if not isinstance(set_by, str):
        raise ConfigError(f"priority '{name}': key 'set_by' must be a string", file=source, line=line)
    measures: dict[str, Measure] = {}
    raw_measures = item.get("measure", {})
    if not isinstance(raw_measures, dict):
        raise ConfigError(f"priority '{name}': 'measure' must be a table of schemes", file=source, line=line)
    for scheme, m in raw_measures.items():
        if scheme not in SCHEMES:
            raise ConfigError(
                f"priority '{name}': unknown scheme 'measure.{scheme}' (one of {', '.join(SCHEMES)})",
                file=source,
                line=line,
            )
        measures[scheme] = _parse_measure(m, f"priority '{name}' measure.{scheme}", source, line)
    return PriorityDef(name.strip(), klass, set_by, measures)


def _parse_measure(m: Any, where: str, source: str, line: int | None) -> Measure:
    if not isinstance(m, dict):
        raise ConfigError(f"{where} must be a table", file=source, line=line)
    allowed = {"majors", "minors", "proxy", "not_measurable"}
    extra = sorted(set(m) - allowed)
    if extra:
        raise ConfigError(
            f"{where}: unknown key '{extra[0]}' (allowed: {', '.join(sorted(allowed))})",
            file=source,
            line=line,
        )
    lists = {}
    for key in ("majors", "minors"):
        val = m.get(key, [])
        if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
            raise ConfigError(f"{where}: key '{key}' must be a list of strings", file=source, line=line)
        lists[key] = tuple(val)
    for key in ("proxy", "not_measurable"):
        if key in m and not isinstance(m[key], str):
            raise ConfigError(f"{where}: key '{key}' must be a string", file=source, line=line)
    if not lists["majors"] and not lists["minors"] and "not_measurable" not in m:
        raise ConfigError(f'{where}: give majors/minors, or not_measurable = "why"', file=source, line=line)
    return Measure(lists["majors"], lists["minors"], m.get("proxy"), m.get("not_measurable"))


def _parse_rules(raw: Any, text: str, source: str) -> Rules:
    if not isinstance(raw, dict):
        raise ConfigError("[rules] must be a table", file=source, line=_line_of(text, "[rules]"))
    line = _line_of(text, "[rules]")
    extra = sorted(set(raw) - {"candidate_top_n", "alpha"})
    if extra:
        raise ConfigError(
            f"[rules]: unknown key '{extra[0]}' (allowed: candidate_top_n, alpha)", file=source, line=line
        )
    top_n = raw.get("candidate_top_n", Rules.candidate_top_n)
    alpha = raw.get("alpha", Rules.alpha)
    if not isinstance(top_n, int) or top_n < 0:
        raise ConfigError(
            "[rules]: key 'candidate_top_n' must be a whole number >= 0", file=source, line=line
        )
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise ConfigError("[rules]: key 'alpha' must be between 0 and 1", file=source, line=line)
    return Rules(top_n, float(alpha))


def load_priorities(path: str | Path | None = None, cwd: Path | None = None) -> PrioritySet:
    """``path`` if given, else ./csp-assess.toml if present, else the packaged MOPAC set."""
    if path is None:
        local = (cwd or Path.cwd()) / LOCAL_FILE
        if local.is_file():
            path = local
    if path is None:
        return parse_priorities(default_text(), "packaged MOPAC priorities")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise ConfigError("priorities file not found", file=str(p)) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read priorities file ({err})", file=str(p)) from err
    return parse_priorities(text, str(p))
