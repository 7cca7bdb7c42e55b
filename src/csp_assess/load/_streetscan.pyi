"""Type stub for the C scanner of plain data.police.uk street-level CSVs (see _streetscan.c)."""

from typing_extensions import Buffer

def scan(
    buffer: Buffer, start: int, ncols: int, cols: tuple[int, int, int, int, int, int], /
) -> tuple[int, list[tuple[bytes, list[bytes]]], list[bytes], bytes] | str: ...
def simd(name: str = ..., /) -> str: ...
