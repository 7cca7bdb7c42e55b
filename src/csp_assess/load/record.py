"""Long and record-level extracts (CSV, Parquet, Excel), read in streamed batches and counted as read.

Only the mapped columns are read: CSV through pyarrow's streaming reader (column projection, text and
dictionary conversion in C++) or the C scanner, Parquet by row batches, Excel through calamine (or, for a
sheet too large to hold, openpyxl's read-only row iterator).
Each batch goes to a ``Tally`` (``record_tally``), so memory stays one batch plus the running counts, and
a 2M-row extract is counted in seconds rather than materialised as 2M Python rows.

Line numbers cost a second pass, so a CSV is numbered only when it has rejects: the Python ``csv``
module walks the file once more, giving every rejected row its line and every ragged row its reject.
Arrow's own messages never reach the user: errors are re-worded with file, line and what to do.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from csp_assess.errors import InputError, LayoutError
from csp_assess.load.record_scan import scan_csv
from csp_assess.load.record_tally import Roles, Tally, TallyResult
from csp_assess.load.textio import unterminated_warning
from csp_assess.model import FileLoad, Reject, SourceFile
from csp_assess.periods import month_gaps

LONG_SCOPE = "long"
PARQUET_BATCH_ROWS = 262_144  # rows counted at once from a Parquet file: a few MB of codes
# A mean count per row above this in a count column is more like a £ value or a rate than offences.
DWARF_RATIO = 100


def _is_utf8_error(err: Exception) -> bool:
    return "UTF8" in str(err) or "UTF-8" in str(err)


def read_record_csv(
    path: Path, header: list[str], delimiter: str, roles: Roles, warnings: list[str]
) -> FileLoad:
    """Count a long CSV whose header has been read and resolved into ``roles``."""
    name = str(path)
    check_roles_unambiguous(header, roles, name)
    encoding = _bom_encoding(path)
    try:
        result, ragged = scan_csv(path, header, delimiter, roles, "utf8")
    except pa.ArrowInvalid as err:
        if not _has_data_line(path):  # pyarrow cannot skip a header that has no line break after it
            raise InputError("file has a header but no data rows", file=name) from None
        if not _is_utf8_error(err):
            raise _malformed(path, delimiter, err) from None
        encoding = _non_utf8_encoding(path)
        try:
            result, ragged = scan_csv(path, header, delimiter, roles, encoding)
        except pa.ArrowInvalid as err2:
            raise _malformed(path, delimiter, err2) from None
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror or 'I/O error'}", file=name) from None
    if result.line_breaks or ragged.unpaired:
        _check_quoting(path, encoding, delimiter)
    rejects: list[Reject] = []
    last_line: int | None = None
    if len(result.reject_rows) or ragged.rows:
        lines, ragged_rejects, last_line = _number_rows(
            path, encoding, delimiter, len(header), result.reject_rows, result.rows
        )
        rejects = ragged_rejects + [
            Reject(name, int(ln), reason) for ln, reason in zip(lines, result.reject_reasons, strict=True)
        ]
        rejects.sort(key=lambda r: r.line or 0)
    if result.rows == 0 and ragged.rows == 0:
        raise InputError("file has a header but no data rows", file=name)
    if not _ends_with_newline(path):
        if last_line is None:
            last_line = _count_lines(path)
        warnings.append(unterminated_warning(name, last_line))
    return _file_load(name, "long-csv", encoding, roles, result, rejects, ragged.rows, warnings)


def _has_data_line(path: Path) -> bool:
    """Whether anything but blank lines follows the first line (read from the first MiB only)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    return any(line.strip() for line in head.splitlines()[1:]) or len(head) == 1 << 20


def _bom_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        return "utf-8-sig" if fh.read(3) == b"\xef\xbb\xbf" else "utf-8"


