"""Compiles locale/*/LC_MESSAGES/django.po into .mo with polib (no GNU gettext needed), or with
--check verifies that every .mo is up to date and that the Chinese catalogue has no untranslated
or fuzzy entry: Chinese is the default language, so a missing translation is a visible bug."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = {"zh_Hans"}  # catalogues that must be fully translated


def catalogues() -> list[Path]:
    return sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))


def translations(po: polib.POFile | polib.MOFile) -> dict:
    result = {}
    for entry in po:
        if getattr(entry, "obsolete", False) or "fuzzy" in getattr(entry, "flags", []):
            continue
        key = (entry.msgctxt, entry.msgid, entry.msgid_plural)
        value = tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
        if value:
            result[key] = value
    return result


def main(check: bool) -> int:
    problems = []
    for po_path in catalogues():
        po = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        locale = po_path.parent.parent.name
        if locale in COMPLETE:
            untranslated = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
            if untranslated:
                problems.append(f"{po_path.relative_to(ROOT)}: {len(untranslated)} untranslated or fuzzy, "
                                f"e.g. {untranslated[:3]}")
        if check:
            if not mo_path.exists():
                problems.append(f"{mo_path.relative_to(ROOT)} is missing: run make messages")
            elif translations(polib.mofile(str(mo_path))) != translations(po):
                problems.append(f"{mo_path.relative_to(ROOT)} is older than its .po: run make messages")
        else:
            po.save_as_mofile(str(mo_path))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
