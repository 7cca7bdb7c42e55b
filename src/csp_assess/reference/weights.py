"""Harm and cost weights per offence category, from the packaged reference tables.

Three packaged files (in this folder) feed the weights:

* ``harm_cost_reference.csv``: one row per Home Office police-recorded-crime (PRC) offence subgroup, with its
  Cambridge Crime Harm Index (CCHI) days, ONS Crime Severity Score (CSS) weight, Home Office unit cost
  (2015/16 prices), the status of each figure and the 2024/25 national count used for blending;
* ``vehicle_cost_detail.csv``: the two vehicle unit costs the Home Office report gives separately;
* ``category_map.csv``: every Met category (``met-old``, ``met-new``, ``met-pre2019`` schemes) mapped to a
  PRC subgroup, with an optional ``cost_offence`` naming a row of ``vehicle_cost_detail.csv``;
* ``ho_offence_codes.csv`` (through ``ho_codes``): Home Office offence codes mapped to PRC subgroups, for
  record extracts whose rows carry a code (``--map ho_code=COLUMN``).

data.police.uk crime types (scheme ``police-uk``) are coarser than PRC subgroups: their weights are blends of
the subgroups' weights, weighted by national volume. Every weight carries a status and a source, so that
outputs can show which figures are solid; a weight that is not known is NaN, never a guess.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from csp_assess.errors import ConfigError
from csp_assess.reference.ho_codes import HO_CODE, ho_code_table, lookup
from csp_assess.smallfile import read_small_bytes

HARM_INDEXES = ("cchi", "css", "cost", "none")
SCHEMES = ("met-old", "met-new", "met-pre2019", "police-uk", "custom")
MAPPED_SCHEMES = ("met-old", "met-new", "met-pre2019")

WEIGHT_COLUMNS = [
    "major",
    "minor",
    "prc_subgroup",
    "harm_weight",
    "harm_status",
    "harm_source",
    "unit_cost_gbp",
    "cost_status",
    "cost_source",
    "note",
    "weight_route",
]
_FLOAT_COLUMNS = ("harm_weight", "unit_cost_gbp")

CCHI_SOURCE = (
    "Cambridge Crime Harm Index (CCHI) 2026 update: median days of imprisonment over the Cambridge entries "
    "in the PRC subgroup, derived by a third party (isthisben/cbl-realcrime)"
)
CSS_SOURCE = "ONS Crime Severity Score weight (experimental statistics, weights of about 2016 vintage)"
COST_SOURCE = (
    "Home Office, The economic and social costs of crime, 2nd ed. (Heeks et al., Research Report 99, 2018): "
    "cost per crime in 2015/16 prices"
)
BLEND_SOURCE = "volume-weighted by England and Wales recorded offences 2024/25"
CODE_BLEND_SOURCE = "volume-weighted by the category's own offences per Home Office offence code"
HO_CODE_ROUTE = "Home Office offence code"
POLICE_UK_ROUTE = "police.uk crime type (blend of PRC subgroups)"
SUBGROUP_ROUTE = "Home Office PRC subgroup"
USER_ROUTE = "user --weights"
NO_ROUTE = "none: no category map and no name match; give weights with --weights"
UNMATCHED_NOTE = "not in the category map"
TRUNCATED_NAME = 30  # characters: shorter names are matched whole, never by their start
NOT_USED = "not used"
ASB_CRIME_TYPE = "Anti-social behaviour"
_POLICE_ACTIVITY = {"Possession of drugs", "Trafficking of drugs", "Possession of weapons offences"}

_PACKAGE = "csp_assess.reference"


@dataclass(frozen=True)
class _Subgroup:
    name: str
    police_uk: str
    cchi: float
    css: float
    css_status: str
    cost: float
    cost_status: str
    count: float


@dataclass(frozen=True)
class _Weight:
    value: float
    status: str
    source: str


def _read_packaged(name: str) -> list[dict[str, str]]:
    text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def _num(text: str) -> float:
    return float(text) if text.strip() else math.nan


@cache
def _subgroups() -> dict[str, _Subgroup]:
    out: dict[str, _Subgroup] = {}
    for row in _read_packaged("harm_cost_reference.csv"):
        out[row["prc_subgroup"]] = _Subgroup(
            name=row["prc_subgroup"],
            police_uk=row["police_uk_crime_type"],
            cchi=_num(row["cchi_days"]),
            css=_num(row["css_weight"]),
            css_status=row["css_status"] or "unknown",
            cost=_num(row["ho_unit_cost_gbp_2015_16"]),
            cost_status=row["ho_cost_status"] or "unknown",
            count=_num(row["national_count_2024_25"]),
        )
    return out


@cache
def _vehicle_costs() -> dict[str, _Weight]:
    out: dict[str, _Weight] = {}
    for row in _read_packaged("vehicle_cost_detail.csv"):
        offence = row["offence"]
        out[offence] = _Weight(
            _num(row["ho_unit_cost_gbp_2015_16"]),
            row["ho_cost_status"] or "unknown",
            f"{COST_SOURCE} ({offence.lower()})",
        )
    return out


@cache
def _category_map() -> tuple[dict[str, str], ...]:
    rows = _read_packaged("category_map.csv")
    subgroups = _subgroups()
    vehicle = _vehicle_costs()
    for row in rows:  # a broken packaged file is a bug: fail loudly
        if row["prc_subgroup"] and row["prc_subgroup"] not in subgroups:
            raise ValueError(f"category_map.csv: unknown prc_subgroup {row['prc_subgroup']!r}")
        if row["cost_offence"] and row["cost_offence"] not in vehicle:
            raise ValueError(f"category_map.csv: unknown cost_offence {row['cost_offence']!r}")
    return tuple(rows)


def _cost(sub: _Subgroup, cost_offence: str = "") -> _Weight:
    if cost_offence:
        return _vehicle_costs()[cost_offence]
    status = sub.cost_status
    if status == "confirmed-excluded":
        return _Weight(
            math.nan, "not costed", f"{COST_SOURCE}; the report does not cost crimes against society"
        )
    if status in ("none-published", "unknown") or math.isnan(sub.cost):
        return _Weight(
            math.nan, status if status in ("none-published", "unknown") else "unknown", COST_SOURCE
        )
    return _Weight(sub.cost, status, COST_SOURCE)


def _harm(sub: _Subgroup, harm_index: str, cost: _Weight) -> _Weight:
    if harm_index == "none":
        return _Weight(math.nan, NOT_USED, "")
    if harm_index == "cost":
        return cost
    if harm_index == "cchi":
        if math.isnan(sub.cchi):
            return _Weight(math.nan, "unknown", CCHI_SOURCE)
        return _Weight(sub.cchi, "transcribed", CCHI_SOURCE)
    # css: the ONS publishes weights per offence code; never invent a group weight
    if sub.css_status == "unknown" or math.isnan(sub.css):
        return _Weight(math.nan, "unknown", CSS_SOURCE)
    return _Weight(sub.css, sub.css_status, CSS_SOURCE)


def _harm_caveats(sub: _Subgroup, harm_index: str) -> list[str]:
    notes: list[str] = []
    if harm_index == "cchi" and sub.name in _POLICE_ACTIVITY:
        notes.append("CCHI authors advise against weighting offences found by police activity")
    if harm_index == "css" and sub.css_status == "confirmed-cannabis":
        notes.append("CSS weight is the published one for cannabis possession")
    if sub.name == "Homicide" and harm_index != "none":
        notes.append("a single homicide can dominate a harm-weighted ranking of a small area")
    return notes


def _check(scheme: str, harm_index: str) -> None:
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown category scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    if harm_index not in HARM_INDEXES:
        raise ConfigError(f"unknown harm index {harm_index!r} (known: {', '.join(HARM_INDEXES)})")


def _frame(records: list[dict[str, object]]) -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for col in WEIGHT_COLUMNS:
        values = [r[col] for r in records]
        data[col] = pd.Series(values, dtype="float64" if col in _FLOAT_COLUMNS else "str")
    return pd.DataFrame(data, columns=WEIGHT_COLUMNS)


def _record(
    major: str, minor: str, subgroup: str, harm: _Weight, cost: _Weight, notes: list[str], route: str = ""
) -> dict[str, object]:
    return {
        "major": major,
        "minor": minor,
        "prc_subgroup": subgroup,
        "harm_weight": harm.value,
        "harm_status": harm.status,
        "harm_source": harm.source,
        "unit_cost_gbp": cost.value,
        "cost_status": cost.status,
        "cost_source": cost.source,
        "note": "; ".join(n for n in notes if n),
        "weight_route": route,
    }


def _mapped_records(scheme: str, harm_index: str) -> list[dict[str, object]]:
    subgroups = _subgroups()
    records = []
    route = f"category map ({scheme})"
    for row in _category_map():
        if row["scheme"] != scheme:
            continue
        if not row["prc_subgroup"]:
            harm = _Weight(math.nan, NOT_USED if harm_index == "none" else "unknown", "")
            cost = _Weight(math.nan, "unknown", "")
            records.append(_record(row["major"], row["minor"], "", harm, cost, [row["note"]], route))
            continue
        sub = subgroups[row["prc_subgroup"]]
        cost = _cost(sub, row["cost_offence"])
        harm = _harm(sub, harm_index, cost)
        notes = [row["note"], *_harm_caveats(sub, harm_index)]
        records.append(_record(row["major"], row["minor"], sub.name, harm, cost, notes, route))
    return records


def _blend(
    parts: list[tuple[_Subgroup, _Weight]],
    source: str,
    volumes: list[float] | None = None,
    how: str = BLEND_SOURCE,
) -> tuple[_Weight, list[str]]:
    """Volume-weighted mean of the parts that have a value; also returns the names of the missing parts.

    ``volumes`` default to the subgroups' national counts (police.uk crime types); weights by Home Office
    offence code pass the category's own offences per subgroup instead."""
    vols = volumes if volumes is not None else [s.count for s, _ in parts]

    def usable(weight: _Weight, volume: float) -> bool:
        return not math.isnan(weight.value) and not math.isnan(volume) and volume > 0

    have = [(w, v) for (_, w), v in zip(parts, vols, strict=True) if usable(w, v)]
    missing = [f"{s.name} ({w.status})" for (s, w), v in zip(parts, vols, strict=True) if not usable(w, v)]
    if not have:
        statuses = {w.status for _, w in parts}
        status = statuses.pop() if len(statuses) == 1 else "unknown"
        sources = {w.source for _, w in parts}
        return _Weight(math.nan, status, sources.pop() if len(sources) == 1 else source), missing
    if len(parts) == 1:  # a single subgroup is not a blend: keep its own status
        return parts[0][1], missing
    total = sum(v for _, v in have)
    value = sum(w.value * v for w, v in have) / total
    return _Weight(value, "blended", f"{source}; {how}"), missing


