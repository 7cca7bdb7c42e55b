"""Hand-edited TOML files (scoring matrix, plan): parse errors and key errors pointing at their line.

``tomllib`` gives values, not positions, so the line of a key is found again in the text: the n-th
``[[table]]`` header, then ``key =`` before the next header. Good enough for files people write by hand.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from typing import Any

from csp_assess.errors import ConfigError

#: tomllib parses nested arrays and inline tables by recursion: ``a = [[[[...]]]]`` thousands deep
#: exhausts Python's stack (a RecursionError, not a TOMLDecodeError).
TOO_DEEP = "invalid TOML: arrays or tables nested too deeply to be a hand-written file"


def block_lines(text: str, header: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(rf"^[ \t]*{header}", text, flags=re.M)]


def key_line(text: str, start: int | None, key: str) -> int | None:
    """Line of ``key = ...`` inside the block that starts at line ``start`` (else the block's line)."""
    if start is None:
        return None
    lines = text.splitlines()
    pat = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
    for i in range(start, len(lines)):  # start is 1-based, so index start is the line after the header
        if re.match(r"^\s*\[", lines[i]):
            break
        if pat.match(lines[i]):
            return i + 1
    return start


def toml_loads(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=source) from None
    except tomllib.TOMLDecodeError as err:
        msg = getattr(err, "msg", str(err))
        line = getattr(err, "lineno", None)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
        if m:
            line = line or int(m.group(1))
            msg = msg[: m.start()]
        raise ConfigError(f"invalid TOML: {msg}", file=source, line=line) from err


def first_line(lines: list[int]) -> int | None:
    """The first of the header lines found, if any."""
    return lines[0] if lines else None


def reject_unknown_keys(
    table: dict[str, Any],
    allowed: Iterable[str],
    where: str,
    source: str,
    line_of: Callable[[str], int | None],
) -> None:
    """ConfigError at the first key (in the file's order) that ``allowed`` lacks, naming its line and
    every allowed key: a misspelt key silently ignored would leave a setting at its default."""
    names = list(allowed)
    for key in table:
        if key not in names:
            raise ConfigError(
                f"{where}: unknown key '{key}' (allowed: {', '.join(names)})", file=source, line=line_of(key)
            )
