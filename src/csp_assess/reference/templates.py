"""Packaged priority-set templates: the MOPAC set and sets for partnerships outside London.

A template is a priorities TOML file shipped with the package (``templates/<name>.toml``, plus the MOPAC
set kept where it always was). Its first line, ``# Template: ...``, is its description, so adding a
template is adding a file. ``--template NAME`` is the same as ``--priorities`` pointed at that file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import resources

from csp_assess.errors import SelectionError
from csp_assess.reference.priorities import PACKAGED, PrioritySet, default_text, parse_priorities

MOPAC = "mopac"
MOPAC_DESCRIPTION = "the MOPAC framework most London partnerships work to (the default outside a plan file)"


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    file: str  # the packaged file, for provenance


def _template_files() -> dict[str, str]:
    folder = resources.files("csp_assess.reference").joinpath("templates")
    return {
        entry.name.removesuffix(".toml"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    }


def _description(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return first.removeprefix("#").strip().removeprefix("Template:").strip()


def list_templates() -> list[Template]:
    """Every packaged template, MOPAC first, then by name."""
    out = [Template(MOPAC, MOPAC_DESCRIPTION, f"csp_assess/reference/{PACKAGED}")]
    for name, text in _template_files().items():
        out.append(Template(name, _description(text), f"csp_assess/reference/templates/{name}.toml"))
    return out


def template_text(name: str) -> str:
    """The template's TOML text; an unknown name lists the ones there are."""
    if name == MOPAC:
        return default_text()
    files = _template_files()
    if name not in files:
        names = ", ".join(t.name for t in list_templates())
        raise SelectionError(f"unknown {{template}} '{name}' (one of {names})", params=["template"])
    return files[name]


def load_template(name: str) -> PrioritySet:
    source = "packaged MOPAC priorities" if name == MOPAC else f"packaged template {name}"
    return dataclasses.replace(parse_priorities(template_text(name), source), origin="packaged")