def _blended(
    subs: list[_Subgroup], harm_index: str, volumes: list[float] | None = None, how: str = BLEND_SOURCE
) -> tuple[_Weight, list[str], _Weight, list[str]]:
    """(harm, subgroups missing a harm figure, cost, subgroups missing a cost) of a mix of subgroups,
    weighted by ``volumes`` (default: national counts); see ``_blend``."""
    cost, cost_missing = _blend([(s, _cost(s)) for s in subs], COST_SOURCE, volumes, how)
    if harm_index == "none":
        return _Weight(math.nan, NOT_USED, ""), [], cost, cost_missing
    if harm_index == "cost":
        return cost, cost_missing, cost, cost_missing
    base = CCHI_SOURCE if harm_index == "cchi" else CSS_SOURCE
    harm, harm_missing = _blend([(s, _harm(s, harm_index, _cost(s))) for s in subs], base, volumes, how)
    return harm, harm_missing, cost, cost_missing


def _police_uk_records(harm_index: str) -> list[dict[str, object]]:
    by_type: dict[str, list[_Subgroup]] = {}
    for sub in _subgroups().values():
        by_type.setdefault(sub.police_uk, []).append(sub)
    records = []
    for crime_type, subs in by_type.items():
        harm, harm_missing, cost, cost_missing = _blended(subs, harm_index)
        parts = ", ".join(f"{s.name} ({s.count:,.0f})" for s in subs)
        notes = [
            f"volume-weighted blend of PRC subgroups by 2024/25 national count: {parts}"
            if len(subs) > 1
            else f"single PRC subgroup: {subs[0].name}",
        ]
        if harm_index != "none":
            notes.append(f"harm weight missing for: {', '.join(harm_missing) or 'none'}")
        notes.append(f"unit cost missing for: {', '.join(cost_missing) or 'none'}")
        for s in subs:
            notes.extend(_harm_caveats(s, harm_index))
        subgroup = "; ".join(s.name for s in subs)
        records.append(_record(crime_type, crime_type, subgroup, harm, cost, notes, POLICE_UK_ROUTE))
    asb_harm = _Weight(math.nan, NOT_USED if harm_index == "none" else "unknown", "")
    asb_note = "anti-social behaviour is recorded as incidents, not crimes: no harm or cost weight"
    records.append(
        _record(
            ASB_CRIME_TYPE,
            ASB_CRIME_TYPE,
            "",
            asb_harm,
            _Weight(math.nan, "unknown", ""),
            [asb_note],
            POLICE_UK_ROUTE,
        )
    )
    return records


