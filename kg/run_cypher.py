"""Running a .cypher file the same way on every engine.

A file may be a top-level union: parts separated by an unindented line `UNION` (rows
de-duplicated) or `UNION ALL`. kg runs each part as its own statement and merges the
rows, because the embedded engine types every column of a union as one type (a key
that is a string in one part and a list in another cannot be unioned there) and has
no `CALL { ... UNION ... }`; the file stays a valid Neo4j query to paste into Browser.
A union has no usable ORDER BY (it would bind to its last part), so row order comes
from the file's `// order:` header, applied here with Neo4j's rule: nulls last; the
`// sets:` header names columns of collect()ed lists, shown sorted.
"""

from __future__ import annotations

from typing import Any

from kg.cypher_files import CypherFile
from kg.store.base import QueryRunner, Row


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def sort_key(value: Any) -> tuple[Any, ...]:
    """Neo4j's ascending order as far as kg needs it: nulls last, numbers before
    strings, lists element by element."""
    if value is None:
        return (3,)
    if isinstance(value, bool):
        return (0, 0, int(value))
    if isinstance(value, (int, float)):
        return (0, 1, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, (list, tuple)):
        return (2, tuple(sort_key(v) for v in value))
    return (1, str(value))


def order_rows(rows: list[Row], columns: list[str]) -> list[Row]:
    if not columns:
        return rows
    return sorted(rows, key=lambda row: tuple(sort_key(row.get(c)) for c in columns))


def run(
    store: QueryRunner, file: CypherFile, params: dict[str, Any] | None = None, text: str | None = None
) -> list[Row]:
    """Rows of a (possibly union) .cypher file, ordered by its `// order:` header; the
    columns its `// sets:` header names hold collect()ed lists, whose order no engine
    keeps: they are sorted. `text`: the file's text with its placeholders filled."""
    statements, distinct = CypherFile.parse(text).parts() if text is not None else file.parts()
    sets = file.items("sets")
    rows: list[Row] = []
    seen: set[Any] = set()
    for statement in statements:
        for row in store.query(statement, params):
            for column in sets:
                if isinstance(row.get(column), list):
                    row[column] = sorted(row[column], key=sort_key)
            if distinct:
                key = _hashable(row)
                if key in seen:
                    continue
                seen.add(key)
            rows.append(row)
    return order_rows(rows, file.items("order"))
