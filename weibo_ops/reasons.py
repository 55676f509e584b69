"""Reasons stored as codes with values (``[[code, {values}], ...]``) and put into words when shown, so a
page reads them in its reader's language and a code an older version stored is simply left out."""

from __future__ import annotations


def coded_words(items, table: dict) -> list[str]:
    """``items`` in the active language, using ``table`` {code: lazily translated text with %(name)s}."""
    words = []
    for item in items if isinstance(items, list) else ():
        code, values = [*item, {}][:2] if isinstance(item, list) and item else ("", {})
        if code in table and isinstance(values, dict):
            try:
                words.append((str(table[code]) % values).strip())  # an empty value leaves no trailing space
            except (KeyError, TypeError, ValueError):  # stored by a version whose text had other values
                continue
    return words
