"""Typed errors: the core raises these, the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations

from csp_assess.safetext import printable


class CspAssessError(Exception):
    """Base class. ``str(err)`` is the one line shown to the user (without the ``Error:`` prefix)."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f" ({self.file}:{self.line})" if self.line is not None else f" ({self.file})"
        return printable(f"{self.message}{where}")  # names in messages never drive the terminal


class InputError(CspAssessError):
    """A file is missing, unreadable, empty or malformed."""


class LayoutError(CspAssessError):
    """A file's header matches no known layout, or files of incompatible layouts were mixed."""


class PeriodError(CspAssessError):
    """A requested year or period is not in the data, or is not complete."""


class SelectionError(CspAssessError):
    """An area, category or priority asked for is not in the data."""


class ConfigError(CspAssessError):
    """A priorities, weights or mapping file is invalid."""
