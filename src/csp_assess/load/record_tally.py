"""Counting record-level rows batch by batch, without a Python object per row.

Every reader of long extracts (CSV, Parquet, Excel) hands its rows to a ``Tally`` as Arrow batches. The
tally turns each key column into integer codes (text through a dictionary of the distinct values, so
trimming and flag truthiness are decided once per distinct value, not once per row), parses months
vectorised, applies the reject rules, and adds the batch's counts per key into a small running table.
Memory is the running table (one row per distinct key seen) plus one batch: it does not grow with the
file. Rejected rows are kept as (row index, reason); the reader turns row indexes into file lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from csp_assess.load.record_values import (
    TRUTHY,
    MonthParser,
    as_dictionary,
    count_reason,
    count_text_of,
    date_reason,
    dict_strings,
    indices_of,
    parse_count_numbers,
    parse_count_text,
)
from csp_assess.reference.ho_codes import canonical_code

DEFAULT_AREA = "All areas"


@dataclass(frozen=True)
class Roles:
    """Which file column plays each part: the columns a reader must read, and nothing else."""

    month: str
    area: str | None = None
    major: str | None = None
    minor: str | None = None
    count: str | None = None
    subarea: str | None = None
    ho_code: str | None = None  # Home Office offence code: carried as a key, for weights by code
    flags: dict[str, str] = field(default_factory=dict)  # flag name (no "flag_" prefix) -> column

    def columns(self) -> list[str]:
        """The distinct columns to read, in a fixed order."""
        wanted = [
            self.month,
            self.area,
            self.major,
            self.minor,
            self.count,
            self.subarea,
            self.ho_code,
            *self.flags.values(),
        ]
        out: list[str] = []
        for c in wanted:
            if c is not None and c not in out:
                out.append(c)
        return out


class _Dictionary:
    """Distinct text values -> codes, shared by every batch of a file."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.values: list[str] = []

    def code(self, value: str) -> int:
        c = self.codes.get(value)
        if c is None:
            c = self.codes[value] = len(self.values)
            self.values.append(value)
        return c


@dataclass
class TallyResult:
    """The finished count: key columns as arrays, and the rejects by row index."""

    columns: dict[str, object]
    rows: int
    counted: int
    offences: int
    months: list[int]  # month codes of the counted rows (sorted, distinct)
    reject_rows: np.ndarray
    reject_reasons: list[str]
    line_breaks: bool = False
    month_rejects: int = 0  # rows rejected for their date


