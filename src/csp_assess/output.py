"""Writing outputs safely: never over an input, and never a half-written file in place of a good one.

``check_not_input`` refuses an output path that is an input (the same path, a symlink or hard link to
it, or a file inside an input folder); the command line calls it with its FILES before loading, and the
writers call it again with the result's sources. ``write_atomic`` writes to a temporary file in the
output's folder, fsyncs it and renames it into place, so a full disk or a crash leaves the previous file
intact. ``-`` as an output means standard output.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from csp_assess.errors import InputError

STDOUT = "-"


def is_stdout(output: str | Path | None) -> bool:
    """``-o -`` means standard output, as in most command-line tools."""
    return output is not None and str(output) == STDOUT


def _existing(path: Path) -> Path | None:
    """The file an input names; a zip member (``a.zip!member.csv``) is its zip."""
    if path.exists():
        return path
    text = str(path)
    while "!" in text:
        text = text.rsplit("!", 1)[0]
        if Path(text).exists():
            return Path(text)
    return None


def check_not_input(output: str | Path | None, inputs: Iterable[str | Path]) -> None:
    """Raise ``InputError`` if writing ``output`` would overwrite or land inside any of ``inputs``."""
    if output is None or is_stdout(output):
        return
    out = Path(output)
    out_real = Path(os.path.realpath(out))
    try:
        out_stat: os.stat_result | None = out.stat()
    except OSError:
        out_stat = None
    for raw in inputs:
        found = _existing(Path(raw))
        if found is None:
            continue
        real = Path(os.path.realpath(found))
        same = out_real == real
        if not same and out_stat is not None:
            with contextlib.suppress(OSError):
                st = found.stat()
                same = (st.st_dev, st.st_ino) == (out_stat.st_dev, out_stat.st_ino)  # a hard link
        if same:
            raise InputError(
                f"the output is the input file {raw}: writing it would destroy the input; choose another "
                "output file",
                file=str(output),
            )
        if real.is_dir() and out_real.is_relative_to(real):
            raise InputError(
                f"the output is inside the input folder {raw}: the next run would read it as data; write it "
                "somewhere else",
                file=str(output),
            )


def _is_regular_target(path: Path) -> bool:
    """False for a device, FIFO or pipe (``-o /dev/null``, ``-o /dev/stdout``), symlinks followed: those
    are written in place, never replaced. True for a regular file or one not there yet."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


@contextlib.contextmanager
def atomic_open(path: str | Path, binary: bool = False, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """A file to write ``path`` through: a temporary file beside it, fsynced and renamed over it on success,
    removed on failure (the previous ``path``, if any, is left as it was)."""
    mode: str = "wb" if binary else "w"
    # A file name that is not valid UTF-8 (b"\xff" on Linux) reaches the text as a lone surrogate: it is
    # written as the escape "\udcff", never an internal error (UnicodeEncodeError).
    kwargs: dict[str, Any] = (
        {} if binary else {"encoding": encoding, "newline": "", "errors": "backslashreplace"}
    )
    if not _is_regular_target(Path(path)):  # /dev/null, /dev/stdout, a FIFO: written in place
        try:
            fh = open(path, mode, **kwargs)  # noqa: SIM115 - closed below
        except OSError as err:
            raise InputError(f"cannot write output: {err.strerror}", file=str(path)) from err
        with fh:
            yield fh
        return
    target = Path(os.path.realpath(path))  # a symlinked output: write its target, keep the link
    if not target.parent.is_dir():
        raise InputError(
            f"cannot write output: the folder {target.parent} does not exist: create it or write elsewhere",
            file=str(path),
        )
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise InputError(f"cannot write output: {err.strerror}", file=str(path)) from err
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise InputError(
                f"cannot write output: {err.strerror or err}; the previous file (if any) is unchanged",
                file=str(path),
            ) from err
        raise
    _sync_dir(target.parent)


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask (mkstemp: 0600)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``data`` to ``path`` atomically (``-`` writes it to standard output)."""
    if is_stdout(path):
        write_stdout(data, encoding)
        return
    with atomic_open(path, binary=isinstance(data, bytes), encoding=encoding) as fh:
        fh.write(data)


def write_stdout(data: str | bytes, encoding: str = "utf-8") -> None:
    """Text or bytes to standard output. Piped or redirected, text is UTF-8 whatever the locale (so
    ``> out.csv`` under a cp1252 console gives the bytes ``-o out.csv`` gives); on a terminal it is in
    the terminal's encoding, characters it lacks replaced. ``utf-8-sig`` adds a BOM when not a terminal."""
    buffer = getattr(sys.stdout, "buffer", None)
    tty = sys.stdout.isatty()
    if isinstance(data, str) and (tty or buffer is None):
        sys.stdout.write(data)
        sys.stdout.flush()
        return
    if isinstance(data, str):  # a lone surrogate (a file name not valid UTF-8) is written as its escape
        data = data.encode("utf-8-sig" if encoding == "utf-8-sig" else "utf-8", errors="backslashreplace")
    sys.stdout.flush()
    assert buffer is not None
    buffer.write(data)
    buffer.flush()


def safe_stdio() -> None:
    """Standard output and error never crash on a character their encoding lacks (a cp1252 console):
    such characters are replaced. Called once at start-up by the command line."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="replace")
