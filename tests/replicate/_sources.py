"""Checks shared by the replication tests: every row of a table cites a source users have."""

import re

# "spec" as a word (not "specialised", "specific"), or a path into the development folder
FORBIDDEN = re.compile(r"\bspec\b|shared/", re.IGNORECASE)


def forbidden(text: str) -> bool:
    return bool(FORBIDDEN.search(str(text)))


def check_rows(rows) -> None:
    """`rows`: dicts of a written table (CSV) or `Row`s. Every row has a source, and no cell
    cites the development spec or `shared/`."""
    for row in rows:
        cells = row if isinstance(row, dict) else vars(row)
        assert str(cells["source"]).strip(), f"row without a source: {cells['quantity']!r}"
        for key, value in cells.items():
            assert not forbidden(value), f"{cells['quantity']!r}: {key} cites an unshipped document: {value}"