def _subgroup_records(harm_index: str) -> list[dict[str, object]]:
    """One record per Home Office PRC subgroup, named by the subgroup itself."""
    records = []
    for sub in _subgroups().values():
        cost = _cost(sub)
        harm = _harm(sub, harm_index, cost)
        records.append(
            _record(sub.name, sub.name, sub.name, harm, cost, _harm_caveats(sub, harm_index), SUBGROUP_ROUTE)
        )
    return records


@cache
def _weight_table(scheme: str, harm_index: str) -> pd.DataFrame:
    if scheme == "custom":
        return _frame([])
    if scheme == "police-uk":
        return _frame(_police_uk_records(harm_index))
    return _frame(_mapped_records(scheme, harm_index))


def weight_table(scheme: str, harm_index: str = "cchi") -> pd.DataFrame:
    """One row per (major, minor) known for ``scheme``, with its harm weight and unit cost.

    Columns: ``major, minor, prc_subgroup, harm_weight, harm_status, harm_source, unit_cost_gbp,
    cost_status, cost_source, note``. Weights that are not known are NaN and their status says why.
    ``prc_subgroup`` is ``""`` where no subgroup fits; for ``police-uk`` it lists the blended subgroups
    separated by ``"; "``. Costs are in 2015/16 prices. ``custom`` gives an empty table.
    """
    _check(scheme, harm_index)
    return _weight_table(scheme, harm_index).copy()


