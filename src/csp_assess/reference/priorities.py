"""Priority definitions: the packaged MOPAC set, or a partnership's own TOML file.

The file format is documented at the top of ``priorities.toml`` (``csp-assess priorities --write-default``
writes it out). Errors name the file, the line and the key, so a hand-edited file is easy to fix.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from csp_assess.errors import ConfigError, option
from csp_assess.reference.tomlfile import TOO_DEEP, reject_unknown_keys
from csp_assess.smallfile import read_small_text

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
    flag: str | None = None  # only records whose flag_<name> is true (record-level extracts)
    not_flag: str | None = None  # only records whose flag_<name> is false (e.g. non-DA violence with injury)
    indicator: str | None = None  # a partner indicator (--indicators), not crime categories

    def describe(self) -> str:
        if self.indicator:
            return f"indicator: {self.indicator}"
        parts = [f"{m} (all)" for m in self.majors] + list(self.minors)
        text = " + ".join(parts) or ("all crime" if self.flag or self.not_flag else "")
        if self.flag:
            text += f" flagged {self.flag}"
        if self.not_flag:
            text += f" not flagged {self.not_flag}"
        return text


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
    #: A candidate must hold at least this share (%) of the year's offences or of its harm.
    candidate_min_share_pct: float = 1.0


@dataclass(frozen=True)
class PrioritySet:
    priorities: list[PriorityDef]
    rules: Rules
    source: str
    #: How the set was chosen: "given" (a file named), "working folder" (./csp-assess.toml picked up
    #: unasked) or "packaged"; said in every output so a silent default or a stray file is seen.
    origin: str = "given"

    def describe(self) -> str:
        """The set in use and its file, for the 'Priorities:' note and JSON meta."""
        if self.origin == "working folder":
            return f"./{LOCAL_FILE} (found in the working folder)"
        if self.source == "packaged MOPAC priorities":
            return f"packaged MOPAC set (London's; give {option('priorities', placeholder='FILE')} or {option('template')} for another)"
        return self.source


def default_text() -> str:
    return resources.files("csp_assess.reference").joinpath(PACKAGED).read_text(encoding="utf-8")


def _line_of(text: str, needle: str, start: int = 0) -> int | None:
    idx = text.find(needle, start)
    return text.count("\n", 0, idx) + 1 if idx >= 0 else None


def _top_key_line(text: str, key: str) -> int | None:
    m = re.search(rf'^[ \t]*\[*[ \t]*"?{re.escape(key)}"?[ \t]*[\]=.]', text, flags=re.M)
    return text.count("\n", 0, m.start()) + 1 if m else _line_of(text, key)


def _nth_priority_line(text: str, n: int) -> int | None:
    hits = [m.start() for m in re.finditer(r"^[ \t]*\[\[priority\]\]", text, flags=re.M)]
    return text.count("\n", 0, hits[n]) + 1 if n < len(hits) else None


def _rules_line(text: str) -> int | None:
    m = re.search(r"^[ \t]*\[rules\]", text, flags=re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


class _Lines:
    """Finds the line of a key inside one [[priority]] block, so errors point at the offending line."""

    def __init__(self, text: str, start: int | None) -> None:
        self.lines = text.splitlines()
        self.start = start

    def _span(self) -> range:
        if self.start is None:
            return range(0)
        end = len(self.lines)
        for i in range(self.start, len(self.lines)):  # self.start is 1-based: index start = next line
            if re.match(r"^\s*(\[\[priority\]\]|\[rules\])", self.lines[i]):
                end = i
                break
        return range(self.start - 1, end)

    def key(self, key: str, section: str | None = None) -> int | None:
        """Line of ``key = ...`` in the block (after the ``[section]`` header if given), else the block's."""
        span = self._span()
        in_section = section is None
        pat = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for i in span:
            line = self.lines[i]
            if section is not None and re.match(r"^\s*\[", line):
                header = rf'^\s*\[\s*priority\.measure\."?{re.escape(section)}"?\s*\]'
                in_section = bool(re.match(header, line))
                if in_section and key == "":
                    return i + 1
                continue
            if in_section and pat.match(line):
                return i + 1
        return self.start


