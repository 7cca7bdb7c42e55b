"""Reading the values of record-level columns vectorised: months from dates, counts from cells.

Arrow arrays in, numpy codes out, one rule per value kind, with the reject reasons the tally reports.
Dates are read day first (UK) or ISO, never month first; a count is digits, never '1e3', 'inf' or 2^63-1.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from csp_assess.errors import InputError

# A count above this in one row is not a count of offences (a £ value, an ID, a sentinel such as
# 2^63-1): rejected by line. It also keeps every sum far from int64 overflow.
MAX_COUNT = 10**9
TRUTHY = frozenset({"y", "yes", "1", "true", "t"})
# Formats tried, fastest first, by Arrow's strptime (whole-string match: never a guess at month-first).
FAST_DATE_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
)
DATE_HINT = "(use 31/03/2022, 2022-03-31 or 2022-03)"
# The dated layouts of the general parser (``long.parse_months``), any time of day after the date.
ISO_DATE = r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T].*)?$"  # year, month, day
UK_DATE = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T].*)?$"  # day, month, year (never month first)


def date_reason(text: str) -> str:
    """Why a date cell was rejected, for its line: a day its month does not have, or an unread layout."""
    import calendar
    import re

    for pattern, (yi, mi, di) in ((ISO_DATE, (1, 2, 3)), (UK_DATE, (3, 2, 1))):
        m = re.match(pattern, text)
        if m:
            year, month, day = int(m.group(yi)), int(m.group(mi)), int(m.group(di))
            if 1 <= month <= 12 and 1900 <= year <= 2100:
                days = calendar.monthrange(year, month)[1]
                if not 1 <= day <= days:
                    name = calendar.month_name[month]
                    return f"no such date '{text[:40]}' ({name} {year} has {days} days): correct or remove the row"
    return f"cannot read date '{text[:40]}' {DATE_HINT}"


MEMO_TEXTS = 100_000  # distinct date texts remembered across a file's batches


def as_dictionary(arr: pa.Array) -> pa.DictionaryArray:
    if pa.types.is_dictionary(arr.type):
        return arr
    return pc.dictionary_encode(arr)


def indices_of(arr: pa.DictionaryArray) -> np.ndarray:
    """Indices (read-only, no copy when there are no nulls), nulls as -1: lookup tables end with a slot
    for null."""
    idx = arr.indices
    if idx.null_count:
        idx = pc.fill_null(idx, -1)
    return idx.to_numpy(zero_copy_only=False)


def dict_strings(arr: pa.DictionaryArray) -> list[str]:
    values = arr.dictionary
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = _text(values)
    return [v if v is not None else "" for v in values.to_pylist()]


def _text(values: pa.Array) -> pa.Array:
    """Any Arrow array as strings: integral floats without '.0' (an Excel code 5.0 is '5')."""
    if pa.types.is_floating(values.type):
        out: list[str | None] = []
        for v in values.to_pylist():
            if v is None:
                out.append(None)
            elif v == v and v not in (float("inf"), float("-inf")) and float(v).is_integer():
                out.append(str(int(v)))
            else:
                out.append(str(v))
        return pa.array(out, pa.string())
    return pc.cast(values, pa.string())


def month_codes_of_datetimes(arr: pa.Array) -> np.ndarray:
    """year * 12 + month - 1 of a timestamp or date array; -1 for nulls and years outside 1900-2100."""
    code = pc.add(pc.multiply(pc.year(arr), 12), pc.subtract(pc.month(arr), 1))
    out = np.array(pc.fill_null(code, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    out[~_year_ok(out)] = -1
    return out


def _general_month_codes(strings: list[str]) -> np.ndarray:
    """The general (pandas) parser, on distinct values only: every layout ``parse_months`` accepts."""
    import pandas as pd

    from csp_assess.load.long import parse_months

    periods = parse_months(pd.Series(strings, dtype="object"))
    out = np.full(len(strings), -1, dtype=np.int64)
    ok = periods.notna().to_numpy()
    if ok.any():
        p = periods[ok]
        out[ok] = (p.dt.year * 12 + p.dt.month - 1).to_numpy()
    return out


class MonthParser:
    """Month codes of a text column, remembering which format matched so the next batch tries it first."""

    def __init__(self) -> None:
        self.order = list(FAST_DATE_FORMATS)
        self._memo: dict[str, int] = {}

    def codes(self, arr: pa.Array) -> np.ndarray:
        if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
            return month_codes_of_datetimes(arr)
        if pa.types.is_dictionary(arr.type):
            return self._distinct_text_codes(arr)
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return self._distinct_text_codes(pc.dictionary_encode(_text(arr)))
        out = self._fixed_width_codes(arr)
        if out is None:
            return self._row_codes(arr)
        miss = out < 0
        if miss.any():  # whatever the split could not read gets the full treatment
            out[miss] = self._row_codes(arr.filter(pa.array(miss)))
        return out

    def _fixed_width_codes(self, arr: pa.Array) -> np.ndarray | None:
        """When every value has one width (as exports write dates), split off the first 10 characters
        (the date) and the rest (a time), and read each distinct part once: no per-row parsing."""
        if len(arr) == 0 or arr.null_count:
            return None
        raw = arr.view(pa.large_binary() if pa.types.is_large_string(arr.type) else pa.binary())
        lo_hi = pc.min_max(pc.binary_length(raw)).as_py()
        width = lo_hi["min"]
        if width != lo_hi["max"] or width < 7:
            return None
        cut = min(width, 10)
        date = pc.dictionary_encode(pc.binary_slice(raw, 0, cut))
        date_lut = np.append(self._distinct_codes(date.dictionary), -1)
        codes = date_lut[indices_of(date)]
        if width > cut:  # a time part must follow a space or a 'T', as the general parser requires
            lead = pc.binary_slice(raw, cut, cut + 1)
            ok = pc.or_(
                pc.equal(lead, pa.scalar(b" ", lead.type)), pc.equal(lead, pa.scalar(b"T", lead.type))
            )
            codes[~np.array(ok.to_numpy(zero_copy_only=False), dtype=bool)] = -1
        return codes

    def _distinct_codes(self, values: pa.Array) -> np.ndarray:
        """Month codes of distinct date texts (bytes, as the fixed-width split gives them)."""
        return self._text_codes([k.decode("utf-8", "replace") for k in values.to_pylist()])

    def _distinct_text_codes(self, arr: pa.DictionaryArray) -> np.ndarray:
        """Month codes of a dictionary column (Parquet, Excel, the C scanner's pieces), by the same rules
        as a text column."""
        lut = np.append(self._text_codes(dict_strings(arr)), -1)  # last slot: null
        return lut[indices_of(arr)]

    def _text_codes(self, texts: list[str]) -> np.ndarray:
        """Month codes of date texts, each distinct text parsed once per file (remembered across batches)."""
        unknown = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if len(self._memo) + len(unknown) > MEMO_TEXTS:  # bounded: start again with this batch's texts
            self._memo.clear()
            unknown = list(dict.fromkeys(texts))
        if unknown:
            codes = self._row_codes(pa.array(unknown, pa.string())).tolist()
            self._memo.update(zip(unknown, codes, strict=True))
        return np.array([self._memo[t] for t in texts], dtype=np.int64)

    def _row_codes(self, arr: pa.Array) -> np.ndarray:
        """Month codes value by value: Arrow's strptime over the known formats, then the general parser
        on the distinct values left."""
        out = np.full(len(arr), -1, dtype=np.int64)
        todo = np.arange(len(arr))
        rest = arr
        for i, fmt in enumerate(list(self.order)):
            if len(rest) == 0:
                break
            parsed = pc.strptime(rest, format=fmt, unit="s", error_is_null=True)
            if parsed.null_count == len(rest):
                continue
            got = month_codes_of_datetimes(parsed)
            # Arrow's strptime rolls an impossible date over (31/02/2021 becomes 3 March): only a value that
            # prints back as it was read is taken here; the rest (impossible dates, unpadded days) go on
            # to the general parser, which reads the month the text names.
            same = pc.fill_null(pc.equal(pc.strftime(parsed, format=fmt), rest), False)
            hit = (got >= 0) & np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
            out[todo[hit]] = got[hit]
            todo, rest = todo[~hit], rest.filter(pa.array(~hit))
            if i:  # the format that matched goes first next time
                self.order.insert(0, self.order.pop(i))
        if len(rest):
            out[todo] = self._dictionary_codes(pc.dictionary_encode(rest))
        return out

    @staticmethod
    def _dictionary_codes(arr: pa.DictionaryArray) -> np.ndarray:
        values = dict_strings(arr)
        lut = np.append(_general_month_codes(values), -1)  # last slot: null
        return lut[indices_of(arr)]


def _year_ok(codes: np.ndarray) -> np.ndarray:
    return (codes >= 1900 * 12) & (codes < 2101 * 12)


def parse_count_text(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(counts, reason codes) of a text count column; reason 0 = good. Vectorised; exact for big integers."""
    s = pc.utf8_trim_whitespace(values) if len(values) else values
    try:
        num = pc.cast(s, pa.int64())
        counts = np.array(pc.fill_null(num, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        reason = np.zeros(len(values), dtype=np.int8)
        reason[np.array(pc.is_null(num).to_numpy(zero_copy_only=False))] = BLANK
        reason[counts < 0] = NEGATIVE
        reason[counts > MAX_COUNT] = TOO_LARGE
        counts[reason != 0] = 0
        return counts, reason
    except pa.ArrowInvalid:
        pass
    # Some cell is not a plain integer: classify every distinct value once.
    enc = pc.dictionary_encode(s)
    distinct = dict_strings(enc)
    lut_count = np.zeros(len(distinct) + 1, dtype=np.int64)
    lut_reason = np.full(len(distinct) + 1, BLANK, dtype=np.int8)
    for i, text in enumerate(distinct):
        lut_count[i], lut_reason[i] = _one_count(text)
    idx = indices_of(enc)
    return lut_count[idx], lut_reason[idx]


BLANK, NOT_NUMBER, NEGATIVE, FRACTION, TOO_LARGE = 1, 2, 3, 4, 5


_PLAIN_COUNT = re.compile(r"\+?(\d+|\d{1,3}(?:,\d{3})+)(\.0*)?")  # 12, 1,234, 12.0 (spreadsheets)
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)")


def _one_count(text: str) -> tuple[int, int]:
    """A count cell read strictly: digits, whole thousands groups, or a zero fraction. Never '1e3', '1_000',
    '1,2', 'inf' or a superscript digit (which Python's own parsers would take)."""
    t = text.strip()
    if not t:
        return 0, BLANK
    m = _PLAIN_COUNT.fullmatch(t) if t.isascii() else None
    if m is not None:
        value = int(m.group(1).replace(",", ""))
        return (0, TOO_LARGE) if value > MAX_COUNT else (value, 0)
    if t.isascii() and _DECIMAL.fullmatch(t):
        if t.startswith("-"):
            return 0, NEGATIVE
        return 0, FRACTION  # a zero fraction matched above
    if t.isascii() and t.startswith("-") and _PLAIN_COUNT.fullmatch(t[1:]):
        return 0, NEGATIVE
    return 0, NOT_NUMBER


def count_reason(code: int, raw: str) -> str:
    if code == BLANK:
        return "blank count"
    shown = raw.strip()[:40]
    return {
        NOT_NUMBER: f"count '{shown}' is not a number",
        NEGATIVE: f"count '{shown}' is negative",
        FRACTION: f"count '{shown}' is not a whole number",
        TOO_LARGE: f"count '{shown}' is too large for a count of offences (over {MAX_COUNT:,})",
    }[code]


def parse_count_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(counts, reason codes) of a numeric count column (Parquet): no value is lost to a cast."""
    t = values.type
    n = len(values)
    reason = np.zeros(n, dtype=np.int8)
    nulls = np.array(pc.is_null(values).to_numpy(zero_copy_only=False))
    if pa.types.is_integer(t):
        raw = np.array(pc.fill_null(values, 0).to_numpy(zero_copy_only=False))
        if pa.types.is_signed_integer(t):
            reason[raw < 0] = NEGATIVE
        reason[raw > MAX_COUNT] = TOO_LARGE
        counts = np.where(reason == 0, raw, 0).astype(np.int64)
    elif pa.types.is_floating(t) or pa.types.is_decimal(t):
        raw_f = np.array(pc.fill_null(pc.cast(values, pa.float64()), 0.0).to_numpy(zero_copy_only=False))
        finite = np.isfinite(raw_f)
        reason[~finite] = NOT_NUMBER
        reason[finite & (raw_f < 0)] = NEGATIVE
        reason[finite & (raw_f >= 0) & (raw_f != np.round(raw_f))] = FRACTION
        reason[(reason == 0) & (raw_f > MAX_COUNT)] = TOO_LARGE
        counts = np.where(reason == 0, raw_f, 0).astype(np.int64)
    elif pa.types.is_boolean(t):
        raise InputError("the count column holds true/false values, not counts: map another column")
    else:
        return parse_count_text(_text(values))
    reason[nulls] = BLANK
    counts[nulls] = 0
    return counts, reason


def count_text_of(values: pa.Array, row: int) -> str:
    v = values[row].as_py()
    return "" if v is None else str(v)