def _norm(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def weights_for(
    categories: pd.DataFrame,
    scheme: str,
    harm_index: str = "cchi",
    ho_codes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``categories`` (columns ``major``, ``minor``, any others kept) with the weight columns added.

    Each row is matched to the weight table exactly, else case-insensitively with whitespace collapsed.
    For ``custom`` extracts, which have no category map, each category is matched by name instead (see
    ``custom_match``); a category no name matches is then weighted by the Home Office offence codes its
    rows carry, when ``ho_codes`` gives them (``ho_codes.code_mix`` of the extract's counts; see
    ``code_match``). Unmatched rows get NaN weights, status ``unknown`` (``not used`` for harm with
    ``harm_index="none"``), the note ``not in the category map`` and the route ``none: ...``.
    ``weight_route`` says how every row got its weights.
    """
    missing = [c for c in ("major", "minor") if c not in categories.columns]
    if missing:
        raise ValueError(f"categories frame lacks column(s): {', '.join(missing)}")
    _check(scheme, harm_index)
    value_cols = [c for c in WEIGHT_COLUMNS if c not in ("major", "minor")]
    unmatched: dict[str, object] = {
        "prc_subgroup": "",
        "harm_weight": math.nan,
        "harm_status": NOT_USED if harm_index == "none" else "unknown",
        "harm_source": "",
        "unit_cost_gbp": math.nan,
        "cost_status": "unknown",
        "cost_source": "",
        "note": UNMATCHED_NOTE,
        "weight_route": NO_ROUTE,
    }
    columns: dict[str, list[object]] = {c: [] for c in value_cols}
    if scheme == "custom":
        mix = _mix_by_category(ho_codes)
        for major, minor in zip(categories["major"], categories["minor"], strict=True):
            rec = custom_match(str(major), str(minor), harm_index)
            if rec is None and (codes := mix.get((str(major), str(minor)))):
                rec = code_match(str(major), str(minor), codes, harm_index)
            for col in value_cols:
                columns[col].append(unmatched[col] if rec is None else rec[col])
    else:
        table = weight_table(scheme, harm_index)
        exact: dict[tuple[str, str], int] = {}
        loose: dict[tuple[str, str], int] = {}
        for i, (major, minor) in enumerate(zip(table["major"], table["minor"], strict=True)):
            exact.setdefault((major, minor), i)
            loose.setdefault((_norm(major), _norm(minor)), i)
        values = {c: table[c].tolist() for c in value_cols}  # scalar access to a str column costs ~0.1 ms
        for major, minor in zip(categories["major"], categories["minor"], strict=True):
            pos: int | None = exact.get((str(major), str(minor)))
            if pos is None:
                pos = loose.get((_norm(major), _norm(minor)))
            for col in value_cols:
                columns[col].append(unmatched[col] if pos is None else values[col][pos])
    out = categories.copy()
    for col in value_cols:
        dtype = "float64" if col in _FLOAT_COLUMNS else "str"
        out[col] = pd.Series(columns[col], index=categories.index, dtype=dtype)
    return out


# --------------------------------------------------------------------------------- custom extracts by name


def _key(text: object) -> str:
    """A name as compared across schemes: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).split())


