"""Scanning a long CSV into a ``Tally``: the C scanner reads the plain (unquoted) stretch of the file
(``record_plain``), pyarrow, the reference, reads the rest in pieces on every core, and this thread
counts. Needs pyarrow and numpy only (not pandas).

A file where the C scanner read any piece and any date was rejected is read again by pyarrow alone, so
reject reasons quote the whole cell (the scanner keys dates by their date part).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from csp_assess.load.record_plain import PlainScan
from csp_assess.load.record_tally import Roles, Tally, TallyResult

CHUNK_BYTES = 16 << 20  # a piece of the file parsed at once, on every core
BLOCK_BYTES = 2 << 20  # pyarrow's unit of work (and of a batch) inside a piece


class _Ragged:
    """pyarrow's invalid-row handler: counts rows with the wrong number of cells (numbered later)."""

    def __init__(self) -> None:
        self.rows = 0
        self.blank = 0
        self.unpaired = False  # the file's double quotes do not pair up: the reader checks its quoting

    def __call__(self, row: object) -> str:
        text = getattr(row, "text", "") or ""
        if not text.strip():
            self.blank += 1
        else:
            self.rows += 1
        return "skip"


def scan_csv(
    path: Path, header: list[str], delimiter: str, roles: Roles, encoding: str
) -> tuple[TallyResult, _Ragged]:
    """Count the rows of ``path`` (whose header is ``header``); ragged rows are counted, not numbered.
    Raises ``pa.ArrowInvalid`` for text that is not in ``encoding`` or that cannot be parsed."""
    fast = PlainScan.of(header, delimiter, roles, encoding)
    result, ragged = _scan(path, header, delimiter, roles, encoding, fast)
    if fast is not None and fast.used and result.month_rejects:
        result, ragged = _scan(path, header, delimiter, roles, encoding, None)
    return result, ragged


def _scan(
    path: Path, header: list[str], delimiter: str, roles: Roles, encoding: str, fast: PlainScan | None
) -> tuple[TallyResult, _Ragged]:
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(header))]
    by_name = {h: n for h, n in zip(header, names, strict=True)}
    wanted = [by_name[c] for c in roles.columns()]
    text_type = pa.dictionary(pa.int32(), pa.string())
    types: dict[str, pa.DataType] = {c: text_type for c in wanted}
    types[by_name[roles.month]] = pa.string()  # high cardinality (date-times): plain text
    if roles.count:
        types[by_name[roles.count]] = pa.string()  # parsed by the tally, which rejects by line
    ragged = _Ragged()
    quoted = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=ragged)
    # A piece with no double quote at all cannot hold a quoted field: the tokenizer skips quote handling
    # (measured: ~18% less parsing CPU on the record benchmark's pieces).
    plain = pacsv.ParseOptions(delimiter=delimiter, quote_char=False, invalid_row_handler=ragged)
    convert = pacsv.ConvertOptions(
        include_columns=wanted,
        column_types=types,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )

    def tables() -> Iterator[pa.RecordBatch]:
        offset = 0  # where pyarrow goes on: after the stretch the C scanner read
        if fast is not None:
            yield from fast.batches(path)
            offset = fast.resume_at
            if offset < 0:
                return
        for i, (chunk, has_quote) in enumerate(_chunks(path, ragged, offset)):
            header_piece = i == 0 and offset == 0
            if fast is not None and not has_quote and not header_piece:
                batch = fast.piece(chunk)
                if batch is not None:
                    yield batch
                    continue
            opts = pacsv.ReadOptions(
                column_names=names,
                skip_rows=1 if header_piece else 0,
                block_size=BLOCK_BYTES,
                encoding=encoding,
            )
            table = pacsv.read_csv(pa.BufferReader(chunk), opts, quoted if has_quote else plain, convert)
            del chunk  # the piece's bytes are reused for the next one; the table holds its own copies
            yield from table.to_batches()

    try:
        tally = Tally(_renamed(roles, by_name), str(path))
        for batch in read_ahead(tables()):
            tally.add(batch)
    except _Unpaired:
        # Quotes that do not pair up (a stray inch mark, or a quote left open): read the file as one
        # stream, on one core, so memory stays bounded; the caller checks the quoting.
        ragged.rows = ragged.blank = 0
        ragged.unpaired = True
        tally = Tally(_renamed(roles, by_name), str(path))
        stream = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=BLOCK_BYTES, encoding=encoding
            ),
            parse_options=quoted,
            convert_options=convert,
        )
        for batch in read_ahead(stream):
            tally.add(batch)
    return tally.finish(), ragged