def _non_utf8_encoding(path: Path) -> str:
    """The file is not UTF-8: cp1252 if it is wholly that, else refuse at the first bad line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    seen_non_ascii = False
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                bad_line = line + chunk.count(b"\n", 0, max(err.start, 0))
                seen_non_ascii = seen_non_ascii or not chunk[: max(err.start, 0)].isascii()
                break
            line += chunk.count(b"\n")
            seen_non_ascii = seen_non_ascii or not chunk.isascii()
        else:
            bad_line = line
    if seen_non_ascii:
        raise InputError(
            "file mixes UTF-8 text with bytes that are not UTF-8 (first at this line): re-save it as UTF-8",
            file=str(path),
            line=bad_line,
        )
    try:
        with path.open("rb") as fh:
            dec = codecs.getincrementaldecoder("cp1252")()
            while chunk := fh.read(1 << 22):
                dec.decode(chunk)
    except UnicodeDecodeError:
        raise InputError(
            "cannot decode the file as UTF-8 or cp1252: re-save it as UTF-8", file=str(path), line=bad_line
        ) from None
    return "cp1252"


def _strict_error_line(path: Path, encoding: str, delimiter: str) -> int | None:
    """The line where the ``csv`` module, read strictly, finds bad quoting; None if it finds none."""
    try:
        with _text_stream(path, encoding) as fh:
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            for _ in reader:
                pass
    except csv.Error:
        return reader.line_num
    except (UnicodeDecodeError, OSError):
        return None
    return None


def _check_quoting(path: Path, encoding: str, delimiter: str) -> None:
    """A value held a line break: legitimate in a quoted field, or a quote left open that swallowed the
    lines after it. Read strictly to tell which."""
    line = _strict_error_line(path, encoding, delimiter)
    if line is not None:
        raise InputError(
            "CSV is malformed: a double quote is not closed (or is followed by text) on or before this line; "
            "fix the quoting",
            file=str(path),
            line=line,
        )


def _malformed(path: Path, delimiter: str, err: Exception) -> InputError:
    """A one-line error for a CSV pyarrow could not parse, located by the csv module where it can be."""
    line = _strict_error_line(path, "utf-8", delimiter)
    what = (
        "fix the quoting (an unclosed or stray double quote?)" if line is not None else "re-export it as CSV"
    )
    return InputError(f"CSV is malformed: {what}", file=str(path), line=line)


def _text_stream(path: Path, encoding: str) -> io.TextIOWrapper:
    codec = "utf-8-sig" if encoding.replace("-", "").lower() in ("utf8", "utf8sig") else encoding
    return io.TextIOWrapper(path.open("rb"), encoding=codec, errors="replace", newline="")


def _number_rows(
    path: Path, encoding: str, delimiter: str, n_cols: int, wanted: np.ndarray, total_rows: int
) -> tuple[list[int], list[Reject], int]:
    """File lines of the data rows ``wanted`` (row indexes as pyarrow counted them), the ragged rows as
    rejects, and the last line number. Rows are numbered as pyarrow does: blank lines are not rows, rows
    with the wrong number of cells are skipped (and rejected here)."""
    name = str(path)
    order = np.argsort(wanted, kind="stable")
    targets = wanted[order].tolist()
    lines = [0] * len(targets)
    ragged: list[Reject] = []
    k = 0
    row = -1
    with _text_stream(path, encoding) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            next(reader, None)  # header
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != n_cols:
                    what = "truncated?" if len(cells) < n_cols else "extra cells: is the delimiter right?"
                    ragged.append(
                        Reject(
                            name, reader.line_num, f"row has {len(cells)} cells, header has {n_cols} ({what})"
                        )
                    )
                    continue
                row += 1
                while k < len(targets) and targets[k] == row:
                    lines[k] = reader.line_num
                    k += 1
        except csv.Error as err:
            raise InputError("CSV is malformed: fix the quoting", file=name, line=reader.line_num) from err
        last = reader.line_num
    if row + 1 != total_rows or k != len(targets):
        raise InputError(
            "the CSV reads differently row by row than in bulk (stray quotes?): re-export it", file=name
        )
    out = [0] * len(targets)
    for pos, ln in zip(order.tolist(), lines, strict=True):
        out[pos] = ln
    return out, ragged, last


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) in (b"\n", b"\r")


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            n += chunk.count(b"\n")
    return n + 1


# ----------------------------------------------------------------------------------------------- Parquet


def read_record_parquet(path: Path, resolve: object, warnings: list[str]) -> FileLoad:
    """A Parquet extract, by row batches of the mapped columns; 'line' in a reject is the 1-based row."""
    import pyarrow.parquet as pq

    name = str(path)
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError):
        raise InputError(
            "cannot read the Parquet file (not Parquet, or damaged): check it is a whole .parquet file",
            file=name,
        ) from None
    header = list(schema.names)
    check_header(header, name)
    roles = resolve(header)  # type: ignore[operator]
    check_roles_unambiguous(header, roles, name)
    _refuse_nested(schema, roles.columns(), name)
    tally = Tally(roles, name)
    # Text key columns come as dictionaries (Parquet stores them so): the tally then decides each distinct
    # name once, without building a string per row. The month stays plain: its date-times are nearly all
    # distinct, and the tally splits text dates by position.
    keys = [c for c in roles.columns() if c not in (roles.month, roles.count)]
    try:
        pf = pq.ParquetFile(path, read_dictionary=keys)
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=roles.columns()):
            tally.add(batch)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
        raise InputError(
            "a mapped column of the Parquet file is not text, a number, a date or true/false: "
            "map another column or re-export it",
            file=name,
        ) from None
    except (pa.ArrowException, OSError):
        raise InputError(
            f"cannot read the Parquet file after {tally.rows:,} rows (damaged or cut short?): re-export it",
            file=name,
        ) from None
    result = tally.finish()
    if result.rows == 0:
        raise InputError("file has a header but no data rows", file=name)
    rejects = [
        Reject(name, int(i) + 1, reason)
        for i, reason in zip(result.reject_rows.tolist(), result.reject_reasons, strict=True)
    ]
    return _file_load(name, "long-parquet", "parquet", roles, result, rejects, 0, warnings)


def _refuse_nested(schema: pa.Schema, columns: Sequence[str], name: str) -> None:
    """A mapped column holding lists, structs or maps (one value per row is needed): named, before pyarrow
    is asked for it (asking for a nested column's dictionary raised a bare KeyError)."""
    for col in columns:
        if pa.types.is_nested(schema.field(col).type):
            raise InputError(
                f"column '{col}' holds a list or record in each row, not one text, number or date: map "
                "another column or flatten it when exporting",
                file=name,
            )


# ----------------------------------------------------------------------------------------------- Excel

XLSX_BATCH = 20_000
# Sheets whose XML (uncompressed) is at most this are read by calamine (Rust: ~1M rows a second, but the
# whole sheet in memory, ~1.7 bytes per byte of XML); larger ones are streamed by openpyxl (bounded memory,
# ~5,000 rows a second). Excel's own limit (1,048,576 rows) can make ~600 MB of sheet XML.
CALAMINE_MAX_XML_BYTES = 160 << 20

SheetRows = Iterator[Sequence[object]]


def read_record_xlsx(path: Path, resolve: object, warnings: list[str], sheet: str | int = 0) -> FileLoad:
    """An .xlsx extract, row by row (calamine, or openpyxl streaming for a very large sheet); lines are
    the sheet's row numbers."""
    name = str(path)
    with _sheet(path, sheet, name) as rows:
        header_row = 1
        first = next(rows, None)
        while first is not None and _blank(first):  # blank rows above the table: its header is lower
            first, header_row = next(rows, None), header_row + 1
        if first is None:
            raise InputError("file is empty: export the data again with its header row", file=name)
        header = ["" if c is None else str(c).strip() for c in first]
        check_header(header, name)
        roles = resolve(header)  # type: ignore[operator]
        check_roles_unambiguous(header, roles, name)
        cols = roles.columns()
        index = [header.index(c) for c in cols]
        tally = Tally(roles, name)
        sheet_rows: list[int] = []
        try:
            for batch, numbers in _xlsx_batches(rows, index, cols, header_row + 1):
                tally.add(batch)
                sheet_rows.extend(numbers)
        except InputError:
            raise
        except Exception as err:
            raise InputError(
                f"cannot read the Excel file ({type(err).__name__} near row {header_row + len(sheet_rows) + 1}): "
                "re-save it as .xlsx",
                file=name,
            ) from None
    result = tally.finish()
    if result.rows == 0:
        raise InputError("file has a header but no data rows", file=name)
    rejects = [
        Reject(name, sheet_rows[int(i)], reason)
        for i, reason in zip(result.reject_rows.tolist(), result.reject_reasons, strict=True)
    ]
    return _file_load(name, "long-xlsx", "xlsx", roles, result, rejects, 0, warnings)


@contextlib.contextmanager
def _sheet(path: Path, sheet: str | int, name: str) -> Iterator[SheetRows]:
    """The sheet's rows, from its row 1 on (blank rows included, so that rows keep their numbers)."""
    if _sheet_xml_bytes(path) <= CALAMINE_MAX_XML_BYTES:
        try:
            import python_calamine
        except ImportError:  # pragma: no cover - a dependency; openpyxl reads the sheet without it
            pass
        else:
            try:
                wb = python_calamine.CalamineWorkbook.from_path(str(path))
                ws = wb.get_sheet_by_index(sheet) if isinstance(sheet, int) else wb.get_sheet_by_name(sheet)
            except Exception as err:  # calamine raises its own kinds for a damaged file
                raise InputError(
                    f"cannot read the Excel file ({type(err).__name__}): re-save it as .xlsx", file=name
                ) from None
            yield iter(ws.iter_rows())
            return
    try:
        import openpyxl
    except ImportError as err:
        raise InputError("reading .xlsx needs openpyxl: pip install openpyxl", file=name) from err
    try:
        owb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        raise InputError(
            f"cannot read the Excel file ({type(err).__name__}): re-save it as .xlsx", file=name
        ) from None
    try:
        ows = owb.worksheets[sheet] if isinstance(sheet, int) else owb[sheet]
        yield ows.iter_rows(values_only=True)
    finally:
        owb.close()


def _sheet_xml_bytes(path: Path) -> int:
    """The uncompressed size of the workbook's sheets and shared strings, as the zip declares it (what
    reading a sheet whole would hold); a file that is not a zip counts as small (the reader says why)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return sum(
                i.file_size
                for i in z.infolist()
                if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"
            )
    except (zipfile.BadZipFile, OSError):
        return 0


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def _month_cell(v: object) -> str | None:
    import datetime as dt

    if isinstance(v, dt.datetime | dt.date):
        return f"{v.year:04d}-{v.month:02d}"
    return _cell_text(v)


def _xlsx_batches(
    rows: SheetRows, index: list[int], cols: list[str], first_row: int
) -> Iterator[tuple[pa.Table, list[int]]]:
    """Batches of the wanted cells as text (dates as YYYY-MM), with their sheet row numbers (from
    ``first_row``); blank rows are skipped (a sheet's trailing formatting often leaves them)."""
    month_i = index[0]  # roles.columns() puts the month column first
    width = max(index) + 1
    buf: list[list[object]] = [[] for _ in cols]
    numbers: list[int] = []
    for sheet_row, row in enumerate(rows, start=first_row):
        if row is None:
            continue
        if len(row) < width:
            row = (*row, *([None] * (width - len(row))))
        month = row[month_i]
        if (month is None or (type(month) is str and not month.strip())) and _blank(row):
            continue  # a row with a month is never blank: the full check is for the rest
        for j, i in enumerate(index):
            buf[j].append(row[i])
        numbers.append(sheet_row)
        if len(numbers) >= XLSX_BATCH:
            yield _table(cols, buf), numbers
            buf, numbers = [[] for _ in cols], []
    if numbers:
        yield _table(cols, buf), numbers


def _blank(row: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _table(cols: list[str], buf: list[list[object]]) -> pa.Table:
    """The cells as text, column by column: text cells as they are (most of a sheet), others converted
    (whole numbers without '.0', true/false as TRUE/FALSE, dates in the month column as YYYY-MM)."""
    out = {}
    for j, (c, values) in enumerate(zip(cols, buf, strict=True)):
        conv = _month_cell if j == 0 else _cell_text
        out[c] = pa.array([v if type(v) is str else conv(v) for v in values], pa.string())
    return pa.table(out)


# ----------------------------------------------------------------------------------------------- result


def _file_load(
    name: str,
    layout: str,
    encoding: str,
    roles: Roles,
    result: TallyResult,
    rejects: list[Reject],
    ragged: int,
    warnings: list[str],
) -> FileLoad:
    months = [pd.Period(year=m // 12, month=m % 12 + 1, freq="M") for m in result.months]
    columns = result.columns
    areas = sorted(set(np.asarray(columns["area"]).tolist()))
    source = SourceFile(
        path=name,
        layout=layout,
        scheme="custom",
        level="record",
        encoding=encoding,
        rows_read=result.rows + ragged,
        rows_counted=result.counted,
        rows_rejected=result.rows - result.counted + ragged,
        offences=result.offences,
        first_month=months[0] if months else None,
        last_month=months[-1] if months else None,
        scope=LONG_SCOPE,
        areas=areas,
        months_covered=list(pd.period_range(months[0], months[-1], freq="M")) if months else [],
        gaps=month_gaps(months),
        count_column=roles.count or "",
    )
    if source.rows_read != source.rows_counted + source.rows_rejected or len(rejects) != source.rows_rejected:
        raise AssertionError(f"{name}: rows do not reconcile")  # a bug, never bad input
    if source.gaps:
        gaps = source.gaps
        warnings.append(
            f"{name}: no rows at all in {len(gaps)} month(s) inside its range "
            f"({', '.join(str(m) for m in gaps[:6])}{'...' if len(gaps) > 6 else ''}); "
            "they are treated as months with no offences"
        )
    if roles.ho_code:
        note = _code_warning(name, columns)
        if note:
            warnings.append(note)
    if roles.count and result.counted and result.offences > DWARF_RATIO * result.counted:
        warnings.append(
            f"{name}: the count column '{roles.count}' sums to {result.offences:,} over {result.counted:,} "
            f"rows ({result.offences / result.counted:,.0f} a row): check it counts offences, not £ or a rate"
        )
    return FileLoad(columns=columns, source=source, rejects=rejects, warnings=warnings)


def _code_warning(name: str, columns: dict[str, object]) -> str | None:
    """The Home Office offence codes of the counted rows that the packaged lookup does not know."""
    from csp_assess.reference.ho_codes import unknown_warning

    codes = np.asarray(columns["ho_code"], dtype=object)
    if not len(codes):
        return None
    distinct, inverse = np.unique(codes.astype(str), return_inverse=True)
    totals = np.bincount(inverse, weights=np.asarray(columns["count"]), minlength=len(distinct))
    return unknown_warning(name, distinct.tolist(), [int(t) for t in totals])


def check_header(header: list[str], name: str) -> None:
    """Refuse a header naming a column twice (counted in one pass: a million-column header took minutes)."""
    seen = Counter(c for c in header if c)
    dupes = sorted(c for c, n in seen.items() if n > 1)
    if dupes:
        raise LayoutError(f"duplicate header column '{dupes[0]}': remove or rename it", file=name, line=1)


def check_roles_unambiguous(header: list[str], roles: Roles, name: str) -> None:
    """Columns are found whatever their case and spacing, so 'Major' beside 'MAJOR' left one of them read
    and the other ignored, without a word: refused when such a column is one the count uses."""
    check_columns_unambiguous(header, roles.columns(), name)


def check_columns_unambiguous(header: list[str], used: Iterable[str], name: str) -> None:
    """LayoutError when a ``used`` column has a look-alike in ``header`` (the same but for case or spaces)."""
    by_key: dict[str, list[str]] = {}
    for c in header:
        by_key.setdefault(c.strip().lower(), []).append(c)
    for col in used:
        same = by_key.get(col.strip().lower(), [])
        if len(same) > 1:
            shown = " and ".join(f"'{c}'" for c in same[:3])
            raise LayoutError(
                f"columns {shown} differ only in case or spaces, and columns are matched whatever their "
                "case: rename one of them",
                file=name,
                line=1,
            )