def _same_weights(recs: list[dict[str, object]]) -> bool:
    first = recs[0]
    return all(
        r["prc_subgroup"] == first["prc_subgroup"] and r["cost_source"] == first["cost_source"] for r in recs
    )


@cache
def _name_index(
    harm_index: str,
) -> tuple[dict[tuple[str, str], list[dict[str, object]]], dict[str, list[dict[str, object]]]]:
    """(major, minor) keys and minor keys of every named category the reference knows: the Met category
    maps (old, new, pre-2019), the Home Office PRC subgroups and the police.uk crime types."""
    pairs: dict[tuple[str, str], list[dict[str, object]]] = {}
    minors: dict[str, list[dict[str, object]]] = {}
    sources = [*(_mapped_records(s, harm_index) for s in MAPPED_SCHEMES)]
    sources += [_subgroup_records(harm_index), _police_uk_records(harm_index)]
    for records in sources:
        for rec in records:
            pairs.setdefault((_key(rec["major"]), _key(rec["minor"])), []).append(rec)
            minors.setdefault(_key(rec["minor"]), []).append(rec)
    return pairs, minors


def custom_match(major: str, minor: str, harm_index: str = "cchi") -> dict[str, object] | None:
    """The weights of a custom extract's category, found by name, or None.

    First the (major, minor) pair, then the minor name alone, against the Met category maps, the Home Office
    PRC subgroups and the police.uk crime types. A name that means different subgroups in different schemes
    (and whose major category does not settle it) is left unknown, never guessed.
    """
    pairs, minors = _name_index(harm_index)
    key = _key(minor)
    found = pairs.get((_key(major), key))
    how = "major and minor name"
    if not found:
        found = minors.get(key)
        how = "minor name"
    if not found and len(key) >= TRUNCATED_NAME:
        # The Met cuts minor names to 50 characters, and exports cut them elsewhere: a long name that is
        # the start of a known one (or the other way round) is the same category cut short.
        found = [
            r
            for k, recs in minors.items()
            if min(len(k), len(key)) >= TRUNCATED_NAME and (k.startswith(key) or key.startswith(k))
            for r in recs
        ]
        how = "minor name cut short"
    if not found or not _same_weights(found):
        return None
    rec = dict(found[0])
    route = str(rec["weight_route"])
    if route.startswith("category map ("):
        route = "Met category map " + route.removeprefix("category map (").rstrip(")")
    rec["weight_route"] = f"by {how}: {route}"
    rec["note"] = "; ".join(n for n in (f"weights {rec['weight_route']}", str(rec["note"])) if n)
    rec["major"], rec["minor"] = major, minor
    return rec