class Tally:
    """The running count of one file."""

    def __init__(self, roles: Roles, name: str) -> None:
        self.roles = roles
        self.name = name
        self.cats = _Dictionary()  # major and minor share one dictionary, so blanks can borrow codes
        self.cats.code("")
        self.areas = _Dictionary()
        self.areas.code("")
        self.subareas = _Dictionary()
        self.subareas.code("")
        self.ho_codes = _Dictionary()
        self.ho_codes.code("")
        if roles.area is None:
            self.areas.code(DEFAULT_AREA)
        self.months = MonthParser()
        self.flag_names = sorted(roles.flags)
        self.line_breaks = False  # a name held a line break: a quote may be unclosed (the reader checks)
        self.rows = 0
        self.counted = 0
        self.offences = 0
        self.month_seen: set[int] = set()
        self._parts: list[np.ndarray] = []  # structured arrays of key codes + count
        self._pending = 0
        self._compacted = 0
        self._rej_rows: list[np.ndarray] = []
        self.month_rejects = 0
        self._rej_reasons: list[str] = []

    # ------------------------------------------------------------------ per batch

    def _text_codes(
        self, arr: pa.Array, d: _Dictionary, clean: Callable[[str], str] = str.strip
    ) -> np.ndarray:
        enc = as_dictionary(arr)
        values = dict_strings(enc)
        if not self.line_breaks:
            self.line_breaks = any("\n" in v or "\r" in v for v in values)
        lut = np.array([d.code(clean(v)) for v in values] + [0], dtype=np.int32)
        return lut[indices_of(enc)]

    def _flag_bits(self, arr: pa.Array) -> np.ndarray:
        if pa.types.is_boolean(arr.type):
            return np.array(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)
        enc = as_dictionary(arr)
        lut = np.array([v.strip().lower() in TRUTHY for v in dict_strings(enc)] + [False], dtype=bool)
        return lut[indices_of(enc)]

    def add(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Count one batch; its rows are numbered on from the rows already added."""
        r = self.roles
        n = batch.num_rows
        if n == 0:
            return
        col = {name: batch.column(name) for name in batch.schema.names}
        if isinstance(batch, pa.Table):
            col = {k: v.combine_chunks() for k, v in col.items()}
        first = self.rows
        self.rows += n

        month_raw = col[r.month]
        month = self.months.codes(month_raw)  # -1 where unreadable or outside 1900-2100
        major = self._text_codes(col[r.major], self.cats) if r.major else None
        minor = self._text_codes(col[r.minor], self.cats) if r.minor else None
        if major is None or minor is None:  # one level: major and minor are the same column
            major = minor = major if minor is None else minor
        else:  # a blank level borrows the other's name
            blank_major, blank_minor = major == 0, minor == 0
            if blank_major.any():
                major = np.where(blank_major, minor, major)
            if blank_minor.any():
                minor = np.where(blank_minor, major, minor)
        area: np.ndarray | int = (
            self._text_codes(col[r.area], self.areas) if r.area else self.areas.codes[DEFAULT_AREA]
        )
        sub: np.ndarray | int = self._text_codes(col[r.subarea], self.subareas) if r.subarea else 0
        ho: np.ndarray | int = (
            self._text_codes(col[r.ho_code], self.ho_codes, canonical_code) if r.ho_code else 0
        )
        bits: np.ndarray | int = 0
        if self.flag_names:
            bits = np.zeros(n, dtype=np.int32)
            for i, fname in enumerate(self.flag_names):
                bits |= self._flag_bits(col[r.flags[fname]]).astype(np.int32) << i
        counts, creason = None, None
        if r.count:
            raw_count = col[r.count]
            if pa.types.is_string(raw_count.type) or pa.types.is_large_string(raw_count.type):
                counts, creason = parse_count_text(raw_count)
            elif pa.types.is_dictionary(raw_count.type):
                counts, creason = parse_count_text(raw_count.dictionary_decode())
            else:
                counts, creason = parse_count_numbers(raw_count)

        bad_month = month < 0
        bad_cat: np.ndarray = np.asarray(minor == 0)
        bad_area = (area == 0) if isinstance(area, np.ndarray) else np.zeros(n, dtype=bool)
        bad = bad_month | bad_cat | bad_area
        if creason is not None:
            bad |= creason != 0
        assert major is not None and minor is not None
        keys: list[np.ndarray | int] = [area, month, major, minor, sub, bits, ho]
        if bad.any():
            self.month_rejects += int(bad_month.sum())
            self._reject(first, bad_month, creason, bad_cat, bad_area, month_raw, col.get(r.count or ""))
            good = ~bad
            keys = [k[good] if isinstance(k, np.ndarray) else k for k in keys]
            if counts is not None:
                counts = counts[good]
        n_good = len(keys[1])  # type: ignore[arg-type]
        if n_good == 0:
            return
        self.counted += n_good
        self.offences += int(counts.sum()) if counts is not None else n_good
        part = _reduce(keys, counts, n_good)
        self.month_seen.update(np.unique(part["k1"]).tolist())
        self._parts.append(part)
        self._pending += len(part)
        if self._pending > max(200_000, 4 * self._compacted):
            self._compact()

    def _reject(
        self,
        first: int,
        bad_month: np.ndarray,
        creason: np.ndarray | None,
        bad_cat: np.ndarray,
        bad_area: np.ndarray,
        month_raw: pa.Array,
        count_raw: pa.Array | None,
    ) -> None:
        rows = np.flatnonzero(
            bad_month | bad_cat | bad_area | (creason != 0 if creason is not None else False)
        )
        for i in rows.tolist():
            if bad_month[i]:
                v = month_raw[i].as_py()
                text = "" if v is None else str(v).strip()
                reason = date_reason(text)
            elif creason is not None and creason[i]:
                assert count_raw is not None
                reason = count_reason(int(creason[i]), count_text_of(count_raw, i))
            elif bad_cat[i]:
                reason = "offence category is blank"
            else:
                reason = "area is blank"
            self._rej_reasons.append(reason)
        self._rej_rows.append(rows + first)

    def _compact(self) -> None:
        if len(self._parts) > 1:
            both = np.concatenate(self._parts)
            keys: list[np.ndarray | int] = [both[f"k{i}"] for i in range(N_KEYS)]
            self._parts = [_reduce(keys, both["n"], len(both))]
        self._compacted = self._pending = len(self._parts[0]) if self._parts else 0

    # ------------------------------------------------------------------ result

    def finish(self) -> TallyResult:
        import pandas as pd

        self._compact()
        table = self._parts[0] if self._parts else np.zeros(0, dtype=_DTYPE)
        keep = table["n"] > 0
        table = table[keep]
        cats = np.array(self.cats.values, dtype=object)
        columns: dict[str, object] = {
            "area": np.array(self.areas.values, dtype=object)[table["k0"]],
            "month": pd.arrays.PeriodArray(table["k1"] - 1970 * 12, dtype=pd.PeriodDtype("M")),
            "major": cats[table["k2"]],
            "minor": cats[table["k3"]],
            "count": table["n"].astype(np.int64),
        }
        if self.roles.subarea:
            columns["subarea"] = np.array(self.subareas.values, dtype=object)[table["k4"]]
        if self.roles.ho_code:
            columns["ho_code"] = np.array(self.ho_codes.values, dtype=object)[table["k6"]]
        for i, fname in enumerate(self.flag_names):
            columns[f"flag_{fname}"] = ((table["k5"] >> i) & 1).astype(bool)
        rows = np.concatenate(self._rej_rows) if self._rej_rows else np.zeros(0, dtype=np.int64)
        return TallyResult(
            columns=columns,
            rows=self.rows,
            counted=self.counted,
            offences=self.offences,
            months=sorted(self.month_seen),
            reject_rows=rows,
            reject_reasons=self._rej_reasons,
            line_breaks=self.line_breaks,
            month_rejects=self.month_rejects,
        )


N_KEYS = 7  # area, month, major, minor, subarea, flag bits, Home Office offence code
_DTYPE = np.dtype([(f"k{i}", np.int64) for i in range(N_KEYS)] + [("n", np.int64)])


def _reduce(keys: list[np.ndarray | int], counts: np.ndarray | None, n: int) -> np.ndarray:
    """Sum ``counts`` (None: one a row) per distinct key tuple, sorted by key. A key given as an int is
    the same for every row. One int64 code per row; a dense grid when the keys are few."""
    if n == 0:
        return np.zeros(0, dtype=_DTYPE)
    lows = [int(k.min()) if isinstance(k, np.ndarray) else k for k in keys]
    spans = [
        int(k.max()) - lo + 1 if isinstance(k, np.ndarray) else 1 for k, lo in zip(keys, lows, strict=True)
    ]
    total = 1
    for s in spans:
        total *= s
    if total >= 2**62:  # too many combinations for one code: group by the columns instead
        return _reduce_by_frame(keys, counts, n)
    code = np.zeros(n, dtype=np.int64)
    for k, lo, s in zip(keys, lows, spans, strict=True):
        if s > 1:
            code *= s
            code += np.asarray(k, dtype=np.int64) - lo if lo else k
    if total <= max(4 * n, 1 << 16):
        # Few possible keys (the usual case): count into a dense grid, no sort. Float weights are
        # exact here: a batch sums to far less than 2^53 (rows x MAX_COUNT).
        dense = np.bincount(code, weights=counts, minlength=total)
        uniq = np.flatnonzero(dense)
        sums = dense[uniq].astype(np.int64)
    else:
        uniq, inv = np.unique(code, return_inverse=True)
        if counts is None:
            sums = np.bincount(inv, minlength=len(uniq)).astype(np.int64)
        else:
            sums = np.zeros(len(uniq), dtype=np.int64)
            np.add.at(sums, inv, counts)
    out = np.zeros(len(uniq), dtype=_DTYPE)
    for i, part in enumerate(np.unravel_index(uniq, spans)):
        out[f"k{i}"] = part + lows[i]
    out["n"] = sums
    return out


def _reduce_by_frame(keys: list[np.ndarray | int], counts: np.ndarray | None, n: int) -> np.ndarray:
    import pandas as pd

    frame = pd.DataFrame({f"k{i}": np.broadcast_to(k, n) for i, k in enumerate(keys)})
    frame["n"] = counts if counts is not None else 1
    g = frame.groupby([f"k{i}" for i in range(N_KEYS)], sort=True)["n"].sum().reset_index()
    out = np.zeros(len(g), dtype=_DTYPE)
    for name in _DTYPE.names or ():
        out[name] = g[name].to_numpy()
    return out