def parse_priorities(text: str, source: str) -> PrioritySet:
    """Parse and validate a priorities file; every error names the line and the key."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=source) from None
    except tomllib.TOMLDecodeError as err:
        line = getattr(err, "lineno", None)
        msg = getattr(err, "msg", str(err))
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
        if m:  # Python < 3.14 puts the position in the message only
            line = line or int(m.group(1))
            msg = f"{msg[: m.start()]} at column {m.group(2)}"
        raise ConfigError(f"invalid TOML: {msg}", file=source, line=line) from err
    unknown_top = sorted(set(data) - {"priority", "rules"})
    if unknown_top:
        raise ConfigError(
            f"unknown key '{unknown_top[0]}' (expected [[priority]] tables and an optional [rules] table)",
            file=source,
            line=_top_key_line(text, unknown_top[0]),
        )
    raw = data.get("priority")
    if not isinstance(raw, list) or not raw:
        raise ConfigError("no [[priority]] tables: define at least one priority", file=source)
    out: list[PriorityDef] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        line = _nth_priority_line(text, i)
        out.append(_parse_one(item, source, _Lines(text, line)))
        if out[-1].name.lower() in names:
            raise ConfigError(f"priority '{out[-1].name}' is defined twice", file=source, line=line)
        names.add(out[-1].name.lower())
    rules = _parse_rules(data.get("rules", {}), text, source)
    return PrioritySet(out, rules, source)


def _parse_one(item: Any, source: str, lines: _Lines) -> PriorityDef:
    line = lines.start
    if not isinstance(item, dict):
        raise ConfigError("[[priority]] must be a table", file=source, line=line)
    reject_unknown_keys(item, ("class", "measure", "name", "set_by"), "[[priority]]", source, lines.key)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("[[priority]] needs a 'name' string", file=source, line=lines.key("name"))
    klass = item.get("class")
    if klass not in CLASSES:
        raise ConfigError(
            f"priority '{name}': key 'class' must be one of {', '.join(CLASSES)}, not {klass!r}",
            file=source,
            line=lines.key("class"),
        )
    set_by = item.get("set_by", "")
    if not isinstance(set_by, str):
        raise ConfigError(
            f"priority '{name}': key 'set_by' must be a string", file=source, line=lines.key("set_by")
        )
    measures: dict[str, Measure] = {}
    raw_measures = item.get("measure", {})
    if not isinstance(raw_measures, dict):
        raise ConfigError(
            f"priority '{name}': 'measure' must be a table of schemes", file=source, line=lines.key("measure")
        )
    for scheme, m in raw_measures.items():
        if scheme not in SCHEMES:
            raise ConfigError(
                f"priority '{name}': unknown scheme 'measure.{scheme}' (one of {', '.join(SCHEMES)})",
                file=source,
                line=lines.key("", section=scheme),
            )
        measures[scheme] = _parse_measure(m, f"priority '{name}' measure.{scheme}", source, lines, scheme)
    return PriorityDef(name.strip(), klass, set_by, measures)


def _parse_measure(m: Any, where: str, source: str, lines: _Lines, scheme: str) -> Measure:
    def at(key: str) -> int | None:
        return lines.key(key, section=scheme)

    if not isinstance(m, dict):
        raise ConfigError(f"{where} must be a table", file=source, line=at(""))
    allowed = ("flag", "indicator", "majors", "minors", "not_flag", "not_measurable", "proxy")
    reject_unknown_keys(m, allowed, where, source, at)
    lists = {}
    for key in ("majors", "minors"):
        val = m.get(key, [])
        if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
            raise ConfigError(f"{where}: key '{key}' must be a list of strings", file=source, line=at(key))
        lists[key] = tuple(val)
    for key in ("proxy", "not_measurable", "flag", "not_flag", "indicator"):
        if key in m and not (isinstance(m[key], str) and m[key].strip()):
            raise ConfigError(f"{where}: key '{key}' must be a non-empty string", file=source, line=at(key))
    for key in ("flag", "not_flag"):  # a flag is named as in --map flag_<name>=COLUMN, without the prefix
        if key in m and not re.fullmatch(r"[a-z0-9_]+", m[key].removeprefix("flag_")):
            raise ConfigError(
                f"{where}: key '{key}' must be a flag name such as \"domestic_abuse\" (lower case, digits, _)",
                file=source,
                line=at(key),
            )
    if "indicator" in m and (lists["majors"] or lists["minors"] or "flag" in m or "not_flag" in m):
        raise ConfigError(
            f"{where}: an indicator measure cannot be combined with majors, minors or flags",
            file=source,
            line=at("indicator"),
        )
    measured = lists["majors"] or lists["minors"] or {"flag", "not_flag", "indicator"} & set(m)
    if not measured and "not_measurable" not in m:
        raise ConfigError(
            f'{where}: give majors/minors, a flag, an indicator, or not_measurable = "why"',
            file=source,
            line=at(""),
        )
    return Measure(
        lists["majors"],
        lists["minors"],
        m.get("proxy"),
        m.get("not_measurable"),
        m["flag"].removeprefix("flag_") if "flag" in m else None,
        m["not_flag"].removeprefix("flag_") if "not_flag" in m else None,
        m["indicator"].strip() if "indicator" in m else None,
    )


def _parse_rules(raw: Any, text: str, source: str) -> Rules:
    line = _rules_line(text)
    if not isinstance(raw, dict):
        raise ConfigError("[rules] must be a table", file=source, line=line)

    def at(key: str) -> int | None:
        if line is None:
            return None
        for i, ln in enumerate(text.splitlines()[line:], start=line + 1):
            if re.match(r"^\s*\[", ln):
                break
            if re.match(rf'^\s*"?{re.escape(key)}"?\s*=', ln):
                return i
        return line

    reject_unknown_keys(raw, ("candidate_top_n", "alpha", "candidate_min_share_pct"), "[rules]", source, at)
    top_n = raw.get("candidate_top_n", Rules.candidate_top_n)
    alpha = raw.get("alpha", Rules.alpha)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 0:
        raise ConfigError(
            f"[rules]: key 'candidate_top_n' must be a whole number >= 0, not {top_n!r}",
            file=source,
            line=at("candidate_top_n"),
        )
    if isinstance(alpha, bool) or not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise ConfigError(
            f"[rules]: key 'alpha' must be between 0 and 1, not {alpha!r}", file=source, line=at("alpha")
        )
    share = raw.get("candidate_min_share_pct", Rules.candidate_min_share_pct)
    if isinstance(share, bool) or not isinstance(share, float | int) or not 0 <= share <= 100:
        raise ConfigError(
            f"[rules]: key 'candidate_min_share_pct' must be a percentage from 0 to 100, not {share!r}",
            file=source,
            line=at("candidate_min_share_pct"),
        )
    return Rules(top_n, float(alpha), float(share))


def load_priorities(path: str | Path | None = None, cwd: Path | None = None) -> PrioritySet:
    """``path`` if given, else ./csp-assess.toml if present, else the packaged MOPAC set."""
    found = False
    if path is None:
        local = (cwd or Path.cwd()) / LOCAL_FILE
        if local.is_file():
            path, found = local, True
    if path is None:
        return dataclasses.replace(
            parse_priorities(default_text(), "packaged MOPAC priorities"), origin="packaged"
        )
    p = Path(path)
    text = read_small_text(p, "priorities")
    pset = parse_priorities(text, str(p))
    return dataclasses.replace(pset, origin="working folder") if found else pset