class _Unpaired(Exception):
    """The double quotes of the file have not paired up over several pieces."""


def _chunks(path: Path, ragged: _Ragged, offset: int = 0) -> Iterator[tuple[pa.Buffer, bool]]:
    """The file in pieces of about ``CHUNK_BYTES``, each cut after a line break that is outside any quoted
    field (an even number of double quotes before it), so each piece parses on its own; and whether the
    piece holds a double quote at all. pyarrow parses a piece on every core. Quotes that do not pair up
    within a few pieces raise ``_Unpaired``; an odd number at the end of the file sets ``ragged.unpaired``.

    The pieces are views of one buffer read into again and again (the caller is done with a piece when it
    asks for the next): fresh 16 MB allocations cost page faults on every piece."""
    buf = bytearray(2 * CHUNK_BYTES)
    have = 0  # bytes carried over from the last piece, at the start of buf
    with path.open("rb") as fh:
        fh.seek(offset)  # a line start outside any quoted field (the C scanner read up to it)
        while True:
            if len(buf) - have < CHUNK_BYTES:  # quotes have not paired up for a while
                if len(buf) >= 8 * CHUNK_BYTES:
                    raise _Unpaired
                bigger = bytearray(2 * len(buf))
                bigger[:have] = memoryview(buf)[:have]
                buf = bigger
            with memoryview(buf) as view:
                n = fh.readinto(view[have : have + CHUNK_BYTES])
            end = have + n
            if n == 0:
                if have:
                    quotes = buf.count(b'"', 0, have)
                    ragged.unpaired = quotes % 2 == 1
                    yield pa.py_buffer(bytes(buf[:have])), quotes > 0
                return
            cut = buf.rfind(b"\n", have, end)
            if cut < 0:
                have = end
                continue
            # find (memchr) first: most pieces hold no quote, and counting is ten times slower
            quotes = buf.count(b'"', 0, cut + 1) if buf.find(b'"', 0, cut + 1) >= 0 else 0
            if quotes % 2:
                have = end
                continue
            yield pa.py_buffer(buf)[: cut + 1], quotes > 0
            rest = end - cut - 1
            buf[:rest] = buf[cut + 1 : end]
            have = rest


def read_ahead(batches: Iterable[pa.RecordBatch], depth: int = 4) -> Iterator[pa.RecordBatch]:
    """Yield ``batches`` produced by a second thread: pyarrow parses the next block (without the GIL)
    while this thread counts the last one. At most ``depth`` batches wait, so memory stays bounded."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for b in batches:
                while not stop.is_set():
                    try:
                        q.put(b, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as err:  # handed to the consumer, which raises it in its own thread
            q.put(err)

    worker = threading.Thread(target=produce, name="csv-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                q.get(timeout=0.1)
        worker.join()


def _renamed(roles: Roles, by_name: dict[str, str]) -> Roles:
    def r(c: str | None) -> str | None:
        return by_name[c] if c is not None else None

    return Roles(
        month=by_name[roles.month],
        area=r(roles.area),
        major=r(roles.major),
        minor=r(roles.minor),
        count=r(roles.count),
        subarea=r(roles.subarea),
        ho_code=r(roles.ho_code),
        flags={k: by_name[v] for k, v in roles.flags.items()},
    )
