"""What both benchmarks time: the csp_assess this Python has installed, byte-compiled as an install is."""

from __future__ import annotations

import compileall
import importlib.util


def compile_package() -> str:
    """Byte-compile the csp_assess sources the way ``pip install .`` (the README's install) does.

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (as on the development machines) would
    otherwise compile about 100 modules from source on every run, 0.2-0.3 s that no installed copy pays,
    while DuckDB's modules come byte-compiled from its wheel.
    """
    spec = importlib.util.find_spec("csp_assess")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("csp_assess is not installed in this Python: pip install . first")
    folder = list(spec.submodule_search_locations)[0]
    if not compileall.compile_dir(folder, quiet=1):
        raise SystemExit(f"could not byte-compile {folder}")
    return folder
