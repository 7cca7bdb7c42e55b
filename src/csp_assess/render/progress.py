"""A progress bar on stderr for long loads, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from csp_assess.safetext import printable

Callback = Callable[[str, int, int], None]


@contextmanager
def progress_callback(min_files: int = 4) -> Iterator[Callback | None]:
    """Yields a callback(file, done, total) drawing a rich bar, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("Loading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}", markup=False),  # a file named "[/].csv" is a name, not markup
        console=Console(stderr=True, markup=False, emoji=False, highlight=False),
        transient=True,
    )
    task = None

    def update(name: str, done: int, total: int) -> None:
        nonlocal task
        if total < min_files:
            return
        if task is None:
            progress.start()
            task = progress.add_task("", total=total)
        progress.update(task, completed=done, description=printable(name[-50:]))

    try:
        yield update
    finally:
        progress.stop()
