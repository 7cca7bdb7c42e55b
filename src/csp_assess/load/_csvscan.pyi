"""Type stub for the C scanner of plain (unquoted) CSVs (see _csvscan.c)."""

from collections.abc import Sequence

from typing_extensions import Buffer

def street(
    buffer: Buffer, start: int, ncols: int, cols: tuple[int, int, int, int, int, int], /
) -> tuple[int, list[tuple[bytes, list[bytes]]], list[bytes], bytes] | str: ...
def fields(
    buffer: Buffer, start: int, ncols: int, cols: Sequence[int], date_field: int, stop: int = ..., /
) -> tuple[int, list[tuple[bytes, list[bytes]]]] | str: ...
def simd(name: str = ..., /) -> str: ...
