"""Text from the data made safe to show on a terminal (control characters written out, never run) and
in a spreadsheet (formula-like cells neutralised).

A name in an extract can hold an escape sequence (``\\x1b]0;...``, ``\\x1b[2J``) or a bidirectional override;
printed raw, it would retitle, clear or reorder the user's terminal. Kept free of heavy imports: error
messages use it too.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 control characters (ESC starts terminal escape sequences), DEL, and the bidirectional
# marks, overrides and isolates that reorder what a terminal shows.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with each control character written out (``\\x1b``, ``\\u202e``), so it is seen, not run."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


#: What a spreadsheet would run as a formula at the start of a cell (CSV injection).
SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is prefixed with a quote (CSV injection)."""
    if isinstance(value, str) and value.startswith(SPREADSHEET_TRIGGERS):
        return "'" + value
    return value