# ------------------------------------------------------------------------------ by Home Office offence code


@cache
def _code_subgroups() -> dict[str, _Subgroup]:
    """Each packaged Home Office offence code's PRC subgroup (by normalised code)."""
    subgroups = _subgroups()
    out: dict[str, _Subgroup] = {}
    for code, entry in ho_code_table().items():
        if entry.prc_subgroup not in subgroups:  # a broken packaged file is a bug: fail loudly
            raise ValueError(f"ho_offence_codes.csv: unknown prc_subgroup {entry.prc_subgroup!r}")
        out[code] = subgroups[entry.prc_subgroup]
    return out


def _mix_by_category(ho_codes: pd.DataFrame | None) -> dict[tuple[str, str], list[tuple[str, int]]]:
    out: dict[tuple[str, str], list[tuple[str, int]]] = {}
    if ho_codes is None or not len(ho_codes):
        return out
    for major, minor, code, n in zip(
        ho_codes["major"], ho_codes["minor"], ho_codes[HO_CODE], ho_codes["count"], strict=True
    ):
        out.setdefault((str(major), str(minor)), []).append((str(code), int(n)))
    return out


def code_match(
    major: str, minor: str, codes: list[tuple[str, int]], harm_index: str = "cchi"
) -> dict[str, object] | None:
    """The weights of a category from the Home Office offence codes its rows carry, or None.

    ``codes`` are (code as read, offences). Each code the packaged lookup knows names a PRC subgroup; the
    category takes that subgroup's weights, or, when its codes fall in several subgroups, their mean
    weighted by the category's own offences in each (as police.uk types are blended by national counts).
    Offences with a blank or unknown code take the mix of the known ones, and the note says how many.
    None when no code is known: the category stays unknown, never guessed."""
    _check("custom", harm_index)
    table = _code_subgroups()
    per_sub: dict[str, int] = {}
    codes_of: dict[str, list[str]] = {}
    unknown: dict[str, int] = {}
    blank = 0
    for code, n in codes:
        entry = lookup(code)
        if not code.strip():
            blank += n
        elif entry is None:
            unknown[code] = unknown.get(code, 0) + n
        else:
            name = table[entry.code].name
            per_sub[name] = per_sub.get(name, 0) + n
            if entry.code not in codes_of.setdefault(name, []):
                codes_of[name].append(entry.code)
    if not per_sub:
        return None
    order = sorted(per_sub, key=lambda s: (-per_sub[s], s))
    subs = [_subgroups()[s] for s in order]
    volumes = [float(per_sub[s]) for s in order]
    harm, harm_missing, cost, cost_missing = _blended(subs, harm_index, volumes, CODE_BLEND_SOURCE)
    mix = "; ".join(f"{s} {per_sub[s]:,} (codes {', '.join(sorted(codes_of[s]))})" for s in order)
    notes = [f"weights by {HO_CODE_ROUTE}, offences per PRC subgroup: {mix}"]
    left = sum(unknown.values()) + blank
    if left:
        what = [f"'{c}' ({n:,})" for c, n in sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
        what += [f"blank ({blank:,})"] if blank else []
        notes.append(f"{left:,} offence(s) with no known code take the mix of the rest: {', '.join(what)}")
    if len(subs) > 1:
        if harm_index != "none":
            notes.append(f"harm weight missing for: {', '.join(harm_missing) or 'none'}")
        notes.append(f"unit cost missing for: {', '.join(cost_missing) or 'none'}")
    for s in subs:
        notes.extend(_harm_caveats(s, harm_index))
    return _record(major, minor, "; ".join(order), harm, cost, notes, HO_CODE_ROUTE)


# ----------------------------------------------------------------------------------------------- overrides

_OVERRIDE_COLUMNS = [
    "major",
    "minor",
    "prc_subgroup",
    "harm_weight",
    "unit_cost_gbp",
    "source",
    "file",
    "line",
]
_KEY_COLUMNS = ("minor", "prc_subgroup")
_VALUE_COLUMNS = ("harm_weight", "unit_cost_gbp")
_KNOWN_COLUMNS = {"major", *_KEY_COLUMNS, *_VALUE_COLUMNS, "source"}


def _read_text(path: Path) -> str:
    data = read_small_bytes(path, "weights")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError("cannot read weights file: not UTF-8 or cp1252 text", file=str(path))


def _parse_number(text: str, column: str, path: Path, line: int) -> float:
    cleaned = text.replace(",", "").replace("£", "").strip()
    if not cleaned:
        return math.nan
    try:
        value = float(cleaned)
    except ValueError:
        value = math.nan
        ok = False
    else:
        ok = math.isfinite(value)
    if not ok:
        raise ConfigError(f"{column} {text[:40]!r} is not a number", file=str(path), line=line)
    if value < 0:
        raise ConfigError(f"{column} {text[:40]!r} is negative", file=str(path), line=line)
    limit = _OVERRIDE_LIMITS.get(column)
    if limit is not None and value > limit[0]:  # 1e308 overflowed every sum to inf: '£infm' and bad JSON
        raise ConfigError(
            f"{column} {text[:40]!r} is more than any offence's could be (at most {limit[0]:,.0f}; {limit[1]})",
            file=str(path),
            line=line,
        )
    return value


#: The largest override taken, far above any real weight, so sums of counts x weights stay finite.
_OVERRIDE_LIMITS = {
    "harm_weight": (1e6, "homicide's CCHI weight is 5,475 days"),
    "unit_cost_gbp": (1e9, "homicide's unit cost is £3,217,740"),
}


def load_weight_overrides(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a user weights CSV: a key column ``minor`` or ``prc_subgroup`` (optional ``major`` to narrow a
    ``minor``), value columns ``harm_weight`` and/or ``unit_cost_gbp`` (blank = keep the default), and an
    optional ``source``. Returns the overrides (one row per usable line, with ``file`` and ``line``) and
    warnings. Raises ``ConfigError`` naming the file and line for a malformed file.
    """
    path = Path(path)
    text = _read_text(path)
    warnings: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise ConfigError("weights file is empty", file=str(path))
        header_line = reader.line_num
        names = [h.strip().lower() for h in header]
        if not any(k in names for k in _KEY_COLUMNS):
            raise ConfigError(
                "weights file needs a 'minor' or 'prc_subgroup' column", file=str(path), line=header_line
            )
        if not any(v in names for v in _VALUE_COLUMNS):
            raise ConfigError(
                "weights file needs a 'harm_weight' or 'unit_cost_gbp' column",
                file=str(path),
                line=header_line,
            )
        dupes = sorted({n for n in names if n and names.count(n) > 1})
        if dupes:
            raise ConfigError(
                f"weights file repeats column(s): {', '.join(dupes)}", file=str(path), line=header_line
            )
        extra = [h for h, n in zip(header, names, strict=True) if n not in _KNOWN_COLUMNS and n]
        if extra:
            warnings.append(f"{path.name}: ignoring unknown column(s): {', '.join(extra)}")
        records: list[dict[str, object]] = []
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(names):
                raise ConfigError(
                    f"row has {len(cells)} fields, the header has {len(names)}", file=str(path), line=line
                )
            row = {n: c.strip() for n, c in zip(names, cells, strict=False)}
            minor, subgroup = row.get("minor", ""), row.get("prc_subgroup", "")
            if not minor and not subgroup:
                raise ConfigError("row has no minor or prc_subgroup value", file=str(path), line=line)
            harm = _parse_number(row.get("harm_weight", ""), "harm_weight", path, line)
            cost = _parse_number(row.get("unit_cost_gbp", ""), "unit_cost_gbp", path, line)
            if math.isnan(harm) and math.isnan(cost):
                warnings.append(f"{path.name} line {line}: no harm_weight or unit_cost_gbp value; ignored")
                continue
            records.append(
                {
                    "major": row.get("major", ""),
                    "minor": minor,
                    "prc_subgroup": "" if minor else subgroup,
                    "harm_weight": harm,
                    "unit_cost_gbp": cost,
                    "source": row.get("source", "") or path.name,
                    "file": path.name,
                    "line": line,
                }
            )
    except csv.Error as err:
        raise ConfigError(
            f"weights file is not valid CSV: {err}", file=str(path), line=reader.line_num
        ) from err
    data: dict[str, pd.Series] = {}
    for col in _OVERRIDE_COLUMNS:
        dtype = "float64" if col in _VALUE_COLUMNS else "int64" if col == "line" else "str"
        data[col] = pd.Series([r[col] for r in records], dtype=dtype)
    return pd.DataFrame(data, columns=_OVERRIDE_COLUMNS), warnings


def _match(values: pd.Series, wanted: str) -> pd.Series:
    mask = values == wanted
    if not mask.any():
        key = _norm(wanted)
        mask = values.map(_norm) == key
    return mask


def apply_overrides(table: pd.DataFrame, overrides: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Apply ``load_weight_overrides`` rows to a weight table (from ``weight_table`` or ``weights_for``).

    Matched rows take the user's value with status ``user`` and the user's source; later lines win.
    Override lines that match no row are returned as warnings naming the file and line.
    """
    out = table.copy()
    warnings: list[str] = []
    if out.empty:
        for rec in overrides.to_dict("records"):
            warnings.append(f"{rec['file']} line {rec['line']}: no categories to override; ignored")
        return out, warnings
    for rec in overrides.to_dict("records"):
        minor, subgroup, major = str(rec["minor"]), str(rec["prc_subgroup"]), str(rec["major"])
        file, line = rec["file"], rec["line"]
        if minor:
            what = f"minor {minor!r}"
            mask = _match(out["minor"], minor)
            if major:
                what += f" under major {major!r}"
                mask &= _match(out["major"], major)
        else:
            what = f"prc_subgroup {subgroup!r}"
            mask = _match(out["prc_subgroup"], subgroup)
        if not mask.any():
            warnings.append(f"{file} line {line}: {what} matches no category; ignored")
            continue
        source = str(rec["source"])
        harm, cost = float(rec["harm_weight"]), float(rec["unit_cost_gbp"])
        done: list[str] = []
        if not math.isnan(harm):
            out.loc[mask, "harm_weight"] = harm
            out.loc[mask, "harm_status"] = "user"
            out.loc[mask, "harm_source"] = source
            done.append("harm weight")
        if not math.isnan(cost):
            out.loc[mask, "unit_cost_gbp"] = cost
            out.loc[mask, "cost_status"] = "user"
            out.loc[mask, "cost_source"] = source
            done.append("unit cost")
        stamp = f"{' and '.join(done)} from {file} line {line}"
        if "weight_route" in out.columns:
            out.loc[mask, "weight_route"] = [
                f"{USER_ROUTE} ({stamp})" if r == NO_ROUTE or not r else f"{r}; {USER_ROUTE} ({stamp})"
                for r in out.loc[mask, "weight_route"]
            ]
        out.loc[mask, "note"] = [f"{n}; {stamp}" if n else stamp for n in out.loc[mask, "note"]]
    return out, warnings
