"""Typed errors: the core raises these, the CLI turns them into one-line messages and exit codes.

A message names the API parameter it is about as ``{name}`` (e.g. ``"{level} must be minor or major"``),
declared in ``params``. ``str(err)`` shows the parameter's name (``level``), as a notebook user calls it;
the command line shows its flag instead (``--level``), through ``err.render(flag_of)``. Only declared
names are replaced, so braces in file names or data are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from csp_assess.safetext import printable

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class CspAssessError(Exception):
    """Base class. ``str(err)`` is the one line shown to the user (without the ``Error:`` prefix)."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        params: Iterable[str] = (),
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.params = tuple(params)
        super().__init__(self.__str__())

    def render(self, name_of: Callable[[str], str] = str) -> str:
        """The one line, with each declared parameter shown as ``name_of(param)``."""
        declared = set(self.params)
        text = _PLACEHOLDER.sub(
            lambda m: name_of(m.group(1)) if m.group(1) in declared else m.group(0), self.message
        )
        where = ""
        if self.file is not None:
            where = f" ({self.file}:{self.line})" if self.line is not None else f" ({self.file})"
        return printable(f"{text}{where}")  # names in messages never drive the terminal

    def __str__(self) -> str:
        return self.render()


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


class UsageError(CspAssessError):
    """An option's value is written in a form the tool cannot read, or options that go together were given
    apart: a usage error, exit 2 as the command line's own (``--level bogus``), whatever the data holds."""

    exit_code = 2


class PeriodFormatError(PeriodError, UsageError):
    """A year, year range or financial-year start that cannot be read (``--year 2021/23``, ``--year 2019``
    for financial years, ``fy_start=13``): a ``PeriodError`` that is a usage error (exit 2)."""


class OptionError(SelectionError, UsageError):
    """Options that cannot be given together (or one without its partner), or a value outside the allowed
    choices: a ``SelectionError`` that is a usage error (exit 2)."""


#: How a result's notes and warnings name an option: unset in Python (the API keyword), the command line's
#: flag while ``csp-assess`` runs (``cli.main`` sets it with ``option_names``).
_OPTION_NAMES: ContextVar[Callable[[str], str] | None] = ContextVar("csp_assess_option_names", default=None)


def option(param: str, value: object = None, placeholder: str = "") -> str:
    """An option as the user gives it, for notes and warnings built where errors' ``{param}`` cannot reach:
    ``against`` / ``period="rolling12"`` in Python, ``--against`` / ``--period rolling12`` on the command line.
    A library result never tells a Python user about a flag. ``placeholder`` (e.g. ``FILE``) follows the
    flag on the command line only."""
    flag = _OPTION_NAMES.get()
    if flag is not None:
        return flag(param) + (f" {value}" if value is not None else f" {placeholder}" if placeholder else "")
    return param + (f"={value!r}" if value is not None else "")


def on_command_line() -> bool:
    """True while the command line runs (its wording differs where an option is more than a name)."""
    return _OPTION_NAMES.get() is not None


@contextmanager
def option_names(name_of: Callable[[str], str]) -> Iterator[None]:
    """Name options by ``name_of`` (the CLI's ``flag_of``) in notes and warnings built inside the block."""
    token = _OPTION_NAMES.set(name_of)
    try:
        yield
    finally:
        _OPTION_NAMES.reset(token)
