"""Rebuild ``src/csp_assess/reference/ho_offence_codes.csv`` from the ONS offence hierarchy it is derived from.

The source is the ONS Digital Publishing hierarchy of the "crime with Home Office offences 2017-2018"
dataset: Total offences -> offence group -> offence subgroup -> Home Office offence code, as a Cypher
import script, in the public repository ONSdigital/dp-hierarchy-builder at commit
c37ff5aa89f10e55417834c639e8b3b874d23389, path ``cypher-scripts/crime-offence.cypher`` (blob
abf8df94df24b986b55b0539199538973cd80649; identical to
``cmd/hierarchy-transformer/output/crimeWithHomeOffice_2017-2018/hierarchy.cypher`` at 86ff9b0). Get it with
``git show c37ff5aa89f10e55417834c639e8b3b874d23389:cypher-scripts/crime-offence.cypher > crime-offence.cypher``.

Usage: ``python scripts/ho_codes_from_ons.py crime-offence.cypher > src/csp_assess/reference/ho_offence_codes.csv``

What the script does to the source, and nothing else:
* keeps every node whose code is not a slug (a Home Office offence code) with its parent's label;
* splits the one combined code ``1-4.1-4.10-4.2`` (Homicide) into its four codes;
* names the source's subgroups as ``harm_cost_reference.csv`` does (``SUBGROUP`` below), keeping the
  source's own label in ``source_subgroup``; codes whose label is an offence group with no subgroup level
  (public order, weapons, miscellaneous) take the group, as the PRC subgroup of the same name;
* leaves out the "Fraud offences to 2012/13" codes (outcomes only; fraud has no PRC subgroup here).
"""

from __future__ import annotations

import csv
import re
import sys

COMMIT = "c37ff5aa89f10e55417834c639e8b3b874d23389"
SOURCE = (
    "ONS offence hierarchy of the dataset crime with Home Office offences 2017-2018: "
    f"ONSdigital/dp-hierarchy-builder@{COMMIT[:7]} cypher-scripts/crime-offence.cypher"
)

# The source's subgroup label (2017/18 names) -> the PRC subgroup as harm_cost_reference.csv names it.
SUBGROUP = {
    "Homicide": "Homicide",
    "Violence with injury": "Violence with injury",
    "Violence without injury": "Violence without injury",
    "Harassment": "Stalking and harassment",
    "Rape": "Rape offences",
    "Other sexual offences": "Other sexual offences",
    "Public order offences": "Public order offences",
    "Criminal damage": "Criminal damage",
    "Arson": "Arson",
    "Shoplifting": "Shoplifting",
    "Other theft offences": "Other theft offences",
    "Theft of a motor vehicle": "Vehicle offences",
    "Theft from a vehicle": "Vehicle offences",
    "Vehicle interference": "Vehicle offences",
    "Domestic burglary": "Residential burglary",
    "Non-domestic burglary": "Non-residential burglary",
    "Possession of drugs": "Possession of drugs",
    "Trafficking of drugs": "Trafficking of drugs",
    "Theft from the person": "Theft from the person",
    "Robbery of business property": "Robbery of business property",
    "Robbery of personal property": "Robbery of personal property",
    "Possession of weapons offences": "Possession of weapons offences",
    "Bicycle theft": "Bicycle theft",
    "Miscellaneous crimes against society": "Miscellaneous crimes against society",
}
LEFT_OUT = {"Fraud offences to 2012/13"}
SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
NODE = re.compile(
    r"(?:MATCH \(parent:`[^`]*` \{ code:'([^']*)' \}\)\s*WITH parent )?"
    r"CREATE \(node:`[^`]*` \{ code:'([^']*)',label:'((?:[^'\\]|\\.)*)' \}\)"
)


def rows(text: str) -> list[dict[str, str]]:
    """One row per Home Office offence code of the hierarchy, sorted by code."""
    label: dict[str, str] = {}
    parent: dict[str, str | None] = {}
    for m in NODE.finditer(text):
        up, code, name = m.groups()
        label[code], parent[code] = name.replace("\\'", "'"), up
    out: list[dict[str, str]] = []
    for code, up in parent.items():
        if SLUG.match(code) or up is None:
            continue
        if code == "1-4.1-4.10-4.2":  # Homicide: the source joins its four codes into one node
            codes, description, sub = ["1", "4.1", "4.10", "4.2"], "Homicide", "Homicide"
        elif SLUG.match(up) and parent.get(up) not in (None, "offence"):
            codes, description, sub = [code], label[code], label[up]  # code under a subgroup
        else:  # a code directly under an offence group: it is a subgroup itself (34A, 39, 46), or the
            # group has no subgroup level and is the PRC subgroup of the same name (public order, weapons)
            codes, description = [code], label[code]
            sub = label[code] if label[code] in SUBGROUP else label[up]
        if sub in LEFT_OUT:
            continue
        for c in codes:
            out.append(
                {
                    "code": c,
                    "description": description,
                    "prc_subgroup": SUBGROUP[sub],
                    "source_subgroup": sub,
                    "source": SOURCE,
                }
            )
    return sorted(out, key=lambda r: _order(r["code"]))


def _order(code: str) -> tuple[int, str]:
    m = re.match(r"^(\d+)(.*)$", code)
    return (int(m.group(1)), m.group(2)) if m else (10**6, code)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        text = fh.read()
    fields = ["code", "description", "prc_subgroup", "source_subgroup", "source"]
    writer = csv.DictWriter(sys.stdout, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(text))


if __name__ == "__main__":
    main()
